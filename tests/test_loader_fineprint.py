"""fineprint loader on our own workbook in the real layout (sheet and column names, trailing empty
header cells, numbers as floats, text quirks). The workbook is written by `workbook()` from the rows
below; expected values are worked out by hand in the comments."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from kg import api
from kg.errors import DataError
from kg.records_io import read_paths
from kg.sources import FetchError
from loaders import fineprint as fp

from .loader_checks import assert_closed, edges
from .loopback import Answer, loopback

ISO = Path(__file__).resolve().parents[1] / "loaders" / "snapshot" / "iso3166" / "records.jsonl"
GENERAL = ["mine_fac", "mine_other_names", "country", "state", "region", "province", "district",
           "sector", "location_municipality", "latitude", "longitude", "surface_area",
           "unit_surface_area", "claim_concession_area", "unit_concession_area", "mine_or_processing",
           "commodities_products", "mining_facility_types", "production_start", "production_end",
           "activity_status", "year_activity_status", "certification_scheme", "source", "source_url",
           "comment", None, None]
COMMODITIES = ["mine_fac", "sub_site", "min_ore_con", "commodity", "type_mining", "year", "unit",
               "value", "grade_or_yield_unit", "grade", "recovery_rate", "yield", "mine_processing",
               "amount_sold", "metal_payable", "production_share", "source", "source_url", "comment",
               "no_estimation", "reporting_period", None, None]
OTHER = ["mine_fac", "sub_site", "owners", "operators", "year", "source", "source_url", "comment",
         None, None]


def g(name: str, country: str, kind: str, lat: float | None = None, lon: float | None = None,
      start: float | None = None, status: str | None = None) -> dict[str, Any]:
    return {"mine_fac": name, "country": country, "mine_or_processing": kind, "latitude": lat,
            "longitude": lon, "production_start": start, "activity_status": status,
            "source": "own fixture"}


def c(mine: str, commodity: str, year: float, unit: str | None, value: float | None, *,
      part: str | None = None, share: float | None = None, sub: str | None = None) -> dict[str, Any]:
    return {"mine_fac": mine, "sub_site": sub, "commodity": commodity, "type_mining": part,
            "year": year, "unit": unit, "value": value, "production_share": share}


def o(mine: str, owners: str, year: float) -> dict[str, Any]:
    return {"mine_fac": mine, "owners": owners, "year": year}


ROWS = {
    "general": [
        g("Tenke Fungurume", "Democratic Republic of Congo", "Mine", -10.61, 26.19, 2009.0),
        g("Norte Azul", "Chile", "Mine ", -24.21, -69.07, 1554.0, "Active"),
        g("Kestrel Ridge", "Australia ", "Mine", None, None),
        g("Bellfield Smelter", "Chile", "Smelter"),
        g("Hunan Star", "China", "Mine", 27.5, 111.4),
        g("Pilbara", "Australia", "Region"),
    ],
    "commodities": [
        c("Tenke Fungurume", "Copper ", 2018.0, "Kt", 200.0),
        c("Tenke Fungurume", "Cobalt", 2018.0, "tonnes", 16000.0, share=0.8),
        c("Tenke Fungurume", "Copper cathode", 2018.0, "Kt", 150.0),
        c("Norte Azul", "Copper", 2019.0, "thousand pounds", 100000.0, part="Open pit"),
        c("Norte Azul", "Copper", 2019.0, "million pounds", 20.0, part="Underground"),
        c("Norte Azul", "Copper", 2019.0, "tonnes", 999.0, sub="Pit Sur"),
        c("Norte Azul", "Copper", 2020.0, "tonnes", 50000.0),
        c("Norte Azul", "Copper", 2020.0, "tonnes", 30000.0, part="Open pit"),
        c("Norte Azul", "Molybdenum", 2019.0, None, 5.0),
        c("Kestrel Ridge", "Gold", 2019.0, "koz", 100.0),
        c("Kestrel Ridge", "Diamonds", 2019.0, "000 carats", 12.0),
        c("Bellfield Smelter", "Copper", 2019.0, "Kt", 80.0),
        c("Hunan Star", "Antimony", 2017.0, "t", 3000.0),
    ],
    "other_info": [
        o("Tenke Fungurume", "Lundin 24%, Freeport 56%, Gécamines 20%", 2015.0),
        o("Norte Azul", "Freeport (100%)", 2012.0),
        o("Norte Azul", "Lundin Mining Corp. (24%), Freeport-McMoRan\nInc. (56%), Gécamines 20%", 2016.0),
        o("Kestrel Ridge", "Southern Star Mining", 2019.0),
        o("Hunan Star", "Hunan Gold (60%), Government of Hunan Province (40%)", 2018.0),
    ],
}
HEADERS = {"general": GENERAL, "commodities": COMMODITIES, "other_info": OTHER}


def workbook(path: Path, rows: dict[str, list[dict[str, Any]]] = ROWS) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet in ("general", "sub_sites", "commodities", "other_info"):
        ws = book.create_sheet(sheet)
        header = HEADERS.get(sheet, ["mine_fac", "sub_site"])
        ws.append(header)
        for row in rows.get(sheet, []):
            ws.append([row.get(h) if h else None for h in header])
        ws.append([None] * len(header))             # the real sheets end in empty rows
    book.save(path)
    return path


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> tuple[list, list]:
    path = workbook(tmp_path_factory.mktemp("fp") / fp.FILE)
    report: list = []
    return assert_closed(fp.parse([path], report=report)), report


def nodes(records: list) -> dict[str, Any]:
    return {r.id: r for r in records if r.record_kind == "node"}


def produces(records: list) -> dict[tuple[str, str, str, int], Any]:
    return {(r.from_id, r.to_id, r.stage, r.year): r for r in records if r.type_name == "PRODUCES"}


def test_mines_of_critical_minerals(parsed) -> None:
    records, _ = parsed
    found = {k for k, v in nodes(records).items() if v.type_name == "Facility"}
    # Kestrel Ridge (gold, diamonds) is not critical; the smelter and the region are not mines;
    # Tenke Fungurume is the curated facility (same country, same name).
    assert found == {"facility:tenke-fungurume", "facility:norte-azul-chl", "facility:hunan-star-chn"}
    norte = nodes(records)["facility:norte-azul-chl"]
    assert (norte.latitude, norte.longitude, norte.facility_type, norte.status) == \
        (-24.21, -69.07, "mine", "active")
    assert norte.production_start is None and norte.notes == "production since 1554"
    located = edges(records, "LOCATED_IN")
    assert ("facility:norte-azul-chl", "country:CHL") in located
    assert not any(f == "facility:tenke-fungurume" for f, _ in located)   # curated already says so
    assert nodes(records)["facility:tenke-fungurume"].name == "Tenke Fungurume (TFM)"


def test_production_by_commodity(parsed) -> None:
    records, _ = parsed
    got = produces(records)
    assert set(got) == {
        ("facility:tenke-fungurume", "material:copper", "mining", 2018),
        ("facility:tenke-fungurume", "material:cobalt", "mining", 2018),
        ("facility:tenke-fungurume", "material:copper", "refining", 2018),
        ("facility:norte-azul-chl", "material:copper", "mining", 2019),
        ("facility:norte-azul-chl", "material:copper", "mining", 2020),
        ("facility:hunan-star-chn", "material:antimony", "mining", 2017),
    }
    tfm = got[("facility:tenke-fungurume", "material:copper", "mining", 2018)]
    assert (tfm.quantity, tfm.unit, tfm.source_unit) == (200000.0, "t", "Kt")
    cobalt = got[("facility:tenke-fungurume", "material:cobalt", "mining", 2018)]
    assert cobalt.quantity == pytest.approx(16000 / 0.8) and "production share 0.8" in cobalt.notes
    # Open pit 100,000 thousand lb + underground 20 million lb; the sub-site row is left out.
    parts = got[("facility:norte-azul-chl", "material:copper", "mining", 2019)]
    assert parts.quantity == pytest.approx(100000 * 0.45359237 + 20 * 453.59237)
    # 2020: a total (50,000 t) and one part of it (30,000 t): the total is kept.
    assert got[("facility:norte-azul-chl", "material:copper", "mining", 2020)].quantity == 50000.0
    assert got[("facility:tenke-fungurume", "material:copper", "refining", 2018)].quantity == 150000.0
    materials = {k for k, v in nodes(records).items() if v.type_name == "Material"}
    assert materials == {"material:copper", "material:cobalt", "material:antimony"}


def test_owners_with_stakes_and_year(parsed) -> None:
    records, report = parsed
    owns = edges(records, "OWNS")
    # Norte Azul: the 2016 text (the latest), over two lines; Gécamines is the curated Gecamines.
    assert {(f, r.share, r.year) for (f, t), r in owns.items() if t == "facility:norte-azul-chl"} == {
        ("firm:lundin-mining", 0.24, 2016), ("firm:freeport-mcmoran", 0.56, 2016),
        ("firm:gecamines", 0.2, 2016)}
    # Tenke Fungurume's owners are cited by the curated tables: the 2015 stakes are not added.
    assert not any(t == "facility:tenke-fungurume" for _, t in owns)
    # "Hunan Gold" is both curated Hunan Gold Corporation and Hunan Gold Group: kept apart, reported;
    # the provincial government is not a firm.
    hunan = [(f, r.share) for (f, t), r in owns.items() if t == "facility:hunan-star-chn"]
    assert hunan == [("firm:hunan-gold-2", 0.6)]
    assert [(m.name, m.status, m.candidates) for m in report] == [
        ("Hunan Gold", "ambiguous", ("firm:hunan-gold", "firm:hunan-gold-group"))]


def test_scope_all_and_unknown_stakes(tmp_path: Path) -> None:
    records = list(fp.parse([workbook(tmp_path / fp.FILE)], scope="all"))
    kestrel = "facility:kestrel-ridge-aus"
    gold = produces(records)[(kestrel, "material:gold", "mining", 2019)]
    assert gold.quantity == pytest.approx(100 * 31.1034768 / 1000)       # koz, troy
    owner = edges(records, "OWNS")[("firm:southern-star-mining", kestrel)]
    assert owner.share is None and owner.year == 2019                      # no % stated: unknown
    assert not any(k[1] == "material:diamond" for k in produces(records))


@pytest.mark.parametrize("sheet, index, column, value, line, message", [
    ("general", 1, "latitude", 123.0, 3, "outside -90..90"),
    ("general", 1, "country", "Atlantis", 3, "unknown country"),
    ("commodities", 3, "commodity", "Unobtainium", 5, "unknown commodity"),
    ("commodities", 3, "unit", "bushels", 5, "unknown unit"),
    ("commodities", 3, "value", "lots", 5, "not a number"),
    ("commodities", 3, "production_share", 1.5, 5, "outside (0, 1]"),
    ("other_info", 2, "owners", "Lundin (124%)", 4, "above 100%"),
])
def test_bad_rows_name_file_line_field(tmp_path: Path, sheet: str, index: int, column: str,
                                       value: Any, line: int, message: str) -> None:
    rows = {k: [dict(r) for r in v] for k, v in ROWS.items()}
    rows[sheet][index][column] = value
    path = workbook(tmp_path / fp.FILE, rows)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        list(fp.parse([path]))
    assert (err.value.file, err.value.line, err.value.field) == (f"{path}!{sheet}", line, column)


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / fp.FILE
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match="not a readable xlsx workbook"):
        list(fp.parse([path]))


def test_cli_bad_row_exits_1_and_writes_nothing(kg, tmp_path: Path) -> None:
    rows = {k: [dict(r) for r in v] for k, v in ROWS.items()}
    rows["commodities"][0]["year"] = 20018.0
    path = workbook(tmp_path / fp.FILE, rows)
    before = kg("stats", "--format", "json").stdout
    done = kg("load", "fineprint", str(path))
    assert done.returncode == 1
    assert f"{path}!commodities:2: year: not a year" in done.stderr
    assert kg("stats", "--format", "json").stdout == before


def test_load_is_idempotent(embedded_store, tmp_path: Path) -> None:
    path = workbook(tmp_path / fp.FILE)
    api.load_located(embedded_store, read_paths([ISO]))
    api.load_located(embedded_store, ((r, "fp", i) for i, r in enumerate(fp.parse([path]))))
    counts = embedded_store.stats()
    again = api.load_located(embedded_store, ((r, "fp", i) for i, r in enumerate(fp.parse([path]))))
    assert embedded_store.stats() == counts and again.relationships_created == 0


def test_fetch(tmp_path: Path) -> None:
    body = workbook(tmp_path / "served.xlsx").read_bytes()
    dest = tmp_path / "cache"
    with loopback() as lb:
        lb.route(f"/{fp.FILE}", Answer(503, b"later"), Answer(body=body))
        paths = fp.fetch(dest, base_url=lb.url, backoff=0.01)
        assert len(lb.hits(f"/{fp.FILE}")) == 2
    source = next(r for r in fp.parse(paths) if r.type_name == "Source")
    assert (source.license, source.url) == ("CC BY 4.0", f"{lb.url}/{fp.FILE}")
    with loopback() as lb, pytest.raises(FetchError, match="404"):
        fp.fetch(tmp_path / "empty", base_url=lb.url, backoff=0.01)
    assert not (tmp_path / "empty").exists() or not any((tmp_path / "empty").iterdir())


def test_parse_owners_text() -> None:
    got = fp.parse_owners("Sibanye-Stillwater (50%), Impala Platinum (50%(")
    assert [(s.owner, s.share) for s in got.stakes] == [("Sibanye-Stillwater", 0.5),
                                                       ("Impala Platinum", 0.5)]
    assert [(s.owner, s.share) for s in fp.parse_owners("Zijin Mining Group Co., Ltd. (21.%)").stakes] \
        == [("Zijin Mining Group Co., Ltd.", 0.21)]
    via = fp.parse_owners("PT Halmahera Gold (Newcrest Mining Limited 75%)").stakes[0]
    assert (via.owner, via.share, via.via) == ("Newcrest Mining Limited", 0.75, "PT Halmahera Gold")
    sold = fp.parse_owners("Rio Tinto (80%), sold on 1 June 2013")
    assert sold.remark == "sold on 1 June 2013" and sold.stakes[0].share == 0.8
    chain = fp.parse_owners("Acacia Mining plc, 63.9% subsidiary of Barrick Gold Corporation")
    assert [(s.owner, s.share) for s in chain.stakes] == [("Acacia Mining plc", None)]
    dated = fp.parse_owners("After 2007: Goldcorp (100%), Until 2007: Kinross Gold (49%)")
    assert [(s.owner, s.share) for s in dated.stakes] == [("Goldcorp", 1.0)]


@pytest.mark.network
@pytest.mark.skipif(os.environ.get("KG_TEST_NETWORK") != "1", reason="live internet test: set KG_TEST_NETWORK=1")
def test_live_fetch(tmp_path: Path) -> None:
    """The pinned public workbook: its sha256 is the one the bundled snapshot was built from."""
    fp.fetch(tmp_path)
    bundled = json.loads((Path(fp.__file__).parent / "snapshot" / "fineprint" / "manifest.json")
                         .read_text())["files"][0]["sha256"]
    assert json.loads((tmp_path / "manifest.json").read_text())["files"][0]["sha256"] == bundled
