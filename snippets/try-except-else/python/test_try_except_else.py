"""try_except_else.py: else only when try raised nothing; finally always."""


def test_else_runs_only_without_an_exception(run):
    r = run("try-except-else", "try_except_else")
    assert r.returncode == 0, r.stderr
    # The seed's expected output, then the program's own summary.
    assert r.stdout.splitlines() == [
        "Case 1: No exception raised in `try`",
        "try",
        "else",
        "Case 2: Exception raised in `try`",
        "except",
        "blocks that ran, finally included: ['try', 'else', 'finally', 'except', 'finally']",
    ]
