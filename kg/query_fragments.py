"""Generated parts of the stored queries: shared Cypher fragments and Neo4j Browser lines.

A rule several queries must apply the same way (the latest figure of a supply stage, see
docs/queries.md) lives in `queries/fragments/<name>.cypher.in`. A query file marks where it is
used:

    // BEGIN fragment latest-figure(cid, owned) -- generated from queries/fragments/...
    ...
    // END fragment latest-figure

The names in parentheses are the variables the query carries through the fragment; after a `;`,
`$param = expression` pairs bind a parameter the fragment reads to an expression of the query
(`latest-figure(as_of_year; $year = as_of_year)` for a query that has no `year` parameter). The
block is
generated text: edit the fragment, then run `python -m kg.query_fragments` to rewrite the blocks;
`tests/test_query_fragments.py` fails while a block differs from its fragment. Copies rather than
a runtime include keep every query file a complete Cypher statement.

Neo4j Browser refuses a query whose parameters are not set, so each file's header also ends with
the `:param` lines of its defaults (commented out; the Browser favourites carry them uncommented),
regenerated from the `// param` declarations by the same command.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .errors import UsageError
from .fragments import fragment_path, render_fragment
from .paths import queries_dir
from .queries import param_lines, parse_query_file

__all__ = ["expand", "fragment_path", "generated", "main", "parse_arguments", "render_fragment",
           "stale", "uses", "with_browser_lines"]

BROWSER_HEAD = ("// Neo4j Browser: set the parameters first - run each line below without its "
                "leading //, editing the values:")
_BLOCK = re.compile(r"^(?P<indent>[ \t]*)// BEGIN fragment (?P<name>[\w-]+)\((?P<carry>[^)]*)\)"
                    r"[^\n]*\n(?P<body>.*?)^[ \t]*// END fragment (?P=name)[ \t]*$", re.MULTILINE | re.DOTALL)


def parse_arguments(text: str) -> tuple[list[str], dict[str, str]]:
    """`a, b; $year = y` -> (["a", "b"], {"year": "y"})."""
    carry, _, binds = text.partition(";")
    bind: dict[str, str] = {}
    for pair in (b.strip() for b in binds.split(",") if b.strip()):
        param, eq, expr = pair.partition("=")
        if not eq or not param.strip().startswith("$") or not expr.strip():
            raise UsageError(f"fragment binding {pair!r}: expected `$param = expression`")
        bind[param.strip()[1:]] = expr.strip()
    return [v.strip() for v in carry.split(",") if v.strip()], bind


def expand(text: str, directory: Path | None = None) -> str:
    """`text` with every fragment block regenerated from its fragment file."""
    def block(m: re.Match[str]) -> str:
        carry, bind = parse_arguments(m.group("carry"))
        first, indent = m.group(0).split("\n", 1)[0], m.group("indent")
        return (f"{first}\n{render_fragment(m.group('name'), carry, directory, indent, bind)}"
                f"{indent}// END fragment {m.group('name')}")
    return _BLOCK.sub(block, text)


def with_browser_lines(text: str, lines: list[str]) -> str:
    """`text` with its Browser parameter lines (old ones dropped) just before the Cypher body."""
    kept = [line for line in text.splitlines()
            if line != BROWSER_HEAD and not line.startswith("// :param ")]
    body = next((i for i, line in enumerate(kept) if not line.startswith("//")), len(kept))
    new = [BROWSER_HEAD] + [f"// {line}" for line in lines] if lines else []
    return "\n".join(kept[:body] + new + kept[body:]) + "\n"


def generated(path: Path, directory: Path | None = None) -> str:
    """What the query file should hold: its fragment blocks and Browser lines regenerated."""
    text = expand(path.read_text(encoding="utf-8"), directory or path.parent)
    return with_browser_lines(text, param_lines(parse_query_file(path)))


def uses(text: str) -> list[str]:
    """Names of the fragments a query file uses."""
    return [m.group("name") for m in _BLOCK.finditer(text)]


def stale(directory: Path | None = None) -> list[Path]:
    """Query files whose fragment blocks differ from their fragments."""
    directory = directory or queries_dir()
    return [p for p in sorted(directory.glob("*.cypher"))
            if generated(p, directory) != p.read_text(encoding="utf-8")]


def main(argv: list[str] | None = None) -> int:
    """Rewrite the fragment blocks of `queries/*.cypher` (a maintainer command)."""
    directory = Path(argv[0]) if argv else queries_dir()
    for path in stale(directory):
        path.write_text(generated(path, directory), encoding="utf-8")
        print(f"rewrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
