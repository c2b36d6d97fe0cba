"""Neo4j bulk-import CSVs: typed headers, and quoting that survives hostile strings."""

from __future__ import annotations

import csv
import json

from kg import api
from kg.bulk import ARRAY_DELIMITER, export_neo4j_admin, read_neo4j_admin

from .conftest import FIXTURES, write_jsonl

SMALL = FIXTURES / "records" / "small.jsonl"
HOSTILE = [
    'He said "no", then \'yes\'',
    "semi;colon, comma | pipe",
    "line one\nline two\r\nline three",
    "Ñuñoa — 稀土 — Kraków — Côte d’Ivoire",
    '"",,;;\\"\\',
    "  leading and trailing spaces  ",
]


def _norm(rows):
    return sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in rows)


def test_bulk_csvs_round_trip_hostile_strings(embedded_store, tmp_path):
    src = {"type": "Source", "id": "source:t", "name": HOSTILE[0], "title": HOSTILE[2],
           "publisher": HOSTILE[3], "url": "https://example.org/a,b;c", "license": HOSTILE[1],
           "retrieved": "2025-01-31"}
    records = [src] + [
        {"type": "Material", "id": f"material:m{i}", "name": s, "notes": s,
         "critical_lists": ["US-2022", "EU-2023"], "source_ids": ["source:t"]}
        for i, s in enumerate(HOSTILE)]
    records += [{"type": "Country", "id": "country:CHN", "name": "China", "source_ids": ["source:t"]}]
    records += [{"type": "PRODUCES", "from": "country:CHN", "to": f"material:m{i}", "stage": "mining",
                 "year": 2024, "quantity": 1234.5, "unit": "t", "share": 0.6923076923076923,
                 "estimated": True, "notes": s, "source_ids": ["source:t"]}
                for i, s in enumerate(HOSTILE)]
    api.import_records(embedded_store, [write_jsonl(tmp_path / "h.jsonl", records)])
    out = tmp_path / "bulk"
    files = export_neo4j_admin(embedded_store, out)
    names = {p.name for p in files}
    assert {"nodes_Material.csv", "nodes_Source.csv", "nodes_Country.csv", "rels_PRODUCES.csv",
            "import.sh"} <= names
    with (out / "nodes_Material.csv").open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header[:3] == ["id:ID", ":LABEL", "source_ids:string[]"]
    assert "critical_lists:string[]" in header and "name:string" in header
    with (out / "rels_PRODUCES.csv").open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header[:3] == [":START_ID", ":END_ID", ":TYPE"]
    assert {"share:double", "year:long", "estimated:boolean", "quantity:double"} <= set(header)
    # parsed back, the CSVs hold exactly the graph
    assert _norm(read_neo4j_admin(out)) == _norm(api.export_records(embedded_store))
    script = (out / "import.sh").read_text()
    assert "neo4j-admin database import full" in script
    assert "--multiline-fields=true" in script and "--array-delimiter=U+001F" in script


def test_array_delimiter_inside_a_value_is_refused(embedded_store, tmp_path):
    import pytest
    from kg.errors import DataError
    records = [{"type": "Source", "id": "source:t", "name": "T", "title": "t", "publisher": "p",
                "url": "https://x", "license": "CC0", "retrieved": "2025-01-31"},
               {"type": "Country", "id": "country:USA", "name": "USA", "source_ids": ["source:t"]},
               {"type": "Material", "id": "material:x", "name": "X", "source_ids": ["source:t"]},
               {"type": "IMPORT_RELIANCE", "from": "country:USA", "to": "material:x", "year": 2024,
                "qualifier": "NA", "notes": "ok", "source_ids": ["source:t"]}]
    api.import_records(embedded_store, [write_jsonl(tmp_path / "a.jsonl", records)])
    export_neo4j_admin(embedded_store, tmp_path / "ok")   # fine
    embedded_store.graph.query("MATCH (m:Material) SET m.source_ids = ['a" + ARRAY_DELIMITER + "b']")
    with pytest.raises(DataError, match="array delimiter"):
        export_neo4j_admin(embedded_store, tmp_path / "bad")
