"""`kg snapshot rebuild`: regenerate the bundled snapshot from the public files (maintainers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..render import render


@click.group()
def snapshot() -> None:
    """Maintain the bundled snapshot (loaders/snapshot/)."""


@snapshot.command("rebuild")
@click.option("--from", "source_dir", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="folder holding the public files (searched recursively)")
@click.option("--source", "names", multiple=True,
              help="rebuild only this loader's part (repeatable; default: every loader with a recipe)")
@click.option("--accept-new", is_flag=True,
              help="accept inputs whose sha256 the manifest does not list, and record them")
@click.option("--retrieved", default=None, help="retrieval date to record for new inputs (YYYY-MM-DD)")
@click.option("--snapshot-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="the snapshot folder to check and write (default: the bundled loaders/snapshot)")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
def rebuild(source_dir: Path, names: tuple[str, ...], accept_new: bool, retrieved: str | None,
            snapshot_dir: Path | None, fmt: str) -> None:
    """Regenerate every bundled part derived from public files, checking each input's sha256."""
    from loaders._snapshot import SNAPSHOT
    from loaders._snapshot import rebuild as run
    outcomes = run(source_dir, list(names) or None, accept_new=accept_new, retrieved=retrieved,
                   root=snapshot_dir or SNAPSHOT)
    rows: list[dict[str, Any]] = []
    for o in outcomes:
        rows.append({"source": o.source, "inputs": o.inputs,
                     "records": sum((o.records or {}).values()) if o.records else None,
                     "new": len(o.new), "changed": len(o.changed), "missing": len(o.missing),
                     "status": o.skipped or "rebuilt"})
    click.echo(render(rows, fmt, title="kg snapshot rebuild"), nl=False)
