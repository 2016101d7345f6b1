"""os_direct_example.py: an aligned O_DIRECT read works, one byte more is EINVAL."""
import re


def test_the_aligned_read(run):
    r = run("o-direct", "os_direct_example")
    assert r.returncode == 0, r.stderr
    size, read = r.stdout.splitlines()
    block = int(re.fullmatch(r"Logical block size: (\d+)", size)[1])
    assert read == f"Read {2 * block} bytes: b'Hello, World!Hello, '"


def test_one_byte_more_is_einval(run):
    r = run("o-direct", "os_direct_example", "--plus-one")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1] == "[Errno 22] Invalid argument"
