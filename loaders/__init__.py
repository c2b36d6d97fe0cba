"""Loaders, one module per public source, and their registry. Nothing is imported eagerly.

Each module has the same shape (see `kg.sources.Loader`): a docstring citing the source, `SPEC`,
`fetch(dest, base_url=None, ...)` (the only network code) and `parse(paths)` yielding records.

Adding a loader is one entry in `ENTRIES` (docs/architecture.md, "Adding a loader"); a package
outside this repository registers a `kg.sources.LoaderEntry` under the `chokepoint.loaders` entry
point group instead.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from types import ModuleType

from kg.sources import LoaderEntry, LoaderRegistry

ENTRY_POINT_GROUP = "chokepoint.loaders"

# The CLI names are fixed by docs/architecture.md ("Sources"). `id_prefixes` claim Source records
# for `kg sources`; the longest matching prefix wins, so curated's bare "source:" takes the rest.
ENTRIES: tuple[LoaderEntry, ...] = (
    LoaderEntry("usgs-mcs", "loaders.usgs_mcs", id_prefixes=("source:usgs-mcs",),
                fetch_options=("edition",), snapshot_recipe="loaders.usgs_mcs:snapshot_inputs"),
    LoaderEntry("iso3166", "loaders.iso3166",
                id_prefixes=("source:iso", "source:datasets-country-codes", "source:usgs-country-crosswalk"),
                snapshot_recipe="loaders._snapshot:iso3166_inputs"),
    LoaderEntry("hs", "loaders.hs",
                id_prefixes=("source:datasets-harmonized-system", "source:hs", "source:wco"),
                snapshot_recipe="loaders._snapshot:hs_inputs"),
    LoaderEntry("census-trade", "loaders.census_trade", id_prefixes=("source:census",),
                fetch_options=("year", "hs_codes")),
    LoaderEntry("comtrade", "loaders.comtrade", id_prefixes=("source:comtrade", "source:un-comtrade"),
                fetch_options=("hs_codes",)),
    LoaderEntry("baci", "loaders.baci", id_prefixes=("source:baci", "source:cepii"),
                snapshot_recipe="loaders.baci:snapshot_inputs"),
    LoaderEntry("usitc-dataweb", "loaders.usitc_dataweb", id_prefixes=("source:usitc",),
                fetchable=False, snapshot_recipe="loaders.usitc_dataweb:snapshot_inputs"),
    LoaderEntry("wikidata", "loaders.wikidata", id_prefixes=("source:wikidata",)),
    LoaderEntry("gleif", "loaders.gleif", id_prefixes=("source:gleif",)),
    LoaderEntry("curated", "loaders.curated", id_prefixes=("source:",), fetchable=False),
    LoaderEntry("ev-investments", "loaders.ev_investments", id_prefixes=("source:na-ev-supply-chain",),
                snapshot_recipe="loaders._snapshot:ev_investments_inputs"),
    LoaderEntry("fineprint", "loaders.fineprint", id_prefixes=("source:fineprint",),
                snapshot_recipe="loaders._snapshot:fineprint_inputs"),
)

# CLI name -> module name, for code that only needs the names.
LOADERS: dict[str, str] = {e.name: e.module.removeprefix("loaders.") for e in ENTRIES}


def registry(*, plugins: bool = True) -> LoaderRegistry:
    """The bundled loaders, then any registered by installed packages (entry points)."""
    reg = LoaderRegistry(ENTRIES)
    if plugins:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            entry = ep.load()
            if not isinstance(entry, LoaderEntry):
                raise TypeError(f"entry point {ep.name} = {ep.value} is not a kg.sources.LoaderEntry")
            reg.add(entry)
    return reg


def names() -> list[str]:
    """Loader names whose module exists."""
    return LoaderRegistry(ENTRIES).names()


def get(name: str) -> ModuleType:
    """The bundled loader module `name` (KeyError if unknown)."""
    if name not in LOADERS:
        raise KeyError(name)
    module: ModuleType = LoaderRegistry(ENTRIES).entry(name).load()  # type: ignore[assignment]
    return module
