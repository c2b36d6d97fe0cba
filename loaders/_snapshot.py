"""Rebuild the bundled snapshot (`loaders/snapshot/<name>/`) from the original public files.

Maintainers run one command over a folder of public files:

    kg snapshot rebuild --from DIR [--source NAME …] [--accept-new] [--retrieved YYYY-MM-DD]

or rebuild one part from files named explicitly:

    python -m loaders._snapshot usgs-mcs MCS2026_Commodities_Data.csv MCS2025_World_Data.csv …
    python -m loaders._snapshot iso3166 country-codes.csv
    python -m loaders._snapshot hs harmonized-system.csv
    python -m loaders._snapshot ev-investments na_ev_supply_chain_investments.csv
    python -m loaders._snapshot fineprint detailed_data_mining.xlsx
    python -m loaders._snapshot baci baci_hs17_v202601_subset_2022.csv baci_hs17_v202601_subset_2024.csv
    python -m loaders._snapshot usitc-dataweb usitc_dataweb_us_imports_*.xlsx usitc_dataweb_us_domestic_exports_*.xlsx
    options: --out DIR  --retrieved YYYY-MM-DD  --copied-from URL (a mirror the bytes came from)

Every loader whose bundled part is derived from public files names its recipe in its registry entry
(`LoaderEntry.snapshot_recipe = "module:function"`): a function that picks the loader's inputs out
of a list of files and gives each its public name and provenance (URL, DOI, archive). `rebuild`
checks each chosen input's sha256 against the part's `manifest.json` — an input the manifest does
not list, one whose sha256 differs, or one the manifest lists but the folder lacks is an error
unless `--accept-new` — for every part before writing any. Each input is then copied under its
public name into a scratch directory with a manifest, parsed by the loader exactly as `kg load`
parses a fresh download, and written as `records.jsonl` (one `record.to_json()` a line) with a
`manifest.json` naming every input with its URL and sha256, so every bundled figure traces to the
public file it came from.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import DataError

from . import get, registry
from ._common import Member, iter_members

SNAPSHOT = Path(__file__).resolve().parent / "snapshot"
SUFFIXES = (".csv", ".xlsx")          # what a folder is searched for (zip archives are opened)

Input = tuple[Member, str, dict[str, Any]]
"""A chosen file, the public name it is stored under, and its provenance (url, doi, archive …)."""
Recipe = Callable[[list[Member]], list[Input]]


def _single(url: str, name: str) -> Recipe:
    """A one-file source: a file named explicitly, or in a folder one whose name ends with `name`."""
    return lambda members: [(m, name, {"url": url}) for m in members
                            if m.listed or m.filename.lower().endswith(name.lower())]


def iso3166_inputs(members: list[Member]) -> list[Input]:
    from .iso3166 import COUNTRY_CODES_URL
    return _single(COUNTRY_CODES_URL, "country-codes.csv")(members)


def hs_inputs(members: list[Member]) -> list[Input]:
    from .hs import HS_URL
    return _single(HS_URL, "harmonized-system.csv")(members)


def ev_investments_inputs(members: list[Member]) -> list[Input]:
    from .ev_investments import FILE, URL
    # the public file's own name differs from the one the copies carry; both end with this
    chosen = _single(URL, FILE)(members) or [
        (m, FILE, {"url": URL}) for m in members if m.filename.lower().endswith("ev_supply_chain_investments.csv")]
    return chosen


def fineprint_inputs(members: list[Member]) -> list[Input]:
    from .fineprint import FILE, URL
    return _single(URL, FILE)(members)


def recipe(name: str) -> Recipe | None:
    """The loader's snapshot recipe, named by its registry entry (`snapshot_recipe`)."""
    reg = registry()
    spec = reg.entry(name).snapshot_recipe if name in reg else None
    if spec is None:
        return None
    module, _, attr = spec.partition(":")
    found: Recipe = getattr(importlib.import_module(module), attr)
    return found


def recipes() -> dict[str, Recipe]:
    """Loader name -> recipe, for every registered loader that declares one."""
    out = {}
    for name in registry():
        found = recipe(name)
        if found is not None:
            out[name] = found
    return out


@dataclass
class Outcome:
    source: str
    inputs: int = 0
    records: dict[str, int] | None = None
    new: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    skipped: str | None = None


def check(name: str, inputs: list[Input], manifest: dict[str, Any]) -> Outcome:
    """Compare the chosen inputs with the part's manifest by public name and sha256."""
    known = {e["file"]: e["sha256"] for e in manifest.get("files", [])}
    given = {public: m.sha256 for m, public, _ in inputs}
    return Outcome(
        name, len(inputs),
        new=tuple(sorted(p for p in given if p not in known)),
        changed=tuple(sorted(p for p, sha in given.items() if p in known and known[p] != sha)),
        missing=tuple(sorted(p for p in known if p not in given)))


def rebuild(source_dir: Path, names: list[str] | None = None, *, accept_new: bool = False,
            retrieved: str | None = None, root: Path = SNAPSHOT) -> list[Outcome]:
    """Check every chosen loader's inputs first, then regenerate the parts (all or nothing)."""
    if not source_dir.is_dir():
        raise DataError("not a directory", file=str(source_dir))
    available = recipes()
    unknown = [n for n in names or [] if n not in available]
    if unknown:
        raise DataError(f"no snapshot recipe for {', '.join(unknown)}; loaders with one: "
                        f"{', '.join(sorted(available))}", file=str(source_dir))
    members = list(iter_members([source_dir], SUFFIXES))
    plans: list[tuple[Outcome, list[Input], dict[str, Any]]] = []
    for name in names or sorted(available):
        inputs = available[name](members)
        manifest = _manifest(root / name)
        if not inputs:
            plans.append((Outcome(name, skipped=f"no input for {name} in {source_dir}"), [], manifest))
            continue
        outcome = check(name, inputs, manifest)
        if (outcome.new or outcome.changed or outcome.missing) and not accept_new:
            raise DataError(_difference(outcome) + "; check the files, then rerun with --accept-new "
                            "to record them in the manifest", file=str(root / name / "manifest.json"))
        plans.append((outcome, inputs, manifest))
    # Parse every part before writing any, so a loader that fails leaves every part as it was.
    rendered = [(outcome, render(outcome.source, inputs, manifest, retrieved=retrieved))
                for outcome, inputs, manifest in plans if inputs]
    for outcome, part in rendered:
        outcome.records = part.write(root / outcome.source)
    return [p[0] for p in plans]


def _difference(o: Outcome) -> str:
    parts = [f"{label}: {', '.join(files)}" for label, files in
             (("new inputs", o.new), ("changed inputs (sha256 differs)", o.changed),
              ("inputs in the manifest but not given", o.missing)) if files]
    return f"{o.source}: " + "; ".join(parts)


def _manifest(directory: Path) -> dict[str, Any]:
    path = directory / "manifest.json"
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DataError(f"unreadable manifest ({exc})", file=str(path)) from None
    return data if isinstance(data, dict) else {}


@dataclass
class Part:
    """A bundled part ready to write: its records (JSON Lines) and manifest."""

    lines: list[str]
    manifest: dict[str, Any]

    def write(self, out: Path) -> dict[str, int]:
        out.mkdir(parents=True, exist_ok=True)
        with (out / "records.jsonl").open("w", encoding="utf-8", newline="\n") as fh:
            fh.writelines(self.lines)
        (out / "manifest.json").write_text(json.dumps(self.manifest, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
        counts: dict[str, int] = self.manifest["records"]
        return counts


def render(name: str, inputs: list[Input], manifest: dict[str, Any] | None = None, *,
           retrieved: str | None = None, copied_from: str | None = None,
           generator: str | None = None) -> Part:
    """Parse the inputs as `kg load` would: the part's records and manifest, not yet written."""
    loader = get(name)
    previous = {(e["file"], e["sha256"]): e for e in (manifest or {}).get("files", [])}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        files = []
        for member, public, extra in inputs:
            (scratch / public).write_bytes(member.data)
            entry = {"file": public, **extra, "sha256": member.sha256, "size": len(member.data),
                     "retrieved": retrieved or member.retrieved}
            if copied_from:
                entry["copied_from"] = copied_from
            # An unchanged input keeps its recorded retrieval date and the mirror it was copied from.
            old = previous.get((public, member.sha256), {})
            entry.update({k: old[k] for k in ("retrieved", "copied_from") if k in old})
            files.append(entry)
        files.sort(key=lambda e: e["file"])
        (scratch / "manifest.json").write_text(json.dumps({"source": name, "files": files}),
                                               encoding="utf-8")
        # Loaders that resolve firm names report the matches they would not merge: the manifest
        # keeps them so a reviewer sees every ambiguous or near match behind the bundled records.
        matches: list[Any] = []
        takes_report = "report" in inspect.signature(loader.parse).parameters
        kwargs: dict[str, Any] = {"report": matches} if takes_report else {}
        # A loader may bundle a trimmed cut of what `kg load` reads (its `snapshot_parse`).
        parse = getattr(loader, "snapshot_parse", loader.parse)
        records = list(parse([scratch] if files else [], **kwargs))
    lines = [json.dumps(record.to_json(), ensure_ascii=False) + "\n" for record in records]
    text: dict[str, Any] = {"source": name,
                            "generator": generator or f"kg snapshot rebuild --from DIR --source {name}",
                            "records": dict(sorted(Counter(r.type_name for r in records).items())),
                            "files": files}
    if takes_report:
        text["firm_matches"] = [m.to_json() for m in matches]
        for entry in text["firm_matches"]:
            entry["where"] = entry["where"].rsplit("/", 1)[-1]   # the file name, not the scratch dir
    return Part(lines, text)


def build(name: str, sources: list[Path], out: Path, retrieved: str | None = None,
          copied_from: str | None = None) -> dict[str, int]:
    """One part from files named explicitly (no manifest check): `python -m loaders._snapshot`."""
    found = recipe(name)
    if found is None:
        raise SystemExit(f"no snapshot recipe for {name!r}")
    inputs = found(list(iter_members(sources, SUFFIXES)))
    return render(name, inputs, _manifest(out), retrieved=retrieved, copied_from=copied_from,
                  generator=f"python -m loaders._snapshot {name} <the files below>").write(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loaders._snapshot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    reg = registry()
    parser.add_argument("name", choices=[n for n in reg if reg.entry(n).snapshot_recipe])
    parser.add_argument("sources", nargs="*", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--retrieved", help="retrieval date to record (default: each file's date)")
    parser.add_argument("--copied-from", help="URL of a mirror the bytes were copied from")
    args = parser.parse_args(argv)
    counts = build(args.name, args.sources, args.out or SNAPSHOT / args.name, args.retrieved,
                   args.copied_from)
    print(json.dumps(counts), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
