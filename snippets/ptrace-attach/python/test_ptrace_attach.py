"""who_may_attach.py: gdb (pyrasite's attach) as the target's own user
works, as another user or on an undumpable target it does not, as root it
does; Yama is reported as found."""
import os


def lines_of(r):
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout.splitlines()


def test_gdb_attaches_only_where_the_rules_allow(run):
    lines = lines_of(run("ptrace-attach", "who_may_attach"))
    assert lines[0].startswith("Yama: /proc/sys/kernel/yama/ptrace_scope ")
    if os.path.exists("/proc/sys/kernel/yama/ptrace_scope"):
        return  # the rows depend on the scope; the program checks them
    ok, no = "attached (and detached)", "ptrace: Operation not permitted."
    assert [l[46:] for l in lines[1:]] == [ok, no, no, ok], lines


def test_without_root_it_says_so(run, monkeypatch):
    monkeypatch.setenv("RSP_DENY", "root")
    lines = lines_of(run("ptrace-attach", "who_may_attach"))
    assert lines[-1].startswith("who_may_attach: not possible here"), lines
