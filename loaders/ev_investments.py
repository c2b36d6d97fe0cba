"""North American EV and clean-tech supply-chain investments: battery plants as Facilities.

Source: A. Cheng et al., "North American EV battery supply chain mapping", supplementary table S9
"Post-IRA EV Supply Chain Investments" (repository acheng98/NA-EV-Battery-Supply-Chain-Mapping, MIT
licence), compiled from the DOE/Argonne Li-ion battery supply-chain database, a second public dataset
of post-IRA announcements and company/press pages. 773 facility investments in the US, Canada and
Mexico; columns `technology, company_name, product, reported_investment, by_amount, reported_jobs,
by_jobs, city, state, country, latitude, longitude, timeline, …, Notes`.

Mapped (docs/loaders.md has the full table):
- one `Facility` per firm and place (company, city, state, country): several announcements for one
  plant (an expansion, a pre- and a post-IRA round) become one facility whose `investment_usd` and
  `jobs` add the announcements up; an exact repeat of a row counts once;
- `activities` are the source's categories (cells, packs, components, materials processing,
  minerals extraction, recycling, and the combined "minerals, materials and components"), and
  `stages` their supply stages: minerals extraction -> mining; materials processing and recycling
  (recovered battery materials) -> refining; components, cells, packs -> manufacturing; the combined
  category spans all three and gets no stage;
- `LOCATED_IN` the country, `locality`/`region` the city and state, coordinates unless 0,0;
- the named company `OPERATES` the plant and `OWNS` it with share null (the dataset names the
  investor, not its stake); a joint venture written "Vehicle (A, B)" is the vehicle, owned by A and
  B (share null); "A / B" or "A, B, C" are joint investors; "X (ABC)" / "X (fka Y)" name one firm;
- firm names resolve to the curated firms (`loaders/_firms.py`; ambiguous and near matches are
  reported, never merged), and a plant the curated tables already hold (same firm or a firm named in
  the facility's name, same country, city in the facility's name) is that facility, not a new one.

Scope: battery rows (`technology` Batteries) by default; `scope="all"` keeps every technology
(their categories become `activities` without a stage).

Quirks handled: investments and jobs of 0 are "not reported" (the source's own bands put a US$4.1 bn
plant with 0 jobs in "Less than 100"), `Not Specified`, `-` and blank are missing, negative figures
(-157, -1000: withdrawn announcements) are kept out of the sums and noted; coordinates 0,0 mean
unknown; city blank with state `TBD` is a place not yet chosen; product lists are `;`-separated;
company names carry joint-venture partners in parentheses.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pycountry

from kg.errors import DataError
from kg.models import Record, parse_record
from kg.models.ids import slugify
from kg.sources import SourceSpec, download, write_manifest

from ._common import Member, clean, iter_members, key
from ._firms import FirmIndex, Match, curated_rows
from ._firms import key as firm_key

log = logging.getLogger(__name__)

COMMIT = "3a331aac136b93e08ad42af68612b3aa936d2fb4"
REPO = "https://github.com/acheng98/NA-EV-Battery-Supply-Chain-Mapping"
ORIGINAL = "SI. IRA Incentives - S9. Post-IRA EV Supply Chain Investments.csv"
URL = ("https://raw.githubusercontent.com/acheng98/NA-EV-Battery-Supply-Chain-Mapping/"
       f"{COMMIT}/SI.%20IRA%20Incentives%20-%20S9.%20Post-IRA%20EV%20Supply%20Chain%20Investments.csv")
FILE = "post_ira_ev_supply_chain_investments.csv"
SOURCE_ID = "source:na-ev-supply-chain-investments"
SPEC = SourceSpec(
    name="ev-investments",
    title="North American EV supply-chain investments (post-IRA facility list, table S9)",
    publisher="acheng98/NA-EV-Battery-Supply-Chain-Mapping (from the DOE/Argonne battery "
              "supply-chain database and press sources)",
    urls=(URL,),
    license="MIT",
    cadence="irregular (research dataset)",
    homepage=REPO,
)
REQUIRED = ("technology", "company_name", "product", "reported_investment", "reported_jobs", "city",
            "state", "country", "latitude", "longitude", "timeline")
SCOPES = ("battery", "all")

# Source category -> (our activity name, supply stage or None). Battery categories only.
ACTIVITIES: dict[str, tuple[str, str | None]] = {
    "cells": ("cells", "manufacturing"),
    "packs": ("packs", "manufacturing"),
    "components": ("components", "manufacturing"),
    "materials processing": ("materials processing", "refining"),
    "minerals extraction": ("minerals extraction", "mining"),
    "recycling": ("recycling", "refining"),
    "minerals, materials, and components": ("minerals, materials and components", None),
}
TIMELINES = {"pre-inflation reduction act": "pre-IRA", "post-inflation reduction act": "post-IRA"}
_MISSING = {"", "not specified", "-", "na", "n/a"}


def fetch(dest: Path, *, base_url: str | None = None, timeout: float = 60.0, retries: int = 3,
          backoff: float = 1.0) -> list[Path]:
    """Download the table (pinned commit) to `dest/post_ira_ev_supply_chain_investments.csv`."""
    url = URL if base_url is None else f"{base_url.rstrip('/')}/{FILE}"
    got = download(url, dest / FILE, timeout=timeout, retries=retries, backoff=backoff)
    got.extra.update({"original_name": ORIGINAL, "commit": COMMIT})
    write_manifest(dest, SPEC.name, [got])
    return [got.path]


@dataclass
class _Plant:
    """One facility being assembled from the announcements that name it."""

    company: str
    city: str
    state: str
    iso3: str
    first: tuple[str, int]
    investors: list[str] = field(default_factory=list)
    partners: list[tuple[str, str]] = field(default_factory=list)   # (vehicle, partner)
    activities: dict[str, str | None] = field(default_factory=dict)
    timelines: set[str] = field(default_factory=set)
    investment: float = 0.0
    invested: bool = False
    jobs: int = 0
    employed: bool = False
    lat: float | None = None
    lon: float | None = None
    rows: int = 0
    technology: str = ""
    remarks: list[str] = field(default_factory=list)
    seen: set[tuple[str, ...]] = field(default_factory=set)


def parse(paths: Iterable[Path], *, scope: str = "battery",
          report: list[Match] | None = None) -> Iterator[Record]:
    """Facilities, their places, operators and owners; `report` collects unresolved firm matches."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    members = list(iter_members(paths))
    if not members:
        return
    index = FirmIndex.from_files()
    plants: dict[tuple[str, str, str, str], _Plant] = {}
    for member in members:
        for line, row in _rows(member):
            if scope == "battery" and key(row["technology"]) != "batteries":
                continue
            _take(plants, member, line, row)
    yield parse_record(_source(members), file=members[0].name)
    yield from _records(plants, index)
    if report is not None:
        report.extend(index.report)
    for match in index.report:
        log.warning("ev-investments: %s firm match for %r (%s): kept as %s, not merged",
                    match.status, match.name, ", ".join(match.candidates), match.firm_id)


def _rows(member: Member) -> Iterator[tuple[int, dict[str, str]]]:
    rows = member.rows()
    _, header = next(rows, (1, []))
    names = [clean(h) for h in header]
    for need in REQUIRED:
        if need not in names:
            raise DataError(f"missing column {need}: not the EV supply-chain investments table",
                            file=member.name, line=1, field=need)
    for line, raw in rows:
        if not any(c.strip() for c in raw):
            continue
        if len(raw) > len(names):
            raise DataError(f"expected {len(names)} fields (as in the header), found {len(raw)}",
                            file=member.name, line=line)
        yield line, {n: clean(raw[i]) if i < len(raw) else "" for i, n in enumerate(names)}


def _take(plants: dict[tuple[str, str, str, str], _Plant], member: Member, line: int,
          row: dict[str, str]) -> None:
    where: dict[str, Any] = {"file": member.name, "line": line}
    company = row["company_name"]
    if not company:
        raise DataError("no company named", field="company_name", **where)
    iso3 = _country(row["country"], where)
    timeline = TIMELINES.get(key(row["timeline"]))
    if timeline is None:
        raise DataError(f"unknown timeline {row['timeline']!r}; expected Pre- or Post-Inflation "
                        "Reduction Act", field="timeline", **where)
    activities = _activities(row["technology"], row["product"], where)
    city, state = row["city"], ("" if key(row["state"]) == "tbd" else row["state"])
    ident = (firm_key(company), key(city), key(state), iso3)
    plant = plants.get(ident)
    if plant is None:
        plant = plants[ident] = _Plant(company, city, state, iso3, (member.name, line),
                                       technology=row["technology"])
        plant.investors, plant.partners = split_company(company)
    fingerprint = tuple(row.values())
    if fingerprint in plant.seen:
        plant.remarks.append(f"line {line} repeats an earlier row and is counted once")
        return
    plant.seen.add(fingerprint)
    plant.rows += 1
    plant.activities.update(activities)
    plant.timelines.add(timeline)
    amount = _figure(row["reported_investment"], "reported_investment", where)
    jobs = _figure(row["reported_jobs"], "reported_jobs", where)
    if amount is not None and amount < 0:
        plant.remarks.append(f"line {line}: investment {row['reported_investment']} (negative) left out")
    elif amount:
        plant.investment += amount
        plant.invested = True
    if jobs is not None and jobs < 0:
        plant.remarks.append(f"line {line}: jobs {row['reported_jobs']} (negative) left out")
    elif jobs:
        if jobs != int(jobs):
            raise DataError(f"jobs {row['reported_jobs']!r} is not a whole number",
                            field="reported_jobs", **where)
        plant.jobs += int(jobs)
        plant.employed = True
    lat = _figure(row["latitude"], "latitude", where)
    lon = _figure(row["longitude"], "longitude", where)
    if lat is not None and not -90 <= lat <= 90:
        raise DataError(f"latitude {lat} outside -90..90", field="latitude", **where)
    if lon is not None and not -180 <= lon <= 180:
        raise DataError(f"longitude {lon} outside -180..180", field="longitude", **where)
    if lat and lon and plant.lat is None:        # 0,0 is the source's "unknown"
        plant.lat, plant.lon = lat, lon


def _country(name: str, where: dict[str, Any]) -> str:
    try:
        return str(pycountry.countries.lookup(name).alpha_3)
    except LookupError:
        raise DataError(f"unknown country {name!r}", field="country", **where) from None


def _activities(technology: str, product: str, where: dict[str, Any]) -> dict[str, str | None]:
    if not product:
        raise DataError("no product category", field="product", **where)
    out: dict[str, str | None] = {}
    for part in (p.strip() for p in product.split(";")):
        tech, _, category = part.partition(":")
        if not category:
            raise DataError(f"product {part!r} is not 'Technology: category'", field="product", **where)
        if key(tech) == "batteries":
            found = ACTIVITIES.get(key(category))
            if found is None:
                raise DataError(f"unknown battery category {category.strip()!r}", field="product",
                                **where)
            out[found[0]] = found[1]
        else:
            out[f"{clean(tech).lower()}: {clean(category).lower()}"] = None
    return out


def _figure(text: str, name: str, where: dict[str, Any]) -> float | None:
    if key(text) in _MISSING:
        return None
    try:
        return float(text.replace(",", ""))
    except ValueError:
        raise DataError(f"not a number: {text!r}", field=name, **where) from None


_ABBREVIATION = re.compile(r"[A-Za-z0-9]{2,8}")
_LEGAL_TAIL = re.compile(r",\s*(?=(?:inc|llc|ltd|l\.l\.c|co)\b\.?)", re.I)


def split_company(company: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Investors named by a company cell, and (vehicle, partner) links of joint ventures.

    'Ultium Cells (GM, LG Energy Solution)' -> (['Ultium Cells'], [('Ultium Cells', 'GM'), …]);
    'PowerCo / Volkswagen' -> (['PowerCo', 'Volkswagen'], []); 'Advanced Nano Products (ANP)' and
    'Volta Energy (fka Solus)' name one firm; 'Akasol (BorgWarner)' is Akasol, owned by BorgWarner.
    """
    paren = re.fullmatch(r"(.+?)\s*\((.+)\)\s*", company)
    if paren:
        vehicle, inner = paren.group(1).strip(), paren.group(2).strip()
        if re.match(r"(?i)fka\b|formerly\b", inner) or _ABBREVIATION.fullmatch(inner):
            return [vehicle], []
        partners = [p.strip() for p in re.split(r"\s*[,/]\s*", inner) if p.strip()]
        return [vehicle], [(vehicle, p) for p in partners]
    protected = _LEGAL_TAIL.sub(" ", company)
    parts = [p.strip() for p in re.split(r"\s+/\s+|\s+&\s+|,\s*", protected) if p.strip()]
    return (parts or [company]), []


def _records(plants: dict[tuple[str, str, str, str], _Plant], index: FirmIndex) -> Iterator[Record]:
    curated = _CuratedFacilities.load()
    firms: dict[str, str] = {}
    for plant in plants.values():
        file, line = plant.first
        where = f"{file}:{line}"
        investors = [index.resolve(n, where=where) for n in plant.investors]
        partner_links = [(index.resolve(v, where=where), index.resolve(p, where=where))
                         for v, p in plant.partners]
        firm_ids = {r.firm_id for r in investors} | {p.firm_id for _, p in partner_links}
        for res in [*investors, *(x for pair in partner_links for x in pair)]:
            firms.setdefault(res.firm_id, res.name)
        match = curated.match(plant, firm_ids, [firm_key(n) for n in plant.investors])
        fid = match[0] if match else _facility_id(plant)
        yield parse_record(_facility(plant, fid, match[1] if match else None), file=file, line=line)
        yield from _edge("LOCATED_IN", fid, f"country:{plant.iso3}", file, line, skip=curated.has)
        for res in investors:
            yield from _edge("OPERATES", res.firm_id, fid, file, line, skip=curated.has)
            yield from _edge("OWNS", res.firm_id, fid, file, line, skip=curated.has,
                             basis="investor named by the source; stake not stated")
        for vehicle, partner in partner_links:
            yield from _edge("OWNS", partner.firm_id, vehicle.firm_id, file, line, skip=curated.has,
                             basis="joint-venture partner named by the source; stake not stated")
    for firm_id, name in sorted(firms.items()):
        yield parse_record({"type": "Firm", "id": firm_id, "name": name, "source_ids": [SOURCE_ID]})


def _facility_id(plant: _Plant) -> str:
    place = "-".join(p for p in (plant.city, plant.state) if p) or "site-tbd"
    name = plant.investors[0] if len(plant.investors) == 1 else plant.company
    return f"facility:{slugify(firm_key(name) or name)}-{slugify(place)}"


def _facility(plant: _Plant, fid: str, curated_name: str | None) -> dict[str, Any]:
    acts = sorted(plant.activities)
    stages = sorted({s for s in plant.activities.values() if s})
    where = ", ".join(p for p in (plant.city, plant.state) if p) or "site to be decided"
    notes = [f"{plant.rows} announcement(s) in the source"] + plant.remarks
    rec: dict[str, Any] = {
        "type": "Facility", "id": fid,
        "name": curated_name or f"{plant.company} ({where})",
        "locality": plant.city or None, "region": plant.state or None,
        "latitude": plant.lat, "longitude": plant.lon,
        "activities": acts, "stages": stages, "ira_timeline": sorted(plant.timelines),
        "investment_usd": round(plant.investment * 1e6, 2) if plant.invested else None,
        "jobs": plant.jobs if plant.employed else None,
        "source_ids": [SOURCE_ID], "notes": "; ".join(notes),
    }
    if curated_name is None:
        kind = "battery" if key(plant.technology) == "batteries" else clean(plant.technology).lower()
        rec["facility_type"] = f"{kind} plant ({', '.join(acts)})"
    else:
        del rec["notes"]      # the curated facility's own notes stay (later values win in a merge)
    return {k: v for k, v in rec.items() if v is not None}


def _edge(kind: str, src: str, dst: str, file: str, line: int, *, skip: Callable[[str, str, str], bool],
          basis: str | None = None) -> Iterator[Record]:
    # A link the curated tables already state keeps their basis and share: repeating it here would
    # overwrite them (later values win in a merge), so it is not emitted again.
    if skip(kind, src, dst):
        return
    data: dict[str, Any] = {"type": kind, "from": src, "to": dst, "source_ids": [SOURCE_ID]}
    if basis:
        data["basis"] = basis
    yield parse_record(data, file=file, line=line)


@dataclass
class _CuratedFacilities:
    """The curated facilities with their country, operators and owners (for the same-plant test)."""

    names: dict[str, str]
    country: dict[str, str]
    firms: dict[str, set[str]]
    links: set[tuple[str, str, str]]

    @classmethod
    def load(cls) -> _CuratedFacilities:
        names = {r["id"]: r["name"] for r in curated_rows("Facility.csv")}
        country = {r["from"]: r["to"] for r in curated_rows("LOCATED_IN.csv")}
        firms: dict[str, set[str]] = {}
        links: set[tuple[str, str, str]] = set()
        for table, kind in (("OPERATES.csv", "OPERATES"), ("OWNS.csv", "OWNS"),
                            ("LOCATED_IN.csv", "LOCATED_IN")):
            for r in curated_rows(table):
                links.add((kind, r["from"], r["to"]))
                if kind != "LOCATED_IN":
                    firms.setdefault(r["to"], set()).add(r["from"])
        return cls(names, country, firms, links)

    def has(self, kind: str, src: str, dst: str) -> bool:
        return (kind, src, dst) in self.links

    def match(self, plant: _Plant, firm_ids: set[str],
              firm_keys: list[str]) -> tuple[str, str] | None:
        """The curated facility that is this plant: same country, its name holds the city, and it
        is run or owned by one of the plant's firms or its name holds one of their names."""
        city = _squash(plant.city)
        if not city:
            return None
        for fid, name in sorted(self.names.items()):
            if self.country.get(fid) != f"country:{plant.iso3}" or city not in _squash(name):
                continue
            named = any(k and _squash(k) in _squash(name) for k in firm_keys)
            if named or firm_ids & self.firms.get(fid, set()):
                return fid, name
        return None


def _squash(text: str) -> str:
    """Letters and digits only, accents folded: 'DeSoto' and 'De Soto' meet, as do Bécancour/Becancour."""
    return re.sub(r"[^a-z0-9]", "", firm_key(text).replace(" ", ""))


def _source(members: list[Member]) -> dict[str, Any]:
    origin = members[0].origin
    return {"type": "Source", "id": SOURCE_ID, "name": "North American EV supply-chain investments",
            "title": "Post-IRA EV Supply Chain Investments (supplementary table S9, North American EV "
                     "battery supply chain mapping)",
            "publisher": SPEC.publisher, "url": origin.get("url") or URL, "license": "MIT",
            "release": f"commit {COMMIT[:12]}", "retrieved": max(m.retrieved for m in members),
            "sha256": members[0].sha256 if len(members) == 1 else None}


def rebuild_snapshot(public_file: Path, out: Path | None = None, *,
                     retrieved: str | None = None) -> dict[str, int]:
    """The snapshot recipe: regenerate `loaders/snapshot/<name>/` (records, manifest with the input's
    sha256 and the firm matches not merged) from the public file, parsed as `kg load` parses it."""
    from ._snapshot import SNAPSHOT, build
    return build(SPEC.name, [public_file], out or SNAPSHOT / SPEC.name, retrieved)
