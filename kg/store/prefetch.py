"""Read the next pages while the caller works on this one.

A whole-graph read (an export, `kg validate`) alternates between waiting for the server to run a
page's query and writing that page; on two cores the two can overlap. A thread runs the page
generator a few pages ahead (its socket waits release the GIL); the caller gets the rows in the
same order, and the generator's errors where it would have raised them.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

AHEAD = 2
"""Pages read ahead of the caller (memory: that many pages of rows)."""

_DONE = object()
T = TypeVar("T")


def read_ahead(items: Iterator[T], depth: int, name: str) -> Iterator[T]:
    """`items` in order, produced by a background thread up to `depth` items in advance; its
    errors raised where the caller would have met them. The thread runs in a copy of the caller's
    context (a load still validating reports its errors through a context variable)."""
    box: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:      # handed to the caller, raised where the read failed
            put(exc)
            return
        put(_DONE)

    worker = threading.Thread(target=contextvars.copy_context().run, args=(run,),
                              name=name, daemon=True)
    worker.start()
    try:
        while True:
            item = box.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()              # the caller stopped early (or is done): let the thread finish
        worker.join(timeout=5)


def prefetched(pages: Iterator[list[dict[str, Any]]], ahead: int = AHEAD) -> Iterator[dict[str, Any]]:
    """The rows of `pages`, its pages produced by a background thread `ahead` pages in advance."""
    for page in read_ahead(pages, ahead, "kg-prefetch"):
        yield from page


class Background:
    """`fn()` started in a thread of its own (in a copy of the caller's context): `wait` for it
    to end, `result` to re-raise what it raised."""

    def __init__(self, fn: Any, name: str) -> None:
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=contextvars.copy_context().run, args=(self._run, fn),
                                         name=name, daemon=True)
        self._thread.start()

    def _run(self, fn: Any) -> None:
        try:
            fn()
        except BaseException as exc:    # handed to the caller by result()
            self.error = exc

    def running_here(self) -> bool:
        return threading.current_thread() is self._thread

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> None:
        self.wait()
        if self.error is not None:
            raise self.error
