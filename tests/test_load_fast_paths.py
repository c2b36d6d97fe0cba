"""The short cuts of the load's hot path give what the general code gives: properties read from
the fields, the Cypher header built by known keys, the endpoint id check remembered per id, and
the per-string text check skipped only where the JSON line proves it unneeded."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kg.errors import DataError
from kg.models import parse_record
from kg.records_io import parse_json_line
from kg.store.base import EncodedRows
from kg.store.staging import _JSON_KEY, encoded_header

SID = ["source:t"]


def model_dump_properties(rec: Any) -> dict[str, Any]:
    """The definition `Record.properties` had, through pydantic's serialiser (the oracle)."""
    data = rec.model_dump(exclude_none=True, by_alias=False, exclude={"type", "from_id", "to_id"})
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()
            if not (isinstance(v, tuple) and not v)}


@pytest.mark.parametrize("data", [
    {"type": "Material", "id": "material:gallium", "name": "Gallium", "source_ids": SID,
     "kind": "element", "critical_lists": ["US-2022", "EU-2023"], "member_of": []},
    {"type": "Country", "id": "country:AUS", "name": "Australia", "source_ids": SID, "iso3": "AUS"},
    {"type": "PRODUCES", "from": "country:CHN", "to": "material:gallium", "stage": "refining",
     "year": 2024, "share": 0.12345678901234568, "estimated": True, "source_ids": [*SID, "source:u"]},
    {"type": "PRODUCES", "from": "country:CHN", "to": "material:gallium", "stage": "mining",
     "year": 2023, "quantity": 12, "unit": "t", "notes": "Größe", "source_ids": SID},
    {"type": "Source", "id": "source:t", "name": "T", "title": "Test", "publisher": "Us",
     "url": "https://example.org/t", "license": "CC0-1.0", "retrieved": "2025-01-01"},
])
def test_properties_are_what_model_dump_gives(data):
    rec = parse_record(data)
    assert rec.properties() == model_dump_properties(rec)
    assert [type(v) for v in rec.properties().values()] == \
        [type(v) for v in model_dump_properties(rec).values()]


def regex_header(texts: list[str]) -> str:
    return "CYPHER rows=" + _JSON_KEY.sub(r"\1`\2`:", "[" + ",".join(texts) + "]")


@pytest.mark.parametrize("notes", [
    "plain",
    'a "quoted" word',
    'looks like a key: "year": 5, {"props": 1}',
    "back\\slash at the end \\",
    "ends with a quote\"",
])
def test_header_by_known_keys_equals_the_pattern(notes):
    row = {"from": "country:CHN", "to": "material:gallium",
           "key": {"stage": "mining", "year": 2024, "basis": "output"},
           "props": {"stage": "mining", "year": 2024, "notes": notes, "source_ids": SID}}
    texts = [json.dumps(row, ensure_ascii=False, separators=(",", ":"))] * 3
    keys = ("from", "to", "key", "props", "stage", "year", "basis", "notes", "source_ids")
    header = encoded_header(EncodedRows(texts, keys))
    assert header == regex_header(texts)
    assert header == encoded_header(EncodedRows(texts))       # no keys: the pattern itself
    assert '"year":' not in header.split(notes)[0]


def test_a_key_missing_from_the_list_still_becomes_an_identifier():
    texts = [json.dumps({"id": "material:x", "props": {"name": "X", "kind": "element"}},
                        separators=(",", ":"))]
    header = encoded_header(EncodedRows(texts, ("id", "props", "name")))   # "kind" left out
    assert header == regex_header(texts)
    assert "`kind`:" in header


def test_an_endpoint_checked_once_is_still_checked_for_its_end():
    good = {"type": "LOCATED_IN", "from": "facility:mine-a", "to": "country:AUS", "source_ids": SID}
    parse_record(good)
    parse_record(good)                                   # the ids are now remembered as well formed
    wrong_end = {"type": "LOCATED_IN", "from": "country:AUS", "to": "country:AUS", "source_ids": SID}
    with pytest.raises(DataError, match="a LOCATED_IN goes"):
        parse_record(wrong_end)
    bad_code = {"type": "LOCATED_IN", "from": "facility:mine-a", "to": "country:XXZ", "source_ids": SID}
    with pytest.raises(DataError, match="ISO 3166-1 alpha-3 code"):
        parse_record(bad_code)


@pytest.mark.parametrize("field, value, words", [
    ("notes", "a\u0000b", "NUL character"),
    ("source_ids", ["source:t", "source:\u0000"], "NUL character"),
    ("notes", "\ud83d", "surrogate"),
])
def test_text_checks_run_for_every_line_with_an_escape(field, value, words):
    data = {"type": "Material", "id": "material:gallium", "name": "Gallium", "source_ids": SID,
            field: value}
    line = json.dumps(data)                               # the escapes are \\u sequences
    assert "\\u" in line
    with pytest.raises(DataError, match=words):
        parse_record(parse_json_line(line), plain_text="\\u" not in line)


def test_a_raw_control_character_or_nul_cannot_reach_a_string():
    with pytest.raises(ValueError):
        parse_json_line('{"type":"Material","name":"a\x00b"}')
    with pytest.raises(ValueError):
        parse_json_line('{"type":"Material","name":"a\x01b"}')
