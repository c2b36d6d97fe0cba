"""FINEPRINT detailed mining data: mines, their production by commodity, and their owners with stakes.

Source: Jasansky, S., Lieber, M., Giljum, S. & Maus, V. (2023), "An open database on global coal and
metal mine production", *Scientific Data* 10, 52, https://doi.org/10.1038/s41597-023-01965-y (data
CC BY 4.0). File `01_input/01_data/01_detailed_data/detailed_data_mining.xlsx` of
https://github.com/fineprint-global/compilation_mining_data: mine-level figures compiled from company
reports (2000-2020), one sheet per topic. Read here: `general` (one row per mine or plant: name,
country, coordinates, type, production start, status), `commodities` (production by commodity and
year, with a `production_share` when a report gives only the reporting firm's part) and `other_info`
(owners and operators as text, with the year the text is for).

Mapped (docs/loaders.md has the full table):
- each **mine** (`mine_or_processing` names a mine; smelters, refineries, regions and companies are
  left out) -> `Facility` (`facility_type` mine), `LOCATED_IN` its country, coordinates, status and
  production start; a mine the curated tables already hold (same country, same name) is that facility;
- each commodity row -> `PRODUCES` Facility -> Material at the stage of
  `loaders/_crosswalks/fineprint_commodities.csv`, `year`, `quantity` in metric tons (or carats;
  units through `loaders/_crosswalks/fineprint_units.csv`, the printed unit kept in `source_unit`).
  A figure with a `production_share` below 1 is scaled to the whole mine (value / share), as the
  dataset's authors do in their own conversion, and says so in `notes`. Rows for the parts of one
  mine's output (open pit and underground, ore types) add up; where a mine reports both a total and
  parts, the total is kept; sub-site rows count only when the mine has no mine-level row. Facility
  output never adds into country totals (country-level PRODUCES carry national output;
  docs/ontology.md);
- owners text (parsed by `loaders/_owners.py`) such as "Lundin 24%, Freeport 56%, Gécamines 20%"
  or "Newmont (50%), Barrick (50%)"
  -> one `OWNS` Firm -> Facility per owner with `share` (0-1) and `year` (the row's year); an owner
  named without a stake gets share null (unknown, never 100 %); "X (Y 75%)" is Y's 75 % held through
  X; governments ("Government of India (29.5%)", "State of ...") are not firms and are noted on the
  facility instead; remarks such as "sold on 1 June 2013" go to the edge's notes. Owner names resolve
  to the curated firms through `loaders/_firms.py`: ambiguous and near matches are never merged, they
  are reported (`parse(..., report=[])`, the log, and the bundled snapshot's manifest). Only the
  latest year's owners of a mine are kept (OWNS is one edge per owner and asset), and none for a
  facility whose owners the curated tables already cite.

Scope: by default the mines with at least one commodity on a US critical-minerals list (US-2022 or
US-2025, as recorded on the curated Materials; a group such as the PGMs counts through its members),
keeping the PRODUCES of those critical commodities only; `scope="all"` keeps every mine and commodity.

Quirks handled: trailing spaces in names, countries and units ("Copper ", "Australia "); element
symbols as commodity names (Pb, Ag, Co); many spellings of one unit; values blank or without unit
(skipped); `(21.%)`, `(50%(` and stakes written without brackets; owners text over two lines.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry

from kg.errors import DataError
from kg.models import Record, parse_record
from kg.models.ids import slugify
from kg.sources import SourceSpec, download, write_manifest

from ._common import Member, clean, crosswalk_file, iter_members, key, read_crosswalk
from ._firms import FirmIndex, Match, base_and_short, curated_rows
from ._firms import key as name_key
from ._owners import parse_owners

log = logging.getLogger(__name__)

COMMIT = "a41e500a8f24a219a9168b9b28badf4c7c261447"
REPO = "https://github.com/fineprint-global/compilation_mining_data"
FILE = "detailed_data_mining.xlsx"
URL = ("https://raw.githubusercontent.com/fineprint-global/compilation_mining_data/"
       f"{COMMIT}/01_input/01_data/01_detailed_data/{FILE}")
SOURCE_ID = "source:fineprint-detailed-mining-data"
DOI = "https://doi.org/10.1038/s41597-023-01965-y"
SPEC = SourceSpec(
    name="fineprint",
    title="FINEPRINT detailed mine-level data (Jasansky et al. 2023, Scientific Data)",
    publisher="FINEPRINT project, Vienna University of Economics and Business (WU)",
    urls=(URL,),
    license="CC BY 4.0",
    cadence="one-off research dataset (data to 2020)",
    homepage=REPO,
)
SCOPES = ("critical", "all")
CRITICAL_LISTS = ("US-2022", "US-2025")
SHEETS = {"general": ("mine_fac", "country", "latitude", "longitude", "mine_or_processing"),
          "commodities": ("mine_fac", "sub_site", "commodity", "year", "unit", "value"),
          "other_info": ("mine_fac", "owners", "year")}


def fetch(dest: Path, *, base_url: str | None = None, timeout: float = 120.0, retries: int = 3,
          backoff: float = 1.0) -> list[Path]:
    """Download the workbook (pinned commit) to `dest/detailed_data_mining.xlsx`."""
    url = URL if base_url is None else f"{base_url.rstrip('/')}/{FILE}"
    got = download(url, dest / FILE, timeout=timeout, retries=retries, backoff=backoff)
    got.extra.update({"commit": COMMIT, "doi": DOI})
    write_manifest(dest, SPEC.name, [got])
    return [got.path]


# --------------------------------------------------------------------------- parse

@dataclass(frozen=True)
class _Figure:
    """One production row, converted: the parts of a mine's output are summed from these."""

    line: int
    level: str                   # "mine" or "sub" (a sub-site's row)
    quantity: float              # in `unit`, scaled to the whole mine
    part: str                    # ore type | mining method | processing, "" for a whole-mine figure
    source_unit: str
    unit: str
    share: float | None          # the reporting firm's production share, when below 1
    basis: str


@dataclass
class _Mine:
    name: str
    iso3: str
    line: int
    lat: float | None = None
    lon: float | None = None
    status: str | None = None
    start: int | None = None
    history: str | None = None
    output: dict[tuple[str, str, int], list[_Figure]] = field(default_factory=dict)


def parse(paths: Iterable[Path], *, scope: str = "critical",
          report: list[Match] | None = None) -> Iterator[Record]:
    """Mines, production, owners; `report` collects ambiguous and near firm matches."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    members = list(iter_members(paths, suffixes=(".xlsx",)))
    if not members:
        return
    index = FirmIndex.from_files()
    for member in members:
        yield from _workbook(member, scope, index)
    if report is not None:
        report.extend(index.report)
    for match in index.report:
        log.warning("fineprint: %s firm match for %r (%s): kept as %s, not merged",
                    match.status, match.name, ", ".join(match.candidates), match.firm_id)


def _workbook(member: Member, scope: str, index: FirmIndex) -> Iterator[Record]:
    import openpyxl  # only this loader needs it; importing it lazily keeps `kg` start-up fast
    try:
        book = openpyxl.load_workbook(io.BytesIO(member.data), read_only=True, data_only=True)
    except Exception as exc:   # openpyxl raises zipfile, KeyError or its own errors
        raise DataError(f"not a readable xlsx workbook: {exc}", file=member.name) from None
    try:
        sheets = {name: list(_sheet(book, name, member)) for name in SHEETS}
    finally:
        book.close()
    mines = _mines(sheets["general"], member)
    _production(sheets["commodities"], mines, member)
    critical = _critical_materials()
    kept = {name: mine for name, mine in mines.items()
            if scope == "all" or any(m in critical for (m, _, _) in mine.output)}
    yield parse_record(_source(member), file=member.name)
    materials: set[str] = set()
    facilities = _CuratedMines.load()
    ids: dict[str, str] = {}
    for mine_key, mine in sorted(kept.items()):
        fid, curated_name = facilities.match(mine)
        ids[mine_key] = fid
        where: dict[str, Any] = {"file": f"{member.name}!general", "line": mine.line}
        rec: dict[str, Any] = {"type": "Facility", "id": fid, "name": curated_name or mine.name,
                               "latitude": mine.lat, "longitude": mine.lon,
                               "production_start": mine.start, "notes": mine.history,
                               "source_ids": [SOURCE_ID]}
        if curated_name is None:
            rec.update({"facility_type": "mine", "status": mine.status})
        yield parse_record({k: v for k, v in rec.items() if v is not None}, **where)
        if not facilities.located(fid):
            yield parse_record({"type": "LOCATED_IN", "from": fid, "to": f"country:{mine.iso3}",
                                "source_ids": [SOURCE_ID]}, **where)
        for (material, stage, year), rows in sorted(mine.output.items()):
            if scope != "all" and material not in critical:
                continue
            materials.add(material)
            yield parse_record(_produces(fid, material, stage, year, rows),
                               file=f"{member.name}!commodities", line=rows[0].line)
    yield from _ownership(sheets["other_info"], kept, ids, member, index, facilities.owned)
    names = _material_names()
    for material in sorted(materials):
        yield parse_record({"type": "Material", "id": material, "name": names[material],
                            "source_ids": [SOURCE_ID]})


def _sheet(book: Any, name: str, member: Member) -> Iterator[tuple[int, dict[str, Any]]]:
    if name not in book.sheetnames:
        raise DataError(f"no sheet {name!r}: not the FINEPRINT detailed mining workbook",
                        file=member.name)
    rows = book[name].iter_rows(values_only=True)
    header = [clean(str(h)) if h is not None else "" for h in next(rows, ())]
    for need in SHEETS[name]:
        if need not in header:
            raise DataError(f"missing column {need}", file=f"{member.name}!{name}", line=1, field=need)
    for line, raw in enumerate(rows, start=2):
        if raw is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in raw):
            continue
        yield line, {h: (raw[i] if i < len(raw) else None) for i, h in enumerate(header) if h}


def _text(value: Any) -> str:
    return clean(str(value)) if value is not None else ""


def _number(value: Any, where: dict[str, Any], name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise DataError(f"not a number: {value!r}", field=name, **where)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip().replace(",", ""))
    except ValueError:
        raise DataError(f"not a number: {value!r}", field=name, **where) from None


def _year(value: Any, where: dict[str, Any], name: str, earliest: int = 1900) -> int | None:
    number = _number(value, where, name)
    if number is None:
        return None
    if number != int(number) or not earliest <= number <= 2100:
        raise DataError(f"not a year: {value!r}", field=name, **where)
    return int(number)


def _mines(rows: list[tuple[int, dict[str, Any]]], member: Member) -> dict[str, _Mine]:
    out: dict[str, _Mine] = {}
    for line, row in rows:
        where: dict[str, Any] = {"file": f"{member.name}!general", "line": line}
        kind = key(_text(row.get("mine_or_processing")))
        name = _text(row.get("mine_fac"))
        if "mine" not in kind.split(", ") and not kind.startswith("mine"):
            continue
        if not name:
            raise DataError("a mine without a name", field="mine_fac", **where)
        iso3 = country_iso3(_text(row.get("country")), where)
        lat = _number(row.get("latitude"), where, "latitude")
        lon = _number(row.get("longitude"), where, "longitude")
        if lat is not None and not -90 <= lat <= 90:
            raise DataError(f"latitude {lat} outside -90..90", field="latitude", **where)
        if lon is not None and not -180 <= lon <= 180:
            raise DataError(f"longitude {lon} outside -180..180", field="longitude", **where)
        if key(name) in out:
            raise DataError(f"mine {name!r} is listed twice (first on line {out[key(name)].line})",
                            field="mine_fac", **where)
        status = _text(row.get("activity_status")) or None
        start = _year(row.get("production_start"), where, "production_start", earliest=1000)
        mine = out[key(name)] = _Mine(name, iso3, line, lat, lon, status.lower() if status else None,
                                      start if start and start >= 1900 else None)
        if start and start < 1900:
            mine.history = f"production since {start}"   # older than the model's year range
    return out


def _production(rows: list[tuple[int, dict[str, Any]]], mines: dict[str, _Mine],
                member: Member) -> None:
    commodities, units = _commodities(), _units()
    for line, row in rows:
        where: dict[str, Any] = {"file": f"{member.name}!commodities", "line": line}
        mine = mines.get(key(_text(row.get("mine_fac"))))
        value = _number(row.get("value"), where, "value")
        if mine is None or value is None:
            continue                       # a smelter's row, or a row that gives grades only
        name = _text(row.get("commodity"))
        found = commodities.get(key(name))
        if found is None:
            raise DataError(f"unknown commodity {name!r}: add it to "
                            f"{crosswalk_file('fineprint_commodities.csv')}", field="commodity", **where)
        if not found[0]:
            continue                       # deliberately unmapped (diamonds)
        unit_text = _text(row.get("unit"))
        if not unit_text:
            continue                       # a figure without a unit cannot be stated
        unit = units.get(key(unit_text))
        if unit is None:
            raise DataError(f"unknown unit {unit_text!r}: add it to "
                            f"{crosswalk_file('fineprint_units.csv')}", field="unit", **where)
        if value < 0:
            raise DataError(f"negative production {value}", field="value", **where)
        year = _year(row.get("year"), where, "year")
        if year is None:
            raise DataError("a production figure without a year", field="year", **where)
        share = _number(row.get("production_share"), where, "production_share")
        if share is not None and not 0 < share <= 1:
            raise DataError(f"production_share {share} outside (0, 1]", field="production_share", **where)
        part = " | ".join(t for t in (_text(row.get(c)) for c in
                                      ("min_ore_con", "type_mining", "mine_processing")) if t)
        mine.output.setdefault((found[0], found[1], year), []).append(_Figure(
            line, "sub" if _text(row.get("sub_site")) else "mine", value * unit[0] / (share or 1.0),
            part, unit_text, unit[1], share if share and share < 1 else None, found[2]))


def _produces(fid: str, material: str, stage: str, year: int, rows: list[_Figure]) -> dict[str, Any]:
    level = "mine" if any(r.level == "mine" for r in rows) else "sub"
    rows = [r for r in rows if r.level == level]
    whole = [r for r in rows if not r.part]
    chosen = whole[:1] if whole and len(rows) > 1 else rows
    notes = []
    if len(chosen) > 1:
        notes.append(f"sum of {len(chosen)} reported parts ({'; '.join(r.part for r in chosen)})")
    if whole and len(rows) > 1:
        notes.append("the reported total is kept over its parts")
    if level == "sub":
        notes.append("sum of sub-site figures")
    scaled = sorted({r.share for r in chosen if r.share is not None})
    if scaled:
        notes.append("scaled to the whole mine from the reporting firm's production share "
                     + ", ".join(f"{x:g}" for x in scaled))
    rec: dict[str, Any] = {"type": "PRODUCES", "from": fid, "to": material, "stage": stage,
                           "year": year, "quantity": round(sum(r.quantity for r in chosen), 6),
                           "unit": chosen[0].unit, "source_unit": chosen[0].source_unit,
                           "source_ids": [SOURCE_ID]}
    basis = next((r.basis for r in chosen if r.basis), None)
    if basis:
        rec["measured_as" if _HAS_MEASURED_AS else "basis"] = basis
    if notes:
        rec["notes"] = "; ".join(notes)
    return rec


def _ownership(rows: list[tuple[int, dict[str, Any]]], kept: dict[str, _Mine], ids: dict[str, str],
               member: Member, index: FirmIndex, curated_owned: set[str]) -> Iterator[Record]:
    latest: dict[str, tuple[int, int, dict[str, Any]]] = {}
    for line, row in rows:
        mine_key = key(_text(row.get("mine_fac")))
        if mine_key not in kept or _text(row.get("sub_site")) or not _text(row.get("owners")):
            continue
        where: dict[str, Any] = {"file": f"{member.name}!other_info", "line": line}
        year = _year(row.get("year"), where, "year")
        if year is None:
            raise DataError("owners without the year they are for", field="year", **where)
        if mine_key not in latest or year > latest[mine_key][0]:
            latest[mine_key] = (year, line, row)    # the latest statement of a mine's owners
    firms: dict[str, str] = {}
    for mine_key, (year, line, row) in sorted(latest.items()):
        where = {"file": f"{member.name}!other_info", "line": line}
        try:
            owners = parse_owners(_text(row.get("owners")))
        except ValueError as exc:
            raise DataError(str(exc), field="owners", **where) from None
        total = sum(s.share for s in owners.stakes if s.share is not None)
        confidence = None
        if total > 1.0 + 0.005:
            # A slip in the source (e.g. 85% + 23%): the stakes are kept as printed, graded L and
            # reported, rather than one of them being guessed wrong.
            confidence = "L"
            log.warning("fineprint: %s:%d: owners: stakes add up to %.1f%%, more than 100%%",
                        where["file"], line, total * 100)
        if owners.unparsed:
            log.warning("fineprint: %s:%d: owners: kept the stakes before %r (not a stake)",
                        where["file"], line, owners.unparsed)
        fid = ids[mine_key]
        if fid in curated_owned:
            # The curated tables cite this facility's owners (more recent than the dataset's to-2020
            # reports): OWNS has no year in its identity, so older stakes would sit beside them as if
            # current (Tenke Fungurume: Freeport 56 % in 2015, CMOC 80 % since 2016).
            log.info("fineprint: %s: owners of %d left to the curated tables", fid, year)
            continue
        for stake in owners.stakes:
            res = index.resolve(stake.owner, where=f"{where['file']}:{line}")
            firms.setdefault(res.firm_id, res.name)
            notes = [n for n in (f"held through {stake.via}" if stake.via else None,
                                 owners.remark, f"owners text continues: {owners.unparsed}"
                                 if owners.unparsed else None) if n]
            if confidence:
                notes.append(f"the source's stakes for this mine add up to {total:.0%}")
            rec: dict[str, Any] = {"type": "OWNS", "from": res.firm_id, "to": fid, "share": stake.share,
                                   "confidence": confidence,
                                   "year": year, "basis": "equity as reported by the mine's owners",
                                   "source_ids": [SOURCE_ID]}
            if notes:
                rec["notes"] = "; ".join(notes)
            yield parse_record({k: v for k, v in rec.items() if v is not None}, **where)
        if owners.states:
            log.info("fineprint: %s: state holders %s (not firms)", fid, ", ".join(owners.states))
    for firm_id, name in sorted(firms.items()):
        yield parse_record({"type": "Firm", "id": firm_id, "name": name, "source_ids": [SOURCE_ID]})


# --------------------------------------------------------------------------- tables

def country_iso3(name: str, where: dict[str, Any]) -> str:
    """A country name -> ISO3: the USGS country table, then ISO 3166-1 names, then fineprint_countries.csv."""
    from ._usgs.crosswalk import place
    if not name:
        raise DataError("a mine without a country", field="country", **where)
    try:
        found = place(name, file=where["file"], line=where["line"], field="country").iso3
        if found:
            return found
    except DataError:
        pass
    try:
        return str(pycountry.countries.lookup(name).alpha_3)
    except LookupError:
        pass
    extra = {key(r["name"]): r["iso3"] for _, r in read_crosswalk("fineprint_countries.csv")}
    if key(name) in extra:
        return extra[key(name)]
    raise DataError(f"unknown country {name!r}: add it to {crosswalk_file('fineprint_countries.csv')}",
                    field="country", **where)


@lru_cache(maxsize=1)
def _commodities() -> dict[str, tuple[str, str, str]]:
    return {key(r["commodity"]): (r["material_id"], r["stage"], r["basis"])
            for _, r in read_crosswalk("fineprint_commodities.csv")}


@lru_cache(maxsize=1)
def _units() -> dict[str, tuple[float, str]]:
    return {key(r["unit"]): (float(r["factor"]), r["to_unit"])
            for _, r in read_crosswalk("fineprint_units.csv")}


def _critical_materials() -> set[str]:
    out: set[str] = set()
    for row in curated_rows("Material.csv"):
        lists = set((row.get("critical_lists") or "").split(";"))
        if lists & set(CRITICAL_LISTS):
            out.add(row["id"])
            out.update(g for g in (row.get("member_of") or "").split(";") if g)
    return out


def _material_names() -> dict[str, str]:
    from ._usgs.crosswalk import all_materials
    names = {m: info.name for m, info in all_materials().items()}
    names.update({r["id"]: r["name"] for r in curated_rows("Material.csv")})
    return names


def _has_measured_as() -> bool:
    from kg.models.edges import Produces
    return "measured_as" in Produces.model_fields


_HAS_MEASURED_AS = _has_measured_as()


@dataclass
class _CuratedMines:
    names: dict[str, str]
    country: dict[str, str]
    owned: set[str]

    @classmethod
    def load(cls) -> _CuratedMines:
        return cls({r["id"]: r["name"] for r in curated_rows("Facility.csv")},
                   {r["from"]: r["to"] for r in curated_rows("LOCATED_IN.csv")},
                   {r["to"] for r in curated_rows("OWNS.csv")})

    def match(self, mine: _Mine) -> tuple[str, str | None]:
        """The curated facility that is this mine (same country, its name starts with the mine's
        name, e.g. 'Tenke Fungurume' and 'Tenke Fungurume (TFM)'), else a new id."""
        mine_key = name_key(mine.name)
        for fid, name in sorted(self.names.items()):
            if self.country.get(fid) != f"country:{mine.iso3}":
                continue
            theirs = name_key(base_and_short(name)[0])
            if mine_key and (theirs == mine_key or theirs.startswith(mine_key + " ")):
                return fid, name
        return f"facility:{slugify(mine.name)}-{mine.iso3.lower()}", None

    def located(self, fid: str) -> bool:
        return fid in self.country


def _source(member: Member) -> dict[str, Any]:
    return {"type": "Source", "id": SOURCE_ID, "name": "FINEPRINT detailed mining data",
            "title": "An open database on global coal and metal mine production: detailed mine-level "
                     "data (detailed_data_mining.xlsx)",
            "publisher": "Jasansky, Lieber, Giljum and Maus (2023), Scientific Data 10, 52; FINEPRINT, WU Vienna",
            "url": member.origin.get("url") or URL, "license": "CC BY 4.0",
            "release": f"commit {COMMIT[:12]}", "year": 2023, "retrieved": member.retrieved,
            "sha256": member.sha256}


def rebuild_snapshot(public_file: Path, out: Path | None = None, *,
                     retrieved: str | None = None) -> dict[str, int]:
    """The snapshot recipe: regenerate `loaders/snapshot/<name>/` (records, manifest with the input's
    sha256 and the firm matches not merged) from the public file, parsed as `kg load` parses it."""
    from ._snapshot import SNAPSHOT, build
    return build(SPEC.name, [public_file], out or SNAPSHOT / SPEC.name, retrieved)
