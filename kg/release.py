"""Dated, self-describing, deterministic releases of the graph.

A release directory holds the records (JSON Lines, the format `kg import` reads), RDF (Turtle
and N-Triples), the Neo4j bulk-import CSVs, a manifest, and `SHA256SUMS` (`sha256sum -c`
format). Everything is written from the records sorted by identity, so two releases of the same
graph are byte-identical apart from the release date in the directory name and the manifest.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .build import current_manifest
from .bulk import read_neo4j_admin, write_neo4j_admin
from .errors import DataError, UsageError
from .sources import sha256_file
from .store import GraphStore

RECORDS = "records.jsonl"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
DETERMINISTIC_BUILD_FIELDS = ("tool", "tool_version", "ontology_version", "sources",
                              "source_records", "counts", "records")


def _sort_key(rec: dict[str, Any]) -> tuple[Any, ...]:
    if "from" in rec:
        return (1, rec["type"], rec["from"], rec["to"], json.dumps(rec, sort_keys=True))
    return (0, rec["type"], rec["id"])


def sorted_records(store: GraphStore) -> list[dict[str, Any]]:
    nodes = sorted(store.iter_nodes(), key=_sort_key)
    rels = sorted(store.iter_relationships(), key=_sort_key)
    return nodes + rels


_sha256 = sha256_file


def write_release(store: GraphStore, out_dir: Path, *, date: str | None = None) -> Path:
    """Write `chokepoint-<date>/` under `out_dir` atomically (staged, then renamed)."""
    date = date or _dt.date.today().isoformat()
    _dt.date.fromisoformat(date)
    final = out_dir / f"chokepoint-{date}"
    if final.exists():
        raise UsageError(f"{final} exists already; remove it or choose another -o directory")
    stage = out_dir / f".chokepoint-{date}.partial"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    try:
        records = sorted_records(store)
        nodes = [r for r in records if "from" not in r]
        rels = [r for r in records if "from" in r]
        with (stage / RECORDS).open("w", encoding="utf-8", newline="\n") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
                fh.write("\n")
        from .rdf.export import export_rows
        for name, fmt in (("graph.ttl", "turtle"), ("graph.nt", "nt")):
            with (stage / name).open("wb") as fh:
                export_rows(iter(nodes), iter(rels), fh, fmt)
        write_neo4j_admin(iter(nodes), iter(rels), stage / "neo4j-admin")
        build = current_manifest(store) or {}
        manifest: dict[str, Any] = {"release": date, "build": {k: build.get(k) for k in DETERMINISTIC_BUILD_FIELDS},
                    "files": {}}
        files = sorted(p for p in stage.rglob("*") if p.is_file())
        for path in files:
            manifest["files"][path.relative_to(stage).as_posix()] = _sha256(path)
        (stage / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n",
                                      encoding="utf-8")
        sums = sorted(p for p in stage.rglob("*") if p.is_file())
        (stage / SUMS).write_text("".join(f"{_sha256(p)}  {p.relative_to(stage).as_posix()}\n"
                                          for p in sums), encoding="utf-8")
        os.replace(stage, final)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return final


def verify_release(directory: Path) -> list[str]:
    """Files whose sha256 does not match SHA256SUMS (empty when the release is intact)."""
    sums = directory / SUMS
    if not sums.exists():
        raise DataError("no SHA256SUMS: not a release directory", file=str(directory))
    bad = []
    listed = set()
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        listed.add(name)
        path = directory / name
        if not path.exists():
            bad.append(f"{name}: missing")
        elif _sha256(path) != digest:
            bad.append(f"{name}: sha256 mismatch")
    for path in directory.rglob("*"):
        rel = path.relative_to(directory).as_posix()
        if path.is_file() and rel != SUMS and rel not in listed:
            bad.append(f"{rel}: not listed in SHA256SUMS")
    return bad


def release_records(path: Path) -> Iterator[dict[str, Any]]:
    """Records of a release directory, a records/RDF file, or a neo4j-admin directory."""
    if path.is_dir() and (path / RECORDS).exists():
        path = path / RECORDS
    if path.is_dir() and any(path.glob("nodes_*.csv")):
        yield from read_neo4j_admin(path)
        return
    if path.suffix in (".ttl", ".nt", ".nq", ".trig", ".jsonld"):
        from .rdf.rdf_import import read_rdf
        for rec, _, _ in read_rdf(path):
            yield rec.to_json()
        return
    from .records_io import read_paths
    for rec, _, _ in read_paths([path]):
        yield rec.to_json()
