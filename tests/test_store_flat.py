"""The embedded store's flat page reads (kg/store/falkordb_flat.py): plain replies decoded by the
vocabulary's kinds must give exactly the rows of the compact reader — value types included — and
any value the flat columns cannot carry exactly must send its page back to the compact reader.
The exports of such a graph are checked against pyoxigraph parsing them (an independent parser),
with the expected values written out here from the inputs."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pyoxigraph as ox
import pytest

from kg import vocab
from kg.rdf import export_rdf
from kg.store import falkordb_flat
from kg.store.base import paged_nodes, paged_relationships

HOSTILE = 'q"uote \\ back\\slash\nnew\rline\ttab \x07bell 稀土 — Ωμέγα 🧲 𝔊 \\u0041 [a, b] {k: v}'
SEP = "\x1f"

NODES = [
    ("Source", {"id": "source:s", "name": "S", "title": "T", "publisher": "P", "url": "https://example.org/s",
                "license": "CC0", "retrieved": "2025-01-01", "year": 2025}),
    ("Material", {"id": "material:a", "name": HOSTILE, "notes": "", "source_ids": ["source:s"],
                  "critical_lists": [], "wikidata": "Q1"}),
    ("Material", {"id": "material:b", "name": "B, c", "source_ids": ["source:s"],
                  "critical_lists": ["eu-2023", "us, dod", 'q"', ""]}),
    ("Country", {"id": "country:CHN", "name": "China", "iso3": "CHN", "source_ids": ["source:s"]}),
    ("Country", {"id": "country:AUS", "name": "Australia", "iso3": "AUS", "source_ids": []}),
    ("Facility", {"id": "facility:f", "name": "F", "latitude": -33.865143, "longitude": 151.2099,
                  "jobs": 250, "investment_usd": 1e300, "stages": ["mining", "refining"],
                  "source_ids": ["source:s"]}),
]
EDGES = [
    ("country:CHN", "PRODUCES", "material:a",
     {"stage": "refining", "year": 2024, "share": 1e-7, "quantity": 123456789.125, "unit": "t",
      "estimated": True, "notes": HOSTILE, "source_ids": ["source:s"]}),
    ("country:CHN", "PRODUCES", "material:b",
     {"stage": "mining", "year": 2023, "share": 0.98, "quantity": 750, "estimated": False,
      "world_quantity": 1e-300, "source_ids": ["source:s"]}),
    ("country:AUS", "IMPORT_RELIANCE", "material:a",
     {"year": 2024, "net_import_reliance": 0.5, "sources": ["country:CHN", "country:AUS"],
      "source_shares": [0.25, 2, 2.0, -0.0, 1e-300, 1.5e300], "source_ids": ["source:s"]}),
    ("country:AUS", "EXPORTS_TO", "country:CHN",
     {"hs_code": "850511", "year": 2022, "value_usd": 174146.67, "flow_basis": "imports", "source_ids": []}),
]


@pytest.fixture
def graph(embedded_store: Any) -> Any:
    """The rows above written with Cypher parameters (the store's write path would coerce and
    check them; here each value keeps the Python type it is given)."""
    for label, props in NODES:
        embedded_store.graph.query(f"CREATE (n:{label}) SET n = $p", {"p": props})
    for a, rel, b, props in EDGES:
        embedded_store.graph.query(f"MATCH (a {{id: $a}}), (b {{id: $b}}) CREATE (a)-[r:{rel}]->(b) SET r = $p",
                                   {"a": a, "b": b, "p": props})
    return embedded_store


def compact_nodes(store: Any) -> list[dict[str, Any]]:
    return list(paged_nodes(store.read, 2))


def compact_edges(store: Any) -> list[dict[str, Any]]:
    return list(paged_relationships(store.read, 2))


def typed(rows: list[dict[str, Any]]) -> list[list[tuple[str, Any, Any]]]:
    """Rows with every value's type (and list items' types): 2 and 2.0 must not pass as equal."""
    def t(v: Any) -> Any:
        return [t(x) for x in v] if isinstance(v, list) else (type(v).__name__, v)
    return [[(k, *t(v)) if not isinstance(v, list) else (k, "list", t(v)) for k, v in r.items()] for r in rows]


def flat_pages(store: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the pages read the flat way and the ones read again the compact way."""
    counts = {"flat": 0, "compact": 0}
    real = store._execute

    def counted(cypher: str, params: Any = None, *, compact: bool = True) -> Any:
        if not compact:
            counts["flat"] += 1
        elif "properties(" in cypher:
            counts["compact"] += 1
        return real(cypher, params, compact=compact)
    monkeypatch.setattr(store, "_execute", counted)
    return counts


def test_flat_pages_are_the_compact_rows_with_their_types(graph: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    counts = flat_pages(graph, monkeypatch)
    nodes, edges = list(graph.iter_nodes(batch=2)), list(graph.iter_relationships(batch=2))
    assert counts["flat"] > 0 and counts["compact"] == 0      # every page read the flat way
    assert typed(nodes) == typed(compact_nodes(graph))
    assert typed(edges) == typed(compact_edges(graph))
    assert len(nodes) == len(NODES) and len(edges) == len(EDGES)
    # and against the inputs themselves: the stored order of keys, the values as written
    by_id = {r["id"]: r for r in nodes}
    for label, props in NODES:
        assert by_id[props["id"]] == {"type": label, **props}
    reliance = next(r for r in edges if r["type"] == "IMPORT_RELIANCE")
    assert [(type(x), x) for x in reliance["source_shares"]] == \
        [(float, 0.25), (int, 2), (float, 2.0), (float, -0.0), (float, 1e-300), (float, 1.5e300)]
    assert str(reliance["source_shares"][3]) == "-0.0"


@pytest.mark.parametrize(("cypher", "why"), [
    ("MATCH (n:Material {id: 'material:a'}) SET n.name = 0.5", "a float in a string property"),
    ("MATCH (n:Material {id: 'material:a'}) SET n.name = true", "a boolean in a string property"),
    ("MATCH (n:Material {id: 'material:a'}) SET n.name = 12", "an integer in a string property"),
    ("MATCH (n:Facility) SET n.latitude = '1.5'", "a string in a decimal property"),
    ("MATCH (n:Source) SET n.year = '2025'", "a string in a year property"),
    ("MATCH (n:Source) SET n.year = 2025.0", "a float in a year property"),
    ("MATCH (n:Material {id: 'material:b'}) SET n.critical_lists = ['a" + SEP + "b']", "the separator in an item"),
    ("MATCH (n:Material {id: 'material:b'}) SET n.critical_lists = ['a', 1]", "a number in a set of strings"),
    ("MATCH (n:Material {id: 'material:b'}) SET n.critical_lists = 'a'", "a string for a set"),
    ("MATCH (n:Material {id: 'material:b'}) SET n.`a" + SEP + "name` = 'x'", "the separator in a key"),
    ("MATCH (n:Material {id: 'material:b'}) SET n.colour = 'red'", "a key the vocabulary lacks"),
    ("MATCH ()-[r:PRODUCES]->() SET r.estimated = 'true'", "a string in a boolean property"),
    ("MATCH ()-[r:IMPORT_RELIANCE]->() SET r.source_shares = [0.5, '0.5']", "a string in a list of numbers"),
    ("MATCH ()-[r:IMPORT_RELIANCE]->() SET r.source_shares = ['a\", 5, \"b']", "JSON in a string item"),
    ("MATCH ()-[r:EXPORTS_TO]->() SET r.hs_code = 850511", "an integer in a reference property"),
])
def test_a_value_the_flat_columns_cannot_carry_sends_its_page_to_the_compact_reader(
        graph: Any, monkeypatch: pytest.MonkeyPatch, cypher: str, why: str) -> None:
    graph.graph.query(cypher)
    counts = flat_pages(graph, monkeypatch)
    nodes, edges = list(graph.iter_nodes(batch=2)), list(graph.iter_relationships(batch=2))
    assert typed(nodes) == typed(compact_nodes(graph)), why
    assert typed(edges) == typed(compact_edges(graph)), why
    assert counts["compact"] >= 1, why


def test_the_flat_decoder_refuses_what_it_cannot_carry_on_its_own(graph: Any) -> None:
    """The decoder's own checks, without the server's type errors: an unknown key, a listed key
    with a null column, a set whose count disagrees."""
    layout = falkordb_flat.node_layout("Material", graph._property_keys())
    reply = graph._execute(f"MATCH (n:Material) {layout.ret} ORDER BY n.id", compact=False)
    rows = falkordb_flat.node_rows(layout, reply)
    assert [r["id"] for r in rows] == ["material:a", "material:b"]
    assert rows[1]["critical_lists"] == ["eu-2023", "us, dod", 'q"', ""]
    keys, first = layout.head, layout.head + 1            # the key list, then the value columns
    sets = layout.index["critical_lists"][0]
    assert reply[1][1][keys].split(SEP)[:2] == ["id", "name"]
    for change in ({keys: "id" + SEP + "colour"}, {first: None}, {sets + 1: 3}, {keys: "name" + SEP + "name"},
                   {sets: "a" + SEP + "b"}, {first: 1}):
        cells = list(reply[1][1])
        for i, v in change.items():
            cells[i] = v
        with pytest.raises(falkordb_flat.Unsupported):
            falkordb_flat.node_rows(layout, [reply[0], [cells], reply[2]])


def test_columns_follow_the_graphs_property_keys(graph: Any) -> None:
    keys = graph._property_keys()
    assert {"name", "critical_lists", "source_shares", "estimated"} <= keys and "symbol" not in keys
    ret = falkordb_flat.edge_layout("Country", keys).ret
    assert "r.source_shares" in ret and "r.month" not in ret and "r.role" not in ret


@pytest.mark.parametrize("fmt", ["nt", "turtle"])
def test_the_export_of_hostile_values_parses_back_exactly(graph: Any, fmt: str) -> None:
    buf = io.BytesIO()
    export_rdf(graph, buf, fmt)
    # parsed as a stream: an oxigraph Store would canonicalise numbers ("2.0" -> "2")
    triples = list(ox.parse(buf.getvalue(), format=ox.RdfFormat.N_TRIPLES if fmt == "nt" else ox.RdfFormat.TURTLE))

    def match(subject: Any, predicate: str) -> list[Any]:
        return [t for t in triples if (subject is None or t.subject == subject) and t.predicate.value == predicate]

    def values(subject: Any, predicate: str) -> list[Any]:
        subject = ox.NamedNode(subject) if isinstance(subject, str) else subject
        return [t.object for t in match(subject, predicate)]

    def one(subject: str, predicate: str) -> Any:
        found = values(subject, predicate)
        assert len(found) == 1, (subject, predicate, found)
        return found[0]

    label = str(vocab.PROPERTIES["name"].iri)
    assert one(vocab.node_iri("material:a"), label).value == HOSTILE
    assert sorted(o.value for o in values(vocab.node_iri("material:b"),
                                          str(vocab.PROPERTIES["critical_lists"].iri))) == \
        sorted(["eu-2023", "us, dod", 'q"', ""])
    facility = vocab.node_iri("facility:f")
    decimal = "http://www.w3.org/2001/XMLSchema#decimal"
    for name, expected in (("latitude", "-33.865143"), ("longitude", "151.2099"), ("investment_usd", "1e300")):
        literal = one(facility, str(vocab.PROPERTIES[name].iri))
        assert literal.datatype.value == decimal and Decimal(literal.value) == Decimal(expected), name
    assert one(facility, str(vocab.PROPERTIES["jobs"].iri)).value == "250"
    shares = sorted(Decimal(o.value) for o in values(None, str(vocab.PROPERTIES["share"].iri)))
    assert shares == [Decimal("1e-7"), Decimal("0.98")]
    assert HOSTILE in [o.value for o in values(None, str(vocab.PROPERTIES["notes"].iri))]
    # the ordered list of shares: rdf:first items in list order, numbers as written
    head = one(None, str(vocab.PROPERTIES["source_shares"].iri))
    items = []
    while head != ox.NamedNode(str(vocab.RDF_NIL)):
        items.append(one(head, str(vocab.RDF_FIRST)))
        head = one(head, str(vocab.RDF_REST))
    assert [Decimal(i.value) for i in items] == [Decimal(x) for x in ("0.25", "2", "2.0", "0", "1e-300", "1.5e300")]
    assert [i.value for i in items][1:3] == ["2", "2.0"]        # an integer and a float stay apart


# -- reading ahead -------------------------------------------------------------------------------

def test_prefetched_pages_come_in_order_and_errors_where_they_happened() -> None:
    from kg.store.prefetch import prefetched

    def pages(fail_at: int | None = None) -> Any:
        for i in range(50):
            if i == fail_at:
                raise ValueError(f"page {i}")
            yield [{"n": i * 3 + k} for k in range(3)]

    assert [r["n"] for r in prefetched(pages())] == list(range(150))
    got = []
    with pytest.raises(ValueError, match="page 7"):
        for row in prefetched(pages(fail_at=7)):
            got.append(row["n"])
    assert got == list(range(21))                  # every row before the failing page, then the error


def test_a_caller_that_stops_early_stops_the_reader() -> None:
    import threading
    import time

    from kg.store.prefetch import prefetched
    produced = []

    def pages() -> Any:
        for i in range(10_000):
            produced.append(i)
            yield [{"n": i}]

    rows = prefetched(pages(), ahead=2)
    assert next(rows) == {"n": 0}
    rows.close()                                    # what a `for` loop broken by an error does
    time.sleep(0.3)
    assert len(produced) <= 5
    assert not any(t.name == "kg-prefetch" and t.is_alive() for t in threading.enumerate())


def test_strings_with_multibyte_characters_come_back_whole(kg_home: Any, tmp_path: Any) -> None:
    """`substring(x, 0)` dropped the last character of 'Côte d’Ivoire' in about one graph in five
    written through `UNWIND` (a FalkorDB bug); the flat columns must give the stored strings."""
    import uuid

    from kg import api
    from kg.store import embedded, staging
    from kg.store.falkordb import FalkorDBStore

    from .conftest import write_jsonl
    names = ["Côte d’Ivoire", "Türkiye", "Réunion", "Curaçao", "São Tomé and Príncipe", "☃ ü ’"]
    records = [{"type": "Source", "id": "source:t", "name": "T", "title": "T", "publisher": "P",
                "url": "https://example.org", "license": "CC0", "year": 2024,
                "retrieved": "2026-01-01"}]
    records += [{"type": "Material", "id": f"material:m{i}", "name": name, "notes": name * 2,
                 "source_ids": ["source:t"]} for i, name in enumerate(names)]
    path = write_jsonl(tmp_path / "names.jsonl", records)
    info = embedded.start(kg_home)
    for _ in range(25):
        store = FalkorDBStore(info, kg_home, graph=f"t_names_{uuid.uuid4().hex[:8]}")
        try:
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(staging, "BULK", False)        # the write path that showed it
                api.import_records(store, [path])
            got = {r["id"]: (r["name"], r.get("notes")) for r in api.export_records(store)
                   if r["type"] == "Material"}
            assert got == {f"material:m{i}": (name, name * 2) for i, name in enumerate(names)}
        finally:
            store.graph.delete()
            store.close()


# -- the cycle collector while replies are decoded ------------------------------------------------

def test_replies_are_decoded_with_the_cycle_collector_paused(graph: Any,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from kg.store import falkordb_reply
    seen: list[bool] = []
    rows, edge_rows = falkordb_reply.rows, falkordb_flat.edge_rows

    def spy_rows(reply: Any) -> Any:
        seen.append(gc.isenabled())
        return rows(reply)

    def spy_edges(*args: Any) -> Any:
        seen.append(gc.isenabled())
        return edge_rows(*args)

    monkeypatch.setattr(falkordb_reply, "rows", spy_rows)
    monkeypatch.setattr(falkordb_flat, "edge_rows", spy_edges)
    assert gc.isenabled()
    assert graph.read("RETURN 1 AS x") == [{"x": 1}]
    assert list(graph.iter_relationships(batch=2))
    assert seen and not any(seen), seen
    assert gc.isenabled()


def test_the_collector_pause_is_shared_by_threads_and_leaves_a_disabled_collector_off() -> None:
    import gc
    import threading

    from kg.machine import cyclic_gc_paused
    entered, release = threading.Event(), threading.Event()

    def other() -> None:
        with cyclic_gc_paused():
            entered.set()
            release.wait(10)

    worker = threading.Thread(target=other)
    worker.start()
    assert entered.wait(10)
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()            # the other thread still decodes
    release.set()
    worker.join(10)
    assert gc.isenabled()
    gc.disable()                         # a caller that turned the collector off keeps it off
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
