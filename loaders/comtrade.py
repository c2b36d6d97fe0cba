"""UN Comtrade: bilateral merchandise trade by HS code, as reported by each country.

Source: United Nations Statistics Division, UN Comtrade Database, API v1
(`https://comtradeapi.un.org/data/v1/get/{typeCode}/{freqCode}/{clCode}`, key in the
`Ocp-Apim-Subscription-Key` header; keyless preview `…/public/v1/preview/…`, at most 500 records),
https://comtradeplus.un.org. Terms: free for non-commercial use with attribution; raw data may not be
redistributed (https://uncomtrade.org/docs/terms-and-conditions/). This repository therefore holds no
Comtrade data: tests use synthetic records in the documented schema. Continuous updates as reporters
submit; final annual data for year Y fills in during Y+1 and Y+2. API key: `COMTRADE_API_KEY`.

Mapped: a record (reporter × partner × commodity × flow × period) becomes one `EXPORTS_TO`:
- `flowCode` M (imports): partner → reporter, `flow_basis` "imports", `value_usd` = `primaryValue`
  (CIF for most importers; the US reports customs value);
- `flowCode` X (exports): reporter → partner, `flow_basis` "exports", `value_usd` = `primaryValue` (FOB);
- re-exports, re-imports and processing flows (RX, RM, XIP, MIP, …) are skipped: they would count
  the same goods twice;
- `quantity` = `netWgt` (kg) in tonnes, else `qty` when its unit is kg;
- `month` from `refMonth` for monthly (`freqCode` M) data.
Reads the API's JSON (`{"elapsedTime","count","data":[…],"error"}`) and the Comtrade Plus CSV/TSV
export with the same 47 fields (optionally gzipped; UTF-8 or ISO-8859-1).

Quirks handled (docs/loaders.md, "comtrade"):
- reporter/partner codes are Comtrade codes, not ISO numeric (842 USA, 251 France, 699 India,
  757 Switzerland, 579 Norway) and 490 "Other Asia, nes" is Taiwan: mapped through
  `loaders/_crosswalks/comtrade_areas.csv`; World (0) and "nes" areas are skipped;
- `breakdownMode=plus` rows: only `customsCode` C00, `motCode` 0 and `partner2Code` 0 are kept, the
  other rows break the same trade down again;
- `cmdCode` is read as a string (leading zeros kept); `TOTAL` and non-HS codes are skipped;
- the classification (`classificationCode` H0…H6, HS as reported) is recorded in the notes;
- a non-empty `error` with no data is an error, never an empty success.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.models import Record, parse_record
from kg.sources import FetchedFile, FetchError, SourceSpec, write_manifest

from . import _http
from ._codes import UnknownCode, comtrade_country, default_hs_codes, normalise_hs
from ._common import latest
from ._inputs import Input, csv_rows, iter_inputs, json_array_items, load_json, number

log = logging.getLogger(__name__)

BASE_URL = "https://comtradeapi.un.org"
SPEC = SourceSpec(
    name="comtrade",
    title="UN Comtrade Database: merchandise trade by HS commodity and partner",
    publisher="United Nations Statistics Division",
    urls=(f"{BASE_URL}/data/v1/get/C/A/HS", f"{BASE_URL}/public/v1/preview/C/A/HS"),
    license="UN Comtrade terms: non-commercial use with attribution; no redistribution of raw data",
    cadence="continuous (final annual data fills in over two years)",
    homepage="https://comtradeplus.un.org",
    env_key="COMTRADE_API_KEY",
)
KEY_HEADER = "Ocp-Apim-Subscription-Key"
PREVIEW_LIMIT = 500

_FLOW_BASIS = {"M": "imports", "X": "exports"}
_HS_VERSIONS = {"H0": "HS1992", "H1": "HS1996", "H2": "HS2002", "H3": "HS2007", "H4": "HS2012",
                "H5": "HS2017", "H6": "HS2022", "HS": "HS as reported"}
_REQUIRED = ("reporterCode", "partnerCode", "flowCode", "cmdCode", "refYear", "primaryValue")


# --------------------------------------------------------------------------- fetch

def fetch(dest: Path, *, base_url: str | None = None, reporter: str = "842", period: str = "2024",
          hs_codes: Iterable[str] | str | None = None, flows: str = "M", freq: str = "A",
          classification: str = "HS", key: str | None = None, pace_seconds: float = 1.0,
          timeout: float = 120.0, retries: int = 5, backoff: float = 2.0) -> list[Path]:
    """Download one JSON response per HS code into `dest`; returns the files written.

    Defaults: US-reported (842) annual 2024 imports of the tracked HS codes, all partners. With a
    key (`key` or `COMTRADE_API_KEY`) the final-data endpoint is used, else the public preview
    (500 records per call, so one call per code). HTTP 429 ("Rate limit is exceeded") is retried
    with backoff, honouring Retry-After.
    """
    base = (base_url or BASE_URL).rstrip("/")
    codes = normalise_hs(hs_codes) if hs_codes is not None else default_hs_codes()
    key = key or os.environ.get("COMTRADE_API_KEY") or None
    path = "data/v1/get" if key else "public/v1/preview"
    url = f"{base}/{path}/C/{freq}/{classification}"
    headers = {KEY_HEADER: key} if key else {}
    pace = _http.Pace(pace_seconds)
    dest.mkdir(parents=True, exist_ok=True)
    fetched: list[FetchedFile] = []
    for code in codes:
        params: dict[str, str | int] = {
            "reporterCode": reporter, "period": period, "cmdCode": code, "flowCode": flows,
            "partner2Code": 0, "customsCode": "C00", "motCode": 0,
            "breakdownMode": "classic", "includeDesc": "true"}
        if not key:
            params["maxRecords"] = PREVIEW_LIMIT
        name = f"comtrade_{freq}_{classification}_{reporter}_{period}_{code}.json"
        got = _http.get(url, dest / name, params=params, headers=headers, pace=pace,
                        timeout=timeout, retries=retries, backoff=backoff,
                        extra={"reporter": reporter, "period": period, "hs_code": code})
        if got is None:
            continue
        _check_response(got.path, limit=None if key else PREVIEW_LIMIT)
        fetched.append(got)
    write_manifest(dest, SPEC.name, fetched)
    return [f.path for f in fetched]


def _check_response(path: Path, limit: int | None) -> None:
    data = load_json(path.read_text(encoding="utf-8-sig"), str(path))
    error = data.get("error") if isinstance(data, dict) else None
    if error and not data.get("data"):
        path.unlink(missing_ok=True)
        raise FetchError(f"{path.name}: UN Comtrade answered with an error: {error}")
    if limit is not None and isinstance(data, dict) and len(data.get("data") or []) >= limit:
        log.warning("%s: %d records, the preview limit; use an API key for complete data",
                    path.name, limit)


# --------------------------------------------------------------------------- parse

def parse(paths: Iterable[Path], *, hs_codes: Iterable[str] | str | None = None) -> Iterator[Record]:
    """Comtrade JSON responses or CSV/TSV exports -> EXPORTS_TO records and their Sources.

    `hs_codes` (prefixes) keeps only those commodities; by default every HS commodity is kept.
    """
    prefixes = normalise_hs(hs_codes) if hs_codes is not None else ()
    sources: dict[str, dict[str, Any]] = {}
    keep = re.compile(r".*\.(json|csv|tsv|txt)(\.gz)?$", re.I)
    for item in iter_inputs(paths, lambda n: bool(keep.fullmatch(n))):
        lower = item.filename.lower().removesuffix(".gz")
        rows = _json_rows(item) if lower.endswith(".json") else _csv_rows(item)
        for line, row in rows:
            data = _record(row, item.name, line, prefixes)
            if data is None:
                continue
            data["source_ids"] = [_source_for(data.pop("_freq"), data["year"], item, sources)]
            yield parse_record(data, file=item.name, line=line)
    for src in sources.values():
        yield parse_record(src)


def _json_rows(item: Input) -> Iterator[tuple[int, Mapping[str, Any]]]:
    text = item.read_text()
    document = load_json(text, item.name)
    if not isinstance(document, dict) or "data" not in document:
        raise DataError("expected a Comtrade API response with a 'data' array", file=item.name,
                        line=1)
    if document.get("error") and not document.get("data"):
        raise DataError(f"the response carries an error and no data: {document['error']}",
                        file=item.name, line=1, field="error")
    for line, row in json_array_items(text, item.name, ("data",)):
        if not isinstance(row, dict):
            raise DataError("a data item is not an object", file=item.name, line=line)
        yield line, row


def _csv_rows(item: Input) -> Iterator[tuple[int, Mapping[str, Any]]]:
    encoding = item.detect_encoding()
    with item.open_text(encoding) as stream:
        first = stream.readline()
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
        rows = csv_rows(itertools.chain([first], stream), item.name, delimiter)
        header: list[str] | None = None
        for line, row in rows:
            if header is None:
                header = [h.strip().lstrip("\ufeff") for h in row]
                missing = [c for c in _REQUIRED if c not in header]
                if missing:
                    raise DataError(f"not a Comtrade export: missing column(s) {', '.join(missing)}",
                                    file=item.name, line=line)
                continue
            if not any(v.strip() for v in row):
                continue
            if len(row) != len(header):
                raise DataError(f"expected {len(header)} fields (as in the header), found {len(row)}",
                                file=item.name, line=line)
            yield line, dict(zip(header, row, strict=True))


def _text(row: Mapping[str, Any], field: str) -> str:
    value = row.get(field)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _record(row: Mapping[str, Any], name: str, line: int,
            prefixes: tuple[str, ...]) -> dict[str, Any] | None:
    for field in _REQUIRED:
        if field not in row:
            raise DataError("missing field", file=name, line=line, field=field)
    flow = _text(row, "flowCode")
    basis = _FLOW_BASIS.get(flow)
    if basis is None:
        return None   # re-exports/re-imports/processing: the same goods counted again
    # breakdownMode=plus splits one flow by second partner, customs procedure and transport mode.
    if _text(row, "partner2Code") not in ("", "0") or _text(row, "customsCode") not in ("", "C00") \
            or _text(row, "motCode") not in ("", "0"):
        return None
    cmd = _text(row, "cmdCode")
    if cmd.upper() == "TOTAL" or not cmd:
        return None
    if re.fullmatch(r"\d+", cmd) and len(cmd) % 2 == 1 and len(cmd) < 10:
        cmd = "0" + cmd   # a leading zero lost by a spreadsheet or a numeric JSON writer
    if not re.fullmatch(r"\d{2}(?:\d{2}){0,4}", cmd):
        raise DataError(f"not an HS code: {cmd!r}", file=name, line=line, field="cmdCode")
    if prefixes and not cmd.startswith(prefixes):
        return None
    reporter = _country(row, "reporterCode", "reporterISO", name, line)
    partner = _country(row, "partnerCode", "partnerISO", name, line)
    if reporter is None or partner is None or reporter == partner:
        return None   # World, "nes" areas, unions: not a country-to-country flow
    year_text = _text(row, "refYear")
    if not year_text.isdigit():
        raise DataError(f"not a year: {year_text!r}", file=name, line=line, field="refYear")
    freq = _text(row, "freqCode") or "A"
    month = None
    if freq == "M":
        month_text = _text(row, "refMonth")
        if not month_text.isdigit() or not 1 <= int(month_text) <= 12:
            raise DataError(f"not a month: {month_text!r}", file=name, line=line, field="refMonth")
        month = int(month_text)
    value = number(row.get("primaryValue"), file=name, line=line, field="primaryValue")
    quantity = _tonnes(row, name, line)
    if not value and not quantity:
        return None
    version = _text(row, "classificationCode")
    out: dict[str, Any] = {
        "type": "EXPORTS_TO",
        "from": f"country:{partner if basis == 'imports' else reporter}",
        "to": f"country:{reporter if basis == 'imports' else partner}",
        "hs_code": cmd, "year": int(year_text), "flow_basis": basis, "value_usd": value,
        "notes": f"UN Comtrade, reported by {reporter}; primaryValue "
                 f"({'CIF' if basis == 'imports' else 'FOB'}); {_HS_VERSIONS.get(version, version or 'HS')}",
        "_freq": freq,
    }
    if quantity is not None:
        out["quantity"], out["unit"] = quantity, "t"
    if month is not None:
        out["month"] = month
    return {k: v for k, v in out.items() if v is not None}


def _country(row: Mapping[str, Any], code_field: str, iso_field: str, name: str,
             line: int) -> str | None:
    code = _text(row, code_field)
    try:
        return comtrade_country(code)
    except UnknownCode:
        raise DataError(f"unknown Comtrade area code {code!r} ({iso_field} "
                        f"{_text(row, iso_field)!r}); add it to loaders/_crosswalks/comtrade_areas.csv",
                        file=name, line=line, field=code_field) from None


def _tonnes(row: Mapping[str, Any], name: str, line: int) -> float | None:
    net = number(row.get("netWgt"), file=name, line=line, field="netWgt")
    if net:
        return round(net / 1000.0, 6)
    if _text(row, "qtyUnitAbbr").lower() == "kg":
        qty = number(row.get("qty"), file=name, line=line, field="qty")
        if qty:
            return round(qty / 1000.0, 6)
    return None


def _source_for(freq: str, year: int, item: Input, sources: dict[str, dict[str, Any]]) -> str:
    sid = f"source:un-comtrade-{'monthly' if freq == 'M' else 'annual'}-{year}"
    retrieved = latest(sources, sid, "retrieved", item.retrieved)
    sources[sid] = {
        "type": "Source", "id": sid,
        "name": f"UN Comtrade, {'monthly' if freq == 'M' else 'annual'} {year}",
        "title": f"UN Comtrade Database, final data, {'monthly' if freq == 'M' else 'annual'} "
                 f"merchandise trade by HS commodity, {year}",
        "publisher": SPEC.publisher, "url": SPEC.homepage,
        "license": SPEC.license, "year": year, "retrieved": retrieved,
    }
    return sid
