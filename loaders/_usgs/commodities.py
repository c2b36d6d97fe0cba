"""MCS 2026 and later: the single-file data release `MCS{YYYY}_Commodities_Data.csv`.

One long table for every chapter: `MCS chapter, Section, Commodity, Country, Statistics,
Statistics_detail, Unit, Year, Value, Notes, Is critical mineral {YYYY-1}, Other notes`. Read here:
- world sections (`Statistics` Production / Capacity / Reserves) -> rows in the shape of the World
  Data reader (`world.Row`), so shares, world totals and reserves follow one set of rules; capacity
  rows become `PRODUCES` with basis `capacity`;
- `Net import reliance` of the U.S. salient statistics -> `NirFact`s, one per sub-series; the
  headline sub-series of each material is chosen in `loaders/_crosswalks/usgs_mcs_series.csv`;
- `Import Sources` (percent shares for a period such as `2021–24`, with an `Other countries`
  remainder) -> `ImportShares` per material.
Other salient statistics (U.S. production, trade, prices, employment) have no graph property yet.

Quirks (MCS 2026, https://doi.org/10.5066/P1WKQ63T): the file is cp1252 (the en dash of `2021–24`
and the em dash of `Salient Statistics—United States` are single bytes); values are text with
thousands separators; `—` and `--` are USGS's zero (no fact is made from them); `s` stands for
"less than ½ unit" where the notes say so; ranges (`330 - 390`, `820–880`) and `Small`/`Moderate`
reserves are kept as text, never as a number; world totals carry `: rounded` in Statistics_detail;
`W`, `NA`, `E`, `XX`, `Large`, `>n`, `<n` keep their meaning (loaders/_usgs/values.py).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from kg.errors import DataError

from .._common import Member, clean, crosswalk_file, key, read_crosswalk
from . import crosswalk as cw
from .nir import NirFact
from .values import Cell, parse_cell
from .world import Row

COLUMNS = ("MCS chapter", "Section", "Commodity", "Country", "Statistics", "Statistics_detail",
           "Unit", "Year", "Value", "Notes")
SERIES = "usgs_mcs_series.csv"
ZERO = ("\u2014", "--", "\u2013")     # USGS prints zero as an em dash (a few cells: `--`)
QUALITATIVE = ("small", "very small", "moderate", "moderate to large")
_RANGE = re.compile(r"([\d,.]+)\s*[-\u2013]\s*([\d,.]+)")
_ROUNDED = re.compile(r"[:,]?\s*rounded\s*$", re.I)
_PERIOD = re.compile(r"(\d{4})\s*[-\u2013]\s*(\d{2}|\d{4})")


def is_commodities_data(header: list[str]) -> bool:
    return [clean(h).lower() for h in header[:len(COLUMNS)]] == [c.lower() for c in COLUMNS]


def decode(member: Member) -> str:
    """UTF-8 when the bytes are UTF-8 (a re-saved copy), else cp1252 as USGS released it."""
    try:
        return member.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return member.data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise DataError(f"neither UTF-8 nor cp1252 text ({exc.reason} at byte {exc.start})",
                        file=member.name) from None


@dataclass(frozen=True)
class ImportShares:
    """USGS 'Import Sources' of one material: ranked partners, shares and the remainder."""

    material: str
    commodity: str                # as USGS names it
    period: str                   # "2021-2024"
    sources: tuple[str, ...]
    shares: tuple[Decimal, ...]
    other: Decimal | None         # "Other countries"
    series: str
    file: str
    line: int
    notes: tuple[str, ...] = ()


@dataclass
class Result:
    rows: list[Row] = field(default_factory=list)
    nir: list[NirFact] = field(default_factory=list)
    imports: list[ImportShares] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass(frozen=True)
class SeriesInfo:
    material: str | None          # None: the commodity's material
    stage: str | None             # "-" skips the series
    measured_as: str | None
    headline: bool
    part_of: str | None = None    # the series a per-country variant belongs to


@lru_cache(maxsize=1)
def _series() -> dict[tuple[str, str, str], SeriesInfo]:
    out = {}
    for n, r in read_crosswalk(SERIES):
        if r["kind"] not in ("world", "nir", "imports"):
            raise DataError(f"kind {r['kind']!r} is not world, nir or imports",
                            file=crosswalk_file(SERIES), line=n, field="kind")
        out[(r["kind"], key(r["commodity"]), key(r["series"]))] = SeriesInfo(
            r["material_id"] or None, r["stage"] or None, r["measured_as"] or None,
            r["headline"] == "yes", r["part_of"] or None)
    return out


def series_info(kind: str, commodity: str, series: str) -> SeriesInfo | None:
    return _series().get((kind, key(commodity), key(series)))


def parse(member: Member, source_id: str) -> Result:
    import csv
    import io

    out = Result()
    reader = csv.reader(io.StringIO(decode(member), newline=""))
    line = 1
    try:
        header = next(reader)
    except StopIteration:
        raise DataError("empty file", file=member.name) from None
    if not is_commodities_data(header):
        raise DataError(f"expected the columns {', '.join(COLUMNS)}: not an MCS Commodities Data file",
                        file=member.name, line=1, field=clean(header[0]) if header else None)
    cols = {clean(h): i for i, h in enumerate(header)}
    imports: dict[tuple[str, str], list[tuple[int, dict[str, str]]]] = defaultdict(list)
    line = reader.line_num + 1
    try:
        for raw in reader:
            this, line = line, reader.line_num + 1
            if not any(c.strip() for c in raw):
                continue
            if len(raw) != len(header):
                raise DataError(f"{len(raw)} fields, the header has {len(header)}", file=member.name,
                                line=this)
            row = {name: raw[i] for name, i in cols.items()}
            out.stats["rows"] += 1
            section, stat = clean(row["Section"]), clean(row["Statistics"])
            if key(section) == "import sources":
                imports[(clean(row["Commodity"]), clean(row["Statistics_detail"]))].append((this, row))
            elif key(section).startswith("world") and key(stat) in ("production", "capacity", "reserves"):
                _world_row(member, this, row, out)
            elif key(stat) == "net import reliance":
                _nir_row(member, this, row, source_id, out)
            else:
                out.stats["other_rows"] += 1
    except csv.Error as exc:
        raise DataError(f"malformed CSV: {exc}", file=member.name, line=line) from None
    out.imports = _import_shares(member, imports)
    return out


# --- world production, capacity and reserves ---------------------------------------------------

def _cell(member: Member, line: int, row: dict[str, str]) -> Cell | None:
    """The Value cell; None for USGS's zero (no fact)."""
    text = clean(row["Value"])
    if text in ZERO:
        return None
    if text == "s":
        if "less than" in key(row["Notes"]):
            return Cell(Decimal("0.5"), "<", text)
        return Cell(None, "NA", text)
    if _RANGE.fullmatch(text):
        return Cell(None, "NA", text)
    if key(text) in QUALITATIVE:
        return Cell(None, None, text)
    return parse_cell(text, file=member.name, line=line, field="Value")


def _year(member: Member, line: int, text: str) -> int:
    t = clean(text)
    if not re.fullmatch(r"(19|20)\d{2}", t):
        raise DataError(f"year {t!r} is not a year", file=member.name, line=line, field="Year")
    return int(t)


def _world_row(member: Member, line: int, row: dict[str, str], out: Result) -> None:
    commodity = cw.material(row["Commodity"], file=member.name, line=line, field="Commodity")
    if commodity is None:
        return
    detail = clean(row["Statistics_detail"])
    series = _ROUNDED.sub("", detail).strip(" :,")
    stat = key(row["Statistics"])
    info = series_info("world", row["Commodity"], series)
    if info is not None and info.stage == "-":
        out.stats["skipped_series"] += 1
        return
    place = cw.place(row["Country"], file=member.name, line=line, field="Country")
    year = _year(member, line, row["Year"])
    cell = _cell(member, line, row)
    if cell is None:
        out.stats["zero_cells"] += 1
        return
    material = (info.material if info else None) or commodity
    measured_as = (info.measured_as if info else None) or _measured_as(row.get("Other notes", ""))
    notes = clean(row["Notes"])
    if cell.value is None and cell.text and cell.text != cell.qualifier and not cell.empty:
        notes = "; ".join(p for p in (f"printed as {cell.text!r}", notes) if p)
    if stat == "reserves":
        if place.aggregate == "world":
            return          # reserves have no share: the world total is not needed
        reserve_notes = cell.text if cell.empty and key(cell.text) in QUALITATIVE else notes
        out.rows.append(Row(line, commodity, _type_key(series, info), series, cw.TypeInfo(
            stage=None, material=material, reserves_material=material, basis=measured_as,
            source_unit=None, reserves_unit=None, reserves_basis=None), place,
            clean(row["Unit"]), {}, set(), "", (year, cell), reserve_notes, unit_field="Unit"))
        out.stats["reserve_rows"] += 1
        return
    capacity = stat == "capacity"
    stage = (info.stage if info else None) or _stage(series, commodity, capacity)
    if stage is None:
        raise DataError(f"cannot tell the supply stage of {detail!r}: add it to "
                        f"{crosswalk_file(SERIES)}", file=member.name, line=line,
                        field="Statistics_detail")
    estimated = {year} if re.match(r"estimated\b", key(notes)) else set()
    out.rows.append(Row(line, commodity, _type_key(series, info) + (" capacity" if capacity else ""), series,
                        cw.TypeInfo(stage=stage, material=material, reserves_material="-",
                                    basis=measured_as, source_unit=None, reserves_unit=None,
                                    reserves_basis=None),
                        place, clean(row["Unit"]), {year: cell}, estimated, notes, None, "",
                        capacity=capacity, unit_field="Unit"))
    out.stats["capacity_rows" if capacity else "production_rows"] += 1


def _type_key(series: str, info: SeriesInfo | None) -> str:
    return key(info.part_of if info and info.part_of else series)


def _stage(series: str, commodity: str, capacity: bool) -> str | None:
    k = key(series)
    if re.search(r"\bmine\b|\bmining\b", k):
        return "mining"
    if re.search(r"refin|smelt|primary|sponge", k):
        return "refining"
    # "Production", "Production capacity", "Yearend capacity": the stage USGS reports the
    # commodity's world production at (usgs_commodities.csv)
    return cw.material_info(commodity).stage if commodity in cw.all_materials() else None


def _measured_as(other_notes: str) -> str | None:
    """`(Data in metric tons, rare-earth-oxide (REO) equivalent, unless …)` -> the content basis."""
    m = re.match(r"\(data in [^,()]+(?:\([^)]*\))?[^,()]*,\s*(.+?),?\s+unless otherwise", key(other_notes))
    if not m:
        return None
    found = re.search(re.escape(m.group(1)), clean(other_notes), re.I)
    return found.group(0) if found else m.group(1)


# --- net import reliance -------------------------------------------------------------------------

def _nir_row(member: Member, line: int, row: dict[str, str], source_id: str, out: Result) -> None:
    commodity = cw.material(row["Commodity"], file=member.name, line=line, field="Commodity")
    if commodity is None:
        return
    detail = clean(row["Statistics_detail"])
    series = clean(detail.split(":", 1)[1]) if ":" in detail else ""
    info = series_info("nir", row["Commodity"], series)
    if info is not None and info.stage == "-":
        out.stats["skipped_series"] += 1
        return
    year_text = clean(row["Year"])
    if not re.fullmatch(r"(19|20)\d{2}", year_text):
        raise DataError(f"year {year_text!r} is not a year", file=member.name, line=line, field="Year")
    cell = _cell(member, line, row)
    if cell is None:
        cell = Cell(Decimal(0), None, clean(row["Value"]))
    elif cell.value is not None:
        cell = Cell(cell.value / 100, cell.qualifier, cell.text)
    if cell.empty or (cell.value is None and cell.qualifier == "NA" and cell.text != "NA"):
        out.stats["nir_text"] += 1      # e.g. "The United States was a net exporter … in 2025"
        return
    material = (info.material if info else None) or commodity
    headline = info.headline if info else True
    out.nir.append(NirFact(material, int(year_text), cell.value, cell.qualifier, (), "salient",
                           source_id, member.name, line, form=series or None,
                           headline=headline))
    out.stats["nir_facts"] += 1


# --- import sources ------------------------------------------------------------------------------

def _import_shares(member: Member, groups: dict[tuple[str, str], list[tuple[int, dict[str, str]]]]
                   ) -> list[ImportShares]:
    by_material: dict[str, list[ImportShares]] = defaultdict(list)
    for (commodity_name, series), rows in groups.items():
        first = rows[0][0]
        commodity = cw.material(commodity_name, file=member.name, line=first, field="Commodity")
        info = series_info("imports", commodity_name, series)
        if commodity is None or (info is not None and info.stage == "-"):
            continue
        material = (info.material if info else None) or commodity
        period = _period(member, first, rows[0][1]["Year"])
        sources: list[str] = []
        shares: list[Decimal] = []
        other: Decimal | None = None
        notes: list[str] = []
        for line, row in rows:
            if _period(member, line, row["Year"]) != period:
                raise DataError(f"period {clean(row['Year'])!r} differs from line {first}'s",
                                file=member.name, line=line, field="Year")
            cell = parse_cell(row["Value"], file=member.name, line=line, field="Value")
            if cell.value is None or cell.qualifier not in (None, ">", "<"):
                raise DataError(f"an import share must be a percentage (or >n, <n), not {cell.text!r}",
                                file=member.name, line=line, field="Value")
            place = cw.place(row["Country"], file=member.name, line=line, field="Country")
            if cell.qualifier:      # ">99" / "<1": the bound is the share; the note keeps the sign
                notes.append(f"{place.label}: {cell.text}%")
            share = cell.value / 100
            if place.aggregate == "other":
                other = (other or Decimal(0)) + share
            elif place.iso3:
                code = "CHN" if place.iso3 == "HKG" else place.iso3
                if code in sources:       # Hong Kong listed apart from China: USGS counts them together
                    shares[sources.index(code)] += share
                else:
                    sources.append(code)
                    shares.append(share)
            else:
                notes.append(f"{place.label} together: {cell.value.normalize():f}%")
                other = (other or Decimal(0)) + share
        # Rank by share (Hong Kong folded into China may move China up); ties keep USGS's order.
        ranked = sorted(zip(sources, shares, strict=True), key=lambda x: -x[1])
        sources, shares = [c for c, _ in ranked], [x for _, x in ranked]
        total = sum(shares, Decimal(0)) + (other or Decimal(0))
        if not Decimal("0.97") <= total <= Decimal("1.03"):
            raise DataError(f"import shares of {commodity_name} ({series}) sum to "
                            f"{(total * 100).normalize():f}%, not 100% (rounding allows 3 points)",
                            file=member.name, line=first, field="Value")
        by_material[material].append(ImportShares(material, commodity_name, period, tuple(sources),
                                                  tuple(shares), other, series, member.name, first,
                                                  tuple(notes)))
    out = []
    for material, found in sorted(by_material.items()):
        if len(found) == 1:
            out.append(found[0])
            continue
        # The table's headline, else the one total USGS gives ("Total imports", "Combined total")
        heads = [f for f in found if (series_info("imports", f.commodity, f.series) or
                                      SeriesInfo(None, None, None, False)).headline]
        heads = heads or [f for f in found
                          if re.fullmatch(r"(combined )?total( imports)?\b.*|all( forms)?", key(f.series))]
        if len(heads) != 1:
            raise DataError(f"{len(found)} import-source series for {material} "
                            f"({', '.join(f.series for f in found)}): mark the headline one in "
                            f"{crosswalk_file(SERIES)}", file=member.name, line=found[0].line,
                            field="Statistics_detail")
        out.append(heads[0])
    return out


def _period(member: Member, line: int, text: str) -> str:
    m = _PERIOD.fullmatch(clean(text))
    if not m:
        raise DataError(f"period {clean(text)!r} is not YYYY–YY", file=member.name, line=line,
                        field="Year")
    first, last = m.group(1), m.group(2)
    last = last if len(last) == 4 else first[:2] + last
    return f"{first}-{last}"
