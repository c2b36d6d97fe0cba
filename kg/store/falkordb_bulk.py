"""FalkorDB's bulk-insert command (`GRAPH.BULK`) for a load into an empty stage graph.

The command takes entities in a binary form and creates them without parsing or planning a
query, which makes it several times faster than `UNWIND … CREATE` (docs/guarantees.md, "Fast
path for an empty graph"). The encoding is the one `falkordb-bulk-loader` sends:

- a call is `GRAPH.BULK <graph> [BEGIN] <nodes> <relationships> <node blocks> <rel blocks>
  <block>…`; `BEGIN` (first call only) creates the graph, which must not exist;
- a block is the label or type name, NUL-terminated, a uint32 property count, the property
  names, NUL-terminated, then every entity: for a relationship first its two endpoints as
  uint64 node numbers, then one typed value per property;
- a value is a type byte and its payload: 0 null (the property is not set), 1 bool (one byte),
  2 double, 4 int64 (8 bytes each, native order), 3 string (UTF-8, NUL-terminated), 5 array
  (int64 length, then typed values);
- nodes are numbered from 0 in the order they are sent, across calls.

Strings never hold a NUL character: validation refuses it (kg.models.parse.text_problem).
"""

from __future__ import annotations

import struct
from typing import Any

from ..errors import StoreError
from .base import EncodedRows, WriteStatement, batch_rows

_BOOL = struct.Struct("=B?").pack
_DOUBLE = struct.Struct("=Bd").pack
_LONG = struct.Struct("=Bq").pack
_ENDPOINTS = struct.Struct("=QQ").pack
_COUNT = struct.Struct("=I").pack
_MEMO = 50_000
"""Strings whose encoding a bulk load remembers at most (then it starts again)."""


def encode_value(value: Any) -> bytes:
    kind = type(value)
    if value is None:
        return b"\x00"
    if kind is str:
        text: str = value
        return b"\x03" + text.encode("utf-8") + b"\x00"
    if kind is float:
        return _DOUBLE(2, value)
    if kind is bool:
        return _BOOL(1, value)
    if kind is int:
        return _LONG(4, value)
    if kind is list or kind is tuple:
        return _LONG(5, len(value)) + b"".join(encode_value(v) for v in value)
    raise StoreError(f"write failed, graph left unchanged: a {kind.__name__} property cannot be "
                     f"bulk-written")


def _block(name: str, keys: list[str], entities: list[bytes]) -> bytes:
    return (name.encode("utf-8") + b"\x00" + _COUNT(len(keys))
            + b"".join(k.encode("utf-8") + b"\x00" for k in keys) + b"".join(entities))


class BulkEncoder:
    """Turns the batches of create statements into `GRAPH.BULK` arguments, in order, keeping the
    node number of every id written so far (relationships name their endpoints by number)."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.started = False
        self._strings: dict[str, bytes] = {}
        self._lists: dict[str, bytes] = {}
        """One-string lists (`source_ids` of most records) by their string."""

    def _value(self, value: Any) -> bytes:
        """`encode_value`, remembering the encoding of strings: a load repeats the same ids,
        codes and source lists on most rows."""
        kind = type(value)
        if kind is str:
            out = self._strings.get(value)
            if out is None:
                if len(self._strings) >= _MEMO:
                    self._strings.clear()
                out = self._strings[value] = b"\x03" + value.encode("utf-8") + b"\x00"
            return out
        if kind is list:
            if len(value) == 1 and type(value[0]) is str:    # a single source id, mostly
                key = value[0]
                out = self._lists.get(key)
                if out is None:
                    if len(self._lists) >= _MEMO:
                        self._lists.clear()
                    out = self._lists[key] = _LONG(5, 1) + self._value(key)
                return out
            return _LONG(5, len(value)) + b"".join([self._value(v) for v in value])
        return encode_value(value)

    def args(self, st: WriteStatement, rows: list[dict[str, Any]] | EncodedRows
             ) -> tuple[list[Any] | None, int]:
        """(the command's arguments after the graph name, or None when the batch creates
        nothing; the entities it creates)."""
        if st.bulk is None:
            raise StoreError("write failed, graph left unchanged: a statement without a bulk "
                             "form in a bulk load")
        kind, name = st.bulk
        decoded = batch_rows(rows)
        keys = sorted({k for row in decoded for k in row["props"]})
        entities: list[bytes] = []
        value, strings = self._value, self._strings
        if kind == "node":
            numbers = self.numbers
            for row in decoded:
                props = row["props"]
                numbers[props["id"]] = len(numbers)
                entities.append(b"".join([value(props.get(k)) for k in keys]))
        else:
            number = self.numbers.get
            for row in decoded:
                a, b = number(row["from"]), number(row["to"])
                if a is None or b is None:
                    continue       # as `MATCH` in the create statement: no endpoint, no edge
                # a string already encoded is looked up here, without a call per value
                entities.append(_ENDPOINTS(a, b) + b"".join([
                    (type(v) is str and strings.get(v)) or value(v)
                    for v in map(row["props"].get, keys)]))
        if not entities:
            return None, 0
        counts = [len(entities), 0, 1, 0] if kind == "node" else [0, len(entities), 0, 1]
        head = [] if self.started else ["BEGIN"]
        self.started = True
        return head + counts + [_block(name, keys, entities)], len(entities)
