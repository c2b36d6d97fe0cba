"""Streamed inputs for the large-file loaders (BACI, GLEIF golden copy, Comtrade bulk files).

Unlike `loaders._common.Member`, which reads a whole file into memory (right for the small USGS
tables), an `Input` opens its bytes lazily as a text stream, so a multi-gigabyte CSV inside a zip is
read row by row. Each input knows a display name (`x.zip!member.csv`) for error messages and its
provenance from the `manifest.json` that `kg.sources.write_manifest` wrote beside it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import gzip
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from kg.errors import DataError

_CHUNK = 1 << 20
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class Input:
    """One input file: a plain file, a `.gz` file or a member of a zip archive."""

    path: Path                       # the file on disk (the archive, for a zip member)
    member: str | None = None        # member name inside the zip, if any
    origin: dict[str, Any] = field(default_factory=dict, compare=False)
    listed: bool = field(default=False, compare=False)   # named by the caller, not found in a folder

    @property
    def name(self) -> str:
        return f"{self.path}!{self.member}" if self.member else str(self.path)

    @property
    def filename(self) -> str:
        return (self.member or self.path.name).rsplit("/", 1)[-1]

    @property
    def retrieved(self) -> str:
        """ISO date the bytes were fetched (manifest), else the file's modification date."""
        stamp = str(self.origin.get("retrieved") or "")[:10]
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", stamp):
            return stamp
        return _dt.datetime.fromtimestamp(self.path.stat().st_mtime, _dt.UTC).date().isoformat()

    @property
    def url(self) -> str | None:
        return self.origin.get("url")

    @property
    def sha256(self) -> str | None:
        value = self.origin.get("sha256")
        return value if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) else None

    @contextmanager
    def open_binary(self) -> Iterator[IO[bytes]]:
        if self.member is not None:
            with zipfile.ZipFile(self.path) as archive, archive.open(self.member) as fh:
                yield fh
        elif self.path.suffix.lower() == ".gz":
            with gzip.open(self.path, "rb") as gz:
                yield gz  # type: ignore[misc]  # GzipFile is a binary IO; typeshed does not say so
        else:
            with self.path.open("rb") as fh:
                yield fh

    @contextmanager
    def open_text(self, encoding: str = "utf-8-sig") -> Iterator[IO[str]]:
        """A streamed text reader (BOM dropped, newlines kept for the csv module)."""
        with self.open_binary() as raw:
            yield io.TextIOWrapper(raw, encoding=encoding, newline="")

    def read_bytes(self) -> bytes:
        with self.open_binary() as fh:
            return fh.read()

    def read_text(self) -> str:
        """The whole text (for small files only), UTF-8 with or without BOM."""
        return decode_utf8(self.read_bytes(), self.name)

    def detect_encoding(self) -> str:
        """'utf-8-sig' when the whole stream decodes as UTF-8, else 'latin-1' (one streamed pass)."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        with self.open_binary() as fh:
            try:
                while chunk := fh.read(_CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                return "latin-1"
        return "utf-8-sig"


def decode_utf8(data: bytes, name: str) -> str:
    """UTF-8 text; `utf-8-sig` drops the BOM some publishers (USGS) write."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=name) from None


def iter_inputs(paths: Iterable[Path | str], keep: Callable[[str], bool]) -> Iterator[Input]:
    """Expand files, directories and zip archives into inputs whose file name passes `keep`.

    Files named explicitly are always returned (a wrong file then gets a clear error from the
    parser); directory and archive contents are filtered by `keep(filename)`.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.name == "manifest.json" or child.name.startswith("."):
                    continue
                if child.suffix.lower() == ".zip":
                    yield from _zip_inputs(child, keep)
                elif keep(child.name):
                    yield Input(child, origin=manifest_entry(child))
        elif path.suffix.lower() == ".zip" and path.is_file():
            yield from _zip_inputs(path, keep)
        elif path.is_file():
            yield Input(path, origin=manifest_entry(path), listed=True)
        else:
            raise DataError("no such file or directory", file=str(path))


def _zip_inputs(path: Path, keep: Callable[[str], bool]) -> Iterator[Input]:
    origin = manifest_entry(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(i.filename for i in archive.infolist() if not i.is_dir())
    except zipfile.BadZipFile as exc:
        raise DataError(f"not a readable zip archive: {exc}", file=str(path)) from exc
    for member in names:
        base = member.rsplit("/", 1)[-1]
        # macOS archives carry "__MACOSX/._x.csv" resource forks: not data.
        if base.startswith("._") or not keep(base):
            continue
        yield Input(path, member, {**origin, "member": member})


def manifest_entry(path: Path) -> dict[str, Any]:
    """The entry for `path` in the `manifest.json` beside it, or {}."""
    manifest = path.parent / "manifest.json"
    if not manifest.is_file():
        return {}
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise DataError(f"unreadable manifest: {exc}", file=str(manifest)) from exc
    for entry in data.get("files", []):
        if entry.get("file") == path.name:
            return dict(entry)
    return {}


def csv_rows(stream: Iterable[str], name: str, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """CSV rows with the physical line each starts on (header = line 1); errors name the line."""
    reader = csv.reader(stream, delimiter=delimiter)
    start = 1
    try:
        for row in reader:
            yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", file=name, line=start) from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason})", file=name, line=start) from None


def header_index(header: list[str], required: Iterable[str], name: str) -> dict[str, int]:
    """Column positions by name (first occurrence wins); a missing required column is an error."""
    index: dict[str, int] = {}
    for pos, col in enumerate(header):
        index.setdefault(col.strip(), pos)
    missing = [c for c in required if c not in index]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}; found {', '.join(header[:12])}"
                        f"{' …' if len(header) > 12 else ''}", file=name, line=1)
    return index


def json_array_items(text: str, name: str, path: tuple[str, ...] = ()) -> Iterator[tuple[int, Any]]:
    """Items of the JSON array at `path` (keys from the top), each with the line it starts on.

    Public APIs write one row per line (Census) or everything on one line (Comtrade); either way the
    line of the item is the best "where" an error can name.
    """
    decoder = json.JSONDecoder()
    pos = 0
    for key in path:
        match = re.compile(rf'"{re.escape(key)}"\s*:\s*').search(text, pos)
        if match is None:
            raise DataError(f"no {'.'.join(path)!r} in the JSON document", file=name)
        pos = match.end()
    pos = _skip_ws(text, pos)
    if pos >= len(text) or text[pos] != "[":
        raise DataError(f"expected a JSON array{' at ' + '.'.join(path) if path else ''}",
                        file=name, line=text.count("\n", 0, pos) + 1)
    pos += 1
    line, counted = 1, 0
    while True:
        pos = _skip_ws(text, pos)
        if pos < len(text) and text[pos] == "]":
            return
        line += text.count("\n", counted, pos)
        counted = pos
        try:
            item, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise DataError(f"invalid JSON: {exc.msg}", file=name,
                            line=text.count("\n", 0, exc.pos) + 1) from None
        yield line, item
        pos = _skip_ws(text, end)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos < len(text) and text[pos] == "]":
            return
        else:
            raise DataError("invalid JSON: unterminated array", file=name,
                            line=text.count("\n", 0, pos) + 1)


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def load_json(text: str, name: str) -> Any:
    """Parse a whole JSON document; an HTML error page or bad JSON is a DataError."""
    stripped = text.lstrip()
    if stripped[:1] == "<":
        snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", stripped))[:80].strip()
        raise DataError(f"an HTML page, not JSON (the API said: {snippet!r}; an invalid API key?)",
                        file=name, line=1)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"invalid JSON: {exc.msg}", file=name, line=exc.lineno) from None


def number(text: Any, *, file: str, line: int | None, field: str) -> float | None:
    """A number from a string or JSON number; '' / None / 'NA' / 'null' mean missing."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return float(text)
    value = str(text).strip()
    if value in ("", "NA", "N/A", "null", "None", "-"):
        return None
    if not _NUMBER.fullmatch(value) or not any(c.isdigit() for c in value):
        raise DataError(f"not a number: {value!r}", file=file, line=line, field=field)
    return float(value.replace(",", ""))
