"""The report's provenance look-ups: the `source_ids` behind each number, resolved to `Source`
nodes (title, URL, publisher, licence) for the citations under every chart and table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..store import GraphStore


def flat_ids(values: Iterable[Any]) -> list[str]:
    """The ids in a column of id lists (or single ids), each once, in order of first appearance."""
    out: list[str] = []
    for v in values:
        if isinstance(v, (list, tuple)):
            out.extend(x for x in v if isinstance(x, str))
        elif isinstance(v, str):
            out.append(v)
    return list(dict.fromkeys(out))



def produces_sources(store: GraphStore, keys: list[dict[str, Any]]) -> list[str]:
    """source_ids of PRODUCES facts, each key {a, b, stage, year} (year null = every year)."""
    if not keys:
        return []
    rows = store.read(
        "UNWIND $keys AS k "
        "MATCH (a {id: k.a})-[p:PRODUCES]->(b {id: k.b}) "
        "WHERE p.stage = k.stage AND (k.year IS NULL OR p.year = k.year) "
        "RETURN p.source_ids AS ids", {"keys": keys})
    return flat_ids(r["ids"] for r in rows)


def node_sources(store: GraphStore, ids: list[str]) -> list[str]:
    if not ids:
        return []
    rows = store.read("UNWIND $ids AS id MATCH (n {id: id}) RETURN n.source_ids AS ids",
                      {"ids": ids})
    return flat_ids(r["ids"] for r in rows)


def resolve_sources(store: GraphStore, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Source nodes by id: title, url, publisher, license, retrieved, release."""
    if not ids:
        return {}
    rows = store.read(
        "MATCH (s:Source) WHERE s.id IN $ids "
        "RETURN s.id AS id, s.title AS title, s.url AS url, s.publisher AS publisher, "
        "s.license AS license, s.retrieved AS retrieved, s.release AS release", {"ids": ids})
    return {r["id"]: r for r in rows}
