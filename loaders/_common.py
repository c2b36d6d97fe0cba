"""Helpers shared by the loaders: reading inputs, normalising text, crosswalks and provenance.

Inputs may be files, directories (walked recursively, sorted so output is deterministic) or zip
archives (the form public data releases ship in). Every input is read into a `Member` that knows
its display name, so every `DataError` can name the file (`World_Data.zip!MCS2025_World_Data.csv`)
and line.
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import DataError

from ._inputs import manifest_entry

CROSSWALKS = Path(__file__).resolve().parent / "_crosswalks"


@dataclass(frozen=True)
class Member:
    """One input file, possibly a member of a zip archive, with what is known of its origin."""

    name: str                 # display name for messages: "dir/x.csv" or "x.zip!dir/x.csv"
    filename: str             # base name of the CSV itself
    data: bytes
    retrieved: str            # ISO date the bytes were fetched (manifest), else file mtime
    origin: dict[str, Any]    # the manifest entry of the file or its archive ({} if none)
    listed: bool = False      # named explicitly by the caller (not found in a directory or zip)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def text(self) -> str:
        # utf-8-sig drops the BOM USGS files carry; files without one decode the same way.
        try:
            return self.data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataError(f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                            file=self.name) from None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """CSV rows with the physical line number each row starts on (header is line 1)."""
        reader = csv.reader(io.StringIO(self.text(), newline=""))
        start = 1
        try:
            for row in reader:
                yield start, row
                start = reader.line_num + 1
        except csv.Error as exc:
            raise DataError(f"malformed CSV: {exc}", file=self.name, line=start) from exc


def iter_members(paths: Iterable[Path | str], suffixes: tuple[str, ...] = (".csv",)) -> Iterator[Member]:
    """Expand files, directories and zip archives into members whose names end in `suffixes`.

    Files named explicitly are always returned (so a wrong file gets a clear error from the
    parser); directory and archive contents are filtered by suffix.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.name == "manifest.json":
                    continue
                if child.suffix.lower() == ".zip":
                    yield from _zip_members(child, suffixes)
                elif child.name.lower().endswith(suffixes):
                    yield _file_member(child)
        elif path.suffix.lower() == ".zip":
            yield from _zip_members(path, suffixes)
        elif path.is_file():
            yield _file_member(path, listed=True)
        else:
            raise DataError("no such file or directory", file=str(path))


def _file_member(path: Path, listed: bool = False) -> Member:
    origin = manifest_entry(path)
    return Member(name=str(path), filename=path.name, data=path.read_bytes(),
                  retrieved=_retrieved(origin, path), origin=origin, listed=listed)


def _zip_members(path: Path, suffixes: tuple[str, ...]) -> Iterator[Member]:
    origin = manifest_entry(path)
    retrieved = _retrieved(origin, path)
    try:
        with zipfile.ZipFile(path) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                base = info.filename.rsplit("/", 1)[-1]
                # macOS archives carry "__MACOSX/._x.csv" resource forks: not data.
                if info.is_dir() or base.startswith("._") or not base.lower().endswith(suffixes):
                    continue
                yield Member(name=f"{path}!{info.filename}", filename=base,
                             data=archive.read(info), retrieved=retrieved,
                             origin={**origin, "member": info.filename})
    except zipfile.BadZipFile as exc:
        raise DataError(f"not a readable zip archive: {exc}", file=str(path)) from exc


def _retrieved(origin: dict[str, Any], path: Path) -> str:
    stamp = str(origin.get("retrieved") or "")[:10]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", stamp):
        return stamp
    # No manifest (a file the user downloaded by hand): the file's own date is the best we know.
    return _dt.datetime.fromtimestamp(path.stat().st_mtime, _dt.UTC).date().isoformat()


def clean(text: str | None) -> str:
    """Strip and collapse whitespace, including the NBSP (U+00A0) USGS uses inside names."""
    if not text:
        return ""
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def key(text: str | None) -> str:
    """Lookup key: cleaned, case-folded, curly apostrophes and dashes made plain."""
    folded = unicodedata.normalize("NFKC", clean(text)).casefold()
    return folded.replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-")


def read_crosswalk(name: str) -> list[tuple[int, dict[str, str]]]:
    """Rows of `loaders/_crosswalks/<name>` with their line numbers; `#` lines are citations."""
    path = CROSSWALKS / name
    lines = path.read_text(encoding="utf-8").splitlines()
    data = [(n, line) for n, line in enumerate(lines, start=1)
            if line.strip() and not line.startswith("#")]
    reader = csv.DictReader(line for _, line in data)
    out = []
    for (n, _), row in zip(data[1:], reader, strict=False):
        if any(v.strip() for v in row.values() if v):
            out.append((n, {k: (v or "").strip() for k, v in row.items()}))
    return out


def crosswalk_file(name: str) -> str:
    """Display name of a crosswalk, for error messages."""
    return f"loaders/_crosswalks/{name}"
