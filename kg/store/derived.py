"""Aggregates derived at write time, so whole-graph queries read them instead of recomputing.

Some stored queries group every figure of the graph with their default parameters (the latest
figure of every item and stage for `concentration`, every figure series and every relationship
for `provenance-audit`): at a million relationships that is seconds of server time per run. The
same grouping is done once per write, inside the write (the embedded store's stage graph before
it is renamed over the live graph, Neo4j's write transaction), and stored as internal `_Meta`
nodes (docs/architecture.md, "Derived aggregates"):

- `latest-figure`: one node per item (Material or Product) and supply stage: the figure the
  latest-figure rule picks with no `year` (queries/fragments/latest-figure.cypher.in, rendered
  here so the rule has one text), its countries, names and shares in share order and the sources
  of those figures;
- `figure-series`: per relationship type and newest year, the number of figure series, their
  older figures and the smallest example pairs (`provenance-audit`'s stale and superseded rows);
- `relationship-group`: the number of relationships per source list, type and audit flag;
- `traded-codes`: the HS codes trade flows are recorded at (`classification-gaps`).

A `stamp` node records the node (other than `_Meta`) and relationship counts of the graph the
aggregates were derived from, a write generation, the time and the kinds derived (a query checks
that its kinds are there: a graph derived by an older version lacks the newer ones). A query reads the aggregates only
when the runner's `graph_size` parameter (the current counts, `graph_size()`) matches the stamp;
otherwise (a graph written around the loader, a Neo4j database loaded by an older version, a
Browser run with `graph_size` null) it recomputes, with the same result. `_Meta` nodes are never
exported, validated or counted (kg.store.base.META_LABEL).

A failed write leaves the old aggregates as they were: they are derived in the stage or the
transaction that the failure discards.

A write derives again only the aggregates it can have changed. Each declares the node labels and
relationship types it reads (READS); a load never deletes and never changes an id, so an
aggregate none of whose labels and types the load wrote is the same before and after it. Such an
aggregate is kept when it was the graph's own before the write (`current_kinds`: its stamp's
counts were the graph's). A 1,000-record load of firms and ownership into a graph of a million
trade flows no longer groups the flows again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

from ..fragments import render_fragment
from ..models import RELATIONSHIP_TYPES
from .base import META_LABEL, UNNAMED_ENTITY

STAMP_ID = "derived:stamp"
SIZE_PARAM = "graph_size"
"""The query parameter through which the runner passes `graph_size()`: [nodes, relationships]."""

Run = Callable[[str, dict[str, Any]], list[list[Any]]]
"""Runs one write statement with parameters in the write being made; rows as value lists."""

NODE_COUNT = "MATCH (n) RETURN count(n) AS n"
META_COUNT = f"MATCH (n:{META_LABEL}) RETURN count(n) AS n"
RELATIONSHIP_COUNT = "MATCH ()-[r]->() RETURN count(r) AS n"
"""Each a whole query on its own: both stores answer it from their counts without a scan."""

DROP = f"MATCH (d:{META_LABEL}) WHERE d.derived IS NOT NULL AND NOT d.derived IN $keep DELETE d"
KEEP = f"MATCH (d:{META_LABEL}) WHERE d.derived IN $keep SET d.generation = $generation"
PREVIOUS = f"MATCH (d:{META_LABEL} {{id: '{STAMP_ID}'}}) RETURN d.generation AS g"
CURRENT = (f"MATCH (d:{META_LABEL} {{id: '{STAMP_ID}'}}) UNWIND d.kinds AS kind "
           f"RETURN d.nodes AS nodes, d.relationships AS relationships, kind")
"""One row per kind: a store's plain reply may give a list as its text."""

FIGURE_TYPES = ("PRODUCES", "HOLDS_RESERVES", "EXPORTS_TO", "IMPORT_RELIANCE")
READS: dict[str, frozenset[str]] = {
    # items, their groups (member_of), the producing countries (names) and their figures
    "latest-figure": frozenset({"Material", "Product", "Country", "PRODUCES"}),
    # the figure relationships and their endpoints' ids, which never change
    "figure-series": frozenset(FIGURE_TYPES),
    "relationship-group": frozenset(RELATIONSHIP_TYPES),
    "traded-codes": frozenset({"EXPORTS_TO"}),
}
"""The node labels and relationship types each aggregate reads (the module docstring). An
aggregate missing here is derived by every write."""
EVERYTHING = UNNAMED_ENTITY
"""In a write's `entities`: rows of a label or type it cannot name (every aggregate is derived)."""
STAMP = (f"CREATE (:{META_LABEL} {{id: '{STAMP_ID}', derived: 'stamp', nodes: $nodes, "
         f"relationships: $relationships, generation: $generation, derived_at: $derived_at, "
         f"kinds: $kinds}})")

FIGURE_SERIES = f"""
MATCH (a)-[r:{'|'.join(FIGURE_TYPES)}]->(b)
WHERE r.year IS NOT NULL
WITH a, b, type(r) AS t, r.stage AS stage, r.hs_code AS hs, r.flow_basis AS basis,
     max(r.year) AS latest, count(r) AS n
WITH t, latest, n, a.id + ' ' + b.id AS pair
WITH t, latest, count(*) AS series, sum(n - 1) AS older, min(pair) AS first_pair,
     min(CASE WHEN n > 1 THEN pair END) AS first_older_pair
CREATE (:{META_LABEL} {{id: 'derived:figure-series', derived: 'figure-series', generation: $generation,
        type: t, latest: latest, series: series, older: older, first_pair: first_pair,
        first_older_pair: first_older_pair}})
"""

TRADED_CODES = f"""
OPTIONAL MATCH ()-[e:EXPORTS_TO]->()
WITH collect(DISTINCT e.hs_code) AS codes
CREATE (:{META_LABEL} {{id: 'derived:traded-codes', derived: 'traded-codes', generation: $generation,
        codes: codes}})
"""

RELATIONSHIP_GROUPS = f"""
MATCH ()-[r]->()
WITH r.source_ids AS sids, type(r) AS t, coalesce(r.confidence = 'L', false) AS low,
     coalesce(r.estimated = true, false) AS est,
     r.share IS NOT NULL AND r.year IS NULL AS undated_share, count(r) AS n
CREATE (:{META_LABEL} {{id: 'derived:relationship-group', derived: 'relationship-group',
        generation: $generation, sids: sids, type: t, low: low, est: est,
        undated_share: undated_share, n: n}})
"""

LATEST_FIGURE_TAIL = """
WITH x, stage, yr, measure, basis, holder, stated_world, reported_total, world, reporters, figures
UNWIND figures AS f
WITH x, stage, yr, measure, basis, holder, stated_world, reported_total, world, reporters,
     f.c AS c, f.pr AS p, f.share AS share
WHERE share IS NOT NULL
WITH x, stage, yr, measure, basis, holder, stated_world, reported_total, world, reporters, c, p,
     share
ORDER BY share DESC, c.id
WITH x, stage, yr, measure, basis, holder, stated_world, reported_total, world, reporters,
     collect({id: c.id, name: c.name, share: share}) AS producers,
     collect(p.source_ids) AS source_lists
CREATE (:_Meta {id: 'derived:latest-figure', derived: 'latest-figure', generation: $generation,
        item: x.id, item_name: x.name, stage: stage, year: yr, measure: measure, basis: basis,
        holder: holder.id, holder_name: holder.name, stated_world: stated_world,
        reported_total: reported_total, world: world, reporters: reporters,
        top_country: producers[0].name, countries: [pd IN producers | pd.id],
        shares: [pd IN producers | pd.share],
        sources: reduce(acc = [], s IN source_lists | acc + [sid IN s WHERE NOT sid IN acc])})
"""


def latest_figure() -> str:
    """The latest figure of every item and stage, no `year`: the shared fragment, rendered."""
    return ("MATCH (x)\nWHERE x:Material OR x:Product\n"
            + render_fragment("latest-figure", [], bind={"year": "null"}) + LATEST_FIGURE_TAIL)


def derivations() -> list[tuple[str, str]]:
    """(name, write statement) of every aggregate; each reads the graph and creates its nodes."""
    return [("latest-figure", latest_figure()), ("figure-series", FIGURE_SERIES),
            ("relationship-group", RELATIONSHIP_GROUPS), ("traded-codes", TRADED_CODES)]


def _count(run: Run, cypher: str) -> int:
    rows = run(cypher, {})
    return int(rows[0][0]) if rows else 0


def _size(run: Run) -> list[int]:
    """[nodes other than `_Meta`, relationships] of the graph `run` writes to."""
    return [_count(run, NODE_COUNT) - _count(run, META_COUNT), _count(run, RELATIONSHIP_COUNT)]


def current_kinds(run: Run) -> frozenset[str]:
    """The aggregates the graph holds that were derived from it as it is: the kinds its stamp
    lists, when the stamp's counts are the graph's (the test the queries make); else none."""
    rows = run(CURRENT, {})
    if not rows:
        return frozenset()
    if [int(rows[0][0]), int(rows[0][1])] != _size(run):
        return frozenset()
    return frozenset(k.decode() if isinstance(k, bytes) else str(k) for _, _, k in rows)


def unaffected(current: Collection[str], written: Collection[str]) -> frozenset[str]:
    """The kinds of `current` that read none of the labels and types `written`: kept as they are."""
    if EVERYTHING in written:
        return frozenset()
    return frozenset(k for k in current if k in READS and READS[k].isdisjoint(written))


def derive(run: Run, keep: Collection[str] = ()) -> int:
    """Replace the aggregates of the graph `run` writes to, but those named in `keep` (still
    right: `unaffected`), then stamp them; the generation."""
    previous = run(PREVIOUS, {})
    generation = (int(previous[0][0] or 0) if previous else 0) + 1
    kept = sorted(name for name, _ in derivations() if name in keep)
    run(DROP, {"keep": kept})
    if kept:
        run(KEEP, {"keep": kept, "generation": generation})
    kinds = []
    for name, cypher in derivations():
        if name not in kept:
            run(cypher, {"generation": generation})
        kinds.append(name)
    nodes, relationships = _size(run)
    run(STAMP, {"nodes": nodes, "relationships": relationships, "generation": generation,
                "derived_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "kinds": kinds})
    return generation


def graph_size(read: Callable[..., list[dict[str, Any]]]) -> list[int]:
    """[nodes other than `_Meta`, relationships] of the live graph, for the `graph_size` parameter."""
    def count(cypher: str) -> int:
        rows = read(cypher)
        return int(rows[0]["n"]) if rows else 0
    return [count(NODE_COUNT) - count(META_COUNT), count(RELATIONSHIP_COUNT)]

