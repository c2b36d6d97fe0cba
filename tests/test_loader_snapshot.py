"""The bundled snapshots of the usgs-mcs, iso3166 and hs loaders are valid and closed.

Every record validates; every `source_ids` entry and every relationship endpoint is defined inside
these three snapshot directories; the manifests name each input with its URL and sha256.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kg.models import parse_record

SNAPSHOT = Path(__file__).resolve().parent.parent / "loaders" / "snapshot"
NAMES = ("iso3166", "usgs-mcs", "hs")


@pytest.fixture(scope="module")
def records() -> dict[str, list]:
    out = {}
    for name in NAMES:
        path = SNAPSHOT / name / "records.jsonl"
        with path.open(encoding="utf-8") as fh:
            out[name] = [parse_record(json.loads(line), file=str(path), line=n)
                         for n, line in enumerate(fh, start=1)]
    return out


def test_snapshots_are_closed(records: dict[str, list]) -> None:
    everything = [r for rs in records.values() for r in rs]
    nodes = [r.id for r in everything if r.record_kind == "node"]
    assert len(nodes) == len(set(nodes)), "a node id is defined twice"
    ids = set(nodes)
    keys = set()
    for r in everything:
        assert r.source_ids and set(r.source_ids) <= ids, r
        if r.record_kind == "relationship":
            assert r.from_id in ids and r.to_id in ids, r
            assert r.key() not in keys, r.key()
            keys.add(r.key())


def test_manifests_match_the_records(records: dict[str, list]) -> None:
    for name in NAMES:
        manifest = json.loads((SNAPSHOT / name / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["records"] == dict(Counter(r.type_name for r in records[name]))
        assert manifest["files"]
        for f in manifest["files"]:
            assert len(f["sha256"]) == 64 and f["url"].startswith("https://") and f["file"]


def test_usgs_headline_values(records: dict[str, list]) -> None:
    usgs = records["usgs-mcs"]
    def ree(iso3: str, year: int) -> Any:
        (r,) = [r for r in usgs if r.type_name == "PRODUCES" and r.from_id == f"country:{iso3}"
                and r.to_id == "material:rare-earths" and r.year == year and r.basis == "output"]
        return r
    # MCS 2026: 2025 figures, and 2024 revised (world total 380 kt, not MCS 2025's 390 kt)
    assert (ree("CHN", 2025).quantity, ree("CHN", 2025).world_quantity) == (270000, 390000)
    assert (ree("CHN", 2024).quantity, ree("CHN", 2024).world_quantity) == (270000, 380000)
    assert round(ree("CHN", 2024).share, 4) == round(270 / 380, 4)
    # the same 2024 figure in both editions cites both
    assert ree("CHN", 2024).source_ids == ("source:usgs-mcs-2025", "source:usgs-mcs-2026")
    assert (ree("MMR", 2025).quantity, ree("MMR", 2025).source_ids) == (22000, ("source:usgs-mcs-2026",))
    # 2023 only MCS 2025 has
    assert ree("CHN", 2023).source_ids == ("source:usgs-mcs-2025",)
    ga = [r for r in usgs if r.type_name == "IMPORT_RELIANCE" and r.to_id == "material:gallium"
          and r.year == 2024]
    assert ga[0].net_import_reliance == 1.0 and ga[0].sources[:2] == ("JPN", "CHN")
    # every commodity of the World Data is there: 78 commodity strings, 71 after aliases,
    # split into more Materials by TYPE (Pd, Pt, ilmenite, rutile, clays ...)
    produced = {r.to_id for r in usgs if r.type_name == "PRODUCES"}
    assert {"material:germanium", "material:graphite", "material:platinum", "material:palladium",
            "material:cobalt", "material:lithium", "material:tungsten"} <= produced
    assert {s.id for s in usgs if s.type_name == "Source"} == {
        "source:usgs-mcs-2026", "source:usgs-mcs-2025", "source:usgs-mcs-2025-salient",
        "source:usgs-mcs-2025-industry-trends", "source:usgs-mcs-2023-salient",
        "source:usgs-mcs-2022-salient"}


def test_iso_and_hs_coverage(records: dict[str, list]) -> None:
    assert sum(r.type_name == "Country" for r in records["iso3166"]) == 250
    chapters = {r.code for r in records["hs"] if r.type_name == "HSCode" and r.level == 2}
    # chapter 77 is reserved in HS and has no codes
    needed = {"25", "26", "27", "28", "38", *map(str, range(71, 77)), *map(str, range(78, 82)), "85"}
    assert needed <= chapters and len(chapters) == 97


def test_snapshot_cites_the_current_crosswalk(records: dict[str, list]) -> None:
    """The iso3166 snapshot records the crosswalk's sha256: regenerate it when the crosswalk changes
    (python -m loaders._snapshot iso3166 country-codes.csv)."""
    from kg.sources import sha256_file
    source = next(r for r in records["iso3166"] if r.id == "source:usgs-country-crosswalk")
    assert source.sha256 == sha256_file(SNAPSHOT.parent / "_crosswalks" / "usgs_countries.csv")
