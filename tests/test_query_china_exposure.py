"""china-exposure on a planted graph: true denominators, coverage, third-country legs by weight or
stated share (with period and confidence), element-group fallback, shared-code caveats.

Expected values are computed by hand below and cross-checked with the independent oracle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kg.api import import_records
from kg.queries import run_query

from . import query_oracle as oracle
from .conftest import write_jsonl

SRC = "source:t"


def _rel(kind: str, frm: str, to: str, **kw: Any) -> dict[str, Any]:
    return {"type": kind, "from": frm, "to": to, "source_ids": [SRC], **kw}


def _flow(frm: str, to: str, code: str, year: int, **kw: Any) -> dict[str, Any]:
    return _rel("EXPORTS_TO", frm, to, hs_code=code, year=year, **{"flow_basis": "imports", **kw})


def _total(frm: str, code: str, year: int, **kw: Any) -> dict[str, Any]:
    return _rel("IMPORTS", frm, f"hs:{code}", year=year, **{"flow_basis": "imports", **kw})


RECORDS: list[dict[str, Any]] = [
    {"type": "Source", "id": SRC, "name": "t", "title": "t", "publisher": "p", "url": "https://x",
     "license": "CC0", "retrieved": "2025-01-01"},
    *[{"type": "Country", "id": f"country:{c}", "name": c, "source_ids": [SRC]}
      for c in ("CHN", "USA", "JPN", "KOR", "VNM", "MYS", "DEU", "CAN")],
    *[{"type": "HSCode", "id": f"hs:{c}", "name": c, "code": c, "source_ids": [SRC]}
      for c in ("850511", "8505", "2846", "284690", "811292", "810194")],
    {"type": "Product", "id": "product:widget", "name": "Widget magnet", "source_ids": [SRC]},
    {"type": "Product", "id": "product:other-magnet", "name": "Other magnet", "source_ids": [SRC]},
    {"type": "Material", "id": "material:rare-earths", "name": "Rare earths", "source_ids": [SRC]},
    {"type": "Material", "id": "material:dysprosium", "name": "Dysprosium",
     "member_of": ["material:rare-earths"], "source_ids": [SRC]},
    {"type": "Material", "id": "material:gallium", "name": "Gallium", "source_ids": [SRC]},
    {"type": "Material", "id": "material:germanium", "name": "Germanium", "source_ids": [SRC]},
    {"type": "Material", "id": "material:tungsten", "name": "Tungsten", "source_ids": [SRC]},
    _rel("CLASSIFIED_AS", "product:widget", "hs:850511"),
    _rel("CLASSIFIED_AS", "product:other-magnet", "hs:850511"),
    _rel("CLASSIFIED_AS", "material:rare-earths", "hs:284690"),
    _rel("CLASSIFIED_AS", "material:gallium", "hs:811292"),
    _rel("CLASSIFIED_AS", "material:germanium", "hs:811292"),
    _rel("CLASSIFIED_AS", "material:tungsten", "hs:810194"),
    _rel("REQUIRES", "product:widget", "material:dysprosium", stage="separation"),
    # China separates 90 % of the group's output (dysprosium has no figure of its own): 90 of 100 t;
    # it mines 54 t, so at least 1 - 54 / 90 = 0.4 of its separation feedstock is not its own
    # mining. Its imports of the group's codes in 2024: 30 t from Myanmar (China's report, low
    # confidence); the US's report of 50 t it exported to China is not China's import; an older
    # (2023) and a monthly (2025-03) flow are not the latest annual year.
    _rel("PRODUCES", "country:CHN", "material:rare-earths", stage="separation", year=2024,
         quantity=90.0, unit="t"),
    _rel("PRODUCES", "country:MYS", "material:rare-earths", stage="separation", year=2024,
         quantity=10.0, unit="t"),
    _rel("PRODUCES", "country:CHN", "material:rare-earths", stage="mining", year=2024,
         quantity=54.0, unit="t"),
    {"type": "Country", "id": "country:MMR", "name": "Myanmar", "source_ids": [SRC]},
    _flow("country:MMR", "country:CHN", "2846", 2024, quantity=30.0, unit="t", confidence="L"),
    _flow("country:USA", "country:CHN", "2846", 2024, quantity=50.0, unit="t", flow_basis="exports"),
    _flow("country:MYS", "country:CHN", "284690", 2023, quantity=80.0, unit="t"),
    _flow("country:MMR", "country:CHN", "2846", 2025, month=3, quantity=5.0, unit="t"),
    # US imports of 850511 in 2024: a total of 110 from all partners, 100 of it by known partners
    _total("country:USA", "850511", 2024, value_usd=110.0),
    _flow("country:CHN", "country:USA", "850511", 2024, value_usd=40.0),
    _flow("country:JPN", "country:USA", "850511", 2024, value_usd=30.0),
    _flow("country:KOR", "country:USA", "850511", 2024, value_usd=20.0),
    _flow("country:VNM", "country:USA", "850511", 2024, value_usd=10.0),
    # a later year with partner flows but no total, and a coarser heading: neither is used
    _flow("country:CHN", "country:USA", "850511", 2025, value_usd=500.0),
    _flow("country:CHN", "country:USA", "8505", 2024, value_usd=999.0),
    # Japan: rare-earth basket (2846, coarser than the group's 284690) by weight, January 2026,
    # newer than a stated 2024 share
    _total("country:JPN", "2846", 2026, month=1, quantity=100.0, unit="t"),
    _flow("country:CHN", "country:JPN", "2846", 2026, month=1, quantity=76.0, unit="t",
          confidence="M"),
    _flow("country:CHN", "country:JPN", "2846", 2024, share=0.7, share_basis="value"),
    # Korea: only a stated share, low confidence
    _flow("country:CHN", "country:KOR", "2846", 2024, share=0.89, share_basis="value",
          confidence="L"),
    # gallium/germanium share 811292; a 2022 total in HS 2017 with a scope note
    _total("country:USA", "811292", 2022, value_usd=4.0, hs_version="HS2017",
           notes="HS 2017 811292 also held hafnium"),
    _flow("country:CHN", "country:USA", "811292", 2022, value_usd=2.0),
    # tungsten: partner flows but no total anywhere
    _flow("country:CHN", "country:USA", "810194", 2024, value_usd=7.0),
    # USGS import sources (IMPORT_RELIANCE) for materials without a trade total: bismuth (no HS
    # code; the 2025 edition's shares supersede the 2024 one's) and an alloy partly refined in
    # Korea by a Chinese-owned plant; gallium has a trade total, so USGS is only a cross-check
    {"type": "Material", "id": "material:bismuth", "name": "Bismuth", "source_ids": [SRC]},
    {"type": "Material", "id": "material:alloy", "name": "Gallium alloy", "source_ids": [SRC]},
    _rel("IMPORT_RELIANCE", "country:USA", "material:bismuth", year=2025, net_import_reliance=0.9,
         sources=["CHN", "KOR", "DEU"], source_shares=[0.56, 0.22, 0.13], other_share=0.09,
         sources_period="2021-2024"),
    _rel("IMPORT_RELIANCE", "country:USA", "material:bismuth", year=2024, net_import_reliance=0.9,
         sources=["CHN"], source_shares=[0.9], other_share=0.1, sources_period="2020-2023"),
    _rel("IMPORT_RELIANCE", "country:USA", "material:alloy", year=2025, net_import_reliance=1.0,
         sources=["CHN", "KOR"], source_shares=[0.5, 0.3], other_share=0.2,
         sources_period="2021-2024"),
    # Korea refines 100 t of the alloy; a plant there, half owned by a Chinese firm, 40 t of it
    {"type": "Firm", "id": "firm:cn-refiner", "name": "CN Refiner", "source_ids": [SRC]},
    _rel("HEADQUARTERED_IN", "firm:cn-refiner", "country:CHN"),
    {"type": "Facility", "id": "facility:kor-plant", "name": "Korean plant", "source_ids": [SRC]},
    _rel("LOCATED_IN", "facility:kor-plant", "country:KOR"),
    _rel("OWNS", "firm:cn-refiner", "facility:kor-plant", year=2024, share=0.5),
    _rel("PRODUCES", "facility:kor-plant", "material:alloy", stage="refining", year=2024,
         quantity=40.0, unit="t"),
    _rel("PRODUCES", "country:KOR", "material:alloy", stage="refining", year=2024, quantity=100.0,
         unit="t"),
    # Germany: its own 2024 imports of 850511 (total 50, China 20), and US exports to Germany
    # (the exporter's report) of the same code and of tungsten, which Germany has no figure of
    _total("country:DEU", "850511", 2024, value_usd=50.0),
    _flow("country:CHN", "country:DEU", "850511", 2024, value_usd=20.0),
    _flow("country:USA", "country:DEU", "850511", 2024, value_usd=15.0, flow_basis="exports"),
    _flow("country:USA", "country:DEU", "810194", 2025, value_usd=5.0, flow_basis="exports"),
    # The EU-27 (a country group) and a motor that needs dysprosium: US imports of 850132 in 2024,
    # total 100: China 10, France 50, Germany 30, Viet Nam 10. The EU's own (extra-EU) imports of
    # the rare-earth basket 2846 in 2024: 200 t, 80 t of it from China (0.4); France has no figure
    # of its own, so the EU's stands in; Germany states its own (0.6), which wins; Viet Nam is in no
    # group (the world figure, 0.9). The EU's older stated share (2023) is not its latest figure.
    {"type": "Country", "id": "country:EU27", "name": "European Union (27)",
     "members": ["country:DEU", "country:FRA", "country:ITA"], "source_ids": [SRC]},
    {"type": "Country", "id": "country:FRA", "name": "FRA", "source_ids": [SRC]},
    {"type": "HSCode", "id": "hs:850132", "name": "850132", "code": "850132", "source_ids": [SRC]},
    {"type": "Product", "id": "product:motor", "name": "Motor", "source_ids": [SRC]},
    _rel("CLASSIFIED_AS", "product:motor", "hs:850132"),
    _rel("REQUIRES", "product:motor", "material:dysprosium", stage="separation"),
    _total("country:USA", "850132", 2024, value_usd=100.0),
    _flow("country:CHN", "country:USA", "850132", 2024, value_usd=10.0),
    _flow("country:FRA", "country:USA", "850132", 2024, value_usd=50.0),
    _flow("country:DEU", "country:USA", "850132", 2024, value_usd=30.0),
    _flow("country:VNM", "country:USA", "850132", 2024, value_usd=10.0),
    _total("country:EU27", "2846", 2024, quantity=200.0, unit="t", confidence="H"),
    _flow("country:CHN", "country:EU27", "2846", 2024, quantity=80.0, unit="t", confidence="H"),
    _flow("country:CHN", "country:EU27", "2846", 2023, share=0.95, share_basis="value"),
    _flow("country:CHN", "country:DEU", "2846", 2024, share=0.6, share_basis="value"),
    _rel("IMPORT_RELIANCE", "country:USA", "material:gallium", year=2025, net_import_reliance=1.0,
         sources=["CAN", "JPN", "CHN"], source_shares=[0.28, 0.22, 0.18], other_share=0.32,
         sources_period="2021-2024"),
]


@pytest.fixture
def planted(embedded_store: Any, tmp_path: Path) -> Any:
    import_records(embedded_store, [write_jsonl(tmp_path / "planted.jsonl", RECORDS)])
    return embedded_store


def _rows(store: Any, **params: Any) -> dict[str, dict[str, Any]]:
    return {r["item_id"]: r for r in run_query(store, "china-exposure", params)[1]}


def test_shares_are_of_the_true_total_with_third_country_legs(planted: Any) -> None:
    row = _rows(planted)["product:widget"]
    assert row["year"] == 2024 and row["import_value_usd"] == pytest.approx(110.0)
    assert row["direct_share"] == pytest.approx(40 / 110)            # not 40 / 100
    assert row["coverage"] == pytest.approx(100 / 110)
    assert row["unexplained_share"] == pytest.approx(10 / 110)
    # Japan 0.76 (weight, 2026-01), Korea 0.89 (stated share, L), Viet Nam 0.9 (group's world share)
    look = (40 + 30 * 0.76 + 20 * 0.89 + 10 * 0.9) / 110
    assert row["lookthrough_share"] == pytest.approx(look)
    assert row["hidden_share"] == pytest.approx(look - 40 / 110)
    via = {v["supplier_iso3"]: v for v in row["via"]}
    jpn, kor, vnm = via["JPN"], via["KOR"], via["VNM"]
    assert (jpn["basis"], jpn["measure"], jpn["period"], jpn["hs_code"], jpn["confidence"]) == (
        "trade", "weight", "2026-01", "2846", "M")
    assert jpn["china_share"] == pytest.approx(0.76) and jpn["input"] == "Dysprosium"
    assert (kor["basis"], kor["measure"], kor["period"], kor["confidence"]) == (
        "trade", "stated share", "2024", "L")
    assert kor["china_share"] == pytest.approx(0.89)
    assert (vnm["basis"], vnm["stage"]) == ("world (group)", "separation")
    assert vnm["china_share"] == pytest.approx(0.9)
    assert "HS 850511 also covers Other magnet" in row["caveat"]


def test_shared_code_and_hs2017_scope_are_in_the_caveat(planted: Any) -> None:
    rows = _rows(planted)
    ga = rows["material:gallium"]
    assert ga["direct_share"] == pytest.approx(0.5) and ga["year"] == 2022
    assert "also covers Germanium" in ga["caveat"] and "hafnium" in ga["caveat"]
    assert rows["material:germanium"]["direct_share"] == pytest.approx(0.5)


def test_no_total_means_no_shares(planted: Any) -> None:
    w = _rows(planted)["material:tungsten"]
    assert w["year"] == 2024 and w["hs_codes"] == [] and w["via"] == []
    assert (w["direct_share"], w["lookthrough_share"], w["coverage"], w["unexplained_share"],
            w["known_value_usd"], w["import_value_usd"]) == (None, None, None, None, None, None)


def test_the_year_parameter_and_another_importer(planted: Any) -> None:
    assert "product:widget" not in _rows(planted, year=2023)
    assert _rows(planted, importer="JPN") == {}      # Japan's inflows are inputs, not goods


def test_exporters_reports_are_not_the_importers_inflows(planted: Any) -> None:
    # Germany's rows are the two goods of 850511 only: US exports of tungsten to Germany add no
    # "Tungsten" row with null shares, and US exports of 850511 neither count as a partner flow
    # nor take the share of the 30 the known partners leave unexplained
    rows = _rows(planted, importer="DEU")
    assert set(rows) == {"product:widget", "product:other-magnet"}
    w = rows["product:widget"]
    assert (w["year"], w["import_value_usd"], w["suppliers"]) == (2024, pytest.approx(50.0), 1)
    assert w["direct_share"] == pytest.approx(20 / 50) and w["coverage"] == pytest.approx(20 / 50)
    assert w["unexplained_share"] == pytest.approx(30 / 50)
    assert w["lookthrough_share"] == pytest.approx(20 / 50)


def test_a_group_figure_stands_in_for_a_member_without_its_own(planted: Any) -> None:
    row = _rows(planted)["product:motor"]
    assert row["direct_share"] == pytest.approx(0.1)
    # China 10, France 50 * 0.4 (EU's 80 / 200 t), Germany 30 * 0.6 (its own), Viet Nam 10 * 0.9
    assert row["lookthrough_share"] == pytest.approx((10 + 50 * 0.4 + 30 * 0.6 + 10 * 0.9) / 100)
    via = {v["supplier_iso3"]: v for v in row["via"]}
    fra, deu, vnm = via["FRA"], via["DEU"], via["VNM"]
    assert fra["china_share"] == pytest.approx(0.4)
    assert (fra["basis"], fra["reported_by"], fra["measure"], fra["period"], fra["hs_code"],
            fra["confidence"]) == ("trade", "country:EU27", "weight", "2024", "2846", "H")
    assert deu["china_share"] == pytest.approx(0.6) and deu["reported_by"] is None
    assert (deu["basis"], deu["measure"]) == ("trade", "stated share")
    assert (vnm["basis"], vnm["reported_by"]) == ("world (group)", None)


def test_chinas_feedstock_from_abroad_is_shown_beside_separation_legs(planted: Any) -> None:
    row = _rows(planted)["product:widget"]
    via = {v["supplier_iso3"]: v for v in row["via"]}
    feed = {"imported_min": pytest.approx(1 - 54 / 90), "year": 2024, "stage_below": "mining",
            "own_below": 54.0, "output": 90.0, "unit": "t", "figures_of": "material:rare-earths",
            "source": {"largest_source": "Myanmar", "source_iso3": "MMR", "source_period": "2024",
                       "source_quantity": 30.0, "source_unit": "t", "source_value_usd": None,
                       "source_basis": "imports", "source_hs_code": "2846",
                       "source_confidence": "L"}}
    # on Japan's and Korea's trade legs and Viet Nam's world-share leg (all dysprosium separation)
    for iso3 in ("JPN", "KOR", "VNM"):
        assert via[iso3]["china_feedstock"] == feed, iso3
    assert via["CHN"]["china_feedstock"] is None            # the direct leg
    # information only: the look-through is as before
    assert row["lookthrough_share"] == pytest.approx((40 + 30 * 0.76 + 20 * 0.89 + 10 * 0.9) / 110)
    # an ownership leg (Korea's Chinese-owned alloy refining) has none
    alloy = {v["supplier_iso3"]: v for v in _rows(planted)["material:alloy"]["via"]}
    assert alloy["KOR"]["basis"] == "ownership" and alloy["KOR"]["china_feedstock"] is None


@pytest.mark.parametrize("importer", ["USA", "DEU"])
def test_matches_the_oracle(planted: Any, importer: str) -> None:
    expected = oracle.china_exposure(oracle.World.of(RECORDS), importer=f"country:{importer}")
    rows = _rows(planted, importer=importer)
    assert set(rows) == set(expected)
    for item, exp in expected.items():
        if exp["direct"] is None:
            assert rows[item]["direct_share"] is None
            continue
        assert rows[item]["direct_share"] == pytest.approx(exp["direct"]), item
        assert rows[item]["lookthrough_share"] == pytest.approx(exp["lookthrough"]), item


def test_usgs_import_sources_stand_in_without_a_trade_total(planted: Any) -> None:
    rows = _rows(planted)
    bi = rows["material:bismuth"]
    # the 2025 edition: China 56 % of imports over 2021-24, 9 % from unnamed countries
    assert bi["direct_share"] == pytest.approx(0.56) and bi["lookthrough_share"] == pytest.approx(0.56)
    assert bi["coverage"] == pytest.approx(0.91) and bi["unexplained_share"] == pytest.approx(0.09)
    assert (bi["flow_basis"], bi["year"], bi["suppliers"]) == ("usgs-import-sources 2021-2024", 2024, 3)
    assert (bi["import_value_usd"], bi["known_value_usd"], bi["hs_codes"]) == (None, None, [])
    assert (bi["usgs_china_share"], bi["usgs_period"]) == (pytest.approx(0.56), "2021-2024")
    assert "USGS import sources 2021-2024" in bi["caveat"]
    # the alloy: Korea's 30 % of US imports carries Chinese ownership of its refining,
    # 0.5 * 40 / 100 = 0.2, so the look-through is 0.5 + 0.3 * 0.2
    al = rows["material:alloy"]
    assert al["direct_share"] == pytest.approx(0.5)
    assert al["lookthrough_share"] == pytest.approx(0.5 + 0.3 * 0.2)
    assert al["hidden_share"] == pytest.approx(0.3 * 0.2)
    assert al["coverage"] == pytest.approx(0.8) and al["unexplained_share"] == pytest.approx(0.2)
    kor = {v["supplier_iso3"]: v for v in al["via"]}["KOR"]
    assert (kor["input"], kor["stage"], kor["basis"]) == ("Gallium alloy", "refining", "ownership")
    assert kor["supplier_share"] == pytest.approx(0.3) and kor["china_share"] == pytest.approx(0.2)


def test_trade_stays_primary_with_usgs_as_a_cross_check(planted: Any) -> None:
    ga = _rows(planted)["material:gallium"]
    assert ga["direct_share"] == pytest.approx(0.5) and ga["flow_basis"] == "imports"
    assert ga["coverage"] == pytest.approx(0.5) and ga["import_value_usd"] == pytest.approx(4.0)
    assert (ga["usgs_china_share"], ga["usgs_period"]) == (pytest.approx(0.18), "2021-2024")
    # a good with trade only has no USGS columns
    assert _rows(planted)["product:widget"]["usgs_china_share"] is None
    # USGS rows dated after `year` are not read
    assert "material:bismuth" not in _rows(planted, year=2023)
    bi_2024 = _rows(planted, year=2024)["material:bismuth"]
    assert (bi_2024["direct_share"], bi_2024["flow_basis"]) == (pytest.approx(0.9), "usgs-import-sources 2020-2023")
