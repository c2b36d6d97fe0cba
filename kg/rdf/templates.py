"""Rows -> N-Triples or Turtle text through one compiled template per row shape.

A shape is a node label or relationship type with the row's keys in order; rows of one shape
(every trade flow of a synthetic network, most rows of the bundled graph) share a function
generated once, as Python source, that writes the whole row as one string expression: predicates
and class IRIs are constants, string literals are quoted by `kg.rdf.terms.quoted`, references
(sources, endpoints, HS codes, units) come from per-kind caches, and numbers take a fast path for
their usual Python type. No per-triple tuples, no per-property dispatch (docs/architecture.md,
"RDF export and validation").

The template only has to be right for rows it can write: anything unusual (a `None` value, an
empty reference, a value of an unexpected type, a Source node, an ordered list, a key the
vocabulary lacks) makes it raise or decline, and the caller writes that row through the general
describer instead (`kg.rdf.export`), which is also what names the row and field in errors. So both
paths produce the same bytes; tests/test_rdf_text.py compares them on hostile rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from ..models import RELATIONSHIP_TYPES
from ..vocab import CP_NS, LITERAL_KINDS, PROPERTIES, RDF_TYPE, RELATIONS, STATEMENT_NS, node_iri
from ..vocab import _escape as _escape_part
from .terms import _pn_local, quoted, turtle_iri

Template = Callable[[dict[str, Any]], tuple[Any, ...] | None]
"""A compiled row writer: (text, triples) for a node, (text, triples, subject, predicate,
object) for a relationship (the last three: its direct edge), or None to decline the row."""


def _statement_subject_turtle(local: str) -> str:
    """`stmt:<local>` as `turtle_iri` writes it (uncached: statement IRIs do not repeat).

    The local part is the relation's name (letters) and parts escaped by `kg.vocab`: letters,
    digits, `:.-~_` and `%XX` only, all valid in `PN_LOCAL` except `~` (escaped with a backslash)
    and a final `.` (left to `_pn_local`, which escapes it)."""
    if local[-1] != ".":
        return "stmt:" + (local.replace("~", "\\~") if "~" in local else local)
    pn = _pn_local(local)
    return f"stmt:{pn}" if pn is not None else f"<{STATEMENT_NS}{local}>"


assert turtle_iri(STATEMENT_NS + "x_y") == "stmt:x_y", "the stmt: prefix must be bound"


class Templates:
    """Compiled row writers of one syntax (`nt` or `turtle`), built on a describer's terms."""

    def __init__(self, syntax: str, describer: Any) -> None:
        self.turtle = syntax == "turtle"
        self.d = describer
        self.shapes: dict[tuple[Any, tuple[str, ...]], Template | None] = {}
        self.ref_caches: dict[str, dict[Any, Any]] = {}
        self.escaped: dict[str, str] = {}          # statement IRI parts, escaped once
        iri = describer.syntax.iri
        self.subjects: dict[str, Any] = {}

        def subject(node_id: str) -> Any:
            text = self.subjects[node_id] = iri(node_iri(node_id))
            return text
        self.subject_miss = subject

    # -- shared helpers the generated code calls ------------------------------------------------
    def _escape_miss(self, part: str) -> str:
        if len(self.escaped) > 200_000:
            self.escaped.clear()
        text = self.escaped[part] = _escape_part(part)
        return text

    def _ref(self, name: str) -> tuple[dict[Any, Any], Callable[[Any], Any]]:
        """The cache and cache-filling writer of a reference property (a shared cache per kind)."""
        prop = PROPERTIES[name]
        term = self.d.props[name].term
        cache = self.ref_caches.setdefault(prop.kind, {})

        def miss(value: Any) -> Any:
            if len(cache) > 200_000:
                cache.clear()
            text = cache[value] = term(value)
            return text
        return cache, miss

    def _literal(self, name: str) -> Callable[[Any], Any]:
        """The writer of a non-string literal, fast for the usual Python type of its kind."""
        kind = PROPERTIES[name].kind
        slow = self.d.props[name].term
        if kind in ("integer", "year"):
            if self.turtle and kind == "integer":
                return lambda v: str(v) if v.__class__ is int else slow(v)
            suffix = (f'"^^xsd:{LITERAL_KINDS[kind].rsplit("#", 1)[1]}' if self.turtle
                      else f'"^^<{LITERAL_KINDS[kind]}>')
            return lambda v: '"' + str(v) + suffix if v.__class__ is int else slow(v)
        if kind == "decimal":
            suffix = "" if self.turtle else f'"^^<{LITERAL_KINDS[kind]}>'
            prefix = "" if self.turtle else '"'

            def decimal(v: Any) -> Any:
                if v.__class__ is float:
                    text = repr(v)
                    if "e" not in text and "n" not in text:    # positional, finite
                        return prefix + text + suffix
                return slow(v)
            return decimal
        writer: Callable[[Any], Any] = slow
        return writer

    # -- compiling ------------------------------------------------------------------------------
    def node(self, row: dict[str, Any]) -> tuple[Any, ...] | None:
        label = row.get("type")
        key = (label, tuple(row))
        try:
            fn = self.shapes[key]
        except KeyError:
            fn = self.shapes[key] = self._compile(label, key[1], relationship=False)
        return None if fn is None else fn(row)

    def relationship(self, row: dict[str, Any]) -> tuple[Any, ...] | None:
        rel_type = row.get("type")
        key = (rel_type, tuple(row))
        try:
            fn = self.shapes[key]
        except KeyError:
            fn = self.shapes[key] = self._compile(rel_type, key[1], relationship=True)
        return None if fn is None else fn(row)

    def _compile(self, kind: Any, keys: tuple[str, ...], *, relationship: bool) -> Template | None:
        d = self.d
        if not isinstance(kind, str) or "type" not in keys:
            return None
        if relationship:
            if kind not in RELATIONSHIP_TYPES or "from" not in keys or "to" not in keys:
                return None
        elif kind not in d.classes or kind == "Source" or "id" not in keys:
            return None       # a Source drops its self-citation: the describer does that
        names = [k for k in keys if k != "type"]
        ns: dict[str, Any] = {"Q": quoted, "SUBJ": self.subjects, "SUBJ_MISS": self.subject_miss}
        lines = ["def template(row):"]
        fixed = 1                                   # the rdf:type triple
        sized: list[str] = []                       # sets: one triple per item
        parts: list[tuple[str, str, bool]] = []     # (predicate constant, term expression, is a set)
        predicates: list[str] = []
        for i, name in enumerate(names):
            c = d.props.get(name)
            if c is None or c.many == "list":
                return None
            predicates.append(c.predicate)
            v = f"v{i}"
            lines.append(f"    {v} = row[{name!r}]")
            ns[f"P{i}"] = c.predicate
            if c.is_literal:
                if PROPERTIES[name].kind == "string":
                    term = "Q({x})"
                else:
                    ns[f"L{i}"] = self._literal(name)
                    term = f"L{i}({{x}})"
            else:
                ns[f"R{i}"], ns[f"M{i}"] = self._ref(name)
                term = f"(R{i}.get({{x}}) or M{i}({{x}}))"
                if c.many == "one":            # an unset reference ("") is skipped: decline
                    lines.append(f"    if not {v}: return None")
            if c.many == "set":
                lines.append(f"    if {v}.__class__ is not list: return None")
                sized.append(f"len({v})")
                parts.append((f"P{i}", term.format(x="x"), True))
            else:
                fixed += 1
                parts.append((f"P{i}", term.format(x=v), False))
        if any(a == b for a, b in itertools.pairwise(predicates)):
            return None                        # Turtle would merge them: the describer does that
        if relationship:
            rel_keys = RELATIONSHIP_TYPES[kind].KEYS
            ns["REL"] = _escape_part(RELATIONS[kind][len(CP_NS):])
            if not ns["REL"].isalpha():          # a PN_LOCAL must not start with '-' or '.'
                return None
            ns["E"], ns["EM"] = self.escaped, self._escape_miss
            f_i, t_i = names.index("from"), names.index("to")
            local = ["REL", f"(E.get(v{f_i}) or EM(v{f_i}))", f"(E.get(v{t_i}) or EM(v{t_i}))"]
            for k, rk in enumerate(rel_keys):
                lines.append(f"    k{k} = row.get({rk!r})")
                lines.append(f"    k{k} = '' if k{k} is None else str(k{k})")
                local.append(f"(E.get(k{k}) or EM(k{k}))")
            lines.append("    loc = " + " + '_' + ".join(local))
            if self.turtle:
                ns["STMT"] = _statement_subject_turtle
                lines.append("    s = STMT(loc)")
            else:
                ns["NS"] = STATEMENT_NS
                lines.append("    s = '<' + NS + loc + '>'")
            ns["CLS"] = d.statement_classes[kind]
            ns["REL_P"] = d.relations[kind]
            tail = f", REL_P, t{t_i}"
            lines.append(f"    subj = {parts[f_i][1]}")
            parts[f_i] = (parts[f_i][0], "subj", False)
        else:
            lines.append("    s = SUBJ.get(v0) if v0.__class__ is str else None" if names[0] == "id"
                         else "    s = SUBJ.get(row['id']) if row['id'].__class__ is str else None")
            lines.append("    if s is None: s = SUBJ_MISS(row['id'])")
            ns["CLS"] = d.classes[kind]
            tail = ""
            if kind == "HSCode":
                ns["SCHEME_P"], ns["SCHEME_O"] = d.in_scheme
                fixed += 1
        count = " + ".join([str(fixed), *sized])
        body, text = self._text(parts, kind == "HSCode" and not relationship, ns)
        lines += body
        lines.append(f"    return {text}, {count}{', subj' + tail if relationship else ''}")
        exec("\n".join(lines), ns)      # source built above from vocabulary names and constants only
        fn: Template = ns["template"]
        return fn

    def _text(self, parts: list[tuple[str, str, bool]], scheme: bool, ns: dict[str, Any]
              ) -> tuple[list[str], str]:
        """The statements computing each part's text `t<i>` and the f-string that writes the row
        (subject `s`): one allocation for the whole row, constants as names (`K<i>`: the text
        around a predicate)."""
        body: list[str] = []
        fields: list[str] = []
        predicate = {p: ns[p] for p, _, _ in parts}
        if not self.turtle:
            ns["EOL"] = " .\n"
            ns["TYL"] = f" <{RDF_TYPE}> {ns['CLS']} .\n"
            fields.append("{s}{TYL}")
            for p, term, many in parts:
                i = p[1:]
                ns[f"K{i}"] = f" {predicate[p]} "
                if many:
                    body.append(f"    t{i} = ''.join([f'{{s}}{{K{i}}}{{{term}}}{{EOL}}' for x in v{i}])")
                    fields.append(f"{{t{i}}}")
                else:
                    body.append(f"    t{i} = {term}")
                    fields.append(f"{{s}}{{K{i}}}{{t{i}}}{{EOL}}")
            if scheme:
                ns["SCH"] = f" {ns['SCHEME_P']} {ns['SCHEME_O']} .\n"
                fields.append("{s}{SCH}")
            return body, 'f"' + "".join(fields) + '"'
        # Turtle: `s a C ;\n\tp o ;\n\tp o1 , o2 .\n`; an empty set says nothing (no ` ;`)
        ns["HEAD"] = f" a {ns['CLS']}"
        ns["END"] = " .\n"
        fields.append("{s}{HEAD}")
        for p, term, many in parts:
            i = p[1:]
            ns[f"K{i}"] = f" ;\n\t{predicate[p]} "
            if many:
                body.append(f"    t{i} = (K{i} + ' , '.join([{term} for x in v{i}])) if v{i} else ''")
                fields.append(f"{{t{i}}}")
            else:
                body.append(f"    t{i} = {term}")
                fields.append(f"{{K{i}}}{{t{i}}}")
        if scheme:
            ns["SCH"] = f" ;\n\t{ns['SCHEME_P']} {ns['SCHEME_O']}"
            fields.append("{SCH}")
        fields.append("{END}")
        return body, 'f"' + "".join(fields) + '"'
