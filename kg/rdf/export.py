"""Stream the graph to RDF: Turtle, N-Triples, N-Quads, TriG (one named graph per Source) or JSON-LD.

What is written (ontology/README.md has the full model):

* every node as an IRI minted from its id (`country:CHN` -> `https://w3id.org/chokepoint/id/country/CHN`,
  written `country:CHN` with the bound prefixes), typed with its class, every property with the
  predicate `kg.vocab` gives it: `rdfs:label` its name, `owl:sameAs` its Wikidata item,
  `prov:wasDerivedFrom` its Sources, dates as `xsd:date`, years as `xsd:gYear`, floats as exact
  `xsd:decimal`s, units as QUDT units;
* every relationship twice, after Wikidata's statement model: the direct edge
  (`country:CHN cp:produces material:gallium`) for navigation, and a statement node
  (`stmt:produces_country:CHN_material:gallium_refining_2024 a cp:ProductionObservation`) with
  `cp:from`, `cp:to`, its qualifiers (year, stage, quantity, unit, share, ...) and
  `prov:wasDerivedFrom` its Sources. Quantitative relationships are `cp:Observation`s.

Rows come from `store.iter_nodes()` / `store.iter_relationships()` (either store) and are written
as text, row by row: N-Triples and Turtle through a template compiled per row shape
(`kg.rdf.templates`: one f-string per row), the rows a template declines and the other formats
through the describer here, where every property has a precompiled writer (its predicate as text,
a function from value to object text); no per-term objects either way (`kg.rdf.terms` does the
escaping). Turtle, N-Triples and N-Quads stream in constant
memory; TriG is grouped by named graph in memory before it is written; JSON-LD is written compact,
object by object, with the context of `ontology/context.jsonld` inline. Speed against pyoxigraph is
in `benchmarks/RESULTS.md`.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, NamedTuple

from ..errors import DataError, UsageError
from ..models import RELATIONSHIP_TYPES
from ..vocab import (
    ALL_PREFIXES,
    CLASSES,
    CP,
    CP_NS,
    LITERAL_KINDS,
    PROPERTIES,
    RDF_FIRST,
    RDF_NIL,
    RDF_REST,
    RDF_TYPE,
    RELATIONS,
    SKOS_IN_SCHEME,
    STATEMENT_CLASSES,
    UNITS,
    WD_NS,
    XSD_NS,
    Prop,
    decimal_lexical,
    jsonld_context,
    node_iri,
    statement_iri,
)
from .templates import Templates
from .terms import compact, iri_ok, quoted, turtle_iri

__all__ = ["FORMATS", "ExportReport", "compact", "export_rdf", "export_rows"]

FORMATS: dict[str, str] = {
    "turtle": ".ttl",
    "nt": ".nt",
    "nq": ".nq",
    "trig": ".trig",
    "jsonld": ".jsonld",
}
"""Export format -> file suffix."""

XSD_STRING = LITERAL_KINDS["string"]


@dataclass
class ExportReport:
    format: str
    nodes: int = 0
    relationships: int = 0
    statements: int = 0            # triples (or quads) written
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.statements / self.seconds if self.seconds else 0.0


class _Bad(ValueError):
    """A value that cannot be written; turned into a DataError naming the row and field."""


# -- syntaxes: how one term is written --------------------------------------------------------

class Syntax(NamedTuple):
    iri: Callable[[str], Any]                  # an IRI -> its text (or JSON value)
    literal: Callable[[str, str], Any]         # (lexical form, literal kind) -> its text
    predicate: Callable[[Prop], Any]           # a property -> its predicate text (or JSON key)


def _nt_iri(iri: str) -> str:
    return f"<{iri}>"


def _nt_literal(lexical: str, kind: str) -> str:
    if kind == "string":
        return quoted(lexical)
    return f"{quoted(lexical)}^^<{LITERAL_KINDS[kind]}>"


def _ttl_literal(lexical: str, kind: str) -> str:
    if kind == "string":
        return quoted(lexical)
    if kind in ("integer", "decimal", "boolean"):
        return lexical                 # Turtle's INTEGER / DECIMAL / BOOLEAN: the same lexical form
    return f"{quoted(lexical)}^^xsd:{LITERAL_KINDS[kind][len(XSD_NS):]}"


NT = Syntax(_nt_iri, _nt_literal, lambda p: f"<{p.iri}>")
TURTLE = Syntax(turtle_iri, _ttl_literal, lambda p: turtle_iri(p.iri))
JSONLD = Syntax(compact, lambda lexical, kind: lexical, lambda p: p.term)


# -- values -> lexical forms and IRIs --------------------------------------------------------

def _lexical(kind: str, value: Any) -> str:
    if kind == "string":
        return value if isinstance(value, str) else str(value)
    if kind in ("integer", "year"):
        if (isinstance(value, bool) or not isinstance(value, int | float)
                or not math.isfinite(value) or value != int(value)):
            raise _Bad(f"{value!r} is not an integer")
        return str(int(value))
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise _Bad(f"{value!r} is not a finite number")
        return decimal_lexical(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _Bad(f"{value!r} is not a boolean")
        return "true" if value else "false"
    return str(value)                  # date, anyURI: ISO strings as stored


def _reference(kind: str, value: Any) -> str:
    try:
        if kind == "node":
            return node_iri(value)
        if kind == "hs":
            return node_iri(f"hs:{value}")
        if kind == "country":
            return node_iri(f"country:{value}")
        if kind == "unit":
            return UNITS[value]
        if kind == "wikidata" and isinstance(value, str):
            iri = WD_NS + value
            if iri_ok(iri):
                return iri
    except (KeyError, ValueError, TypeError):
        pass
    raise _Bad(f"{value!r} cannot be written as a {kind} IRI")


def _term_writer(prop: Prop, syntax: Syntax) -> Callable[[Any], Any]:
    kind = prop.kind
    if prop.is_literal:
        lit = syntax.literal
        if kind == "string":           # most values: no checks, no dispatch
            return lambda value: lit(value if isinstance(value, str) else str(value), "string")
        return lambda value: lit(_lexical(kind, value), kind)
    iri = syntax.iri
    cache: dict[Any, Any] = {}     # references repeat (sources, units, endpoints): text once

    def reference(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            pass
        except TypeError:          # unhashable: refused below with the usual message
            return iri(_reference(kind, value))
        if len(cache) > 100_000:
            cache.clear()
        text = cache[value] = iri(_reference(kind, value))
        return text
    return reference


class _Compiled(NamedTuple):
    predicate: Any
    term: Callable[[Any], Any]
    many: str
    is_literal: bool
    iri: str


def _compile(syntax: Syntax) -> dict[str, _Compiled]:
    return {name: _Compiled(syntax.predicate(prop), _term_writer(prop, syntax), prop.many,
                            prop.is_literal, prop.iri)
            for name, prop in PROPERTIES.items()}


# -- rows -> descriptions --------------------------------------------------------------------

class Description(NamedTuple):
    """One subject and what is said about it, as text (or JSON values) of one syntax."""

    subject: Any
    type: Any                                 # the class, or None for the direct edges of a node
    pairs: list[tuple[Any, Any]]              # (predicate, object), a set's objects consecutive
    cells: list[tuple[Any, Any, Any]]         # rdf:List cells (blank node, rdf:first|rest, object)
    graphs: tuple[str, ...]                   # the source ids it is derived from (named graphs)

    @property
    def size(self) -> int:
        return (self.type is not None) + len(self.pairs) + len(self.cells)


def _sources(row: dict[str, Any]) -> tuple[Any, ...]:
    """The source ids of a row (its named graphs); a value that is not a list is refused later."""
    sources = row.get("source_ids")
    return tuple(sources) if isinstance(sources, list | tuple) else ()


class _Describer:
    """Rows -> `Description`s in one syntax (N-Triples, Turtle or JSON-LD values)."""

    def __init__(self, syntax: Syntax) -> None:
        self.syntax = syntax
        self.props = _compile(syntax)
        iri = syntax.iri
        self.classes = {label: iri(cls) for label, cls in CLASSES.items()}
        self.statement_classes = {t: iri(cls) for t, cls in STATEMENT_CLASSES.items()}
        self.relations = {t: iri(rel) for t, rel in RELATIONS.items()}
        self.in_scheme = (iri(SKOS_IN_SCHEME) if syntax is not JSONLD else "inScheme",
                          iri(str(CP.HarmonizedSystem)))
        self.list_first = iri(RDF_FIRST) if syntax is not JSONLD else None
        self.list_rest = iri(RDF_REST) if syntax is not JSONLD else None
        self.list_nil = iri(RDF_NIL) if syntax is not JSONLD else None

    def values(self, row: dict[str, Any], subject_iri: str, where: Callable[[], str]
               ) -> tuple[list[tuple[Any, Any]], list[tuple[Any, Any, Any]]]:
        pairs: list[tuple[Any, Any]] = []
        cells: list[tuple[Any, Any, Any]] = []
        append = pairs.append
        props = self.props
        key = ""
        try:
            for key, value in row.items():
                if value is None or key == "type":
                    continue
                c = props.get(key)
                if c is None:
                    raise DataError(f"property {key!r} has no IRI in kg.vocab (add it to the ontology)",
                                    file=where(), field=key)
                predicate, term, many, is_literal, _ = c
                if many == "one":
                    if value == "" and not is_literal:
                        continue           # an unset reference (SUPPLIES.item_id defaults to "")
                    append((predicate, term(value)))
                    continue
                if not isinstance(value, list | tuple):
                    raise _Bad(f"{value!r} is not a list")
                if not value:
                    continue               # empty lists and sets are the models' default: say nothing
                if many == "set":
                    for item in value:
                        append((predicate, term(item)))
                else:
                    append((predicate, self._list(c, value, subject_iri, cells)))
        except _Bad as exc:
            raise DataError(str(exc), file=where(), field=key) from None
        return pairs, cells

    def _list(self, c: _Compiled, items: list[Any] | tuple[Any, ...], subject_iri: str,
              cells: list[tuple[Any, Any, Any]]) -> Any:
        terms = [c.term(item) for item in items]
        if self.list_first is None:
            return terms                   # JSON-LD: the context declares the term a @list
        # labels derived from the subject and predicate: the same graph exports the same bytes
        stem = hashlib.sha1(f"{subject_iri} {c.iri}".encode()).hexdigest()[:16]
        labels = [f"_:l{stem}n{i}" for i in range(len(terms))]
        for i, term in enumerate(terms):
            cells.append((labels[i], self.list_first, term))
            cells.append((labels[i], self.list_rest, labels[i + 1] if i + 1 < len(labels)
                          else self.list_nil))
        return labels[0]

    def node(self, row: dict[str, Any]) -> Description:
        label, nid = row.get("type"), row.get("id")
        if label not in CLASSES or not isinstance(nid, str):
            raise DataError(f"not a node of a known label: type={label!r}, id={nid!r}")
        sources = _sources(row)
        if label == "Source" and isinstance(row.get("source_ids"), list | tuple):
            # A Source is its own provenance: the self-citation is implied, not written.
            row = {**row, "source_ids": [s for s in sources if s != nid]}
            sources = (nid, *[s for s in sources if s != nid])
        subject_iri = node_iri(nid)
        pairs, cells = self.values(row, subject_iri, lambda: f"{label} {nid}")
        if label == "HSCode":
            pairs.append(self.in_scheme)
        return Description(self.syntax.iri(subject_iri), self.classes[label], pairs, cells,
                           sources or (nid,))

    def relationship(self, row: dict[str, Any]) -> tuple[Description, Any, Any]:
        """The statement node of one relationship, and its direct edge (predicate, object)."""
        rel_type, from_id, to_id = row.get("type"), row.get("from"), row.get("to")
        if rel_type not in RELATIONSHIP_TYPES or not isinstance(from_id, str) or not isinstance(to_id, str):
            raise DataError(f"not a relationship of a known type: type={rel_type!r}, "
                            f"from={from_id!r}, to={to_id!r}")
        keys = tuple(row.get(k) for k in RELATIONSHIP_TYPES[rel_type].KEYS)
        subject_iri = statement_iri(rel_type, from_id, to_id, keys)
        pairs, cells = self.values(row, subject_iri, lambda: f"{rel_type} {from_id} -> {to_id}")
        iri = self.syntax.iri
        statement = Description(iri(subject_iri), self.statement_classes[rel_type], pairs, cells,
                                _sources(row))
        return statement, self.relations[rel_type], iri(node_iri(to_id))


def describe(nodes: Iterable[dict[str, Any]], relationships: Iterable[dict[str, Any]],
             syntax: Syntax, report: ExportReport | None = None) -> Iterator[Description]:
    """Every node, then every relationship as a statement followed by its direct edge(s).

    Direct edges are buffered per source node (stores return a node's relationships together) so
    that one `cp:produces` edge stands for all years and stages of the same pair."""
    report = report or ExportReport("")
    d = _Describer(syntax)
    for row in nodes:
        report.nodes += 1
        yield d.node(row)
    current: Any = None
    edges: dict[tuple[Any, Any], list[str]] = {}

    def flush() -> Iterator[Description]:
        for (pred, obj), graphs in edges.items():
            yield Description(current, None, [(pred, obj)], [], tuple(dict.fromkeys(graphs)))
        edges.clear()

    for row in relationships:
        report.relationships += 1
        statement, pred, obj = d.relationship(row)
        yield statement
        subject = syntax.iri(node_iri(row["from"]))
        if subject != current:
            yield from flush()
            current = subject
        edges.setdefault((pred, obj), []).extend(statement.graphs)
    yield from flush()


# -- descriptions -> text --------------------------------------------------------------------

_RDF_TYPE_NT = f"<{RDF_TYPE}>"


def nt_lines(desc: Description, tail: str = " .\n") -> str:
    """N-Triples (or, with a ` <graph> .\\n` tail, N-Quads) lines of one description."""
    s = desc.subject + " "
    out = [f"{s}{_RDF_TYPE_NT} {desc.type}{tail}"] if desc.type is not None else []
    out.extend(f"{s}{p} {o}{tail}" for p, o in desc.pairs)
    out.extend(f"{b} {p} {o}{tail}" for b, p, o in desc.cells)
    return "".join(out)


def turtle_block(desc: Description) -> str:
    """One Turtle block: `subject a Class ;\\n\\tpred obj , obj ;\\n\\t... .`, then list cells."""
    parts: list[str] = []
    if desc.type is not None:
        parts.append(f"a {desc.type}")
    last = None
    for p, o in desc.pairs:
        if p == last:
            parts[-1] += f" , {o}"
        else:
            parts.append(f"{p} {o}")
            last = p
    text = f"{desc.subject} " + " ;\n\t".join(parts) + " .\n"
    cells = desc.cells
    for i in range(0, len(cells), 2):
        (b, first, item), (_, rest, nxt) = cells[i], cells[i + 1]
        text += f"{b} {first} {item} ;\n\t{rest} {nxt} .\n"
    return text


def _prefix_lines() -> str:
    return "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in ALL_PREFIXES.items())


class _Out:
    """Text written in chunks of UTF-8; a lone surrogate (not Unicode) is a DataError."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += 1
        if self.size >= 2000:
            self.flush()

    def flush(self) -> None:
        text = "".join(self.parts)
        self.parts, self.size = [], 0
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            context = text[max(0, exc.start - 60):exc.start].rsplit("\n", 1)[-1]
            raise DataError(f"a string is not valid Unicode (a lone surrogate) after {context!r}"
                            ) from None
        self.out.write(data)


def _write_nq(descs: Iterable[Description], out: _Out, report: ExportReport) -> None:
    for d in descs:
        tails = [f" <{node_iri(g)}> .\n" for g in d.graphs] or [" .\n"]
        for tail in tails:
            report.statements += d.size
            out.write(nt_lines(d, tail))


def _write_text(nodes: Iterable[dict[str, Any]], relationships: Iterable[dict[str, Any]], fmt: str,
                out: _Out, report: ExportReport) -> None:
    """N-Triples or Turtle, each row through its shape's template (`kg.rdf.templates`), or through
    the describer when the template declines it; the same order and bytes as `describe`."""
    syntax = TURTLE if fmt == "turtle" else NT
    d = _Describer(syntax)
    templates = Templates(fmt, d)
    render = turtle_block if fmt == "turtle" else nt_lines
    write = out.write
    if fmt == "turtle":
        write(_prefix_lines())
    statements = 0
    for row in nodes:
        report.nodes += 1
        try:
            done = templates.node(row)
        except Exception:                # the describer writes it, or names the row and field
            done = None
        if done is None:
            desc = d.node(row)
            write(render(desc))
            statements += desc.size
        else:
            write(done[0])
            statements += done[1]
    current: Any = None
    edges: dict[tuple[Any, Any], None] = {}   # direct edges of the current source node
    for row in relationships:
        report.relationships += 1
        try:
            done = templates.relationship(row)
        except Exception:
            done = None
        if done is None:
            statement, pred, obj = d.relationship(row)
            write(render(statement))
            statements += statement.size
            subject = syntax.iri(node_iri(row["from"]))
        else:
            text, size, subject, pred, obj = done
            write(text)
            statements += size
        if subject != current:
            for p, o in edges:
                write(f"{current} {p} {o} .\n")
            statements += len(edges)
            edges.clear()
            current = subject
        edges[(pred, obj)] = None
    for p, o in edges:
        write(f"{current} {p} {o} .\n")
    report.statements += statements + len(edges)


def _write_trig(descs: Iterable[Description], out: _Out, report: ExportReport) -> None:
    """One `graph { ... }` block per Source, sorted by id; held in memory until the end."""
    blocks: dict[str, list[str]] = {}
    for d in descs:
        block = turtle_block(d)
        for graph in d.graphs or ("",):
            blocks.setdefault(graph, []).append(block)
            report.statements += d.size
    out.write(_prefix_lines())
    for graph in sorted(blocks):
        body = blocks.pop(graph)
        if graph:
            out.write(f"{turtle_iri(node_iri(graph))} {{\n")
        for block in body:
            out.write(block)
        if graph:
            out.write("}\n")


_TYPE_TERM: dict[str, str] = {**{compact(v): k for k, v in CLASSES.items()},
                              **{compact(iri): iri[len(CP_NS):] for iri in STATEMENT_CLASSES.values()}}
_RELATION_TERM: dict[str, str] = {compact(iri): iri[len(CP_NS):] for iri in RELATIONS.values()}


def _jsonld_object(d: Description) -> dict[str, Any]:
    obj: dict[str, Any] = {"@id": d.subject}
    if d.type is not None:
        obj["@type"] = _TYPE_TERM[d.type]
    for key, value in d.pairs:
        prop = PROPERTIES.get(key)
        if prop is not None and prop.many == "set":
            obj.setdefault(key, []).append(value)
        else:
            key = _RELATION_TERM.get(key, key)
            obj[key] = value if key not in obj else [
                *(obj[key] if isinstance(obj[key], list) else [obj[key]]), value]
    return obj


def _write_jsonld(descs: Iterable[Description], out: _Out, report: ExportReport) -> None:
    context = json.dumps(jsonld_context()["@context"], ensure_ascii=False, indent=1)
    out.write('{\n"@context": ' + context + ',\n"@graph": [\n')
    first = True
    pending: dict[str, Any] | None = None      # direct edges of one node, merged into one object
    dumps = json.JSONEncoder(ensure_ascii=False).encode

    def write(obj: dict[str, Any]) -> None:
        nonlocal first
        out.write(("" if first else ",\n") + dumps(obj))
        first = False

    for d in descs:
        # list items count as the rdf:first/rdf:rest cells they stand for
        report.statements += (d.type is not None) + sum(
            1 + 2 * len(o) if isinstance(o, list) else 1 for _, o in d.pairs)
        if d.type is None:
            (pred, obj_id), = d.pairs
            key = _RELATION_TERM[pred]
            if pending is not None and pending["@id"] == d.subject:
                old = pending.get(key)
                pending[key] = obj_id if old is None else [
                    *(old if isinstance(old, list) else [old]), obj_id]
                continue
            if pending is not None:
                write(pending)
            pending = {"@id": d.subject, key: obj_id}
            continue
        if pending is not None:
            write(pending)
            pending = None
        write(_jsonld_object(d))
    if pending is not None:
        write(pending)
    out.write("\n]}\n")


_WRITERS: dict[str, tuple[Syntax, Callable[[Iterable[Description], _Out, ExportReport], None]]] = {
    "nq": (NT, _write_nq),
    "trig": (TURTLE, _write_trig),
    "jsonld": (JSONLD, _write_jsonld),
}


# -- entry point ------------------------------------------------------------------------------

def export_rows(nodes: Iterable[dict[str, Any]], relationships: Iterable[dict[str, Any]],
                out: BinaryIO, fmt: str = "turtle") -> ExportReport:
    """Write rows in the records format (nodes, then relationships) as RDF to a binary stream."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown RDF format {fmt!r}; expected one of {', '.join(FORMATS)}")
    report = ExportReport(fmt)
    started = time.perf_counter()
    text = _Out(out)
    if fmt in ("nt", "turtle"):
        _write_text(nodes, relationships, fmt, text, report)
    else:
        syntax, writer = _WRITERS[fmt]
        writer(describe(nodes, relationships, syntax, report), text, report)
    text.flush()
    report.seconds = time.perf_counter() - started
    return report


def export_rdf(store: Any, out: BinaryIO, fmt: str = "turtle") -> ExportReport:
    """Stream the whole graph of a store (`kg.store.GraphStore`) as RDF in `fmt`."""
    return export_rows(store.iter_nodes(), store.iter_relationships(), out, fmt)
