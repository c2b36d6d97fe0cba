"""Load throughput of `kg import` versus a raw batched `UNWIND … CREATE` of the same rows.

The raw write is the limit for an online load on the same store: no validation, no MERGE, no
staging copy. Both run on the same embedded server, into fresh graphs, with the `id` index
created first. Also reports the peak memory (tracemalloc) of the `kg import` path.

    python benchmarks/bench_load.py --sizes 10000 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Server, machine, table, timed
from generate import generate

from kg.models import RELATIONSHIP_TYPES, label_of
from kg.store.base import LABELS
from kg.store.falkordb import fast_params_header

BATCH = 2000


def write_file(n: int, directory: Path, seed: int = 42) -> tuple[Path, int]:
    path = directory / (f"net-{n}.jsonl" if seed == 42 else f"net-{n}-seed{seed}.jsonl")
    count = 0
    with path.open("w") as fh:
        for rec in generate(n, seed):
            fh.write(json.dumps(rec, separators=(",", ":")) + "\n")
            count += 1
    return path, count


def raw_load(store, path: Path, *, merge: bool = False) -> None:
    """The same rows, grouped per label/type, as plain batched CREATEs; with `merge`, as plain
    batched MERGEs on each node's id and each relationship's keys (the model's KEYS that the row
    has), into the graph as it is: the raw form of a load into a graph that holds data."""
    graph = store.graph
    if not merge:
        graph.query("CREATE (:_Init) WITH 1 AS x MATCH (n:_Init) DELETE n")
        for label in LABELS:
            graph.query(f"CREATE INDEX FOR (n:{label}) ON (n.id)")
    nodes: dict[str, list] = defaultdict(list)
    rels: dict[tuple, list] = defaultdict(list)

    def run(cypher: str, rows: list) -> None:
        # the same fast parameter encoding the kg path uses, so the ratio measures kg's own work
        header = fast_params_header({"rows": rows})
        if header is None:
            graph.query(cypher, {"rows": rows})
        else:
            graph.query(f"{header} {cypher}")

    def flush_nodes(label: str) -> None:
        if merge:
            run(f"UNWIND $rows AS row MERGE (n:{label} {{id: row.id}}) SET n += row", nodes.pop(label))
        else:
            run(f"UNWIND $rows AS row CREATE (n:{label}) SET n = row", nodes.pop(label))

    def flush_rels(key: tuple) -> None:
        t, fl, tl, keys = key
        ends = f"UNWIND $rows AS row MATCH (a:{fl} {{id: row.f}}) MATCH (b:{tl} {{id: row.t}}) "
        if merge:
            pattern = ", ".join(f"{k}: row.p.{k}" for k in keys)
            run(ends + f"MERGE (a)-[r:{t} {{{pattern}}}]->(b) SET r += row.p", rels.pop(key))
        else:
            run(ends + f"CREATE (a)-[r:{t}]->(b) SET r = row.p", rels.pop(key))

    with path.open() as fh:
        pending_rels = []
        for line in fh:
            rec = json.loads(line)
            t = rec.pop("type")
            if "from" in rec:
                pending_rels.append((t, rec))
                continue
            nodes[t].append(rec)
            if len(nodes[t]) >= BATCH:
                flush_nodes(t)
        for label in list(nodes):
            flush_nodes(label)
        for t, rec in pending_rels:
            f, to = rec.pop("from"), rec.pop("to")
            keys = tuple(k for k in RELATIONSHIP_TYPES[t].KEYS if rec.get(k) is not None)
            key = (t, label_of(f), label_of(to), keys if merge else ())
            rels[key].append({"f": f, "t": to, "p": rec})
            if len(rels[key]) >= BATCH:
                flush_rels(key)
        for key in list(rels):
            flush_rels(key)


def kg_import_process(server: Server, path: Path) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of `kg import PATH` in a child process."""
    import os
    import resource
    import subprocess
    env = {**os.environ, "KG_HOME": str(server.home), "KG_STORE": "embedded"}
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kg", "--quiet", "import", str(path)], env=env,
                          stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"kg import failed with exit code {done.returncode}")
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args(argv)
    server = Server()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in args.sizes:
                path, records = write_file(n, Path(tmp))
                # `kg import` as a user runs it: its own process (peak RSS from the OS), into the
                # server's default graph, which is then moved aside for the comparison.
                t_kg, rss = kg_import_process(server, path)
                kg_store = server.fresh("kg")
                raw_store = server.fresh()
                t_raw, _ = timed(lambda s=raw_store, p=path: raw_load(s, p))
                assert kg_store.stats() == raw_store.stats(), "both paths must load the same graph"
                rows.append({"relationships (target)": f"{n:,}", "records": f"{records:,}",
                             "input size": f"{path.stat().st_size / 2**20:.0f} MiB",
                             "kg import rec/s": f"{records / t_kg:,.0f}",
                             "raw UNWIND CREATE rec/s": f"{records / t_raw:,.0f}",
                             "ratio kg/raw": f"{t_raw / t_kg:.2f}",
                             "kg import peak RSS": f"{rss / 2**10:.0f} MiB"})
                kg_store.graph.delete()
                raw_store.graph.delete()
                print(rows[-1], file=sys.stderr)
    finally:
        server.close()
    print(f"Machine: {machine()}\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
