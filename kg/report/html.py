"""The report page: one self-contained HTML file (inline CSS and SVG, no scripts, no fetches)."""

from __future__ import annotations

import datetime as _dt
from html import escape
from pathlib import Path
from typing import Any

from ..store import GraphStore
from ..version import __version__
from .data import Findings, Section, gather

CSS = """
:root { --ink: #263238; --muted: #607d8b; --line: #e3e8eb; --china: #c62828; --bg: #f6f8f9; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 28px 48px; }
header.top { display: flex; justify-content: space-between; align-items: flex-end; gap: 24px;
  border-bottom: 3px solid var(--ink); padding-bottom: 10px; }
header.top h1 { margin: 0; font-size: 26px; letter-spacing: -0.01em; }
header.top p { margin: 2px 0 0; color: var(--muted); }
.meta { text-align: right; font-size: 12px; color: var(--muted); white-space: nowrap; }
.summary { display: grid; grid-template-columns: repeat(5, 1fr); gap: 10px;
  margin: 18px 0 8px; }
.summary a { display: block; background: #fff; border: 1px solid var(--line);
  border-top: 4px solid var(--china); border-radius: 6px; padding: 10px 12px; color: inherit;
  text-decoration: none; font-size: 13px; }
.summary .stat { display: block; font-size: 26px; font-weight: 700; color: var(--china);
  line-height: 1.2; margin: 2px 0; white-space: nowrap; }
.summary a b { display: block; font-size: 12px; text-transform: uppercase; letter-spacing: .04em;
  color: var(--muted); margin-bottom: 2px; }
section.finding { background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 18px 22px; margin-top: 18px; }
section.finding h2 { margin: 0; font-size: 19px; }
.question { margin: 0 0 6px; color: var(--muted); font-style: italic; }
.lead { font-size: 15px; margin: 6px 0 12px; max-width: 1000px; }
figure { margin: 8px 0 14px; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 2px; max-width: 1000px; }
.notes { font-size: 12px; color: var(--muted); margin: 4px 0; }
details { margin-top: 8px; }
summary { cursor: pointer; color: #37474f; font-weight: 600; font-size: 13px; }
table { border-collapse: collapse; font-size: 12px; margin-top: 8px; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f1f4f5; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.sources { font-size: 12px; margin: 10px 0 0; padding-left: 0; list-style: none; color: var(--muted); }
.sources li { display: inline; }
.sources li + li::before { content: " · "; }
.sources details.more { display: inline; margin: 0; }
.sources details.more summary { display: inline; font-weight: 400; color: #1565c0; }
.sources a, .refs a { color: #1565c0; }
.refs { font-size: 12px; }
.refs li { margin: 2px 0; }
.legend { display: inline-flex; gap: 14px; font-size: 12px; color: var(--muted); margin: 2px 0 0; }
.sw { display: inline-block; width: 11px; height: 11px; border-radius: 2px; vertical-align: -1px;
  margin-right: 4px; }
footer { margin-top: 24px; font-size: 12px; color: var(--muted); }
code { font-size: 12px; background: #eef1f3; padding: 0 4px; border-radius: 3px; }
@media (max-width: 1100px) { .summary { grid-template-columns: repeat(2, 1fr); } }
@media print { body { background: #fff; } section.finding { break-inside: avoid; } }
"""

SHOWN_SOURCES = 6

LEGENDS = {
    "concentration": [("#c62828", "China is the top producer"), ("#546e7a", "another country")],
    "single-points-of-failure": [("#c62828", "chokepoint: one country ≥ 50 %, or one asset")],
    "export-controls": [("#c62828", "in force"), ("#ffffff", "suspended (dashed outline)")],
}


def _e(text: Any) -> str:
    return escape("" if text is None else str(text))


def _table(section: Section) -> str:
    t = section.table
    head = "".join(f'<th class="n">{_e(c)}</th>' if i in t.numeric else f"<th>{_e(c)}</th>"
                   for i, c in enumerate(t.columns))
    body = "".join("<tr>" + "".join(f'<td class="n">{_e(v)}</td>' if i in t.numeric
                                    else f"<td>{_e(v)}</td>" for i, v in enumerate(row)) + "</tr>"
                   for row in t.rows)
    return (f"<details><summary>The numbers ({len(t.rows)} rows, from <code>kg query "
            f"{_e(section.query)}</code>)</summary><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></details>")


def _source_link(src: dict[str, Any], number: int) -> str:
    title = src.get("title") or src.get("id")
    url = src.get("url") or ""
    link = (f'<a href="{_e(url)}">{_e(title)}</a>' if url.startswith(("http://", "https://"))
            else _e(title))
    return f'<li><a href="#src-{number}">[{number}]</a> {link}</li>'


def _section(section: Section, numbers: dict[str, int], sources: dict[str, dict[str, Any]]) -> str:
    legend = "".join(
        f'<span><span class="sw" style="background:{c};border:1px solid #c62828"></span>{_e(t)}</span>'
        for c, t in LEGENDS.get(section.key, []))
    figures = []
    for i, chart in enumerate(section.charts):
        caption = section.chart_captions[i] if i < len(section.chart_captions) else ""
        figures.append(f"<figure>{chart}" + (f"<figcaption>{_e(caption)}</figcaption>"
                                              if caption else "") + "</figure>")
    cited = [i for i in section.source_ids if i in sources]
    refs = "".join(_source_link(sources[i], numbers[i]) for i in cited[:SHOWN_SOURCES])
    if len(cited) > SHOWN_SOURCES:
        more = "".join(_source_link(sources[i], numbers[i]) for i in cited[SHOWN_SOURCES:])
        refs += (f'<li><details class="more"><summary>and {len(cited) - SHOWN_SOURCES} more'
                 f'</summary><ul class="sources">{more}</ul></details></li>')
    missing = len(section.source_ids) - len(cited)
    return (f'<section class="finding" id="{_e(section.key)}"><h2>{_e(section.title)}</h2>'
            f'<p class="question">{_e(section.question)}</p><p class="lead">{_e(section.lead)}</p>'
            + (f'<div class="legend">{legend}</div>' if legend else "")
            + "".join(figures)
            + "".join(f'<p class="notes">{_e(n)}</p>' for n in section.notes)
            + _table(section)
            + (f'<ul class="sources"><li><b>Sources</b></li>{refs}</ul>' if refs else
               '<p class="notes">No sources cited for these figures.</p>')
            + (f'<p class="notes">{missing} cited source id(s) not found in the graph.</p>'
               if missing else "")
            + "</section>")


def render_html(findings: Findings) -> str:
    order = list(dict.fromkeys(i for s in findings.sections for i in s.source_ids
                               if i in findings.sources))
    numbers = {sid: n for n, sid in enumerate(order, start=1)}
    m = findings.manifest or {}
    built = m.get("built_at", "unknown time")
    srcs = ", ".join(s.get("name", "?") for s in m.get("sources", [])) or "unknown sources"
    n_nodes = sum(findings.stats.get("nodes", {}).values())
    n_rels = sum(findings.stats.get("relationships", {}).values())
    summary = "".join(f'<a href="#{_e(s.key)}"><b>{_e(s.title)}</b><span class="stat">'
                      f'{_e(s.stat)}</span>{_e(s.stat_label)}</a>' for s in findings.sections)
    refs = "".join(
        f'<li id="src-{numbers[sid]}">[{numbers[sid]}] '
        + (f'<a href="{_e(src.get("url"))}">{_e(src.get("title"))}</a>'
           if str(src.get("url") or "").startswith(("http://", "https://")) else _e(src.get("title")))
        + f' — {_e(src.get("publisher"))}; licence: {_e(src.get("license"))}'
        + (f'; release {_e(src.get("release"))}' if src.get("release") else "")
        + (f'; retrieved {_e(src.get("retrieved"))}' if src.get("retrieved") else "") + "</li>"
        for sid, src in ((sid, findings.sources[sid]) for sid in order))
    body = "".join(_section(s, numbers, findings.sources) for s in findings.sections)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="chokepoint-kg {_e(__version__)}">
<title>Chokepoint report: critical-material supply chains ({_e(findings.as_of.isoformat())})</title>
<style>{CSS}</style></head>
<body><main>
<header class="top"><div><h1>Chokepoint: where critical-material supply chains can break</h1>
<p>Headline findings from the stored queries on the current graph, with their numbers and sources.</p></div>
<div class="meta">Report date {_e(findings.as_of.isoformat())} · graph built {_e(built)}<br>
{n_nodes:,} nodes · {n_rels:,} relationships · from {_e(srcs)}<br>kg {_e(__version__)}</div></header>
<div class="summary">{summary}</div>
{body}
<section class="finding" id="sources"><h2>Sources</h2>
<p class="question">Every figure above cites these records of the graph; titles link to the publisher.</p>
<details><summary>All {len(order)} sources with publisher, licence and retrieval date</summary>
<ol class="refs" style="list-style:none;padding-left:0">{refs}</ol></details></section>
<footer>Generated by <code>kg report</code> (chokepoint-kg {_e(__version__)}) on {_e(_dt.date.today().isoformat())}.
Reproduce any table with <code>kg query NAME --format csv</code>; shares are fractions of world
output or of imports by value; see docs/queries.md for how each is computed and its limits.</footer>
</main></body></html>
"""


def build_report(store: GraphStore, *, as_of: _dt.date | None = None, importer: str = "USA") -> str:
    """The report as an HTML string."""
    return render_html(gather(store, as_of=as_of, importer=importer))


def write_report(store: GraphStore, path: Path, *, as_of: _dt.date | None = None,
                 importer: str = "USA") -> Path:
    """Write the report atomically to `path`; returns the path."""
    html = build_report(store, as_of=as_of, importer=importer)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
