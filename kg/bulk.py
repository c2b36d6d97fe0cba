"""Neo4j bulk import: node and relationship CSVs with typed headers for `neo4j-admin database import`.

Quoting follows RFC 4180, which neo4j-admin 5 reads by default: every field quoted, embedded
quotes doubled, newlines kept inside quotes (`--multiline-fields=true`). Arrays use the ASCII unit
separator U+001F as delimiter, so `;`, `,` and `|` inside values survive; a value that contains
U+001F itself is refused rather than silently split. Floats are written as `double` (neo4j-admin's
`float` is 32-bit and would round shares).
"""

from __future__ import annotations

import csv
import os
import shlex
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import DataError
from .models import NODE_TYPES, RELATIONSHIP_TYPES, Record
from .store import GraphStore

ARRAY_DELIMITER = "\x1f"
ARRAY_DELIMITER_ARG = "U+001F"

_SKIP_FIELDS = {"type", "from_id", "to_id"}


def _neo_type(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin in (tuple, list):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        inner = _neo_type(args[0]) if args else "string"
        return f"{inner}[]"
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "long"
    if annotation is float:
        return "double"
    for arg in typing.get_args(annotation):
        if arg is type(None):
            continue
        kind = _neo_type(arg)
        if kind != "string":
            return kind
    return "string"


def columns(cls: type[Record]) -> list[tuple[str, str]]:
    """(property, neo4j-admin type) for every field of a record class, in model order."""
    out = []
    for name, finfo in cls.model_fields.items():
        if name in _SKIP_FIELDS or name == "id":
            continue
        out.append((name, _neo_type(finfo.annotation)))
    return out


def _cell(value: Any, kind: str, where: str) -> str:
    if value is None:
        return ""
    if kind.endswith("[]"):
        items = [_cell(v, kind[:-2], where) for v in value]
        for item in items:
            if ARRAY_DELIMITER in item:
                raise DataError("an array value contains the array delimiter U+001F",
                                file=where)
        return ARRAY_DELIMITER.join(items)
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "double":
        return repr(float(value))
    return str(value)


def export_neo4j_admin(store: GraphStore, directory: Path, *, database: str = "neo4j") -> list[Path]:
    """Write nodes_<Label>.csv, rels_<TYPE>.csv and import.sh into `directory`."""
    return write_neo4j_admin(store.iter_nodes(), store.iter_relationships(), directory,
                             database=database)


def write_neo4j_admin(nodes: Iterable[dict[str, Any]], relationships: Iterable[dict[str, Any]],
                      directory: Path, *, database: str = "neo4j") -> list[Path]:
    """The bulk-import files for rows in the records format (nodes first)."""
    directory.mkdir(parents=True, exist_ok=True)
    writers: dict[str, tuple[Any, Any, list[tuple[str, str]]]] = {}
    written: list[Path] = []

    def writer_for(name: str, header: list[str], cols: list[tuple[str, str]]) -> Any:
        if name not in writers:
            path = directory / f"{name}.csv"
            fh = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 -- closed after the last row
            w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n")
            w.writerow(header)
            writers[name] = (fh, w, cols)
            written.append(path)
        return writers[name][1]

    try:
        for node in nodes:
            label = node["type"]
            cols = columns(NODE_TYPES[label])
            header = ["id:ID", ":LABEL"] + [f"{n}:{t}" for n, t in cols]
            w = writer_for(f"nodes_{label}", header, cols)
            w.writerow([node["id"], label] + [_cell(node.get(n), t, f"node {node['id']}")
                                               for n, t in cols])
        for rel in relationships:
            rtype = rel["type"]
            cols = columns(RELATIONSHIP_TYPES[rtype])
            header = [":START_ID", ":END_ID", ":TYPE"] + [f"{n}:{t}" for n, t in cols]
            w = writer_for(f"rels_{rtype}", header, cols)
            where = f"{rtype} {rel['from']}->{rel['to']}"
            w.writerow([rel["from"], rel["to"], rtype] + [_cell(rel.get(n), t, where) for n, t in cols])
    finally:
        for fh, _, _ in writers.values():
            fh.close()
    script = directory / "import.sh"
    args = [f"--nodes={p.name}" for p in written if p.name.startswith("nodes_")]
    args += [f"--relationships={p.name}" for p in written if p.name.startswith("rels_")]
    script.write_text(
        "#!/usr/bin/env bash\n"
        "# Bulk-load these CSVs into an empty, stopped Neo4j 5 database (neo4j-admin on PATH).\n"
        "# Usage: ./import.sh [database]   (default: " + database + ")\n"
        "set -euo pipefail\ncd \"$(dirname \"$0\")\"\n"
        "neo4j-admin database import full \"${1:-" + database + "}\" \\\n"
        f"  --overwrite-destination=true --multiline-fields=true \\\n"
        f"  --array-delimiter={ARRAY_DELIMITER_ARG} --quote='\"' --id-type=string \\\n"
        + " \\\n".join(f"  {shlex.quote(a)}" for a in args) + "\n", encoding="utf-8")
    os.chmod(script, 0o755)
    written.append(script)
    return written


def read_neo4j_admin(directory: Path) -> Iterable[dict[str, Any]]:
    """Parse the CSVs back into records (for tests and `kg import` of a release)."""
    for path in sorted(directory.glob("nodes_*.csv")) + sorted(directory.glob("rels_*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            for row in reader:
                rec: dict[str, Any] = {}
                for col, raw in zip(header, row, strict=False):
                    name, _, kind = col.partition(":")
                    if col == ":LABEL" or col == ":TYPE":
                        rec["type"] = raw
                    elif col == ":START_ID":
                        rec["from"] = raw
                    elif col == ":END_ID":
                        rec["to"] = raw
                    elif col == "id:ID":
                        rec["id"] = raw
                    elif raw != "":
                        rec[name] = _parse(raw, kind)
                yield rec


def _parse(raw: str, kind: str) -> Any:
    if kind.endswith("[]"):
        return [_parse(v, kind[:-2]) for v in raw.split(ARRAY_DELIMITER)] if raw else []
    if kind == "boolean":
        return raw == "true"
    if kind == "long":
        return int(raw)
    if kind == "double":
        return float(raw)
    return raw
