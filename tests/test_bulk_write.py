"""A load into an empty graph is written with GRAPH.BULK (kg.store.falkordb_bulk): the graph it leaves is
the one `UNWIND … CREATE` leaves, and a failure leaves the graph unchanged
(docs/guarantees.md, "Fast path for an empty graph")."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid

import pytest

from kg import api
from kg.store.base import WriteSummary
from kg.errors import StoreError
from kg.store import staging
from kg.store.falkordb import FalkorDBStore
from kg.store.falkordb_bulk import BulkEncoder, encode_value

from .conftest import write_jsonl
from .test_faults import SMALL, fingerprint

SID = ["source:t"]
RECORDS = [
    {"type": "Source", "id": "source:t", "name": "T", "title": "Test figures", "publisher": "Us",
     "url": "https://example.org/t", "license": "CC0-1.0", "retrieved": "2025-01-01", "year": 2024},
    {"type": "Country", "id": "country:CHN", "name": "China", "source_ids": SID},
    {"type": "Country", "id": "country:CIV", "name": "Côte d’Ivoire", "notes": "quote \" and \\ and ☃",
     "source_ids": SID},
    {"type": "Country", "id": "country:USA", "name": "United States", "source_ids": SID},
    {"type": "Material", "id": "material:gallium", "name": "Gallium", "source_ids": SID},
    {"type": "PRODUCES", "from": "country:CHN", "to": "material:gallium", "stage": "refining",
     "year": 2024, "share": 0.98, "quantity": 750, "unit": "t", "estimated": True, "source_ids": SID},
    {"type": "PRODUCES", "from": "country:CIV", "to": "material:gallium", "stage": "refining",
     "year": 2024, "share": 0.01, "source_ids": SID},
    {"type": "IMPORT_RELIANCE", "from": "country:USA", "to": "material:gallium", "year": 2024,
     "net_import_reliance": 1, "sources": ["CHN", "CIV"], "source_shares": [0.25, 0.125],
     "source_ids": SID},
]


def test_values_are_encoded_as_the_bulk_protocol_says():
    # type byte, then the payload in native byte order (struct "=": little-endian here)
    assert encode_value(None) == b"\x00"
    assert encode_value(True) == b"\x01\x01"
    assert encode_value(1.5) == b"\x02" + bytes.fromhex("000000000000f83f")
    assert encode_value("é") == b"\x03\xc3\xa9\x00"
    assert encode_value(-2) == b"\x04" + b"\xfe" + b"\xff" * 7
    assert encode_value(["a", 2]) == b"\x05" + b"\x02" + b"\x00" * 7 + b"\x03a\x00\x04\x02" + b"\x00" * 7


@pytest.fixture
def graphs(embedded_store, kg_home):
    other = FalkorDBStore(embedded_store.info, kg_home, graph=f"t_{uuid.uuid4().hex[:12]}")
    yield embedded_store, other
    if other._exists():
        other.graph.delete()
    other.close()


def test_a_bulk_load_equals_an_unwind_load(graphs, tmp_path, monkeypatch):
    bulk_graph, unwind_graph = graphs
    path = write_jsonl(tmp_path / "r.jsonl", RECORDS)
    sent = []
    real = BulkEncoder.args
    monkeypatch.setattr(BulkEncoder, "args", lambda self, st, rows: sent.append(st.bulk) or real(self, st, rows))
    by_bulk = api.import_records(bulk_graph, [path])
    assert ("node", "Country") in sent and ("relationship", "PRODUCES") in sent
    monkeypatch.setattr(staging, "BULK", False)
    sent.clear()
    by_unwind = api.import_records(unwind_graph, [path])
    assert not sent
    assert (by_bulk.nodes_created, by_bulk.relationships_created) == (5, 3)
    assert (by_unwind.nodes_created, by_unwind.relationships_created) == (5, 3)
    assert fingerprint(bulk_graph) == fingerprint(unwind_graph)
    # absent optional fields are absent, not null; the id index exists and serves look-ups
    rows = bulk_graph.read("MATCH (c:Country) WHERE c.notes IS NOT NULL RETURN c.id AS id")
    assert rows == [{"id": "country:CIV"}]
    assert "Node By Index Scan" in bulk_graph.explain("MATCH (c:Country {id: 'country:CHN'}) RETURN c")
    # a second load of the same file goes through the ordinary path and changes nothing
    again = api.import_records(bulk_graph, [path])
    assert (again.nodes_created, again.relationships_created) == (0, 0)
    assert fingerprint(bulk_graph) == fingerprint(unwind_graph)


def test_a_failed_bulk_load_leaves_the_graph_unchanged(embedded_store, tmp_path, monkeypatch):
    sent = []
    real = BulkEncoder.args
    monkeypatch.setattr(BulkEncoder, "args", lambda self, st, rows: sent.append(st.bulk) or real(self, st, rows))
    before = fingerprint(embedded_store)
    assert not embedded_store.read("MATCH (n) RETURN n LIMIT 1")
    calls = {"n": 0}

    real_count = WriteSummary.count

    def fail(summary, st, rows, created, progress, changed=True):
        real_count(summary, st, rows, created, progress, changed)
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("injected")

    monkeypatch.setattr(WriteSummary, "count", fail)
    with pytest.raises(StoreError, match="graph left unchanged: injected"):
        api.import_records(embedded_store, [SMALL])
    assert calls["n"] == 3 and len(sent) >= 3      # the bulk path was taken, and failed mid-way
    assert fingerprint(embedded_store) == before
    assert embedded_store.graph_name + staging.STAGE_SUFFIX not in embedded_store.db.list_graphs()
    monkeypatch.setattr(WriteSummary, "count", real_count)
    report = api.import_records(embedded_store, [SMALL])     # the next run succeeds
    assert report.nodes_created == report.nodes > 0


@pytest.mark.slow
@pytest.mark.parametrize("victim", ["client", "server"])
def test_kill_9_during_a_bulk_load_leaves_an_empty_graph(tmp_path, victim):
    from kg.config import Settings
    from kg.store import embedded, open_store

    from .test_faults import big_file
    from .test_write_path import CLIENT
    home = tmp_path / "home"
    path = big_file(tmp_path / "big.jsonl", 2000)
    env = {**os.environ, "KG_HOME": str(home), "KG_STORE": "embedded"}
    try:
        r = subprocess.run([sys.executable, "-c", CLIENT, "written", victim, str(home), str(path)],
                           capture_output=True, text=True, env=env, timeout=300)
        assert "Traceback" not in r.stderr
        assert r.returncode == (-signal.SIGKILL if victim == "client" else 1), r.stderr
        if victim == "server":
            assert "graph left unchanged" in r.stderr
        embedded.stop(home, force=True)              # what is on disk
        store = open_store(Settings(home=home))
        assert store.stats()["nodes"] == {}
        report = api.import_records(store, [path])    # the next run succeeds, no stage left
        assert report.nodes_created == 2002 and "kg__stage" not in store.db.list_graphs()
        store.close()
    finally:
        embedded.stop(home, force=True)


def test_a_read_before_any_write_makes_an_empty_graph_without_indexes(embedded_store, tmp_path):
    """A read of a graph not created yet answers as an empty graph; the key it leaves holds no
    index, so the load swapped in over it frees none (docs/guarantees.md, "Rebuilt before the
    swap": FalkorDB crashed freeing the indexes of such a graph). The load's graph has them."""
    def indexes() -> list[str]:
        rows = embedded_store.db.connection.execute_command(
            "GRAPH.RO_QUERY", embedded_store.graph_name, "CALL db.indexes()")[1]
        return sorted(str(row[0]) for row in rows)

    assert embedded_store.graph_name not in embedded_store.db.list_graphs()
    assert embedded_store.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]
    assert embedded_store.graph_name in embedded_store.db.list_graphs()
    assert indexes() == []
    api.import_records(embedded_store, [write_jsonl(tmp_path / "r.jsonl", RECORDS)])
    assert len(indexes()) == 10 and "Country" in indexes()
    assert "Node By Index Scan" in embedded_store.explain("MATCH (c:Country {id: 'country:CHN'}) RETURN c")
