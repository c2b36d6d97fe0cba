"""The records format: JSON Lines (one record a line) and CSV (one file per type, `<type>.csv`).

Readers yield `(record, file, line)` so every later error can still name where a record came from.
"""

from __future__ import annotations

import csv
import json
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from .errors import DataError
from .models import Record, parse_record, record_types

Located = tuple[Record, str, int]


MAX_LINE = 8 * 1024 * 1024
"""Longest line accepted (bytes): a record is small; a longer line is a broken file, not data."""


def _text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, decoded line) with encoding errors and huge lines reported by line."""
    with path.open("rb") as fh:
        lineno = 0
        while True:
            raw = fh.readline(MAX_LINE + 1)
            if not raw:
                break
            lineno += 1
            if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
                raise DataError(f"line longer than {MAX_LINE // (1024 * 1024)} MiB; is this a "
                                f"records file?", file=str(path), line=lineno)
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]   # a UTF-8 byte-order mark is tolerated
            try:
                yield lineno, raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DataError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column "
                                f"{exc.start + 1}); re-save the file as UTF-8",
                                file=str(path), line=lineno) from None


def read_jsonl(path: Path) -> Iterator[Located]:
    seen = False
    for lineno, line in _text_lines(path):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"invalid JSON: {exc.msg} (column {exc.colno})",
                            file=str(path), line=lineno) from None
        seen = True
        yield parse_record(data, file=str(path), line=lineno), str(path), lineno
    if not seen:
        raise DataError("the file holds no records", file=str(path))


def _field_kind(cls: type[Record], name: str) -> str:
    """'list', 'int', 'float', 'bool' or 'str' for a model field, to coerce CSV text."""
    fields = cls.model_fields
    finfo = fields.get(name) or next((f for f in fields.values() if f.alias == name), None)
    if finfo is None:
        return "str"
    return _kind_of(finfo.annotation)


def _kind_of(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is tuple or origin is list:
        return "list"
    if annotation in (bool, int, float):
        return str(annotation.__name__)
    for arg in typing.get_args(annotation):   # Optional[...] / Annotated[...]
        if arg is type(None):
            continue
        kind = _kind_of(arg)
        if kind != "str":
            return kind
    return "str"


def coerce_csv_row(type_name: str, row: dict[str, str]) -> dict[str, Any]:
    """CSV text -> typed values: empty means absent, lists are `;`-separated."""
    cls = record_types()[type_name]
    out: dict[str, Any] = {"type": type_name}
    for name, raw in row.items():
        if name is None or name == "type":
            continue
        value = (raw or "").strip()
        if value == "":
            continue
        kind = _field_kind(cls, name)
        if kind == "list":
            out[name] = [v.strip() for v in value.split(";") if v.strip()]
        elif kind == "bool":
            out[name] = value.lower() in ("true", "1", "yes", "y")
            if value.lower() not in ("true", "false", "1", "0", "yes", "no", "y", "n"):
                out[name] = value   # let validation report it
        elif kind in ("int", "float"):
            try:
                out[name] = int(value) if kind == "int" else float(value)
            except ValueError:
                out[name] = value
        else:
            out[name] = value
    return out


def read_csv(path: Path, type_name: str | None = None) -> Iterator[Located]:
    type_name = type_name or path.stem
    if type_name not in record_types():
        raise DataError(f"a records CSV must be named <type>.csv with a known type; "
                        f"{path.name!r} is not one of {', '.join(sorted(record_types()))}",
                        file=str(path))
    current = {"line": 0}

    def data_lines() -> Iterator[str]:
        # Lines starting with '#' carry citations in curated tables; they are not data.
        for lineno, line in _text_lines(path):
            current["line"] = lineno
            if line.startswith("#"):
                continue
            yield line

    reader = csv.reader(data_lines(), strict=True)
    header: list[str] | None = None
    seen = False
    try:
        for fields in reader:
            if header is None:
                header = [h.strip() for h in fields]
                continue
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                raise DataError(f"expected {len(header)} fields (as in the header), found "
                                f"{len(fields)}", file=str(path), line=current["line"])
            seen = True
            data = coerce_csv_row(type_name, dict(zip(header, fields, strict=True)))
            yield parse_record(data, file=str(path), line=current["line"]), str(path), current["line"]
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", file=str(path), line=current["line"]) from None
    if not seen:
        raise DataError("the file holds no records" if header else "the file is empty",
                        file=str(path))


def read_paths(paths: Iterable[Path]) -> Iterator[Located]:
    """Read records from files or directories (`*.jsonl`, `*.csv`)."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in (".jsonl", ".csv"))
            yield from read_paths(files)
        elif not path.exists():
            raise DataError("no such file", file=str(path))
        elif path.suffix == ".csv":
            yield from read_csv(path)
        elif path.suffix in (".jsonl", ".ndjson", ".json"):
            yield from read_jsonl(path)
        else:
            raise DataError("unknown records file type (expected .jsonl or <type>.csv)",
                            file=str(path))


def write_jsonl(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, sort_keys=False, separators=(",", ":")))
        out.write("\n")
        n += 1
    return n
