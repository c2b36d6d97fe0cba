"""USGS MCS 2026 single-file data release, on a hand-made cp1252 fixture in the real column layout
(tests/fixtures/usgs2026/MCS2026_Commodities_Data.csv), and its coexistence with MCS 2025.

Expected numbers are worked out by hand from the fixture rows quoted in the comments.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kg.errors import DataError
from loaders import usgs_mcs
from loaders._common import key, read_crosswalk
from loaders._usgs import crosswalk as cw

FIX = Path(__file__).parent / "fixtures"
RELEASE = FIX / "usgs2026" / "MCS2026_Commodities_Data.csv"
WORLD_2025 = FIX / "usgs" / "MCS2025_World_Data.csv"
HEADER = ("MCS chapter,Section,Commodity,Country,Statistics,Statistics_detail,Unit,Year,Value,Notes,"
          "Is critical mineral 2025,Other notes")


@pytest.fixture(scope="module")
def recs() -> list:
    return list(usgs_mcs.parse([RELEASE]))


def one(records: list, type_: str, frm: str, to: str, **keys: object):
    found = [r for r in records if r.type_name == type_ and r.from_id == frm and r.to_id == to
             and all(getattr(r, k) == v for k, v in keys.items())]
    assert len(found) == 1, f"{len(found)} {type_} {frm}->{to} {keys}"
    return found[0]


def test_fixture_has_the_real_quirks() -> None:
    raw = RELEASE.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert b"2021\x9624" in raw                  # en dash of the period, one cp1252 byte
    assert b"Statistics\x97United States" in raw  # em dash of the section name
    assert b"\xbd unit" in raw and b'"51,000"' in raw and b",\x97," in raw  # ½, thousands, zero dash
    assert raw.count(b"\r\n") == raw.count(b"\n")


def test_world_production_with_burma(recs: list) -> None:
    # Burma 22,000 t of a 390,000 t world total in 2025; China 270,000 of 390,000 (2025) and of
    # 380,000 (2024)
    mmr = one(recs, "PRODUCES", "country:MMR", "material:rare-earths", year=2025)
    assert (mmr.quantity, mmr.world_quantity, mmr.stage, mmr.basis) == (22000, 390000, "mining", "output")
    assert mmr.share == pytest.approx(22 / 390)
    assert mmr.measured_as == "rare-earth-oxide (REO) equivalent"
    assert mmr.estimated is True         # "Estimated from partner imports."
    chn = one(recs, "PRODUCES", "country:CHN", "material:rare-earths", year=2024)
    assert chn.share == pytest.approx(270 / 380) and chn.estimated is True
    assert mmr.source_ids == ("source:usgs-mcs-2026",)


def test_zero_dash_aggregates_and_withheld(recs: list) -> None:
    # Canada "—" (USGS's zero) is no fact; Other countries and World total are never countries
    assert not [r for r in recs if r.type_name == "PRODUCES" and r.from_id == "country:CAN"]
    us = one(recs, "PRODUCES", "country:USA", "material:gallium", year=2025, basis="output")
    assert (us.quantity, us.qualifier) == (None, "W")
    # "s" where the note says less than ½ unit: the bound, qualified, never 0
    vn = one(recs, "PRODUCES", "country:VNM", "material:cobalt", year=2025)
    assert (vn.quantity, vn.qualifier, vn.share) == (0.5, "<", None)


def test_capacity_is_its_own_fact(recs: list) -> None:
    # China gallium 2025: output 900,000 kg of 900,000; capacity 1,600,000 kg of 1,700,000
    out = one(recs, "PRODUCES", "country:CHN", "material:gallium", year=2025, basis="output")
    cap = one(recs, "PRODUCES", "country:CHN", "material:gallium", year=2025, basis="capacity")
    assert (out.quantity, out.share) == (900, 1.0)
    assert (cap.quantity, cap.world_quantity, cap.unit) == (1600, 1700, "t")
    assert cap.share == pytest.approx(16 / 17)
    assert out.key() != cap.key()


def test_congo_kinshasa_and_korea_map_through_the_table(recs: list) -> None:
    cod = one(recs, "PRODUCES", "country:COD", "material:cobalt", year=2025)
    assert cod.share == pytest.approx(230 / 310)
    ga = one(recs, "IMPORT_RELIANCE", "country:USA", "material:gallium", year=2025)
    assert "KOR" in ga.sources


def test_reserves(recs: list) -> None:
    chn = one(recs, "HOLDS_RESERVES", "country:CHN", "material:rare-earths", year=2025)
    assert (chn.quantity, chn.unit) == (44_000_000, "t")
    mmr = one(recs, "HOLDS_RESERVES", "country:MMR", "material:rare-earths", year=2025)
    assert (mmr.quantity, mmr.qualifier) == (None, "NA")
    # the world total (">85,000,000") is not a country's reserves
    assert {r.from_id for r in recs if r.type_name == "HOLDS_RESERVES"} == {"country:CHN", "country:MMR"}


def test_net_import_reliance_headline_and_sub_series(recs: list) -> None:
    re25 = one(recs, "IMPORT_RELIANCE", "country:USA", "material:rare-earths", year=2025)
    assert (re25.net_import_reliance, re25.series) == (0.67, "compounds and metals")
    # import sources 2021–24: China 71, Malaysia 13, Japan 5, Estonia 5, Other countries 6
    assert re25.sources == ("CHN", "MYS", "JPN", "EST")
    assert re25.source_shares == pytest.approx((0.71, 0.13, 0.05, 0.05))
    assert re25.other_share == pytest.approx(0.06) and re25.sources_period == "2021-2024"
    re24 = one(recs, "IMPORT_RELIANCE", "country:USA", "material:rare-earths", year=2024)
    assert re24.net_import_reliance == 0.53 and re24.sources == ()   # shares belong to the latest year
    conc = one(recs, "IMPORT_RELIANCE", "country:USA", "material:rare-earth-concentrate", year=2025)
    assert (conc.net_import_reliance, conc.qualifier) == (None, "E")


def test_hong_kong_is_folded_into_china_and_ranked_by_share(recs: list) -> None:
    # Canada 28, Korea 22, Hong Kong 2 + China 18 = 20, Other 30
    ga = one(recs, "IMPORT_RELIANCE", "country:USA", "material:gallium", year=2025)
    assert ga.sources == ("CAN", "KOR", "CHN")
    assert ga.source_shares == pytest.approx((0.28, 0.22, 0.20))
    assert ga.other_share == pytest.approx(0.30)


def test_a_utf8_copy_reads_the_same(tmp_path: Path, recs: list) -> None:
    copy = tmp_path / "MCS2026_Commodities_Data.csv"
    copy.write_text(RELEASE.read_bytes().decode("cp1252"), encoding="utf-8")
    again = list(usgs_mcs.parse([copy]))
    assert [r.to_json() for r in again if r.type_name != "Source"] == \
        [r.to_json() for r in recs if r.type_name != "Source"]


def test_editions_coexist_and_the_newer_revises(recs: list) -> None:
    both = list(usgs_mcs.parse([WORLD_2025, RELEASE]))
    # MCS 2025 fixture: China 270,000 of 390,000 in 2024; MCS 2026 revises the total to 380,000
    chn24 = one(both, "PRODUCES", "country:CHN", "material:rare-earths", year=2024)
    assert chn24.world_quantity == 380000
    assert chn24.source_ids == ("source:usgs-mcs-2025", "source:usgs-mcs-2026")   # same figure
    # 2023 only MCS 2025 has: kept, from MCS 2025
    chn23 = one(both, "PRODUCES", "country:CHN", "material:rare-earths", year=2023)
    assert chn23.source_ids == ("source:usgs-mcs-2025",)
    # a 2024 country figure MCS 2026 revised carries the older value in its notes:
    # United States 45,000 (MCS 2025) -> 45,500; Burma 31,000 -> 27,000
    us24 = one(both, "PRODUCES", "country:USA", "material:rare-earths", year=2024)
    assert us24.quantity == 45500 and us24.source_ids == ("source:usgs-mcs-2026",)
    assert "revised in MCS2026; source:usgs-mcs-2025 gave 45000 t" in us24.notes
    mmr24 = one(both, "PRODUCES", "country:MMR", "material:rare-earths", year=2024)
    assert mmr24.quantity == 27000 and "gave 31000 t" in mmr24.notes
    # Russia's 2024 figure is only in MCS 2025, whose 2024 group MCS 2026 replaces: dropped, so
    # the year's shares rest on one world total
    assert not [r for r in both if r.type_name == "PRODUCES" and r.from_id == "country:RUS"
                and r.to_id == "material:rare-earths" and r.year == 2024]
    assert one(both, "PRODUCES", "country:RUS", "material:rare-earths", year=2023).quantity == 2500
    # one edition's world total per year: shares of 2024 sum to at most 1
    total = sum(r.share or 0 for r in both if r.type_name == "PRODUCES" and r.year == 2024
                and r.to_id == "material:rare-earths" and r.from_id.startswith("country:"))
    assert total <= 1.0


def _release(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "MCS2026_Commodities_Data.csv"
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("cp1252"))
    return path


RE = "RARE EARTHS,World Mine Production and Reserves,Rare Earths"


@pytest.mark.parametrize("row, field, words", [
    (f"{RE},China,Production,Mine production,metric tons,2025,27O000,x,Yes,", "Value", "cannot read"),
    (f"{RE},Atlantis,Production,Mine production,metric tons,2025,100,x,Yes,", "Country",
     "unknown USGS country name 'Atlantis'"),
    (f"{RE},China,Production,Mine production,metric tons,20X5,100,x,Yes,", "Year", "not a year"),
    (f"{RE},China,Production,Mine production,bushels,2025,100,x,Yes,", "Unit", "unknown unit"),
    ("UNOBTAINIUM,World Production,Unobtainium,China,Production,Mine production,metric tons,2025,1,x,No,",
     "Commodity", "unknown USGS commodity"),
    ("RARE EARTHS,Import Sources,Rare Earths,China,Import sources 2021-2024,Rare-earth compounds and "
     "metals,percent,2021\u201324,W,x,Yes,", "Value", "percentage"),
    ("RARE EARTHS,Import Sources,Rare Earths,China,Import sources 2021-2024,Rare-earth compounds and "
     "metals,percent,2021\u201324,71,x,Yes,", "Value", "sum to 71%"),
])
def test_bad_rows_name_file_line_and_field(tmp_path: Path, row: str, field: str, words: str) -> None:
    good = f"{RE},Burma,Production,Mine production,metric tons,2025,\"22,000\",x,Yes,"
    path = _release(tmp_path, good, row)
    with pytest.raises(DataError) as err:
        list(usgs_mcs.parse([path]))
    assert str(err.value).startswith(f"{path}:3: {field}: "), str(err.value)
    assert words in str(err.value)


def test_bad_row_through_the_cli_writes_nothing(kg, tmp_path: Path) -> None:
    path = _release(tmp_path, f"{RE},China,Production,Mine production,metric tons,2025,\"270,000\",x,Yes,",
                    f"{RE},Atlantis,Production,Mine production,metric tons,2025,100,x,Yes,")
    before = kg("stats", "--format", "json").stdout
    r = kg("load", "usgs-mcs", str(path))
    assert r.returncode == 1 and f"{path}:3: Country: " in r.stderr and "Traceback" not in r.stderr
    assert kg("stats", "--format", "json").stdout == before


def test_every_country_and_commodity_name_of_the_fixture_maps() -> None:
    rows = list(csv.DictReader(io.StringIO(RELEASE.read_bytes().decode("cp1252"))))
    for n, row in enumerate(rows, start=2):
        place = cw.place(row["Country"], file="f", line=n, field="Country")
        assert place.iso3 or place.aggregate
    # the country table is one table: no USGS name is listed twice
    names = [key(r["usgs_name"]) for _, r in read_crosswalk(cw.COUNTRIES)]
    assert len(names) == len(set(names))
    for name, iso3 in (("Burma", "MMR"), ("Congo (Kinshasa)", "COD"), ("Korea, Republic of", "KOR"),
                       ("The Bahamas", "BHS"), ("Hong Kong", "HKG")):
        assert cw.place(name, file="f", line=1, field="Country").iso3 == iso3
