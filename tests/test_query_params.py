"""Strict query parameters (kg.query_params): bad ranges, dates, choices and unknown ids are usage
errors (exit 2) naming the parameter; unknown ids come with the nearest valid ones; `kg ids`
lists the valid ids; query files carry the Neo4j Browser `:param` lines of their defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kg import query_fragments
from kg.api import import_records
from kg.errors import UsageError
from kg.queries import list_queries, param_lines, run_query
from kg.query_params import nearest

FIX = Path(__file__).parent / "fixtures" / "queries"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def graph(store: Any) -> Any:
    import_records(store, [FIX / "base.jsonl", FIX / "bom.jsonl"])
    return store


@pytest.mark.parametrize("query, params, message", [
    ("export-control-impact", {"as_of": "2025-13-45"}, "as_of must be a date YYYY-MM-DD"),
    ("export-control-impact", {"as_of": "2025-2-1"}, "as_of must be a date YYYY-MM-DD"),
    ("what-if-cutoff", {"threshold": "5"}, "threshold must be between 0 and 1"),
    ("what-if-cutoff", {"threshold": "-0.1"}, "threshold must be between 0 and 1"),
    ("single-points-of-failure", {"threshold": "nan"}, "threshold.* must be (float|a finite number)"),
    ("chinese-controlled-abroad", {"min_ownership": "inf"}, "min_ownership.* must be (float|a finite number)"),
    ("concentration", {"year": "20245"}, "year must be between 1900 and 2100"),
    ("concentration", {"stage": "smelting"}, "stage must be one of mining"),
    ("classification-gaps", {"issue": "shared"}, "issue must be one of shared-code"),
    ("china-exposure", {"max_depth": "9"}, "max_depth must be between 1 and 4"),
])
def test_bad_values_are_usage_errors_before_the_store_is_touched(query: str, params: dict[str, str],
                                                                 message: str) -> None:
    with pytest.raises(UsageError, match=message) as err:
        list_queries()[query].bind(params)
    assert err.value.exit_code == 2


def test_good_values_pass(graph: Any) -> None:
    for query, params in [("export-control-impact", {"as_of": "2024-02-29"}),
                          ("what-if-cutoff", {"threshold": "0", "country": "country:CHN"}),
                          ("what-if-cutoff", {"threshold": "1.0", "country": "CHN"}),
                          ("concentration", {"material": "Rare earths", "stage": "mining"}),
                          ("concentration", {"material": "material:rare-earths"}),
                          ("single-points-of-failure", {"product": "ndfeb-magnet"})]:
        run_query(graph, query, params)


@pytest.mark.parametrize("query, params, message, suggestion", [
    ("what-if-cutoff", {"country": "China"}, "parameter country: no Country 'China'",
     "country:CHN (China)"),
    ("concentration", {"material": "unobtainium"}, "no Material or Product 'unobtainium'", None),
    ("concentration", {"material": "lithum"}, "no Material or Product 'lithum'",
     "material:lithium (Lithium)"),
    ("single-points-of-failure", {"product": "ndfeb-magnets"}, "no Product 'ndfeb-magnets'",
     "product:ndfeb-magnet"),
    ("china-exposure", {"importer": "usa"}, "parameter importer: no Country 'usa'",
     "country:USA (United States)"),
    ("diversification", {"partner": "XXX"}, "parameter partner: no Country 'XXX'", None),
])
def test_unknown_ids_are_usage_errors_with_the_nearest_ids(graph: Any, query: str,
                                                           params: dict[str, str], message: str,
                                                           suggestion: str | None) -> None:
    with pytest.raises(UsageError, match=message) as err:
        run_query(graph, query, params)
    assert err.value.exit_code == 2 and "kg ids" in str(err.value)
    if suggestion:
        assert suggestion in str(err.value).split("nearest: ", 1)[1]


def test_defaults_are_not_checked_against_the_graph(store: Any) -> None:
    # an empty graph has no USA, yet the defaults run (and return nothing)
    assert run_query(store, "china-exposure", {})[1] == []


def test_nearest_ranks_by_id_suffix_and_name() -> None:
    known = [{"id": "country:CHN", "name": "China"}, {"id": "country:CHL", "name": "Chile"},
             {"id": "country:USA", "name": "United States"}]
    assert nearest("China", known)[0] == "country:CHN (China)"
    assert nearest("chl", known)[0] == "country:CHL (Chile)"
    assert nearest("zzzzzz", known) == []


def test_cli_exit_codes_and_kg_ids(tmp_path: Path) -> None:
    # a private home (its own embedded server), so the session's shared graph stays as it was
    env = {**os.environ, "KG_HOME": str(tmp_path / "home")}

    def kg(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True,
                              env=env, timeout=300)
    try:
        assert kg("import", str(FIX / "base.jsonl"), str(FIX / "bom.jsonl")).returncode == 0
        for args, message in [(("-p", "country=China"), "nearest: country:CHN (China)"),
                              (("-p", "threshold=5"), "between 0 and 1"),
                              (("-p", "threshold=nan"), "nan")]:
            r = kg("query", "what-if-cutoff", *args)
            assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr
        r = kg("query", "export-control-impact", "-p", "as_of=2025-13-45")
        assert r.returncode == 2 and "YYYY-MM-DD" in r.stderr
        r = kg("ids", "country", "--format", "json")
        assert r.returncode == 0, r.stderr
        rows = json.loads(r.stdout)
        assert {"id": "country:CHN", "name": "China"} in rows
        assert [x["id"] for x in rows] == sorted(x["id"] for x in rows)
        r = kg("ids", "material", "--search", "NDPR", "--format", "json")
        assert [x["id"] for x in json.loads(r.stdout)] == ["product:ndpr-oxide"]
        assert kg("ids", "planet").returncode == 2
    finally:
        kg("store", "stop")


def test_query_files_carry_the_browser_param_lines() -> None:
    for name, query in list_queries().items():
        lines = query.cypher.splitlines()
        start = lines.index(query_fragments.BROWSER_HEAD)
        assert lines[start + 1:start + 1 + len(query.params)] == \
            [f"// {line}" for line in param_lines(query)], name
        assert not lines[start + 1 + len(query.params)].startswith("//"), name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ":param" in readme and "runs as is when\npasted" not in readme
