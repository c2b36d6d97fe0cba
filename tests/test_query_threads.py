"""The embedded server runs one query at a time (docs/guarantees.md, "One query at a time").

With FalkorDB's default of one query thread per core, stored queries that followed one another on
the bundled snapshot freed property values still held by the graph: a later query or save read
freed memory, returned altered values (a share became 1.6e-314, a note lost its end) or crashed the
server. The first slow test repeats the sequence that showed it and compares every stored property
with what it was before.

With graphs deleted on FalkorDB's background thread (its default), a save after some graphs were
deleted and others bulk-written crashed in the saving child; the second slow test runs the test
files that showed it.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kg.store import embedded
from kg.store.falkordb import FalkorDBStore

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ("concentration", "single-points-of-failure", "provenance-audit",
           "chinese-controlled-abroad")


def test_the_embedded_server_runs_one_query_thread_and_deletes_in_the_foreground(
        kg_home: Path) -> None:
    import redis
    info = embedded.start(kg_home)
    client = redis.Redis(port=info.port, password=info.password, socket_timeout=10)
    try:
        threads = client.execute_command("GRAPH.CONFIG", "GET", "THREAD_COUNT")
        async_delete = client.execute_command("GRAPH.CONFIG", "GET", "ASYNC_DELETE")
    finally:
        client.close()
    assert [threads[0].decode(), int(threads[1])] == ["THREAD_COUNT", 1]
    assert [async_delete[0].decode(), int(async_delete[1])] == ["ASYNC_DELETE", 0]


def _properties(store: FalkorDBStore) -> dict[tuple[str, int], str]:
    """Every node's and relationship's properties, by kind and internal id, as the server's JSON.
    Not test_faults.fingerprint: that one hashes the exported records, which leave out the
    internal `_Meta` nodes (where a damaged share showed), and cannot say which entity changed."""
    out = {}
    for kind, cypher in (("node", "MATCH (n) RETURN id(n), toJSON(properties(n))"),
                         ("relationship", "MATCH ()-[r]->() RETURN id(r), toJSON(properties(r))")):
        for entity_id, text in store.graph.execute_command("GRAPH.RO_QUERY", store.graph_name,
                                                           cypher)[1]:
            raw = text if isinstance(text, bytes) else text.encode()
            out[(kind, entity_id)] = hashlib.sha1(raw).hexdigest()
    return out


@pytest.mark.slow      # about a minute: unfixed, the corruption showed within 10 to 25 rounds
def test_stored_queries_in_a_row_leave_every_property_as_it_was(home: Path) -> None:
    from kg.api import build
    from kg.queries import run_query
    store = FalkorDBStore(embedded.start(home), home, graph="kg")
    build(store, offline=True, home=home)
    before = _properties(store)
    changed: list[Any] = []
    for round_ in range(100):
        for name in QUERIES:
            run_query(store, name, {})
        if round_ % 5 == 4:
            after = _properties(store)
            changed = [key for key, digest in before.items() if after.get(key) != digest]
            assert not changed, f"round {round_}: {len(changed)} changed, e.g. {changed[:3]}"
    assert embedded.server_running(home)
    store.close()


def test_a_server_started_with_other_settings_is_reported(home: Path, monkeypatch: Any,
                                                          caplog: Any) -> None:
    """A server an earlier version started keeps its settings: the next command says which."""
    import logging
    monkeypatch.setattr(embedded, "MODULE_ARGS", ("THREAD_COUNT", "2"))
    embedded.start(home)
    monkeypatch.undo()
    with caplog.at_level(logging.WARNING, logger="kg.store.embedded"):
        embedded.start(home)
    assert "THREAD_COUNT 2 (wanted 1)" in caplog.text
    assert "ASYNC_DELETE yes (wanted no)" in caplog.text and "kg store stop" in caplog.text
    embedded.stop(home)
    embedded.start(home)                      # started by this version: no warning
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="kg.store.embedded"):
        embedded.start(home)
    assert "wanted" not in caplog.text


CRASHING_SEQUENCE = ("tests/test_queries.py", "tests/test_headline_facts.py",
                     "tests/test_query_params.py")
"""The test files that, run in this order in one process, crashed the server's saves in every run
while FalkorDB deleted graphs on a background thread: 15 crash reports per run, and 7 tests
failed. test_queries.py alone, or the last two files alone, did not crash."""


@pytest.mark.slow      # about 20 s: the sequence itself
def test_the_sequence_that_crashed_saves_runs_without_a_crash(tmp_path: Path) -> None:
    run = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
                        "-m", "not slow", "--basetemp", str(run), *CRASHING_SEQUENCE],
                       cwd=ROOT, capture_output=True, text=True, timeout=900)
    logs = sorted(run.rglob("falkordb.log"))
    assert logs, r.stdout[-2000:]
    crashes = {str(p.relative_to(run)): p.read_text(errors="replace").count("crashed by signal")
               for p in logs}
    assert not any(crashes.values()), crashes
    assert r.returncode == 0, r.stdout[-3000:]


@pytest.mark.slow      # about 35 s: test_queries.py three times
def test_graphs_written_with_graph_bulk_are_deleted_without_a_crash(tmp_path: Path) -> None:
    """test_queries.py alone, run in one process: each test imports its records into an empty
    graph (GRAPH.BULK), queries it and deletes it. While a stage written with GRAPH.BULK alone was
    swapped in as it was, the server crashed (signal 11, freeing an index in `GRAPH.DELETE`) in 4
    of 6 runs, and in 3 of 5 whole-suite runs; with every stage rebuilt from a copy of itself
    before the swap, in none of 16 (docs/guarantees.md, "Rebuilt before the swap")."""
    crashes = {}
    for attempt in range(3):
        run = tmp_path / f"run{attempt}"
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
                            "-m", "not slow", "--basetemp", str(run), "tests/test_queries.py"],
                           cwd=ROOT, capture_output=True, text=True, timeout=900)
        logs = sorted(run.rglob("falkordb.log"))
        assert logs, r.stdout[-2000:]
        crashes.update({f"{attempt}/{p.relative_to(run)}":
                        p.read_text(errors="replace").count("crashed by signal") for p in logs})
        assert r.returncode == 0, r.stdout[-3000:]
    assert not any(crashes.values()), crashes


SPLIT_TYPES = {"PRODUCES", "EXPORTS_TO"}


@pytest.mark.slow      # about 30 s: a build, then three servers with two loads and four rounds each
def test_a_load_into_a_filled_graph_leaves_every_property_as_queries_find_it(
        home: Path, tmp_path: Path) -> None:
    """The bundled snapshot split in two: everything but its production and trade figures loaded
    into an empty graph (GRAPH.BULK), then those figures into the filled graph (a copy of the live
    graph, written in batches, then its derived aggregates). Before the stage was rebuilt from a
    copy of itself, a share in a derived `_Meta` node read 2.0e-314 (or 0) after the first round
    of queries in 6 of 7 runs of a reproduction, and in this test in 1 of 2 runs with one attempt
(so it makes three)."""
    import json

    from kg.api import build, export_jsonl, import_records
    from kg.queries import run_query
    # the records come from a server of their own: the fault showed on a server that had held
    # nothing else (with the bundled build and its deletion before, it did not)
    elsewhere = tmp_path / "elsewhere"
    source = FalkorDBStore(embedded.start(elsewhere), elsewhere, graph="kg")
    build(source, offline=True, home=elsewhere)
    whole = tmp_path / "whole.jsonl"
    with whole.open("w", encoding="utf-8") as out:
        export_jsonl(source, out)
    source.close()
    embedded.stop(elsewhere)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    with first.open("w", encoding="utf-8") as a, second.open("w", encoding="utf-8") as b:
        for line in whole.read_text(encoding="utf-8").splitlines(keepends=True):
            (b if json.loads(line).get("type") in SPLIT_TYPES else a).write(line)
    for attempt in range(3):            # each on a server of its own, as in the reproduction
        here = home / f"attempt{attempt}"
        store = FalkorDBStore(embedded.start(here), here, graph="kg")
        import_records(store, [first])
        import_records(store, [second])
        before = _properties(store)
        assert sum(kind == "relationship" for kind, _ in before) > 30_000
        for round_ in range(4):
            for name in QUERIES:
                run_query(store, name, {})
            after = _properties(store)
            changed = [key for key, digest in before.items() if after.get(key) != digest]
            assert not changed, (f"attempt {attempt}, round {round_}: {len(changed)} changed, "
                                 f"e.g. {changed[:3]}")
        store.close()
        embedded.stop(here)
