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

Quirks handled (docs/loaders.md, "baci"): exporter/importer codes are Comtrade codes (842 USA, 251 France,
699 India, 490 "Other Asia, nes" = Taiwan) mapped through `loaders/_crosswalks/comtrade_areas.csv`,
with the release's own `country_codes` file as a fallback for codes the crosswalk does not list;
aggregates (697 "Europe EFTA, nes", 711 SACU, …) are skipped; fields may carry padding spaces;
the country file's names are mojibake in some copies and are never used.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.models import Record, parse_record
from kg.sources import SourceSpec, download, write_manifest

from ._codes import UnknownCode, comtrade_country, default_hs_codes, is_iso3, normalise_hs
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

TRADE_FILE = re.compile(r"BACI_(HS\d\d)_Y(\d{4})_V(\d{6})\.csv", re.I)
COUNTRY_FILE = re.compile(r"country_codes_V(\d{6})\.csv", re.I)
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
          years: Iterable[int] | None = None) -> Iterator[Record]:
    """Stream BACI trade files (zip, directory or CSV) -> EXPORTS_TO for the HS codes kept.

    `hs_codes` are prefixes (`2846` keeps 284610 and 284690); by default the tracked codes of
    `loaders/_crosswalks/hs_materials.csv`. `years` keeps only those years.
    """
    prefixes = normalise_hs(hs_codes) if hs_codes is not None else default_hs_codes()
    if not prefixes:
        raise ValueError("BACI needs at least one HS code or prefix to keep")
    wanted_years = {str(y) for y in years} if years is not None else None
    inputs = list(iter_inputs(paths, lambda n: bool(TRADE_FILE.fullmatch(n)
                                                    or COUNTRY_FILE.fullmatch(n))))
    fallback: dict[str, str | None] = {}
    for item in inputs:
        if COUNTRY_FILE.fullmatch(item.filename):
            fallback.update(_release_countries(item))
    sources: dict[str, dict[str, Any]] = {}
    for item in inputs:
        if COUNTRY_FILE.fullmatch(item.filename):
            continue
        sid = _source(item, sources)
        yield from _stream(item, prefixes, wanted_years, fallback, sid)
    for src in sources.values():
        yield parse_record(src)


def _stream(item: Input, prefixes: tuple[str, ...], wanted_years: set[str] | None,
            fallback: dict[str, str | None], sid: str) -> Iterator[Record]:
    name = item.name
    with item.open_text() as stream:
        reader = csv.reader(stream)
        header = [h.strip().lower() for h in next(reader, [])]
        if header != HEADER:
            raise DataError(f"not a BACI trade file: header {','.join(header)!r}, expected "
                            f"{','.join(HEADER)}", file=name, line=1)
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


def _source(item: Input, sources: dict[str, dict[str, Any]]) -> str:
    match = TRADE_FILE.fullmatch(item.filename)
    revision, release = (match.group(1).upper(), match.group(3)) if match else ("HS", "")
    sid = f"source:cepii-baci-{revision.lower()}" + (f"-v{release}" if release else "")
    current = sources.get(sid)
    sources[sid] = {
        "type": "Source", "id": sid,
        "name": f"CEPII BACI {revision}" + (f" V{release}" if release else ""),
        "title": f"BACI: International Trade Database at the Product-Level, {revision} "
                 f"classification" + (f", release {release}" if release else ""),
        "publisher": SPEC.publisher,
        "url": item.url or (f"{BASE_URL}/BACI_{revision}_V{release}.zip" if release
                            else SPEC.homepage),
        "license": SPEC.license, "release": f"V{release}" if release else None,
        "retrieved": max(item.retrieved, current["retrieved"] if current else ""),
    }
    if sources[sid]["release"] is None:
        del sources[sid]["release"]
    return sid
