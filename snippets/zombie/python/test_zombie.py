"""subprocess_wait.py must show the zombie, then no pid after `del` and after wait()."""
import re


def test_zombie_until_del_then_wait_reaps(run):
    r = run("zombie", "subprocess_wait")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 3, lines
    assert re.fullmatch(r"pid: \d+ exists: True \(state Z\)", lines[0]), lines
    assert re.fullmatch(r"after `del process`: pid: \d+ exists: False", lines[1]), lines
    assert re.fullmatch(
        r"with process\.wait\(\): pid: \d+ exists: False \(returncode 0\)", lines[2]
    ), lines
    # The same pid in the first two lines: the zombie was that child.
    first, second = (re.search(r"pid: (\d+)", line)[1] for line in lines[:2])
    assert first == second
