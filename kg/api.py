"""The small public Python API for notebooks and scripts; the CLI is a thin layer over it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from . import pipeline
from .config import Settings
from .records_io import Located, read_paths, write_jsonl
from .store import GraphStore
from .store import open_store as _open_store
from .store.base import Progress


def open_store(store: str | None = None, home: str | Path | None = None) -> GraphStore:
    """Open the embedded store (started on demand) or Neo4j (`bolt://…`)."""
    return _open_store(Settings.from_env(store=store, home=home))


def import_records(store: GraphStore, paths: Iterable[Path], *,
                   progress: Progress | None = None) -> pipeline.LoadReport:
    """Load records-format files (JSON Lines, `<type>.csv`) or RDF exports (`.ttl`, `.nt`, `.nq`,
    `.trig`, `.jsonld`, read by `kg.rdf.rdf_import`): all valid, then one atomic write."""
    from .rdf.rdf_import import RDF_SUFFIXES, read_rdf

    def located() -> Iterator[Located]:
        for path in map(Path, paths):
            if path.is_dir() and (path / "records.jsonl").exists() and (path / "SHA256SUMS").exists():
                yield from read_paths([path / "records.jsonl"])      # a release directory
            elif path.is_dir() and any(path.glob("nodes_*.csv")):
                yield from _bulk_located(path)                       # neo4j-admin CSVs
            elif path.suffix.lower() in RDF_SUFFIXES:
                yield from read_rdf(path)
            else:
                yield from read_paths([path])

    return pipeline.load(located(), store, progress=progress)


def _bulk_located(directory: Path) -> Iterator[Located]:
    from .bulk import read_neo4j_admin
    from .models import parse_record
    for i, row in enumerate(read_neo4j_admin(directory), start=1):
        yield parse_record(row, file=str(directory), line=i), str(directory), i


def load_located(store: GraphStore, located: Iterable[Located], *, replace: bool = False,
                 progress: Progress | None = None) -> pipeline.LoadReport:
    return pipeline.load(located, store, replace=replace, progress=progress)


def run_query(store: GraphStore, name: str, **params: Any) -> list[dict[str, Any]]:
    """Run a stored query by name: `run_query(store, "concentration", material="gallium")`."""
    from .queries import run_query as _run
    return _run(store, name, params)[1]


def export_records(store: GraphStore) -> Iterator[dict[str, Any]]:
    """Every node, then every relationship, in the records format."""
    yield from store.iter_nodes()
    yield from store.iter_relationships()


def export_jsonl(store: GraphStore, out: TextIO) -> int:
    return write_jsonl(export_records(store), out)


from .build import (build, build_located, snapshot_sources, verified_cache)  # noqa: E402,F401
