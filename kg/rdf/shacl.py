"""SHACL validation of RDF exports against `ontology/shapes.ttl`, with readable results.

    report = validate_file(Path("graph.ttl"))
    if not report.conforms:
        print("\\n".join(report.lines()))

Files and the live graph are validated by the shapes compiled to SPARQL (`kg.rdf.shacl_sparql`,
run by pyoxigraph: seconds where pySHACL took minutes); `validate_graph` runs pySHACL on an rdflib
graph, the reference the compiled shapes are tested against.

Each violation names the focus node, the path and the shape's message, with the offending value,
all written with the export's prefixes (`stmt:produces_country:CHN_material:gallium_refining_2024`,
`cp:share`), so it can be found in the Turtle file.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH, XSD

from ..errors import DataError
from ..paths import ontology_dir
from . import shacl_sparql
from .export import compact, export_rdf
from .rdf_import import parse_rdf_file, rdf_format

log = logging.getLogger(__name__)

Progress = Callable[[str, int | None, int], None]
"""Called as (phase, total or None, done so far) while validating."""


@dataclass(frozen=True)
class Violation:
    focus: str                  # the focus node, as a CURIE
    path: str | None            # the property path, as CURIEs
    message: str
    value: str | None = None    # the offending value, if the constraint names one
    severity: str = "Violation"
    shape: str | None = None

    def __str__(self) -> str:
        where = f"{self.focus}  {self.path}" if self.path else self.focus
        value = f" = {self.value}" if self.value is not None else ""
        return f"{where}{value}: {self.message}"


@dataclass
class ShaclReport:
    conforms: bool
    violations: list[Violation] = field(default_factory=list)
    triples: int = 0
    seconds: float = 0.0
    data: str = ""

    def lines(self, limit: int | None = 50) -> list[str]:
        """A readable report: a summary line, then violations grouped by focus node."""
        n = len(self.violations)
        head = (f"{self.data}: {self.triples:,} triples, "
                + ("conforms to ontology/shapes.ttl" if self.conforms else
                   f"{n} SHACL violation{'s' * (n != 1)} of ontology/shapes.ttl"))
        out = [head]
        shown = self.violations if limit is None else self.violations[:limit]
        last_focus = None
        for v in shown:
            if v.focus != last_focus:
                out.append(f"  {v.focus}")
                last_focus = v.focus
            value = f" = {v.value}" if v.value is not None else ""
            severity = "" if v.severity == "Violation" else f"[{v.severity}] "
            out.append(f"    {severity}{v.path or '(node)'}{value}: {v.message}")
        if len(shown) < n:
            out.append(f"  ... and {n - len(shown)} more")
        return out


def shapes_graph() -> Graph:
    return Graph(bind_namespaces="none").parse(ontology_dir() / "shapes.ttl", format="turtle")


_XSD_STRING = str(XSD.string)


def _rdflib(term: Any) -> Any:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == _XSD_STRING:      # a simple literal: rdflib keeps the two apart
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def graph_from_quads(quads: Iterable[Any]) -> Graph:
    """An rdflib graph of parsed pyoxigraph triples or quads (named graphs merged)."""
    graph = Graph(bind_namespaces="none")
    graph.addN((_rdflib(q.subject), _rdflib(q.predicate), _rdflib(q.object), graph) for q in quads)
    return graph


def load_data(path: Path) -> Graph:
    return graph_from_quads(parse_rdf_file(path))


def validate_graph(data: Graph, *, name: str = "graph", focus: list[Any] | None = None) -> ShaclReport:
    """Validate an rdflib graph against the shapes with pySHACL: SHACL Core, no inference
    (only the `focus` nodes when given)."""
    from pyshacl import validate

    started = time.perf_counter()
    conforms, results, _text = validate(data, shacl_graph=shapes_graph(), inference="none",
                                        abort_on_first=False, allow_infos=True,
                                        allow_warnings=True, meta_shacl=False, advanced=False,
                                        focus_nodes=focus)
    violations = [_violation(results, r) for r in results.subjects(RDF.type, SH.ValidationResult)]
    violations.sort(key=lambda v: (v.focus, v.path or "", v.message, v.value or ""))
    return ShaclReport(bool(conforms), violations, len(data), time.perf_counter() - started, name)


# -- the compiled shapes (pyoxigraph) ---------------------------------------------------------

_COMPILED: list[shacl_sparql.Compiled] = []


def compiled_shapes() -> shacl_sparql.Compiled:
    """`ontology/shapes.ttl` as SPARQL queries (compiled once per process)."""
    if not _COMPILED:
        triples = ox.parse(path=str(ontology_dir() / "shapes.ttl"), format=ox.RdfFormat.TURTLE)
        _COMPILED.append(shacl_sparql.compile_shapes(iter(triples)))
    return _COMPILED[0]


def _ox_term(term: Any) -> str:
    """A pyoxigraph term as the reports write it (the same text `_term` gives rdflib terms)."""
    if isinstance(term, ox.NamedNode):
        return compact(term.value)
    if isinstance(term, ox.Literal):
        quoted = '"' + term.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        if term.language:
            return f"{quoted}@{term.language}"
        if term.datatype.value != _XSD_STRING:
            return f"{quoted}^^{compact(term.datatype.value)}"
        return quoted
    return "[]"


def _as_written(found: list[shacl_sparql.Found], source: Callable[[], Iterable[Any]]
                ) -> dict[Any, list[Any]]:
    """The literal objects of the violating focus nodes as the input wrote them: a pyoxigraph
    store keeps numbers and dates in canonical form (`"750.0"^^xsd:decimal` comes back as
    `"750"`), while a report should quote the input."""
    wanted = {focus for _, focus, value, _ in found
              if isinstance(value, ox.Literal) and value.datatype.value != _XSD_STRING}
    if not wanted:
        return {}
    out: dict[Any, list[Any]] = {}
    for t in source():
        if t.subject in wanted and isinstance(t.object, ox.Literal):
            out.setdefault(t.subject, []).append(t.object)
    return out


def _original(value: Any, written: Iterable[Any]) -> Any:
    """The written form of a canonicalised literal (the same datatype and the same value)."""
    if not isinstance(value, ox.Literal) or value.datatype.value == _XSD_STRING:
        return value
    same = [w for w in written if w.datatype == value.datatype and _same_value(w.value, value.value)]
    return same[0] if len(set(same)) == 1 else value


def _same_value(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return Decimal(a) == Decimal(b)
    except InvalidOperation:
        return False


def validate_ox(data: ox.Store, *, name: str = "graph", progress: Progress | None = None,
                source: Callable[[], Iterable[Any]] | None = None) -> ShaclReport:
    """Validate a pyoxigraph store (named graphs merged) with the compiled shapes; pySHACL if the
    shapes use a feature the compiler does not translate. `source` re-reads the input, to quote
    literal values as written."""
    started = time.perf_counter()
    try:
        compiled = compiled_shapes()
    except shacl_sparql.UnsupportedShape as exc:
        log.warning("validating with pySHACL: the shapes use %s, which kg.rdf.shacl_sparql "
                    "does not compile", exc)
        return validate_graph(graph_from_quads(data), name=name)
    total = len(compiled.queries)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress("checking SHACL shapes", total, done)

    found = list(shacl_sparql.run(compiled, data, tick))
    originals = _as_written(found, source) if source is not None else {}
    violations = [
        Violation(focus=_ox_term(focus),
                  path=compact(path.value) if path is not None else check.path,
                  message=check.message,
                  value=_ox_term(_original(value, originals.get(focus, ()))) if value is not None else None,
                  shape=check.shape)
        for check, focus, value, path in found]
    violations.sort(key=lambda v: (v.focus, v.path or "", v.message, v.value or ""))
    return ShaclReport(not violations, violations, len(data), time.perf_counter() - started, name)


def validate_file(path: Path, progress: Progress | None = None) -> ShaclReport:
    path = Path(path)
    fmt = rdf_format(path)
    data = ox.Store()
    try:
        if fmt in (ox.RdfFormat.N_TRIPLES, ox.RdfFormat.TURTLE):
            data.bulk_load(path=str(path), format=fmt)
        else:                          # named graphs merged, as one graph of distinct triples
            data.extend(ox.Quad(q.subject, q.predicate, q.object)
                        for q in ox.parse(path=str(path), format=fmt))
    except SyntaxError as exc:
        raise DataError(f"invalid {fmt.name}: {exc}", file=str(path)) from None
    return validate_ox(data, name=str(path), progress=progress,
                       source=lambda: ox.parse(path=str(path), format=fmt))


def validate_store(store: Any, progress: Progress | None = None) -> ShaclReport:
    """Export the live graph (N-Triples, in memory) and validate it."""
    if progress is not None:
        progress("exporting the graph", None, 0)
    buf = io.BytesIO()
    export_rdf(store, buf, "nt")
    text = buf.getvalue()
    if progress is not None:
        progress("loading it into the SPARQL store", None, 0)
    data = ox.Store()
    data.bulk_load(text, format=ox.RdfFormat.N_TRIPLES)
    name = f"the {getattr(store, 'backend', '')} store's graph".replace("  ", " ")
    return validate_ox(data, name=name, progress=progress,
                       source=lambda: ox.parse(text, format=ox.RdfFormat.N_TRIPLES))


# -- rendering --------------------------------------------------------------------------------

def _term(graph: Graph, node: Any) -> str:
    if isinstance(node, URIRef):
        return compact(str(node))
    if isinstance(node, Literal):
        quoted = '"' + str(node).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        if node.language:
            return f"{quoted}@{node.language}"
        if node.datatype is not None and node.datatype != XSD.string:
            return f"{quoted}^^{compact(str(node.datatype))}"
        return quoted
    return "[]"


def _path(graph: Graph, node: Any) -> str:
    """A SHACL property path as text: `cp:importSources/rdf:rest*/rdf:first`."""
    if isinstance(node, URIRef):
        return compact(str(node))
    if (node, RDF.first, None) in graph:
        return "/".join(_path(graph, item) for item in Collection(graph, node))
    for pred, suffix in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = graph.value(node, pred)
        if inner is not None:
            return _path(graph, inner) + suffix
    inverse = graph.value(node, SH.inversePath)
    if inverse is not None:
        return "^" + _path(graph, inverse)
    alternatives = graph.value(node, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_path(graph, i) for i in Collection(graph, alternatives)) + ")"
    return "[path]"


def _violation(results: Graph, result: Any) -> Violation:
    focus = results.value(result, SH.focusNode)
    path = results.value(result, SH.resultPath)
    value = results.value(result, SH.value)
    messages = sorted(str(m) for m in results.objects(result, SH.resultMessage))
    severity = results.value(result, SH.resultSeverity)
    shape = results.value(result, SH.sourceShape)
    component = results.value(result, SH.sourceConstraintComponent)
    closed = component == SH.ClosedConstraintComponent
    message = ("not a property of this class in the ontology (the shape is closed)" if closed
               else messages[0] if messages else "constraint violated")
    if component is not None:           # which constraint of the shape: [MinCount], [Datatype], ...
        message += f" [{str(component).rsplit('#', 1)[-1].removesuffix('ConstraintComponent')}]"
    return Violation(
        focus=_term(results, focus) if focus is not None else "(graph)",
        path=_path(results, path) if path is not None else None,
        message=message,
        value=_term(results, value) if value is not None else None,
        severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
        shape=_term(results, shape) if isinstance(shape, URIRef) else None,
    )
