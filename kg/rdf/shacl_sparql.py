"""SHACL Core shapes compiled to SPARQL queries, run by pyoxigraph over an in-memory store.

pySHACL evaluates every constraint on every focus node in Python over an rdflib graph: 30-110 s
for the bundled graph's 114k triples. Here each shape of `ontology/shapes.ttl` becomes a few
SPARQL queries that return only the violations — one query per property shape for its value
constraints (a boolean column per constraint), one per node shape for the usual counts of all its
properties (`sh:minCount 1`, `sh:maxCount 1`: existence tests, no counting), one per node-level
constraint — and pyoxigraph runs them in compiled code. Data without `rdfs:subClassOf` triples
(every export of this tool) finds a class's instances by `rdf:type` alone. The results are the
same `Violation`s pySHACL gives (focus, path, value, message, constraint component, source
shape); `tests/test_shacl_sparql.py` plants a violation of every constraint of every shape and
checks both validators report exactly the same list.

Only the SHACL Core subset the shapes use is compiled (targets by class; `sh:path` predicates,
sequences, inverse, alternative and zero-or-more/one-or-more/zero-or-one paths; `sh:minCount`,
`sh:maxCount`, `sh:datatype`, `sh:nodeKind`, `sh:class`, `sh:in`, `sh:pattern` with `sh:flags`,
`sh:minLength`, `sh:maxLength`, the four range constraints, `sh:hasValue`, `sh:closed` with
`sh:ignoredProperties`, and `sh:or` of shapes made of `sh:class` or of count constraints on a
predicate). A shape using anything else raises `UnsupportedShape`, and `kg.rdf.shacl` then
validates with pySHACL: a constraint is never skipped silently.

Well-typed literals follow SPARQL and XSD (`sh:datatype`: "a literal matches a datatype if [...]
not an ill-typed literal"): `"1e5"^^xsd:decimal` and `"NaN"^^xsd:decimal` are ill-typed here,
while rdflib (so pySHACL) accepts them; `sh:pattern` uses SPARQL `REGEX`, where `$` matches only
at the end (Python's `re`, which pySHACL uses, also matches before a final newline).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from ..machine import usable_cores
from .terms import compact

SH = "http://www.w3.org/ns/shacl#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE, RDF_FIRST, RDF_REST, RDF_NIL = RDF + "type", RDF + "first", RDF + "rest", RDF + "nil"
RDFS_SUBCLASS_OF = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
_INSTANCE = f"<{RDF_TYPE}>/<{RDFS_SUBCLASS_OF}>*"


class UnsupportedShape(Exception):
    """The shapes use a SHACL feature this compiler does not translate."""


# -- the shapes graph -------------------------------------------------------------------------

class _Graph:
    def __init__(self, triples: Iterator[Any]) -> None:
        self.out: dict[Any, list[tuple[str, Any]]] = {}
        for t in dict.fromkeys(triples):           # a graph is a set: a repeated triple counts once
            self.out.setdefault(t.subject, []).append((t.predicate.value, t.object))

    def objects(self, node: Any, pred: str) -> list[Any]:
        return [o for p, o in self.out.get(node, ()) if p == pred]

    def value(self, node: Any, pred: str) -> Any:
        values = self.objects(node, pred)
        if len(values) > 1:
            raise UnsupportedShape(f"more than one {compact(pred)} on {node}")
        return values[0] if values else None

    def items(self, node: Any) -> list[Any]:
        out = []
        while not (isinstance(node, ox.NamedNode) and node.value == RDF_NIL):
            first = self.value(node, RDF_FIRST)
            if first is None:
                raise UnsupportedShape(f"not an RDF list: {node}")
            out.append(first)
            node = self.value(node, RDF_REST)
        return out


def _sparql(term: Any) -> str:
    """A term as SPARQL text (N-Triples syntax is valid SPARQL for IRIs and literals)."""
    if isinstance(term, ox.BlankNode):
        raise UnsupportedShape("a blank node as a constraint value")
    return str(term)


@dataclass
class Path:
    sparql: str              # a SPARQL property path
    text: str                # as pySHACL's report prints it (kg.rdf.shacl._path)
    predicate: str | None    # the IRI, for a predicate path (sh:closed's allowed properties)


def _path(g: _Graph, node: Any) -> Path:
    if isinstance(node, ox.NamedNode):
        return Path(f"<{node.value}>", compact(node.value), node.value)
    if g.value(node, RDF_FIRST) is not None:
        parts = [_path(g, item) for item in g.items(node)]
        return Path("(" + "/".join(p.sparql for p in parts) + ")", "/".join(p.text for p in parts), None)
    for pred, suffix in (("zeroOrMorePath", "*"), ("oneOrMorePath", "+"), ("zeroOrOnePath", "?")):
        inner = g.value(node, SH + pred)
        if inner is not None:
            p = _path(g, inner)
            return Path(f"({p.sparql}){suffix}", p.text + suffix, None)
    inverse = g.value(node, SH + "inversePath")
    if inverse is not None:
        p = _path(g, inverse)
        return Path(f"^({p.sparql})", "^" + p.text, None)
    alternatives = g.value(node, SH + "alternativePath")
    if alternatives is not None:
        parts = [_path(g, item) for item in g.items(alternatives)]
        return Path("(" + "|".join(p.sparql for p in parts) + ")",
                    "(" + "|".join(p.text for p in parts) + ")", None)
    raise UnsupportedShape(f"a property path it cannot read: {node}")


# -- constraints as SPARQL expressions --------------------------------------------------------

_NUMERIC = {XSD + t for t in ("decimal", "integer", "double", "float", "int", "long", "short", "byte",
                              "nonNegativeInteger", "positiveInteger", "negativeInteger",
                              "nonPositiveInteger", "unsignedLong", "unsignedInt", "unsignedShort",
                              "unsignedByte")}
# XSD lexical spaces of the non-numeric datatypes SPARQL knows (XML Schema 1.1 part 2, §3.3)
_YEAR = r"-?([1-9][0-9]{3,}|0[0-9]{3})"
_TZ = r"(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_DECIMAL = r"^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$"
_LEXICAL = {
    # pyoxigraph's xsd:decimal holds 18 fractional digits: a longer one is valid XSD but not
    # isNumeric() there, so decimals and integers are checked by their lexical form
    XSD + "decimal": _DECIMAL,
    XSD + "integer": "^[+-]?[0-9]+$",
    XSD + "boolean": "^(true|false|1|0)$",
    XSD + "gYear": f"^{_YEAR}{_TZ}$",
    XSD + "date": f"^{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]){_TZ}$",
}


def _well_typed(var: str, datatype: str) -> str:
    if datatype in _NUMERIC and datatype not in _LEXICAL:
        return f"isNumeric({var})"
    if datatype == XSD + "date":       # the pattern, and a real day (no 30 February): the cast checks it
        return (f'(REGEX(STR({var}), "{_LEXICAL[datatype]}") && '
                f"COALESCE(datatype(xsd:date(STR({var}))) = xsd:date, false))")
    if datatype in _LEXICAL:
        return f'REGEX(STR({var}), "{_LEXICAL[datatype]}")'
    return "true"


_NODE_KINDS = {
    "IRI": "isIRI({v})", "BlankNode": "isBlank({v})", "Literal": "isLiteral({v})",
    "BlankNodeOrIRI": "(isBlank({v}) || isIRI({v}))", "BlankNodeOrLiteral": "(isBlank({v}) || isLiteral({v}))",
    "IRIOrLiteral": "(isIRI({v}) || isLiteral({v}))",
}


def _string(term: Any) -> str:
    if not isinstance(term, ox.Literal):
        raise UnsupportedShape(f"not a literal: {term}")
    return term.value


def _int(term: Any) -> int:
    try:
        return int(_string(term))
    except ValueError:
        raise UnsupportedShape(f"not an integer: {term}") from None


def _regex(pattern: str, flags: str | None) -> str:
    args = str(ox.Literal(pattern)) + (f", {ox.Literal(flags)}" if flags else "")
    return args


def _conforms(g: _Graph, var: str, shape: Any) -> str:
    """A SPARQL expression, true when the node in `var` conforms to an `sh:or` member shape."""
    allowed = {RDF_TYPE, SH + "class", SH + "path", SH + "minCount", SH + "maxCount", SH + "message",
               SH + "name"}
    preds = {p for p, _ in g.out.get(shape, ())}
    if preds - allowed:
        raise UnsupportedShape(f"sh:or member with {sorted(preds - allowed)}")
    tests = [f"EXISTS {{ {var} {_INSTANCE} {_sparql(c)} }}" for c in g.objects(shape, SH + "class")]
    path_node = g.value(shape, SH + "path")
    if path_node is not None:
        path = _path(g, path_node).sparql
        low, high = g.value(shape, SH + "minCount"), g.value(shape, SH + "maxCount")
        if low is not None:
            if _int(low) != 1:
                raise UnsupportedShape("sh:or member with a sh:minCount other than 1")
            tests.append(f"EXISTS {{ {var} {path} ?_any }}")
        if high is not None:
            if _int(high) != 0:
                raise UnsupportedShape("sh:or member with a sh:maxCount other than 0")
            tests.append(f"NOT EXISTS {{ {var} {path} ?_any }}")
    return "(" + " && ".join(tests or ["true"]) + ")"


@dataclass
class Check:
    """One constraint: how a violation is reported."""

    component: str               # e.g. "MinCount"
    shape: str | None            # the source shape as a CURIE, for named (node) shapes
    path: str | None
    messages: list[str]
    generic: str                 # pySHACL's message when the shape has no sh:message
    has_value: bool = True       # whether the result names the value (counts do not)

    @property
    def message(self) -> str:
        if self.component == "Closed":
            return "not a property of this class in the ontology (the shape is closed) [Closed]"
        return (sorted(self.messages)[0] if self.messages else self.generic) + f" [{self.component}]"


@dataclass
class Query:
    sparql: str
    checks: list[Check]          # one per boolean column ?c0, ?c1, ... (or the single check)
    kind: str                    # "values", "flags", "counts", "focus", "closed"
    bounds: tuple[int | None, int | None] = (None, None)


@dataclass
class Compiled:
    queries: list[Query] = field(default_factory=list)


_PROPERTY_KEYS = {RDF_TYPE, SH + "path", SH + "name", SH + "description", SH + "message", SH + "order",
                  SH + "minCount", SH + "maxCount", SH + "datatype", SH + "nodeKind", SH + "class",
                  SH + "in", SH + "pattern", SH + "flags", SH + "minLength", SH + "maxLength",
                  SH + "minInclusive", SH + "maxInclusive", SH + "minExclusive", SH + "maxExclusive",
                  SH + "hasValue", SH + "or"}
_NODE_KEYS = {RDF_TYPE, SH + "targetClass", SH + "property", SH + "closed", SH + "ignoredProperties",
              SH + "nodeKind", SH + "pattern", SH + "flags", SH + "or", SH + "message",
              "http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2000/01/rdf-schema#comment"}
_RANGES = {"minInclusive": ">=", "maxInclusive": "<=", "minExclusive": ">", "maxExclusive": "<"}


def _value_checks(g: _Graph, node: Any, var: str, shape: str | None, path: str | None,
                  messages: list[str]) -> list[tuple[Check, str]]:
    """(check, SPARQL expression true on a violation) for each value constraint of `node`."""
    out: list[tuple[Check, str]] = []

    def add(component: str, generic: str, violated: str) -> None:
        out.append((Check(component, shape, path, messages, generic), f"COALESCE({violated}, true)"))

    for dt in g.objects(node, SH + "datatype"):
        add("Datatype", f"Value is not Literal with datatype {compact(dt.value)}",
            f"!(isLiteral({var}) && datatype({var}) = {_sparql(dt)} && {_well_typed(var, dt.value)})")
    for kind in g.objects(node, SH + "nodeKind"):
        name = kind.value.removeprefix(SH)
        if name not in _NODE_KINDS:
            raise UnsupportedShape(f"sh:nodeKind {kind}")
        add("NodeKind", f"Value is not of Node Kind sh:{name}", "!" + _NODE_KINDS[name].format(v=var))
    for cls in g.objects(node, SH + "class"):
        add("Class", f"Value does not have class {compact(cls.value)}",
            f"NOT EXISTS {{ {var} {_INSTANCE} {_sparql(cls)} }}")
    for allowed in g.objects(node, SH + "in"):
        items = g.items(allowed)
        add("In", "Value {v} not in list " + str([compact(str(i)) for i in items]),
            "!(" + " || ".join(f"sameTerm({var}, {_sparql(i)})" for i in items) + ")" if items else "true")
    flags = g.value(node, SH + "flags")
    for pattern in g.objects(node, SH + "pattern"):
        add("Pattern", f"Value does not match pattern '{_string(pattern)}'",
            f"(isBlank({var}) || !REGEX(STR({var}), {_regex(_string(pattern), flags and _string(flags))}))")
    for low in g.objects(node, SH + "minLength"):
        add("MinLength", f"String length not >= {_int(low)}",
            f"(isBlank({var}) || STRLEN(STR({var})) < {_int(low)})")
    for high in g.objects(node, SH + "maxLength"):
        add("MaxLength", f"String length not <= {_int(high)}",
            f"(isBlank({var}) || STRLEN(STR({var})) > {_int(high)})")
    for name, op in _RANGES.items():
        for bound in g.objects(node, SH + name):
            b = _sparql(bound)
            # a decimal pyoxigraph cannot hold exactly (see _LEXICAL) is compared as a double
            add(name[0].upper() + name[1:], f"Value is not {op} {bound}",
                f"!IF(isNumeric({var}), {var} {op} {b}, IF(isLiteral({var}) && datatype({var}) = "
                f'xsd:decimal && REGEX(STR({var}), "{_DECIMAL}"), xsd:double(STR({var})) {op} {b}, false))')
    for alternatives in g.objects(node, SH + "or"):
        members = [_conforms(g, var, m) for m in g.items(alternatives)]
        add("Or", f"Node {{v}} must conform to one or more shapes in {alternatives}",
            "!(" + " || ".join(members) + ")")
    return out


def _messages(g: _Graph, node: Any) -> list[str]:
    return [_string(m) for m in g.objects(node, SH + "message")]


def _count_checks(focus: str, path: str, lo: int | None, hi: int | None, low_check: Check,
                  high_check: Check) -> tuple[list[Query], list[tuple[Check, str]]]:
    """`sh:minCount` / `sh:maxCount` of one property: a counting query for unusual bounds, else
    conditions on the focus node `?f` that the shape's checks share one query for. Fewer than 1
    value is no value (`NOT EXISTS`), more than 1 is two different terms (`sameTerm`, as
    `COUNT(DISTINCT)` counts terms), more than 0 is any value."""
    if (lo is not None and lo > 1) or (hi is not None and hi > 1):
        having = " || ".join(([f"?n < {lo}"] if lo is not None else [])
                             + ([f"?n > {hi}"] if hi is not None else []))
        return [Query(f"SELECT ?f ?n WHERE {{ {{ SELECT ?f (COUNT(DISTINCT ?v) AS ?n) WHERE {{ {focus} "
                      f"OPTIONAL {{ ?f {path} ?v }} }} GROUP BY ?f }} FILTER({having}) }}",
                      [low_check, high_check], "counts", (lo, hi))], []
    flags = []
    if lo == 1:
        flags.append((low_check, f"NOT EXISTS {{ ?f {path} ?_v }}"))
    if hi == 1:
        flags.append((high_check, f"EXISTS {{ ?f {path} ?_a . ?f {path} ?_b . FILTER(!sameTerm(?_a, ?_b)) }}"))
    elif hi == 0:
        flags.append((high_check, f"EXISTS {{ ?f {path} ?_a }}"))
    return [], flags


def _flags_query(focus: str, flags: list[tuple[Check, str]]) -> Query:
    """One pass over a class's instances for all its count conditions (a boolean column each)."""
    columns = " ".join(f"({violated} AS ?c{i})" for i, (_, violated) in enumerate(flags))
    return Query(f"SELECT DISTINCT ?f {columns} WHERE {{ {focus} "
                 f"FILTER({' || '.join(v for _, v in flags)}) }}", [c for c, _ in flags], "flags")


def compile_shapes(triples: Iterator[Any]) -> Compiled:
    """Every node shape with a `sh:targetClass`, as SPARQL queries (raises `UnsupportedShape`)."""
    g = _Graph(triples)
    compiled = Compiled()
    shapes = sorted((s for s, pos in g.out.items()
                     if any(p == RDF_TYPE and o.value == SH + "NodeShape" for p, o in pos)
                     or any(p == SH + "targetClass" for p, _ in pos)), key=str)
    for node in shapes:
        if not isinstance(node, ox.NamedNode):
            raise UnsupportedShape("a blank node shape with a target")
        unknown = {p for p, _ in g.out[node]} - _NODE_KEYS
        if unknown:
            raise UnsupportedShape(f"{node}: {sorted(unknown)}")
        name = compact(node.value)
        targets = g.objects(node, SH + "targetClass")
        if len(targets) != 1:
            raise UnsupportedShape(f"{node}: {len(targets)} target classes")
        focus = f"?f {_INSTANCE} {_sparql(targets[0])} ."
        messages = _messages(g, node)
        checks = _value_checks(g, node, "?f", name, None, messages)
        for check, violated in checks:          # node-level: the focus node is the value
            compiled.queries.append(Query(f"SELECT DISTINCT ?f WHERE {{ {focus} FILTER({violated}) }}",
                                          [check], "focus"))
        allowed: set[str] = set()
        flags: list[tuple[Check, str]] = []
        for prop in g.objects(node, SH + "property"):
            unknown = {p for p, _ in g.out.get(prop, ())} - _PROPERTY_KEYS
            if unknown:
                raise UnsupportedShape(f"{node} property: {sorted(unknown)}")
            path = _path(g, g.value(prop, SH + "path"))
            if path.predicate is not None:
                allowed.add(path.predicate)
            pmessages = _messages(g, prop)
            shape = compact(prop.value) if isinstance(prop, ox.NamedNode) else None
            low, high = g.value(prop, SH + "minCount"), g.value(prop, SH + "maxCount")
            if low is not None or high is not None:
                lo, hi = (_int(low) if low is not None else None), (_int(high) if high is not None else None)
                queries, more = _count_checks(
                    focus, path.sparql, lo, hi,
                    Check("MinCount", shape, path.text, pmessages, f"Less than {lo} values on {path.text}",
                          has_value=False),
                    Check("MaxCount", shape, path.text, pmessages, f"More than {hi} values on {path.text}",
                          has_value=False))
                compiled.queries += queries
                flags += more
            for value in g.objects(prop, SH + "hasValue"):
                compiled.queries.append(Query(
                    f"SELECT ?f WHERE {{ {focus} FILTER NOT EXISTS {{ ?f {path.sparql} {_sparql(value)} }} }}",
                    [Check("HasValue", shape, path.text, pmessages, f"Missing expected value {value}",
                           has_value=False)], "focus"))
            checks = _value_checks(g, prop, "?v", shape, path.text, pmessages)
            if checks:
                columns = " ".join(f"({violated} AS ?c{i})" for i, (_, violated) in enumerate(checks))
                compiled.queries.append(Query(
                    f"SELECT DISTINCT ?f ?v {columns} WHERE {{ {focus} ?f {path.sparql} ?v . "
                    f"FILTER({' || '.join(v for _, v in checks)}) }}",
                    [c for c, _ in checks], "values"))
        if flags:
            compiled.queries.append(_flags_query(focus, flags))
        closed = g.value(node, SH + "closed")
        if closed is not None and closed.value == "true":
            ignored = g.value(node, SH + "ignoredProperties")
            allowed.update(i.value for i in (g.items(ignored) if ignored is not None else []))
            compiled.queries.append(Query(
                f"SELECT ?f ?p ?v WHERE {{ {focus} ?f ?p ?v . "
                f"FILTER(?p NOT IN ({', '.join(f'<{a}>' for a in sorted(allowed))})) }}",
                [Check("Closed", name, None, messages, "")], "closed"))
    return compiled


# -- running ----------------------------------------------------------------------------------

Found = tuple[Check, Any, Any, Any]      # (check, focus term, value term or None, path override)


def workers() -> int:
    """Threads that evaluate the queries: one per core, at most four. pyoxigraph lets go of the
    GIL while it evaluates a query, so two threads checked the bundled graph's 395 queries in
    2.6 s instead of 4.6 s on two cores."""
    return min(4, usable_cores())


def run(compiled: Compiled, store: ox.Store, progress: Callable[[int], None] | None = None,
        threads: int | None = None) -> Iterator[Found]:
    """Every violation in `store` (its named graphs merged), query by query, in the order of
    the compiled queries; the queries are evaluated on `threads` threads (`workers()`), a few
    ahead of the one whose rows are being read."""
    prefixes = {"xsd": XSD}
    # Instances of a class are its members and its subclasses' members (rdfs:subClassOf in the
    # data graph). Data without any subClassOf triple (every export of this tool) needs no
    # property path: plain rdf:type finds the same nodes, and finds them much faster.
    plain = not store.query(f"ASK {{ ?a <{RDFS_SUBCLASS_OF}> ?b }}", use_default_graph_as_union=True)

    def solve(query: Query) -> list[Any]:
        sparql = query.sparql.replace(_INSTANCE, f"<{RDF_TYPE}>") if plain else query.sparql
        solutions = store.query(sparql, prefixes=prefixes, use_default_graph_as_union=True)
        assert isinstance(solutions, ox.QuerySolutions)     # every compiled query is a SELECT
        return list(solutions)

    threads = threads or workers()
    todo = iter(compiled.queries)
    with ThreadPoolExecutor(threads, thread_name_prefix="kg-shacl") as pool:
        ahead: deque[tuple[Query, Future[list[Any]]]] = deque()

        def submit() -> None:
            query = next(todo, None)
            if query is not None:
                ahead.append((query, pool.submit(solve, query)))

        for _ in range(2 * threads):
            submit()
        while ahead:
            query, future = ahead.popleft()
            rows = future.result()
            submit()
            yield from _found(query, rows)
            if progress is not None:
                progress(1)


def _found(query: Query, rows: list[Any]) -> Iterator[Found]:
    """The violations in one query's rows."""
    for row in rows:
        focus = row["f"]
        if query.kind in ("values", "flags"):
            for i, check in enumerate(query.checks):
                flag = row[f"c{i}"]
                if flag is not None and flag.value == "true":
                    yield check, focus, row["v"] if query.kind == "values" else None, None
        elif query.kind == "counts":
            n = int(row["n"].value)
            low, high = query.bounds
            if low is not None and n < low:
                yield query.checks[0], focus, None, None
            if high is not None and n > high:
                yield query.checks[1], focus, None, None
        elif query.kind == "closed":
            yield query.checks[0], focus, row["v"], row["p"]
        else:
            (check,) = query.checks
            yield check, focus, focus if check.has_value else None, None
