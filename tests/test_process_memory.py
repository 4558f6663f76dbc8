"""The malloc arena cap: set through glibc in a fresh process, off when asked."""

from __future__ import annotations

import subprocess
import sys

from avt_notes.process_memory import limit_malloc_arenas


def test_zero_leaves_glibc_alone():
    assert limit_malloc_arenas(0) is False


def test_the_cap_is_taken_in_a_fresh_process():
    # A fresh interpreter, as the CLI starts: glibc accepts the cap (this suite runs on
    # Debian's glibc; a libc without mallopt answers False and the test says so).
    code = "from avt_notes.process_memory import limit_malloc_arenas as f; print(f(2))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
