"""`import-measure-exposure` on a planted fixture (`tests/fixtures/queries/import_measures.jsonl`).

Every expected value is worked out by hand from the fixture's figures (comments give the sums):
world cobalt mining 300 t (CHN 10, COD 200, IDN 30, AUS 60), refining 300 t (CHN 240, FIN 30);
Mine A (COD, 60 t) is owned by a Chinese firm, 80 % in 2021 and 60 % in 2024 (the latest counts);
Mine B (COD, 30 t) 50 % by a Singapore holding that a Chinese state company of unknown state share
owns 40 %; Mine C (IDN, 30 t) by a Korean firm a ban names; Refinery D (FIN, 30 t) by the Chinese
firm with an unknown stake.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kg.api import import_records
from kg.queries import run_query

FIX = Path(__file__).parent / "fixtures" / "queries"
approx = pytest.approx


def _rows(store: Any, **params: Any) -> dict[tuple[str, str, str | None], dict[str, Any]]:
    import_records(store, [FIX / "base.jsonl", FIX / "import_measures.jsonl"])
    rows = run_query(store, "import-measure-exposure", {"product": "test-cell", **params})[1]
    return {(r["measure_id"], r["input_id"], r["stage"]): r for r in rows}


def test_entity_rule_counts_chinese_owned_supply_abroad(store: Any) -> None:
    by = _rows(store, as_of="2025-06-01")
    assert set(by) == {("importmeasure:test-feoc", "material:cobalt", "mining"),
                       ("importmeasure:test-feoc", "material:cobalt", "refining"),
                       ("importmeasure:test-feoc", "material:graphite", "refining"),
                       ("importmeasure:test-tariff", "product:test-cathode", "manufacturing")}
    mining = by[("importmeasure:test-feoc", "material:cobalt", "mining")]
    assert mining["origin_share"] == approx(10 / 300)
    # Mine A 60/300 x 0.6 (the 2024 stake, not 0.8 nor both); Mine B's chain has an unknown state
    # share: 0 at the low end, 0.4 x 0.5 at the high end; Mine C's owner is not a Chinese firm.
    assert mining["owned_abroad_share"] == approx(60 / 300 * 0.6)
    assert mining["owned_abroad_share_max"] == approx(60 / 300 * 0.6 + 30 / 300 * 0.4 * 0.5)
    assert mining["excluded_share"] == approx(10 / 300 + 0.12)
    assert mining["excluded_share_max"] == approx(10 / 300 + 0.12 + 0.02)
    assert mining["unknown_stakes"] == 1 and mining["year"] == 2024
    assert mining["depth"] == 2 and mining["path"] == ["Test cell", "Test cathode", "Cobalt"]
    assert mining["applies_by"] == "entity" and mining["status"] == "in-force"
    refining = by[("importmeasure:test-feoc", "material:cobalt", "refining")]
    # the 2024 figures (240/300), not the older 2023 share; Refinery D's stake is unknown
    assert refining["origin_share"] == approx(0.8)
    assert (refining["excluded_share"], refining["excluded_share_max"]) == (approx(0.8), approx(0.9))
    assert by[("importmeasure:test-feoc", "material:graphite", "refining")]["excluded_share"] == approx(0.9)
    tariff = by[("importmeasure:test-tariff", "product:test-cathode", "manufacturing")]
    # an origin rule: the stage the cell takes the cathode from, China's share only
    assert tariff["excluded_share"] == approx(0.7) and tariff["owned_abroad_share_max"] == 0
    assert tariff["rate"] == 0.25 and tariff["depth"] == 1 and tariff["targets"] == ["country:CHN"]


def test_dates_decide_which_measures_apply(store: Any) -> None:
    late = _rows(store, as_of="2025-11-01")
    assert set(late) == {("importmeasure:test-tariff", "product:test-cathode", "manufacturing")}
    every = _rows(store, as_of="2025-11-01", include_inactive=True)
    status = {k[0]: r["status"] for k, r in every.items()}
    assert status == {"importmeasure:test-feoc": "expired", "importmeasure:test-tariff": "in-force",
                      "importmeasure:test-ban": "announced"}
    # the named-firm ban excludes only the named firm's assets: Mine C, 30/300
    ban = every[("importmeasure:test-ban", "material:cobalt", "mining")]
    assert ban["origin_share"] == 0 and ban["excluded_share"] == approx(0.1)
    assert every[("importmeasure:test-ban", "material:cobalt", "refining")]["excluded_share"] == 0


def test_importer_parameter(store: Any) -> None:
    japan = _rows(store, importer="JPN")
    assert {k[0] for k in japan} == {"importmeasure:test-jpn"}
    # Japan's tariff is an origin rule on cobalt: the cathode takes cobalt from refining
    assert japan[("importmeasure:test-jpn", "material:cobalt", "refining")]["excluded_share"] == approx(0.8)


def test_runs_on_an_empty_graph(store: Any) -> None:
    query, rows = run_query(store, "import-measure-exposure", {})
    assert rows == [] and "excluded_share" in query.returns
