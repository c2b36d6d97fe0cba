"""Validation refuses what the store would refuse or silently change, reports every error of a
load at once, and checks a load against what the graph already holds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kg import api
from kg.errors import DataError, ValidationErrors

from .conftest import write_jsonl

SID = ["source:t"]
SOURCE = {"type": "Source", "id": "source:t", "name": "T", "title": "Test figures", "publisher": "Us",
          "url": "https://example.org/t", "license": "CC0-1.0", "retrieved": "2025-01-01"}
CHN = {"type": "Country", "id": "country:CHN", "name": "China", "source_ids": SID}
AUS = {"type": "Country", "id": "country:AUS", "name": "Australia", "source_ids": SID}
GA = {"type": "Material", "id": "material:gallium", "name": "Gallium", "source_ids": SID}


def produces(country: str, share: object, **extra: object) -> dict:
    return {"type": "PRODUCES", "from": country, "to": "material:gallium", "stage": "refining",
            "year": 2024, "share": share, "source_ids": SID, **extra}


def raw_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def base_lines() -> list[str]:
    return [json.dumps(r) for r in (SOURCE, CHN, AUS, GA)]


@pytest.mark.parametrize("line, field, words", [
    (json.dumps(produces("country:CHN", 0.5, notes="bad\u0000text")), "notes", "NUL character"),
    ('{"type":"PRODUCES","from":"country:CHN","to":"material:gallium","stage":"refining",'
     '"year":2024,"quantity":Infinity,"unit":"t","source_ids":["source:t"]}', None, "Infinity"),
    ('{"type":"PRODUCES","from":"country:CHN","to":"material:gallium","stage":"refining",'
     '"year":2024,"quantity":1e400,"unit":"t","source_ids":["source:t"]}', "quantity", "finite"),
    ('{"type":"PRODUCES","from":"country:CHN","to":"material:gallium","stage":"refining",'
     '"year":2024,"share":NaN,"source_ids":["source:t"]}', None, "NaN"),
    (json.dumps(produces("country:CHN", True)), "share", "boolean"),
    (json.dumps(produces("country:CHN", "0.5")), "share", "expected a number"),
    (json.dumps({**produces("country:CHN", 0.5), "year": 2024.0}), "year", "whole number"),
    (json.dumps(produces("country:CHN", 0.5, notes="\ud800")), "notes", "surrogate"),
    ('{"type":"Country","id":"country:AUS","name":"A","name":"B","source_ids":["source:t"]}', None,
     "duplicate key 'name'"),
    (json.dumps({**GA, "source_ids": ["country:CHN"]}), "source_ids", "not a Source id"),
])
def test_values_the_store_would_refuse_are_refused_by_line(embedded_store, tmp_path, line, field, words):
    path = raw_lines(tmp_path / "bad.jsonl", [*base_lines(), line])
    with pytest.raises(DataError) as err:
        api.import_records(embedded_store, [path])
    first = str(err.value).splitlines()[0]
    assert first.startswith(f"{path}:5: " + (f"{field}: " if field else "")), first
    assert words in str(err.value)
    assert embedded_store.stats() == {"nodes": {}, "relationships": {}}


def test_every_error_of_a_file_at_once_grouped_by_field(embedded_store, tmp_path):
    lines = base_lines() + [
        json.dumps(produces("country:CHN", 1.5)),                # line 5: share > 1
        json.dumps({**produces("country:AUS", 0.1), "year": 1800}),   # 6: year
        "{not json",                                             # 7: JSON
        json.dumps(produces("country:CHN", 2.0, stage="mining")),  # 8: share again
        json.dumps({"type": "Material", "id": "material:x", "source_ids": SID}),  # 9: name
    ]
    path = raw_lines(tmp_path / "many.jsonl", lines)
    with pytest.raises(ValidationErrors) as err:
        api.import_records(embedded_store, [path])
    text = str(err.value)
    got = [line for line in text.splitlines() if line.startswith(str(path))]
    assert [line.split(":")[1] for line in got] == ["5", "8", "7", "9", "6"]   # share first (2)
    assert text.splitlines()[-1].startswith("5 errors in 5 records, nothing written (by field: share 2")
    assert embedded_store.stats() == {"nodes": {}, "relationships": {}}
    with pytest.raises(ValidationErrors) as err:
        api.import_records(embedded_store, [path], max_errors=2)
    assert "reading stopped at 2 errors" in str(err.value)
    assert len([x for x in str(err.value).splitlines() if x.startswith(str(path))]) == 2


def test_all_errors_on_the_command_line(kg, tmp_path):
    lines = base_lines() + [json.dumps(produces("country:CHN", 1.5)),
                            json.dumps(produces("country:AUS", True))]
    path = raw_lines(tmp_path / "two.jsonl", lines)
    r = kg("import", "--max-errors", "10", str(path))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{path}:5: share:" in r.stderr and f"{path}:6: share:" in r.stderr


def test_shares_are_checked_against_the_graph(embedded_store, tmp_path):
    first = write_jsonl(tmp_path / "first.jsonl", [SOURCE, CHN, AUS, GA, produces("country:CHN", 0.9)])
    api.import_records(embedded_store, [first])
    # another country's 0.9 for the same material, stage and year: 1.8 with what the graph holds
    second = write_jsonl(tmp_path / "second.jsonl", [produces("country:AUS", 0.9)])
    with pytest.raises(DataError, match=r"sum to 1\.800 with the 1 figures the graph already holds"):
        api.import_records(embedded_store, [second])
    # restating the figure the graph holds replaces it: 0.9 counts once, not twice
    again = write_jsonl(tmp_path / "again.jsonl", [produces("country:CHN", 0.9)])
    api.import_records(embedded_store, [again])
    # a correction that brings the sum within 1 is accepted in one load
    fixed = write_jsonl(tmp_path / "fixed.jsonl", [produces("country:CHN", 0.6),
                                                    produces("country:AUS", 0.4)])
    api.import_records(embedded_store, [fixed])
    rows = embedded_store.read("MATCH (c)-[r:PRODUCES]->() RETURN c.id AS c, r.share AS s ORDER BY c")
    assert rows == [{"c": "country:AUS", "s": 0.4}, {"c": "country:CHN", "s": 0.6}]


def test_source_ids_must_name_a_source_node(embedded_store, tmp_path):
    api.import_records(embedded_store, [write_jsonl(tmp_path / "a.jsonl", [SOURCE, CHN, GA])])
    missing = write_jsonl(tmp_path / "b.jsonl", [{**AUS, "source_ids": ["source:nowhere"]}])
    with pytest.raises(DataError, match="'source:nowhere' is not a Source record"):
        api.import_records(embedded_store, [missing])


def test_floats_and_big_integers_round_trip_through_validation():
    from kg.records_io import parse_json_line
    line = '{"share": 0.1234567890123456789, "q": 1234567.8901234567}'
    data = parse_json_line(line)
    assert data["share"] == 0.12345678901234568 and data["q"] == 1234567.8901234567


def test_every_promised_extension_in_a_directory(embedded_store, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_jsonl(folder / "a.JSONL", [SOURCE])
    write_jsonl(folder / "b.ndjson", [CHN])
    (folder / "Material.csv").write_text("id,name,source_ids\nmaterial:gallium,Gallium,source:t\n")
    (folder / "notes.txt").write_text("not records")
    report = api.import_records(embedded_store, [folder])
    assert report.records == 3
    assert embedded_store.stats()["nodes"] == {"Country": 1, "Material": 1, "Source": 1}


def test_empty_input_is_an_error(kg, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = kg("import", str(empty))
    assert r.returncode == 1 and "no records files" in r.stderr and "Traceback" not in r.stderr
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n\n")
    r = kg("import", str(blank))
    assert r.returncode == 1 and "holds no records" in r.stderr


def test_fifo_is_refused_not_waited_on(kg, tmp_path):
    fifo = tmp_path / "x.jsonl"
    os.mkfifo(fifo)
    # if the import opened the FIFO it would block; a writer that never comes proves it did not
    r = kg("import", str(fifo))
    assert r.returncode == 1 and "not a regular file" in r.stderr


def test_deep_nesting_is_a_clean_error(kg, tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text("[" * 100_000 + "\n")
    r = kg("import", str(path))
    assert r.returncode == 1 and "nested too deeply" in r.stderr and "Traceback" not in r.stderr


def test_nan_query_parameter_is_a_usage_error(kg):
    r = kg("query", "what-if-cutoff", "-p", "threshold=nan")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "threshold" in r.stderr and "finite number" in r.stderr



# 17 significant digits each; FalkorDB replies with 15 (docs/guarantees.md, "Inputs").
LONG_SHARE, LONG_QUANTITY, LONG_SOURCE_SHARE = 0.12345678901234568, 1234567.8901234567, 0.30000000000000004


def fifteen_digits(value: float) -> float:
    """Round to 15 significant digits from the float's exact binary value, half to even."""
    import decimal
    return float(decimal.Context(prec=15, rounding=decimal.ROUND_HALF_EVEN).create_decimal(value))


def test_fifteen_digits_agrees_with_hand_rounding():
    assert fifteen_digits(LONG_SHARE) == 0.123456789012346
    assert fifteen_digits(LONG_QUANTITY) == 1234567.89012346
    assert fifteen_digits(LONG_SOURCE_SHARE) == 0.3


def export_text(store) -> str:
    import io
    out = io.StringIO()
    api.export_jsonl(store, out)
    return out.getvalue()


def test_floats_round_trip_exactly_through_the_store(embedded_store, kg_home, tmp_path):
    from kg.store.falkordb import FalkorDBStore
    usa = {"type": "Country", "id": "country:USA", "name": "United States", "source_ids": SID}
    reliance = {"type": "IMPORT_RELIANCE", "from": "country:USA", "to": "material:gallium", "year": 2024,
                "net_import_reliance": 1, "sources": ["CHN", "AUS"],
                "source_shares": [LONG_SOURCE_SHARE, 0.5], "source_ids": SID}
    original = write_jsonl(tmp_path / "original.jsonl", [
        SOURCE, CHN, AUS, usa, GA, reliance,
        produces("country:CHN", LONG_SHARE, quantity=LONG_QUANTITY, unit="t")])
    first = api.import_records(embedded_store, [original])
    assert first.nodes_created == 5 and first.relationships_created == 2

    # what is stored is what is read back: the value read matches itself in the store
    rows = embedded_store.read("MATCH ()-[r:PRODUCES]->() RETURN r.share AS s, r.quantity AS q")
    assert rows == [{"s": fifteen_digits(LONG_SHARE), "q": fifteen_digits(LONG_QUANTITY)}]
    same = embedded_store.read("MATCH ()-[r:PRODUCES]->() WHERE r.share = $s AND r.quantity = $q "
                               "RETURN count(r) AS n", {"s": rows[0]["s"], "q": rows[0]["q"]})
    assert same == [{"n": 1}]
    shares = embedded_store.read("MATCH ()-[r:IMPORT_RELIANCE]->() RETURN r.source_shares AS s")
    assert shares == [{"s": [fifteen_digits(LONG_SOURCE_SHARE), 0.5]}]

    # export -> import into a fresh graph -> export: byte-identical, holding the rounded values
    exported = export_text(embedded_store)
    (tmp_path / "export.jsonl").write_text(exported, encoding="utf-8")
    produced = [json.loads(x) for x in exported.splitlines() if '"PRODUCES"' in x]
    assert produced[0]["share"] == fifteen_digits(LONG_SHARE) != LONG_SHARE
    assert produced[0]["quantity"] == fifteen_digits(LONG_QUANTITY) != LONG_QUANTITY
    fresh = FalkorDBStore(embedded_store.info, kg_home, graph=embedded_store.graph_name + "_b")
    try:
        api.import_records(fresh, [tmp_path / "export.jsonl"])
        assert export_text(fresh) == exported
        # the two graphs hold equal values: the exported share finds its fact in both
        for store in (embedded_store, fresh):
            n = store.read("MATCH ()-[r:PRODUCES]->() WHERE r.share = $s RETURN count(r) AS n",
                           {"s": produced[0]["share"]})
            assert n == [{"n": 1}]
    finally:
        if fresh._exists():
            fresh.graph.delete()
        fresh.close()

    # loading the original again, or the export, changes nothing
    for path in (original, tmp_path / "export.jsonl"):
        again = api.import_records(embedded_store, [path])
        assert (again.nodes_created, again.relationships_created) == (0, 0)
        assert (again.nodes, again.relationships) == (5, 2)
        assert export_text(embedded_store) == exported


def test_a_line_cut_short_names_the_column_where_it_ends(tmp_path):
    """The strict decoder is given the line without its newline: an error at the end of the line
    names that column (38 here, counted by hand), not column 1 of a line after it."""
    from kg.errors import collecting
    from kg.records_io import read_paths
    path = tmp_path / "cut.jsonl"
    path.write_text('{"type":"Country","id":"country:ZZZ",\n', encoding="utf-8")
    with collecting(10) as log:
        assert list(read_paths([path])) == []
    assert [str(e) for e in log.errors] == [
        f"{path}:1: invalid JSON: Expecting property name enclosed in double quotes (column 38)"]
