# In production, the process group note's last question from Python: a
# child that should die with its parent. The usual recipe asks the kernel
# for a signal when the parent dies, PR_SET_PDEATHSIG through ctypes, set
# in preexec_fn, between fork and exec. Started from the main thread it
# works; started from a worker thread, the child is killed as soon as that
# thread returns, though the parent process runs on.
#
# No sleeps: the program waits for the thread's child to die (wait()), and
# ends the other child by closing its stdin.
import ctypes
import signal
import subprocess
import sys
import threading

PR_SET_PDEATHSIG = 1
libc = ctypes.CDLL(None, use_errno=True)


def check(ok, what):
    if not ok:
        sys.exit(f"pdeathsig: behaviour not seen: {what}")


# ANCHOR: recipe
def die_with_parent():
    """preexec_fn: runs in the child, after fork and before exec."""
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")


def start():
    return subprocess.Popen(["cat"], stdin=subprocess.PIPE,
                            preexec_fn=die_with_parent)
# ANCHOR_END: recipe


# ANCHOR: threads
x = start()
print("[parent] child X: started from the main thread")
started = []
worker = threading.Thread(target=lambda: started.append(start()))
worker.start()
worker.join()
y = started[0]
print("[parent] child Y: started from a worker thread, which has returned")

y.wait()  # returns once Y has died
print(f"[parent] child Y: returncode {y.returncode}, "
      f"{signal.Signals(-y.returncode).name if y.returncode < 0 else 'no signal'}")
check(y.returncode == -signal.SIGTERM, "Y dies with the thread that started it")
print(f"[parent] child X: poll() is {x.poll()}: still running")
check(x.poll() is None, "X lives as long as this process")

x.stdin.close()  # cat reads end of file and exits
print(f"[parent] child X: stdin closed, returncode {x.wait()}")
# ANCHOR_END: threads
