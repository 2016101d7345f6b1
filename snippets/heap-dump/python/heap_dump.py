# Note 5, as the seed did it: a running, unmodified Python process (the
# seed's one-liner, which appends numbers to a list), and from outside it,
# guppy's heap table, printed by code that is made to run inside it.
#
# The seed attached with `pyrasite-shell <pid>`. pyrasite is a thin wrapper
# over gdb: gdb attaches with ptrace, and calls three functions of the
# interpreter inside the stopped process, PyGILState_Ensure(),
# PyRun_SimpleString("...") and PyGILState_Release(). pyrasite 2.0 (its last
# release, 2012) calls them without a cast, which gdb refuses for a function
# without debug information (the third line of the output shows what this
# gdb says); this program makes the same three calls, with the casts.
#
# Where the seed slept a second per number and looked for the pid with
# `ps aux | grep`, the target here prints its numbers at once and then waits
# on its stdin, so it is still running when the attacher comes; the
# attacher reads up to the last number, injects, reads the table between
# two marker lines, and closes the target's stdin, which ends it.
import os
import re
import subprocess
import sys
import tempfile

SEED = "import sys; l=[]; [print(i) or l.append(i) for i in range(1000)]; sys.stdin.readline()"
# What runs inside the target: the seed's `from guppy import hpy; h=hpy();
# h.heap()`, printed to the target's stdout between two marker lines.
# ANCHOR: payload
PAYLOAD = """
from guppy import hpy
print("--- heap of the target, from inside it ---")
h = hpy()
print(h.heap())
print(f"the target's list l: {len(l)} items")
print("--- end of heap ---", flush=True)
"""
# ANCHOR_END: payload


def check(ok, what):
    if not ok:
        sys.exit(f"heap_dump: behaviour not seen: {what}")


# ANCHOR: facts
def ptrace_facts():
    """What decides whether gdb, which is not an ancestor of the target,
    may attach: our user, CAP_SYS_PTRACE (capability 19), Yama."""
    with open("/proc/self/status") as f:
        status = dict(line.split(":", 1) for line in f)
    cap_eff = int(status["CapEff"].strip(), 16)
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope") as f:
            yama = f.read().strip()
    except FileNotFoundError:
        yama = "absent (no Yama LSM)"
    has = "yes" if cap_eff & (1 << 19) else "no"
    return (f"ptrace: attacher uid {status['Uid'].split()[0]}, CAP_SYS_PTRACE {has};"
            f" Yama ptrace_scope: {yama}")
# ANCHOR_END: facts


# ANCHOR: gdb
def gdb(pid, *calls, strace=None):
    """gdb attached to pid, making `calls` in it, then detaching. Returns
    the value lines gdb prints ($1 = ...) and its messages. With `strace`
    (a file), gdb runs under strace, which writes gdb's ptrace calls there."""
    command = ["gdb", "-p", str(pid), "-batch", "-nx"]
    for call in calls:
        command += ["-ex", f"call {call}"]
    if strace:  # not -f: a tracer of gdb's helpers would stop gdb's own ptrace
        command = ["strace", "-qq", "-o", strace, "-e", "trace=ptrace,wait4",
                   "-e", "signal=none", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    values = [line for line in done.stdout.splitlines() if line.startswith("$")]
    return values, done.stderr.splitlines()


def inject(pid, path, strace=None):
    """pyrasite's three calls, with the return types gdb needs."""
    code = f'exec(open(\\"{path}\\").read())'
    return gdb(pid,
               "(int) PyGILState_Ensure()",
               f'(int) PyRun_SimpleString("{code}")',
               "(void) PyGILState_Release($1)",
               strace=strace)
# ANCHOR_END: gdb


# ANCHOR: condensed
MILESTONES = {"PTRACE_ATTACH", "PTRACE_SEIZE", "PTRACE_CONT", "PTRACE_DETACH"}


def condensed(trace, pid):
    """gdb's ptrace and wait4 calls on the target, the pid written as
    `target`: attach, continue and detach as they come, each wait4 with the
    stop it reports, and the requests in between (registers, signal info)
    counted by name."""
    out, between = [], {}

    def flush():
        if between:
            counts = ", ".join(f"{name.removeprefix('PTRACE_')} ×{n}" for name, n in between.items())
            out.append(f"  … {counts}")
            between.clear()

    for line in trace.splitlines():
        call = re.match(r"ptrace\((PTRACE_\w+), (\d+)", line)
        wait = re.match(r"wait4\(-?\d+, \[\{(.*)\}\], .*\) = (\d+)$", line)
        if call and int(call[2]) == pid:
            if call[1] in MILESTONES:
                flush()
                out.append(f"ptrace({call[1]}, target, …) = 0")
            else:
                between[call[1]] = between.get(call[1], 0) + 1
        elif wait and int(wait[2]) == pid:
            flush()
            out.append(f"wait4(…) = target: {wait[1]}")
    flush()
    return out
# ANCHOR_END: condensed


trace_gdb = "--trace-gdb" in sys.argv[1:]

# ANCHOR: target
target = subprocess.Popen([sys.executable, "-c", SEED], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)
try:
    numbers = 0
    for line in target.stdout:
        numbers += 1
        if line.strip() == "999":
            break
    print(f"target: pid {target.pid}, printed 0 to 999 ({numbers} lines), now waiting on its stdin")
    check(numbers == 1000, "the target prints its thousand numbers")
    # ANCHOR_END: target
    print(ptrace_facts())

    # ANCHOR: attach
    _, said = gdb(target.pid, "Py_IsInitialized()")
    print(f"gdb, a call without a cast, as pyrasite makes it: {said[-1] if said else 'no message'}")
    with tempfile.TemporaryDirectory() as tmp:
        payload = os.path.join(tmp, "payload.py")
        with open(payload, "w") as f:
            f.write(PAYLOAD)
        strace = os.path.join(tmp, "trace") if trace_gdb else None
        values, _ = inject(target.pid, payload, strace=strace)
        print(f"gdb, the three calls with casts: {', '.join(values)}")
        if trace_gdb:
            with open(strace) as f:
                calls = condensed(f.read(), target.pid)
            print("gdb's ptrace and wait4 calls on the target:")
            print("\n".join(calls))
            check(calls[0] == "ptrace(PTRACE_ATTACH, target, …) = 0"
                  and calls[-1] == "ptrace(PTRACE_DETACH, target, …) = 0",
                  "gdb attaches first and detaches last")
    check(len(values) == 2 and values[1] == "$2 = 0", "PyRun_SimpleString returns 0")
    table = []
    for line in target.stdout:
        table.append(line.rstrip("\n"))
        if line.startswith("--- end of heap ---"):
            break
    if not trace_gdb:
        print("\n".join(table))
    # ANCHOR_END: attach
    check(table[1].startswith("Partition of a set of "), "guppy's partition table")
    check("the target's list l: 1000 items" in table, "the payload ran in the target's __main__")
finally:
    target.stdin.close()  # the target's readline() returns: it exits
    target.wait()
print(f"target: stdin closed, exited with {target.returncode}")
check(target.returncode == 0, "the target ends normally after the visit")
