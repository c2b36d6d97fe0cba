"""The report's trend section: China's share of an importer's imports by year (`exposure-trend`),
drawn as an inline SVG line chart with the rerouting signals marked."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from html import escape
from typing import Any

from ..queries import run_query
from ..store import GraphStore
from . import svg
from .data import Section, Table
from .provenance import flat_ids

PALETTE = ("#c62828", "#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f")


@dataclass
class Line:
    label: str
    points: list[tuple[int, float]]              # (year, share 0-1), in year order
    color: str
    signals: list[tuple[int, str]] = field(default_factory=list)   # (year, tooltip)
    dashed: bool = False


def line_chart(lines: list[Line], *, chart: str, title: str, width: float = 720,
               height: float = 300, left: float = 48, right: float = 190, top: float = 34,
               bottom: float = 30) -> str:
    """Shares (0-1) over years: one polyline per series, a ring on each signal year, a legend."""
    years = [y for ln in lines for y, _ in ln.points] or [0]
    y0, y1 = min(years), max(years)
    span = max(1, y1 - y0)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(year: int) -> float:
        return left + (year - y0) / span * plot_w

    def y(share: float) -> float:
        return top + (1.0 - max(0.0, min(1.0, share))) * plot_h

    body = [svg._text(left, 18, title, size=14, weight="600")]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        body.append(f'<line x1="{svg._f(left)}" x2="{svg._f(left + plot_w)}" y1="{svg._f(y(tick))}" '
                    f'y2="{svg._f(y(tick))}" stroke="{svg.GRID}"/>')
        body.append(svg._text(left - 6, y(tick) + 4, svg.pct(tick), size=10, anchor="end",
                              fill=svg.MUTED))
    step = max(1, round(span / 8))
    for year in range(y0, y1 + 1, step):
        body.append(svg._text(x(year), top + plot_h + 18, str(year), size=10, anchor="middle",
                              fill=svg.MUTED))
    for i, ln in enumerate(lines):
        pts = " ".join(f"{svg._f(x(a))},{svg._f(y(b))}" for a, b in ln.points)
        dash = ' stroke-dasharray="5 3"' if ln.dashed else ""
        body.append(f'<polyline class="series" data-series="{svg._a(ln.label)}" points="{pts}" '
                    f'fill="none" stroke="{ln.color}" stroke-width="2"{dash}>'
                    f"<title>{escape(ln.label)}</title></polyline>")
        for a, b in ln.points:
            body.append(f'<circle cx="{svg._f(x(a))}" cy="{svg._f(y(b))}" r="2" fill="{ln.color}">'
                        f"<title>{escape(f'{ln.label} {a}: {svg.pct(b, 1)}')}</title></circle>")
        share_at = dict(ln.points)
        for year, tip in ln.signals:
            if year in share_at:
                body.append(f'<circle class="signal" cx="{svg._f(x(year))}" '
                            f'cy="{svg._f(y(share_at[year]))}" r="6" fill="none" '
                            f'stroke="{svg.ACCENT}" stroke-width="2"><title>{escape(tip)}</title>'
                            f"</circle>")
        ly = top + 8 + i * 18
        body.append(f'<line x1="{svg._f(width - right + 12)}" x2="{svg._f(width - right + 32)}" '
                    f'y1="{svg._f(ly - 4)}" y2="{svg._f(ly - 4)}" stroke="{ln.color}" '
                    f'stroke-width="2"{dash}/>')
        body.append(svg._text(width - right + 38, ly, svg.truncate(ln.label, 24), size=11,
                              title=ln.label))
    ly = top + 8 + len(lines) * 18 + 6
    body.append(f'<circle cx="{svg._f(width - right + 22)}" cy="{svg._f(ly - 4)}" r="6" fill="none" '
                f'stroke="{svg.ACCENT}" stroke-width="2"/>')
    body.append(svg._text(width - right + 38, ly, "rerouting signal", size=11))
    return svg._svg(chart, width, height, title, body)


def _label(code: str, goods: list[str]) -> str:
    return f"HS {code}" + (f" {goods[0].lower()}" if goods else "")


def trend_section(store: GraphStore, importer: str = "USA", max_lines: int = 4) -> Section:
    _, rows = run_query(store, "exposure-trend", {"importer": importer})
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        series[r["hs_code"]].append(r)
    # The longest series with goods in the graph, then the highest latest China share.
    ranked = sorted((c for c, rs in series.items() if rs[-1].get("goods")),
                    key=lambda c: (-len(series[c]), -(series[c][-1]["china_share"] or 0.0), c))
    chosen = ranked[:max_lines]
    lines, table_rows, ids = [], [], []
    for i, code in enumerate(chosen):
        rs = series[code]
        goods = rs[-1]["goods"]
        points = [(r["year"], r["china_share"]) for r in rs if r["china_share"] is not None]
        signals = [(r["year"], f"{r['year']}: {r['signal']}") for r in rs if r.get("signal")]
        lines.append(Line(_label(code, goods), points, PALETTE[i % len(PALETTE)], signals,
                          dashed=rs[-1]["share_of"] != "total"))
        first, last = rs[0], rs[-1]
        table_rows.append([f"HS {code}: " + "; ".join(goods), f"{first['year']}-{last['year']}",
                           svg.pct(first["china_share"], 1), svg.pct(last["china_share"], 1),
                           ", ".join(f"{t['iso3']} {svg.pct(t['share'], 0)}"
                                     for t in last["top_suppliers"] or []),
                           last["share_of"],
                           "; ".join(str(y) for y, _ in signals) or "–"])
    importer_name = rows[0]["importer"] if rows else importer
    charts, captions = [], []
    lead = "The graph holds no import series by partner for this importer."
    stat, stat_label = "–", "no import series by partner"
    if lines:
        charts.append(line_chart(lines, chart="exposure-trend",
                                 title=f"{importer_name} imports: China's share by year"))
        captions.append("China's share of the importer's imports of each code by year; a dashed "
                        "line is a share among the partners the source names (no total known); a "
                        "ring marks a rerouting signal (China's share fell while another "
                        "supplier's rose and its own imports from China grew).")
        top = lines[0]
        y_a, s_a = top.points[0]
        y_b, s_b = top.points[-1]
        n_signals = sum(len(ln.signals) for ln in lines)
        lead = (f"{top.label}: China's share of {importer_name} imports went from "
                f"{svg.pct(s_a)} in {y_a} to {svg.pct(s_b)} in {y_b}; the chart marks "
                f"{n_signals} rerouting signal{'s' if n_signals != 1 else ''} on the series drawn.")
        stat = f"{svg.pct(s_a)} → {svg.pct(s_b)}"
        stat_label = f"China's share of {importer_name} imports under {top.label}, {y_a}-{y_b}"
    sources = store.read(
        "MATCH (k:Country)-[e:EXPORTS_TO]->(imp:Country) "
        "WHERE (imp.id = $imp OR imp.id = 'country:' + $imp) AND e.hs_code IN $codes "
        "RETURN DISTINCT e.source_ids AS ids", {"imp": importer, "codes": chosen}) if chosen else []
    ids = flat_ids(s["ids"] for s in sources)
    table = Table(["code and goods", "years", "China first", "China latest",
                   "top other suppliers (latest)", "share of", "signals"], table_rows,
                  numeric={2, 3})
    notes = ["`kg query exposure-trend` lists every code and year with the signals' evidence. A "
             "signal is a pointer, not proof: re-exports, transshipment and capacity built with "
             "Chinese inputs look alike in trade data."]
    return Section("exposure-trend", "Exposure trend and rerouting signals",
                   f"Is China's share of {importer_name} imports falling, and where is it going?",
                   lead, charts, table, "exposure-trend", ids, notes, captions, stat=stat,
                   stat_label=stat_label)
