"""The Neo4j Browser kit: a GraSS style sheet, the stored queries as a favourites bundle, and a
`:play`-able guide, all generated from the ontology and `queries/` by `kg browser-kit`.

Formats (Neo4j Browser 5):

* **Style sheet** (`chokepoint.grass`): GraSS rules `node.<Label> { … }` and
  `relationship.<TYPE> { … }`; `caption` is a template where `{prop}` is replaced by a property.
  Load it by dragging the file onto the Browser window, or paste it after `:style`.
* **Favourites** (`chokepoint-favorites.zip`): the Browser imports a zip dropped onto its window;
  every `<folder>/<name>.cypher` entry becomes a favourite in `<folder>` (the same layout its
  "Export favorites as zip" writes), named after the file's first comment line. The same files lie
  unzipped under `favorites/`. Each starts with `:param name => value;` lines carrying the query's
  declared defaults, so it runs as is in the multi-statement editor.
* **Guide** (`chokepoint-guide.html`): `<article class="guide">` with `<slide>`s in a `<carousel>`;
  each `<pre class="runnable">` block is put in the editor with one click. Play it with
  `:play http://localhost:8001/chokepoint-guide.html` (or `:guide …`) while `kg browser-kit --serve`
  serves this directory; `localhost` is in the Browser's default
  `browser.remote_content_hostname_allowlist`.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from ..models import NODE_TYPES, RELATIONSHIP_TYPES
from ..queries import StoredQuery, list_queries, param_lines
from ..query_params import TODAY, TODAY_IN_BROWSER

STYLE_FILE = "chokepoint.grass"
GUIDE_FILE = "chokepoint-guide.html"
FAVORITES_ZIP = "chokepoint-favorites.zip"
FAVORITES_DIR = "favorites"
FOLDER = "Chokepoint"
DEFAULT_PORT = 8001

# label -> (colour, border, text colour, caption template, diameter)
NODE_STYLES: dict[str, tuple[str, str, str, str, int]] = {
    "Country": ("#4C8EDA", "#2870C2", "#FFFFFF", "{name} ({iso3})", 55),
    "Material": ("#F79767", "#F36924", "#FFFFFF", "{name}", 50),
    "Product": ("#57C7E3", "#23B3D7", "#2A2C34", "{name}", 50),
    "Firm": ("#8DCC93", "#5DB665", "#2A2C34", "{name}", 45),
    "Facility": ("#D9C8AE", "#C0A378", "#2A2C34", "{name}", 40),
    "Agreement": ("#C990C0", "#B261A5", "#FFFFFF", "{name}", 45),
    "ExportControl": ("#F16667", "#EB2728", "#FFFFFF", "{instrument}", 50),
    "ImportMeasure": ("#FFC454", "#D7A013", "#2A2C34", "{instrument}", 50),
    "HSCode": ("#ECB5C9", "#DA7298", "#2A2C34", "HS {code}", 30),
    "Source": ("#A5ABB6", "#9AA1AC", "#2A2C34", "{publisher}", 25),
}

REL_CAPTIONS: dict[str, str] = {
    "PRODUCES": "{stage} {year} share {share}",
    "HOLDS_RESERVES": "reserves {year}",
    "REQUIRES": "requires {stage}",
    "EXPORTS_TO": "HS {hs_code} {year}",
    "IMPORTS": "all imports {year}",
    "IMPORT_RELIANCE": "reliance {year} {net_import_reliance}",
    "OWNS": "owns {share}",
    "STATE_OWNED_BY": "state-owned {share}",
    "OPERATES": "operates",
    "LOCATED_IN": "located in",
    "HEADQUARTERED_IN": "HQ in",
    "SUPPLIES": "supplies {item_id}",
    "PARTY_TO": "party {role}",
    "COVERS": "covers",
    "IMPOSES": "imposes",
    "RESTRICTS": "restricts {scope}",
    "TARGETS": "targets",
    "CLASSIFIED_AS": "classified as",
}


def grass() -> str:
    """The GraSS style sheet: a distinct colour and a caption per label, a caption per type."""
    missing = sorted(set(NODE_TYPES) - set(NODE_STYLES)) + \
        sorted(set(RELATIONSHIP_TYPES) - set(REL_CAPTIONS))
    if missing:
        raise ValueError(f"no Browser style for {', '.join(missing)}: add it to kg/report/browser.py")
    # No comments: the Browser's GraSS reader has none (a comment would become part of the first
    # selector, and a quote in it would open a string).
    out = ["node {", "  diameter: 50px;", "  color: #A5ABB6;", "  border-color: #9AA1AC;",
           "  border-width: 2px;", "  text-color-internal: #FFFFFF;", "  font-size: 10px;", "}",
           "relationship {", "  color: #A5ABB6;", "  shaft-width: 1px;", "  font-size: 8px;",
           "  padding: 3px;", "  text-color-external: #000000;", "  text-color-internal: #FFFFFF;",
           '  caption: "<type>";', "}"]
    for label in NODE_TYPES:
        color, border, text, caption, diameter = NODE_STYLES[label]
        out += [f"node.{label} {{", f"  color: {color};", f"  border-color: {border};",
                f"  text-color-internal: {text};", f"  diameter: {diameter}px;",
                f'  caption: "{caption}";', "}"]
    for rel in RELATIONSHIP_TYPES:
        out += [f"relationship.{rel} {{", f'  caption: "{REL_CAPTIONS[rel]}";', "}"]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------ favourites

def favorite(query: StoredQuery) -> str:
    """One favourite: a title line (the Browser's display name), the defaults, the query."""
    head = [f"// {query.title}",
            f"// Chokepoint stored query queries/{query.path.name} (kg query {query.name}); the "
            f":param lines set its defaults."]
    return "\n".join(head + param_lines(query)) + "\n\n" + query.cypher.rstrip() + "\n"


def favorites(queries: dict[str, StoredQuery]) -> dict[str, str]:
    """Zip member name -> content, one per stored query, in folder `Chokepoint`."""
    return {f"{FOLDER}/{name}.cypher": favorite(q) for name, q in sorted(queries.items())}


def favorites_zip(files: dict[str, str]) -> bytes:
    """A deterministic zip (stored, fixed timestamps) of the favourites."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name].encode("utf-8"))
    return buf.getvalue()


# ----------------------------------------------------------------------------------- guide

@dataclass
class Block:
    caption: str
    query: str | None = None                  # a stored query name ...
    params: dict[str, Any] | None = None
    cypher: str | None = None                 # ... or a short picture query


@dataclass
class Slide:
    title: str
    lead: str                                 # HTML
    blocks: list[Block]


SLIDES = [
    Slide("Chokepoint", (
        "<p class=\"lead\">A knowledge graph of critical-material supply chains: who mines, refines "
        "and makes what, which products need it, who owns the plants, who trades it and which "
        "export controls bind.</p><p>Every fact cites a <code>Source</code> node. The queries on "
        "the next slides are the project's stored queries (<code>queries/*.cypher</code>); the "
        "<code>:param</code> lines set their parameters. Click a block to put it in the editor, "
        "then run it. Load the style sheet first: drag <code>chokepoint.grass</code> onto this "
        "window.</p>"),
        [Block("The schema, as the Browser sees it",
               cypher="CALL db.schema.visualization()")]),
    Slide("Rare earths → magnets → motors", (
        "<p>China mines about two thirds of the world's rare earths but separates and refines "
        "more than nine tenths of them, and makes most sintered NdFeB magnets. Read "
        "<code>top_share</code> stage by stage, then follow a traction motor's bill of materials "
        "down to the chokepoints.</p>"),
        [Block("Concentration of rare-earth supply, stage by stage", "concentration",
               {"material": "rare-earths"}),
         Block("Single points of failure of an EV traction motor", "single-points-of-failure",
               {"product": "ev-traction-motor"}),
         Block("Picture: motor → magnet → its inputs, with who produces them",
               cypher=("MATCH path = (:Product {id: 'product:ev-traction-motor'})"
                       "-[:REQUIRES*1..3]->(x)\nOPTIONAL MATCH (c:Country)-[p:PRODUCES]->(x)\n"
                       "WHERE p.share >= 0.5\nRETURN path, c, p"))]),
    Slide("Batteries", (
        "<p>Lithium-ion cells need lithium, graphite, nickel, cobalt and manganese. Mining is "
        "spread over Australia, Chile, the DR Congo and Indonesia; refining and anode and cathode "
        "making are concentrated in China. Compare the stages, then list the chokepoints of a "
        "pack.</p>"),
        [Block("Concentration of lithium supply", "concentration", {"material": "lithium"}),
         Block("Concentration of graphite supply", "concentration",
               {"material": "graphite"}),
         Block("Single points of failure of an EV battery pack", "single-points-of-failure",
               {"product": "ev-battery-pack"})]),
    Slide("China exposure of US imports", (
        "<p><code>direct_share</code> is the share of US imports that comes from China; "
        "<code>lookthrough_share</code> also counts the Chinese content of what other suppliers "
        "ship (a weakest-link upper bound). The gap, <code>hidden_share</code>, is dependence "
        "routed through third countries; <code>via</code> names the paths.</p>"),
        [Block("Direct vs look-through dependence on China", "china-exposure"),
         Block("US net import reliance, with ranked import sources", "import-reliance")]),
    Slide("What an April-2025-style control hits", (
        "<p>On 4 April 2025 China put seven medium and heavy rare earths under export licensing "
        "(MOFCOM/GAC Announcement No. 18). Which measures were in force that day, which items "
        "they restrict, and which products need those items?</p>"),
        [Block("Controls in force on 2025-04-04 and what they reach", "export-control-impact",
               {"as_of": "2025-04-04"}),
         Block("Picture: the April 2025 control, the items it restricts and the products that "
               "need them",
               cypher=("MATCH (c:ExportControl {id: 'control:mofcom-gac-2025-18'})"
                       "-[r:RESTRICTS]->(x)\nOPTIONAL MATCH path = (p:Product)"
                       "-[:REQUIRES*1..3]->(x)\nRETURN c, r, x, path")),
         Block("What if China's supply were cut off entirely", "what-if-cutoff")]),
    Slide("What the US–Ukraine and US–Australia agreements could diversify", (
        "<p>The 2025 US–Ukraine Reconstruction Investment Fund and the US–Australia framework "
        "cover rare earths, graphite, lithium, titanium and gallium among others. For each "
        "material: producers outside China, their share and reserves, and whether the US has an "
        "agreement with them that covers it (<code>us_agreement</code>).</p>"),
        [Block("Picture: the two agreements, their parties and the materials they cover",
               cypher=("MATCH (a:Agreement)\nWHERE a.id IN ['agreement:us-ukraine-reconstruction-"
                       "investment-fund-2025', 'agreement:us-australia-framework-2025']\n"
                       "MATCH p1 = (:Country)-[:PARTY_TO]->(a)\n"
                       "OPTIONAL MATCH p2 = (a)-[:COVERS]->(:Material)\nRETURN p1, p2")),
         Block("Rare earths outside China", "diversification", {"material": "rare-earths"}),
         Block("Graphite outside China", "diversification", {"material": "graphite"}),
         Block("Titanium outside China", "diversification", {"material": "titanium"})]),
    Slide("Go further", (
        "<p>Every stored query is in the favourites bundle (<code>chokepoint-favorites.zip</code>,"
        " drag it onto this window). From a shell: <code>kg queries</code> lists them, "
        "<code>kg query NAME -p key=value</code> runs one, and <code>kg report</code> writes an "
        "HTML report with charts of the headline findings.</p>"),
        [Block("Provenance: unsourced facts, stale figures, sources by licence",
               "provenance-audit"),
         Block("Where HS codes are too coarse to separate goods", "classification-gaps")]),
]


def block_text(block: Block, queries: dict[str, StoredQuery]) -> str:
    if block.query is None:
        assert block.cypher is not None
        return block.cypher
    q = queries[block.query]
    return "\n".join([f"// {q.title} (queries/{q.path.name})"] + param_lines(q, block.params)
                     + [q.body.strip()])


def guide(queries: dict[str, StoredQuery]) -> str:
    slides = []
    for i, slide in enumerate(SLIDES, start=1):
        blocks = "".join(
            f"<h5>{escape(b.caption)}</h5>"
            f'<pre class="pre-scrollable code runnable">{escape(block_text(b, queries))}</pre>'
            for b in slide.blocks)
        slides.append(
            f'<slide class="row-fluid">\n<div class="col-sm-3"><h3>{escape(slide.title)}</h3>'
            f'<p class="lead">{i} / {len(SLIDES)}</p></div>\n'
            f'<div class="col-sm-9">{slide.lead}\n{blocks}</div>\n</slide>')
    return ('<!-- Chokepoint guide for Neo4j Browser. Generated by `kg browser-kit` from '
            'queries/; play it with :play http://localhost:8001/' + GUIDE_FILE + ' -->\n'
            '<article class="guide">\n<carousel class="deck container-fluid">\n'
            + "\n".join(slides) + "\n</carousel>\n</article>\n")


README = """# Chokepoint in Neo4j Browser

Generated by `kg browser-kit` from the ontology and `queries/`; do not edit by hand (the tests
regenerate it and compare). Three files and one folder:

| file | what | how to load it |
|---|---|---|
| `chokepoint.grass` | style sheet: a colour and a caption per label (name, ISO code, HS code, instrument), a caption per relationship type (stage, year, share) | drag the file onto the Browser window; or run `:style`, then paste the file's text into the style frame; `:style reset` undoes it |
| `chokepoint-favorites.zip` | every stored query as a favourite in folder *Chokepoint*, each starting with `:param` lines that set its declared defaults | drag the zip onto the Browser window: it appears under *Favorites* (star icon) → *Local scripts* |
| `favorites/Chokepoint/*.cypher` | the same favourites, unzipped | drag one file onto the window and choose *Save to favorites* or *Paste in editor* |
| `chokepoint-guide.html` | a guide in seven slides: rare earths → magnets → motors; batteries; the China exposure of US imports; what an April-2025-style control hits; what the US–Ukraine and US–Australia agreements could diversify | serve it (below), then `:play http://localhost:{port}/chokepoint-guide.html` (or `:guide …` for the side drawer) |

## From a clone to the guide

```bash
docker compose up -d                                        # Neo4j 5 with the Browser
NEO4J_PASSWORD=chokepoint kg --store bolt://localhost:7687 build --offline
kg browser-kit --serve                                      # serves docs/browser on localhost:{port}
```

Open <http://localhost:7474> (user `neo4j`, password `chokepoint`), drag `chokepoint.grass` and
`chokepoint-favorites.zip` onto the window, and run `:play http://localhost:{port}/chokepoint-guide.html`.

## Notes

- **Multi-statement editor.** A favourite is several statements (`:param` lines, then the query);
  keep *Enable multi statement query editor* on (Browser settings; it is the default). Change a
  value by editing its `:param` line: `:param material => 'gallium';`.
- **Serving the guide.** The Browser fetches a remote guide from your web browser, so the server
  must allow cross-origin requests: `kg browser-kit --serve` adds `Access-Control-Allow-Origin: *`
  and listens on 127.0.0.1 only (`python -m http.server` sends no such header). The host must be
  in the server setting `browser.remote_content_hostname_allowlist` (default
  `guides.neo4j.com, localhost`); to serve it from elsewhere, add that host, e.g. in
  `compose.yaml`: `NEO4J_browser_remote__content__hostname__allowlist: "guides.neo4j.com,localhost,example.org"`.
- **Regenerating.** After editing `queries/` or the models, run `kg browser-kit` (default output
  `docs/browser/`) and commit the result; `tests/test_browser_kit.py` fails while they differ.
"""


def kit_files(queries: dict[str, StoredQuery] | None = None) -> dict[str, bytes]:
    """Relative path -> bytes of every file of the kit."""
    queries = queries if queries is not None else list_queries()
    favs = favorites(queries)
    files = {STYLE_FILE: grass().encode(), GUIDE_FILE: guide(queries).encode(),
             FAVORITES_ZIP: favorites_zip(favs),
             "README.md": README.replace("{port}", str(DEFAULT_PORT)).encode()}
    for name, text in favs.items():
        files[f"{FAVORITES_DIR}/{name}"] = text.encode()
    return files


def write_kit(out_dir: Path, queries: dict[str, StoredQuery] | None = None) -> list[Path]:
    """Write the kit into `out_dir`, replacing stale favourites; returns the files written."""
    out_dir = Path(out_dir)
    files = kit_files(queries)
    fav_root = out_dir / FAVORITES_DIR
    if fav_root.is_dir():
        for old in fav_root.rglob("*.cypher"):
            if old.relative_to(out_dir).as_posix() not in files:
                old.unlink()
    written = []
    for rel, data in sorted(files.items()):
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def serve(directory: Path, port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> Any:
    """An HTTP server for the kit directory that allows cross-origin GETs (the Browser fetches
    guides from the page's origin). Returns the server; call `serve_forever()` on it."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Handler(SimpleHTTPRequestHandler):
        def end_headers(self) -> None:
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def log_message(self, fmt: str, *args: Any) -> None:   # quiet: one line per request
            import sys
            sys.stderr.write(f"{self.address_string()} {fmt % args}\n")

    return ThreadingHTTPServer((host, port),
                               functools.partial(Handler, directory=str(directory)))


def param_value(text: str) -> Any:
    """Parse the right-hand side of a generated `:param` line back to a Python value (the
    literals `cypher_literal` writes: null, booleans, numbers, quoted strings, lists)."""
    text = text.strip()
    if text == TODAY_IN_BROWSER:
        return TODAY
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("\\'", "'").replace("\\\\", "\\")
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return [param_value(x) for x in _split_list(inner)] if inner else []
    return json.loads(text)


def _split_list(text: str) -> list[str]:
    parts, depth, quote, cur = [], 0, False, ""
    for i, ch in enumerate(text):
        if ch == "'" and (i == 0 or text[i - 1] != "\\"):
            quote = not quote
        elif not quote and ch in "[":
            depth += 1
        elif not quote and ch in "]":
            depth -= 1
        if ch == "," and not quote and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts
