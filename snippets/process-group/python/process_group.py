# Note 12, the seed's three experiments: a monitor starts a leader, the
# leader starts a child, and the monitor kills the leader (os.kill, SIGKILL)
# or signals the leader's whole process group (os.killpg, SIGTERM as in the
# seed's transcript; --pg-signal KILL for SIGKILL). The child survives the
# leader's death unless the signal went to the group it is in.
#
# Where the seed slept five seconds "to wait for the child process to start",
# the child writes its pid to a pipe once its SIGTERM handler is installed,
# and the monitor reads it: no sleep. The monitor also ends what it started,
# as the seed did by hand with `kill <pid>`, and waits on a pidfd until the
# child has exited.
import argparse
import os
import select
import signal
import subprocess
import sys


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--use-process-group", action=argparse.BooleanOptionalAction, default=False)
    p.add_argument("--use-kill-pg", action=argparse.BooleanOptionalAction, default=False)
    p.add_argument("--pg-signal", choices=["TERM", "KILL"], default="TERM")
    p.add_argument("--role", choices=["monitor", "leader", "child"], default="monitor",
                   help=argparse.SUPPRESS)
    p.add_argument("--report-fd", type=int, help=argparse.SUPPRESS)
    return p.parse_args()


def check(ok, what):
    if not ok:
        sys.exit(f"process_group: behaviour not seen: {what}")


def child(report):
    def on_signal(signum, frame):
        print(f"[child] got signal {signum}, exiting...")
        os.write(report, f"got {signum}\n".encode())
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_signal)
    print(f"[child] pid={os.getpid()} ppid={os.getppid()} pgid={os.getpgrp()}")
    os.write(report, f"{os.getpid()}\n".encode())  # ready: the handler is in place
    while True:
        signal.pause()


def leader(report):
    print(f"[leader] pid={os.getpid()} pgid={os.getpgrp()}")
    subprocess.Popen([sys.executable, __file__, "--role", "child", "--report-fd", str(report)],
                     pass_fds=[report])
    os.close(report)
    while True:  # until the monitor's signal; the leader has no handler
        signal.pause()


def alive(pid):
    """Whether /proc/<pid>/stat shows a process that has not exited."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except FileNotFoundError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def monitor(args):
    print(f"[monitor] args: {args_shown(args)}")
    # Where an orphan goes when the monitor is no subreaper: see ps's PPID.
    ppid = os.getppid()
    print(f"[monitor] pid={os.getpid()}, its parent: {ppid} ({comm(ppid)})")
    check(args.use_process_group or not args.use_kill_pg,
          "--use-kill-pg without --use-process-group would signal the monitor's own group")
    # ANCHOR: steps
    where = "a NEW SESSION/PROCESS GROUP" if args.use_process_group else "the monitor's process group"
    print(f"[monitor] starting leader in {where}... (use_process_group: {args.use_process_group})")
    r, w = os.pipe()
    leader = subprocess.Popen(
        [sys.executable, __file__, "--role", "leader", "--report-fd", str(w)],
        pass_fds=[w], start_new_session=args.use_process_group)
    os.close(w)
    reports = os.fdopen(r)
    child_pid = int(reports.readline())  # instead of the seed's sleep(5)
    pidfd = os.pidfd_open(child_pid)
    print(f"[monitor] leader pid={leader.pid}; the child is ready")

    if not args.use_kill_pg:
        print("[monitor] sending SIGKILL to leader only...")
        os.kill(leader.pid, signal.SIGKILL)
        leader.wait()
        running = alive(child_pid)
        print(f"[monitor] leader: returncode {leader.returncode};"
              f" child {child_pid}: {'still running' if running else 'gone'}")
        ps(child_pid)
        check(running, "the child outlives a leader killed alone")
        os.kill(child_pid, signal.SIGTERM)  # the seed's `kill <pid>`, by hand
        expect = f"got {signal.SIGTERM.value}"
    else:
        sig = signal.Signals["SIG" + args.pg_signal]
        print("[monitor] cleaning up its process group...")
        print(f"[monitor] sending {sig.name} to process group {leader.pid}...")
        os.killpg(leader.pid, sig)
        select.select([pidfd], [], [])  # the child's last words before ours
        leader.wait()
        print(f"[monitor] leader: returncode {leader.returncode}")
        expect = f"got {sig.value}" if sig != signal.SIGKILL else ""
    # ANCHOR_END: steps

    select.select([pidfd], [], [])  # readable once the child has exited
    os.close(pidfd)
    said = reports.read().strip()  # EOF: the child, the last writer, is gone
    reports.close()
    print(f"[monitor] child {child_pid} has exited; it reported: {said or 'nothing'}")
    check(said == expect, f"the child reports {expect or 'nothing'}")
    print("[monitor] done.")


def args_shown(args):
    """The Namespace line of the seed, without the internal options."""
    shown = {k: v for k, v in vars(args).items() if k not in ("role", "report_fd")}
    return argparse.Namespace(**shown)


def comm(pid):
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip()


def ps(pid):
    # Fixed column widths: a pid with one more digit must not shift the
    # line (the drift check masks the digits, not the spaces).
    out = subprocess.run(["ps", "-o", "user:8,pid:8,ppid:8,pgid:8,vsz:10,rss:8,comm",
                          "-p", str(pid)],
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        print(f"[monitor] ps: {line}")


if __name__ == "__main__":
    args = parse()
    if args.role == "child":
        child(args.report_fd)
    elif args.role == "leader":
        leader(args.report_fd)
    else:
        monitor(args)
