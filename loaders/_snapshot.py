"""Regenerate a bundled snapshot (`loaders/snapshot/<name>/`) from the original public files.

    python -m loaders._snapshot usgs-mcs MCS2025_World_Data.csv salient_dir/ industry_trends_dir/
    python -m loaders._snapshot iso3166 country-codes.csv
    python -m loaders._snapshot hs harmonized-system.csv
    options: --out DIR  --retrieved YYYY-MM-DD  --copied-from URL (a mirror the bytes came from)

Each input is copied under its original public name into a scratch directory with a manifest
(public URL, sha256, retrieval date), parsed by the loader exactly as `kg load` parses a fresh
download, and written as `records.jsonl` (one `record.to_json()` a line) with a `manifest.json`
naming the inputs. Inputs the loader does not read (other tables in a release folder) are left out.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import get, registry
from ._common import Member, iter_members

SNAPSHOT = Path(__file__).resolve().parent / "snapshot"
SCIENCEBASE_ITEM = "https://www.sciencebase.gov/catalog/item/{item}"


def usgs_inputs(members: list[Member]) -> list[tuple[Member, str, dict[str, Any]]]:
    from . import usgs_mcs
    out = []
    for m in members:
        kind = usgs_mcs._kind(m)
        if kind is None:
            continue
        edition = usgs_mcs._edition(m)
        item, doi = usgs_mcs.EDITIONS[edition]
        if kind == "world":
            name, archive = f"MCS{edition}_World_Data.csv", "World_Data.zip"
        elif kind == "salient":
            found = re.search(r"(mcs\d{4}-?[a-z]+_salient\.csv)$", m.filename, re.I)
            name, archive = (found.group(1) if found else m.filename), "Salient_Commodity.zip"
        else:
            found = re.search(r"(MCS\d{4}_.+\.csv)$", m.filename, re.I)
            name, archive = (found.group(1) if found else m.filename), "Industry_Trends.zip"
        out.append((m, name, {"url": SCIENCEBASE_ITEM.format(item=item), "doi": doi,
                              "archive": archive, "member": name}))
    return out


def _single(url: str, name: str) -> Callable[[list[Member]], list[tuple[Member, str, dict[str, Any]]]]:
    return lambda members: [(m, name, {"url": url}) for m in members]


def iso3166_inputs(members: list[Member]) -> list[tuple[Member, str, dict[str, Any]]]:
    from .iso3166 import COUNTRY_CODES_URL
    return _single(COUNTRY_CODES_URL, "country-codes.csv")(members)


def hs_inputs(members: list[Member]) -> list[tuple[Member, str, dict[str, Any]]]:
    from .hs import HS_URL
    return _single(HS_URL, "harmonized-system.csv")(members)


def _inputs(name: str) -> Callable[[list[Member]], list[tuple[Member, str, dict[str, Any]]]]:
    """The loader's snapshot recipe, named by its registry entry (`snapshot_recipe`)."""
    reg = registry()
    recipe = reg.entry(name).snapshot_recipe if name in reg else None
    if recipe is None:
        raise SystemExit(f"no snapshot recipe for {name!r}")
    module, _, attr = recipe.partition(":")
    found: Callable[[list[Member]], list[tuple[Member, str, dict[str, Any]]]] = getattr(
        importlib.import_module(module), attr)
    return found


def build(name: str, sources: list[Path], out: Path, retrieved: str | None = None,
          copied_from: str | None = None) -> dict[str, int]:
    loader = get(name)
    inputs = _inputs(name)(list(iter_members(sources)))
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        files = []
        for member, original, extra in inputs:
            (scratch / original).write_bytes(member.data)
            entry = {"file": original, **extra, "sha256": member.sha256, "size": len(member.data),
                     "retrieved": retrieved or member.retrieved}
            if copied_from:
                entry["copied_from"] = copied_from
            files.append(entry)
        files.sort(key=lambda e: e["file"])
        (scratch / "manifest.json").write_text(json.dumps({"source": name, "files": files}),
                                               encoding="utf-8")
        records = list(loader.parse([scratch] if files else []))
    out.mkdir(parents=True, exist_ok=True)
    with (out / "records.jsonl").open("w", encoding="utf-8", newline="\n") as fh:
        for record in records:
            fh.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    counts = dict(sorted(Counter(r.type_name for r in records).items()))
    manifest = {"source": name,
                "generator": f"python -m loaders._snapshot {name} <the files below>",
                "records": counts, "files": files}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loaders._snapshot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", choices=["usgs-mcs", "iso3166", "hs"])
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
