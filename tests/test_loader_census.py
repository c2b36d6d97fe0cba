"""US Census international trade loader: fixtures in the API's format, quirks, errors, fetch()."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from kg.errors import DataError
from kg.sources import FetchError
from loaders import census_trade

from .conftest import FIXTURES
from .loader_checks import assert_closed, by_type, with_manifest
from .loopback import Answer, loopback

CENSUS = FIXTURES / "census"
ANNUAL = CENSUS / "census_imports_850760_2024-12.json"


@pytest.fixture
def parsed(tmp_path):
    raw = with_manifest(CENSUS, tmp_path / "raw")
    return assert_closed(census_trade.parse([raw]))


def test_parse_fixtures_by_hand(parsed):
    assert by_type(parsed) == {"EXPORTS_TO": 10, "Source": 2}
    flows = {(r.from_id, r.to_id, r.hs_code): r for r in parsed if r.type_name == "EXPORTS_TO"}
    china = flows[("country:CHN", "country:USA", "850760")]
    # strings everywhere: "600000" USD, "3000000" KG -> 3000 t; annual (GEN_VAL_YR at 2024-12)
    assert china.value_usd == 600000.0 and china.quantity == 3000.0 and china.unit == "t"
    assert china.year == 2024 and china.month == 0 and china.flow_basis == "imports"
    assert "general imports" in china.notes
    # 7660 is DR Congo (the crosswalk error "rCD" is corrected), 5830 Taiwan
    assert flows[("country:COD", "country:USA", "850760")].quantity == 20.0
    assert flows[("country:TWN", "country:USA", "850760")].quantity == 70.0      # UNIT_QY1 "T"
    assert flows[("country:JPN", "country:USA", "850760")].quantity is None      # empty quantity
    assert flows[("country:HKG", "country:USA", "850760")].quantity is None      # "NO": a count
    # the total row "-", the grouping 0003 (EU) and Germany's zero row are not flows
    assert not any(k[0] in ("country:DEU",) and k[2] == "850760" for k in flows)
    # exports: USA -> partner, monthly (ALL_VAL_MO, YEAR/MONTH columns)
    canada = flows[("country:USA", "country:CAN", "280530")]
    assert (canada.flow_basis, canada.month, canada.value_usd, canada.quantity) == ("exports", 3, 12345.0, 2.5)
    # a US 10-digit HTS line is kept whole, monthly via time=2024-06
    ga = flows[("country:JPN", "country:USA", "8112921000")]
    assert (ga.month, ga.value_usd, ga.quantity) == (6, 250000.0, 0.45)
    sources = {r.id: r for r in parsed if r.type_name == "Source"}
    imports = sources["source:census-intltrade-imports-hs-2024"]
    assert imports.release == "2024-12" and imports.retrieved == "2026-01-15"
    assert imports.license.startswith("Public domain")
    assert sources["source:census-intltrade-exports-hs-2024"].release == "2024-03"


def _write(tmp_path: Path, rows: list[list[str]], name: str = "x.json") -> Path:
    path = tmp_path / name
    path.write_text("[" + ",\n".join(json.dumps(r) for r in rows) + "]", encoding="utf-8")
    return path


HEADER = ["CTY_CODE", "CTY_NAME", "I_COMMODITY", "GEN_VAL_YR", "GEN_QY1_YR", "UNIT_QY1", "time",
          "I_COMMODITY"]


def _row(code="5700", value="100", hs="850760", hs2="850760", time="2024-12"):
    return [code, "SOMEWHERE", hs, value, "1000", "KG", time, hs2]


@pytest.mark.parametrize("row, field, message", [
    (_row(hs2="850790"), "I_COMMODITY", "duplicated column disagrees"),
    (_row(value="12x"), "GEN_VAL_YR", "not a number"),
    (_row(code="9999"), "CTY_CODE", "unknown Census Schedule C code '9999'"),
    (_row(time="2024-06"), "time", "year to date"),
    (_row(hs="85076", hs2="85076"), "I_COMMODITY", "not an HS code"),
])
def test_bad_rows_name_file_line_field(tmp_path, row, field, message):
    path = _write(tmp_path, [HEADER, _row(), row])
    with pytest.raises(DataError) as err:
        list(census_trade.parse([path]))
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 3, field)
    assert message in str(err.value) and str(err.value).startswith(f"{path}:3: {field}: ")


def test_html_error_page_and_empty_body(tmp_path):
    html = tmp_path / "bad_key.json"
    html.write_text("<html><body>Invalid Key</body></html>", encoding="utf-8")
    with pytest.raises(DataError, match="HTML page.*Invalid Key"):
        list(census_trade.parse([html]))
    empty = tmp_path / "empty.json"
    empty.write_text("", encoding="utf-8")
    assert list(census_trade.parse([empty])) == []     # HTTP 204 saved as an empty body


def test_header_must_name_the_flow(tmp_path):
    path = _write(tmp_path, [["CTY_CODE", "GEN_VAL_YR", "time"], ["5700", "1", "2024-12"]])
    with pytest.raises(DataError, match="I_COMMODITY"):
        list(census_trade.parse([path]))


# --------------------------------------------------------------------------- fetch

def _fast(**kw):
    return {"pace_seconds": 0, "backoff": 0.01, "retries": 3, "timeout": 2.0, **kw}


def test_fetch_success_204_key_and_manifest(tmp_path, monkeypatch):
    monkeypatch.setenv("CENSUS_API_KEY", "s3cr3t-key")
    with loopback() as srv:
        srv.route("/census/imports/hs", Answer(200, ANNUAL.read_bytes()), Answer(204))
        files = census_trade.fetch(tmp_path / "raw", base_url=f"{srv.url}/census",
                                   hs_codes=["850760", "2805.30"], **_fast())
        first, second = srv.hits("/census/imports/hs")
    assert [f.name for f in files] == ["census_imports_850760_2024-12.json"]
    assert first.query["I_COMMODITY"] == ["850760"] and first.query["COMM_LVL"] == ["HS6"]
    assert first.query["time"] == ["2024-12"] and first.query["SUMMARY_LVL"] == ["DET"]
    assert "GEN_VAL_YR" in first.query["get"][0].split(",")
    assert first.query["key"] == ["s3cr3t-key"] and second.query["I_COMMODITY"] == ["280530"]
    assert "chokepoint" in first.headers["User-Agent"]
    manifest = (tmp_path / "raw" / "manifest.json").read_text()
    assert "s3cr3t-key" not in manifest and "key=***" in manifest
    entries = json.loads(manifest)["files"]
    assert entries[1]["status"] == "no data" and not (tmp_path / "raw" / entries[1]["file"]).exists()
    assert by_type(census_trade.parse([tmp_path / "raw"]))["EXPORTS_TO"] == 6


def test_fetch_retries_429_with_retry_after_then_succeeds(tmp_path):
    with loopback() as srv:
        srv.route("/imports/hs", Answer(429, b"Too Many Requests", {"Retry-After": "1"}),
                  Answer(200, ANNUAL.read_bytes()))
        started = time.monotonic()
        files = census_trade.fetch(tmp_path, base_url=srv.url, hs_codes=["850760"], **_fast())
        elapsed = time.monotonic() - started
    assert len(srv.hits("/imports/hs")) == 2 and elapsed >= 1.0   # Retry-After honoured
    assert files[0].read_bytes() == ANNUAL.read_bytes()


@pytest.mark.parametrize("failures", [
    [Answer(500, b"boom"), Answer(503, b"busy")],
    [Answer(200, b"", delay=3.0)],                                 # client timeout (2 s)
    [Answer(200, ANNUAL.read_bytes(), truncate=100)],              # body cut short
])
def test_fetch_recovers_from_transient_failures(tmp_path, failures):
    with loopback() as srv:
        srv.route("/imports/hs", *failures, Answer(200, ANNUAL.read_bytes()))
        files = census_trade.fetch(tmp_path, base_url=srv.url, hs_codes=["850760"], **_fast())
    assert files[0].read_bytes() == ANNUAL.read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


@pytest.mark.parametrize("answer, match", [
    (Answer(500, b"boom"), "failed after 4 attempts"),
    (Answer(200, ANNUAL.read_bytes(), truncate=50), "truncated body"),
    (Answer(400, b"error: unknown variable 'GEN_VAL_YRX'"), "HTTP 400"),
])
def test_fetch_failure_leaves_no_file(tmp_path, answer, match, monkeypatch):
    monkeypatch.setenv("CENSUS_API_KEY", "s3cr3t-key")
    with loopback() as srv:
        srv.route("/imports/hs", answer)
        with pytest.raises(FetchError, match=match) as err:
            census_trade.fetch(tmp_path, base_url=srv.url, hs_codes=["850760"], **_fast())
    assert "s3cr3t-key" not in str(err.value)
    assert list(tmp_path.iterdir()) == []        # no partial file, no manifest


def test_default_codes_cover_the_tracked_list():
    codes = census_trade.default_hs_codes()
    assert {"850760", "850511", "280530", "284690", "283691", "282520", "250410", "380110",
            "810520", "811292", "2941", "3004"} <= set(codes)
    assert "8112921000" not in codes                                  # national lines: opt-in
    assert "8112921000" in census_trade.default_hs_codes(national=True)


def test_load_into_store(embedded_store, tmp_path):
    store = embedded_store
    """`kg load census-trade FILE`: the same path the CLI takes, on a graph that has the countries."""
    from kg import api
    from kg.records_io import read_paths
    countries = tmp_path / "countries.jsonl"
    countries.write_text("".join(json.dumps({"type": "Country", "id": f"country:{c}", "name": c,
                                             "source_ids": ["source:t"]}) + "\n"
                                 for c in ("USA", "CHN", "JPN", "KOR", "COD", "TWN", "HKG"))
                         + json.dumps({"type": "Source", "id": "source:t", "name": "t", "title": "t",
                                       "publisher": "t", "url": "u", "license": "CC0",
                                       "retrieved": "2026-01-01"}) + "\n", encoding="utf-8")
    api.load_located(store, read_paths([countries]))
    located = ((r, "census-trade", i) for i, r in enumerate(census_trade.parse([ANNUAL]), 1))
    report = api.load_located(store, located)
    assert report.relationships == 6 and report.relationships_created == 6
    again = api.load_located(store, ((r, "x", i) for i, r in enumerate(census_trade.parse([ANNUAL]), 1)))
    assert again.relationships_created == 0


@pytest.mark.network
@pytest.mark.skipif(os.environ.get("KG_TEST_NETWORK") != "1", reason="live internet test: set KG_TEST_NETWORK=1")
def test_live_census_api(tmp_path):
    files = census_trade.fetch(tmp_path, hs_codes=["850760"], year=2024)
    flows = [r for r in census_trade.parse(files) if r.type_name == "EXPORTS_TO"]
    assert any(r.from_id == "country:CHN" and r.value_usd > 1e9 for r in flows)
