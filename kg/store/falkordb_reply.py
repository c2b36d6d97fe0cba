"""Decode FalkorDB's compact result set straight into plain Python rows.

`GRAPH.RO_QUERY … --compact` replies with every value as `[type, value]` (FalkorDB's
`docs/design/client_spec.md`). The falkordb client turns each into its own objects (an
`OrderedDict` per map, a `Node` per node) and the store then turned those into plain values again:
two pure-Python passes, most of an export's read time once hiredis parses RESP in C. Scalars,
lists and maps — what `properties(n)` paging and almost every stored query return — are decoded
here in one pass, strings and integers (most values) without a function call. Nodes, edges and
paths need the client's label and key lookups: `Unsupported` tells the caller to hand the same
reply to the client's parser.
"""

from __future__ import annotations

from typing import Any

NULL, STRING, INTEGER, BOOLEAN, DOUBLE, ARRAY, EDGE, NODE, PATH, MAP = range(1, 11)


class Unsupported(Exception):
    """A value this decoder leaves to the falkordb client (a node, an edge, a path, a point…)."""


def _text(raw: Any) -> Any:
    return raw.decode() if isinstance(raw, bytes) else raw


def value(cell: list[Any]) -> Any:
    kind, raw = cell
    if kind in (STRING, INTEGER):
        return _text(raw)
    if kind == ARRAY:
        return [x[1] if x[0] == STRING and type(x[1]) is str else value(x) for x in raw]
    if kind == MAP:
        out = {}
        for i in range(0, len(raw), 2):
            v = raw[i + 1]
            t = v[0]
            out[_text(raw[i])] = (v[1] if t in (STRING, INTEGER) and type(v[1]) is not bytes
                                  else value(v))
        return out
    if kind == DOUBLE:
        return float(raw)
    if kind == NULL:
        return None
    if kind == BOOLEAN:
        return _text(raw) == "true"
    raise Unsupported(kind)


def rows(reply: list[Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """(column names, rows as dicts) of a compact reply `[header, rows, stats]` (or `[stats]`)."""
    if any(isinstance(part, Exception) for part in reply):
        raise Unsupported("error reply")
    if len(reply) < 3:
        return [], []
    names = [_text(h[1]) for h in reply[0]]
    return names, [dict(zip(names, map(value, row), strict=True)) for row in reply[1]]


def edge_rows(reply: list[Any]) -> list[dict[str, Any]]:
    """A page of `RETURN type(r), a.id, b.id, properties(r)` straight into records-format rows
    (`{"type", "from", "to", **properties}`): no row dict per column, no second dict to merge."""
    if any(isinstance(part, Exception) for part in reply):
        raise Unsupported("error reply")
    if len(reply) < 3:
        return []
    out = []
    for kind, a, b, props in reply[1]:
        if kind[0] != STRING or a[0] != STRING or b[0] != STRING or props[0] != MAP:
            raise Unsupported("not a page of relationships")
        row = {"type": _text(kind[1]), "from": _text(a[1]), "to": _text(b[1])}
        raw = props[1]
        for i in range(0, len(raw), 2):
            v = raw[i + 1]
            t = v[0]
            row[_text(raw[i])] = (v[1] if t in (STRING, INTEGER) and v[1].__class__ is not bytes
                                  else value(v))
        out.append(row)
    return out
