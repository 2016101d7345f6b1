"""process_group.py: the child outlives its leader unless its group is signalled."""
import re

import pytest


def lines_of(r):
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout.splitlines()


def pids(lines, who):
    line = next(l for l in lines if l.startswith(f"[{who}] pid="))
    return dict(kv.split("=") for kv in line.split()[1:])


@pytest.mark.parametrize("group", [False, True])
def test_killing_the_leader_alone_leaves_the_child(run, group):
    flag = "--use-process-group" if group else "--no-use-process-group"
    lines = lines_of(run("process-group", "process_group", flag, "--no-use-kill-pg"))
    leader, child = pids(lines, "leader"), pids(lines, "child")
    assert child["ppid"] == leader["pid"] and child["pgid"] == leader["pgid"]
    # In its own session the leader leads its group; otherwise it is in the monitor's.
    assert (leader["pgid"] == leader["pid"]) == group
    assert any(re.search(r"returncode -9; child \d+: still running$", l) for l in lines), lines
    # ps's PPID column: the child was re-parented once the leader died.
    ps = next(l for l in lines if l.startswith("[monitor] ps: ") and "PID" not in l).split()
    assert ps[3] == child["pid"] and ps[4] != leader["pid"], ps
    # The monitor names its own parent: where the orphan goes when that
    # parent is a subreaper, as the book's supervisor is (pytest is not).
    assert any(re.fullmatch(r"\[monitor\] pid=\d+, its parent: \d+ \(.+\)", l) for l in lines), lines
    assert "[child] got signal 15, exiting..." in lines
    assert lines[-2:] == [f"[monitor] child {child['pid']} has exited; it reported: got 15",
                          "[monitor] done."]


def test_signalling_the_group_reaches_the_child(run):
    lines = lines_of(run("process-group", "process_group", "--use-process-group", "--use-kill-pg"))
    leader = pids(lines, "leader")
    assert f"[monitor] sending SIGTERM to process group {leader['pid']}..." in lines
    assert "[monitor] leader: returncode -15" in lines
    assert "[child] got signal 15, exiting..." in lines


def test_sigkill_to_the_group_leaves_no_time_for_a_handler(run):
    lines = lines_of(run("process-group", "process_group", "--use-process-group",
                         "--use-kill-pg", "--pg-signal", "KILL"))
    assert "[monitor] leader: returncode -9" in lines
    assert not any(l.startswith("[child] got signal") for l in lines)
    assert lines[-2].endswith("it reported: nothing"), lines


def test_kill_pg_without_a_group_of_its_own_is_refused(run):
    r = run("process-group", "process_group", "--no-use-process-group", "--use-kill-pg")
    assert r.returncode == 1
    assert "would signal the monitor's own group" in r.stderr
