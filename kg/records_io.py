"""The records format: JSON Lines (one record a line) and CSV (one file per type, `<type>.csv`).

Readers yield `(record, file, line)` so every later error can still name where a record came from.
"""

from __future__ import annotations

import csv
import json
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from .errors import DataError, record_error
from .models import Record, parse_record, record_types
from .models.parse import field_kind, item_kind

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
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                record_error(DataError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column "
                                       f"{exc.start + 1}); re-save the file as UTF-8",
                                       file=str(path), line=lineno))
                continue
            yield lineno, text


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r} in one object")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (JSON has no NaN or Infinity)")


def parse_json_line(line: str) -> Any:
    """One JSON value, strictly: no duplicate keys, no NaN/Infinity; floats parse exactly."""
    return json.loads(line, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)


def read_jsonl(path: Path) -> Iterator[Located]:
    seen = False
    for lineno, line in _text_lines(path):
        if not line.strip():
            continue
        seen = True
        try:
            data = parse_json_line(line)
        except json.JSONDecodeError as exc:
            record_error(DataError(f"invalid JSON: {exc.msg} (column {exc.colno})",
                                   file=str(path), line=lineno))
            continue
        except ValueError as exc:
            record_error(DataError(f"invalid JSON: {exc}", file=str(path), line=lineno))
            continue
        except RecursionError:
            record_error(DataError("invalid JSON: nested too deeply to be a record",
                                   file=str(path), line=lineno))
            continue
        try:
            yield parse_record(data, file=str(path), line=lineno), str(path), lineno
        except DataError as exc:
            record_error(exc)
    if not seen:
        raise DataError("the file holds no records", file=str(path))


def _field_kind(cls: type[Record], name: str) -> str:
    """'list', 'int', 'float', 'bool' or 'str' for a model field, to coerce CSV text."""
    return field_kind(cls, name) or "str"


def _item_kind(cls: type[Record], name: str) -> str:
    fields = cls.model_fields
    finfo = fields.get(name) or next((f for f in fields.values() if f.alias == name), None)
    return "str" if finfo is None else item_kind(finfo.annotation)


def _number(text: str, kind: str) -> Any:
    """CSV text as an int or float; left as text (for validation to report) when it is not one."""
    try:
        return int(text) if kind == "int" else float(text)
    except ValueError:
        return text


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
            items = [v.strip() for v in value.split(";") if v.strip()]
            inner = _item_kind(cls, name)
            out[name] = [_number(v, inner) for v in items] if inner in ("int", "float") else items
        elif kind == "bool":
            out[name] = value.lower() in ("true", "1", "yes", "y")
            if value.lower() not in ("true", "false", "1", "0", "yes", "no", "y", "n"):
                out[name] = value   # let validation report it
        elif kind in ("int", "float"):
            out[name] = _number(value, kind)
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
            seen = True
            if len(fields) != len(header):
                record_error(DataError(f"expected {len(header)} fields (as in the header), found "
                                       f"{len(fields)}", file=str(path), line=current["line"]))
                continue
            data = coerce_csv_row(type_name, dict(zip(header, fields, strict=True)))
            try:
                located = parse_record(data, file=str(path), line=current["line"])
            except DataError as exc:
                record_error(exc)
                continue
            yield located, str(path), current["line"]
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", file=str(path), line=current["line"]) from None
    if not seen:
        raise DataError("the file holds no records" if header else "the file is empty",
                        file=str(path))


RECORD_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv")
"""Records files by extension, in any letter case: JSON Lines (`.jsonl`, `.ndjson`, `.json`
holding one record a line) and `<type>.csv`."""


def _regular(path: Path) -> None:
    """Refuse what is not a regular file (a FIFO would block the read forever)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise DataError("no such file", file=str(path)) from None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", file=str(path)) from None
    if not stat.S_ISREG(mode):
        raise DataError("not a regular file (a FIFO, device or socket cannot be imported)",
                        file=str(path))


def read_paths(paths: Iterable[Path]) -> Iterator[Located]:
    """Read records from files or directories (every records file in it, see RECORD_SUFFIXES)."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in RECORD_SUFFIXES)
            if not files:
                record_error(DataError(f"no records files ({', '.join(RECORD_SUFFIXES)}) in this "
                                       f"directory", file=str(path)))
                continue
            yield from read_paths(files)
            continue
        try:
            _regular(path)
            suffix = path.suffix.lower()
            if suffix == ".csv":
                yield from read_csv(path)
            elif suffix in (".jsonl", ".ndjson", ".json"):
                yield from read_jsonl(path)
            else:
                raise DataError("unknown records file type (expected .jsonl, .ndjson or "
                                "<type>.csv)", file=str(path))
        except DataError as exc:
            record_error(exc)


def write_jsonl(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, sort_keys=False, separators=(",", ":")))
        out.write("\n")
        n += 1
    return n
