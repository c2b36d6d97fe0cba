"""A load into a graph that holds data gives the graph one fresh load of the same records gives.

The write paths differ: into an empty graph rows are created (GRAPH.BULK on the embedded store),
into a filled graph they are merged (the properties of a relationship the graph holds are
updated, its sources added to). The oracle is the fresh load: the query fixtures (every
relationship type among them), split in two loads, must give exactly its graph. A new undated
and a new dated OWNS stake went in with their keys alone before (FalkorDB did not see the
relationship its own statement had just created).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kg.api import export_records, import_records
from kg.models import RELATIONSHIP_TYPES

QUERY_FIXTURES = sorted((Path(__file__).parent / "fixtures" / "queries").glob("*.jsonl"))
BASE = Path(__file__).parent / "fixtures" / "queries" / "base.jsonl"


def _graph(store: Any) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for r in export_records(store))


def _types(paths: list[Path]) -> set[str]:
    return {json.loads(line)["type"] for p in paths for line in p.open() if line.strip()}


@pytest.mark.parametrize("split", [1, 5, 10])
def test_two_loads_give_the_graph_of_one(store: Any, split: int) -> None:
    others = [p for p in QUERY_FIXTURES if p != BASE]
    assert set(RELATIONSHIP_TYPES) <= _types(QUERY_FIXTURES)        # every type is exercised
    first, second = [BASE, *others[:split]], others[split:]
    import_records(store, first)
    import_records(store, second)              # into the graph the first load filled
    merged = _graph(store)
    store.clear()
    import_records(store, [BASE, *others])     # the oracle: one load into an empty graph
    assert merged == _graph(store)
    assert any('"type": "OWNS"' in r and '"share"' in r for r in merged)


def test_a_new_stake_into_a_filled_graph_keeps_its_share_and_sources(store: Any,
                                                                     tmp_path: Path) -> None:
    from .conftest import write_jsonl
    src = {"type": "Source", "id": "source:t", "name": "T", "title": "T", "publisher": "P",
           "url": "https://example.org/t", "license": "CC0-1.0", "year": 2024,
           "retrieved": "2025-01-01"}
    firms = [src] + [{"type": "Firm", "id": f"firm:{x}", "name": x.upper(), "source_ids": ["source:t"]}
                     for x in ("a", "b")]
    import_records(store, [write_jsonl(tmp_path / "firms.jsonl", firms)])
    stakes = [src,
              {"type": "OWNS", "from": "firm:a", "to": "firm:b", "share": 0.3, "year": 2024,
               "source_ids": ["source:t"]},
              {"type": "OWNS", "from": "firm:a", "to": "firm:b", "share": 0.25,
               "source_ids": ["source:t"]}]
    import_records(store, [write_jsonl(tmp_path / "stakes.jsonl", stakes)])
    owns = sorted(store.read("MATCH (:Firm)-[r:OWNS]->(:Firm) "
                             "RETURN r.share AS share, r.year AS year, r.source_ids AS sids"),
                  key=lambda r: r["share"])
    assert owns == [{"share": 0.25, "year": None, "sids": ["source:t"]},
                    {"share": 0.3, "year": 2024, "sids": ["source:t"]}]
