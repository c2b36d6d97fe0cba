"""Records validated in a worker process, so a large JSON Lines file is read on two cores.

Reading a records file is Python work (about 20 µs a line: JSON, then pydantic), and so is what a
load does with each record (identity, spill, batch encoding), in the same process: a load into an
empty graph kept one core busy while the store, writing with GRAPH.BULK, waited for it. For a
large file the loading process now reads the first lines itself while a worker process starts,
and the worker validates the rest and sends the records back in order, pickled (unpickling a
record costs a fifth of validating it), with each bad line's errors where the line is. What the
caller sees is what reading the file alone gives: the same records, the same errors in the same
order, the same exceptions (docs/architecture.md, "Reading a large records file").

The worker is this interpreter started afresh (no fork of a process holding threads and
sockets); it stops when the reader closes, and on its own when the reader's end of the pipe goes.
"""

from __future__ import annotations

import contextlib
import gc
import pickle
import signal
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO, Any, NoReturn

from .errors import DataError, ErrorLog, KGError, ValidationErrors, collecting, record_error
from .machine import cyclic_gc_paused, usable_cores

MIN_BYTES = 8 * 2**20
"""Files smaller than this are read in one process: a worker takes about 0.3 s to start."""
HEAD_LINES = 15_000
"""Lines the loading process reads itself while the worker starts (about 0.3 s of reading)."""
FRAME_ITEMS = 1_000
"""Records (and errors) per message from the worker."""
GC_EVERY_ERRORS = 1_000
"""Bad lines between two collections in the worker (its collector is otherwise off)."""
PIPE_BYTES = 1 << 20
"""The pipe's buffer (Linux; 64 KiB by default): the worker runs a few messages ahead."""

ErrorPayload = list[tuple[str, str | None, int | None, str | None]]


def worth_a_worker(path: Path) -> bool:
    if usable_cores() < 2:
        return False
    try:
        return path.stat().st_size >= MIN_BYTES
    except OSError:
        return False


def _payload(exc: DataError) -> ErrorPayload:
    errors = exc.errors if isinstance(exc, ValidationErrors) else [exc]
    return [(e.detail, e.file, e.line, e.field) for e in errors]


def _error(payload: ErrorPayload) -> DataError:
    errors = [DataError(detail, file=file, line=line, field=field)
              for detail, file, line, field in payload]
    return errors[0] if len(errors) == 1 else ValidationErrors(errors)


# -- the worker's side ---------------------------------------------------------------------------

class _Forward(ErrorLog):
    """Each bad line's errors into the message being built, where the line is (no limit: the
    reader stops the worker when its own limit is reached)."""

    def __init__(self, frame: list[Any]) -> None:
        super().__init__(1)
        self.frame = frame
        self.count = 0

    def add(self, exc: DataError) -> None:
        self.frame.append(("error", _payload(exc)))
        self.count += 1
        if self.count % GC_EVERY_ERRORS == 0:
            gc.collect()        # an error's traceback and frames form cycles; the collector is off


def serve(records: Generator[tuple[Any, str, int], None, bool], out: IO[bytes]) -> None:
    """Send `records` (and the errors recorded while they are read) to the reader: messages of
    `(record, line)` items, then `("end", seen)`, or `("raise", error)` / `("fail", traceback)`."""
    frame: list[Any] = []

    def send() -> None:
        data = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(len(data).to_bytes(8, "little"))
        out.write(data)
        out.flush()
        frame.clear()

    with collecting(log=_Forward(frame)):
        try:
            while True:
                try:
                    record, _name, line = next(records)
                except StopIteration as stop:
                    frame.append(("end", bool(stop.value)))
                    break
                frame.append((record, line))
                if len(frame) >= FRAME_ITEMS:
                    send()
        except DataError as exc:
            frame.append(("raise", _payload(exc)))
        except Exception:
            frame.append(("fail", traceback.format_exc()))
    send()


def run_worker(records: Generator[tuple[Any, str, int], None, bool]) -> None:
    """The worker process's whole work: `records` to the reader through standard output."""
    # The reader handles Ctrl-C and stops the worker; a reader that dies closes the pipe, and the
    # next send ends the worker (BrokenPipeError).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Records and messages hold no reference cycles: the collector would only walk them. What
    # the imports made is set aside, so the collections after errors (_Forward) are short.
    gc.freeze()
    with cyclic_gc_paused(), contextlib.suppress(BrokenPipeError):
        serve(records, sys.stdout.buffer)


# -- the reader's side ---------------------------------------------------------------------------

class Worker:
    """A worker process reading `path` from line `start` on: `entry` ("module:function") is
    called with `[path, start]` and calls `run_worker`. A context manager that stops it."""

    def __init__(self, path: Path, start: int, entry: str) -> None:
        self.name = str(path)
        self.stderr = tempfile.TemporaryFile()     # noqa: SIM115 (closed by close())
        module, function = entry.split(":")
        code = f"import sys; from {module} import {function}; {function}(sys.argv[1:])"
        self.process = subprocess.Popen([sys.executable, "-c", code, self.name, str(start)],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=self.stderr)
        assert self.process.stdout is not None
        self.pipe = self.process.stdout
        with contextlib.suppress(ImportError, AttributeError, OSError):  # Linux only: a larger buffer
            import fcntl
            fcntl.fcntl(self.pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.pipe.close()
        self.stderr.close()

    def _messages(self) -> Iterator[list[Any]]:
        while True:
            head = self.pipe.read(8)
            if len(head) < 8:
                self._stopped()
            size = int.from_bytes(head, "little")
            data = self.pipe.read(size)
            if len(data) < size:
                self._stopped()
            yield pickle.loads(data)

    def _stopped(self) -> NoReturn:
        code = self.process.wait()
        self.stderr.seek(0)
        said = self.stderr.read().decode("utf-8", "replace").strip()[-2000:]
        raise KGError(f"{self.name}: the worker process validating this file stopped (exit "
                      f"code {code}) before the end of the file" + (f":\n{said}" if said else ""))

    def records(self) -> Generator[tuple[Any, str, int], None, bool]:
        """The worker's records as `(record, file, line)`, its errors recorded in their place;
        returns whether any of its lines was not blank."""
        name = self.name
        for message in self._messages():
            for first, second in message:
                if type(first) is str:
                    if first == "error":
                        record_error(_error(second))
                    elif first == "end":
                        return bool(second)
                    elif first == "raise":
                        raise _error(second)
                    else:
                        raise KGError(f"{name}: the worker process validating this file "
                                      f"failed:\n{second}")
                else:
                    yield first, name, second
        raise AssertionError("unreachable: a worker's messages end with one that returns or raises")
