"""The text RDF writer (issue 17): escaping per the N-Triples/Turtle grammars, checked against
pyoxigraph and rdflib as independent parsers and serialisers; the compact-reply decoder of the
embedded store against the falkordb client's own parser; hiredis in use."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rdflib import Graph, URIRef

from kg import vocab
from kg.errors import DataError
from kg.rdf.export import export_rows
from kg.rdf.terms import quoted, turtle_iri

SOURCE = {"type": "Source", "id": "source:s", "name": "S", "title": "T", "publisher": "P",
          "url": "https://example.org/s", "license": "CC0", "retrieved": "2025-01-01"}
HOSTILE = ['quote " and backslash \\ end', "line\nbreak\rcarriage\ttab",
           "bell\x07 nul\x00 del\x7f esc\x1b",
           "form\x0cfeed back\x08space", "emoji 🧲 and 𝔊 (astral plane)", "稀土 — Ωμέγα", '"""',
           "\\u0041 not an escape",
           "trailing backslash \\", ""]
RDFS_COMMENT = URIRef("http://www.w3.org/2000/01/rdf-schema#comment")


def _export(notes: str, fmt: str) -> bytes:
    rows = [SOURCE, {"type": "Material", "id": "material:x", "name": "X", "notes": notes,
                     "source_ids": ["source:s"]}]
    buf = io.BytesIO()
    export_rows(rows, [], buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["nt", "turtle", "nq", "trig", "jsonld"])
@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_parse_back_exactly(text: str, fmt: str) -> None:
    data = _export(text, fmt)
    ox_format = {"nt": ox.RdfFormat.N_TRIPLES, "turtle": ox.RdfFormat.TURTLE, "nq": ox.RdfFormat.N_QUADS,
                 "trig": ox.RdfFormat.TRIG, "jsonld": ox.RdfFormat.JSON_LD}[fmt]
    subject = ox.NamedNode(vocab.node_iri("material:x"))
    comments = [q.object.value for q in ox.parse(data, format=ox_format)
                if q.subject == subject and q.predicate.value == str(RDFS_COMMENT)]
    assert comments == [text]
    if fmt in ("nt", "turtle"):          # and rdflib, a second parser
        graph = Graph().parse(data=data, format=fmt)
        assert str(graph.value(URIRef(subject.value), RDFS_COMMENT)) == text


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="utf-8"), max_size=40))
def test_any_string_is_written_as_pyoxigraph_writes_it(text: str) -> None:
    """Literal escaping equals pyoxigraph's canonical N-Triples, for any Unicode string."""
    expected = ox.Literal(text)
    assert quoted(text) == str(expected)
    line = f"<http://a> <http://b> {quoted(text)} .\n".encode()
    (triple,) = ox.parse(line, format=ox.RdfFormat.N_TRIPLES)
    assert triple.object.value == text


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_decimal_lexical_fast_path_equals_the_decimal_module(value: float) -> None:
    from decimal import Decimal
    expected = format(Decimal(repr(value)), "f")
    expected = expected if "." in expected else expected + ".0"
    assert vocab.decimal_lexical(value) == expected
    assert float(vocab.decimal_lexical(value)) == value        # the shortest repr round-trips


def test_a_lone_surrogate_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="not valid Unicode"):
        _export("broken \ud800 text", "nt")


def test_n_triples_are_byte_for_byte_what_pyoxigraph_serialises(tmp_path: Path) -> None:
    """The planted fixture (every type, hostile strings): re-serialising our N-Triples through
    pyoxigraph gives the same lines, so the text is canonical, not merely parseable."""
    fixture = Path(__file__).parent / "fixtures" / "rdf" / "planted.jsonl"
    records = [json.loads(line) for line in fixture.read_text(encoding="utf-8").splitlines() if line]
    nodes = [r for r in records if "from" not in r]
    rels = sorted((r for r in records if "from" in r), key=lambda r: r["from"])
    buf = io.BytesIO()
    report = export_rows(nodes, rels, buf, "nt")
    ours = buf.getvalue()
    theirs = ox.serialize(ox.parse(ours, format=ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.N_TRIPLES)
    assert sorted(ours.splitlines()) == sorted(theirs.splitlines())
    assert report.statements == len(ours.splitlines())


@pytest.mark.parametrize(("iri", "expected"), [
    (vocab.node_iri("country:CHN"), "country:CHN"),
    (vocab.statement_iri("PRODUCES", "country:CHN", "material:gallium", ("refining", 2024)),
     "stmt:produces_country:CHN_material:gallium_refining_2024"),
    (vocab.node_iri("firm:a.b"), "firm:a.b"),
    (vocab.node_iri("firm:x~y"), "firm:x\\~y"),               # PN_LOCAL escapes ~
    (vocab.node_iri("firm:-lead"), "firm:\\-lead"),            # cannot start with '-'
    (vocab.node_iri("firm:end."), "firm:end\\."),              # cannot end with '.'
    (vocab.node_iri("firm:société"), "firm:soci%C3%A9t%C3%A9"),
    ("http://example.org/other", "<http://example.org/other>"),
])
def test_turtle_names_follow_pn_local(iri: str, expected: str) -> None:
    assert turtle_iri(iri) == expected
    doc = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in vocab.ALL_PREFIXES.items())
    doc += f"{expected} <http://x/p> 1 .\n"
    (triple,) = ox.parse(doc.encode(), format=ox.RdfFormat.TURTLE)
    assert triple.subject.value == iri


def test_an_iri_the_grammar_forbids_is_refused() -> None:
    rows = [SOURCE, {"type": "Country", "id": "country:XXA", "name": "X", "wikidata": "Q1> <evil",
                     "source_ids": ["source:s"]}]
    with pytest.raises(DataError, match="wikidata IRI"):
        export_rows(rows, [], io.BytesIO(), "nt")


# -- compiled templates against the describer -----------------------------------------------------

def _described(nodes: list[dict[str, Any]], rels: list[dict[str, Any]], fmt: str) -> tuple[bytes, int]:
    """The same rows written the general way: one `Description` per subject, rendered (the oracle)."""
    from kg.rdf.export import NT, TURTLE, ExportReport, _prefix_lines, describe, nt_lines, turtle_block
    report = ExportReport(fmt)
    render = turtle_block if fmt == "turtle" else nt_lines
    descs = list(describe(nodes, rels, TURTLE if fmt == "turtle" else NT, report))
    text = (_prefix_lines() if fmt == "turtle" else "") + "".join(render(d) for d in descs)
    return text.encode(), sum(d.size for d in descs)


def _planted() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    fixture = Path(__file__).parent / "fixtures" / "rdf" / "planted.jsonl"
    records = [json.loads(line) for line in fixture.read_text(encoding="utf-8").splitlines() if line]
    return ([r for r in records if "from" not in r],
            sorted((r for r in records if "from" in r), key=lambda r: r["from"]))


@pytest.mark.parametrize("fmt", ["nt", "turtle"])
def test_templates_write_the_bytes_the_describer_writes(fmt: str, monkeypatch: Any) -> None:
    """The planted fixture (every type, hostile strings, sets, an ordered list): the compiled
    per-shape templates and the general describer write the same bytes and count the same
    triples; only the rows a template must decline go through the describer."""
    from kg.rdf import export
    nodes, rels = _planted()
    expected, triples = _described(nodes, rels, fmt)
    described: list[str] = []
    for name in ("node", "relationship"):
        original = getattr(export._Describer, name)

        def spy(self: Any, row: dict[str, Any], original: Any = original) -> Any:
            described.append(row["type"])
            return original(self, row)
        monkeypatch.setattr(export._Describer, name, spy)
    buf = io.BytesIO()
    report = export_rows(nodes, rels, buf, fmt)
    assert buf.getvalue() == expected
    assert report.statements == triples
    # by hand from planted.jsonl: the 3 Sources (their self-citation is dropped) and the 2
    # IMPORT_RELIANCE rows (an ordered rdf:List of import sources) are the describer's
    assert sorted(described) == ["IMPORT_RELIANCE"] * 2 + ["Source"] * 3


_ODD = st.one_of(st.none(), st.just(""), st.booleans(), st.integers(-3, 3000), st.floats(),
                 st.text(max_size=6), st.lists(st.sampled_from(["source:s", "", "x"]), max_size=2),
                 st.tuples(st.just("source:s")))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["nt", "turtle"]),
       st.dictionaries(st.sampled_from(["name", "notes", "year", "share", "quantity", "unit", "stage",
                                        "estimated", "source_ids", "basis", "wikidata"]), _ODD,
                       max_size=6))
@example("nt", {"year": float("inf")})          # once an OverflowError instead of the error
@example("turtle", {"year": float("nan")})
def test_templates_agree_with_the_describer_on_odd_values(fmt: str, props: dict[str, Any]) -> None:
    """Whatever a row holds (None, empty strings, numbers of the wrong type, NaN, tuples), the
    template path writes what the describer writes, or fails with the describer's error."""
    nodes = [SOURCE, {"type": "Material", "id": "material:x", **props}]
    rels = [{"type": "PRODUCES", "from": "country:CHN", "to": "material:x", **props},
            {"type": "PRODUCES", "from": "country:CHN", "to": "material:x", "year": 2024, **props}]
    try:
        expected: Any = _described(nodes, rels, fmt)
    except DataError as exc:
        expected = str(exc)
    buf = io.BytesIO()
    try:
        report = export_rows(nodes, rels, buf, fmt)
        got: Any = (buf.getvalue(), report.statements)
    except DataError as exc:
        got = str(exc)
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=8), st.integers()), max_size=4))
def test_statement_names_in_turtle_are_what_turtle_iri_writes(keys: list[Any]) -> None:
    from kg.rdf.templates import _statement_subject_turtle
    iri = vocab.statement_iri("PRODUCES", "country:CHN", "material:x~y.", tuple(keys))
    assert _statement_subject_turtle(iri[len(vocab.STATEMENT_NS):]) == turtle_iri(iri)


# -- the embedded store's reads ----------------------------------------------------------------

def test_redis_uses_the_hiredis_parser(embedded_store: Any) -> None:
    import redis.utils
    from redis._parsers import _HiredisParser
    assert redis.utils.HIREDIS_AVAILABLE
    pool = embedded_store.db.connection.connection_pool
    conn = pool.get_connection()
    try:
        assert isinstance(conn._parser, _HiredisParser)
    finally:
        pool.release(conn)


@pytest.fixture
def scratch(kg_home: Path) -> Iterator[Any]:
    from kg.store import embedded
    from kg.store.falkordb import FalkorDBStore
    store = FalkorDBStore(embedded.start(kg_home), kg_home, graph=f"t_{uuid.uuid4().hex[:12]}")
    store.graph.query("CREATE (:Material {id: 'material:a', name: 'A\"\\\\b', n: 3, f: 0.1, ok: true, "
                      "l: ['x', 'y'], none: null})-[:REQUIRES {role: 'r', intensity: 2.5}]->"
                      "(:Material {id: 'material:b', name: '稀土 🧲'})")
    yield store
    try:
        store.graph.delete()
    finally:
        store.close()


@pytest.mark.parametrize("cypher", [
    "MATCH (n:Material) RETURN n.id AS id, properties(n) AS props ORDER BY id",
    "MATCH (a)-[r]->(b) RETURN type(r) AS t, properties(r) AS p, [a.id, b.id] AS ends, "
    "{k: 1, m: {z: null, b: false}} AS nested, 1.5e300 AS big, -0.0 AS negzero",
    "MATCH (n:Material) RETURN n AS node ORDER BY n.id",                  # a node: the client parses it
    "MATCH p = (a)-[r]->(b) RETURN p AS path, r AS edge",
    "UNWIND [] AS x RETURN x",
])
def test_reads_decode_exactly_as_the_falkordb_client(scratch: Any, cypher: str) -> None:
    from kg.store.falkordb import _plain
    result = scratch.graph.ro_query(cypher)
    names = [h[1] for h in result.header]
    expected = [dict(zip(names, (_plain(v) for v in row), strict=True)) for row in result.result_set]
    got = scratch.read(cypher)
    assert got == expected
    assert [[type(v) for v in row.values()] for row in got] == \
        [[type(v) for v in row.values()] for row in expected]


def test_reads_with_parameters_and_errors(scratch: Any) -> None:
    from kg.errors import StoreError
    rows = scratch.read("UNWIND $ids AS id MATCH (n:Material {id: id}) RETURN n.name AS name ORDER BY name",
                        {"ids": ["material:a", "material:b", 'no "such" \\u0041']})
    assert [r["name"] for r in rows] == ['A"\\b', "稀土 🧲"]
    with pytest.raises(StoreError, match="query failed"):
        scratch.read("RETURN 1 +")


def test_relationship_pages_decode_as_the_generic_reader(scratch: Any) -> None:
    """The embedded store decodes a page of relationships straight into records-format rows; the
    generic reader (rows through `read`, then merged) gives the same rows, value types included."""
    from kg.store.base import paged_relationships
    scratch.graph.query("MATCH (a:Material {id: 'material:b'}), (b:Material {id: 'material:a'}) "
                        "CREATE (a)-[:REQUIRES {role: 'x\"\\\\y', source_ids: ['source:s', ''], "
                        "estimated: false, year: 2024, share: 1e-7}]->(b)")
    fast = list(scratch.iter_relationships(batch=1))
    generic = list(paged_relationships(scratch.read, 1))
    assert len(fast) == 2
    assert fast == generic
    from kg.store import falkordb_reply
    from kg.store.base import EDGE_COLUMNS
    page = falkordb_reply.edge_rows(scratch._execute(f"MATCH (a)-[r]->(b) {EDGE_COLUMNS} ORDER BY a.id"))
    assert page == generic                      # the one-pass decoder itself, not its fallback
    assert [[type(v) for v in row.values()] for row in fast] == \
        [[type(v) for v in row.values()] for row in generic]
