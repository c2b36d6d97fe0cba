"""US Census Bureau International Trade API: US imports and exports by HS code and partner country.

Source: U.S. Census Bureau, Economic Indicators Division, "International Trade API" time series
`timeseries/intltrade/imports/hs` and `…/exports/hs`, https://api.census.gov/data/timeseries/intltrade
(documentation: https://www.census.gov/foreign-trade/reference/apis/index.html). US Government work,
public domain. Monthly, on the FT-900 release day about five weeks after the month; annual revisions
come with the April data. An API key (`CENSUS_API_KEY`, free) lifts the keyless daily quota.

Mapped: one row (partner × commodity × period) becomes one `EXPORTS_TO`:
- imports: partner → USA, `flow_basis` "imports", `value_usd` = general imports at customs value
  (`GEN_VAL_*`; imports for consumption `CON_VAL_*` only when general imports are absent);
- exports: USA → partner, `flow_basis` "exports", `value_usd` = total exports, f.a.s. (`ALL_VAL_*`);
- `quantity` in tonnes when quantity 1 is in kilograms (`UNIT_QY1` KG) or metric tons (T); counts
  (NO, X, …) are not masses and are dropped; `hs_code` is the commodity at the requested level
  (HS2–HS6, or the 10-digit US HTS statistical line); `month` for `*_MO` (monthly) values.

Quirks handled (docs/loaders.md, "census-trade"):
- the response is a JSON array of arrays, header row first, every value a string;
- a variable both requested and used as a predicate (`I_COMMODITY=850760` with `get=I_COMMODITY`)
  comes back as two columns of the same name; the copies must agree, else the row is an error;
- HTTP 204 with an empty body means "no data" (fetch writes no file); an invalid key returns an
  HTML page, not JSON (a DataError saying so);
- `CTY_CODE` is the Census Schedule C code (5700 China, 7660 DR Congo), mapped to ISO 3166 through
  `loaders/_crosswalks/census_schedule_c.csv`; the total row (`-`, "TOTAL FOR ALL COUNTRIES") and
  country groupings (codes 0xxx) are skipped;
- `*_YR` values are year to date: they are an annual figure only for month 12.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from kg.errors import DataError
from kg.models import Record, parse_record
from kg.sources import FetchedFile, SourceSpec, write_manifest

from . import _http
from ._codes import UnknownCode, census_country, default_hs_codes, normalise_hs
from ._common import latest
from ._inputs import Input, iter_inputs, json_array_items, load_json, number

log = logging.getLogger(__name__)

BASE_URL = "https://api.census.gov/data/timeseries/intltrade"
SPEC = SourceSpec(
    name="census-trade",
    title="U.S. International Trade API: imports and exports by HS commodity and country",
    publisher="U.S. Census Bureau",
    urls=(f"{BASE_URL}/imports/hs", f"{BASE_URL}/exports/hs"),
    license="Public domain (U.S. Government work)",
    cadence="monthly (FT-900 release); annual revision with April data",
    homepage="https://www.census.gov/foreign-trade/reference/apis/index.html",
    env_key="CENSUS_API_KEY",
)
LICENSE = SPEC.license

_FLOWS = {
    # flow: (commodity variable, value variables in order of preference, quantity variables)
    "imports": ("I_COMMODITY", ("GEN_VAL", "CON_VAL"), ("GEN_QY1", "CON_QY1")),
    "exports": ("E_COMMODITY", ("ALL_VAL",), ("QTY_1", "QTY_1_ALL")),
}
_KG_PER_UNIT = {"KG": 1.0, "T": 1000.0}   # UNIT_QY1 values that are masses
_VALUE_NOTES = {
    "GEN_VAL": "general imports, customs value (Census GEN_VAL)",
    "CON_VAL": "imports for consumption, customs value (Census CON_VAL)",
    "ALL_VAL": "total exports, f.a.s. value (Census ALL_VAL)",
}


# --------------------------------------------------------------------------- fetch

def fetch(dest: Path, *, base_url: str | None = None, hs_codes: Iterable[str] | str | None = None,
          year: int = 2024, month: int | None = None, flows: Iterable[str] = ("imports",),
          key: str | None = None, pace_seconds: float = 0.2, timeout: float = 60.0,
          retries: int = 4, backoff: float = 1.0) -> list[Path]:
    """Download one JSON response per HS code and flow into `dest`; returns the files written.

    Annual values (`*_YR` at month 12) unless `month` is given (then `*_MO` for that month).
    `hs_codes` defaults to the tracked HS codes of `loaders/_crosswalks/hs_materials.csv`; the US
    10-digit lines listed there (e.g. 8112921000, gallium) are opt-in, because a query summing by HS
    prefix would count them twice next to their 6-digit code. The key comes from `key` or
    `CENSUS_API_KEY`; without one the keyless quota applies. A code with no trade answers HTTP 204
    and leaves no file (the manifest says so).
    """
    base = (base_url or BASE_URL).rstrip("/")
    codes = normalise_hs(hs_codes) if hs_codes is not None else default_hs_codes()
    key = key or os.environ.get("CENSUS_API_KEY") or None
    pace = _http.Pace(pace_seconds)
    dest.mkdir(parents=True, exist_ok=True)
    period = f"{year}-{month or 12:02d}"
    suffix = "MO" if month else "YR"
    fetched: list[FetchedFile] = []
    for flow in flows:
        if flow not in _FLOWS:
            raise ValueError(f"unknown flow {flow!r}; expected imports or exports")
        commodity, values, quantities = _FLOWS[flow]
        fields = ["CTY_CODE", "CTY_NAME", commodity, f"{commodity}_SDESC",
                  *(f"{v}_{suffix}" for v in values), f"{quantities[0]}_{suffix}", "UNIT_QY1"]
        for code in codes:
            params: dict[str, str | int] = {
                "get": ",".join(fields), "COMM_LVL": f"HS{len(code)}", commodity: code,
                "SUMMARY_LVL": "DET", "time": period}
            if key:
                params["key"] = key
            name = f"census_{flow}_{code}_{period}.json"
            extra = {"flow": flow, "hs_code": code, "time": period}
            got = _http.get(f"{base}/{flow}/hs", dest / name, params=params, pace=pace,
                            timeout=timeout, retries=retries, backoff=backoff, allow_empty=True,
                            extra=extra)
            if got is None:
                log.info("census %s %s %s: no data (HTTP 204)", flow, code, period)
                got = FetchedFile(url=_http.redact(_http.build_url(f"{base}/{flow}/hs", params)),
                                  path=dest / name, sha256=hashlib.sha256(b"").hexdigest(),
                                  retrieved=_now(), size=0, extra={**extra, "status": "no data"})
            fetched.append(got)
    write_manifest(dest, SPEC.name, fetched)
    return [f.path for f in fetched if f.size > 0]


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------------- parse

def parse(paths: Iterable[Path]) -> Iterator[Record]:
    """Census API JSON responses (files, directories) -> EXPORTS_TO records and their Sources."""
    sources: dict[str, dict[str, Any]] = {}
    for item in iter_inputs(paths, lambda n: n.lower().endswith(".json")):
        yield from _parse_file(item, sources)
    for data in sources.values():
        yield parse_record(data)


def _parse_file(item: Input, sources: dict[str, dict[str, Any]]) -> Iterator[Record]:
    name = item.name
    text = item.read_text()
    if not text.strip():
        return   # an empty body is the API's "no data" (HTTP 204)
    if text.lstrip()[:1] != "[":
        load_json(text, name)   # raises the precise error (HTML page, bad JSON)
        raise DataError("expected a JSON array of arrays (header row first)", file=name, line=1)
    rows = json_array_items(text, name)
    header: list[str] | None = None
    layout: _Layout | None = None
    for line, row in rows:
        if not isinstance(row, list) or not all(isinstance(v, (str, type(None))) for v in row):
            raise DataError("expected an array of strings", file=name, line=line)
        if header is None:
            header = [str(v) for v in row]
            layout = _Layout.from_header(header, name)
            continue
        assert layout is not None
        if len(row) != len(header):
            raise DataError(f"expected {len(header)} values (as in the header), found {len(row)}",
                            file=name, line=line)
        record = layout.record(row, name, line)
        if record is None:
            continue
        source = _source_for(layout, record["year"], record.get("_time", ""), item, sources)
        record.pop("_time", None)
        record["source_ids"] = [source]
        yield parse_record(record, file=name, line=line)
    if header is None:
        raise DataError("no header row", file=name, line=1)


class _Layout:
    """Where each needed variable sits in one response, decided once from its header."""

    def __init__(self, header: list[str], name: str) -> None:
        self.header, self.name = header, name
        positions: dict[str, list[int]] = {}
        for pos, col in enumerate(header):
            positions.setdefault(col.strip().upper(), []).append(pos)
        self.positions = positions
        if "I_COMMODITY" in positions:
            self.flow = "imports"
        elif "E_COMMODITY" in positions:
            self.flow = "exports"
        else:
            raise DataError("neither I_COMMODITY (imports) nor E_COMMODITY (exports) in the header",
                            file=name, line=1)
        commodity, values, quantities = _FLOWS[self.flow]
        self.commodity = commodity
        for col in ("CTY_CODE",):
            if col not in positions:
                raise DataError(f"missing column {col}", file=name, line=1)
        self.value_col = self._pick(values, ("YR", "MO"))
        if self.value_col is None:
            wanted = ", ".join(f"{v}_MO/{v}_YR" for v in values)
            raise DataError(f"no value column ({wanted})", file=name, line=1)
        self.suffix = self.value_col.rsplit("_", 1)[1]
        self.quantity_col = self._pick(quantities, (self.suffix,))
        if "TIME" not in positions and "YEAR" not in positions:
            raise DataError("no period column (time, or YEAR and MONTH)", file=name, line=1)

    @classmethod
    def from_header(cls, header: list[str], name: str) -> _Layout:
        return cls(header, name)

    def _pick(self, bases: tuple[str, ...], suffixes: tuple[str, ...]) -> str | None:
        for base in bases:
            for suffix in suffixes:
                if f"{base}_{suffix}" in self.positions:
                    return f"{base}_{suffix}"
        return None

    def get(self, row: list[Any], col: str, line: int) -> str:
        """The value of `col` (stripped); duplicated columns must agree."""
        found = self.positions.get(col)
        if not found:
            return ""
        values = {("" if row[p] is None else str(row[p]).strip()) for p in found}
        if len(values) > 1:
            raise DataError(f"duplicated column disagrees with itself: {sorted(values)}",
                            file=self.name, line=line, field=col)
        return values.pop()

    def period(self, row: list[Any], line: int) -> tuple[int, int | None, str]:
        raw = self.get(row, "TIME", line)
        if raw:
            match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", raw)
            if not match:
                raise DataError(f"unreadable time {raw!r} (expected YYYY or YYYY-MM)",
                                file=self.name, line=line, field="time")
            year, month = int(match.group(1)), int(match.group(2)) if match.group(2) else None
        else:
            y, m = self.get(row, "YEAR", line), self.get(row, "MONTH", line)
            if not y.isdigit() or (m and not m.isdigit()):
                raise DataError(f"unreadable YEAR/MONTH {y!r}/{m!r}", file=self.name, line=line,
                                field="YEAR")
            year, month = int(y), int(m) if m else None
            raw = f"{year}-{month:02d}" if month else str(year)
        return year, month, raw

    def record(self, row: list[Any], name: str, line: int) -> dict[str, Any] | None:
        code = self.get(row, "CTY_CODE", line)
        try:
            partner = census_country(code)
        except UnknownCode:
            raise DataError(f"unknown Census Schedule C code {code!r} (CTY_NAME "
                            f"{self.get(row, 'CTY_NAME', line)!r}); add it to "
                            f"loaders/_crosswalks/census_schedule_c.csv",
                            file=name, line=line, field="CTY_CODE") from None
        if partner is None or partner == "USA":
            return None   # total for all countries, a country grouping, or the reporter itself
        hs = self.get(row, self.commodity, line)
        if not re.fullmatch(r"\d{2}(?:\d{2}){0,4}", hs):
            raise DataError(f"not an HS code: {hs!r}", file=name, line=line, field=self.commodity)
        year, month, raw_time = self.period(row, line)
        if self.suffix == "YR":
            if month not in (None, 12):
                raise DataError(f"{self.value_col} is year to date; {raw_time} is not a full year "
                                f"(request time=YYYY-12, or monthly *_MO values)",
                                file=name, line=line, field="time")
            month = None
        assert self.value_col is not None
        value = number(self.get(row, self.value_col, line), file=name, line=line,
                       field=self.value_col)
        quantity = None
        if self.quantity_col is not None:
            raw_q = number(self.get(row, self.quantity_col, line), file=name, line=line,
                           field=self.quantity_col)
            per = _KG_PER_UNIT.get(self.get(row, "UNIT_QY1", line).upper())
            if raw_q is not None and per is not None:
                quantity = round(raw_q * per / 1000.0, 6)
        if not value and not quantity:
            return None   # a zero or empty row is not a flow
        if value is not None and value < 0:
            raise DataError(f"negative value {value}", file=name, line=line, field=self.value_col)
        usa, other = "country:USA", f"country:{partner}"
        out: dict[str, Any] = {
            "type": "EXPORTS_TO",
            "from": other if self.flow == "imports" else usa,
            "to": usa if self.flow == "imports" else other,
            "hs_code": hs, "year": year, "flow_basis": self.flow,
            "value_usd": value, "notes": _VALUE_NOTES[self.value_col.rsplit("_", 1)[0]],
            "_time": raw_time,
        }
        if quantity is not None:
            out["quantity"], out["unit"] = quantity, "t"
        if month is not None:
            out["month"] = month
        return {k: v for k, v in out.items() if v is not None}


def _source_for(layout: _Layout, year: int, time: str, item: Input,
                sources: dict[str, dict[str, Any]]) -> str:
    """One Source per flow and year; its release is the latest period seen, e.g. 2024-12."""
    sid = f"source:census-intltrade-{layout.flow}-hs-{year}"
    sources[sid] = {
        "type": "Source", "id": sid,
        "name": f"US Census international trade, {layout.flow} by HS and country, {year}",
        "title": f"U.S. International Trade API, {layout.flow}/hs ({layout.flow} by HS commodity "
                 f"and partner country), {year}",
        "publisher": SPEC.publisher, "url": f"{BASE_URL}/{layout.flow}/hs", "license": LICENSE,
        "release": latest(sources, sid, "release", time), "year": year,
        "retrieved": latest(sources, sid, "retrieved", item.retrieved),
    }
    return sid
