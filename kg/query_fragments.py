"""Shared Cypher fragments, written once and copied into the stored queries that use them.

A rule several queries must apply the same way (the latest figure of a supply stage, see
docs/queries.md) lives in `queries/fragments/<name>.cypher.in`. A query file marks where it is
used:

    // BEGIN fragment latest-figure(cid, owned) -- generated from queries/fragments/...
    ...
    // END fragment latest-figure

The names in parentheses are the variables the query carries through the fragment. The block is
generated text: edit the fragment, then run `python -m kg.query_fragments` to rewrite the blocks;
`tests/test_query_fragments.py` fails while a block differs from its fragment. Copies rather than
a runtime include keep every query file a complete Cypher statement that Neo4j Browser runs as is.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .errors import UsageError
from .paths import queries_dir

CARRY = "__CARRY__"
_BLOCK = re.compile(r"^(?P<indent>[ \t]*)// BEGIN fragment (?P<name>[\w-]+)\((?P<carry>[^)]*)\)"
                    r"[^\n]*\n(?P<body>.*?)^[ \t]*// END fragment (?P=name)[ \t]*$", re.M | re.S)


def fragment_path(name: str, directory: Path | None = None) -> Path:
    return (directory or queries_dir()) / "fragments" / f"{name}.cypher.in"


def render_fragment(name: str, carry: list[str], directory: Path | None = None,
                    indent: str = "") -> str:
    """The fragment's Cypher with the carried variables filled in (its comment header dropped)."""
    path = fragment_path(name, directory)
    if not path.is_file():
        raise UsageError(f"{path}: no such query fragment")
    lines = path.read_text(encoding="utf-8").splitlines()
    while lines and lines[0].startswith("//"):
        lines.pop(0)
    prefix = "".join(f"{v}, " for v in carry)
    return "".join(f"{indent}{line.replace(CARRY, prefix)}".rstrip() + "\n" for line in lines)


def expand(text: str, directory: Path | None = None) -> str:
    """`text` with every fragment block regenerated from its fragment file."""
    def block(m: re.Match[str]) -> str:
        carry = [v.strip() for v in m.group("carry").split(",") if v.strip()]
        first, indent = m.group(0).split("\n", 1)[0], m.group("indent")
        return (f"{first}\n{render_fragment(m.group('name'), carry, directory, indent)}"
                f"{indent}// END fragment {m.group('name')}")
    return _BLOCK.sub(block, text)


def uses(text: str) -> list[str]:
    """Names of the fragments a query file uses."""
    return [m.group("name") for m in _BLOCK.finditer(text)]


def stale(directory: Path | None = None) -> list[Path]:
    """Query files whose fragment blocks differ from their fragments."""
    directory = directory or queries_dir()
    return [p for p in sorted(directory.glob("*.cypher"))
            if expand(p.read_text(encoding="utf-8"), directory) != p.read_text(encoding="utf-8")]


def main(argv: list[str] | None = None) -> int:
    """Rewrite the fragment blocks of `queries/*.cypher` (a maintainer command)."""
    directory = Path(argv[0]) if argv else queries_dir()
    for path in stale(directory):
        path.write_text(expand(path.read_text(encoding="utf-8"), directory), encoding="utf-8")
        print(f"rewrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
