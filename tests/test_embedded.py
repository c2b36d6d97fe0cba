"""The embedded FalkorDB server: lifecycle, persistence, sharing, clear errors."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kg import api
from kg.config import Settings
from kg.errors import StoreError
from kg.store import embedded, open_store

from .conftest import FIXTURES

SMALL = FIXTURES / "records" / "small.jsonl"


def kg(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KG_HOME": str(home), "KG_STORE": "embedded"}
    return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_data_survives_stop_and_start(tmp_path):
    home = tmp_path / "home"
    store = open_store(Settings(home=home))
    api.import_records(store, [SMALL])
    before = store.stats()
    store.close()
    assert embedded.stop(home) is True
    assert embedded.status(home) is None
    assert (home / "data" / "dump.rdb").exists()
    store = open_store(Settings(home=home))
    try:
        assert store.stats() == before
    finally:
        store.close()
        embedded.stop(home)


def test_server_is_loopback_only_and_password_protected(tmp_path):
    home = tmp_path / "home"
    info = embedded.start(home)
    try:
        import redis
        with pytest.raises(redis.exceptions.AuthenticationError):
            redis.Redis(host="127.0.0.1", port=info.port).ping()
        assert oct((home / "server.json").stat().st_mode & 0o777) == "0o600"
        # only the RESP port, on loopback: FalkorDB's Bolt port is never configured
        out = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout \
            if shutil_which("ss") else ""
        for line in out.splitlines():
            if f"pid={info.pid}," in line:
                assert "127.0.0.1:" in line, line
    finally:
        embedded.stop(home)


def shutil_which(name: str) -> str | None:
    import shutil
    return shutil.which(name)


def test_concurrent_commands_share_one_server(tmp_path):
    home = tmp_path / "home"
    procs = [subprocess.Popen([sys.executable, "-m", "kg", "store", "start"],
                              stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "KG_HOME": str(home)}) for _ in range(3)]
    outs = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    try:
        assert len({o["pid"] for o in outs}) == 1
        assert len({o["port"] for o in outs}) == 1
    finally:
        embedded.stop(home)


def test_store_cli_start_status_stop(tmp_path):
    home = tmp_path / "home"
    r = kg(home, "store", "status")
    assert r.returncode == 3 and json.loads(r.stdout)["status"] == "not running"
    r = kg(home, "store", "start")
    assert r.returncode == 0 and json.loads(r.stdout)["status"] == "running"
    r = kg(home, "store", "status")
    assert r.returncode == 0 and json.loads(r.stdout)["status"] == "running"
    r = kg(home, "store", "stop")
    assert r.returncode == 0 and json.loads(r.stdout)["status"] == "stopped"
    assert embedded.status(home) is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere; permissions are not enforced")
def test_unwritable_home_is_a_clear_error(tmp_path):
    home = tmp_path / "ro"
    home.mkdir()
    home.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="not writable"):
            embedded.start(home / "sub")
    finally:
        home.chmod(0o700)


def test_home_that_is_a_file_is_a_clear_error(tmp_path):
    home = tmp_path / "file"
    home.write_text("not a directory")
    with pytest.raises(StoreError, match="not writable"):
        embedded.start(home)
    r = kg(home, "stats")
    assert r.returncode == 2
    assert "is a file" in r.stderr and "Traceback" not in r.stderr


def test_server_that_cannot_start_shows_the_log_tail(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    # a corrupt RDB makes redis-server refuse to start: the error must show its log
    (home / "data").mkdir()
    (home / "data" / "dump.rdb").write_bytes(b"REDIS0011garbage-not-an-rdb")
    with pytest.raises(StoreError) as err:
        embedded.start(home, timeout=20)
    msg = str(err.value)
    assert "log tail" in msg
    assert "RDB" in msg or "rdb" in msg


def test_port_in_use_is_not_reused(tmp_path):
    # The free-port pick never returns a port that something is listening on.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        assert all(embedded._free_port() != taken for _ in range(20))
