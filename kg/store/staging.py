"""The embedded store's write path: a stage graph, written in pipelined batches, renamed over the
live graph. What each phase leaves after a failure or a crash is in docs/guarantees.md.

1. Stage: an empty graph with the id indexes when the load replaces the graph or the live graph
   is empty, else `GRAPH.COPY` of the live graph. The copy runs in a forked child of the server;
   that child has been seen to hang (about once in 800 copies), so the copy has a deadline after
   which the child is killed and the copy retried. When the fork itself fails ("Can't fork for
   module" in the server log) the server stops answering every client, PING included; a server
   that does not answer a PING after a copy's deadline is killed and started again from its last
   save, which holds every completed write (each write waits for its save), and the copy is
   retried there. Readers are not blocked by the copy.
   A load into an empty stage is written with GRAPH.BULK instead (kg.store.falkordb_bulk), which
   creates the stage with its first batch; the id indexes are built after it.
2. Write: every batch is one short `GRAPH.QUERY` on the stage, a few in flight at once so the
   server writes while the client encodes the next batch. Readers keep reading the live graph.
   Every stage is then replaced by a `GRAPH.COPY` of itself, after its derived aggregates:
   FalkorDB 4.16.3 left a graph written in batches with values that later queries overwrote, and
   crashed freeing the index of a graph written with GRAPH.BULK (docs/guarantees.md, "Rebuilt
   before the swap").
3. Swap: `RENAME stage live`, atomic. A reply lost here is resolved by looking whether the stage
   still exists, never guessed.
4. Save: `BGSAVE` (a forked child writes the RDB, readers are not blocked) and wait for its
   status; a failure is reported with the reason from the server log.

A failure in 1–3 drops the stage and leaves the live graph untouched, so "graph left unchanged"
is true whatever the client saw. No client timeout can misreport: every socket here has an
explicit timeout, and a timeout before the swap only abandons the stage.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import re
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Sized
from pathlib import Path
from typing import Any

from ..errors import DataError, KGError, StoreError
from .base import (
    ANY_NODE,
    LABELS,
    EncodedRows,
    Progress,
    StatementSource,
    WriteStatement,
    WriteSummary,
    batch_rows,
    statements_of,
)
from .derived import current_kinds, derive, unaffected
from .embedded import ServerInfo, log_tail, server_running
from .falkordb_bulk import BulkEncoder
from .prefetch import Background, read_ahead

log = logging.getLogger(__name__)

STAGE_SUFFIX = "__stage"
REBUILT_SUFFIX = "__rebuilt"
"""The stage's copy while it is rebuilt (StagedWrite._rebuild_stage): `<graph>__stage__rebuilt`."""
BATCH_TIMEOUT = 600.0
"""Seconds one batch may take on the server; on expiry the stage is abandoned (graph unchanged)."""
IN_FLIGHT = 3
"""Batches sent before the first reply is read: the server works while the client encodes."""
COPY_TIMEOUT_BASE, COPY_TIMEOUT_PER_MILLION = 60.0, 60.0
"""Deadline of one GRAPH.COPY: base plus this much per million nodes and relationships."""
COPY_TRIES = 3
WEDGE_PROBE = 10.0
"""Seconds a PING may take after a copy's deadline before the server counts as stopped answering."""
BULK = True
"""Write a load into an empty stage with GRAPH.BULK (kg.store.falkordb_bulk); False: `UNWIND … CREATE`."""


def _client(info: ServerInfo, timeout: float | None) -> Any:
    """A raw client: bytes replies, explicit timeouts, and no retries (a retried CREATE batch
    would write its rows twice)."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
    return redis.Redis(host="127.0.0.1", port=info.port, password=info.password,
                       socket_timeout=timeout, socket_connect_timeout=30,
                       retry=Retry(NoBackoff(), 0))


def ensure_graph(graph: Any, db: Any) -> None:
    """Create the graph key and one `id` index per label (FalkorDB's DDL is not idempotent)."""
    if graph.name not in db.list_graphs():
        graph.query("CREATE (:_Init) WITH 1 AS x MATCH (n:_Init) DELETE n")
    have = {row[0] for row in graph.ro_query("CALL db.indexes()").result_set}
    for label in LABELS:
        if label not in have:
            graph.query(f"CREATE INDEX FOR (n:{label}) ON (n.id)")


# -- batches -------------------------------------------------------------------------------------

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
    Floats are written by `repr`, the shortest text that reads back as the same double.
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


_JSON_KEY = re.compile(r'([{,])"([A-Za-z_][A-Za-z0-9_]*)":')


def encoded_header(rows: EncodedRows) -> str | None:
    """The `CYPHER rows=…` header for rows spilled as JSON text, without decoding them.

    Map keys become backticked identifiers. In JSON from `json.dumps` an object key is a quote,
    the name and `":`; a quote inside a string value is escaped, and a string value is never
    followed by `:`, so `"name":` for a name that is an identifier is always that key. With the
    rows' keys known (`EncodedRows.keys`) that is one plain replace per key; anything left that
    looks like a key (or no keys given) takes one pattern over the whole text.
    Text with a `\\u` escape is left to the client's encoder (FalkorDB does not decode them)."""
    text = rows.json()
    if "\\u" in text:
        return None
    if rows.keys:
        out = text
        for key in rows.keys:
            out = out.replace(f'"{key}":', f"`{key}`:")
        if '":' not in out:
            return "CYPHER rows=" + out
    return "CYPHER rows=" + _JSON_KEY.sub(r"\1`\2`:", text)


CHANGES = ("Nodes created", "Relationships created", "Properties set", "Properties removed",
           "Labels added", "Labels removed", "Nodes deleted", "Relationships deleted")
"""The counters of a reply that say a batch changed the graph."""


def _stat(reply: Any, name: str) -> int:
    """A counter from a compact GRAPH.QUERY reply ([stats] or [header, rows, stats])."""
    stats = reply[-1] if reply else []
    for item in stats:
        text = item.decode() if isinstance(item, bytes) else str(item)
        if text.startswith(name + ":"):
            return int(float(text.split(":", 1)[1]))
    return 0


def _prepared(statements: Any, encode: Any, depth: int = 4) -> Any:
    """(statement, range(rows), command, created) per batch, prepared up to `depth` batches ahead in a
    thread; `encode(st, rows)` gives the command (None: nothing to send) and the entities it
    creates when known in advance (else None: read from the reply).

    Reading the spilled rows and encoding the next batch is Python work; sending a batch is
    mostly waiting for the server. Overlapping the two uses both cores during a load.
    """
    def produce() -> Iterator[tuple[Any, ...]]:
        for st in statements:
            for rows in st.batches:
                # the batch's size, not its rows: an encoded batch is not kept twice
                yield (st, range(len(rows)), *encode(st, rows))
    return read_ahead(produce(), depth, "kg-write-prepare")


def _bulk_part(statements: Iterator[WriteStatement], after: list[WriteStatement]
               ) -> Iterator[WriteStatement]:
    """The statements up to the first without a bulk form (put in `after`): a load sends rows
    that update entities it created last, once the stage has its indexes."""
    for st in statements:
        if st.bulk is None:
            after.append(st)
            return
        yield st


# -- the staged write ----------------------------------------------------------------------------

class StagedWrite:
    """One all-or-nothing write into the graph `name` (the caller holds the write lock)."""

    def __init__(self, info: ServerInfo, home: Path, name: str,
                 restarted: Callable[[ServerInfo], None] | None = None) -> None:
        self.info, self.home, self.name = info, home, name
        self.stage = f"{name}{STAGE_SUFFIX}"
        self.rebuilt = f"{self.stage}{REBUILT_SUFFIX}"
        self.copying: Background | None = None
        """The copy of the live graph while it runs (the store's reads wait for it)."""
        self.client = _client(info, BATCH_TIMEOUT)
        self.restarted = restarted
        """Told the new server when the write restarted one: a load still validating its input
        reads the graph during the write (kg.pipeline.load)."""

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()

    def _graphs(self, client: Any = None) -> set[str]:
        return {g.decode() for g in (client or self.client).execute_command("GRAPH.LIST")}

    def _query(self, graph: str, cypher: str) -> Any:
        return self.client.execute_command("GRAPH.QUERY", graph, cypher, "--compact")

    def run(self, statements: StatementSource, *, replace: bool, summary: WriteSummary,
            progress: Progress | None) -> None:
        import redis
        current: frozenset[str] = frozenset()
        try:
            self.drop_stage()                # a stage left by a client that died
            live = self.name in self._graphs()
            empty = not live or not self._query(self.name, ANY_NODE)[1]
            fresh = replace or not live or not self._query(self.name, "MATCH (n) RETURN 1 LIMIT 1")[1]
            todo = iter(statements_of(statements, empty or replace))
            first = next(todo, None) if fresh else None   # its form decides GRAPH.BULK
            todo = itertools.chain([first] if first else [], todo)
            if fresh and BULK and first is not None and first.bulk is not None:
                self._phase("staged")        # GRAPH.BULK creates the stage with its first call
                encoder = BulkEncoder()
                after: list[WriteStatement] = []
                self._write_batches(_bulk_part(todo, after), summary, progress,
                                    self._bulk_command(encoder))
                if not encoder.started:
                    self._fresh_stage()
                else:
                    self._index_stage()
                if after:    # statements that update what GRAPH.BULK created: through the index
                    self._write_batches(itertools.chain(after, todo), summary, progress,
                                        self._query_command)
            else:
                if fresh:
                    self._fresh_stage()
                    self._phase("staged")
                    self._write_batches(todo, summary, progress, self._query_command)
                else:
                    # The server copies the live graph while the load validates its input (the
                    # first statement is ready when every record is). The store's reads wait
                    # for the copy: it may restart a server that stopped answering
                    # (FalkorDBStore._settled).
                    first = self._while_copying(todo)
                    current = current_kinds(self._run_stage)    # the live graph's, copied
                    self._phase("staged")
                    self._write_batches(itertools.chain([first] if first else [], todo), summary,
                                        progress, self._query_command)
            # the aggregates of the staged graph (kg.store.derived); a fresh stage has none to keep
            derive(self._run_stage, keep=unaffected(current, summary.entities))
            self._rebuild_stage()
            self._phase("written")
        except BaseException as exc:
            with contextlib.suppress(Exception):
                self._drop(self.stage, self.rebuilt, client=_client(self.info, 30))
            if isinstance(exc, redis.exceptions.TimeoutError):
                raise StoreError(f"write failed, graph left unchanged: the server did not answer "
                                 f"within {BATCH_TIMEOUT:.0f}s") from None
            if isinstance(exc, Exception) and not isinstance(exc, KGError):
                raise StoreError(f"write failed, graph left unchanged: {exc}") from exc
            raise               # e.g. the input's errors found while it was being written
        self._swap()
        self._phase("swapped")
        try:
            background_save(self.info, self.home)
        except BaseException as exc:
            if not isinstance(exc, Exception):   # Ctrl-C / SIGTERM while waiting for the save
                log.warning("interrupted after the swap: the load is applied and the server "
                            "goes on saving it")
            raise
        self._phase("saved")

    def _phase(self, name: str) -> None:
        """Each phase of docs/guarantees.md ("staged", "written", "swapped", "saved"), in the log."""
        log.debug("write of %s: %s", self.name, name)

    def _run_stage(self, cypher: str, params: dict[str, Any]) -> list[list[Any]]:
        """One statement on the stage; rows of plain values (the counts and numbers it returns)."""
        header = fast_params_header(params) if params else ""
        if header is None:
            raise StoreError("write failed, graph left unchanged: a derived aggregate's "
                             "parameters could not be encoded")
        reply = self.client.execute_command("GRAPH.QUERY", self.stage,
                                            f"{header} {cypher}" if header else cypher)
        return [list(row) for row in reply[1]] if len(reply) == 3 else []

    def drop_stage(self) -> None:
        self._drop(self.stage, self.rebuilt)

    def _drop(self, *names: str, client: Any = None) -> None:
        """Delete those of these graphs that exist."""
        client = client or self.client
        graphs = self._graphs(client)
        for name in names:
            if name in graphs:
                client.execute_command("GRAPH.DELETE", name)

    def _fresh_stage(self) -> None:
        self._query(self.stage, "CREATE (:_Init) WITH 1 AS x MATCH (n:_Init) DELETE n")
        self._index_stage()

    def _index_stage(self) -> None:
        """One `id` index per label; on a filled stage (after GRAPH.BULK) the server builds them
        in the background, so they are waited for: the swapped-in graph answers at full speed."""
        for label in LABELS:
            self._query(self.stage, f"CREATE INDEX FOR (n:{label}) ON (n.id)")
        deadline = time.monotonic() + BATCH_TIMEOUT
        while any(row[7] != b"OPERATIONAL" and row[7] != "OPERATIONAL"
                  for row in self.client.execute_command("GRAPH.RO_QUERY", self.stage,
                                                         "CALL db.indexes()")[1]):
            if time.monotonic() > deadline:
                raise StoreError(f"write failed, graph left unchanged: the id indexes were not "
                                 f"built within {BATCH_TIMEOUT:.0f}s")
            time.sleep(0.05)

    def _query_command(self, st: Any, rows: Any) -> tuple[tuple[Any, ...], int | None]:
        from falkordb.helpers import stringify_param_value
        header = (encoded_header(rows) if isinstance(rows, EncodedRows)
                  else fast_params_header({"rows": rows}))
        if header is None:    # rare: strings the fast encoder leaves to the client's
            header = "CYPHER rows=" + stringify_param_value(batch_rows(rows))
        return ("GRAPH.QUERY", self.stage, f"{header} {st.cypher}", "--compact"), None

    def _bulk_command(self, encoder: BulkEncoder) -> Any:
        def encode(st: Any, rows: Any) -> tuple[tuple[Any, ...] | None, int | None]:
            args, created = encoder.args(st, rows)
            return (None if args is None else ("GRAPH.BULK", self.stage, *args)), created
        return encode

    def _while_copying(self, todo: Iterator[WriteStatement]) -> WriteStatement | None:
        """The first statement of `todo`, prepared while the live graph is copied to the stage;
        the copy has ended, well or not, when this returns or raises. An error of the input is
        the one reported; else the copy's, which explains a read that failed with it."""
        self.copying = Background(self._copy_live, "kg-copy-live")
        try:
            first = next(todo, None)
        except BaseException as exc:
            self.copying.wait()       # the stage is dropped next: never while it is written
            if self.copying.error is not None and not isinstance(exc, DataError):
                raise self.copying.error from exc
            raise
        finally:
            copying, self.copying = self.copying, None
        copying.result()
        return first

    def _copy_live(self) -> None:
        self._copy(self.name, self.stage, "copying the graph to a stage", restart=True)

    def _rebuild_stage(self) -> None:
        """Replace the stage by a copy of itself before it is swapped in. FalkorDB 4.16.3 left a
        graph written in `UNWIND` batches (then given its derived aggregates) with property
        values that later queries overwrote: a share in a derived array became 2.0e-314, and
        another graph lost a relationship from its patterns. A graph written with GRAPH.BULK
        (then given its aggregates) crashed the server when it was deleted, in an index's free.
        A copy is decoded from FalkorDB's own serialisation, as a graph loaded from its save file
        is, and showed none of these (docs/guarantees.md, "Rebuilt before the swap")."""
        self._copy(self.stage, self.rebuilt, "rebuilding the stage", restart=False)
        self.client.execute_command("GRAPH.DELETE", self.stage)
        self.client.execute_command("RENAME", self.rebuilt, self.stage)

    def _copy(self, source: str, target: str, what: str, *, restart: bool) -> None:
        """`GRAPH.COPY source target`, waiting out the server's other forked children; a copy
        whose forked child hangs is killed, its partial target dropped, and tried again. With
        `restart`, a server that stopped answering is restarted from its last save (only before
        the load has written anything the restart would lose)."""
        import redis
        size = sum(int(row[0][1]) for q in ("MATCH (n) RETURN count(n)", "MATCH ()-[r]->() RETURN count(r)")
                   for row in self._query(source, q)[1])
        deadline = COPY_TIMEOUT_BASE + COPY_TIMEOUT_PER_MILLION * size / 1e6
        for _attempt in range(COPY_TRIES):
            copier = _client(self.info, deadline)
            try:
                # a copy whose fork is refused (another child runs) leaves the server hanging
                try:
                    wait_no_fork(copier, time.monotonic() + deadline)
                except StoreError:            # a module's child that hangs
                    _kill_fork_children(self.info.pid)
                copier.execute_command("GRAPH.COPY", source, target)
                return
            except redis.exceptions.TimeoutError:
                # The copy's forked child hung: kill it (the server answers the copy with an
                # error), drop any partial copy and try again.
                _kill_fork_children(self.info.pid)
                time.sleep(0.5)
                if restart and not _answers(self.info, WEDGE_PROBE):
                    self._restart_stopped_server()
                with contextlib.suppress(Exception):
                    self._drop(target)
            finally:
                copier.close()
        raise StoreError(f"write failed, graph left unchanged: {what} did not finish within "
                         f"{deadline:.0f}s in {COPY_TRIES} tries")

    def _restart_stopped_server(self) -> None:
        """Kill a server that stopped answering and start it again from its last save. Nothing is
        lost: every completed write waited for its save, and this write has not begun."""
        from . import embedded
        log.warning("the embedded server (pid %s) stopped answering while copying %s to a stage; "
                    "restarting it from its last save. Server log:\n%s",
                    self.info.pid, self.name, log_tail(self.home, 5))
        embedded.stop(self.home, timeout=WEDGE_PROBE, force=True)
        self.info = embedded.start(self.home)
        self.close()
        self.client = _client(self.info, BATCH_TIMEOUT)
        if self.restarted is not None:
            self.restarted(self.info)

    def _write_batches(self, statements: Any, summary: WriteSummary,
                       progress: Progress | None, encode: Any) -> None:
        conn = self.client.connection_pool.get_connection()
        pending: deque[tuple[Any, Any, int | None]] = deque()
        try:
            for st, rows, command, created in _prepared(statements, encode):
                if command is None:           # a batch that creates nothing
                    summary.count(st, len(rows), 0, progress)
                    continue
                conn.send_command(*command)
                pending.append((st, rows, created))
                if len(pending) >= IN_FLIGHT:
                    self._reply(conn, *pending.popleft(), summary, progress)
            while pending:
                self._reply(conn, *pending.popleft(), summary, progress)
        except BaseException:
            conn.disconnect()       # replies still in flight make this connection unusable
            raise
        finally:
            self.client.connection_pool.release(conn)

    def _reply(self, conn: Any, st: Any, rows: Sized, known: int | None,
               summary: WriteSummary, progress: Progress | None) -> None:
        import redis
        try:
            reply = conn.read_response()
        except redis.exceptions.ResponseError as exc:
            reply = exc
        if isinstance(reply, Exception):
            raise StoreError(f"write failed, graph left unchanged: the store refused a batch of "
                             f"{st.label}: {reply}")
        created = known if known is not None else _stat(
            reply, "Nodes created" if st.kind == "node" else "Relationships created")
        # FalkorDB counts a property set to the value it had as no change (tests/test_derived_aggregates.py)
        changed = known is not None or any(_stat(reply, name) for name in CHANGES)
        summary.count(st, len(rows), created, progress, changed)

    def _swap(self) -> None:
        import redis
        try:
            self.client.execute_command("RENAME", self.stage, self.name)
            return
        except redis.exceptions.ResponseError as exc:
            self._abandon(f"the swap was refused: {exc}")
        except (redis.exceptions.TimeoutError, redis.exceptions.ConnectionError) as exc:
            # The reply was lost: whether the rename happened is read from the server.
            if not server_running(self.home):
                raise StoreError("write failed, graph left unchanged: the server stopped at the "
                                 "swap and restarts from its last save") from None
            try:
                graphs = self._graphs(_client(self.info, 60))
            except redis.exceptions.RedisError:
                raise StoreError(f"the server stopped answering at the swap ({exc}); the graph is "
                                 f"the old one or the new one: `kg stats` shows which") from None
            if self.stage in graphs:
                self._abandon(f"the swap did not happen ({exc})")

    def _abandon(self, why: str) -> None:
        with contextlib.suppress(Exception):
            self._drop(self.stage, client=_client(self.info, 30))
        raise StoreError(f"write failed, graph left unchanged: {why}")


def _answers(info: ServerInfo, timeout: float) -> bool:
    import redis
    client = _client(info, timeout)
    try:
        return bool(client.ping())
    except (redis.exceptions.RedisError, OSError):
        return False
    finally:
        client.close()


def _kill_fork_children(server_pid: int) -> None:
    """Kill the server's forked children (a hung GRAPH.COPY), identified through /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == server_pid and cmdline.startswith(b"redis-module-fork"):
            with contextlib.suppress(OSError):
                os.kill(int(entry.name), signal.SIGKILL)


# -- durability ----------------------------------------------------------------------------------

_SAVE_ERROR = re.compile(r"(Failed opening|Write error|Error moving temp|No space left|"
                         r"Permission denied|Error trying to save|saving terminated by signal)",
                         re.IGNORECASE)


def save_failure_reason(home: Path, data_dir: str) -> str:
    """Why the last save failed. The reply to BGSAVE carries no reason: it comes from the server
    log, or (the log sits on the same disk and may have no room for it) from the free space."""
    for line in reversed(log_tail(home, 60).splitlines()):
        if _SAVE_ERROR.search(line):
            reason = re.sub(r"^\d+:[A-Z] [^*#]*[*#] ", "", line).strip()
            if "signal" in reason:      # the saving child crashed: its report precedes this line
                reason += f" (the server's crash report is in {home / 'falkordb.log'})"
            return reason
    try:
        fs = os.statvfs(data_dir)
    except OSError as exc:
        return f"the data folder cannot be read ({exc.strerror})"
    free = fs.f_bavail * fs.f_frsize
    if free < 1024 * 1024:
        return f"No space left on device ({free:,} bytes free under {data_dir})"
    return f"no reason in the server log ({home / 'falkordb.log'})"


def background_save(info: ServerInfo, home: Path, timeout: float = 3600.0) -> None:
    """Save the whole keyspace to dump.rdb in a forked child (readers are not blocked) and wait
    for its result. A save already running may predate the write, so it is waited out first."""
    import redis
    client = _client(info, 60)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                client.execute_command("BGSAVE")
                break
            except redis.exceptions.ResponseError as exc:
                # Another fork runs: a save, or FalkorDB's own forked child (the garbage
                # collection of a deleted graph, such as the one a swap replaced): wait it out.
                if "in progress" not in str(exc) and "child process is active" not in str(exc):
                    raise StoreError(f"the load was applied but SAVE failed: {exc} "
                                     f"({save_failure_reason(home, info.data_dir)})") from None
            wait_no_fork(client, deadline)
            time.sleep(0.02)
        _wait_no_save(client, deadline)
        status = client.info("persistence").get("rdb_last_bgsave_status")
    except redis.exceptions.RedisError as exc:
        if not server_running(home):
            raise StoreError("the server stopped before the load was saved; it restarts from its "
                             "last save, without this load: run the load again") from None
        raise StoreError(f"the load was applied but SAVE failed: {exc}") from None
    finally:
        client.close()
    if status != "ok":
        reason = save_failure_reason(home, info.data_dir)
        raise StoreError(f"the load was applied but SAVE failed: {reason}; "
                         f"the graph holds it in memory only: free space under {info.data_dir} and "
                         f"run `kg store stop` to save it, or it is lost when the server stops")


FORK_FLAGS = ("rdb_bgsave_in_progress", "module_fork_in_progress", "aof_rewrite_in_progress")


def wait_no_fork(client: Any, deadline: float) -> None:
    """Wait while the server has a forked child (a save, or a module's: FalkorDB forks to copy a
    graph and to collect a deleted one). Redis runs one child at a time, and a fork refused
    because another runs fails a save outright and has left FalkorDB's copy hanging."""
    while any(int(client.info("persistence").get(flag, 0)) for flag in FORK_FLAGS):
        if time.monotonic() > deadline:
            raise StoreError("the server's forked child did not finish in time")
        time.sleep(0.02)


def _wait_no_save(client: Any, deadline: float) -> None:
    while int(client.info("persistence").get("rdb_bgsave_in_progress", 0)):
        if time.monotonic() > deadline:
            raise StoreError("the load was applied but the save has not finished; it continues "
                             "in the server")
        time.sleep(0.02)
