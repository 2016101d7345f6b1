"""pid_reuse.py: the pidfile's number hits a stranger; the pidfd and the
Popen object know the worker is gone."""


def lines_of(r):
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout.splitlines()


def test_the_number_is_handed_to_a_stranger(run):
    lines = lines_of(run("pid-reuse", "pid_reuse"))
    assert lines[1:] == [
        "[pid 1] a new pid namespace; its pid_max: 310",
        "[pid 1] the worker (cat): pid 300, written to worker.pid",
        "[pid 1] the worker: returncode 0; reaped",
        "[pid 1] a stranger (cat): pid 300",
        "[pid 1] worker.send_signal(SIGTERM): returncode known, nothing sent",
        "[pid 1] pidfd_send_signal(pidfd, SIGTERM): "
        "ProcessLookupError(3, 'No such process')",
        "[pid 1] os.kill(300, SIGTERM), the pidfile's number",
        "[pid 1] the stranger: returncode -15",
    ]


def test_without_a_pid_namespace_it_says_so(run, monkeypatch):
    monkeypatch.setenv("RSP_DENY", "pid-namespace")
    lines = lines_of(run("pid-reuse", "pid_reuse"))
    assert lines == ["pid_reuse: not possible here: no new pid namespace (RSP_DENY)"]
