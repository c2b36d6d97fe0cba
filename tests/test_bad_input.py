"""Bad-input catalogue: one case per class. Each names file:line:field, exits 1, writes nothing."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import DataError
from kg.models import parse_record
from kg.records_io import read_paths

from .conftest import FIXTURES

SMALL = FIXTURES / "records" / "small.jsonl"
SRC = '{"type":"Source","id":"source:t","name":"T","title":"t","publisher":"p","url":"https://x","license":"CC0","retrieved":"2025-01-01"}\n'
CHN = '{"type":"Country","id":"country:CHN","name":"China","source_ids":["source:t"]}\n'
GA = '{"type":"Material","id":"material:gallium","name":"Gallium","source_ids":["source:t"]}\n'


def produces(**kw) -> str:
    base = {"type": "PRODUCES", "from": "country:CHN", "to": "material:gallium", "stage": "refining",
            "year": 2024, "source_ids": ["source:t"]}
    return json.dumps({**base, **kw}) + "\n"


# (file name, bytes, expected line, expected field or None, words in the message)
CASES = {
    "csv-wrong-column-count": ("Material.csv",
                               b"id,name,source_ids\nmaterial:gallium,Gallium,source:t\nmaterial:x,X\n",
                               3, None, "expected 3 fields (as in the header), found 2"),
    "csv-bad-quoting": ("Material.csv",
                        b'id,name,source_ids\nmaterial:gallium,"Gal"lium",source:t\n',
                        2, None, "malformed CSV"),
    "wrong-encoding": ("records.jsonl", (SRC + CHN).encode() + 'X{"name":"Bor\xe5s"}\n'.encode("latin-1"),
                       3, None, "not UTF-8 text (byte 0xe5"),
    "unknown-country-code": ("records.jsonl",
                             (SRC + GA + produces(**{"from": "country:XYZ"})).encode(),
                             3, None, "'XYZ' is neither an ISO 3166-1 alpha-3 code nor a country group"),
    "share-outside-0-1": ("records.jsonl", (SRC + CHN + GA + produces(share=1.5)).encode(),
                          4, "share", "less than or equal to 1"),
    "shares-sum-above-1": ("records.jsonl",
                           (SRC + CHN + GA + produces(share=0.9)
                            + '{"type":"Country","id":"country:JPN","name":"Japan","source_ids":["source:t"]}\n'
                            + produces(**{"from": "country:JPN"}, share=0.4)).encode(),
                           4, "share", "sum to 1.300"),
    "negative-quantity": ("records.jsonl", (SRC + CHN + GA + produces(quantity=-5, unit="t")).encode(),
                          4, "quantity", "greater than or equal to 0"),
    "duplicate-id-conflict": ("records.jsonl",
                              (SRC + GA + '{"type":"Material","id":"material:gallium","name":"Galium","source_ids":["source:t"]}\n').encode(),
                              3, "name", "duplicate of line 2 with a different value"),
    "dangling-endpoint": ("records.jsonl", (SRC + GA + produces(**{"from": "country:NOR"})).encode(),
                          3, "from", "'country:NOR' is not a node"),
    "unknown-record-type": ("records.jsonl", (SRC + '{"type":"Mine","id":"mine:x"}\n').encode(),
                            2, "type", "unknown record type 'Mine'"),
    "date-not-iso": ("records.jsonl",
                     (SRC + '{"type":"ExportControl","id":"control:x","name":"X","instrument":"No. 1",'
                      '"effective":"01/12/2024","source_ids":["source:t"]}\n').encode(),
                     2, "effective", "is not an ISO date"),
    "huge-line": ("records.jsonl", SRC.encode() + b'{"type":"Material","name":"' + b"x" * (9 * 1024 * 1024) + b'"}\n',
                  2, None, "line longer than 8 MiB"),
    "empty-file": ("records.jsonl", b"", None, None, "the file holds no records"),
    "empty-csv": ("Material.csv", b"", None, None, "the file is empty"),
    "invalid-json": ("records.jsonl", (SRC + '{"type": "Material", "id": \n').encode(),
                     2, None, "invalid JSON"),
    "bad-unit": ("records.jsonl", (SRC + CHN + GA + produces(quantity=3, unit="lb")).encode(),
                 4, "unit", "unknown unit 'lb'"),
}


def test_bad_input_catalogue(kg, tmp_path):
    """Every class: exact location in the message, exit 1, graph unchanged (counts and ids)."""
    assert kg("import", str(SMALL)).returncode == 0
    before = kg("export", "--format", "jsonl").stdout
    assert before
    for name, (filename, payload, line, field, words) in CASES.items():
        d = tmp_path / name
        d.mkdir()
        path = d / filename
        path.write_bytes(payload)
        r = kg("import", str(path))
        assert r.returncode == 1, (name, r.stdout, r.stderr)
        where = f"{path}:{line}: " if line else f"{path}: "
        prefix = where + (f"{field}: " if field else "")
        assert prefix in r.stderr, (name, r.stderr)
        assert words in r.stderr, (name, r.stderr)
        assert "Traceback" not in r.stderr, name
    assert kg("export", "--format", "jsonl").stdout == before


def test_bom_is_accepted(tmp_path):
    path = tmp_path / "Material.csv"
    path.write_bytes("\ufeffid,name,source_ids\r\nmaterial:gallium,Gallium,source:t\r\n".encode("utf-8"))
    (rec, _, line), = list(read_paths([path]))
    assert rec.id == "material:gallium" and line == 2


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)
record_like = st.fixed_dictionaries(
    {"type": st.sampled_from(["Country", "Material", "PRODUCES", "OWNS", "Source", "ExportControl",
                              "IMPORT_RELIANCE", "Nope", ""])},
    optional={"id": st.text(max_size=30) | st.sampled_from(["country:CHN", "material:gallium"]),
              "name": json_values, "from": json_values, "to": json_values, "stage": json_values,
              "year": json_values, "share": json_values, "source_ids": json_values,
              "quantity": json_values, "unit": json_values, "effective": json_values})


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record_like)
def test_parser_never_crashes(data):
    """Any JSON object either validates or raises DataError — never another exception."""
    try:
        parse_record(data, file="fuzz.jsonl", line=1)
    except DataError as exc:
        assert str(exc).startswith("fuzz.jsonl:1: ")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_reader_never_crashes_on_bytes(tmp_path_factory, payload):
    d = tmp_path_factory.mktemp("fuzz")
    for name in ("r.jsonl", "Material.csv"):
        path = d / name
        path.write_bytes(payload)
        try:
            list(read_paths([path]))
        except DataError as exc:
            assert str(exc).startswith(str(path))
