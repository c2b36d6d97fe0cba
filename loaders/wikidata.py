"""Wikidata: firms that produce critical materials, their owners, and their facilities.

Source: Wikidata (Wikimedia Foundation and the Wikidata community), https://www.wikidata.org, queried
through the Wikidata Query Service https://query.wikidata.org/sparql (SPARQL 1.1, JSON results).
Licence: CC0 1.0 (structured data). Live; the query service lags edits by minutes. The queries are
kept as files in `loaders/_queries/wikidata_{firms,ownership,facilities}.rq` (each with a header saying
what it selects). Fetching sends the project's User-Agent (Wikimedia policy) and waits between queries.

Mapped (each record cites the query's Source, retrieved on the fetch date):
- `Firm` for every business, owner, parent, subsidiary and operator: `firm:lei:<LEI>` when Wikidata
  gives a Legal Entity Identifier (P1278) for it anywhere in the results, else `firm:<qid>`; `wikidata`
  = the QID, `lei`. The same LEI in GLEIF gives the same id, so the two sources merge into one node.
  An item whose QID or LEI a curated firm carries takes the curated firm's id; the `identifiers`
  query finds the items of curated firms that have an LEI but no QID (by P1278, never by name).
- `HEADQUARTERED_IN` from the headquarters location's country (P159/P17), else the firm's country (P17).
- `OWNS` owner → firm from P127 (owned by; `share` from the P1107 proportion qualifier) and P749
  (parent organisation), and firm → subsidiary from P355; `basis` names the property. A statement with
  an end time (P582) is skipped. Owners that are countries become `STATE_OWNED_BY`; people are skipped.
- `PRODUCES` firm/facility → material from P1056, matched by element symbol or label through
  `loaders/_crosswalks/wikidata_materials.csv`, with the `Material` nodes it points to. Wikidata has no
  stage or year for P1056: `stage` is read from the entity's type and industry labels (mine → mining,
  refinery/smelter/chemical → refining, separation → separation, factory/plant → manufacturing; no
  edge when none applies) and `year` is the retrieval year; `basis` says so.
- `Facility` (`facility:<qid>`) with coordinates (P625, WKT `Point(lon lat)`) and type (P31 labels),
  `LOCATED_IN` (P17), `OPERATES` (P137 operator) and `OWNS` (P127 owner).

Quirks handled (docs/loaders.md, "wikidata"): OPTIONAL variables with no value are absent from a binding, not null;
the label service falls back to the bare QID ("Q123456") when an item has no English label, and the
loader does the same when the label variable is missing; one row comes back per combination of
multi-valued properties, so every record is deduplicated; shares given as percentages (1 < p ≤ 100)
are divided by 100; malformed LEIs and non-ISO country codes are dropped with a warning.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.models import Record, parse_record
from kg.sources import FetchedFile, FetchError, SourceSpec, write_manifest

from . import _http, gleif_names
from ._codes import is_iso3
from ._common import crosswalk_file, latest, read_crosswalk
from ._inputs import Input, iter_inputs, json_array_items, load_json
from .firm_identifiers import CuratedFirm, CuratedFirms

log = logging.getLogger(__name__)

ENDPOINT = "https://query.wikidata.org/sparql"
QUERY_DIR = Path(__file__).resolve().parent / "_queries"
QUERIES = ("firms", "ownership", "facilities")
SPEC = SourceSpec(
    name="wikidata",
    title="Wikidata: firms, ownership and facilities of critical-material producers",
    publisher="Wikimedia Foundation / Wikidata contributors",
    urls=(ENDPOINT,),
    license="CC0 1.0",
    cadence="live (query service lags edits by minutes)",
    homepage="https://www.wikidata.org",
)
_ENTITY = re.compile(r"^https?://www\.wikidata\.org/entity/(Q\d+)$")
_LEI = re.compile(r"^[A-Z0-9]{18}[0-9]{2}$")
_POINT = re.compile(r"^\s*(?:<[^>]*>\s*)?Point\(\s*([-+0-9.eE]+)\s+([-+0-9.eE]+)\s*\)\s*$")
_RELATIONS = {"P127": "Wikidata P127 (owned by)", "P749": "Wikidata P749 (parent organization)",
              "P355": "Wikidata P355 (subsidiary)"}
_STAGE_WORDS = (
    ("separation", re.compile(r"\bseparation\b")),
    ("refining", re.compile(r"\b(refiner(y|ies)?|refining|smelt(er|ers|ing)|chemical|chemicals|"
                            r"hydrometallurg\w*|metallurg\w*|processing)\b")),
    ("mining", re.compile(r"\b(mine|mines|mining|quarry|open-pit|salar|brine)\b")),
)
_MANUFACTURING = re.compile(r"\b(factory|gigafactory|manufactur\w*|plant|battery|batteries|"
                            r"magnet|magnets|automotive|electronics)\b")


# --------------------------------------------------------------------------- fetch

def fetch(dest: Path, *, base_url: str | None = None,
          queries: Iterable[str] = (*QUERIES, "identifiers"), curated: Path | None = None,
          gleif_matches: Path | None = None, pace_seconds: float = 2.0, timeout: float = 90.0,
          retries: int = 4, backoff: float = 5.0) -> list[Path]:
    """Run each stored query against the query service and save the JSON results in `dest`.

    `identifiers` looks up, by LEI (P1278), the curated firms (folder `curated`, default the
    bundled snapshot's) that carry an LEI but no QID; LEIs found by GLEIF's name search count too
    (`gleif_matches`, default `dest/../gleif/name-matches.csv` when `kg fetch gleif` ran first;
    copied into `dest` so `parse` links the same firms). No such LEI: the query is not run.
    Politeness: the project User-Agent, one query at a time, `pace_seconds` between queries, and
    HTTP 429 retried after its Retry-After.
    """
    url = base_url.rstrip("/") if base_url else ENDPOINT
    pace = _http.Pace(pace_seconds)
    dest.mkdir(parents=True, exist_ok=True)
    fetched: list[FetchedFile] = []
    for name in queries:
        if name == "identifiers":
            leis = _unidentified_leis(dest, curated, gleif_matches)
            if not leis:
                continue
            if (dest / gleif_names.REPORT).is_file():
                fetched.append(gleif_names.manifest_entry(dest / gleif_names.REPORT,
                                                          "https://api.gleif.org/api/v1/lei-records"))
            query = query_text(name).replace('"LEI_VALUES"', " ".join(f'"{x}"' for x in leis))
        else:
            query = query_text(name)
        got = _http.get(url, dest / f"wikidata_{name}.json", params={"query": query, "format": "json"},
                        headers={"Accept": "application/sparql-results+json"}, pace=pace,
                        timeout=timeout, retries=retries, backoff=backoff,
                        extra={"query": f"loaders/_queries/wikidata_{name}.rq"})
        if got is None:
            raise FetchError(f"{url}: the query service returned an empty body for wikidata_{name}.rq")
        fetched.append(got)
    write_manifest(dest, SPEC.name, fetched)
    return [f.path for f in fetched]


def _unidentified_leis(dest: Path, curated: Path | None, gleif_matches: Path | None) -> list[str]:
    """LEIs of curated firms without a QID (curated, or resolved by GLEIF's name search)."""
    firms = CuratedFirms.read(curated)
    report = gleif_matches or dest.parent / "gleif" / gleif_names.REPORT
    if report.is_file():
        text = report.read_text(encoding="utf-8")
        for lei, firm_id in gleif_names.read_report(text).items():
            if firm_id in firms.firms and _LEI.match(lei):
                firms.link(firm_id, lei)
        if report.resolve() != (dest / gleif_names.REPORT).resolve():
            (dest / gleif_names.REPORT).write_text(text, encoding="utf-8")
    return sorted(f.lei for f in firms.firms.values() if f.lei and not f.wikidata and _LEI.match(f.lei))


def query_text(name: str) -> str:
    """The SPARQL text of a stored query (`loaders/_queries/wikidata_<name>.rq`)."""
    return (QUERY_DIR / f"wikidata_{name}.rq").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- parse

@dataclass
class _Result:
    item: Input
    kind: str
    rows: list[tuple[int, dict[str, Any]]]


@dataclass
class _Graph:
    """What the results say, deduplicated, before it becomes records."""

    firms: dict[str, dict[str, Any]] = field(default_factory=dict)       # qid -> name, sources
    leis: dict[str, set[str]] = field(default_factory=dict)              # qid -> LEIs
    curated: CuratedFirms = field(default_factory=CuratedFirms)          # LEI/QID -> curated firm
    facilities: dict[str, dict[str, Any]] = field(default_factory=dict)  # qid -> props
    materials: dict[str, set[str]] = field(default_factory=dict)   # id -> citing sources
    edges: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)


def parse(paths: Iterable[Path], *, curated: Path | None = None) -> Iterator[Record]:
    """SPARQL JSON results of the stored queries -> Firm, Facility, Material and their edges.

    A firm whose QID or LEI a curated firm carries (`curated`: the folder of the curated tables,
    default the bundled snapshot's; plus the resolved rows of a `name-matches.csv` among the
    inputs) becomes that firm's node.
    """
    inputs = list(iter_inputs(paths, lambda n: n.lower().endswith(".json")
                              or n.lower() == gleif_names.REPORT))
    graph = _Graph(curated=CuratedFirms.read(curated))
    for item in [i for i in inputs if i.filename.lower() == gleif_names.REPORT]:
        for lei, firm_id in gleif_names.read_report(item.read_text()).items():
            if firm_id in graph.curated.firms and _LEI.match(lei):
                graph.curated.link(firm_id, lei)
    results = [_read(item) for item in inputs if item.filename.lower() != gleif_names.REPORT]
    for res in results:   # pass 1: every QID's LEIs, wherever they appear
        for _, row in res.rows:
            for entity, lei in (("firm", "lei"), ("firm", "identifiedLei"), ("firm", "firmLei"), ("other", "otherLei"),
                                ("operator", "operatorLei"), ("owner", "ownerLei")):
                _note_lei(graph, row, entity, lei, res.item.name)
    sources: dict[str, dict[str, Any]] = {}
    for res in results:   # pass 2: records
        sid = _source(res, sources)
        year = int(res.item.retrieved[:4])
        handler = {"firms": _firm_row, "ownership": _ownership_row, "facilities": _facility_row,
                   "identifiers": _identifier_row}
        for line, row in res.rows:
            handler[res.kind](graph, row, sid, year, res.item.name, line)
    yield from (parse_record(s) for s in sources.values())
    yield from _records(graph)


def _read(item: Input) -> _Result:
    text = item.read_text()
    doc = load_json(text, item.name)
    try:
        variables = set(doc["head"]["vars"])
        doc["results"]["bindings"]
    except (KeyError, TypeError):
        raise DataError("not SPARQL JSON results (head.vars / results.bindings)",
                        file=item.name, line=1) from None
    if "identifiedLei" in variables:
        kind = "identifiers"
    elif "facility" in variables:
        kind = "facilities"
    elif "relation" in variables:
        kind = "ownership"
    elif "firm" in variables:
        kind = "firms"
    else:
        raise DataError(f"results of an unknown query (variables {sorted(variables)}); expected "
                        f"those of loaders/_queries/wikidata_*.rq", file=item.name, line=1)
    rows = []
    for line, binding in json_array_items(text, item.name, ("results", "bindings")):
        if not isinstance(binding, dict):
            raise DataError("a binding is not an object", file=item.name, line=line)
        rows.append((line, binding))
    return _Result(item, kind, rows)


def _value(row: dict[str, Any], var: str) -> str | None:
    cell = row.get(var)
    if not isinstance(cell, dict):
        return None
    value = cell.get("value")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _qid(row: dict[str, Any], var: str, file: str, line: int) -> str | None:
    value = _value(row, var)
    if value is None:
        return None
    match = _ENTITY.match(value)
    if not match:
        if (row.get(var) or {}).get("type") == "bnode":
            return None   # "unknown value" / "some value" statements
        raise DataError(f"not a Wikidata entity IRI: {value!r}", file=file, line=line, field=var)
    return match.group(1)


def _label(row: dict[str, Any], var: str, qid: str) -> str:
    """The English label, falling back to the QID (as the label service itself does)."""
    return _value(row, f"{var}Label") or qid


def _note_lei(graph: _Graph, row: dict[str, Any], entity: str, lei_var: str, file: str) -> None:
    value = _value(row, lei_var)
    if value is None:
        return
    qid = _ENTITY.match(_value(row, entity) or "")
    if qid is None:
        return
    lei = value.upper()
    if not _LEI.match(lei):
        log.warning("%s: %s has a malformed LEI %r; ignored", file, qid.group(1), value)
        return
    graph.leis.setdefault(qid.group(1), set()).add(lei)


def _curated(graph: _Graph, qid: str) -> CuratedFirm | None:
    """The curated firm this item is: by its QID, else by one of its LEIs."""
    found = graph.curated.qid_of(qid)
    for lei in sorted(graph.leis.get(qid, ())):
        found = found or graph.curated.lei_of(lei)
    return found


def _firm_id(graph: _Graph, qid: str) -> str:
    firm = _curated(graph, qid)
    if firm:
        return firm.id
    leis = graph.leis.get(qid)
    return f"firm:lei:{sorted(leis)[0]}" if leis else f"firm:{qid.lower()}"


def _add_firm(graph: _Graph, qid: str, name: str, sid: str) -> None:
    firm = graph.firms.setdefault(qid, {"name": name, "sources": set()})
    if firm["name"] == qid and name != qid:
        firm["name"] = name   # a real label beats the QID fallback seen in another row
    firm["sources"].add(sid)


def _produces(graph: _Graph, holder: tuple[str, str], material: str, stages: list[str], year: int,
              sid: str, inferred_from: str) -> None:
    """PRODUCES edges of a firm or facility, one per stage its labels suggest."""
    if stages:
        graph.materials.setdefault(material, set()).add(sid)
    for stage in stages:
        # `basis` is what a figure measures (output or capacity; here no figure, so output): how
        # the fact was inferred goes in `notes`.
        _edge(graph, ("PRODUCES", holder, material, stage, year), sid,
              notes="Wikidata P1056 (product or material produced); stage inferred from the "
                    f"{inferred_from}; year = retrieval year")


def _edge(graph: _Graph, key: tuple[Any, ...], sid: str, **props: Any) -> None:
    current = graph.edges.setdefault(key, {"sources": set()})
    current["sources"].add(sid)
    for name, value in props.items():
        if value is None:
            continue
        if name == "basis" and current.get("basis") and value not in current["basis"]:
            current["basis"] = f"{current['basis']}; {value}"
        elif name == "share" and current.get("share") is not None:
            current["share"] = max(current["share"], value)
        else:
            current.setdefault(name, value)


def _country(row: dict[str, Any], var: str, file: str) -> str | None:
    code = _value(row, var)
    if code is None:
        return None
    code = code.upper()
    if not is_iso3(code):
        log.warning("%s: %s %r is not an ISO 3166-1 alpha-3 code; ignored", file, var, code)
        return None
    return code


def _share(row: dict[str, Any], file: str, line: int) -> float | None:
    raw = _value(row, "share")
    if raw is None:
        return None
    try:
        share = float(raw)
    except ValueError:
        raise DataError(f"not a number: {raw!r}", file=file, line=line, field="share") from None
    if 1.0 < share <= 100.0:
        share /= 100.0   # a percentage entered where Wikidata expects a proportion
    if not 0.0 <= share <= 1.0:
        raise DataError(f"proportion {raw!r} is outside 0-1", file=file, line=line, field="share")
    return share


@functools.lru_cache(maxsize=1)
def _materials() -> tuple[dict[str, str], dict[str, str], dict[str, dict[str, str]]]:
    by_symbol: dict[str, str] = {}
    by_label: dict[str, str] = {}
    nodes: dict[str, dict[str, str]] = {}
    for line, row in read_crosswalk("wikidata_materials.csv"):
        mid = row["material_id"]
        if not mid.startswith("material:"):
            raise DataError("bad material id", file=crosswalk_file("wikidata_materials.csv"),
                            line=line, field="material_id")
        if row["symbol"]:
            by_symbol[row["symbol"]] = mid
        if row["label"]:
            by_label[row["label"].casefold()] = mid
        node = nodes.setdefault(mid, {"name": row["name"], "kind": row["kind"]})
        if row["symbol"]:
            node["symbol"] = row["symbol"]
    return by_symbol, by_label, nodes


def _material(row: dict[str, Any]) -> str | None:
    by_symbol, by_label, _ = _materials()
    symbol = _value(row, "productSymbol")
    if symbol and symbol in by_symbol:
        return by_symbol[symbol]
    label = _value(row, "productLabel")
    return by_label.get(label.casefold()) if label else None


def _stages(*labels: str | None) -> list[str]:
    text = " ".join(label.casefold() for label in labels if label)
    found = [stage for stage, pattern in _STAGE_WORDS if pattern.search(text)]
    if not found and _MANUFACTURING.search(text):
        found = ["manufacturing"]
    return found


def _firm_row(graph: _Graph, row: dict[str, Any], sid: str, year: int, file: str,
              line: int) -> None:
    qid = _qid(row, "firm", file, line)
    if qid is None:
        raise DataError("a firm row without ?firm", file=file, line=line, field="firm")
    _add_firm(graph, qid, _label(row, "firm", qid), sid)
    hq = _country(row, "hqCountryIso3", file)
    country = _country(row, "countryIso3", file)
    if hq or country:
        _edge(graph, ("HEADQUARTERED_IN", qid, hq or country), sid,
              notes=None if hq else "country (P17); Wikidata gives no headquarters location")
    material = _material(row)
    if material is None:
        return
    _produces(graph, ("firm", qid), material, _stages(_value(row, "industryLabel"), _value(row, "typeLabel")),
              year, sid, "firm's industry (P452) and type (P31)")


def _identifier_row(graph: _Graph, row: dict[str, Any], sid: str, year: int, file: str,
                    line: int) -> None:
    qid = _qid(row, "firm", file, line)
    if qid is None:
        raise DataError("an identifiers row without ?firm", file=file, line=line, field="firm")
    _add_firm(graph, qid, _label(row, "firm", qid), sid)


def _ownership_row(graph: _Graph, row: dict[str, Any], sid: str, year: int, file: str,
                   line: int) -> None:
    if _value(row, "end") is not None:
        return   # an ownership that has ended (P582 end time)
    firm = _qid(row, "firm", file, line)
    other = _qid(row, "other", file, line)
    relation = _value(row, "relation")
    if firm is None or other is None:
        return
    if relation not in _RELATIONS:
        raise DataError(f"unknown relation {relation!r}; expected P127, P749 or P355",
                        file=file, line=line, field="relation")
    _add_firm(graph, firm, _label(row, "firm", firm), sid)
    if _value(row, "otherHuman") in ("true", "1"):
        return   # a person: not a Firm
    share = _share(row, file, line)
    state = _country(row, "otherIso3", file)
    if state is not None:
        if relation in ("P127", "P749"):
            _edge(graph, ("STATE_OWNED_BY", firm, state), sid, share=share,
                  basis=_RELATIONS[relation])
        return
    _add_firm(graph, other, _label(row, "other", other), sid)
    home = _country(row, "otherCountryIso3", file)
    if home:
        _edge(graph, ("HEADQUARTERED_IN", other, home), sid,
              notes="country (P17) of an owner, parent or subsidiary")
    owner, owned = (firm, other) if relation == "P355" else (other, firm)
    if owner == owned:
        return
    _edge(graph, ("OWNS", owner, ("firm", owned)), sid, share=share, basis=_RELATIONS[relation])


def _facility_row(graph: _Graph, row: dict[str, Any], sid: str, year: int, file: str,
                  line: int) -> None:
    qid = _qid(row, "facility", file, line)
    if qid is None:
        raise DataError("a facility row without ?facility", file=file, line=line, field="facility")
    fac = graph.facilities.setdefault(qid, {"name": _label(row, "facility", qid), "types": set(),
                                            "sources": set()})
    fac["sources"].add(sid)
    if fac["name"] == qid and _value(row, "facilityLabel"):
        fac["name"] = _label(row, "facility", qid)
    kind = _value(row, "typeLabel")
    if kind and not re.fullmatch(r"Q\d+", kind):
        fac["types"].add(kind)
    coord = _value(row, "coord")
    if coord is not None and "lat" not in fac:
        match = _POINT.match(coord)
        lon, lat = (float(match.group(1)), float(match.group(2))) if match else (999.0, 999.0)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise DataError(f"not a WKT Point(longitude latitude) on Earth: {coord!r}",
                            file=file, line=line, field="coord")
        fac["lat"], fac["lon"] = lat, lon
    country = _country(row, "countryIso3", file)
    if country:
        _edge(graph, ("LOCATED_IN", qid, country), sid)
    operator = _qid(row, "operator", file, line)
    if operator is not None:
        _add_firm(graph, operator, _label(row, "operator", operator), sid)
        _edge(graph, ("OPERATES", operator, qid), sid)
    owner = _qid(row, "owner", file, line)
    if owner is not None and _country(row, "ownerIso3", file) is None:
        _add_firm(graph, owner, _label(row, "owner", owner), sid)
        _edge(graph, ("OWNS", owner, ("facility", qid)), sid, share=_share(row, file, line),
              basis=_RELATIONS["P127"])
    material = _material(row)
    if material is not None:
        _produces(graph, ("facility", qid), material, _stages(kind, _value(row, "facilityLabel")),
                  year, sid, "facility's type (P31)")


def _records(graph: _Graph) -> Iterator[Record]:
    _, _, material_nodes = _materials()
    for mid, cited in sorted(graph.materials.items()):
        yield parse_record({"type": "Material", "id": mid, **material_nodes[mid],
                            "source_ids": sorted(cited)})
    seen: dict[str, str] = {}
    for qid, firm in sorted(graph.firms.items()):
        fid = _firm_id(graph, qid)
        if fid in seen:   # two items, one curated firm (by QID and by LEI): the first one stands
            log.warning("wikidata: %s and %s are both the curated firm %s; %s ignored",
                        seen[fid], qid, fid, qid)
            continue
        seen[fid] = qid
        leis = sorted(graph.leis.get(qid, ()))
        data = {"type": "Firm", "id": fid, "name": firm["name"],
                "wikidata": qid, "source_ids": sorted(firm["sources"])}
        if leis:
            data["lei"] = leis[0]
            if len(leis) > 1:
                data["notes"] = f"Wikidata lists several LEIs: {', '.join(leis)}"
        curated = _curated(graph, qid)
        if curated:   # the curated firm's node: its name, identifiers and notes stay
            data["name"] = curated.name
            data["lei"] = curated.lei or data.get("lei")
            data["wikidata"] = curated.wikidata or qid
            notes = [n for n in (curated.notes, data.get("notes")) if n]
            data.pop("notes", None)
            if notes:
                data["notes"] = "; ".join(notes)
            data = {k: v for k, v in data.items() if v is not None}
        yield parse_record(data)
    for qid, fac in sorted(graph.facilities.items()):
        data = {"type": "Facility", "id": f"facility:{qid.lower()}", "name": fac["name"],
                "wikidata": qid, "source_ids": sorted(fac["sources"])}
        if fac["types"]:
            data["facility_type"] = "; ".join(sorted(fac["types"]))
        if "lat" in fac:
            data["latitude"], data["longitude"] = fac["lat"], fac["lon"]
        yield parse_record(data)
    for key, props in sorted(graph.edges.items(), key=lambda kv: repr(kv[0])):
        yield parse_record(_edge_record(graph, key, props))


def _edge_record(graph: _Graph, key: tuple[Any, ...], props: dict[str, Any]) -> dict[str, Any]:
    kind = key[0]
    data: dict[str, Any] = {"type": kind, "source_ids": sorted(props["sources"])}
    data.update({k: v for k, v in props.items() if k != "sources"})
    if kind == "HEADQUARTERED_IN" or kind == "STATE_OWNED_BY":
        data["from"], data["to"] = _firm_id(graph, key[1]), f"country:{key[2]}"
    elif kind == "OWNS":
        label, owned = key[2]
        data["from"] = _firm_id(graph, key[1])
        data["to"] = _firm_id(graph, owned) if label == "firm" else f"facility:{owned.lower()}"
    elif kind == "OPERATES":
        data["from"], data["to"] = _firm_id(graph, key[1]), f"facility:{key[2].lower()}"
    elif kind == "LOCATED_IN":
        data["from"], data["to"] = f"facility:{key[1].lower()}", f"country:{key[2]}"
    elif kind == "PRODUCES":
        label, qid = key[1]
        data["from"] = _firm_id(graph, qid) if label == "firm" else f"facility:{qid.lower()}"
        data["to"], data["stage"], data["year"] = key[2], key[3], key[4]
    return data


def _source(res: _Result, sources: dict[str, dict[str, Any]]) -> str:
    sid = f"source:wikidata-{res.kind}"
    retrieved = latest(sources, sid, "retrieved", res.item.retrieved)
    sources[sid] = {
        "type": "Source", "id": sid, "name": f"Wikidata query: {res.kind}",
        "title": f"Wikidata Query Service, stored query '{res.kind}' "
                 f"(loaders/_queries/wikidata_{res.kind}.rq)",
        "publisher": SPEC.publisher, "url": "https://query.wikidata.org/",
        "license": SPEC.license, "retrieved": retrieved, "release": retrieved,
        "year": int(retrieved[:4]),
    }
    return sid
