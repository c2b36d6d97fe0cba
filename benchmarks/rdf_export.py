"""RDF export speed: the Chokepoint exporter (pyoxigraph, streamed) versus plain rdflib.

    python benchmarks/rdf_export.py                    # benchmarks/generate.py, 20 000 relationships
    python benchmarks/rdf_export.py --relationships 200000
    python benchmarks/rdf_export.py --snapshot         # the bundled snapshot, through the embedded store

Both paths turn the same rows into the same triples (`kg.rdf.export.iter_resources`); they differ
only in how triples are built and serialised:

* chokepoint: pyoxigraph terms, `pyoxigraph.serialize` streaming to the output (what `kg export` does);
* rdflib: `Graph(bind_namespaces="none")` + `Graph.add`, then `Graph.serialize` (the graph is
  built in memory first, which Turtle needs in rdflib).

Figures are printed as triples/s and as ratios from one run on this machine (not a timed test).
With `--snapshot` the time to read the rows from the store is printed apart: on the embedded store
that, not RDF, is the slow part.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Server, machine, timed  # noqa: E402
from generate import generate  # noqa: E402
from rdflib import BNode, Graph, Literal, URIRef  # noqa: E402
from rdflib.collection import Collection  # noqa: E402

from kg.rdf.export import Iri, Resource, export_rows, iter_resources  # noqa: E402
from kg.vocab import ALL_PREFIXES, RDF_TYPE  # noqa: E402

def rows(records: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Records -> the rows a store returns (`iter_nodes` / `iter_relationships`): validated,
    deduplicated, every set property, relationships grouped by their source node."""
    from kg.models import Node, parse_record
    records_by_key: dict[Any, Any] = {}
    for raw in records:
        rec = parse_record(raw)
        records_by_key[rec.id if isinstance(rec, Node) else rec.key()] = rec
    nodes, rels = [], []
    for rec in records_by_key.values():
        if isinstance(rec, Node):
            nodes.append({"type": rec.type_name, **rec.properties()})
        else:
            rels.append({"type": rec.type_name, "from": rec.from_id, "to": rec.to_id,
                         **rec.properties()})
    rels.sort(key=lambda r: r["from"])
    return nodes, rels


def rdflib_graph(resources: list[Resource]) -> Graph:
    graph = Graph(bind_namespaces="none")
    for prefix, ns in ALL_PREFIXES.items():
        graph.bind(prefix, ns)
    rdf_type = URIRef(RDF_TYPE)

    def term(t: Any) -> Any:
        if isinstance(t, Iri):
            return URIRef(t)
        return Literal(t.lexical, datatype=URIRef(t.datatype))

    for res in resources:
        s = URIRef(res.subject)
        for cls in res.types:
            graph.add((s, rdf_type, URIRef(cls)))
        for pred, value in res.values:
            if isinstance(value, list):
                head = BNode()
                Collection(graph, head, [term(v) for v in value])
                graph.add((s, URIRef(pred), head))
            else:
                graph.add((s, URIRef(pred), term(value)))
    return graph


def run(nodes: list[dict[str, Any]], rels: list[dict[str, Any]]) -> None:
    print(f"{len(nodes):,} nodes, {len(rels):,} relationships")
    results: dict[str, tuple[float, int]] = {}
    for fmt in ("nt", "turtle", "jsonld", "trig"):
        seconds, report = timed(lambda: export_rows(nodes, rels, io.BytesIO(), fmt))
        results[f"chokepoint {fmt}"] = (seconds, report.statements)
    s_rows, resources = timed(lambda: list(iter_resources(nodes, rels)))
    results["rows -> resources, as a list (rdflib path)"] = (s_rows, results["chokepoint nt"][1])
    # The raw limit: pyoxigraph serialising triples that already exist as pyoxigraph objects.
    import pyoxigraph as ox
    from kg.rdf.export import ALL_PREFIXES, iter_triples
    triples = list(iter_triples(resources))
    for fmt, ox_fmt in (("nt", ox.RdfFormat.N_TRIPLES), ("turtle", ox.RdfFormat.TURTLE)):
        s_ox, _ = timed(lambda: ox.serialize(triples, io.BytesIO(), ox_fmt,
                                             **({"prefixes": ALL_PREFIXES} if fmt == "turtle" else {})))
        results[f"pyoxigraph serialize {fmt} (prebuilt triples)"] = (s_ox, len(triples))
    s_build, graph = timed(lambda: rdflib_graph(resources))
    results["rdflib Graph.add (build)"] = (s_build, len(graph))
    for fmt in ("nt", "turtle"):
        s_ser, _ = timed(lambda: graph.serialize(format=fmt, encoding="utf-8"))
        results[f"rdflib serialize {fmt}"] = (s_ser, len(graph))
        results[f"rdflib {fmt} end to end"] = (s_rows + s_build + s_ser, len(graph))
    width = max(map(len, results))
    for name, (secs, n) in results.items():
        print(f"  {name:<{width}}  {secs:8.3f} s  {n / secs if secs else 0:>12,.0f} triples/s")
    for fmt in ("nt", "turtle"):
        ratio = results[f"rdflib {fmt} end to end"][0] / results[f"chokepoint {fmt}"][0]
        print(f"  {fmt}: chokepoint is {ratio:.1f}x faster than rdflib end to end")
        ox_ratio = (results[f"pyoxigraph serialize {fmt} (prebuilt triples)"][0]
                    / results[f"chokepoint {fmt}"][0])
        print(f"  {fmt}: chokepoint end to end runs at {ox_ratio:.2f}x pyoxigraph's raw "
              f"serialisation speed (target >= 0.5)")


def snapshot_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from kg import api
    server = Server()
    try:
        store = server.fresh()
        seconds, _ = timed(lambda: api.build(store, offline=True))
        print(f"built the snapshot in {seconds:.2f} s")
        s_nodes, nodes = timed(lambda: list(store.iter_nodes()))
        s_rels, rels = timed(lambda: list(store.iter_relationships()))
        print(f"reading the rows from the embedded store: {len(nodes):,} nodes {s_nodes:.2f} s, "
              f"{len(rels):,} relationships {s_rels:.2f} s")
        store.close()
        return nodes, rels
    finally:
        server.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--relationships", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--snapshot", action="store_true", help="use the bundled snapshot")
    args = parser.parse_args(argv)
    print(machine())
    if args.snapshot:
        nodes, rels = snapshot_rows()
    else:
        nodes, rels = rows(generate(args.relationships, args.seed))
    run(nodes, rels)
    return 0


if __name__ == "__main__":
    sys.exit(main())
