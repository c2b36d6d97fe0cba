"""USGS MCS loader on hand-made fixtures in the real formats (tests/fixtures/usgs/).

Every expected number below is worked out by hand from the fixture rows (quoted in comments), not
copied from the loader's output.
"""

from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from kg.errors import DataError
from kg.models import parse_record
from kg.sources import FetchError
from loaders import usgs_mcs
from loaders._common import clean, key, read_crosswalk
from loaders._usgs import crosswalk as cw
from loaders._usgs import salient

from tests.loopback import Answer, loopback

FIX = Path(__file__).parent / "fixtures" / "usgs"
WORLD = FIX / "MCS2025_World_Data.csv"
HEADER = ("SOURCE,COMMODITY,COUNTRY,TYPE,UNIT_MEAS,PROD_2023,PROD_EST_ 2024,PROD_NOTES,CAP_2023,"
          "CAP_EST_ 2024,CAP_NOTES,RESERVES_2024,RESERVE_NOTES")


@pytest.fixture(scope="module")
def world() -> list:
    return list(usgs_mcs.parse([WORLD]))


@pytest.fixture(scope="module")
def everything() -> list:
    return list(usgs_mcs.parse([FIX]))


def one(records: list, type_: str, frm: str, to: str, **keys: object):
    found = [r for r in records if r.type_name == type_ and r.from_id == frm and r.to_id == to
             and all(getattr(r, k) == v for k, v in keys.items())]
    assert len(found) == 1, f"{len(found)} {type_} {frm}->{to} {keys}"
    return found[0]


def of_type(records: list, type_: str) -> list:
    return [r for r in records if r.type_name == type_]


# --- the fixture keeps the real file's byte-level quirks ------------------------------------------

def test_world_fixture_has_the_real_quirks() -> None:
    raw = WORLD.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                       # UTF-8 BOM
    assert b"\r\n" in raw and raw.count(b"\r\n") == raw.count(b"\n")  # CRLF throughout
    text = raw.decode("utf-8-sig")
    assert "PROD_EST_ 2024" in text and "Gemanium" in text
    assert "United\xa0States and Canada" in text                 # NBSP inside a name
    assert "Russia ," in text and "Lithium ," in text             # trailing spaces
    assert "World total (rounded) 10" in text and '">17,000,000"' in text


# --- World Data: production ------------------------------------------------------------------------

def test_china_rare_earth_share(world: list) -> None:
    # China 270000 t REO of a 390000 t world total in 2024 (estimated column).
    r = one(world, "PRODUCES", "country:CHN", "material:rare-earths", year=2024)
    assert (r.stage, r.quantity, r.unit, r.source_unit) == ("mining", 270000, "t", "metric tons")
    assert (r.measured_as, r.basis) == ("rare-earth-oxide equivalent", "output")
    assert r.world_quantity == 390000
    assert r.share == pytest.approx(270000 / 390000) and round(r.share, 4) == 0.6923
    assert r.estimated is True
    assert r.source_ids == ("source:usgs-mcs-2025",)
    r23 = one(world, "PRODUCES", "country:CHN", "material:rare-earths", year=2023)
    assert (r23.quantity, r23.world_quantity, r23.estimated) == (255000, 376000, False)


def test_shares_match_an_independent_computation(world: list) -> None:
    """Shares recomputed with the csv module straight from the fixture text."""
    rows = list(csv.DictReader(io.StringIO(WORLD.read_text(encoding="utf-8-sig"))))
    names = {"Australia": "AUS", "Chile": "CHL", "Zimbabwe": "ZWE"}
    for year, column in ((2023, "PROD_2023"), (2024, "PROD_EST_ 2024")):
        lithium = [r for r in rows if r["COMMODITY"].strip() == "Lithium"]
        total = next(float(r[column]) for r in lithium if r["COUNTRY"].startswith("World total"))
        for r in lithium:
            if r["COUNTRY"] in names:
                edge = one(world, "PRODUCES", f"country:{names[r['COUNTRY']]}", "material:lithium",
                           year=year)
                assert edge.share == pytest.approx(float(r[column]) / total)
    # and three by hand: 88000/240000, 41400/204000, 22000/240000
    assert one(world, "PRODUCES", "country:AUS", "material:lithium", year=2024).share == pytest.approx(0.366667, abs=1e-6)
    assert one(world, "PRODUCES", "country:CHL", "material:lithium", year=2023).share == pytest.approx(0.202941, abs=1e-6)
    assert one(world, "PRODUCES", "country:ZWE", "material:lithium", year=2024).share == pytest.approx(0.091667, abs=1e-6)


def test_units_are_normalised_to_metric_tons(world: list) -> None:
    ga = one(world, "PRODUCES", "country:CHN", "material:gallium", year=2024)
    assert (ga.quantity, ga.unit, ga.source_unit, ga.stage) == (750, "t", "kilograms", "refining")
    assert ga.share == pytest.approx(750 / 760)                  # 750000 kg of 760000 kg
    mn = one(world, "PRODUCES", "country:ZAF", "material:manganese", year=2024)
    assert (mn.quantity, mn.source_unit, mn.share) == (7_400_000, "thousand metric tons", pytest.approx(0.37))
    dia = one(world, "PRODUCES", "country:BWA", "material:industrial-diamond", year=2024)
    assert (dia.quantity, dia.unit) == (8_000_000, "carat")
    mg = one(world, "PRODUCES", "country:CHN", "material:magnesium", year=2024)
    assert (mg.quantity, mg.stage, mg.share) == (950_000, "refining", pytest.approx(0.95))


def test_two_rows_of_one_country_are_summed(world: list) -> None:
    # United States (extracted from natural gas) 64 + (from Cliffside Field) 18 million m3 in 2023.
    he = one(world, "PRODUCES", "country:USA", "material:helium", year=2023)
    assert (he.quantity, he.unit) == (82_000_000, "m3")
    assert he.share == pytest.approx(82 / 176)
    assert "Cliffside" in he.notes
    assert one(world, "PRODUCES", "country:USA", "material:helium", year=2024).share == pytest.approx(0.45)
    assert one(world, "HOLDS_RESERVES", "country:USA", "material:helium").quantity == 8_550_000_000


def test_qualifiers_are_kept_never_zero(world: list) -> None:
    for year, total in ((2023, 204000), (2024, 240000)):
        us = one(world, "PRODUCES", "country:USA", "material:lithium", year=year)
        assert us.qualifier == "W" and us.quantity is None and us.share is None
        assert us.world_quantity == total                       # the total excludes U.S. output
    za = one(world, "PRODUCES", "country:ZAF", "material:helium", year=2024)
    assert (za.qualifier, za.quantity) == ("<", 500_000)         # "Less than 1/2 unit": 0.5 million m3
    assert za.share is None
    assert all(r.quantity != 0 for r in of_type(world, "PRODUCES"))


def test_aggregate_rows_are_never_countries(world: list) -> None:
    ree = [r for r in of_type(world, "PRODUCES") if r.to_id == "material:rare-earths" and r.year == 2024]
    assert sorted(r.from_id for r in ree) == ["country:CHN", "country:MMR", "country:RUS", "country:USA"]
    # capacity-only rows (abrasives, incl. the joint "United States and Canada") give no production
    assert not [r for r in world if getattr(r, "to_id", None) == "material:abrasives"]
    assert len(of_type(world, "PRODUCES")) == 64
    assert len(of_type(world, "HOLDS_RESERVES")) == 24


def test_world_total_with_a_footnote_number_and_several_types(world: list) -> None:
    # "World total (rounded) 10" is the cobalt total; the U.S. row has another TYPE but the same total.
    cod = one(world, "PRODUCES", "country:COD", "material:cobalt", year=2024)
    assert cod.share == pytest.approx(220000 / 290000)
    us = one(world, "PRODUCES", "country:USA", "material:cobalt", year=2024)
    assert (us.quantity, us.share, us.measured_as) == (300, pytest.approx(300 / 290000), "cobalt content")
    assert us.estimated and one(world, "PRODUCES", "country:COD", "material:cobalt", year=2023).estimated


def test_combined_total_is_not_a_denominator_and_units_are_corrected(world: list) -> None:
    ilm = one(world, "PRODUCES", "country:AUS", "material:ilmenite", year=2024)
    assert ilm.quantity == 400_000 and ilm.source_unit == "thousand metric tons"
    assert ilm.share == pytest.approx(400 / 8900)                 # not 400/9400 (ilmenite + rutile)
    assert "UNIT_MEAS reads 'metric tons'" in ilm.notes
    sle = one(world, "PRODUCES", "country:SLE", "material:rutile", year=2024)  # empty UNIT_MEAS
    assert (sle.quantity, sle.share) == (60_000, pytest.approx(60 / 450))


def test_inconsistent_world_total_gives_no_share(world: list) -> None:
    # Kaolin 2024: China alone prints 7800 against a world total of 4400 (44,000 meant).
    k24 = one(world, "PRODUCES", "country:CHN", "material:kaolin", year=2024)
    assert k24.share is None and k24.world_quantity is None
    assert "world total (4400 thousand metric tons) is less than" in k24.notes
    k23 = one(world, "PRODUCES", "country:CHN", "material:kaolin", year=2023)
    assert k23.share == pytest.approx(7800 / 44400)
    bra = one(world, "PRODUCES", "country:BRA", "material:kaolin", year=2023)
    assert "Brazil (beneficiated)" in bra.notes


def test_estimated_flags(world: list) -> None:
    assert one(world, "PRODUCES", "country:ZWE", "material:lithium", year=2023).estimated  # "estimated 2023"
    assert not one(world, "PRODUCES", "country:CHL", "material:lithium", year=2023).estimated
    assert one(world, "PRODUCES", "country:MMR", "material:rare-earths", year=2023).estimated
    assert all(r.estimated for r in of_type(world, "PRODUCES") if r.year == 2024)


def test_names_go_through_the_crosswalks(world: list) -> None:
    ge = one(world, "PRODUCES", "country:CHN", "material:germanium", year=2024)   # "Gemanium"
    assert (ge.quantity, ge.share) == (110, pytest.approx(110 / 150))
    assert one(world, "PRODUCES", "country:KOR", "material:gallium", year=2024).quantity == 3
    assert one(world, "PRODUCES", "country:PRK", "material:graphite", year=2024).quantity == 8100
    assert one(world, "PRODUCES", "country:CIV", "material:manganese", year=2024).quantity == 360_000
    assert one(world, "PRODUCES", "country:RUS", "material:rare-earths", year=2024).quantity == 2500
    materials = {r.id: r for r in of_type(world, "Material")}
    assert materials["material:germanium"].symbol == "Ge"
    assert materials["material:graphite"].name == "Graphite (natural)"
    assert len(materials) == 16


# --- World Data: reserves --------------------------------------------------------------------------

def test_reserves(world: list) -> None:
    assert one(world, "HOLDS_RESERVES", "country:CHN", "material:rare-earths").quantity == 44_000_000
    assert one(world, "HOLDS_RESERVES", "country:MMR", "material:rare-earths").qualifier == "NA"
    # Molybdenum reserves are thousand tons, said only on the world-total row.
    mo = one(world, "HOLDS_RESERVES", "country:CHL", "material:molybdenum")
    assert (mo.quantity, mo.source_unit, mo.year) == (1_400_000, "thousand metric tons", 2024)
    kaz = one(world, "HOLDS_RESERVES", "country:KAZ", "material:asbestos")
    assert (kaz.qualifier, kaz.quantity) == ("Large", None)
    aus = one(world, "HOLDS_RESERVES", "country:AUS", "material:lithium")
    assert aus.quantity == 7_000_000 and "4.8 million tons" in aus.notes   # NBSP cleaned
    assert not [r for r in of_type(world, "HOLDS_RESERVES")
                if r.from_id == "country:AUT" or r.to_id == "material:magnesium"]
    assert one(world, "HOLDS_RESERVES", "country:BWA", "material:industrial-diamond").quantity == 250_000_000


# --- salient statistics ----------------------------------------------------------------------------

def test_salient_cells_are_typed_with_units() -> None:
    from loaders._common import iter_members
    cells = {(v.commodity, v.year, v.column): v
             for m in iter_members([FIX]) if salient.is_salient(next(iter(m.rows()))[1])
             for v in salient.read(m)}
    imp = cells[("Lithium", 2024, "Imports_t")]
    assert (imp.value, imp.unit, imp.normalised_unit, imp.variable) == (3000, "metric tons", "t", "Imports")
    half = cells[("Cadmium", 2023, "Imports_Unwrought_t")]
    assert (half.qualifier, half.value) == ("<", 0.5)
    assert cells[("Cadmium", 2023, "Stocks_Change_t")].value == -16             # U+2212 minus
    assert cells[("Cadmium", 2024, "Price_Refined_dkg")].qualifier == "W"
    assert cells[("Rare Earths", 2024, "Employment_")].unit is None
    assert float(cells[("Nickel", 2024, "NIR_ct")].value) == pytest.approx(0.48)  # "ct" slip: percent
    assert cells[("Bauxite and Alumina", 2024, "Bauxite_Imports_kt")].normalised == 2_800_000


def test_salient_net_import_reliance() -> None:
    files = [FIX / n for n in ("mcs2025-lithium_salient.csv", "mcs2025-cadmi_salient.csv",
                               "mcs2025-plati_salient.csv", "mcs2025-bauxi_salient.csv",
                               "mcs2025-rareee_salient.csv", "mcs2023tellu_salient.csv")]
    recs = list(usgs_mcs.parse(files))
    li = one(recs, "IMPORT_RELIANCE", "country:USA", "material:lithium", year=2023)
    assert (li.qualifier, li.net_import_reliance) == (">", 0.5)
    cd23 = one(recs, "IMPORT_RELIANCE", "country:USA", "material:cadmium", year=2023)
    assert (cd23.qualifier, cd23.net_import_reliance) == ("E", None)
    cd24 = one(recs, "IMPORT_RELIANCE", "country:USA", "material:cadmium", year=2024)
    assert (cd24.qualifier, cd24.net_import_reliance) == ("<", 0.25)
    assert one(recs, "IMPORT_RELIANCE", "country:USA", "material:palladium", year=2024).net_import_reliance == 0.35
    assert one(recs, "IMPORT_RELIANCE", "country:USA", "material:platinum", year=2024).net_import_reliance == 0.85
    assert one(recs, "IMPORT_RELIANCE", "country:USA", "material:alumina", year=2024).net_import_reliance == 0.59
    assert one(recs, "IMPORT_RELIANCE", "country:USA", "material:bauxite", year=2024).qualifier == ">"
    assert one(recs, "IMPORT_RELIANCE", "country:USA", "material:rare-earths", year=2024).net_import_reliance == 0.8
    assert one(recs, "IMPORT_RELIANCE", "country:USA", "material:rare-earth-concentrate", year=2024).qualifier == "E"
    te = one(recs, "IMPORT_RELIANCE", "country:USA", "material:tellurium", year=2022)
    assert te.source_ids == ("source:usgs-mcs-2023-salient",)              # no hyphen in the name
    sources = {r.id for r in of_type(recs, "Source")}
    assert sources == {"source:usgs-mcs-2025-salient", "source:usgs-mcs-2023-salient"}


# --- industry trends and the merge ------------------------------------------------------------------

def test_import_sources_ranked_and_merged(everything: list) -> None:
    ga = one(everything, "IMPORT_RELIANCE", "country:USA", "material:gallium", year=2024)
    assert ga.net_import_reliance == 1.0 and ga.sources == ("JPN", "CHN", "DEU", "CAN")
    assert ga.source_ids == ("source:usgs-mcs-2025-industry-trends",)
    w = one(everything, "IMPORT_RELIANCE", "country:USA", "material:tungsten", year=2024)
    assert w.sources == ("CHN", "DEU", "BOL") and (w.qualifier, w.net_import_reliance) == (">", 0.5)
    assert one(everything, "IMPORT_RELIANCE", "country:USA", "material:niobium", year=2024).sources == ("BRA", "CAN")
    assert one(everything, "IMPORT_RELIANCE", "country:USA", "material:aluminum",
               year=2024).sources == ("CAN", "ARE", "BHR", "CHN")                     # "China3"
    li = one(everything, "IMPORT_RELIANCE", "country:USA", "material:lithium", year=2024)
    assert li.sources == ("CHL", "ARG")
    assert li.source_ids == ("source:usgs-mcs-2025-industry-trends", "source:usgs-mcs-2025-salient")
    pd = one(everything, "IMPORT_RELIANCE", "country:USA", "material:palladium", year=2024)
    assert pd.net_import_reliance == 0.35 and "fig2 gives 36" in pd.notes  # salient wins, Fig2 noted
    ree = one(everything, "IMPORT_RELIANCE", "country:USA", "material:rare-earths", year=2024)
    assert "compounds and metals" in ree.notes
    assert not [r for r in of_type(everything, "IMPORT_RELIANCE") if r.to_id == "material:industrial-diamond"]
    ind = one(everything, "IMPORT_RELIANCE", "country:USA", "material:indium", year=2024)
    assert ind.sources == ("KOR",)                                                  # " Republic of Korea"
    zr = one(everything, "IMPORT_RELIANCE", "country:USA", "material:zirconium", year=2024)
    assert (zr.qualifier, zr.net_import_reliance, zr.sources) == ("<", 0.25, ("ZAF",))


def test_t5_leading_producer_only_fills_gaps(everything: list) -> None:
    y = one(everything, "PRODUCES", "country:CHN", "material:yttrium", year=2024)
    assert y.qualifier == "NA" and y.quantity is None
    zr = one(everything, "PRODUCES", "country:AUS", "material:zirconium", year=2024)
    assert (zr.quantity, zr.share, zr.world_quantity) == (500000, pytest.approx(0.33), 1500000)
    # the World Data has China's gallium and germanium: T5 does not replace them
    assert one(everything, "PRODUCES", "country:CHN", "material:gallium", year=2024).share == pytest.approx(750 / 760)
    assert one(everything, "PRODUCES", "country:CHN", "material:germanium", year=2024).quantity == 110


def test_output_is_closed_and_valid(everything: list) -> None:
    ids = {r.id for r in everything if r.record_kind == "node"}
    seen = set()
    for r in everything:
        assert parse_record(r.to_json()) == r
        assert set(r.source_ids) <= ids
        if r.record_kind == "relationship":
            assert r.to_id in ids                                # every Material is defined
            assert r.key() not in seen
            seen.add(r.key())


# --- inputs: zips, directories ---------------------------------------------------------------------

def test_release_zip_is_read_like_the_csv(tmp_path: Path, world: list) -> None:
    archive = tmp_path / "World_Data.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("World_Data/MCS2025_World_Data.csv", WORLD.read_bytes())
        z.writestr("World_Data/MCS2025_World_Data.xml", "<metadata/>")
        z.writestr("__MACOSX/World_Data/._MCS2025_World_Data.csv", b"\x00\x05")
    stat = WORLD.stat()     # same file date, so the Source's retrieval date (no manifest) matches
    os.utime(archive, (stat.st_atime, stat.st_mtime))
    assert [r.to_json() for r in usgs_mcs.parse([archive])] == [r.to_json() for r in world]


def test_unrelated_tables_are_skipped_in_a_folder_but_refused_by_name(tmp_path: Path) -> None:
    other = tmp_path / "MCS2025_Fig3_Major_Import_Sources.csv"
    other.write_text("Source,Country,Commodity_Count,Map_Class\nMCS2024,China,19,15 or more\n")
    assert list(usgs_mcs.parse([tmp_path])) == []
    with pytest.raises(DataError) as err:
        list(usgs_mcs.parse([other]))
    assert err.value.file == str(other)


# --- errors name file, line and field ----------------------------------------------------------------

def _world_file(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "MCS2025_World_Data.csv"
    path.write_bytes(("\ufeff" + "\r\n".join((HEADER, *rows)) + "\r\n").encode("utf-8"))
    return path


@pytest.mark.parametrize("row, line, field, words", [
    ('MCS2025,Cobalt,Atlantis,"Mine production, cobalt content",metric tons,10,20,,,,,,', 3,
     "COUNTRY", "Atlantis"),
    ('MCS2025,Cobalt,Cuba,"Mine production, cobalt content",metric tons,12a,20,,,,,,', 3,
     "PROD_2023", "12a"),
    ('MCS2025,Cobalt,Cuba,"Mine production, cobalt content",metric tons,10,2O,,,,,,', 3,
     "PROD_EST_ 2024", "2O"),
    ('MCS2025,Unobtainium,Cuba,Mine production,metric tons,10,20,,,,,,', 3, "COMMODITY", "Unobtainium"),
    ('MCS2025,Cobalt,Cuba,"Mine production, cobalt content",metric furlongs,10,20,,,,,,', 3,
     "UNIT_MEAS", "furlongs"),
    ('MCS2025,Cobalt,Cuba,Teleportation,metric tons,10,20,,,,,,', 3, "TYPE", "Teleportation"),
])
def test_bad_rows_name_file_line_and_field(tmp_path: Path, row: str, line: int, field: str,
                                            words: str) -> None:
    good = 'MCS2025,Cobalt,Cuba,"Mine production, cobalt content",metric tons,10,20,,,,,,'
    path = _world_file(tmp_path, good, row)
    with pytest.raises(DataError) as err:
        list(usgs_mcs.parse([path]))
    assert (err.value.file, err.value.line, err.value.field) == (str(path), line, field)
    assert words in str(err.value) and f"{path}:{line}: {field}:" in str(err.value)


def test_missing_column_is_reported_on_the_header(tmp_path: Path) -> None:
    path = tmp_path / "MCS2025_World_Data.csv"
    path.write_text("SOURCE,COMMODITY,COUNTRY,TYPE,PROD_2023\nMCS2025,Cobalt,Cuba,Mine,1\n")
    # Without UNIT_MEAS the header is not recognised as World Data at all.
    with pytest.raises(DataError) as err:
        list(usgs_mcs.parse([path]))
    assert err.value.line == 1


def test_bad_salient_and_fig2_cells(tmp_path: Path) -> None:
    sal = tmp_path / "mcs2025-lithium_salient.csv"
    sal.write_text("DataSource,Commodity,Year,Imports_t,NIR_pct\nMCS2025,Lithium,2024,3000,lots\n")
    with pytest.raises(DataError) as err:
        list(usgs_mcs.parse([sal]))
    assert (err.value.line, err.value.field) == (2, "NIR_pct")
    multi = tmp_path / "mcs2025-zinc_salient.csv"
    multi.write_text("DataSource,Commodity,Year,NIR_Ores_pct,NIR_Dust_pct\nMCS2025,Zinc,2024,E,10\n")
    with pytest.raises(DataError) as err:
        list(usgs_mcs.parse([multi]))
    assert err.value.field == "NIR_Dust_pct" and "usgs_salient_nir.csv" in str(err.value)
    fig2 = tmp_path / "MCS2025_Fig2_Net_Import_Reliance.csv"
    fig2.write_text("Source,Import_Share_Order,Commodity,Net_Import_Reliance_pct_2024,"
                    "Major_Import_Sources_2020_2023,Notes\nMCS2025,1,GALLIUM,100,\"Japan, Narnia\",x\n")
    with pytest.raises(DataError) as err:
        list(usgs_mcs.parse([fig2]))
    assert (err.value.line, err.value.field) == (2, "Major_Import_Sources_2020_2023")


# --- the crosswalks ---------------------------------------------------------------------------------

# Every distinct COUNTRY of the real MCS2025_World_Data.csv (cleaned of trailing spaces and NBSP),
# listed and coded by hand once; aggregates map to None.
MCS2025_COUNTRIES = {
    "Afghanistan": "AFG", "Algeria": "DZA", "Angola": "AGO", "Argentina": "ARG", "Armenia": "ARM",
    "Australia": "AUS", "Austria": "AUT", "Azerbaijan": "AZE", "Bahrain": "BHR", "Belarus": "BLR",
    "Belgium": "BEL", "Bhutan": "BTN", "Bolivia": "BOL", "Botswana": "BWA", "Brazil": "BRA",
    "Brazil (beneficiated)": "BRA", "Brazil (beneficiated, marketable)": "BRA",
    "Brazil (crude and beneficiated)": "BRA", "Bulgaria": "BGR", "Burkina Faso": "BFA",
    "Burma": "MMR", "Burundi": "BDI", "Cameroon": "CMR", "Canada": "CAN", "Canada (shipments)": "CAN",
    "Canada (unspecified minerals)": "CAN", "Chile": "CHL", "China": "CHN",
    "China (andalusite, crude ore)": "CHN", "China (unspecified minerals)": "CHN", "Colombia": "COL",
    "Congo (Kinshasa)": "COD", "Cuba": "CUB", "Cyprus": "CYP", "Czechia": "CZE",
    "Côte d\u2019Ivoire": "CIV", "Denmark": "DNK", "Denmark (processed)": "DNK", "Ecuador": "ECU",
    "Egypt": "EGY", "Estonia": "EST", "Ethiopia": "ETH", "Finland": "FIN", "France": "FRA",
    "France (andalusite)": "FRA", "France (crude)": "FRA", "Gabon": "GAB", "Georgia": "GEO",
    "Germany": "DEU", "Ghana": "GHA", "Greece": "GRC", "Greenland": "GRL", "Guatemala": "GTM",
    "Guinea": "GIN", "Hungary": "HUN", "Iceland": "ISL", "India": "IND",
    "India (kyanite and sillimanite)": "IND", "Indonesia": "IDN", "Iran": "IRN", "Ireland": "IRL",
    "Israel": "ISR", "Italy": "ITA", "Italy (includes steatite)": "ITA", "Jamaica": "JAM",
    "Japan": "JPN", "Japan (quicklime only)": "JPN", "Jordan": "JOR", "Kazakhstan": "KAZ",
    "Kenya": "KEN", "Korea, North": "PRK", "Korea, Republic of": "KOR", "Kuwait": "KWT",
    "Kyrgyzstan": "KGZ", "Laos": "LAO", "Latvia": "LVA", "Lesotho": "LSO", "Lithuania": "LTU",
    "Madagascar": "MDG", "Malaysia": "MYS", "Mali": "MLI", "Mauritania": "MRT", "Mexico": "MEX",
    "Mongolia": "MNG", "Morocco": "MAR", "Mozambique": "MOZ", "Namibia": "NAM",
    "Netherlands": "NLD", "New Caledonia": "NCL", "New Zealand": "NZL", "Nigeria": "NGA",
    "Norway": "NOR", "Oman": "OMN", "Pakistan": "PAK", "Papua New Guinea": "PNG", "Peru": "PER",
    "Peru (andalusite)": "PER", "Peru (exports)": "PER", "Philippines": "PHL", "Poland": "POL",
    "Poland (hydrated and quicklime)": "POL", "Portugal": "PRT", "Qatar": "QAT", "Russia": "RUS",
    "Russia (industrial and construction)": "RUS", "Rwanda": "RWA", "Saudi Arabia": "SAU",
    "Senegal": "SEN", "Serbia": "SRB", "Sierra Leone": "SLE", "Slovakia": "SVK",
    "South Africa": "ZAF", "South Africa (andalusite)": "ZAF", "Spain": "ESP",
    "Spain (includes pegmatites)": "ESP", "Sri Lanka": "LKA", "Sweden": "SWE", "Syria": "SYR",
    "Taiwan": "TWN", "Tajikistan": "TJK", "Tanzania": "TZA", "Thailand": "THA", "Togo": "TGO",
    "Trinidad and Tobago": "TTO", "Tunisia": "TUN", "Turkey": "TUR", "Turkmenistan": "TKM",
    "Uganda": "UGA", "Ukraine": "UKR", "United Arab Emirates": "ARE", "United Kingdom": "GBR",
    "United States": "USA", "United States (crude)": "USA",
    "United States (extracted from natural gas)": "USA", "United States (from Cliffside Field)": "USA",
    "United States (includes Puerto Rico)": "USA", "United States (kyanite)": "USA",
    "Uzbekistan": "UZB", "Venezuela": "VEN", "Vietnam": "VNM", "Zambia": "ZMB", "Zimbabwe": "ZWE",
    "Other Countries": None, "Other countries (includes crude)": None,
    "Other countries (rounded)": None, "United States and Canada": None, "World total": None,
    "World total (ilmenite and rutile, rounded)": None, "World total (ilmenite, rounded)": None,
    "World total (rounded)": None, "World total (rounded) 10": None,
    "World total (rounded), natural": None, "World total (rounded), synthetic": None,
    "World total (rutile, rounded)": None,
    # industry-trend spellings
    "Republic of Korea": "KOR", "China3": "CHN", "Guyana": "GUY",
}


def test_every_mcs2025_country_name_maps() -> None:
    for name, iso3 in MCS2025_COUNTRIES.items():
        p = cw.place(name, file="t", line=1, field="COUNTRY")
        assert p.iso3 == iso3, name
        assert (p.aggregate is None) == (iso3 is not None), name
    assert cw.place("World total (ilmenite and rutile, rounded)", file="t", line=1,
                    field="COUNTRY").aggregate == "combined"
    assert cw.place("United\xa0States and Canada ", file="t", line=1, field="COUNTRY").aggregate == "joint"


def test_crosswalk_tables_are_consistent() -> None:
    materials = cw.all_materials()
    for material_id, info in materials.items():    # each defined Material is a valid record
        parse_record({"type": "Material", "id": material_id, "name": info.name, "kind": info.kind,
                      "symbol": info.symbol, "source_ids": ["source:x"]})
        assert info.stage in ("mining", "refining", "separation", "manufacturing")
    for n, row in read_crosswalk("usgs_commodities.csv"):
        assert not row["material_id"] or row["material_id"] in materials, n
    for n, row in read_crosswalk("usgs_world_types.csv"):
        for col in ("material_id", "reserves_material_id"):
            assert row[col] in ("", "-") or row[col] in materials, (n, col)
        assert row["stage"] in ("-", "mining", "refining", "separation", "manufacturing"), n
    for n, row in read_crosswalk("usgs_salient_nir.csv"):
        assert not row["material_id"] or row["material_id"] in materials, n
    for n, row in read_crosswalk("usgs_countries.csv"):
        if row["iso3"]:
            parse_record({"type": "HOLDS_RESERVES", "from": f"country:{row['iso3']}",
                          "to": "material:gold", "year": 2024, "source_ids": ["source:x"]})
        else:
            assert row["aggregate"] in ("world", "other", "joint", "combined"), n
    assert len({key(r["usgs_name"]) for _, r in read_crosswalk("usgs_countries.csv")}) == \
        len(read_crosswalk("usgs_countries.csv"))


def test_clean_handles_nbsp_and_apostrophes() -> None:
    assert clean("United\xa0States and Canada  ") == "United States and Canada"
    assert key("Côte d\u2019Ivoire") == key("CÔTE D'IVOIRE")


# --- fetch: loopback server ---------------------------------------------------------------------------

ITEM = "677eaf95d34e760b392c4970"


def _zip_bytes(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, data)
    return buf.getvalue()


def _item(base: str, files: list[dict], children: bool = False) -> bytes:
    return json.dumps({"id": ITEM, "title": "MCS 2025", "hasChildren": children,
                       "files": files}).encode()


def test_fetch_resolves_files_from_the_item_json_and_retries(tmp_path: Path) -> None:
    world_zip = _zip_bytes("MCS2025_World_Data.csv", WORLD.read_bytes())
    trends_zip = _zip_bytes("MCS2025_Fig2_Net_Import_Reliance.csv",
                            (FIX / "MCS2025_Fig2_Net_Import_Reliance.csv").read_bytes())
    with loopback() as lb:
        lb.route(f"/catalog/item/{ITEM}?format=json", Answer(body=_item(lb.url, [
            # an absolute ScienceBase URL: rebased onto base_url
            {"name": "World_Data.zip", "url": f"https://www.sciencebase.gov/catalog/file/get/{ITEM}?f=__disk__aa"},
            {"name": "Industry_Trends.zip", "url": f"{lb.url}/catalog/file/get/{ITEM}?f=__disk__bb"},
            {"name": "MCS2025_World_Data.xml", "url": f"{lb.url}/meta.xml"},
        ])))
        lb.route(f"/catalog/file/get/{ITEM}?f=__disk__aa", Answer(500, b"busy"), Answer(body=world_zip))
        lb.route(f"/catalog/file/get/{ITEM}?f=__disk__bb",
                 Answer(body=trends_zip, delay=1.5), Answer(body=trends_zip))       # first one times out
        paths = usgs_mcs.fetch(tmp_path, base_url=lb.url, edition=2025, backoff=0.01, timeout=0.5)
        assert len(lb.hits(f"/catalog/file/get/{ITEM}?f=__disk__aa")) == 2
        assert len(lb.hits(f"/catalog/file/get/{ITEM}?f=__disk__bb")) == 2
        assert not lb.hits("/meta.xml")                              # not a data file
    assert sorted(p.name for p in paths) == ["Industry_Trends.zip", "World_Data.zip"]
    assert (tmp_path / "World_Data.zip").read_bytes() == world_zip
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    by_name = {f["file"]: f for f in manifest["files"]}
    import hashlib
    assert by_name["World_Data.zip"]["sha256"] == hashlib.sha256(world_zip).hexdigest()
    assert by_name[f"sciencebase-{ITEM}.json"]["role"] == "catalog"
    recs = list(usgs_mcs.parse([tmp_path]))
    src = next(r for r in recs if r.id == "source:usgs-mcs-2025")
    assert src.retrieved == by_name["World_Data.zip"]["retrieved"][:10]
    assert one(recs, "PRODUCES", "country:CHN", "material:rare-earths", year=2024).quantity == 270000
    # `kg build` passes every file the manifest lists, catalog JSON included: same records
    listed = [tmp_path / f["file"] for f in manifest["files"]]
    assert [r.to_json() for r in usgs_mcs.parse(listed)] == [r.to_json() for r in recs]
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*"))


def test_fetch_walks_child_items(tmp_path: Path) -> None:
    with loopback() as lb:
        lb.route(f"/catalog/item/{ITEM}?format=json", Answer(body=_item(lb.url, [], children=True)))
        lb.route(f"/catalog/items?parentId={ITEM}&format=json&fields=title,files&max=100",
                 Answer(body=json.dumps({"items": [{"id": "c1", "files": [
                     {"name": "World_Data.zip", "url": f"{lb.url}/w.zip"}]}]}).encode()))
        lb.route("/w.zip", Answer(body=_zip_bytes("MCS2025_World_Data.csv", WORLD.read_bytes())))
        assert [p.name for p in usgs_mcs.fetch(tmp_path, base_url=lb.url, edition=2025, backoff=0.01)] == ["World_Data.zip"]


def test_fetch_404_is_final_and_leaves_nothing(tmp_path: Path) -> None:
    with loopback() as lb:
        lb.route(f"/catalog/item/{ITEM}?format=json", Answer(body=_item(lb.url, [
            {"name": "World_Data.zip", "url": f"{lb.url}/gone.zip"}])))
        with pytest.raises(FetchError, match="404"):
            usgs_mcs.fetch(tmp_path, base_url=lb.url, edition=2025, backoff=0.01)
        assert len(lb.hits("/gone.zip")) == 1                                 # 4xx is not retried
    assert not (tmp_path / "World_Data.zip").exists()
    assert not (tmp_path / "manifest.json").exists()
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*"))


def test_fetch_truncated_body_leaves_no_partial_file(tmp_path: Path) -> None:
    body = _zip_bytes("MCS2025_World_Data.csv", WORLD.read_bytes())
    with loopback() as lb:
        lb.route(f"/catalog/item/{ITEM}?format=json", Answer(body=_item(lb.url, [
            {"name": "World_Data.zip", "url": f"{lb.url}/cut.zip"}])))
        lb.route("/cut.zip", Answer(body=body, truncate=100))
        with pytest.raises(FetchError, match="truncated"):
            usgs_mcs.fetch(tmp_path, base_url=lb.url, edition=2025, retries=2, backoff=0.01)
        assert len(lb.hits("/cut.zip")) == 3
    assert not (tmp_path / "World_Data.zip").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".") or p.suffix == ".part"]


def test_fetch_unknown_edition() -> None:
    with pytest.raises(FetchError, match="1999"):
        usgs_mcs.fetch(Path("/nonexistent"), edition=1999)
