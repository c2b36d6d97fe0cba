"""GLEIF name resolution: the LEI of a curated firm that carries none, found by its legal name.

Used by `loaders.gleif.fetch` (online only). For each curated firm without an `lei`, the GLEIF API's
full-text search (`GET /lei-records?filter[fulltext]=<name>`) lists candidate entities; a candidate is
accepted only when the match is unambiguous (docs/loaders.md, "gleif"):

1. **name**: the firm-name key (`loaders._firms.key`: case, accents and punctuation folded, legal
   forms and generic words such as Inc., Ltd, plc, AG, S.A., Co., Group dropped) of the curated name
   without its parenthetical parts equals the key of the entity's legal name, of a legal name in
   another language (`otherNames` of type ALTERNATIVE_LANGUAGE_LEGAL_NAME) or of a transliterated
   legal name (`transliteratedOtherNames`);
2. **country**: the entity's headquarters or legal-address country is a head-office country of the
   curated firm (`HEADQUARTERED_IN`);
3. **status**: registration ISSUED and entity ACTIVE;
4. **one**: exactly one LEI passes 1-3.

Otherwise the firm is left without an LEI and listed in `name-matches.csv` with the reason
(`none`, `country`, `inactive`, `ambiguous`, `truncated`, `no-country`: the curated firm
has no head office to check, so it is not searched), beside the resolved ones; the maintainer
reads that file, and a warning gives the counts.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.sources import FetchedFile, sha256_file

from . import _http
from ._codes import iso2_to_iso3
from ._firms import base_and_short, key
from ._inputs import load_json
from .firm_identifiers import CuratedFirm

log = logging.getLogger(__name__)

REPORT = "name-matches.csv"
COLUMNS = ("firm_id", "name", "countries", "status", "lei", "gleif_name", "candidates", "query",
           "retrieved")
PAGE_SIZE = 200          # the API's largest page
MAX_PAGES = 5            # beyond 1 000 hits the name is too common to tell: reported, not guessed
_NAME_TYPES = {"ALTERNATIVE_LANGUAGE_LEGAL_NAME"}


@dataclass(frozen=True)
class Outcome:
    firm: CuratedFirm
    status: str            # resolved, none, country, inactive, ambiguous, truncated, no-country
    lei: str = ""
    gleif_name: str = ""
    candidates: tuple[str, ...] = ()
    query: str = ""
    retrieved: str = ""

    def row(self) -> dict[str, str]:
        return {"firm_id": self.firm.id, "name": self.firm.name,
                "countries": ";".join(self.firm.countries), "status": self.status, "lei": self.lei,
                "gleif_name": self.gleif_name, "candidates": ";".join(self.candidates),
                "query": self.query, "retrieved": self.retrieved}


def legal_names(attrs: dict[str, Any]) -> list[str]:
    """An entity's legal name and its legal names in other languages and scripts."""
    entity = attrs.get("entity") or {}
    names = []
    legal = entity.get("legalName")
    names.append(legal.get("name") if isinstance(legal, dict) else legal)
    for other in entity.get("otherNames") or []:
        if isinstance(other, dict) and other.get("type") in _NAME_TYPES:
            names.append(other.get("name"))
    for other in entity.get("transliteratedOtherNames") or []:
        if isinstance(other, dict):
            names.append(other.get("name"))
    return [n for n in names if isinstance(n, str) and n.strip()]


def match(firm: CuratedFirm, items: list[dict[str, Any]]) -> Outcome:
    """Apply the rule (module docstring) to the `lei-records` items of a search."""
    wanted = key(base_and_short(firm.name)[0])
    named: dict[str, str] = {}
    placed: dict[str, str] = {}
    active: dict[str, str] = {}
    for item in items:
        attrs = item.get("attributes") or {}
        lei = str(attrs.get("lei") or item.get("id") or "").upper()
        names = legal_names(attrs)
        if not lei or not wanted or not any(key(n) == wanted for n in names):
            continue
        named[lei] = names[0]
        entity = attrs.get("entity") or {}
        countries = {iso2_to_iso3(str((entity.get(k) or {}).get("country") or ""))
                     for k in ("headquartersAddress", "legalAddress")}
        if not countries & set(firm.countries):
            continue
        placed[lei] = names[0]
        if (str((attrs.get("registration") or {}).get("status") or "").upper() == "ISSUED"
                and str(entity.get("status") or "").upper() == "ACTIVE"):
            active[lei] = names[0]
    if len(active) == 1:
        lei = next(iter(active))
        return Outcome(firm, "resolved", lei, active[lei], (lei,))
    for status, found in (("ambiguous", active), ("inactive", placed), ("country", named)):
        if found:
            return Outcome(firm, status, candidates=tuple(sorted(found)))
    return Outcome(firm, "none")


def resolve(firms: list[CuratedFirm], base: str, dest: Path, opts: dict[str, Any]) -> list[Outcome]:
    """Search GLEIF for each firm's legal name; write `dest/name-matches.csv`; the outcomes."""
    outcomes = []
    today = dt.date.today().isoformat()
    scratch = dest / ".name-search.json"
    for firm in firms:
        if not firm.countries:      # nothing to check a candidate's country against: not searched
            outcomes.append(Outcome(firm, "no-country"))
            continue
        name = base_and_short(firm.name)[0]
        params: dict[str, str | int] = {"filter[fulltext]": name, "page[size]": PAGE_SIZE}
        query = _http.build_url(f"{base}/lei-records", params)
        items: list[dict[str, Any]] = []
        truncated = False
        for page in range(1, MAX_PAGES + 1):
            got = _http.get(f"{base}/lei-records", scratch, params={**params, "page[number]": page},
                            allow_empty=True, **opts)
            if got is None:
                break
            text = got.path.read_text(encoding="utf-8")
            scratch.unlink()
            doc = load_json(text, f"{got.url} (GLEIF name search)")
            if not isinstance(doc, dict) or not isinstance(doc.get("data", []), list):
                raise DataError("not a GLEIF JSON:API list (no 'data' list)", file=got.url, line=1)
            items.extend(i for i in doc.get("data") or [] if isinstance(i, dict))
            last = ((doc.get("meta") or {}).get("pagination") or {}).get("lastPage")
            if not isinstance(last, int) or page >= last:
                break
            truncated = page == MAX_PAGES
        outcome = Outcome(firm, "truncated") if truncated else match(firm, items)
        outcomes.append(replace(outcome, query=query, retrieved=today))
    write_report(dest / REPORT, outcomes)
    unresolved = [o for o in outcomes if o.status != "resolved"]
    if unresolved:
        counts = {s: sum(1 for o in unresolved if o.status == s) for s in sorted({o.status for o in unresolved})}
        log.warning("gleif: %d of %d curated firms without an LEI left unresolved (%s); see %s",
                    len(unresolved), len(outcomes), ", ".join(f"{k} {v}" for k, v in counts.items()),
                    dest / REPORT)
    return outcomes


def write_report(path: Path, outcomes: list[Outcome]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for outcome in sorted(outcomes, key=lambda o: (o.status != "resolved", o.firm.id)):
            writer.writerow(outcome.row())


def manifest_entry(path: Path, url: str) -> FetchedFile:
    """The report as a manifest entry, so `kg build` passes it to `parse` with the downloads."""
    return FetchedFile(url=url, path=path, sha256=sha256_file(path), size=path.stat().st_size,
                       retrieved=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                       extra={"note": "curated firms matched to LEIs by legal name (loaders/gleif_names.py)"})


def read_report(text: str) -> dict[str, str]:
    """Resolved rows of a `name-matches.csv`: LEI -> curated firm id."""
    return {row["lei"]: row["firm_id"] for row in csv.DictReader(text.splitlines())
            if row.get("status") == "resolved" and row.get("lei") and row.get("firm_id")}

