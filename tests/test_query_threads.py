"""The embedded server runs one query at a time (docs/guarantees.md, "One query at a time").

With FalkorDB's default of one query thread per core, stored queries that followed one another on
the bundled snapshot freed property values still held by the graph: a later query or save read
freed memory, returned altered values (a share became 1.6e-314, a note lost its end) or crashed the
server. The slow test repeats the sequence that showed it and compares every stored property with
what it was before.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from kg.store import embedded
from kg.store.falkordb import FalkorDBStore

QUERIES = ("concentration", "single-points-of-failure", "provenance-audit",
           "chinese-controlled-abroad")


def test_the_embedded_server_runs_one_query_thread(kg_home: Path) -> None:
    import redis
    info = embedded.start(kg_home)
    client = redis.Redis(port=info.port, password=info.password, socket_timeout=10)
    try:
        reply = client.execute_command("GRAPH.CONFIG", "GET", "THREAD_COUNT")
    finally:
        client.close()
    assert [reply[0].decode(), int(reply[1])] == ["THREAD_COUNT", 1]


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


def test_a_server_started_with_more_threads_is_reported(home: Path, monkeypatch: Any,
                                                         caplog: Any) -> None:
    """A server an earlier version started keeps its threads: the next command says so."""
    import logging
    monkeypatch.setattr(embedded, "MODULE_ARGS", ("THREAD_COUNT", "2"))
    embedded.start(home)
    monkeypatch.undo()
    with caplog.at_level(logging.WARNING, logger="kg.store.embedded"):
        embedded.start(home)
    assert "runs 2 query threads" in caplog.text and "kg store stop" in caplog.text
    embedded.stop(home)
    embedded.start(home)                      # started by this version: one thread, no warning
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="kg.store.embedded"):
        embedded.start(home)
    assert "query threads" not in caplog.text
