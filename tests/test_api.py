"""The notebook API: kg.open_store() -> Graph with query/cypher/build, Rows.df()."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import kg
from kg.api import Graph, Rows
from kg.errors import StoreError, UsageError

from .conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent


def test_graph_facade(embedded_store):
    g = Graph(embedded_store)
    g.import_records(FIXTURES / "records" / "small.jsonl")
    rows = g.query("concentration", material="rare-earths", year=2024)
    assert isinstance(rows, Rows) and len(rows) == 1
    assert rows[0]["top_share"] == pytest.approx(270000 / 390000)
    assert rows.columns[:3] == ["material", "stage", "year"]
    assert g.cypher("MATCH (c:Country {id: $id}) RETURN c.name AS name", id="country:CHN") == [{"name": "China"}]
    assert g.stats()["nodes"]["Country"] == 3             # store methods pass through
    assert kg.run_query(g, "concentration", material="gallium")[0]["top_country"] == "China"
    with pytest.raises(UsageError):
        g.query("concentration", year="last")
    with pytest.raises(StoreError):
        g.cypher("CREATE (:X)")


def test_rows_dataframe():
    pd = pytest.importorskip("pandas", reason="pandas is the optional 'pandas' extra")
    df = Rows([{"a": 1, "b": 2}], ["a", "b"]).df()
    assert isinstance(df, pd.DataFrame) and df.to_dict("records") == [{"a": 1, "b": 2}]


@pytest.mark.slow     # builds the bundled snapshot in a fresh home, as a reader would
def test_example_notebook_runs(tmp_path):
    env = {**os.environ, "KG_HOME": str(tmp_path / "home")}
    try:
        r = subprocess.run([sys.executable, str(ROOT / "docs" / "examples" / "notebook.py")],
                           capture_output=True, text=True, env=env, timeout=600)
        assert r.returncode == 0, r.stderr
        assert "built " in r.stdout
        line = next(x for x in r.stdout.splitlines() if x.startswith("mining"))
        assert "China" in line and "69.2 %" in line
    finally:
        subprocess.run([sys.executable, "-m", "kg", "store", "stop"], env=env, capture_output=True)
