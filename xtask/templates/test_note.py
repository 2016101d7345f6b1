"""{python}.py must show what the {slug} chapter claims."""
import re


def test_shows_the_behaviour(run):
    r = run("{slug}", "{python}")
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"hello from pid \d+", r.stdout.strip()), r.stdout
