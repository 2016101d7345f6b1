"""attrs_define.py: attrs' repr and ==, then object's; attrs' slots."""
import re


def test_attrs_writes_repr_and_eq(run):
    r = run("derive", "attrs_define")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[1] == "Person(name='Alice', age=30, email='alice@example.com')"
    assert re.fullmatch(r"<__main__\.Person2 object at 0x[0-9a-f]+>", lines[3]), lines
    assert lines[4] == "equal fields, == : Person True, Person2 False"
    assert lines[5].startswith("a new attribute: Person2 takes it, Person refuses it: AttributeError: "), lines
