"""The `kg` command line: the only composition root. Results to stdout, logs to stderr."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from . import api
from .config import Settings
from .errors import KGError, UsageError
from .render import render
from .version import __version__

log = logging.getLogger("kg")
FORMATS = click.Choice(["table", "json", "csv"])


class Ctx:
    def __init__(self, store: str | None, home: str | None, quiet: bool = False) -> None:
        self.settings = Settings.from_env(store=store, home=home)
        self.quiet = quiet
        self._store: Any = None

    def store(self) -> Any:
        if self._store is None:
            from .store import open_store
            self._store = open_store(self.settings)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


class _RichProgress:
    """Progress on stderr for long loads (rich); silent when stderr is not a terminal or --quiet.

    Called as progress(label, rows) after each batch; `phase(name, total)` starts a new bar.
    """

    def __init__(self, enabled: bool) -> None:
        self.bar: Any = None
        self.task: Any = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=Console(stderr=True), transient=True)

    def __enter__(self) -> _RichProgress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()

    def phase(self, name: str, total: int | None) -> None:
        if self.bar is not None:
            if self.task is not None:
                self.bar.remove_task(self.task)
            self.task = self.bar.add_task(name, total=total)

    def __call__(self, label: str, rows: int) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, advance=rows)


def _progress(obj: Ctx) -> _RichProgress:
    return _RichProgress(enabled=not obj.quiet and sys.stderr.isatty())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", envvar="KG_STORE", default=None,
              help="'embedded' (default) or a Neo4j URI such as bolt://localhost:7687 [env KG_STORE]")
@click.option("--home", envvar="KG_HOME", default=None, type=click.Path(file_okay=False),
              help="data directory of the embedded store and download cache "
                   "[env KG_HOME; default ~/.local/share/chokepoint]")
@click.option("-v", "--verbose", is_flag=True, help="log debug messages to stderr")
@click.option("-q", "--quiet", is_flag=True, help="no progress output")
@click.version_option(__version__, prog_name="kg")
@click.pass_context
def cli(ctx: click.Context, store: str | None, home: str | None, verbose: bool, quiet: bool) -> None:
    """Chokepoint: a knowledge graph of critical-material supply chains."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.obj = Ctx(store, home, quiet)
    ctx.call_on_close(ctx.obj.close)


def _summary(report: Any, title: str) -> str:
    rows = [{"type": k, "records": v} for k, v in sorted(report.by_type.items())]
    caption = (f"{report.nodes:,} nodes ({report.nodes_created:,} new), "
               f"{report.relationships:,} relationships ({report.relationships_created:,} new) "
               f"in {report.seconds:.2f}s")
    return render(rows, "table", title=title, caption=caption)


@cli.command()
@click.option("--offline", is_flag=True, help="use only the bundled snapshot, not cached downloads")
@click.option("--source", "sources", multiple=True, help="load only this source (repeatable)")
@click.option("--fresh", is_flag=True, help="replace the graph instead of merging into it")
@click.pass_obj
def build(obj: Ctx, offline: bool, sources: tuple[str, ...], fresh: bool) -> None:
    """Load the bundled snapshot (and cached downloads) into the store."""
    store = obj.store()
    with _progress(obj) as progress:
        report = api.build(store, sources or None, offline=offline, fresh=fresh,
                           progress=progress, home=obj.settings.home)
    click.echo(_summary(report, f"kg build → {store.backend} store"), nl=False)


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--max-errors", type=click.IntRange(min=1), default=100, show_default=True,
              help="report up to this many bad records (grouped by field), then stop reading")
@click.pass_obj
def import_(obj: Ctx, files: tuple[Path, ...], max_errors: int) -> None:
    """Load records files (JSON Lines, or CSV named <type>.csv) validated against the ontology."""
    store = obj.store()
    with _progress(obj) as progress:
        report = api.import_records(store, files, progress=progress, max_errors=max_errors)
    click.echo(_summary(report, "kg import"), nl=False)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "turtle", "nt", "jsonld", "trig"]),
              default="jsonl", show_default=True,
              help="jsonl: the records format `kg import` reads; turtle, nt, jsonld, trig (one "
                   "named graph per source): RDF in the ontology of ontology/")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write to FILE (atomically) instead of stdout")
@click.pass_obj
def export(obj: Ctx, fmt: str, output: Path | None) -> None:
    """Export the whole graph, streamed: records (jsonl) or RDF (turtle, nt, jsonld, trig)."""
    store = obj.store()

    def write(out: Any) -> str:
        if fmt == "jsonl":
            return f"{api.export_jsonl(store, out):,} records"
        from .rdf import export_rdf
        report = export_rdf(store, out, fmt)
        return (f"{report.nodes:,} nodes and {report.relationships:,} relationships as "
                f"{report.statements:,} triples ({report.per_second:,.0f}/s)")

    if output is None:
        write(sys.stdout if fmt == "jsonl" else sys.stdout.buffer)
        return
    tmp = output.with_name(f".{output.name}.part")
    try:
        with (tmp.open("w", encoding="utf-8") if fmt == "jsonl" else tmp.open("wb")) as fh:
            what = write(fh)
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    click.echo(f"wrote {what} to {output}", err=True)


@cli.command()
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
def queries(fmt: str) -> None:
    """List the stored queries with their parameters."""
    from .queries import list_queries
    rows = []
    for q in list_queries().values():
        params = ", ".join(f"{p.name}: {p.type}" + ("" if p.required else f" = {json.dumps(p.default)}")
                           for p in q.params.values())
        rows.append({"name": q.name, "title": q.title, "parameters": params,
                     **({"description": q.description, "returns": q.returns} if fmt != "table" else {})})
    click.echo(render(rows, fmt), nl=False)


def _parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"parameter {pair!r} must be key=value")
        key, value = pair.split("=", 1)
        out[key.strip()] = value
    return out


@cli.command()
@click.argument("name")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="query parameter (repeatable); values are coerced to the declared type")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_obj
def query(obj: Ctx, name: str, params: tuple[str, ...], fmt: str) -> None:
    """Run a stored query (see `kg queries`)."""
    from .queries import get_query, run_query
    stored = get_query(name)              # unknown query / bad params fail before the store starts
    stored.bind(_parse_params(params))
    stored, rows = run_query(obj.store(), name, _parse_params(params))
    if fmt == "table":
        # Terminal tables show the query's `// table:` columns; json/csv carry every column.
        cols = stored.table or stored.returns
        shown = [{c: r.get(c) for c in cols} for r in rows]
        click.echo(render(shown, fmt, cols, title=stored.title,
                          caption=f"{len(rows)} rows · {stored.path.name} · --format json for all "
                                  f"columns"), nl=False)
        return
    click.echo(render(rows, fmt, stored.returns), nl=False)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def stats(obj: Ctx, fmt: str) -> None:
    """Node counts per label and relationship counts per type."""
    counts = obj.store().stats()
    if fmt == "json":
        click.echo(json.dumps(counts, indent=2))
        return
    rows = [{"kind": "node", "name": k, "count": v} for k, v in counts["nodes"].items()]
    rows += [{"kind": "relationship", "name": k, "count": v} for k, v in counts["relationships"].items()]
    from .build import current_manifest
    doc = current_manifest(obj.store())
    caption = None
    if doc:
        caption = (f"built {doc['built_at']} by kg {doc['tool_version']} (ontology "
                   f"{doc.get('ontology_version') or '?'}) from "
                   + ", ".join(s["name"] for s in doc["sources"]) + " — `kg sources` for releases")
    click.echo(render(rows, "table", title="graph contents", caption=caption), nl=False)


@cli.group()
def store() -> None:
    """Manage the embedded FalkorDB server."""


def _home(obj: Ctx) -> Path:
    if not obj.settings.is_embedded:
        raise UsageError("`kg store` manages the embedded server; --store points at Neo4j")
    return obj.settings.home


@store.command("start")
@click.pass_obj
def store_start(obj: Ctx) -> None:
    """Start the embedded server (or report the running one)."""
    from .store import embedded
    info = embedded.start(_home(obj))
    click.echo(json.dumps({"status": "running", **info.as_public_dict()}))


@store.command("stop")
@click.option("--force", is_flag=True, help="stop without saving (when the save itself fails)")
@click.pass_obj
def store_stop(obj: Ctx, force: bool) -> None:
    """Save and stop the embedded server."""
    from .store import embedded
    stopped = embedded.stop(_home(obj), force=force)
    click.echo(json.dumps({"status": "stopped" if stopped else "not running"}))


@store.command("status")
@click.pass_obj
def store_status(obj: Ctx) -> None:
    """Is the embedded server running? Exit 0 if so, 3 if not."""
    from .store import embedded
    info = embedded.status(_home(obj))
    if info is None:
        click.echo(json.dumps({"status": "not running", "home": str(_home(obj))}))
        sys.exit(3)
    click.echo(json.dumps({"status": "running", "home": str(_home(obj)), **info.as_public_dict()}))


def _register_commands() -> None:
    """The commands in kg/commands/, one line each in COMMAND_MODULES."""
    import importlib
    for module_name, names in COMMAND_MODULES:
        module = importlib.import_module(f"kg.commands.{module_name}")
        for name in names:
            cli.add_command(getattr(module, name))


COMMAND_MODULES: list[tuple[str, list[str]]] = [
    ("sources", ["fetch", "load", "sources"]),
    ("release", ["release", "verify", "diff_cmd"]),
    ("rdf", ["validate"]),
    ("analyst", ["report", "browser_kit", "docs_cmd", "ids"]),
    ("snapshot", ["snapshot"]),
]
_register_commands()


def _terminate(signum: int, _frame: Any) -> None:
    """SIGTERM/SIGHUP unwind like Ctrl-C, so a load drops its stage and scratch files."""
    raise SystemExit(128 + signum)


def main() -> None:
    """Entry point: KGError -> clean message and exit code (1 data, 2 usage)."""
    import signal
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _terminate)
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except KGError as exc:
        if logging.getLogger().isEnabledFor(logging.DEBUG):    # -v: the traceback and its causes
            traceback.print_exception(exc, file=sys.stderr)
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except OSError as exc:
        # e.g. a full disk while writing an output file: the cause, not a traceback
        where = f" ({exc.filename})" if exc.filename else ""
        click.echo(f"error: {exc.strerror or exc}{where}", err=True)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
