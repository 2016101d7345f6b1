"""hashable.py: only the class with both __hash__ and __eq__ finds an equal key."""


def test_only_hash_and_eq_together_find_the_key(run):
    r = run("hashable", "hashable")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "Person('Alice', 20) in d:  False\n"
        "Person2('Alice', 20) in d2:  False\n"
        "Person3('Alice', 20) in d3:  True\n"
    )
