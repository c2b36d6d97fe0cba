"""The small public Python API for notebooks and scripts; the CLI is a thin layer over it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from . import pipeline
from .config import Settings
from .records_io import Located, read_paths, write_jsonl
from .sources import LoaderRegistry
from .store import GraphStore
from .store import open_store as _open_store
from .store.base import Progress


class Rows(list):  # type: ignore[type-arg]
    """Query results: a list of row dicts, with `.df()` for a pandas DataFrame."""

    def __init__(self, rows: Iterable[dict[str, Any]], columns: list[str] | None = None) -> None:
        super().__init__(rows)
        self.columns = columns or (list(self[0]) if self else [])

    def df(self) -> Any:
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("DataFrames need pandas: pip install 'chokepoint-kg[pandas]'") from None
        return pd.DataFrame(list(self), columns=self.columns or None)


class Graph:
    """A store with the notebook verbs: `g.query("concentration", material="gallium")`.

    Every store method (`read`, `stats`, `iter_nodes`, …) is available on it too.
    """

    def __init__(self, store: GraphStore, home: Path | None = None) -> None:
        self.store = store
        self.home = home          # where `build` finds cached downloads and writes its manifest

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.store.close()

    def __repr__(self) -> str:
        return f"<kg.Graph on the {self.store.backend} store>"

    def query(self, name: str, **params: Any) -> Rows:
        """Run a stored query by name with keyword parameters (typed as the query declares)."""
        from .queries import run_query as _run
        stored, rows = _run(self.store, name, params)
        return Rows(rows, stored.returns)

    def cypher(self, text: str, **params: Any) -> Rows:
        """Run your own read-only Cypher with parameters."""
        return Rows(self.store.read(text, params))

    def queries(self) -> dict[str, Any]:
        from .queries import list_queries
        return list_queries()

    def build(self, sources: Iterable[str] | None = None, *, offline: bool = False,
              fresh: bool = False) -> Any:
        return build(self.store, sources, offline=offline, fresh=fresh, home=self.home)

    def import_records(self, *paths: str | Path) -> Any:
        return import_records(self.store, [Path(p) for p in paths])

    def export_rdf(self, path: str | Path, fmt: str = "turtle") -> Any:
        return export_rdf(self.store, path, fmt)


def open_store(store: str | None = None, home: str | Path | None = None) -> Graph:
    """Open the embedded store (started on demand) or Neo4j (`bolt://…`) as a `Graph`."""
    settings = Settings.from_env(store=store, home=home)
    return Graph(_open_store(settings), settings.home)


def _raw(store: Any) -> GraphStore:
    return store.store if isinstance(store, Graph) else store


def export_rdf(store: Any, path: str | Path | None = None, fmt: str = "turtle") -> Any:
    """Write the graph as RDF (turtle, nt, jsonld, trig, nq) to a file (atomically) or stdout."""
    import sys as _sys

    from .rdf import export_rdf as _export
    if path is None:
        return _export(_raw(store), _sys.stdout.buffer, fmt)
    target = Path(path)
    tmp = target.with_name(f".{target.name}.part")
    with tmp.open("wb") as fh:
        report = _export(_raw(store), fh, fmt)
    tmp.replace(target)
    return report


def import_records(store: GraphStore, paths: Iterable[Path], *,
                   progress: Progress | None = None,
                   max_errors: int = pipeline.DEFAULT_MAX_ERRORS) -> pipeline.LoadReport:
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

    return pipeline.load(located(), store, progress=progress, max_errors=max_errors)


def _bulk_located(directory: Path) -> Iterator[Located]:
    from .bulk import read_neo4j_admin
    from .models import parse_record
    for i, row in enumerate(read_neo4j_admin(directory), start=1):
        yield parse_record(row, file=str(directory), line=i), str(directory), i


def load_located(store: GraphStore, located: Iterable[Located], *, replace: bool = False,
                 progress: Progress | None = None) -> pipeline.LoadReport:
    return pipeline.load(located, store, replace=replace, progress=progress)


def run_query(store: Any, name: str, **params: Any) -> Rows:
    """Run a stored query by name: `run_query(store, "concentration", material="gallium")`."""
    from .queries import run_query as _run
    stored, rows = _run(_raw(store), name, params)
    return Rows(rows, stored.returns)


def export_records(store: GraphStore) -> Iterator[dict[str, Any]]:
    """Every node, then every relationship, in the records format."""
    yield from store.iter_nodes()
    yield from store.iter_relationships()


def export_jsonl(store: GraphStore, out: TextIO) -> int:
    return write_jsonl(export_records(store), out)


def loader_registry() -> LoaderRegistry:
    """The loaders this installation knows: the bundled ones and any registered by entry point."""
    import loaders
    return loaders.registry()


def build(store: GraphStore, sources: Iterable[str] | None = None, *, offline: bool = False,
          fresh: bool = False, progress: Progress | None = None, home: Path | None = None,
          registry: LoaderRegistry | None = None) -> pipeline.LoadReport:
    """Build the bundled snapshot (and, unless offline, cached downloads) into `store`.

    `home` defaults to the configured one (`KG_HOME`); `registry` to every installed loader.
    """
    from .build import build as _build
    return _build(store, sources, registry=registry or loader_registry(),
                  home=home or Settings.from_env().home, offline=offline, fresh=fresh, progress=progress)


def build_located(sources: Iterable[str] | None = None, *, offline: bool = False,
                  home: Path | None = None) -> Iterator[Located]:
    """The records a build would load, without loading them."""
    from .build import build_located as _located
    return _located(sources, registry=loader_registry(), home=home or Settings.from_env().home,
                    offline=offline)


from .build import snapshot_sources as snapshot_sources  # noqa: E402
from .build import verified_cache as verified_cache  # noqa: E402
