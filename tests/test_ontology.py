"""The vocabulary is written down once and checked everywhere (docs/ontology.md).

The graph vocabulary (every label, relationship type and property of the pydantic models) must
equal the mapping in `kg/vocab.py`, the OWL classes and properties of `ontology/chokepoint.ttl`,
the terms of `ontology/context.jsonld` and the shapes of `ontology/shapes.ttl`.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path
from typing import Any

import pytest
from rdflib import OWL, RDF, RDFS, SH, Graph, Literal, URIRef
from rdflib.collection import Collection

from kg import vocab
from kg.models import NODE_TYPES, QUALIFIERS, RELATIONSHIP_TYPES, STAGES, UNITS
from kg.models.edges import FLOW_BASES
from kg.models.ids import ID_PREFIX
from kg.models.nodes import CONTROL_STATUSES, CRITICAL_LISTS, MATERIAL_KINDS
from kg.paths import ontology_dir

ONTOLOGY = Path(__file__).resolve().parent.parent / "ontology"
CP = vocab.CP_NS
GRAPH_NAME = URIRef(CP + "graphName")

# Which relationship types are quantitative facts (observations), as the issue lists them.
OBSERVATIONS = {"PRODUCES", "HOLDS_RESERVES", "EXPORTS_TO", "IMPORTS", "IMPORT_RELIANCE", "OWNS",
                "STATE_OWNED_BY", "REQUIRES"}


# -- the graph vocabulary, read from the models ------------------------------------------------

def fields(cls: Any) -> dict[str, Any]:
    """Record fields of a model by their records-format name (aliases: `from`, `to`)."""
    return {(f.alias or name): f for name, f in cls.model_fields.items() if name != "type"}


def all_properties() -> set[str]:
    return {name for cls in [*NODE_TYPES.values(), *RELATIONSHIP_TYPES.values()]
            for name in fields(cls)}


def owners(name: str) -> set[str]:
    """The classes (node labels, statement classes) whose records have property `name`."""
    out = {vocab.CLASSES[label] for label, cls in NODE_TYPES.items() if name in fields(cls)}
    out |= {vocab.STATEMENT_CLASSES[t] for t, cls in RELATIONSHIP_TYPES.items() if name in fields(cls)}
    return out


def python_kind(annotation: Any) -> tuple[str, bool]:
    """('int' | 'float' | 'bool' | 'str' | 'date', is_sequence) of a model field annotation."""
    origin = typing.get_origin(annotation)
    if origin in (tuple, list):
        return python_kind(typing.get_args(annotation)[0])[0], True
    if annotation in (int, float, bool, str):
        return annotation.__name__, False
    if origin is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        if any("_check_iso_date" in repr(m) for m in meta):
            return "date", False
        return python_kind(base)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if len(args) == 1:
        return python_kind(args[0])
    raise AssertionError(f"unexpected annotation {annotation!r}")


EXPECTED_KINDS = {   # python type of the field -> vocab kinds that may carry it
    "int": {"integer", "year"},
    "float": {"decimal"},
    "bool": {"boolean"},
    "date": {"date"},
    "str": {"string", "anyURI", "node", "hs", "country", "wikidata", "unit"},
}


@pytest.fixture(scope="module")
def owl() -> Graph:
    return Graph().parse(ONTOLOGY / "chokepoint.ttl", format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(ONTOLOGY / "shapes.ttl", format="turtle")


def union_members(graph: Graph, node: Any) -> set[str]:
    """The classes of an rdfs:domain/range: one class, or the members of an owl:unionOf."""
    if isinstance(node, URIRef):
        return {str(node)}
    members = graph.value(node, OWL.unionOf)
    assert members is not None, f"{node} is neither a class nor a union"
    return {str(m) for m in Collection(graph, members)}


# -- kg/vocab.py == the models -----------------------------------------------------------------

def test_vocab_covers_exactly_the_graph_vocabulary():
    assert set(vocab.CLASSES) == set(NODE_TYPES)
    assert set(vocab.RELATIONS) == set(RELATIONSHIP_TYPES)
    assert set(vocab.STATEMENT_CLASSES) == set(RELATIONSHIP_TYPES)
    assert set(vocab.PROPERTIES) == all_properties()
    assert set(vocab.OBSERVATION_TYPES) == OBSERVATIONS
    assert set(vocab.UNITS) == set(UNITS)


def test_id_prefixes_match_the_models():
    assert {f"{kind}:": label for kind, label in vocab.ID_KINDS.items()} == \
        {prefix: label for label, prefix in ID_PREFIX.items()}


def test_one_predicate_per_property_and_per_term():
    iris = [p.iri for p in vocab.PROPERTIES.values()]
    assert len(iris) == len(set(iris)), "two properties share a predicate"
    every = iris + list(vocab.CLASSES.values()) + list(vocab.RELATIONS.values()) + \
        list(vocab.STATEMENT_CLASSES.values())
    assert len(every) == len(set(every)), "a term is used for two graph names"


def test_property_kinds_agree_with_the_model_types():
    """A property name means the same on every label and type, with one datatype."""
    for name, prop in vocab.PROPERTIES.items():
        for cls in [*NODE_TYPES.values(), *RELATIONSHIP_TYPES.values()]:
            field = fields(cls).get(name)
            if field is None:
                continue
            kind, many = python_kind(field.annotation)
            if any("_check_iso_date" in repr(m) for m in field.metadata):
                kind = "date"          # a required ISODate: pydantic keeps its validator apart
            assert prop.kind in EXPECTED_KINDS[kind], (cls.type_name, name, kind, prop.kind)
            assert (prop.many != "one") == many, (cls.type_name, name)


def test_naming_rules():
    for label, iri in vocab.CLASSES.items():
        assert iri == CP + label
    for rel_type, iri in vocab.RELATIONS.items():
        words = rel_type.lower().split("_")
        assert iri == CP + words[0] + "".join(w.capitalize() for w in words[1:])
    for rel_type, iri in vocab.STATEMENT_CLASSES.items():
        local = iri[len(CP):]
        assert local[0].isupper()
        assert local.endswith("Observation" if rel_type in OBSERVATIONS else "Statement")
    for name, prop in vocab.PROPERTIES.items():
        if prop.iri.startswith(CP):
            local = prop.iri[len(CP):]
            assert local[0].islower() and "_" not in local, name


def test_defined_namespace_matches_the_ontology(owl):
    """kg.vocab.CP (a closed set of terms, without rdflib) and the ontology declare the same terms."""
    declared = {str(s)[len(CP):] for s in owl.subjects() if str(s).startswith(CP)}
    in_code = set(typing.get_type_hints(vocab.CP, include_extras=False)) | set(vocab.CP._extras)
    in_code = {n for n in in_code if not n.startswith("_")}
    assert declared == in_code
    with pytest.raises(AttributeError):
        vocab.CP.Produces  # noqa: B018  (misspelt: the property is cp:produces)
    assert vocab.CP.produces == "https://w3id.org/chokepoint/ontology#produces"
    assert vocab.CP["from"] == "https://w3id.org/chokepoint/ontology#from"


# -- chokepoint.ttl == the graph vocabulary ----------------------------------------------------

def test_ontology_header(owl):
    onto = URIRef(vocab.ONTOLOGY_IRI)
    assert (onto, RDF.type, OWL.Ontology) in owl
    assert owl.value(onto, OWL.versionInfo) == Literal(vocab.ONTOLOGY_VERSION)
    assert owl.value(onto, RDFS.label) is not None


def test_every_label_is_a_class(owl):
    for label, iri in vocab.CLASSES.items():
        node = URIRef(iri)
        assert (node, RDF.type, OWL.Class) in owl, label
        assert owl.value(node, GRAPH_NAME) == Literal(label)
        assert owl.value(node, RDFS.label) is not None and owl.value(node, RDFS.comment) is not None


def test_every_relationship_type_is_an_object_property_with_domain_and_range(owl):
    for rel_type, cls in RELATIONSHIP_TYPES.items():
        prop = URIRef(vocab.RELATIONS[rel_type])
        assert (prop, RDF.type, OWL.ObjectProperty) in owl, rel_type
        assert owl.value(prop, GRAPH_NAME) == Literal(rel_type)
        assert union_members(owl, owl.value(prop, RDFS.domain)) == {vocab.CLASSES[x] for x in cls.FROM}
        assert union_members(owl, owl.value(prop, RDFS.range)) == {vocab.CLASSES[x] for x in cls.TO}
        assert owl.value(prop, RDFS.label) is not None and owl.value(prop, RDFS.comment) is not None


def test_every_relationship_type_has_a_statement_class(owl):
    for rel_type in RELATIONSHIP_TYPES:
        node = URIRef(vocab.STATEMENT_CLASSES[rel_type])
        assert (node, RDF.type, OWL.Class) in owl
        assert owl.value(node, GRAPH_NAME) == Literal(rel_type)
        parent = "Observation" if rel_type in OBSERVATIONS else "Statement"
        assert (node, RDFS.subClassOf, URIRef(CP + parent)) in owl, rel_type
    assert (URIRef(CP + "Observation"), RDFS.subClassOf, URIRef(CP + "Statement")) in owl
    assert (URIRef(CP + "Statement"), RDFS.subClassOf, URIRef("http://www.w3.org/ns/prov#Entity")) in owl


BUILT_IN = {str(RDFS.label), str(RDFS.comment), str(OWL.sameAs)}


def test_every_property_is_declared_with_its_range_and_domain(owl):
    for name, prop in vocab.PROPERTIES.items():
        node = URIRef(prop.iri)
        types = set(owl.objects(node, RDF.type))
        if not prop.iri.startswith(CP):
            # a term reused from another vocabulary: declared, its meaning left to its owner
            assert prop.iri in BUILT_IN or types & {OWL.ObjectProperty, OWL.DatatypeProperty,
                                                     OWL.AnnotationProperty}, name
            assert owl.value(node, RDFS.range) is None, f"{name}: do not redefine {prop.iri}"
            continue
        assert owl.value(node, GRAPH_NAME) == Literal(name)
        assert owl.value(node, RDFS.label) is not None and owl.value(node, RDFS.comment) is not None
        if prop.is_literal and prop.many != "list":
            assert OWL.DatatypeProperty in types, name
            assert owl.value(node, RDFS.range) == URIRef(prop.datatype), name
        else:
            assert OWL.ObjectProperty in types, name
        if prop.many == "list":
            assert owl.value(node, RDFS.range) == RDF.List
        if name in ("from", "to"):                        # every statement has them
            assert owl.value(node, RDFS.domain) == URIRef(CP + "Statement")
        elif name == "confidence":                        # every statement, and a source's grade
            assert union_members(owl, owl.value(node, RDFS.domain)) == {CP + "Statement", CP + "Source"}
        else:
            assert union_members(owl, owl.value(node, RDFS.domain)) == owners(name), name


def test_units_are_qudt(owl):
    for unit, iri in vocab.UNITS.items():
        assert iri.startswith("http://qudt.org/vocab/unit/"), unit
        assert iri.rsplit("/", 1)[1] in owl.value(URIRef(CP + "unit"), RDFS.comment)


# -- context.jsonld == kg/vocab.py --------------------------------------------------------------

def expand(context: dict[str, Any], value: str) -> str:
    prefix, sep, rest = value.partition(":")
    if sep and prefix in context and isinstance(context[prefix], str):
        return context[prefix] + rest
    return value


def test_context_file_is_the_generated_context():
    on_disk = json.loads((ONTOLOGY / "context.jsonld").read_text(encoding="utf-8"))
    assert on_disk == vocab.jsonld_context(), \
        "ontology/context.jsonld is stale: regenerate it from kg.vocab.jsonld_context()"


def test_context_terms_are_the_graph_vocabulary():
    ctx = json.loads((ONTOLOGY / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    for label, iri in vocab.CLASSES.items():
        assert expand(ctx, ctx[label]) == iri
    for rel_type, iri in vocab.RELATIONS.items():
        term = iri[len(CP):]
        assert expand(ctx, ctx[term]["@id"]) == iri and ctx[term]["@type"] == "@id"
        cls = vocab.STATEMENT_CLASSES[rel_type]
        assert expand(ctx, ctx[cls[len(CP):]]) == cls
    for name in all_properties():
        prop = vocab.PROPERTIES[name]
        assert expand(ctx, ctx[name]["@id"]) == prop.iri, name
        if prop.is_literal and prop.kind != "string":
            assert expand(ctx, ctx[name]["@type"]) == prop.datatype
        if not prop.is_literal:
            assert ctx[name]["@type"] == "@id"
    for prefix, ns in vocab.ALL_PREFIXES.items():
        assert ctx[prefix] == ns


def test_no_prefix_shadows_a_term():
    """A prefix named like a record field (`unit`) would break JSON-LD compaction."""
    terms = all_properties() | set(NODE_TYPES) | {i[len(CP):] for i in vocab.RELATIONS.values()}
    assert not set(vocab.ALL_PREFIXES) & terms


# -- shapes.ttl == the ontology and the models --------------------------------------------------

def node_shapes(shapes: Graph, target: str) -> list[Any]:
    return list(shapes.subjects(SH.targetClass, URIRef(target)))


def main_shape(shapes: Graph, target: str) -> Any:
    """The shape of a class: the one with property shapes (rule shapes have none)."""
    found = [s for s in node_shapes(shapes, target) if (s, SH.property, None) in shapes]
    assert len(found) == 1, f"{target}: expected one main shape, found {found}"
    return found[0]


def property_shapes(shapes: Graph, shape: Any) -> dict[str, Any]:
    """Property shapes of a node shape by predicate; a list path counts for its first predicate,
    unless a shape on the predicate itself exists."""
    direct, listed = {}, {}
    for ps in shapes.objects(shape, SH.property):
        path = shapes.value(ps, SH.path)
        if isinstance(path, URIRef):
            direct[str(path)] = ps
        else:
            listed[str(next(iter(Collection(shapes, path))))] = ps
    return {**listed, **direct}


def sh_in(shapes: Graph, ps: Any) -> list[str]:
    lst = shapes.value(ps, SH["in"])
    assert lst is not None
    return [str(x) for x in Collection(shapes, lst)]


def test_every_class_has_a_shape_and_every_shape_a_class(shapes, owl):
    classes = [*vocab.CLASSES.values(), *vocab.STATEMENT_CLASSES.values()]
    for iri in classes:
        main_shape(shapes, iri)
    for target in shapes.objects(None, SH.targetClass):
        assert (target, RDF.type, OWL.Class) in owl, f"a shape targets {target}, not a class"


def test_shapes_are_closed_and_cover_every_property(shapes):
    for label, cls in NODE_TYPES.items():
        _check_shape(shapes, vocab.CLASSES[label], cls)
    for rel_type, cls in RELATIONSHIP_TYPES.items():
        _check_shape(shapes, vocab.STATEMENT_CLASSES[rel_type], cls)


def _check_shape(shapes: Graph, target: str, cls: Any) -> None:
    shape = main_shape(shapes, target)
    assert shapes.value(shape, SH.closed) == Literal(True)
    props = property_shapes(shapes, shape)
    for name, field in fields(cls).items():
        prop = vocab.PROPERTIES[name]
        assert prop.iri in props, f"{target}: no property shape for {name}"
        ps = props[prop.iri]
        required = field.is_required() and not (cls.type_name == "Source" and name == "source_ids")
        if required or name in ("id", "name"):
            assert shapes.value(ps, SH.minCount) == Literal(1), f"{target}.{name} is required"
        if prop.is_literal and prop.many != "list":
            assert shapes.value(ps, SH.datatype) == URIRef(prop.datatype), f"{target}.{name}"
    if cls.type_name in RELATIONSHIP_TYPES:
        for end, allowed in (("from", cls.FROM), ("to", cls.TO)):
            ps = props[vocab.PROPERTIES[end].iri]
            classes = {str(c) for c in shapes.objects(ps, SH["class"])}
            for alt in shapes.objects(ps, SH["or"]):
                classes |= {str(shapes.value(a, SH["class"])) for a in Collection(shapes, alt)}
            assert classes == {vocab.CLASSES[x] for x in allowed}, (cls.type_name, end)


@pytest.mark.parametrize("target, name, expected", [
    ("ProductionObservation", "stage", STAGES),
    ("RequirementObservation", "stage", STAGES),
    ("ProductionObservation", "qualifier", QUALIFIERS),
    ("ReservesObservation", "qualifier", QUALIFIERS),
    ("ImportRelianceObservation", "qualifier", QUALIFIERS),
    ("ProductionObservation", "confidence", ("H", "M", "L")),
    ("TradeFlowObservation", "flow_basis", FLOW_BASES),
    ("Material", "kind", MATERIAL_KINDS),
    ("Material", "critical_lists", CRITICAL_LISTS),
    ("ExportControl", "status", CONTROL_STATUSES),
    ("ProductionObservation", "unit", tuple(vocab.UNITS[u] for u in UNITS)),
    ("ReservesObservation", "unit", tuple(vocab.UNITS[u] for u in UNITS)),
    ("TradeFlowObservation", "unit", tuple(vocab.UNITS[u] for u in UNITS)),
])
def test_enumerations_in_shapes_equal_the_models(shapes, target, name, expected):
    ps = property_shapes(shapes, main_shape(shapes, CP + target))[vocab.PROPERTIES[name].iri]
    assert sh_in(shapes, ps) == list(expected)


@pytest.mark.slow     # pySHACL judging the shapes graph against the SHACL-for-SHACL shapes
def test_shapes_conform_to_shacl_shacl():
    from pyshacl import validate
    conforms, _, text = validate(Graph().parse(ONTOLOGY / "shapes.ttl"), meta_shacl=True,
                                 shacl_graph=Graph().parse(ONTOLOGY / "shapes.ttl"))
    assert conforms, text


def test_ontology_files_parse_with_a_second_parser():
    import pyoxigraph as ox
    for name in ("chokepoint.ttl", "shapes.ttl"):
        assert list(ox.parse(path=str(ONTOLOGY / name), format=ox.RdfFormat.TURTLE))
    quads = list(ox.parse(json.dumps({**vocab.jsonld_context(), "@id": "country:CHN",
                                      "@type": "Country", "name": "China"}),
                          format=ox.RdfFormat.JSON_LD))
    assert {(q.predicate.value, str(q.object.value)) for q in quads} == {
        (str(RDF.type), CP + "Country"), (str(RDFS.label), "China")}


def test_the_package_finds_the_ontology():
    assert (ontology_dir() / "shapes.ttl").is_file()
    assert (ontology_dir() / "chokepoint.ttl").is_file()
    assert (ontology_dir() / "context.jsonld").is_file()


def test_xsd_datatypes_are_xsd():
    for kind, iri in vocab.LITERAL_KINDS.items():
        assert iri.startswith("http://www.w3.org/2001/XMLSchema#"), kind


def test_the_readme_lists_every_property_with_its_predicate():
    from kg.rdf.export import compact
    rows = {}
    for line in (ONTOLOGY / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] in vocab.PROPERTIES:
            rows[cells[0]] = cells[1]
    assert rows == {name: compact(p.iri) for name, p in vocab.PROPERTIES.items()}
