"""The embedded store: FalkorDB through its native client.

Writes go through a staged graph renamed over the live one (kg/store/staging.py and
docs/guarantees.md): readers keep reading the old graph until the rename, and a failure leaves it
as it was.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..machine import cyclic_gc_paused
from . import falkordb_flat, falkordb_reply
from .base import (
    EDGE_COLUMNS,
    GET_META,
    NODE_COLUMNS,
    SET_META,
    STATS_NODES,
    STATS_RELS,
    Progress,
    StatementSource,
    WriteSummary,
    edge_rows,
    ids_present,
    node_pages,
    node_rows,
    plain,
    relationship_pages,
    stats_from_rows,
)
from .embedded import ServerInfo, file_lock
from .prefetch import prefetched
from .staging import (
    StagedWrite,
    background_save,
    ensure_graph,
    fast_params_header,
)

READ_TIMEOUT = 600.0
"""Seconds a read may take before it is reported as failed (reads change nothing)."""


def _graph_value(value: Any) -> dict[str, Any] | None:
    from falkordb import Edge, Node
    from falkordb import Path as FPath
    if isinstance(value, Node):
        return {"labels": list(value.labels or []), **dict(value.properties)}
    if isinstance(value, Edge):
        return {"type": value.relation, **dict(value.properties)}
    if isinstance(value, FPath):
        return {"nodes": [_plain(n) for n in value.nodes()],
                "relationships": [_plain(e) for e in value.edges()]}
    return None


def _plain(value: Any) -> Any:
    """FalkorDB result values -> plain Python (nodes and edges become property dicts)."""
    return plain(value, _graph_value)


class FalkorDBStore:
    backend = "embedded"
    streams_writes = True
    """Writes go to a stage graph dropped on any error (kg.store.staging), so a load may send
    batches before its whole input is validated (kg.pipeline.load)."""

    def __init__(self, info: ServerInfo, home: Path, graph: str = "kg") -> None:
        self.home, self.graph_name = home, graph
        self._writer: StagedWrite | None = None
        self._connect(info)

    def _connect(self, info: ServerInfo) -> None:
        from falkordb import FalkorDB
        self.info = info
        self.db = FalkorDB(host="127.0.0.1", port=info.port, password=info.password,
                           socket_timeout=READ_TIMEOUT, socket_connect_timeout=30)
        self.graph = self.db.select_graph(self.graph_name)

    # -- reads ---------------------------------------------------------------------------------
    def _settled(self) -> None:
        """A read made while this store's write copies the live graph (a load validating its
        input) waits for the copy: the copy may restart a server that stopped answering, and
        then this store is connected to the new one."""
        copying = self._writer.copying if self._writer is not None else None
        if copying is not None and not copying.running_here():
            copying.wait()

    def _exists(self) -> bool:
        self._settled()
        return self.graph_name in self.db.list_graphs()

    def _execute(self, cypher: str, params: dict[str, Any] | None = None, *, compact: bool = True) -> Any:
        """The compact (or plain) reply of a read-only query: the command the client's ro_query
        sends, with the C-encoded parameter header."""
        self._settled()
        params = params or {}
        header = (fast_params_header(params) if params else "") or self.graph._build_params_header(params)
        query = f"{header} {cypher}" if header else cypher
        command = ("GRAPH.RO_QUERY", self.graph_name, query, *(("--compact",) if compact else ()))
        try:
            return self.graph.execute_command(*command)
        except Exception as exc:
            # a graph not created yet answers like an empty one (one round trip saved per read)
            if "empty key" not in str(exc):
                raise
            self._create_empty()
            return self.graph.execute_command(*command)

    @cyclic_gc_paused()
    def read(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        # The compact reply is decoded in one pass (falkordb_reply) unless it holds graph entities.
        try:
            reply = self._execute(cypher, params)
            try:
                return falkordb_reply.rows(reply)[1]
            except falkordb_reply.Unsupported:
                from falkordb.query_result import QueryResult
                result = QueryResult(self.graph, reply)
        except Exception as exc:
            raise StoreError(f"query failed on the embedded store: {exc}") from exc
        names = [h[1] for h in result.header]
        return [dict(zip(names, (_plain(v) for v in row), strict=True)) for row in result.result_set]

    def explain(self, cypher: str) -> str:
        if not self._exists():
            self._create_empty()
        plan = self.graph.explain(cypher)
        return str(plan)

    def stats(self) -> dict[str, dict[str, int]]:
        if not self._exists():
            return {"nodes": {}, "relationships": {}}
        return stats_from_rows(self.read(STATS_NODES), self.read(STATS_RELS))

    def existing_ids(self, ids: list[str]) -> set[str]:
        if not ids or not self._exists():
            return set()
        return ids_present(self.read, ids)

    def iter_nodes(self, batch: int = 5000) -> Iterator[dict[str, Any]]:
        if self._exists():
            keys = self._property_keys()
            yield from prefetched(node_pages(self.read, batch, lambda *page: self._read_nodes(keys, *page)))

    def iter_relationships(self, batch: int = 5000) -> Iterator[dict[str, Any]]:
        if self._exists():
            keys = self._property_keys()
            yield from prefetched(relationship_pages(self.read, batch,
                                                     lambda *page: self._read_edges(keys, *page)))

    def _property_keys(self) -> frozenset[str]:
        """Every property key of the graph (a key added later shows in `keys()` and the page is
        read the compact way)."""
        return frozenset(row["propertyKey"] for row in self.read("CALL db.propertyKeys()"))

    @cyclic_gc_paused()
    def _read_nodes(self, keys: frozenset[str], label: str, match: str, tail: str, params: dict[str, Any]
                    ) -> list[dict[str, Any]]:
        """A page of nodes as flat columns in a plain reply (`falkordb_flat`), else the compact way."""
        layout = falkordb_flat.node_layout(label, keys)
        try:
            return falkordb_flat.node_rows(layout, self._execute(f"{match} {layout.ret}{tail}", params,
                                                                        compact=False))
        except Exception:          # a page the flat columns cannot hold: read it the compact way
            pass
        return node_rows(label, self.read(f"{match} {NODE_COLUMNS}{tail}", params))

    @cyclic_gc_paused()
    def _read_edges(self, keys: frozenset[str], label: str, match: str, tail: str, params: dict[str, Any]
                    ) -> list[dict[str, Any]]:
        """A page of relationships as flat columns in a plain reply (`falkordb_flat`), else as one
        compact reply decoded straight into records-format rows (`falkordb_reply.edge_rows`)."""
        layout = falkordb_flat.edge_layout(label, keys)
        try:
            return falkordb_flat.edge_rows(layout, self._execute(f"{match} {layout.ret}{tail}", params,
                                                                 compact=False))
        except Exception:          # a page the flat columns cannot hold: read it the compact way
            pass
        cypher = f"{match} {EDGE_COLUMNS}{tail}"
        try:
            reply = self._execute(cypher, params)
        except Exception as exc:
            raise StoreError(f"query failed on the embedded store: {exc}") from exc
        try:
            return falkordb_reply.edge_rows(reply)
        except falkordb_reply.Unsupported:
            return edge_rows(self.read(cypher, params))

    def _create_empty(self) -> None:
        """The key of a graph read before anything was written to it: an empty graph without
        indexes. A load swaps its stage in over it, which frees it, and FalkorDB 4.16.3 crashed
        in that `RENAME` while freeing the `id` indexes of a graph a read had made with them
        (docs/guarantees.md, "Rebuilt before the swap"); an empty graph needs no index."""
        self.graph.execute_command("GRAPH.QUERY", self.graph_name, "RETURN 0")

    # -- writes --------------------------------------------------------------------------------
    def _ensure_graph(self, graph: Any | None = None) -> None:
        """Create the graph key and one `id` index per label (FalkorDB's DDL is not idempotent)."""
        ensure_graph(graph or self.graph, self.db)

    def write(self, statements: StatementSource, *, replace: bool = False,
              progress: Progress | None = None) -> WriteSummary:
        """All or nothing: write a stage graph, then RENAME it over the live one (atomic)."""
        summary = WriteSummary()
        started = time.perf_counter()
        with file_lock(self.home / "write.lock"):
            writer = self._writer = StagedWrite(self.info, self.home, self.graph_name,
                                                restarted=self._connect)
            try:
                writer.run(statements, replace=replace, summary=summary, progress=progress)
            finally:
                self._writer = None
                writer.close()
                if writer.info != self.info:     # the write restarted a server that hung
                    self._connect(writer.info)
            self.graph = self.db.select_graph(self.graph_name)
        summary.seconds = time.perf_counter() - started
        return summary

    def save(self) -> None:
        background_save(self.info, self.home)

    def set_meta(self, key: str, value: str) -> None:
        with file_lock(self.home / "write.lock"):
            self._ensure_graph()
            self.graph.query(SET_META, {"id": key, "json": value})
            self.save()

    def get_meta(self, key: str) -> str | None:
        rows = self.read(GET_META, {"id": key}) if self._exists() else []
        return rows[0]["json"] if rows else None

    def clear(self) -> None:
        with file_lock(self.home / "write.lock"):
            if self._exists():
                self.graph.delete()
            self.graph = self.db.select_graph(self.graph_name)
            self.save()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.db.connection.close()
