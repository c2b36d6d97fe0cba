"""Harmonized System 2022 nomenclature: chapters, headings and subheadings as `HSCode` nodes.

Source: datasets/harmonized-system (https://github.com/datasets/harmonized-system, ODC-PDDL-1.0),
compiled from the UN Comtrade HS 2022 classification of the World Customs Organization. File
`data/harmonized-system.csv`, columns `section,hscode,description,parent,level`: chapters (level 2,
parent `TOTAL`), headings (4) and subheadings (6).

Quirks: one `TOTAL,TOTAL,…,TOTAL,5` row (not a code; skipped); codes must be read as strings (chapter
`01`); sections are Roman numerals and cannot be `HSCode` ids (`hs:<digits>`), so a chapter's section
is kept in its `notes`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.models import Record, parse_record
from kg.sources import SourceSpec, download, write_manifest

from ._common import Member, clean, iter_members

HS_URL = "https://raw.githubusercontent.com/datasets/harmonized-system/main/data/harmonized-system.csv"
HS_VERSION = "HS2022"
SOURCE_ID = "source:datasets-harmonized-system-hs2022"  # the id the curated tables cite
COLUMNS = ("section", "hscode", "description", "parent", "level")

SPEC = SourceSpec(
    name="hs",
    title="Harmonized System 2022 nomenclature (datasets/harmonized-system)",
    publisher="World Customs Organization (nomenclature); UN Comtrade; datasets/harmonized-system",
    urls=(HS_URL,),
    license="ODC-PDDL-1.0",
    cadence="every five years (HS2022, next HS2028)",
    homepage="https://github.com/datasets/harmonized-system",
)


def fetch(dest: Path, *, base_url: str | None = None, timeout: float = 60.0, retries: int = 3,
          backoff: float = 1.0) -> list[Path]:
    url = HS_URL if base_url is None else f"{base_url.rstrip('/')}/harmonized-system.csv"
    got = download(url, dest / "harmonized-system.csv", timeout=timeout, retries=retries,
                   backoff=backoff)
    write_manifest(dest, SPEC.name, [got])
    return [got.path]


def parse(paths: Iterable[Path], *, chapters: Iterable[str] | None = None) -> Iterator[Record]:
    """`HSCode` nodes, optionally only those under `chapters` (two-digit strings)."""
    keep = {c.zfill(2) for c in chapters} if chapters is not None else None
    members = list(iter_members(paths))
    if not members:
        return
    yield parse_record(_source(members), file=members[0].name)
    for member in members:
        for line, row in _rows(member):
            code = row["hscode"]
            if keep is not None and code[:2] not in keep:
                continue
            yield parse_record(row_record(row), file=member.name, line=line)


def _rows(member: Member) -> Iterator[tuple[int, dict[str, str]]]:
    rows = member.rows()
    _, header = next(rows, (1, []))
    names = [clean(h).lower() for h in header]
    for need in COLUMNS:
        if need not in names:
            raise DataError(f"missing column {need}: not a datasets/harmonized-system file",
                            file=member.name, line=1, field=need)
    seen: set[str] = set()
    for line, raw in rows:
        if not any(c.strip() for c in raw):
            continue
        row = {n: clean(raw[i]) if i < len(raw) else "" for i, n in enumerate(names)}
        if row["hscode"].upper() == "TOTAL":
            continue    # the "Total of all HS2022 commodities" row is not a code
        _check(member, line, row, seen)
        seen.add(row["hscode"])
        yield line, row


def _check(member: Member, line: int, row: dict[str, str], seen: set[str]) -> None:
    code, parent, level = row["hscode"], row["parent"], row["level"]
    where: dict[str, Any] = {"file": member.name, "line": line}
    if not re.fullmatch(r"\d{2}(?:\d{2}){0,2}", code):
        raise DataError(f"HS code {code!r} is not 2, 4 or 6 digits", field="hscode", **where)
    if level != str(len(code)):
        raise DataError(f"level {level!r} does not match the {len(code)}-digit code {code}",
                        field="level", **where)
    if code in seen:
        raise DataError(f"HS code {code} appears twice", field="hscode", **where)
    expected = "TOTAL" if len(code) == 2 else code[:-2]
    if parent.upper() != expected:
        raise DataError(f"parent {parent!r} of {code} should be {expected}", field="parent", **where)
    if not row["description"]:
        raise DataError(f"HS code {code} has no description", field="description", **where)


def row_record(row: dict[str, str]) -> dict[str, Any]:
    code = row["hscode"]
    record: dict[str, Any] = {
        "type": "HSCode", "id": f"hs:{code}", "name": row["description"], "code": code,
        "level": len(code), "hs_version": HS_VERSION, "source_ids": [SOURCE_ID],
    }
    if len(code) == 2:
        record["notes"] = f"HS section {row['section']}"
    else:
        record["parent"] = code[:-2]
    return record


def _source(members: list[Member]) -> dict[str, Any]:
    return {"type": "Source", "id": SOURCE_ID, "name": "Harmonized System 2022 nomenclature",
            "title": "Harmonized System 2022 nomenclature: chapters, headings and subheadings "
                     "(datasets/harmonized-system, from UN Comtrade)",
            "publisher": "World Customs Organization; UN Comtrade; datasets/harmonized-system",
            "url": "https://github.com/datasets/harmonized-system", "license": "ODC-PDDL-1.0",
            "release": HS_VERSION, "year": 2022, "retrieved": max(m.retrieved for m in members),
            "sha256": members[0].sha256 if len(members) == 1 else None}
