"""Neo4j's Cypher front end as one long-lived process for the whole test session.

`tests/cypher_lint.mjs --serve` loads `@neo4j-cypher/language-support` (pinned in package.json) once
and lints one text per request, so its start-up and warm-up are paid once per session instead of
once per test module. The same Cypher is linted once: a Browser favourite or guide block is a stored
query preceded by `:param` lines, so its `:param` prefix and its query are linted separately, each
without its comment and blank lines (which cannot change a diagnostic), and the query's diagnostics
are shared with `queries/` (line numbers mapped back into each file).
"""

from __future__ import annotations

import contextlib
import hashlib
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


def version_key() -> str:
    """What the diagnostics of a text depend on besides the text: the linter script, the pinned
    front end's version and the options. A saved result is reused only under the same key."""
    digest = hashlib.sha256(LINTER.read_bytes())
    with contextlib.suppress(OSError):
        digest.update((PACKAGE / "package.json").read_bytes())
    digest.update(b"--no-apoc")
    return digest.hexdigest()


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CypherLinter:
    """One `cypher_lint.mjs --serve` process, started at the first text it has no answer for;
    thread-safe; answers cached by text. `known` holds answers saved by an earlier session under
    the same `version_key()`: Neo4j's semantic analysis takes tens of seconds for the stored
    queries, and its answer for a text never changes while the linter and its options do not."""

    def __init__(self, known: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._cache: dict[str, list[dict[str, Any]]] = dict(known or {})

    @property
    def answers(self) -> dict[str, list[dict[str, Any]]]:
        """Every answer so far, by the text's sha256 (for saving)."""
        with self._lock:
            return dict(self._cache)

    def _process(self) -> subprocess.Popen[str]:
        if self._proc is None:
            # A larger young generation: the front end allocates many short-lived objects, and
            # linting the stored queries took 36–38 s instead of 41 s with it (Node 20).
            self._proc = subprocess.Popen(["node", "--max-semi-space-size=64", str(LINTER),
                                           "--serve", "--no-apoc"], cwd=ROOT,
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True, encoding="utf-8")
        return self._proc

    def _ask(self, text: str) -> list[dict[str, Any]]:
        key = _text_key(text)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
            proc = self._process()
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(json.dumps({"text": text}) + "\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], TIMEOUT)
            line = proc.stdout.readline() if ready else ""
            if not line:
                err = proc.stderr.read() if proc.poll() is not None and proc.stderr else ""
                raise RuntimeError(f"the Cypher linter gave no answer (exit {proc.poll()}): {err}")
            reply = json.loads(line)
            if "error" in reply:
                raise RuntimeError(f"the Cypher linter failed: {reply['error']}")
            self._cache[key] = reply["diagnostics"]
            return self._cache[key]

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
        if self._proc is None:
            return
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
