"""access_attr.py prints the seed's four cases, hook by hook."""

SEED = """\
Case 1: e.existing which is exist in __dict__
__getattribute__ called with: existing
I exist
--------------------------------------------------
Case 2: e.dynamic which is not exist in __dict__, but can be handled by __getattr__
__getattribute__ called with: dynamic
__getattr__ called with: dynamic
I am dynamic!
--------------------------------------------------
Case 3: getattr existing attribute
__getattribute__ called with: existing
I exist
--------------------------------------------------
Case 4: getattr non-existent attribute
__getattribute__ called with: non_existent
__getattr__ called with: non_existent
__getattribute__ called with: __class__
default value
"""


def test_the_four_cases_match_the_seed(run):
    r = run("method-lookup", "access_attr")
    assert r.returncode == 0, r.stderr
    assert r.stdout == SEED
