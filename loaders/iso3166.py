"""ISO 3166-1 countries: one `Country` node per code, the node every other loader points at.

Codes (alpha-2, alpha-3, numeric) come from ISO 3166-1 as packaged by pycountry (Debian iso-codes;
https://www.iso.org/iso-3166-country-codes.html), so no hand-typed list exists. Optionally the
datasets/country-codes CSV (https://github.com/datasets/country-codes, ODC-PDDL-1.0) adds Wikidata
QIDs and short display names (CLDR). Kosovo (XKX, a user-assigned code outside ISO 3166-1) is added
because the USGS crosswalk lists it. The M49 code equals the ISO numeric code for every country, so
it is the `numeric` property.

Quirks of country-codes.csv: numeric codes lose their leading zeros (`4` for `004`); `wikidata_id`
is a URL; Namibia's alpha-2 is the string `NA` (read every code as a string, never as a missing value).
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pycountry

from kg.errors import DataError
from kg.models import Record, parse_record
from kg.sources import SourceSpec, download, sha256_file, write_manifest

from ._common import CROSSWALKS, Member, clean, iter_members, read_crosswalk

COUNTRY_CODES_URL = "https://raw.githubusercontent.com/datasets/country-codes/main/data/country-codes.csv"
PROJECT_URL = "https://github.com/chokepoint-kg/chokepoint"
# CLDR's short display names are good except where they are abbreviations or need a
# qualifier analysts do not use; these read better in tables and reports.
DISPLAY_NAMES = {"USA": "United States", "GBR": "United Kingdom", "COD": "DR Congo",
                 "COG": "Republic of the Congo", "MMR": "Myanmar"}

# Codes outside ISO 3166-1 that public sources use: alpha-3 -> (alpha-2, name).
EXTRA = {"XKX": ("XK", "Kosovo")}

SPEC = SourceSpec(
    name="iso3166",
    title="ISO 3166-1 country codes (pycountry), with Wikidata ids from datasets/country-codes",
    publisher="ISO 3166 Maintenance Agency (via Debian iso-codes and pycountry); datasets/country-codes",
    urls=(COUNTRY_CODES_URL,),
    license="ISO 3166 codes: free to use; datasets/country-codes: ODC-PDDL-1.0",
    cadence="as amended (a few changes a year)",
    homepage="https://www.iso.org/iso-3166-country-codes.html",
)

ISO_SOURCE = "source:iso-3166"
CODES_SOURCE = "source:datasets-country-codes"
CROSSWALK_SOURCE = "source:usgs-country-crosswalk"


def fetch(dest: Path, *, base_url: str | None = None, timeout: float = 60.0, retries: int = 3,
          backoff: float = 1.0) -> list[Path]:
    url = COUNTRY_CODES_URL if base_url is None else f"{base_url.rstrip('/')}/country-codes.csv"
    got = download(url, dest / "country-codes.csv", timeout=timeout, retries=retries, backoff=backoff)
    write_manifest(dest, SPEC.name, [got])
    return [got.path]


def parse(paths: Iterable[Path]) -> Iterator[Record]:
    """Every ISO 3166-1 country; `paths` may hold a country-codes.csv to add Wikidata ids."""
    extra: dict[str, dict[str, str]] = {}
    members = list(iter_members(paths))
    for member in members:
        extra.update(_country_codes(member))
    crosswalk = _crosswalk_codes()
    yield parse_record(_iso_source(), file="pycountry")
    if members:
        yield parse_record(_codes_source(members), file=members[0].name)
    yield parse_record(_crosswalk_source(), file=str(CROSSWALKS / "usgs_countries.csv"))
    countries: list[tuple[str, str, str, str | None]] = [
        (c.alpha_3, c.alpha_2, getattr(c, "common_name", None) or c.name, c.numeric) for c in pycountry.countries]
    countries += [(a3, a2, name, None) for a3, (a2, name) in EXTRA.items()
                  if a3 in crosswalk or a3 in extra]
    for alpha3, alpha2, name, numeric in sorted(countries):
        row = extra.get(alpha3, {})
        sources = [ISO_SOURCE]
        if row:
            sources.append(CODES_SOURCE)
        if alpha3 in crosswalk:
            sources.append(CROSSWALK_SOURCE)
        display = DISPLAY_NAMES.get(alpha3) or row.get("name") or name
        record = {"type": "Country", "id": f"country:{alpha3}", "name": display,
                  "iso3": alpha3, "iso2": alpha2, "numeric": numeric,
                  "wikidata": row.get("wikidata"), "source_ids": sources}
        yield parse_record({k: v for k, v in record.items() if v}, file=row.get("file"),
                           line=row.get("line"))  # type: ignore[arg-type]


def _country_codes(member: Member) -> dict[str, dict[str, Any]]:
    rows = member.rows()
    _, header = next(rows, (1, []))
    cols = {clean(h): i for i, h in enumerate(header)}
    for need in ("ISO3166-1-Alpha-3", "ISO3166-1-Alpha-2", "ISO3166-1-numeric"):
        if need not in cols:
            raise DataError(f"missing column {need}: not a datasets/country-codes file",
                            file=member.name, line=1, field=need)
    out: dict[str, dict[str, Any]] = {}
    for line, row in rows:
        def get(col: str, row: list[str] = row) -> str:
            i = cols.get(col)
            return clean(row[i]) if i is not None and i < len(row) else ""
        alpha3 = get("ISO3166-1-Alpha-3")
        if not alpha3:
            continue   # regions without a code
        known = pycountry.countries.get(alpha_3=alpha3)
        if known is None and alpha3 not in EXTRA:
            continue   # not an ISO 3166-1 country: nothing to attach it to
        numeric = get("ISO3166-1-numeric")
        if known is not None and numeric and numeric.zfill(3) != known.numeric:
            raise DataError(f"numeric code {numeric} disagrees with ISO 3166-1 ({known.numeric})",
                            file=member.name, line=line, field="ISO3166-1-numeric")
        qid = re.search(r"(Q\d+)$", get("wikidata_id"))
        out[alpha3] = {"wikidata": qid.group(1) if qid else None, "name": get("CLDR display name"),
                       "file": member.name, "line": line}
    return out


def _crosswalk_codes() -> set[str]:
    return {r["iso3"] for _, r in read_crosswalk("usgs_countries.csv") if r["iso3"]}


def _pycountry_date() -> tuple[str, str]:
    """pycountry's calendar version (YY.M.D) is the date of its ISO data: the date we cite."""
    version = importlib.metadata.version("pycountry")
    m = re.match(r"(\d{2})\.(\d{1,2})\.(\d{1,2})", version)
    if m:
        return version, _dt.date(2000 + int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    return version, _dt.date.today().isoformat()


def _iso_source() -> dict[str, Any]:
    version, date = _pycountry_date()
    return {"type": "Source", "id": ISO_SOURCE, "name": "ISO 3166-1 country codes",
            "title": f"ISO 3166-1 country codes (alpha-2, alpha-3, numeric) as packaged by pycountry {version}",
            "publisher": "International Organization for Standardization (ISO 3166 Maintenance Agency)",
            "url": "https://www.iso.org/iso-3166-country-codes.html",
            "license": "ISO 3166 codes are free to use; pycountry and iso-codes data LGPL-2.1",
            "release": f"pycountry {version}", "retrieved": date}


def _codes_source(members: list[Member]) -> dict[str, Any]:
    return {"type": "Source", "id": CODES_SOURCE, "name": "datasets/country-codes",
            "title": "Country codes: ISO 3166, M49, Wikidata ids and CLDR names (datasets/country-codes)",
            "publisher": "Frictionless Data core datasets (datasets/country-codes)",
            "url": "https://github.com/datasets/country-codes", "license": "ODC-PDDL-1.0",
            "retrieved": max(m.retrieved for m in members),
            "sha256": members[0].sha256 if len(members) == 1 else None}


def _crosswalk_source() -> dict[str, Any]:
    path = CROSSWALKS / "usgs_countries.csv"
    as_of = re.search(r"^# as of: (\d{4}-\d{2}-\d{2})", path.read_text(encoding="utf-8"), re.M)
    if not as_of:
        raise DataError("the crosswalk header lacks its '# as of: YYYY-MM-DD' line", file=str(path))
    return {"type": "Source", "id": CROSSWALK_SOURCE, "name": "USGS country names to ISO 3166-1",
            "title": "Chokepoint crosswalk: USGS Mineral Commodity Summaries country names to "
                     "ISO 3166-1 alpha-3 (loaders/_crosswalks/usgs_countries.csv)",
            "publisher": "Chokepoint contributors",
            "url": f"{PROJECT_URL}/blob/main/loaders/_crosswalks/usgs_countries.csv",
            "license": "Apache-2.0", "retrieved": as_of.group(1), "sha256": sha256_file(path)}
