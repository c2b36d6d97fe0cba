"""CEPII BACI: reconciled bilateral trade flows at the HS 6-digit level, streamed.

Source: CEPII, "BACI: International Trade Database at the Product-Level" (Gaulier & Zignago 2010,
CEPII Working Paper 2010-23), https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37 ;
files at https://www.cepii.fr/DATA_DOWNLOAD/baci/data/BACI_HS22_V202501.zip (one zip per HS revision:
`BACI_HS22_Y{year}_V{release}.csv` per year, `country_codes_V{release}.csv`,
`product_codes_HS22_V{release}.csv`). Licence: Etalab Open Licence 2.0 (attribution). Updated every
January; the last year is provisional and releases must not be mixed.

Mapped: each row `t,i,j,k,v,q` whose product `k` matches the HS filter becomes one `EXPORTS_TO`
exporter `i` → importer `j` with `hs_code` k, `year` t, `value_usd` = v × 1000 (v is in thousands of
current USD), `quantity` = q in metric tons (unit "t"; absent when q is empty or NA) and
`flow_basis` "mirror": BACI reconciles the importer's and the exporter's declarations of the same flow,
so it is neither side's report alone.

Streaming: the trade file of one year has ~10 M rows (hundreds of MB); it is read with the `csv`
module straight out of the zip member, row by row, and filtered on the product prefix before any
other field is parsed; nothing but the current row is held. Product codes are read as strings; a
5-digit code (a leading zero dropped by a numeric writer) is padded back to 6 digits.

Every importer's total of each kept code and year (the sum over all its partners, BACI being
complete for a code) becomes an `IMPORTS` importer -> `hs:<code>` with `flow_basis` "mirror": the
denominator of partner shares (docs/queries.md, china-exposure).

The 31-code extract (`baci_hs17_v202601_subset_<year>.csv`: a third party's cut of BACI HS17
release 202601 with every exporter -> importer flow of 31 codes) is read beside the native files:
header `i,j,cmd,value`, exporter and importer as ISO alpha-3, `value` in USD (not thousands), no
quantity, the year only in the file name. Its codes are HS 2017 and are kept as such
(`hs_version` "HS2017" on flows and totals); every one of them has the same number in HS 2022,
and `loaders/_crosswalks/hs2017_hs2022.csv` names those whose scope changed (811292 lost hafnium
and rhenium to new HS 2022 subheadings), which the flows' `notes` repeat.

Quirks handled (docs/loaders.md, "baci"): exporter/importer codes are Comtrade codes (842 USA, 251 France,
699 India, 490 "Other Asia, nes" = Taiwan) mapped through `loaders/_crosswalks/comtrade_areas.csv`,
with the release's own `country_codes` file as a fallback for codes the crosswalk does not list;
aggregates (697 "Europe EFTA, nes", 711 SACU, …) are skipped; fields may carry padding spaces;
the country file's names are mojibake in some copies and are never used.
"""

from __future__ import annotations

import csv
import functools
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.models import Record, parse_record
from kg.sources import SourceSpec, download, write_manifest

from ._codes import (
    UnknownCode,
    comtrade_country,
    default_hs_codes,
    is_iso3,
    normalise_hs,
)
from ._common import crosswalk_file, latest, read_crosswalk
from ._inputs import Input, iter_inputs

log = logging.getLogger(__name__)

BASE_URL = "https://www.cepii.fr/DATA_DOWNLOAD/baci/data"
RELEASE = "202501"
SPEC = SourceSpec(
    name="baci",
    title="BACI: International Trade Database at the Product-Level (HS 2022)",
    publisher="CEPII",
    urls=(f"{BASE_URL}/BACI_HS22_V{RELEASE}.zip",),
    license="Etalab Open Licence 2.0 (attribution)",
    cadence="annual (January)",
    homepage="https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
)

TRADE_FILE = re.compile(r"BACI_(HS\d\d)_Y(\d{4})_V(\d{6})\.csv", re.IGNORECASE)
EXTRACT_FILE = re.compile(r"baci_(hs\d\d)_v(\d{6})_subset_(\d{4})\.csv", re.IGNORECASE)
EXTRACT_HEADER = ["i", "j", "cmd", "value"]
COUNTRY_FILE = re.compile(r"country_codes_V(\d{6})\.csv", re.IGNORECASE)
HEADER = ["t", "i", "j", "k", "v", "q"]


def fetch(dest: Path, *, base_url: str | None = None, release: str = RELEASE,
          revision: str = "HS22", timeout: float = 120.0, retries: int = 4,
          backoff: float = 5.0) -> list[Path]:
    """Download the release zip (all years of one HS revision) into `dest`."""
    name = f"BACI_{revision}_V{release}.zip"
    url = f"{(base_url or BASE_URL).rstrip('/')}/{name}"
    got = download(url, dest / name, timeout=timeout, retries=retries, backoff=backoff)
    got.extra.update({"release": f"V{release}", "revision": revision})
    write_manifest(dest, SPEC.name, [got])
    return [got.path]


def parse(paths: Iterable[Path], *, hs_codes: Iterable[str] | str | None = None,
          years: Iterable[int] | None = None, trim: Trim | None = None) -> Iterator[Record]:
    """Stream BACI trade files (zip, directory or CSV) -> EXPORTS_TO and IMPORTS for the codes kept.

    `hs_codes` are prefixes (`2846` keeps 284610 and 284690); by default the tracked codes of
    `loaders/_crosswalks/hs_materials.csv` (the extract keeps all its codes). `years` keeps only
    those years. `trim` (extract only) leaves out small partner flows; totals stay complete.
    """
    prefixes = normalise_hs(hs_codes) if hs_codes is not None else default_hs_codes()
    if not prefixes:
        raise ValueError("BACI needs at least one HS code or prefix to keep")
    wanted_years = {str(y) for y in years} if years is not None else None
    inputs = list(iter_inputs(paths, lambda n: bool(TRADE_FILE.fullmatch(n)
                                                    or EXTRACT_FILE.fullmatch(n)
                                                    or COUNTRY_FILE.fullmatch(n))))
    fallback: dict[str, str | None] = {}
    for item in inputs:
        if COUNTRY_FILE.fullmatch(item.filename):
            fallback.update(_release_countries(item))
    sources: dict[str, dict[str, Any]] = {}
    for item in inputs:
        if COUNTRY_FILE.fullmatch(item.filename):
            continue
        totals: dict[tuple[str, str, str], float] = {}
        version: str | None
        if EXTRACT_FILE.fullmatch(item.filename):
            sid = extract_source(item, sources)
            # The extract is a chosen cut already: every code is kept unless codes are asked for.
            keep = prefixes if hs_codes is not None else ("",)
            flows: Iterable[Record] = _stream_extract(item, keep, wanted_years, sid, totals)
            if trim is not None:
                flows = trim.apply(list(flows), totals)
            yield from flows
            version = hs_version(EXTRACT_FILE.fullmatch(item.filename).group(1))  # type: ignore[union-attr]
        else:
            sid = _source(item, sources)
            yield from _stream(item, prefixes, wanted_years, fallback, sid, totals)
            match = TRADE_FILE.fullmatch(item.filename)
            version = hs_version(match.group(1)) if match else None
        yield from import_totals(totals, sid, version, item.name)
    for src in sources.values():
        yield parse_record(src)


@dataclass(frozen=True)
class Trim:
    """Which partner flows of the extract to keep when the whole matrix is too much to bundle.

    A flow is kept when its exporter is in `always` or it is at least `min_share` of the
    importer's total of that code and year and at least `min_value` USD. The import totals are
    summed before trimming, so they stay complete: a trimmed flow shows as unexplained, never as
    a smaller denominator.
    """

    min_share: float = 0.005
    min_value: float = 100_000.0
    always: tuple[str, ...] = ("CHN",)

    def apply(self, flows: list[Record], totals: dict[tuple[str, str, str], float]) -> list[Record]:
        kept = []
        for rec in flows:
            flow: Any = rec
            total = totals.get((flow.to_id[8:], flow.hs_code, str(flow.year)), 0.0)
            if (flow.from_id[8:] in self.always
                    or (flow.value_usd >= self.min_value and flow.value_usd >= self.min_share * total)):
                kept.append(rec)
        return kept


SNAPSHOT_TRIM = Trim()
"""What the bundled part keeps (docs/loaders.md): China's flows, and flows of at least 0.5 % of the
importer's total and at least US$100,000 (98.9 % of the extract's value in 14.8k of 44.9k flows)."""


def snapshot_parse(paths: Iterable[Path]) -> Iterator[Record]:
    """`parse` as the bundled snapshot uses it: the extract with `SNAPSHOT_TRIM`."""
    return parse(paths, trim=SNAPSHOT_TRIM)


def hs_version(revision: str) -> str:
    """BACI's revision tag -> the HS edition: 'HS17' -> 'HS2017', 'HS92' -> 'HS1992'."""
    digits = revision[2:]
    return f"HS{'19' if digits >= '88' else '20'}{digits}"


def import_totals(totals: dict[tuple[str, str, str], float], sid: str, version: str | None,
                  name: str) -> Iterator[Record]:
    """IMPORTS importer -> hs:<code> per (importer, code, year): the sum over every partner."""
    notes = scope_notes()
    for (importer, code, year), value in sorted(totals.items()):
        data: dict[str, Any] = {"type": "IMPORTS", "from": f"country:{importer}",
                                "to": f"hs:{code}", "year": int(year),
                                "value_usd": round(value, 3), "flow_basis": "mirror",
                                "source_ids": [sid]}
        if version:
            data["hs_version"] = version
            if (version, code) in notes:
                data["notes"] = notes[(version, code)]
        yield parse_record(data, file=name)


def _stream_extract(item: Input, prefixes: tuple[str, ...], wanted_years: set[str] | None,
                    sid: str, totals: dict[tuple[str, str, str], float]) -> Iterator[Record]:
    """The extract: `i,j,cmd,value` with ISO3 codes, USD values and the year in the file name."""
    name = item.name
    match = EXTRACT_FILE.fullmatch(item.filename)
    assert match is not None
    version, year = hs_version(match.group(1)), match.group(3)
    if wanted_years is not None and year not in wanted_years:
        return
    with item.open_text() as stream:
        reader = _reader(stream, EXTRACT_HEADER, "a BACI extract", name)
        for row in reader:
            line = reader.line_num
            if not row or not any(c.strip() for c in row):
                continue
            if len(row) != 4:
                raise DataError(f"expected 4 fields, found {len(row)}", file=name, line=line)
            k = row[2].strip()
            if len(k) == 5 and k.isdigit():
                k = "0" + k
            if not k.isdigit() or len(k) != 6:
                raise DataError(f"not an HS 6-digit code: {row[2]!r}", file=name, line=line,
                                field="cmd")
            if not k.startswith(prefixes):
                continue
            exporter, importer = (_iso3(row[0], name, line, "i"), _iso3(row[1], name, line, "j"))
            value = _float(row[3], name, line, "value")
            if exporter == importer or not value:
                continue          # zero or missing: no recorded trade
            slot = (importer, k, year)
            totals[slot] = totals.get(slot, 0.0) + value
            data: dict[str, Any] = {"type": "EXPORTS_TO", "from": f"country:{exporter}",
                                    "to": f"country:{importer}", "hs_code": k, "year": int(year),
                                    "value_usd": round(value, 3), "flow_basis": "mirror",
                                    "hs_version": version, "source_ids": [sid]}
            yield parse_record(data, file=name, line=line)


# BACI's own alpha-3 for Comtrade area 490 "Other Asia, nes" (Taiwan), as in its country file;
# mapped to TWN as loaders/_crosswalks/comtrade_areas.csv documents for code 490.
BACI_ISO3 = {"S19": "TWN"}


def _iso3(code: str, name: str, line: int, field: str) -> str:
    code = code.strip().upper()
    code = BACI_ISO3.get(code, code)
    if not is_iso3(code):
        raise DataError(f"not an ISO 3166-1 alpha-3 code: {code!r}", file=name, line=line,
                        field=field)
    return code


@functools.lru_cache(maxsize=1)
def scope_notes() -> dict[tuple[str, str], str]:
    """(HS version, code) -> how its scope differs in HS 2022 (loaders/_crosswalks/hs2017_hs2022.csv)."""
    out = {}
    for line, row in read_crosswalk("hs2017_hs2022.csv"):
        if not re.fullmatch(r"\d{6}", row["code"]):
            raise DataError(f"bad HS code {row['code']!r}", file=crosswalk_file("hs2017_hs2022.csv"),
                            line=line, field="code")
        out[(row["from_version"], row["code"])] = row["scope_change"]
    return out


def _reader(stream: Any, expected: list[str], kind: str, name: str) -> Any:
    """A CSV reader past the header line, which must be `expected` (any case and spacing)."""
    reader = csv.reader(stream)
    header = [h.strip().lower() for h in next(reader, [])]
    if header != expected:
        raise DataError(f"not {kind}: header {','.join(header)!r}, expected {','.join(expected)}",
                        file=name, line=1)
    return reader


def _stream(item: Input, prefixes: tuple[str, ...], wanted_years: set[str] | None,
            fallback: dict[str, str | None], sid: str,
            totals: dict[tuple[str, str, str], float]) -> Iterator[Record]:
    name = item.name
    with item.open_text() as stream:
        reader = _reader(stream, HEADER, "a BACI trade file", name)
        startswith = str.startswith
        for row in reader:
            if len(row) != 6:
                raise DataError(f"expected 6 fields, found {len(row)}", file=name,
                                line=reader.line_num)
            k = row[3]
            if len(k) != 6:
                k = k.strip()
                if len(k) == 5 and k.isdigit():
                    k = "0" + k
            if not startswith(k, prefixes):
                continue
            t = row[0].strip()
            if wanted_years is not None and t not in wanted_years:
                continue
            record = _record(row, k, t, name, reader.line_num, fallback, sid)
            if record is not None:
                value = getattr(record, "value_usd", None)
                if value:
                    slot = (record.to_id[8:], k, t)   # type: ignore[attr-defined]
                    totals[slot] = totals.get(slot, 0.0) + value
                yield record


def _record(row: list[str], k: str, t: str, name: str, line: int,
            fallback: dict[str, str | None], sid: str) -> Record | None:
    if not k.isdigit() or len(k) != 6:
        raise DataError(f"not an HS 6-digit code: {k!r}", file=name, line=line, field="k")
    if not t.isdigit():
        raise DataError(f"not a year: {t!r}", file=name, line=line, field="t")
    exporter = _country(row[1], name, line, "i", fallback)
    importer = _country(row[2], name, line, "j", fallback)
    if exporter is None or importer is None or exporter == importer:
        return None   # an aggregate area ("Europe EFTA, nes", SACU) is not a country
    value = _float(row[4], name, line, "v")
    quantity = _float(row[5], name, line, "q")
    data: dict[str, Any] = {"type": "EXPORTS_TO", "from": f"country:{exporter}",
                            "to": f"country:{importer}", "hs_code": k, "year": int(t),
                            "flow_basis": "mirror", "source_ids": [sid]}
    if value is not None:
        data["value_usd"] = round(value * 1000.0, 3)
    if quantity is not None:
        data["quantity"], data["unit"] = quantity, "t"
    return parse_record(data, file=name, line=line)


def _country(code: str, name: str, line: int, field: str,
             fallback: dict[str, str | None]) -> str | None:
    code = code.strip()
    try:
        return comtrade_country(code)
    except UnknownCode:
        if code in fallback:
            return fallback[code]
        raise DataError(f"unknown country code {code!r} (not in loaders/_crosswalks/"
                        f"comtrade_areas.csv, ISO 3166-1 or the release's country_codes file)",
                        file=name, line=line, field=field) from None


def _float(text: str, name: str, line: int, field: str) -> float | None:
    text = text.strip()
    if not text or text.upper() == "NA":
        return None
    try:
        return float(text)
    except ValueError:
        raise DataError(f"not a number: {text!r}", file=name, line=line, field=field) from None


def _release_countries(item: Input) -> dict[str, str | None]:
    """code -> ISO3 from the release's own country file (only codes with a real ISO3)."""
    out: dict[str, str | None] = {}
    with item.open_text() as stream:
        for row in csv.DictReader(stream):
            code = (row.get("country_code") or "").strip()
            iso3 = (row.get("country_iso3") or "").strip().upper()
            if code.isdigit():
                out[str(int(code))] = iso3 if is_iso3(iso3) else None
    return out


def extract_source(item: Input, sources: dict[str, dict[str, Any]]) -> str:
    match = EXTRACT_FILE.fullmatch(item.filename)
    assert match is not None
    revision, release = match.group(1).upper(), match.group(2)
    sid = f"source:cepii-baci-{revision.lower()}-v{release}"
    sources[sid] = {
        "type": "Source", "id": sid, "name": f"CEPII BACI {revision} V{release}",
        "title": f"BACI: International Trade Database at the Product-Level, {revision} "
                 f"classification, release {release} (extract of selected HS codes, all partners)",
        "publisher": SPEC.publisher,
        # The release is the origin, whichever copy of the extract was read.
        "url": f"{BASE_URL}/BACI_{revision}_V{release}.zip",
        "license": SPEC.license, "release": f"V{release}",
        "retrieved": latest(sources, sid, "retrieved", item.retrieved),
    }
    return sid


def _source(item: Input, sources: dict[str, dict[str, Any]]) -> str:
    match = TRADE_FILE.fullmatch(item.filename)
    revision, release = (match.group(1).upper(), match.group(3)) if match else ("HS", "")
    sid = f"source:cepii-baci-{revision.lower()}" + (f"-v{release}" if release else "")
    sources[sid] = {
        "type": "Source", "id": sid,
        "name": f"CEPII BACI {revision}" + (f" V{release}" if release else ""),
        "title": f"BACI: International Trade Database at the Product-Level, {revision} "
                 f"classification" + (f", release {release}" if release else ""),
        "publisher": SPEC.publisher,
        "url": item.url or (f"{BASE_URL}/BACI_{revision}_V{release}.zip" if release
                            else SPEC.homepage),
        "license": SPEC.license, "release": f"V{release}" if release else None,
        "retrieved": latest(sources, sid, "retrieved", item.retrieved),
    }
    if sources[sid]["release"] is None:
        del sources[sid]["release"]
    return sid


# -- bundled snapshot recipe -----------------------------------------------------------------------
# The bundled part (loaders/snapshot/baci/) is derived from a public third-party extract of BACI HS17
# release 202601 (31 HS codes, every partner) that a public repository redistributes under Etalab 2.0.
SNAPSHOT_COPY = ("https://github.com/Varcolacus/critical-materials-atlas/blob/"
                 "17b328d2239864e993895582a29fdd3b5ceb479b/reconcile/fixtures/reconcile/baci_{year}.csv")
SNAPSHOT_SUFFIXES = (".csv",)


def snapshot_inputs(members: list[Any]) -> list[tuple[Any, str, dict[str, Any]]]:
    """The snapshot recipe: pick the extract files among `members` (loaders._common.Member), named
    `baci_hs17_v202601_subset_<year>.csv`. Wire as `SNAPSHOT = Recipe(snapshot_inputs)` where the
    snapshot command takes per-loader recipes."""
    out = []
    for member in members:
        match = EXTRACT_FILE.fullmatch(member.filename)
        if match:
            out.append((member, member.filename,
                        {"url": f"{BASE_URL}/BACI_{match.group(1).upper()}_V{match.group(2)}.zip",
                         "copied_from": SNAPSHOT_COPY.format(year=match.group(3)),
                         "note": "a third party's extract of the release: 31 HS codes, all partners"}))
    return out
