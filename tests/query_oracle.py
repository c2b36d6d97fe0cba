"""Independent reference implementations of the stored queries' arithmetic (docs/queries.md).

Plain Python and networkx over the same records-format fixtures the queries read; nothing here
looks at the Cypher. Tests compare the queries' rows with these results, and with numbers worked
out by hand in the tests themselves.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

STAGE_RANK = {"mining": 1, "separation": 2, "refining": 3, "manufacturing": 4}
BASIS_RANK = {"imports": 1, "mirror": 2, "exports": 3}
CHN = "country:CHN"


def read_records(paths: Iterable[Path]) -> list[dict[str, Any]]:
    out = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line))
    return out


@dataclass
class World:
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    rels: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, records: Iterable[dict[str, Any]]) -> "World":
        w = cls()
        for r in records:
            if "from" in r:
                w.rels.append(r)
            else:
                w.nodes[r["id"]] = r
        return w

    def label(self, node_id: str) -> str:
        return self.nodes[node_id]["type"]

    def name(self, node_id: str) -> str:
        return self.nodes[node_id]["name"]

    def groups_of(self, country: str) -> list[str]:
        """The country groups (the EU-27) that list `country` among their members."""
        return sorted(n for n, d in self.nodes.items() if country in d.get("members", []))

    def of_type(self, rel_type: str) -> list[dict[str, Any]]:
        return [r for r in self.rels if r["type"] == rel_type]

    # -- production -------------------------------------------------------------------------------
    def country_rows(self, item: str, stage: str, year: int | None = None) -> tuple[int | None, list[dict]]:
        rows = [r for r in self.of_type("PRODUCES") if r["to"] == item and r["stage"] == stage
                and self.label(r["from"]) == "Country" and (year is None or r["year"] <= year)]
        if not rows:
            return None, []
        latest = max(r["year"] for r in rows)
        return latest, [r for r in rows if r["year"] == latest]

    def country_shares(self, item: str, stage: str, year: int | None = None) -> tuple[int | None, dict[str, float]]:
        """Share of world output per country: quantity / world total, else stated share, else
        quantity / sum of quantities."""
        yr, rows = self.country_rows(item, stage, year)
        worlds = [r["world_quantity"] for r in rows if r.get("world_quantity")]
        world = max(worlds) if worlds else None
        total = sum(r.get("quantity") or 0 for r in rows)
        shares = {}
        for r in rows:
            q = r.get("quantity")
            if q is not None and world:
                shares[r["from"]] = q / world
            elif r.get("share") is not None:
                shares[r["from"]] = r["share"]
            elif q is not None and total > 0:
                shares[r["from"]] = q / total
        return yr, shares

    def world_total(self, item: str, stage: str, year: int) -> float | None:
        worlds = [r["world_quantity"] for r in self.of_type("PRODUCES")
                  if r["to"] == item and r["stage"] == stage and r["year"] == year
                  and self.label(r["from"]) == "Country" and r.get("world_quantity")]
        return max(worlds) if worlds else None

    def stages(self, item: str, year: int | None = None) -> set[str]:
        return {r["stage"] for r in self.of_type("PRODUCES") if r["to"] == item
                and self.label(r["from"]) == "Country" and (year is None or r["year"] <= year)}

    def asset_latest(self, item: str, stage: str | None = None, year: int | None = None) -> dict[tuple[str, str], dict]:
        """(asset, stage) -> its PRODUCES row of the latest year, for facilities and firms."""
        best: dict[tuple[str, str], dict] = {}
        for r in self.of_type("PRODUCES"):
            if r["to"] != item or self.label(r["from"]) not in ("Facility", "Firm"):
                continue
            if (stage is not None and r["stage"] != stage) or (year is not None and r["year"] > year):
                continue
            key = (r["from"], r["stage"])
            if key not in best or r["year"] > best[key]["year"]:
                best[key] = r
        return best

    def place(self, entity: str) -> str | None:
        for r in self.rels:
            if r["from"] == entity and r["type"] in ("LOCATED_IN", "HEADQUARTERED_IN"):
                return r["to"]
        return None

    # -- bills of materials -------------------------------------------------------------------------
    def bom(self) -> nx.MultiDiGraph:
        g = nx.MultiDiGraph()
        for r in self.of_type("REQUIRES"):
            g.add_edge(r["from"], r["to"], stage=r.get("stage"))
        return g

    def bom_paths(self, product: str, cutoff: int) -> list[tuple[list[str], str | None]]:
        """Every simple REQUIRES path from the product (length 1..cutoff) with its last link's stage."""
        g = self.bom()
        if product not in g:
            return []
        out = []
        for target in g.nodes:
            if target == product:
                continue
            for edge_path in nx.all_simple_edge_paths(g, product, target, cutoff=cutoff):
                nodes = [product] + [e[1] for e in edge_path]
                u, v, k = edge_path[-1]
                out.append((nodes, g.edges[u, v, k]["stage"]))
        return out

    # -- ownership --------------------------------------------------------------------------------
    def owner_roots(self, country: str) -> dict[str, float]:
        """Firms of a country: headquartered there (factor 1) or owned by its state (its share)."""
        roots: dict[str, float] = {}
        for r in self.of_type("STATE_OWNED_BY"):
            if r["to"] == country:
                roots[r["from"]] = r.get("share", 1.0) if r.get("share") is not None else 1.0
        for r in self.of_type("HEADQUARTERED_IN"):
            if r["to"] == country and self.label(r["from"]) == "Firm":
                roots[r["from"]] = 1.0
        return roots

    def ownership_chains(self, country: str, cutoff: int = 5) -> dict[str, list[tuple[list[str], list[float | None], float]]]:
        """asset -> [(nodes from the root down, link shares, effective share)] for chains that start
        at one of the country's firms and pass no other of them."""
        g = nx.MultiDiGraph()
        for r in self.of_type("OWNS"):
            g.add_edge(r["from"], r["to"], share=r.get("share"))
        roots = self.owner_roots(country)
        out: dict[str, list] = defaultdict(list)
        for root, factor in roots.items():
            if root not in g:
                continue
            for target in g.nodes:
                if target == root or target in roots:
                    continue
                for edge_path in nx.all_simple_edge_paths(g, root, target, cutoff=cutoff):
                    nodes = [root] + [e[1] for e in edge_path]
                    if any(n in roots for n in nodes[1:-1]):
                        continue
                    shares = [g.edges[e]["share"] for e in edge_path]
                    eff = factor
                    for s in shares:
                        eff *= 1.0 if s is None else s
                    out[target].append((nodes, shares, eff))
        return out

    def interest(self, country: str) -> dict[str, float]:
        """asset outside the country -> the country's ownership share in it (sum of chains, <= 1)."""
        result = {}
        headquartered = {r["from"] for r in self.of_type("HEADQUARTERED_IN") if r["to"] == country}
        for root, factor in self.owner_roots(country).items():
            if root not in headquartered and self.place(root) != country:
                result[root] = factor          # a foreign firm the state owns
        for asset, chains in self.ownership_chains(country).items():
            if self.place(asset) == country:
                continue
            result[asset] = min(1.0, sum(c[2] for c in chains))
        return result


# -- §6.1 look-through exposure ---------------------------------------------------------------------
def _code(world: World, hs_id: str) -> str:
    return world.nodes[hs_id]["code"] if hs_id in world.nodes else hs_id.split(":", 1)[1]


def _import_shares(world: World, importer: str, codes: list[str], year: int | None):
    """(year, {supplier: s_k} over the importer's IMPORTS total, or None without a total).

    The latest year with an annual total of the codes (finer codes count); per code the best
    reporting basis; the partner flows of exactly those codes, that basis and year."""
    flows = [r for r in world.of_type("EXPORTS_TO") if r["to"] == importer
             and r.get("value_usd") is not None and r.get("month", 0) == 0
             and r.get("flow_basis") != "exports"     # exporters' reports are not inflows
             and any(r["hs_code"].startswith(c) for c in codes)
             and (year is None or r["year"] <= year)]
    if not flows:
        return None, {}
    totals = [t for t in world.of_type("IMPORTS") if t["from"] == importer
              and t.get("value_usd") is not None and t.get("month", 0) == 0
              and (year is None or t["year"] <= year)
              and any(_code(world, t["to"]).startswith(c) for c in codes)]
    if not totals:
        return max(r["year"] for r in flows), None
    latest = max(t["year"] for t in totals)
    chosen: dict[str, dict[str, Any]] = {}
    for t in totals:
        if t["year"] != latest:
            continue
        code = _code(world, t["to"])
        if code not in chosen or BASIS_RANK[t["flow_basis"]] < BASIS_RANK[chosen[code]["flow_basis"]]:
            chosen[code] = t
    total = sum(t["value_usd"] for t in chosen.values())
    if total <= 0:
        return latest, None
    by_k: dict[str, float] = defaultdict(float)
    for r in flows:
        t = chosen.get(r["hs_code"])
        if r["year"] == latest and t is not None and r["flow_basis"] == t["flow_basis"]:
            by_k[r["from"]] += r["value_usd"]
    return latest, {k: v / total for k, v in by_k.items()}


def china_content_from_trade(world: World, k: str, codes: list[str], year: int | None) -> float | None:
    """China's share of k's imports of an input (codes match finer or one level coarser): the
    latest dataset, annual before monthly, value over the total, else weight, else a stated share."""
    def match(h: str) -> bool:
        return any(h.startswith(c) or c.startswith(h) for c in codes)
    tots = [t for t in world.of_type("IMPORTS") if t["from"] == k and match(_code(world, t["to"]))
            and (year is None or t["year"] <= year)]
    cn = [f for f in world.of_type("EXPORTS_TO") if f["from"] == CHN and f["to"] == k
          and match(f["hs_code"]) and (year is None or f["year"] <= year)]
    sets = ([(t["year"], t.get("month", 0), 1, t["flow_basis"]) for t in tots if t.get("value_usd") is not None]
            + [(t["year"], t.get("month", 0), 2, t["flow_basis"]) for t in tots
               if t.get("value_usd") is None and t.get("quantity") is not None]
            + [(f["year"], f.get("month", 0), 3, f["flow_basis"]) for f in cn if f.get("share") is not None])
    if not sets:
        return None
    y, m, rank, basis = min(sets, key=lambda s: (-s[0], s[1], s[2], s[3]))
    same = [f for f in cn if (f["year"], f.get("month", 0), f["flow_basis"]) == (y, m, basis)]
    if rank == 3:
        return max([f["share"] for f in same if f.get("share") is not None] + [0.0])
    field = "value_usd" if rank == 1 else "quantity"
    pt = [t for t in tots if (t["year"], t.get("month", 0), t["flow_basis"]) == (y, m, basis)
          and (t.get("value_usd") is not None if rank == 1
               else t.get("value_usd") is None and t.get("quantity") is not None)]
    pt_codes = {_code(world, t["to"]) for t in pt}
    num = sum(f.get(field) or 0.0 for f in same if f["hs_code"] in pt_codes)
    return num / sum(t[field] for t in pt)


def hs_codes(world: World, item: str) -> list[str]:
    return [world.nodes[r["to"]]["code"] for r in world.of_type("CLASSIFIED_AS") if r["from"] == item]


def trade_codes(world: World, item: str) -> list[str]:
    """An input's own HS codes, else those of the groups it is a member of."""
    return hs_codes(world, item) or [c for grp in world.nodes[item].get("member_of", [])
                                     for c in hs_codes(world, grp)]


def latest_figures(world: World, item: str, year: int | None = None) -> dict[str, dict[str, Any]]:
    """stage -> the latest figure of an item by the rule in docs/queries.md ("The latest figure"):
    {year, measure, basis, holder, shares: {country: share or None}}.

    1. a figure is a country row with a quantity or a share (a W/NA row is not); 2. the latest
    output year, capacity only where the stage has no output figure; 3. an element without figures
    of its own at a stage takes those of its smallest group (member_of) that has them; 4. shares
    over the larger of the stated world total and the sum of the quantities, else the stated share,
    else over the sum."""
    def is_capacity(r: dict[str, Any]) -> bool:
        return (r.get("basis") or "output") == "capacity"

    rows = [r for r in world.of_type("PRODUCES") if self_country(world, r)
            and (year is None or r["year"] <= year)]
    groups = [g for g in world.nodes.get(item, {}).get("member_of") or [] if g in world.nodes]
    size = {g: sum(1 for n in world.nodes.values() if g in (n.get("member_of") or [])) for g in groups}
    holders = [item] + sorted(groups, key=lambda g: (size[g], g))
    out: dict[str, dict[str, Any]] = {}
    for holder in holders:
        mine = [r for r in rows if r["to"] == holder]
        for stage in sorted({r["stage"] for r in mine}):
            if stage in out:
                continue
            at = [r for r in mine if r["stage"] == stage]
            real = [r for r in at if r.get("quantity") is not None or r.get("share") is not None]
            if not real:
                continue
            output = [r["year"] for r in real if not is_capacity(r)]
            measure = "output" if output else "capacity"
            yr = max(output) if output else max(r["year"] for r in real)
            chosen = [r for r in at if r["year"] == yr and is_capacity(r) == (measure == "capacity")]
            stated = max([r["world_quantity"] for r in chosen if r.get("world_quantity") is not None],
                         default=None)
            reported = sum(r.get("quantity") or 0 for r in chosen)
            world_total = None if stated is None else max(stated, reported)
            shares: dict[str, float | None] = {}
            for r in chosen:
                q = r.get("quantity")
                if q is not None and world_total:
                    shares[r["from"]] = q / world_total
                elif r.get("share") is not None:
                    shares[r["from"]] = r["share"]
                elif q is not None and reported > 0:
                    shares[r["from"]] = q / reported
                else:
                    shares[r["from"]] = None
            out[stage] = {"year": yr, "measure": measure, "holder": holder, "shares": shares,
                          "basis": "own" if holder == item else "group"}
    return out


def self_country(world: World, rel: dict[str, Any]) -> bool:
    return world.nodes.get(rel["from"], {}).get("type") == "Country"


def latest_china_share(world: World, item: str, stage: str | None, year: int | None = None) -> float:
    """China's share of world output of the item at the stage by the latest-figure rule (0 without)."""
    fig = latest_figures(world, item, year).get(stage) if stage is not None else None
    return (fig["shares"].get(CHN) or 0.0) if fig else 0.0


def usgs_import_sources(world: World, importer: str, year: int | None = None) -> dict[str, dict[str, Any]]:
    """material -> the USGS import sources of its latest IMPORT_RELIANCE row that gives shares:
    {year (the last year of the period), period, shares: {country: share}, other (the remainder)}."""
    out: dict[str, dict[str, Any]] = {}
    for r in world.of_type("IMPORT_RELIANCE"):
        if r["from"] != importer or not r.get("source_shares") or (year is not None and r["year"] > year):
            continue
        if r["to"] in out and out[r["to"]]["row_year"] >= r["year"]:
            continue
        period = r.get("sources_period") or str(r["year"])
        shares = {f"country:{c}": float(v) for c, v in zip(r["sources"], r["source_shares"], strict=True)}
        other = r.get("other_share")
        if other is None:
            other = max(0.0, 1.0 - sum(shares.values()))
        out[r["to"]] = {"row_year": r["year"], "year": int(period[-4:]), "period": period,
                        "shares": shares, "other": other}
    return out


def china_exposure(world: World, importer: str = "country:USA", max_depth: int = 4,
                   year: int | None = None) -> dict[str, dict[str, Any]]:
    """item -> {direct, lookthrough, year, via: {supplier: (input, stage, c, basis)}}."""
    interest = world.interest(CHN)
    usgs = usgs_import_sources(world, importer, year)
    results = {}
    items = {r["from"] for r in world.of_type("CLASSIFIED_AS")} | set(usgs)
    for g in sorted(items):
        trade_year, s = _import_shares(world, importer, hs_codes(world, g), year)
        if (trade_year is None or s is None) and g in usgs:
            # no trade total: the USGS import sources, each named source's share of the whole
            trade_year, s = usgs[g]["year"], usgs[g]["shares"]
        if trade_year is None:
            continue
        if s is None:       # flows but no total: no shares (never over the known partners)
            results[g] = {"direct": None, "lookthrough": None, "year": trade_year, "via": {}}
            continue
        cands: list[tuple[str, int, str | None]] = [(g, 0, None)]
        for nodes, named in world.bom_paths(g, max_depth):
            x = nodes[-1]
            st = named
            if st is None:
                present = set(latest_figures(world, x, year))
                st = max(present, key=lambda v: STAGE_RANK.get(v, 0)) if present else None
            cands.append((x, len(nodes) - 1, st))
        lookthrough, via = 0.0, {}
        for k, s_k in s.items():
            if k == CHN:
                lookthrough += s_k
                via[k] = (None, None, 1.0, "direct")
                continue
            best = (0.0, None, None, None)
            for x, depth, st in cands:
                base, basis = 0.0, None
                if depth > 0:
                    traded = china_content_from_trade(world, k, trade_codes(world, x), year)
                    for grp in (world.groups_of(k) if traded is None else []):
                        # a member without figures of its own takes its group's (the EU-27's)
                        traded = china_content_from_trade(world, grp, trade_codes(world, x), year)
                        if traded is not None:
                            break
                    if traded is not None:
                        base, basis = traded, "trade"
                    else:
                        base, basis = latest_china_share(world, x, st, year), "world"
                own = 0.0
                stages = [st] if st is not None else list(STAGE_RANK)
                for stage in stages:
                    owned = sum(r["quantity"] * interest[a] for (a, stg), r in
                                world.asset_latest(x, stage, year).items()
                                if a in interest and world.place(a) == k and r.get("quantity") is not None)
                    _, nat_rows = _national(world, k, x, stage, year)
                    if nat_rows and owned / nat_rows > own:
                        own = owned / nat_rows
                own = min(own, 1.0)
                c, cb = (own, "ownership") if own > base else (base, basis)
                if c > best[0]:
                    best = (c, x, st, cb)
            lookthrough += s_k * best[0]
            if best[0] > 0:
                via[k] = (best[1], best[2], best[0], best[3])
        results[g] = {"direct": s.get(CHN, 0.0), "lookthrough": min(1.0, lookthrough),
                      "year": trade_year, "via": via}
    return results


def _national(world: World, country: str, item: str, stage: str, year: int | None):
    rows = [r for r in world.of_type("PRODUCES") if r["from"] == country and r["to"] == item
            and r["stage"] == stage and r.get("quantity") is not None
            and (year is None or r["year"] <= year)]
    if not rows:
        return None, None
    r = max(rows, key=lambda r: r["year"])
    return r["year"], r["quantity"]


# -- single points of failure -------------------------------------------------------------------------
def single_points_of_failure(world: World, threshold: float = 0.5, domestic: str = "country:USA",
                             cutoff: int = 6) -> set[tuple[str, str, str, str, str]]:
    """{(product, input, stage, supplier id, rule)}"""
    out = set()
    products = [n for n, rec in world.nodes.items() if rec["type"] == "Product"]
    for p in products:
        inputs = {nodes[-1] for nodes, _ in world.bom_paths(p, cutoff)}
        for x in inputs:
            for stage in world.stages(x):
                yr, shares = world.country_shares(x, stage)
                if shares:
                    top = max(shares.values())
                    if top >= threshold:
                        for c, v in shares.items():
                            if v == top:
                                out.add((p, x, stage, c, "country"))
                wt = world.world_total(x, stage, yr) if yr else None
                assets = world.asset_latest(x, stage)
                for (a, _), r in assets.items():
                    share = r["quantity"] / wt if wt and r.get("quantity") is not None else r.get("share")
                    if share is not None and share >= threshold:
                        out.add((p, x, stage, a, "asset"))
                home = [a for (a, _) in assets if world.place(a) == domestic]
                if len(home) == 1:
                    out.add((p, x, stage, home[0], "sole-domestic-producer"))
    return out


def hhi(shares: Iterable[float]) -> float:
    return sum((100.0 * s) ** 2 for s in shares)


# -- export controls ----------------------------------------------------------------------------------
def control_status(ctl: dict[str, Any], as_of: str, newest_source_year: int | None = None) -> str:
    """The status on `as_of`; a suspension that has ended with no cited source from a later year
    leaves the measure lapsed-unverified, not in force."""
    eff = ctl.get("effective") or ctl.get("announced")
    if ctl.get("status") in ("revoked", "proposed"):
        return ctl["status"]
    if eff is None or eff > as_of:
        return "announced"
    if ctl.get("ended") is not None and ctl["ended"] <= as_of:
        return "expired"
    start, end = ctl.get("suspended_from"), ctl.get("suspended_until")
    if start is not None and start <= as_of and (end is None or as_of <= end):
        return "suspended"
    if end is not None and end < as_of and (newest_source_year is None
                                            or newest_source_year <= int(end[:4])):
        return "lapsed-unverified"
    return "in-force"


def newest_source_year(world: World, node: dict[str, Any]) -> int | None:
    years = [world.nodes[s].get("year") or int(world.nodes[s]["retrieved"][:4])
             for s in node.get("source_ids", []) if s in world.nodes]
    return max(years) if years else None
