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
    """Load records-format files (JSON Lines, `<type>.csv`): all valid, then one atomic write."""
    return pipeline.load(read_paths(paths), store, progress=progress)


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


def snapshot_sources() -> list[str]:
    """Names of the sources in the bundled snapshot (one directory each)."""
    from .paths import snapshot_dir
    root = snapshot_dir()
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def _is_records_file(path: Path) -> bool:
    from .models import record_types
    return path.suffix == ".jsonl" or (path.suffix == ".csv" and path.stem in record_types())


def build_located(sources: Iterable[str] | None = None, *, offline: bool = False,
                  home: Path | None = None) -> Iterator[Located]:
    """Records of the bundled snapshot (and, unless offline, of cached downloads)."""
    import loaders
    from .paths import snapshot_dir
    from .errors import UsageError
    available = snapshot_sources()
    chosen = list(sources) if sources else available
    for name in chosen:
        if name not in available and name not in loaders.LOADERS:
            raise UsageError(f"unknown source {name!r}; known: {', '.join(available)}")
    settings_home = home or Settings.from_env().home
    for name in chosen:
        directory = snapshot_dir() / name
        files = sorted(directory.iterdir()) if directory.is_dir() else []
        records = [p for p in files if _is_records_file(p)]
        raw = [p for p in files if not _is_records_file(p) and p.name not in ("README.md", "manifest.json")]
        yield from read_paths(records)
        if raw and name in loaders.LOADERS:
            yield from _located(name, loaders.get(name).parse(raw))
        cache = settings_home / "raw" / name
        if not offline and cache.is_dir() and name in loaders.LOADERS:
            cached = verified_cache(cache)
            if cached:
                yield from _located(f"{cache}", loaders.get(name).parse(cached))


def verified_cache(cache: Path) -> list[Path]:
    """Cached downloads listed in the cache manifest, each checked against its sha256.

    `fetch` renames complete files into place, so a mismatch means the cache was damaged after the
    download (disk fault, manual edit): fail with the file named instead of loading it.
    """
    import json as _json
    from .errors import DataError
    from .sources import sha256_file
    manifest_path = cache / "manifest.json"
    if not manifest_path.exists():
        return []
    try:
        manifest = _json.loads(manifest_path.read_text(encoding="utf-8"))
        entries = manifest["files"]
    except (ValueError, KeyError, TypeError):
        raise DataError("cache manifest is unreadable; re-run `kg fetch`",
                        file=str(manifest_path)) from None
    files = []
    for entry in entries:
        path = cache / entry["file"]
        if not path.exists():
            raise DataError("listed in the cache manifest but missing; re-run `kg fetch`",
                            file=str(path))
        if sha256_file(path) != entry["sha256"]:
            raise DataError("does not match the sha256 in its cache manifest (corrupt or "
                            "truncated download); re-run `kg fetch`", file=str(path))
        files.append(path)
    return files


def _located(origin: str, records: Iterable[Any]) -> Iterator[Located]:
    for i, rec in enumerate(records, start=1):
        yield rec, origin, i


def build(store: GraphStore, sources: Iterable[str] | None = None, *, offline: bool = False,
          fresh: bool = False, progress: Progress | None = None) -> pipeline.LoadReport:
    """Load the bundled snapshot: parse, validate every record, one atomic write."""
    return pipeline.load(build_located(sources, offline=offline), store, replace=fresh,
                         progress=progress)
