"""GLEIF: legal entities (LEI Level 1) and their accounting-consolidation parents (Level 2).

Source: Global Legal Entity Identifier Foundation, LEI data: the Golden Copy files
(https://goldencopy.gleif.org, `{YYYYMMDD}-{HHMM}-gleif-goldencopy-{lei2|rr|repex}-golden-copy.csv.zip`,
published three times a day) and the JSON:API at https://api.gleif.org/api/v1/ (`lei-records`,
`…/direct-parent-relationship`, `…/ultimate-parent-relationship`, `…/*-reporting-exception`).
Licence: CC0 1.0. Level 1 follows LEI-CDF 3.1, Level 2 relationships RR-CDF 2.1.

Mapped:
- Level 1 (`lei2` CSV or `lei-records`) → `Firm` `firm:lei:<LEI>` with the legal name, `lei` and
  `status` (the entity status, lower case); `HEADQUARTERED_IN` the headquarters country (else the
  legal-address country). The same LEI from Wikidata (P1278) gives the same id, so both sources merge;
  an LEI a curated firm carries gives the curated firm's id instead (`loaders.firm_identifiers`),
  and `fetch` finds the LEIs of curated firms that have none by legal name (`loaders.gleif_names`).
- Level 2 relationship records (the 54-column `rr` CSV or `relationship-records`) of type
  `IS_DIRECTLY_CONSOLIDATED_BY` / `IS_ULTIMATELY_CONSOLIDATED_BY` → `OWNS` parent (EndNode) → child
  (StartNode) with `basis` "accounting consolidation (GLEIF IS_…_CONSOLIDATED_BY)", `share` null
  (consolidation says control, not a percentage) and `year` the end year of the accounting period.
  When the direct and the ultimate parent are the same entity the two become one edge naming both.
  Branch, fund and feeder relationships are not ownership and are skipped.
- Reporting exceptions (`repex` CSV or `…-reporting-exception`) → a note on the child `Firm` saying why
  no parent is reported (e.g. NATURAL_PERSONS, NON_CONSOLIDATING, NO_KNOWN_PERSON).

Filtering: `parse(paths, leis=…)` (or a `leis.txt` among the inputs, one LEI a line) keeps the
relationships that touch those LEIs, and the Level 1 records of those LEIs and their parents; files are
streamed row by row (the Level 1 CSV is ~4 GB), so only what is kept is held.

Quirks handled (docs/loaders.md, "gleif"):
- StartNode is the child and EndNode the parent; period slots 1-5 hold ACCOUNTING_PERIOD,
  RELATIONSHIP_PERIOD and DOCUMENT_FILING_PERIOD in any order (picked by periodType, never by slot);
  timestamps with mixed offsets and optional milliseconds;
- only relationships that are ACTIVE (RelationshipStatus) and PUBLISHED (Registration status) become
  edges; LAPSED ones (not renewed) only with `include_lapsed=True`, marked confidence "L";
  INACTIVE ones never;
- Level 1 registrations that are LAPSED, RETIRED or MERGED keep their Firm with a note;
  ANNULLED and DUPLICATE LEIs are not valid identifiers and are skipped;
- every column is read as a string (the ISO country code `NA` is Namibia, not a missing value);
  `ValidationReference` may be a quoted URL or free text with commas.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.models import Record, parse_record
from kg.paths import snapshot_dir
from kg.sources import FetchedFile, SourceSpec, download, write_manifest

from . import _http, gleif_names
from ._codes import iso2_to_iso3
from ._common import latest
from ._inputs import Input, csv_rows, header_index, iter_inputs, load_json
from .firm_identifiers import CuratedFirms

log = logging.getLogger(__name__)

API_URL = "https://api.gleif.org/api/v1"
GOLDEN_COPY_URL = "https://goldencopy.gleif.org/api/v2/golden-copies/publishes/latest"
SPEC = SourceSpec(
    name="gleif",
    title="GLEIF LEI data: legal entities (Level 1) and accounting-consolidation parents (Level 2)",
    publisher="Global Legal Entity Identifier Foundation (GLEIF)",
    urls=(API_URL, GOLDEN_COPY_URL),
    license="CC0 1.0",
    cadence="golden copy three times a day; API live",
    homepage="https://www.gleif.org/en/lei-data/gleif-golden-copy",
)
_LEI = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")
_OWNERSHIP = {"IS_DIRECTLY_CONSOLIDATED_BY": "direct", "IS_ULTIMATELY_CONSOLIDATED_BY": "ultimate"}
_INVALID_REGISTRATIONS = {"ANNULLED", "DUPLICATE"}
_MAX_ROUNDS = 10
_PUBLISH = re.compile(r"(\d{8})-(\d{4})-gleif-goldencopy-(lei2|rr|repex)", re.I)
_RR_REQUIRED = ("Relationship.StartNode.NodeID", "Relationship.StartNode.NodeIDType",
                "Relationship.EndNode.NodeID", "Relationship.EndNode.NodeIDType",
                "Relationship.RelationshipType", "Relationship.RelationshipStatus",
                "Registration.RegistrationStatus")
_L1_REQUIRED = ("LEI", "Entity.LegalName")
_REPEX_REQUIRED = ("LEI", "Exception.Category")


# --------------------------------------------------------------------------- fetch

def fetch(dest: Path, *, base_url: str | None = None, leis: Iterable[str] | None = None,
          golden_copy: bool = False, resolve_names: bool = True, curated: Path | None = None,
          pace_seconds: float = 1.0, timeout: float = 60.0, retries: int = 4,
          backoff: float = 2.0) -> list[Path]:
    """Download Level 1 and Level 2 data for `leis` from the API (or the full golden copy).

    Without `leis`: the LEIs of `dest/leis.txt` (else of the bundled snapshot's `firm:lei:` firms)
    and of the curated firms, and (`resolve_names`) those found by legal name for the curated
    firms that have none (`loaders.gleif_names`; every outcome in `dest/name-matches.csv`, which
    the manifest lists so `kg build` links the firms too). `curated` is
    the folder of the curated tables (default the bundled snapshot's). `golden_copy=True`
    downloads the latest full lei2/rr/repex CSV files instead (~4.5 GB).
    GLEIF asks API users to stay under 60 requests a minute: one request per `pace_seconds`.
    """
    dest.mkdir(parents=True, exist_ok=True)
    if golden_copy:
        return _fetch_golden_copy(dest, base_url, timeout, retries, backoff)
    base = (base_url or API_URL).rstrip("/")
    pace = _http.Pace(pace_seconds)
    opts: dict[str, Any] = {"pace": pace, "timeout": timeout, "retries": retries, "backoff": backoff}
    wanted = list(leis) if leis is not None else list(_default_leis(dest))
    fetched: list[FetchedFile] = []
    if leis is None:
        firms = CuratedFirms.read(curated)
        wanted += firms.by_lei
        if resolve_names and firms.without_lei():
            outcomes = gleif_names.resolve(firms.without_lei(), base, dest, opts)
            wanted += [o.lei for o in outcomes if o.status == "resolved"]
            fetched.append(gleif_names.manifest_entry(dest / gleif_names.REPORT,
                                                      f"{base}/lei-records"))
    seed = sorted({x.strip().upper() for x in wanted if x.strip()})
    bad = [x for x in seed if not _LEI.match(x)]
    if bad:
        raise ValueError(f"not LEIs: {', '.join(bad[:5])}")
    if not seed:
        log.warning("gleif: no LEIs to fetch (pass leis=, or write %s/leis.txt)", dest)
        return []
    parents: set[str] = set()
    for lei in seed:
        for kind in ("direct-parent-relationship", "ultimate-parent-relationship",
                     "direct-parent-reporting-exception", "ultimate-parent-reporting-exception"):
            got = _http.get(f"{base}/lei-records/{lei}/{kind}", dest / f"gleif_{lei}_{kind}.json",
                            missing_ok=True, allow_empty=True, **opts)  # 404: none reported
            if got is not None:
                fetched.append(got)
                if kind.endswith("relationship"):
                    parents.update(_end_nodes(got.path))
    everyone = sorted(set(seed) | parents)
    for start in range(0, len(everyone), 100):
        batch = everyone[start:start + 100]
        got = _http.get(f"{base}/lei-records", dest / f"gleif_lei-records_{start // 100 + 1:03d}.json",
                        params={"filter[lei]": ",".join(batch), "page[size]": 100}, **opts)
        if got is not None:
            fetched.append(got)
    (dest / "leis.txt").write_text("".join(f"{x}\n" for x in seed), encoding="utf-8")
    write_manifest(dest, SPEC.name, fetched)
    return [f.path for f in fetched]


def _default_leis(dest: Path) -> list[str]:
    listed = dest / "leis.txt"
    if listed.is_file():
        return listed.read_text(encoding="utf-8").split()
    found: set[str] = set()
    root = snapshot_dir()
    if root.is_dir():
        for path in root.rglob("*"):
            if path.is_file() and path.suffix in (".csv", ".jsonl", ".yaml", ".yml"):
                found.update(re.findall(r"firm:lei:([A-Z0-9]{18}[0-9]{2})",
                                        path.read_text(encoding="utf-8", errors="replace")))
    return sorted(found)


def _end_nodes(path: Path) -> set[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8")).get("data")
    except (ValueError, AttributeError):
        return set()
    items = data if isinstance(data, list) else [data]
    out = set()
    for item in items:
        node = (((item or {}).get("attributes") or {}).get("relationship") or {}).get("endNode") or {}
        if isinstance(node.get("id"), str) and _LEI.match(node["id"]):
            out.add(node["id"])
    return out


def _fetch_golden_copy(dest: Path, base_url: str | None, timeout: float, retries: int,
                       backoff: float) -> list[Path]:
    meta = download(base_url or GOLDEN_COPY_URL, dest / "golden-copy-latest.json", timeout=timeout,
                    retries=retries, backoff=backoff)
    urls = sorted({u for u in _strings(json.loads(meta.path.read_text(encoding="utf-8")))
                   if re.search(r"-gleif-goldencopy-(lei2|rr|repex)-golden-copy\.csv\.zip$", u)})
    if not urls:
        raise DataError("no lei2/rr/repex CSV download URLs in the golden-copy metadata",
                        file=str(meta.path))
    meta.path.unlink()
    fetched = [download(u, dest / u.rsplit("/", 1)[-1], timeout=timeout * 10, retries=retries,
                        backoff=backoff) for u in urls]
    write_manifest(dest, SPEC.name, fetched)
    return [f.path for f in fetched]


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


# --------------------------------------------------------------------------- parse

@dataclass
class _State:
    seed: set[str] | None
    include_lapsed: bool
    owns: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    wanted: set[str] = field(default_factory=set)           # LEIs whose Level 1 is wanted
    notes: dict[str, list[str]] = field(default_factory=dict)
    note_sources: dict[str, set[str]] = field(default_factory=dict)
    emitted: set[str] = field(default_factory=set)
    skipped_invalid: set[str] = field(default_factory=set)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    curated: CuratedFirms = field(default_factory=CuratedFirms)

    def node(self, lei: str) -> str:
        """The Firm id of an LEI: the curated firm's that carries it, else firm:lei:<LEI>."""
        firm = self.curated.lei_of(lei)
        return firm.id if firm else f"firm:lei:{lei}"

    def touches(self, *leis: str) -> bool:
        return self.seed is None or any(x in self.seed for x in leis)

    def want(self, lei: str) -> bool:
        return self.seed is None or lei in self.seed or lei in self.wanted


def parse(paths: Iterable[Path], *, leis: Iterable[str] | None = None,
          include_lapsed: bool = False, curated: Path | None = None) -> Iterator[Record]:
    """GLEIF golden-copy CSVs (lei2, rr, repex; plain or zipped) and JSON:API responses -> records.

    An LEI that a curated firm carries (its `lei`, or a resolved row of a `name-matches.csv` among
    the inputs, written by `fetch`) becomes that firm's node; `curated` is the folder of the curated
    tables (default the bundled snapshot's).
    """
    inputs = list(iter_inputs(paths, _is_gleif_file))
    seed = {x.strip().upper() for x in leis} if leis is not None else None
    for item in [i for i in inputs if i.filename.lower() == "leis.txt"]:
        with item.open_text() as fh:
            seed = (seed or set()) | {x.strip().upper() for x in fh.read().split()}
    state = _State(seed=seed, include_lapsed=include_lapsed, curated=CuratedFirms.read(curated))
    for item in [i for i in inputs if i.filename.lower() == gleif_names.REPORT]:
        for lei, firm_id in gleif_names.read_report(item.read_text()).items():
            if firm_id in state.curated.firms and _LEI.match(lei):
                state.curated.link(firm_id, lei)
    kinds = {item: _kind(item) for item in inputs
             if item.filename.lower() not in ("leis.txt", gleif_names.REPORT)}
    rels: list[dict[str, Any]] = []
    exceptions: list[dict[str, Any]] = []
    entities: list[dict[str, Any]] = []
    for item, kind in kinds.items():
        if kind == "json":
            _read_json(item, state, rels, exceptions, entities)
    # Level 2 first: it decides which Level 1 records are wanted. With a seed, parents of kept
    # relationships join the seed and the relationship files are read again, so an ownership
    # chain is followed to its top (a few passes over a ~200 MB file at most).
    for _ in range(_MAX_ROUNDS):
        before = set(state.seed) if state.seed is not None else None
        for rel in rels:
            _relationship(state, **rel)
        for item, kind in kinds.items():
            if kind == "rr":
                _read_rr(item, state)
        if state.seed is None:
            break
        state.seed |= {parent for parent, child in state.owns if child in state.seed}
        if state.seed == before:
            break
    for exc in exceptions:
        _exception(state, **exc)
    for item, kind in kinds.items():
        if kind == "repex":
            _read_repex(item, state)
    for entity in entities:                   # then Level 1: API records, golden copy streamed
        yield from _entity(state, **entity)
    for item, kind in kinds.items():
        if kind == "lei2":
            yield from _read_lei2(item, state)
    yield from _finish(state)


def _is_gleif_file(name: str) -> bool:
    lower = name.lower()
    return lower.endswith((".csv", ".json")) or lower == "leis.txt"   # name-matches.csv too


def _kind(item: Input) -> str:
    if item.filename.lower().endswith(".json"):
        return "json"
    with item.open_text() as stream:
        header = next(csv.reader(stream), [])
    cols = {h.strip() for h in header}
    if "Relationship.StartNode.NodeID" in cols:
        return "rr"
    if "Exception.Category" in cols:
        return "repex"
    if "Entity.LegalName" in cols:
        return "lei2"
    raise DataError("not a GLEIF golden-copy file (no Relationship.StartNode.NodeID, "
                    "Exception.Category or Entity.LegalName column)", file=item.name, line=1)


def _source(state: _State, item: Input, dataset: str) -> str:
    match = _PUBLISH.search(item.filename)
    if dataset == "api":
        sid, title, url = ("source:gleif-api", "GLEIF LEI API (JSON:API), Level 1 and Level 2",
                           API_URL)
        release = None
    else:
        sid = f"source:gleif-golden-copy-{dataset}"
        title = {"lei2": "GLEIF Golden Copy, Level 1 LEI records (LEI-CDF 3.1)",
                 "rr": "GLEIF Golden Copy, Level 2 relationship records (RR-CDF 2.1)",
                 "repex": "GLEIF Golden Copy, Level 2 reporting exceptions"}[dataset]
        url = item.url or SPEC.homepage
        release = (f"{match.group(1)[:4]}-{match.group(1)[4:6]}-{match.group(1)[6:]}T"
                   f"{match.group(2)[:2]}:{match.group(2)[2:]}Z") if match else None
    data = {"type": "Source", "id": sid, "name": title, "title": title, "publisher": SPEC.publisher,
            "url": url, "license": SPEC.license,
            "retrieved": latest(state.sources, sid, "retrieved", item.retrieved)}
    if release or state.sources.get(sid, {}).get("release"):
        data["release"] = latest(state.sources, sid, "release", release or "")
    state.sources[sid] = data
    return sid


def _year(stamp: str) -> int | None:
    match = re.match(r"(\d{4})-\d{2}-\d{2}", stamp.strip())
    return int(match.group(1)) if match else None


def _relationship(state: _State, *, child: str, parent: str, rtype: str, status: str,
                  registration: str, periods: list[tuple[str, str, str]], sid: str,
                  where: tuple[str, int]) -> None:
    if rtype not in _OWNERSHIP:
        return   # branches, funds, feeders: not ownership
    if status.upper() != "ACTIVE":
        return
    registration = registration.upper()
    if registration != "PUBLISHED" and not (registration == "LAPSED" and state.include_lapsed):
        return
    for lei, end in ((child, "StartNode"), (parent, "EndNode")):
        if not _LEI.match(lei):
            raise DataError(f"not an LEI: {lei!r}", file=where[0], line=where[1],
                            field=f"Relationship.{end}.NodeID")
    if child == parent or not state.touches(child, parent):
        return
    state.wanted.update((child, parent))
    year = next((_year(end or start) for start, end, kind in periods
                 if kind == "ACCOUNTING_PERIOD" and _year(end or start)), None)
    edge = state.owns.setdefault((parent, child), {"types": set(), "sources": set(),
                                                   "year": None, "lapsed": True})
    edge["types"].add(rtype)
    edge["sources"].add(sid)
    if year and (edge["year"] is None or year > edge["year"]):
        edge["year"] = year
    edge["lapsed"] = edge["lapsed"] and registration == "LAPSED"   # lapsed only if every record is


def _table(stream: Iterable[str], item: Input, required: Iterable[str]
           ) -> tuple[Iterator[tuple[int, list[str]]], list[str], dict[str, int]]:
    """A GLEIF CSV: its remaining rows, its header and the positions of the required columns."""
    rows = csv_rows(stream, item.name)
    header = next(rows, (1, []))[1]
    return rows, header, header_index(header, required, item.name)


def _read_rr(item: Input, state: _State) -> None:
    sid = _source(state, item, "rr")
    with item.open_text() as stream:
        rows, header, col = _table(stream, item, _RR_REQUIRED)
        slots = [(col.get(f"Relationship.Period.{n}.startDate"),
                  col.get(f"Relationship.Period.{n}.endDate"),
                  col.get(f"Relationship.Period.{n}.periodType")) for n in range(1, 6)]
        for line, row in rows:
            if not any(row):
                continue
            if len(row) != len(header):
                raise DataError(f"expected {len(header)} fields (as in the header), found "
                                f"{len(row)}", file=item.name, line=line)

            def get(name: str, row: list[str] = row) -> str:
                return row[col[name]].strip()

            if get("Relationship.StartNode.NodeIDType") != "LEI" or \
                    get("Relationship.EndNode.NodeIDType") != "LEI":
                continue
            periods = [(row[s].strip(), row[e].strip(), row[t].strip())
                       for s, e, t in slots if s is not None and e is not None and t is not None]
            _relationship(state, child=get("Relationship.StartNode.NodeID"),
                          parent=get("Relationship.EndNode.NodeID"),
                          rtype=get("Relationship.RelationshipType"),
                          status=get("Relationship.RelationshipStatus"),
                          registration=get("Registration.RegistrationStatus"),
                          periods=periods, sid=sid, where=(item.name, line))


def _exception(state: _State, lei: str, category: str, reasons: list[str], sid: str) -> None:
    if not state.touches(lei):
        return
    which = {"DIRECT_ACCOUNTING_CONSOLIDATION_PARENT": "direct parent",
             "ULTIMATE_ACCOUNTING_CONSOLIDATION_PARENT": "ultimate parent"}.get(category, category)
    text = f"GLEIF reporting exception ({which}): {', '.join(r for r in reasons if r) or 'no reason given'}"
    notes = state.notes.setdefault(lei, [])
    if text not in notes:
        notes.append(text)
    state.note_sources.setdefault(lei, set()).add(sid)
    state.wanted.add(lei)


def _read_repex(item: Input, state: _State) -> None:
    sid = _source(state, item, "repex")
    with item.open_text() as stream:
        rows, _, col = _table(stream, item, _REPEX_REQUIRED)
        reasons = [col[c] for c in (f"Exception.Reason.{n}" for n in range(1, 6)) if c in col]
        if "Exception.Reason" in col:
            reasons.insert(0, col["Exception.Reason"])
        for line, row in rows:
            if not any(row):
                continue
            lei = row[col["LEI"]].strip()
            if not _LEI.match(lei):
                raise DataError(f"not an LEI: {lei!r}", file=item.name, line=line, field="LEI")
            _exception(state, lei, row[col["Exception.Category"]].strip(),
                       [row[i].strip() for i in reasons if i < len(row)], sid)


def _read_json(item: Input, state: _State, rels: list[dict[str, Any]],
               exceptions: list[dict[str, Any]], entities: list[dict[str, Any]]) -> None:
    """Sort the items of one JSON:API document into relationships, exceptions and entities."""
    text = item.read_text()
    if not text.strip():
        return
    doc = load_json(text, item.name)
    data = doc.get("data") if isinstance(doc, dict) else None
    if data is None:
        if isinstance(doc, dict) and doc.get("errors"):
            return   # a JSON:API error document (e.g. 404 "no parent") carries no records
        raise DataError("not a GLEIF JSON:API document (no 'data')", file=item.name, line=1)
    sid = _source(state, item, "api")
    for n, obj in enumerate(data if isinstance(data, list) else [data], start=1):
        if not isinstance(obj, dict):
            raise DataError("a data item is not an object", file=item.name, line=n)
        attrs = obj.get("attributes") or {}
        kind = obj.get("type")
        where = (item.name, n)
        if kind == "lei-records":
            entity, registration = attrs.get("entity") or {}, attrs.get("registration") or {}
            legal_name = entity.get("legalName")
            name = legal_name.get("name") if isinstance(legal_name, dict) else legal_name
            entities.append(dict(
                lei=str(attrs.get("lei") or obj.get("id") or ""), name=str(name or ""),
                hq=str((entity.get("headquartersAddress") or {}).get("country") or ""),
                legal=str((entity.get("legalAddress") or {}).get("country") or ""),
                status=str(entity.get("status") or ""),
                registration=str(registration.get("status") or ""),
                updated=str(registration.get("lastUpdateDate") or ""), sid=sid, where=where,
                fields=("attributes.entity.headquartersAddress.country",
                        "attributes.entity.legalAddress.country")))
        elif kind == "relationship-records":
            rel = attrs.get("relationship") or {}
            start, end = rel.get("startNode") or {}, rel.get("endNode") or {}
            if start.get("type", "LEI") != "LEI" or end.get("type", "LEI") != "LEI":
                continue
            periods = [(str(p.get("startDate") or ""), str(p.get("endDate") or ""),
                        str(p.get("type") or p.get("periodType") or ""))
                       for p in rel.get("periods") or [] if isinstance(p, dict)]
            rels.append(dict(child=str(start.get("id") or ""), parent=str(end.get("id") or ""),
                             rtype=str(rel.get("type") or ""), status=str(rel.get("status") or ""),
                             registration=str((attrs.get("registration") or {}).get("status") or ""),
                             periods=periods, sid=sid, where=where))
        elif kind == "reporting-exceptions":
            reasons = attrs.get("reason") or attrs.get("reasons") or attrs.get("exceptionReasons") or []
            lei = str(attrs.get("lei") or "")
            if not _LEI.match(lei):
                raise DataError(f"not an LEI: {lei!r}", file=item.name, line=n, field="lei")
            exceptions.append(dict(lei=lei, category=str(attrs.get("category") or ""),
                                   reasons=[reasons] if isinstance(reasons, str)
                                   else [str(r) for r in reasons], sid=sid))
        else:
            raise DataError(f"unknown JSON:API resource type {kind!r}", file=item.name, line=n,
                            field="type")


def _read_lei2(item: Input, state: _State) -> Iterator[Record]:
    sid = _source(state, item, "lei2")
    with item.open_text() as stream:
        rows, _, col = _table(stream, item, _L1_REQUIRED)

        def get(row: list[str], name: str) -> str:
            pos = col.get(name)
            return row[pos].strip() if pos is not None and pos < len(row) else ""

        for line, row in rows:
            if not any(row):
                continue
            lei = get(row, "LEI")
            if not state.want(lei):
                continue
            yield from _entity(state, lei=lei, name=get(row, "Entity.LegalName"),
                               hq=get(row, "Entity.HeadquartersAddress.Country"),
                               legal=get(row, "Entity.LegalAddress.Country"),
                               status=get(row, "Entity.EntityStatus"),
                               registration=get(row, "Registration.RegistrationStatus"),
                               updated=get(row, "Registration.LastUpdateDate"), sid=sid,
                               where=(item.name, line),
                               fields=("Entity.HeadquartersAddress.Country",
                                       "Entity.LegalAddress.Country"))


def _entity(state: _State, *, lei: str, name: str, hq: str, legal: str, status: str,
            registration: str, updated: str, sid: str, where: tuple[str, int],
            fields: tuple[str, str]) -> Iterator[Record]:
    lei = lei.strip().upper()
    if not _LEI.match(lei):
        raise DataError(f"not an LEI: {lei!r}", file=where[0], line=where[1], field="LEI")
    if not state.want(lei) or lei in state.emitted:
        return
    registration = registration.upper()
    if registration in _INVALID_REGISTRATIONS:
        state.skipped_invalid.add(lei)
        return   # an annulled or duplicate LEI identifies nothing
    state.emitted.add(lei)
    notes = list(state.notes.get(lei, []))
    if registration in ("LAPSED", "RETIRED", "MERGED", "PENDING_ARCHIVAL"):
        since = f" (last update {updated[:10]})" if updated else ""
        notes.insert(0, f"GLEIF registration status {registration}{since}")
    data: dict[str, Any] = {
        "type": "Firm", "id": state.node(lei), "name": name.strip() or lei, "lei": lei,
        "source_ids": sorted({sid, *state.note_sources.get(lei, ())}),
    }
    firm = state.curated.lei_of(lei)
    if firm:   # the curated firm's node: its name and notes stay, GLEIF's notes follow them
        data["name"] = firm.name
        notes = [n for n in (firm.notes, *notes) if n]
    if status:
        data["status"] = status.lower()
    if notes:
        data["notes"] = "; ".join(notes)
    yield parse_record(data, file=where[0], line=where[1])
    for code, which, note in ((hq, fields[0], None),
                              (legal, fields[1], "legal-address country; no headquarters country given")):
        if not code.strip():
            continue
        iso3 = iso2_to_iso3(code)
        if iso3 is None:
            raise DataError(f"not an ISO 3166-1 alpha-2 country code: {code!r}", file=where[0],
                            line=where[1], field=which)
        edge = {"type": "HEADQUARTERED_IN", "from": data["id"], "to": f"country:{iso3}",
                "source_ids": [sid]}
        if note:
            edge["notes"] = note
        yield parse_record(edge, file=where[0], line=where[1])
        break


def _finish(state: _State) -> Iterator[Record]:
    """Stub firms for parents without a Level 1 record, then the OWNS edges, then Sources."""
    for (parent, child), edge in sorted(state.owns.items()):
        if parent in state.skipped_invalid or child in state.skipped_invalid:
            continue
        for lei in (parent, child):
            if lei not in state.emitted:
                state.emitted.add(lei)
                yield _stub(state, lei, sorted(edge["sources"]),
                            ["name unknown: no GLEIF Level 1 record in this load"])
        kinds = sorted(edge["types"])
        data: dict[str, Any] = {
            "type": "OWNS", "from": state.node(parent), "to": state.node(child),
            "basis": f"accounting consolidation (GLEIF {', '.join(kinds)})",
            "source_ids": sorted(edge["sources"]),
        }
        if edge["year"]:
            data["year"] = edge["year"]
        if edge["lapsed"]:
            data["confidence"] = "L"
            data["notes"] = "GLEIF relationship registration LAPSED (not re-validated)"
        yield parse_record(data)
    for lei in sorted(set(state.notes) - state.emitted):
        # an exception for a seed LEI whose Level 1 record is not in this load
        yield _stub(state, lei, sorted(state.note_sources[lei]), state.notes[lei])
    for src in state.sources.values():
        yield parse_record(src)


def _stub(state: _State, lei: str, sources: list[str], notes: list[str]) -> Record:
    """A Firm known only by its LEI (no Level 1 record loaded); a curated firm keeps its name."""
    firm = state.curated.lei_of(lei)
    if firm:
        notes = [n for n in (firm.notes, *notes) if n and not n.startswith("name unknown")]
    data: dict[str, Any] = {"type": "Firm", "id": state.node(lei), "name": firm.name if firm else lei,
                            "lei": lei, "source_ids": sources}
    if notes:
        data["notes"] = "; ".join(notes)
    return parse_record(data)
