"""`kg build` of the bundled snapshot: idempotent, with a manifest, answering the main question."""

from __future__ import annotations

import hashlib
import json

import pytest

from kg import api
from kg.build import MANIFEST_KEY, current_manifest, plan
from kg.paths import snapshot_dir


@pytest.fixture(scope="module")
def built(snapshot_build):
    """The session's build of the bundled snapshot (its first build) and its report."""
    return snapshot_build


@pytest.mark.slow     # a second full build of the bundled snapshot
def test_second_build_changes_no_counts(built, kg_home):
    store, first = built
    before = store.stats()
    assert first.nodes_created > 1000 and first.relationships_created > 1000
    second = api.build(store, offline=True, home=kg_home)
    assert store.stats() == before
    assert second.nodes_created == 0 and second.relationships_created == 0


def test_manifest_records_inputs_versions_and_counts(built, kg_home):
    store, _ = built
    doc = current_manifest(store)
    assert doc is not None and doc["tool"] == "chokepoint-kg"
    assert doc["counts"] == store.stats()
    assert doc["ontology_version"]
    names = [s["name"] for s in doc["sources"]]
    assert {"usgs-mcs", "iso3166", "hs", "curated"} <= set(names)
    # every bundled input is listed with its real sha256
    for source in doc["sources"]:
        for f in source["files"]:
            if f["origin"] == "bundled":
                path = snapshot_dir().parent / f["file"]
                assert hashlib.sha256(path.read_bytes()).hexdigest() == f["sha256"]
    usgs = [r for r in doc["source_records"] if r["id"] == "source:usgs-mcs-2025"]
    assert usgs and usgs[0]["release"] == "MCS2025"
    latest = json.loads((kg_home / "builds" / "latest.json").read_text())
    assert latest["built_at"] == doc["built_at"]
    assert store.get_meta(MANIFEST_KEY) is not None
    assert "_Meta" not in store.stats()["nodes"]          # internal, not part of the ontology


def test_main_question_from_the_bundled_snapshot(built):
    """China's 2025 rare-earth mining share and HHI, recomputed from the USGS figures by hand."""
    store, _ = built
    rows = api.run_query(store, "concentration", material="rare-earths", stage="mining")
    (row,) = rows
    assert (row["year"], row["top_country"]) == (2025, "China")     # the latest year by default
    # MCS 2026 data release, rare earths, 2025 (t REO): every country row with a figure (Canada,
    # Greenland, South Africa and Tanzania print "—", zero)
    tonnes = {"USA": 51_000, "AUS": 29_000, "BRA": 2_000, "MMR": 22_000, "CHN": 270_000,
              "IND": 2_900, "MDG": 2_700, "MYS": 110, "NGA": 1_500, "RUS": 2_600,
              "THA": 4_800, "VNM": 150}
    # shares are national output over the USGS world total, or over the country sum where that is
    # larger (docs/queries.md); here the rows add up to 388,760 t, below the 390,000 t total
    assert sum(tonnes.values()) < 390_000
    assert row["top_share"] == pytest.approx(270_000 / 390_000)
    hhi = sum((t / 390_000 * 100) ** 2 for t in tonnes.values())
    assert row["hhi"] == pytest.approx(hhi, rel=1e-9)
    assert row["producers"] == len(tonnes)


def test_plan_lists_every_snapshot_source(tmp_path):
    inputs = plan(offline=True, registry=api.loader_registry(), home=tmp_path)
    assert [i.name for i in inputs] == sorted(i.name for i in inputs)
    assert all(i.records or i.raw for i in inputs)
