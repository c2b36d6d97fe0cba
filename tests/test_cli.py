"""The CLI contract (docs/architecture.md, "CLI contract"): commands, formats, exit codes, clean errors."""

from __future__ import annotations

import csv
import io
import json
import os
import sys

import pytest

from .conftest import FIXTURES

SMALL = FIXTURES / "records" / "small.jsonl"


def test_import_query_stats_export(kg, tmp_path):
    r = kg("import", str(SMALL))
    assert r.returncode == 0, r.stderr
    r = kg("query", "concentration", "-p", "material=rare-earths", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    # by hand: 270 000 / 390 000 t (USGS MCS 2025 world total), HHI over the three countries listed
    row = next(x for x in rows if x["stage"] == "mining")
    assert row["year"] == 2024 and row["top_country"] == "China"
    assert row["top_share"] == pytest.approx(270000 / 390000, rel=1e-9)
    expected_hhi = sum((q / 390000 * 100) ** 2 for q in (270000, 45000, 31000))
    assert row["hhi"] == pytest.approx(expected_hhi, rel=1e-9)
    assert row["producers"] == 3 and row["hhi_band"] == "highly concentrated"

    r = kg("query", "concentration", "-p", "material=rare-earths", "-p", "year=2023", "--format", "csv")
    assert r.returncode == 0, r.stderr
    table = list(csv.DictReader(io.StringIO(r.stdout)))
    assert table[0]["year"] == "2023" and float(table[0]["top_share"]) == pytest.approx(255000 / 376000)

    r = kg("query", "concentration")
    assert r.returncode == 0 and "Rare earths" in r.stdout and "69.2 %" in r.stdout

    r = kg("stats", "--format", "json")
    counts = json.loads(r.stdout)
    assert counts["relationships"]["PRODUCES"] >= 6 and counts["nodes"]["Country"] >= 3

    out = tmp_path / "out.jsonl"
    r = kg("export", "--format", "jsonl", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert sum(1 for _ in out.open()) == sum(counts["nodes"].values()) + sum(counts["relationships"].values())


@pytest.mark.parametrize("args, code, message", [
    (("query", "no-such-query"), 2, "unknown query 'no-such-query'"),
    (("query", "concentration", "-p", "year=soon"), 2, "parameter 'year' of 'concentration' must be int"),
    (("query", "concentration", "-p", "colour=red"), 2, "has no parameter colour"),
    (("query", "concentration", "-p", "year"), 2, "must be key=value"),
    (("query", "concentration", "--format", "xml"), 2, "Invalid value"),
    (("frobnicate",), 2, "No such command"),
])
def test_usage_errors_exit_2(kg, args, code, message):
    r = kg(*args)
    assert r.returncode == code
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_input_exits_1_naming_file_line_field(kg, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type":"Source","id":"source:t","name":"T","title":"t","publisher":"p",'
                   '"url":"u","license":"l","retrieved":"2025-01-01"}\n'
                   '{"type":"Material","id":"material:x","name":"X","kind":"vegetable",'
                   '"source_ids":["source:t"]}\n')
    before = kg("stats", "--format", "json").stdout
    r = kg("import", str(bad))
    assert r.returncode == 1
    assert f"{bad}:2: kind: unknown material kind 'vegetable'" in r.stderr
    assert kg("stats", "--format", "json").stdout == before
    r = kg("import", str(tmp_path / "missing.jsonl"))
    assert r.returncode == 1 and "no such file" in r.stderr


def test_queries_lists_parameters(kg):
    r = kg("queries", "--format", "json")
    assert r.returncode == 0
    entry = next(q for q in json.loads(r.stdout) if q["name"] == "concentration")
    assert "year: int = null" in entry["parameters"]
    assert {"material", "stage", "year", "top_country", "top_share", "hhi"} <= set(entry["returns"])


def test_progress_only_on_a_terminal(kg, kg_home, tmp_path):
    import pty
    big = tmp_path / "big.jsonl"
    rows = [json.loads(x) for x in SMALL.read_text().splitlines()[:2]]
    rows += [{"type": "Material", "id": f"material:p{i}", "name": f"P{i}",
              "source_ids": ["source:usgs-mcs-2025"]} for i in range(20000)]
    big.write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = kg("import", str(big))
    assert r.returncode == 0 and r.stderr == ""          # not a terminal: quiet
    env = {**os.environ, "KG_HOME": str(kg_home), "COLUMNS": "100"}
    pid, fd = pty.fork()
    if pid == 0:   # child: stdout and stderr are the pseudo-terminal
        os.execve(sys.executable, [sys.executable, "-m", "kg", "import", str(big)], env)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    text = out.decode(errors="replace")
    assert "validating records" in text or "writing" in text
    r = kg("--quiet", "import", str(big))
    assert r.returncode == 0 and r.stderr == ""


def test_verbose_shows_the_cause_of_an_error(kg, tmp_path):
    """-v prints the traceback with the underlying exception; without it, only the message."""
    bad = tmp_path / "broken.ttl"
    bad.write_text("<https://w3id.org/chokepoint/id/country/CHN> <broken\n", encoding="utf-8")
    quiet = kg("import", str(bad))
    assert quiet.returncode == 1 and f"{bad}: invalid Turtle" in quiet.stderr
    assert "Traceback" not in quiet.stderr
    loud = kg("-v", "import", str(bad))
    assert loud.returncode == 1 and f"{bad}: invalid Turtle" in loud.stderr
    assert "SyntaxError" in loud.stderr and "direct cause of the following exception" in loud.stderr
