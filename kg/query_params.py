"""Strict query parameters: values checked before a stored query runs (usage errors, exit 2).

The checks go by parameter name, so every stored query (and a new one that keeps to the names)
gets them without repeating them in its header:

- ranges: `threshold` and `min_ownership` are fractions 0-1, `year`/`as_of_year` 1900-2100,
  `max_depth` 1-4 (the longest REQUIRES walk china-exposure takes), `max_age` 0-200 (nan and
  inf are refused earlier, when the value is coerced to its type);
- `as_of` is an ISO date YYYY-MM-DD that exists, or `today` (its default where a query declares
  `= "today"`), replaced by the current date when the query runs;
- `stage` is one of the supply stages, `issue` one of classification-gaps' issues;
- ids: `material`, `item` (a material or product: id, id without prefix, or name), `product`
  (a product), `importer`, `country`, `exclude`, `partner`, `domestic` (a country: ISO3 or
  `country:ISO3`) must name a node in the graph; an unknown one fails with the nearest ids
  (`kg ids LABEL` lists them all).
"""

from __future__ import annotations

import datetime as _dt
import difflib
from dataclasses import dataclass
from typing import Any

from .errors import UsageError
from .models.base import MAX_YEAR, MIN_YEAR, STAGES
from .store import GraphStore

RANGES: dict[str, tuple[float, float]] = {
    "threshold": (0.0, 1.0), "min_ownership": (0.0, 1.0), "year": (MIN_YEAR, MAX_YEAR),
    "as_of_year": (MIN_YEAR, MAX_YEAR), "max_depth": (1, 4), "max_age": (0, 200),
}
CHOICES: dict[str, tuple[str, ...]] = {
    "stage": STAGES,
    "issue": ("shared-code", "coarse-trade", "no-hs-code", "no-trade-data"),
}
DATES = ("as_of",)
TODAY = "today"
TODAY_IN_BROWSER = "toString(date())"   # what a `today` default becomes on a Neo4j Browser :param line


def resolve_dates(bound: dict[str, Any]) -> None:
    """Replace `today` in date parameters by the current date (in place)."""
    for name in DATES:
        if bound.get(name) == TODAY:
            bound[name] = _dt.date.today().isoformat()


@dataclass(frozen=True)
class IdKind:
    labels: tuple[str, ...]
    prefixes: tuple[str, ...]
    by_name: bool                 # the queries also match the node's name (case-insensitive)
    hint: str                     # the `kg ids` label to list them


ITEM = IdKind(("Material", "Product"), ("material:", "product:"), True, "material")
COUNTRY = IdKind(("Country",), ("country:",), False, "country")
ID_PARAMS: dict[str, IdKind] = {
    "material": ITEM, "item": ITEM,
    "product": IdKind(("Product",), ("product:",), True, "product"),
    "importer": COUNTRY, "country": COUNTRY, "exclude": COUNTRY, "partner": COUNTRY,
    "domestic": COUNTRY,
}

# `kg ids LABEL`: the label names a user may type, mapped to graph labels.
ID_LABELS = {"material": "Material", "product": "Product", "country": "Country", "firm": "Firm",
             "facility": "Facility", "agreement": "Agreement", "control": "ExportControl",
             "hs": "HSCode", "source": "Source"}


def check_values(query: str, bound: dict[str, Any], given: set[str]) -> None:
    """Ranges, dates and choices of the parameters the user gave (defaults are trusted)."""
    for name in sorted(given):
        value = bound.get(name)
        if value is None:
            continue
        where = f"query {query!r}: parameter {name}"
        if name in RANGES:
            low, high = RANGES[name]
            if not low <= value <= high:
                raise UsageError(f"{where} must be between {low:g} and {high:g}, got {value!r}"
                                 + ("; shares are fractions (0.5 = 50 %)" if high == 1.0 else ""))
        if name in CHOICES and value not in CHOICES[name]:
            raise UsageError(f"{where} must be one of {', '.join(CHOICES[name])}, got {value!r}")
        if name in DATES:
            try:
                ok = len(value) == 10 and _dt.date.fromisoformat(value) is not None
            except ValueError:
                ok = False
            if not ok:
                raise UsageError(f"{where} must be a date YYYY-MM-DD, got {value!r}")


def _match(kind: IdKind) -> str:
    labels = " OR ".join(f"n:{label}" for label in kind.labels)   # fixed names, not user input
    by_name = " OR toLower(n.name) = toLower($value)" if kind.by_name else ""
    return (f"MATCH (n) WHERE ({labels}) AND (n.id = $value OR n.id IN $ids{by_name}) "
            f"RETURN n.id AS id LIMIT 1")


def list_ids(store: GraphStore, labels: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every node of the labels: id and name, sorted by id."""
    where = " OR ".join(f"n:{label}" for label in labels)
    return store.read(f"MATCH (n) WHERE {where} RETURN n.id AS id, n.name AS name ORDER BY id", {})


def nearest(value: str, known: list[dict[str, Any]], n: int = 5) -> list[str]:
    """The known ids closest to `value` (by id, id without prefix, or name)."""
    keys: dict[str, str] = {}
    for row in known:
        node_id, name = str(row["id"]), str(row.get("name") or "")
        for key in (node_id, node_id.split(":", 1)[-1], name):
            keys.setdefault(key.lower(), node_id)
    close = difflib.get_close_matches(value.lower(), list(keys), n=n * 3, cutoff=0.5)
    names = {str(r["id"]): r.get("name") for r in known}
    out = list(dict.fromkeys(keys[k] for k in close))[:n]
    return [f"{i} ({names[i]})" if names.get(i) else i for i in out]


def check_ids(store: GraphStore, query: str, bound: dict[str, Any], given: set[str]) -> None:
    """Every id parameter the user gave names a node in the graph."""
    for name in sorted(given):
        kind, value = ID_PARAMS.get(name), bound.get(name)
        if kind is None or not isinstance(value, str):
            continue
        ids = [p + value for p in kind.prefixes]
        if store.read(_match(kind), {"value": value, "ids": ids}):
            continue
        close = nearest(value, list_ids(store, kind.labels))
        what = " or ".join(kind.labels)
        raise UsageError(f"query {query!r}: parameter {name}: no {what} {value!r} in the graph"
                         + (f"; nearest: {', '.join(close)}" if close else "")
                         + f"; `kg ids {kind.hint}` lists them all")
