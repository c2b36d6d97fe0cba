"""`kg report`, `kg browser-kit`, `kg docs`: what analysts open, in a web page, in Neo4j Browser
and in the reference docs."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

import click

from ..errors import UsageError


def _date(value: str | None) -> _dt.date | None:
    if value is None:
        return None
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of must be a date YYYY-MM-DD, got {value!r}") from None


@click.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("report.html"), show_default=True, help="the HTML file to write")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="the date export controls are judged on (default today)")
@click.option("--importer", default="USA", show_default=True,
              help="ISO3 of the importing country for the exposure and control sections")
@click.pass_obj
def report(obj: Any, output: Path, as_of: str | None, importer: str) -> None:
    """Write a self-contained HTML report of the headline findings (charts, numbers, sources)
    from the stored queries on the current graph; prints the file's path."""
    from ..report import write_report
    path = write_report(obj.store(), output, as_of=_date(as_of), importer=importer)
    click.echo(str(path.resolve()))


@click.command("browser-kit")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("docs/browser"), show_default=True, help="directory to write the kit in")
@click.option("--serve", is_flag=True,
              help="then serve the directory on 127.0.0.1 (with CORS) for :play in the Browser")
@click.option("--port", type=int, default=None, help="port for --serve [default 8001]")
def browser_kit(out_dir: Path, serve: bool, port: int | None) -> None:
    """Generate the Neo4j Browser kit from queries/: style sheet, favourites bundle, guide."""
    from ..report import browser
    written = browser.write_kit(out_dir)
    click.echo(f"wrote {len(written)} files to {out_dir}", err=True)
    if not serve:
        click.echo(str(out_dir))
        return
    server = browser.serve(out_dir, port if port is not None else browser.DEFAULT_PORT)
    actual = server.server_address[1]
    click.echo(f"serving {out_dir} on http://localhost:{actual}/ (Ctrl-C to stop); in Neo4j "
               f"Browser run:\n  :play http://localhost:{actual}/{browser.GUIDE_FILE}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@click.command("docs")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("docs"), show_default=True, help="directory to write the docs in")
def docs_cmd(out_dir: Path) -> None:
    """Regenerate docs/ontology.md (models + OWL) and docs/queries.md (query headers)."""
    from ..report.docs import write_docs
    for path in write_docs(out_dir):
        click.echo(str(path))


@click.command("ids")
@click.argument("label", type=click.Choice(sorted(
    ["material", "product", "country", "firm", "facility", "agreement", "control", "hs", "source"])))
@click.option("--search", default=None, help="only ids or names containing this text (any case)")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
@click.pass_obj
def ids(obj: Any, label: str, search: str | None, fmt: str) -> None:
    """List the valid ids (and names) of a label, for query parameters: `kg ids material`."""
    from ..query_params import ID_LABELS, list_ids
    from ..render import render
    labels = ("Material", "Product") if label == "material" else (ID_LABELS[label],)
    rows = list_ids(obj.store(), labels)
    if search:
        rows = [r for r in rows if search.lower() in f"{r['id']} {r.get('name') or ''}".lower()]
    click.echo(render(rows, fmt, ["id", "name"], title=f"{label} ids",
                      caption=f"{len(rows)} ids"), nl=False)
