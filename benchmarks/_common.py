"""Shared benchmark plumbing: a private embedded server, timing, the machine description."""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kg.store import embedded
from kg.store.falkordb import FalkorDBStore


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}, {platform.system()}"


class Server:
    """One embedded FalkorDB server in a temporary home for the whole benchmark run."""

    def __init__(self) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="kg-bench-")
        self.home = Path(self.tmp.name)
        self.info = embedded.start(self.home)
        self.n = 0

    def fresh(self, name: str | None = None) -> FalkorDBStore:
        self.n += 1
        return FalkorDBStore(self.info, self.home, graph=name or f"bench{self.n}")

    def close(self) -> None:
        embedded.stop(self.home, force=True)
        self.tmp.cleanup()


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def median_time(fn: Callable[[], Any], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t, _ = timed(fn)
        times.append(t)
    return statistics.median(times)


def table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table (pastes into RESULTS.md as is)."""
    cols = list(rows[0])
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(r[c]) for c in cols) + " |")
    return "\n".join(out)


def server_cpu(store: FalkorDBStore) -> float:
    """CPU seconds the embedded server has used (user + system): steadier than wall clock on a
    shared machine."""
    info = store.db.connection.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])
