"""Shared by the tests in snippets/*/python/: run a note's program the way the
book's build does (`python3 snippets/...` from the workspace root, with the
venv's bin/ first on PATH, unbuffered), with a timeout, and hand back what it
printed."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Generous: the programs sync with pipes and pidfds, never with sleeps, so a
# loaded machine slows them down but cannot make them wrong.
TIMEOUT = 60


def run_program(slug, name, *args, flags=()):
    """Runs snippets/<slug>/python/<name>.py (with interpreter `flags`);
    stdout and stderr are kept apart here (the book shows them merged)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)
    # `python3` found on PATH, as the header of the book's block says; with
    # `env` given, subprocess looks the program up on env's PATH.
    venv_bin = os.path.dirname(sys.executable)
    env["PATH"] = os.pathsep.join([venv_bin, env.get("PATH", os.defpath)])
    return subprocess.run(
        ["python3", *flags, f"snippets/{slug}/python/{name}.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


@pytest.fixture
def run():
    return run_program
