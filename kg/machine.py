"""Facts about the machine the tool runs on, and how this process uses it."""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections.abc import Iterator


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS has one), at least 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores or 1


_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextlib.contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cycle collector paused while many short-lived objects without reference cycles
    are made: a store's reply parsed and decoded, a load's records.

    Each allocation burst triggers a collection that walks every live container, so the work
    grew faster than its input. A reply of 7,292 rows took 108 ms to parse with the collector
    and 63 ms without (72,920 rows: 1,244 and 640 ms), and `concentration` grew 1.13× faster
    than the graph from 100k to 1M relationships; a 100k-relationship `kg import` into an empty
    graph took 4.0 s with it and 3.5 s without (docs/architecture.md). What these make holds no
    cycles, so nothing is left for the collector. Threads (an export's read-ahead) share the
    pause: the collector runs again when the last one leaves. Also a decorator."""
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()
