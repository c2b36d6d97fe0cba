"""Ownership stakes are dated facts: a later stake never overwrites an earlier one (issue 16).

`OWNS` is keyed by its year, so the 2021 and 2024 stakes of one owner in one asset coexist, an
undated stake is a fact of its own, and loading the same file again (into a graph that already
holds it, which takes the MERGE path rather than the create path) changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kg import api

from .conftest import write_jsonl

SRC = {"type": "Source", "id": "source:t", "name": "t", "title": "t", "publisher": "p",
       "url": "https://example.org/t", "license": "CC0", "retrieved": "2026-01-01"}
NODES = [SRC,
         {"type": "Firm", "id": "firm:a", "name": "A", "source_ids": ["source:t"]},
         {"type": "Facility", "id": "facility:m", "name": "M", "source_ids": ["source:t"]}]


def _stake(share: float, year: int | None) -> dict[str, Any]:
    rec: dict[str, Any] = {"type": "OWNS", "from": "firm:a", "to": "facility:m", "share": share,
                           "source_ids": ["source:t"]}
    if year is not None:
        rec["year"] = year
    return rec


def _stakes(store: Any) -> list[tuple[Any, Any]]:
    rows = store.read("MATCH (:Firm {id: 'firm:a'})-[r:OWNS]->(:Facility {id: 'facility:m'}) "
                      "RETURN r.year AS year, r.share AS share ORDER BY coalesce(r.year, 0)")
    return [(r["year"], r["share"]) for r in rows]


def test_stakes_of_different_years_coexist_and_reload_is_idempotent(store: Any, tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "first.jsonl", NODES + [_stake(0.5, 2021), _stake(1.0, None)])
    api.import_records(store, [first])
    assert _stakes(store) == [(None, 1.0), (2021, 0.5)]
    # The later stake arrives in a second load (the graph is not empty: MERGE path).
    second = write_jsonl(tmp_path / "second.jsonl", NODES + [_stake(0.65, 2024), _stake(0.5, 2021),
                                                               _stake(1.0, None)])
    report = api.import_records(store, [second])
    assert report.relationships_created == 1
    assert _stakes(store) == [(None, 1.0), (2021, 0.5), (2024, 0.65)]
    before = store.stats()
    report = api.import_records(store, [second])
    assert report.relationships_created == 0 and store.stats() == before
    # A restated undated stake updates the undated fact, not a dated one.
    third = write_jsonl(tmp_path / "third.jsonl", NODES + [_stake(0.9, None)])
    api.import_records(store, [third])
    assert _stakes(store) == [(None, 0.9), (2021, 0.5), (2024, 0.65)]
