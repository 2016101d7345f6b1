"""heap_dump.py: guppy's table, taken from outside a running, unmodified Python process."""
import re


def test_a_heap_table_from_outside(run):
    r = run("heap-dump", "heap_dump")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert re.fullmatch(r"target: pid \d+, printed 0 to 999 \(1000 lines\), now waiting on its stdin",
                        lines[0]), lines
    assert lines[1].startswith("ptrace: attacher uid "), lines
    assert lines[3] == "gdb, the three calls with casts: $1 = 1, $2 = 0", lines
    assert lines[4] == "--- heap of the target, from inside it ---"
    assert re.fullmatch(r"Partition of a set of \d+ objects\. Total size = \d+ bytes\.", lines[5])
    assert lines[6].split() == ["Index", "Count", "%", "Size", "%", "Cumulative", "%", "Kind",
                                "(class", "/", "dict", "of", "class)"]
    kinds = [line.split(maxsplit=7)[7] for line in lines[7:17]]
    assert "str" in kinds and "tuple" in kinds, kinds
    assert "the target's list l: 1000 items" in lines
    assert lines[-1] == "target: stdin closed, exited with 0"
