"""set_update.py: the set keeps alice1; a dict keeps its key but takes the new value."""


def test_update_keeps_the_original(run):
    r = run("set-update", "set_update")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "alice1 == alice2: True, alice1 is alice2: False\n"
        "after s.update([alice2]): len(s) = 1, id(l[0]) == id1: True, id(l[0]) == id2: False\n"
        "dict: d[alice2] = 'second' keeps key alice1: True, value 'second'\n"
    )


def test_it_also_holds_without_asserts(run):
    # python -O drops the seed's asserts; the program's own checks remain.
    r = run("set-update", "set_update", flags=["-O"])
    assert r.returncode == 0, r.stderr
    assert "len(s) = 1" in r.stdout
