"""`kg validate`: SHACL validation of RDF exports (the export itself is `kg export --format …`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click


@click.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--limit", default=50, show_default=True, help="print at most N violations")
@click.pass_obj
def validate(obj: Any, file: Path | None, limit: int) -> None:
    """SHACL-validate an RDF export FILE (.ttl .nt .nq .trig .jsonld), or without FILE the live
    graph, against ontology/shapes.ttl. Prints each violation (focus node, path, message, value);
    exits 1 if there is any."""
    from ..rdf import shacl
    report = shacl.validate_file(file) if file is not None else shacl.validate_store(obj.store())
    click.echo("\n".join(report.lines(limit)))
    if not report.conforms:
        sys.exit(1)
