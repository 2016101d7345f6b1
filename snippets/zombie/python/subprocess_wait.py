# Note 2, as the seed ran it: a Popen child that has exited but was never
# waited for is a zombie, and wait() removes it. Where the seed let time pass,
# this waits for the exit itself without reaping (waitid with WNOWAIT); and it
# shows what the seed's script did not: deleting the Popen object reaps the
# child too.
import os
import subprocess
import sys


def state(pid):
    """The state letter in /proc/<pid>/stat (R, S, Z, ...), or None once the
    pid is gone. The name in field 2 may hold spaces and parentheses."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except FileNotFoundError:
        return None
    return stat[stat.rindex(")") + 2]


def exists(pid):
    return os.path.exists(f"/proc/{pid}")


def check(ok, what):
    if not ok:
        sys.exit(f"subprocess_wait: behaviour not seen: {what}")


# ANCHOR: cases
process = subprocess.Popen(["true"])
pid = process.pid
os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # once it has exited; still waitable
print(f"pid: {pid} exists: {exists(pid)} (state {state(pid)})")
check(state(pid) == "Z", "an exited child nobody waited for is a zombie")

del process  # Popen.__del__ polls the child: waitpid(pid, WNOHANG) reaps it
print(f"after `del process`: pid: {pid} exists: {exists(pid)}")
check(not exists(pid), "Popen.__del__ reaps a child that has exited")

process = subprocess.Popen(["true"])
pid = process.pid
returncode = process.wait()
print(f"with process.wait(): pid: {pid} exists: {exists(pid)} (returncode {returncode})")
check(not exists(pid) and returncode == 0, "wait() reaps the child")
# ANCHOR_END: cases
