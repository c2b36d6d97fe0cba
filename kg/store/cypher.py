"""Portable write Cypher derived from the model metadata (runs on Neo4j and FalkorDB)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ..models import RELATIONSHIP_TYPES, Node, Record, Relationship
from .base import WriteStatement

BATCH = 2000


# Provenance accumulates: a fact stated again by another source keeps both sources, while the
# other properties take the newer values.
_KEEP_SOURCES = ("WITH {v}, row, coalesce({v}.source_ids, []) AS old "
                 "SET {v} += row.props, {v}.source_ids = old + "
                 "[s IN row.props.source_ids WHERE NOT s IN old]")


def node_statement(label: str) -> str:
    # Labels come from the closed model vocabulary, never from user input.
    return (f"UNWIND $rows AS row MERGE (n:{label} {{id: row.id}}) "
            + _KEEP_SOURCES.format(v="n"))


def relationship_statement(rel_type: str, from_label: str, to_label: str) -> str:
    keys = RELATIONSHIP_TYPES[rel_type].KEYS
    key_map = ", ".join(f"{k}: row.key.{k}" for k in keys)
    pattern = f"[r:{rel_type} {{{key_map}}}]" if keys else f"[r:{rel_type}]"
    return (f"UNWIND $rows AS row MATCH (a:{from_label} {{id: row.from}}) "
            f"MATCH (b:{to_label} {{id: row.to}}) MERGE (a)-{pattern}->(b) "
            + _KEEP_SOURCES.format(v="r"))


def plan_writes(records: Iterable[Record], batch: int = BATCH) -> list[WriteStatement]:
    """Group records into MERGE statements: all nodes first, then relationships."""
    nodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rels: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        props = rec.properties()
        if isinstance(rec, Node):
            nodes[rec.type_name].append({"id": rec.id, "props": props})
        elif isinstance(rec, Relationship):
            key = {k: props[k] for k in rec.KEYS}
            rels[(rec.type_name, rec.from_label, rec.to_label)].append(
                {"from": rec.from_id, "to": rec.to_id, "key": key, "props": props})
    out = []
    for label, rows in sorted(nodes.items()):
        out.append(WriteStatement(node_statement(label), _chunks(rows, batch), label))
    for (rel_type, fl, tl), rows in sorted(rels.items()):
        out.append(WriteStatement(relationship_statement(rel_type, fl, tl), _chunks(rows, batch),
                                  f"{rel_type} ({fl}->{tl})"))
    return out


def _chunks(rows: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [rows[i:i + size] for i in range(0, len(rows), size)]
