"""CEPII BACI 31-code extract (`i,j,cmd,value`, ISO3, USD, year in the file name): flows and totals."""

from __future__ import annotations

import shutil

import pytest

from kg.errors import DataError
from loaders import baci

from .conftest import FIXTURES
from .loader_checks import assert_closed, by_type, with_manifest

EXTRACT = FIXTURES / "baci" / "baci_hs17_v202601_subset_2024.csv"


def test_extract_by_hand(tmp_path):
    records = assert_closed(baci.parse([with_manifest([EXTRACT], tmp_path / "raw")]))
    flows = {(r.from_id, r.to_id, r.hs_code): r for r in records if r.type_name == "EXPORTS_TO"}
    # 12 rows: the USA->USA self flow and the zero AUS row are no trade -> 10 flows
    assert len(flows) == 10
    cn = flows[("country:CHN", "country:USA", "850511")]
    # value is in USD (not thousands), year from the file name, HS 2017 kept as such
    assert (cn.value_usd, cn.year, cn.flow_basis, cn.hs_version, cn.quantity) == (
        300000000.0, 2024, "mirror", "HS2017", None)
    assert flows[("country:TWN", "country:USA", "811292")].value_usd == 1000.5   # BACI's S19
    assert flows[("country:CHL", "country:USA", "283691")].value_usd == 2500000.0  # padded cells
    totals = {(r.from_id, r.to_id): r for r in records if r.type_name == "IMPORTS"}
    # by hand: USA 850511 = 300 + 60 + 40 = 400 M USD; KOR 850511 = 7 + 28 = 35 M
    assert totals[("country:USA", "hs:850511")].value_usd == 400000000.0
    assert totals[("country:KOR", "hs:850511")].value_usd == 35000000.0
    assert totals[("country:JPN", "hs:850511")].value_usd == 50000000.0
    us_ga = totals[("country:USA", "hs:811292")]
    assert us_ga.value_usd == 3001000.5 and us_ga.hs_version == "HS2017"
    assert "gallium" in us_ga.notes and "hafnium" in us_ga.notes     # scope change to HS 2022
    assert totals[("country:USA", "hs:283691")].value_usd == 2500000.0
    assert len(totals) == 6
    assert by_type(records) == {"EXPORTS_TO": 10, "IMPORTS": 6, "Source": 1}
    source = next(r for r in records if r.type_name == "Source")
    assert (source.id, source.release) == ("source:cepii-baci-hs17-v202601", "V202601")
    assert "Etalab" in source.license


def test_china_share_of_us_magnets_uses_the_total():
    records = list(baci.parse([EXTRACT]))
    total = next(r for r in records if r.type_name == "IMPORTS" and r.from_id == "country:USA"
                 and r.to_id == "hs:850511")
    china = next(r for r in records if r.type_name == "EXPORTS_TO" and r.from_id == "country:CHN"
                 and r.to_id == "country:USA")
    assert china.value_usd / total.value_usd == pytest.approx(0.75)


def test_extract_year_and_code_filters():
    assert [r for r in baci.parse([EXTRACT], years=[2022]) if r.type_name != "Source"] == []
    kept = [r for r in baci.parse([EXTRACT], hs_codes=["8112"]) if r.type_name == "EXPORTS_TO"]
    assert {r.hs_code for r in kept} == {"811292"} and len(kept) == 3


@pytest.mark.parametrize("row, line, field, message", [
    ("XXX,USA,850511,5.0", 2, "i", "not an ISO 3166-1 alpha-3 code: 'XXX'"),
    ("CHN,USA,85051,5.0x", 2, "value", "not a number"),
    ("CHN,USA,8505AB,5.0", 2, "cmd", "not an HS 6-digit code"),
    ("CHN,USA,850511", 2, None, "expected 4 fields, found 3"),
])
def test_bad_rows_name_file_line_and_field(tmp_path, row, line, field, message):
    bad = tmp_path / "baci_hs17_v202601_subset_2024.csv"
    bad.write_text(f"i,j,cmd,value\n{row}\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        list(baci.parse([bad]))
    assert err.value.line == line and err.value.field == field and message in str(err.value)


def test_bad_header(tmp_path):
    bad = tmp_path / "baci_hs17_v202601_subset_2022.csv"
    shutil.copy(EXTRACT, bad)
    bad.write_text("exporter,importer,cmd,value\nCHN,USA,850511,1\n", encoding="utf-8")
    with pytest.raises(DataError, match="not a BACI extract"):
        list(baci.parse([bad]))
