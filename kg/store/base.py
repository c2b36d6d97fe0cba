"""The store protocol both back ends implement, and the plan of one atomic write."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..models import NODE_TYPES, RELATIONSHIP_TYPES, label_of


@dataclass
class WriteStatement:
    """One parametrised write statement and the row batches it runs with."""

    cypher: str
    batches: list[list[dict[str, Any]]]
    label: str                          # what the batches are, for progress and errors
    kind: str = "node"                  # "node" or "relationship", for the counts


@dataclass
class WriteSummary:
    nodes: int = 0
    relationships: int = 0
    nodes_created: int = 0
    relationships_created: int = 0
    seconds: float = 0.0
    by_type: dict[str, int] = field(default_factory=dict)


Progress = Callable[[str, int], None]

StatementSource = Callable[[bool], Iterable[WriteStatement]] | list[WriteStatement]
"""Statements to write, or a function producing them afresh (a retried transaction replays it).

The function is told whether the target graph is empty when the write starts (checked under the
write lock or inside the transaction): into an empty graph every row is new, so it may CREATE
instead of MERGE."""



def statements_of(source: StatementSource, empty: bool = False) -> Iterable[WriteStatement]:
    return source(empty) if callable(source) else source
"""Called with (label, rows written) after each batch."""


class GraphStore(Protocol):
    backend: str

    def write(self, statements: StatementSource, *, replace: bool = False,
              progress: Progress | None = None) -> WriteSummary:
        """Run every statement atomically: all rows land, or the graph is unchanged."""

    def read(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a read-only query; rows as dicts of plain Python values."""

    def explain(self, cypher: str) -> str:
        """Plan a query without running it (raises on an invalid query)."""

    def stats(self) -> dict[str, dict[str, int]]: ...

    def existing_ids(self, ids: list[str]) -> set[str]: ...

    def iter_nodes(self, batch: int = 5000) -> Iterator[dict[str, Any]]: ...

    def iter_relationships(self, batch: int = 5000) -> Iterator[dict[str, Any]]: ...

    def clear(self) -> None: ...

    def set_meta(self, key: str, value: str) -> None:
        """Store internal metadata (e.g. the build manifest as JSON) in the graph."""

    def get_meta(self, key: str) -> str | None: ...

    def close(self) -> None: ...


LABELS = tuple(NODE_TYPES)
REL_TYPES = tuple(RELATIONSHIP_TYPES)

STATS_NODES = "MATCH (n) RETURN labels(n)[0] AS label, count(n) AS n"
META_LABEL = "_Meta"
"""Internal metadata nodes (the build manifest): not part of the ontology, never exported."""
SET_META = f"MERGE (m:{META_LABEL} {{id: $id}}) SET m.json = $json"
GET_META = f"MATCH (m:{META_LABEL} {{id: $id}}) RETURN m.json AS json"
ANY_NODE = f"MATCH (n) WHERE NOT n:{META_LABEL} RETURN 1 AS found LIMIT 1"
STATS_RELS = "MATCH ()-[r]->() RETURN type(r) AS type, count(r) AS n"


def stats_from_rows(node_rows: list[dict[str, Any]], rel_rows: list[dict[str, Any]]
                    ) -> dict[str, dict[str, int]]:
    return {
        "nodes": {r["label"]: int(r["n"]) for r in sorted(node_rows, key=lambda r: r["label"])
                  if r["label"] != META_LABEL},
        "relationships": {r["type"]: int(r["n"]) for r in sorted(rel_rows, key=lambda r: r["type"])},
    }


def paged_nodes(read: Callable[..., list[dict[str, Any]]], batch: int) -> Iterator[dict[str, Any]]:
    """Every node of the ontology labels, paged by id (a stable key) so memory stays bounded."""
    for label in LABELS:
        last = ""
        while True:
            rows = read(f"MATCH (n:{label}) WHERE n.id > $last RETURN n.id AS id, "
                        f"properties(n) AS props ORDER BY n.id LIMIT $limit",
                        {"last": last, "limit": batch})
            for row in rows:
                yield {"type": label, **row["props"]}
            if len(rows) < batch:
                break
            last = rows[-1]["id"]


def paged_relationships(read: Callable[..., list[dict[str, Any]]], batch: int
                        ) -> Iterator[dict[str, Any]]:
    """Every relationship: per label, source nodes paged by id through the id index, then their
    outgoing relationships (a label-less id lookup would scan every node)."""
    for label in LABELS:
        last = ""
        while True:
            ids = [r["id"] for r in read(
                f"MATCH (a:{label}) WHERE a.id > $last RETURN a.id AS id ORDER BY a.id LIMIT $limit",
                {"last": last, "limit": batch})]
            if not ids:
                break
            rows = read(f"UNWIND $ids AS id MATCH (a:{label} {{id: id}})-[r]->(b) RETURN type(r) AS type, "
                        "a.id AS src, b.id AS dst, properties(r) AS props", {"ids": ids})
            for row in rows:
                yield {"type": row["type"], "from": row["src"], "to": row["dst"], **row["props"]}
            if len(ids) < batch:
                break
            last = ids[-1]


def ids_present(read: Callable[..., list[dict[str, Any]]], ids: list[str]) -> set[str]:
    """Which ids exist, looked up per label (ids carry their label's prefix) through the index."""
    by_label: dict[str, list[str]] = {}
    for node_id in ids:
        label = label_of(node_id)
        if label is not None:
            by_label.setdefault(label, []).append(node_id)
    found: set[str] = set()
    for label, wanted in sorted(by_label.items()):
        for i in range(0, len(wanted), 5000):
            rows = read(f"UNWIND $ids AS id MATCH (n:{label} {{id: id}}) RETURN n.id AS id",
                        {"ids": wanted[i:i + 5000]})
            found.update(r["id"] for r in rows)
    return found
