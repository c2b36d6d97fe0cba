"""The stored queries (docs/queries.md) on planted fixture graphs with answers known in advance.

Fixtures (`tests/fixtures/queries/*.jsonl`, records format): `base` (sources, countries), `bom`
(materials, products, HS codes, bills of materials, national production), `owners` (firms,
facilities, ownership chains, asset output), `trade` (EXPORTS_TO), `controls`, `policy`
(agreements, reserves, import reliance), `cycle` (a cyclic bill of materials), `provenance`
(stale figures, an uncited source). Expected values are worked out by hand in the tests from the
fixture's figures, or computed by `query_oracle` (plain Python and networkx over the same
records), never copied from a query's output.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from kg.api import import_records
from kg.queries import list_queries, run_query
from kg.store.base import WriteStatement

from . import query_oracle as oracle
from .conftest import write_jsonl

FIX = Path(__file__).parent / "fixtures" / "queries"
ALL = ("base", "bom", "owners", "trade", "controls", "policy", "cycle", "provenance")

REQUIRED = {
    "concentration": ["material", "stage", "year", "top_country", "top_share", "hhi"],
    "single-points-of-failure": ["product", "input", "stage", "supplier", "share", "path"],
    "china-exposure": ["item", "direct_share", "lookthrough_share", "via"],
    "chinese-controlled-abroad": ["entity", "country", "material", "owner_chain", "share"],
    "export-control-impact": ["control", "material", "product", "status"],
    "diversification": ["country", "stage", "share", "us_agreement"],
    "import-reliance": ["material", "net_import_reliance", "top_source"],
    "classification-gaps": ["hs_code", "items", "issue"],
    "provenance-audit": ["kind", "count", "example"],
    "what-if-cutoff": ["product", "input", "lost_share"],
    "exposure-trend": ["item", "year", "china_share", "top_suppliers", "signal"],
}
approx = pytest.approx


def load(store: Any, *names: str) -> None:
    import_records(store, [FIX / f"{n}.jsonl" for n in names])


def world(*names: str) -> oracle.World:
    return oracle.World.of(oracle.read_records(FIX / f"{n}.jsonl" for n in names))


def q(store: Any, name: str, **params: Any) -> list[dict[str, Any]]:
    return run_query(store, name, params)[1]


# -- every query: header, parameters, columns --------------------------------------------------------
def test_every_design_query_exists_with_a_complete_header() -> None:
    queries = list_queries()
    assert set(REQUIRED) <= set(queries)
    for name, query in queries.items():
        assert query.title, name
        assert len(query.description) > 300, f"{name}: the description must explain the numbers"
        assert "Limits" in query.description or "limits" in query.description, name
        assert set(REQUIRED.get(name, [])) <= set(query.returns), name
        used = set(re.findall(r"\$(\w+)", query.body))
        assert used == set(query.params), f"{name}: used {sorted(used)} declared {sorted(query.params)}"
        assert all(not p.required for p in query.params.values()), f"{name}: every param has a default"
        # bounded variable-length paths only
        assert not re.search(r"\*\s*(\]|\d*\.\.\s*\])", query.body), f"{name}: unbounded path"


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_query_runs_with_defaults_on_an_empty_graph(store: Any, name: str) -> None:
    query, rows = run_query(store, name, {})
    for row in rows:
        assert list(row) == query.returns


@pytest.fixture
def full(store: Any) -> Any:
    load(store, *ALL)
    return store


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_query_returns_its_declared_columns_on_the_fixture(full: Any, name: str) -> None:
    query, rows = run_query(full, name, {})
    assert rows, f"{name} returned nothing on the fixture graph"
    for row in rows:
        assert list(row) == query.returns


@pytest.mark.parametrize("name", sorted(list_queries()))
def test_the_whole_file_runs_with_its_comments(full: Any, name: str) -> None:
    """Each query file is one Cypher statement, comments included: Neo4j Browser users paste it,
    and `kg query` sends only the comment-stripped body. FalkorDB's parser crashed (segfault) on a
    comment opening a `CALL {` subquery, so every file is sent whole, as the store receives it
    after parameter binding, with its default parameters, and must answer as its body does."""
    query = list_queries()[name]
    assert query.cypher.lstrip().startswith("//")      # the header is really sent
    bound = query.bind({})
    whole, body = full.read(query.cypher, bound), full.read(query.body, bound)
    assert sorted(map(repr, whole)) == sorted(map(repr, body))


# -- concentration -----------------------------------------------------------------------------------
def test_concentration_shares_and_hhi(store: Any) -> None:
    load(store, "base", "bom", "cycle")
    rows = {(r["material_id"], r["stage"]): r for r in q(store, "concentration")}
    ree = rows[("material:rare-earths", "mining")]
    shares = [270 / 390, 45 / 390, 31 / 390, 13 / 390, 13 / 390, 13 / 390]
    assert ree["year"] == 2024 and ree["top_country"] == "China"
    assert ree["top_share"] == approx(270 / 390)
    assert ree["hhi"] == approx(sum((100 * s) ** 2 for s in shares))
    assert ree["producers"] == 6 and ree["hhi_band"] == "highly concentrated"
    assert ree["single_country_majority"] is True
    assert ree["share_covered"] == approx(385 / 390)
    # products with national output (an intermediate) are included
    ndpr = rows[("product:ndpr-oxide", "separation")]
    assert ndpr["top_share"] == approx(0.9)
    assert ndpr["hhi"] == approx(90 ** 2 + 5 ** 2 + (100 / 60) ** 2)
    # stated shares when there are no quantities
    li = rows[("material:lithium", "refining")]
    assert li["hhi"] == approx(65 ** 2 + 25 ** 2) and li["top_share"] == approx(0.65)
    iron = rows[("material:iron-ore", "mining")]
    assert iron["hhi"] == approx(37.2 ** 2 + 17.6 ** 2 + 2 * 10.8 ** 2)
    assert iron["hhi_band"] == "highly concentrated" and iron["single_country_majority"] is False
    # a withheld figure (W) is not a producer with share 0
    tantalum = rows[("material:tantalum", "refining")]
    assert tantalum["hhi"] == approx(35 ** 2 + 15 ** 2)
    assert tantalum["hhi_band"] == "moderately concentrated"
    ge = rows[("material:germanium", "refining")]
    assert ge["producers"] == 1
    older = q(store, "concentration", material="rare-earths", year=2023)
    assert len(older) == 1 and older[0]["year"] == 2023
    assert older[0]["top_share"] == approx(240 / 350)
    assert older[0]["hhi"] == approx((100 * 240 / 350) ** 2 + (100 * 41 / 350) ** 2)


# -- single points of failure ------------------------------------------------------------------------
def test_spof_magnet_has_exactly_two_single_points_of_failure(store: Any) -> None:
    load(store, "base", "bom", "owners")
    rows = q(store, "single-points-of-failure", product="ndfeb-magnet")
    assert {r["input"] for r in rows} == {"NdPr oxide", "Rare earths"}
    got = {(r["input"], r["stage"], r["supplier"], r["rule"]): r for r in rows}
    assert set(got) == {
        ("NdPr oxide", "separation", "China", "country"),
        ("Rare earths", "mining", "China", "country"),
        ("Rare earths", "mining", "Mountain Pass mine", "sole-domestic-producer"),
    }
    assert got[("NdPr oxide", "separation", "China", "country")]["share"] == approx(54000 / 60000)
    ree = got[("Rare earths", "mining", "China", "country")]
    assert ree["share"] == approx(270 / 390)
    assert ree["path"] == ["NdFeB permanent magnet", "NdPr oxide", "Rare earths"]
    assert ree["depth"] == 2 and ree["required_stage"] == "mining"
    mp = got[("Rare earths", "mining", "Mountain Pass mine", "sole-domestic-producer")]
    assert mp["share"] == approx(45000 / 390000) and mp["supplier_kind"] == "facility"
    assert mp["year"] == 2024
    # iron ore (Australia 37 %) is not a single point of failure at 50 %
    assert "Iron ore" not in {r["input"] for r in rows}


@pytest.mark.parametrize("threshold", [0.5, 0.35, 0.9])
def test_spof_matches_the_networkx_oracle(store: Any, threshold: float) -> None:
    load(store, "base", "bom", "owners", "cycle")
    rows = q(store, "single-points-of-failure", threshold=threshold)
    got = {(r["product_id"], r["input_id"], r["stage"], r["supplier_id"], r["rule"]) for r in rows}
    assert got == oracle.single_points_of_failure(world("base", "bom", "owners", "cycle"), threshold)
    w = world("base", "bom", "owners", "cycle")
    for r in rows:  # the reported path is a shortest simple BOM path
        paths = [n for n, _ in w.bom_paths(r["product_id"], 6) if n[-1] == r["input_id"]]
        assert r["depth"] == min(len(p) - 1 for p in paths)
        assert r["paths"] == len(paths)


def test_spof_asset_rule_and_threshold(store: Any) -> None:
    load(store, "base", "bom", "owners")
    rows = q(store, "single-points-of-failure", product="li-ion-battery", threshold=0.35)
    assets = [r for r in rows if r["rule"] == "asset"]
    assert [(r["supplier"], r["stage"]) for r in assets] == [("Tenke Fungurume mine", "mining")]
    assert assets[0]["share"] == approx(114000 / 290000)
    # the graphite link names no stage: both stages are judged, required_stage stays null
    graphite = {r["stage"]: r for r in rows if r["input"] == "Graphite"}
    assert set(graphite) == {"mining", "refining"} and graphite["mining"]["required_stage"] is None


def test_spof_does_not_follow_cycles(store: Any) -> None:
    load(store, "base", "cycle")
    rows = q(store, "single-points-of-failure", threshold=0.3)
    got = {(r["product"], r["input"], r["supplier"]): r for r in rows}
    assert set(got) == {("Widget", "Tantalum", "Congo, Democratic Republic of the"),
                        ("Subassembly", "Tantalum", "Congo, Democratic Republic of the")}
    assert got[("Widget", "Tantalum", "Congo, Democratic Republic of the")]["path"] == \
        ["Widget", "Subassembly", "Tantalum"]
    assert got[("Widget", "Tantalum", "Congo, Democratic Republic of the")]["share"] == approx(0.35)


# -- china exposure (§6.1) ---------------------------------------------------------------------------
EXPOSURE = ("base", "bom", "owners", "trade")


def test_china_exposure_battery_by_hand(store: Any) -> None:
    load(store, *EXPOSURE)
    [row] = q(store, "china-exposure", item="li-ion-battery")
    # The US total of 2024 (IMPORTS, all partners) is 14.0 bn; the importer-reported flows known
    # are 9.3 + 2.0 + 1.5 = 12.8 bn (China's own report ignored): shares are of the total, and
    # 1.2 bn is unexplained, never spread over the known partners.
    total = 14.0e9
    s_chn, s_kor, s_jpn = 9.3e9 / total, 2.0e9 / total, 1.5e9 / total
    assert row["coverage"] == approx(12.8 / 14.0)
    assert row["unexplained_share"] == approx(1.2 / 14.0)
    assert row["known_value_usd"] == approx(12.8e9) and row["hs_codes"] == ["850760"]
    # Korea: lithium 3.0/(3.0+1.0) from its imports, graphite 0.6/1.0 from its imports, cobalt
    # from China's world refining share 0.78 (no Korean cobalt imports) -> c = 0.78.
    # Japan: no import data -> world shares: lithium 0.65, cobalt 0.78, graphite at its most
    # processed stage (refining) 0.95 -> c = 0.95.
    assert row["direct_share"] == approx(s_chn)
    assert row["lookthrough_share"] == approx(s_chn + s_kor * 0.78 + s_jpn * 0.95)
    assert row["hidden_share"] == approx(s_kor * 0.78 + s_jpn * 0.95)
    assert row["year"] == 2024 and row["flow_basis"] == "imports"
    assert row["import_value_usd"] == approx(total) and row["suppliers"] == 3
    via = {v["supplier_iso3"]: v for v in row["via"]}
    assert via["CHN"]["basis"] == "direct" and via["CHN"]["china_share"] == approx(1.0)
    assert (via["KOR"]["input"], via["KOR"]["stage"], via["KOR"]["basis"]) == ("Cobalt", "refining", "world")
    assert via["KOR"]["period"] is None and via["KOR"]["confidence"] is None   # no trade figure
    assert via["KOR"]["china_share"] == approx(0.78)
    assert via["KOR"]["contribution"] == approx(s_kor * 0.78)
    assert (via["JPN"]["input"], via["JPN"]["stage"]) == ("Graphite", "refining")
    assert via["JPN"]["china_share"] == approx(0.95)
    assert [v["supplier_iso3"] for v in row["via"]] == ["CHN", "KOR", "JPN"]   # largest first


def test_china_exposure_depth_and_trade_branch(store: Any) -> None:
    load(store, *EXPOSURE)
    [deep] = q(store, "china-exposure", item="ndfeb-magnet")
    [flat] = q(store, "china-exposure", item="ndfeb-magnet", max_depth=1)
    # Japan imports NdPr oxide half from China (trade 0.2/0.4); two levels down, rare-earth ore is
    # 270/390 Chinese at the mine. Viet Nam has no trade data: NdPr oxide world share 0.9.
    assert deep["direct_share"] == approx(0.8)
    assert deep["lookthrough_share"] == approx(0.8 + 0.15 * 270 / 390 + 0.05 * 0.9)
    assert flat["lookthrough_share"] == approx(0.8 + 0.15 * 0.5 + 0.05 * 0.9)
    jpn = {v["supplier_iso3"]: v for v in deep["via"]}["JPN"]
    assert (jpn["input"], jpn["depth"], jpn["basis"]) == ("Rare earths", 2, "world")
    jpn_flat = {v["supplier_iso3"]: v for v in flat["via"]}["JPN"]
    assert (jpn_flat["input"], jpn_flat["basis"], jpn_flat["china_share"]) == ("NdPr oxide", "trade", approx(0.5))


def test_china_exposure_counts_chinese_owned_output(store: Any) -> None:
    load(store, *EXPOSURE)
    [cobalt] = q(store, "china-exposure", item="cobalt")
    # Tenke Fungurume: 114 kt in DRC, owned 0.8 x 0.5 = 0.4 by CMOC -> 45.6 kt of DRC's 220 kt.
    own = 114000 * 0.8 * 0.5 / 220000
    assert cobalt["direct_share"] == approx(0.2)
    assert cobalt["lookthrough_share"] == approx(0.2 + 0.4 * own)
    cod = {v["supplier_iso3"]: v for v in cobalt["via"]}["COD"]
    assert (cod["basis"], cod["input"], cod["stage"], cod["depth"]) == ("ownership", "Cobalt", "mining", 0)
    assert cod["china_share"] == approx(own)
    assert "FIN" not in {v["supplier_iso3"] for v in cobalt["via"]}   # nothing Chinese seen


def test_china_exposure_year_and_importer(store: Any) -> None:
    load(store, *EXPOSURE)
    [battery] = q(store, "china-exposure", item="li-ion-battery", year=2023)
    # 2023: China 8.0 and Korea 1.0 of a 10.0 total; nothing known about Korea's inputs up to 2023
    assert battery["year"] == 2023
    assert battery["direct_share"] == approx(0.8) and battery["lookthrough_share"] == approx(0.8)
    assert battery["coverage"] == approx(0.9) and battery["unexplained_share"] == approx(0.1)
    assert q(store, "china-exposure", item="ndfeb-magnet", year=2023) == []
    korea = {r["item_id"]: r for r in q(store, "china-exposure", importer="KOR")}
    assert korea["material:lithium"]["direct_share"] == approx(0.75)
    assert korea["material:graphite"]["direct_share"] == approx(0.6)


@pytest.mark.parametrize("max_depth", [1, 2, 4])
def test_china_exposure_matches_the_oracle(store: Any, max_depth: int) -> None:
    load(store, *EXPOSURE)
    expected = oracle.china_exposure(world(*EXPOSURE), max_depth=max_depth)
    rows = {r["item_id"]: r for r in q(store, "china-exposure", max_depth=max_depth)}
    assert set(rows) == set(expected)
    for item, exp in expected.items():
        if exp["direct"] is None:     # flows but no import total: no shares at all
            assert rows[item]["direct_share"] is None and rows[item]["lookthrough_share"] is None
            assert rows[item]["coverage"] is None and rows[item]["via"] == []
            continue
        assert rows[item]["direct_share"] == approx(exp["direct"]), item
        assert rows[item]["lookthrough_share"] == approx(exp["lookthrough"]), item
        assert {v["supplier_iso3"] for v in rows[item]["via"]} == {k[8:] for k in exp["via"]}
        for v in rows[item]["via"]:
            assert v["china_share"] == approx(exp["via"]["country:" + v["supplier_iso3"]][2])


# -- chinese-controlled abroad -------------------------------------------------------------------------
def test_chinese_controlled_abroad_chains(store: Any) -> None:
    load(store, "base", "bom", "owners")
    rows = q(store, "chinese-controlled-abroad", min_ownership=0.0)   # any stake
    by = {(r["entity_id"], r["material_id"]): r for r in rows}
    tfm = by[("facility:tenke-fungurume", "material:cobalt")]
    assert tfm["owner_chain"] == ["CMOC Group", "Lualaba Holdings", "Tenke Fungurume mine"]
    assert tfm["chain_shares"] == [0.8, 0.5] and tfm["share_complete"] is True
    assert tfm["ownership_share"] == approx(0.4)
    assert tfm["share"] == approx(114000 / 290000)
    assert tfm["attributed_share"] == approx(0.4 * 114000 / 290000)
    assert tfm["country"] == "Congo, Democratic Republic of the" and tfm["stage"] == "mining"
    # three links, one share unknown: 1 in the upper bound, 0 in the lower, and named
    gb = by[("facility:greenbushes", "material:lithium")]
    assert gb["owner_chain"] == ["Tianqi Lithium", "Tianqi Lithium HK",
                                 "Tianqi Lithium Energy Australia", "Greenbushes mine"]
    assert gb["ownership_share"] == approx(0.51 * 0.51) and gb["share_complete"] is False
    assert gb["ownership_high"] == approx(0.51 * 0.51) and gb["ownership_low"] == 0.0
    assert gb["unknown_links"] == ["Tianqi Lithium -> Tianqi Lithium HK"]
    assert gb["co_owners"] == [{"owner": "Albemarle", "share": 0.49, "year": 2024}]
    assert gb["control"] == "minority" and gb["output_basis"] == "facility output"
    assert tfm["ownership_low"] == approx(0.4) and tfm["unknown_links"] == []
    assert gb["share"] == approx(20000 / 240000)
    # a foreign firm owned by the Chinese state: the chain starts at the state
    mor = by[("facility:morowali-hpal", "material:cobalt")]
    assert mor["owner_chain"] == ["China", "PT Cobalt Holdings Singapore", "Morowali HPAL plant"]
    assert mor["ownership_share"] == approx(0.6 * 0.7)
    assert by[("firm:pt-cobalt-sg", None)]["ownership_share"] == approx(0.6)
    # minority stake: listed with its small share
    assert by[("facility:mountain-pass", "material:rare-earths")]["ownership_share"] == approx(0.077)
    assert by[("firm:lualaba-holdings", None)]["material"] is None
    # never an asset in China, never an asset without a Chinese chain
    ids = {r["entity_id"] for r in rows}
    assert "facility:baotou-separation" not in ids and "facility:lynas-malaysia" not in ids
    assert "firm:albemarle" not in ids
    expected = world("base", "bom", "owners").interest(oracle.CHN)
    assert {r["entity_id"]: r["ownership_share"] for r in rows} == approx(expected)


def test_chinese_controlled_abroad_filters(store: Any) -> None:
    load(store, "base", "bom", "owners")
    rows = q(store, "chinese-controlled-abroad", material="cobalt", min_ownership=0.1)
    assert [r["entity"] for r in rows] == ["Tenke Fungurume mine", "Morowali HPAL plant"]
    assert rows[1]["share"] == approx(10000 / 290000)
    # the default lists control only (0.5, as the title says): the 40 % and 42 % stakes drop out
    assert list_queries()["chinese-controlled-abroad"].params["min_ownership"].default == 0.5
    assert q(store, "chinese-controlled-abroad", material="cobalt") == []


def test_chinese_controlled_abroad_bounds_joint_ventures_and_dated_stakes(store: Any) -> None:
    load(store, "base", "bom", "owners")
    # Plant what the records format cannot hold yet: a second, older stake for the same pair
    # (CMOC in Lualaba: 0.8 in 2024, 0.3 in 2019), and a 50:50 joint venture whose Chinese side's
    # share is unknown (the partner's 0.5 is stated).
    store.write([WriteStatement(
        "UNWIND $rows AS row MATCH (a {id: row.a}), (b {id: row.b}) "
        "CREATE (a)-[:OWNS {share: row.share, year: row.year, source_ids: ['source:chokepoint-curated']}]->(b)",
        [[{"a": "firm:china-moly", "b": "firm:lualaba-holdings", "share": 0.3, "year": 2019},
          {"a": "firm:china-moly", "b": "facility:morowali-hpal", "share": None, "year": 2024},
          {"a": "firm:albemarle", "b": "facility:morowali-hpal", "share": 0.3, "year": 2024}]],
        "plant stakes", kind="relationship")])
    by = {r["entity_id"]: r for r in q(store, "chinese-controlled-abroad", min_ownership=0.0)
          if r["material_id"] in (None, "material:cobalt")}
    tfm = by["facility:tenke-fungurume"]
    assert tfm["chains"] == 1 and tfm["ownership_share"] == approx(0.8 * 0.5)   # latest stake only
    assert by["firm:lualaba-holdings"]["ownership_low"] == approx(0.8)
    # Morowali: the state chain (0.6 * 0.7 = 0.42) plus CMOC's unknown stake. Lower bound 0.42;
    # upper 0.42 + 1 capped at 1, then at 1 - 0.3 (Albemarle's stated stake) = 0.7.
    mor = by["facility:morowali-hpal"]
    assert mor["ownership_low"] == approx(0.42) and mor["ownership_high"] == approx(0.7)
    assert mor["chains"] == 2 and mor["share_complete"] is False and mor["control"] == "possible"
    assert mor["unknown_links"] == ["CMOC Group -> Morowali HPAL plant"]
    assert mor["co_owners"] == [{"owner": "Albemarle", "share": 0.3, "year": 2024}]
    assert mor["attributed_share_low"] == approx(0.42 * 10000 / 290000)
    assert mor["attributed_share"] == approx(0.7 * 10000 / 290000)
    # with the default (control) the possible controller is listed, the minority stake is not
    listed = {r["entity_id"] for r in q(store, "chinese-controlled-abroad")}
    assert "facility:morowali-hpal" in listed and "facility:mountain-pass" not in listed


# -- export controls -----------------------------------------------------------------------------------
CONTROLS = ("base", "bom", "trade", "controls")


def test_export_control_status_follows_dates(store: Any) -> None:
    load(store, *CONTROLS)
    w = world(*CONTROLS)
    controls = {i: n for i, n in w.nodes.items() if n["type"] == "ExportControl"}
    for as_of in ("2023-07-31", "2023-08-01", "2024-12-02", "2025-06-30", "2025-11-07",
                  "2025-11-09", "2026-11-27", "2026-11-28", "2027-01-01"):
        rows = q(store, "export-control-impact", as_of=as_of, include_inactive=True)
        got = {r["control_id"]: r["status"] for r in rows}
        exp = {i: oracle.control_status(c, as_of, oracle.newest_source_year(w, c))
               for i, c in controls.items()}
        assert got == exp, as_of
        in_force = {r["control_id"] for r in q(store, "export-control-impact", as_of=as_of)}
        assert in_force == {i for i, s in exp.items() if s == "in-force"}, as_of
    # hand-checked points: the Ga/Ge ban for the US is suspended 2025-11-09..2026-11-27 inclusive
    at = lambda d: {r["control_id"]: r["status"] for r in  # noqa: E731
                    q(store, "export-control-impact", as_of=d, include_inactive=True)}
    assert at("2025-11-08")["control:mofcom-2024-46-clause-2"] == "in-force"
    assert at("2025-11-09")["control:mofcom-2024-46-clause-2"] == "suspended"
    assert at("2026-11-27")["control:mofcom-2024-46-clause-2"] == "suspended"
    # the suspension ends and no cited source is newer than 2026: lapsed, not in force (the old
    # answer, in force again, claimed more than the graph knows)
    assert at("2026-11-28")["control:mofcom-2024-46-clause-2"] == "lapsed-unverified"
    # suspended before it ever took effect
    assert at("2025-11-07")["control:mofcom-2025-58"] == "announced"
    assert at("2025-11-08")["control:mofcom-2025-58"] == "suspended"
    assert at("2025-06-30")["control:drc-cobalt-2025"] == "revoked"


def test_export_control_reach_and_trade(store: Any, tmp_path: Path) -> None:
    load(store, *CONTROLS)
    rows = q(store, "export-control-impact", as_of="2025-06-30")
    got = {(r["control_id"], r["material_id"], r["product_id"]) for r in rows}
    assert got == {
        ("control:mofcom-2023-23", "material:gallium", None),
        ("control:mofcom-2023-23", "material:gallium", "product:gan-power-device"),
        ("control:mofcom-2023-23", "material:germanium", None),
        ("control:mofcom-2024-46-clause-2", "material:gallium", None),
        ("control:mofcom-2024-46-clause-2", "material:gallium", "product:gan-power-device"),
        # restricted through HS 2846.90: NdPr oxide itself and the magnet that needs it
        ("control:mofcom-2025-18", "product:ndpr-oxide", "product:ndpr-oxide"),
        ("control:mofcom-2025-18", "product:ndpr-oxide", "product:ndfeb-magnet"),
    }
    magnet = next(r for r in rows if r["product_id"] == "product:ndfeb-magnet")
    assert magnet["import_value_usd"] == approx(1.0e9)
    assert magnet["import_value_from_imposer"] == approx(0.8e9)
    assert magnet["trade_year"] == 2024 and magnet["imposed_by"] == "China"
    assert magnet["path"] == ["NdFeB permanent magnet", "NdPr oxide"] and magnet["depth"] == 1
    assert magnet["restricted_as"] == ["HS 284690"] and magnet["scope"] == ["oxides and compounds"]
    gan = next(r for r in rows if r["product_id"] == "product:gan-power-device")
    assert gan["import_value_usd"] is None      # no trade recorded
    ban = next(r for r in rows if r["control_id"] == "control:mofcom-2024-46-clause-2")
    assert ban["applies_to"] == ["United States"]
    # trade at the latest year up to the as_of year
    early = q(store, "export-control-impact", as_of="2025-12-01", include_inactive=True)
    battery = next(r for r in early if r["product_id"] == "product:li-ion-battery"
                   and r["control_id"] == "control:mofcom-2025-58")
    assert battery["import_value_usd"] == approx(9.3e9 + 2.0e9 + 1.5e9)
    assert battery["import_value_from_imposer"] == approx(9.3e9)
    old = q(store, "export-control-impact", as_of="2023-12-31", include_inactive=True)
    old_battery = next(r for r in old if r["product_id"] == "product:li-ion-battery"
                       and r["control_id"] == "control:mofcom-2025-58")
    assert old_battery["trade_year"] == 2023 and old_battery["import_value_usd"] == approx(9.0e9)
    # the US's own exports to Japan are not Japan's imports: Japan has no trade of its own here
    import_records(store, [write_jsonl(tmp_path / "us-exports.jsonl", [{
        "type": "EXPORTS_TO", "from": "country:USA", "to": "country:JPN", "hs_code": "850760",
        "year": 2024, "value_usd": 5.0e8, "flow_basis": "exports",
        "source_ids": ["source:census-trade-2024"]}])])
    jp_battery = [r for r in q(store, "export-control-impact", as_of="2025-12-01", importer="JPN",
                               include_inactive=True) if r["product_id"] == "product:li-ion-battery"]
    assert jp_battery and all(r["import_value_usd"] is None for r in jp_battery)
    # a measure targeting the US does not apply to Japan
    japan = {r["control_id"] for r in q(store, "export-control-impact", as_of="2025-06-30",
                                        importer="JPN")}
    assert "control:mofcom-2024-46-clause-2" not in japan and "control:mofcom-2023-23" in japan


# -- diversification -------------------------------------------------------------------------------------
def test_diversification_rare_earths(store: Any) -> None:
    load(store, "base", "bom", "policy")
    rows = q(store, "diversification", material="rare-earths")
    by = {r["iso3"]: r for r in rows}
    assert set(by) == {"USA", "MMR", "AUS", "THA", "NGA"}            # China excluded
    assert [r["iso3"] for r in rows][:3] == ["USA", "MMR", "AUS"]    # largest share first
    assert by["AUS"]["share"] == approx(13 / 390) and by["MMR"]["share"] == approx(31 / 390)
    assert all(r["excluded_share"] == approx(270 / 390) and r["stage"] == "mining" for r in rows)
    assert by["AUS"]["reserves"] == approx(5.7e6) and by["AUS"]["reserves_year"] == 2024
    assert by["MMR"]["reserves"] is None and by["MMR"]["reserves_qualifier"] == "NA"
    assert by["AUS"]["us_agreement"] is True
    assert by["AUS"]["agreements"] == ["US-Australia Critical Minerals Framework"]
    assert by["AUS"]["other_agreements"] == ["Minerals Security Partnership"]
    assert by["MMR"]["us_agreement"] is False and by["USA"]["us_agreement"] is None
    # Japan's agreement covers lithium, cobalt and graphite, not rare earths
    older = {r["iso3"]: r for r in q(store, "diversification", material="rare-earths", year=2023)}
    assert set(older) == {"USA"} and older["USA"]["share"] == approx(41 / 350)
    assert older["USA"]["reserves"] is None        # reserves are known from 2024 on only


# -- import reliance ------------------------------------------------------------------------------------
def test_import_reliance(store: Any) -> None:
    load(store, "base", "bom", "policy")
    rows = q(store, "import-reliance")
    assert [r["material"] for r in rows][:2] == ["Gallium", "Graphite"]   # 1.0 first, by name
    by = {r["material_id"]: r for r in rows}
    ree = by["material:rare-earths"]
    assert ree["net_import_reliance"] == approx(0.8) and ree["year"] == 2024
    assert ree["top_source"] == "CHN" and ree["top_source_name"] == "China" and ree["china_rank"] == 1
    assert ree["previous_year"] == 2023 and ree["previous_net_import_reliance"] == approx(0.95)
    li = by["material:lithium"]
    assert li["qualifier"] == ">" and li["top_source"] == "ARG" and li["china_rank"] == 3
    assert by["material:cobalt"]["china_rank"] is None
    assert by["material:cobalt"]["top_source_name"] is None   # NOR is not a node in this graph
    ge = by["material:germanium"]
    assert ge["net_import_reliance"] is None and ge["qualifier"] == "NA"
    assert rows[-1]["material_id"] == "material:germanium"     # qualifiers sort last
    [old] = q(store, "import-reliance", material="rare-earths", year=2023)
    assert old["net_import_reliance"] == approx(0.95) and old["previous_year"] is None


# -- classification gaps ---------------------------------------------------------------------------------
def test_classification_gaps(store: Any) -> None:
    load(store, "base", "bom", "trade", "cycle")
    rows = q(store, "classification-gaps")
    got = {(r["issue"], r["hs_code"], tuple(r["items"])) for r in rows}
    assert got == {
        ("shared-code", "811292", ("Gallium", "Germanium")),
        ("coarse-trade", "8112", ("Gallium", "Germanium")),
        ("no-hs-code", None, ("Iron ore",)),
        ("no-hs-code", None, ("Subassembly",)),
        ("no-hs-code", None, ("Tantalum",)),
        ("no-hs-code", None, ("Widget",)),
        ("no-trade-data", "253090", ("Rare earths",)),
        ("no-trade-data", "854129", ("GaN power transistor",)),
    }
    only = q(store, "classification-gaps", issue="shared-code")
    assert len(only) == 1 and only[0]["n_items"] == 2
    assert only[0]["item_ids"] == ["material:gallium", "material:germanium"]


# -- provenance audit ------------------------------------------------------------------------------------
def test_provenance_audit(store: Any) -> None:
    load(store, "base", "bom", "owners", "trade", "policy", "provenance")
    # Plant what the loader refuses: facts without a source and a fact citing an unknown source.
    store.write([WriteStatement(
        "UNWIND $rows AS row MATCH (n {id: row.id}) SET n.source_ids = row.ids",
        [[{"id": "material:iron-ore", "ids": []}, {"id": "firm:lynas", "ids": ["source:gone"]}]],
        "plant nodes"),
        WriteStatement(
        "UNWIND $rows AS row MATCH (a {id: row.a})-[r:LOCATED_IN]->(b {id: row.b}) "
        "SET r.source_ids = row.ids",
        [[{"a": "facility:greenbushes", "b": "country:AUS", "ids": []}]], "plant rels")])
    rows = q(store, "provenance-audit")
    by = {(r["kind"], r["detail"]): r for r in rows}
    assert by[("node-without-source", None)]["count"] == 1
    assert by[("node-without-source", None)]["example"] == "material:iron-ore"
    assert by[("relationship-without-source", None)]["count"] == 1
    assert by[("unknown-source", "nodes")]["count"] == 1
    assert by[("unknown-source", "nodes")]["example"] == "firm:lynas cites source:gone"
    assert by[("unknown-source", "relationships")]["count"] == 0
    # series with a newer figure: rare-earth mining China and US (2015, 2023 < 2024), Mountain Pass
    # 2023, the 2023 battery flows (China, Korea), Australia's 2023 reserves, 2023 US REE reliance
    assert by[("superseded-figure", "PRODUCES")]["count"] == 5
    assert by[("superseded-figure", "EXPORTS_TO")]["count"] == 2
    assert by[("superseded-figure", "HOLDS_RESERVES")]["count"] == 1
    assert by[("superseded-figure", "IMPORT_RELIANCE")]["count"] == 1
    assert by[("estimated-figure", "PRODUCES")]["count"] == 2
    assert by[("undated-share", "STATE_OWNED_BY")]["count"] == 2
    assert by[("licence", "public-domain")]["count"] == 3
    assert by[("licence", "proprietary")]["cited"] == 0
    assert by[("unused-source", None)]["example"] == "source:unused-report"
    assert not any(k == "stale-figure" for k, _ in by)         # newest is 2024; 2022 is within 5
    stale = {r["detail"]: r for r in q(store, "provenance-audit", max_age=1)
             if r["kind"] == "stale-figure"}
    assert set(stale) == {"EXPORTS_TO"} and stale["EXPORTS_TO"]["count"] == 1   # the 2022 flow
    later = {r["detail"]: r["count"] for r in q(store, "provenance-audit", as_of_year=2031)
             if r["kind"] == "stale-figure"}
    w = world("base", "bom", "owners", "trade", "policy", "provenance")
    series: dict[tuple, int] = {}
    for r in w.rels:
        if r["type"] in ("PRODUCES", "HOLDS_RESERVES", "EXPORTS_TO", "IMPORT_RELIANCE"):
            key = (r["type"], r["from"], r["to"], r.get("stage"), r.get("hs_code"), r.get("flow_basis"))
            series[key] = max(series.get(key, 0), r["year"])
    expected: dict[str, int] = {}
    for key, latest in series.items():
        if latest < 2031 - 5:
            expected[key[0]] = expected.get(key[0], 0) + 1
    assert later == expected


# -- what-if cutoff ---------------------------------------------------------------------------------------
def test_what_if_cutoff_china(store: Any) -> None:
    load(store, "base", "bom", "owners")
    rows = q(store, "what-if-cutoff")
    got = {(r["product_id"], r["input_id"], r["stage"]): r["lost_share"] for r in rows}
    w = world("base", "bom", "owners")
    expected = {}
    for p in [n for n, rec in w.nodes.items() if rec["type"] == "Product"]:
        for x in {nodes[-1] for nodes, _ in w.bom_paths(p, 6)}:
            for stage in w.stages(x):
                lost = w.country_shares(x, stage)[1].get(oracle.CHN, 0.0)
                if 1 - lost < 0.5:
                    expected[(p, x, stage)] = lost
    assert got == approx(expected)
    magnet = [r for r in rows if r["product"] == "NdFeB permanent magnet"]
    assert [(r["input"], r["stage"]) for r in magnet] == [("NdPr oxide", "separation"),
                                                          ("Rare earths", "mining")]
    assert magnet[1]["remaining_share"] == approx(120 / 390)
    assert magnet[1]["path"] == ["NdFeB permanent magnet", "NdPr oxide", "Rare earths"]


def test_what_if_cutoff_with_assets_owned_abroad(store: Any) -> None:
    load(store, "base", "bom", "owners")
    plain = {(r["input"], r["stage"]): r for r in
             q(store, "what-if-cutoff", product="li-ion-battery", threshold=0.85)}
    owned = {(r["input"], r["stage"]): r for r in
             q(store, "what-if-cutoff", product="li-ion-battery", threshold=0.85,
               include_owned_abroad=True)}
    # Cobalt mining: China mines none, but owns 0.4 of Tenke Fungurume (114 kt) and 0.6 x 0.7 of
    # Morowali (10 kt), of 290 kt world output.
    assert ("Cobalt", "mining") not in plain
    cobalt = owned[("Cobalt", "mining")]
    assert cobalt["lost_direct_share"] == approx(0.0)
    assert cobalt["lost_owned_abroad_share"] == approx((114000 * 0.4 + 10000 * 0.42) / 290000)
    # Lithium mining: 41/240 in China plus 0.51 x 0.51 (unknown link = 1) of Greenbushes (20 kt)
    li = owned[("Lithium", "mining")]
    assert li["lost_share"] == approx(41 / 240 + 20000 * 0.51 * 0.51 / 240000)
    assert plain[("Lithium", "mining")]["lost_share"] == approx(41 / 240)
    drc = q(store, "what-if-cutoff", country="COD")
    assert [(r["input"], r["stage"]) for r in drc] == [("Cobalt", "mining")]
    assert drc[0]["lost_share"] == approx(220 / 290) and drc[0]["country"] == "COD"


def test_export_controls_dated_validity_other_imposers_and_technology(store: Any) -> None:
    load(store, *CONTROLS, "validity")
    at = lambda d: {r["control_id"]: r for r in  # noqa: E731
                    q(store, "export-control-impact", as_of=d, include_inactive=True)}
    # a US measure (imposed by the United States, not China) whose suspension ended on 2026-06-30:
    # a source from 2027 postdates the end, so the measure is in force again, shown as US
    us = at("2026-07-01")["control:planted-us-gallium"]
    assert (us["status"], us["imposed_by"], us["newest_source_year"]) == ("in-force", "United States", 2027)
    assert us["validity_note"] is None
    assert at("2026-06-30")["control:planted-us-gallium"]["status"] == "suspended"
    # China's Ga/Ge ban: its suspension ended 2026-11-27, its newest source is from 2025
    ban = at("2026-12-01")["control:mofcom-2024-46-clause-2"]
    assert ban["status"] == "lapsed-unverified" and ban["newest_source_year"] == 2025
    assert "suspension ended 2026-11-27" in ban["validity_note"]
    assert "control:mofcom-2024-46-clause-2" not in {
        r["control_id"] for r in q(store, "export-control-impact", as_of="2026-12-01")}
    # a technology catalogue restricts the know-how, not the magnet: one row, no products reached
    tech = [r for r in q(store, "export-control-impact", as_of="2025-01-01")
            if r["control_id"] == "control:planted-tech-catalogue"]
    assert [(r["material_id"], r["product_id"], r["restricted_as"]) for r in tech] == \
        [("product:ndfeb-magnet", None, ["technology"])]
    assert "technology" in tech[0]["validity_note"]
    # the drone needs the magnet: reached by the HS-code restriction on NdPr oxide, never by the
    # technology catalogue
    reached = {(r["control_id"], r["product_id"]) for r in q(store, "export-control-impact",
                                                             as_of="2025-06-30")}
    assert ("control:mofcom-2025-18", "product:planted-drone") in reached
    assert not any(c == "control:planted-tech-catalogue" and p for c, p in reached)


def test_export_control_as_of_defaults_to_today(store: Any) -> None:
    import datetime as dt
    load(store, *CONTROLS, "validity")
    query = list_queries()["export-control-impact"]
    assert query.params["as_of"].default == "today"
    assert query.bind({})["as_of"] == dt.date.today().isoformat()
    today = {r["control_id"]: r["status"] for r in q(store, "export-control-impact",
                                                     include_inactive=True)}
    dated = {r["control_id"]: r["status"] for r in q(store, "export-control-impact",
                                                     as_of=dt.date.today().isoformat(),
                                                     include_inactive=True)}
    assert today == dated


def test_provenance_audit_lists_ended_validity_windows(store: Any) -> None:
    load(store, *CONTROLS, "validity")
    by = {r["kind"]: r for r in q(store, "provenance-audit", as_of="2026-12-01")}
    # ended by then: the Ga/Ge ban (2026-11-27, sources from 2025) and the battery controls'
    # suspension (2026-11-10); the US measure (ended 2026-06-30) has a 2027 source
    w = world(*CONTROLS, "validity")
    expected = sorted(i for i, n in w.nodes.items()
                      if n.get("suspended_until") and n["suspended_until"] < "2026-12-01"
                      and (oracle.newest_source_year(w, n) or 0) <= int(n["suspended_until"][:4]))
    assert len(expected) == 2 and "control:planted-us-gallium" not in expected
    assert by["validity-ended"]["count"] == 2
    assert by["validity-ended"]["example"].split(" ")[0] in expected
    assert "validity-ended" not in {r["kind"] for r in q(store, "provenance-audit",
                                                         as_of="2025-01-01")}
