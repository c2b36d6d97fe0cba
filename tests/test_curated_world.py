"""The curated world on the bundled graph (issue 16): Chinese-controlled assets abroad with dated
stakes whose shares multiply correctly, producer countries' export restrictions beside China's,
and US import measures for a battery.

Expected values are the stakes stated in the cited sources, multiplied by hand: Greenbushes is
51 % Tianqi of TLEA, 51 % TLEA of Talison, 100 % Talison of the mine; Kolwezi's 2024 stake (67 %)
replaces the earlier 72 %; IWIP is 40 % Tsingshan plus 30 % Huayou.
"""

from __future__ import annotations

from typing import Any

import pytest

from kg.queries import run_query

approx = pytest.approx


def q(store: Any, name: str, **params: Any) -> list[dict[str, Any]]:
    return run_query(store, name, params)[1]


@pytest.fixture(scope="module")
def abroad(snapshot_store: Any) -> dict[str, dict[str, Any]]:
    rows = q(snapshot_store, "chinese-controlled-abroad", min_ownership=0.0)
    return {r["entity_id"]: r for r in rows}


def test_ownership_chains_multiply_stated_stakes(abroad: dict[str, dict[str, Any]]) -> None:
    gb = abroad["facility:greenbushes"]
    assert gb["owner_chain"][0] == "Tianqi Lithium Corp." and gb["chain_shares"] == [0.51, 0.51, 1.0]
    assert gb["ownership_share"] == approx(0.51 * 0.51)
    expected = {
        "facility:kolwezi-commus": 0.67,          # 2024, after 5% went to the DRC (was 72%)
        "facility:goulamina": 0.65,               # project level after Mali's 2024 increase
        "facility:deziwa": 0.51,                  # CNMC 51%, Gecamines 49%
        "facility:obi-hpal": 0.369,               # Lygend 36.9%
        "facility:serbia-zijin-copper": 0.63,     # Zijin 63%, Republic of Serbia 37%
        "facility:iwip": 0.40 + 0.30,             # Tsingshan 40% + Huayou 30% (Zhenshi not Chinese-HQ'd here)
        "facility:imip": 0.4969,                  # the 2026 figure, not 2016/2017/2022 ones
        "firm:first-quantum": 0.185,              # Jiangxi Copper
        "firm:rio-tinto": 0.11,                   # Chinalco
        "firm:energy-transition-minerals": 0.065,  # Shenghe 2026 (12.5% in 2016)
        "facility:weda-bay-nickel": 0.57 * 0.90,  # Tsingshan 57% of Strand, Strand 90% (Antam 10%)
        "facility:cauchari-olaroz": 0.467,        # Ganfeng 2025 (51% in 2020), Lithium Argentina's page
    }
    for entity, share in expected.items():
        assert abroad[entity]["ownership_share"] == approx(share), entity
        assert abroad[entity]["share_complete"] is True, entity


def test_new_assets_and_state_owned_parents_are_listed(abroad: dict[str, dict[str, Any]]) -> None:
    for entity in ("facility:las-bambas", "facility:khoemacau", "facility:toromocho",
                   "facility:ruashi", "facility:manono-northeast", "facility:tanco",
                   "facility:bikita", "facility:sabi-star", "facility:mt-marion"):
        assert entity in abroad, entity
    # CITIC's stake in Ivanhoe now counts as Chinese (a state-owned parent with no stated share)
    assert abroad["firm:ivanhoe"]["owner_chain"][0] == "CITIC Group Corporation"
    # Las Bambas: China Minmetals' latest stake in MMG (68%, 2024) times MMG's 62.5%
    lb = abroad["facility:las-bambas"]
    assert lb["owner_chain"][0] == "China Minmetals Corporation" and len(lb["owner_chain"]) == 3
    assert lb["chain_shares"] == [0.68, 0.625]


def test_producer_country_restrictions_beside_chinas(snapshot_store: Any) -> None:
    rows = q(snapshot_store, "export-control-impact", as_of="2025-06-01")
    by_imposer: dict[str, set[str]] = {}
    for r in rows:
        by_imposer.setdefault(r["imposed_by"], set()).add(r["control_id"])
    assert "control:mofcom-gac-2025-18" in by_imposer["China"]
    assert "control:drc-arecoms-2025-001" in by_imposer["DR Congo"]
    assert "control:idn-esdm-2019-nickel-ore-export-ban" in by_imposer["Indonesia"]
    assert "control:mys-2024-raw-rare-earth-export-moratorium" in by_imposer["Malaysia"]
    assert "control:nam-2023-unprocessed-critical-minerals-ban" in by_imposer["Namibia"]
    assert "control:zwe-2022-raw-lithium-export-ban" in by_imposer["Zimbabwe"]
    # replaced, not yet in force, or never law on that date
    ids = set().union(*by_imposer.values())
    assert not ids & {"control:drc-arecoms-2025-cobalt-quota", "control:gab-2029-raw-manganese-export-ban",
                      "control:phl-sb-2826-ore-export-ban", "control:idn-2014-unprocessed-ore-export-ban"}
    later = {r["control_id"]: r["status"] for r in
             q(snapshot_store, "export-control-impact", as_of="2025-11-01", include_inactive=True)}
    assert later["control:drc-arecoms-2025-cobalt-quota"] == "in-force"
    assert later["control:drc-arecoms-2025-001"] == "expired"
    assert later["control:phl-sb-2826-ore-export-ban"] == "proposed"


def test_battery_inputs_under_us_import_measures(snapshot_store: Any) -> None:
    rows = q(snapshot_store, "import-measure-exposure", product="nmc811-cathode", as_of="2025-06-01")
    feoc = {(r["input_id"], r["stage"]): r for r in rows
            if r["measure_id"] == "importmeasure:us-30d-feoc-critical-minerals"}
    assert {"material:lithium", "material:nickel", "material:cobalt"} <= {k[0] for k in feoc}
    for r in feoc.values():
        assert r["applies_by"] == "entity" and r["status"] == "in-force"
        assert 0 <= r["excluded_share"] <= r["excluded_share_max"] <= 1
        assert r["excluded_share"] >= r["origin_share"]
    # China's refined cobalt share alone exceeds its mined share: refining is where the rule bites
    assert feoc[("material:cobalt", "refining")]["origin_share"] > feoc[("material:cobalt", "mining")]["origin_share"]
    later = q(snapshot_store, "import-measure-exposure", product="nmc811-cathode", as_of="2025-11-01")
    assert not [r for r in later if r["measure_id"] == "importmeasure:us-30d-feoc-critical-minerals"]


def test_provenance_audit_lists_the_low_confidence_rows(snapshot_store: Any) -> None:
    from kg.models import Relationship
    from loaders import curated
    records = list(curated.parse())
    weak_sources = sum(1 for r in records if r.type_name == "Source" and r.confidence == "L")
    weak_facts: dict[str, int] = {}
    for r in records:
        if isinstance(r, Relationship) and r.confidence == "L":
            weak_facts[r.type_name] = weak_facts.get(r.type_name, 0) + 1
    rows = {(r["kind"], r["detail"]): r for r in q(snapshot_store, "provenance-audit")}
    # other bundled loaders may grade facts too, so the graph holds at least the curated ones
    assert weak_sources > 0 and rows[("low-confidence", "Source")]["count"] >= weak_sources
    for rel_type, n in weak_facts.items():
        assert rows[("low-confidence", rel_type)]["count"] >= n, rel_type
    assert rows[("unknown-source", "nodes")]["count"] == 0
    assert rows[("node-without-source", None)]["count"] == 0


def test_burma_feedstock_of_chinas_rare_earth_separation(snapshot_store: Any) -> None:
    # USGS MCS 2026 (usgs-mcs loader): Burma mined 27,000 t REO in 2024 and 22,000 t in 2025.
    mined = snapshot_store.read(
        "MATCH (:Country {id: $c})-[p:PRODUCES {stage: 'mining'}]->(:Material {id: $m}) "
        "RETURN p.year AS year, p.quantity AS t, p.source_ids AS src",
        {"c": "country:MMR", "m": "material:rare-earths"})
    by_year = {r["year"]: r for r in mined if "source:usgs-mcs-2026" in r["src"]}
    assert by_year[2024]["t"] == 27000 and by_year[2025]["t"] == 22000
    # China imported about 42,000 t (2023) and 44,000 t (2024) of rare earths from Burma.
    flows = snapshot_store.read(
        "MATCH (:Country {id: 'country:MMR'})-[e:EXPORTS_TO {hs_code: '2846', month: 0}]->"
        "(:Country {id: 'country:CHN'}) RETURN e.year AS year, e.quantity AS t")
    assert {r["year"]: r["t"] for r in flows} == {2023: 42000, 2024: 44000}
    # IEA 2024, magnet rare earths: China separated 73.8 kt but mined 45.8 kt; Burma mined 12.1 kt,
    # so at least 28 kt of China's separation feedstock came from outside China.
    iea = {(r["c"], r["stage"]): r["t"] for r in snapshot_store.read(
        "MATCH (c:Country)-[p:PRODUCES {year: 2024}]->(:Material {id: 'material:magnet-rare-earths'}) "
        "WHERE c.id IN ['country:CHN', 'country:MMR'] RETURN c.id AS c, p.stage AS stage, p.quantity AS t")}
    gap = iea[("country:CHN", "separation")] - iea[("country:CHN", "mining")]
    assert gap == approx(28000) and gap >= iea[("country:MMR", "mining")] == 12100


def test_element_level_stage_shares_reach_the_queries(snapshot_store: Any) -> None:
    # Separators, Yano Research: 2015 (via Benchmark) China 37.6 %, Japan 34.9 %, USA 11.1 %;
    # 2023 (via Nikkei) China 87.4 %, Japan 9.7 %. HHI by hand:
    # 2015: 37.6^2 + 34.9^2 + 11.1^2 = 1413.76 + 1218.01 + 123.21 = 2754.98
    # 2023: 87.4^2 + 9.7^2 = 7638.76 + 94.09 = 7732.85
    old = q(snapshot_store, "concentration", material="product:li-ion-separator", year=2015)
    assert len(old) == 1
    assert (old[0]["stage"], old[0]["year"], old[0]["top_iso3"], old[0]["producers"]) == (
        "manufacturing", 2015, "CHN", 3)
    assert old[0]["top_share"] == approx(0.376) and old[0]["hhi"] == approx(2754.98, abs=0.01)
    new = q(snapshot_store, "concentration", material="product:li-ion-separator")
    assert [(r["year"], r["top_iso3"], r["producers"]) for r in new] == [(2023, "CHN", 2)]
    assert new[0]["china_share"] == approx(0.874) and new[0]["hhi"] == approx(7732.85, abs=0.01)

    def spof(product: str, **params: Any) -> dict[tuple[str, str], dict[str, Any]]:
        rows = q(snapshot_store, "single-points-of-failure", product=product, **params)
        return {(r["input_id"], r["supplier_id"]): r for r in rows if r["rule"] == "country"}

    # Every Li-ion cell requires a separator and an electrolyte: China's latest shares count.
    lfp = spof("product:li-ion-cell-lfp")
    sep = lfp[("product:li-ion-separator", "country:CHN")]
    assert (sep["share"], sep["year"], sep["stage"]) == (approx(0.874), 2023, "manufacturing")
    ele = lfp[("product:li-ion-electrolyte", "country:CHN")]
    assert (ele["share"], ele["year"]) == (approx(0.85), 2023)
    # Copper foil (EVTank): 74.2 % in 2022, 75.9 % in H1 2023; its copper is one level further down.
    foil = lfp[("product:li-ion-copper-foil", "country:CHN")]
    assert (foil["share"], foil["year"], foil["depth"]) == (approx(0.759), 2023, 1)
    as_2022 = spof("product:li-ion-cell-lfp", year=2022)
    assert as_2022[("product:li-ion-copper-foil", "country:CHN")]["share"] == approx(0.742)
    assert as_2022[("product:li-ion-separator", "country:CHN")]["share"] == approx(0.68)   # SNE
    # As of 2015 China's 37.6 % of separators shows only below a 37.6 % threshold.
    assert ("product:li-ion-separator", "country:CHN") not in spof("product:li-ion-cell-lfp", year=2015)
    low = spof("product:li-ion-cell-lfp", year=2015, threshold=0.35)
    assert low[("product:li-ion-separator", "country:CHN")]["share"] == approx(0.376)
    assert low[("product:li-ion-electrolyte", "country:CHN")]["share"] == approx(0.753)
    # NCM precursors take their manganese as HPMSM, 84 % Chinese (Stratas, 2022): a single point
    # of failure three levels below the NMC811 cell (cell -> cathode -> precursor -> HPMSM).
    nmc = spof("product:li-ion-cell-nmc811")[("material:hpmsm", "country:CHN")]
    assert nmc["share"] == approx(0.84) and nmc["required_stage"] == "refining" and nmc["depth"] == 3
