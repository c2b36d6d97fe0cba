"""Stored queries: `queries/<name>.cypher` with a comment header, typed parameters, a runner.

Header (docs/architecture.md, "Adding a stored query"), every line a Cypher comment so the file runs
as is in Neo4j Browser:

    // title: Concentration of production
    // description: What it reveals, how to read the numbers, what it cannot see.
    //   (indented comment lines continue the previous field)
    // param material: string = null
    // param threshold: float = 0.5
    // returns: material, stage, year, top_country, top_share, hhi
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError
from .paths import queries_dir
from .query_params import DATES, TODAY, TODAY_IN_BROWSER, check_ids, check_values, resolve_dates
from .store import GraphStore
from .store.derived import SIZE_PARAM, graph_size

PARAM_TYPES = ("string", "int", "float", "bool", "list<string>", "list<int>", "list<float>")
_FIELD = re.compile(r"^//\s*(title|description|returns|table|param)(?:\s*:|\s+(?=\w+\s*:))\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s*:\s*([\w<>]+)\s*(?:=\s*(.+?))?\s*$")
_USES = re.compile(r"\$(\w+)")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any = None
    required: bool = False


@dataclass
class StoredQuery:
    name: str
    path: Path
    title: str
    description: str
    params: dict[str, Param]
    returns: list[str]
    cypher: str                      # the whole file (comments are valid Cypher)
    table: list[str] = field(default_factory=list)   # columns shown in terminal tables
    body: str = field(repr=False, default="")

    def bind(self, given: dict[str, Any]) -> dict[str, Any]:
        """Defaults plus given values, coerced to the declared types; errors are usage errors."""
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            raise UsageError(f"query {self.name!r} has no parameter {', '.join(unknown)}; "
                             f"parameters: {', '.join(self.params) or '(none)'}")
        bound: dict[str, Any] = {}
        for name, param in self.params.items():
            if name in given:
                bound[name] = coerce(param, given[name], self.name)
            elif param.required:
                raise UsageError(f"query {self.name!r} needs -p {name}=<{param.type}>")
            else:
                bound[name] = param.default
        resolve_dates(bound)
        check_values(self.name, bound, set(given))
        return bound


def coerce(param: Param, value: Any, query: str = "") -> Any:
    """Coerce a CLI string (or a Python value) to the parameter's declared type."""
    if value is None or (isinstance(value, str) and value.lower() in ("null", "none")):
        return None
    kind = param.type
    try:
        if kind.startswith("list<"):
            inner = Param(param.name, kind[5:-1])
            items = value if isinstance(value, (list, tuple)) else \
                [v for v in str(value).split(",") if v.strip() != ""]
            return [coerce(inner, v.strip() if isinstance(v, str) else v, query) for v in items]
        if kind == "string":
            return str(value)
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if kind == "float":
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if not math.isfinite(number):    # NaN compares false with everything: no answer
                raise UsageError(f"parameter {param.name!r}{' of ' + repr(query) if query else ''} "
                                 f"must be a finite number, got {value!r}")
            return number
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).lower()
            if text in ("true", "1", "yes"):
                return True
            if text in ("false", "0", "no"):
                return False
            raise ValueError
    except (ValueError, TypeError):
        pass
    raise UsageError(f"parameter {param.name!r}{' of ' + repr(query) if query else ''} must be "
                     f"{kind}, got {value!r}")


def cypher_literal(value: Any) -> str:
    """A Python value as a Cypher literal (for `:param x => literal`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if any(c in text for c in ".eEn") else text + ".0"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(cypher_literal(v) for v in value) + "]"
    raise TypeError(f"no Cypher literal for {value!r}")


def param_lines(query: StoredQuery, overrides: dict[str, Any] | None = None) -> list[str]:
    """Neo4j Browser `:param name => literal;` lines setting the query's parameters."""
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(query.params))
    if unknown:
        raise ValueError(f"query {query.name!r} has no parameter {', '.join(unknown)}")
    lines = []
    for name, param in query.params.items():
        value = overrides.get(name, param.default)
        note = "  // required: set a value" if param.required and name not in overrides else ""
        literal = TODAY_IN_BROWSER if name in DATES and value == TODAY else cypher_literal(value)
        lines.append(f":param {name} => {literal};{note}")
    return lines


def parse_query_file(path: Path) -> StoredQuery:
    text = path.read_text(encoding="utf-8")
    fields: dict[str, list[str]] = {"title": [], "description": [], "returns": [], "table": []}
    params: dict[str, Param] = {}
    current: str | None = None
    body_lines = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        m = _FIELD.match(stripped)
        if m:
            current, value = m.group(1), m.group(2).strip()
            if current == "param":
                params_decl = _PARAM.match(value)
                if not params_decl:
                    raise UsageError(f"{path}:{lineno}: bad param declaration {value!r}; "
                                     f"expected 'name: type = default'")
                pname, ptype, pdefault = params_decl.groups()
                if ptype not in PARAM_TYPES:
                    raise UsageError(f"{path}:{lineno}: unknown parameter type {ptype!r}; "
                                     f"expected one of {', '.join(PARAM_TYPES)}")
                param = Param(pname, ptype, None, required=pdefault is None)
                if pdefault is not None:
                    try:
                        default = json.loads(pdefault)
                    except json.JSONDecodeError:
                        raise UsageError(f"{path}:{lineno}: default of {pname} must be a JSON "
                                         f"literal, got {pdefault!r}") from None
                    param = Param(pname, ptype, coerce(param, default, path.stem))
                params[pname] = param
            else:
                fields[current].append(value)
        elif stripped.startswith("//  ") and current in ("title", "description", "returns", "table"):
            fields[current].append(stripped[2:].strip())   # indented: continues the field
        elif stripped.startswith("//"):
            current = None                                  # a plain comment ends the field
        else:
            current = None
            body_lines.append(line)
    body = "\n".join(body_lines).strip()
    used = set(_USES.findall(body))
    undeclared = sorted(used - set(params))
    if undeclared:
        raise UsageError(f"{path}: parameters used but not declared: {', '.join(undeclared)}")
    if not fields["title"]:
        raise UsageError(f"{path}: missing '// title:' header")
    returns = [c.strip() for c in " ".join(fields["returns"]).split(",") if c.strip()]
    table = [c.strip() for c in " ".join(fields["table"]).split(",") if c.strip()]
    unknown = [c for c in table if c not in returns]
    if unknown:
        raise UsageError(f"{path}: table columns not in returns: {', '.join(unknown)}")
    return StoredQuery(name=path.stem, path=path, title=" ".join(fields["title"]),
                       description=" ".join(fields["description"]), params=params,
                       returns=returns, cypher=text, body=body, table=table)


def list_queries(directory: Path | None = None) -> dict[str, StoredQuery]:
    directory = directory or queries_dir()
    return {p.stem: parse_query_file(p) for p in sorted(directory.glob("*.cypher"))}


def get_query(name: str, directory: Path | None = None) -> StoredQuery:
    queries = list_queries(directory)
    if name not in queries:
        raise UsageError(f"unknown query {name!r}; known queries: {', '.join(queries)}")
    return queries[name]


def run_query(store: GraphStore, name: str, params: dict[str, Any] | None = None,
              directory: Path | None = None) -> tuple[StoredQuery, list[dict[str, Any]]]:
    """Run a stored query read-only with bound parameters (never string-formatted into Cypher).
    Values are checked first (kg.query_params): a bad range, date or unknown id is a UsageError."""
    query = get_query(name, directory)
    bound = query.bind(params or {})
    check_ids(store, name, bound, set(params or {}))
    if SIZE_PARAM in query.params and bound.get(SIZE_PARAM) is None:
        # the graph's counts: with them the query reads the write-time aggregates when they are
        # current, else recomputes (kg.store.derived)
        bound[SIZE_PARAM] = graph_size(store.read)
    return query, store.read(query.body, bound)
