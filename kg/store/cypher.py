"""Portable write Cypher derived from the model metadata (runs on Neo4j and FalkorDB)."""

from __future__ import annotations

from ..models import RELATIONSHIP_TYPES

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


def node_create_statement(label: str) -> str:
    """Into an empty graph (identities already deduplicated by the load): no lookup needed."""
    return f"UNWIND $rows AS row CREATE (n:{label}) SET n = row.props"


def relationship_create_statement(rel_type: str, from_label: str, to_label: str) -> str:
    return (f"UNWIND $rows AS row MATCH (a:{from_label} {{id: row.from}}) "
            f"MATCH (b:{to_label} {{id: row.to}}) CREATE (a)-[r:{rel_type}]->(b) SET r = row.props")
