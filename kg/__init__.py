"""Chokepoint: a knowledge graph of critical-material supply chains.

    import kg
    store = kg.open_store()                      # embedded FalkorDB, started on demand
    kg.run_query(store, "concentration", material="rare-earths")
"""

from __future__ import annotations

from .version import __version__

from .api import export_jsonl, export_records, import_records, open_store, run_query  # noqa: E402

from .api import build  # noqa: E402

__all__ = ["__version__", "build", "export_jsonl", "export_records", "import_records", "open_store",
           "run_query"]
