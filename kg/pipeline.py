"""Load records into a store: collect and validate everything, then write once, atomically."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import DataError, ValidationErrors
from .models import Node, Record, Relationship, parse_record
from .records_io import Located
from .store import GraphStore, plan_writes
from .store.base import Progress


@dataclass
class LoadReport:
    records: int = 0
    nodes: int = 0
    relationships: int = 0
    nodes_created: int = 0
    relationships_created: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _merge(old: Record, new: Record) -> Record:
    """Two records for the same node or fact: later values win, provenance is the union."""
    data = {**old.to_json(), **new.to_json()}
    data["source_ids"] = list(dict.fromkeys([*old.source_ids, *new.source_ids]))
    return parse_record(data)


def collect(located: Iterable[Located]) -> tuple[dict[Any, Record], dict[Any, tuple[str, int]]]:
    """Deduplicate by identity (node id, or relationship type + endpoints + key properties).

    The same node or fact from several files merges (later files win, provenance is the union);
    within one file a repeat that contradicts an earlier line is an error.
    """
    records: dict[Any, Record] = {}
    where: dict[Any, tuple[str, int]] = {}
    for rec, file, line in located:
        key = rec.id if isinstance(rec, Node) else rec.key()  # type: ignore[union-attr]
        if key in records:
            first_file, first_line = where[key]
            if first_file == file:
                old, new = records[key].properties(), rec.properties()
                for name in sorted(set(old) & set(new) - {"source_ids"}):
                    if old[name] != new[name]:
                        raise DataError(f"duplicate of line {first_line} with a different value "
                                        f"({new[name]!r} vs {old[name]!r})", file=file,
                                        line=line, field=name)
            records[key] = _merge(records[key], rec)
        else:
            records[key] = rec
            where[key] = (file, line)
    return records, where


SHARE_TOLERANCE = 0.05
"""How far country shares of one material, stage and year may sum above 1: sources round their
world totals (USGS 'World total (rounded)'), so a small excess is rounding, a large one an error."""


def check_shares(records: dict[Any, Record], where: dict[Any, tuple[str, int]]) -> None:
    totals: dict[tuple[str, str, int], float] = {}
    first: dict[tuple[str, str, int], Any] = {}
    for key, rec in records.items():
        if rec.type_name != "PRODUCES" or not rec.from_id.startswith("country:"):  # type: ignore[attr-defined]
            continue
        share = rec.share  # type: ignore[attr-defined]
        if share is None and rec.quantity is not None and rec.world_quantity:  # type: ignore[attr-defined]
            share = rec.quantity / rec.world_quantity  # type: ignore[attr-defined]
        if share is None:
            continue
        group = (rec.to_id, rec.stage, rec.year)  # type: ignore[attr-defined]
        totals[group] = totals.get(group, 0.0) + share
        first.setdefault(group, key)
    errors = []
    for group, total in sorted(totals.items()):
        if total > 1.0 + SHARE_TOLERANCE:
            file, line = where[first[group]]
            errors.append(DataError(f"country shares of {group[0]} at stage {group[1]} in "
                                    f"{group[2]} sum to {total:.3f}, more than 1 beyond rounding",
                                    file=file, line=line, field="share"))
    if errors:
        raise ValidationErrors(errors)


def check_references(records: dict[Any, Record], where: dict[Any, tuple[str, int]],
                     known_in_store: Callable[[list[str]], set[str]]) -> None:
    """Every source id resolves to a Source; every relationship endpoint to a node."""
    node_ids = {r.id for r in records.values() if isinstance(r, Node)}
    source_ids = {r.id for r in records.values() if r.type_name == "Source"}
    wanted: set[str] = set()
    for rec in records.values():
        wanted.update(s for s in rec.source_ids if s not in source_ids)
        if isinstance(rec, Relationship):
            wanted.update(i for i in (rec.from_id, rec.to_id) if i not in node_ids)
    in_store = known_in_store(sorted(wanted)) if wanted else set()
    errors: list[DataError] = []
    for key, rec in records.items():
        file, line = where[key]
        for sid in rec.source_ids:
            if sid not in source_ids and sid not in in_store:
                errors.append(DataError(f"{sid!r} is not a Source record in this load or the "
                                        f"graph", file=file, line=line, field="source_ids"))
        if isinstance(rec, Relationship):
            for end, nid in (("from", rec.from_id), ("to", rec.to_id)):
                if nid not in node_ids and nid not in in_store:
                    errors.append(DataError(f"{nid!r} is not a node in this load or the graph",
                                            file=file, line=line, field=end))
    if errors:
        errors.sort(key=lambda e: (e.file or "", e.line or 0))
        raise ValidationErrors(errors)


def load(located: Iterable[Located], store: GraphStore, *, replace: bool = False,
         progress: Progress | None = None) -> LoadReport:
    """Validate every record, then write them in one atomic step (nothing on any error)."""
    started = time.perf_counter()
    records, where = collect(located)
    check_shares(records, where)
    check_references(records, where, (lambda ids: set()) if replace else store.existing_ids)
    statements = plan_writes(records.values())
    summary = store.write(statements, replace=replace, progress=progress)
    return LoadReport(records=len(records), nodes=summary.nodes,
                      relationships=summary.relationships, nodes_created=summary.nodes_created,
                      relationships_created=summary.relationships_created,
                      by_type=summary.by_type, seconds=time.perf_counter() - started)
