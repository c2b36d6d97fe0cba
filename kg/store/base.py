"""The store protocol both back ends implement, and the plan of one atomic write."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..models import NODE_TYPES, RELATIONSHIP_TYPES


@dataclass
class WriteStatement:
    """One parametrised write statement and the row batches it runs with."""

    cypher: str
    batches: list[list[dict[str, Any]]]
    label: str                          # what the batches are, for progress and errors


@dataclass
class WriteSummary:
    nodes: int = 0
    relationships: int = 0
    nodes_created: int = 0
    relationships_created: int = 0
    seconds: float = 0.0
    by_type: dict[str, int] = field(default_factory=dict)


Progress = Callable[[str, int], None]

StatementSource = Callable[[], Iterable[WriteStatement]] | list[WriteStatement]
"""Statements to write, or a function producing them afresh (a retried transaction replays it)."""


def statements_of(source: StatementSource) -> Iterable[WriteStatement]:
    return source() if callable(source) else source
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
STATS_RELS = "MATCH ()-[r]->() RETURN type(r) AS type, count(r) AS n"


def stats_from_rows(node_rows: list[dict[str, Any]], rel_rows: list[dict[str, Any]]
                    ) -> dict[str, dict[str, int]]:
    return {
        "nodes": {r["label"]: int(r["n"]) for r in sorted(node_rows, key=lambda r: r["label"])
                  if r["label"] != META_LABEL},
        "relationships": {r["type"]: int(r["n"]) for r in sorted(rel_rows, key=lambda r: r["type"])},
    }
