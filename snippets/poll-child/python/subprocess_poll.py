# Note 13, as the seed ran it: Popen.poll() returns None while the child is
# running, and its exit status once it has exited. The seed's child ran for a
# while and the loop slept a second between polls; here the child is `cat`
# reading a pipe that this program holds open, so it is still running at each
# poll for certain, and it ends when the pipe is closed. A pidfd says when it
# has exited (poll(2) on it), without reaping it: poll() still has a status
# to collect.
import os
import select
import subprocess
import sys
import time


def check(ok, what):
    if not ok:
        sys.exit(f"subprocess_poll: behaviour not seen: {what}")


# ANCHOR: poll
process = subprocess.Popen(["cat"], stdin=subprocess.PIPE)
pidfd = os.pidfd_open(process.pid)
for _ in range(3):
    returncode = process.poll()
    check(returncode is None, "poll() is None while the child runs")
    print(f"Process is still running... {time.ctime()}")

process.stdin.close()  # EOF: cat exits
waiter = select.poll()
waiter.register(pidfd, select.POLLIN)
waiter.poll()  # readable once the child has exited; nothing is reaped yet
os.close(pidfd)
returncode = process.poll()
print(f"after closing its stdin: poll() returned {returncode!r}")
check(returncode == 0, "poll() returns the exit status once the child has exited")
# ANCHOR_END: poll
