"""Shared Cypher fragments (`queries/fragments/<name>.cypher.in`) rendered as text.

The query files carry generated copies of these (kg.query_fragments writes them); the store's
derived aggregates (kg.store.derived) render the latest-figure rule from the same file, so the
rule exists once. This module sits below the store in the layers: it reads files, nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from .errors import UsageError
from .paths import queries_dir

CARRY = "__CARRY__"


def fragment_path(name: str, directory: Path | None = None) -> Path:
    return (directory or queries_dir()) / "fragments" / f"{name}.cypher.in"


def render_fragment(name: str, carry: list[str], directory: Path | None = None,
                    indent: str = "", bind: dict[str, str] | None = None) -> str:
    """The fragment's Cypher with the carried variables filled in (its comment header dropped)
    and each bound `$param` replaced by its expression."""
    path = fragment_path(name, directory)
    if not path.is_file():
        raise UsageError(f"{path}: no such query fragment")
    lines = path.read_text(encoding="utf-8").splitlines()
    while lines and lines[0].startswith("//"):
        lines.pop(0)
    prefix = "".join(f"{v}, " for v in carry)
    text = "".join(f"{indent}{line.replace(CARRY, prefix)}".rstrip() + "\n" for line in lines)
    for param, expr in (bind or {}).items():
        # (a replacement function, so a backslash in the expression is not read as an escape)
        text = re.sub(rf"\${re.escape(param)}\b", _literal(expr), text)
    return text


def _literal(text: str) -> Callable[[re.Match[str]], str]:
    return lambda _m: text
