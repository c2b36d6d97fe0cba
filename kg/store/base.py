"""The store protocol both back ends implement, and the plan of one atomic write."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..models import NODE_TYPES, label_of


class EncodedRows:
    """A batch of write rows kept as the JSON text they were spilled in (one per row), so a load
    encodes each row once: the embedded store sends the text as it is, Neo4j decodes it.

    `keys`, when given, is every object key the rows may hold (each an identifier): the embedded
    store then turns the JSON into a Cypher literal with one replace per key instead of a
    pattern over the text (kg.store.staging.encoded_header)."""

    __slots__ = ("keys", "texts")

    def __init__(self, texts: list[str], keys: tuple[str, ...] = ()) -> None:
        self.texts = texts
        self.keys = keys

    def __len__(self) -> int:
        return len(self.texts)

    def json(self) -> str:
        return "[" + ",".join(self.texts) + "]"

    def decoded(self) -> list[dict[str, Any]]:
        import json
        return list(json.loads(self.json()))     # one call for the batch: no per-row overhead


def batch_rows(rows: list[dict[str, Any]] | EncodedRows) -> list[dict[str, Any]]:
    return rows.decoded() if isinstance(rows, EncodedRows) else rows


@dataclass
class WriteStatement:
    """One parametrised write statement and the row batches it runs with."""

    cypher: str
    batches: list[list[dict[str, Any]]] | list[EncodedRows]
    label: str                          # what the batches are, for progress and errors
    kind: str = "node"                  # "node" or "relationship", for the counts
    bulk: tuple[str, str] | None = None
    """("node", label) or ("relationship", type) when the statement only creates entities from
    `row.props` (and `row.from`/`row.to`): the embedded store may then write it with GRAPH.BULK."""
    entity: str = ""
    """The node label or relationship type of the rows; "" when the statement cannot name one
    (then every derived aggregate is derived again: kg.store.derived)."""


UNNAMED_ENTITY = "*"
"""What `WriteSummary.entities` holds for rows of a statement that names no label or type."""


@dataclass
class WriteSummary:
    nodes: int = 0
    relationships: int = 0
    nodes_created: int = 0
    relationships_created: int = 0
    seconds: float = 0.0
    by_type: dict[str, int] = field(default_factory=dict)
    entities: set[str] = field(default_factory=set)
    """The node labels and relationship types the write changed ("*": one the statement did not
    name): what the derived aggregates read decides which are derived again (kg.store.derived)."""

    def count(self, st: WriteStatement, rows: int, created: int,
              progress: Progress | None = None, changed: bool = True) -> None:
        """Count one written batch of `rows` rows (`created` of them new) and report progress.
        `changed`: whether the batch changed the graph; True when the store cannot tell."""
        if st.kind == "node":
            self.nodes += rows
            self.nodes_created += created
        else:
            self.relationships += rows
            self.relationships_created += created
        self.by_type[st.label] = self.by_type.get(st.label, 0) + rows
        if changed or created:
            self.entities.add(st.entity or UNNAMED_ENTITY)
        if progress:
            progress(st.label, rows)


Progress = Callable[[str, int], None]
"""Called with (label, rows written) after each batch."""

StatementSource = Callable[[bool], Iterable[WriteStatement]] | list[WriteStatement]
"""Statements to write, or a function producing them afresh (a retried transaction replays it).

The function is told whether the target graph is empty when the write starts (checked under the
write lock or inside the transaction): into an empty graph every row is new, so it may CREATE
instead of MERGE."""


def statements_of(source: StatementSource, empty: bool = False) -> Iterable[WriteStatement]:
    return source(empty) if callable(source) else source


def plain(value: Any, graph_value: Callable[[Any], dict[str, Any] | None]) -> Any:
    """A driver's result value as plain Python. `graph_value` turns the driver's node, relationship
    or path into a dict (None for anything else); lists and maps are converted recursively."""
    converted = graph_value(value)
    if converted is not None:
        return converted
    if isinstance(value, list):
        return [plain(v, graph_value) for v in value]
    if isinstance(value, dict):
        return {k: plain(v, graph_value) for k, v in value.items()}
    return value


class GraphStore(Protocol):
    backend: str

    def write(self, statements: StatementSource, *, replace: bool = False,
              progress: Progress | None = None) -> WriteSummary:
        """Run every statement atomically: all rows land, or the graph is unchanged."""

    def read(self, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a read-only query; rows as dicts of plain Python values."""

    def explain(self, cypher: str) -> str:
        """Plan a query without running it (raises on an invalid query)."""

    def stats(self) -> dict[str, dict[str, int]]: ...

    def existing_ids(self, ids: list[str]) -> set[str]: ...

    def iter_nodes(self, batch: int = 5000) -> Iterator[dict[str, Any]]: ...

    def iter_relationships(self, batch: int = 5000) -> Iterator[dict[str, Any]]: ...

    def clear(self) -> None: ...

    def set_meta(self, key: str, value: str) -> None:
        """Store internal metadata (e.g. the build manifest as JSON) in the graph."""

    def get_meta(self, key: str) -> str | None: ...

    def close(self) -> None: ...


LABELS = tuple(NODE_TYPES)

STATS_NODES = "MATCH (n) RETURN labels(n)[0] AS label, count(n) AS n"
META_LABEL = "_Meta"
"""Internal metadata nodes (the build manifest): not part of the ontology, never exported."""
SET_META = f"MERGE (m:{META_LABEL} {{id: $id}}) SET m.json = $json"
GET_META = f"MATCH (m:{META_LABEL} {{id: $id}}) RETURN m.json AS json"
ANY_NODE = f"MATCH (n) WHERE NOT n:{META_LABEL} RETURN 1 AS found LIMIT 1"
STATS_RELS = "MATCH ()-[r]->() RETURN type(r) AS type, count(r) AS n"


def stats_from_rows(node_rows: list[dict[str, Any]], rel_rows: list[dict[str, Any]]
                    ) -> dict[str, dict[str, int]]:
    return {
        "nodes": {r["label"]: int(r["n"]) for r in sorted(node_rows, key=lambda r: r["label"])
                  if r["label"] != META_LABEL},
        "relationships": {r["type"]: int(r["n"]) for r in sorted(rel_rows, key=lambda r: r["type"])},
    }


NODE_COLUMNS = "RETURN n.id AS id, properties(n) AS props"
"""What a page of nodes returns (`node_rows` turns it into records-format rows)."""

PageReader = Callable[[str, str, str, dict[str, Any]], list[dict[str, Any]]]
"""Runs one page's query: (label, the query up to its RETURN, what follows the RETURN clause,
parameters) -> records-format rows. A store may choose its own RETURN clause and decode its reply
straight into rows (the embedded store: kg/store/falkordb_flat.py)."""


def node_rows(label: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": label, **row["props"]} for row in rows]


def paged_nodes(read: Callable[..., list[dict[str, Any]]], batch: int,
                read_nodes: PageReader | None = None) -> Iterator[dict[str, Any]]:
    """Every node of the ontology labels, paged by id (a stable key) so memory stays bounded."""
    for page in node_pages(read, batch, read_nodes):
        yield from page


def node_pages(read: Callable[..., list[dict[str, Any]]], batch: int,
               read_nodes: PageReader | None = None) -> Iterator[list[dict[str, Any]]]:
    """`paged_nodes` a page at a time."""
    for label in LABELS:
        last = ""
        while True:
            match, tail = f"MATCH (n:{label}) WHERE n.id > $last", " ORDER BY n.id LIMIT $limit"
            params = {"last": last, "limit": batch}
            rows = (read_nodes(label, match, tail, params) if read_nodes is not None
                    else node_rows(label, read(f"{match} {NODE_COLUMNS}{tail}", params)))
            if rows:
                yield rows
            if len(rows) < batch:
                break
            last = rows[-1]["id"]


EDGE_COLUMNS = "RETURN type(r) AS type, a.id AS src, b.id AS dst, properties(r) AS props"
"""What a page of relationships returns (`edge_rows` turns it into records-format rows)."""


def edge_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": row["type"], "from": row["src"], "to": row["dst"], **row["props"]} for row in rows]


def paged_relationships(read: Callable[..., list[dict[str, Any]]], batch: int,
                        read_edges: PageReader | None = None) -> Iterator[dict[str, Any]]:
    """Every relationship, in pages of about `batch` rows whatever the degree distribution.

    Per label, source nodes are paged by id through the id index (a label-less lookup would scan
    every node) with their out-degrees; consecutive nodes are grouped while their relationships
    fit a page, and a node with more than a page of relationships (a country with a million trade
    flows) is read in slices of its own. `read_edges` runs a page's query (by default with
    `EDGE_COLUMNS`) and returns its rows in the records format."""
    for page in relationship_pages(read, batch, read_edges):
        yield from page


def relationship_pages(read: Callable[..., list[dict[str, Any]]], batch: int,
                       read_edges: PageReader | None = None) -> Iterator[list[dict[str, Any]]]:
    """`paged_relationships` a page at a time."""
    def query(label: str, match: str, tail: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        if read_edges is not None:
            return read_edges(label, match, tail, params)
        return edge_rows(read(f"{match} {EDGE_COLUMNS}{tail}", params))

    for label in LABELS:
        last = ""
        while True:
            nodes = read(f"MATCH (a:{label}) WHERE a.id > $last WITH a ORDER BY a.id LIMIT $limit "
                         f"RETURN a.id AS id, size([(a)-[r]->() | r]) AS degree",
                         {"last": last, "limit": batch})
            if not nodes:
                break
            group: list[str] = []
            size = 0
            for node in nodes + [{"id": None, "degree": 0}]:
                if node["id"] is None or (group and size + node["degree"] > batch):
                    if group:
                        yield query(label, f"UNWIND $ids AS id MATCH (a:{label} {{id: id}})-[r]->(b)", "",
                                    {"ids": group})
                    group, size = [], 0
                if node["id"] is None:
                    break
                if node["degree"] > batch:
                    for skip in range(0, node["degree"], batch):
                        yield query(label, f"MATCH (a:{label} {{id: $id}})-[r]->(b)",
                                    " ORDER BY id(r) SKIP $skip LIMIT $limit",
                                    {"id": node["id"], "skip": skip, "limit": batch})
                elif node["degree"]:
                    group.append(node["id"])
                    size += node["degree"]
            if len(nodes) < batch:
                break
            last = nodes[-1]["id"]


def ids_present(read: Callable[..., list[dict[str, Any]]], ids: list[str]) -> set[str]:
    """Which ids exist, looked up per label (ids carry their label's prefix) through the index."""
    by_label: dict[str, list[str]] = {}
    for node_id in ids:
        label = label_of(node_id)
        if label is not None:
            by_label.setdefault(label, []).append(node_id)
    found: set[str] = set()
    for label, wanted in sorted(by_label.items()):
        for i in range(0, len(wanted), 5000):
            rows = read(f"UNWIND $ids AS id MATCH (n:{label} {{id: id}}) RETURN n.id AS id",
                        {"ids": wanted[i:i + 5000]})
            found.update(r["id"] for r in rows)
    return found
