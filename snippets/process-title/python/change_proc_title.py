# Note 1, as the seed ran it: setproctitle() renames the process; `ps` shows
# the new name, and /proc/<pid>/comm keeps only its first 15 bytes (16 with
# the closing NUL). Where the seed ran `ps aux | grep` and `cat` from another
# shell, this program asks them itself, while it is still running.
import os
import subprocess
import sys

import setproctitle

TITLE = "my_python_process"


def check(ok, what):
    if not ok:
        sys.exit(f"change_proc_title: behaviour not seen: {what}")


# ANCHOR: title
setproctitle.setproctitle(TITLE)
pid = os.getpid()

ps = subprocess.run(  # the seed's `ps aux | grep`: fixed columns, fixed widths
    ["ps", "-o", "user:8,pid:8,stat,comm,args", "-q", str(pid)],
    capture_output=True, text=True, check=True,
).stdout
print(ps, end="")

with open(f"/proc/{pid}/comm") as f:
    comm = f.read().rstrip("\n")
with open(f"/proc/{pid}/cmdline", "rb") as f:
    cmdline = f.read()
print(f"/proc/{pid}/comm:    {comm!r} ({len(comm)} bytes)")
print(f"/proc/{pid}/cmdline: {cmdline[:len(TITLE) + 3]!r}... (NULs to the old end)")
# ANCHOR_END: title

check(comm == TITLE[:15], "comm holds the first 15 bytes of the title")
check(cmdline.rstrip(bytes(1)) == TITLE.encode(), "cmdline holds the whole title, then NULs")
check(TITLE in ps and TITLE[:15] in ps, "ps shows both names")
