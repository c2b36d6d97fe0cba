"""Every stored query is valid Neo4j 5 Cypher and plans on FalkorDB (docs/architecture.md,
"Portable Cypher").

1. Neo4j's own Cypher front end (`@neo4j-cypher/language-support`, pinned in package.json, run by
   `tests/cypher_lint.mjs` as one process per session: the `cypher_lint` fixture) reports no error
   for any file in `queries/`. Without node or the package the test skips with the fix, except in
   CI (`CI` set), where it fails.
2. FalkorDB's `GRAPH.EXPLAIN` plans every query (with its default parameters) without running it.

Each check also runs on a planted bad query, so a linter or planner that silently accepts
everything cannot pass.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kg.errors import StoreError
from kg.queries import list_queries
from kg.store import derived

ROOT = Path(__file__).resolve().parents[1]
LINTER = Path(__file__).with_name("cypher_lint.mjs")
QUERIES = ROOT / "queries"
BAD = """// a planted error: m is not defined
MATCH (n:Material) RETURN m.name AS name
"""


@pytest.fixture(scope="module")
def lint_report(cypher_lint: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    bad = tmp_path_factory.mktemp("lint") / "planted-error.cypher"
    bad.write_text(BAD, encoding="utf-8")
    report: dict[str, Any] = cypher_lint.lint(QUERIES, bad)
    report["bad_file"] = str(bad)
    return report


@pytest.mark.slow     # a second node process: its start-up is what the session linter saves
def test_the_command_line_linter_agrees_with_the_session_linter(cypher_lint: Any, tmp_path: Path) -> None:
    """`cypher_lint.mjs` run as a command (npm run lint:cypher) reports what the server mode does."""
    bad = tmp_path / "planted-error.cypher"
    bad.write_text(":param x => 1;\n" + BAD, encoding="utf-8")
    proc = subprocess.run(["node", str(LINTER), "--json", "--no-apoc", str(bad)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout) == cypher_lint.lint(bad)
    assert cypher_lint.lint(bad)["diagnostics"][0]["line"] == 3      # shifted past the :param line


def test_stored_queries_pass_neo4j_cypher_front_end(lint_report: dict[str, Any]) -> None:
    ours = [d for d in lint_report["diagnostics"] if d["file"] != lint_report["bad_file"]]
    errors = [f"{Path(d['file']).name}:{d['line']}:{d['col']}: {d['message']}"
              for d in ours if d["severity"] == "error"]
    assert not errors, "Neo4j's Cypher front end rejects:\n" + "\n".join(errors)
    assert lint_report["files"] == len(list(QUERIES.glob("*.cypher"))) + 1


def test_linter_reports_a_planted_error(lint_report: dict[str, Any]) -> None:
    planted = [d for d in lint_report["diagnostics"]
               if d["file"] == lint_report["bad_file"] and d["severity"] == "error"]
    assert planted and "not defined" in planted[0]["message"]


def _with_defaults(query: Any) -> str:
    """FalkorDB plans parameters only when they are given: prefix the CYPHER parameter header."""
    from falkordb.helpers import stringify_param_value
    header = " ".join(f"{name}={stringify_param_value(p.default)}"
                      for name, p in query.params.items())
    return (f"CYPHER {header} " if header else "") + query.body


@pytest.mark.parametrize("name", sorted(list_queries()))
def test_stored_query_plans_on_falkordb(embedded_store: Any, name: str) -> None:
    plan = embedded_store.explain(_with_defaults(list_queries()[name]))
    assert plan


def test_falkordb_planner_rejects_non_portable_cypher(embedded_store: Any) -> None:
    for bad in ("MATCH (n) WHERE EXISTS { MATCH (n)-->() } RETURN n",
                "MATCH (n) RETURN round(n.x, 2)",
                "MATCH (n:Material|Product) RETURN n"):
        with pytest.raises((StoreError, Exception)):
            embedded_store.explain(bad)


def test_the_derivations_are_portable_cypher(cypher_lint: Any, embedded_store: Any) -> None:
    """The statements that derive the aggregates queries read (kg/store/derived.py) run in
    Neo4j's write transaction too: Neo4j's own front end accepts them and FalkorDB plans them."""
    statements = derived.derivations() + [
        ("drop", derived.DROP), ("previous", derived.PREVIOUS), ("stamp", derived.STAMP),
        ("nodes", derived.NODE_COUNT), ("meta", derived.META_COUNT),
        ("relationships", derived.RELATIONSHIP_COUNT)]
    for name, cypher in statements:
        errors = [d for d in cypher_lint.lint_text(cypher) if d["severity"] == "error"]
        assert errors == [], f"{name}: {errors}"
        assert embedded_store.explain(cypher), name


def test_saved_answers_are_reused_only_under_the_same_linter_version() -> None:
    """Answers kept between sessions (pytest's cache) stand in for Node only while the linter
    script, the pinned package and the options are the ones that gave them."""
    import hashlib

    from .conftest import LINT_CACHE, _saved_lint_answers
    from .cypher_linter import CypherLinter, version_key

    text = "MATCH (n) RETURN m\n"
    planted = [{"line": 1, "col": 18, "severity": "error", "message": "planted"}]
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()

    class Cache(dict):
        def get(self, name, default):  # the two methods pytest's Cache offers that we use
            return super().get(name, default)

    class Config:
        cache = Cache({LINT_CACHE: {"version": version_key(), "answers": {key: planted}}})

    linter = CypherLinter(_saved_lint_answers(Config()))
    assert linter.lint_text(text) == planted and linter._proc is None    # no Node started
    Config.cache[LINT_CACHE]["version"] = "another linter"
    assert _saved_lint_answers(Config()) == {}
