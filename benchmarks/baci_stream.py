"""Streaming parse of a large synthetic CEPII BACI year file: throughput and memory ceiling.

Writes a `t,i,j,k,v,q` file of N rows (default 5 million, ~155 MB) in chunks, zips it as BACI ships
it, then parses it with `loaders.baci.parse` filtered to one HS code that is 1 % of the rows (a real
year file has ~10 M rows; the tracked codes are well under 1 % of them). Reports, from one run each:
rows/s and records/s from the CSV and from the zip member, the peak traced Python allocation
(tracemalloc) and the growth of the process's peak RSS during the parse.

    python benchmarks/baci_stream.py --rows 5000000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

from loaders import baci

CODES = ("156", "842", "251", "699", "490", "410", "392")
PRODUCTS = tuple(f"{n:06d}" for n in range(100000, 100099)) + ("850760",)


def write(path: Path, rows: int, chunk: int = 250_000) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("t,i,j,k,v,q\n")
        for start in range(0, rows, chunk):
            out.write("".join(
                f"2023,{CODES[r % 7]},{CODES[(r + 3) % 7]},{PRODUCTS[r % 100]},{r % 1000}.5,"
                f"{'NA' if r % 50 == 0 else r % 97}\n" for r in range(start, min(rows, start + chunk))))


def run(path: Path, rows: int, traced: bool) -> tuple[int, float, int]:
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    count = sum(1 for r in baci.parse([path], hs_codes=["850760"]) if r.type_name == "EXPORTS_TO")
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    if traced:
        tracemalloc.stop()
    assert count == rows // 100, count
    return count, seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "BACI_HS22_Y2023_V202501.csv"
        write(csv_path, args.rows)
        zip_path = Path(tmp) / "BACI_HS22_V202501.zip"
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(csv_path, csv_path.name)
        print(f"{args.rows:,} rows: CSV {csv_path.stat().st_size / 1e6:.0f} MB, "
              f"zip {zip_path.stat().st_size / 1e6:.0f} MB")
        for label, path in (("csv", csv_path), ("zip member", zip_path)):
            count, seconds, _ = run(path, args.rows, traced=False)
            print(f"{label:>10}: {args.rows / seconds:,.0f} rows/s, {count / seconds:,.0f} records/s "
                  f"({count:,} records in {seconds:.1f} s)")
        _, seconds, peak = run(zip_path, args.rows, traced=True)
        print(f"peak traced allocation while streaming the zip: {peak / 1e6:.2f} MB "
              f"(tracemalloc run: {seconds:.1f} s)")
        # Peak RSS of a fresh process that only imports the loader, against one that also parses.
        probe = ("import resource, sys; from loaders import baci; "
                 "n = sum(1 for _ in baci.parse([sys.argv[1]], hs_codes=['850760'])) "
                 "if len(sys.argv) > 1 else 0; "
                 "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
        base = int(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                  check=True).stdout)
        full = int(subprocess.run([sys.executable, "-c", probe, str(zip_path)], capture_output=True,
                                  text=True, check=True).stdout)
        print(f"peak RSS: {full / 1024:.1f} MB parsing the zip vs {base / 1024:.1f} MB importing "
              f"the loader alone (+{(full - base) / 1024:.1f} MB)")


if __name__ == "__main__":
    main()
