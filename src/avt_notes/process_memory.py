"""How the process allocates: fewer glibc malloc arenas, so freed memory is reused.

glibc gives each thread that allocates concurrently an arena of its own (up to eight
per core) and returns little of it to the system. ASR, diarisation, the drafter and
the web server each run threads, so a long live session kept about 0.7 GB of freed
memory resident (benchmarks/live.py, 10 minutes: peak 3.70 GB with glibc's default,
3.01 GB with two arenas, at the same speed). Called once, first thing in a process,
before any thread allocates.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

logger = logging.getLogger(__name__)

_M_ARENA_MAX = -8  # from glibc's malloc.h


def limit_malloc_arenas(count: int) -> bool:
    """Cap glibc's malloc arenas at `count` (0 leaves glibc's default); True if set."""
    if count <= 0:
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        done = bool(libc.mallopt(_M_ARENA_MAX, count))
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to cap
        return False
    if not done:
        logger.info("malloc arenas not capped: mallopt refused %d", count)
    return done
