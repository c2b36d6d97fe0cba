"""Pages of nodes and relationships read as flat columns in FalkorDB's plain (non-compact) replies.

A compact reply tags every value (`[type, value]`), so the RESP parser builds a list, a type and
the value for each, and maps add their keys as strings per row: most of an export's client time
went there (benchmarks/RESULTS.md). A plain reply sends scalars as they are — strings and integers
arrive as Python `str` and `int` with nothing to decode — but it cannot tell a string from a
float or a boolean (all three arrive as strings) and it writes lists and maps as display text that
cannot be parsed back. So the query asks for one column per property the vocabulary knows for the
label (or the relationship types leaving it), each in a form whose plain reply is unambiguous,
and the server refuses any value of another type:

* strings (and references, dates, URIs): `substring(x, 0)` — the exact string; a number, boolean or
  list makes the query fail;
* decimals: `x * 1` — the same number (FalkorDB writes doubles with 15 significant digits in either
  reply format); integers: as they are (an `int` arrives as one, anything else as a string, which
  the decoder refuses); booleans: `(x AND true)`;
* sets and lists of strings: `string.join(x, U+001F)` and `size(x)`; the decoder splits and checks
  the count, so an item holding the separator is noticed, and a non-string item fails the query;
* lists of numbers: `toJSON` of the list and of its items' types (the JSON alone writes `2.0` as
  `2`);
* which properties a row has, in their stored order: `string.join(keys(x), U+001F)`; a key the
  vocabulary lacks, or one holding the separator, shows as a count mismatch.

Whenever a page does not fit (a query error, a mismatch), `Unsupported` tells the store to read the
same page the compact way, which keeps every value's type and names bad values as before; the rows
are the same either way (tests/test_rdf_text.py compares them on hostile values).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from ..models import NODE_TYPES, RELATIONSHIP_TYPES
from ..vocab import PROPERTIES

SEP = "\x1f"
"""Joins list items and key names in a reply (any character would do: the counts are checked)."""


class Unsupported(Exception):
    """A page the flat columns cannot represent exactly; read it the compact way."""


_NOT_PROPERTIES = {"type", "from_id", "to_id"}


def _fields(model: Any) -> list[str]:
    return [f for f in model.model_fields if f not in _NOT_PROPERTIES and f in PROPERTIES]


def _columns(var: str, names: list[str]) -> list[tuple[str, str, str]]:
    """(expression, kind of decoding, property name) of each column for the properties `names`."""
    out = []
    for name in names:
        prop = PROPERTIES[name]
        x = f"{var}.{name}"                    # names are vocabulary identifiers, not user input
        if prop.many != "one":
            if prop.kind == "decimal":
                out.append((f"toJSON({x})", "numbers", name))
                out.append((f"toJSON([v IN {x} | typeOf(v)])", "-", name))
            else:
                out.append((f"string.join({x}, '{SEP}')", "strings", name))
                out.append((f"size({x})", "-", name))
        elif prop.kind == "decimal":
            out.append((f"{x} * 1", "decimal", name))
        elif prop.kind in ("integer", "year"):
            out.append((x, "integer", name))
        elif prop.kind == "boolean":
            out.append((f"({x} AND true)", "boolean", name))
        else:
            out.append((f"substring({x}, 0)", "string", name))
    return out


class Layout:
    """The RETURN clause of one label's pages (or of the relationships leaving it) and the
    decoder of its plain reply."""

    def __init__(self, head: list[str], var: str, names: list[str], fixed: dict[str, int]) -> None:
        self.columns = _columns(var, names)
        self.head = len(head)
        self.fixed = fixed                    # row keys taken from the head columns ("from": 1, ...)
        exprs = [*head, f"string.join(keys({var}), '{SEP}')",
                 *(expr for expr, _, _ in self.columns)]
        self.width = len(exprs)
        self.ret = "RETURN " + ", ".join(f"{e} AS c{i}" for i, e in enumerate(exprs))
        self.index = {name: (self.head + 1 + i, kind) for i, (_, kind, name) in enumerate(self.columns)
                      if kind != "-"}
        self.builders: dict[str, Callable[[list[Any]], dict[str, Any]]] = {}

    def builder(self, keys: Any) -> Callable[[list[Any]], dict[str, Any]]:
        """The row builder of the rows listing the properties `keys` (in their stored order):
        generated once per key list, as Python source, like kg/rdf/templates.py does for rows."""
        try:
            return self.builders[keys]
        except (KeyError, TypeError):
            pass
        if keys.__class__ is not str:
            raise Unsupported("no key list")
        names = keys.split(SEP) if keys else []
        if len(set(names)) != len(names):
            raise Unsupported("a key holding the separator")
        if any(name not in self.index for name in names):
            raise Unsupported("a property without a column")
        lines = ["def build(c):"]
        checks: list[str] = []
        fields = [f"{key!r}: c[{i}]" for key, i in self.fixed.items()]
        used = self.head + 1
        for j, name in enumerate(names):
            i, kind = self.index[name]
            v = f"v{j}"
            lines.append(f"    {v} = c[{i}]")
            used += 1
            if kind == "string":
                checks.append(f"{v}.__class__ is not str")
            elif kind == "integer":
                checks.append(f"{v}.__class__ is not int")
            elif kind == "decimal":
                lines.append(f"    {v} = float({v}) if {v}.__class__ is str else {v} if {v}.__class__ is int else BAD")
                checks.append(f"{v} is BAD")
            elif kind == "boolean":
                lines.append(f"    {v} = BOOLEANS.get({v}, BAD) if {v}.__class__ is str else BAD")
                checks.append(f"{v} is BAD")
            elif kind == "strings":
                used += 1
                lines.append(f"    n{j} = c[{i + 1}]")
                lines.append(f"    if {v}.__class__ is not str or n{j}.__class__ is not int: raise U({name!r})")
                lines.append(f"    {v} = {v}.split(SEP) if n{j} else []")
                checks.append(f"len({v}) != n{j}")
            else:                                   # numbers
                used += 1
                lines.append(f"    {v} = NUMBERS({v}, c[{i + 1}])")
            fields.append(f"{name!r}: {v}")
        # every column the row does not list must be null: nothing unlisted, nothing lost
        checks.append(f"c.count(None) != {self.width - used}")
        lines.append(f"    if {' or '.join(checks)}: raise U({keys!r})")
        lines.append("    return {" + ", ".join(fields) + "}")
        ns: dict[str, Any] = {"U": Unsupported, "SEP": SEP, "BAD": _BAD, "NUMBERS": _numbers,
                              "BOOLEANS": {"true": True, "false": False}}
        exec("\n".join(lines), ns)      # built from vocabulary names and column numbers only
        build: Callable[[list[Any]], dict[str, Any]] = ns["build"]
        if len(self.builders) < 10_000:
            self.builders[keys] = build
        return build


_BAD = object()


def _numbers(values: Any, types: Any) -> list[int | float]:
    """A list of numbers from its JSON and its items' types (`Integer` / `Float`)."""
    if values.__class__ is not str or types.__class__ is not str:
        raise Unsupported("not a list of numbers")
    try:
        texts = json.loads(values, parse_int=str, parse_float=str, parse_constant=_refuse)
        kinds = json.loads(types)
        if not (isinstance(texts, list) and isinstance(kinds, list) and len(texts) == len(kinds)):
            raise Unsupported("not a list of numbers")
        out: list[int | float] = []
        for text, kind in zip(texts, kinds, strict=True):
            if text.__class__ is not str or kind not in ("Integer", "Float"):
                raise Unsupported("not a list of numbers")
            out.append(int(text) if kind == "Integer" else float(text))
    except ValueError:
        raise Unsupported("not a list of numbers") from None
    return out


def _refuse(text: str) -> Any:
    raise ValueError(text)


def _edge_names(label: str) -> list[str]:
    names: dict[str, None] = {}
    for model in RELATIONSHIP_TYPES.values():
        if label in model.FROM:
            names.update(dict.fromkeys(_fields(model)))
    return list(names)


@functools.lru_cache(maxsize=256)
def node_layout(label: str, keys: frozenset[str]) -> Layout:
    """The columns of a label's nodes, limited to the property keys the graph has (`keys`, from
    `db.propertyKeys()`): each column costs the server an expression per row."""
    return Layout([f"'{label}'", "substring(n.id, 0)"], "n",
                  [name for name in _fields(NODE_TYPES[label]) if name in keys or name == "id"],
                  {"type": 0})


@functools.lru_cache(maxsize=256)
def edge_layout(label: str, keys: frozenset[str]) -> Layout:
    """The columns of the relationships leaving a label's nodes, limited as `node_layout`'s."""
    return Layout(["type(r)", "substring(a.id, 0)", "substring(b.id, 0)"], "r",
                  [name for name in _edge_names(label) if name in keys],
                  {"type": 0, "from": 1, "to": 2})


def _body(reply: list[Any]) -> list[Any]:
    if any(isinstance(part, Exception) for part in reply):
        raise Unsupported("error reply")
    return reply[1] if len(reply) >= 3 else []


def node_rows(layout: Layout, reply: list[Any]) -> list[dict[str, Any]]:
    """A page of nodes (`layout.ret`) as records-format rows."""
    builders, builder = layout.builders, layout.builder
    out = []
    for cells in _body(reply):
        keys = cells[2]
        row = (builders.get(keys) or builder(keys))(cells)
        if row.get("id") != cells[1]:
            raise Unsupported("id")
        out.append(row)
    return out


def edge_rows(layout: Layout, reply: list[Any]) -> list[dict[str, Any]]:
    """A page of relationships (`layout.ret`) as records-format rows."""
    builders, builder = layout.builders, layout.builder
    out = []
    for cells in _body(reply):
        if cells[0].__class__ is not str or cells[1].__class__ is not str or cells[2].__class__ is not str:
            raise Unsupported("endpoints")
        keys = cells[3]
        out.append((builders.get(keys) or builder(keys))(cells))
    return out
