"""U.S. Geological Survey, Mineral Commodity Summaries (MCS) data releases.

Publisher: U.S. Geological Survey, National Minerals Information Center. Licence: public domain
(U.S. Government work; the FGDC metadata states no access or use constraints). Cadence: annual,
late January. MCS 2025: https://doi.org/10.5066/P13XCP3R (ScienceBase item 677eaf95d34e760b392c4970).

Mapped (see `loaders/_crosswalks/` for every name and TYPE mapping and its basis):
- `MCS{YYYY}_World_Data.csv` -> `PRODUCES` (Country -> Material, stage, year, quantity in metric
  tons, share of the USGS world total) and `HOLDS_RESERVES`;
- `mcs{YYYY}-{abbr}_salient.csv` (found by header, any file name) -> `IMPORT_RELIANCE` per year;
- industry trends `Fig2_Net_Import_Reliance` (ranked import sources) and `T5_Critical_Minerals_Salient`
  (primary import source; leading producer, used only where the World Data has no row).
Inputs may be the CSV files, directories or the release zips.

Quirks handled (MCS 2025, documented in docs/loaders.md, "usgs-mcs"): UTF-8 BOM and CRLF; `PROD_EST_ 2024`
(a space in the header); trailing spaces and NBSP in names; the `Gemanium` typo; aggregate rows
(`World total (rounded) 10`, `Other countries`, `United States and Canada`) kept out of country facts
but used as share denominators; withheld data flagged only in PROD_NOTES (`W for 23-24`); `NA`, `xx`,
`>90000000`, `>17,000,000`, `Large`, "Less than 1/2 unit" kept as qualifiers, never 0; reserve units
named only in notes ("(Reserve data is thousand metric tons)"); a kaolin world total that is 10x
too small (no shares then); units printed wrong for titanium concentrates and industrial sand.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from kg.errors import DataError
from kg.models import Record, parse_record
from kg.sources import FetchedFile, FetchError, SourceSpec, download, write_manifest

from ._common import Member, crosswalk_file, iter_members
from ._usgs import commodities, nir, salient, trends, world
from ._usgs import crosswalk as cw

log = logging.getLogger(__name__)

SCIENCEBASE = "https://www.sciencebase.gov"
# edition -> (ScienceBase item id, DOI). Files are resolved from the item JSON at fetch time.
EDITIONS = {
    2026: ("696a75d5d4be0228872d3bf8", "10.5066/P1WKQ63T"),
    2025: ("677eaf95d34e760b392c4970", "10.5066/P13XCP3R"),
    2023: ("63d1a3c6d34e06fef15006be", "10.5066/P9WCYUI6"),
}
WANTED = re.compile(r"(world_data|salient|industry_trends|commodities_data)[^/]*\.zip$|world_data\.csv$"
                    r"|commodities_data\.csv$|_salient\.csv$"
                    r"|fig2_net_import_reliance\.csv$|t5_critical_minerals_salient\.csv$", re.I)

SPEC = SourceSpec(
    name="usgs-mcs",
    title="USGS Mineral Commodity Summaries data release (world production and reserves, "
          "U.S. salient statistics, industry trends)",
    publisher="U.S. Geological Survey, National Minerals Information Center",
    urls=tuple(f"{SCIENCEBASE}/catalog/item/{item}?format=json" for item, _ in EDITIONS.values()),
    license="Public domain (U.S. Government work)",
    cadence="annual (late January)",
    homepage="https://www.usgs.gov/centers/national-minerals-information-center/mineral-commodity-summaries",
)

PARTS = {
    "world": ("usgs-mcs-{e}", "Mineral Commodity Summaries {e}: world mine production, capacity "
                              "and reserves (MCS{e}_World_Data.csv)"),
    "salient": ("usgs-mcs-{e}-salient", "Mineral Commodity Summaries {e}: U.S. salient statistics "
                                        "by commodity (mcs{e}-*_salient.csv)"),
    "commodities": ("usgs-mcs-{e}", "Mineral Commodity Summaries {e} data release: world production, "
                                    "capacity and reserves, U.S. salient statistics and import "
                                    "sources (MCS{e}_Commodities_Data.csv)"),
    "trends": ("usgs-mcs-{e}-industry-trends", "Mineral Commodity Summaries {e}: mineral industry "
                                               "trends (Fig2 net import reliance, T5 critical minerals)"),
}


# --- snapshot recipe: which public files `kg snapshot rebuild` bundles, under which names -------

def snapshot_inputs(members: list[Member]) -> list[tuple[Member, str, dict[str, Any]]]:
    """The snapshot recipe (registry `snapshot_recipe`): the MCS files among `members`, each under
    its public name with the edition's ScienceBase item and DOI."""
    out = []
    for m in members:
        if not m.filename.lower().endswith(".csv"):
            continue        # USGS releases tables as CSV (zip archives are opened by the caller)
        kind = _kind(m)
        if kind is None:
            continue
        edition = _edition(m)
        item, doi = EDITIONS.get(edition, (None, None))
        if kind == "world":
            name, archive = f"MCS{edition}_World_Data.csv", "World_Data.zip"
        elif kind == "salient":
            found = re.search(r"(mcs\d{4}-?[a-z]+_salient\.csv)$", m.filename, re.I)
            name, archive = (found.group(1) if found else m.filename), "Salient_Commodity.zip"
        elif kind == "commodities":
            name, archive = m.filename, None
        else:
            found = re.search(r"(MCS\d{4}_.+\.csv)$", m.filename, re.I)
            name, archive = (found.group(1) if found else m.filename), "Industry_Trends.zip"
        extra = {"url": f"{SCIENCEBASE}/catalog/item/{item}" if item else SPEC.homepage,
                 "doi": doi, "edition": edition}
        if archive:
            extra.update(archive=archive, member=name)
        out.append((m, name, extra))
    return out


# --- fetch: the only network code ----------------------------------------------------------------

def fetch(dest: Path, *, base_url: str | None = None, edition: int = 2026, timeout: float = 60.0,
          retries: int = 3, backoff: float = 1.0) -> list[Path]:
    """Resolve the edition's files from its ScienceBase item JSON (and child items) and download them.

    `base_url` replaces https://www.sciencebase.gov (tests point it at a loopback server).
    """
    if edition not in EDITIONS:
        raise FetchError(f"no ScienceBase item known for MCS {edition}; known: {sorted(EDITIONS)}")
    item_id, _ = EDITIONS[edition]
    origin = (base_url or SCIENCEBASE).rstrip("/")
    opts: dict[str, Any] = {"timeout": timeout, "retries": retries, "backoff": backoff}
    dest.mkdir(parents=True, exist_ok=True)
    catalog = [download(f"{origin}/catalog/item/{item_id}?format=json",
                        dest / f"sciencebase-{item_id}.json", **opts)]
    item = _json(catalog[0].path)
    files = list(item.get("files") or [])
    if item.get("hasChildren") or not any(WANTED.search(f.get("name", "")) for f in files):
        # Some releases keep their files on child items.
        catalog.append(download(f"{origin}/catalog/items?parentId={item_id}&format=json&fields=title,files&max=100",
                                dest / f"sciencebase-{item_id}-children.json", **opts))
        for child in _json(catalog[-1].path).get("items") or []:
            files.extend(child.get("files") or [])
    wanted = [f for f in files if WANTED.search(f.get("name", ""))]
    if not wanted:
        raise FetchError(f"ScienceBase item {item_id} lists no MCS data files")
    fetched: list[FetchedFile] = []
    for f in wanted:
        url = _rebase(f.get("url") or f.get("downloadUri") or "", origin)
        fetched.append(download(url, dest / Path(f["name"]).name, **opts))
    for c in catalog:
        c.extra["role"] = "catalog"
    write_manifest(dest, SPEC.name, catalog + fetched)
    return [f.path for f in fetched]


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise FetchError(f"{path.name}: not JSON ({exc})") from exc
    return data if isinstance(data, dict) else {}


def _rebase(url: str, origin: str) -> str:
    if url.startswith(SCIENCEBASE):
        return origin + url[len(SCIENCEBASE):]
    return urljoin(origin + "/", url)


# --- parse: local files only ---------------------------------------------------------------------

def parse(paths: Iterable[Path]) -> Iterator[Record]:
    """Records from MCS files, directories or zips: Sources, Materials, then the facts."""
    members: dict[str, list[tuple[int, Member]]] = defaultdict(list)
    for member in iter_members(paths):
        if member.listed and re.fullmatch(r"sciencebase-.*\.json", member.filename):
            continue    # the catalog JSON `fetch` keeps for provenance: not data
        kind = _kind(member)
        if kind is None:
            if member.listed:
                raise DataError("not a USGS MCS World Data, salient, Fig2 or T5 table",
                                file=member.name, line=1)
            continue
        members[kind].append((_edition(member), member))
    parts: dict[str, tuple[str, int, list[Member]]] = {}

    def source(part: str, edition: int, member: Member) -> str:
        sid = "source:" + PARTS[part][0].format(e=edition)
        parts.setdefault(sid, (part, edition, []))[2].append(member)
        return sid

    facts: dict[tuple[Any, ...], tuple[str, int, dict[str, Any]]] = {}
    nir_facts: list[nir.NirFact] = []
    import_shares: list[tuple[int, str, commodities.ImportShares]] = []
    world_parts = [(e, m, "world") for e, m in members["world"]] + \
        [(e, m, "commodities") for e, m in members["commodities"]]
    for edition, m, kind in sorted(world_parts, key=lambda x: x[0]):
        sid = source(kind, edition, m)
        if kind == "commodities":
            release = commodities.parse(m, sid)
            result = world.facts(m, release.rows)
            nir_facts += [dataclasses.replace(f, edition=edition) for f in release.nir]
            import_shares += [(edition, sid, shares) for shares in release.imports]
            log.info("%s: %d rows: %d production, %d capacity, %d reserve rows, %d net import "
                     "reliance figures, import sources of %d materials", m.name,
                     release.stats["rows"], release.stats["production_rows"],
                     release.stats["capacity_rows"], release.stats["reserve_rows"],
                     release.stats["nir_facts"], len(release.imports))
        else:
            result = world.parse(m)
            log.info("%s: %d rows, %d country rows, %d aggregate rows (%d used as world totals), "
                     "%d production and %d reserve facts with a qualifier", m.name, result.stats["rows"],
                     result.stats["country_rows"], result.stats["aggregate_rows"],
                     result.stats["world_total_rows_used"], result.stats["qualified_produces"],
                     result.stats["qualified_reserves"])
        _revise(facts, [(m.name, line, {**f, "source_ids": [sid]})
                        for line, f in result.produces + result.reserves], edition)
    leads: list[tuple[str, trends.LeadFact]] = []
    for edition, m in members["salient"]:
        sid = source("salient", edition, m)
        nir_facts += [dataclasses.replace(f, edition=edition) for f in salient.nir_facts(m, sid)]
    for edition, m in members["fig2"]:
        sid = source("trends", edition, m)
        nir_facts += [dataclasses.replace(f, edition=edition) for f in trends.fig2(m, sid)]
    for edition, m in members["t5"]:
        sid = source("trends", edition, m)
        t5_nir, t5_leads = trends.t5(m, sid)
        nir_facts += [dataclasses.replace(f, edition=edition) for f in t5_nir]
        leads += [(sid, lead) for lead in t5_leads]
    present = {_group(f) for _, _, f in facts.values()}
    for sid, lead in leads:
        f = _lead_fact(lead, sid)
        if _group(f) not in present:     # only where no edition's world data covers that year
            facts.setdefault(_key(f), (lead.file, lead.line, f))
    for file, line, f in nir.merge(nir_facts, import_shares):
        facts[_key(f)] = (file, line, f)

    cited: dict[str, set[str]] = defaultdict(set)
    for _, _, f in facts.values():
        cited[f["to"]].update(f["source_ids"])
    for sid, (part, edition, ms) in sorted(parts.items()):
        yield parse_record(_source(sid, part, edition, ms), file=ms[0].name)
    for material_id in sorted(cited):
        info = cw.material_info(material_id)
        yield parse_record({"type": "Material", "id": material_id, "name": info.name,
                            "kind": info.kind, "symbol": info.symbol,
                            "source_ids": sorted(cited[material_id])}, file=crosswalk_file(cw.COMMODITIES))
    order = {"PRODUCES": 0, "HOLDS_RESERVES": 1, "IMPORT_RELIANCE": 2}
    for file, line, f in sorted(facts.values(), key=lambda x: (order[x[2]["type"]], x[2]["to"],
                                                              x[2]["from"], x[2].get("stage", ""),
                                                              x[2]["year"])):
        yield parse_record({k: v for k, v in f.items() if v is not None}, file=file, line=line)


def _key(f: dict[str, Any]) -> tuple[Any, ...]:
    return (f["type"], f["from"], f["to"], f.get("stage"), f["year"], f.get("basis"))


def _group(f: dict[str, Any]) -> tuple[Any, ...]:
    return (f["type"], f["to"], f.get("stage"), f["year"], f.get("basis"))


def _revise(facts: dict[tuple[Any, ...], tuple[str, int, dict[str, Any]]],
            newer: list[tuple[str, int, dict[str, Any]]], edition: int) -> None:
    """Add one edition's world facts; they replace an older edition's for the same year.

    A newer edition revises the older one's figures for a year it also covers (MCS 2026 revises
    MCS 2025's 2024 figures): it replaces every older fact of that material, stage, year and basis,
    so shares of one year always come from one edition's world total. What the older edition said
    stays traceable: the same figure keeps both Sources; a revised one says the older value in its
    notes; an older country fact the newer edition drops is dropped with it (the older edition's
    files and Source remain the record of it). Years only the older edition covers stay as they are.
    """
    groups = {_group(f) for _, _, f in newer}
    older = {k: v for k, v in facts.items() if _group(v[2]) in groups}
    for k in older:
        del facts[k]
    for file, line, f in newer:
        k = _key(f)
        if k in older:
            old = older[k][2]
            if (old.get("quantity"), old.get("qualifier")) == (f.get("quantity"), f.get("qualifier")):
                f["source_ids"] = sorted({*f["source_ids"], *old["source_ids"]})
            else:
                was = old.get("qualifier") or ""
                if old.get("quantity") is not None:
                    was += f"{old['quantity']:g} {old.get('unit', '')}".strip()
                f["notes"] = "; ".join(p for p in (f.get("notes"), (
                    f"revised in MCS{edition}; {', '.join(old['source_ids'])} gave {was}")) if p)
        facts[k] = (file, line, f)


def _lead_fact(lead: trends.LeadFact, sid: str) -> dict[str, Any]:
    return {
        "type": "PRODUCES", "from": f"country:{lead.iso3}", "to": lead.material,
        "stage": cw.material_info(lead.material).stage or "mining", "year": lead.year, "basis": "output",
        "quantity": None if lead.quantity is None else float(lead.quantity), "unit": "t",
        "source_unit": "metric tons",
        "share": None if lead.share is None else float(lead.share),
        "world_quantity": None if lead.world is None else float(lead.world),
        "estimated": True, "qualifier": lead.qualifier or (None if lead.quantity is not None else "NA"),
        "notes": "leading producing country named by USGS (MCS table T5); the World Data has no row for it",
        "source_ids": [sid],
    }


def _kind(member: Member) -> str | None:
    first = commodities.decode(member).splitlines()[:1]
    header = next(csv.reader(first), []) if first else []
    if commodities.is_commodities_data(header):
        return "commodities"
    if world.is_world_data(header):
        return "world"
    if salient.is_salient(header):
        return "salient"
    if trends.is_fig2(header):
        return "fig2"
    if trends.is_t5(header):
        return "t5"
    return None


def _edition(member: Member) -> int:
    m = re.search(r"mcs[_-]?(\d{4})", member.filename, re.I)
    if m:
        return int(m.group(1))
    for line, row in member.rows():
        if line > 1 and row:
            found = re.fullmatch(r"MCS(\d{4})", row[0].strip(), re.I)
            if found:
                return int(found.group(1))
            break
    raise DataError("cannot tell the MCS edition from the file name or the first column",
                    file=member.name, line=2, field="SOURCE")


def _source(sid: str, part: str, edition: int, members: list[Member]) -> dict[str, Any]:
    doi = EDITIONS.get(edition, (None, None))[1]
    files = sorted({m.origin.get("member", m.filename).rsplit("/", 1)[-1] for m in members})
    return {
        "type": "Source", "id": sid, "name": PARTS[part][1].format(e=edition),
        "title": PARTS[part][1].format(e=edition),
        "publisher": SPEC.publisher,
        "url": f"https://doi.org/{doi}" if doi else SPEC.homepage,
        "license": SPEC.license, "release": f"MCS{edition}", "year": edition,
        "retrieved": max(m.retrieved for m in members),
        "sha256": members[0].sha256 if len(members) == 1 else None,
        "notes": f"{len(files)} file(s): {', '.join(files[:5])}{' …' if len(files) > 5 else ''}",
    }
