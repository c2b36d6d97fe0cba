"""Neo4j's Cypher front end as one long-lived process for the whole test session.

`tests/cypher_lint.mjs --serve` loads `@neo4j-cypher/language-support` (pinned in package.json) once
and lints one text per request, so its start-up and warm-up are paid once per session instead of
once per test module. The same Cypher is linted once: a Browser favourite or guide block is a stored
query preceded by `:param` lines, so its `:param` prefix and its query are linted separately, each
without its comment and blank lines (which cannot change a diagnostic), and the query's diagnostics
are shared with `queries/` (line numbers mapped back into each file).
"""

from __future__ import annotations

import json
import select
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LINTER = Path(__file__).with_name("cypher_lint.mjs")
PACKAGE = ROOT / "node_modules" / "@neo4j-cypher" / "language-support"
SUFFIXES = (".cypher", ".cyp", ".cql")
TIMEOUT = 600.0         # seconds for one reply: the first query also pays the parser's warm-up


def missing_linter() -> str | None:
    """Why the linter cannot run here, or None."""
    if shutil.which("node") is None:
        return ("node is not installed (install Node.js 24.11.1 or later, as README.md says, then "
                "run `npm install` at the repo root)")
    if not PACKAGE.is_dir():
        return ("@neo4j-cypher/language-support is not installed: run `npm install` at the repo "
                "root (package.json pins 2.0.0-next.38)")
    return None


def split_client_commands(text: str) -> tuple[str, str, int]:
    """(leading `:param …;` block, the query after it, the query's first line index).

    Only a leading run of blank, `//` and `:` lines where every `:` line ends with `;` is split
    off; anything else is linted whole (prefix empty)."""
    lines = text.splitlines(keepends=True)
    cut = 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(":"):
            if not stripped.endswith(";"):
                return "", text, 0
            cut = i + 1
        elif stripped and not stripped.startswith("//"):
            break
    return "".join(lines[:cut]), "".join(lines[cut:]), cut


def _without_comment_lines(text: str) -> tuple[str, list[int]]:
    """The text without whole-line `//` comments, blank lines and trailing blanks, and each kept
    line's index in `text`."""
    kept = [(i, line) for i, line in enumerate(text.splitlines(keepends=True))
            if line.strip() and not line.strip().startswith("//")]
    return "".join(line.rstrip() + "\n" for _, line in kept), [i for i, _ in kept]


class CypherLinter:
    """One `cypher_lint.mjs --serve` process; thread-safe; caches by text."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(["node", str(LINTER), "--serve", "--no-apoc"], cwd=ROOT,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, encoding="utf-8")
        self._lock = threading.Lock()
        self._cache: dict[str, list[dict[str, Any]]] = {}

    def _ask(self, text: str) -> list[dict[str, Any]]:
        with self._lock:
            if text in self._cache:
                return self._cache[text]
            assert self._proc.stdin is not None and self._proc.stdout is not None
            self._proc.stdin.write(json.dumps({"text": text}) + "\n")
            self._proc.stdin.flush()
            ready, _, _ = select.select([self._proc.stdout], [], [], TIMEOUT)
            line = self._proc.stdout.readline() if ready else ""
            if not line:
                err = self._proc.stderr.read() if self._proc.poll() is not None and self._proc.stderr else ""
                raise RuntimeError(f"the Cypher linter gave no answer (exit {self._proc.poll()}): {err}")
            reply = json.loads(line)
            if "error" in reply:
                raise RuntimeError(f"the Cypher linter failed: {reply['error']}")
            self._cache[text] = reply["diagnostics"]
            return self._cache[text]

    def lint_text(self, text: str) -> list[dict[str, Any]]:
        """Diagnostics (line, col, severity, message) for one file's text."""
        prefix, body, offset = split_client_commands(text)
        out: list[dict[str, Any]] = []
        for part, first in ((prefix, 0), (body, offset)):
            cypher, index = _without_comment_lines(part)
            if not cypher:
                continue
            for d in self._ask(cypher):
                line = index[min(d["line"], len(index)) - 1] + 1 + first
                out.append({**d, "line": line})
        return out

    def lint(self, *paths: Path) -> dict[str, Any]:
        """Like `cypher_lint.mjs --json PATH...`: files (walked in sorted order) and diagnostics."""
        files = [f for p in paths for f in _walk(Path(p))]
        diagnostics = [{"file": str(f), **d} for f in files
                       for d in self.lint_text(f.read_text(encoding="utf-8"))]
        return {"files": len(files), "diagnostics": diagnostics,
                "errors": sum(d["severity"] == "error" for d in diagnostics),
                "warnings": sum(d["severity"] == "warning" for d in diagnostics)}

    def warm_up(self, *paths: Path) -> threading.Thread:
        """Lint `paths` in the background (results cached) while other tests run."""
        def run() -> None:
            try:
                self.lint(*paths)
            except Exception:
                pass    # the test that asks for these files reports the failure itself

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def _walk(path: Path) -> list[Path]:
    if path.is_dir():
        return [f for child in sorted(path.iterdir()) for f in _walk(child)]
    return [path] if path.suffix in SUFFIXES else []
