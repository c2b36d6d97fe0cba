"""Helpers shared by the loaders: reading inputs, normalising text, crosswalks and provenance.

Inputs are found by `loaders._inputs.iter_inputs` (files, directories walked recursively and
sorted, zip archives); small ones are read into a `Member` that knows its display name, so every
`DataError` can name the file (`World_Data.zip!MCS2025_World_Data.csv`) and line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._inputs import Input, csv_rows, decode_utf8, iter_inputs

CROSSWALKS = Path(__file__).resolve().parent / "_crosswalks"


@dataclass(frozen=True)
class Member:
    """One small input read into memory (USGS, HS, ISO tables): an `Input` and its bytes."""

    input: Input
    data: bytes

    @property
    def name(self) -> str:
        """Display name for messages: "dir/x.csv" or "x.zip!dir/x.csv"."""
        return self.input.name

    @property
    def filename(self) -> str:
        return self.input.filename

    @property
    def retrieved(self) -> str:
        return self.input.retrieved

    @property
    def origin(self) -> dict[str, Any]:
        """The manifest entry of the file or its archive ({} if none)."""
        return self.input.origin

    @property
    def listed(self) -> bool:
        return self.input.listed

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def text(self) -> str:
        return decode_utf8(self.data, self.name)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """CSV rows with the physical line number each row starts on (header is line 1)."""
        return csv_rows(io.StringIO(self.text(), newline=""), self.name)


def iter_members(paths: Iterable[Path | str], suffixes: tuple[str, ...] = (".csv",)) -> Iterator[Member]:
    """`iter_inputs` for names ending in `suffixes`, each read into memory."""
    for item in iter_inputs(paths, lambda name: name.lower().endswith(suffixes)):
        yield Member(item, item.read_bytes())


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


def latest(sources: dict[str, dict[str, Any]], sid: str, field: str, value: str) -> str:
    """The later of `value` and what the Source `sid` already records for `field` (ISO dates and
    periods compare as strings): a Source built from several inputs is as fresh as the newest."""
    return max(value, (sources.get(sid) or {}).get(field) or "")
