"""Peak memory (RSS) of a load and of exports, per graph size: it must not grow with the input
beyond the batch buffers and the load's key index.

Each step runs as the CLI runs, in its own process, so the peak RSS the OS reports is the step's
own: `kg import` of a synthetic network, then `kg export --format jsonl` and `--format nt`.

    python benchmarks/bench_memory.py --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Server, machine, table
from generate import generate


def run(server: Server, *args: str) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of one `kg` command in a fresh process."""
    env = {**os.environ, "KG_HOME": str(server.home), "KG_STORE": "embedded"}
    t = time.perf_counter()
    # GNU time reports this one process's peak RSS (getrusage would give the largest child so far).
    with tempfile.NamedTemporaryFile("r") as report:
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, sys.executable,
                               "-m", "kg", "--quiet", *args], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        peak_kib = int(report.read().split()[-1])
    return time.perf_counter() - t, peak_kib / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args(argv)
    rows = []
    server = Server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in sorted(args.sizes):
                path = Path(tmp) / f"net-{n}.jsonl"
                with path.open("w") as fh:
                    for rec in generate(n):
                        fh.write(json.dumps(rec, separators=(",", ":")) + "\n")
                server.fresh("kg").graph.query("RETURN 1")
                t_load, rss_load = run(server, "import", str(path))
                t_jsonl, rss_jsonl = run(server, "export", "--format", "jsonl", "-o", f"{tmp}/out.jsonl")
                t_nt, rss_nt = run(server, "export", "--format", "nt", "-o", f"{tmp}/out.nt")
                rows.append({"relationships": f"{n:,}", "input": f"{path.stat().st_size / 2**20:.0f} MiB",
                             "import s": f"{t_load:.1f}", "import peak RSS": f"{rss_load:.0f} MiB",
                             "export jsonl s": f"{t_jsonl:.1f}", "export jsonl peak RSS": f"{rss_jsonl:.0f} MiB",
                             "export nt s": f"{t_nt:.1f}", "export nt peak RSS": f"{rss_nt:.0f} MiB"})
                print(rows[-1], file=sys.stderr)
                server.fresh("kg").graph.delete()
    finally:
        server.close()
    print(f"Machine: {machine()}\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
