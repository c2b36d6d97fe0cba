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


def _nullable_keys(rel_type: str) -> tuple[str, ...]:
    cls = RELATIONSHIP_TYPES[rel_type]
    return tuple(k for k in cls.KEYS if not cls.model_fields[k].is_required()
                 and cls.model_fields[k].default is None)


def relationship_statement(rel_type: str, from_label: str, to_label: str) -> str:
    keys = RELATIONSHIP_TYPES[rel_type].KEYS
    ends = (f"UNWIND $rows AS row MATCH (a:{from_label} {{id: row.from}}) "
            f"MATCH (b:{to_label} {{id: row.to}}) ")
    if _nullable_keys(rel_type):
        # MERGE cannot match on a null property (an undated OWNS stake is a fact of its own, next
        # to the dated ones): update the relationship whose keys equal the row's, null included,
        # or create it, with its properties, when there is none. Nothing reads the graph after
        # the CREATE: FalkorDB's MATCH after a FOREACH's CREATE did not see the new relationship,
        # which kept its keys alone (tests/test_load_into_filled_graph.py).
        same = " AND ".join(f"(r.{k} = row.key.{k} OR (r.{k} IS NULL AND row.key.{k} IS NULL))"
                            for k in keys)
        return (ends + f"OPTIONAL MATCH (a)-[r:{rel_type}]->(b) WHERE {same} "
                "WITH a, b, row, r, coalesce(r.source_ids, []) AS old "
                "FOREACH (_ IN CASE WHEN r IS NULL THEN [] ELSE [1] END | "
                "SET r += row.props, r.source_ids = old + "
                "[s IN row.props.source_ids WHERE NOT s IN old]) "
                "WITH a, b, row, count(r) AS found "
                "FOREACH (_ IN CASE WHEN found = 0 THEN [1] ELSE [] END | "
                f"CREATE (a)-[n:{rel_type}]->(b) SET n = row.props)")
    key_map = ", ".join(f"{k}: row.key.{k}" for k in keys)
    pattern = f"[r:{rel_type} {{{key_map}}}]" if keys else f"[r:{rel_type}]"
    return ends + f"MERGE (a)-{pattern}->(b) " + _KEEP_SOURCES.format(v="r")


def node_create_statement(label: str) -> str:
    """Into an empty graph (identities already deduplicated by the load): no lookup needed."""
    return f"UNWIND $rows AS row CREATE (n:{label}) SET n = row.props"


def relationship_create_statement(rel_type: str, from_label: str, to_label: str) -> str:
    return (f"UNWIND $rows AS row MATCH (a:{from_label} {{id: row.from}}) "
            f"MATCH (b:{to_label} {{id: row.to}}) CREATE (a)-[r:{rel_type}]->(b) SET r = row.props")
