"""docs/: the generated references are in sync, the loaders page covers every loader, and the
own-data example imports and shows up in the stored queries."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

import loaders
from kg.api import import_records
from kg.models import NODE_TYPES, RELATIONSHIP_TYPES
from kg.queries import list_queries, run_query
from kg.report.docs import describe_type, doc_files

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SUPPLIERS = DOCS / "examples" / "suppliers"


@pytest.mark.parametrize("name", sorted(doc_files()))
def test_generated_docs_are_in_sync(name: str) -> None:
    committed = (DOCS / name).read_text(encoding="utf-8")
    assert committed == doc_files()[name], f"docs/{name} is stale: run `kg docs`"


def test_ontology_doc_covers_every_label_type_and_property() -> None:
    text = (DOCS / "ontology.md").read_text(encoding="utf-8")
    for label, cls in NODE_TYPES.items():
        section = text.split(f"\n### {label}\n", 1)[1].split("\n### ", 1)[0]
        for name, info in cls.model_fields.items():
            if name != "type":
                assert f"| `{info.alias or name}` |" in section, f"{label}.{name}"
    for rel, cls in RELATIONSHIP_TYPES.items():
        section = text.split(f"\n### {rel}\n", 1)[1].split("\n### ", 1)[0]
        for name, info in cls.model_fields.items():
            if name != "type":
                assert f"| `{info.alias or name}` |" in section, f"{rel}.{name}"
    assert "| `share` | number (≥ 0.0, ≤ 1.0) |" in text
    assert "one of `mining`, `refining`, `separation`, `manufacturing`" in text


def test_describe_type() -> None:
    produces = RELATIONSHIP_TYPES["PRODUCES"].model_fields
    assert describe_type(produces["year"].annotation, produces["year"].metadata) == \
        ("integer (≥ 1900, ≤ 2100)", False)
    assert describe_type(produces["quantity"].annotation, produces["quantity"].metadata) == \
        ("number (≥ 0)", True)
    retrieved = NODE_TYPES["Source"].model_fields["retrieved"]
    assert describe_type(retrieved.annotation, retrieved.metadata)[0] == \
        "string (ISO date `YYYY-MM-DD`)"


def test_query_catalogue_lists_every_query_and_parameter() -> None:
    text = (DOCS / "queries.md").read_text(encoding="utf-8")
    for name, q in list_queries().items():
        section = text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        assert q.title in section and q.description in section
        for p in q.params:
            assert f"| `{p}` |" in section
        for col in q.returns:
            assert f"`{col}`" in section


def test_loaders_doc_describes_every_loader_with_licence_and_home() -> None:
    text = (DOCS / "loaders.md").read_text(encoding="utf-8")
    for name in loaders.LOADERS:
        spec = loaders.get(name).SPEC
        section = text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        section = " ".join(section.split())         # lines wrap anywhere
        assert spec.license in section, f"{name}: licence {spec.license!r}"
        if spec.homepage.startswith("http"):
            assert spec.homepage in section, f"{name}: home page {spec.homepage!r}"
        for word in ("Source", "Licence", "Loads", "Quirks"):
            assert f"**{word}" in section, f"{name}: no {word}"


# --------------------------------------------------------------- own supplier data

@pytest.fixture(scope="module")
def graph_with_suppliers(kg_home: Path) -> Any:
    from kg.api import build
    from kg.store import embedded
    from kg.store.falkordb import FalkorDBStore
    store = FalkorDBStore(embedded.start(kg_home), kg_home, graph=f"t_own_{uuid.uuid4().hex[:10]}")
    build(store, offline=True, home=kg_home)
    report = import_records(store, sorted(SUPPLIERS.glob("*.csv")))
    assert report.nodes_created == 5 and report.relationships_created == 7
    yield store
    try:
        store.graph.delete()
    finally:
        store.close()


@pytest.mark.slow     # builds the bundled snapshot into a graph of its own
def test_supplier_example_shows_up_in_single_points_of_failure(graph_with_suppliers: Any) -> None:
    _, rows = run_query(graph_with_suppliers, "single-points-of-failure",
                        {"product": "acme-radar-module"})
    gallium = [r for r in rows if r["input_id"] == "material:gallium" and r["stage"] == "refining"]
    assert gallium and gallium[0]["supplier"] == "China" and gallium[0]["share"] > 0.9
    assert gallium[0]["path"][:2] == ["Acme X-band radar module (example)",
                                      "Acme GaN power amplifier (example)"]
    # the survey's sole qualified supplier of the GaN die, for the module Acme makes
    sole = [r for r in rows if r["rule"] == "sole-supplier"]
    assert [(r["input_id"], r["supplier"], r["customer"]) for r in sole] == [
        ("product:gan-semiconductor", "Example Wafer Co. (example)", "Acme Corp. (example)")]


@pytest.mark.slow     # builds the bundled snapshot into a graph of its own
def test_supplier_example_supplies_edge_and_controls(graph_with_suppliers: Any) -> None:
    rows = graph_with_suppliers.read(
        "MATCH (s:Firm)-[r:SUPPLIES]->(c:Firm {id: $me}) "
        "RETURN s.name AS supplier, r.item_id AS item, r.source_ids AS sources",
        {"me": "firm:acme-corp"})
    assert rows == [{"supplier": "Example Wafer Co. (example)",
                     "item": "product:gan-semiconductor",
                     "sources": ["source:acme-supplier-survey-2025"]}]
    _, controls = run_query(graph_with_suppliers, "export-control-impact")
    assert any(r["product_id"] == "product:acme-radar-module" for r in controls)


def test_own_data_doc_matches_the_example_files() -> None:
    text = (DOCS / "own-data.md").read_text(encoding="utf-8")
    for f in SUPPLIERS.glob("*.csv"):
        assert f"`{f.name}`" in text
