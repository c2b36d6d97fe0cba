"""The SHACL shapes compiled to SPARQL (`kg.rdf.shacl_sparql`) report exactly what pySHACL reports.

A violation of every constraint of every shape in `ontology/shapes.ttl` is planted, each on its
own fresh copy of a real focus node of the planted fixture (so one mutation per focus node): a
required value removed, a second value added, a literal of the wrong datatype, a literal where an
IRI belongs, an IRI of the wrong class, a value outside `sh:in`, a string off its pattern, an empty
string, numbers on the wrong side of each bound, a missing `skos:inScheme`, a property the closed
shape does not allow, a subject IRI off the shape's pattern and a blank-node subject. The mutations
are derived from the shapes themselves, so a constraint added to shapes.ttl is planted too. Then
both validators run on the same graph and their violation lists must be equal, and every planted
(focus, constraint) pair must be among them.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH, XSD

from kg import vocab
from kg.rdf import shacl
from kg.rdf.export import export_rows

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib", "ignore::UserWarning")

FIXTURE = Path(__file__).parent / "fixtures" / "rdf" / "planted.jsonl"
CP = vocab.CP_NS
NOWHERE = URIRef(vocab.DATA_NS + "material/nowhere")        # an IRI of no class in the graph


def fixture_graph() -> Graph:
    from kg.models import Node, parse_record
    lines = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line]
    # classes the RDF fixture has no instance of, so each shape has a focus node to plant on
    lines += [{"type": "ImportMeasure", "id": "importmeasure:test-tariff", "name": "Test tariff",
               "instrument": "Tariff 2", "kind": "tariff", "effective": "2024-09-27", "rate": 0.25,
               "source_ids": ["source:curated-controls"]}]
    records = [parse_record(line) for line in lines]
    nodes = [{"type": r.type_name, **r.properties()} for r in records if isinstance(r, Node)]
    rels = sorted(({"type": r.type_name, "from": r.from_id, "to": r.to_id, **r.properties()}
                   for r in records if not isinstance(r, Node)), key=lambda r: r["from"])
    buf = io.BytesIO()
    export_rows(nodes, rels, buf, "nt")
    return Graph().parse(data=buf.getvalue(), format="nt")


class Planter:
    def __init__(self, data: Graph, shapes: Graph) -> None:
        self.data, self.shapes = data, shapes
        self.n = 0
        self.expected: set[tuple[str, str]] = set()      # (focus CURIE, constraint component)

    def fresh(self, original: URIRef, pattern: str | None) -> URIRef:
        """A new IRI of the same kind as `original` that still matches the shape's pattern."""
        self.n += 1
        text = str(original)
        ns = text.rsplit("/", 1)[0] + "/"
        if ns.endswith("/country/"):
            a, b = divmod(self.n, 26)
            candidate = f"{ns}Q{chr(65 + a % 26)}{chr(65 + b)}"
        elif ns.endswith("/hs/"):
            candidate = f"{ns}99{self.n:04d}"
        elif ns.endswith("/statement/"):
            candidate = f"{text}_planted{self.n}"
        else:
            candidate = f"{ns}planted-{self.n}"
        assert pattern is None or re.search(pattern, candidate), (candidate, pattern)
        assert (URIRef(candidate), None, None) not in self.data
        return URIRef(candidate)

    def copy(self, original: Any, new: Any) -> Any:
        for p, o in list(self.data.predicate_objects(original)):
            self.data.add((new, p, o))
        return new

    def expect(self, focus: Any, component: str) -> None:
        self.expected.add((shacl._term(self.data, focus) if not isinstance(focus, BNode) else "[]",
                           component))

    def replace(self, focus: Any, path: Any, *values: Any) -> None:
        self.data.remove((focus, path, None))
        for v in values:
            self.data.add((focus, path, v))


def _bad_value(shapes: Graph, prop: Any, component: Any) -> list[Any]:
    """Value(s) that break one constraint of a property shape."""
    param = shapes.value(prop, component)
    if component == SH.datatype:
        return [Literal("5", datatype=XSD.integer)] if param == XSD.string else [Literal("not a value")]
    if component == SH.nodeKind:
        return [Literal("not an IRI")]
    if component in (SH["class"], SH["or"]):
        return [NOWHERE]
    if component == SH["in"]:
        items = list(Collection(shapes, param))
        return [Literal("not-in-list")] if isinstance(items[0], Literal) else \
            [URIRef("http://qudt.org/vocab/unit/NOT_A_UNIT")]
    if component == SH.pattern:
        if shapes.value(prop, SH.nodeKind) == SH.IRI:
            return [URIRef("http://example.org/off-pattern")]
        return [Literal("Off Pattern ~ 1")]
    if component == SH.minLength:
        return [Literal("")]
    bound = Decimal(str(param))
    step = {SH.minInclusive: -1, SH.maxInclusive: 1, SH.minExclusive: 0}[component]
    return [Literal(str(bound + step), datatype=XSD.decimal)]


_COMPONENT = {SH.datatype: "Datatype", SH.nodeKind: "NodeKind", SH["class"]: "Class", SH["in"]: "In",
              SH.pattern: "Pattern", SH.minLength: "MinLength", SH.minInclusive: "MinInclusive",
              SH.maxInclusive: "MaxInclusive", SH.minExclusive: "MinExclusive", SH["or"]: "Or"}


def plant_everything(data: Graph, shapes: Graph) -> Planter:
    planter = Planter(data, shapes)
    for shape in sorted(shapes.subjects(SH.targetClass, None)):
        cls = shapes.value(shape, SH.targetClass)
        instances = sorted(i for i in data.subjects(RDF.type, cls) if isinstance(i, URIRef))
        assert instances, f"the fixture has no {cls}: cannot plant its violations"
        pattern = shapes.value(shape, SH.pattern)
        pattern = str(pattern) if pattern is not None else None

        def fresh(source: URIRef = instances[0], pattern: str | None = pattern) -> URIRef:
            return planter.copy(source, planter.fresh(source, pattern))

        # node level: closed, the subject's pattern and node kind, sh:or of property counts
        if shapes.value(shape, SH.closed) is not None:
            f = fresh()
            data.add((f, URIRef(CP + "colour"), Literal("red")))
            planter.expect(f, "Closed")
        if pattern is not None:
            bad = URIRef(str(instances[0]).rsplit("/", 1)[0] + f"/Off_Pattern_{planter.n}")
            planter.n += 1
            planter.copy(instances[0], bad)
            planter.expect(bad, "Pattern")
        if shapes.value(shape, SH.nodeKind) == SH.IRI:
            blank = planter.copy(instances[0], BNode())
            planter.expect(blank, "NodeKind")
        for alternatives in shapes.objects(shape, SH["or"]):
            f = fresh()
            for member in Collection(shapes, alternatives):
                path = shapes.value(member, SH.path)
                if shapes.value(member, SH.minCount) is not None:
                    data.remove((f, path, None))
                else:
                    data.add((f, path, Literal("5", datatype=XSD.decimal)))
            planter.expect(f, "Or")
        # property shapes: each constraint on its own fresh focus node
        for prop in shapes.objects(shape, SH.property):
            path = shapes.value(prop, SH.path)
            simple = isinstance(path, URIRef)
            head = path if simple else next(iter(Collection(shapes, path)))     # the list's predicate
            if shapes.value(prop, SH.minCount) is not None and simple:
                f = fresh()
                data.remove((f, path, None))
                planter.expect(f, "MinCount")
            if shapes.value(prop, SH.maxCount) is not None and simple:
                f = fresh()
                max_count = int(shapes.value(prop, SH.maxCount))
                have = list(data.objects(f, path))
                extra = [Literal(f"extra {i}") for i in range(max_count + 1 - len(have))]
                for v in extra:
                    data.add((f, path, v))
                planter.expect(f, "MaxCount")
            if shapes.value(prop, SH.hasValue) is not None:
                f = fresh()
                data.remove((f, path, None))
                planter.expect(f, "HasValue")
            for component, name in _COMPONENT.items():
                if shapes.value(prop, component) is None:
                    continue
                source = next((i for i in instances if (i, head, None) in data), instances[0])
                f = fresh(source)
                values = _bad_value(shapes, prop, component)
                if simple:
                    planter.replace(f, path, *values)
                else:               # a list path (cp:importSources/rdf:rest*/rdf:first): a new list
                    node = BNode()
                    Collection(data, node, values)
                    planter.replace(f, head, node)
                planter.expect(f, name)
    return planter


@pytest.fixture(scope="module")
def planted() -> Iterator[tuple[Graph, Planter]]:
    data = fixture_graph()
    planter = plant_everything(data, shacl.shapes_graph())
    yield data, planter


def _validate_ox(graph: Graph) -> shacl.ShaclReport:
    text = graph.serialize(format="nt", encoding="utf-8")
    store = ox.Store()
    store.bulk_load(text, format=ox.RdfFormat.N_TRIPLES)
    return shacl.validate_ox(store, name="planted",
                             source=lambda: ox.parse(text, format=ox.RdfFormat.N_TRIPLES))


def test_every_shape_compiles() -> None:
    compiled = shacl.compiled_shapes()
    shapes = shacl.shapes_graph()
    n_property_shapes = len(set(shapes.objects(None, SH.property)))
    assert n_property_shapes > 200
    assert len(compiled.queries) >= n_property_shapes


def test_the_fixture_conforms_in_both(planted: tuple[Graph, Planter]) -> None:
    clean = fixture_graph()
    assert shacl.validate_graph(clean).violations == []
    assert _validate_ox(clean).violations == []


def test_planted_violations_are_found_exactly_as_pyshacl_finds_them(planted: tuple[Graph, Planter]) -> None:
    data, planter = planted
    reference = shacl.validate_graph(data, name="planted")
    ours = _validate_ox(data)
    assert len(planter.expected) > 500
    found = {(v.focus, v.message.rsplit("[", 1)[-1].rstrip("]")) for v in reference.violations}
    missing = planter.expected - found
    assert not missing, f"planted but not reported by pySHACL: {sorted(missing)[:10]}"
    assert ours.triples == reference.triples
    only_ref = [v for v in reference.violations if v not in ours.violations]
    only_ours = [v for v in ours.violations if v not in reference.violations]
    assert not only_ref and not only_ours, (only_ref[:5], only_ours[:5])
    # the same list, duplicates included (the order of ties may differ)
    assert Counter(ours.violations) == Counter(reference.violations)


def test_queries_on_several_threads_find_what_one_thread_finds_in_the_same_order(
        planted: tuple[Graph, Planter]) -> None:
    from kg.rdf import shacl_sparql
    data, _ = planted
    store = ox.Store()
    store.bulk_load(data.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    compiled = shacl.compiled_shapes()
    ticks: list[int] = []
    one = list(shacl_sparql.run(compiled, store, threads=1))
    three = list(shacl_sparql.run(compiled, store, ticks.append, threads=3))
    assert len(one) > 500 and three == one
    assert len(ticks) == len(compiled.queries)


@pytest.mark.parametrize(("literal", "ours", "pyshacl"), [
    ('"abc"^^xsd:decimal', True, True),
    ('"0.0000512820512820513"^^xsd:decimal', False, False),    # 19 fractional digits: valid
])
def test_ill_typed_decimals_follow_xsd(literal: str, ours: bool, pyshacl: bool) -> None:
    """A share that is not a valid xsd:decimal is a Datatype violation, and one with more digits
    than pyoxigraph's decimal holds is not. (`"1e5"` and `"NaN"` are ill-typed per XSD and so for
    the compiled shapes, while rdflib normalises them to decimals before pySHACL sees them.)"""
    data = fixture_graph()
    obs = sorted(s for s in data.subjects(URIRef(CP + "share"), None)
                 if (s, RDF.type, URIRef(CP + "ProductionObservation")) in data)[0]
    prefix = "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
    value = Graph().parse(data=f"{prefix}<http://s> <http://p> {literal} .", format="turtle").value(
        URIRef("http://s"), URIRef("http://p"))
    data.set((obs, URIRef(CP + "share"), value))

    def datatype_violation(report: shacl.ShaclReport) -> bool:
        return any(v.path == "cp:share" and v.message.endswith("[Datatype]") for v in report.violations)

    assert datatype_violation(_validate_ox(data)) is ours
    assert datatype_violation(shacl.validate_graph(data)) is pyshacl


def test_instances_of_a_subclass_in_the_data_are_checked() -> None:
    """Targets include instances of subclasses declared in the data graph (SHACL's rdfs:subClassOf
    rule): with such a triple present the compiled queries keep the `rdf:type/rdfs:subClassOf*`
    path (without one they use plain `rdf:type`), and report what pySHACL reports."""
    data = fixture_graph()
    special = URIRef("http://example.org/SpecialCountry")
    member = URIRef(vocab.node_iri("country:XSP"))
    data.add((special, URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"), URIRef(CP + "Country")))
    data.add((member, RDF.type, special))
    reference = shacl.validate_graph(data, name="subclass")
    ours = _validate_ox(data)
    assert any(v.focus == "country:XSP" and "[MinCount]" in v.message for v in ours.violations)
    assert Counter(ours.violations) == Counter(reference.violations)


# -- validating a store: its export, as a file of it would be validated ---------------------------

class _RowsStore:
    """The two reads `export_rdf` needs, over records-format rows (`fail` raises after the nodes)."""

    backend = "rows"

    def __init__(self, rows: list[dict[str, Any]], fail: Exception | None = None) -> None:
        self.rows, self.fail = rows, fail

    def iter_nodes(self) -> Iterator[dict[str, Any]]:
        yield from (r for r in self.rows if "from" not in r)

    def iter_relationships(self) -> Iterator[dict[str, Any]]:
        if self.fail is not None:
            raise self.fail
        yield from (r for r in self.rows if "from" in r)


def test_validate_store_reports_what_validate_file_reports(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line]
    buf = io.BytesIO()
    export_rows((r for r in rows if "from" not in r), (r for r in rows if "from" in r), buf, "nt")
    path = tmp_path / "planted.nt"
    path.write_bytes(buf.getvalue())
    # a share over 1 on one statement: the same violation, quoted as written, from both paths
    bad = [dict(r, share=1.5) if r.get("type") == "PRODUCES" and r.get("share") else r for r in rows]
    from_store = shacl.validate_store(_RowsStore(bad))
    buf = io.BytesIO()
    export_rows((r for r in bad if "from" not in r), (r for r in bad if "from" in r), buf, "nt")
    (tmp_path / "bad.nt").write_bytes(buf.getvalue())
    from_file = shacl.validate_file(tmp_path / "bad.nt")
    assert not from_store.conforms and from_store.violations == from_file.violations
    assert from_store.triples == from_file.triples == shacl.validate_file(path).triples
    assert any(v.value == '"1.5"^^xsd:decimal' for v in from_store.violations)


def test_an_export_that_fails_midway_fails_validate_store_with_its_own_error() -> None:
    from kg.errors import DataError
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line]
    with pytest.raises(DataError, match="the store went away"):
        shacl.validate_store(_RowsStore(rows, fail=DataError("the store went away")))
