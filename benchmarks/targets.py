"""Every target of issue 17, measured in one run on one machine, with its ratio and a verdict.

    pip install -e '.[bench]'                                      # falkordb-bulk-insert
    python benchmarks/targets.py                                   # 100k relationships
    python benchmarks/targets.py --sizes 100000 1000000 --write benchmarks/RESULTS.md

Steps, all on one private embedded server (benchmarks/_common.py), per size of a synthetic supply
network (benchmarks/generate.py):

1. load: `kg import` as a user runs it (its own process: wall time, peak RSS from GNU time, the
   server's CPU and whether it sent GRAPH.BULK) against a raw batched `UNWIND … CREATE` of the same
   rows into a fresh graph (benchmarks/bench_load.py), and FalkorDB's own bulk path
   (`falkordb-bulk-insert`, GRAPH.BULK) of the same rows: its server CPU. `kg import` runs twice:
   into an empty graph (GRAPH.BULK) and, with the same file, into the graph it filled (a staged
   copy and MERGE batches), which is also set against a raw batched `UNWIND … MERGE` of the same
   rows into the graph the raw write filled (the same write without staging, all-or-nothing or
   derived aggregates: a raw CREATE of rows the graph holds would duplicate them); CPU seconds of
   client and server are reported beside the wall clock (on a shared machine they are steadier);
   medians of `--runs`. Then `kg import` of the file's first SMALL_LOAD records into the filled
   graph: a small load costs what the graph's size costs (its staged copy, derived aggregates and
   rebuild). `--load-only` stops after this step;
2. export: `kg export --format nt` in its own process (peak RSS), and in this process the median
   time of `kg.rdf.export_rdf` (read + write, N-Triples and Turtle) against pyoxigraph parsing and
   serialising the same bytes;
3. every stored query with its defaults, median of `--runs`, and GRAPH.PROFILE's three most
   expensive operations for any query over a second. A size below the largest is queried on as
   many graphs (seeds 42, 1, 2, …; at most QUERY_GRAPHS) as fit in the largest, and a query's
   latency is their mean: a small graph's answers depend on its seed (`chinese-controlled-abroad`
   at 100,000 relationships: 3 to 57 rows over 8 seeds, 259 to 267 at 1,000,000 over 3), so the
   growth of one seed's latency measures the seed as much as the query;
4. on the bundled snapshot: `kg validate` of the live graph against the N-Triples export time, and
   the peak RSS of `kg validate` in its own process.
The target table at the end gives each ratio and met / NOT MET.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Server, machine, server_cpu, table
from bench_load import raw_load, write_file

from kg.queries import get_query, list_queries, run_query
from kg.rdf import export_rdf
from kg.store.derived import SIZE_PARAM, graph_size
from kg.store.falkordb import FalkorDBStore, fast_params_header

SYNTHETIC_PARAMS = {                 # defaults name real materials absent from synthetic data
    "diversification": {"material": "material:syn-m0"},
    "single-points-of-failure": {"product": "product:syn-p0"},
}


NOTES = "<!-- notes: written by hand about the run above; kept when the tables are regenerated -->"
LARGE = 500_000           # from this size on, in-process steps run once (a 1M export takes minutes)
SMALL_LOAD = 1_000        # records of the small load into the filled graph (step 1)
QUERY_GRAPHS = 10         # at most this many graphs of one size are queried (module docstring, step 3)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def median(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def median_cpu(fn: Callable[[], Any], runs: int, store: FalkorDBStore | None = None
               ) -> tuple[float, float, float, Any]:
    """Median wall seconds, CPU seconds of this process (every thread) and of the server, and the
    last result, of `runs` calls."""
    walls, cpus, servers, out = [], [], [], None
    for _ in range(runs):
        s0 = server_cpu(store) if store is not None else 0.0
        c0, t = time.process_time(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c0)
        servers.append(server_cpu(store) - s0 if store is not None else 0.0)
    return statistics.median(walls), statistics.median(cpus), statistics.median(servers), out


def bulk_calls(store: FalkorDBStore) -> int:
    stats = store.db.connection.info("commandstats")
    return sum(int(v.get("calls", 0)) for k, v in stats.items() if k.lower().endswith("graph.bulk"))


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes of this one."""
    import resource
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree_rss(root: int) -> int:
    """Resident bytes of process `root` and its descendants now (a load's worker process
    included), from /proc; 0 once it has gone."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(fields[21]) * page
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def kg_cli(server: Server, *args: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one `kg` command in its own process: the larger of GNU
    time's peak of the largest process and the peak of the whole process tree's sum, sampled
    every 50 ms (a load of a large file runs a worker process beside the `kg` process)."""
    env = {**os.environ, "KG_HOME": str(server.home), "KG_STORE": "embedded"}
    with tempfile.NamedTemporaryFile("r") as report:
        t = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", report.name, sys.executable, "-m", "kg",
                                 "--quiet", *args], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - t
        _, stderr = proc.communicate()
        if proc.returncode not in (0, 1) or (proc.returncode == 1 and args[0] != "validate"):
            raise SystemExit(f"kg {' '.join(args)} failed: {stderr[-2000:]}")
        return seconds, max(int(report.read().split()[-1]) / 1024, peak / 2**20)


# -- GRAPH.BULK through falkordb-bulk-loader ----------------------------------------------------

def _cell(value: Any) -> str:
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)      # the loader reads `[...]` as an array
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def bulk_csvs(path: Path, directory: Path) -> list[str]:
    """The records as the loader's schemaless CSVs: one file per label and relationship type."""
    nodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rels: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with path.open() as fh:
        for line in fh:
            rec = json.loads(line)
            (rels if "from" in rec else nodes)[rec.pop("type")].append(rec)
    args: list[str] = []
    for kind, groups, first in (("-n", nodes, ["id"]), ("-r", rels, ["from", "to"])):
        for name, rows in groups.items():
            keys = list(dict.fromkeys([*first, *(k for r in rows for k in r)]))
            out = directory / f"{name}.csv"
            with out.open("w", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(keys)
                writer.writerows([_cell(r.get(k)) for k in keys] for r in rows)
            args += [kind, str(out)]
    return args


def graph_bulk(server: Server, store: FalkorDBStore, path: Path, graph: str) -> tuple[float, float] | None:
    """(wall seconds, server CPU seconds) of falkordb-bulk-insert, or None if it is not installed."""
    exe = Path(sys.executable).with_name("falkordb-bulk-insert")
    if not exe.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        files = bulk_csvs(path, Path(tmp))
        url = f"redis://:{server.info.password}@127.0.0.1:{server.info.port}"
        cpu0 = server_cpu(store)
        t = time.perf_counter()
        done = subprocess.run([str(exe), graph, "-u", url, "-x", "none", *files],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t
        if done.returncode != 0:
            log(f"falkordb-bulk-insert failed: {done.stderr[-1000:].replace(server.info.password or '-', '***')}")
            return None
        return wall, server_cpu(store) - cpu0


# -- queries ------------------------------------------------------------------------------------

def profile(store: FalkorDBStore, name: str) -> str:
    """GRAPH.PROFILE's three most expensive operations of a stored query with its defaults."""
    query = get_query(name)
    params = query.bind(SYNTHETIC_PARAMS.get(name, {}))
    if SIZE_PARAM in query.params:          # as the runner does: the derived aggregates if current
        params[SIZE_PARAM] = graph_size(store.read)
    header = fast_params_header(params) if params else ""
    lines = store.graph.execute_command("GRAPH.PROFILE", store.graph_name,
                                        f"{header or ''} {query.body}".strip())
    ops = []
    for line in lines:
        text = line.decode() if isinstance(line, bytes) else str(line)
        m = re.match(r"\s*(.*?) \| .*Records produced: (\d+), Execution time: ([0-9.]+) ms", text)
        if m:
            ops.append((float(m.group(3)), m.group(1).split(" | ")[0].strip(), int(m.group(2))))
    ops.sort(reverse=True)
    return "; ".join(f"{op} {ms:,.0f} ms ({rows:,} records)" for ms, op, rows in ops[:3])


# -- one size -------------------------------------------------------------------------------------

def load_step(server: Server, probe: FalkorDBStore, path: Path, n: int) -> dict[str, Any]:
    """`kg import` into an empty graph, the same file again into the graph it filled (a load into
    a non-empty graph: staged copy, MERGE batches; the graph must not change), and the raw write
    of the same rows: wall seconds, peak RSS, CPU seconds of client and server."""
    out: dict[str, Any] = {}
    with contextlib.suppress(Exception):
        server.fresh("kg").graph.delete()           # the default graph `kg import` writes
    cpu0, bulk0, client0 = server_cpu(probe), bulk_calls(probe), children_cpu()
    out["kg_s"], out["kg_rss"] = kg_cli(server, "import", str(path))
    out["kg_cpu"], out["kg_bulk"] = server_cpu(probe) - cpu0, bulk_calls(probe) > bulk0
    out["kg_client_cpu"] = children_cpu() - client0
    log(f"{n:,}: kg import {out['kg_s']:.1f}s, {out['kg_rss']:.0f} MiB")
    cpu0, client0 = server_cpu(probe), children_cpu()
    out["kg2_s"], out["kg2_rss"] = kg_cli(server, "import", str(path))
    out["kg2_cpu"], out["kg2_client_cpu"] = server_cpu(probe) - cpu0, children_cpu() - client0
    log(f"{n:,}: kg import into the non-empty graph {out['kg2_s']:.1f}s, {out['kg2_rss']:.0f} MiB")
    raw = server.fresh(f"raw{n}")
    cpu0, client0 = server_cpu(probe), time.process_time()
    t = time.perf_counter()
    raw_load(raw, path)
    out["raw_s"], out["raw_cpu"] = time.perf_counter() - t, server_cpu(probe) - cpu0
    out["raw_client_cpu"] = time.process_time() - client0
    assert server.fresh("kg").stats() == raw.stats(), "kg import and the raw write must load the same graph"
    log(f"{n:,}: raw UNWIND {out['raw_s']:.1f}s")
    cpu0, client0 = server_cpu(probe), time.process_time()
    t = time.perf_counter()
    raw_load(raw, path, merge=True)           # the same rows again, into the graph they filled
    out["rawm_s"], out["rawm_cpu"] = time.perf_counter() - t, server_cpu(probe) - cpu0
    out["rawm_client_cpu"] = time.process_time() - client0
    assert server.fresh("kg").stats() == raw.stats(), "the raw MERGE of the same rows must change nothing"
    raw.graph.delete()
    log(f"{n:,}: raw UNWIND MERGE into the filled graph {out['rawm_s']:.1f}s")
    return out


def query_step(server: Server, kg_store: FalkorDBStore, n: int, tmp: Path, runs: int, graphs: int,
               out: dict[str, Any]) -> None:
    """Every stored query with its defaults, on `graphs` graphs of `n` relationships (the first is
    `kg_store`, seed 42; the others seeds 1, 2, …, imported in this process): the mean of each
    graph's median latency, and the rows of each graph."""
    from kg import api
    latencies: dict[str, list[float]] = defaultdict(list)
    out["query_rows"] = defaultdict(list)
    for seed in [42, *range(1, graphs)]:
        store, path = kg_store, None
        if seed != 42:
            path, _ = write_file(n, tmp, seed)
            store = server.fresh(f"q{n}-{seed}")
            api.import_records(store, [path])
        for name in list_queries():
            params = SYNTHETIC_PARAMS.get(name, {})
            # as `kg query` runs it (the runner adds the graph's counts for the derived aggregates)
            seconds, rows = median(lambda n=name, p=params, s=store: run_query(s, n, p)[1], runs)
            latencies[name].append(seconds)
            out["query_rows"][name].append(len(rows))
            if seed == 42:
                log(f"{n:,}: {name} {seconds * 1000:,.0f} ms ({len(rows)} rows)")
        if path is not None:
            store.graph.delete()
            path.unlink()
            log(f"{n:,}: queries on seed {seed} done")
    out["query_graphs"] = graphs
    out["query_seconds"] = latencies
    out["queries"] = {}
    for name, times in latencies.items():
        seconds = statistics.fmean(times)
        out["queries"][name] = (seconds, out["query_rows"][name][0],
                                profile(kg_store, name) if seconds > 1.0 else "")


def measure_size(server: Server, n: int, tmp: Path, runs: int, load_only: bool = False,
                 export_only: bool = False, query_graphs: int = 1) -> dict[str, Any]:
    import pyoxigraph as ox
    query_runs = runs            # queries take under a second: medians at every size (one cold
    runs = runs if n < LARGE else 1   # run at 1M measured the plan cache, not the query)
    path, records = write_file(n, tmp)
    out: dict[str, Any] = {"n": n, "records": records, "input_mib": path.stat().st_size / 2**20}
    if export_only:
        with contextlib.suppress(Exception):
            server.fresh("kg").graph.delete()
        kg_cli(server, "import", str(path))
        kg_store = server.fresh("kg")
        export_step(server, kg_store, n, tmp, runs, out, ox)
        kg_store.graph.delete()              # the bundled step builds into the same graph name
        return out
    probe = server.fresh("probe")
    # 1. load, `runs` times (medians; peak RSS: the largest)
    loads = [load_step(server, probe, path, n) for _ in range(runs)]
    for key in loads[0]:
        values = [run[key] for run in loads]
        out[key] = (max(values) if key.endswith("_rss") else all(values) if key == "kg_bulk"
                    else statistics.median(values))
    # a small load into the graph the loads filled: staging, derive and rebuild cost the graph's size
    small = tmp / f"net-{n}-head.jsonl"
    with path.open() as src, small.open("w") as dst:
        dst.writelines(itertools.islice(src, SMALL_LOAD))
    out["small_s"], _ = kg_cli(server, "import", str(small))
    small.unlink()
    log(f"{n:,}: kg import of {SMALL_LOAD:,} records into the filled graph {out['small_s']:.1f}s")
    kg_store = server.fresh("kg")
    out["bulk"] = graph_bulk(server, probe, path, f"bulk{n}")
    if out["bulk"] is not None:
        server.fresh(f"bulk{n}").graph.delete()
        log(f"{n:,}: GRAPH.BULK server CPU {out['bulk'][1]:.2f}s")
    if load_only:
        kg_store.graph.delete()
        return out
    # 2. export
    export_step(server, kg_store, n, tmp, runs, out, ox)
    # 3. queries
    query_step(server, kg_store, n, tmp, query_runs, query_graphs, out)
    kg_store.graph.delete()
    return out


def export_step(server: Server, kg_store: FalkorDBStore, n: int, tmp: Path, runs: int, out: dict[str, Any],
                ox: Any) -> dict[str, Any]:
    """`kg export --format nt` in its own process, then N-Triples and Turtle in this process
    against pyoxigraph parsing and serialising the same bytes: wall and CPU seconds (the export's
    CPU is this process's, read-ahead thread included, plus the server's)."""
    out["nt_cli_s"], out["nt_rss"] = kg_cli(server, "export", "--format", "nt", "-o", str(tmp / "out.nt"))
    (tmp / "out.nt").unlink()
    for fmt, oxf in (("nt", ox.RdfFormat.N_TRIPLES), ("turtle", ox.RdfFormat.TURTLE)):
        def run_export(fmt: str = fmt) -> bytes:
            buf = io.BytesIO()
            export_rdf(kg_store, buf, fmt)
            return buf.getvalue()
        out[f"{fmt}_s"], out[f"{fmt}_cpu"], out[f"{fmt}_server_cpu"], data = median_cpu(run_export, runs, kg_store)
        out[f"{fmt}_ox_s"], out[f"{fmt}_ox_cpu"], _, _ = median_cpu(
            lambda data=data, oxf=oxf: ox.serialize(ox.parse(data, format=oxf), format=oxf), runs)
        out["triples"] = data.count(b"\n") if fmt == "nt" else out["triples"]
        del data
        log(f"{n:,}: export {fmt} {out[f'{fmt}_s']:.2f}s (CPU {out[f'{fmt}_cpu']:.2f} + server "
            f"{out[f'{fmt}_server_cpu']:.2f}), pyoxigraph parse+serialise {out[f'{fmt}_ox_s']:.2f}s "
            f"(CPU {out[f'{fmt}_ox_cpu']:.2f})")
    return out


def measure_bundled(server: Server, runs: int) -> dict[str, Any]:
    from kg.api import build  # the loader registry comes with the API's build
    store = server.fresh("kg")
    build(store, offline=True, home=server.home)

    def run_export() -> None:
        export_rdf(store, io.BytesIO(), "nt")

    from kg.rdf import shacl
    out: dict[str, Any] = {}
    out["export_s"], out["export_cpu"], out["export_server_cpu"], _ = median_cpu(run_export, runs, store)
    out["validate_s"], out["validate_cpu"], out["validate_server_cpu"], report = median_cpu(
        lambda: shacl.validate_store(store), runs, store)
    out["triples"], out["conforms"] = report.triples, report.conforms
    out["validate_cli_s"], out["validate_rss"] = kg_cli(server, "validate")
    log(f"bundled: export {out['export_s']:.2f}s, validate {out['validate_s']:.2f}s")
    store.graph.delete()
    return out


# -- report ---------------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "met" if ok else "**NOT MET**"


def load_rows(sizes: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The target rows of the load step: `kg import` against the raw write, and GRAPH.BULK."""
    rows: list[dict[str, str]] = []
    for s in sizes:
        for key, what in (("kg", "into an empty graph"), ("kg2", "into a non-empty graph (the same file again)")):
            if f"{key}_s" not in s:
                continue          # figures saved before the non-empty step existed
            ratio = s["raw_s"] / s[f"{key}_s"]
            cpu = (s["raw_client_cpu"] + s["raw_cpu"]) / (s[f"{key}_client_cpu"] + s[f"{key}_cpu"])
            rows.append({"what": f"`kg import` {what} vs raw `UNWIND … CREATE`, {s['n']:,} relationships "
                                 f"({s['records']:,} records)",
                         "measured": f"{s['records'] / s[f'{key}_s']:,.0f} vs {s['records'] / s['raw_s']:,.0f} "
                                     f"records/s; CPU (client + server) {s[f'{key}_client_cpu'] + s[f'{key}_cpu']:.1f} "
                                     f"vs {s['raw_client_cpu'] + s['raw_cpu']:.1f} s ({cpu:.2f}×)",
                         "ratio": f"{ratio:.2f}×", "target": "≥ 0.7×", "verdict": verdict(ratio >= 0.7)})
            if key == "kg2" and "rawm_s" in s:
                # the same write: a CREATE of rows the graph holds would duplicate them
                ratio = s["rawm_s"] / s["kg2_s"]
                cpu = (s["rawm_client_cpu"] + s["rawm_cpu"]) / (s["kg2_client_cpu"] + s["kg2_cpu"])
                rows.append({"what": f"`kg import` {what} vs raw `UNWIND … MERGE` of the same rows into "
                                     f"the graph they filled, {s['n']:,} relationships",
                             "measured": f"{s['records'] / s['kg2_s']:,.0f} vs {s['records'] / s['rawm_s']:,.0f} "
                                         f"records/s; CPU (client + server) "
                                         f"{s['kg2_client_cpu'] + s['kg2_cpu']:.1f} vs "
                                         f"{s['rawm_client_cpu'] + s['rawm_cpu']:.1f} s ({cpu:.2f}×)",
                             "ratio": f"{ratio:.2f}×", "target": "≥ 0.7×", "verdict": verdict(ratio >= 0.7)})
    for s in sizes:
        if s["bulk"] is None:
            continue
        _, cpu = s["bulk"]
        rows.append({"what": f"GRAPH.BULK (falkordb-bulk-insert), {s['n']:,} relationships",
                     "measured": f"server CPU {cpu:.2f} s ({s['records'] / max(cpu, 1e-9):,.0f} records/s) for "
                                 f"what raw UNWIND needs {s['raw_cpu']:.2f} s and `kg import` {s['kg_cpu']:.2f} s "
                                 f"({s['records'] / max(s['kg_cpu'], 1e-9):,.0f} records/s of server time; "
                                 f"{s['records'] / s['kg_s']:,.0f} records/s wall clock); "
                                 f"`kg import` into an empty graph sent GRAPH.BULK: "
                                 f"{'yes' if s['kg_bulk'] else 'no'}",
                     "ratio": f"{s['raw_cpu'] / max(cpu, 1e-9):.1f}× less server CPU than UNWIND",
                     "target": "fresh builds use it", "verdict": verdict(s["kg_bulk"])})
    return rows


def export_rows(sizes: list[dict[str, Any]], bundled: dict[str, Any] | None) -> list[dict[str, str]]:
    """The target rows of the export step (wall-clock ratio; CPU ratio where measured) and of
    `kg validate` on the bundled graph."""
    rows: list[dict[str, str]] = []
    for s in sizes:
        for fmt in ("nt", "turtle"):
            ratio = s[f"{fmt}_ox_s"] / s[f"{fmt}_s"]
            cpu = (f"; CPU (client + server) {s[f'{fmt}_cpu'] + s[f'{fmt}_server_cpu']:.2f} vs "
                   f"{s[f'{fmt}_ox_cpu']:.2f} s "
                   f"({s[f'{fmt}_ox_cpu'] / (s[f'{fmt}_cpu'] + s[f'{fmt}_server_cpu']):.2f}×)"
                   if f"{fmt}_cpu" in s else "")
            rows.append({"what": f"`kg export --format {fmt}` vs pyoxigraph parse + serialise, "
                                 f"{s['n']:,} relationships ({s['triples']:,} triples)",
                         "measured": f"{s['triples'] / s[f'{fmt}_s']:,.0f} vs "
                                     f"{s['triples'] / s[f'{fmt}_ox_s']:,.0f} triples/s{cpu}",
                         "ratio": f"{ratio:.2f}×", "target": "≥ 0.5×", "verdict": verdict(ratio >= 0.5)})
    if bundled is None:
        return rows
    ratio = bundled["validate_s"] / bundled["export_s"]
    rows.append({"what": f"`kg validate` of the bundled graph ({bundled['triples']:,} triples) vs its N-Triples "
                         f"export", "measured": f"{bundled['validate_s']:.2f} s vs {bundled['export_s']:.2f} s "
                                               f"({'conforms' if bundled['conforms'] else 'violations'})"
                                               + (f"; CPU (client + server) "
                                                  f"{bundled['validate_cpu'] + bundled['validate_server_cpu']:.2f}"
                                                  f" vs {bundled['export_cpu'] + bundled['export_server_cpu']:.2f} s"
                                                  if "export_cpu" in bundled else ""),
                 "ratio": f"{ratio:.1f}×", "target": "≤ 5×", "verdict": verdict(ratio <= 5)})
    return rows


def report(sizes: list[dict[str, Any]], bundled: dict[str, Any], runs: int, argv: list[str]) -> str:
    big = sizes[-1]
    lines = [f"# Benchmark results\n\nGenerated by `python benchmarks/targets.py {' '.join(argv)}` on "
             f"{dt.date.today().isoformat()}: {machine()}. One run, every ratio from the same run; "
             f"medians of {runs} where a step repeats in-process (one run from {LARGE:,} relationships "
             f"on, but for the stored queries: medians of {runs} at every size). Load average "
             f"{os.getloadavg()[0]:.1f} when the report was written; on a shared machine expect "
             f"±30 % on absolute figures; ratios are steadier.\n"]
    rows = load_rows(sizes) + export_rows(sizes, bundled)
    names = list(big["queries"])
    slow = [q for q in names if big["queries"][q][0] >= 1.0]
    given = ", ".join(f"`{q}` with {', '.join(f'{k} {v}' for k, v in p.items())}"
                      for q, p in SYNTHETIC_PARAMS.items())
    rows.append({"what": f"every stored query at {big['n']:,} relationships, defaults ({given}: "
                         f"their defaults name real ones, absent from synthetic data)",
                 "measured": f"{len(names) - len(slow)} of {len(names)} under 1 s"
                             + (f"; over: {', '.join(slow)}" if slow else ""),
                 "ratio": f"slowest {max(big['queries'][q][0] for q in names):.2f} s", "target": "< 1 s",
                 "verdict": verdict(not slow)})
    if len(sizes) > 1:
        a, b = sizes[-2], sizes[-1]
        worse = [q for q in names if _growth(a, b, q) > 1.0]
        sample = (f" (latency at {a['n']:,}: the mean over {a['query_graphs']} graphs of that size)"
                  if a.get("query_graphs", 1) > 1 else "")
        rows.append({"what": f"query growth {a['n']:,} → {b['n']:,}{sample}",
                     "measured": f"{len(names) - len(worse)} of {len(names)} at most linear"
                                 + (f"; faster than linear: {', '.join(worse)}" if worse else ""),
                     "ratio": f"worst {max(_growth(a, b, q) for q in names):.2f}", "target": "≤ 1 (linear)",
                     "verdict": verdict(not worse)})
    peak = max(big["kg_rss"], big.get("kg2_rss", 0.0))
    rows.append({"what": f"peak RSS of `kg import`, {big['n']:,} relationships",
                 "measured": f"{big['kg_rss']:.0f} MiB into an empty graph"
                             + (f", {big['kg2_rss']:.0f} MiB into a non-empty one" if "kg2_rss" in big else ""),
                 "ratio": "", "target": "< 300 MB", "verdict": verdict(peak * 2**20 < 300e6)})
    lines += ["## Targets (issue 17)\n", table(rows), ""]

    lines += ["## Per step\n"]
    step_rows = []
    for s in sizes:
        step_rows.append({"relationships": f"{s['n']:,}", "records": f"{s['records']:,}",
                          "input": f"{s['input_mib']:.0f} MiB", "kg import s": f"{s['kg_s']:.1f}",
                          "kg import peak RSS": f"{s['kg_rss']:.0f} MiB",
                          "kg import into it again s": f"{s['kg2_s']:.1f}" if "kg2_s" in s else "n/a",
                          "raw UNWIND s": f"{s['raw_s']:.1f}",
                          "raw UNWIND MERGE again s": f"{s['rawm_s']:.1f}" if "rawm_s" in s else "n/a",
                          f"kg import of {SMALL_LOAD:,} records into it s":
                              f"{s['small_s']:.1f}" if "small_s" in s else "n/a",
                          "GRAPH.BULK wall s": f"{s['bulk'][0]:.1f}" if s["bulk"] else "n/a",
                          "export nt s (CLI)": f"{s['nt_cli_s']:.1f}", "export nt peak RSS": f"{s['nt_rss']:.0f} MiB",
                          "export nt s (in-process)": f"{s['nt_s']:.2f}",
                          "export turtle s": f"{s['turtle_s']:.2f}"})
    lines += [table(step_rows), "",
              f"Bundled snapshot: `kg validate` (own process) {bundled['validate_cli_s']:.1f} s, peak RSS "
              f"{bundled['validate_rss']:.0f} MiB.\n"]

    lines += ["## Stored queries (defaults; ms, median)\n"]
    q_rows = []
    for q in names:
        row: dict[str, Any] = {"query": q}
        for s in sizes:
            row[f"{s['n']:,}"] = f"{s['queries'][q][0] * 1000:,.0f}"
        for a, b in itertools.pairwise(sizes):
            row[f"growth {a['n']:,}→{b['n']:,}"] = f"{_growth(a, b, q):.2f}"
            if a.get("query_graphs", 1) > 1:          # what one seed alone would have said
                row["growth, seed 42 alone"] = f"{_growth(a, b, q, first=True):.2f}"
        for s in sizes:
            counts = s.get("query_rows", {}).get(q, [s["queries"][q][1]])
            row[f"rows at {s['n']:,}"] = (f"{counts[0]}" if min(counts) == max(counts) else
                                          f"{min(counts)}–{max(counts)} (seed 42: {counts[0]})")
        row["< 1 s"] = "yes" if big["queries"][q][0] < 1.0 else "NO"
        q_rows.append(row)
    sampled = [s for s in sizes if s.get("query_graphs", 1) > 1]
    lines += [table(q_rows), "",
              "Growth is the latency ratio divided by the size ratio: 1 is linear, above 1 faster than "
              "linear."
              + "".join(f" At {s['n']:,} relationships the latency is the mean over {s['query_graphs']} "
                        f"graphs (seeds 42 and 1 to {s['query_graphs'] - 1}), and the rows column gives "
                        f"their range: a small graph's answers depend on its seed." for s in sampled)
              + "\n"]
    profiled = [(q, big["queries"][q][2]) for q in names if big["queries"][q][2]]
    if profiled:
        lines += [f"GRAPH.PROFILE at {big['n']:,} relationships, the three most expensive operations of each "
                  "query over 1 s:\n"]
        lines += [f"- `{q}`: {p}" for q, p in profiled] + [""]
    return "\n".join(lines)


def _growth(a: dict[str, Any], b: dict[str, Any], q: str, first: bool = False) -> float:
    """Latency ratio over size ratio; `first`: the smaller size's first graph (seed 42) alone."""
    ta, tb = a["queries"][q][0], b["queries"][q][0]
    if first:
        ta = a["query_seconds"][q][0]
    return (tb / ta) / (b["n"] / a["n"]) if ta else 0.0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000],
                        help="synthetic graph sizes (relationships); none with --export-only: the bundled step alone")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", type=Path, help="also write the report to this file (RESULTS.md)")
    parser.add_argument("--load-only", action="store_true",
                        help="only the load step (issue 17 points 1-2): print its target rows")
    parser.add_argument("--no-bundled", action="store_true",
                        help="with --export-only: skip the bundled graph's `kg validate` step")
    parser.add_argument("--export-only", action="store_true",
                        help="only the export steps (issue 17 point 3): the synthetic graph loaded once, "
                             "N-Triples and Turtle against pyoxigraph, `kg validate` of the bundled graph")
    parser.add_argument("--save", type=Path, default=Path(tempfile.gettempdir()) / "kg-targets.json",
                        help="each step's figures, saved as they are measured (a late failure loses none)")
    args = parser.parse_args(argv)
    server = Server()
    saved: dict[str, Any] = {"sizes": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            largest = max(args.sizes, default=0)
            for n in sorted(args.sizes):
                graphs = min(QUERY_GRAPHS, max(1, largest // n))
                saved["sizes"].append(measure_size(server, n, Path(tmp), args.runs, args.load_only,
                                                   args.export_only, graphs))
                args.save.write_text(json.dumps(saved), encoding="utf-8")
        if args.load_only:
            print(f"Load step of `python benchmarks/targets.py {' '.join(argv)}` on "
                  f"{dt.date.today().isoformat()}: {machine()}\n")
            print(table(load_rows(saved["sizes"])))
            return 0
        saved["bundled"] = measure_bundled(server, args.runs) if not args.no_bundled else None
        args.save.write_text(json.dumps(saved), encoding="utf-8")
    finally:
        server.close()
    if args.export_only:
        print(f"Export steps of `python benchmarks/targets.py {' '.join(argv)}` on "
              f"{dt.date.today().isoformat()}: {machine()}\n")
        print(table(export_rows(saved["sizes"], saved["bundled"])))
        return 0
    sizes, bundled = saved["sizes"], saved["bundled"]
    text = report(sizes, bundled, args.runs, argv)
    print(text)
    if args.write:
        # hand-written notes on a run live below the marker and survive the next run
        old = args.write.read_text(encoding="utf-8") if args.write.exists() else ""
        notes = old[old.index(NOTES):] if NOTES in old else NOTES + "\n"
        args.write.write_text(text + "\n" + notes, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
