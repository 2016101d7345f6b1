# In production, the poll note's child one level up: a service keeps its
# worker's pid in a pidfile, as daemons and their init scripts do, and
# later signals that number. Meanwhile the worker has exited and been
# reaped, and the kernel has handed its pid to another process.
#
# The kernel's counter only comes round after pid_max processes, tens of
# thousands on a real machine; this program runs as PID 1 of a new pid
# namespace (util-linux's unshare) and sets that namespace's pid_max to 310.
# It waits on the processes it starts: no sleeps.
import argparse
import os
import signal
import subprocess
import sys
import tempfile

PID_MAX = 310
LAST_PID = 299  # where the counter is put: the next pid is 300


def check(ok, what):
    if not ok:
        sys.exit(f"pid_reuse: behaviour not seen: {what}")


def has_cap_sys_admin():
    """Bit 21 of CapEff: what a new pid namespace needs, unless a user
    namespace comes with it (root in a container often lacks it)."""
    with open("/proc/self/status") as f:
        eff = next(l.split()[1] for l in f if l.startswith("CapEff:"))
    return int(eff, 16) & (1 << 21) != 0


def small_namespace():
    """pid_max 310 for this namespace (Linux 6.14 and later have one per
    namespace; before, the write would lower the whole machine's), and the
    counter at 299 (ns_last_pid), so the first process gets 300."""
    version = tuple(int(n) for n in os.uname().release.split(".")[:2])
    if version < (6, 14):
        return f"a pid_max per pid namespace needs Linux 6.14 ({os.uname().release})"
    try:
        with open("/proc/sys/kernel/pid_max", "w") as f:
            f.write(str(PID_MAX))
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(LAST_PID))
    except OSError as e:
        return str(e)
    return None


# ANCHOR: service
def service(folder):
    pidfile = os.path.join(folder, "worker.pid")
    worker = subprocess.Popen(["cat"], stdin=subprocess.PIPE)
    with open(pidfile, "w") as f:
        f.write(str(worker.pid))
    pidfd = os.pidfd_open(worker.pid)  # not yet reaped: it is the worker
    print(f"[pid 1] the worker (cat): pid {worker.pid}, written to worker.pid")
    worker.stdin.close()  # cat reads end of file and exits
    print(f"[pid 1] the worker: returncode {worker.wait()}; reaped")

    # The rest of the machine: processes come and go until the counter
    # comes round.
    while True:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        if pid == PID_MAX - 1:
            break
    stranger = subprocess.Popen(["cat"], stdin=subprocess.PIPE)
    print(f"[pid 1] a stranger (cat): pid {stranger.pid}")

    worker.send_signal(signal.SIGTERM)
    print("[pid 1] worker.send_signal(SIGTERM): returncode known, nothing sent")
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGTERM)
    except ProcessLookupError as e:
        print(f"[pid 1] pidfd_send_signal(pidfd, SIGTERM): {e!r}")
    with open(pidfile) as f:
        number = int(f.read())
    os.kill(number, signal.SIGTERM)
    print(f"[pid 1] os.kill({number}, SIGTERM), the pidfile's number")
    print(f"[pid 1] the stranger: returncode {stranger.wait()}")
    check(stranger.returncode == -signal.SIGTERM, "the kill hits the stranger")
# ANCHOR_END: service


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--pid1", action="store_true", help=argparse.SUPPRESS)
    if parser.parse_args().pid1:
        check(os.getpid() == 1, "this runs as PID 1 of a new namespace")
        why = small_namespace()
        if why:
            print(f"pid_reuse: not possible here: {why}")
        else:
            print(f"[pid 1] a new pid namespace; its pid_max: {PID_MAX}")
            with tempfile.TemporaryDirectory() as folder:
                service(folder)
    elif os.environ.get("RSP_DENY") == "pid-namespace":
        print("pid_reuse: not possible here: no new pid namespace (RSP_DENY)")
    else:
        command = ["unshare", "--pid", "--fork", "--kill-child"]
        if not has_cap_sys_admin():  # then a user namespace too
            command.append("--map-root-user")
        print(f"[runtime] {' '.join(command)} python3 pid_reuse.py --pid1")
        done = subprocess.run(command + [sys.executable, __file__, "--pid1"])
        check(done.returncode == 0, "PID 1 ends well")
