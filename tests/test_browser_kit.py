"""The Neo4j Browser kit (`kg browser-kit`, docs/browser/): the style sheet parses and styles
every label and type, every favourite and guide block passes Neo4j's Cypher front end, every
`:param` line carries the query's declared default, and the committed files are in sync with
what `queries/` generates."""

from __future__ import annotations

import re
import threading
import urllib.request
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from kg.models import NODE_TYPES, RELATIONSHIP_TYPES
from kg.queries import coerce, cypher_literal, list_queries
from kg.report import browser

from .test_cypher_lint import ROOT

KIT = ROOT / "docs" / "browser"
PARAM = re.compile(r"^:param\s+(\w+)\s*=>\s*(.+?);\s*(//.*)?$")


# ------------------------------------------------------------------------- a GraSS parser

def parse_grass(text: str) -> dict[str, dict[str, str]]:
    """GraSS -> {selector: {property: value}}, read the way Neo4j Browser reads a dropped or
    pasted style sheet: outside quotes, `{` opens a rule's body and `}` closes it (a `{…}` inside
    a body is a binding); quotes toggle a string and are dropped; whitespace outside a body is
    ignored; a body is `prop: value` pairs split on `;` and `:`. There are no comments.

    Stricter than the Browser so mistakes fail here instead of being silently dropped there:
    a selector must be `node`, `relationship`, `node.<Label>` or `relationship.<TYPE>`, a
    declaration must have exactly one `:`, a rule may appear once, and no body may be left open."""
    rules: dict[str, str] = {}
    selector, body = "", ""
    in_string = in_body = in_binding = False
    for ch in text:
        if ch in "\"'":
            in_string = not in_string
            continue
        if ch == "{" and not in_string:
            if in_body:
                in_binding = True
            else:
                in_body = True
            continue
        if ch == "}" and not in_string:
            if in_binding:
                in_binding = False
            elif in_body:
                in_body = False
                if selector in rules:
                    raise ValueError(f"duplicate rule {selector}")
                rules[selector], selector, body = body, "", ""
            else:
                raise ValueError("unbalanced }")
            continue
        if in_body:
            body += ch
        elif not ch.isspace():
            selector += ch
    if in_body or in_string or selector:
        raise ValueError(f"unterminated rule or string near {selector!r}")
    out: dict[str, dict[str, str]] = {}
    for sel, raw in rules.items():
        if not re.fullmatch(r"(node|relationship)(\.\w+)?", sel):
            raise ValueError(f"bad selector {sel!r}")
        props: dict[str, str] = {}
        for decl in raw.split(";"):
            if not decl.strip():
                continue
            parts = decl.split(":")
            if len(parts) != 2:
                raise ValueError(f"bad declaration {decl.strip()!r} in {sel}")
            props[parts[0].strip()] = parts[1].strip()
        out[sel] = props
    return out


def test_grass_parser_rejects_garbage() -> None:
    for bad in ("node { color #fff; }", "edge { color: #fff; }", "/* c */ node { color: #fff; }",
                "node { color: #fff; } node { color: #000; }", "node { caption: \"x; }",
                "node { caption: \"a: b\"; }"):
        with pytest.raises(ValueError):
            parse_grass(bad)
    assert parse_grass('node.A { caption: "{name}"; diameter: 5px; }') == \
        {"node.A": {"caption": "{name}", "diameter": "5px"}}


def test_style_sheet_parses_and_styles_every_label_and_type() -> None:
    rules = parse_grass((KIT / browser.STYLE_FILE).read_text(encoding="utf-8"))
    colors = []
    for label, cls in NODE_TYPES.items():
        rule = rules[f"node.{label}"]
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", rule["color"]), label
        colors.append(rule["color"].upper())
        fields = {f.alias or n for n, f in cls.model_fields.items()}
        used = re.findall(r"\{(\w+)\}", rule["caption"])
        assert used and set(used) <= fields, f"{label} caption {rule['caption']!r} uses unknown props"
    assert len(set(colors)) == len(colors), "each label needs its own colour"
    for rel, cls in RELATIONSHIP_TYPES.items():
        caption = rules[f"relationship.{rel}"]["caption"]
        fields = {f.alias or n for n, f in cls.model_fields.items()}
        assert set(re.findall(r"\{(\w+)\}", caption)) <= fields, f"{rel}: {caption!r}"
    assert "node" in rules and "relationship" in rules


# ------------------------------------------------------------------------- the guide HTML

class _Guide(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.slides = 0
        self.blocks: list[list[str]] = []
        self._in_pre = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "slide":
            self.slides += 1
            self.blocks.append([])
        if tag == "pre" and "runnable" in (dict(attrs).get("class") or ""):
            self._in_pre = True
            self.blocks[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._in_pre = False

    def handle_data(self, data: str) -> None:
        if self._in_pre:
            self.blocks[-1][-1] += data


def guide_blocks() -> _Guide:
    parser = _Guide()
    parser.feed((KIT / browser.GUIDE_FILE).read_text(encoding="utf-8"))
    return parser


def test_guide_has_slides_each_with_a_runnable_block() -> None:
    g = guide_blocks()
    assert g.tags[:2] == ["article", "carousel"]
    assert g.slides == len(browser.SLIDES) >= 6
    assert all(blocks for blocks in g.blocks), "every slide needs a runnable Cypher block"
    text = (KIT / browser.GUIDE_FILE).read_text(encoding="utf-8")
    for topic in ("Rare earths", "Batteries", "China exposure", "April-2025",
                  "US–Ukraine and US–Australia"):
        assert topic in text


# --------------------------------------------------------------------- :param lines

def _params_of(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        if line.startswith(":param"):
            m = PARAM.match(line)
            assert m, f"malformed :param line {line!r}"
            found[m.group(1)] = m.group(2)
    return found


def test_every_favourite_sets_each_declared_default() -> None:
    queries = list_queries()
    files = sorted((KIT / browser.FAVORITES_DIR / browser.FOLDER).glob("*.cypher"))
    assert [f.stem for f in files] == sorted(queries)
    for f in files:
        q = queries[f.stem]
        text = f.read_text(encoding="utf-8")
        assert text.startswith(f"// {q.title}\n"), "the first line names the favourite"
        params = _params_of(text)
        assert list(params) == list(q.params), f.name
        for name, literal in params.items():
            value = browser.param_value(literal)
            assert value == q.params[name].default, f"{f.name}: {name} => {literal}"
            assert type(value) is type(q.params[name].default), f"{f.name}: {name} type"
        assert q.cypher.rstrip() in text


def test_guide_params_are_declared_and_typed() -> None:
    queries = list_queries()
    for block in (b for blocks in guide_blocks().blocks for b in blocks):
        params = _params_of(block)
        if not params:
            continue
        q = next(q for q in queries.values() if q.body.strip() in block)
        assert list(params) == list(q.params)
        for name, literal in params.items():
            value = browser.param_value(literal)
            assert value is None or coerce(q.params[name], value) == value


def test_cypher_literal_round_trips() -> None:
    for value in (None, True, False, 0, 4, 0.5, 0.0, "USA", "it's \\ here", ["a", "b"], []):
        assert browser.param_value(cypher_literal(value)) == value


# --------------------------------------------------------------------------- Cypher lint

@pytest.fixture(scope="module")
def kit_lint(cypher_lint: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("kit-lint")
    for i, blocks in enumerate(guide_blocks().blocks):
        for j, block in enumerate(blocks):
            (work / f"guide-{i}-{j}.cypher").write_text(block, encoding="utf-8")
    bad = work / "planted-error.cypher"
    bad.write_text(":param x => 1;\nMATCH (n:Material) RETURN m.name AS name\n", encoding="utf-8")
    report: dict[str, Any] = cypher_lint.lint(KIT / browser.FAVORITES_DIR, work)
    report["bad_file"] = str(bad)
    return report


def test_favourites_and_guide_blocks_pass_neo4j_cypher_front_end(kit_lint: dict[str, Any]) -> None:
    errors = [f"{Path(d['file']).name}:{d['line']}:{d['col']}: {d['message']}"
              for d in kit_lint["diagnostics"]
              if d["file"] != kit_lint["bad_file"] and d["severity"] == "error"]
    assert not errors, "Neo4j's Cypher front end rejects:\n" + "\n".join(errors)
    n_blocks = sum(len(b) for b in guide_blocks().blocks)
    assert kit_lint["files"] == len(list_queries()) + n_blocks + 1


def test_kit_linter_reports_a_planted_error(kit_lint: dict[str, Any]) -> None:
    assert any(d["file"] == kit_lint["bad_file"] and d["severity"] == "error"
               for d in kit_lint["diagnostics"])


# ------------------------------------------------------------------------------ in sync

def test_committed_kit_is_in_sync_with_queries(tmp_path: Path) -> None:
    written = browser.write_kit(tmp_path)
    fresh = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in written}
    committed = {p.relative_to(KIT).as_posix(): p.read_bytes()
                 for p in KIT.rglob("*") if p.is_file()}
    stale = sorted(set(committed) ^ set(fresh))
    assert not stale, f"docs/browser differs from `kg browser-kit` in files {stale}: rerun it"
    for rel, data in fresh.items():
        if rel.endswith(".zip"):
            with zipfile.ZipFile(KIT / rel) as a, zipfile.ZipFile(tmp_path / rel) as b:
                assert {n: a.read(n) for n in a.namelist()} == \
                    {n: b.read(n) for n in b.namelist()}, "run `kg browser-kit`"
        else:
            assert committed[rel] == data, f"docs/browser/{rel} is stale: run `kg browser-kit`"


def test_zip_is_the_favourites_folder() -> None:
    with zipfile.ZipFile(KIT / browser.FAVORITES_ZIP) as zf:
        names = zf.namelist()
        assert names == sorted(f"{browser.FOLDER}/{q}.cypher" for q in list_queries())
        for name in names:
            assert zf.read(name) == (KIT / browser.FAVORITES_DIR / name).read_bytes()


# -------------------------------------------------------------- guide queries return rows

@pytest.mark.parametrize("slide,block", [(i, j) for i, s in enumerate(browser.SLIDES)
                                         for j, b in enumerate(s.blocks) if b.query])
def test_guide_stored_query_blocks_return_rows(snapshot_store: Any, slide: int, block: int) -> None:
    from kg.queries import run_query
    b = browser.SLIDES[slide].blocks[block]
    assert b.query is not None
    _, rows = run_query(snapshot_store, b.query, b.params or {})
    assert rows, f"slide {slide + 1}: {b.caption} returns nothing on the bundled graph"


# --------------------------------------------------------------------------- the server

def test_serve_allows_cross_origin_guide_fetches() -> None:
    server = browser.serve(KIT, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{browser.GUIDE_FILE}",
                                    timeout=10) as resp:
            assert resp.status == 200
            assert resp.headers["Access-Control-Allow-Origin"] == "*"
            assert b'<article class="guide">' in resp.read()
    finally:
        server.shutdown()
        server.server_close()
