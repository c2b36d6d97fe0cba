"""The one place that knows where queries/, ontology/ and the bundled snapshot live.

In a source checkout they sit at the repository root; in an installed wheel they are package data
under `kg/_data/` (queries, ontology) and `loaders/snapshot/`.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent
_ROOT = _PKG.parent


def _first(*candidates: Path) -> Path:
    for path in candidates:
        if path.is_dir():
            return path
    return candidates[0]


def queries_dir() -> Path:
    return _first(_PKG / "_data" / "queries", _ROOT / "queries")


def ontology_dir() -> Path:
    return _first(_PKG / "_data" / "ontology", _ROOT / "ontology")


def snapshot_dir() -> Path:
    import importlib.util
    spec = importlib.util.find_spec("loaders")
    if spec and spec.origin:
        return Path(spec.origin).resolve().parent / "snapshot"
    return _ROOT / "loaders" / "snapshot"


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by its owner only; an existing one is made so.

    The data folder holds the server password, the graph and cached downloads: owner only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path
