"""What changed between two versions of the graph, grouped the way an analyst reads it.

Both sides are streams of records (a release's `records.jsonl`, any records file, or the live
graph). Facts are matched by identity — a node by its id, a relationship by its type, endpoints
and key properties — so a revised figure is a change, not a removal plus an addition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .models import RELATIONSHIP_TYPES

DEFAULT_SHARE_THRESHOLD = 0.02   # two percentage points
IGNORED = {"source_ids", "notes"}  # provenance and prose changes are listed, not alerted on


def identity(rec: dict[str, Any]) -> tuple[Any, ...]:
    if "id" in rec and "from" not in rec:
        return ("node", rec["id"])
    keys = RELATIONSHIP_TYPES[rec["type"]].KEYS if rec["type"] in RELATIONSHIP_TYPES else ()
    return (rec["type"], rec["from"], rec["to"], *(rec.get(k) for k in keys))


def _index(records: Iterable[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {identity(r): r for r in records}


def _show(value: Any) -> str:
    return "—" if value is None else str(value)


def _move(old: dict[str, Any] | None, new: dict[str, Any] | None, key: str) -> Any:
    """`old → new` when the value changed, else the value."""
    a, b = (old or {}).get(key), (new or {}).get(key)
    return b if a == b else f"{_show(a)} → {_show(b)}"


def _share(rec: dict[str, Any]) -> float | None:
    if rec.get("share") is not None:
        return float(rec["share"])
    if rec.get("quantity") is not None and rec.get("world_quantity"):
        return float(rec["quantity"]) / float(rec["world_quantity"])
    return None


@dataclass
class Diff:
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = field(default_factory=list)
    counts_old: dict[str, int] = field(default_factory=dict)
    counts_new: dict[str, int] = field(default_factory=dict)
    threshold: float = DEFAULT_SHARE_THRESHOLD

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def groups(self) -> dict[str, list[dict[str, Any]]]:
        """Changes grouped for an analyst: controls, shares, ownership, agreements, trade."""
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for rec in self.added:
            self._classify(out, "added", None, rec, [])
        for rec in self.removed:
            self._classify(out, "removed", rec, None, [])
        for old, new, fields in self.changed:
            self._classify(out, "changed", old, new, fields)
        out["production shares"] = self._share_moves()
        counts = []
        for key in sorted(set(self.counts_old) | set(self.counts_new)):
            a, b = self.counts_old.get(key, 0), self.counts_new.get(key, 0)
            if a != b:
                counts.append({"kind": key, "old": a, "new": b, "change": b - a})
        out["counts"] = counts
        order = ["export controls", "production shares", "production figures",
                 "ownership and state control", "agreements", "trade partners", "other facts",
                 "sources and notes", "counts"]
        return {k: out[k] for k in sorted(out, key=lambda k: order.index(k) if k in order else 99)
                if out[k]}

    def _classify(self, out: dict[str, list[dict[str, Any]]], what: str, old: dict[str, Any] | None,
                  new: dict[str, Any] | None, fields: list[str]) -> None:
        rec = new or old or {}
        t = rec.get("type")
        if t in ("ExportControl", "ImportMeasure"):
            out["export controls"].append({
                "change": what, "control": rec.get("name"), "id": rec.get("id"),
                "instrument": rec.get("instrument"),
                "fields": ", ".join(fields),
                **{k: f"{_show((old or {}).get(k))} → {_show((new or {}).get(k))}"
                   if what == "changed" and k in fields
                   else rec.get(k) for k in ("announced", "effective", "suspended_from",
                                             "suspended_until", "status")}})
        elif t in ("RESTRICTS", "TARGETS"):
            out["export controls"].append({"change": what, "control": rec.get("from"),
                                           "id": f"{t} {rec.get('to')}", "fields": ", ".join(fields)})
        elif t == "IMPOSES":
            out["export controls"].append({"change": what, "control": rec.get("to"),
                                           "id": f"imposed by {rec.get('from')}", "fields": ", ".join(fields)})
        elif t in ("OWNS", "STATE_OWNED_BY"):
            out["ownership and state control"].append({
                "change": what, "type": t,
                "owner" if t == "OWNS" else "state": rec.get("to") if t == "STATE_OWNED_BY" else rec.get("from"),
                "owned": rec.get("to") if t == "OWNS" else rec.get("from"),
                "share": f"{_show((old or {}).get('share'))} → {_show((new or {}).get('share'))}"
                if what == "changed" else rec.get("share")})
        elif t in ("Agreement", "PARTY_TO", "COVERS"):
            out["agreements"].append({"change": what, "type": t,
                                      "item": rec.get("name") or f"{rec.get('from')} → {rec.get('to')}",
                                      "signed": rec.get("signed"), "fields": ", ".join(fields)})
        elif t == "EXPORTS_TO":
            out["trade partners"].append({
                "change": {"added": "new partner flow", "removed": "dropped flow"}.get(what, "changed"),
                "exporter": rec.get("from"), "importer": rec.get("to"),
                "hs_code": rec.get("hs_code"), "year": rec.get("year"),
                "value_usd": _move(old, new, "value_usd") if what == "changed" else rec.get("value_usd"),
                "fields": ", ".join(fields)})
        elif t == "PRODUCES":
            # Every production fact that changed, whether or not its share moved (share moves
            # past the threshold are also summarised under "production shares").
            out["production figures"].append({
                "change": what, "producer": rec.get("from"), "item": rec.get("to"),
                "stage": rec.get("stage"), "year": rec.get("year"),
                **{k: _move(old, new, k) if what == "changed" else rec.get(k)
                   for k in ("quantity", "world_quantity", "share", "qualifier")},
                "fields": ", ".join(fields)})
        elif what == "changed" and not set(fields) - IGNORED:
            out["sources and notes"].append({"change": what, "type": t,
                                             "item": rec.get("id") or f"{rec.get('from')} → {rec.get('to')}",
                                             "fields": ", ".join(fields)})
        else:
            out["other facts"].append({"change": what, "type": t,
                                       "item": rec.get("id") or f"{rec.get('from')} → {rec.get('to')}",
                                       "fields": ", ".join(fields)})

    def _share_moves(self) -> list[dict[str, Any]]:
        """Country shares (latest year on each side) per material and stage that moved."""
        def latest(records: list[dict[str, Any]]) -> dict[tuple[str, str, str], tuple[int, float]]:
            best: dict[tuple[str, str, str], tuple[int, float]] = {}
            for r in records:
                if r.get("type") != "PRODUCES" or not str(r.get("from", "")).startswith("country:"):
                    continue
                share = _share(r)
                if share is None:
                    continue
                key = (r["to"], r["stage"], r["from"])
                if key not in best or r["year"] > best[key][0]:
                    best[key] = (r["year"], share)
            return best
        old = latest(self._old_produces)
        new = latest(self._new_produces)
        moves = []
        for key in sorted(set(old) | set(new)):
            o, n = old.get(key), new.get(key)
            before = o[1] if o else 0.0
            after = n[1] if n else 0.0
            if abs(after - before) > self.threshold:
                moves.append({"material": key[0], "stage": key[1], "country": key[2],
                              "old_share": round(before, 4), "old_year": o[0] if o else None,
                              "new_share": round(after, 4), "new_year": n[0] if n else None,
                              "points": round((after - before) * 100, 1)})
        return moves

    _old_produces: list[dict[str, Any]] = field(default_factory=list)
    _new_produces: list[dict[str, Any]] = field(default_factory=list)


def _count_key(rec: dict[str, Any]) -> str:
    return str(rec["type"])


def diff(old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]],
         threshold: float = DEFAULT_SHARE_THRESHOLD) -> Diff:
    a, b = _index(old), _index(new)
    result = Diff(threshold=threshold)
    for rec in a.values():
        result.counts_old[_count_key(rec)] = result.counts_old.get(_count_key(rec), 0) + 1
        if rec["type"] == "PRODUCES":
            result._old_produces.append(rec)
    for rec in b.values():
        result.counts_new[_count_key(rec)] = result.counts_new.get(_count_key(rec), 0) + 1
        if rec["type"] == "PRODUCES":
            result._new_produces.append(rec)
    for key in sorted(b.keys() - a.keys(), key=repr):
        result.added.append(b[key])
    for key in sorted(a.keys() - b.keys(), key=repr):
        result.removed.append(a[key])
    for key in sorted(a.keys() & b.keys(), key=repr):
        x, y = a[key], b[key]
        if x != y:
            fields = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
            result.changed.append((x, y, fields))
    return result


def to_markdown(report: Diff, old_name: str, new_name: str) -> str:
    lines = [f"# Changes from {old_name} to {new_name}", ""]
    groups = report.groups()
    if not report.has_changes:
        return "\n".join(lines + ["No changes.", ""])
    lines.append(f"{len(report.added)} added, {len(report.removed)} removed, "
                 f"{len(report.changed)} changed facts.")
    for name, rows in groups.items():
        lines += ["", f"## {name[0].upper()}{name[1:]} ({len(rows)})", ""]
        cols = list(dict.fromkeys(k for r in rows for k in r))
        lines.append("| " + " | ".join(cols) + " |")
        lines.append("|" + "|".join("---" for _ in cols) + "|")
        for r in rows:
            lines.append("| " + " | ".join("" if r.get(c) is None else str(r.get(c)).replace("|", "\\|")
                                           for c in cols) + " |")
    return "\n".join(lines) + "\n"
