# In production, the heap dump note's `pyrasite-shell <pid>`, asked the other
# way round: when does the attach work? pyrasite hands the work to gdb, and
# gdb attaches with ptrace; "ptrace: Operation not permitted." is what a
# refused attach looks like. Here gdb is run as one user against a process
# of another, the way an operator meets it on a shared machine.
#
# The targets are forks of this interpreter that change their own ids (the
# seed's loop as alice would run it). Each says on a pipe when it is ready
# and waits until it is killed: no sleeps.
import ctypes
import os
import signal
import subprocess
import sys

ALICE, BOB = 61001, 61002  # two uids no login uses; they need not exist
PR_SET_DUMPABLE = 4
libc = ctypes.CDLL(None, use_errno=True)


def check(ok, what):
    if not ok:
        sys.exit(f"who_may_attach: behaviour not seen: {what}")


# ANCHOR: target
def target(uid, dumpable):
    """A process of `uid`, dumpable or not, waiting. Returns its pid. A
    change of uid leaves a process undumpable; a program alice started
    would be dumpable, unless it asked not to be: prctl says which."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            libc.prctl(PR_SET_DUMPABLE, 1 if dumpable else 0)
            os.write(w, b"y")
            signal.pause()
        finally:
            os._exit(0)
    os.close(w)
    check(os.read(r, 1) == b"y", "the target changed its ids")
    os.close(r)
    return pid
# ANCHOR_END: target


# ANCHOR: gdb
def gdb_as(uid, pid):
    """pyrasite-shell's first step, alone: gdb attaches to `pid`, as `uid`."""
    run = subprocess.run(["gdb", "--batch", "--nx", "-p", str(pid)],
                         user=uid, group=uid, extra_groups=[],
                         capture_output=True, text=True)
    if "ptrace: Operation not permitted." in run.stderr:
        return "ptrace: Operation not permitted."
    if f"(process {pid}) detached" in run.stdout:
        return "attached (and detached)"
    return f"neither: {run.stdout}{run.stderr}"
# ANCHOR_END: gdb


def yama():
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope") as f:
            return f"ptrace_scope is {f.read().strip()}"
    except FileNotFoundError:
        return "absent: no Yama LSM"


# ANCHOR: cases
def main():
    print(f"Yama: /proc/sys/kernel/yama/ptrace_scope {yama()}")
    if os.geteuid() != 0 or os.environ.get("RSP_DENY") == "root":
        print("who_may_attach: not possible here: processes of other users "
              "need root to start")
        return
    cases = [
        ("gdb as alice -> alice's process", ALICE, ALICE, True),
        ("gdb as bob -> alice's process", BOB, ALICE, True),
        ("gdb as alice -> alice's, PR_SET_DUMPABLE 0", ALICE, ALICE, False),
        ("gdb as root -> alice's, PR_SET_DUMPABLE 0", 0, ALICE, False),
    ]
    seen = []
    for what, tracer, owner, dumpable in cases:
        pid = target(owner, dumpable)
        try:
            seen.append(gdb_as(tracer, pid))
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        print(f"{what:45} {seen[-1]}")
    ok, no = "attached (and detached)", "ptrace: Operation not permitted."
    want = [ok, no, no, ok]  # same uid and dumpable, or CAP_SYS_PTRACE
    scope = yama().rsplit(" ", 1)[-1]
    if scope in ("1", "2"):  # Yama: no tracer here is its target's parent
        want = [no, no, no, ok]
    elif scope == "3":
        want = [no, no, no, no]
    check(seen == want, f"the attach rules, Yama {scope}")
# ANCHOR_END: cases


if __name__ == "__main__":
    main()
