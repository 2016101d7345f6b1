"""access_non_exist_attr.py: the RecursionError in __del__ is reported and ignored."""


def test_recursion_error_in_del_is_ignored(run):
    r = run("drop-recursion", "access_non_exist_attr")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "hello world",
        "{'hello': 'hello', 'world': 'world'}",
        "Call __del__",
        "after del: exceptions ignored in __del__: ['RecursionError']",
    ]
    err = r.stderr.splitlines()
    assert err[0].startswith("Exception ignored in: <function MyClass.__del__ at 0x"), err
    assert "    self.hello" in err
    assert any(line.startswith("  [Previous line repeated ") for line in err), err
    assert err[-1].startswith("RecursionError: maximum recursion depth exceeded"), err
