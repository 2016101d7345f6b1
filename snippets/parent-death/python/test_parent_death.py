"""pdeathsig.py: PR_SET_PDEATHSIG set in preexec_fn kills the child of a
worker thread as soon as the thread returns; the main thread's child lives."""


def test_the_thread_s_child_dies_with_the_thread(run):
    r = run("parent-death", "pdeathsig")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == [
        "[parent] child X: started from the main thread",
        "[parent] child Y: started from a worker thread, which has returned",
        "[parent] child Y: returncode -15, SIGTERM",
        "[parent] child X: poll() is None: still running",
        "[parent] child X: stdin closed, returncode 0",
    ]
