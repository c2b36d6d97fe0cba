"""RDF export, SHACL validation and RDF import (issue 6).

The planted graph (`fixtures/rdf/planted.jsonl`) has 19 nodes and 31 relationships, with hostile
strings (quotes, newlines, CR, tabs, backslashes, `;`, non-ASCII, an emoji). Expected counts below
are worked out by hand from that file (the arithmetic is in the comments) and cross-checked by a
plain reading of the file, never taken from the exporter's output.
"""

from __future__ import annotations

import io
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rdflib import OWL, RDF, Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic

from kg import api, vocab
from kg.errors import DataError, KGError
from kg.rdf import export_rdf
from kg.rdf.export import export_rows
from kg.rdf.rdf_import import read_rdf
from kg.rdf.shacl import graph_from_quads, validate_file, validate_graph, validate_store

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")   # rdflib's own parsers

FIXTURE = Path(__file__).parent / "fixtures" / "rdf" / "planted.jsonl"
CP = vocab.CP_NS
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SUFFIX = {"turtle": ".ttl", "nt": ".nt", "jsonld": ".jsonld", "trig": ".trig", "nq": ".nq"}
RDFLIB_FORMAT = {"turtle": "turtle", "nt": "nt", "jsonld": "json-ld", "trig": "trig", "nq": "nquads"}

# -- hand-computed expectations for planted.jsonl ------------------------------------------------
NODES = {"Source": 3, "Country": 4, "Material": 3, "Product": 2, "HSCode": 2, "Firm": 2,
         "Facility": 1, "Agreement": 1, "ExportControl": 1}                           # 19 nodes
RELATIONSHIPS = {"PRODUCES": 6, "HOLDS_RESERVES": 1, "REQUIRES": 2, "EXPORTS_TO": 3, "IMPORTS": 2,
                 "IMPORT_RELIANCE": 2, "OWNS": 1, "STATE_OWNED_BY": 1, "OPERATES": 1,
                 "LOCATED_IN": 1, "HEADQUARTERED_IN": 2, "SUPPLIES": 1, "PARTY_TO": 2,
                 "COVERS": 1, "IMPOSES": 1, "RESTRICTS": 2, "TARGETS": 1, "CLASSIFIED_AS": 1}  # 31
# observations: 6 PRODUCES + 1 HOLDS_RESERVES + 2 REQUIRES + 3 EXPORTS_TO + 2 IMPORTS
#               + 2 IMPORT_RELIANCE + 1 OWNS + 1 STATE_OWNED_BY = 18; the other 13 relationships
#               are plain statements
OBSERVATIONS = 18
# direct edges: 31 relationships, but CHN PRODUCES gallium twice (refining 2023 and 2024) and CHN
# EXPORTS_TO JPN twice (2023 exports, 2024 stated share) -> 29
DIRECT_EDGES = 29
# owl:sameAs: CHN Q148, USA Q30, gallium Q861, China Northern Rare Earth Q10875123
SAME_AS = {"country:CHN": "Q148", "country:USA": "Q30", "material:gallium": "Q861",
           "firm:china-northern-rare-earth": "Q10875123"}
SOURCES = ["source:curated-controls", "source:trade-sample", "source:usgs-mcs-2025"]
HOSTILE_NOTES = ("Tab\there; quote \" and 'single'; semicolon; newline\nsecond line; CRLF\r\n"
                 "third; backslash \\ end; 稀土 — Ωμέγα; emoji 🧲; triple \"\"\" quotes")
HOSTILE_NAME = "Société \"Minière\"; Ltd. — 北方稀土 \\ test"


def fixture_records() -> list[dict[str, Any]]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line]


def test_the_hand_counts_match_a_plain_reading_of_the_fixture():
    records = fixture_records()
    nodes = Counter(r["type"] for r in records if "from" not in r)
    rels = Counter(r["type"] for r in records if "from" in r)
    assert nodes == NODES and rels == RELATIONSHIPS
    assert sum(n for t, n in rels.items() if t in vocab.OBSERVATION_TYPES) == OBSERVATIONS
    assert len({(r["type"], r["from"], r["to"]) for r in records if "from" in r}) == DIRECT_EDGES
    assert {r["id"]: r["wikidata"] for r in records if "wikidata" in r} == SAME_AS


# -- fixtures -----------------------------------------------------------------------------------

@pytest.fixture
def planted(embedded_store: Any) -> Any:
    api.import_records(embedded_store, [FIXTURE])
    return embedded_store


@pytest.fixture
def fresh_store(kg_home: Path) -> Iterator[Any]:
    """A second empty graph on the session's embedded server."""
    from kg.store import embedded
    from kg.store.falkordb import FalkorDBStore
    store = FalkorDBStore(embedded.start(kg_home), kg_home, graph=f"t_{uuid.uuid4().hex[:12]}")
    yield store
    try:
        if store._exists():
            store.graph.delete()
    finally:
        store.close()


def export_bytes(store: Any, fmt: str) -> bytes:
    buf = io.BytesIO()
    export_rdf(store, buf, fmt)
    return buf.getvalue()


def parse(data: bytes, fmt: str) -> Graph:
    """Parse with rdflib (an independent parser); datasets are merged into one graph."""
    if fmt in ("trig", "nq"):
        ds = Dataset()
        ds.parse(data=data, format=RDFLIB_FORMAT[fmt])
        graph = Graph()
        for s, p, o, _g in ds.quads((None, None, None, None)):
            graph.add((s, p, o))
        return graph
    return Graph().parse(data=data, format=RDFLIB_FORMAT[fmt])


@pytest.fixture
def exports(planted: Any) -> dict[str, bytes]:
    return {fmt: export_bytes(planted, fmt) for fmt in SUFFIX}


@pytest.fixture
def turtle(exports: dict[str, bytes]) -> Graph:
    return parse(exports["turtle"], "turtle")


def iri(node_id: str) -> URIRef:
    return URIRef(vocab.node_iri(node_id))


def cp(term: str) -> URIRef:
    return URIRef(CP + term)


# -- export: every format, the expected triples ------------------------------------------------

@pytest.mark.parametrize("fmt", list(SUFFIX))
def test_every_format_parses_back_to_the_same_graph(exports, turtle, fmt):
    graph = parse(exports[fmt], fmt)
    assert len(graph) > 300
    assert isomorphic(graph, turtle), f"{fmt} and turtle differ"


def test_nodes_and_statements_are_typed(turtle):
    for label, n in NODES.items():
        assert len(set(turtle.subjects(RDF.type, URIRef(vocab.CLASSES[label])))) == n, label
    for rel_type, n in RELATIONSHIPS.items():
        typed = set(turtle.subjects(RDF.type, URIRef(vocab.STATEMENT_CLASSES[rel_type])))
        assert len(typed) == n, rel_type
    assert len(set(turtle.subjects(RDF.type, cp("ProductionObservation")))) == 6   # one per PRODUCES
    observations = {s for t in vocab.OBSERVATION_TYPES
                    for s in turtle.subjects(RDF.type, URIRef(vocab.STATEMENT_CLASSES[t]))}
    assert len(observations) == OBSERVATIONS


def test_direct_edges_next_to_the_statements(turtle):
    edges = [(s, p, o) for p in map(URIRef, vocab.RELATIONS.values()) for s, o in turtle.subject_objects(p)]
    assert len(edges) == DIRECT_EDGES
    assert (iri("country:CHN"), cp("produces"), iri("material:gallium")) in turtle
    assert (iri("facility:mountain-pass"), cp("locatedIn"), iri("country:USA")) in turtle
    # every statement has exactly one from and one to, and its direct edge exists
    for rel_type, cls in vocab.STATEMENT_CLASSES.items():
        for st in turtle.subjects(RDF.type, URIRef(cls)):
            froms, tos = list(turtle.objects(st, cp("from"))), list(turtle.objects(st, cp("to")))
            assert len(froms) == 1 and len(tos) == 1, st
            assert (froms[0], URIRef(vocab.RELATIONS[rel_type]), tos[0]) in turtle, st


def test_every_statement_and_node_is_derived_from_a_source(turtle):
    derived = URIRef(PROV + "wasDerivedFrom")
    statements = {s for cls in vocab.STATEMENT_CLASSES.values()
                  for s in turtle.subjects(RDF.type, URIRef(cls))}
    nodes = {s for label, cls in vocab.CLASSES.items() if label != "Source"
             for s in turtle.subjects(RDF.type, URIRef(cls))}
    assert len(statements) == 31 and len(nodes) == 16
    for subject in statements | nodes:
        sources = list(turtle.objects(subject, derived))
        assert sources, f"{subject} has no prov:wasDerivedFrom"
        for source in sources:
            assert (source, RDF.type, cp("Source")) in turtle
    no_provenance = turtle.query(f"""
        PREFIX prov: <{PROV}>  PREFIX cp: <{CP}>
        SELECT ?s WHERE {{ ?s cp:from ?x .
                          FILTER NOT EXISTS {{ ?s prov:wasDerivedFrom ?src . ?src a cp:Source }} }}""")
    assert not list(no_provenance)


def test_sources_carry_license_publisher_and_retrieval_date(turtle):
    for sid in SOURCES:
        source = iri(sid)
        assert turtle.value(source, URIRef(DCT + "license")) is not None
        assert turtle.value(source, URIRef(DCT + "publisher")) is not None
        retrieved = turtle.value(source, cp("retrieved"))
        assert retrieved.datatype == URIRef(XSD + "date")
    usgs = iri("source:usgs-mcs-2025")
    assert turtle.value(usgs, URIRef(DCT + "publisher")) == Literal("U.S. Geological Survey")
    assert turtle.value(usgs, cp("retrieved")) == Literal("2025-02-03", datatype=URIRef(XSD + "date"))
    assert turtle.value(usgs, cp("year")) == Literal("2025", datatype=URIRef(XSD + "gYear"))
    assert turtle.value(usgs, URIRef(PROV + "wasDerivedFrom")) is None   # self-citation implied


def test_export_controls_and_agreements_carry_their_dates(turtle):
    control = iri("control:mofcom-2023-23-gallium-germanium")
    date = URIRef(XSD + "date")
    assert turtle.value(control, cp("announced")) == Literal("2023-07-03", datatype=date)
    assert turtle.value(control, cp("effective")) == Literal("2023-08-01", datatype=date)
    assert turtle.value(control, cp("suspendedFrom")) == Literal("2025-11-09", datatype=date)
    assert turtle.value(control, cp("suspendedUntil")) == Literal("2026-11-27", datatype=date)
    agreement = iri("agreement:us-japan-cma-2023")
    assert turtle.value(agreement, cp("signed")) == Literal("2023-03-28", datatype=date)
    assert (iri("country:JPN"), cp("partyTo"), agreement) in turtle


def test_observation_values_units_year_and_stage(turtle):
    obs = URIRef(vocab.statement_iri("PRODUCES", "country:CHN", "material:gallium", ("refining", 2024, "output")))
    decimal = URIRef(XSD + "decimal")
    assert (obs, RDF.type, cp("ProductionObservation")) in turtle
    assert turtle.value(obs, cp("from")) == iri("country:CHN")
    assert turtle.value(obs, cp("to")) == iri("material:gallium")
    assert turtle.value(obs, cp("quantity")) == Literal("750.0", datatype=decimal)
    assert turtle.value(obs, cp("worldQuantity")) == Literal("760.0", datatype=decimal)
    assert turtle.value(obs, cp("share")) == Literal("0.98", datatype=decimal)
    assert turtle.value(obs, cp("unit")) == URIRef("http://qudt.org/vocab/unit/TONNE")
    assert turtle.value(obs, cp("year")) == Literal("2024", datatype=URIRef(XSD + "gYear"))
    assert turtle.value(obs, cp("stage")) == Literal("refining")
    assert turtle.value(obs, cp("estimated")) == Literal(True)
    withheld = URIRef(vocab.statement_iri("PRODUCES", "country:AUS", "material:rare-earths",
                                          ("mining", 2024, "output")))
    assert turtle.value(withheld, cp("qualifier")) == Literal("W")      # kept, never a 0
    assert turtle.value(withheld, cp("quantity")) is None
    trade = URIRef(vocab.statement_iri("EXPORTS_TO", "country:CHN", "country:USA",
                                       ("850511", 2023, 0, "imports")))
    assert turtle.value(trade, cp("valueUsd")) == Literal("123456789.5", datatype=decimal)
    assert turtle.value(trade, cp("hsCode")) == iri("hs:850511")


def test_ranked_import_sources_keep_their_order(turtle):
    obs = URIRef(vocab.statement_iri("IMPORT_RELIANCE", "country:USA", "material:gallium", (2024,)))
    sources = list(Collection(turtle, turtle.value(obs, cp("importSources"))))
    assert sources == [iri("country:CHN"), iri("country:JPN"), iri("country:DEU"), iri("country:CAN")]
    shares = [float(x) for x in Collection(turtle, turtle.value(obs, cp("importSourceShares")))]
    assert shares == [0.21, 0.19, 0.13, 0.11]


def test_wikidata_iso_codes_and_hs_concepts(turtle):
    for node_id, qid in SAME_AS.items():
        assert list(turtle.objects(iri(node_id), OWL.sameAs)) == [
            URIRef(f"http://www.wikidata.org/entity/{qid}")]
    assert len(list(turtle.subject_objects(OWL.sameAs))) == len(SAME_AS)
    chn = iri("country:CHN")
    assert (turtle.value(chn, cp("iso3")), turtle.value(chn, cp("iso2")),
            turtle.value(chn, cp("isoNumeric"))) == (Literal("CHN"), Literal("CN"), Literal("156"))
    hs = iri("hs:850511")
    assert turtle.value(hs, URIRef(SKOS + "broader")) == iri("hs:8505")
    assert turtle.value(hs, URIRef(SKOS + "notation")) == Literal("850511")
    assert turtle.value(hs, URIRef(SKOS + "inScheme")) == cp("HarmonizedSystem")


def test_hostile_strings_survive_every_format(exports):
    lith, firm = iri("material:lithium-hydroxide"), iri("firm:lei:529900ABCDEFGHIJKL12")
    comment, label = URIRef("http://www.w3.org/2000/01/rdf-schema#comment"), \
        URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    for fmt, data in exports.items():
        graph = parse(data, fmt)
        assert str(graph.value(lith, comment)) == HOSTILE_NOTES, fmt
        assert str(graph.value(firm, label)) == HOSTILE_NAME, fmt


def test_turtle_is_prefixed_and_compact(exports):
    text = exports["turtle"].decode("utf-8")
    head = [line for line in text.splitlines() if line.startswith("@prefix")]
    body = "\n".join(line for line in text.splitlines() if not line.startswith("@prefix"))
    assert {line.split()[1] for line in head} == {f"{p}:" for p in vocab.ALL_PREFIXES}
    for prefix, ns in vocab.ALL_PREFIXES.items():
        assert f"@prefix {prefix}: <{ns}> ." in head
        assert f"<{ns}" not in body, f"a full {prefix}: IRI where a CURIE would do"
    assert "country:CHN a cp:Country" in body
    assert "stmt:produces_country:CHN_material:gallium_refining_2024_output a cp:ProductionObservation" in body
    bound = dict(Graph().parse(data=exports["turtle"], format="turtle").namespaces())
    assert str(bound["cp"]) == CP and str(bound["country"]) == vocab.ID_PREFIXES["country"]


def test_jsonld_is_compact_with_the_context_inline(exports):
    doc = json.loads(exports["jsonld"])
    assert doc["@context"] == vocab.jsonld_context()["@context"]
    by_id: dict[str, list[dict[str, Any]]] = {}
    for obj in doc["@graph"]:
        by_id.setdefault(obj["@id"], []).append(obj)
    chn = next(o for o in by_id["country:CHN"] if "@type" in o)
    assert chn["@type"] == "Country" and chn["name"] == "China" and chn["wikidata"] == "wd:Q148"
    assert chn["source_ids"] == ["source:usgs-mcs-2025"]
    edges = next(o for o in by_id["country:CHN"] if "@type" not in o)
    assert sorted(edges["produces"]) == ["material:gallium", "material:rare-earths"]


def test_trig_has_one_named_graph_per_source(exports):
    ds = Dataset()
    ds.parse(data=exports["trig"], format="trig")
    graphs = {str(g.identifier): g for g in ds.graphs() if len(g)}
    assert set(graphs) == {vocab.node_iri(s) for s in SOURCES}
    trade = graphs[vocab.node_iri("source:trade-sample")]
    usgs = graphs[vocab.node_iri("source:usgs-mcs-2025")]
    flow = URIRef(vocab.statement_iri("EXPORTS_TO", "country:CHN", "country:USA",
                                      ("850511", 2023, 0, "imports")))
    assert (flow, RDF.type, cp("TradeFlowObservation")) in trade
    assert (flow, None, None) not in usgs
    # a node cited by two sources is described in both graphs
    japan = iri("country:JPN")
    assert (japan, RDF.type, cp("Country")) in trade and (japan, RDF.type, cp("Country")) in usgs


def test_the_exporter_refuses_a_property_it_has_no_iri_for():
    with pytest.raises(DataError, match="no IRI"):
        export_rows([{"type": "Country", "id": "country:CHN", "name": "China", "colour": "red",
                      "source_ids": ["source:x"]}], [], io.BytesIO(), "nt")


def test_an_empty_graph_exports_to_an_empty_document(fresh_store):
    for fmt in SUFFIX:
        assert len(parse(export_bytes(fresh_store, fmt), fmt)) == 0


# -- SHACL --------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["turtle", "jsonld", "trig"])
def test_the_planted_export_validates_with_zero_violations(exports, tmp_path, fmt):
    path = tmp_path / f"planted{SUFFIX[fmt]}"
    path.write_bytes(exports[fmt])
    report = validate_file(path)
    assert report.conforms, "\n".join(report.lines())
    assert report.violations == [] and report.triples > 300


def test_the_live_graph_validates(planted):
    report = validate_store(planted)
    assert report.conforms, "\n".join(report.lines())


def test_a_broken_graph_fails_with_readable_violations(turtle):
    graph = Graph()
    for t in turtle:
        graph.add(t)
    obs = URIRef(vocab.statement_iri("PRODUCES", "country:CHN", "material:gallium", ("refining", 2024, "output")))
    derived = URIRef(PROV + "wasDerivedFrom")
    graph.remove((obs, derived, None))                                    # no provenance
    graph.set((obs, cp("share"), Literal("1.5", datatype=URIRef(XSD + "decimal"))))   # share > 1
    flow = URIRef(vocab.statement_iri("EXPORTS_TO", "country:CHN", "country:USA",
                                      ("850511", 2023, 0, "imports")))
    graph.set((flow, cp("to"), iri("country:ZZZ")))                     # endpoint not in graph
    control = iri("control:mofcom-2023-23-gallium-germanium")
    graph.set((control, cp("effective"), Literal("1 Aug 2023")))         # not an xsd:date
    graph.add((iri("country:CHN"), cp("colour"), Literal("red")))       # not in the ontology
    report = validate_graph(graph, name="broken")
    assert not report.conforms
    found = {(v.focus, v.path) for v in report.violations}
    stmt = vocab.curie(str(obs))
    assert (stmt, "prov:wasDerivedFrom") in found
    assert (stmt, "cp:share") in found
    assert (vocab.curie(str(flow)), "cp:to") in found
    assert ("control:mofcom-2023-23-gallium-germanium", "cp:effective") in found
    assert ("country:CHN", "cp:colour") in found
    text = "\n".join(report.lines())
    assert "broken:" in text and "SHACL violation" in text
    assert f"  {stmt}\n" in text
    assert 'cp:share = "1.5"^^xsd:decimal: PRODUCES.share (cp:share)' in text and "<= 1" in text
    assert "prov:wasDerivedFrom: PRODUCES.source_ids" in text and "[MinCount]" in text
    assert "not a property of this class" in text


def test_cli_validate_prints_violations_and_exits_1(exports, tmp_path):
    from kg.cli import cli
    good = tmp_path / "good.ttl"
    good.write_bytes(exports["turtle"])
    bad = tmp_path / "bad.nt"
    bad.write_bytes(exports["nt"].replace(b'"0.98"^^<http://www.w3.org/2001/XMLSchema#decimal>',
                                          b'"1.98"^^<http://www.w3.org/2001/XMLSchema#decimal>'))
    runner = CliRunner()
    ok = runner.invoke(cli, ["validate", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "conforms" in ok.output
    failed = runner.invoke(cli, ["validate", str(bad)])
    assert failed.exit_code == 1, failed.output
    assert "stmt:produces_country:CHN_material:gallium_refining_2024_output" in failed.output
    assert 'cp:share = "1.98"^^xsd:decimal' in failed.output


# -- CLI export ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["turtle", "nt", "jsonld", "trig", "jsonl"])
def test_cli_export_writes_the_file_atomically(planted, tmp_path, monkeypatch, fmt):
    from kg import cli as cli_module
    monkeypatch.setattr(cli_module.Ctx, "store", lambda self: planted)
    out = tmp_path / f"graph.{fmt}"
    result = CliRunner().invoke(cli_module.cli, ["export", "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and not list(tmp_path.glob(".*.part"))
    if fmt == "jsonl":
        assert len(out.read_text(encoding="utf-8").splitlines()) == 19 + 31
    else:
        assert len(parse(out.read_bytes(), fmt)) > 300
    to_stdout = CliRunner().invoke(cli_module.cli, ["export", "--format", fmt])
    assert to_stdout.exit_code == 0
    assert to_stdout.stdout_bytes == out.read_bytes()


def test_cli_export_leaves_no_partial_file_on_error(planted, tmp_path, monkeypatch):
    from kg import cli as cli_module

    class Broken:
        backend = "embedded"

        def iter_nodes(self) -> Iterator[dict[str, Any]]:
            yield from planted.iter_nodes()
            raise KGError("the store went away")

        def iter_relationships(self) -> Iterator[dict[str, Any]]:
            return iter(())

    monkeypatch.setattr(cli_module.Ctx, "store", lambda self: Broken())
    out = tmp_path / "graph.ttl"
    out.write_text("previous export")
    result = CliRunner().invoke(cli_module.cli, ["export", "--format", "turtle", "-o", str(out)])
    assert result.exit_code != 0
    assert out.read_text() == "previous export"
    assert not list(tmp_path.glob(".*.part"))


# -- round trip ---------------------------------------------------------------------------------

def canonical(store: Any) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in api.export_records(store))


@pytest.mark.parametrize("fmt", ["turtle", "nt", "jsonld", "trig"])
def test_round_trip_reproduces_the_graph(planted, fresh_store, tmp_path, fmt):
    path = tmp_path / f"export{SUFFIX[fmt]}"
    path.write_bytes(export_bytes(planted, fmt))
    report = api.import_records(fresh_store, [path])
    assert report.nodes == 19 and report.relationships == 31
    assert fresh_store.stats() == planted.stats()
    assert fresh_store.stats() == {"nodes": dict(sorted(NODES.items())),
                                   "relationships": dict(sorted(RELATIONSHIPS.items()))}
    assert canonical(fresh_store) == canonical(planted)
    firm = next(r for r in api.export_records(fresh_store) if r.get("id") == "firm:lei:529900ABCDEFGHIJKL12")
    assert firm["name"] == HOSTILE_NAME


def test_round_trip_is_a_fixed_point(planted, fresh_store, tmp_path):
    """Export -> import -> export gives the same Turtle, byte for byte (IRIs are deterministic)."""
    first = export_bytes(planted, "nt")
    path = tmp_path / "first.nt"
    path.write_bytes(first)
    api.import_records(fresh_store, [path])
    assert sorted(export_bytes(fresh_store, "nt").splitlines()) == sorted(
        line for line in first.splitlines())


def test_sets_come_back_sorted(fresh_store, tmp_path):
    """RDF keeps no order of repeated triples: source_ids and critical_lists are sets."""
    records = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()][:3]
    records.append({"type": "Material", "id": "material:x", "name": "X",
                    "critical_lists": ["US-2025", "EU-2023"],
                    "source_ids": ["source:usgs-mcs-2025", "source:curated-controls"]})
    nodes = [{**r, "source_ids": r.get("source_ids", [r["id"]])} for r in records]
    buf = io.BytesIO()
    export_rows(nodes, [], buf, "turtle")
    path = tmp_path / "sets.ttl"
    path.write_bytes(buf.getvalue())
    got = {rec.id: rec for rec, _, _ in read_rdf(path)}
    assert got["material:x"].critical_lists == ("EU-2023", "US-2025")
    assert got["material:x"].source_ids == ("source:curated-controls", "source:usgs-mcs-2025")
    assert got["source:usgs-mcs-2025"].source_ids == ("source:usgs-mcs-2025",)


def test_an_unset_reference_round_trips(tmp_path):
    """SUPPLIES.item_id defaults to "" (no item): nothing is written, and the default comes back."""
    source = fixture_records()[0]
    nodes = [{**source, "source_ids": [source["id"]]},
             {"type": "Firm", "id": "firm:a", "name": "A", "source_ids": [source["id"]]},
             {"type": "Firm", "id": "firm:b", "name": "B", "source_ids": [source["id"]]}]
    rels = [{"type": "SUPPLIES", "from": "firm:a", "to": "firm:b", "item_id": "",
             "source_ids": [source["id"]]}]
    buf = io.BytesIO()
    export_rows(nodes, rels, buf, "nt")
    assert b"suppliedItem" not in buf.getvalue()
    path = tmp_path / "supplies.nt"
    path.write_bytes(buf.getvalue())
    supplies = [rec for rec, _, _ in read_rdf(path) if rec.type_name == "SUPPLIES"]
    assert len(supplies) == 1 and supplies[0].item_id == ""


# -- import errors ------------------------------------------------------------------------------

TTL_HEAD = "\n".join(f"@prefix {p}: <{ns}> ." for p, ns in vocab.ALL_PREFIXES.items()) + "\n"
SOURCE_TTL = ('source:s a cp:Source ; dct:identifier "source:s" ; rdfs:label "S" ; dct:title "S" ; '
              'dct:publisher "P" ; cp:url "https://e.org"^^xsd:anyURI ; dct:license "CC0-1.0" ; '
              'cp:retrieved "2025-01-01"^^xsd:date .\n')


@pytest.mark.parametrize("body, message", [
    ('country:CHN a cp:Country ; rdfs:label "China" ; prov:wasDerivedFrom source:s ; '
     'cp:colour "red" .', "cp:colour"),
    ('country:CHN a cp:Material ; rdfs:label "China" ; prov:wasDerivedFrom source:s .',
     "cannot have the IRI"),
    ('country:CHN a cp:Country ; rdfs:label "China", "Chine" ; prov:wasDerivedFrom source:s .',
     "expected one"),
    ('country:CHN a cp:Country ; rdfs:label "China" ; prov:wasDerivedFrom source:s ; '
     'dct:identifier "country:FRA" .', "is not the id of the IRI"),
    ('stmt:x cp:from country:CHN ; cp:to material:ga ; prov:wasDerivedFrom source:s .',
     "no Chokepoint class"),
    ('stmt:x a cp:ProductionObservation ; cp:from country:CHN ; cp:to material:ga ; '
     'cp:stage "mining" ; cp:year "twenty"^^xsd:gYear ; prov:wasDerivedFrom source:s .',
     "not a valid year"),
    ('stmt:x a cp:ProductionObservation ; cp:from country:CHN ; cp:to material:ga ; '
     'cp:stage "smelting" ; cp:year 2024 ; prov:wasDerivedFrom source:s .', "unknown stage"),
    ('country:CHN a cp:Country ; rdfs:label "China" ; prov:wasDerivedFrom source:s ; '
     'cp:iso3 "CHN" ; cp:iso2 "CN" ; cp:isoNumeric "156" ; owl:sameAs <https://example.org/x> .',
     "wikidata"),
    ('country:CHN a cp:Country ; rdfs:label "China" ; prov:wasDerivedFrom source:s .\n'
     'stmt:x a cp:ProductionObservation ; cp:from country:CHN ; cp:to material:ga ; '
     'cp:stage "mining" ; cp:year 2024 ; cp:quantity 3 ; cp:unit <http://qudt.org/vocab/unit/KiloGM> ; '
     'prov:wasDerivedFrom source:s .', "unit IRI"),
])
def test_import_rejects_rdf_it_cannot_represent(tmp_path, body, message):
    path = tmp_path / "bad.ttl"
    path.write_text(TTL_HEAD + SOURCE_TTL + body, encoding="utf-8")
    with pytest.raises(DataError, match=message) as err:
        list(read_rdf(path))
    assert str(path) in str(err.value)


def test_import_reports_a_syntax_error_with_the_file(tmp_path):
    path = tmp_path / "broken.ttl"
    path.write_text(TTL_HEAD + 'country:CHN a cp:Country ;\n rdfs:label "China .', encoding="utf-8")
    with pytest.raises(DataError, match="invalid Turtle") as err:
        list(read_rdf(path))
    assert str(path) in str(err.value)


def test_import_of_a_dangling_statement_leaves_the_graph_unchanged(planted, tmp_path):
    before = canonical(planted)
    path = tmp_path / "dangling.ttl"
    path.write_text(TTL_HEAD + SOURCE_TTL + (
        'stmt:x a cp:LocatedInStatement ; cp:from facility:nowhere ; cp:to country:CHN ; '
        'prov:wasDerivedFrom source:s .'), encoding="utf-8")
    with pytest.raises(DataError, match="facility:nowhere"):
        api.import_records(planted, [path])
    assert canonical(planted) == before


def test_third_party_rdf_with_blank_statements_and_plain_numbers_imports(fresh_store, tmp_path):
    path = tmp_path / "third-party.ttl"
    path.write_text(TTL_HEAD + SOURCE_TTL + (
        'country:CHN a cp:Country ; rdfs:label "China"@en ; prov:wasDerivedFrom source:s .\n'
        'material:ga a cp:Material ; rdfs:label "Gallium" ; prov:wasDerivedFrom source:s .\n'
        '[] a cp:ProductionObservation ; cp:from country:CHN ; cp:to material:ga ; '
        'cp:stage "refining" ; cp:year 2024 ; cp:share 0.98 ; cp:quantity 750 ; '
        'cp:unit units:TONNE ; prov:wasDerivedFrom source:s .\n'), encoding="utf-8")
    api.import_records(fresh_store, [path])
    rows = {r["type"]: r for r in api.export_records(fresh_store)}
    assert rows["PRODUCES"]["quantity"] == 750.0 and rows["PRODUCES"]["year"] == 2024
    assert rows["Country"]["name"] == "China"


# -- vocab helpers ------------------------------------------------------------------------------

@pytest.mark.parametrize("node_id", ["country:CHN", "firm:lei:529900ABCDEFGHIJKL12", "hs:850511",
                                     "material:rare-earths", "facility:a.b-c", "firm:odd id/é"])
def test_node_iris_are_reversible(node_id):
    assert vocab.node_id(vocab.node_iri(node_id)) == node_id


def test_statement_iris_are_deterministic_and_unambiguous():
    a = vocab.statement_iri("PRODUCES", "country:CHN", "material:gallium", ("refining", 2024))
    assert a == vocab.STATEMENT_NS + "produces_country:CHN_material:gallium_refining_2024"
    assert a == vocab.statement_iri("PRODUCES", "country:CHN", "material:gallium", ("refining", 2024))
    assert vocab.statement_iri("SUPPLIES", "firm:a", "firm:b", ("x_y",)) != \
        vocab.statement_iri("SUPPLIES", "firm:a", "firm:b_x", ("y",))


@pytest.mark.parametrize("value", [0.1, 0.98, 1e-7, 5e-324, 1e22, 123456789.5, 1.7976931348623157e308,
                                   750.0, 0.0, 3])
def test_decimals_are_exact(value):
    text = vocab.decimal_lexical(value)
    assert "e" not in text.lower() and float(text) == value


# -- the bundled snapshot -------------------------------------------------------------------------

def _snapshot_is_empty() -> bool:
    from kg.paths import snapshot_dir
    root = snapshot_dir()
    return not root.is_dir() or not any(p.is_dir() and any(p.iterdir()) for p in root.iterdir())


def _sample_of_every_class(quads: list[Any], per_class: int) -> tuple[list[Any], list[Any]]:
    """Evenly spaced instances of every rdf:type (at most `per_class` each, all of a rarer class),
    and the triples pySHACL needs to judge them: their own, those of the blank nodes they reach
    (RDF lists) and the rdf:type of every IRI they point to (sh:class)."""
    import pyoxigraph as ox
    rdf_type = ox.NamedNode(str(RDF.type))
    by_subject: dict[Any, list[Any]] = {}
    instances: dict[Any, set[Any]] = {}
    for q in quads:
        by_subject.setdefault(q.subject, []).append(q)
        if q.predicate == rdf_type:
            instances.setdefault(q.object, set()).add(q.subject)
    focus = []
    for members in instances.values():
        ordered = sorted(members, key=str)
        focus += ordered[::max(1, len(ordered) // per_class)]
    keep, pending, seen = [], list(focus), set(focus)
    while pending:
        for q in by_subject.get(pending.pop(), []):
            keep.append(q)
            if q.object in seen:
                continue
            seen.add(q.object)
            if isinstance(q.object, ox.BlankNode):
                pending.append(q.object)
            elif isinstance(q.object, ox.NamedNode):
                keep += [t for t in by_subject.get(q.object, []) if t.predicate == rdf_type]
    return focus, keep


@pytest.mark.skipif(_snapshot_is_empty(), reason="loaders/snapshot/ is still empty: nothing to build")
@pytest.mark.slow     # pySHACL (the reference implementation) over a sample of the bundled graph
def test_the_bundled_snapshot_exports_and_validates_with_zero_violations(snapshot_store):
    """pySHACL, independent of `kg validate`'s compiled shapes (the next test runs those on every
    node), judges a sample of every class of the real graph: 40 evenly spaced instances each.
    The whole graph (500k triples) would take pySHACL minutes (its time grows faster than the
    sample: 1,300 focus nodes 13 s, 3,200 focus nodes 62 s)."""
    stats = snapshot_store.stats()       # the session's build of the bundled snapshot
    assert sum(stats["nodes"].values()) > 0 and sum(stats["relationships"].values()) > 0
    buf = io.BytesIO()
    exported = export_rdf(snapshot_store, buf, "nt")
    assert exported.nodes == sum(stats["nodes"].values())
    assert exported.relationships == sum(stats["relationships"].values())
    import pyoxigraph as ox
    quads = list(ox.parse(buf.getvalue(), format=ox.RdfFormat.N_TRIPLES))
    focus, triples = _sample_of_every_class(quads, per_class=40)
    classes = {q.object for q in quads if q.predicate.value == str(RDF.type)}
    assert len(classes) >= 20 and len(focus) >= len(classes)
    graph = graph_from_quads(triples)
    result = validate_graph(graph, name="bundled snapshot (sample)",
                            focus=[URIRef(n.value) if isinstance(n, ox.NamedNode) else n for n in focus])
    assert result.conforms, "\n".join(result.lines(30))


def test_the_sample_keeps_what_a_planted_violation_needs(embedded_store):
    """The sampling above can fail: a planted wrong sh:class value is still found in the sample."""
    import pyoxigraph as ox
    api.import_records(embedded_store, [FIXTURE])
    buf = io.BytesIO()
    export_rdf(embedded_store, buf, "nt")
    quads = list(ox.parse(buf.getvalue(), format=ox.RdfFormat.N_TRIPLES))
    rdf_type = ox.NamedNode(str(RDF.type))
    # retype one country as a material: every edge pointing at it breaks its sh:class
    victim = next(q.subject for q in quads if q.predicate == rdf_type and q.object.value.endswith("Country"))
    material = next(q.object for q in quads if q.predicate == rdf_type and q.object.value.endswith("Material"))
    planted = [ox.Triple(q.subject, q.predicate, material) if q.subject == victim and q.predicate == rdf_type
               else q for q in quads]
    focus, triples = _sample_of_every_class(planted, per_class=40)
    graph = graph_from_quads(triples)
    result = validate_graph(graph, focus=[URIRef(n.value) if isinstance(n, ox.NamedNode) else n for n in focus])
    assert not result.conforms
    assert any("Country" in v.message for v in result.violations), result.lines(10)


@pytest.mark.skipif(_snapshot_is_empty(), reason="loaders/snapshot/ is still empty: nothing to build")
@pytest.mark.slow     # every shape over the whole bundled graph (600k triples)
def test_the_bundled_snapshot_has_zero_violations_by_the_compiled_shapes(snapshot_store):
    """`kg validate`'s SHACL-as-SPARQL validator on every node of the bundled graph (the test above
    checks a sample of the same graph with pySHACL)."""
    from kg.rdf.shacl import validate_store
    result = validate_store(snapshot_store)
    assert result.triples > 0
    assert result.conforms, "\n".join(result.lines(30))


def test_every_backend_exports_the_same_valid_graph(store, embedded_store):
    """Export streams from either store (Neo4j when available) and gives the same RDF."""
    api.import_records(store, [FIXTURE])
    data = export_bytes(store, "turtle")
    report = validate_graph(parse(data, "turtle"), name=store.backend)
    assert report.conforms, "\n".join(report.lines())
    if store is not embedded_store:
        api.import_records(embedded_store, [FIXTURE])
        assert isomorphic(parse(data, "turtle"), parse(export_bytes(embedded_store, "turtle"), "turtle"))
