"""Load records into a store: validate everything first, then write once, atomically.

Streaming, so memory does not grow with the input beyond a key index: the one pass over the input
validates each record and spills its write row to a temporary file per write statement, keeping
only a 64-bit hash of each record's identity, the node ids, and the references still to resolve.
When every record is valid and every reference resolves, the spilled rows are streamed to the
store in batches inside its atomic write (staged graph on FalkorDB, one transaction on Neo4j).

The same node or fact seen twice merges (later values win, provenance is the union); a repeat
within one file that contradicts an earlier line is an error.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, cast

import orjson

from .errors import DataError, ErrorLog, collecting, record_error
from .machine import cyclic_gc_paused
from .models import RELATIONSHIP_TYPES, Node, Record, Relationship, label_of, record_types
from .records_io import Located
from .scratch import scratch_dir
from .store import GraphStore
from .store.base import EncodedRows, Progress, WriteStatement, WriteSummary
from .store.cypher import (
    BATCH,
    node_create_statement,
    node_statement,
    relationship_create_statement,
    relationship_statement,
)

EMPTY_BATCH = 10_000
"""Rows per batch into an empty graph (the embedded store sends them with GRAPH.BULK): the
server's cost per call grows with the graph, so fewer, larger calls (1M relationships: 5.9 s of
server CPU in 2,000-row calls, 3.5 s in 20,000-row calls); 10,000 keeps the batches in flight
within the memory target."""
IDENT_MASK = (1 << 60) - 1
"""A record's identity is kept as the low 60 bits of its hash: an int below 2**60 takes 32 bytes,
a full 64-bit hash 40, and `_Loader.seen` holds one per record (8 MB at a million). Two
different facts with the same identity (about 1 in 2 million loads of a million records) are
told apart in `merge_repeats` and kept as two rows, as for any hash collision."""

SHARE_TOLERANCE = 0.05
"""How far country shares of one material, stage and year may sum above 1: sources round their
world totals (USGS 'World total (rounded)'), so a small excess is rounding, a large one an error."""


@dataclass
class LoadReport(WriteSummary):
    """What a load did: the store's write summary and how many records were read."""

    records: int = 0


_json_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def _encode(row: dict[str, Any]) -> str:
    """A row as compact JSON text, by orjson (about 10x `json.dumps`); an integer beyond 64 bits,
    which it refuses, by the standard encoder. Floats are written as their shortest exact text."""
    try:
        return orjson.dumps(row).decode()
    except orjson.JSONEncodeError:
        return _json_encode(row)


Part = tuple[tuple[str, ...], bool]
"""A spill file: (write statement, whether its rows were sent during the pass, see `_Early`)."""


class _Spill:
    """Rows per write statement in temporary files, each encoded once: `k f l json` per line
    (identity hash, file index, line, then the row as JSON, which is what is sent to the store).
    Rows already sent to the store during the pass are kept apart from the rest (`Part`)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files: dict[Part, TextIO] = {}
        self.paths: dict[Part, Path] = {}

    def add(self, statement: tuple[str, ...], ident: int, fid: int, line: int,
            row: dict[str, Any], sent: bool = False) -> str:
        """Spill one row; its JSON text."""
        part = (statement, sent)
        fh = self.files.get(part)
        if fh is None:
            path = self.directory / f"{len(self.paths)}.rows"
            self.paths[part] = path
            fh = self.files[part] = path.open("w", encoding="utf-8")
        text = _encode(row)
        fh.write(f"{ident}\t{fid}\t{line}\t{text}\n")
        return text

    def close(self) -> None:
        for fh in self.files.values():
            fh.close()

    def lines(self, part: Part) -> Iterator[tuple[int, str]]:
        """(identity hash, the rest of the line: `f l json`) per spilled row."""
        path = self.paths.get(part)
        if path is None:
            return
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                ident, rest = line.rstrip("\n").split("\t", 1)
                yield int(ident), rest

    @staticmethod
    def decode(ident: int, rest: str) -> dict[str, Any]:
        fid, line, text = rest.split("\t", 2)
        return {"k": ident, "f": int(fid), "l": int(line), **json.loads(text)}


class _Loader:
    def __init__(self, spill: _Spill) -> None:
        self.spill = spill
        self.files: dict[str, int] = {}
        self.file_names: list[str] = []
        self.seen: set[int] = set()
        self.repeats: dict[int, list[tuple[Record, str, int]]] = {}
        self.node_ids: set[str] = set()
        self.source_ids: set[str] = set()
        self.wanted_nodes: dict[str, tuple[str, int, str]] = {}
        self.wanted_sources: dict[str, tuple[str, int]] = {}
        # (material, stage, year) -> summed country share; a repeated fact is corrected to its
        # merged value in merge_repeats(), so it counts once
        self.share_totals: dict[tuple[str, str, int, str], float] = {}
        self.share_first: dict[tuple[str, str, int, str], tuple[str, int]] = {}
        self.share_countries: dict[tuple[str, str, int, str], list[str]] = {}
        """The countries whose figure this load states, per group (their figures in the graph are
        replaced, so not counted with the graph's)."""
        self.records = 0
        self.early: _Early | None = None
        self.resent: dict[tuple[str, str], int] = {}
        """Rows written twice (sent during the pass, then merged with a repeat), per (kind, label
        of the write statement): the store counts them twice, the report once."""

    # -- pass over the input -------------------------------------------------------------------
    def take(self, rec: Record, file: str, line: int) -> None:
        # The hot loop of a load: the identity, row and statement of a record are built from its
        # fields directly, once (the values of statement_of and row_of; the identity is a node's id
        # or a relationship's key()).
        self.records += 1
        fields = rec.__dict__
        props = rec.properties()
        if rec.record_kind == "node":
            nid = fields["id"]
            ident = hash(("node", nid)) & IDENT_MASK
            statement: tuple[str, ...] = ("node", rec.type_name)
            row: dict[str, Any] = {"id": nid, "props": props}
        else:
            keys = rec.KEYS                                  # type: ignore[attr-defined]
            key = {k: fields[k] for k in keys}
            from_id, to_id = fields["from_id"], fields["to_id"]
            ident = hash((rec.type_name, from_id, to_id, *key.values())) & IDENT_MASK
            statement = ("rel", rec.type_name, label_of(from_id) or "", label_of(to_id) or "")
            row = {"from": from_id, "to": to_id, "key": key, "props": props}
        if ident in self.seen:
            self.repeats.setdefault(ident, []).append((rec, file, line))
        else:
            self.seen.add(ident)
            fid = self.files.get(file)
            if fid is None:
                fid = self.files[file] = len(self.file_names)
                self.file_names.append(file)
            early = self.early
            # sent during the pass: every node, and a relationship whose two ends are nodes of
            # this load already sent (the rest waits for the end of the input: its ends may be
            # later lines or nodes of the graph)
            if early is not None and (statement[0] == "node" or (
                    from_id in self.node_ids and to_id in self.node_ids)):
                early.add(statement, row, self.spill.add(statement, ident, fid, line, row, True))
            else:
                self.spill.add(statement, ident, fid, line, row)
        if statement[0] == "node":
            self.node_ids.add(nid)
            if self.wanted_nodes:
                self.wanted_nodes.pop(nid, None)
            if rec.type_name == "Source":
                self.source_ids.add(nid)
                self.wanted_sources.pop(nid, None)
        for sid in fields["source_ids"]:
            if sid not in self.source_ids and sid not in self.wanted_sources:
                self.wanted_sources[sid] = (file, line)
        if statement[0] == "rel":
            if from_id not in self.node_ids and from_id not in self.wanted_nodes:
                self.wanted_nodes[from_id] = (file, line, "from")
            if to_id not in self.node_ids and to_id not in self.wanted_nodes:
                self.wanted_nodes[to_id] = (file, line, "to")
            if (rec.type_name == "PRODUCES" and from_id.startswith("country:")
                    and ident not in self.repeats):
                # capacity shares are a group of their own, never added to output
                group = (to_id, fields["stage"], fields["year"], fields["basis"])
                self.share_countries.setdefault(group, []).append(from_id)
                share = _share_of(props)
                if share is not None:
                    self.share_totals[group] = self.share_totals.get(group, 0.0) + share
                    self.share_first.setdefault(group, (file, line))

    @staticmethod
    def statement_of(rec: Record) -> tuple[str, ...]:
        if isinstance(rec, Node):
            return ("node", rec.type_name)
        return ("rel", rec.type_name, rec.from_label, rec.to_label)  # type: ignore[attr-defined]

    @staticmethod
    def row_of(rec: Record) -> dict[str, Any]:
        props = rec.properties()
        if isinstance(rec, Node):
            return {"id": rec.id, "props": props}
        assert isinstance(rec, Relationship)
        return {"from": rec.from_id, "to": rec.to_id, "key": {k: props.get(k) for k in rec.KEYS},
                "props": props}

    # -- checks after the pass -------------------------------------------------------------------
    def check(self, known_in_store: Callable[[list[str]], set[str]],
              shares_in_store: SharesInStore | None) -> list[DataError]:
        """Errors only visible once every record is read: share sums (with the figures the graph
        already holds for the same material, stage and year) and references to nodes."""
        errors: list[DataError] = []
        totals = dict(self.share_totals)
        held: dict[tuple[str, str, int, str], int] = {}
        if shares_in_store is not None and totals:
            # a figure this load restates is replaced by it, so it is not counted twice: the
            # graph sums the others
            for group, share, count in shares_in_store(
                    [(group, self.share_countries.get(group, [])) for group in sorted(totals)]):
                totals[group] += share
                held[group] = count
        for group, total in sorted(totals.items()):
            if total > 1.0 + SHARE_TOLERANCE:
                file, line = self.share_first[group]
                with_graph = (f" with the {held[group]} figures the graph already holds"
                              if held.get(group) else "")
                errors.append(DataError(f"country shares of {group[0]} at stage {group[1]} in "
                                        f"{group[2]} ({group[3]}) sum to {total:.3f}{with_graph}, "
                                        f"more than 1 beyond rounding", file=file, line=line,
                                        field="share"))
        wanted = sorted(set(self.wanted_nodes) | set(self.wanted_sources))
        in_store = known_in_store(wanted) if wanted else set()
        for sid, (file, line) in self.wanted_sources.items():
            if sid not in in_store:
                errors.append(DataError(f"{sid!r} is not a Source record in this load or the graph",
                                        file=file, line=line, field="source_ids"))
        for nid, (file, line, end) in self.wanted_nodes.items():
            if nid not in in_store:
                errors.append(DataError(f"{nid!r} is not a node in this load or the graph",
                                        file=file, line=line, field=end))
        return errors

    def merge_repeats(self) -> dict[Part, dict[int, dict[str, Any]]]:
        """Merged rows for identities seen more than once, by spill part then identity hash."""
        if not self.repeats:
            return {}
        firsts: dict[int, tuple[Part, dict[str, Any]]] = {}
        for part in self.spill.paths:
            for ident, rest in self.spill.lines(part):
                if ident in self.repeats:
                    firsts[ident] = (part, self.spill.decode(ident, rest))
        merged: dict[Part, dict[int, dict[str, Any]]] = {}
        for ident, later in self.repeats.items():
            part, row = firsts[ident]
            statement = part[0]
            first_file, first_line = self.file_names[row["f"]], row["l"]
            for rec, file, line in later:
                new = self.row_of(rec)
                if self.statement_of(rec) != statement or not _same_identity(row, new):
                    # A hash collision between different facts: keep both, as separate rows.
                    merged.setdefault((self.statement_of(rec), False), {})[hash((ident, file, line))] = new
                    continue
                if file == first_file:
                    for name in sorted(set(row["props"]) & set(new["props"]) - {"source_ids"}):
                        if row["props"][name] != new["props"][name]:
                            record_error(DataError(
                                f"duplicate of line {first_line} with a different value "
                                f"({new['props'][name]!r} vs {row['props'][name]!r})",
                                file=file, line=line, field=name))
                sources = list(dict.fromkeys([*row["props"]["source_ids"], *new["props"]["source_ids"]]))
                row = {**row, "props": {**row["props"], **new["props"], "source_ids": sources}}
            merged.setdefault(part, {})[ident] = {k: v for k, v in row.items() if k not in ("k", "f", "l")}
            if statement[:3] == ("rel", "PRODUCES", "Country"):
                self._recount_share(firsts[ident][1], row)
        return merged

    def _recount_share(self, first: dict[str, Any], merged: dict[str, Any]) -> None:
        """A repeated country figure counts once in its group's total: at its merged value."""
        group = (merged["to"], merged["key"]["stage"], merged["key"]["year"], merged["key"]["basis"])
        before, after = _share_of(first["props"]), _share_of(merged["props"])
        self.share_totals[group] = self.share_totals.get(group, 0.0) - (before or 0.0) + (after or 0.0)

    # -- the write ---------------------------------------------------------------------------------
    def stream(self, located: Iterable[Located], empty: bool, batch: int,
               finish: Callable[[], dict[Part, dict[int, dict[str, Any]]]], errors: ErrorLog,
               progress: Progress | None) -> Iterator[WriteStatement]:
        """The pass over the input and the write in one: batches go to the store while the input
        is still being validated (the server writes while the client reads on), the rest after
        `finish` (the checks of the whole input; it raises on any error, and the store then
        drops what was sent: nothing is written)."""
        early = self.early = _Early(empty, max(batch, EMPTY_BATCH) if empty else batch)
        try:
            for rec, file, line in located:
                self.take(rec, file, line)
                if progress is not None and self.records % 5000 == 0:
                    progress("validated", 5000)
                if early.due:
                    if errors.errors:
                        early.clear()            # nothing more is sent: the write is abandoned
                    else:
                        yield from early.flush(final=False)
        finally:
            self.spill.close()
        merged = finish()
        yield from early.flush(final=True)
        self.early = None
        yield from self.statements(merged, batch, empty)

    def statements(self, merged: dict[Part, dict[int, dict[str, Any]]],
                   batch: int, empty: bool = False) -> Iterator[WriteStatement]:
        """What is left to write after the pass: the spilled rows not sent yet (repeated ones as
        their merged row), then the merged rows of repeats whose first row was already sent
        (MERGE statements: they update what was written)."""
        unsent = {part[0] for part in (*self.spill.paths, *merged) if not part[1]}
        if empty:
            batch = max(batch, EMPTY_BATCH)
        for statement in sorted(unsent, key=_node_first):
            part = (statement, False)
            replaced = merged.get(part, {})
            keys = _row_keys(statement)
            texts: list[str] = []
            for ident, rest in self.spill.lines(part):
                if ident in replaced:
                    continue
                texts.append(rest.split("\t", 2)[2])
                if len(texts) >= batch:
                    yield write_statement(statement, EncodedRows(texts, keys), empty)
                    texts = []
            texts += [_encode(row) for row in replaced.values()]
            for i in range(0, len(texts), batch):
                yield write_statement(statement, EncodedRows(texts[i:i + batch], keys), empty)
        for statement in sorted((part[0] for part in merged if part[1]), key=_node_first):
            rows = list(merged[(statement, True)].values())
            if empty:
                # GRAPH.BULK wrote the first row with its properties in key order; the merged row
                # replaces them in the same order, so the entity is the one a single row makes
                rows = [{**row, "props": dict(sorted(row["props"].items()))} for row in rows]
            texts = [_encode(row) for row in rows]
            for i in range(0, len(texts), batch):
                st = write_statement(statement, EncodedRows(texts[i:i + batch], _row_keys(statement)),
                                     empty=False)
                if empty:
                    st.cypher = _replace_statement(statement)
                self.resent[(st.kind, st.label)] = self.resent.get((st.kind, st.label), 0) + len(st.batches[0])
                yield st


class _Early:
    """Rows sent during the pass over the input, buffered per write statement until a batch is
    full. Every node buffer goes out before any relationship batch, so a relationship sent during
    the pass finds its ends already written."""

    def __init__(self, empty: bool, batch: int) -> None:
        self.empty, self.batch = empty, batch
        self.buffers: dict[tuple[str, ...], tuple[list[dict[str, Any]], list[str]]] = {}
        self.held = 0
        self.due = False

    def add(self, statement: tuple[str, ...], row: dict[str, Any], text: str) -> None:
        buffer = self.buffers.get(statement)
        if buffer is None:
            buffer = self.buffers[statement] = ([], [])
        buffer[0].append(row)
        buffer[1].append(text)
        self.held += 1
        if len(buffer[0]) >= self.batch or self.held >= HELD * self.batch:
            self.due = True

    def clear(self) -> None:
        self.buffers.clear()
        self.held = 0
        self.due = False

    def flush(self, final: bool) -> Iterator[WriteStatement]:
        """Every node buffer, then the relationship buffers that are full (all of them at the end
        of the input, or when more rows are held than the memory bound allows)."""
        everything = final or self.held >= HELD * self.batch
        for statement in sorted(self.buffers, key=_node_first):
            rows, texts = self.buffers[statement]
            if statement[0] == "node" or everything or len(rows) >= self.batch:
                del self.buffers[statement]
                self.held -= len(rows)
                # into an empty graph the rows go as they are (GRAPH.BULK encodes the values);
                # else as their JSON text (the query's parameter)
                batch: list[dict[str, Any]] | EncodedRows = (
                    rows if self.empty else EncodedRows(texts, _keys_in(rows)))
                yield write_statement(statement, batch, self.empty)
        self.due = False


HELD = 2
"""Rows held for sending during the pass: at most this many batches' worth (memory bound)."""


def _replace_statement(statement: tuple[str, ...]) -> str:
    """Set an entity this load created to its merged row (`row.props` holds every property)."""
    if statement[0] == "node":
        return f"UNWIND $rows AS row MATCH (n:{statement[1]} {{id: row.id}}) SET n = row.props"
    rel_type, from_label, to_label = statement[1:]
    same = " AND ".join(f"(r.{k} = row.key.{k} OR (r.{k} IS NULL AND row.key.{k} IS NULL))"
                        for k in RELATIONSHIP_TYPES[rel_type].KEYS)
    return (f"UNWIND $rows AS row MATCH (a:{from_label} {{id: row.from}})-[r:{rel_type}]->"
            f"(b:{to_label} {{id: row.to}}) " + (f"WHERE {same} " if same else "") + "SET r = row.props")


def _keys_in(rows: list[dict[str, Any]]) -> tuple[str, ...]:
    """Every object key of these rows (`EncodedRows.keys`): fewer than `_row_keys` gives, since
    most fields of a record type are absent from most rows."""
    present: set[str] = set(rows[0])
    for row in rows:
        present.update(row["props"])
        if "key" in row:
            present.update(row["key"])
    return tuple(present)


def _node_first(statement: tuple[str, ...]) -> tuple[bool, tuple[str, ...]]:
    return statement[0] != "node", statement


def write_statement(statement: tuple[str, ...], rows: list[dict[str, Any]] | EncodedRows,
                    empty: bool) -> WriteStatement:
    """One batch of a spill statement: CREATE into an empty graph (GRAPH.BULK on the embedded
    store), MERGE into a graph that may hold the entities."""
    batches = cast("list[list[dict[str, Any]]] | list[EncodedRows]", [rows])
    if statement[0] == "node":
        cypher = (node_create_statement if empty else node_statement)(statement[1])
        return WriteStatement(cypher, batches, statement[1], "node",
                              ("node", statement[1]) if empty else None, entity=statement[1])
    cypher = (relationship_create_statement if empty else relationship_statement)(*statement[1:])
    return WriteStatement(cypher, batches, f"{statement[1]} ({statement[2]}->{statement[3]})",
                          "relationship", ("relationship", statement[1]) if empty else None,
                          entity=statement[1])


def _row_keys(statement: tuple[str, ...]) -> tuple[str, ...]:
    """Every key a spilled row of this statement may hold: the row's own (`_Loader.row_of`) and
    the fields of its record type (property names)."""
    fields = tuple(record_types()[statement[1]].model_fields)
    own = ("id", "props") if statement[0] == "node" else ("from", "to", "key", "props")
    return tuple(dict.fromkeys((*own, *fields)))


def _share_of(props: dict[str, Any]) -> float | None:
    if props.get("share") is not None:
        return float(props["share"])
    if props.get("quantity") is not None and props.get("world_quantity"):
        return float(props["quantity"]) / float(props["world_quantity"])
    return None


def _same_identity(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if "id" in a:
        return bool(a["id"] == b.get("id"))
    return bool((a["from"], a["to"], a["key"]) == (b.get("from"), b.get("to"), b.get("key")))


SHARES_IN_GRAPH = (
    "UNWIND $groups AS g "
    "MATCH (c:Country)-[r:PRODUCES]->(m:{label} {{id: g.m}}) "
    "WHERE r.stage = g.stage AND r.year = g.year AND coalesce(r.basis, 'output') = g.basis "
    "WITH g, c, r WHERE NOT c.id IN g.stated "       # after the match: the look-up starts at m
    "WITH g.i AS i, CASE WHEN r.share IS NOT NULL THEN toFloat(r.share) "
    "WHEN r.quantity IS NOT NULL AND r.world_quantity <> 0 "
    "THEN toFloat(r.quantity) / r.world_quantity END AS share "
    "WITH i, sum(share) AS total, count(share) AS figures WHERE figures > 0 "
    "RETURN i, total, figures")
"""The sum of the country figures the graph holds for (material or product, stage, year, basis)
groups of a load, leaving out the countries the load states for the group (their figures are
replaced), and how many figures it adds up; a figure's share is its `share`, else its quantity
over the world quantity (`_share_of`)."""

SharesInStore = Callable[[list[tuple[tuple[str, str, int, str], list[str]]]],
                         Iterable[tuple[tuple[str, str, int, str], float, int]]]
"""(group, countries the load states for it) -> (group, the graph's sum, figures summed) for the
groups the graph holds other figures of."""


def _shares_in(store: GraphStore) -> SharesInStore:
    def shares(groups: list[tuple[tuple[str, str, int, str], list[str]]]
               ) -> Iterator[tuple[tuple[str, str, int, str], float, int]]:
        # summed by the server, 500 groups a read: the graph may hold hundreds of thousands of
        # country figures for a large load's groups
        if not store.read("MATCH ()-[r:PRODUCES]->() RETURN 1 AS found LIMIT 1"):
            return                         # nothing to add up with (e.g. a first load)
        by_label: dict[str, list[dict[str, Any]]] = {}
        for i, ((m, stage, year, basis), stated) in enumerate(groups):
            label = label_of(m)
            if label is not None:
                by_label.setdefault(label, []).append({"i": i, "m": m, "stage": stage, "year": year,
                                                       "basis": basis, "stated": stated})
        for label, wanted in sorted(by_label.items()):
            for k in range(0, len(wanted), 500):
                for row in store.read(SHARES_IN_GRAPH.format(label=label), {"groups": wanted[k:k + 500]}):
                    yield groups[int(row["i"])][0], float(row["total"]), int(row["figures"])
    return shares


DEFAULT_MAX_ERRORS = 100


def load(located: Iterable[Located], store: GraphStore, *, replace: bool = False,
         progress: Progress | None = None, batch: int = BATCH,
         max_errors: int = DEFAULT_MAX_ERRORS) -> LoadReport:
    """Validate every record, then write them in one atomic step (nothing on any error).

    Every bad record is reported (up to `max_errors`, then reading stops), with the errors only
    visible after the whole input: share sums across this load and the graph, and references.
    A store whose write is staged (`streams_writes`: the embedded store writes a stage graph and
    drops it on any error) is sent batches during the pass, so its server works while the input
    is still read; any other store gets the rows once the input is known to be valid."""
    started = time.perf_counter()
    with scratch_dir("kg-load-") as tmp, collecting(max_errors) as errors, cyclic_gc_paused():
        spill = _Spill(tmp)
        loader = _Loader(spill)
        phase = getattr(progress, "phase", None)
        if phase:
            phase("validating records", None)
        writes = _WriteProgress(progress)

        def finish() -> dict[Part, dict[int, dict[str, Any]]]:
            if loader.records == 0 and not errors.errors:
                raise DataError("the input holds no records")
            merged = loader.merge_repeats()
            for err in loader.check((lambda ids: set()) if replace else store.existing_ids,
                                    None if replace else _shares_in(store)):
                errors.add(err)
            errors.check()
            if phase:
                phase("writing", loader.records)
            writes.start()
            return merged

        if getattr(store, "streams_writes", False):
            summary = store.write(
                lambda empty: loader.stream(located, empty, batch, finish, errors, progress),
                replace=replace, progress=writes if progress is not None else None)
        else:
            try:
                for rec, file, line in located:
                    loader.take(rec, file, line)
                    if progress is not None and loader.records % 5000 == 0:
                        progress("validated", 5000)
            finally:
                spill.close()
            merged = finish()
            summary = store.write(lambda empty: loader.statements(merged, batch, empty),
                                  replace=replace, progress=progress)
    for (kind, label), rows in loader.resent.items():
        if kind == "node":
            summary.nodes -= rows
        else:
            summary.relationships -= rows
        summary.by_type[label] -= rows
    return LoadReport(records=loader.records, nodes=summary.nodes,
                      relationships=summary.relationships, nodes_created=summary.nodes_created,
                      relationships_created=summary.relationships_created,
                      by_type=summary.by_type, seconds=time.perf_counter() - started)


class _WriteProgress:
    """The write's progress while the input is still being validated: batches written during the
    pass are counted and shown when the writing phase starts, so each bar counts one thing."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.early = 0
        self.writing = False
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            self.writing = True
            if self.progress is not None and self.early:
                self.progress("written", self.early)

    def __call__(self, label: str, rows: int) -> None:
        with self.lock:
            if not self.writing:
                self.early += rows
            elif self.progress is not None:
                self.progress(label, rows)
