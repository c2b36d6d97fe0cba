"""The report's findings: stored queries run on the current graph, shaped for charts and tables.

Every number comes from a stored query in `queries/` (run with `kg.queries.run_query`); the only
other reads are small look-ups of structure and provenance that the queries do not return: the
bill-of-materials edges to draw, the HS codes of traded goods, and the `source_ids` of the facts
behind each number, resolved to `Source` nodes (title, URL, publisher, licence).
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..queries import run_query
from ..store import GraphStore
from . import svg
from .provenance import flat_ids, node_sources, produces_sources, resolve_sources
from .svg import CHINA, CHINA_LIGHT, OTHER, OTHER_LIGHT, pct

STAGE_ORDER = ("mining", "separation", "refining", "manufacturing")


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)      # right-aligned column indexes


@dataclass
class Section:
    key: str
    title: str
    question: str
    lead: str                         # the finding, one or two sentences
    charts: list[str]                 # SVG strings
    table: Table
    query: str                        # the stored queries behind it
    source_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    chart_captions: list[str] = field(default_factory=list)
    stat: str = ""                    # the headline number for the summary card
    stat_label: str = ""


def _iso(node_id: str | None) -> str:
    return node_id.split(":", 1)[1] if node_id and node_id.startswith("country:") else ""


def _money(value: float | None) -> str:
    if value is None:
        return "–"
    for unit, size in (("bn", 1e9), ("m", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"${value / size:,.1f} {unit}"
    return f"${value:,.0f}"


# --------------------------------------------------------------------- 1. concentration

def bom_edges(store: GraphStore) -> list[dict[str, Any]]:
    return store.read(
        "MATCH (a:Product)-[r:REQUIRES]->(b) "
        "RETURN a.id AS a, a.name AS a_name, a.category AS category, b.id AS b, "
        "b.name AS b_name, r.stage AS stage, r.source_ids AS ids ORDER BY a, b")


def concentration_section(store: GraphStore, spof: list[dict[str, Any]]) -> Section:
    _, rows = run_query(store, "concentration")
    focus = list(dict.fromkeys(r["input_id"] for r in spof if r.get("input_id")))
    by_item: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        if r.get("material_id") in focus and r.get("top_share") is not None:
            by_item[r["material_id"]][r["stage"]] = r
    items = sorted(by_item, key=lambda m: (-max(x["top_share"] for x in by_item[m].values()),
                                           next(iter(by_item[m].values()))["material"]))
    stages = [s for s in STAGE_ORDER if any(s in by_item[m] for m in items)]
    grid = []
    for m in items:
        cells = {}
        for stage, r in by_item[m].items():
            china = r.get("top_iso3") == "CHN"
            cells[stage] = svg.Cell(
                r["top_share"], CHINA if china else OTHER,
                f"{r.get('top_iso3') or r['top_country']} {pct(r['top_share'])}",
                f"{r['material']}, {stage} {r['year']}: {r['top_country']} {pct(r['top_share'], 1)}"
                f" of world output; HHI {r['hhi']:,.0f} ({r['producers']} producing countries)")
        grid.append(svg.GridRow(next(iter(by_item[m].values()))["material"], cells))
    chart = svg.bar_grid(grid, stages, chart="concentration-by-stage", label_width=250,
                         column_width=min(235, 940 / max(len(stages), 1)),
                         title="Top producing country's share of world output, by supply stage")
    # The finding: how often China is on top, and where processing is more concentrated.
    flat = [r for m in items for r in by_item[m].values()]
    china_top = [r for r in flat if r.get("top_iso3") == "CHN"]
    jumps = []
    for m in items:
        st = by_item[m]
        if "mining" in st:
            for proc in ("separation", "refining"):
                if proc in st and st[proc].get("top_iso3") == "CHN":
                    jumps.append((st[proc]["top_share"] - st["mining"]["top_share"], m, proc))
    lead = (f"Of the {len(flat)} stage figures for the {len(items)} inputs that the graph's products "
            f"depend on most, China is the top producer in {len(china_top)}.")
    if jumps:
        _gap, m, proc = max(jumps)
        st = by_item[m]
        lead += (f" Processing is where the dependence concentrates: {st['mining']['material']} is "
                 f"{pct(st['mining']['top_share'])} mined by {st['mining']['top_country']} but "
                 f"{pct(st[proc]['top_share'])} {'separated' if proc == 'separation' else 'refined'}"
                 f" in China.")
    table = Table(["material", "stage", "year", "top producer", "share", "HHI", "producers"],
                  [[r["material"], r["stage"], str(r["year"]), r["top_country"],
                    pct(r["top_share"], 1), f"{r['hhi']:,.0f}", str(r["producers"])]
                   for m in items for r in sorted(by_item[m].values(),
                                                  key=lambda x: STAGE_ORDER.index(x["stage"])
                                                  if x["stage"] in STAGE_ORDER else 9)],
                  numeric={2, 4, 5, 6})
    notes = ["Inputs shown: every material or intermediate that a single-points-of-failure finding "
             "names. HHI is the Herfindahl-Hirschman index (0-10 000; above 1 800 is highly "
             "concentrated); with one producer known it is a lower bound. Dashed line: 50 %."]
    return Section("concentration", "Concentration by supply stage",
                   "Who produces the inputs the tracked products need, stage by stage?", lead,
                   [chart], table, "concentration", flat_ids(r.get("sources") for r in flat), notes,
                   stat=f"{len(china_top)} of {len(flat)}",
                   stat_label=f"stage figures for {len(items)} key inputs where China is the top "
                              f"producer")


# --------------------------------------------------------------- 2. single points of failure

def _finding_text(f: dict[str, Any]) -> str:
    who = f["supplier"]
    if f["rule"] == "sole-domestic-producer":
        return f"{f['stage']}: sole domestic producer {who}"
    if f["rule"] == "sole-supplier":
        return f"sole supplier {who} of {f.get('customer') or 'a customer'}"
    group = f" — figure of its group, {f['group']}" if f.get("basis") == "group" else ""
    return f"{f['stage']}: {who} {pct(f['share'], 1)} ({f['year']}){group}"


def _badge(findings: list[dict[str, Any]]) -> str:
    ranked = sorted((f for f in findings if f["rule"] != "sole-domestic-producer"
                     and f.get("share") is not None), key=lambda f: -f["share"])
    if ranked:
        f = ranked[0]
        who = _iso(f.get("supplier_id")) or "1 site"
        return f"{who} {pct(f['share'])}" + ("*" if f.get("basis") == "group" else "")
    return "sole site"


def pick_products(spof: list[dict[str, Any]], edges: list[dict[str, Any]], n: int = 2) -> list[str]:
    """Top-level products (required by no other product): first the one with the most distinct
    chokepoint inputs, then each time the one whose not-yet-drawn chokepoints block the most
    products (so a second picture tells a new story)."""
    required = {e["b"] for e in edges}
    found: dict[str, set[str]] = defaultdict(set)
    blocks: dict[str, set[str]] = defaultdict(set)
    for r in spof:
        blocks[r["input_id"]].add(r["product_id"])
        if r["product_id"] not in required:
            found[r["product_id"]].add(r["input_id"])
    picked: list[str] = []
    shown: set[str] = set()
    while len(picked) < n:
        left = [p for p in found if p not in picked and (not picked or found[p] - shown)]
        if not left:
            break
        best = min(left, key=lambda p: (-sum(len(blocks[i]) for i in found[p] - shown),
                                        -len(found[p]), p))
        picked.append(best)
        shown |= found[best]
    return picked


def spof_section(store: GraphStore, spof: list[dict[str, Any]],
                 edges: list[dict[str, Any]]) -> Section:
    children: dict[str, list[tuple[str, str]]] = defaultdict(list)
    names: dict[str, str] = {}
    for e in edges:
        children[e["a"]].append((e["b"], ""))
        names[e["a"]], names[e["b"]] = e["a_name"], e["b_name"]
    products = pick_products(spof, edges)
    charts, captions = [], []
    for pid in products:
        findings: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in spof:
            if r["product_id"] == pid:
                findings[r["input_id"]].append(r)
        nodes = {}
        for nid, name in names.items():
            fs = findings.get(nid, [])
            if nid == pid:
                nodes[nid] = svg.TreeNode(nid, name, fill="#eceff1", stroke=OTHER, bold=True)
            elif fs:
                nodes[nid] = svg.TreeNode(nid, name, fill="#fdecea", stroke=CHINA,
                                          badge=_badge(fs),
                                          title=name + " — " + "; ".join(map(_finding_text, fs)),
                                          dashed=all(f.get("basis") == "group" for f in fs))
            else:
                nodes[nid] = svg.TreeNode(nid, name)
        charts.append(svg.tree_chart([pid], children, nodes, chart=f"bom-{pid.split(':', 1)[1]}",
                                     title=f"Bill of materials of {names[pid]}, chokepoints marked"))
        captions.append(f"{names[pid]}: {len(findings)} of its inputs have a single point of "
                        f"failure (red; badge = dominant country and its share of world output at "
                        f"the most concentrated stage; * and a dashed border: the element has no "
                        f"figure of its own, so the share is that of its group, e.g. the magnet "
                        f"rare earths). ↑ marks an item whose inputs are drawn above.")
    # The finding: how many products are exposed, through which inputs.
    by_input: dict[str, set[str]] = defaultdict(set)
    for r in spof:
        by_input[r["input"]].add(r["product"])
    products_hit = {r["product"] for r in spof}
    top_inputs = sorted(by_input, key=lambda i: (-len(by_input[i]), i))[:3]
    lead = (f"{len(products_hit)} products have at least one input whose supply at some stage "
            f"rests on one country holding half the world's output or more, or on a single asset. "
            f"The inputs behind the most products: "
            + ", ".join(f"{i} ({len(by_input[i])} products)" for i in top_inputs) + ".")
    shown = [r for r in spof if r["product_id"] in products]
    table = Table(["product", "input", "stage", "supplier", "share", "rule", "basis", "year",
                   "path"],
                  [[r["product"], r["input"], r["stage"] or "", r["supplier"],
                    pct(r.get("share"), 1), r["rule"],
                    f"group: {r['group']}" if r.get("basis") == "group" else (r.get("basis") or ""),
                    str(r.get("year") or ""), " → ".join(r.get("path") or [])]
                   for r in shown], numeric={4, 7})
    keys = [{"a": r["supplier_id"], "b": r["input_id"], "stage": r["stage"], "year": r.get("year")}
            for r in shown if r.get("supplier_id")]
    drawn = set()
    for pid in products:
        stack = [pid]
        while stack:
            n = stack.pop()
            if n not in drawn:
                drawn.add(n)
                stack.extend(c for c, _ in children.get(n, []))
    ids = produces_sources(store, keys) + flat_ids(e["ids"] for e in edges if e["a"] in drawn)
    notes = [f"The table lists the findings for the products drawn; `kg query "
             f"single-points-of-failure` lists all {len(spof)} for {len(products_hit)} products. "
             f"Threshold 50 %; a sole domestic producer is the USGS 2025 single-point-of-failure "
             f"criterion."]
    return Section("single-points-of-failure", "Single points of failure in bills of materials",
                   "Which inputs of a product hang on one country or one plant?", lead, charts,
                   table, "single-points-of-failure", list(dict.fromkeys(ids)), notes, captions,
                   stat=str(len(products_hit)),
                   stat_label=f"products with a single point of failure in their bill of "
                              f"materials, through {len(by_input)} inputs")


# ----------------------------------------------------------------- 3. direct vs look-through

def exposure_section(store: GraphStore, importer: str = "USA") -> Section:
    _, rows = run_query(store, "china-exposure", {"importer": importer})
    # an item with an import total but no partner flows has no shares to draw
    rows = [r for r in rows if r.get("direct_share") is not None
            and r.get("lookthrough_share") is not None]
    ids = [r["item_id"] for r in rows]
    codes: dict[str, list[str]] = defaultdict(list)
    hs_names: dict[str, str] = {}
    if ids:
        for c in store.read("MATCH (g)-[:CLASSIFIED_AS]->(h:HSCode) WHERE g.id IN $ids "
                            "RETURN g.id AS id, h.code AS code, h.name AS name ORDER BY code",
                            {"ids": ids}):
            codes[c["id"]].append(c["code"])
            hs_names[c["code"]] = (c["name"] or "").split(",")[0].strip()
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for r in rows:
        key = (tuple(codes.get(r["item_id"], [])), r["year"], round(r["direct_share"], 9),
               round(r["lookthrough_share"], 9), r.get("import_value_usd"))
        groups.setdefault(key, []).append(r)
    pairs, table_rows, group_rows = [], [], []
    for key, members in groups.items():
        names = [m["item"] for m in members]
        hs = ", ".join(key[0])
        what = "; ".join(hs_names.get(c, "") for c in key[0] if hs_names.get(c))
        label = f"HS {hs} {what}" if hs else names[0]
        r = members[0]
        pairs.append(svg.Pair(label, r["direct_share"], r["lookthrough_share"],
                              title=(f"HS {hs} {what}: " if hs else "") + "; ".join(names)))
        table_rows.append([(f"HS {hs} {what}: " if hs else "") + "; ".join(names), str(r["year"]),
                           _money(r.get("import_value_usd")), pct(r["direct_share"], 1),
                           pct(r["lookthrough_share"], 1), pct(r.get("hidden_share"), 1),
                           str(r.get("suppliers") or ""), r.get("flow_basis") or ""])
        group_rows.append((r, hs, names, what))
    importer_name = rows[0]["importer"] if rows else importer
    charts = [svg.paired_bars(pairs, chart="china-exposure", label_width=320,
                              title=f"{importer_name} imports: direct vs look-through dependence "
                                    f"on China",
                              legend=("direct from China", "look-through (China content)"))]
    captions = ["Each good: the share of the importer's imports that comes from China directly, "
                "and the look-through share that also counts the Chinese content of what other "
                "suppliers ship."]
    lead = "The graph holds no import flows with HS codes for this importer yet."
    stat, stat_label = "–", "no import flows with HS codes for this importer"
    keys: list[dict[str, Any]] = []
    if group_rows:
        r, hs, names, what = max(group_rows, key=lambda g: (g[0].get("hidden_share") or 0.0,
                                                            g[0]["lookthrough_share"]))
        goods = (f"{what.lower()} (HS {hs}: {len(names)} goods in the graph, e.g. "
                 f"{min(names, key=len)})" if hs else names[0])
        total = max(1.0, sum(v["contribution"] for v in r["via"] if v))
        shades = ["#ef6c00", "#fb8c00", "#ffa726", "#ffb74d", "#ffcc80", "#ffe0b2"]
        segs = []
        for k, v in enumerate(v for v in r["via"] if v):
            direct = v.get("basis") == "direct"
            label = (f"{v['supplier']} (direct)" if direct else
                     f"{v['supplier']} via {svg.truncate(v.get('input') or '?', 30).lower()}")
            segs.append(svg.Segment(label, v["contribution"] / total,
                                    CHINA if direct else shades[min(k - 1, len(shades) - 1)],
                                    title=(f"{v['supplier']}: {pct(v['supplier_share'], 1)} of "
                                           f"imports × China content {pct(v['china_share'], 1)}"
                                           f" ({v.get('basis')}, {v.get('input') or 'direct'})")))
            if not direct and v.get("input_id") and v.get("stage"):
                keys.append({"a": "country:CHN", "b": v["input_id"], "stage": v["stage"],
                             "year": None})
        rest = 1.0 - sum(s.value for s in segs)
        if rest > 0.0005:
            segs.append(svg.Segment("no Chinese content found", rest, OTHER_LIGHT))
        charts.append(svg.stacked_bar(segs, chart="lookthrough-breakdown",
                                      title=f"Where the look-through share of {goods} comes from"))
        captions.append(f"The look-through share of {goods}, {r['year']}, supplier by supplier: "
                        f"import share × China content of the input that sets it.")
        lead = (f"Of {importer_name} imports of {goods}, worth {_money(r.get('import_value_usd'))}"
                f" in {r['year']}, {pct(r['direct_share'])} come from China directly, but "
                f"{pct(r['lookthrough_share'])} once the Chinese content of other suppliers' "
                f"inputs is counted: {pct(r.get('hidden_share'))} of imports depend on China "
                f"through third countries.")
        stat = f"{pct(r['direct_share'])} → {pct(r['lookthrough_share'])}"
        stat_label = (f"of {importer_name} imports " + (f"under HS {hs} ({what.lower()}) " if hs
                      else f"of {names[0]} ") + "depend on China, direct → look-through")
    table = Table(["goods", "year", "imports", "direct", "look-through", "hidden", "suppliers",
                   "basis"], table_rows, numeric={1, 2, 3, 4, 5, 6})
    trade_ids: list[str] = []
    for r, hs, _, _ in group_rows:
        if hs:
            found = store.read(
                "MATCH (k:Country)-[e:EXPORTS_TO]->(imp:Country) "
                "WHERE (imp.id = $imp OR imp.id = 'country:' + $imp) AND e.year = $year "
                "AND any(c IN $codes WHERE e.hs_code STARTS WITH c) RETURN e.source_ids AS ids",
                {"imp": importer, "year": r["year"], "codes": hs.split(", ")})
            trade_ids += flat_ids(f["ids"] for f in found)
    notes = ["Look-through = s_CHN + Σ s_k · c_k over other suppliers k (capped at 1), c_k the "
             "largest Chinese share among the inputs the good requires: a weakest-link upper bound,"
             " not a value-added (Leontief) measure. Goods sharing one HS code share one trade "
             "figure (see classification-gaps)."]
    return Section("china-exposure", "Direct vs look-through exposure to China",
                   f"How much of what {importer_name} imports depends on China, directly or "
                   f"through third countries?", lead, charts, table, "china-exposure",
                   list(dict.fromkeys(trade_ids + produces_sources(store, keys))), notes, captions,
                   stat=stat, stat_label=stat_label)


# ------------------------------------------------------------- 4. ownership chains abroad

def _owned(r: dict[str, Any]) -> str:
    low, high = r.get("ownership_low"), r.get("ownership_high")
    if low is None or high is None or abs(high - low) < 1e-9:
        return pct(high)
    return f"{pct(low)}–{pct(high)}"


def ownership_section(store: GraphStore) -> Section:
    _, rows = run_query(store, "chinese-controlled-abroad", {"min_ownership": 0.0})  # any stake
    children: dict[str, list[tuple[str, str]]] = defaultdict(list)
    nodes: dict[str, svg.TreeNode] = {}
    roots: dict[str, int] = {}
    assets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        assets[r["entity"]].append(r)
    for r in rows:
        chain = list(r.get("owner_chain") or [r.get("owner"), r["entity"]])
        shares = list(r.get("chain_shares") or [None] * (len(chain) - 1))
        roots[chain[0]] = roots.get(chain[0], 0) + 1
        for i in range(len(chain) - 1):
            a, b = chain[i], chain[i + 1]
            label = pct(shares[i]) if i < len(shares) and shares[i] is not None else ""
            if (b, label) not in children[a] and b not in [c for c, _ in children[a]]:
                children[a].append((b, label))
    for name in {n for r in rows for n in (r.get("owner_chain") or [])} | set(assets):
        if name in roots:
            nodes[name] = svg.TreeNode(name, name, fill=CHINA_LIGHT, stroke=CHINA, bold=True,
                                       title=f"{name}: Chinese owner")
        elif name in assets:
            rs = assets[name]
            r = rs[0]
            made = [f"{x['material']} ({x.get('stage')}, {pct(x.get('share'), 1)} of world)"
                    if x.get("share") is not None else f"{x['material']} ({x.get('stage')})"
                    for x in rs if x.get("material")]
            nodes[name] = svg.TreeNode(
                name, name, badge=r.get("country_iso3") or "", badge_color=OTHER,
                title=(f"{name}, {r['country']}: Chinese ownership {_owned(r)}"
                       + (f"; produces {', '.join(made)}" if made else "")))
        else:
            nodes[name] = svg.TreeNode(name, name, fill="#f5f7f8", title=name)
    for a in children:
        children[a].sort(key=lambda c: (c[0] not in children, c[0]))
    order = sorted(roots, key=lambda o: (-roots[o], o))
    chart = svg.tree_chart(order, children, nodes, chart="ownership-chains",
                           title="Ownership chains from Chinese owners to assets outside China",
                           column_width=300, box_width=250, row_height=22, box_height=17)
    countries = {r["country"] for r in rows}
    attributed = [r for r in rows if r.get("attributed_share")]
    lead = (f"{len(assets)} facilities and firms in {len(countries)} countries outside China sit at "
            f"the end of ownership chains that start at {len(roots)} Chinese firms or the Chinese "
            f"state.")
    if attributed:
        top = max(attributed, key=lambda r: r["attributed_share"])
        lead += (f" The largest attributed share of world supply: {top['entity']} "
                 f"({top['country']}, {top['material'].lower()} {top['stage']}, "
                 f"{pct(top['share'], 1)} of world output × {pct(top['ownership_share'])} "
                 f"owned = {pct(top['attributed_share'], 1)}).")
    table = Table(["asset", "country", "material", "stage", "owned", "world share", "attributed",
                   "owner chain"],
                  [[r["entity"], r["country"], r.get("material") or "–", r.get("stage") or "–",
                    _owned(r), pct(r.get("share"), 1),
                    pct(r.get("attributed_share"), 2), " → ".join(r.get("owner_chain") or [])]
                   for r in rows], numeric={4, 5, 6})
    entity_ids = list(dict.fromkeys(r["entity_id"] for r in rows if r.get("entity_id")))
    own = store.read(
        "UNWIND $ids AS id MATCH p = (o:Firm)-[:OWNS*1..5]->(a {id: id}) "
        "UNWIND relationships(p) AS r RETURN DISTINCT r.source_ids AS ids",
        {"ids": entity_ids}) if entity_ids else []
    state = store.read(
        "MATCH (f:Firm)-[r:STATE_OWNED_BY]->(:Country {id: 'country:CHN'}) "
        "WHERE f.name IN $names RETURN r.source_ids AS ids", {"names": list(roots)})
    keys = [{"a": r["entity_id"], "b": r["material_id"], "stage": r["stage"], "year": r["year"]}
            for r in rows if r.get("material_id") and r.get("stage") and r.get("year")]
    ids = flat_ids(x["ids"] for x in own) + flat_ids(x["ids"] for x in state) + produces_sources(store, keys)
    notes = ["Percentages on the links are the share each owner holds in the next (blank: unknown)."
             " Where a share is unknown, 'owned' is a range: unknown counted as 0, and as 1 capped"
             " by the other owners' stated stakes. Badge: the asset's country. Only ownership the"
             " graph records is seen; offtake, operatorship and debt are not."]
    return Section("ownership", "Ownership chains abroad",
                   "Which assets outside China are owned, through chains of firms, by Chinese "
                   "owners?", lead, [chart], table, "chinese-controlled-abroad",
                   list(dict.fromkeys(ids)), notes, stat=str(len(assets)),
                   stat_label=f"facilities and firms in {len(countries)} countries outside China "
                              f"owned by Chinese firms or the state")


# -------------------------------------------------------------------- 5. export controls

def _date(text: Any) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def controls_section(store: GraphStore, as_of: _dt.date, importer: str = "USA") -> Section:
    _, rows = run_query(store, "export-control-impact",
                        {"as_of": as_of.isoformat(), "include_inactive": True,
                         "importer": importer})
    controls: dict[str, dict[str, Any]] = {}
    for r in rows:
        c = controls.setdefault(r["control_id"], {**r, "items": set(), "products": set()})
        if r.get("material"):
            c["items"].add(r["material"])
        if r.get("product"):
            c["products"].add(r["product"])
    ordered = sorted(controls.values(), key=lambda c: (str(c.get("effective") or "9"),
                                                       c["control"]))
    dated = [c for c in ordered if _date(c.get("effective"))]
    lanes = []
    if dated:
        first = min(d for c in dated if (d := _date(c["effective"])))
        last = max([as_of] + [d for c in dated for d in (_date(c.get("suspended_until")),) if d])
        start = _dt.date(first.year, 1, 1)
        month = last.year * 12 + last.month + 2          # the first day of the third month after
        end = _dt.date(month // 12, month % 12 + 1, 1)
    else:
        start, end = _dt.date(as_of.year - 1, 1, 1), _dt.date(as_of.year + 1, 1, 1)
    for c in dated:
        eff = _date(c["effective"])
        assert eff is not None
        s_from, s_until = _date(c.get("suspended_from")), _date(c.get("suspended_until"))
        spans = []
        if c.get("status") == "revoked":
            spans.append(svg.Span(eff, min(as_of, end), "announced", "revoked"))
        elif s_from:
            spans.append(svg.Span(eff, s_from, "active", f"in force from {eff}"))
            stop = s_until or end
            spans.append(svg.Span(s_from, min(stop, end), "suspended",
                                  f"suspended {s_from} – {s_until or 'open'}"))
            if s_until and s_until < end and c.get("status") == "lapsed-unverified":
                spans.append(svg.Span(s_until, end, "announced",
                                      f"suspension ended {s_until}: no later source, unverified"))
            elif s_until and s_until < end:
                spans.append(svg.Span(s_until, end, "active", f"in force again after {s_until}"))
        else:
            ended = _date(c.get("ended"))
            stop = min(ended, end) if ended and ended > eff else end
            spans.append(svg.Span(eff, stop, "active", f"in force from {eff}"
                                  + (f" to {ended}" if ended else "")))
        name = c["control"].removeprefix("China: ")
        lanes.append(svg.Lane(name, spans,
                              note=(f"{c.get('status')} · {len(c['items'])} items restricted · "
                                    f"{len(c['products'])} products downstream"),
                              title=f"{c['control']} — {c.get('instrument') or ''}"))
    chart = svg.timeline(lanes, chart="export-controls-timeline",
                         title="Export controls over time (solid: in force; dashed: suspended; light: suspension "
                               "ended, no later source)",
                         start=start, end=end, today=as_of)
    in_force = [c for c in ordered if c.get("status") == "in-force"]
    suspended = [c for c in ordered if c.get("status") == "suspended"]
    lapsed = [c for c in ordered if c.get("status") == "lapsed-unverified"]
    items = set().union(*(c["items"] for c in in_force)) if in_force else set()
    prods = set().union(*(c["products"] for c in in_force)) if in_force else set()
    imposers = sorted({c.get("imposed_by") or "?" for c in ordered})
    lead = (f"On {as_of.isoformat()}, {len(in_force)} of the {len(ordered)} export-control measures "
            f"in the graph ({', '.join(imposers)}) are in force"
            + (f" and {len(suspended)} suspended" if suspended else "")
            + (f"; {len(lapsed)} suspensions have ended with no later source in the graph, so "
               f"whether those measures apply again is unverified" if lapsed else "")
            + f"; those in force restrict {len(items)} materials and products and reach "
              f"{len(prods)} products downstream.")
    if suspended:
        until = min(d for c in suspended for d in (_date(c.get("suspended_until")),) if d) \
            if any(c.get("suspended_until") for c in suspended) else None
        if until:
            lead += f" The first suspension ends on {until.isoformat()}."
    table = Table(["measure", "instrument", "effective", f"status on {as_of.isoformat()}",
                   "suspended", "items restricted", "products reached"],
                  [[c["control"], c.get("instrument") or "", str(c.get("effective") or ""),
                    c.get("status") or "",
                    (f"{c.get('suspended_from')} – {c.get('suspended_until') or 'open'}"
                     if c.get("suspended_from") else ""),
                    f"{len(c['items'])}: " + ", ".join(sorted(c["items"])[:6])
                    + (" …" if len(c["items"]) > 6 else ""),
                    str(len(c["products"]))] for c in ordered], numeric={6})
    notes = ["Status on the report date: in force when effective (else announced) on or before it, "
             "not suspended, not ended (lapsed or replaced by a later measure) and not revoked; "
             "lapsed-unverified when a suspension has ended and no source in the graph is newer "
             "than its end. A measure on technology (e.g. the 2023 catalogue of prohibited "
             "technologies) restricts the know-how to make an item, not the item, so it reaches no "
             "products downstream. Products reached: products whose bill of materials needs a "
             "restricted item (REQUIRES, up to 6 levels)."]
    return Section("export-controls", "Export controls in force over time",
                   "Which export controls bind on the report date, and what do they reach?", lead,
                   [chart], table, "export-control-impact",
                   node_sources(store, list(controls)), notes,
                   stat=f"{len(in_force)} of {len(ordered)}",
                   stat_label=f"export-control measures in force on {as_of.isoformat()}, "
                              f"reaching {len(prods)} products")


# ------------------------------------------------------------------------------ all of it

@dataclass
class Findings:
    sections: list[Section]
    sources: dict[str, dict[str, Any]]
    manifest: dict[str, Any] | None
    as_of: _dt.date
    stats: dict[str, dict[str, int]]


def gather(store: GraphStore, *, as_of: _dt.date | None = None, importer: str = "USA") -> Findings:
    from ..build import current_manifest
    as_of = as_of or _dt.date.today()
    _, spof = run_query(store, "single-points-of-failure")
    edges = bom_edges(store)
    from .trend import trend_section  # it builds on this module's Section
    sections = [concentration_section(store, spof), spof_section(store, spof, edges),
                exposure_section(store, importer), trend_section(store, importer),
                ownership_section(store), controls_section(store, as_of, importer)]
    all_ids = list(dict.fromkeys(i for s in sections for i in s.source_ids))
    return Findings(sections, resolve_sources(store, all_ids), current_manifest(store), as_of,
                    store.stats())
