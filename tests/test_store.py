"""Store protocol on every backend: atomic, idempotent writes; reads; export/import."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from kg import api
from kg.store.base import WriteSummary
from kg.errors import DataError, StoreError, ValidationErrors
from kg.records_io import read_paths

from .conftest import FIXTURES, write_jsonl

SMALL = FIXTURES / "records" / "small.jsonl"


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def test_import_counts_match_the_file(store):
    records = _lines(SMALL)
    api.import_records(store, [SMALL])
    nodes = [r for r in records if "id" in r]
    rels = [r for r in records if "from" in r]
    expected_nodes: dict[str, int] = {}
    for r in nodes:
        expected_nodes[r["type"]] = expected_nodes.get(r["type"], 0) + 1
    expected_rels: dict[str, int] = {}
    for r in rels:
        expected_rels[r["type"]] = expected_rels.get(r["type"], 0) + 1
    assert store.stats() == {"nodes": expected_nodes, "relationships": expected_rels}


def test_second_load_changes_no_counts(store):
    api.import_records(store, [SMALL])
    before = store.stats()
    report = api.import_records(store, [SMALL])
    assert store.stats() == before
    assert report.nodes_created == 0 and report.relationships_created == 0


def test_failure_mid_write_leaves_graph_unchanged(store, tmp_path, monkeypatch):
    api.import_records(store, [SMALL])
    before = store.stats()
    before_records = sorted(json.dumps(r, sort_keys=True) for r in api.export_records(store))
    extra = write_jsonl(tmp_path / "more.jsonl", [
        {"type": "Country", "id": "country:AUS", "name": "Australia", "source_ids": ["source:usgs-mcs-2025"]},
        {"type": "PRODUCES", "from": "country:AUS", "to": "material:rare-earths", "stage": "mining",
         "year": 2024, "quantity": 13000, "unit": "t", "source_ids": ["source:usgs-mcs-2025"]},
    ])
    calls = {"n": 0}

    real = WriteSummary.count

    def boom(summary, statement, rows, created, progress, changed=True):
        real(summary, statement, rows, created, progress, changed)
        calls["n"] += 1
        if calls["n"] == 2:          # after the node batch landed in the stage, before the edges
            raise RuntimeError("injected failure")
    monkeypatch.setattr(WriteSummary, "count", boom)
    with pytest.raises(StoreError, match="injected failure"):
        api.import_records(store, [extra])
    monkeypatch.setattr(WriteSummary, "count", real)
    assert calls["n"] == 2
    assert store.stats() == before
    after_records = sorted(json.dumps(r, sort_keys=True) for r in api.export_records(store))
    assert after_records == before_records


def test_bad_record_is_reported_and_nothing_written(store, tmp_path):
    good = _lines(SMALL)
    bad = good[:4] + [{"type": "PRODUCES", "from": "country:CHN", "to": "material:rare-earths",
                       "stage": "smelting", "year": 2024, "source_ids": ["source:usgs-mcs-2025"]}]
    path = write_jsonl(tmp_path / "bad.jsonl", bad)
    with pytest.raises(DataError) as err:
        api.import_records(store, [path])
    assert str(err.value).startswith(f"{path}:5: stage: unknown stage 'smelting'")
    assert store.stats() == {"nodes": {}, "relationships": {}}


def test_dangling_references_are_errors(store, tmp_path):
    path = write_jsonl(tmp_path / "dangling.jsonl", _lines(SMALL)[:1] + [
        {"type": "Material", "id": "material:x", "name": "X", "source_ids": ["source:nope"]},
        {"type": "PRODUCES", "from": "country:CHN", "to": "material:x", "stage": "mining",
         "year": 2024, "source_ids": ["source:usgs-mcs-2025"]},
    ])
    with pytest.raises(ValidationErrors) as err:
        api.import_records(store, [path])
    text = str(err.value)
    assert f"{path}:2: source_ids: 'source:nope' is not a Source" in text
    assert f"{path}:3: from: 'country:CHN' is not a node" in text
    assert store.stats() == {"nodes": {}, "relationships": {}}


def test_references_may_resolve_to_nodes_already_in_the_graph(store, tmp_path):
    api.import_records(store, [SMALL])
    path = write_jsonl(tmp_path / "user.jsonl", [
        {"type": "Product", "id": "product:ndfeb-magnet", "name": "NdFeB magnet",
         "source_ids": ["source:usgs-mcs-2025"]},
        {"type": "REQUIRES", "from": "product:ndfeb-magnet", "to": "material:rare-earths",
         "role": "magnet phase", "stage": "separation", "source_ids": ["source:usgs-mcs-2025"]},
    ])
    api.import_records(store, [path])
    rows = store.read("MATCH (p:Product)-[r:REQUIRES]->(m:Material) RETURN p.id AS p, m.id AS m, "
                      "r.stage AS stage")
    assert rows == [{"p": "product:ndfeb-magnet", "m": "material:rare-earths", "stage": "separation"}]


def test_facts_for_different_years_coexist_and_duplicates_merge(store, tmp_path):
    api.import_records(store, [SMALL])
    rows = store.read("MATCH (:Country {id: 'country:CHN'})-[p:PRODUCES]->(:Material {id: 'material:rare-earths'}) "
                      "RETURN p.year AS year, p.quantity AS q ORDER BY year")
    assert rows == [{"year": 2023, "q": 255000}, {"year": 2024, "q": 270000}]
    update = write_jsonl(tmp_path / "upd.jsonl", [
        {"type": "PRODUCES", "from": "country:CHN", "to": "material:rare-earths", "stage": "mining",
         "year": 2024, "quantity": 270000, "unit": "t", "world_quantity": 390000,
         "notes": "quota", "source_ids": ["source:usgs-mcs-2025"]}])
    api.import_records(store, [update])
    rows = store.read("MATCH (:Country {id: 'country:CHN'})-[p:PRODUCES {year: 2024}]->(:Material {id: 'material:rare-earths'}) "
                      "RETURN p.notes AS notes")
    assert rows == [{"notes": "quota"}]


def test_export_then_import_reproduces_the_graph(store, kg_home, tmp_path):
    from kg.store import embedded
    from kg.store.falkordb import FalkorDBStore
    api.import_records(store, [SMALL])
    out = io.StringIO()
    n = api.export_jsonl(store, out)
    assert n == len(_lines(SMALL))
    path = tmp_path / "export.jsonl"
    path.write_text(out.getvalue())
    assert len(list(read_paths([path]))) == n          # the export validates as records
    target = FalkorDBStore(embedded.start(kg_home), kg_home, graph=f"empty_{tmp_path.name[-20:]}")
    try:
        api.import_records(target, [path])               # into an empty embedded graph
        assert target.stats() == store.stats()
        norm = lambda s: sorted(json.dumps(r, sort_keys=True) for r in api.export_records(s))  # noqa: E731
        assert norm(target) == norm(store)
    finally:
        target.graph.delete()
        target.close()


def test_csv_records_import(store, tmp_path):
    d = tmp_path / "csv"
    d.mkdir()
    (d / "Source.csv").write_text(
        "id,name,title,publisher,url,license,retrieved\n"
        "source:t,T,Test,Me,https://example.org,CC0,2025-02-01\n")
    (d / "Material.csv").write_text(
        "# curated materials; lists are ;-separated\n"
        "id,name,kind,critical_lists,source_ids\n"
        "material:gallium,Gallium,element,US-2022;EU-2023,source:t\n")
    (d / "Country.csv").write_text("id,name,source_ids\ncountry:CHN,China,source:t\n")
    (d / "PRODUCES.csv").write_text(
        "from,to,stage,year,share,estimated,source_ids\n"
        "country:CHN,material:gallium,refining,2024,0.98,true,source:t\n")
    api.import_records(store, [d])
    rows = store.read("MATCH (c)-[p:PRODUCES]->(m) RETURN m.critical_lists AS lists, p.share AS share, "
                      "p.estimated AS est, p.year AS year")
    assert rows == [{"lists": ["US-2022", "EU-2023"], "share": 0.98, "est": True, "year": 2024}]
    (d / "PRODUCES.csv").write_text(
        "from,to,stage,year,share,source_ids\n"
        "country:CHN,material:gallium,refining,twenty,0.98,source:t\n")
    with pytest.raises(DataError) as err:
        api.import_records(store, [d / "PRODUCES.csv"])
    assert str(err.value).startswith(f"{d / 'PRODUCES.csv'}:2: year:")


def test_a_repeated_figure_counts_once_in_share_sums(embedded_store, tmp_path):
    src = _lines(SMALL)[:1]
    base = [*src, {"type": "Country", "id": "country:CHN", "name": "China", "source_ids": ["source:usgs-mcs-2025"]},
            {"type": "Country", "id": "country:JPN", "name": "Japan", "source_ids": ["source:usgs-mcs-2025"]},
            {"type": "Material", "id": "material:x", "name": "X", "source_ids": ["source:usgs-mcs-2025"]}]

    def fact(country, share):
        return {"type": "PRODUCES", "from": country, "to": "material:x", "stage": "mining",
                "year": 2024, "share": share, "source_ids": ["source:usgs-mcs-2025"]}
    a = write_jsonl(tmp_path / "a.jsonl", base + [fact("country:CHN", 0.6), fact("country:JPN", 0.3)])
    revised = write_jsonl(tmp_path / "b.jsonl", [fact("country:CHN", 0.65)])
    api.import_records(embedded_store, [a, revised])           # 0.65 + 0.3: fine
    rows = embedded_store.read("MATCH (:Country {id: 'country:CHN'})-[p:PRODUCES]->() RETURN p.share AS s")
    assert rows == [{"s": 0.65}]
    too_much = write_jsonl(tmp_path / "c.jsonl", [fact("country:CHN", 0.9)])
    with pytest.raises(ValidationErrors, match="sum to 1.200"):
        api.import_records(embedded_store, [a, too_much])      # 0.9 + 0.3 in one load


@pytest.mark.parametrize("batch", [1, 2, 3, 1000])
def test_relationship_paging_is_complete_whatever_the_degree(store, batch):
    from kg.store.base import paged_relationships
    api.import_records(store, [SMALL])          # China has 4 outgoing relationships, Burma 1
    expected = sorted(json.dumps(r, sort_keys=True) for r in store.iter_relationships(batch=5000))
    got = sorted(json.dumps(r, sort_keys=True) for r in paged_relationships(store.read, batch))
    assert got == expected and len(got) == sum(1 for x in _lines(SMALL) if "from" in x)
