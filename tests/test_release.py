"""Releases (deterministic, verifiable, importable in every format) and `kg diff`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kg import api
from kg.diff import diff
from kg.release import release_records, verify_release, write_release

from .conftest import FIXTURES

OLD = FIXTURES / "release" / "old.jsonl"
NEW = FIXTURES / "release" / "new.jsonl"


def _norm(records):
    return sorted(json.dumps(r, sort_keys=True) for r in records)


@pytest.fixture
def two_releases(kg_home, tmp_path, request):
    from kg.store import embedded
    from kg.store.falkordb import FalkorDBStore
    info = embedded.start(kg_home)
    out = []
    for i, src in enumerate((OLD, NEW)):
        store = FalkorDBStore(info, kg_home, graph=f"rel_{i}_{os.getpid()}_{request.node.name[:20]}")
        api.import_records(store, [src])
        out.append((store, write_release(store, tmp_path / f"r{i}", date=f"2026-0{i + 1}-01")))
    yield out
    for store, _ in out:
        store.graph.delete()
        store.close()


def test_release_layout_and_checksums(two_releases):
    _, path = two_releases[0]
    assert path.name == "chokepoint-2026-01-01"
    names = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
    assert {"records.jsonl", "graph.ttl", "graph.nt", "manifest.json", "SHA256SUMS",
            "neo4j-admin/import.sh", "neo4j-admin/nodes_Country.csv"} <= names
    assert verify_release(path) == []
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["release"] == "2026-01-01"
    assert set(manifest["files"]) == names - {"manifest.json", "SHA256SUMS"}
    # tampering is caught
    with (path / "graph.nt").open("a") as fh:
        fh.write("# edited\n")
    assert verify_release(path) == ["graph.nt: sha256 mismatch"]
    (path / "stray.txt").write_text("x")
    assert "stray.txt: not listed in SHA256SUMS" in verify_release(path)


def test_releases_are_deterministic(two_releases, tmp_path):
    store, first = two_releases[0]
    second = write_release(store, tmp_path / "again", date="2030-12-31")
    differing = []
    for p in sorted(first.rglob("*")):
        if p.is_file():
            q = second / p.relative_to(first)
            if p.read_bytes() != q.read_bytes():
                differing.append(p.relative_to(first).as_posix())
    assert differing == ["SHA256SUMS", "manifest.json"]
    a = json.loads((first / "manifest.json").read_text())
    b = json.loads((second / "manifest.json").read_text())
    assert a.pop("release") == "2026-01-01" and b.pop("release") == "2030-12-31"
    assert a == b


@pytest.mark.parametrize("member", ["", "records.jsonl", "graph.ttl", "graph.nt", "neo4j-admin"])
def test_every_release_format_imports_back(two_releases, embedded_store, member):
    store, path = two_releases[1]
    api.import_records(embedded_store, [path / member if member else path])
    assert embedded_store.stats() == store.stats()
    assert _norm(api.export_records(embedded_store)) == _norm(api.export_records(store))


def test_diff_names_exactly_the_planted_changes(two_releases):
    (_, old), (_, new) = two_releases
    report = diff(release_records(old), release_records(new))
    groups = report.groups()
    assert set(groups) == {"export controls", "production shares", "production figures",
                           "ownership and state control", "agreements", "trade partners", "counts"}
    # every PRODUCES fact that differs is listed, moved share or not (plain comparison of the files)
    def produces(path: Path) -> dict[tuple[str, str, str, int], dict]:
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return {(r["from"], r["to"], r["stage"], r["year"]): r for r in rows if r["type"] == "PRODUCES"}
    a, b = produces(OLD), produces(NEW)
    differ = {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
    assert {(r["producer"], r["item"], r["stage"], r["year"]) for r in groups["production figures"]} \
        == differ and len(differ) == 3
    controls = {(r["change"], r["control"]) for r in groups["export controls"]}
    assert controls == {("changed", "Gallium and germanium export licensing"),
                        ("added", "Ban on gallium exports to the United States"),
                        ("added", "control:mofcom-2024-46")}   # IMPOSES and TARGETS of the new one
    changed = next(r for r in groups["export controls"] if r["change"] == "changed")
    assert changed["fields"] == "status, suspended_from, suspended_until"
    assert changed["status"] == "in-force → suspended"
    # by hand: 600/620 = 96.77 % → 700/760 = 92.11 %; Japan and Russia move < 0.2 pp
    (move,) = groups["production shares"]
    assert (move["material"], move["stage"], move["country"]) == ("material:gallium", "refining", "country:CHN")
    assert move["points"] == pytest.approx(round((700 / 760 - 600 / 620) * 100, 1))
    (own,) = groups["ownership and state control"]
    assert own["change"] == "changed" and own["share"] == "0.4 → 0.75"
    assert {(r["change"], r["type"]) for r in groups["agreements"]} == {("added", "Agreement"),
                                                                         ("added", "PARTY_TO")}
    assert {(r["change"], r["exporter"]) for r in groups["trade partners"]} == {
        ("new partner flow", "country:JPN"), ("dropped flow", "country:RUS")}
    counts = {r["kind"]: (r["old"], r["new"]) for r in groups["counts"]}
    assert counts == {"ExportControl": (1, 2), "Agreement": (0, 1), "IMPOSES": (1, 2),
                      "TARGETS": (0, 1), "PARTY_TO": (0, 1)}


def test_diff_cli_exit_codes_and_formats(two_releases, kg_home):
    (_, old), (_, new) = two_releases
    env = {**os.environ, "KG_HOME": str(kg_home)}

    def kg(*args):
        return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True,
                              env=env, timeout=120)
    same = kg("diff", str(old), str(old))
    assert same.returncode == 0 and "0 added, 0 removed, 0 changed" in same.stdout
    r = kg("diff", str(old), str(new), "--format", "json")
    assert r.returncode == 3, r.stderr
    doc = json.loads(r.stdout)
    assert doc["changed"] is True and doc["summary"] == {"added": 6, "removed": 1, "changed": 5}
    md = kg("diff", str(old), str(new), "--format", "markdown")
    assert md.returncode == 3 and "## Production shares (1)" in md.stdout
    r = kg("diff", str(old), str(new), "--threshold", "5")
    assert r.returncode == 3 and "production shares" not in r.stdout
    r = kg("verify", str(old))
    assert r.returncode == 0
    (old / "records.jsonl").write_text("")
    r = kg("verify", str(old))
    assert r.returncode == 1 and "records.jsonl: sha256 mismatch" in r.stderr
