"""change_proc_title.py: ps shows the title, comm is cut to 15 bytes, cmdline is whole."""
import re


def test_comm_is_cut_to_15_bytes_and_cmdline_is_whole(run):
    r = run("process-title", "change_proc_title")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["USER", "PID", "STAT", "COMMAND", "COMMAND"], lines
    # ps: comm column, then args column
    assert re.search(r"\d+ \S+ +my_python_proce +my_python_process$", lines[1]), lines
    assert re.fullmatch(r"/proc/\d+/comm:    'my_python_proce' \(15 bytes\)", lines[2]), lines
    assert re.fullmatch(
        r"/proc/\d+/cmdline: b'my_python_process\\x00\\x00\\x00'\.\.\. \(NULs to the old end\)",
        lines[3],
    ), lines
