"""ev-investments loader on our own rows in the real S9 table layout (CRLF, quoted JV names, quirks).

Expected values are worked out by hand from the fixture rows (see the comments), never taken from the
loader's output.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kg import api
from kg.errors import DataError
from kg.records_io import read_paths
from kg.sources import FetchError
from loaders import ev_investments as ev
from loaders._firms import FirmIndex

from .conftest import FIXTURES
from .loader_checks import assert_closed, by_type, edges
from .loopback import Answer, loopback

TABLE = FIXTURES / "ev_investments" / "post_ira_ev_supply_chain_investments.csv"
HEADER = TABLE.read_text().splitlines()[0]
ISO = Path(__file__).resolve().parents[1] / "loaders" / "snapshot" / "iso3166" / "records.jsonl"
GOOD = ("Batteries,Acme Cells,Batteries: Cells,10,10M - 100M,20,Less than 100,Austin,Texas,"
        "United States,30.2,-97.6,Post-Inflation Reduction Act,Yes,,")


@pytest.fixture(scope="module")
def parsed() -> tuple[dict, list]:
    report: list = []
    records = assert_closed(ev.parse([TABLE], report=report))
    return {r.id: r for r in records if r.record_kind == "node"} | {"_all": records}, report


def facility(parsed, fid):
    return parsed[0][fid]


def test_one_facility_per_firm_and_place(parsed) -> None:
    nodes, _ = parsed
    facilities = sorted(k for k, v in nodes.items() if k != "_all" and v.type_name == "Facility")
    # 18 data rows: 1 non-battery (Tesla), Albemarle x2 and Toyota x2 and Li-Cycle x2 share a plant,
    # BlueOval SK is one row repeated: 18 - 1 - 3 - 1 = 13 plants.
    assert len(facilities) == 13
    assert "facility:tesla-santa-catarina-nuevo-leon" not in facilities
    counts = by_type(nodes["_all"])
    assert counts["Facility"] == 13 and counts["Source"] == 1


def test_announcements_add_up(parsed) -> None:
    toyota = facility(parsed, "facility:toyota-liberty-north-carolina")
    assert toyota.investment_usd == (1290 + 12610) * 1e6 and toyota.jobs == 1750 + 3350
    assert toyota.ira_timeline == ("post-IRA", "pre-IRA")
    assert toyota.activities == ("cells", "packs") and toyota.stages == ("manufacturing",)
    blue = facility(parsed, "facility:blueoval-sk-glendale-kentucky")
    assert (blue.investment_usd, blue.jobs) == (2900e6, 2500)           # the repeated row counts once
    assert "repeats an earlier row" in blue.notes


def test_quirks_zero_missing_negative_and_tbd(parsed) -> None:
    fremont = facility(parsed, "facility:gotion-fremont-california")
    assert fremont.investment_usd is None and fremont.jobs is None      # 0 and 0: not reported
    nano = facility(parsed, "facility:nanotech-energy-sparks-nevada")
    assert nano.investment_usd is None and nano.jobs is None
    assert "-157" in nano.notes and "-1000" in nano.notes
    licycle = facility(parsed, "facility:li-cycle-rochester-new-york")
    assert (licycle.investment_usd, licycle.jobs) == (310e6, 220)       # Not Specified and '-' skipped
    assert licycle.activities == ("minerals, materials and components", "recycling")
    assert licycle.stages == ("refining",)                               # only recycling has a stage
    tbd = facility(parsed, "facility:advanced-nano-products-site-tbd")
    assert tbd.latitude is None and tbd.longitude is None and tbd.region is None   # 0,0 and TBD
    # Gotion's Big Rapids plant is a curated facility: the row adds its place and figures to it and
    # leaves the curated name and type alone (facility_type absent, so the merge keeps the curated one)
    big_rapids = facility(parsed, "facility:gotion-big-rapids")
    assert big_rapids.name.startswith("Gotion battery-component plant, Big Rapids")
    assert (big_rapids.locality, big_rapids.region) == ("Big Rapids", "Michigan")
    assert (big_rapids.latitude, big_rapids.longitude) == (43.74, -85.53)
    assert big_rapids.investment_usd == 2364e6 and big_rapids.facility_type is None


def test_places_and_owners(parsed) -> None:
    records = parsed[0]["_all"]
    located = edges(records, "LOCATED_IN")
    assert located[("facility:ecopro-cam-canada-becancour-quebec", "country:CAN")]
    assert located[("facility:gotion-fremont-california", "country:USA")]
    owns, operates = edges(records, "OWNS"), edges(records, "OPERATES")
    assert owns[("firm:gotion", "facility:gotion-fremont-california")].share is None   # not stated
    # the curated Big Rapids plant keeps its own cited links: the row adds none
    assert ("facility:gotion-big-rapids", "country:USA") not in located
    # Envision AESC's Bowling Green plant is the curated one: same place, same operator, one facility
    assert "facility:aesc-bowling-green" in parsed[0]
    assert not any(fid.startswith("facility:envision-aesc-bowling") for fid in parsed[0])
    # "PowerCo / Volkswagen": two joint investors, both operate and own.
    for firm in ("firm:powerco", "firm:volkswagen"):
        assert (firm, "facility:powerco-volkswagen-st-thomas-ontario") in operates
    # "BlueOval SK (Ford, SK Innovation)": the vehicle runs the plant, the partners own the vehicle.
    assert ("firm:blueoval-sk", "facility:blueoval-sk-glendale-kentucky") in operates
    assert owns[("firm:ford", "firm:blueoval-sk")].share is None
    assert ("firm:sk-innovation", "firm:blueoval-sk") in owns
    # GM is an alias of the curated General Motors; POSCO is not POSCO Future M (reported, not merged).
    assert ("firm:general-motors", "firm:ultium-cam") in owns
    assert ("firm:posco", "firm:ultium-cam") in owns
    assert all(r.source_ids == (ev.SOURCE_ID,) for r in records if r.type_name != "Source")


def test_same_plant_as_a_curated_facility_is_one_facility(parsed) -> None:
    nodes, _ = parsed
    records = nodes["_all"]
    # Albemarle at Kings Mountain is the curated Kings Mountain mine: firm + country + city in name.
    kings = nodes["facility:kings-mountain"]
    assert kings.name == "Kings Mountain lithium mine" and kings.investment_usd == (394 + 90) * 1e6
    assert kings.stages == ("mining", "refining")
    assert kings.notes is None and kings.facility_type is None    # the curated ones stay
    assert not any(k == "facility:albemarle-kings-mountain-north-carolina" for k in nodes)
    # The curated tables already say Albemarle runs and owns it: not repeated (it would overwrite
    # the curated 100 % equity basis).
    assert ("firm:albemarle", "facility:kings-mountain") not in edges(records, "OWNS")
    # 'DeSoto' is the curated 'De Soto' plant (spacing folded) although 'Panasonic' is not the
    # curated Panasonic Energy: the firm's name is in the facility's name.
    assert nodes["facility:panasonic-de-soto"].investment_usd == 4000e6
    # Two firms at Becancour: Ultium CAM is the curated plant, EcoPro's is a different plant.
    assert nodes["facility:ultium-cam-becancour"].name == "Ultium CAM Becancour"
    assert "facility:ecopro-cam-canada-becancour-quebec" in nodes


def test_scope_all_keeps_other_technologies() -> None:
    records = list(ev.parse([TABLE], scope="all"))
    tesla = next(r for r in records if getattr(r, "id", "") == "facility:tesla-santa-catarina-nuevo-leon")
    assert tesla.activities == ("electric vehicles: assembly",) and tesla.stages == ()
    assert sum(r.type_name == "Facility" for r in records) == 14
    with pytest.raises(ValueError, match="scope"):
        list(ev.parse([TABLE], scope="cars"))


def test_firm_matches_are_reported_never_merged(parsed) -> None:
    _, report = parsed
    got = {(m.name, m.status, m.candidates, m.firm_id) for m in report}
    assert got == {("Panasonic", "possible", ("firm:panasonic-energy",), "firm:panasonic"),
                   ("POSCO", "possible", ("firm:posco-future-m",), "firm:posco"),
                   ("Ford", "possible", ("firm:ford-motor",), "firm:ford")}
    index = FirmIndex.from_files()
    hunan = index.resolve("Hunan Gold Corp.")            # two curated firms share the key
    assert hunan.status == "ambiguous"
    assert hunan.candidates == ("firm:hunan-gold", "firm:hunan-gold-group")
    assert hunan.firm_id not in hunan.candidates
    assert index.resolve("Aluminium Corporation of China Ltd.").firm_id == "firm:chinalco"
    assert index.resolve("Glencore plc.").status == "exact"


@pytest.mark.parametrize("row, field", [
    (GOOD.replace("Acme Cells", ""), "company_name"),
    (GOOD.replace("United States", "Atlantis"), "country"),
    (GOOD.replace("Post-Inflation", "Mid-Inflation"), "timeline"),
    (GOOD.replace("Batteries: Cells", "Batteries: Widgets"), "product"),
    (GOOD.replace(",10,", ",1O,", 1), "reported_investment"),
    (GOOD.replace(",20,", ",2.5,", 1), "reported_jobs"),
    (GOOD.replace("30.2", "95.0"), "latitude"),
])
def test_bad_rows_name_file_line_field(tmp_path: Path, row: str, field: str) -> None:
    path = tmp_path / "table.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n{row}\n")
    with pytest.raises(DataError) as err:
        list(ev.parse([path]))
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 3, field)


def test_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text(HEADER.replace("timeline", "when") + "\n" + GOOD + "\n")
    with pytest.raises(DataError) as err:
        list(ev.parse([path]))
    assert (err.value.line, err.value.field) == (1, "timeline")


def test_cli_bad_row_exits_1_and_writes_nothing(kg, tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n{GOOD.replace('30.2', '95.0')}\n")
    before = kg("stats", "--format", "json").stdout
    done = kg("load", "ev-investments", str(path))
    assert done.returncode == 1
    assert f"{path}:3: latitude: latitude 95.0 outside -90..90" in done.stderr
    assert kg("stats", "--format", "json").stdout == before
    assert kg("load", "ev-investments", str(TABLE), "--scope", "cars").returncode == 2


def test_load_is_idempotent(embedded_store) -> None:
    api.load_located(embedded_store, read_paths([ISO]))
    first = api.load_located(embedded_store, ((r, "ev", i) for i, r in enumerate(ev.parse([TABLE]))))
    counts = embedded_store.stats()
    again = api.load_located(embedded_store, ((r, "ev", i) for i, r in enumerate(ev.parse([TABLE]))))
    assert embedded_store.stats() == counts
    assert first.nodes_created > 0 and again.nodes_created == 0 and again.relationships_created == 0


def test_fetch(tmp_path: Path) -> None:
    body = TABLE.read_bytes()
    with loopback() as lb:
        lb.route(f"/{ev.FILE}", Answer(500, b"busy"), Answer(body=body))
        paths = ev.fetch(tmp_path, base_url=lb.url, backoff=0.01)
        assert len(lb.hits(f"/{ev.FILE}")) == 2
    assert paths[0].read_bytes() == body
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["files"][0]["original_name"] == ev.ORIGINAL
    source = next(r for r in ev.parse(paths) if r.type_name == "Source")
    assert source.url.endswith(f"/{ev.FILE}") and source.license == "MIT" and source.sha256


def test_fetch_truncated_leaves_nothing(tmp_path: Path) -> None:
    body = TABLE.read_bytes()
    with loopback() as lb:
        lb.route(f"/{ev.FILE}", Answer(body=body, truncate=100))
        with pytest.raises(FetchError):
            ev.fetch(tmp_path, base_url=lb.url, retries=1, backoff=0.01)
    assert [p for p in tmp_path.iterdir()] == []


def test_bundled_chinese_controlled_us_plants(snapshot_store) -> None:
    """Gotion (via Gotion Inc.) and Envision AESC (Envision Group ~80 %, 2019) plants in the US."""
    rows = api.run_query(snapshot_store, "chinese-controlled-abroad")
    plants = {r["entity_id"]: r for r in rows if r["country_iso3"] == "USA"
              and r["entity_kind"] == "facility"}
    # Big Rapids and Manteno are the curated plants (one facility each); Fremont comes from the file
    for fid in ("facility:gotion-big-rapids", "facility:gotion-manteno",
                "facility:gotion-fremont-california"):
        assert plants[fid]["owner_chain"][:2] == ["Gotion High-tech Co., Ltd. (Guoxuan High-Tech)",
                                                 "Gotion Inc."]
        assert plants[fid]["ownership_share"] == 1.0 and plants[fid]["share_complete"] is False
    for fid in ("facility:aesc-bowling-green", "facility:aesc-florence"):     # the curated plants
        assert plants[fid]["owner_chain"][0] == "Envision Group"
        assert plants[fid]["ownership_share"] == pytest.approx(0.8)


@pytest.mark.network
@pytest.mark.skipif(os.environ.get("KG_TEST_NETWORK") != "1", reason="live internet test: set KG_TEST_NETWORK=1")
def test_live_fetch(tmp_path: Path) -> None:
    """The pinned public file: its sha256 is the one the bundled snapshot was built from."""
    paths = ev.fetch(tmp_path)
    bundled = json.loads((Path(ev.__file__).parent / "snapshot" / "ev-investments" / "manifest.json")
                         .read_text())["files"][0]["sha256"]
    assert json.loads((tmp_path / "manifest.json").read_text())["files"][0]["sha256"] == bundled
    assert sum(r.type_name == "Facility" for r in ev.parse(paths)) > 250
