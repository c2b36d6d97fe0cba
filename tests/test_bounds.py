"""Bounded fetches, the one redactor, and scratch folders that never outlive their load."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kg.scratch import reclaim, scratch_dir
from kg.sources import FetchError, download, redact

from .loopback import Answer, loopback


def test_download_size_cap_is_final_and_leaves_nothing(tmp_path):
    with loopback() as lb:
        lb.route("/big.csv", Answer(200, b"x" * 10_000))
        with pytest.raises(FetchError, match="more than the 1,000-byte limit"):
            download(f"{lb.url}/big.csv", tmp_path / "big.csv", max_bytes=1000, backoff=0)
        assert len(lb.hits("/big.csv")) == 1          # not retried: it would only be as big again
    assert list(tmp_path.iterdir()) == []


def _drip_server(stop: threading.Event) -> tuple[socket.socket, int]:
    """Answers with a 1000-byte Content-Length, then one byte every 0.2 s (never idle long
    enough to trip a socket timeout)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            try:
                while not stop.is_set():
                    conn.sendall(b"x")
                    time.sleep(0.2)
            except OSError:
                pass
            finally:
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return srv, srv.getsockname()[1]


def test_download_overall_deadline_cuts_a_drip(tmp_path):
    stop = threading.Event()
    srv, port = _drip_server(stop)
    try:
        started = time.monotonic()
        with pytest.raises(FetchError, match="deadline"):
            download(f"http://127.0.0.1:{port}/drip", tmp_path / "drip.csv", timeout=5, retries=3,
                     backoff=0.1, deadline=2.0)
        assert time.monotonic() - started < 6
    finally:
        stop.set()
        srv.close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text, secret", [
    ("https://api.example.org/data?key=abc:def:ghi&year=2024", "def:ghi"),
    ("https://api.example.org/data?year=2024&subscription-key=s3cr3t%3Atail", "tail"),
    ("failed: https://host/x?token=tok:en and retried", "en and"),
    ("https://user:pa:ss@host/path", "pa:ss"),
    ("https://host/x?API_KEY=upper:case", "case"),
])
def test_redactor_masks_whole_values(text, secret):
    shown = redact(text)
    assert secret not in shown and "***" in shown


def test_loaders_use_the_one_redactor():
    from loaders import _http
    assert _http.redact is redact


def test_killed_load_scratch_is_reclaimed_by_the_next(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time, tempfile; tempfile.tempdir = " + repr(str(tmp_path)) +
         "\nfrom kg.scratch import scratch_dir\nwith scratch_dir('kg-load-') as d:\n"
         "    (d / 'rows.jsonl').write_text('x')\n    print(d, flush=True)\n    time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    left = Path(holder.stdout.readline().strip())
    assert left.is_dir()
    assert reclaim("kg-load-", tmp_path) == 0 and left.is_dir()      # its load still runs
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert left.is_dir()                                             # kill -9: nothing cleaned
    with scratch_dir("kg-load-") as mine:                            # the next load reclaims it
        assert not left.exists() and mine.is_dir()
    assert not mine.exists()


def test_a_parallel_reclaim_never_removes_the_folder_of_a_starting_load(tmp_path, monkeypatch):
    # another load's reclaim() runs at the worst instant: just before this load takes its lock
    import fcntl
    import tempfile
    import types

    from kg import scratch
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    reclaimed: list[int] = []

    def flock(fd: int, op: int) -> None:
        if op == fcntl.LOCK_EX:
            reclaimed.append(reclaim("kg-load-", tmp_path))
        fcntl.flock(fd, op)

    monkeypatch.setattr(scratch, "fcntl", types.SimpleNamespace(
        flock=flock, LOCK_EX=fcntl.LOCK_EX, LOCK_NB=fcntl.LOCK_NB))
    with scratch_dir("kg-load-") as mine:
        assert reclaimed == [0] and mine.is_dir()
        (mine / "0.rows").write_text("x")                    # the load's spill still works
        assert reclaim("kg-load-", tmp_path) == 0 and mine.is_dir()
    assert not mine.exists()


def test_sigterm_during_import_removes_scratch_and_stage(tmp_path):
    from .test_faults import big_file
    home = tmp_path / "home"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    path = big_file(tmp_path / "big.jsonl", 20000)
    env = {**os.environ, "KG_HOME": str(home), "TMPDIR": str(scratch)}
    proc = subprocess.Popen([sys.executable, "-m", "kg", "import", str(path)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not any(scratch.glob("kg-load-*")):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM and "Traceback" not in err
    assert list(scratch.glob("kg-load-*")) == []
    from kg.store import embedded
    try:
        from kg.config import Settings
        from kg.store import open_store
        store = open_store(Settings(home=home))
        assert "kg__stage" not in store.db.list_graphs()
        store.close()
    finally:
        embedded.stop(home, force=True)
