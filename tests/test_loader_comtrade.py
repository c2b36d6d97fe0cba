"""UN Comtrade loader: synthetic records in the documented schema, quirks, errors, fetch()."""

from __future__ import annotations

import json
import os
import time

import pytest

from kg.errors import DataError
from kg.sources import FetchError
from loaders import comtrade

from .conftest import FIXTURES
from .loader_checks import assert_closed, by_type, with_manifest
from .loopback import Answer, loopback

COMTRADE = FIXTURES / "comtrade"
API_JSON = COMTRADE / "comtrade_A_HS_842_2024.json"


@pytest.fixture
def flows(tmp_path):
    records = assert_closed(comtrade.parse([with_manifest(COMTRADE, tmp_path / "raw")]))
    assert by_type(records) == {"EXPORTS_TO": 8, "Source": 2}
    return {(r.from_id, r.to_id, r.hs_code): r for r in records if r.type_name == "EXPORTS_TO"}


def test_api_json_by_hand(flows):
    china = flows[("country:CHN", "country:USA", "850760")]
    assert (china.value_usd, china.quantity, china.unit) == (600000000.5, 3000.0, "t")  # netWgt kg
    assert china.flow_basis == "imports" and china.year == 2024 and china.month == 0
    assert "HS2022" in china.notes and "reported by USA" in china.notes
    assert flows[("country:JPN", "country:USA", "850760")].quantity is None   # units, not kg
    assert flows[("country:TWN", "country:USA", "850760")].value_usd == 80000000  # 490 = Taiwan
    assert flows[("country:FRA", "country:USA", "850760")].quantity == 2.5    # 251 = France; qty kg
    export = flows[("country:USA", "country:CAN", "280530")]                    # X: reporter -> partner
    assert export.flow_basis == "exports" and export.value_usd == 12345
    assert flows[("country:IND", "country:USA", "294110")].quantity == 40.0   # 699 = India
    # skipped: World (0), the re-export (RX), the plus-mode C01 row, cmdCode TOTAL
    assert not any(k[1] == "country:CAN" and k[2] == "850760" for k in flows)
    assert sum(1 for k in flows if k[0] == "country:CHN") == 1


def test_plus_csv_latin1_monthly_leading_zero(flows):
    fish = flows[("country:CIV", "country:USA", "030617")]   # leading zero kept; Côte d'Ivoire
    assert (fish.month, fish.value_usd, fish.quantity) == (3, 5000, 1.5)
    cobalt = flows[("country:COD", "country:USA", "260500")]
    assert cobalt.quantity == 250.0 and cobalt.source_ids == ("source:un-comtrade-monthly-2024",)


def test_hs_filter():
    kept = [r for r in comtrade.parse([API_JSON], hs_codes="8507") if r.type_name == "EXPORTS_TO"]
    assert sorted(r.from_id for r in kept) == ["country:CHN", "country:FRA", "country:JPN", "country:TWN"]


def _doc(tmp_path, items, error=""):
    path = tmp_path / "c.json"
    body = ",\n".join(json.dumps(i) for i in items)
    path.write_text('{"count":%d,"data":[\n%s\n],"error":%s}' % (len(items), body, json.dumps(error)))
    return path


def _item(**kw):
    base = json.loads(API_JSON.read_text())["data"][0]
    return {**base, **kw}


@pytest.mark.parametrize("bad, field, message", [
    ({"partnerCode": 999}, "partnerCode", "unknown Comtrade area code '999'"),
    ({"cmdCode": "85A760"}, "cmdCode", "not an HS code"),
    ({"primaryValue": "abc"}, "primaryValue", "not a number"),
    ({"refYear": "20x4"}, "refYear", "not a year"),
])
def test_errors_name_file_line_field(tmp_path, bad, field, message):
    path = _doc(tmp_path, [_item(), _item(**bad)])
    with pytest.raises(DataError) as err:
        list(comtrade.parse([path]))
    assert (err.value.line, err.value.field) == (3, field) and message in str(err.value)


def test_error_response_is_not_an_empty_success(tmp_path):
    path = _doc(tmp_path, [], error="Invalid period format")
    with pytest.raises(DataError, match="Invalid period format") as err:
        list(comtrade.parse([path]))
    assert err.value.field == "error"


def test_fetch_preview_without_key_429_then_success(tmp_path, monkeypatch):
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
    with loopback() as srv:
        srv.route("/public/v1/preview/C/A/HS",
                  Answer(429, b'{"statusCode":429,"message":"Rate limit is exceeded. Try again in 1 seconds."}',
                         {"Retry-After": "1"}),
                  Answer(200, API_JSON.read_bytes()))
        started = time.monotonic()
        files = comtrade.fetch(tmp_path, base_url=srv.url, hs_codes=["850760"], pace_seconds=0,
                               backoff=0.01)
        hits = srv.hits("/public/v1/preview/C/A/HS")
    assert time.monotonic() - started >= 1.0 and len(hits) == 2
    assert hits[-1].query["reporterCode"] == ["842"] and hits[-1].query["cmdCode"] == ["850760"]
    assert hits[-1].query["maxRecords"] == ["500"] and "Ocp-Apim-Subscription-Key" not in hits[-1].headers
    assert by_type(comtrade.parse(files))["EXPORTS_TO"] == 6


def test_fetch_with_key_uses_final_data_and_header(tmp_path, monkeypatch):
    monkeypatch.setenv("COMTRADE_API_KEY", "k-123")
    with loopback() as srv:
        srv.route("/data/v1/get/C/A/HS", Answer(500, b"oops"), Answer(200, API_JSON.read_bytes()))
        comtrade.fetch(tmp_path, base_url=srv.url, hs_codes=["850760"], pace_seconds=0, backoff=0.01)
        hit = srv.hits("/data/v1/get/C/A/HS")[-1]
    assert hit.headers["Ocp-Apim-Subscription-Key"] == "k-123"
    assert "k-123" not in (tmp_path / "manifest.json").read_text()


@pytest.mark.parametrize("answer, match", [
    (Answer(200, b'{"elapsedTime":"0.01 secs","count":0,"data":[],"error":"Invalid reporterCode"}'),
     "Invalid reporterCode"),
    (Answer(200, API_JSON.read_bytes(), truncate=200), "truncated body"),
    (Answer(200, b"", delay=2.0), "failed after"),
])
def test_fetch_failures_leave_no_file(tmp_path, monkeypatch, answer, match):
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
    with loopback() as srv:
        srv.route("/public/v1/preview/C/A/HS", answer)
        with pytest.raises(FetchError, match=match):
            comtrade.fetch(tmp_path, base_url=srv.url, hs_codes=["850760"], pace_seconds=0,
                           backoff=0.01, retries=1, timeout=0.5)
    assert list(tmp_path.iterdir()) == []


def test_load_into_store(embedded_store, tmp_path):
    from kg import api
    from kg.records_io import read_paths
    countries = tmp_path / "countries.jsonl"
    src = {"type": "Source", "id": "source:t", "name": "t", "title": "t", "publisher": "t",
           "url": "u", "license": "CC0", "retrieved": "2026-01-01"}
    countries.write_text("".join(json.dumps({"type": "Country", "id": f"country:{c}", "name": c,
                                             "source_ids": ["source:t"]}) + "\n"
                                 for c in ("USA", "CHN", "JPN", "TWN", "FRA", "CAN", "IND"))
                         + json.dumps(src) + "\n", encoding="utf-8")
    api.load_located(embedded_store, read_paths([countries]))
    report = api.load_located(embedded_store, ((r, "comtrade", i) for i, r in
                                               enumerate(comtrade.parse([API_JSON]), 1)))
    assert report.relationships_created == 6


@pytest.mark.network
@pytest.mark.skipif(os.environ.get("KG_TEST_NETWORK") != "1", reason="live internet test: set KG_TEST_NETWORK=1")
def test_live_comtrade_preview(tmp_path):
    files = comtrade.fetch(tmp_path, hs_codes=["850760"], period="2023")
    assert any(r.from_id == "country:CHN" for r in comtrade.parse(files) if r.type_name == "EXPORTS_TO")
