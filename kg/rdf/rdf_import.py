"""RDF -> records: read an export (Turtle, N-Triples, N-Quads, TriG, JSON-LD) back into the graph.

`kg import graph.ttl` goes through here, so RDF is an interchange format like JSON Lines: every
subject typed with a node class becomes a node record, every subject typed with a statement class
(`cp:ProductionObservation`, `cp:LocatedInStatement`, ...) a relationship record, and the records are
validated by the same models as any other input. The direct edges (`cp:produces`, ...) and
`skos:inScheme` are derived from those and skipped; named graphs are merged.

Two things RDF does not keep, by design: the order of set-valued properties (`source_ids`,
`critical_lists` come back sorted) and a Source's citation of itself (implied, so it comes back first).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..errors import DataError
from ..models import parse_record, record_types
from ..records_io import Located
from ..vocab import (
    DATA_NS,
    DERIVED_PREDICATES,
    ID_KINDS,
    LABEL_BY_CLASS,
    LITERAL_KINDS,
    PROPERTIES,
    PROPERTY_BY_IRI,
    RDF_FIRST,
    RDF_NIL,
    RDF_REST,
    RDF_TYPE,
    TYPE_BY_RELATION,
    TYPE_BY_STATEMENT_CLASS,
    UNIT_BY_IRI,
    WD_NS,
    XSD_NS,
    Prop,
    node_id,
)
from .export import compact

RDF_SUFFIXES: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
}
"""File suffixes `kg import` reads as RDF."""

_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_INTEGER_TYPES = {XSD_NS + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
                                       "positiveInteger", "unsignedInt", "unsignedLong")}
_NUMBER_TYPES = _INTEGER_TYPES | {XSD_NS + t for t in ("decimal", "double", "float")}
_ACCEPTED: dict[str, set[str]] = {
    "string": {XSD_NS + "string", _LANG_STRING},
    "integer": _INTEGER_TYPES,
    "decimal": _NUMBER_TYPES,
    "boolean": {XSD_NS + "boolean"},
    "date": {XSD_NS + "date"},
    "year": {XSD_NS + "gYear"} | _INTEGER_TYPES,
    "anyURI": {XSD_NS + "anyURI", XSD_NS + "string"},
}
_YEAR = re.compile(r"^(-?[0-9]{4,})(Z|[+-][0-9]{2}:[0-9]{2})?$")
_SKIPPED = frozenset(TYPE_BY_RELATION) | DERIVED_PREDICATES

Subject = Any   # ox.NamedNode | ox.BlankNode
Pairs = set[tuple[str, Any]]


def rdf_format(path: Path) -> ox.RdfFormat:
    """The RDF format a file's suffix names; not RDF, or no such file, is a DataError."""
    fmt = RDF_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise DataError(f"not an RDF file (expected one of {', '.join(RDF_SUFFIXES)})",
                        file=str(path))
    if not path.is_file():
        raise DataError("no such file", file=str(path))
    return fmt


def parse_rdf_file(path: Path) -> list[Any]:
    """The quads of an RDF file, in the format its suffix names; bad input is a DataError."""
    path = Path(path)
    fmt = rdf_format(path)
    try:
        return list(ox.parse(path=str(path), format=fmt))
    except SyntaxError as exc:
        raise DataError(f"invalid {fmt.name}: {exc}", file=str(path)) from exc


def read_rdf(path: Path) -> Iterator[Located]:
    """Records from an RDF file, in the format its suffix names."""
    yield from records_from_quads(parse_rdf_file(path), str(path))


def _group(quads: Iterable[Any]) -> dict[Subject, Pairs]:
    by_subject: dict[Subject, Pairs] = defaultdict(set)
    for q in quads:                       # named graphs are merged: a set drops the repeats
        by_subject[q.subject].add((q.predicate.value, q.object))
    return by_subject


def records_from_quads(quads: Iterable[Any], origin: str) -> Iterator[Located]:
    """Records from parsed pyoxigraph triples or quads; `origin` names them in errors."""
    by_subject = _group(quads)
    fields = {name: _field_names(cls) for name, cls in record_types().items()}
    located: list[Located] = []
    for subject, pairs in by_subject.items():
        types = {o.value for p, o in pairs if p == RDF_TYPE and isinstance(o, ox.NamedNode)}
        known = sorted({n for t in types if (n := LABEL_BY_CLASS.get(t) or TYPE_BY_STATEMENT_CLASS.get(t))})
        where = f"{origin} <{compact(subject.value) if isinstance(subject, ox.NamedNode) else subject}>"
        if not known:
            if (isinstance(subject, ox.NamedNode) and subject.value.startswith(DATA_NS)
                    and any(p in PROPERTY_BY_IRI for p, _ in pairs)):
                raise DataError("has Chokepoint properties but no Chokepoint class (rdf:type), so "
                                "it is neither a node nor a statement", file=where)
            continue
        if len(known) > 1:
            raise DataError(f"has several Chokepoint classes ({', '.join(known)})", file=where)
        type_name = known[0]
        data = _record(type_name, subject, pairs, by_subject, fields[type_name], where)
        try:
            record = parse_record(data, file=where)
        except DataError as exc:
            raise DataError(exc.detail, file=where, field=exc.field) from None
        located.append((record, where, len(located) + 1))
    # nodes first, as in every other input (the pipeline does not need it, people reading do)
    located.sort(key=lambda item: item[0].record_kind != "node")
    yield from located


def _field_names(cls: Any) -> set[str]:
    return {f.alias or name for name, f in cls.model_fields.items()} - {"type"}


def _record(type_name: str, subject: Subject, pairs: Pairs, by_subject: dict[Subject, Pairs],
            allowed: set[str], where: str) -> dict[str, Any]:
    data: dict[str, Any] = {"type": type_name}
    is_node = type_name in ID_KINDS.values()
    values: dict[str, list[Any]] = defaultdict(list)
    for pred, obj in sorted(pairs, key=lambda po: (po[0], str(po[1]))):
        if pred == RDF_TYPE or (is_node and pred in _SKIPPED):
            continue
        prop = PROPERTY_BY_IRI.get(pred)
        if prop is None:
            raise DataError(f"{compact(pred)} is not a property of the Chokepoint ontology", file=where)
        if prop.name not in allowed:
            raise DataError(f"{compact(pred)} is not a property of {type_name}", file=where,
                            field=prop.name)
        values[prop.name].append(_value(prop, obj, by_subject, where))
    for name, found in values.items():
        prop = PROPERTIES[name]
        if prop.many == "set":
            data[name] = sorted(set(found))
        elif len(set(map(repr, found))) > 1:
            raise DataError(f"has {len(found)} different values; expected one", file=where,
                            field=name)
        else:
            data[name] = found[0]
    if is_node:
        if not isinstance(subject, ox.NamedNode):
            raise DataError("a node must be an IRI, not a blank node", file=where)
        try:
            iri_id = node_id(subject.value)
        except ValueError as exc:
            raise DataError(str(exc), file=where) from None
        if ID_KINDS.get(iri_id.split(":", 1)[0]) != type_name:
            raise DataError(f"a {type_name} cannot have the IRI of {iri_id!r}", file=where)
        if data.get("id", iri_id) != iri_id:
            raise DataError(f"dct:identifier {data['id']!r} is not the id of the IRI ({iri_id!r})",
                            file=where, field="id")
        data["id"] = iri_id
        if type_name == "Source" and data.get("source_ids"):
            # the export leaves the self-citation implied; put it back first
            data["source_ids"] = [iri_id, *[s for s in data["source_ids"] if s != iri_id]]
    return data


def _value(prop: Prop, obj: Any, by_subject: dict[Subject, Pairs], where: str) -> Any:
    if prop.many == "list":
        return [_one(prop, item, where) for item in _list_items(obj, by_subject, prop, where)]
    return _one(prop, obj, where)


def _list_items(head: Any, by_subject: dict[Subject, Pairs], prop: Prop, where: str) -> list[Any]:
    items: list[Any] = []
    seen: set[Any] = set()
    node = head
    while not (isinstance(node, ox.NamedNode) and node.value == RDF_NIL):
        if node in seen or node not in by_subject:
            raise DataError("is not a well-formed rdf:List", file=where, field=prop.name)
        seen.add(node)
        cell = by_subject[node]
        first = [o for p, o in cell if p == RDF_FIRST]
        rest = [o for p, o in cell if p == RDF_REST]
        if len(first) != 1 or len(rest) != 1:
            raise DataError("is not a well-formed rdf:List", file=where, field=prop.name)
        items.append(first[0])
        node = rest[0]
    return items


def _one(prop: Prop, obj: Any, where: str) -> Any:
    if prop.is_literal:
        if not isinstance(obj, ox.Literal):
            raise DataError(f"expected a literal, found {obj}", file=where, field=prop.name)
        datatype = obj.datatype.value if obj.datatype is not None else XSD_NS + "string"
        if datatype not in _ACCEPTED[prop.kind]:
            raise DataError(f"{obj} is not {LITERAL_KINDS[prop.kind].replace(XSD_NS, 'xsd:')}",
                            file=where, field=prop.name)
        text = obj.value
        try:
            if prop.kind == "integer":
                return int(text)
            if prop.kind == "decimal":
                return float(text)
            if prop.kind == "boolean":
                if text not in ("true", "false", "1", "0"):
                    raise ValueError(text)
                return text in ("true", "1")
            if prop.kind == "year":
                match = _YEAR.match(text.strip())
                if match is None:
                    raise ValueError(text)
                return int(match.group(1))
        except ValueError:
            raise DataError(f"{obj} is not a valid {prop.kind}", file=where,
                            field=prop.name) from None
        return text
    if not isinstance(obj, ox.NamedNode):
        raise DataError(f"expected an IRI, found {obj}", file=where, field=prop.name)
    iri = obj.value
    try:
        if prop.kind == "node":
            return node_id(iri)
        if prop.kind in ("hs", "country"):
            kind, _, key = node_id(iri).partition(":")
            if kind == prop.kind:
                return key
        if prop.kind == "wikidata" and iri.startswith(WD_NS):
            return iri[len(WD_NS):]
        if prop.kind == "unit" and iri in UNIT_BY_IRI:
            return UNIT_BY_IRI[iri]
    except ValueError:
        pass
    raise DataError(f"<{iri}> is not a {prop.kind} IRI", file=where, field=prop.name)
