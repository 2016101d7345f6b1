# In production, the zombie note's question one level up: a Python service
# started as PID 1 of a new pid namespace, as a container runtime starts a
# container's command (here util-linux's `unshare --pid --fork --mount-proc`
# does it). The service runs shell commands with subprocess, and the
# background jobs they leave are handed to PID 1 when the shell exits:
# Python waits only for the Popen objects it made, so they stay zombies.
# And SIGTERM, what `docker stop` sends first, does nothing to a PID 1 that
# has no handler for it, which Python does not install.
#
# The runtime talks to PID 1 over its stdin and stdout, one command and one
# answer at a time: no sleeps. Where the jobs would finish on their own, they
# read a pipe that PID 1 closes, and PID 1 waits for their exits on pidfds.
import argparse
import os
import select
import signal
import subprocess
import sys

UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]


def check(ok, what):
    if not ok:
        sys.exit(f"pid1: behaviour not seen: {what}")


def has_cap_sys_admin():
    """Bit 21 of CapEff: what a new pid namespace needs, unless a user
    namespace comes with it (root in a container often lacks it)."""
    with open("/proc/self/status") as f:
        eff = next(l.split()[1] for l in f if l.startswith("CapEff:"))
    return int(eff, 16) & (1 << 21) != 0


# ANCHOR: pid1
def service():
    """PID 1 of the namespace: answers one line per command on stdout."""
    print(f"os.getpid() = {os.getpid()}", flush=True)
    requests = 0
    for line in sys.stdin:
        command = line.strip()
        if command == "request":
            requests += 1
            print(f"request {requests}: {request()}", flush=True)
        elif command == "ps":
            subprocess.run(["ps", "-o", "pid,ppid,stat,comm"])
            print("end of ps", flush=True)
        elif command == "ping":
            print("pong", flush=True)
        elif command == "handler":
            signal.signal(signal.SIGTERM, on_sigterm)
            print("SIGTERM handler installed", flush=True)


def on_sigterm(signum, frame):
    print("got SIGTERM: shutting down", flush=True)
    sys.exit(0)
# ANCHOR_END: pid1


# ANCHOR: request
def request():
    """Runs a shell command that leaves three background jobs running, as a
    script that starts a daemon does, and counts the zombies afterwards."""
    r, w = os.pipe()
    sh = subprocess.run(
        ["sh", "-c", f"for i in 1 2 3; do cat <&{r} >/dev/null & echo $!; done"],
        pass_fds=[r], stdout=subprocess.PIPE, text=True)
    os.close(r)
    jobs = [int(pid) for pid in sh.stdout.split()]  # sh is gone: PID 1's now
    pidfds = [os.pidfd_open(pid) for pid in jobs]
    os.close(w)  # the jobs read end-of-file and exit
    for fd in pidfds:
        select.select([fd], [], [])  # readable once that job has exited
        os.close(fd)
    zombies = zombies_under(os.getpid())
    return (f"sh exited, its jobs {' '.join(map(str, jobs))} too; "
            f"zombies under pid 1: {len(zombies)}")
# ANCHOR_END: request


def zombies_under(parent):
    """Pids in state Z whose parent is `parent`, from /proc (the namespace's
    own, mounted by unshare --mount-proc)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except FileNotFoundError:
            continue
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        if state == "Z" and int(ppid) == parent:
            found.append(int(name))
    return sorted(found)


def runtime():
    """Starts the service as PID 1, sends it requests, then SIGTERM."""
    command = UNSHARE + [sys.executable, __file__, "--pid1"]
    if not has_cap_sys_admin():
        command[1:1] = ["--map-root-user"]  # a user namespace, as rootless
    shown = " ".join(command[:-3] + ["python3", "pid1.py", "--pid1"])
    print(f"[runtime] {shown}")
    if os.environ.get("RSP_DENY") == "pid-namespace":
        print("pid1: not possible here: no new pid namespace (RSP_DENY)")
        return
    app = subprocess.Popen(command, stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)
    try:
        talk(app)
    finally:
        app.kill()  # unshare --kill-child: PID 1 and its namespace go too
        app.wait()


def ask(app, command, until=None):
    """Sends one command and prints the answer: one line, or up to `until`."""
    if command:
        app.stdin.write(command + "\n")
        app.stdin.flush()
    lines = []
    while True:
        line = app.stdout.readline()
        check(line != "", f"an answer to {command!r}; PID 1 is gone")
        lines.append(line.rstrip("\n"))
        print(f"[pid 1]   {lines[-1]}")
        if until is None or lines[-1] == until:
            return lines


# ANCHOR: talk
def talk(app):
    first = app.stdout.readline()
    if not first:
        print(f"pid1: not possible here: unshare exited with {app.wait()}")
        return
    print(f"[pid 1]   {first.rstrip()}")
    check(first.strip() == "os.getpid() = 1", "the service is PID 1")
    for n in range(1, 4):
        answer = ask(app, "request")[0]
        check(answer.endswith(f"zombies under pid 1: {3 * n}"),
              "the jobs' zombies pile up under PID 1")
    ask(app, "ps", until="end of ps")

    with open(f"/proc/{app.pid}/task/{app.pid}/children") as f:
        pid1 = int(f.read().split()[0])  # out here: the child unshare forked
    print("[runtime] os.kill(PID 1, SIGTERM); then a ping")
    os.kill(pid1, signal.SIGTERM)
    check(ask(app, "ping") == ["pong"], "PID 1 ignores SIGTERM without a handler")

    ask(app, "handler")
    print("[runtime] os.kill(PID 1, SIGTERM)")
    os.kill(pid1, signal.SIGTERM)
    ask(app, None)
    status = app.wait()
    print(f"[runtime] unshare: exit status {status}; the namespace is gone, "
          "zombies and all")
    check(status == 0, "the handler ends PID 1 with status 0")
# ANCHOR_END: talk


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--pid1", action="store_true", help=argparse.SUPPRESS)
    if parser.parse_args().pid1:
        service()
    else:
        runtime()
