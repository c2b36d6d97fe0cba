"""`kg release`, `kg verify`, `kg diff`: citable releases and what changed between them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..diff import DEFAULT_SHARE_THRESHOLD, diff, to_markdown
from ..release import release_records, sorted_records, verify_release, write_release
from ..render import render


@click.command()
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("releases"), show_default=True, help="directory to write the release in")
@click.option("--date", default=None, help="release date (YYYY-MM-DD; default today)")
@click.pass_obj
def release(obj: Any, out_dir: Path, date: str | None) -> None:
    """Write a dated release: records, RDF, Neo4j bulk CSVs, manifest, SHA256SUMS."""
    path = write_release(obj.store(), out_dir, date=date)
    files = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
    click.echo(f"wrote release {path} ({len(files)} files)", err=True)
    click.echo(str(path))


@click.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def verify(directory: Path) -> None:
    """Check a release against its SHA256SUMS (exit 1 on any mismatch)."""
    bad = verify_release(directory)
    if bad:
        for line in bad:
            click.echo(f"{directory}/{line}", err=True)
        sys.exit(1)
    click.echo(f"{directory}: all files match SHA256SUMS")


@click.command("diff")
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--threshold", type=float, default=DEFAULT_SHARE_THRESHOLD * 100, show_default=True,
              help="report production shares that moved by more than this many percentage points")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table",
              show_default=True)
@click.pass_obj
def diff_cmd(obj: Any, old: Path, new: Path | None, threshold: float, fmt: str) -> None:
    """What changed from OLD to NEW (releases or records files; NEW defaults to the live graph).

    Exit 0 when nothing changed, 3 when something did (for scheduled alerts)."""
    new_records = release_records(new) if new else sorted_records(obj.store())
    report = diff(release_records(old), new_records, threshold / 100.0)
    new_name = str(new) if new else "the live graph"
    if fmt == "json":
        click.echo(json.dumps({"old": str(old), "new": new_name, "changed": report.has_changes,
                               "summary": {"added": len(report.added), "removed": len(report.removed),
                                           "changed": len(report.changed)},
                               "groups": report.groups()}, indent=2, ensure_ascii=False, default=str))
    elif fmt == "markdown":
        click.echo(to_markdown(report, str(old), new_name), nl=False)
    else:
        groups = report.groups()
        click.echo(f"{len(report.added)} added, {len(report.removed)} removed, "
                   f"{len(report.changed)} changed facts ({old} → {new_name})")
        if not report.has_changes:
            click.echo("No changes.")
        for name, rows in groups.items():
            click.echo(render(rows, "table", title=name), nl=False)
    sys.exit(3 if report.has_changes else 0)
