"""what-if-cutoff reaches every input within six REQUIRES levels, whichever path reaches it first.

Fixture `tests/fixtures/queries/deep_bom.jsonl` (records format): a kit whose hub product lies six
levels down a long chain and two levels down a short cut; the hub needs an ore that China mines
(800 of a 1,000 t world total, so 80 %). The ore is three levels below the kit, so a cut-off of
China must show it. A variable-length match that first reaches the hub at its last level and then
never looks below it would miss the ore; expected values come from the fixture's figures and a
breadth-first search over its REQUIRES records, not from the query.
"""
from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import Any

import pytest

from kg.api import import_records
from kg.queries import run_query

FIX = Path(__file__).parent / "fixtures" / "queries"


def _within(records: list[dict[str, Any]], start: str, levels: int) -> set[str]:
    """Nodes 1..levels REQUIRES steps below `start` (breadth-first, shortest depth)."""
    below: dict[str, list[str]] = {}
    for r in records:
        if r["type"] == "REQUIRES":
            below.setdefault(r["from"], []).append(r["to"])
    depth = {start: 0}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        for nxt in below.get(node, []):
            if nxt not in depth:
                depth[nxt] = depth[node] + 1
                todo.append(nxt)
    return {n for n, d in depth.items() if 1 <= d <= levels}


def test_what_if_cutoff_finds_an_input_first_reached_by_the_longest_path(store: Any) -> None:
    paths = [FIX / "base.jsonl", FIX / "deep_bom.jsonl"]
    import_records(store, paths)
    records = [json.loads(line) for line in (FIX / "deep_bom.jsonl").read_text().splitlines()]
    assert "material:deep-ore" in _within(records, "product:deep-kit", 6)
    rows = run_query(store, "what-if-cutoff", {"product": "product:deep-kit"})[1]
    got = {(r["input_id"], r["stage"]): r for r in rows}
    assert set(got) == {("material:deep-ore", "mining")}
    ore = got[("material:deep-ore", "mining")]
    assert ore["lost_share"] == pytest.approx(0.8)
    assert ore["depth"] == 3     # the shortest bill-of-materials path: kit, short cut, hub, ore
    assert ore["path"] == ["Deep kit", "Deep short cut", "Deep hub", "Deep ore"]


def test_single_points_of_failure_finds_an_input_first_reached_by_the_longest_path(store: Any) -> None:
    """The same bill of materials: China's 80 % of the ore's mining is over the 0.5 threshold, so
    the kit has a single point of failure three levels down (its shortest path)."""
    import_records(store, [FIX / "base.jsonl", FIX / "deep_bom.jsonl"])
    rows = run_query(store, "single-points-of-failure", {"product": "product:deep-kit"})[1]
    got = {(r["input_id"], r["stage"], r["supplier_id"]): r for r in rows}
    assert set(got) == {("material:deep-ore", "mining", "country:CHN")}
    ore = got[("material:deep-ore", "mining", "country:CHN")]
    assert ore["share"] == pytest.approx(0.8)
    assert ore["depth"] == 3
    assert ore["path"] == ["Deep kit", "Deep short cut", "Deep hub", "Deep ore"]


def test_no_stored_query_walks_requires_without_a_path_variable() -> None:
    """A variable-length REQUIRES match without a path variable is what misses inputs on FalkorDB:
    queries either name the path (every path listed) or use the bom-inputs fragment."""
    import re
    from kg.paths import queries_dir
    bare = re.compile(r"(?<!= )\((\w*)(:\w+)?\)-\[:REQUIRES\*\d*\.\.\d+\]->")
    for path in sorted(queries_dir().glob("*.cypher")):
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.lstrip().startswith("//")]
        found = [ln.strip() for ln in lines if bare.search(ln)]
        assert not found, f"{path.name}: {found}"
    assert bare.search("  MATCH (p:Product)-[:REQUIRES*1..6]->(x)")
    assert not bare.search("MATCH path = (p:Product)-[:REQUIRES*1..6]->(x)")
