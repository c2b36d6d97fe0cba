"""`kg build`: the bundled snapshot (and cached downloads) into the store, with a build manifest.

The manifest says exactly what a build is made of — tool and ontology versions, every input file
with its sha256 (bundled or fetched), each source's release and retrieval date, counts per label
and relationship type, and the build time — so analysts can cite a build, not a moving target.
It is stored in the graph (internal `_Meta` node) and as JSON under `$KG_HOME/builds/`.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import pipeline
from .errors import DataError, UsageError
from .records_io import Located, read_paths
from .sources import LoaderRegistry, sha256_file
from .store import GraphStore
from .store.base import Progress
from .version import __version__

MANIFEST_KEY = "build-manifest"


@dataclass
class SourceInput:
    """One source's files for a build: bundled records/raw files, and verified cached downloads."""

    name: str
    records: list[Path] = field(default_factory=list)
    raw: list[Path] = field(default_factory=list)
    cached: list[Path] = field(default_factory=list)
    snapshot_manifest: dict[str, Any] | None = None


def snapshot_sources() -> list[str]:
    """Names of the sources in the bundled snapshot (one directory each)."""
    from .paths import snapshot_dir
    root = snapshot_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def _is_records_file(path: Path) -> bool:
    from .models import record_types
    return path.suffix == ".jsonl" or (path.suffix == ".csv" and path.stem in record_types())


def verified_cache(cache: Path) -> list[Path]:
    """Cached downloads listed in the cache manifest, each checked against its sha256.

    `fetch` renames complete files into place, so a mismatch means the cache was damaged after the
    download (disk fault, manual edit): fail with the file named instead of loading it.
    """
    manifest_path = cache / "manifest.json"
    if not manifest_path.exists():
        return []
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        entries = manifest["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError("cache manifest is unreadable; re-run `kg fetch`",
                        file=str(manifest_path)) from exc
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


def plan(sources: Iterable[str] | None = None, *, registry: LoaderRegistry, home: Path,
         offline: bool = False) -> list[SourceInput]:
    """Which files each chosen source contributes: bundled ones, and (unless offline) the verified
    downloads cached under `home`."""
    from .paths import snapshot_dir
    available = snapshot_sources()
    chosen = list(sources) if sources else available
    for name in chosen:
        if name not in available and name not in registry:
            raise UsageError(f"unknown source {name!r}; known: {', '.join(available)}")
    out = []
    for name in chosen:
        item = SourceInput(name)
        directory = snapshot_dir() / name
        files = sorted(directory.iterdir()) if directory.is_dir() else []
        item.records = [p for p in files if _is_records_file(p)]
        item.raw = [p for p in files if not _is_records_file(p) and p.is_file()
                    and p.name not in ("README.md", "manifest.json")]
        if (directory / "manifest.json").exists():
            item.snapshot_manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        cache = home / "raw" / name
        if not offline and cache.is_dir() and name in registry:
            item.cached = verified_cache(cache)
        out.append(item)
    return out


def located(inputs: list[SourceInput], registry: LoaderRegistry) -> Iterator[Located]:
    for item in inputs:
        yield from read_paths(item.records)
        if item.raw and item.name in registry:
            yield from _located(item.name, registry.get(item.name).parse(item.raw))
        if item.cached:
            yield from _located(str(item.cached[0].parent), registry.get(item.name).parse(item.cached))


def build_located(sources: Iterable[str] | None = None, *, registry: LoaderRegistry, home: Path,
                  offline: bool = False) -> Iterator[Located]:
    """Records of the bundled snapshot (and, unless offline, of cached downloads)."""
    return located(plan(sources, registry=registry, home=home, offline=offline), registry)


def _located(origin: str, records: Iterable[Any]) -> Iterator[Located]:
    for i, rec in enumerate(records, start=1):
        yield rec, origin, i


def _ontology_version() -> str | None:
    from .paths import ontology_dir
    ttl = ontology_dir() / "chokepoint.ttl"
    if not ttl.exists():
        return None
    m = re.search(r'owl:versionInfo\s+"([^"]+)"', ttl.read_text(encoding="utf-8"))
    return m.group(1) if m else None


def _relative(path: Path) -> str:
    from .paths import snapshot_dir
    try:
        return str(path.relative_to(snapshot_dir().parent))
    except ValueError:
        return str(path)


def manifest(inputs: list[SourceInput], store: GraphStore, report: pipeline.LoadReport,
             started: _dt.datetime) -> dict[str, Any]:
    """What this build is made of. Deterministic apart from `built_at` and `seconds`."""
    source_records = {r["id"]: r for r in store.read(
        "MATCH (s:Source) RETURN s.id AS id, s.release AS release, s.retrieved AS retrieved, "
        "s.url AS url, s.publisher AS publisher, s.license AS license ORDER BY s.id")}
    sources = []
    for item in inputs:
        files = [{"file": _relative(p), "origin": "bundled", "sha256": sha256_file(p)}
                 for p in [*item.records, *item.raw]]
        files += [{"file": str(p), "origin": "fetched", "sha256": sha256_file(p)} for p in item.cached]
        sources.append({"name": item.name, "files": files,
                        "upstream": (item.snapshot_manifest or {}).get("inputs")
                        or (item.snapshot_manifest or {}).get("files")})
    return {
        "tool": "chokepoint-kg", "tool_version": __version__,
        "ontology_version": _ontology_version(),
        "built_at": started.isoformat(timespec="seconds"),
        "seconds": round(report.seconds, 3),
        "sources": sources,
        "source_records": list(source_records.values()),
        "counts": store.stats(),
        "records": report.records,
    }


def build(store: GraphStore, sources: Iterable[str] | None = None, *, registry: LoaderRegistry,
          home: Path, offline: bool = False, fresh: bool = False,
          progress: Progress | None = None) -> pipeline.LoadReport:
    """Load the snapshot (parse, validate every record, one atomic write); record the manifest.

    `registry` names the loaders that parse raw and cached files, `home` holds the download cache
    and receives the manifest copy: both come from the caller (the CLI or `kg.api`), never from the
    environment here (docs/architecture.md, "Layers").
    """
    started = _dt.datetime.now(_dt.UTC)
    inputs = plan(sources, registry=registry, home=home, offline=offline)
    report = pipeline.load(located(inputs, registry), store, replace=fresh, progress=progress)
    doc = manifest(inputs, store, report, started)
    store.set_meta(MANIFEST_KEY, json.dumps(doc, sort_keys=True))
    _write_manifest_file(home, doc)
    return report


def _write_manifest_file(home: Path, doc: dict[str, Any]) -> None:
    builds = home / "builds"
    try:
        builds.mkdir(parents=True, exist_ok=True)
        stamp = doc["built_at"].replace(":", "").replace("+0000", "Z")
        text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
        for path in (builds / f"manifest-{stamp}.json", builds / "latest.json"):
            tmp = path.with_suffix(".part")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
    except OSError:
        pass  # the manifest in the graph is authoritative; a read-only home only loses the copy


def current_manifest(store: GraphStore) -> dict[str, Any] | None:
    text = store.get_meta(MANIFEST_KEY)
    return json.loads(text) if text else None
