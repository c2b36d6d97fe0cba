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
    # China separates 90 % of the group's output (dysprosium has no figure of its own)
    _rel("PRODUCES", "country:CHN", "material:rare-earths", stage="separation", year=2024, share=0.9),
    _rel("PRODUCES", "country:MYS", "material:rare-earths", stage="separation", year=2024, share=0.1),
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


def test_matches_the_oracle(planted: Any) -> None:
    expected = oracle.china_exposure(oracle.World.of(RECORDS))
    rows = _rows(planted)
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


def test_the_whole_file_runs_with_its_comments(planted: Any) -> None:
    """Each query file is one Cypher statement, comments included (Neo4j Browser users paste it):
    FalkorDB's parser crashed on a comment opening a subquery, so the file itself is run here."""
    from kg.queries import list_queries
    for name in ("china-exposure", "import-measure-exposure"):
        query = list_queries()[name]
        assert planted.read(query.cypher, query.bind({})) == planted.read(query.body, query.bind({}))
