"""Rebuild the bundled snapshot (`loaders/snapshot/<name>/`) from the original public files.

    kg snapshot rebuild --from DIR [--source NAME …] [--accept-new] [--retrieved YYYY-MM-DD]

Every loader whose bundled part is derived from public files declares its recipe in its own module
as `SNAPSHOT = Recipe(select=…)`: which files of DIR it reads and under which public name and URL.
For each such loader the command picks its inputs out of DIR, checks each one's sha256 against the
part's `manifest.json` (a new, changed or missing input is an error unless `--accept-new`), parses
them with the loader exactly as `kg load` does, and writes `records.jsonl` (one `record.to_json()`
a line) and a `manifest.json` naming every input with its public URL and sha256, so every bundled
figure can be traced to the public file it came from. A loader with no input in DIR is left as it is.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import DataError

from . import LOADERS, get
from ._common import Member, iter_members

SNAPSHOT = Path(__file__).resolve().parent / "snapshot"

Input = tuple[Member, str, dict[str, Any]]
"""A chosen file, the public name it is stored under, and its provenance (url, doi, archive …)."""


@dataclass(frozen=True)
class Recipe:
    """How a loader's bundled part is made: `select` picks the loader's inputs out of a folder."""

    select: Callable[[list[Member]], list[Input]]
    suffixes: tuple[str, ...] = (".csv",)


def by_name(pattern: str, public_name: str, url: str) -> Recipe:
    """A recipe for a one-file source: files whose name ends with `pattern`."""
    def select(members: list[Member]) -> list[Input]:
        return [(m, public_name, {"url": url}) for m in members if m.filename.lower().endswith(pattern)]
    return Recipe(select)


def recipes() -> dict[str, Recipe]:
    """Loader name -> its recipe, for every loader module that declares `SNAPSHOT`."""
    out = {}
    for name in LOADERS:
        try:
            module = get(name)
        except ModuleNotFoundError:
            continue
        recipe = getattr(module, "SNAPSHOT", None)
        if isinstance(recipe, Recipe):
            out[name] = recipe
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
    plans: list[tuple[Outcome, list[Input], dict[str, Any]]] = []
    for name in names or sorted(available):
        recipe = available[name]
        inputs = recipe.select(list(iter_members([source_dir], recipe.suffixes)))
        manifest = _manifest(root / name)
        if not inputs:
            plans.append((Outcome(name, skipped=f"no input for {name} in {source_dir}"), [], manifest))
            continue
        outcome = check(name, inputs, manifest)
        if (outcome.new or outcome.changed or outcome.missing) and not accept_new:
            raise DataError(_difference(outcome) + "; check the files, then rerun with --accept-new "
                            "to record them in the manifest", file=str(root / name / "manifest.json"))
        plans.append((outcome, inputs, manifest))
    for outcome, inputs, manifest in plans:
        if inputs:
            outcome.records = build(outcome.source, inputs, root / outcome.source, manifest,
                                    retrieved=retrieved)
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


def build(name: str, inputs: list[Input], out: Path, manifest: dict[str, Any] | None = None, *,
          retrieved: str | None = None) -> dict[str, int]:
    """Parse the inputs as `kg load` would and write the part's records and manifest."""
    previous = {(e["file"], e["sha256"]): e for e in (manifest or {}).get("files", [])}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        files = []
        for member, public, extra in inputs:
            (scratch / public).write_bytes(member.data)
            entry = {"file": public, **extra, "sha256": member.sha256, "size": len(member.data),
                     "retrieved": retrieved or member.retrieved}
            # An unchanged input keeps its recorded retrieval date and the mirror it was copied from.
            old = previous.get((public, member.sha256), {})
            entry.update({k: old[k] for k in ("retrieved", "copied_from") if k in old})
            files.append(entry)
        files.sort(key=lambda e: e["file"])
        (scratch / "manifest.json").write_text(json.dumps({"source": name, "files": files}),
                                               encoding="utf-8")
        records = list(get(name).parse([scratch]))
    out.mkdir(parents=True, exist_ok=True)
    with (out / "records.jsonl").open("w", encoding="utf-8", newline="\n") as fh:
        for record in records:
            fh.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    counts = dict(sorted(Counter(r.type_name for r in records).items()))
    text = json.dumps({"source": name,
                       "generator": f"kg snapshot rebuild --from DIR --source {name}",
                       "records": counts, "files": files}, indent=2, ensure_ascii=False) + "\n"
    (out / "manifest.json").write_text(text, encoding="utf-8")
    return counts
