"""A large JSON Lines file is read by two processes (kg.records_worker): the loading process reads
the first lines while a worker validates the rest. What a caller sees must be what reading the
file in one process gives: the same records in the same order, the same errors at the same lines,
the same exceptions; and no worker outlives its reader."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import pytest

from kg import api, records_io, records_worker
from kg.errors import DataError, KGError, collecting

from .test_faults import SMALL, fingerprint

GOOD = [json.loads(line) for line in SMALL.read_text().splitlines()]
BAD = {
    # line number (1-based, in the file below) -> what is wrong, for the hand-made expectations
    4: "not JSON",
    7: "an unknown record type",
    9: "numbers where text is expected, in two fields",
    12: "not UTF-8",
}


def mixed_file(path: Path) -> Path:
    """The 13 records of the small fixture with bad lines and a blank line between them."""
    lines: list[bytes] = [json.dumps(r).encode() for r in GOOD]
    lines.insert(3, b'{"type": "Country", "id": ')                                   # line 4
    lines.insert(5, b"")                                                              # line 6
    lines.insert(6, json.dumps({"type": "Mine", "id": "mine:x"}).encode())            # line 7
    lines.insert(8, json.dumps({"type": "Country", "id": "country:FRA", "name": 5, "iso3": 7,
                                "source_ids": ["source:usgs-mcs-2025"]}).encode())  # line 9
    lines.insert(11, b'{"type": "Country", "name": "Caf\xe9"}')                        # line 12
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


class Spy(records_worker.Worker):
    started: ClassVar[list[records_worker.Worker]] = []

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        Spy.started.append(self)


@pytest.fixture
def worker(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every JSON Lines file read with a worker, from line `head + 1` on."""
    Spy.started = []
    monkeypatch.setattr(records_worker, "MIN_BYTES", 0)
    monkeypatch.setattr(records_worker, "usable_cores", lambda: 2)
    monkeypatch.setattr(records_io, "Worker", Spy)

    def head(lines: int) -> None:
        monkeypatch.setattr(records_io, "HEAD_LINES", lines)
    head(3)
    return head


def read(path: Path, limit: int = 100) -> tuple[list[tuple[str, str, int]], list[str], str | None]:
    """(records as (id or key, file, line), errors as text, the exception raised or None)."""
    out: list[tuple[str, str, int]] = []
    raised = None
    with collecting(limit) as log:
        try:
            for rec, file, line in records_io.read_paths([path]):
                out.append((repr(rec), file, line))
        except DataError as exc:
            raised = str(exc)
    return out, [str(e) for e in log.errors], raised


def alone(path: Path, limit: int = 100) -> tuple[list[tuple[str, str, int]], list[str], str | None]:
    """The same file read in one process."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(records_worker, "MIN_BYTES", 1 << 60)
        return read(path, limit)


@pytest.mark.parametrize("head", [0, 3, 5, 12, 100])
def test_a_file_read_with_a_worker_gives_what_reading_it_alone_gives(tmp_path: Path, worker: Any,
                                                                     head: int) -> None:
    path = mixed_file(tmp_path / "mixed.jsonl")
    worker(head)
    records, errors, raised = read(path)
    assert len(Spy.started) == 1 and Spy.started[0].process.returncode is not None
    assert raised is None
    # by hand: 13 good records on the lines that are not bad and not blank
    assert [line for _, _, line in records] == [n for n in range(1, 19) if n not in (*BAD, 6)]
    lines = [int(e.split(":")[1]) for e in errors]
    assert lines == [4, 7, 9, 9, 12]           # line 9 has two bad fields
    assert "not UTF-8" in errors[-1] and "invalid JSON" in errors[0]
    assert (records, errors, raised) == alone(path)


def test_the_error_limit_stops_reading_as_it_does_in_one_process(tmp_path: Path, worker: Any) -> None:
    path = tmp_path / "bad.jsonl"
    # one error a line: the source id is not one
    path.write_text("".join(json.dumps({"type": "Material", "id": f"material:x{i}", "name": "X",
                                        "source_ids": ["nope"]}) + "\n" for i in range(3000)))
    records, errors, raised = read(path, limit=5)
    assert records == [] and [int(e.split(":")[1]) for e in errors[:5]] == [1, 2, 3, 4, 5]
    assert raised is not None and "stopped" in raised.splitlines()[-1]
    assert (records, errors, raised) == alone(path, limit=5)
    assert Spy.started[0].process.returncode is not None          # the worker was stopped


def test_a_file_of_blank_lines_holds_no_records_either_way(tmp_path: Path, worker: Any) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_text("\n \n\n\n\n")
    assert read(path) == alone(path) == ([], [f"{path}: the file holds no records"], None)
    assert len(Spy.started) == 1


def test_an_error_that_stops_the_file_is_raised_as_in_one_process(tmp_path: Path, worker: Any) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as fh:
        for rec in GOOD[:5]:
            fh.write(json.dumps(rec).encode() + b"\n")
        fh.write(b'{"type": "Country", "notes": "' + b"x" * (records_io.MAX_LINE + 10) + b'"}\n')
    records, errors, raised = read(path)
    assert [line for _, _, line in records] == [1, 2, 3, 4, 5]
    assert errors == [f"{path}:6: line longer than 8 MiB; is this a records file?"]
    assert (records, errors, raised) == alone(path)


def test_a_worker_that_dies_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = mixed_file(tmp_path / "mixed.jsonl")
    # an entry that fails at once: the worker exits with its traceback and sends nothing
    with records_worker.Worker(path, 1, "os:_exit") as dead, pytest.raises(KGError) as exc:
        list(dead.records())
    assert str(exc.value).startswith(f"{path}: the worker process validating this file stopped "
                                     f"(exit code 1) before the end of the file")
    assert "TypeError" in str(exc.value)


def test_a_reader_that_stops_early_stops_its_worker(tmp_path: Path, worker: Any) -> None:
    path = mixed_file(tmp_path / "mixed.jsonl")
    lines = records_io.read_paths([path])
    next(lines)
    assert Spy.started[0].process.poll() is None
    lines.close()
    assert Spy.started[0].process.returncode is not None


def test_a_worker_whose_reader_is_killed_ends_on_its_own(tmp_path: Path) -> None:
    """kill -9 of the loading process: its worker finds the pipe closed and exits."""
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({**GOOD[1], "id": f"country:X{i}"}) + "\n"
                            for i in range(60_000)))
    script = ("import sys, time\n"
              "from pathlib import Path\n"
              "from kg.records_worker import Worker\n"
              "w = Worker(Path(sys.argv[1]), 1, 'kg.records_io:worker_main')\n"
              "print(w.process.pid, flush=True)\n"
              "time.sleep(600)\n")
    reader = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE,
                              text=True)
    assert reader.stdout is not None
    worker_pid = int(reader.stdout.readline())
    time.sleep(1.0)                      # the worker has filled the pipe and waits on it
    reader.kill()
    reader.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(worker_pid, 0)
            status = Path(f"/proc/{worker_pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            if status == "Z":
                break                    # exited; its parent is gone, init reaps it
        except (ProcessLookupError, FileNotFoundError):
            break
        time.sleep(0.1)
    else:
        os.kill(worker_pid, signal.SIGKILL)
        pytest.fail("the worker outlived its reader by 30 s")


def test_a_load_read_with_a_worker_writes_the_graph_a_load_read_alone_writes(
        tmp_path: Path, worker: Any, kg_home: Path) -> None:
    from kg.store import embedded
    from kg.store.falkordb import FalkorDBStore
    info = embedded.start(kg_home)
    worker(5)
    stores = [FalkorDBStore(info, kg_home, graph=f"worker_{os.getpid()}_{n}") for n in range(2)]
    try:
        api.import_records(stores[0], [SMALL])
        assert len(Spy.started) == 1
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(records_worker, "MIN_BYTES", 1 << 60)
            api.import_records(stores[1], [SMALL])
        assert len(Spy.started) == 1
        assert fingerprint(stores[0]) == fingerprint(stores[1])
        # by hand: 1 source, 3 countries, 2 materials
        assert stores[0].stats()["nodes"] == {"Country": 3, "Material": 2, "Source": 1}
    finally:
        for store in stores:
            if store._exists():
                store.graph.delete()
            store.close()
