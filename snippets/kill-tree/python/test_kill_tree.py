"""kill_tree.py: killpg misses the daemon that called setsid(); the cgroup's
cgroup.kill ends it."""


def lines_of(r):
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout.splitlines()


def test_killpg_misses_the_daemon_and_the_cgroup_catches_it(run):
    lines = lines_of(run("kill-tree", "kill_tree"))
    assert lines[:3] == [
        "[monitor] service: leads a session and a process group of its own",
        "[monitor] worker: in the service's process group",
        "[monitor] daemon: leads a session and a process group of its own",
    ]
    assert "[monitor] cgroup.procs: 3 processes" in lines
    assert ("[monitor] service: returncode -9; worker: killed by SIGKILL"
            in lines)
    assert "[monitor] daemon still running: True; cgroup.procs: the daemon" in lines
    assert lines[-1] == ("[monitor] cgroup.events: populated 0; "
                         "daemon: killed by SIGKILL")


def test_without_cgroups_it_says_so(run, monkeypatch):
    monkeypatch.setenv("RSP_DENY", "cgroups")
    lines = lines_of(run("kill-tree", "kill_tree"))
    assert lines == ["kill_tree: not possible here: no cgroup of our own: RSP_DENY"]
