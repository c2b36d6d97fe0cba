"""The records format: JSON Lines (one record a line) and CSV (one file per type, `<type>.csv`).

Readers yield `(record, file, line)` so every later error can still name where a record came from.
"""

from __future__ import annotations

import csv
import json
import stat
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

import orjson

from .errors import DataError, record_error
from .models import Record, parse_record, record_types
from .models.parse import item_kind, kind_of
from .records_worker import HEAD_LINES, Worker, run_worker, worth_a_worker

Located = tuple[Record, str, int]


MAX_LINE = 8 * 1024 * 1024
"""Longest line accepted (bytes): a record is small; a longer line is a broken file, not data."""


def _text_lines(path: Path, start: int = 1, stop: int | None = None) -> Iterator[tuple[int, str]]:
    """(line number, decoded line) with encoding errors and huge lines reported by line; lines
    `start` up to `stop` (excluded) only: the lines before are counted, not checked."""
    with path.open("rb") as fh:
        lineno = 0
        while True:
            raw = fh.readline(MAX_LINE + 1)
            if not raw:
                break
            lineno += 1
            if lineno < start:
                continue
            if stop is not None and lineno >= stop:
                break
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
    out = dict(pairs)
    if len(out) != len(pairs):        # the rare case: find the key that repeats, for the message
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r} in one object")
            seen.add(key)
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (JSON has no NaN or Infinity)")


_STRICT = json.JSONDecoder(object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
"""One decoder for every line: `json.loads` with these options builds a new one per call."""


def parse_json_line(line: str) -> Any:
    """One JSON value, strictly: no duplicate keys, no NaN/Infinity; floats parse exactly.

    The compiled parser (orjson, strict JSON: no NaN/Infinity, exact floats) reads the line; its
    value is accepted when writing it back compactly gives the line again, which proves that no
    key was repeated (a repeat would be missing from the value). Anything else, compact JSON
    with escapes or spaces included, and every error, goes through the strict decoder, whose
    messages name what is wrong."""
    try:
        value = orjson.loads(line)
        if orjson.dumps(value) == line.rstrip("\r\n").encode("utf-8"):
            return value
    except (orjson.JSONDecodeError, orjson.JSONEncodeError, UnicodeEncodeError):
        pass
    if line.startswith("\ufeff"):     # as json.loads: a byte-order mark inside the file
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", line, 0)
    return _STRICT.decode(line.rstrip("\r\n"))     # an error at the end names its column, not line 2


def read_jsonl(path: Path) -> Iterator[Located]:
    """Records of one JSON Lines file; every bad line is recorded (see `kg.errors.record_error`).
    A large file is read by a worker process too (kg.records_worker)."""
    if worth_a_worker(path):
        with Worker(path, HEAD_LINES + 1, f"{__name__}:worker_main") as worker:
            seen = yield from jsonl_lines(path, 1, HEAD_LINES + 1)      # while the worker starts
            seen = (yield from worker.records()) or seen
    else:
        seen = yield from jsonl_lines(path)
    if not seen:
        raise DataError("the file holds no records", file=str(path))


def worker_main(argv: list[str]) -> None:
    """The worker process of `read_jsonl`: the lines of file `argv[0]` from line `argv[1]` on."""
    run_worker(jsonl_lines(Path(argv[0]), int(argv[1])))


def jsonl_lines(path: Path, start: int = 1, stop: int | None = None) -> Generator[Located, None, bool]:
    """The records of lines `start` up to `stop` (excluded), each bad line recorded; returns
    whether any of those lines was not blank."""
    seen = False
    name = str(path)
    for lineno, line in _text_lines(path, start, stop):
        if not line or line.isspace():
            continue
        seen = True
        try:
            data = parse_json_line(line)
        except json.JSONDecodeError as exc:
            record_error(DataError(f"invalid JSON: {exc.msg} (column {exc.colno})",
                                   file=name, line=lineno))
            continue
        except ValueError as exc:
            record_error(DataError(f"invalid JSON: {exc}", file=name, line=lineno))
            continue
        except RecursionError:
            record_error(DataError("invalid JSON: nested too deeply to be a record",
                                   file=name, line=lineno))
            continue
        try:
            record = parse_record(data, file=name, line=lineno, plain_text="\\u" not in line)
        except DataError as exc:
            record_error(exc)
            continue
        yield record, name, lineno
    return seen


LIST_SEP = ";"
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def field_kinds(cls: type[Record]) -> dict[str, str]:
    """Column name (the alias where a field has one) -> coercion kind ('floats': a list of numbers)."""
    kinds = {}
    for name, info in cls.model_fields.items():
        kind = kind_of(info.annotation)
        if kind == "list" and item_kind(info.annotation) in ("int", "float"):
            kind = "floats"
        kinds[info.alias or name] = kind
    return kinds


def coerce_cell(value: str, kind: str) -> Any:
    """One non-empty CSV cell -> its typed value; ValueError says what was expected."""
    if kind == "list":
        return [v.strip() for v in value.split(LIST_SEP) if v.strip()]
    if kind == "floats":
        return [coerce_cell(v.strip(), "float") for v in value.split(LIST_SEP) if v.strip()]
    if kind == "int":
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"expected an integer, got {value!r}") from None
        if not number.is_integer():
            raise ValueError(f"expected an integer, got {value!r}")
        return int(number)
    if kind == "float":
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
    if kind == "bool":
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def csv_table(path: Path, type_name: str | None = None) -> Iterator[tuple[int, Record | DataError]]:
    """The one typed-CSV reader (`kg build`, `kg import`, `kg load curated`): a `<Type>.csv` file
    row by row as (line, record) or (line, the row's error), so a caller can stop at the first
    error or collect them all. Lines starting with `#` carry citations in curated tables and are
    not data; blank rows are skipped; every row must have the header's number of fields."""
    type_name = type_name or path.stem
    cls = record_types().get(type_name)
    if cls is None:
        raise DataError(f"a records CSV must be named <type>.csv with a known type; "
                        f"{path.name!r} is not one of {', '.join(sorted(record_types()))}",
                        file=str(path))
    kinds = field_kinds(cls)
    current = {"line": 0}

    def data_lines() -> Iterator[str]:
        for lineno, line in _text_lines(path):
            current["line"] = lineno
            if not line.startswith("#"):
                yield line

    reader = csv.reader(data_lines(), strict=True)
    header: list[str] | None = None
    try:
        for fields in reader:
            line = current["line"]
            if header is None:
                header = [h.strip() for h in fields]
                if len(set(header)) != len(header):
                    raise DataError("duplicate column names in the header", file=str(path), line=line)
                continue
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                yield line, DataError(f"expected {len(header)} fields (as in the header), found "
                                      f"{len(fields)}", file=str(path), line=line)
                continue
            yield line, _typed_row(path, line, type_name, kinds, header, fields)
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", file=str(path), line=current["line"]) from exc
    if header is None:
        raise DataError("the file is empty", file=str(path))


def _typed_row(path: Path, line: int, type_name: str, kinds: dict[str, str], header: list[str],
               fields: list[str]) -> Record | DataError:
    data: dict[str, Any] = {"type": type_name}
    for column, raw in zip(header, fields, strict=True):
        value = raw.strip()
        if column == "type":
            if value and value != type_name:
                return DataError(f"type {value!r} does not match the file name", file=str(path),
                                 line=line, field="type")
            continue
        if value == "":
            continue
        try:
            data[column] = coerce_cell(value, kinds.get(column, "str"))
        except ValueError as exc:
            return DataError(str(exc), file=str(path), line=line, field=column)
    try:
        return parse_record(data, file=str(path), line=line)
    except DataError as exc:
        return exc


def read_csv(path: Path, type_name: str | None = None) -> Iterator[Located]:
    """Records of one `<Type>.csv`; every bad row is recorded (see `kg.errors.record_error`)."""
    seen = False
    for line, item in csv_table(path, type_name):
        seen = True
        if isinstance(item, DataError):
            record_error(item)
            continue
        yield item, str(path), line
    if not seen:
        raise DataError("the file holds no records", file=str(path))


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
