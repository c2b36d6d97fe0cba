"""One rule for "the latest figure" (docs/queries.md), written once and used by every query.

The rule lives in `queries/fragments/latest-figure.cypher.in` and is copied into the queries that
read production figures; `kg.query_fragments` regenerates the copies. The planted fixture
`tests/fixtures/queries/latest.jsonl` holds each case the rule decides (a 2024 NA row above 2023
figures, a newer capacity share above an older output share, capacity only, elements with and
without figures of their own in two groups of different size, country figures above a rounded
world total, a single reporting country, firm-level sole sourcing); expected values are worked
out by hand from its rows in the comments next to each assertion.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from kg import query_fragments
from kg.api import export_records, import_records
from kg.errors import UsageError
from kg.queries import list_queries, run_query

from . import query_oracle as oracle

FIX = Path(__file__).parent / "fixtures" / "queries"
ROOT = Path(__file__).resolve().parents[1]
USERS = ("concentration", "single-points-of-failure", "what-if-cutoff", "diversification",
         "china-exposure", "import-measure-exposure")
approx = pytest.approx


def q(store: Any, name: str, **params: Any) -> list[dict[str, Any]]:
    return run_query(store, name, params)[1]


@pytest.fixture
def latest(store: Any) -> Any:
    import_records(store, [FIX / "base.jsonl", FIX / "latest.jsonl"])
    return store


# -- the rule is written once ------------------------------------------------------------------------
def test_query_files_are_in_sync_with_the_fragment() -> None:
    assert query_fragments.stale(ROOT / "queries") == [], \
        "a fragment block differs from its fragment: run `python -m kg.query_fragments`"
    for name in USERS:
        text = (ROOT / "queries" / f"{name}.cypher").read_text(encoding="utf-8")
        assert "latest-figure" in query_fragments.uses(text), name


def test_an_edited_block_is_detected_and_rewritten(tmp_path: Path) -> None:
    (tmp_path / "fragments").mkdir()
    (tmp_path / "fragments" / "pick.cypher.in").write_text(
        "// a header comment, not copied\nWITH __CARRY__x, 1 AS one\n", encoding="utf-8")
    query = tmp_path / "q.cypher"
    query.write_text("// title: t\nMATCH (x)\n  // BEGIN fragment pick(a, b) -- generated\n"
                     "  WITH x, 2 AS one\n  // END fragment pick\nRETURN one\n", encoding="utf-8")
    assert query_fragments.stale(tmp_path) == [query]
    assert query_fragments.main([str(tmp_path)]) == 0
    assert query.read_text(encoding="utf-8") == (
        "// title: t\nMATCH (x)\n  // BEGIN fragment pick(a, b) -- generated\n"
        "  WITH a, b, x, 1 AS one\n  // END fragment pick\nRETURN one\n")
    assert query_fragments.stale(tmp_path) == []


def test_a_block_can_bind_a_parameter_of_the_fragment(tmp_path: Path) -> None:
    (tmp_path / "fragments").mkdir()
    (tmp_path / "fragments" / "pick.cypher.in").write_text(
        "WITH __CARRY__x WHERE $year IS NULL OR x.year <= $year AND $years = 1\n", encoding="utf-8")
    query = tmp_path / "q.cypher"
    query.write_text("// title: t\n// param years: int = 1\n"
                     "MATCH (x)\n// BEGIN fragment pick(y; $year = y + 1) -- generated\n"
                     "// END fragment pick\nRETURN x\n", encoding="utf-8")
    assert query_fragments.main([str(tmp_path)]) == 0
    # $year is bound (and only $year: $years is another parameter)
    assert "WITH y, x WHERE y + 1 IS NULL OR x.year <= y + 1 AND $years = 1\n" in \
        query.read_text(encoding="utf-8")
    assert query_fragments.parse_arguments(" a, b ; $year = as_of_year ") == \
        (["a", "b"], {"year": "as_of_year"})
    with pytest.raises(UsageError, match="expected `\\$param = expression`"):
        query_fragments.parse_arguments("a; year = 1")


# -- the rule on planted figures ---------------------------------------------------------------------
def test_concentration_applies_the_rule(latest: Any) -> None:
    rows = {(r["material_id"], r["stage"]): r for r in q(latest, "concentration")}
    # germanium: the 2024 row is NA only, so 2023 is the latest figure: 60/100
    ge = rows[("material:planted-ge", "refining")]
    assert ge["year"] == 2023 and ge["china_share"] == approx(0.6) and ge["producers"] == 2
    # cells: the 2024 figure is a capacity share, the 2023 one output: output wins
    cell = rows[("product:planted-cell", "manufacturing")]
    assert (cell["year"], cell["measure"], cell["top_share"]) == (2023, "output", approx(0.7))
    # cathode material: capacity is all there is, and the row says so
    cam = rows[("product:planted-cam", "manufacturing")]
    assert (cam["year"], cam["measure"], cam["top_share"]) == (2024, "capacity", approx(0.9))
    # neodymium has no figures: separation from the smaller group (3 members, 90/100), mining from
    # the only group that has mining figures (70/100)
    nd_sep = rows[("material:planted-nd", "separation")]
    assert (nd_sep["basis"], nd_sep["group"]) == ("group", "Planted light rare earths")
    assert nd_sep["china_share"] == approx(0.9) and nd_sep["producers"] == 2
    nd_mine = rows[("material:planted-nd", "mining")]
    assert (nd_mine["basis"], nd_mine["group"], nd_mine["china_share"]) == \
        ("group", "Planted rare earths", approx(0.7))
    # dysprosium's own separation figure takes precedence over its group's (0.85)
    dy_sep = rows[("material:planted-dy", "separation")]
    assert (dy_sep["basis"], dy_sep["group"], dy_sep["china_share"]) == ("own", None, approx(0.99))
    assert rows[("material:planted-dy", "mining")]["basis"] == "group"
    assert ("material:planted-ce", "separation") in rows and ("material:planted-la", "separation") \
        in rows and rows[("material:planted-la", "separation")]["china_share"] == approx(0.85)


def test_concentration_caps_coverage_and_flags_a_single_reporter(latest: Any) -> None:
    rows = {(r["material_id"], r["stage"]): r for r in q(latest, "concentration")}
    # antimony: 60 + 30 + 14 = 104 t against a rounded world total of 100 t
    sb = rows[("material:planted-sb", "mining")]
    assert sb["top_share"] == approx(60 / 104) and sb["share_covered"] == approx(1.0)
    assert sb["reported_over_world"] == approx(1.04)
    assert sb["hhi"] == approx(sum((100 * v / 104) ** 2 for v in (60, 30, 14)))
    assert "exceed" in sb["coverage_note"] and sb["single_reporter"] is False
    w = rows[("material:planted-w", "refining")]
    assert w["single_reporter"] is True and w["top_share"] == approx(0.8)
    assert w["reported_over_world"] is None and "one reporting country" in w["coverage_note"]
    ge = rows[("material:planted-ge", "refining")]
    assert ge["coverage_note"] is None and ge["share_covered"] == approx(0.7)


def test_single_points_of_failure_apply_the_rule(latest: Any) -> None:
    rows = q(latest, "single-points-of-failure")
    got = {(r["product_id"].split(":")[1], r["input_id"].split(":")[1], r["stage"], r["supplier"],
            r["rule"]): r for r in rows}
    expected = {
        # the magnet and the motor that needs it: both rare-earth elements, group figures except
        # dysprosium separation (its own)
        *((p, "planted-nd", "separation", "China", "country") for p in ("planted-magnet", "planted-motor")),
        *((p, "planted-nd", "mining", "China", "country") for p in ("planted-magnet", "planted-motor")),
        *((p, "planted-dy", "separation", "China", "country") for p in ("planted-magnet", "planted-motor")),
        *((p, "planted-dy", "mining", "China", "country") for p in ("planted-magnet", "planted-motor")),
        # germanium (2023 figure under a 2024 NA row) and tungsten, through the lens
        *((p, "planted-ge", "refining", "China", "country") for p in ("planted-lens", "planted-sensor")),
        *((p, "planted-w", "refining", "China", "country") for p in ("planted-lens", "planted-sensor")),
        # cells at their output share, cathode material at its capacity share
        ("planted-pack", "planted-cell", "manufacturing", "China", "country"),
        ("planted-pack", "planted-cam", "manufacturing", "China", "country"),
        # the integrator has one supplier of lenses; the other maker has two
        ("planted-sensor", "planted-lens", None, "Planted Wafer A", "sole-supplier"),
        # stages with no country figure: asset output alone (a stated 60 % share; the only US
        # plant)
        ("planted-pack", "planted-cell", "refining", "Planted Cell Maker", "asset"),
        ("planted-pack", "planted-cam", "refining", "Planted CAM plant", "sole-domestic-producer"),
    }
    assert set(got) == expected
    motor_nd = got[("planted-motor", "planted-nd", "separation", "China", "country")]
    assert motor_nd["path"] == ["Planted motor", "Planted magnet", "Planted neodymium"]
    assert (motor_nd["basis"], motor_nd["group"], motor_nd["share"]) == \
        ("group", "Planted light rare earths", approx(0.9))
    dy = got[("planted-magnet", "planted-dy", "separation", "China", "country")]
    assert (dy["basis"], dy["share"]) == ("own", approx(0.99))
    assert got[("planted-pack", "planted-cell", "manufacturing", "China", "country")]["share"] \
        == approx(0.7)
    cam = got[("planted-pack", "planted-cam", "manufacturing", "China", "country")]
    assert (cam["measure"], cam["share"]) == ("capacity", approx(0.9))
    ge = got[("planted-lens", "planted-ge", "refining", "China", "country")]
    assert (ge["year"], ge["share"]) == (2023, approx(0.6))
    sole = got[("planted-sensor", "planted-lens", None, "Planted Wafer A", "sole-supplier")]
    assert sole["customer"] == "Planted Integrator" and sole["share"] is None
    assert sole["supplier_kind"] == "firm" and sole["path"] == ["Planted IR sensor", "Planted IR lens"]
    maker = got[("planted-pack", "planted-cell", "refining", "Planted Cell Maker", "asset")]
    assert (maker["share"], maker["year"], maker["supplier_kind"]) == (approx(0.6), 2023, "firm")
    plant = got[("planted-pack", "planted-cam", "refining", "Planted CAM plant", "sole-domestic-producer")]
    assert plant["share"] is None and plant["supplier_kind"] == "facility"


def test_what_if_and_diversification_apply_the_rule(latest: Any) -> None:
    lost = {(r["product_id"], r["input_id"], r["stage"]): r
            for r in q(latest, "what-if-cutoff", threshold=0.5)}
    nd = lost[("product:planted-motor", "material:planted-nd", "separation")]
    assert nd["lost_share"] == approx(0.9) and nd["basis"] == "group"
    assert lost[("product:planted-lens", "material:planted-ge", "refining")]["year"] == 2023
    assert lost[("product:planted-pack", "product:planted-cell", "manufacturing")]["lost_share"] \
        == approx(0.7)
    # 60/104 lost leaves 44/104 < 0.5, but antimony is in no bill of materials
    assert not any(k[1] == "material:planted-sb" for k in lost)
    div = q(latest, "diversification", material="planted-nd")
    assert {(r["stage"], r["iso3"], r["basis"]) for r in div} == {
        ("separation", "MYS", "group"), ("mining", "USA", "group"), ("mining", "AUS", "group")}
    mys = next(r for r in div if r["iso3"] == "MYS")
    assert mys["share"] == approx(0.1) and mys["excluded_share"] == approx(0.9)
    assert mys["group"] == "Planted light rare earths"


# -- the same Chinese share wherever it appears, on the bundled graph ----------------------------------
def _china_shares(snapshot_store: Any) -> dict[str, dict[tuple[str, str], set[float]]]:
    seen: dict[str, dict[tuple[str, str], set[float]]] = defaultdict(lambda: defaultdict(set))
    for r in q(snapshot_store, "concentration"):
        seen["concentration"][(r["material_id"], r["stage"])].add(round(r["china_share"], 9))
    for r in q(snapshot_store, "single-points-of-failure", threshold=0.0):
        if r["rule"] == "country" and r["supplier_id"] == "country:CHN":
            seen["single-points-of-failure"][(r["input_id"], r["stage"])].add(round(r["share"], 9))
    for r in q(snapshot_store, "what-if-cutoff", country="CHN", threshold=1.0):
        seen["what-if-cutoff"][(r["input_id"], r["stage"])].add(round(r["lost_direct_share"], 9))
    for r in q(snapshot_store, "diversification", exclude="CHN"):
        seen["diversification"][(r["material_id"], r["stage"])].add(round(r["excluded_share"], 9))
    for r in q(snapshot_store, "china-exposure"):
        for v in r["via"]:
            if v["basis"] in ("world", "world (group)"):      # China's share of world output
                seen["china-exposure"][(v["input_id"], v["stage"])].add(round(v["china_share"], 9))
    # a measure targeting China alone excludes China's share of world output
    measured = snapshot_store.read(
        "MATCH (:ImportMeasure)-[:RESTRICTS]->()<-[:REQUIRES*0..6]-(p:Product) "
        "RETURN DISTINCT p.id AS id")
    for product in sorted(r["id"] for r in measured):
        for r in q(snapshot_store, "import-measure-exposure", product=product, include_inactive=True):
            if r["targets"] == ["country:CHN"] and r["year"] is not None:
                seen["import-measure-exposure"][(r["input_id"], r["stage"])].add(
                    round(r["origin_share"], 9))
    return seen


def test_the_chinese_share_of_an_input_is_the_same_in_every_query(snapshot_store: Any) -> None:
    """Every query shows, for each input and stage, the share the documented rule gives: worked out
    independently in plain Python (tests/query_oracle.py) from the graph's records."""
    world = oracle.World.of(export_records(snapshot_store))
    seen = _china_shares(snapshot_store)
    assert set(seen) == {"concentration", "single-points-of-failure", "what-if-cutoff",
                         "diversification", "china-exposure", "import-measure-exposure"}
    compared: dict[str, int] = defaultdict(int)
    for name, shares in seen.items():
        for (item, stage), values in shares.items():
            assert len(values) == 1, (name, item, stage, values)
            expected = round(oracle.latest_china_share(world, item, stage), 9)
            assert values == {expected}, (name, item, stage, values, expected)
            compared[name] += 1
    assert compared["concentration"] > 50 and min(compared.values()) > 0, compared
    reference = seen["concentration"]
    # the cases: germanium refining (2023 figure under a 2024 NA row) and the magnet
    # rare earths, which the elements inherit
    assert reference[("material:germanium", "refining")] == {0.592}
    for element in ("neodymium", "praseodymium", "dysprosium", "terbium"):
        assert reference[(f"material:{element}", "separation")] == {round(73800 / 80800, 9)}
        assert (f"material:{element}", "separation") in seen["single-points-of-failure"]
    # and china-exposure reads world shares where other queries show them
    assert any(key in reference for key in seen["china-exposure"])


def test_the_oracle_applies_the_rule_to_the_planted_cases(latest: Any) -> None:
    """The independent rule (tests/query_oracle.py) on the planted fixture, against hand values."""
    world = oracle.World.of(oracle.read_records([FIX / "base.jsonl", FIX / "latest.jsonl"]))
    assert oracle.latest_china_share(world, "material:planted-ge", "refining") == approx(0.6)
    nd = oracle.latest_figures(world, "material:planted-nd")
    assert (nd["separation"]["basis"], nd["separation"]["holder"]) == \
        ("group", "material:planted-lree")
    assert oracle.latest_china_share(world, "material:planted-nd", "separation") == approx(0.9)
    assert oracle.latest_china_share(world, "material:planted-dy", "separation") == approx(0.99)
    cam = oracle.latest_figures(world, "product:planted-cam")["manufacturing"]
    assert (cam["year"], cam["measure"]) == (2024, "capacity")
    assert oracle.latest_china_share(world, "material:planted-sb", "mining") == approx(60 / 104)


def test_every_query_using_production_figures_declares_the_fragment() -> None:
    """A query that reads country PRODUCES figures must take them from the shared rule."""
    no_national_shares = {"exposure-trend", "chinese-controlled-abroad", "provenance-audit",
                          "classification-gaps", "import-reliance", "export-control-impact"}
    for name, query in list_queries().items():
        uses = "latest-figure" in query_fragments.uses(query.cypher)
        assert uses or name in no_national_shares, name
