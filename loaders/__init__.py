"""Loaders, one module per public source. Discovery is lazy: nothing is imported eagerly.

Each module has the same shape (see `kg.sources.Loader`): a docstring citing the source, `SPEC`,
`fetch(dest, base_url=None)` (the only network code) and `parse(paths)` yielding records.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

# CLI name -> module name (the names are fixed by DESIGN §5).
LOADERS = {
    "usgs-mcs": "usgs_mcs",
    "iso3166": "iso3166",
    "hs": "hs",
    "census-trade": "census_trade",
    "comtrade": "comtrade",
    "baci": "baci",
    "usitc-dataweb": "usitc_dataweb",
    "wikidata": "wikidata",
    "gleif": "gleif",
    "curated": "curated",
}


def names() -> list[str]:
    """Loader names whose module exists."""
    out = []
    for name, module in LOADERS.items():
        if importlib.util.find_spec(f"loaders.{module}") is not None:
            out.append(name)
    return out


def get(name: str) -> ModuleType:
    if name not in LOADERS:
        raise KeyError(name)
    return importlib.import_module(f"loaders.{LOADERS[name]}")
