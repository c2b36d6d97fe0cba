"""`kg snapshot rebuild`: the bundled parts regenerated from public files, checked by sha256.

Runs on our own small fixture files (tests/fixtures/usgs, usgs2026, iso, hs) copied into a folder,
never on the reference files; sha256 values are computed here with hashlib.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from kg.errors import DataError
from loaders._snapshot import SNAPSHOT, rebuild, recipes

FIX = Path(__file__).parent / "fixtures"


@pytest.fixture()
def public(tmp_path: Path) -> Path:
    """A folder as a maintainer would have it: the public files, under any sub-folders."""
    d = tmp_path / "public"
    shutil.copytree(FIX / "usgs", d / "usgs_mcs2025")
    shutil.copy(FIX / "usgs2026" / "MCS2026_Commodities_Data.csv", d)
    shutil.copy(FIX / "iso" / "country-codes.csv", d)
    shutil.copy(FIX / "hs" / "harmonized-system.csv", d / "hs2022_harmonized-system.csv")
    (d / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")      # not an input of any loader
    # only usgs-mcs, iso3166 and hs have inputs here: ev-investments and fineprint are skipped
    return d


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_public_file_loader_names_its_recipe_in_the_registry() -> None:
    assert {"usgs-mcs", "iso3166", "hs", "ev-investments", "fineprint"} <= set(recipes())


def test_new_inputs_are_refused_until_accepted(public: Path, tmp_path: Path) -> None:
    root = tmp_path / "snapshot"
    with pytest.raises(DataError, match=r"new inputs: .*MCS2026_Commodities_Data\.csv.*--accept-new"):
        rebuild(public, ["usgs-mcs"], root=root)
    assert not root.exists()            # nothing written
    (outcome,) = rebuild(public, ["usgs-mcs"], root=root, accept_new=True, retrieved="2026-12-01")
    manifest = json.loads((root / "usgs-mcs" / "manifest.json").read_text(encoding="utf-8"))
    files = {e["file"]: e for e in manifest["files"]}
    assert files["MCS2026_Commodities_Data.csv"]["sha256"] == sha(public / "MCS2026_Commodities_Data.csv")
    assert files["MCS2025_World_Data.csv"]["sha256"] == sha(public / "usgs_mcs2025" / "MCS2025_World_Data.csv")
    assert files["MCS2026_Commodities_Data.csv"]["doi"] == "10.5066/P1WKQ63T"
    assert files["MCS2026_Commodities_Data.csv"]["retrieved"] == "2026-12-01"
    assert len(files) == len(list((public / "usgs_mcs2025").glob("*.csv"))) + 1 == outcome.inputs
    lines = (root / "usgs-mcs" / "records.jsonl").read_text(encoding="utf-8").splitlines()
    assert sum(manifest["records"].values()) == len(lines)
    burma = [json.loads(x) for x in lines if '"from": "country:MMR"' in x and '"year": 2025' in x]
    assert burma and burma[0]["source_ids"] == ["source:usgs-mcs-2026"]


def test_a_rebuild_from_the_same_files_is_identical(public: Path, tmp_path: Path) -> None:
    root = tmp_path / "snapshot"
    rebuild(public, root=root, accept_new=True)
    first = {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert {Path("usgs-mcs/records.jsonl"), Path("iso3166/records.jsonl"), Path("hs/records.jsonl")} <= set(first)
    outcomes = rebuild(public, root=root)          # every input known: no --accept-new needed
    assert all(not (o.new or o.changed or o.missing) for o in outcomes)
    assert {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()} == first


def test_changed_and_missing_inputs_are_errors(public: Path, tmp_path: Path) -> None:
    root = tmp_path / "snapshot"
    rebuild(public, ["usgs-mcs", "hs"], root=root, accept_new=True)
    before = (root / "usgs-mcs" / "records.jsonl").read_bytes()
    world = public / "usgs_mcs2025" / "MCS2025_World_Data.csv"
    world.write_bytes(world.read_bytes().replace(b"270000", b"270001", 1))
    with pytest.raises(DataError, match=r"changed inputs \(sha256 differs\): MCS2025_World_Data.csv"):
        rebuild(public, ["usgs-mcs"], root=root)
    (public / "usgs_mcs2025" / "MCS2025_T5_Critical_Minerals_Salient.csv").unlink()
    with pytest.raises(DataError, match=r"not given: MCS2025_T5_Critical_Minerals_Salient\.csv"):
        rebuild(public, ["usgs-mcs"], root=root)
    # all or nothing: hs is checked and fine, usgs-mcs is not: neither part is rewritten
    hs_before = (root / "hs" / "manifest.json").read_bytes()
    with pytest.raises(DataError):
        rebuild(public, ["hs", "usgs-mcs"], root=root)
    assert (root / "usgs-mcs" / "records.jsonl").read_bytes() == before
    assert (root / "hs" / "manifest.json").read_bytes() == hs_before


def test_cli(kg, public: Path, tmp_path: Path) -> None:
    root = tmp_path / "snapshot"
    r = kg("snapshot", "rebuild", "--from", str(public), "--source", "iso3166",
           "--snapshot-dir", str(root), "--format", "json")
    assert r.returncode == 1 and "new inputs: country-codes.csv" in r.stderr and "Traceback" not in r.stderr
    r = kg("snapshot", "rebuild", "--from", str(public), "--source", "iso3166",
           "--snapshot-dir", str(root), "--accept-new", "--format", "json")
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)
    assert (row["source"], row["inputs"], row["new"], row["status"]) == ("iso3166", 1, 1, "rebuilt")
    r = kg("snapshot", "rebuild", "--from", str(public), "--source", "nope", "--snapshot-dir", str(root))
    assert r.returncode == 1 and "no snapshot recipe for nope" in r.stderr


def test_bundled_figures_trace_to_their_public_files() -> None:
    """Every Source the bundled usgs-mcs part cites is an edition whose files the manifest lists."""
    manifest = json.loads((SNAPSHOT / "usgs-mcs" / "manifest.json").read_text(encoding="utf-8"))
    editions = {e["edition"] for e in manifest["files"]}
    cited = set()
    for line in (SNAPSHOT / "usgs-mcs" / "records.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec["type"] == "Source":
            cited.add(int(rec["release"][3:]))
    assert cited == editions and 2026 in editions
    assert all(len(e["sha256"]) == 64 for e in manifest["files"])


def test_both_dataweb_exports_are_bundled_with_their_sha256(tmp_path: Path) -> None:
    """The usitc-dataweb part takes the imports AND the domestic-exports workbook (our own fixture
    workbooks under the public names); the exports go USA -> partner with flow_basis exports."""
    from .fixtures.usitc_dataweb import build
    public = tmp_path / "public"
    public.mkdir()
    imports = build.write(public / "usitc_dataweb_us_imports_for_consumption_hts4_1993-2026.xlsx")
    exports = build.write(public / "usitc_dataweb_us_domestic_exports_hts4_1993-2026.xlsx",
                          flow="Domestic Exports")
    root = tmp_path / "snapshot"
    (outcome,) = rebuild(public, ["usitc-dataweb"], root=root, accept_new=True)
    manifest = json.loads((root / "usitc-dataweb" / "manifest.json").read_text(encoding="utf-8"))
    assert {e["file"]: e["sha256"] for e in manifest["files"]} == {
        imports.name: sha(imports), exports.name: sha(exports)}
    flows = [json.loads(x) for x in (root / "usitc-dataweb" / "records.jsonl").read_text(
        encoding="utf-8").splitlines() if '"EXPORTS_TO"' in x]
    # the fixture workbook has 9 partner-code-year flows (test_loader_usitc_dataweb.EXPECTED),
    # once into the US (imports) and once out of it (exports)
    assert sorted((f["flow_basis"], f["from"] == "country:USA") for f in flows) == \
        [("exports", True)] * 9 + [("imports", False)] * 9
    assert manifest["records"]["EXPORTS_TO"] == 18 and outcome.inputs == 2
    # a changed exports workbook is refused: nothing written
    before = (root / "usitc-dataweb" / "records.jsonl").read_bytes()
    build.write(exports, flow="Domestic Exports", values=[])
    with pytest.raises(DataError, match=r"changed inputs \(sha256 differs\): .*domestic_exports"):
        rebuild(public, ["usitc-dataweb"], root=root)
    assert (root / "usitc-dataweb" / "records.jsonl").read_bytes() == before
