"""Attacks on the staged write path: after each one the graph is the old one or the new one, saved,
and the message says which (docs/guarantees.md)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kg import api
from kg.config import Settings
from kg.errors import StoreError
from kg.store import embedded, open_store
from kg.store.base import WriteStatement

from .conftest import write_jsonl
from .test_faults import SMALL, big_file, fingerprint

CLIENT = """
import os, signal, sys, time
from kg.store.staging import StagedWrite
phase, victim, home = sys.argv[1], sys.argv[2], sys.argv[3]

def hit(name):
    if name != phase:
        return
    if victim == "client":
        os.kill(os.getpid(), signal.SIGKILL)
    pid = int(__import__("json").load(open(os.path.join(home, "server.json")))["pid"])
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)

StagedWrite._phase = lambda self, name: hit(name)
sys.argv = ["kg", "import", sys.argv[4]]
from kg.cli import main
main()
"""


def _reopen(home: Path, *, save: bool):
    """Stop the server (saving or not) and open the store again: what is on disk."""
    embedded.stop(home, force=not save)
    return open_store(Settings(home=home))


@pytest.mark.slow
@pytest.mark.parametrize("victim, phase, outcome", [
    ("client", "staged", "old"), ("client", "written", "old"), ("client", "swapped", "new"),
    ("client", "saved", "new"),
    ("server", "staged", "old"), ("server", "written", "old"), ("server", "swapped", "old"),
])
def test_kill_9_at_each_phase(home, tmp_path, victim, phase, outcome):
    store = open_store(Settings(home=home))
    api.import_records(store, [SMALL])
    before = fingerprint(store)
    path = big_file(tmp_path / "big.jsonl", 2000)
    store.close()
    env = {**os.environ, "KG_HOME": str(home), "KG_STORE": "embedded"}
    r = subprocess.run([sys.executable, "-c", CLIENT, phase, victim, str(home), str(path)],
                       capture_output=True, text=True, env=env, timeout=300)
    assert "Traceback" not in r.stderr
    if victim == "client":
        assert r.returncode == -signal.SIGKILL
    else:
        assert r.returncode == 1
        said = ("graph left unchanged" if phase != "swapped"
                else "restarts from its last save, without this load")
        assert said in r.stderr, r.stderr
    # a client killed after the swap leaves the new graph live; the next save makes it durable.
    # A client killed after the save: durable even if the server then stops without saving.
    store = _reopen(home, save=(victim, phase) == ("client", "swapped"))
    after = fingerprint(store)
    if outcome == "old":
        assert after == before
    else:
        assert after != before and after[0]["nodes"]["Material"] == 2 + 2000
    # the next run succeeds and leaves no stage behind
    api.import_records(store, [SMALL])
    assert "kg__stage" not in store.db.list_graphs()
    store.close()


def test_poisoned_last_batch_changes_nothing_and_restarts_nothing(home):
    """A batch the server refuses, at the very end: the stage is dropped, the server keeps running."""
    store = open_store(Settings(home=home))
    api.import_records(store, [SMALL])
    before = fingerprint(store)
    pid = store.info.pid
    ok = WriteStatement("UNWIND $rows AS row CREATE (n:Country {id: row.id, name: 'Partial'})",
                        [[{"id": "country:AUS"}]] * 3, "Country", "node")
    bad = WriteStatement("UNWIND $rows AS row CREATE (n:Country {id: row.id, name: 1 / 0})",
                         [[{"id": "country:NOR"}]], "Country", "node")
    with pytest.raises(StoreError, match="graph left unchanged: the store refused a batch of Country"):
        store.write([ok, bad])
    assert fingerprint(store) == before
    assert store.info.pid == pid and embedded.status(home).pid == pid
    assert "kg__stage" not in store.db.list_graphs()
    store.close()


def test_every_load_swaps_in_a_rebuilt_copy_of_its_stage(home, monkeypatch):
    """Every stage is replaced by a copy of itself before the swap, the one written with
    GRAPH.BULK into an empty graph and the one written in batches into a copy of a filled graph
    (docs/guarantees.md, "Rebuilt before the swap"); a copy left by a client that died is dropped
    by the next write."""
    from kg.store import staging
    copies: list[tuple[str, str]] = []
    real = staging.StagedWrite._copy

    def spy(self, source, target, what, *, restart):
        copies.append((source, target))
        return real(self, source, target, what, restart=restart)

    monkeypatch.setattr(staging.StagedWrite, "_copy", spy)
    store = open_store(Settings(home=home))
    api.import_records(store, [SMALL])
    assert copies == [("kg__stage", "kg__stage__rebuilt")]
    before = fingerprint(store)
    store.db.select_graph("kg__stage__rebuilt").query("CREATE (:Leftover)")
    copies.clear()
    api.import_records(store, [SMALL])
    assert copies == [("kg", "kg__stage"), ("kg__stage", "kg__stage__rebuilt")]
    assert fingerprint(store) == before
    assert sorted(store.db.list_graphs()) == ["kg"]
    store.close()


def test_a_server_that_stops_answering_during_the_copy_is_restarted_from_its_last_save(
        home, tmp_path, monkeypatch):
    """FalkorDB's failed fork ("Can't fork for module" in its log) leaves the server answering no
    client, PING included. Stopped here with SIGSTOP at the copy: the write kills it, starts it
    again from its last save, copies there and goes on; nothing of the first load is lost."""
    from kg.store import staging
    store = open_store(Settings(home=home))
    api.import_records(store, [SMALL])
    first = {r["id"] for r in api.export_records(store) if "id" in r}
    monkeypatch.setattr(staging, "COPY_TIMEOUT_BASE", 2.0)
    monkeypatch.setattr(staging, "WEDGE_PROBE", 1.0)
    real_client, stopped = staging._client, []

    def client(info, timeout):
        c = real_client(info, timeout)
        execute = c.execute_command

        def stop_at_copy(*args, **kwargs):
            if args[0] == "GRAPH.COPY" and not stopped:
                os.kill(info.pid, signal.SIGSTOP)
                stopped.append(info.pid)
            return execute(*args, **kwargs)
        c.execute_command = stop_at_copy
        return c
    monkeypatch.setattr(staging, "_client", client)
    extra = write_jsonl(tmp_path / "extra.jsonl", [
        {"type": "Country", "id": "country:NOR", "name": "Norway", "iso3": "NOR",
         "source_ids": ["source:usgs-mcs-2025"]}])
    report = api.import_records(store, [extra])
    assert stopped, "the copy was never reached"
    assert report.nodes_created == 1
    assert not Path(f"/proc/{stopped[0]}").exists() or \
        Path(f"/proc/{stopped[0]}/stat").read_text().split()[2] == "Z"
    assert store.info.pid == embedded.status(home).pid != stopped[0]
    ids = {r["id"] for r in api.export_records(store) if "id" in r}
    assert ids == first | {"country:NOR"}
    store.close()
    reopened = _reopen(home, save=False)      # what is on disk: the second load was saved too
    assert {r["id"] for r in api.export_records(reopened) if "id" in r} == ids
    reopened.close()


def test_poisoned_last_row_is_refused_before_anything_is_written(home, tmp_path):
    store = open_store(Settings(home=home))
    api.import_records(store, [SMALL])
    before = fingerprint(store)
    path = big_file(tmp_path / "poison.jsonl", 3000)
    with path.open("a") as fh:
        fh.write(json.dumps({"type": "Material", "id": "material:poison", "name": "bad\u0000name",
                             "source_ids": ["source:usgs-mcs-2025"]}) + "\n")
    r = subprocess.run([sys.executable, "-m", "kg", "import", str(path)], capture_output=True,
                       text=True, env={**os.environ, "KG_HOME": str(home)}, timeout=300)
    assert r.returncode == 1
    assert f"{path}:6003: name: contains a NUL character" in r.stderr
    assert fingerprint(store) == before
    store.close()


@pytest.mark.slow
def test_long_load_with_concurrent_reader_and_stats(home, tmp_path):
    """A load of more than 5 s: a reader sees only the old or the new graph, `kg stats` answers
    while it runs, one server throughout, and the load exits 0 and is on disk."""
    store = open_store(Settings(home=home))
    api.import_records(store, [SMALL])
    pid = store.info.pid
    old_count = store.stats()["nodes"]["Material"]
    n = 60000                  # long enough to pass 5 s on an idle 2-core machine (4.5 s at 20,000)
    path = big_file(tmp_path / "big.jsonl", n)
    env = {**os.environ, "KG_HOME": str(home), "KG_STORE": "embedded"}
    seen: set[int] = set()
    slowest = [0.0]
    stop = threading.Event()

    def reader() -> None:
        from kg.store.falkordb import FalkorDBStore
        mine = FalkorDBStore(store.info, home)
        while not stop.is_set():
            t = time.monotonic()
            rows = mine.read("MATCH (m:Material) RETURN count(m) AS n")
            slowest[0] = max(slowest[0], time.monotonic() - t)
            seen.add(rows[0]["n"])
            time.sleep(0.01)
        mine.close()

    thread = threading.Thread(target=reader)
    thread.start()
    started = time.monotonic()
    load = subprocess.Popen([sys.executable, "-m", "kg", "import", str(path)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while "kg__stage" not in store.db.list_graphs():
        assert load.poll() is None, load.communicate()
        time.sleep(0.01)
    stats = subprocess.run([sys.executable, "-m", "kg", "stats", "--format", "json"],
                           capture_output=True, text=True, env=env, timeout=300)
    stats_during = load.poll() is None
    out, err = load.communicate(timeout=600)
    took = time.monotonic() - started
    stop.set()
    thread.join()
    assert load.returncode == 0, err
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["nodes"]["Material"] in (old_count, old_count + n)
    assert stats_during, "kg stats finished only after the load"
    assert took > 5, f"the load took {took:.1f}s: not the long write this test is about"
    assert seen <= {old_count, old_count + n}, f"a reader saw a partial graph: {sorted(seen)}"
    assert old_count in seen
    assert json.loads((home / "server.json").read_text())["pid"] == pid
    print(f"load {took:.1f}s; slowest concurrent read {slowest[0]:.2f}s")
    store.close()
    store = _reopen(home, save=False)          # the load was saved before `kg import` said so
    assert store.stats()["nodes"]["Material"] == old_count + n
    store.close()


def _tmpfs(path: Path, size: str) -> None:
    path.mkdir(parents=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill ({r.stderr.strip()})")


def _fill(path: Path) -> Path:
    filler = path / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("needs root to mount a small tmpfs")
    mnt = tmp_path / "disk"
    _tmpfs(mnt, "4m")
    yield mnt
    try:
        embedded.stop(mnt / "home", force=True)
    except Exception:
        pass
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_full_disk_at_start_is_one_line_and_leaves_no_server(small_disk):
    home = small_disk / "home"
    home.mkdir()
    _fill(small_disk)
    r = subprocess.run([sys.executable, "-m", "kg", "stats"], capture_output=True, text=True,
                       env={**os.environ, "KG_HOME": str(home)}, timeout=120)
    assert r.returncode == 1, r.stderr
    assert "No space left on device" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not embedded.server_running(home)


def test_full_disk_during_save_names_the_reason_and_keeps_the_load(small_disk, tmp_path):
    home = small_disk / "home"
    store = open_store(Settings(home=home))
    api.import_records(store, [SMALL])
    before = fingerprint(store)
    filler = _fill(small_disk)
    extra = write_jsonl(tmp_path / "extra.jsonl", [
        {"type": "Country", "id": "country:AUS", "name": "Australia",
         "source_ids": ["source:usgs-mcs-2025"]}])
    with pytest.raises(StoreError) as err:
        api.import_records(store, [extra])
    msg = str(err.value)
    assert "SAVE failed" in msg and "No space left on device" in msg, msg
    assert "in memory only" in msg
    assert store.stats()["nodes"]["Country"] == before[0]["nodes"]["Country"] + 1   # true: applied
    filler.unlink()                                       # space again: stopping saves the load
    store.close()
    store = _reopen(home, save=True)
    assert store.stats()["nodes"]["Country"] == before[0]["nodes"]["Country"] + 1
    store.close()


def test_a_save_refused_while_another_child_runs_waits_and_saves(home, monkeypatch):
    """FalkorDB forks to collect a graph a swap replaced; a BGSAVE sent meanwhile is refused with
    "Another child process is active". The save waits for that child and is sent again, instead of
    reporting the applied load as unsaved."""
    import redis

    from kg.store import staging
    store = open_store(Settings(home=home))
    api.import_records(store, [SMALL])
    real_client, refused, forks = staging._client, [], iter([1, 1, 0])
    staging.wait_no_fork(real_client(store.info, 10), time.monotonic() + 60)

    def client(info, timeout):
        c = real_client(info, timeout)
        execute, info_of = c.execute_command, c.info

        def execute_command(*args, **kwargs):
            if args[0] == "BGSAVE" and not refused:
                refused.append(True)
                raise redis.exceptions.ResponseError(
                    "Another child process is active (AOF?): can't BGSAVE right now.")
            return execute(*args, **kwargs)

        def info(section=None, *args):
            reply = info_of(section, *args)
            if section == "persistence" and refused:
                # the made-up child for two looks, then the server's own state (FalkorDB's own
                # forks, e.g. to collect the graphs the load's rebuild and swap replaced)
                made_up = next(forks, None)
                if made_up is not None:
                    reply = {**reply, "module_fork_in_progress": made_up}
            return reply
        c.execute_command, c.info = execute_command, info
        return c
    monkeypatch.setattr(staging, "_client", client)
    before = int(real_client(store.info, 10).info("persistence")["rdb_last_save_time"])
    time.sleep(1.1)                                  # a new save shows as a later save time
    staging.background_save(store.info, home)
    after = real_client(store.info, 10).info("persistence")
    assert refused and next(forks, "done") == "done"  # refused once, waited while the child ran
    assert int(after["rdb_last_save_time"]) > before and after["rdb_last_bgsave_status"] == "ok"
    store.close()


def test_a_save_whose_child_crashed_names_the_signal_and_the_report(tmp_path):
    """The shape of a real failure (a FalkorDB fault in the saving child, server log of
    2026-12-05): the child's crash report, then the parent's one-line verdict."""
    from kg.store.staging import save_failure_reason
    (tmp_path / "falkordb.log").write_text(
        "20581:C 05 Dec 2026 08:09:19.874 * <graph> Created 0 virtual keys for graph kg\n"
        "=== REDIS BUG REPORT START: Cut & paste starting from here ===\n"
        "20581:C 05 Dec 2026 08:09:19.888 # Redis 8.2.3 crashed by signal: 11, si_code: 1\n"
        "=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n"
        "19614:M 05 Dec 2026 08:09:19.914 # Background saving terminated by signal 11\n")
    reason = save_failure_reason(tmp_path, str(tmp_path))
    assert reason.startswith("Background saving terminated by signal 11"), reason
    assert str(tmp_path / "falkordb.log") in reason


def _slow_copy(monkeypatch, events: list[str]) -> None:
    from kg.store import staging
    real = staging.StagedWrite._copy_live

    def copy_live(self):
        events.append("copy starts")
        time.sleep(1.0)
        real(self)
        events.append("copy ends")
    monkeypatch.setattr(staging.StagedWrite, "_copy_live", copy_live)


def test_a_load_validates_its_input_while_the_live_graph_is_copied(home, tmp_path, monkeypatch):
    from kg.store.falkordb import FalkorDBStore
    store = open_store(Settings(home=home))
    api.import_records(store, [SMALL])
    events: list[str] = []
    _slow_copy(monkeypatch, events)
    real_ids = FalkorDBStore.existing_ids

    def existing_ids(self, ids):
        events.append("validation reads the graph")
        found = real_ids(self, ids)
        events.append("the read is answered")
        return found
    monkeypatch.setattr(FalkorDBStore, "existing_ids", existing_ids)
    # a figure between a country and a material the graph holds and the file does not
    extra = write_jsonl(tmp_path / "extra.jsonl", [
        json.loads(SMALL.read_text().splitlines()[0]),
        {"type": "PRODUCES", "from": "country:USA", "to": "material:rare-earths", "stage": "mining",
         "year": 2019, "quantity": 28000, "unit": "t", "source_ids": ["source:usgs-mcs-2025"]}])
    report = api.import_records(store, [extra])
    assert report.relationships_created == 1
    # the input was read and checked during the copy; its read of the graph waited for the copy
    assert events == ["copy starts", "validation reads the graph", "copy ends",
                      "the read is answered"]
    assert "kg__stage" not in store.db.list_graphs()
    store.close()


def test_bad_input_found_during_the_copy_leaves_no_stage_and_the_graph_as_it_was(
        home, tmp_path, monkeypatch):
    from kg.errors import DataError
    store = open_store(Settings(home=home))
    api.import_records(store, [SMALL])
    before = fingerprint(store)
    events: list[str] = []
    _slow_copy(monkeypatch, events)
    bad = write_jsonl(tmp_path / "bad.jsonl", [
        json.loads(SMALL.read_text().splitlines()[0]),
        {"type": "PRODUCES", "from": "country:USA", "to": "material:rare-earths", "stage": "mining",
         "year": "last year", "source_ids": ["source:usgs-mcs-2025"]}])
    with pytest.raises(DataError, match="bad.jsonl:2"):
        api.import_records(store, [bad])
    assert events == ["copy starts", "copy ends"]        # the error waited for the copy's end
    assert not {"kg__stage", "kg__stage__rebuilt"} & set(store.db.list_graphs())
    assert fingerprint(store) == before
    store.close()
