"""One server per data folder, decided by the server's lifetime lock, never by a ping timeout."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.store import embedded


def kg(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "KG_HOME": str(home), "KG_STORE": "embedded"}
    return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def _block_main_thread(info: embedded.ServerInfo, rows: int) -> tuple[object, object]:
    """Queue a slow query in MULTI and send EXEC: the server's main thread is busy until done."""
    import redis
    client = redis.Redis(host="127.0.0.1", port=info.port, password=info.password,
                         socket_timeout=120)
    conn = client.connection_pool.get_connection()
    conn.send_command("MULTI")
    conn.read_response()
    conn.send_command("GRAPH.QUERY", "busy", f"UNWIND range(1, {rows}) AS x RETURN count(x)")
    assert conn.read_response() == b"QUEUED"
    conn.send_command("EXEC")
    return client, conn


@pytest.mark.slow
def test_busy_server_is_waited_for_not_replaced(home):
    info = embedded.start(home)
    client, conn = _block_main_thread(info, 25_000_000)   # ~4 s on an idle 2-core machine
    started = time.monotonic()
    r = kg(home, "stats")
    waited = time.monotonic() - started
    conn.read_response()
    busy = time.monotonic() - started
    assert busy > 2.0, f"the server was busy for only {busy:.1f}s: the test proves nothing"
    assert r.returncode == 0, r.stderr
    # the same server still serves the folder: no second one was started over it
    assert json.loads((home / "server.json").read_text())["pid"] == info.pid
    assert embedded.status(home) == info
    assert embedded._is_our_server(info, home)
    assert waited >= 1.0    # it waited for the busy server instead of replacing it
    client.close()


def test_stale_record_naming_other_programs_is_never_contacted(home):
    """A server.json left by a dead server whose pid and port now belong to other programs."""
    home.mkdir(parents=True)
    other = subprocess.Popen(["sleep", "60"])
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        squatter.settimeout(0)
        port = squatter.getsockname()[1]
        (home / "server.json").write_text(json.dumps(
            {"port": port, "password": "secret-pw", "pid": other.pid, "data_dir": str(home / "data")}))
        try:
            started = time.monotonic()
            r = kg(home, "store", "stop")
            assert r.returncode == 0 and json.loads(r.stdout)["status"] == "not running"
            assert time.monotonic() - started < 15
            r = kg(home, "store", "status")
            assert r.returncode == 3 and json.loads(r.stdout)["status"] == "not running"
            with pytest.raises(BlockingIOError):
                squatter.accept()                 # nothing connected to the other program's port
            assert other.poll() is None           # and its process was not signalled
            info = embedded.start(home)
            assert info.port != port and info.pid != other.pid
        finally:
            other.kill()
            other.wait()


def test_server_holds_its_lock_for_its_lifetime(home):
    info = embedded.start(home)
    assert embedded.server_running(home)
    os.kill(info.pid, 9)
    deadline = time.monotonic() + 10
    while embedded.server_running(home):           # the kernel drops the lock with the process
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert embedded.status(home) is None
    again = embedded.start(home)
    assert again.pid != info.pid


def _probe_in_flight(home: Path):
    """The lock as another command's server_running() holds it for an instant."""
    import fcntl
    home.mkdir(parents=True, exist_ok=True)
    fh = open(home / embedded.RUNNING_LOCK, "a+b")   # noqa: SIM115 - closed by the caller
    fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
    return fh


def test_two_probes_at_once_both_see_no_server(home):
    other = _probe_in_flight(home)
    try:
        assert embedded.server_running(home) is False
        assert embedded.status(home) is None
    finally:
        other.close()


def test_a_start_waits_out_another_commands_probe(home):
    import threading
    other = _probe_in_flight(home)
    threading.Timer(0.3, other.close).start()         # the probe ends while the start waits
    info = embedded.start(home)
    assert other.closed and embedded.server_running(home)
    assert embedded.status(home) == info


def test_data_folder_and_files_are_private(home):
    from kg import api
    from kg.config import Settings
    from kg.store import open_store
    from .conftest import FIXTURES
    home.mkdir(parents=True, mode=0o755)
    store = open_store(Settings(home=home))
    api.import_records(store, [FIXTURES / "records" / "small.jsonl"])
    store.close()
    embedded.stop(home)
    found = []
    for path in [home, *home.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        found.append(path.name)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
    assert "dump.rdb" in found and "falkordb.log" in found


def _servers_of(home: Path) -> list[int]:
    """redis-server processes started with this home's config or answering on its port."""
    found = []
    state = embedded.read_state(home)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"redis-server" in cmd and (str(home).encode() in cmd or
                                       (state and f":{state.port}".encode() in cmd)):
            found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.05, 0.2, 0.5])
def test_kill_9_during_start_leaves_no_orphan(home, delay):
    """A `kg` killed while it starts the server: the server it launched (if any) is found and
    used by the next command, never doubled."""
    env = {**os.environ, "KG_HOME": str(home), "KG_STORE": "embedded"}
    proc = subprocess.Popen([sys.executable, "-m", "kg", "store", "start"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not embedded.server_running(home) and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    time.sleep(delay)
    proc.kill()
    proc.wait()
    r = kg(home, "stats")
    assert r.returncode == 0, r.stderr
    r = kg(home, "store", "start")
    assert r.returncode == 0, r.stderr
    assert len(_servers_of(home)) == 1
    r = kg(home, "store", "stop")
    assert json.loads(r.stdout)["status"] == "stopped"
    assert _servers_of(home) == [] and not embedded.server_running(home)
