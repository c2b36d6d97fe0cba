"""Chokepoint: a knowledge graph of critical-material supply chains.

    import kg
    g = kg.open_store()                  # embedded FalkorDB, started on demand (or "bolt://…")
    g.build()                            # the bundled, cited snapshot
    g.query("concentration", material="rare-earths")        # rows; .df() for pandas
    kg.export_rdf(g, "chokepoint.ttl")
"""

from __future__ import annotations

from typing import Any

from .api import Graph, Rows, export_jsonl, export_rdf, export_records, import_records, open_store, run_query
from .version import __version__


def build(store: Graph | None = None, sources: list[str] | None = None, *, offline: bool = False,
          fresh: bool = False) -> Any:
    """Build the bundled snapshot into `store` (default: the embedded store)."""
    from .build import build as _build
    g = store if store is not None else open_store()
    return _build(g.store if isinstance(g, Graph) else g, sources, offline=offline, fresh=fresh)


__all__ = [
    "Graph",
    "Rows",
    "__version__",
    "build",
    "export_jsonl",
    "export_rdf",
    "export_records",
    "import_records",
    "open_store",
    "run_query",
]
