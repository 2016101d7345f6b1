"""subprocess_poll.py: None three times while cat runs, then 0."""
import re


def test_none_while_running_then_the_status(run):
    r = run("poll-child", "subprocess_poll")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 4, lines
    for line in lines[:3]:
        assert re.fullmatch(r"Process is still running\.\.\. \w{3} \w{3} [ \d]\d [\d:]{8} \d{4}", line)
    assert lines[3] == "after closing its stdin: poll() returned 0"
