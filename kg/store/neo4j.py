"""Neo4j over Bolt with the official driver: one transaction per load, reads in READ mode."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from ..errors import StoreError
from .base import (
    ANY_NODE,
    GET_META,
    LABELS,
    SET_META,
    STATS_NODES,
    STATS_RELS,
    Progress,
    StatementSource,
    WriteSummary,
    batch_rows,
    ids_present,
    paged_nodes,
    paged_relationships,
    plain,
    statements_of,
    stats_from_rows,
)
from .derived import current_kinds, derive, unaffected


def _graph_value(value: Any) -> dict[str, Any] | None:
    from neo4j.graph import Node, Path, Relationship
    if isinstance(value, Node):
        return {"labels": sorted(value.labels), **dict(value)}
    if isinstance(value, Relationship):
        return {"type": value.type, **dict(value)}
    if isinstance(value, Path):
        return {"nodes": [_plain(n) for n in value.nodes],
                "relationships": [_plain(r) for r in value.relationships]}
    return None


def _plain(value: Any) -> Any:
    """Neo4j driver values -> plain Python (nodes and relationships become property dicts)."""
    return plain(value, _graph_value)


class Neo4jStore:
    backend = "neo4j"

    def __init__(self, uri: str, user: str, password: str | None, database: str | None) -> None:
        import neo4j
        self.uri, self.database = uri, database
        auth = (user, password) if password is not None else None
        try:
            self.driver = neo4j.GraphDatabase.driver(uri, auth=auth)
            self.driver.verify_connectivity()
        except Exception as exc:
            raise StoreError(f"cannot connect to Neo4j at {uri}: {exc}") from exc
        self._constraints()

    def _session(self, read: bool = False) -> Any:
        import neo4j
        mode = neo4j.READ_ACCESS if read else neo4j.WRITE_ACCESS
        return self.driver.session(database=self.database, default_access_mode=mode)

    def _constraints(self) -> None:
        with self._session() as session:
            for label in LABELS:
                session.run(f"CREATE CONSTRAINT kg_{label.lower()}_id IF NOT EXISTS "
                            f"FOR (n:{label}) REQUIRE n.id IS UNIQUE").consume()

    def read(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        def work(tx: Any) -> list[dict[str, Any]]:
            result = tx.run(cypher, params or {})
            return [{k: _plain(v) for k, v in rec.items()} for rec in result]
        try:
            with self._session(read=True) as session:
                rows: list[dict[str, Any]] = session.execute_read(work)
                return rows
        except Exception as exc:
            raise StoreError(f"query failed on Neo4j: {exc}") from exc

    def explain(self, cypher: str) -> str:
        with self._session(read=True) as session:
            summary = session.run("EXPLAIN " + cypher).consume()
            return str(summary.plan)

    def stats(self) -> dict[str, dict[str, int]]:
        return stats_from_rows(self.read(STATS_NODES), self.read(STATS_RELS))

    def existing_ids(self, ids: list[str]) -> set[str]:
        return ids_present(self.read, ids)

    def iter_nodes(self, batch: int = 5000) -> Iterator[dict[str, Any]]:
        yield from paged_nodes(self.read, batch)

    def iter_relationships(self, batch: int = 5000) -> Iterator[dict[str, Any]]:
        yield from paged_relationships(self.read, batch)

    def write(self, statements: StatementSource, *, replace: bool = False,
              progress: Progress | None = None) -> WriteSummary:
        summary = WriteSummary()
        started = time.perf_counter()

        def work(tx: Any) -> None:
            # Managed transaction: retried on transient errors; either every batch commits or none.
            summary.nodes = summary.relationships = 0
            summary.nodes_created = summary.relationships_created = 0
            summary.by_type.clear()
            summary.entities.clear()

            def run(cypher: str, params: dict[str, Any]) -> list[list[Any]]:
                return [list(r.values()) for r in tx.run(cypher, params)]

            if replace:
                tx.run("MATCH (n) DETACH DELETE n").consume()
            empty = replace or not list(tx.run(ANY_NODE))
            current = frozenset() if replace else current_kinds(run)
            for st in statements_of(statements, empty):
                for rows in st.batches:
                    counters = tx.run(st.cypher, {"rows": batch_rows(rows)}).consume().counters
                    created = counters.nodes_created if st.kind == "node" else counters.relationships_created
                    summary.count(st, len(rows), created, progress)
            derive(run, keep=unaffected(current, summary.entities))
        try:
            with self._session() as session:
                session.execute_write(work)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"write failed, graph left unchanged: {exc}") from exc
        summary.seconds = time.perf_counter() - started
        return summary

    def set_meta(self, key: str, value: str) -> None:
        with self._session() as session:
            session.execute_write(lambda tx: tx.run(SET_META, {"id": key, "json": value}).consume())

    def get_meta(self, key: str) -> str | None:
        rows = self.read(GET_META, {"id": key})
        return rows[0]["json"] if rows else None

    def clear(self) -> None:
        with self._session() as session:
            session.execute_write(lambda tx: tx.run("MATCH (n) DETACH DELETE n").consume())

    def close(self) -> None:
        self.driver.close()
