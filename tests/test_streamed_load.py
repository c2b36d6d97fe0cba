"""A load into the embedded store sends batches to the stage graph while its input is still being
validated (kg.pipeline.load, `_Early`): the graph it leaves is the one the serial path (validate
everything, then write) leaves, and an error found after batches were sent still writes nothing
(docs/architecture.md, "Write path")."""

from __future__ import annotations

import json

import pytest

from kg import api, pipeline
from kg.errors import DataError
from kg.records_io import parse_json_line, read_paths
from kg.store import staging

from .conftest import write_jsonl
from .test_bulk_write import graphs  # noqa: F401  (fixture)
from .test_faults import SMALL, big_file, fingerprint

T, U = ["source:t"], ["source:u"]
SOURCES = [
    {"type": "Source", "id": "source:t", "name": "T", "title": "Test figures", "publisher": "Us",
     "url": "https://example.org/t", "license": "CC0-1.0", "retrieved": "2025-01-01", "year": 2024},
    {"type": "Source", "id": "source:u", "name": "U", "title": "Other figures", "publisher": "Them",
     "url": "https://example.org/u", "license": "CC0-1.0", "retrieved": "2025-02-01", "year": 2024},
]
FIRST = [
    *SOURCES,
    {"type": "Country", "id": "country:CHN", "name": "China", "source_ids": T},
    {"type": "Country", "id": "country:AUS", "name": "Australia", "source_ids": T},
    # a relationship before one of its ends: it waits for the end of the input
    {"type": "PRODUCES", "from": "country:AUS", "to": "material:germanium", "stage": "mining",
     "year": 2023, "share": 0.1, "source_ids": T},
    {"type": "Material", "id": "material:gallium", "name": "Gallium", "source_ids": T},
    {"type": "PRODUCES", "from": "country:CHN", "to": "material:gallium", "stage": "refining",
     "year": 2024, "share": 0.9, "source_ids": T},
    {"type": "PRODUCES", "from": "country:AUS", "to": "material:gallium", "stage": "refining",
     "year": 2024, "share": 0.05, "source_ids": T},
    {"type": "Material", "id": "material:germanium", "name": "Germanium", "source_ids": T},
]
SECOND = [
    # repeats of rows already sent: merged (sources are a union, later values win)
    {"type": "Country", "id": "country:CHN", "name": "China", "notes": "restated", "source_ids": U},
    {"type": "PRODUCES", "from": "country:CHN", "to": "material:gallium", "stage": "refining",
     "year": 2024, "share": 0.9, "quantity": 750, "unit": "t", "source_ids": U},
]


def _small_batches(monkeypatch, size: int = 2) -> list[int]:
    """Batches of `size` rows, so a small input is sent while it is read; the number of batches
    sent during the pass is counted in the returned list."""
    monkeypatch.setattr(pipeline, "EMPTY_BATCH", size)
    monkeypatch.setattr(pipeline, "BATCH", size)
    sent = [0]
    real = pipeline._Early.flush

    def flush(self, final):
        for st in real(self, final):
            if not final:
                sent[0] += 1
            yield st
    monkeypatch.setattr(pipeline._Early, "flush", flush)
    return sent


def _load(store, paths, batch=2):
    return pipeline.load(read_paths(paths), store, batch=batch)


def _in_order(store) -> list[str]:
    return sorted(json.dumps(r) for r in api.export_records(store))


def _report(r) -> tuple:
    return (r.records, r.nodes, r.relationships, r.nodes_created, r.relationships_created,
            sorted(r.by_type.items()))


@pytest.mark.parametrize("into", ["empty", "filled"])
def test_a_streamed_load_leaves_the_graph_the_serial_path_leaves(graphs, tmp_path, monkeypatch, into):
    streamed, serial = graphs
    serial.streams_writes = False                      # validate everything, then write
    first = write_jsonl(tmp_path / "first.jsonl", FIRST)
    second = write_jsonl(tmp_path / "second.jsonl", SECOND)
    if into == "filled":                               # a graph that already holds some of it
        for store in (streamed, serial):
            api.import_records(store, [SMALL])
    sent = _small_batches(monkeypatch)
    by_stream = _load(streamed, [first, second])
    assert sent[0] > 0                                 # batches went out during the pass
    sent[0] = 0
    by_serial = _load(serial, [first, second])
    assert sent[0] == 0
    assert _report(by_stream) == _report(by_serial)
    # 9 + 2 records: 2 sources, 2 countries, 2 materials, three PRODUCES facts, each counted once
    assert by_stream.records == 11
    assert by_stream.by_type["Country"] == 2
    assert by_stream.by_type["PRODUCES (Country->Material)"] == 3
    assert fingerprint(streamed) == fingerprint(serial)
    # property for property in the same order too (the export writes them in stored order)
    assert _in_order(streamed) == _in_order(serial)
    chn = streamed.read("MATCH (c:Country {id: 'country:CHN'}) RETURN c.notes AS notes, "
                        "c.source_ids AS s")
    held = ["source:usgs-mcs-2025"] if into == "filled" else []    # SMALL's source comes first
    assert chn == [{"notes": "restated", "s": [*held, "source:t", "source:u"]}]
    fact = streamed.read("MATCH (:Country {id: 'country:CHN'})-[r:PRODUCES]->"
                         "(:Material {id: 'material:gallium'}) RETURN r.quantity AS q, "
                         "r.unit AS unit, r.share AS share, r.source_ids AS s")
    assert fact == [{"q": 750.0, "unit": "t", "share": 0.9, "s": [*held, "source:t", "source:u"]}]
    late = streamed.read("MATCH (:Country {id: 'country:AUS'})-[r:PRODUCES]->"
                         "(:Material {id: 'material:germanium'}) RETURN r.year AS year")
    assert late == [{"year": 2023}]
    assert streamed.graph_name + staging.STAGE_SUFFIX not in streamed.db.list_graphs()
    # the same input again changes nothing, streamed or not
    again = _load(streamed, [first, second])
    assert (again.nodes_created, again.relationships_created) == (0, 0)
    assert fingerprint(streamed) == fingerprint(serial)


@pytest.mark.parametrize("into", ["empty", "filled"])
def test_errors_found_after_batches_were_sent_write_nothing(embedded_store, tmp_path, monkeypatch,
                                                            into):
    if into == "filled":
        api.import_records(embedded_store, [SMALL])
    before = fingerprint(embedded_store)
    path = big_file(tmp_path / "big.jsonl", 1500)          # lines 1-2 Source, Country; 3-1502 ...
    lines = path.read_text().splitlines()
    bad = json.loads(lines[1400])                           # line 1401: a Material
    bad["name"] = 7
    lines[1400] = json.dumps(bad)
    lines.append(json.dumps({"type": "PRODUCES", "from": "country:CHN", "to": "material:nowhere",
                             "stage": "mining", "year": 2024, "source_ids": ["source:usgs-mcs-2025"]}))
    path.write_text("\n".join(lines) + "\n")
    sent = _small_batches(monkeypatch, 200)
    with pytest.raises(DataError) as caught:
        _load(embedded_store, [path], batch=200)
    assert sent[0] > 0                                     # rows had gone to the stage
    message = str(caught.value)
    assert f"{path}:1401: name: expected a string, found a number (7)" in message
    assert f"{path}:3003: to: 'material:nowhere' is not a node in this load or the graph" in message
    assert fingerprint(embedded_store) == before
    assert embedded_store.graph_name + staging.STAGE_SUFFIX not in embedded_store.db.list_graphs()


@pytest.mark.parametrize("line", [
    '{"type":"Material","id":"material:a","name":"A","source_ids":["source:t"]}\n',
    '{"a":1e-7,"b":1.5e20,"c":-0.0,"d":123456789012345678,"e":[true,false,null],"f":"é ☃"}',
    '{"a": 1, "b": "spaced"}\n',                          # not compact: the strict decoder
    '{"a":"\\u00e9\\n\\"q\\""}',                              # escapes: the strict decoder
    '{"a":1e400}', '{"a":123456789012345678901234567890}', '[1,2]', '"text"',
])
def test_json_lines_parse_as_the_standard_decoder_parses_them(line):
    expected = json.loads(line)
    got = parse_json_line(line)
    assert got == expected and json.dumps(got) == json.dumps(expected)


@pytest.mark.parametrize("line, message", [
    ('{"a":1,"a":2}', "duplicate key 'a' in one object"),
    ('{"a":{"b":1,"b":1}}', "duplicate key 'b' in one object"),
    ('{"a":NaN}', "NaN is not a JSON number"),
    ('{"a":Infinity}', "Infinity is not a JSON number"),
])
def test_json_lines_refuse_repeated_keys_and_non_numbers(line, message):
    with pytest.raises(ValueError, match=message):
        parse_json_line(line)


def test_spilled_rows_are_the_json_the_standard_encoder_writes():
    row = {"id": "country:CIV", "props": {"name": "Côte d’Ivoire", "notes": 'q " \\ \x01 ☃',
                                          "share": 0.125, "year": 2024, "ok": True,
                                          "source_ids": ["source:t"]}}
    assert json.loads(pipeline._encode(row)) == row
    assert pipeline._encode(row) == json.dumps(row, ensure_ascii=False, separators=(",", ":"))
    big = {"n": 2**70}                                     # beyond 64 bits: the standard encoder
    assert pipeline._encode(big) == '{"n":1180591620717411303424}'


def _figure(country: str, **values: object) -> dict:
    return {"type": "PRODUCES", "from": country, "to": "material:gallium", "stage": "refining",
            "year": 2024, "source_ids": T, **values}


def test_the_graph_sums_the_figures_a_load_does_not_restate(embedded_store, tmp_path):
    """The share check adds the figures the graph holds for a group, summed by the server, to the
    load's; a figure the load restates (with a share or without) is the load's only."""
    usa = {"type": "Country", "id": "country:USA", "name": "United States", "source_ids": T}
    gallium = {"type": "Material", "id": "material:gallium", "name": "Gallium", "source_ids": T}
    held = write_jsonl(tmp_path / "held.jsonl", [
        SOURCES[0], FIRST[2], FIRST[3], usa, gallium,
        _figure("country:CHN", share=0.6),
        _figure("country:AUS", quantity=30, unit="t", world_quantity=100),     # 0.3
        _figure("country:USA", share=0.5, basis="capacity"),                    # a group of its own
    ])
    api.import_records(embedded_store, [held])
    before = fingerprint(embedded_store)
    # 0.6 + 0.3 held, 0.2 new: 1.1
    over = write_jsonl(tmp_path / "over.jsonl", [_figure("country:USA", share=0.2)])
    with pytest.raises(DataError, match=r"over\.jsonl:1: share: country shares of material:gallium at "
                                        r"stage refining in 2024 \(output\) sum to 1\.100 with the 2 "
                                        r"figures the graph already holds"):
        api.import_records(embedded_store, [over])
    assert fingerprint(embedded_store) == before
    # Australia's figure restated without a share replaces the held 0.3: 0.6 + 0.2
    fine = write_jsonl(tmp_path / "fine.jsonl", [_figure("country:AUS", qualifier="W"),
                                                 _figure("country:USA", share=0.2)])
    api.import_records(embedded_store, [fine])
    rows = embedded_store.read("MATCH (c)-[r:PRODUCES {basis: 'output'}]->() "
                               "RETURN c.id AS c, r.share AS s ORDER BY c")
    assert rows == [{"c": "country:AUS", "s": None}, {"c": "country:CHN", "s": 0.6},
                    {"c": "country:USA", "s": 0.2}]


def test_the_graph_sum_starts_at_the_material_through_its_index(embedded_store):
    # a plan starting at every Country would scan every PRODUCES figure once per group; the graph
    # a load leaves has its id indexes (a graph only read so far has none)
    api.import_records(embedded_store, [SMALL])
    plan = embedded_store.explain(pipeline.SHARES_IN_GRAPH.format(label="Material"))
    assert "Node By Index Scan | (m:Material)" in plan and "Label Scan" not in plan


def test_a_batch_header_from_the_keys_its_rows_hold_equals_the_pattern():
    from kg.store.base import EncodedRows
    from kg.store.staging import encoded_header
    rows = [{"from": "firm:a", "to": "firm:b", "key": {"as_of": None},          # a null key
             "props": {"share": 0.5, "source_ids": ["source:t"]}},
            {"from": "firm:a", "to": "firm:c", "key": {"as_of": "2024-01-01"},
             "props": {"share": 0.25, "as_of": "2024-01-01", "notes": 'says "x": 1', "source_ids": ["source:t"]}}]
    texts = [pipeline._encode(r) for r in rows]
    keys = pipeline._keys_in(rows)
    assert set(keys) == {"from", "to", "key", "props", "as_of", "share", "source_ids", "notes"}
    by_keys = encoded_header(EncodedRows(texts, keys))
    assert by_keys == encoded_header(EncodedRows(texts))        # no keys given: the pattern
    assert by_keys is not None and '`as_of`:null' in by_keys and r'says \"x\": 1' in by_keys
