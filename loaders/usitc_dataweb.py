"""USITC DataWeb: US imports and exports by partner country and HTS code, from DataWeb's xlsx exports.

Source: U.S. International Trade Commission, "DataWeb" (https://dataweb.usitc.gov/), which serves
U.S. Census Bureau merchandise trade statistics. US government work, public domain. Updated monthly.

DataWeb has no anonymous bulk download: a user builds a query (trade flow, HTS codes, countries,
years) and exports it as an xlsx workbook. `fetch` therefore downloads nothing and says how to make
the export; `parse` reads the workbooks given to it (files, directories or zips).

The export layout (see docs/loaders.md): a `Query Parameters` sheet (download date, trade flow,
country and commodity selection) and one sheet per measure — `Customs Value` (imports) or
`FAS Value` (exports), `First Unit of Quantity`, `Second Unit of Quantity`, each also as a
`... YTD` sheet. A data sheet has a title line and a `Data Row Count` line above the header
`Data Type, Country, HTS Number, Description, Quantity Description, 1993, 1994, ...` (years as
columns); an HTS heading with several quantity units has one row per unit; a `Total:` line (of the
selected partners only) closes the sheet.

Mapped:
- each (partner, HTS number, year) with a non-zero value -> one `EXPORTS_TO`: partner -> USA with
  `flow_basis` "imports" for an imports workbook (imports for consumption or general imports), or
  USA -> partner with `flow_basis` "exports" for an exports workbook; `value_usd` is the sum over the
  heading's quantity-unit rows; `quantity` (metric tons) when every row with a value is in a mass
  unit (kilograms, metric tons, grams) of the `First Unit of Quantity` sheet;
- `hs_code` is the HTS number at whatever level the export has (4, 6, 8 or 10 digits, dots
  dropped); `hs_version` is the HS edition in force in that year (the first six HTS digits are HS).

Not mapped, on purpose:
- zeros: DataWeb writes 0 where no trade was recorded, so no flow is written (absent = none);
- the `Total:` line: it sums only the partners chosen in the query, never all partners, so it is
  **not** an `IMPORTS` total. A DataWeb export with selected countries must never be read as
  complete; shares need a true total from another source (BACI, Census/Comtrade world rows);
- the `YTD` sheets (partial years: January to the month in the title) and the year of the download
  date (not complete when the file was made): a partial year is never stored as a year;
- `Second Unit of Quantity` (contained-metal units that differ by line) and the `_Suppressed`
  columns; descriptions (prose of the source, not figures).
"""

from __future__ import annotations

import datetime as _dt
import functools
import io
import logging
import math
import re
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pycountry

from kg.errors import DataError
from kg.models import Record, parse_record
from kg.sources import SourceSpec

from ._codes import is_iso3
from ._common import crosswalk_file, key, read_crosswalk
from ._inputs import Input, iter_inputs

log = logging.getLogger(__name__)

SPEC = SourceSpec(
    name="usitc-dataweb",
    title="USITC DataWeb: U.S. merchandise trade by partner and HTS code",
    publisher="U.S. International Trade Commission (data: U.S. Census Bureau)",
    urls=("https://dataweb.usitc.gov/",),
    license="Public domain (US government work)",
    cadence="monthly",
    homepage="https://dataweb.usitc.gov/",
)

REPORTER = "USA"
PARAMETERS = "Query Parameters"
VALUE_SHEETS = ("Customs Value", "General Customs Value", "FAS Value", "CIF Import Value",
                "Landed Duty-Paid Value", "Total Exports Value")
QUANTITY_SHEET = "First Unit of Quantity"
HEADER = ["data type", "country", "hts number", "description", "quantity description"]
# Trade flow (Query Parameters) -> direction.
IMPORT_FLOWS = {"imports for consumption", "general imports"}
EXPORT_FLOWS = {"domestic exports", "total exports", "foreign exports"}
TO_TONS = {"kilograms": 0.001, "metric tons": 1.0, "grams": 1e-6}
# HS editions by first year in force (WCO); the first six HTS digits follow the edition in force.
HS_EDITIONS = ((2022, "HS2022"), (2017, "HS2017"), (2012, "HS2012"), (2007, "HS2007"),
               (2002, "HS2002"), (1996, "HS1996"), (1988, "HS1992"))


def fetch(dest: Path, *, base_url: str | None = None) -> list[Path]:
    """DataWeb exports are made by hand: nothing to download (the message says how)."""
    raise DataError("USITC DataWeb has no anonymous download: build a query at "
                    "https://dataweb.usitc.gov/ (trade flow, HTS codes, countries broken out, "
                    "years), export it as xlsx and run `kg load usitc-dataweb FILE.xlsx`",
                    file=str(dest))


def hs_edition(year: int) -> str:
    for first, name in HS_EDITIONS:
        if year >= first:
            return name
    return "HS1992"


@functools.lru_cache(maxsize=1)
def _country_table() -> dict[str, str]:
    name = "usitc_countries.csv"
    out: dict[str, str] = {}
    for line, row in read_crosswalk(name):
        iso3 = row["iso3"]
        if not is_iso3(iso3):
            raise DataError(f"not an ISO 3166-1 alpha-3 code: {iso3!r}", file=crosswalk_file(name),
                            line=line, field="iso3")
        out[key(row["dataweb_name"])] = iso3
    return out


def partner_iso3(name: str) -> str | None:
    """A DataWeb partner name -> ISO3 (the crosswalk first, then ISO 3166-1's names); None if unknown."""
    found = _country_table().get(key(name))
    if found:
        return found
    try:
        return str(pycountry.countries.lookup(name.strip()).alpha_3)
    except LookupError:
        return None


def normalise_hts(value: Any) -> str | None:
    """'8505', 8505, '8505.11.0070' -> digits; None when it is not an HTS number of even length."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = re.sub(r"[.\s]", "", str(value if value is not None else ""))
    return text if re.fullmatch(r"\d{2}(?:\d{2}){0,4}", text) else None


def parse(paths: Iterable[Path]) -> Iterator[Record]:
    """Read DataWeb xlsx exports -> EXPORTS_TO (one per partner, HTS number and full year)."""
    sources: dict[str, dict[str, Any]] = {}
    for item in iter_inputs(paths, lambda n: n.lower().endswith(".xlsx")):
        yield from _workbook(item, sources)
    for src in sources.values():
        yield parse_record(src)


def _open(item: Input) -> Any:
    import openpyxl
    with item.open_binary() as fh:
        data = fh.read()
    try:
        with warnings.catch_warnings():
            # DataWeb workbooks carry no default style; openpyxl warns and applies its own.
            warnings.simplefilter("ignore", UserWarning)
            return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DataError(f"not a readable xlsx workbook: {exc}", file=item.name) from None


def _rows(workbook: Any, sheet: str) -> list[tuple[Any, ...]]:
    ws = workbook[sheet]
    # DataWeb writes a wrong <dimension> (A1:A1); read-only mode trusts it unless reset.
    ws.reset_dimensions()
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def _workbook(item: Input, sources: dict[str, dict[str, Any]]) -> Iterator[Record]:
    workbook = _open(item)
    try:
        names = list(workbook.sheetnames)
        if PARAMETERS not in names:
            raise DataError(f"not a DataWeb export: no {PARAMETERS!r} sheet (sheets: "
                            f"{', '.join(names)})", file=item.name)
        params = _parameters(_rows(workbook, PARAMETERS), f"{item.name}!{PARAMETERS}")
        value_sheet = next((s for s in VALUE_SHEETS if s in names), None)
        if value_sheet is None:
            raise DataError(f"no value sheet (one of {', '.join(VALUE_SHEETS)}) among "
                            f"{', '.join(names)}", file=item.name)
        values = _sheet(_rows(workbook, value_sheet), f"{item.name}!{value_sheet}", value_sheet)
        quantities = (_sheet(_rows(workbook, QUANTITY_SHEET), f"{item.name}!{QUANTITY_SHEET}",
                             QUANTITY_SHEET) if QUANTITY_SHEET in names else [])
    finally:
        workbook.close()
    sid = _source(item, params, sources)
    yield from _flows(values, quantities, params, sid, item.name, value_sheet)


def _parameters(rows: list[tuple[Any, ...]], name: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for row in rows:
        if row and isinstance(row[0], str) and len(row) > 1 and row[1] is not None:
            params[key(row[0])] = row[1]
    flow = key(str(params.get("trade flow") or ""))
    if flow in IMPORT_FLOWS:
        params["_direction"] = "imports"
    elif flow in EXPORT_FLOWS:
        params["_direction"] = "exports"
    else:
        raise DataError(f"unknown trade flow {params.get('trade flow')!r}; expected one of "
                        f"{', '.join(sorted(IMPORT_FLOWS | EXPORT_FLOWS))}", file=name,
                        field="Trade Flow")
    aggregation = key(str(params.get("country aggregation") or "break out countries"))
    if aggregation != "break out countries":
        raise DataError(f"countries are aggregated ({params.get('country aggregation')!r}); "
                        f"export with 'Break Out Countries' to get partner flows", file=name,
                        field="Country Aggregation")
    stamp = params.get("download date")
    if isinstance(stamp, _dt.datetime):
        params["_downloaded"] = stamp.date()
    elif isinstance(stamp, _dt.date):
        params["_downloaded"] = stamp
    elif isinstance(stamp, str) and re.match(r"\d{4}-\d{2}-\d{2}", stamp.strip()):
        params["_downloaded"] = _dt.date.fromisoformat(stamp.strip()[:10])
    else:
        params["_downloaded"] = None
    return params


class _Row:
    __slots__ = ("hts", "iso3", "line", "unit", "years")

    def __init__(self, line: int, iso3: str, hts: str, unit: str, years: dict[int, float]) -> None:
        self.line, self.iso3, self.hts, self.unit, self.years = line, iso3, hts, unit, years


def _sheet(rows: list[tuple[Any, ...]], name: str, measure: str) -> list[_Row]:
    """Data rows of one measure sheet: partner, HTS number, unit and {year: figure}."""
    header_at = next((i for i, r in enumerate(rows[:20])
                      if r and isinstance(r[0], str) and key(r[0]) == "data type"), None)
    if header_at is None:
        raise DataError("no header line starting with 'Data Type' in the first 20 rows",
                        file=name)
    header = [key(str(c)) if c is not None else "" for c in rows[header_at]]
    if header[:5] != HEADER:
        raise DataError(f"header {', '.join(header[:5])!r}, expected {', '.join(HEADER)}",
                        file=name, line=header_at + 1)
    year_cols = {i: int(h) for i, h in enumerate(header) if re.fullmatch(r"(19|20)\d\d", h)}
    if not year_cols:
        raise DataError("no year columns in the header", file=name, line=header_at + 1)
    declared = next((r[1] for r in rows[:header_at]
                     if r and isinstance(r[0], str) and key(r[0]) == "data row count"), None)
    out: list[_Row] = []
    data_rows = 0
    for offset, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        first = key(str(row[0])) if row and row[0] is not None else ""
        if not first and not any(c not in (None, "") for c in row):
            continue
        if first.startswith("total"):
            continue     # the sum of the selected partners only: never a world total
        data_rows += 1
        if first != key(measure):
            raise DataError(f"data type {row[0]!r} in the {measure!r} sheet", file=name,
                            line=offset, field="Data Type")
        country = str(row[1] or "").strip()
        iso3 = partner_iso3(country)
        if iso3 is None:
            raise DataError(f"unknown partner {country!r} (not in {crosswalk_file('usitc_countries.csv')} "
                            f"or ISO 3166-1)", file=name, line=offset, field="Country")
        hts = normalise_hts(row[2])
        if hts is None:
            raise DataError(f"not an HTS number: {row[2]!r}", file=name, line=offset,
                            field="HTS Number")
        unit = key(str(row[4] or "")).removeprefix("value for:").strip()
        years: dict[int, float] = {}
        for col, year in year_cols.items():
            cell = row[col] if col < len(row) else None
            value = _number(cell, name, offset, str(year))
            if value is not None:
                years[year] = value
        out.append(_Row(offset, iso3, hts, unit, years))
    if isinstance(declared, (int, float)) and int(declared) != data_rows:
        raise DataError(f"Data Row Count says {int(declared)} rows, the sheet has {data_rows} "
                        f"(a truncated or edited export)", file=name, field="Data Row Count")
    return out


def _number(cell: Any, name: str, line: int, field: str) -> float | None:
    if cell is None or isinstance(cell, bool):
        if isinstance(cell, bool):
            raise DataError(f"not a number: {cell!r}", file=name, line=line, field=field)
        return None
    if isinstance(cell, (int, float)):
        value = float(cell)
    else:
        text = str(cell).strip()
        if text in ("", "-", "--"):
            return None
        if not re.fullmatch(r"-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?", text):
            raise DataError(f"not a number: {text!r}", file=name, line=line, field=field)
        value = float(text.replace(",", ""))
    if value < 0 or math.isnan(value):
        raise DataError(f"not a trade figure: {cell!r}", file=name, line=line, field=field)
    return value


def _flows(values: list[_Row], quantities: list[_Row], params: dict[str, Any], sid: str,
           name: str, value_sheet: str) -> Iterator[Record]:
    downloaded = params["_downloaded"]
    last_full = (downloaded.year - 1) if downloaded else None
    qty: dict[tuple[str, str, str, int], float] = {}
    for q in quantities:
        for year, amount in q.years.items():
            slot = (q.iso3, q.hts, q.unit, year)
            qty[slot] = qty.get(slot, 0.0) + amount
    grouped: dict[tuple[str, str, int], list[tuple[_Row, float]]] = defaultdict(list)
    for row in values:
        for year, amount in row.years.items():
            if last_full is not None and year > last_full:
                continue          # the download year (or later) is not a complete year
            grouped[(row.iso3, row.hts, year)].append((row, amount))
    imports = params["_direction"] == "imports"
    for (iso3, hts, year), parts in sorted(grouped.items()):
        total = sum(a for _, a in parts)
        if total <= 0 or iso3 == REPORTER:
            continue              # zero = no recorded trade
        data: dict[str, Any] = {
            "type": "EXPORTS_TO",
            "from": f"country:{iso3}" if imports else f"country:{REPORTER}",
            "to": f"country:{REPORTER}" if imports else f"country:{iso3}",
            "hs_code": hts, "year": year, "value_usd": total,
            "flow_basis": "imports" if imports else "exports",
            "hs_version": hs_edition(year), "source_ids": [sid],
        }
        tons = _tons(parts, qty, iso3, hts, year)
        if tons is not None:
            data["quantity"], data["unit"] = tons, "t"
        yield parse_record(data, file=f"{name}!{value_sheet}", line=parts[0][0].line)


def _tons(parts: list[tuple[_Row, float]], qty: dict[tuple[str, str, str, int], float],
          iso3: str, hts: str, year: int) -> float | None:
    """Mass in metric tons when every row with a value has a mass unit and a quantity."""
    total = 0.0
    for row, amount in parts:
        if amount <= 0:
            continue
        factor = TO_TONS.get(row.unit)
        found = qty.get((iso3, hts, row.unit, year))
        if factor is None or found is None:
            return None
        total += found * factor
    return round(total, 6) if total > 0 else None


def _source(item: Input, params: dict[str, Any], sources: dict[str, dict[str, Any]]) -> str:
    direction = params["_direction"]
    flow = str(params.get("trade flow")).strip()
    downloaded = params["_downloaded"]
    sid = f"source:usitc-dataweb-{direction}" + (f"-{downloaded.isoformat()}" if downloaded else "")
    sources[sid] = {
        "type": "Source", "id": sid,
        "name": f"USITC DataWeb: US {flow.lower()} by partner",
        "title": f"USITC DataWeb export: U.S. {flow.lower()}, HTS, selected partner countries "
                 f"broken out, annual",
        "publisher": SPEC.publisher, "url": item.url or SPEC.homepage, "license": SPEC.license,
        "release": f"downloaded {downloaded.isoformat()}" if downloaded else None,
        "retrieved": downloaded.isoformat() if downloaded else item.retrieved,
    }
    if sources[sid]["release"] is None:
        del sources[sid]["release"]
    return sid


# -- bundled snapshot recipe -----------------------------------------------------------------------
# The public copies the bundled part (loaders/snapshot/usitc-dataweb/) was derived from: two real
# DataWeb exports (US imports for consumption and US domestic exports, downloaded 2026-07-10)
# published in a public repository.
SNAPSHOT_COPY = ("https://github.com/therealjameswilson/critical-minerals-records-stage-v3/blob/"
                 "a67e3d4286b3a06f62cf1d466cfb9bb6840a798d/data/raw/{name}")
# Both exports are bundled. The US exports (USA -> partner, flow_basis "exports") are the US's own
# report of what it ships, never anyone's imports: exposure-trend and export-control-impact read an
# importer's own report and mirror data only, china-exposure divides by IMPORTS totals of the
# same basis (docs/trade.md, "US exports").
SNAPSHOT_FILES = {
    "imports_for_consumption": ("usitc_dataweb_us_imports_for_consumption_hts4_1993-2026.xlsx",
                                "us_imports_for_consumption_1993-2026.xlsx"),
    "domestic_exports": ("usitc_dataweb_us_domestic_exports_hts4_1993-2026.xlsx",
                         "us_domestic_exports_1993-2026.xlsx"),
}
SNAPSHOT_SUFFIXES = (".xlsx",)


def snapshot_inputs(members: list[Any]) -> list[tuple[Any, str, dict[str, Any]]]:
    """The snapshot recipe: pick the DataWeb exports among `members` (loaders._common.Member) and
    name each with its public origin. Wire as `SNAPSHOT = Recipe(snapshot_inputs, SNAPSHOT_SUFFIXES)`
    where the snapshot command takes per-loader recipes."""
    out = []
    for member in members:
        name = member.filename.lower()
        for marker, (public, original) in SNAPSHOT_FILES.items():
            if name.endswith(".xlsx") and marker in name:
                out.append((member, public, {"url": SPEC.homepage,
                                             "copied_from": SNAPSHOT_COPY.format(name=original)}))
    return out
