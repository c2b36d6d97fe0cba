"""`kg validate`: SHACL validation of RDF exports (the export itself is `kg export --format …`)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    """A transient progress bar on stderr (rich) for `kg.rdf.shacl`'s (phase, total, done) calls;
    None when stderr is not a terminal or --quiet."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    tasks: dict[str, Any] = {}

    def update(phase: str, total: int | None, done: int) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(phase, total=total)
        bar.update(tasks[phase], completed=done, total=total)

    with bar:
        yield update


@click.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--limit", default=50, show_default=True, help="print at most N violations")
@click.pass_obj
def validate(obj: Any, file: Path | None, limit: int) -> None:
    """SHACL-validate an RDF export FILE (.ttl .nt .nq .trig .jsonld), or without FILE the live
    graph, against ontology/shapes.ttl. Prints each violation (focus node, path, message, value);
    exits 1 if there is any."""
    from ..rdf import shacl
    with _progress(not getattr(obj, "quiet", False) and sys.stderr.isatty()) as progress:
        report = (shacl.validate_file(file, progress) if file is not None
                  else shacl.validate_store(obj.store(), progress))
    click.echo("\n".join(report.lines(limit)))
    if not report.conforms:
        sys.exit(1)
