"""`kg fetch`, `kg load`, `kg sources`: the public sources and their cached downloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .. import api
from ..errors import UsageError
from ..render import render


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


@click.command()
@click.argument("names", nargs=-1)
@click.option("--base-url", default=None, help="fetch from a mirror instead of the public URL")
@click.option("--edition", type=int, default=None, help="USGS MCS edition (e.g. 2025)")
@click.option("--year", type=int, default=None, help="data year for trade sources (e.g. 2024)")
@click.option("--hs-code", "hs_codes", multiple=True, help="HS code to fetch (repeatable; trade sources)")
@click.pass_obj
def fetch(obj: Any, names: tuple[str, ...], base_url: str | None, edition: int | None,
          year: int | None, hs_codes: tuple[str, ...]) -> None:
    """Download live sources into the cache ($KG_HOME/raw/NAME)."""
    registry = api.loader_registry()
    chosen = names or tuple(n for n in registry.names() if registry.entry(n).fetchable)
    options = {"edition": edition, "year": year, "hs_codes": list(hs_codes) or None}
    rows = []
    for name in chosen:
        loader = registry.get(name)
        accepted = registry.entry(name).fetch_options
        given = {k: v for k, v in options.items() if v is not None}
        unknown = sorted(set(given) - set(accepted))
        if unknown and names:
            raise UsageError(f"the {name} loader takes no {', '.join(_option(u) for u in unknown)}")
        kwargs = {k: v for k, v in given.items() if k in accepted}
        dest = obj.settings.home / "raw" / name
        click.echo(f"fetching {name} → {dest}", err=True)
        files = loader.fetch(dest, base_url=base_url, **kwargs)
        rows.append({"source": name, "files": len(files), "directory": str(dest)})
    click.echo(render(rows, "table", title="kg fetch"), nl=False)


@click.command()
@click.argument("name")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--scope", default=None,
              help="which rows a loader keeps, for loaders that filter (ev-investments: battery|all; "
                   "fineprint: critical|all)")
@click.pass_obj
def load(obj: Any, name: str, files: tuple[Path, ...], scope: str | None) -> None:
    """Parse files in a known public format and load them (validated, atomic)."""
    import inspect
    loader = api.loader_registry().get(name)
    kwargs: dict[str, Any] = {}
    if scope is not None:
        if "scope" not in inspect.signature(loader.parse).parameters:
            raise UsageError(f"the {name} loader takes no --scope")
        choices = getattr(loader, "SCOPES", ())
        if choices and scope not in choices:
            raise UsageError(f"--scope for {name} is one of {', '.join(choices)}, not {scope!r}")
        kwargs["scope"] = scope
    located = ((rec, name, i) for i, rec in
               enumerate(loader.parse(list(files), **kwargs), start=1))
    report = api.load_located(obj.store(), located)
    rows = [{"type": k, "records": v} for k, v in sorted(report.by_type.items())]
    caption = (f"{report.nodes:,} nodes, {report.relationships:,} relationships "
               f"in {report.seconds:.2f}s")
    click.echo(render(rows, "table", title=f"kg load {name}", caption=caption), nl=False)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
@click.pass_obj
def sources(obj: Any, fmt: str) -> None:
    """List sources: licence, cadence, bundled and cached releases."""
    from ..build import current_manifest
    from ..paths import snapshot_dir
    built: dict[str, list[dict[str, Any]]] = {}
    try:
        doc = current_manifest(obj.store())
    except Exception:
        doc = None   # no store reachable: list the sources without build details
    if doc:
        for rec in doc.get("source_records", []):
            built.setdefault(rec["id"], []).append(rec)
    registry = api.loader_registry()
    rows = []
    for name in registry.names():
        spec = registry.get(name).SPEC
        bundled = snapshot_dir() / name
        cache = obj.settings.home / "raw" / name / "manifest.json"
        cached = ""
        if cache.exists():
            manifest = json.loads(cache.read_text())
            dates = sorted(f.get("retrieved", "") for f in manifest.get("files", []))
            cached = dates[-1][:10] if dates else "yes"
        in_build = [s for s in (doc or {}).get("sources", []) if s["name"] == name]
        releases = sorted({f"{r.get('release') or '?'} ({r.get('retrieved')})"
                           for sid, recs in built.items() for r in recs
                           if in_build and registry.owner_of(sid) == name})
        rows.append({"name": name, "title": spec.title, "publisher": spec.publisher,
                     "license": spec.license, "cadence": spec.cadence,
                     "bundled": "yes" if bundled.is_dir() and any(bundled.iterdir()) else "no",
                     "cached": cached or "no",
                     "in current build": "; ".join(releases) if releases else ("yes" if in_build else "no")})
    click.echo(render(rows, fmt, title="sources" if fmt == "table" else None), nl=False)
