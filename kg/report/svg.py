"""Small, dependency-free SVG chart builders for the HTML report.

Every builder returns one `<svg>` element as a string, with a `data-chart` attribute naming the
chart, a `<title>` for screen readers, and `<title>` tooltips on the marks (no scripts). Geometry is
plain arithmetic so tests can check it by hand:

* bars: a value v in [0, 1] is drawn `v * plot_width` pixels long, starting at the plot's left edge;
* trees: leaves are stacked `row_height` apart in depth-first order, a parent sits at the mean `y`
  of its children, and depth d is at `x = margin + d * column_width`;
* timelines: a date is at `x = left + (date - start) / (end - start) * plot_width`.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
CHINA = "#c62828"
CHINA_LIGHT = "#f4c7c3"
OTHER = "#546e7a"
OTHER_LIGHT = "#cfd8dc"
ACCENT = "#ef6c00"
INK = "#263238"
MUTED = "#78909c"
GRID = "#eceff1"


def _f(value: float) -> str:
    """Coordinates with at most two decimals, no trailing zeros (stable, compact output)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _a(text: object) -> str:
    return escape(str(text), quote=True)


def truncate(text: str, max_chars: int) -> str:
    """Shorten to `max_chars` characters: first drop parenthesised asides ("Graphite anode
    active material (AAM)" -> "Graphite anode active material"), then cut at a comma, else with
    an ellipsis. The full text goes in a tooltip."""
    text = " ".join(str(text).split())
    if len(text) <= max_chars:
        return text
    plain = re.sub(r"\s*\([^()]*\)", "", text).strip(" ,")
    if plain and len(plain) <= max_chars:
        return plain
    text = plain or text
    cut = text.rfind(", ", 0, max_chars + 2)
    if cut >= max_chars // 2:            # "Graphite anode active material, natural or …"
        return text[:cut]
    return text[: max(1, max_chars - 1)].rstrip(" ,;") + "…"


def pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def _svg(chart: str, width: float, height: float, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" data-chart="{_a(chart)}" '
            f'viewBox="0 0 {_f(width)} {_f(height)}" width="{_f(width)}" height="{_f(height)}" '
            f'role="img" aria-label="{_a(title)}" font-family="{_a(FONT)}" font-size="12" '
            f'fill="{INK}"><title>{escape(title)}</title>' + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, *, size: float = 12, anchor: str = "start",
          fill: str = INK, weight: str | None = None, title: str | None = None) -> str:
    attrs = f'x="{_f(x)}" y="{_f(y)}" font-size="{_f(size)}" fill="{fill}"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if weight:
        attrs += f' font-weight="{weight}"'
    inner = escape(text) + (f"<title>{escape(title)}</title>" if title else "")
    return f"<text {attrs}>{inner}</text>"


def _rect(x: float, y: float, w: float, h: float, fill: str, *, title: str | None = None,
          rx: float = 0, stroke: str | None = None, extra: str = "") -> str:
    attrs = f'x="{_f(x)}" y="{_f(y)}" width="{_f(max(w, 0))}" height="{_f(h)}" fill="{fill}"'
    if rx:
        attrs += f' rx="{_f(rx)}"'
    if stroke:
        attrs += f' stroke="{stroke}"'
    if extra:
        attrs += " " + extra
    if title:
        return f"<rect {attrs}><title>{escape(title)}</title></rect>"
    return f"<rect {attrs}/>"


# ------------------------------------------------------------------ grid of bars (stage matrix)

@dataclass
class Cell:
    value: float                 # 0..1, drawn as value * column plot width
    color: str = OTHER
    text: str = ""               # printed after the bar, e.g. "CHN 92%"
    title: str = ""              # tooltip


@dataclass
class GridRow:
    label: str
    cells: dict[str, Cell]       # column key -> cell (missing = no data)
    title: str = ""


def bar_grid(rows: Sequence[GridRow], columns: Sequence[str], *, chart: str, title: str,
             label_width: float = 210, column_width: float = 200, bar_height: float = 14,
             row_height: float = 24, header_height: float = 26, text_space: float = 62) -> str:
    """One row per item, one column per category (e.g. supply stage), a bar per cell.

    In column j the bar of value v starts at `label_width + j * column_width` and is
    `v * (column_width - text_space)` long; the cell text follows the bar end."""
    plot = column_width - text_space
    width = label_width + column_width * len(columns)
    height = header_height + row_height * len(rows) + 6
    body: list[str] = []
    for j, col in enumerate(columns):
        x0 = label_width + j * column_width
        body.append(_text(x0, 16, col, size=12, weight="600", fill=MUTED))
        body.append(f'<line x1="{_f(x0)}" y1="{_f(header_height - 4)}" x2="{_f(x0)}" '
                    f'y2="{_f(height - 4)}" stroke="{GRID}"/>')
        # the 50 % mark: one country with half the world's output
        xh = x0 + 0.5 * plot
        body.append(f'<line x1="{_f(xh)}" y1="{_f(header_height - 4)}" x2="{_f(xh)}" '
                    f'y2="{_f(height - 4)}" stroke="{GRID}" stroke-dasharray="3 3"/>')
    for i, row in enumerate(rows):
        y = header_height + i * row_height
        if i % 2 == 1:
            body.append(_rect(0, y - 3, width, row_height, "#fafbfc"))
        body.append(_text(4, y + bar_height - 2, truncate(row.label, int((label_width - 10) / 6.6)), size=12,
                          title=row.title or row.label))
        for j, col in enumerate(columns):
            cell = row.cells.get(col)
            if cell is None:
                continue
            x0 = label_width + j * column_width
            w = max(0.0, min(cell.value, 1.0)) * plot
            body.append(_rect(x0, y, w, bar_height, cell.color, rx=2,
                              title=cell.title or cell.text, extra='class="bar"'))
            if cell.text:
                body.append(_text(x0 + w + 4, y + bar_height - 3, cell.text, size=11))
    return _svg(chart, width, height, title, body)


# --------------------------------------------------------------------------- paired bars

@dataclass
class Pair:
    label: str
    first: float                 # 0..1
    second: float                # 0..1
    title: str = ""


def paired_bars(pairs: Sequence[Pair], *, chart: str, title: str, legend: tuple[str, str],
                colors: tuple[str, str] = (CHINA, ACCENT), label_width: float = 260,
                plot_width: float = 420, bar_height: float = 14, gap: float = 3,
                group_gap: float = 16, top: float = 30) -> str:
    """Two bars per item (e.g. direct and look-through share): each value v is `v * plot_width`
    long from `x = label_width`; the first bar of item i is at
    `y = top + i * (2 * bar_height + gap + group_gap)`, the second `bar_height + gap` below it."""
    group = 2 * bar_height + gap + group_gap
    width = label_width + plot_width + 70
    height = top + group * len(pairs) + 4
    body: list[str] = []
    lx = label_width
    for name, color in zip(legend, colors, strict=False):
        body.append(_rect(lx, 8, 12, 12, color, rx=2))
        body.append(_text(lx + 16, 18, name, size=12))
        lx += 26 + len(name) * 6.6
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = label_width + frac * plot_width
        body.append(f'<line x1="{_f(x)}" y1="{_f(top - 4)}" x2="{_f(x)}" y2="{_f(height - 2)}" '
                    f'stroke="{GRID}"/>')
    for i, p in enumerate(pairs):
        y = top + i * group
        body.append(_text(4, y + bar_height + 2, truncate(p.label, int((label_width - 10) / 6.6)),
                          size=12,
                          title=p.title or p.label))
        for k, (value, color) in enumerate(((p.first, colors[0]), (p.second, colors[1]))):
            yy = y + k * (bar_height + gap)
            w = max(0.0, min(value, 1.0)) * plot_width
            body.append(_rect(label_width, yy, w, bar_height, color, rx=2,
                              title=f"{legend[k]}: {pct(value, 1)}", extra='class="bar"'))
            body.append(_text(label_width + w + 5, yy + bar_height - 3, pct(value, 1), size=11))
    return _svg(chart, width, height, title, body)


# --------------------------------------------------------------------------- stacked bar

@dataclass
class Segment:
    label: str
    value: float                 # 0..1
    color: str
    title: str = ""


def stacked_bar(segments: Sequence[Segment], *, chart: str, title: str, plot_width: float = 680,
                bar_height: float = 26, left: float = 4, top: float = 6,
                min_label_width: float = 46) -> str:
    """Segments side by side: segment k starts where k-1 ends and is `value * plot_width` long.
    A segment wide enough gets its share printed inside; every segment gets a legend entry."""
    body: list[str] = []
    x = left
    body.append(_rect(left, top, plot_width, bar_height, "#f5f7f8", rx=3))
    for s in segments:
        w = max(0.0, s.value) * plot_width
        body.append(_rect(x, top, w, bar_height, s.color,
                          title=s.title or f"{s.label}: {pct(s.value, 1)}", extra='class="bar"'))
        if w >= min_label_width:
            body.append(_text(x + w / 2, top + bar_height / 2 + 4, pct(s.value, 0), size=11,
                              anchor="middle", fill="#fff", weight="600"))
        x += w
    ly = top + bar_height + 18
    lx = left
    for s in segments:
        label = f"{s.label} {pct(s.value, 1)}"
        step = 24 + len(label) * 6.2
        if lx + step > left + plot_width + 40 and lx > left:
            lx, ly = left, ly + 18
        body.append(_rect(lx, ly - 10, 11, 11, s.color, rx=2))
        body.append(_text(lx + 15, ly, label, size=11, title=s.title or None))
        lx += step
    return _svg(chart, left + plot_width + 60, ly + 8, title, body)


# --------------------------------------------------------------------------------- trees

@dataclass
class TreeNode:
    id: str
    label: str
    fill: str = "#ffffff"
    stroke: str = OTHER_LIGHT
    badge: str = ""              # short text at the box's right end, e.g. "CHN 94%"
    badge_color: str = CHINA
    title: str = ""              # tooltip (full name, numbers)
    bold: bool = False
    dashed: bool = False         # a finding resting on the figures of the item's group


@dataclass
class PlacedNode:
    node: TreeNode
    x: float
    y: float                     # centre line of the box
    depth: int
    repeated: bool = False       # drawn as a leaf: its subtree is shown elsewhere


@dataclass
class TreeLayout:
    nodes: list[PlacedNode] = field(default_factory=list)
    edges: list[tuple[int, int, str]] = field(default_factory=list)   # parent idx, child idx, label
    width: float = 0.0
    height: float = 0.0


def tree_layout(roots: Sequence[str], children: dict[str, list[tuple[str, str]]],
                nodes: dict[str, TreeNode], *, column_width: float = 210, row_height: float = 24,
                margin: float = 6, box_width: float = 186, max_depth: int = 8) -> TreeLayout:
    """Lay a forest out left to right. A node reached a second time is drawn again as a leaf
    (`repeated`), so a DAG unfolds into a tree without repeating whole subtrees. Leaves get
    `y = margin + row_height / 2 + k * row_height` in depth-first order (k = 0, 1, ...); a parent
    gets the mean `y` of its children; depth d gets `x = margin + d * column_width`."""
    out = TreeLayout()
    expanded: set[str] = set()
    next_leaf = [0]

    def place(node_id: str, depth: int, path: tuple[str, ...]) -> int:
        kids = [] if node_id in expanded or depth >= max_depth else \
            [(c, lbl) for c, lbl in children.get(node_id, []) if c not in path and c in nodes]
        repeated = node_id in expanded and bool(children.get(node_id))
        expanded.add(node_id)
        idx = len(out.nodes)
        out.nodes.append(PlacedNode(nodes[node_id], margin + depth * column_width, 0.0, depth,
                                    repeated))
        if not kids:
            out.nodes[idx].y = margin + row_height / 2 + next_leaf[0] * row_height
            next_leaf[0] += 1
            return idx
        child_idx = []
        for child, label in kids:
            c = place(child, depth + 1, path + (node_id,))
            child_idx.append(c)
            out.edges.append((idx, c, label))
        out.nodes[idx].y = sum(out.nodes[c].y for c in child_idx) / len(child_idx)
        return idx

    for root in roots:
        if root in nodes:
            place(root, 0, ())
    depth = max((p.depth for p in out.nodes), default=0)
    out.width = margin * 2 + depth * column_width + box_width
    out.height = margin * 2 + next_leaf[0] * row_height
    return out


def tree_chart(roots: Sequence[str], children: dict[str, list[tuple[str, str]]],
               nodes: dict[str, TreeNode], *, chart: str, title: str, column_width: float = 210,
               box_width: float = 186, row_height: float = 24, box_height: float = 18,
               margin: float = 6) -> str:
    """A left-to-right tree (bill of materials, ownership chains): boxes joined by elbow lines
    from the right edge of a parent to the left edge of each child, optional edge labels."""
    lay = tree_layout(roots, children, nodes, column_width=column_width, row_height=row_height,
                      margin=margin, box_width=box_width)
    body: list[str] = []
    for parent, child, label in lay.edges:
        p, c = lay.nodes[parent], lay.nodes[child]
        x1, x2 = p.x + box_width, c.x
        xm = x1 + (x2 - x1) / 2
        body.append(f'<path d="M{_f(x1)} {_f(p.y)} H{_f(xm)} V{_f(c.y)} H{_f(x2)}" fill="none" '
                    f'stroke="#b0bec5" stroke-width="1.2"/>')
        if label:   # just left of the child's box, above its connector
            body.append(_text(x2 - 3, c.y - 3, label, size=9.5, fill=MUTED, anchor="end"))
    for p in lay.nodes:
        n = p.node
        top = p.y - box_height / 2
        tip = n.title or n.label
        if p.repeated:
            tip += " (its inputs are drawn above)"
        body.append(_rect(p.x, top, box_width, box_height, n.fill, rx=4, stroke=n.stroke,
                          title=tip, extra='class="node"' + (' stroke-width="1.6"'
                                                             if n.stroke == CHINA else "")
                          + (' stroke-dasharray="4 2"' if n.dashed else "")))
        room = box_width - 12 - (len(n.badge) * 6.4 + 6 if n.badge else 0)
        label = truncate(n.label, int(room / (6.9 if n.bold else 6.2)) - (2 if p.repeated else 0))
        label += " ↑" if p.repeated else ""
        body.append(_text(p.x + 6, p.y + 4, label, size=11, weight="600" if n.bold else None,
                          title=tip))
        if n.badge:
            body.append(_text(p.x + box_width - 5, p.y + 4, n.badge, size=10.5, anchor="end",
                              fill=n.badge_color, weight="700", title=tip))
    return _svg(chart, lay.width, lay.height, title, body)


# ------------------------------------------------------------------------------ timeline

@dataclass
class Span:
    start: _dt.date
    end: _dt.date
    kind: str = "active"         # active | suspended | announced
    title: str = ""


@dataclass
class Lane:
    label: str
    spans: list[Span]
    note: str = ""               # printed under the label, e.g. "8 materials · 12 products"
    title: str = ""


SPAN_STYLE = {
    "active": (CHINA, None),
    "suspended": ("#ffffff", CHINA),
    "announced": (CHINA_LIGHT, None),
}


def date_x(day: _dt.date, start: _dt.date, end: _dt.date, left: float, plot_width: float) -> float:
    span = max((end - start).days, 1)
    return left + (day - start).days / span * plot_width


def timeline(lanes: Sequence[Lane], *, chart: str, title: str, start: _dt.date, end: _dt.date,
             today: _dt.date | None = None, label_width: float = 330, plot_width: float = 640,
             lane_height: float = 34, bar_height: float = 12, top: float = 28) -> str:
    """One lane per measure; a span from a to b is drawn from `date_x(a)` to `date_x(b)`.
    Active spans are solid, suspended ones outlined, announced-not-yet-effective ones pale;
    `today` gets a vertical marker. Year ticks on top."""
    width = label_width + plot_width + 20
    height = top + lane_height * len(lanes) + 8
    body: list[str] = []
    for year in range(start.year, end.year + 1):
        for month in (1, 7):
            day = _dt.date(year, month, 1)
            if not start <= day <= end:
                continue
            x = date_x(day, start, end, label_width, plot_width)
            body.append(f'<line x1="{_f(x)}" y1="{_f(top - 6)}" x2="{_f(x)}" y2="{_f(height - 4)}" '
                        f'stroke="{GRID if month == 1 else "#f5f7f8"}"/>')
            if month == 1:
                body.append(_text(x + 3, top - 10, str(year), size=11, fill=MUTED, weight="600"))
    for i, lane in enumerate(lanes):
        y = top + i * lane_height
        if i % 2 == 1:
            body.append(_rect(0, y - 2, width, lane_height, "#fafbfc"))
        body.append(_text(4, y + 11, truncate(lane.label, 52), size=11.5,
                          title=lane.title or lane.label))
        if lane.note:
            body.append(_text(4, y + 25, lane.note, size=10, fill=MUTED))
        for s in lane.spans:
            x1 = date_x(max(s.start, start), start, end, label_width, plot_width)
            x2 = date_x(min(s.end, end), start, end, label_width, plot_width)
            fill, stroke = SPAN_STYLE.get(s.kind, SPAN_STYLE["active"])
            body.append(_rect(x1, y + 3, x2 - x1, bar_height, fill, stroke=stroke, rx=2,
                              title=s.title or s.kind,
                              extra=f'class="span span-{_a(s.kind)}"'
                                    + (' stroke-dasharray="3 2"' if s.kind == "suspended" else "")))
    if today is not None and start <= today <= end:
        x = date_x(today, start, end, label_width, plot_width)
        body.append(f'<line x1="{_f(x)}" y1="{_f(top - 6)}" x2="{_f(x)}" y2="{_f(height - 4)}" '
                    f'stroke="{INK}" stroke-width="1.5"/>')
        body.append(_text(x - 3, top - 10, f"{today.isoformat()}", size=10.5, anchor="end",
                          fill=INK, weight="700"))
    return _svg(chart, width, height, title, body)
