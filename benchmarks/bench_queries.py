"""Latency of every stored query at each graph size (median of several runs), and its growth.

Each size is a synthetic supply network (benchmarks/generate.py) loaded with `kg import` into a
fresh graph on the embedded store; every stored query runs with its declared defaults (the
synthetic graph uses real ISO countries, so importer USA and China are present), read-only, as
`kg query` runs it (through the runner, so queries read the aggregates derived at load time when
they are current: kg/store/derived.py). Growth is the latency ratio between consecutive sizes
divided by the size ratio: about 1 means linear, well above 1 faster than linear. Each query gets
a verdict against issue 17's targets: under 1 s at the largest size, growth at most linear (1.1
allowed for timing noise); the server's CPU seconds are shown beside the wall clock, the steadier
figure on a shared machine.

    python benchmarks/bench_queries.py --sizes 10000 100000 1000000 --runs 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Server, machine, server_cpu, table
from generate import generate

from kg import api
from kg.queries import list_queries, run_query

# Parameters that make a query touch the synthetic graph rather than miss (defaults name real
# materials such as gallium, absent from synthetic data).
SYNTHETIC_PARAMS = {
    "diversification": {"material": "material:syn-m0"},
    "single-points-of-failure": {"product": "product:syn-p0"},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    queries = list_queries()
    results: dict[str, dict[int, float]] = {name: {} for name in queries}
    cpu: dict[str, dict[int, float]] = {name: {} for name in queries}
    rows_out: dict[str, dict[int, int]] = {name: {} for name in queries}
    server = Server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in args.sizes:
                path = Path(tmp) / f"net-{n}.jsonl"
                with path.open("w") as fh:
                    for rec in generate(n):
                        fh.write(json.dumps(rec, separators=(",", ":")) + "\n")
                store = server.fresh()
                t = time.perf_counter()
                api.import_records(store, [path])
                print(f"loaded {n:,} in {time.perf_counter() - t:.1f}s", file=sys.stderr)
                for name in queries:
                    params = SYNTHETIC_PARAMS.get(name, {})
                    times, cpus = [], []
                    for _ in range(args.runs):
                        c, t = server_cpu(store), time.perf_counter()
                        _, rows = run_query(store, name, params)
                        times.append(time.perf_counter() - t)
                        cpus.append(server_cpu(store) - c)
                    results[name][n] = statistics.median(times)
                    cpu[name][n] = statistics.median(cpus)
                    rows_out[name][n] = len(rows)
                    print(f"  {name}: {results[name][n] * 1000:.1f} ms, server CPU "
                          f"{cpu[name][n] * 1000:.0f} ms ({len(rows)} rows)", file=sys.stderr)
                store.graph.delete()
    finally:
        server.close()
    table_rows = []
    for name in queries:
        row: dict[str, Any] = {"query": name}
        for n in args.sizes:
            row[f"{n:,} rels (ms)"] = f"{results[name][n] * 1000:.1f}"
            row[f"server CPU {n:,} (ms)"] = f"{cpu[name][n] * 1000:.0f}"
        growths = []
        for a, b in zip(args.sizes, args.sizes[1:], strict=False):
            growth = (results[name][b] / results[name][a]) / (b / a) if results[name][a] else 0
            growths.append(growth)
            row[f"growth {a:,}→{b:,}"] = f"{growth:.2f}"
        row["rows at largest"] = rows_out[name][args.sizes[-1]]
        row["< 1 s at largest"] = "met" if results[name][args.sizes[-1]] < 1.0 else "NOT MET"
        row["growth ≤ linear"] = "met" if all(g <= 1.1 for g in growths) else "NOT MET"
        table_rows.append(row)
    print(f"Machine: {machine()}; median of {args.runs} runs\n")
    print(table(table_rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
