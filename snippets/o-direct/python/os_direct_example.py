# Note 10, as the seed ran it: read a file with O_DIRECT into a buffer from
# mmap, which is page-aligned, as O_DIRECT's alignment rules want. With
# --plus-one, the seed's edit: a buffer one byte longer than two blocks, and
# the read fails with EINVAL. The file is made here (in the temp folder, on a
# disk file system: tmpfs would accept any length) and removed at the end.
import errno
import mmap
import os
import sys
import tempfile

plus_one = "--plus-one" in sys.argv[1:]

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "data")
    with open(path, "wb") as f:
        f.write(b"Hello, World!" * 1000)
        os.fsync(f.fileno())

    # ANCHOR: read
    block_size = os.statvfs(tmp).f_bsize
    print(f"Logical block size: {block_size}")
    buffer_size = block_size * 2  # e.g. 8192 bytes
    if plus_one:
        buffer_size = block_size * 2 + 1
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    buf = mmap.mmap(-1, buffer_size)  # anonymous, page-aligned memory
    try:
        n = os.readv(fd, [buf])
        print(f"Read {n} bytes: {buf[:20]}")
        result = n
    except OSError as e:
        print(e)
        result = e.errno
    finally:
        buf.close()
        os.close(fd)
    # ANCHOR_END: read

want = errno.EINVAL if plus_one else 2 * block_size
if result != want:
    sys.exit(
        f"os_direct_example: behaviour not seen: expected {'EINVAL' if plus_one else want}"
        f" (is {tempfile.gettempdir()} on tmpfs, which accepts any length?)"
    )
