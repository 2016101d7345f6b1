# In production, the process group note's experiment 3 one level up: the
# monitor starts the service in a new session and kills its whole group
# with os.killpg, as the note does. But the service's worker starts a daemon
# that calls os.setsid(), as programs that detach themselves do, and the
# daemon is in no group the monitor knows. A cgroup (v2) holds every process
# started inside it, whatever its group or session: writing 1 to its
# cgroup.kill ends them all.
#
# Each process reports on a pipe once it is in place (no sleeps); the
# monitor watches the daemon on a pidfd, and waits for cgroup.events to say
# "populated 0". It is a child subreaper (prctl through ctypes), so that the
# orphans of the tree come back to it and it can reap them.
import argparse
import ctypes
import os
import select
import signal
import subprocess
import sys

ROLES = ["service", "worker", "daemon"]
PR_SET_CHILD_SUBREAPER = 36


def check(ok, what):
    if not ok:
        sys.exit(f"kill_tree: behaviour not seen: {what}")


# ANCHOR: tree
def member(role, report):
    """The service starts the worker, the worker starts the daemon, which
    leaves for a session of its own; each reports, then waits."""
    if role == "daemon":
        os.setsid()
    at = ROLES.index(role)
    if at + 1 < len(ROLES):
        subprocess.Popen([sys.executable, __file__, "--role", ROLES[at + 1],
                          "--report", str(report)], pass_fds=[report])
    ids = f"{os.getpid()} {os.getpgrp()} {os.getsid(0)}"
    os.write(report, f"{role} {ids}\n".encode())
    while True:
        signal.pause()
# ANCHOR_END: tree


def cgroup_v2():
    """Where cgroup v2 is mounted, and the group this process is in."""
    mount = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ")
            if right.split()[0] == "cgroup2":
                mount = left.split()[4]
    with open("/proc/self/cgroup") as f:
        own = next((l.split(":", 2)[2].strip() for l in f if l.startswith("0::")),
                   None)
    return mount, own


# ANCHOR: monitor
def monitor():
    libc = ctypes.CDLL(None, use_errno=True)
    check(libc.prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "prctl works")
    mount, own = cgroup_v2()
    cgroup = f"{mount}{own.rstrip('/')}/kill-tree-py-{os.getpid()}"
    try:
        if os.environ.get("RSP_DENY") in ("cgroups", "cgroup-v2") or not mount:
            raise PermissionError("RSP_DENY" if mount else "no cgroup v2")
        os.mkdir(cgroup)
    except OSError as e:
        print(f"kill_tree: not possible here: no cgroup of our own: {e}")
        return
    try:
        run(cgroup)
    finally:  # also after a failure: end what is left, remove the cgroup
        with open(f"{cgroup}/cgroup.procs") as f:
            left = f.read()
        if left:
            with open(f"{cgroup}/cgroup.kill", "w") as f:
                f.write("1")
            wait_empty(cgroup)
        os.rmdir(cgroup)


def join(cgroup):
    """preexec_fn: runs in the child before exec, and moves it ("0" is the
    writer itself) into the cgroup, so everything it starts is born there."""
    with open(f"{cgroup}/cgroup.procs", "w") as f:
        f.write("0")


def wait_empty(cgroup):
    """Until cgroup.events says "populated 0"; the kernel flags the file as
    changed (POLLPRI, an "exceptional condition" for select)."""
    with open(f"{cgroup}/cgroup.events") as events:
        while "populated 0" not in events.read():
            select.select([], [], [events])
            events.seek(0)
# ANCHOR_END: monitor


def run(cgroup):
    r, w = os.pipe()
    service = subprocess.Popen(
        [sys.executable, __file__, "--role", "service", "--report", str(w)],
        pass_fds=[w], start_new_session=True, preexec_fn=lambda: join(cgroup))
    os.close(w)
    reports = os.fdopen(r)
    ids = {}
    for _ in ROLES:  # each process reports once it is in place
        role, pid, pgid, sid = reports.readline().split()
        ids[role] = (int(pid), int(pgid), int(sid))
    for role in ROLES:
        pid, pgid, sid = ids[role]
        if pgid == pid == sid:
            where = "leads a session and a process group of its own"
        elif pgid == service.pid:
            where = "in the service's process group"
        else:
            where = "elsewhere"
        print(f"[monitor] {role}: {where}")
    with open(f"{cgroup}/cgroup.procs") as f:
        print(f"[monitor] cgroup.procs: {len(f.read().split())} processes")
    kill(cgroup, service, ids["worker"][0], ids["daemon"][0])


# ANCHOR: kill
def kill(cgroup, service, worker, daemon):
    daemon_fd = os.pidfd_open(daemon)
    print("[monitor] os.killpg(service.pid, SIGKILL)")
    os.killpg(service.pid, signal.SIGKILL)
    service.wait()
    _, status = os.waitpid(worker, 0)  # the service's orphan: ours to reap
    alive = not select.select([daemon_fd], [], [], 0)[0]
    os.close(daemon_fd)
    with open(f"{cgroup}/cgroup.procs") as f:
        left = f.read().split()
    print(f"[monitor] service: returncode {service.returncode}; "
          f"worker: {how(status)}")
    print(f"[monitor] daemon still running: {alive}; "
          f"cgroup.procs: {' '.join(left) == str(daemon) and 'the daemon'}")
    check(alive and left == [str(daemon)],
          "the daemon in its own session survives killpg")

    print("[monitor] echo 1 > cgroup.kill")
    with open(f"{cgroup}/cgroup.kill", "w") as f:
        f.write("1")
    wait_empty(cgroup)
    _, status = os.waitpid(daemon, 0)
    print(f"[monitor] cgroup.events: populated 0; daemon: {how(status)}")
    check(os.WTERMSIG(status) == signal.SIGKILL, "cgroup.kill ends the daemon")
# ANCHOR_END: kill


def how(status):
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exited with status {os.WEXITSTATUS(status)}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", choices=ROLES, help=argparse.SUPPRESS)
    parser.add_argument("--report", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        member(args.role, args.report)
    else:
        monitor()
