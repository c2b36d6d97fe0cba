"""Checks every loader's output must pass, shared by the tests/test_loader_*.py files."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pycountry

from kg.models import Node, Record, Relationship, parse_record


def assert_closed(records: Iterable[Record]) -> list[Record]:
    """Each record re-validates from its JSON form; its source ids name Sources the loader emitted;
    each relationship endpoint is a node the loader emitted, a country with a real ISO code or an
    HS code (Country and HSCode nodes come from the iso3166 and hs loaders)."""
    records = list(records)
    node_ids = {r.id for r in records if isinstance(r, Node)}
    source_ids = {r.id for r in records if r.type_name == "Source"}
    for rec in records:
        again = parse_record(json.loads(json.dumps(rec.to_json())))
        assert again == rec
        missing = set(rec.source_ids) - source_ids
        assert not missing, f"{rec.to_json()} cites {missing}, which the loader did not emit"
        if isinstance(rec, Relationship):
            for end in (rec.from_id, rec.to_id):
                if end.startswith("country:"):
                    code = end.split(":", 1)[1]
                    assert code == "XKX" or pycountry.countries.get(alpha_3=code), end
                elif end.startswith("hs:"):
                    assert re.fullmatch(r"hs:\d{2}(?:\d{2}){0,4}", end), end
                else:
                    assert end in node_ids, f"{rec.to_json()}: endpoint {end} was not emitted"
    return records


def by_type(records: Iterable[Record]) -> Counter[str]:
    return Counter(r.type_name for r in records)


def edges(records: Iterable[Record], type_name: str) -> dict[tuple[str, str], Record]:
    out: dict[tuple[str, str], Record] = {}
    for rec in records:
        if rec.type_name == type_name:
            assert isinstance(rec, Relationship)
            key = (rec.from_id, rec.to_id)
            assert key not in out, f"duplicate {type_name} {key}"
            out[key] = rec
    return out


def with_manifest(src: Path | list[Path], dest: Path, retrieved: str = "2026-01-15T10:00:00+00:00",
                  source: str = "test") -> Path:
    """Copy fixture files into `dest` with a manifest fixing their retrieval date."""
    dest.mkdir(parents=True, exist_ok=True)
    files = [p for p in (src if isinstance(src, list) else sorted(src.iterdir()))
             if p.is_file() and p.name != "README.md"]
    for path in files:
        shutil.copy(path, dest / path.name)
    manifest = {"source": source, "files": [
        {"file": p.name, "url": f"https://example.org/{p.name}", "retrieved": retrieved,
         "sha256": "0" * 64, "size": p.stat().st_size} for p in files]}
    (dest / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return dest
