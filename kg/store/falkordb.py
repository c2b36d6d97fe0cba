"""The embedded store: FalkorDB through its native client.

FalkorDB has no multi-statement rollback, so a write is atomic in one of two ways (see `write`): a
replacing load fills a fresh stage graph and renames it over the live one (`RENAME` is atomic); a
merging load queues every batch in one MULTI … EXEC transaction. A file lock serialises writers;
a `SAVE` after each write makes it durable.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
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
    ids_present,
    paged_nodes,
    paged_relationships,
    plain,
    statements_of,
    stats_from_rows,
)
from .embedded import ServerInfo, file_lock


def _keys(value: Any, out: set[str]) -> None:
    if isinstance(value, dict):
        out.update(value)
        for v in value.values():
            if isinstance(v, (dict, list)):
                _keys(v, out)
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, (dict, list)):
                _keys(v, out)


def fast_params_header(params: dict[str, Any]) -> str | None:
    """The `CYPHER k=v …` header for a write batch, built with the C JSON encoder.

    The falkordb client stringifies parameters in pure Python, which costs more than the write
    itself for large batches. JSON is Cypher-literal syntax except for two things. Map keys are
    quoted strings in JSON and identifiers in Cypher: each `{"key":` / `,"key":` becomes a
    backticked identifier (inside a JSON string every quote is escaped, so a value can never
    contain that pattern). FalkorDB does not decode `\\uXXXX` escapes: a batch whose JSON has one
    (control characters, or a literal backslash-u) returns None and takes the client's encoder.
    """
    parts = []
    for name, value in params.items():
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError):
            return None
        if "\\u" in text:
            return None
        keys: set[str] = set()
        _keys(value, keys)
        for key in keys:
            if not key.isidentifier() or "`" in key:
                return None
            text = text.replace(f'{{"{key}":', f"{{`{key}`:").replace(f',"{key}":', f",`{key}`:")
        parts.append(f"{name}={text}")
    return "CYPHER " + " ".join(parts)


def _stat(reply: Any, name: str) -> int:
    """A counter from a compact GRAPH.QUERY reply ([stats] or [header, rows, stats])."""
    stats = reply[-1] if reply else []
    for item in stats:
        text = item.decode() if isinstance(item, bytes) else str(item)
        if text.startswith(name + ":"):
            return int(float(text.split(":", 1)[1]))
    return 0


def _prepared(statements: Any, depth: int = 4) -> Any:
    """(statement, rows, params header) per batch, prepared one step ahead in a thread.

    Reading the spilled rows and encoding the next batch is Python work; sending a batch is
    mostly waiting for the server. Overlapping the two uses both cores during a load.
    """
    import queue
    import threading

    done = object()
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for st in statements:
                for rows in st.batches:
                    if not put((st, rows, fast_params_header({"rows": rows}))):
                        return
            put(done)
        except BaseException as exc:  # surfaced in the consuming thread
            put(exc)

    thread = threading.Thread(target=produce, name="kg-write-prepare", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


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

    def __init__(self, info: ServerInfo, home: Path, graph: str = "kg") -> None:
        from falkordb import FalkorDB
        self.info, self.home, self.graph_name = info, home, graph
        self.db = FalkorDB(host="127.0.0.1", port=info.port, password=info.password)
        self.graph = self.db.select_graph(graph)
        # Hook for fault-injection tests: called after each batch is written into the stage.
        self._after_batch: Any = None

    # -- reads ---------------------------------------------------------------------------------
    def _exists(self) -> bool:
        return self.graph_name in self.db.list_graphs()

    def read(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        if not self._exists():
            self._ensure_graph()
        try:
            result = self.graph.ro_query(cypher, params or {})
        except Exception as exc:
            raise StoreError(f"query failed on the embedded store: {exc}") from exc
        names = [h[1] for h in result.header]
        return [dict(zip(names, (_plain(v) for v in row), strict=True)) for row in result.result_set]

    def explain(self, cypher: str) -> str:
        self._ensure_graph()
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
            yield from paged_nodes(self.read, batch)

    def iter_relationships(self, batch: int = 5000) -> Iterator[dict[str, Any]]:
        if self._exists():
            yield from paged_relationships(self.read, batch)

    # -- writes --------------------------------------------------------------------------------
    def _ensure_graph(self, graph: Any | None = None) -> None:
        """Create the graph key and one `id` index per label (FalkorDB's DDL is not idempotent)."""
        g = graph or self.graph
        name = g.name
        if name not in self.db.list_graphs():
            g.query("CREATE (:_Init) WITH 1 AS x MATCH (n:_Init) DELETE n")
        have = {row[0] for row in g.ro_query("CALL db.indexes()").result_set}
        for label in LABELS:
            if label not in have:
                g.query(f"CREATE INDEX FOR (n:{label}) ON (n.id)")

    def write(self, statements: StatementSource, *, replace: bool = False,
              progress: Progress | None = None) -> WriteSummary:
        """All or nothing, two ways (FalkorDB has no multi-statement rollback).

        Replacing the graph: write a fresh stage graph and RENAME it over the live one (atomic).
        Merging into it: queue every batch in one MULTI … EXEC transaction, so an error, SIGINT or
        crash before EXEC discards the whole queue. (`GRAPH.COPY` of the live graph into a stage
        was the first design; it deadlocked the server about once in 800 copies.) A server-side
        error inside EXEC would leave a partial write: the server is then stopped without saving,
        so it restarts from the last RDB save, which every write ends with — the graph as it was.
        """
        summary = WriteSummary()
        started = time.perf_counter()
        with file_lock(self.home / "write.lock"):
            self._ensure_graph()
            if replace:
                self._write_replacing(statements, summary, progress)
            else:
                empty = not self.graph.ro_query(ANY_NODE).result_set
                self._write_transaction(statements_of(statements, empty), summary, progress)
            self.graph = self.db.select_graph(self.graph_name)
            self.save()
        summary.seconds = time.perf_counter() - started
        return summary

    def _count(self, st: Any, rows: list[dict[str, Any]], created: int, summary: WriteSummary,
               progress: Progress | None) -> None:
        summary.count(st, len(rows), created, progress)

    def _write_replacing(self, statements: StatementSource, summary: WriteSummary,
                         progress: Progress | None) -> None:
        stage_name = f"{self.graph_name}__stage"
        with contextlib.suppress(Exception):
            self.db.select_graph(stage_name).delete()
        stage = self.db.select_graph(stage_name)
        self._ensure_graph(stage)
        try:
            for st, rows, header in _prepared(statements_of(statements, True)):
                res = (stage.query(f"{header} {st.cypher}") if header is not None
                       else stage.query(st.cypher, {"rows": rows}))
                created = res.nodes_created if st.kind == "node" else res.relationships_created
                self._count(st, rows, int(created), summary, progress)
                if self._after_batch is not None:
                    self._after_batch(st, rows)
            self.db.connection.execute_command("RENAME", stage_name, self.graph_name)
        except BaseException as exc:
            with contextlib.suppress(Exception):
                self.db.select_graph(stage_name).delete()
            if isinstance(exc, Exception) and not isinstance(exc, StoreError):
                raise StoreError(f"write failed, graph left unchanged: {exc}") from exc
            raise

    def _write_transaction(self, statements: Any, summary: WriteSummary,
                           progress: Progress | None) -> None:
        import redis
        from falkordb.helpers import stringify_param_value
        client = redis.Redis(host="127.0.0.1", port=self.info.port, password=self.info.password)
        conn = client.connection_pool.get_connection()
        queued: list[tuple[Any, list[dict[str, Any]]]] = []
        try:
            conn.send_command("MULTI")
            conn.read_response()
            for st, rows, header in _prepared(statements):
                if header is None:    # rare: strings the fast encoder leaves to the client's
                    header = "CYPHER rows=" + stringify_param_value(rows)
                conn.send_command("GRAPH.QUERY", self.graph_name, f"{header} {st.cypher}", "--compact")
                reply = conn.read_response()
                if isinstance(reply, Exception):
                    raise reply
                queued.append((st, rows))
                if self._after_batch is not None:
                    self._after_batch(st, rows)
            conn.send_command("EXEC")
            results = conn.read_response()
        except BaseException as exc:
            # Closing the connection before EXEC makes the server discard the queued writes.
            conn.disconnect()
            client.connection_pool.release(conn)
            client.close()
            if isinstance(exc, Exception) and not isinstance(exc, StoreError):
                raise StoreError(f"write failed, graph left unchanged: {exc}") from exc
            raise
        client.connection_pool.release(conn)
        client.close()
        failed = [r for r in results or [] if isinstance(r, Exception)]
        if failed or results is None:
            self._roll_back()
            raise StoreError(f"write failed inside the transaction ({failed[0] if failed else 'aborted'}); "
                             f"the server was restarted from its last save, graph left unchanged")
        for (st, rows), reply in zip(queued, results, strict=False):
            created = _stat(reply, "Nodes created" if st.kind == "node" else "Relationships created")
            self._count(st, rows, created, summary, progress)

    def _roll_back(self) -> None:
        from . import embedded
        embedded.stop(self.home, force=True)
        self.info = embedded.start(self.home)
        from falkordb import FalkorDB
        self.db = FalkorDB(host="127.0.0.1", port=self.info.port, password=self.info.password)
        self.graph = self.db.select_graph(self.graph_name)

    def save(self) -> None:
        try:
            self.db.connection.execute_command("SAVE")
        except Exception as exc:
            raise StoreError(f"the load was applied but SAVE failed: {exc}") from exc

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
