"""USITC DataWeb loader: the real export layout, its quirks and bad cells (own fixture workbooks)."""

from __future__ import annotations

import datetime as dt

import pytest

from kg.errors import DataError
from loaders import usitc_dataweb

from .fixtures.usitc_dataweb import build
from .loader_checks import assert_closed, by_type

# Expected flows, by hand from tests/fixtures/usitc_dataweb/build.py (download 2026-07-10, so the
# 2026 column is a partial year and is skipped; zeros and empty cells are no trade; a heading's
# unit rows are summed; tons only when every row with a value is in a mass unit):
#   China 8505: 100+10, 200+20, 300+30, 400+40 (2022-2025); the "number" row -> no quantity
#   Japan 2846: 2023 "1,234,567" (0.5 t), 2024 50 (0.025 t)
#   Myanmar (Burma) 2846 (HTS written as a number): 2025 70 (7 t)
#   DR Congo 8105.20 -> 810520: 2022 5 (2 t), 2025 6 (3 t)
EXPECTED = {
    ("CHN", "8505", 2022): (110.0, None), ("CHN", "8505", 2023): (220.0, None),
    ("CHN", "8505", 2024): (330.0, None), ("CHN", "8505", 2025): (440.0, None),
    ("JPN", "2846", 2023): (1234567.0, 0.5), ("JPN", "2846", 2024): (50.0, 0.025),
    ("MMR", "2846", 2025): (70.0, 7.0),
    ("COD", "810520", 2022): (5.0, 2.0), ("COD", "810520", 2025): (6.0, 3.0),
}


def _flows(records):
    return [r for r in records if r.type_name == "EXPORTS_TO"]


def test_imports_workbook_by_hand(tmp_path):
    path = build.write(tmp_path / "dataweb_imports.xlsx")
    records = assert_closed(usitc_dataweb.parse([path]))
    got = {(r.from_id[8:], r.hs_code, r.year): (r.value_usd, r.quantity) for r in _flows(records)}
    assert got == EXPECTED
    for r in _flows(records):
        assert (r.to_id, r.flow_basis, r.month) == ("country:USA", "imports", 0)
        assert r.unit == ("t" if r.quantity is not None else None)
    assert {r.hs_version for r in _flows(records)} == {"HS2022"}
    # No import total: the Total line sums the selected partners only, never all partners
    assert by_type(records) == {"EXPORTS_TO": 9, "Source": 1}
    source = next(r for r in records if r.type_name == "Source")
    assert source.id == "source:usitc-dataweb-imports-2026-07-10"
    assert source.retrieved == "2026-07-10" and "Public domain" in source.license


def test_ytd_sheets_and_partial_year_are_never_years(tmp_path):
    path = build.write(tmp_path / "dataweb_imports.xlsx")
    flows = _flows(usitc_dataweb.parse([path]))
    assert max(r.year for r in flows) == 2025          # 2026 (the download year) is partial
    # YTD figures are a quarter of the annual ones in the fixture: none of them was read
    assert all(r.value_usd not in (27.5, 55.0, 82.5, 110.0 / 4) for r in flows)


def test_exports_workbook_goes_the_other_way(tmp_path):
    path = build.write(tmp_path / "dataweb_exports.xlsx", flow="Domestic Exports")
    flows = _flows(assert_closed(usitc_dataweb.parse([path])))
    got = {(r.to_id[8:], r.hs_code, r.year): (r.value_usd, r.quantity) for r in flows}
    assert got == EXPECTED
    assert {(r.from_id, r.flow_basis) for r in flows} == {("country:USA", "exports")}


def test_partner_names_map_through_one_table():
    assert usitc_dataweb.partner_iso3("Myanmar (Burma)") == "MMR"
    assert usitc_dataweb.partner_iso3("Democratic Republic of the Congo") == "COD"
    assert usitc_dataweb.partner_iso3("  south korea ") == "KOR"
    assert usitc_dataweb.partner_iso3("Hong Kong") == "HKG"
    assert usitc_dataweb.partner_iso3("Russia") == "RUS"
    assert usitc_dataweb.partner_iso3("Vietnam") == "VNM"
    assert usitc_dataweb.partner_iso3("Estonia") == "EST"        # ISO's own name (fallback) too
    assert usitc_dataweb.partner_iso3("Atlantis") is None


@pytest.mark.parametrize("value, expected", [
    ("8505", "8505"), (8505, "8505"), (2846.0, "2846"), ("8505.11.0070", "8505110070"),
    ("850", None), ("ab12", None),
])
def test_hts_numbers_at_any_level(value, expected):
    assert usitc_dataweb.normalise_hts(value) == expected


def _bad(tmp_path, **kw):
    path = build.write(tmp_path / "bad.xlsx", **kw)
    with pytest.raises(DataError) as err:
        list(usitc_dataweb.parse([path]))
    return err.value


def test_unknown_partner_names_sheet_line_and_field(tmp_path):
    rows = [*build.IMPORT_VALUES[:2], ("Atlantis", "8505", "kilograms", [1.0, 0, 0, 0, 0])]
    err = _bad(tmp_path, values=rows)
    # title (1), Data Row Count (2), header (3), China (4, 5), Atlantis (6)
    assert err.file.endswith("bad.xlsx!Customs Value") and err.line == 6 and err.field == "Country"
    assert "unknown partner 'Atlantis'" in str(err)


def test_bad_value_cell(tmp_path):
    rows = [("China", "8505", "kilograms", [1.0, "12abc", 0, 0, 0])]
    err = _bad(tmp_path, values=rows, quantities=[])
    assert (err.line, err.field) == (4, "2023") and "not a number: '12abc'" in str(err)


def test_negative_value_cell(tmp_path):
    err = _bad(tmp_path, values=[("China", "8505", "kilograms", [-3.0, 0, 0, 0, 0])], quantities=[])
    assert (err.line, err.field) == (4, "2022")


def test_bad_hts_number(tmp_path):
    err = _bad(tmp_path, values=[("China", "85X5", "kilograms", [1.0, 0, 0, 0, 0])], quantities=[])
    assert (err.line, err.field) == (4, "HTS Number")


def test_truncated_export_is_caught_by_the_row_count(tmp_path):
    err = _bad(tmp_path, count=99)
    assert err.field == "Data Row Count" and "says 99 rows, the sheet has 6" in str(err)


def test_not_a_dataweb_export(tmp_path):
    err = _bad(tmp_path, params=False)
    assert "no 'Query Parameters' sheet" in str(err)
    err = _bad(tmp_path, flow="Imports For Pleasure")
    assert err.field == "Trade Flow"


def test_not_an_xlsx(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(DataError, match="not a readable xlsx workbook"):
        list(usitc_dataweb.parse([path]))


def test_no_download_date_keeps_every_year_column(tmp_path):
    path = build.write(tmp_path / "x.xlsx", downloaded=dt.datetime(2030, 1, 2))
    assert max(r.year for r in _flows(usitc_dataweb.parse([path]))) == 2026


def test_cli_load_bad_workbook_exits_1_and_writes_nothing(tmp_path, kg):
    good = build.write(tmp_path / "good.xlsx")
    bad = build.write(tmp_path / "bad.xlsx",
                      values=[("Atlantis", "8505", "kilograms", [1.0, 0, 0, 0, 0])], quantities=[])
    before = kg("query", "provenance-audit", "--format", "json")
    result = kg("load", "usitc-dataweb", str(good), str(bad))
    assert result.returncode == 1, result.stderr
    assert "bad.xlsx!Customs Value:4: Country: unknown partner 'Atlantis'" in result.stderr
    after = kg("query", "provenance-audit", "--format", "json")
    assert after.stdout == before.stdout
