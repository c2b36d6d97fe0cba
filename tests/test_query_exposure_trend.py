"""exposure-trend on a planted graph: shares of the total or of the named partners, top suppliers,
and rerouting signals (by the code itself and by an input's code). Expected values by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kg.api import import_records
from kg.queries import run_query

from .conftest import write_jsonl

SRC = "source:t"


def _rel(kind: str, frm: str, to: str, **kw: Any) -> dict[str, Any]:
    return {"type": kind, "from": frm, "to": to, "source_ids": [SRC], **kw}


def _flow(frm: str, to: str, code: str, year: int, value: float, basis: str = "mirror") -> dict[str, Any]:
    return _rel("EXPORTS_TO", f"country:{frm}", f"country:{to}", hs_code=code, year=year,
                value_usd=value, flow_basis=basis)


def _total(code: str, year: int, value: float, basis: str = "mirror") -> dict[str, Any]:
    return _rel("IMPORTS", "country:USA", f"hs:{code}", year=year, value_usd=value, flow_basis=basis)


RECORDS: list[dict[str, Any]] = [
    {"type": "Source", "id": SRC, "name": "t", "title": "t", "publisher": "p", "url": "https://x",
     "license": "CC0", "retrieved": "2025-01-01"},
    *[{"type": "Country", "id": f"country:{c}", "name": c, "source_ids": [SRC]}
      for c in ("CHN", "USA", "VNM", "JPN", "DEU", "KOR")],
    *[{"type": "HSCode", "id": f"hs:{c}", "name": f"code {c}", "code": c, "source_ids": [SRC]}
      for c in ("850511", "8505", "850760", "282520")],
    {"type": "Product", "id": "product:magnet", "name": "Magnet", "source_ids": [SRC]},
    {"type": "Product", "id": "product:battery", "name": "Battery", "source_ids": [SRC]},
    {"type": "Material", "id": "material:lioh", "name": "Lithium hydroxide", "source_ids": [SRC]},
    _rel("CLASSIFIED_AS", "product:magnet", "hs:850511"),
    _rel("CLASSIFIED_AS", "product:battery", "hs:850760"),
    _rel("CLASSIFIED_AS", "material:lioh", "hs:282520"),
    _rel("REQUIRES", "product:battery", "material:lioh"),
    # 850511, mirror data with totals: China 80 -> 60 of 100, Viet Nam 5 -> 25, Japan 10 -> 10
    _total("850511", 2022, 100.0), _total("850511", 2024, 100.0),
    _flow("CHN", "USA", "850511", 2022, 80.0), _flow("VNM", "USA", "850511", 2022, 5.0),
    _flow("JPN", "USA", "850511", 2022, 10.0),
    _flow("CHN", "USA", "850511", 2024, 60.0), _flow("VNM", "USA", "850511", 2024, 25.0),
    _flow("JPN", "USA", "850511", 2024, 10.0),
    _flow("CHN", "USA", "850511", 2024, 999.0, basis="exports"),    # China's report: ranks last
    # Viet Nam's own magnet imports from China rose (10 -> 30)
    _flow("CHN", "VNM", "850511", 2022, 10.0), _flow("CHN", "VNM", "850511", 2024, 30.0),
    # 8505, the importer's report of named partners only (no total)
    _flow("CHN", "USA", "8505", 2023, 50.0, "imports"), _flow("DEU", "USA", "8505", 2023, 50.0, "imports"),
    _flow("CHN", "USA", "8505", 2024, 40.0, "imports"), _flow("DEU", "USA", "8505", 2024, 60.0, "imports"),
    _flow("CHN", "USA", "8505", 2025, 60.0, "imports"), _flow("DEU", "USA", "8505", 2025, 40.0, "imports"),
    # Germany's magnet imports from China fell (5 -> 4): its rise is no rerouting signal
    _flow("CHN", "DEU", "850511", 2022, 5.0), _flow("CHN", "DEU", "850511", 2024, 4.0),
    # 850760: China 70 -> 50 of 100, Korea 10 -> 30; Korea's imports of the INPUT (282520) from
    # China rose 100 -> 150
    _total("850760", 2022, 100.0), _total("850760", 2024, 100.0),
    _flow("CHN", "USA", "850760", 2022, 70.0), _flow("KOR", "USA", "850760", 2022, 10.0),
    _flow("CHN", "USA", "850760", 2024, 50.0), _flow("KOR", "USA", "850760", 2024, 30.0),
    _flow("CHN", "KOR", "282520", 2022, 100.0), _flow("CHN", "KOR", "282520", 2024, 150.0),
    # the US's own exports (USITC DataWeb domestic exports): US shipments, not Germany's imports
    _flow("USA", "DEU", "8505", 2023, 70.0, "exports"), _flow("USA", "DEU", "850511", 2024, 30.0, "exports"),
    _flow("USA", "VNM", "850511", 2024, 500.0, "exports"),
]


@pytest.fixture
def planted(embedded_store: Any, tmp_path: Path) -> Any:
    import_records(embedded_store, [write_jsonl(tmp_path / "planted.jsonl", RECORDS)])
    return embedded_store


def _rows(store: Any, **params: Any) -> dict[tuple[str, int], dict[str, Any]]:
    return {(r["hs_code"], r["year"]): r for r in run_query(store, "exposure-trend", params)[1]}


def test_shares_of_the_total_and_top_suppliers(planted: Any) -> None:
    rows = _rows(planted)
    assert set(rows) == {("850511", 2022), ("850511", 2024), ("8505", 2023), ("8505", 2024),
                         ("8505", 2025), ("850760", 2022), ("850760", 2024)}
    r = rows[("850511", 2024)]
    assert (r["share_of"], r["flow_basis"], r["import_value_usd"]) == ("total", "mirror", 100.0)
    assert r["china_share"] == pytest.approx(0.60) and r["named_value_usd"] == pytest.approx(95.0)
    assert [(t["iso3"], t["share"]) for t in r["top_suppliers"]] == [("VNM", pytest.approx(0.25)),
                                                                   ("JPN", pytest.approx(0.10))]
    assert r["goods"] == ["Magnet"] and r["importer"] == "USA"


def test_named_partners_when_no_total(planted: Any) -> None:
    r = _rows(planted)[("8505", 2024)]
    assert (r["share_of"], r["import_value_usd"]) == ("named partners", None)
    assert r["china_share"] == pytest.approx(0.4) and r["goods"] == ["Magnet"]
    assert r["signal"] is None          # Germany rose, but its imports from China fell


def test_rerouting_signal_through_the_code_itself(planted: Any) -> None:
    rows = _rows(planted)
    assert rows[("850511", 2022)]["signal"] is None                    # no earlier year
    r = rows[("850511", 2024)]
    assert r["signal"] == "rerouting? China down since 2022; up: VNM (and their imports from China rose)"
    [s] = r["signals"]
    assert (s["iso3"], s["china_inflow_from"], s["china_inflow_to"]) == ("VNM", 2022, 2024)
    assert s["share_change"] == pytest.approx(0.20)
    assert (s["china_inflow_before"], s["china_inflow_after"]) == (10.0, 30.0)


def test_rerouting_signal_through_an_input(planted: Any) -> None:
    r = _rows(planted)[("850760", 2024)]
    [s] = r["signals"]
    assert s["iso3"] == "KOR" and s["share_change"] == pytest.approx(0.20)
    assert (s["china_inflow_before"], s["china_inflow_after"]) == (100.0, 150.0)


def test_parameters(planted: Any) -> None:
    assert all(r["signal"] is None for r in _rows(planted, min_change=0.25).values())
    assert set(_rows(planted, item="battery")) == {("850760", 2022), ("850760", 2024)}
    assert set(_rows(planted, hs_code="8505")) == {("8505", 2023), ("8505", 2024), ("8505", 2025),
                                                   ("850511", 2022), ("850511", 2024)}
    assert set(_rows(planted, item="magnet", hs_code="850511")) == {("850511", 2022), ("850511", 2024)}
    assert set(_rows(planted, year_from=2024)) == {("850511", 2024), ("8505", 2024), ("8505", 2025),
                                                    ("850760", 2024)}


def test_an_exporters_report_is_not_the_importers_series(planted: Any) -> None:
    # Germany: only its mirror flows from China count (5 in 2022, 4 in 2024, no total): China is
    # the one named partner; the US exports to Germany (8505 in 2023, 850511 in 2024) are not
    # Germany's imports and give no row or partner.
    rows = _rows(planted, importer="DEU")
    assert set(rows) == {("850511", 2022), ("850511", 2024)}
    r = rows[("850511", 2024)]
    assert (r["share_of"], r["flow_basis"], r["named_value_usd"]) == ("named partners", "mirror", 4.0)
    assert r["china_share"] == pytest.approx(1.0) and r["top_suppliers"] == []
