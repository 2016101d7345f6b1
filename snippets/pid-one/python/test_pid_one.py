"""pid1.py: a Python PID 1 collects the zombies of its shell's jobs, ignores
SIGTERM until it installs a handler, and takes its namespace with it."""
import re


def lines_of(r):
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout.splitlines()


def test_zombies_pile_up_under_a_python_pid_1(run):
    lines = lines_of(run("pid-one", "pid1"))
    assert lines[1] == "[pid 1]   os.getpid() = 1"
    counts = [int(m[1]) for l in lines
              if (m := re.search(r"zombies under pid 1: (\d+)$", l))]
    assert counts == [3, 6, 9], lines
    ps = [l.split() for l in lines if re.match(r"\[pid 1\] +\d+ +\d+ Z ", l)]
    assert len(ps) == 9 and all(row[3] == "1" for row in ps), lines


def test_sigterm_is_ignored_until_there_is_a_handler(run):
    lines = lines_of(run("pid-one", "pid1"))
    ping = lines.index("[runtime] os.kill(PID 1, SIGTERM); then a ping")
    assert lines[ping + 1] == "[pid 1]   pong"
    assert lines[-2] == "[pid 1]   got SIGTERM: shutting down"
    assert lines[-1].startswith("[runtime] unshare: exit status 0;")


def test_without_a_pid_namespace_it_says_so(run, monkeypatch):
    monkeypatch.setenv("RSP_DENY", "pid-namespace")
    lines = lines_of(run("pid-one", "pid1"))
    assert lines[-1].startswith("pid1: not possible here"), lines
