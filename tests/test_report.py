"""`kg report`: the SVG builders (geometry checked by hand), the report built from the bundled
snapshot, and the page in headless Chromium (no console errors, no requests but the file
itself, every chart drawn, a screenshot kept under the test's tmp dir, and copied to docs/ when
KG_UPDATE_SCREENSHOT is set)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from kg.report import svg
from kg.report.html import render_html
from kg.report.data import gather

from ._chromium import Chromium, find_chromium

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"
AS_OF = dt.date(2026, 11, 28)
CHARTS = {"concentration-by-stage", "china-exposure", "lookthrough-breakdown",
          "exposure-trend", "ownership-chains", "export-controls-timeline"}
SCREENSHOT = ROOT / "docs" / "report-screenshot.png"


def parse(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    return root


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if "bar" in (r.get("class") or "").split()]


# ----------------------------------------------------------------------------- builders

def test_bar_grid_bar_length_is_proportional_to_share() -> None:
    rows = [svg.GridRow("Gallium", {"refining": svg.Cell(0.987, svg.CHINA, "CHN 99%")}),
            svg.GridRow("Cobalt", {"mining": svg.Cell(0.5, svg.OTHER, "COD 50%"),
                                   "refining": svg.Cell(0.25, svg.CHINA, "CHN 25%")})]
    root = parse(svg.bar_grid(rows, ["mining", "refining"], chart="g", title="t",
                              label_width=200, column_width=300, text_space=100,
                              row_height=20, header_height=30, bar_height=10))
    assert root.get("data-chart") == "g"
    got = [(float(r.get("x")), float(r.get("y")), float(r.get("width"))) for r in bars(root)]
    # plot width per column = 300 - 100 = 200; column j starts at 200 + 300 j; row i at 30 + 20 i
    assert got == [(500.0, 30.0, 197.4), (200.0, 50.0, 100.0), (500.0, 50.0, 50.0)]
    assert root.get("width") == str(200 + 2 * 300)


def test_paired_bars_geometry() -> None:
    root = parse(svg.paired_bars([svg.Pair("Li-ion batteries", 0.77, 0.99),
                                  svg.Pair("Magnets", 0.2, 0.0)],
                                 chart="p", title="t", legend=("direct", "look-through"),
                                 label_width=100, plot_width=400, bar_height=10, gap=2,
                                 group_gap=8, top=20))
    got = [(float(r.get("x")), float(r.get("y")), float(r.get("width"))) for r in bars(root)]
    # group i at 20 + i * (2*10 + 2 + 8); second bar 12 below; width = value * 400
    assert got == [(100.0, 20.0, 308.0), (100.0, 32.0, 396.0), (100.0, 50.0, 80.0),
                   (100.0, 62.0, 0.0)]


def test_stacked_bar_segments_follow_each_other() -> None:
    segs = [svg.Segment("China", 0.5, svg.CHINA), svg.Segment("Japan", 0.25, svg.ACCENT),
            svg.Segment("rest", 0.25, svg.OTHER_LIGHT)]
    root = parse(svg.stacked_bar(segs, chart="s", title="t", plot_width=400, left=10))
    got = [(float(r.get("x")), float(r.get("width"))) for r in bars(root)]
    assert got == [(10.0, 200.0), (210.0, 100.0), (310.0, 100.0)]


def test_tree_layout_leaves_stack_and_parents_centre() -> None:
    nodes = {n: svg.TreeNode(n, n.upper()) for n in "pabcxy"}
    children = {"p": [("a", ""), ("b", "")], "a": [("x", ""), ("y", "")], "b": [("x", "")]}
    lay = svg.tree_layout(["p"], children, nodes, column_width=100, row_height=20, margin=5,
                          box_width=80)
    placed = {(p.node.id, p.repeated): p for p in lay.nodes}
    # leaves in depth-first order: x, y (under a), then x again under b (drawn as a leaf)
    assert [p.node.id for p in lay.nodes] == ["p", "a", "x", "y", "b", "x"]
    assert [p.y for p in lay.nodes if p.node.id in "xy"] == [15.0, 35.0, 55.0]
    assert placed[("a", False)].y == 25.0          # mean of x (15) and y (35)
    assert placed[("b", False)].y == 55.0
    assert placed[("p", False)].y == 40.0          # mean of a (25) and b (55)
    assert [p.x for p in lay.nodes] == [5.0, 105.0, 205.0, 205.0, 105.0, 205.0]
    assert lay.height == 5 * 2 + 3 * 20 and lay.width == 5 * 2 + 2 * 100 + 80
    # a node reached twice is expanded once; a cycle is never followed
    lay2 = svg.tree_layout(["p"], {"p": [("a", "")], "a": [("p", "")]}, nodes)
    assert [p.node.id for p in lay2.nodes] == ["p", "a"]


def test_tree_chart_marks_and_escapes() -> None:
    nodes = {"r": svg.TreeNode("r", "Root <&>", bold=True),
             "c": svg.TreeNode("c", "Chokepoint", fill="#fdecea", stroke=svg.CHINA,
                               badge="CHN 94%")}
    root = parse(svg.tree_chart(["r"], {"r": [("c", "40%")]}, nodes, chart="bom-x", title="t"))
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert any(t.startswith("Root <&>") for t in texts)
    assert any(t.startswith("CHN 94%") for t in texts) and any(t.startswith("40%") for t in texts)
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("class") == "node"]) == 2


def test_timeline_maps_dates_linearly() -> None:
    start, end = dt.date(2024, 1, 1), dt.date(2025, 1, 1)          # 366 days
    assert svg.date_x(dt.date(2024, 7, 1), start, end, 100, 366) == 100 + 182
    lanes = [svg.Lane("Ga/Ge", [svg.Span(dt.date(2024, 1, 1), dt.date(2024, 4, 1)),
                                svg.Span(dt.date(2024, 4, 1), dt.date(2024, 12, 1),
                                         "suspended")])]
    root = parse(svg.timeline(lanes, chart="tl", title="t", start=start, end=end,
                              today=dt.date(2024, 6, 1), label_width=100, plot_width=366))
    spans = [r for r in root.iter(f"{SVG}rect") if "span" in (r.get("class") or "")]
    assert [(float(r.get("x")), float(r.get("width"))) for r in spans] == \
        [(100.0, 91.0), (191.0, 244.0)]
    assert "span-suspended" in spans[1].get("class") and spans[1].get("stroke-dasharray")


def test_truncate_drops_asides_before_cutting() -> None:
    assert svg.truncate("Graphite anode active material (AAM), natural", 40) == \
        "Graphite anode active material, natural"
    assert svg.truncate("Graphite anode active material (AAM), natural or synthetic", 30) == \
        "Graphite anode active material"
    assert svg.truncate("abcdefghij", 6) == "abcde…"
    assert svg.truncate("short", 6) == "short"


# ------------------------------------------------------------------- the report itself

@pytest.fixture(scope="module")
def report_file(snapshot_store: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(gather(snapshot_store, as_of=AS_OF)), encoding="utf-8")
    return path


def test_report_is_self_contained_with_every_chart_and_sources(report_file: Path) -> None:
    html = report_file.read_text(encoding="utf-8")
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert " src=" not in html and "@import" not in html and "url(" not in html
    charts = {c.get("data-chart") for c in _svgs(html)}
    assert CHARTS <= charts
    assert any(c.startswith("bom-") for c in charts)
    for key in ("concentration", "single-points-of-failure", "china-exposure", "ownership",
                "export-controls"):
        section = html.split(f'id="{key}"', 1)[1].split("</section>", 1)[0]
        assert '<ul class="sources">' in section and "https://" in section, key
    assert "Mineral Commodity Summaries" in html          # USGS cited by title
    assert "China" in html and "CHN" in html


def _svgs(html: str) -> list[ET.Element]:
    out, rest = [], html
    while "<svg" in rest:
        start = rest.index("<svg")
        end = rest.index("</svg>", start) + len("</svg>")
        out.append(parse(rest[start:end]))
        rest = rest[end:]
    return out


def test_report_numbers_match_the_queries(snapshot_store: Any) -> None:
    from kg.queries import run_query
    findings = gather(snapshot_store, as_of=AS_OF)
    conc = next(s for s in findings.sections if s.key == "concentration")
    _, rows = run_query(snapshot_store, "concentration", {"material": "gallium",
                                                          "stage": "refining"})
    shown = next(r for r in conc.table.rows if r[0] == "Gallium" and r[1] == "refining")
    assert shown[4] == f"{rows[0]['top_share'] * 100:.1f}%" and shown[3] == "China"
    controls = next(s for s in findings.sections if s.key == "export-controls")
    assert controls.stat.endswith(f"of {len(controls.table.rows)}")


def test_kg_report_command_prints_the_path(tmp_path: Path) -> None:
    """The command's plumbing (path, date, exit codes); the report's content on the bundled graph
    is checked above through `report_file`, so a small graph will do here."""
    env = {**os.environ, "KG_HOME": str(tmp_path / "home")}
    out = tmp_path / "out" / "r.html"
    small = Path(__file__).parent / "fixtures" / "records" / "small.jsonl"
    try:
        subprocess.run([sys.executable, "-m", "kg", "-q", "import", str(small)], env=env,
                       check=True, capture_output=True, timeout=600)
        r = subprocess.run([sys.executable, "-m", "kg", "report", "-o", str(out), "--as-of",
                            "2025-04-04"], env=env, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == str(out.resolve()) and out.exists()
        assert "On 2025-04-04" in out.read_text(encoding="utf-8")
        bad = subprocess.run([sys.executable, "-m", "kg", "report", "--as-of", "April"],
                             env=env, capture_output=True, text=True, timeout=600)
        assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    finally:
        subprocess.run([sys.executable, "-m", "kg", "store", "stop"], env=env,
                       capture_output=True, timeout=120)


# ------------------------------------------------------------------- headless Chromium

@pytest.fixture(scope="module")
def chromium() -> str:
    exe = find_chromium()
    if exe is None:
        reason = ("headless Chromium not found: install Debian's `chromium` "
                  "(apt-get install chromium) or set CHROMIUM=/path/to/chrome")
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI: {reason}")
        pytest.skip(reason)
    return exe


def test_report_renders_in_headless_chromium(chromium: str, report_file: Path,
                                             tmp_path: Path) -> None:
    with Chromium(chromium, width=1280, height=900) as browser:
        browser.load(report_file.as_uri())
        charts = browser.evaluate(
            "[...document.querySelectorAll('svg[data-chart]')].map(s => {"
            " const r = s.getBoundingClientRect();"
            " return {chart: s.dataset.chart, w: r.width, h: r.height,"
            "         marks: s.querySelectorAll('rect, path, text').length}; })")
        problems = browser.problems()
        requests = browser.requests()
        shot = browser.screenshot(tmp_path / "report.png")
        docs_shot = browser.screenshot(tmp_path / "report-small.png", scale=0.5)
    assert not problems, f"the page logged problems: {problems}"
    assert requests == [report_file.as_uri()], f"the page fetched more than itself: {requests}"
    names = {c["chart"] for c in charts}
    assert CHARTS <= names and any(n.startswith("bom-") for n in names), names
    for c in charts:
        assert c["w"] > 200 and c["h"] > 20 and c["marks"] >= 3, c
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("KG_UPDATE_SCREENSHOT"):     # refresh the README picture on request only
        shutil.copyfile(docs_shot, SCREENSHOT)


def test_trend_line_chart_geometry() -> None:
    from kg.report.trend import Line, line_chart
    root = parse(line_chart([Line("HS 8505 magnets", [(2000, 0.25), (2010, 0.5), (2020, 0.75)],
                                  "#c62828", signals=[(2020, "2020: rerouting? ...")])],
                            chart="t", title="trend", width=700, height=300, left=50, right=150,
                            top=30, bottom=30))
    assert root.get("data-chart") == "t"
    [line] = [e for e in root.iter(f"{SVG}polyline")]
    # plot 500 x 240 from (50, 30): x = 50 + (year - 2000) / 20 * 500, y = 30 + (1 - share) * 240
    assert line.get("points") == "50,210 300,150 550,90"
    [ring] = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "signal"]
    assert (ring.get("cx"), ring.get("cy")) == ("550", "90")


def test_report_shows_producer_country_restrictions_beside_chinas(snapshot_store: Any) -> None:
    """On 2025-06-01 the export-controls section names the producer countries' measures (DR
    Congo's cobalt suspension, Indonesia's nickel-ore ban, ...) beside China's."""
    from kg.queries import run_query
    findings = gather(snapshot_store, as_of=dt.date(2025, 6, 1))
    controls = next(s for s in findings.sections if s.key == "export-controls")
    _, rows = run_query(snapshot_store, "export-control-impact", {"as_of": "2025-06-01"})
    by_imposer = {r["imposed_by"] for r in rows}
    assert {"China", "DR Congo", "Indonesia", "Zimbabwe"} <= by_imposer
    for country in by_imposer:
        assert country in controls.lead, country
    shown = {row[0] for row in controls.table.rows}
    for r in rows:
        if r["control_id"] == "control:idn-esdm-2019-nickel-ore-export-ban":
            assert r["control"] in shown
            break
    else:
        raise AssertionError("Indonesia's nickel-ore ban is not in force on 2025-06-01")
