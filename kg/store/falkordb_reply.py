"""Decode FalkorDB's compact result set straight into plain Python rows.

`GRAPH.RO_QUERY … --compact` replies with every value as `[type, value]` (FalkorDB's
`docs/design/client_spec.md`). The falkordb client turns each into its own objects (an
`OrderedDict` per map, a `Node` per node) and the store then turned those into plain values again:
two pure-Python passes, most of an export's read time once hiredis parses RESP in C. Scalars,
lists and maps — what `properties(n)` paging and almost every stored query return — are decoded
here in one pass. Nodes, edges and paths need the client's label and key lookups: `Unsupported`
tells the caller to hand the same reply to the client's parser.
"""

from __future__ import annotations

from typing import Any

NULL, STRING, INTEGER, BOOLEAN, DOUBLE, ARRAY, EDGE, NODE, PATH, MAP = range(1, 11)


class Unsupported(Exception):
    """A value this decoder leaves to the falkordb client (a node, an edge, a path, a point…)."""


def value(cell: list[Any]) -> Any:
    kind, raw = cell
    if kind in (STRING, INTEGER):
        return raw.decode() if isinstance(raw, bytes) else raw
    if kind == NULL:
        return None
    if kind == DOUBLE:
        return float(raw)
    if kind == ARRAY:
        return [value(item) for item in raw]
    if kind == MAP:
        # strings (most property values) inline: a call per value is most of the decoding time
        return {(k.decode() if isinstance(k, bytes) else k):
                (v[1] if v[0] == STRING and type(v[1]) is str else value(v))
                for k, v in zip(raw[::2], raw[1::2], strict=True)}
    if kind == BOOLEAN:
        return (raw.decode() if isinstance(raw, bytes) else raw) == "true"
    raise Unsupported(kind)


def rows(reply: list[Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """(column names, rows as dicts) of a compact reply `[header, rows, stats]` (or `[stats]`)."""
    if any(isinstance(part, Exception) for part in reply):
        raise Unsupported("error reply")
    if len(reply) < 3:
        return [], []
    names = [h[1].decode() if isinstance(h[1], bytes) else h[1] for h in reply[0]]
    return names, [dict(zip(names, map(value, row), strict=True)) for row in reply[1]]
