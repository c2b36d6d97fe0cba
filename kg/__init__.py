"""Chokepoint: a knowledge graph of critical-material supply chains.

    import kg
    g = kg.open_store()                  # embedded FalkorDB, started on demand (or "bolt://…")
    g.build()                            # the bundled, cited snapshot
    g.query("concentration", material="rare-earths")        # rows; .df() for pandas
    kg.export_rdf(g, "chokepoint.ttl")
"""

from __future__ import annotations

from .api import Graph, Rows, export_jsonl, export_rdf, export_records, import_records, open_store, run_query
from .version import __version__

__all__ = [
    "Graph",
    "Rows",
    "__version__",
    "export_jsonl",
    "export_rdf",
    "export_records",
    "import_records",
    "open_store",
    "run_query",
]
