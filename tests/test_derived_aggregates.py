"""Aggregates derived at write time (kg/store/derived.py, docs/architecture.md).

A planted graph small enough to work out by hand: lithium mined in 2024 by China (60 of a world
total of 100), Australia (30) and the United States (10), all citing source:a; an older 2023
Chinese figure (50) and a 2024 refining figure (China 9 of 10), both citing source:b; cobalt
without figures. The aggregates must hold exactly those numbers, be derived again by every load,
survive a failed load unchanged, stay out of exports, stats and the audit's counts, and give the
same rows as recomputation; a graph written around the loader falls back to recomputation.
"""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from kg.api import export_records, import_records
from kg.errors import StoreError
from kg.queries import run_query
from kg.rdf import export_rdf
from kg.store import derived

from .conftest import write_jsonl

SRC_A = {"type": "Source", "id": "source:a", "name": "Source A", "title": "Source A",
         "publisher": "Test publisher", "url": "https://example.org/a", "license": "CC-BY-4.0",
         "year": 2024, "retrieved": "2025-01-10"}
SRC_B = {"type": "Source", "id": "source:b", "name": "Source B", "title": "Source B",
         "publisher": "Test publisher", "url": "https://example.org/b", "license": "public-domain",
         "year": 2023, "retrieved": "2024-01-10"}


def _country(iso: str, name: str) -> dict[str, Any]:
    return {"type": "Country", "id": f"country:{iso}", "name": name, "iso3": iso,
            "source_ids": ["source:a"]}


def _produces(iso: str, stage: str, year: int, qty: int, world: int, src: str) -> dict[str, Any]:
    return {"type": "PRODUCES", "from": f"country:{iso}", "to": "material:lithium", "stage": stage,
            "year": year, "quantity": qty, "world_quantity": world, "unit": "t",
            "source_ids": [src]}


PLANTED = [
    SRC_A, SRC_B,
    _country("CHN", "China"), _country("AUS", "Australia"), _country("USA", "United States"),
    {"type": "Material", "id": "material:lithium", "name": "Lithium", "kind": "element",
     "source_ids": ["source:a"]},
    {"type": "Material", "id": "material:cobalt", "name": "Cobalt", "kind": "element",
     "source_ids": ["source:a"]},
    _produces("CHN", "mining", 2024, 60, 100, "source:a"),
    _produces("AUS", "mining", 2024, 30, 100, "source:a"),
    _produces("USA", "mining", 2024, 10, 100, "source:a"),
    _produces("CHN", "mining", 2023, 50, 100, "source:b"),
    _produces("CHN", "refining", 2024, 9, 10, "source:b"),
    {"type": "HSCode", "id": "hs:283691", "name": "Lithium carbonates", "code": "283691",
     "hs_version": "HS2022", "level": 6, "source_ids": ["source:a"]},
    {"type": "CLASSIFIED_AS", "from": "material:lithium", "to": "hs:283691",
     "hs_version": "HS2022", "source_ids": ["source:a"]},
    # trade recorded at the heading 2836, above lithium's own code
    {"type": "EXPORTS_TO", "from": "country:CHN", "to": "country:USA", "hs_code": "2836",
     "year": 2023, "value_usd": 1000, "flow_basis": "imports", "source_ids": ["source:a"]},
]


def derived_nodes(store: Any, kind: str) -> list[dict[str, Any]]:
    rows = store.read("MATCH (d:_Meta) WHERE d.derived = $kind RETURN properties(d) AS p",
                      {"kind": kind})
    return [r["p"] for r in rows]


def raw_write(store: Any, cypher: str) -> None:
    """A write around the loader (a user's own Cypher): no aggregates are derived."""
    if store.backend == "neo4j":
        with store._session() as session:
            session.run(cypher).consume()
    else:
        store.graph.query(cypher)


@pytest.fixture
def planted(store: Any, tmp_path: Path) -> Any:
    import_records(store, [write_jsonl(tmp_path / "planted.jsonl", PLANTED)])
    return store


def test_aggregates_hold_the_hand_worked_values(planted: Any) -> None:
    latest = {(d["item"], d["stage"]): d for d in derived_nodes(planted, "latest-figure")}
    assert set(latest) == {("material:lithium", "mining"), ("material:lithium", "refining")}
    mining = latest["material:lithium", "mining"]
    # 2024 is the newest year; shares are quantity over the world total 100, largest first
    assert mining["year"] == 2024 and mining["measure"] == "output" and mining["basis"] == "own"
    assert mining["countries"] == ["country:CHN", "country:AUS", "country:USA"]
    assert mining["shares"] == pytest.approx([0.6, 0.3, 0.1])
    assert mining["top_country"] == "China" and mining["reporters"] == 3
    assert mining["sources"] == ["source:a"]          # the 2023 figure (source:b) is not picked
    refining = latest["material:lithium", "refining"]
    assert refining["countries"] == ["country:CHN"] and refining["shares"] == pytest.approx([0.9])
    assert refining["sources"] == ["source:b"] and refining["reporters"] == 1

    # four series (China mining, Australia mining, USA mining, China refining), all newest in 2024;
    # one older figure (China's 2023 mining figure); one trade series, newest in 2023
    series = {(s["type"], s["latest"]): s for s in derived_nodes(planted, "figure-series")}
    assert {k: (s["series"], s["older"]) for k, s in series.items()} == \
        {("PRODUCES", 2024): (4, 1), ("EXPORTS_TO", 2023): (1, 0)}
    assert series["PRODUCES", 2024]["first_pair"] == "country:AUS material:lithium"
    assert series["PRODUCES", 2024]["first_older_pair"] == "country:CHN material:lithium"
    assert series["EXPORTS_TO", 2023]["first_pair"] == "country:CHN country:USA"

    groups = {(tuple(g["sids"]), g["type"]): g["n"]
              for g in derived_nodes(planted, "relationship-group")}
    assert groups == {(("source:a",), "PRODUCES"): 3, (("source:b",), "PRODUCES"): 2,
                      (("source:a",), "CLASSIFIED_AS"): 1, (("source:a",), "EXPORTS_TO"): 1}
    [traded] = derived_nodes(planted, "traded-codes")
    assert traded["codes"] == ["2836"]

    [stamp] = derived_nodes(planted, "stamp")
    assert (stamp["nodes"], stamp["relationships"], stamp["generation"]) == (8, 7, 1)
    assert sorted(stamp["kinds"]) == ["figure-series", "latest-figure", "relationship-group",
                                      "traded-codes"]
    assert derived.graph_size(planted.read) == [8, 7]


QUERIES = [("concentration", {}), ("concentration", {"material": "lithium", "stage": "mining"}),
           ("provenance-audit", {}), ("what-if-cutoff", {"threshold": 1.0}),
           ("what-if-cutoff", {}), ("classification-gaps", {})]


@pytest.mark.parametrize(("name", "params"), QUERIES)
def test_the_aggregates_give_the_rows_of_recomputation(planted: Any, name: str,
                                                       params: dict[str, Any]) -> None:
    fresh = run_query(planted, name, params)[1]
    recomputed = run_query(planted, name, {**params, "graph_size": [0, 0]})[1]
    assert fresh == recomputed


def test_the_queries_read_the_aggregates_when_the_stamp_matches(planted: Any) -> None:
    # a property changed on an aggregate (counts unchanged) shows: the query read it
    raw_write(planted, "MATCH (d:_Meta) WHERE d.derived = 'latest-figure' AND d.stage = 'refining' "
                       "SET d.shares = [0.5]")
    rows = run_query(planted, "concentration", {"stage": "refining"})[1]
    assert [r["top_share"] for r in rows] == [pytest.approx(0.5)]
    rows = run_query(planted, "concentration", {"stage": "refining", "graph_size": [0, 0]})[1]
    assert [r["top_share"] for r in rows] == [pytest.approx(0.9)]
    # the traded codes likewise: the heading 2836 above lithium's code is a coarse-trade gap
    gaps = run_query(planted, "classification-gaps", {"issue": "coarse-trade"})[1]
    assert [(g["hs_code"], g["items"]) for g in gaps] == [("2836", ["Lithium"])]
    raw_write(planted, "MATCH (d:_Meta {id: 'derived:traded-codes'}) SET d.codes = []")
    assert run_query(planted, "classification-gaps", {"issue": "coarse-trade"})[1] == []


def test_a_graph_written_around_the_loader_is_recomputed(planted: Any) -> None:
    # a user's own CREATE adds a 2024 refining figure for Australia (1 of 10): the counts no
    # longer match the stamp, so the queries recompute and see it
    raw_write(planted, "MATCH (c:Country {id: 'country:AUS'}), (m:Material {id: 'material:lithium'}) "
                       "CREATE (c)-[:PRODUCES {stage: 'refining', year: 2024, quantity: 1, "
                       "world_quantity: 10, unit: 't', source_ids: ['source:a']}]->(m)")
    rows = run_query(planted, "concentration", {"stage": "refining"})[1]
    assert [(r["top_share"], r["producers"]) for r in rows] == [(pytest.approx(0.9), 2)]
    audit = {(r["kind"], r["detail"]): r["count"] for r in run_query(planted, "provenance-audit")[1]}
    assert audit["superseded-figure", "PRODUCES"] == 1
    assert audit["licence", "CC-BY-4.0"] == 1
    cited = {r["detail"]: r["cited"] for r in run_query(planted, "provenance-audit")[1]
             if r["kind"] == "licence"}
    # source:a: 3 countries, 2 materials, the HS code, 3 mining figures, the classification,
    # the flow and the new figure; source:b: 2 figures
    assert cited == {"CC-BY-4.0": 12, "public-domain": 2}


def test_every_load_derives_them_again(planted: Any, tmp_path: Path) -> None:
    more = [SRC_A, _country("AUS", "Australia"),
            {"type": "Material", "id": "material:lithium", "name": "Lithium", "kind": "element",
             "source_ids": ["source:a"]},
            _produces("AUS", "refining", 2024, 1, 10, "source:a")]
    import_records(planted, [write_jsonl(tmp_path / "more.jsonl", more)])
    latest = {(d["item"], d["stage"]): d for d in derived_nodes(planted, "latest-figure")}
    refining = latest["material:lithium", "refining"]
    assert refining["countries"] == ["country:CHN", "country:AUS"]
    assert refining["shares"] == pytest.approx([0.9, 0.1])
    assert refining["sources"] == ["source:b", "source:a"]
    [stamp] = derived_nodes(planted, "stamp")
    assert (stamp["nodes"], stamp["relationships"], stamp["generation"]) == (8, 8, 2)
    assert len(derived_nodes(planted, "latest-figure")) == 2       # replaced, not added to


def test_a_failed_load_leaves_the_aggregates_as_they_were(planted: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    before = {k: derived_nodes(planted, k)
              for k in ("latest-figure", "figure-series", "relationship-group", "stamp")}
    real = derived.derivations
    # the new aggregates are written into the stage (or transaction), then the write fails
    monkeypatch.setattr(derived, "derivations",
                        lambda: real() + [("broken", "UNWIND [1] AS x RETURN nosuchfunction(x)")])
    more = [SRC_A, _country("AUS", "Australia"),
            {"type": "Material", "id": "material:lithium", "name": "Lithium", "kind": "element",
             "source_ids": ["source:a"]},
            _produces("AUS", "refining", 2024, 1, 10, "source:a")]
    with pytest.raises(StoreError, match="graph left unchanged"):
        import_records(planted, [write_jsonl(tmp_path / "more.jsonl", more)])
    after = {k: derived_nodes(planted, k) for k in before}
    assert after == before
    assert derived.graph_size(planted.read) == [8, 7]


def test_aggregates_stay_out_of_exports_stats_and_the_audit(planted: Any) -> None:
    records = list(export_records(planted))
    assert len(records) == 15                         # 8 nodes and 7 relationships
    assert not any(str(r.get("id", "")).startswith("derived:") for r in records)
    out = BytesIO()
    export_rdf(planted, out, "nt")                    # what `kg validate` checks
    assert b"derived" not in out.getvalue() and b"_Meta" not in out.getvalue()
    assert "_Meta" not in planted.stats()["nodes"]
    assert sum(planted.stats()["nodes"].values()) == 8
    audit = {(r["kind"], r["detail"]): r for r in run_query(planted, "provenance-audit")[1]}
    assert audit["node-without-source", None]["count"] == 0
    assert audit["unknown-source", "nodes"]["count"] == 0
    # cited: source:a by 3 countries, 2 materials, the HS code, 3 figures, the classification and
    # the flow; source:b by 2 figures
    assert audit["licence", "CC-BY-4.0"]["cited"] == 11
    assert audit["licence", "public-domain"]["cited"] == 2



FIRMS = [SRC_A,
         {"type": "Firm", "id": "firm:ganfeng", "name": "Ganfeng Lithium", "source_ids": ["source:a"]},
         {"type": "Firm", "id": "firm:pilbara", "name": "Pilbara Minerals", "source_ids": ["source:a"]},
         {"type": "OWNS", "from": "firm:ganfeng", "to": "firm:pilbara", "share": 0.05, "year": 2024,
          "source_ids": ["source:a"]}]
FIGURES = [SRC_B, _country("AUS", "Australia"),
           _produces("AUS", "refining", 2024, 1, 10, "source:b")]


def _mark(store: Any) -> None:
    """A mark on every aggregate node; a user's SET on them leaves the graph's counts alone."""
    raw_write(store, "MATCH (d:_Meta) WHERE d.derived IS NOT NULL AND d.derived <> 'stamp' "
                     "SET d.mark = true")


def _by_kind(store: Any) -> dict[str, list[dict[str, Any]]]:
    """Every aggregate's nodes without the fields that name the write (generation, time, mark)."""
    kinds = ("latest-figure", "figure-series", "relationship-group", "traded-codes", "stamp")
    drop = {"generation", "derived_at", "mark"}
    return {k: sorted(({f: v for f, v in d.items() if f not in drop} for d in derived_nodes(store, k)),
                      key=lambda d: json.dumps(d, sort_keys=True)) for k in kinds}


def _marked(store: Any) -> set[str]:
    rows = store.read("MATCH (d:_Meta) WHERE d.mark = true RETURN DISTINCT d.derived AS k")
    return {r["k"] for r in rows}


RENAMED = [SRC_A, _country("CHN", "People's Republic of China")]


@pytest.mark.parametrize(("records", "kept"), [
    (FIRMS, {"latest-figure", "figure-series", "traded-codes"}),     # firms and ownership only
    (FIGURES, {"traded-codes"}),                                     # a new production figure
    # a producing country renamed: the top country's name in latest-figure changes
    (RENAMED, {"figure-series", "relationship-group", "traded-codes"}),
])
def test_a_load_derives_again_only_the_aggregates_it_can_change(
        planted: Any, tmp_path: Path, records: list[dict[str, Any]], kept: set[str]) -> None:
    _mark(planted)
    import_records(planted, [write_jsonl(tmp_path / "more.jsonl", records)])
    assert _marked(planted) == kept                 # the others were derived again
    [stamp] = derived_nodes(planted, "stamp")
    assert stamp["generation"] == 2
    assert {d["generation"] for k in kept for d in derived_nodes(planted, k)} == {2}
    after = _by_kind(planted)
    # the oracle: every aggregate derived from scratch, in a fresh graph of the same records (a
    # node stated again takes the later record's values, as the second load gave it)
    later = {r["id"]: r for r in records if "id" in r}
    merged = [later.pop(r["id"], r) if "id" in r else r for r in PLANTED] + \
        [r for r in records if "id" not in r or r["id"] in later]
    planted.clear()
    import_records(planted, [write_jsonl(tmp_path / "all.jsonl", merged)])
    assert _by_kind(planted) == after


def test_a_load_that_changes_nothing_keeps_every_aggregate(planted: Any, tmp_path: Path) -> None:
    _mark(planted)
    before = _by_kind(planted)
    import_records(planted, [write_jsonl(tmp_path / "again.jsonl", PLANTED)])
    everything = {"latest-figure", "figure-series", "relationship-group", "traded-codes"}
    # FalkorDB's replies say that no batch changed a property; Neo4j's count every SET
    assert _marked(planted) == (set() if planted.backend == "neo4j" else everything)
    assert _by_kind(planted) == before
    [stamp] = derived_nodes(planted, "stamp")
    assert stamp["generation"] == 2


def test_aggregates_of_a_graph_written_around_the_loader_are_all_derived_again(
        planted: Any, tmp_path: Path) -> None:
    _mark(planted)
    # a user's own figure: the stamp's counts are no longer the graph's, so none is trusted
    raw_write(planted, "MATCH (c:Country {id: 'country:AUS'}), (m:Material {id: 'material:lithium'}) "
                       "CREATE (c)-[:PRODUCES {stage: 'refining', year: 2024, quantity: 1, "
                       "world_quantity: 10, unit: 't', source_ids: ['source:a']}]->(m)")
    import_records(planted, [write_jsonl(tmp_path / "firms.jsonl", FIRMS)])
    assert _marked(planted) == set()
    latest = {(d["item"], d["stage"]): d for d in derived_nodes(planted, "latest-figure")}
    assert latest["material:lithium", "refining"]["countries"] == ["country:CHN", "country:AUS"]


def test_what_each_aggregate_reads_covers_its_cypher() -> None:
    import re

    from kg.models import RELATIONSHIP_TYPES
    from kg.store.base import LABELS
    names = set(LABELS) | set(RELATIONSHIP_TYPES)
    for kind, cypher in derived.derivations():
        named = {m for m in re.findall(r"[:|](\w+)", cypher) if m in names}
        reads = derived.READS[kind]
        assert named <= reads, (kind, named - reads)
        if re.search(r"-\[\w*\]-", cypher):         # a relationship of any type
            assert set(RELATIONSHIP_TYPES) <= reads, kind
    assert derived.unaffected(set(derived.READS), {"Firm", "OWNS"}) == \
        {"latest-figure", "figure-series", "traded-codes"}
    assert derived.unaffected(set(derived.READS), {derived.EVERYTHING}) == set()
