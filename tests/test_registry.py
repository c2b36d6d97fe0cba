"""The loader registry: one entry per loader carries its name, Source id prefixes, fetch options
and snapshot recipe; third-party packages add loaders through the `chokepoint.loaders` entry point."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest

import loaders
from kg.errors import UsageError
from kg.sources import LoaderEntry, LoaderRegistry

FETCH_OPTIONS = ("edition", "year", "hs_codes")     # the `kg fetch` options a loader may take


@pytest.mark.parametrize("name", list(loaders.LOADERS))
def test_declared_fetch_options_are_the_ones_fetch_accepts(name):
    entry = loaders.registry(plugins=False).entry(name)
    accepted = inspect.signature(entry.load().fetch).parameters
    assert set(entry.fetch_options) == {o for o in FETCH_OPTIONS if o in accepted}
    assert entry.load().SPEC.name == name


@pytest.mark.parametrize(("source_id", "owner"), [
    ("source:usgs-mcs-2025", "usgs-mcs"),
    ("source:iso-3166", "iso3166"),
    ("source:datasets-country-codes", "iso3166"),
    ("source:usgs-country-crosswalk", "iso3166"),
    ("source:usgs-critical-minerals-2022", "curated"),
    ("source:datasets-harmonized-system", "hs"),
    ("source:census-intltrade-2024", "census-trade"),
    ("source:un-comtrade-2024", "comtrade"),
    ("source:cepii-baci-hs22", "baci"),
    ("source:wikidata-2025", "wikidata"),
    ("source:gleif-golden-copy", "gleif"),
    ("source:eu-crma-2023", "curated"),          # no loader claims it: curated takes the rest
])
def test_each_source_id_has_one_owner_by_longest_prefix(source_id, owner):
    assert loaders.registry(plugins=False).owner_of(source_id) == owner


def test_registry_refuses_a_name_twice_and_names_the_known_ones():
    reg = LoaderRegistry([LoaderEntry("a", "loaders.hs")])
    with pytest.raises(ValueError, match="registered twice"):
        reg.add(LoaderEntry("a", "loaders.iso3166"))
    with pytest.raises(UsageError, match="unknown source 'b'; known: a"):
        reg.get("b")
    assert reg.owner_of("source:anything") is None


def test_a_missing_loader_module_is_a_usage_error():
    reg = LoaderRegistry([LoaderEntry("gone", "loaders.no_such_module")])
    assert reg.names() == []
    with pytest.raises(UsageError, match="not available in this version"):
        reg.get("gone")


def test_snapshot_recipes_come_from_the_registry():
    from loaders import _snapshot, usgs_mcs
    assert _snapshot.recipe("hs") is _snapshot.hs_inputs
    assert _snapshot.recipe("usgs-mcs") is usgs_mcs.snapshot_inputs
    assert _snapshot.recipe("gleif") is None                 # no recipe: not rebuilt from files
    assert set(_snapshot.recipes()) == {e.name for e in loaders.ENTRIES if e.snapshot_recipe}


def _install_plugin(root: Path, value: str) -> None:
    """A minimal installed distribution declaring one `chokepoint.loaders` entry point."""
    (root / "kgplugin_demo.py").write_text(
        "from kg.sources import LoaderEntry\n"
        "ENTRY = LoaderEntry('demo', 'loaders.hs', id_prefixes=('source:demo',))\n"
        "NOT_AN_ENTRY = 42\n", encoding="utf-8")
    info = root / "kgplugin_demo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kgplugin-demo\nVersion: 1.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[chokepoint.loaders]\ndemo = {value}\n", encoding="utf-8")


def test_a_third_party_loader_registers_through_the_entry_point(tmp_path, monkeypatch):
    _install_plugin(tmp_path, "kgplugin_demo:ENTRY")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = loaders.registry()
    assert "demo" in reg and reg.owner_of("source:demo-2025") == "demo"
    assert list(reg)[:len(loaders.ENTRIES)] == [e.name for e in loaders.ENTRIES]
    assert "demo" not in loaders.registry(plugins=False)
    sys.modules.pop("kgplugin_demo", None)


def test_an_entry_point_that_is_not_a_loader_entry_is_refused(tmp_path, monkeypatch):
    _install_plugin(tmp_path, "kgplugin_demo:NOT_AN_ENTRY")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(TypeError, match="not a kg.sources.LoaderEntry"):
        loaders.registry()
    sys.modules.pop("kgplugin_demo", None)


def test_kg_fetch_refuses_an_option_the_loader_does_not_declare(kg):
    r = kg("fetch", "hs", "--year", "2024")
    assert r.returncode == 2, r.stderr
    assert "the hs loader takes no --year" in r.stderr
    r = kg("fetch", "nosuch")
    assert r.returncode == 2 and "unknown source 'nosuch'" in r.stderr
