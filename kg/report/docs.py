"""Generated reference docs: `docs/ontology.md` (from the pydantic models and the OWL ontology)
and `docs/queries.md` (from the stored queries' headers). `kg docs` writes them; the tests
regenerate them and fail when the committed copies differ."""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any

from ..models import NODE_TYPES, QUALIFIERS, RELATIONSHIP_TYPES, STAGES, UNITS
from ..models import base as _base
from ..models.ids import ID_PATTERN
from ..paths import ontology_dir
from ..queries import StoredQuery, list_queries

ONTOLOGY_FILE = "ontology.md"
QUERIES_FILE = "queries.md"
CP = "https://w3id.org/chokepoint/ontology#"

# Terms reused from other vocabularies carry no comment of ours in chokepoint.ttl.
REUSED = {
    "id": "The node's id: a CURIE whose prefix names the label (`country:CHN`); also its IRI "
          "under `https://w3id.org/chokepoint/id/` (`dct:identifier`).",
    "name": "Human-readable name (`rdfs:label`).",
    "source_ids": "Ids of the `Source` nodes the fact is derived from, at least one "
                  "(`prov:wasDerivedFrom`).",
    "notes": "Free-text remarks: caveats, conflicts between sources, how a figure was derived "
             "(`rdfs:comment`).",
    "wikidata": "Wikidata item id, `Q…` (`owl:sameAs wd:Q…`).",
    "title": "Full title of the publication or data release (`dct:title`).",
    "publisher": "Who publishes it (`dct:publisher`).",
    "license": "The source's licence, as its publisher states it (`dct:license`).",
    "code": "The code's digits: 2 (chapter), 4 (heading), 6 (subheading) or more for national "
            "lines (`skos:notation`).",
    "parent": "The digits of the code one level up (`skos:broader`).",
    "from": "Id of the start node.",
    "to": "Id of the end node.",
}


def _comments() -> dict[str, dict[str, str]]:
    """graph name -> {IRI local name: rdfs:comment} from ontology/chokepoint.ttl."""
    import rdflib
    from rdflib.namespace import RDFS
    g = rdflib.Graph().parse(ontology_dir() / "chokepoint.ttl")
    out: dict[str, dict[str, str]] = {}
    for subject, name in g.subject_objects(rdflib.URIRef(CP + "graphName")):
        comment = g.value(subject, RDFS.comment)
        out.setdefault(str(name), {})[str(subject).removeprefix(CP)] = \
            " ".join(str(comment or "").split())
    return out


def _alias_notes() -> dict[int, str]:
    """id() of the validators of the shared value types -> how to describe them."""
    notes = {}
    for alias, text in ((_base.ISODate, "ISO date `YYYY-MM-DD`"),
                        (_base.ISO3, "ISO 3166-1 alpha-3 code"),
                        (_base.Stage, "one of " + ", ".join(f"`{s}`" for s in STAGES)),
                        (_base.Unit, "one of " + ", ".join(f"`{u}`" for u in UNITS)),
                        (_base.Qualifier, "one of " + ", ".join(f"`{q}`" for q in QUALIFIERS)),
                        (_base.Confidence, "one of `H`, `M`, `L`")):
        for meta in typing.get_args(alias)[1:]:
            notes[id(meta)] = text
    return notes


_BASIC = {str: "string", int: "integer", float: "number", bool: "boolean"}


def describe_type(annotation: Any, metadata: list[Any] | tuple[Any, ...] = ()) -> tuple[str, bool]:
    """A field's type in words, and whether it may be absent (null)."""
    optional = False
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        optional = True
        rest = [a for a in args if a is not type(None)]
        annotation = rest[0] if len(rest) == 1 else annotation
        args, origin = typing.get_args(annotation), typing.get_origin(annotation)
    extra = list(metadata)
    if origin is typing.Annotated:
        annotation, extra = args[0], list(args[1:]) + extra
        args, origin = typing.get_args(annotation), typing.get_origin(annotation)
    if origin is tuple:
        inner, _ = describe_type(args[0])
        return f"list of {inner}", optional
    if origin is typing.Literal:
        return " | ".join(f"`{a}`" for a in args), optional
    text = _BASIC.get(annotation, getattr(annotation, "__name__", str(annotation)))
    notes = _alias_notes()
    details = []
    for meta in extra:
        if id(meta) in notes:
            details.append(notes[id(meta)])
            continue
        for attr, fmt in (("ge", "≥ {}"), ("gt", "> {}"), ("le", "≤ {}"), ("lt", "< {}"),
                          ("min_length", "min length {}"), ("pattern", "pattern `{}`")):
            value = getattr(meta, attr, None)
            if value is not None and not (attr == "min_length" and value == 1):
                details.append(fmt.format(value))
            elif attr == "min_length" and value == 1:
                details.append("non-empty")
        for sub in getattr(meta, "metadata", []) or []:
            for attr, fmt in (("ge", "≥ {}"), ("le", "≤ {}"), ("gt", "> {}")):
                if getattr(sub, attr, None) is not None:
                    details.append(fmt.format(getattr(sub, attr)))
    return text + (f" ({', '.join(dict.fromkeys(details))})" if details else ""), optional


def _cell(text: str) -> str:
    """Table-cell text: a pipe would end the cell, even inside a code span."""
    return text.replace("|", "\\|")


def _fields_table(cls: Any, comments: dict[str, dict[str, str]], skip: set[str]) -> list[str]:
    rows = ["| property | type | required | description |", "|---|---|---|---|"]
    first, last = ["id", "name", "from_id", "to_id"], ["confidence", "source_ids", "notes"]
    names = [n for n in first if n in cls.model_fields] + \
        [n for n in cls.model_fields if n not in first and n not in last] + \
        [n for n in last if n in cls.model_fields]
    for name in names:
        info = cls.model_fields[name]
        if name in skip:
            continue
        key = info.alias or name
        kind, _optional = describe_type(info.annotation, info.metadata)
        required = info.is_required()
        if not required and info.default not in (None, (), ""):
            default = json.dumps(info.default, ensure_ascii=False)
            req = f"no (default {default})"
        else:
            req = "yes" if required else "no"
        owl = comments.get(name, {})
        desc = next((c for c in owl.values() if c), "") or REUSED.get(key, "") or \
            (info.description or "")
        rows.append(f"| `{key}` | {_cell(kind)} | {req} | {_cell(desc)} |")
    return rows


def ontology_md() -> str:
    comments = _comments()
    out = ["# Ontology reference", "",
           "Generated by `kg docs` from the pydantic models (`kg/models/`) and the OWL ontology "
           "(`ontology/chokepoint.ttl`); `tests/test_docs.py` fails when this file is out of date. "
           "Naming rules, IRIs and the statement model: `ontology/README.md`.", "",
           "Every record carries `source_ids` (at least one `Source` id) and may carry `notes`. "
           "Records are frozen and reject unknown fields. In the records format (JSON Lines, or "
           "CSV named `<Type>.csv` as `kg import` reads) a record has `type` (the label or "
           "relationship type) and, for relationships, `from` and `to` ids.", "",
           "## Labels", "",
           "| label | id pattern | what |", "|---|---|---|"]
    for label, cls in NODE_TYPES.items():
        what = comments.get(label, {}).get(label, "") or (cls.__doc__ or "").strip()
        out.append(f"| [`{label}`](#{label.lower()}) | `{_cell(ID_PATTERN[label].pattern)}` | "
                   f"{_cell(what)} |")
    out += ["", "## Relationship types", "", "| type | from → to | key properties | what |",
            "|---|---|---|---|"]
    for rel, rel_cls in RELATIONSHIP_TYPES.items():
        c = comments.get(rel, {})
        what = next((v for k, v in c.items() if k[0].isupper()), "") or next(iter(c.values()), "")
        keys = ", ".join(f"`{k}`" for k in rel_cls.KEYS) or "–"
        out.append(f"| [`{rel}`](#{rel.lower()}) | {'/'.join(rel_cls.FROM)} → "
                   f"{'/'.join(rel_cls.TO)} | {keys} | {_cell(what)} |")
    out += ["", "## Labels in detail", ""]
    for label, cls in NODE_TYPES.items():
        out += [f"### {label}", "", comments.get(label, {}).get(label, ""), "",
                f"Id: `{ID_PATTERN[label].pattern}` · OWL class `cp:{label}`", ""]
        out += _fields_table(cls, comments, {"type"}) + [""]
    out += ["## Relationship types in detail", ""]
    for rel, rel_cls in RELATIONSHIP_TYPES.items():
        c = comments.get(rel, {})
        out += [f"### {rel}", ""]
        for local, text in sorted(c.items(), key=lambda kv: kv[0][0].islower()):
            out += [f"- `cp:{local}`: {text}"]
        keys = ", ".join(f"`{k}`" for k in rel_cls.KEYS)
        out += ["", f"{'/'.join(rel_cls.FROM)} → {'/'.join(rel_cls.TO)}"
                + (f" · one fact per endpoints and {keys}" if keys else
                   " · one fact per pair of endpoints"), ""]
        out += _fields_table(rel_cls, comments, {"type"}) + [""]
    return "\n".join(out).rstrip() + "\n"


def _default(value: Any) -> str:
    return "null" if value is None else json.dumps(value, ensure_ascii=False)


SHARED_RULES = """## Rules every query shares

### The latest figure

Every query that reads national production (`concentration`, `single-points-of-failure`,
`what-if-cutoff`, `diversification`, `china-exposure`, `import-measure-exposure`) takes its
figures through one rule, written once in `queries/fragments/latest-figure.cypher.in`:

1. **A figure is a row with a number.** A country-level `PRODUCES` row with a quantity or a share is
   a figure; a row with only a qualifier (`W` withheld, `NA`) is not, so a newer `NA` row never
   hides an older real figure. Per item and stage the latest year with at least one figure is used
   (or the latest at or before `year`); rows at that year without a number are kept, with share null.
2. **Capacity never stands in for output.** A row with `basis` = `capacity` is a capacity
   figure. The latest *output* year is used; capacity only where the stage has no output figure at
   all, and then the row says so (`measure` = `capacity`, else `output`).
3. **Elements inherit their group's figures.** An element without figures of its own at a stage
   (neodymium, dysprosium) takes, at that stage, the figures of the group it is a member of
   (`member_of`; where several groups have figures, the smallest one, e.g. the magnet rare earths
   before all rare earths): `basis` = `group`, `group` names it. Figures of its own (e.g. a cited
   dysprosium separation share) take precedence, stage by stage: `basis` = `own`.
4. **Shares never add up past 1.** A share is the quantity over the stated world total, or over the
   sum of the country figures where that sum exceeds a rounded world total; else the stated share;
   else the quantity over the sum of the quantities.

*Why a shared fragment rather than a property set at load:* the rule depends on the query's
`year` parameter (the latest figure at or before a year), which a value computed at load time
cannot know, and a fragment keeps the write path free of query logic. The fragment is copied
into each query file between `// BEGIN fragment latest-figure(...)` and `// END fragment
latest-figure` so every file stays one complete Cypher statement for Neo4j Browser; edit the
fragment, then run `python -m kg.query_fragments` to rewrite the copies.
A query without a `year` parameter binds the fragment's to an expression of its own after a `;`
(`latest-figure(as_of_year; $year = as_of_year)` in `import-measure-exposure`, whose year is that
of `as_of`). `tests/test_query_latest_figure.py` fails while a copy differs from the fragment,
and checks on the bundled graph that China's share of each input and stage is the same in every
query that shows it (`concentration`, `single-points-of-failure`, `what-if-cutoff`,
`diversification`, `china-exposure`'s world-output legs and `import-measure-exposure`'s origin
share of measures that target China alone) and equals the share an independent
Python implementation of the rule (`tests/query_oracle.py`) computes from the graph's records.

### Parameters

Parameter values are checked before a query runs (`kg/query_params.py`); a bad one is a usage
error (exit 2) naming the parameter: `threshold` and `min_ownership` are fractions 0-1, years
1900-2100, `max_depth` 1-4, `max_age` 0-200, floats finite; `as_of` an existing date
`YYYY-MM-DD`; `stage` one of mining, separation, refining, manufacturing; `issue` one of the
classification-gaps issues. Id parameters (`material`, `item`, `product`, `importer`, `country`,
`exclude`, `partner`, `domestic`) must name a node in the graph (an id, an id without its prefix,
and for materials and products a name); an unknown one fails with the nearest ids.
`kg ids material|product|country|firm|facility|agreement|control|hs|source [--search TEXT]`
lists the valid ids. Defaults are not checked against the graph.

### Neo4j Browser

The Browser refuses a query whose parameters are not set. The end of each query file's header
lists the `:param` lines of its defaults, commented out: run them (without the leading `//`,
editing the values), then the file. The favourites in `docs/browser/` carry them uncommented.

### Performance

The stored queries are written so that their cost grows with the size of the graph, not with its
square; the answers do not depend on how they are computed (the planted-answer and oracle tests,
and side-by-side runs of the old and new text on the bundled and synthetic graphs, give the same
rows). What keeps them linear, for whoever edits them (`benchmarks/targets.py` measures them at
100 k and 1 M relationships, `benchmarks/RESULTS.md` has the figures):

- **No scan per row.** A node named by id is looked up through the id index (`{id: value}`), not
  found by testing every node of a label: the latest-figure rule finds an item's groups that way
  and counts a group's members only for items that have one (as do `single-points-of-failure`
  and `exposure-trend`); `chinese-controlled-abroad` starts from China's node;
  `import-measure-exposure` finds its product before any whole-graph look-up.
- **One pass over a relationship type where one will do.** The latest-figure rule reads a
  holder's `PRODUCES` rows once, grouped by stage, year and basis, and picks the latest group;
  `classification-gaps` reads the trade flows once; `provenance-audit` reads every relationship
  once for its source and flag checks and the series once for stale and superseded figures.
- **Joins by grouping, not by pairs.** `classification-gaps` matches HS codes with the traded
  codes above and below them by grouping on code prefixes rather than testing every pair;
  `exposure-trend` finds each traded code's goods the same way, once per code.
- **No list as a grouping key.** A list carried through an aggregation is hashed for every row;
  such lists are built in a subquery (`CALL { ... }`) instead.
- **Sets, not paths.** `what-if-cutoff` finds the inputs within six `REQUIRES` levels one level at
  a time (each node once per level) instead of listing every path: the same nodes as
  `REQUIRES*1..6`. (On the embedded FalkorDB a variable-length match without a path variable
  missed some of them: 143 of the 170 inputs of one synthetic product, checked by breadth-first
  search; the level-by-level form returns all 170, as Neo4j does.)
- **Examples only when needed.** `provenance-audit` looks up the example of a check only when
  the check counts something, and stops at the first match.

- **Aggregates derived at write time.** What a whole-graph default must group over every figure
  is grouped once per write instead, inside the write (`kg/store/derived.py`,
  docs/architecture.md): the latest figure of every item and stage (`concentration`,
  `what-if-cutoff`), the figure series and the relationships by source list and flag
  (`provenance-audit`), the HS codes trade is recorded at (`classification-gaps`). A query
  reads them only when the graph's node and relationship counts, which the runner passes as
  `graph_size`, match the counts stamped on them, and only for the parameters they were derived
  for (no `year`; for `what-if-cutoff` no owned assets abroad); otherwise it recomputes by the
  same rule, with the same rows. `graph_size` is not meant to be set by hand: left null (as in
  Neo4j Browser) the query recomputes.
"""


def queries_md(queries: dict[str, StoredQuery] | None = None) -> str:
    queries = queries if queries is not None else list_queries()
    out = ["# Query catalogue", "",
           "Generated by `kg docs` from the headers of `queries/*.cypher`; `tests/test_docs.py` "
           "fails when this file is out of date. Run one with `kg query NAME -p key=value "
           "[--format table|json|csv]`, from Python with `kg.open_store().query(NAME, key=value)`,"
           " or in Neo4j Browser from the favourites of `docs/browser/` (each file is valid "
           "Cypher: its header is comments, ending with the `:param` lines to run first).", "",
           "| query | what it reveals | parameters |", "|---|---|---|"]
    for name, q in queries.items():
        params = ", ".join(f"`{p.name}`" for p in q.params.values()) or "–"
        out.append(f"| [`{name}`](#{name}) | {q.title} | {params} |")
    for name, q in queries.items():
        out += ["", f"## {name}", "", f"**{q.title}** · `queries/{q.path.name}`", "",
                q.description, ""]
        if q.params:
            out += ["| parameter | type | default |", "|---|---|---|"]
            out += [f"| `{p.name}` | {p.type} | "
                    + ("*required*" if p.required else f"`{_default(p.default)}`") + " |"
                    for p in q.params.values()]
            out.append("")
        out.append("Returns: " + ", ".join(f"`{c}`" for c in q.returns) + ".")
        if q.table:
            out.append(f"Terminal tables show: {', '.join(f'`{c}`' for c in q.table)}.")
        example = " ".join(f"-p {p.name}={'' if p.default is None else p.default}"
                           for p in list(q.params.values())[:1] if p.default is not None)
        out += ["", "```bash", f"kg query {name}{' ' + example if example else ''} "
                f"--format json", "```"]
    out += ["", SHARED_RULES]
    return "\n".join(out).rstrip() + "\n"


def doc_files() -> dict[str, str]:
    return {ONTOLOGY_FILE: ontology_md(), QUERIES_FILE: queries_md()}


def write_docs(out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in doc_files().items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
