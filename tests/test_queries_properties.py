"""Property tests: the exposure and HHI arithmetic of the stored queries on random graphs agrees
with the independent implementation in `query_oracle` (plain Python and networkx)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.api import load_located
from kg.queries import run_query
from kg.records_io import read_paths

from . import query_oracle as oracle

SRC = "source:test"
POOL = ["CHN", "USA", "KOR", "JPN", "VNM", "MYS", "DEU", "AUS"]
SUPPLIERS = [c for c in POOL if c != "USA"]
INPUT_CODES = ["280110", "280120", "280130"]
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _base() -> list[dict[str, Any]]:
    recs: list[dict[str, Any]] = [{"type": "Source", "id": SRC, "name": "Test source", "title": "t",
                                   "publisher": "p", "url": "https://example.org", "license": "CC0",
                                   "retrieved": "2025-01-01"}]
    recs += [{"type": "Country", "id": f"country:{c}", "name": c, "source_ids": [SRC]} for c in POOL]
    return recs


def _load(store: Any, tmp: Path, records: list[dict[str, Any]]) -> None:
    """Replace the graph with these records. `replace=True` writes a fresh stage instead of
    copying the live graph: hundreds of GRAPH.COPY in a row have been seen to deadlock FalkorDB
    4.16 (about one in several hundred), which would hang this test."""
    path = tmp / "graph.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    load_located(store, read_paths([path]), replace=True)


@st.composite
def production(draw: Any, item: str, stage: str) -> list[dict[str, Any]]:
    countries = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=5, unique=True))
    if draw(st.booleans()):
        qs = draw(st.lists(st.integers(1, 1000), min_size=len(countries), max_size=len(countries)))
        world = sum(qs) + draw(st.integers(0, 500))
        with_world = draw(st.booleans())
        return [{"type": "PRODUCES", "from": f"country:{c}", "to": item, "stage": stage,
                 "year": 2024, "quantity": float(q), "unit": "t",
                 **({"world_quantity": float(world)} if with_world else {}), "source_ids": [SRC]}
                for c, q in zip(countries, qs)]
    shares = draw(st.lists(st.integers(1, 100), min_size=len(countries), max_size=len(countries)))
    scale = max(100, sum(shares))
    return [{"type": "PRODUCES", "from": f"country:{c}", "to": item, "stage": stage, "year": 2024,
             "share": s / scale, "source_ids": [SRC]} for c, s in zip(countries, shares)]


@st.composite
def exposure_graph(draw: Any, owned: bool = False) -> list[dict[str, Any]]:
    """A good with 1-3 inputs, random production, trade and supplier imports; with `owned`, one
    input only and a Chinese-owned mine in a supplier country (so ownership sets c_k)."""
    recs = _base()
    recs.append({"type": "Product", "id": "product:g", "name": "Good", "source_ids": [SRC]})
    recs.append({"type": "HSCode", "id": "hs:850760", "name": "good", "code": "850760", "source_ids": [SRC]})
    recs.append({"type": "CLASSIFIED_AS", "from": "product:g", "to": "hs:850760", "source_ids": [SRC]})
    n_inputs = 1 if owned else draw(st.integers(1, 3))
    inputs = [f"material:m{i}" for i in range(n_inputs)]
    nested = draw(st.booleans())
    if nested:   # g -> sub -> last input: a two-level bill of materials
        recs.append({"type": "Product", "id": "product:sub", "name": "Sub", "source_ids": [SRC]})
        recs.append({"type": "REQUIRES", "from": "product:g", "to": "product:sub", "source_ids": [SRC]})
    for i, m in enumerate(inputs):
        code = INPUT_CODES[i]
        recs.append({"type": "Material", "id": m, "name": f"M{i}", "source_ids": [SRC]})
        recs.append({"type": "HSCode", "id": f"hs:{code}", "name": code, "code": code, "source_ids": [SRC]})
        recs.append({"type": "CLASSIFIED_AS", "from": m, "to": f"hs:{code}", "source_ids": [SRC]})
        stage = draw(st.sampled_from([None, "mining", "refining"]))
        parent = "product:sub" if nested and i == n_inputs - 1 else "product:g"
        recs.append({"type": "REQUIRES", "from": parent, "to": m, "source_ids": [SRC],
                     **({"stage": stage} if stage else {})})
        for stg in draw(st.lists(st.sampled_from(["mining", "refining"]), max_size=2, unique=True)):
            recs += [r for r in draw(production(m, stg)) if not (owned and r["from"] == "country:CHN")]
        # some suppliers report their own imports of the input
        for k in draw(st.lists(st.sampled_from(SUPPLIERS), max_size=0 if owned else 2, unique=True)):
            known = 0.0
            for j in draw(st.lists(st.sampled_from([c for c in POOL if c != k]), min_size=1,
                                   max_size=3, unique=True)):
                value = float(draw(st.integers(1, 100)))
                known += value
                recs.append({"type": "EXPORTS_TO", "from": f"country:{j}", "to": f"country:{k}",
                             "hs_code": code, "year": 2024, "value_usd": value,
                             "flow_basis": "imports", "source_ids": [SRC]})
            # k's total of the input: its known partners plus some it has not named
            recs.append({"type": "IMPORTS", "from": f"country:{k}", "to": f"hs:{code}", "year": 2024,
                         "value_usd": known + float(draw(st.integers(0, 100))),
                         "flow_basis": "imports", "source_ids": [SRC]})
    suppliers = draw(st.lists(st.sampled_from(SUPPLIERS), min_size=1, max_size=5, unique=True))
    for k in suppliers:
        recs.append({"type": "EXPORTS_TO", "from": f"country:{k}", "to": "country:USA",
                     "hs_code": "850760", "year": 2024, "value_usd": float(draw(st.integers(1, 1000))),
                     "flow_basis": draw(st.sampled_from(["imports", "imports", "mirror"])),
                     "source_ids": [SRC]})
    if owned or draw(st.booleans()):   # a Chinese-owned mine in a supplier country
        k = draw(st.sampled_from([s for s in suppliers if s != "CHN"] or ["KOR"]))
        if k not in suppliers:
            recs.append({"type": "EXPORTS_TO", "from": f"country:{k}", "to": "country:USA",
                         "hs_code": "850760", "year": 2024, "value_usd": 10.0,
                         "flow_basis": "imports", "source_ids": [SRC]})
        m = draw(st.sampled_from(inputs))
        share = draw(st.sampled_from([None, 0.25, 0.5, 1.0]))
        recs += [
            {"type": "Firm", "id": "firm:cn", "name": "CN firm", "source_ids": [SRC]},
            {"type": "Firm", "id": "firm:local", "name": "Local holding", "source_ids": [SRC]},
            {"type": "HEADQUARTERED_IN", "from": "firm:cn", "to": "country:CHN", "source_ids": [SRC]},
            {"type": "HEADQUARTERED_IN", "from": "firm:local", "to": f"country:{k}", "source_ids": [SRC]},
            {"type": "Facility", "id": "facility:mine", "name": "Mine", "source_ids": [SRC]},
            {"type": "LOCATED_IN", "from": "facility:mine", "to": f"country:{k}", "source_ids": [SRC]},
            {"type": "OWNS", "from": "firm:cn", "to": "firm:local", "source_ids": [SRC],
             **({"share": share} if share is not None else {})},
            {"type": "OWNS", "from": "firm:local", "to": "facility:mine", "share": 0.5, "source_ids": [SRC]},
            {"type": "PRODUCES", "from": "facility:mine", "to": m, "stage": "mining", "year": 2024,
             "quantity": float(draw(st.integers(50, 400))), "unit": "t", "source_ids": [SRC]},
        ]
        national = [r for r in recs if r["type"] == "PRODUCES" and r["from"] == f"country:{k}"
                    and r["to"] == m and r["stage"] == "mining"]
        if not national:
            recs.append({"type": "PRODUCES", "from": f"country:{k}", "to": m, "stage": "mining",
                         "year": 2024, "quantity": float(draw(st.integers(100, 400))), "unit": "t",
                         "source_ids": [SRC]})
    # the US totals of the good, one per reporting basis that has flows, above the known flows
    for basis in sorted({r["flow_basis"] for r in recs if r["type"] == "EXPORTS_TO"
                         and r["to"] == "country:USA"}):
        known = sum(r["value_usd"] for r in recs if r["type"] == "EXPORTS_TO"
                    and r["to"] == "country:USA" and r["flow_basis"] == basis)
        recs.append({"type": "IMPORTS", "from": "country:USA", "to": "hs:850760", "year": 2024,
                     "value_usd": known + float(draw(st.integers(0, 1000))), "flow_basis": basis,
                     "source_ids": [SRC]})
    return recs


@pytest.mark.slow     # fuzzing: 40 random graphs, each loaded into the store
@SETTINGS
@given(graph=st.one_of(exposure_graph(), exposure_graph(owned=True)))
def test_lookthrough_matches_oracle_on_random_graphs(embedded_store: Any, tmp_path: Path,
                                                     graph: list[dict[str, Any]]) -> None:
    _load(embedded_store, tmp_path, graph)
    expected = oracle.china_exposure(oracle.World.of(graph))
    rows = {r["item_id"]: r for r in run_query(embedded_store, "china-exposure", {})[1]}
    assert set(rows) == set(expected)
    for item, exp in expected.items():
        assert rows[item]["direct_share"] == pytest.approx(exp["direct"]), item
        assert rows[item]["lookthrough_share"] == pytest.approx(exp["lookthrough"]), item
        assert rows[item]["direct_share"] <= rows[item]["lookthrough_share"] + 1e-12 <= 1 + 1e-9


@pytest.mark.slow     # fuzzing: 40 random graphs, each loaded into the store
@SETTINGS
@given(rows=production("material:m0", "mining"))
def test_hhi_matches_oracle_on_random_graphs(embedded_store: Any, tmp_path: Path,
                                             rows: list[dict[str, Any]]) -> None:
    graph = _base() + [{"type": "Material", "id": "material:m0", "name": "M0", "source_ids": [SRC]}] + rows
    _load(embedded_store, tmp_path, graph)
    [got] = run_query(embedded_store, "concentration", {"material": "m0"})[1]
    _, shares = oracle.World.of(graph).country_shares("material:m0", "mining")
    assert got["hhi"] == pytest.approx(oracle.hhi(shares.values()))
    assert got["top_share"] == pytest.approx(max(shares.values()))
    assert got["producers"] == len(shares)
    assert got["hhi_band"] == ("highly concentrated" if got["hhi"] > 1800 else
                               "moderately concentrated" if got["hhi"] >= 1000 else "unconcentrated")
