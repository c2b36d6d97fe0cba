"""`MCS{YYYY}_World_Data.csv`: world production by country and stage, and reserves.

One row is (commodity, country, TYPE) with production for two years, capacity, and reserves. The
TYPE gives the stage, the Material and what the figure is measured as (usgs_world_types.csv). Rows named `World total…`
are the denominators of shares; `Other countries` and joint rows are never country facts. Capacity
columns are not read: the ontology has no capacity property yet.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kg.errors import DataError

from .._common import Member, clean, key
from . import crosswalk as cw
from .values import Cell, parse_cell, to_float, unit_of

YEAR_COLUMN = re.compile(r"^(PROD|CAP|RESERVES)(_EST)?_\s*(\d{4})$")
REQUIRED = ("COMMODITY", "COUNTRY", "TYPE", "UNIT_MEAS")
# Country figures may exceed a rounded world total (MCS 2025: by up to 4.5%, magnesium 2024); the
# pipeline accepts shares summing to 1.05. Beyond that the total is wrong (MCS 2025 prints the 2024
# kaolin total as 4,400 for 44,000): neither the total nor shares are given, the note says why.
ROUNDING_TOLERANCE = Decimal("1.05")
QUALITATIVE_RESERVES = ("small", "very small", "moderate", "moderate to large")


def is_world_data(header: list[str]) -> bool:
    names = {clean(h).upper() for h in header}
    return all(c in names for c in REQUIRED)


@dataclass
class Row:
    line: int
    material: str
    type_key: str
    type_text: str
    info: cw.TypeInfo
    place: cw.Place
    printed_unit: str
    prod: dict[int, Cell]
    estimated_years: set[int]
    prod_notes: str
    reserves: tuple[int, Cell] | None
    reserve_notes: str
    unit_note: str | None = None    # set when the crosswalk corrects a wrongly printed unit
    capacity: bool = False          # a plant-capacity row (MCS 2026): PRODUCES basis "capacity"
    unit_field: str = "UNIT_MEAS"   # the column the unit is in (MCS 2026: "Unit")


@dataclass
class WorldResult:
    produces: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    reserves: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def parse(member: Member) -> WorldResult:
    return facts(member, _read(member))


def facts(member: Member, rows: list[Row]) -> WorldResult:
    """Production, capacity and reserve facts of one edition's rows, with shares of the world totals."""
    _resolve_units(member, rows)
    out = WorldResult()
    out.stats["rows"] = len(rows)
    out.stats["country_rows"] = sum(1 for r in rows if r.place.iso3)
    out.stats["aggregate_rows"] = sum(1 for r in rows if r.place.aggregate)
    totals = _world_totals(member, rows, out.stats)
    out.produces = _produces(member, rows, totals)
    out.reserves = _reserves(member, rows)
    out.stats["qualified_produces"] = sum(1 for _, f in out.produces if f.get("qualifier"))
    out.stats["qualified_reserves"] = sum(1 for _, f in out.reserves if f.get("qualifier"))
    return out


def _read(member: Member) -> list[Row]:
    rows: list[Row] = []
    it = member.rows()
    try:
        _, header = next(it)
    except StopIteration:
        raise DataError("empty file", file=member.name) from None
    cols = {clean(h).upper(): i for i, h in enumerate(header)}
    years: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
    for i, h in enumerate(header):
        m = YEAR_COLUMN.match(clean(h).upper())
        if m:
            years[m.group(1)].append((i, int(m.group(3)), bool(m.group(2))))
    for name in REQUIRED:
        if name not in cols:
            raise DataError(f"missing column {name}: not an MCS World Data file",
                            file=member.name, line=1, field=name)
    if not years["PROD"]:
        raise DataError("no PROD_<year> columns", file=member.name, line=1, field="PROD_<year>")

    def get(row: list[str], name: str) -> str:
        i = cols.get(name)
        return row[i] if i is not None and i < len(row) else ""

    for line, row in it:
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise DataError(f"{len(row)} fields, the header has {len(header)}", file=member.name,
                            line=line)
        material = cw.material(get(row, "COMMODITY"), file=member.name, line=line, field="COMMODITY")
        if material is None:
            continue
        type_text = clean(get(row, "TYPE"))
        info = cw.type_info(material, type_text, file=member.name, line=line, field="TYPE")
        place = cw.place(get(row, "COUNTRY"), file=member.name, line=line, field="COUNTRY")
        prod = {year: parse_cell(row[i], file=member.name, line=line, field=clean(header[i]))
                for i, year, _ in years["PROD"]}
        reserves = None
        if years["RESERVES"]:
            i, year, _ = years["RESERVES"][-1]
            reserves = (year, parse_cell(row[i], file=member.name, line=line, field=clean(header[i])))
        notes = clean(get(row, "PROD_NOTES"))
        estimated = {y for _, y, est in years["PROD"] if est}
        if "estimated" in key(type_text) or re.search(r"\bestimated\b", key(notes)):
            estimated = set(prod)
        printed = clean(get(row, "UNIT_MEAS"))
        unit_note = None
        if info.source_unit and key(info.source_unit) != key(printed):
            unit_note = (f"UNIT_MEAS reads {printed or '(empty)'!r}, read as {info.source_unit!r} "
                         f"(see loaders/_crosswalks/{cw.TYPES})")
        rows.append(Row(line, material, key(type_text), type_text, info, place,
                        info.source_unit or printed, prod, estimated, notes,
                        reserves, clean(get(row, "RESERVE_NOTES")), unit_note))
    return rows


def _resolve_units(member: Member, rows: list[Row]) -> None:
    """A row with an empty UNIT_MEAS takes the unit of its commodity and TYPE (MCS 2025: one rutile row)."""
    known: dict[tuple[str, str], str] = {}
    for r in rows:
        if r.printed_unit:
            known.setdefault((r.material, r.type_key), r.printed_unit)
    for r in rows:
        if not r.printed_unit:
            if (r.material, r.type_key) not in known:
                raise DataError("empty unit and no other row of this commodity and TYPE has one",
                                file=member.name, line=r.line, field="UNIT_MEAS")
            r.printed_unit = known[(r.material, r.type_key)]


def _target(r: Row) -> str:
    return r.info.material or r.material


def _world_totals(member: Member, rows: list[Row], stats: dict[str, int]
                  ) -> dict[tuple[str, str, int, bool], Decimal]:
    totals: dict[tuple[str, str, int, bool], Decimal] = {}
    for r in rows:
        if r.place.aggregate != "world" or r.info.stage is None:
            continue
        _unit, factor = unit_of(r.printed_unit, file=member.name, line=r.line, field=r.unit_field)
        used = False
        for year, cell in r.prod.items():
            if cell.value is None or cell.qualifier:
                continue
            k = (_target(r), r.info.stage, year, r.capacity)
            if k in totals:
                raise DataError(f"a second world total for {k[0]} ({k[1]}, {year})",
                                file=member.name, line=r.line, field="COUNTRY")
            totals[k] = cell.value * factor
            used = True
        stats["world_total_rows_used"] += used
    return totals


def _note_cell(notes: str, year: int) -> Cell:
    """A qualifier USGS put in PROD_NOTES for an empty cell: `W for 23-24`, `NA`, `na for 2023`, `xx`."""
    k = key(notes)
    m = re.match(r"(w|na|xx)\b(?:\s+for\s+(\d{2,4})(?:\s*-\s*(\d{2,4}))?)?", k)
    if m:
        if m.group(2):
            first = _year(m.group(2))
            last = _year(m.group(3)) if m.group(3) else first
            if not first <= year <= last:
                return Cell(None)
        return Cell(None, {"w": "W", "na": "NA", "xx": "XX"}[m.group(1)], notes)
    parsed = parse_cell(notes, file="", line=0, field="", strict=False)
    return parsed if parsed.qualifier == "<" else Cell(None)


def _year(text: str) -> int:
    return int(text) if len(text) == 4 else 2000 + int(text)


def _produces(member: Member, rows: list[Row], totals: dict[tuple[str, str, int, bool], Decimal]
              ) -> list[tuple[int, dict[str, Any]]]:
    facts: dict[tuple[str, str, str, int, bool], dict[str, Any]] = {}
    for r in rows:
        if r.place.iso3 is None or r.info.stage is None:
            continue
        unit, factor = unit_of(r.printed_unit, file=member.name, line=r.line, field=r.unit_field)
        for year, cell in r.prod.items():
            if cell.empty:
                cell = _note_cell(r.prod_notes, year)
                if cell.empty:
                    continue        # an empty cell is "no data" (FGDC metadata), not a fact
            k = (r.place.iso3, _target(r), r.info.stage, year, r.capacity)
            quantity = None if cell.value is None else cell.value * factor
            if k in facts:
                _merge(member, r, facts[k], quantity, _notes(r, r.prod_notes))
                continue
            facts[k] = {
                "type": "PRODUCES", "from": f"country:{r.place.iso3}", "to": _target(r),
                "stage": r.info.stage, "year": year, "_quantity": quantity, "unit": unit,
                "source_unit": r.printed_unit, "measured_as": r.info.basis,
                "basis": "capacity" if r.capacity else "output",
                "estimated": year in r.estimated_years, "qualifier": cell.qualifier,
                "_type_key": r.type_key, "_line": r.line,
                "notes": _notes(r, r.prod_notes),
            }
    _shares(facts, totals)
    return [(f.pop("_line"), _finish(f)) for f in facts.values()]


def _merge(member: Member, r: Row, fact: dict[str, Any], quantity: Decimal | None,
           notes: str | None) -> None:
    """Two rows for one country, Material, stage and year: sum them if they are parts of one TYPE
    (MCS 2025 helium: 'United States (extracted from natural gas)' + '(from Cliffside Field)')."""
    if fact["_type_key"] != r.type_key:
        raise DataError(f"TYPE {r.type_text!r} maps to the same Material and stage as line "
                        f"{fact['_line']}; give one of them its own Material in "
                        f"loaders/_crosswalks/{cw.TYPES}", file=member.name, line=r.line, field="TYPE")
    if quantity is not None:
        fact["_quantity"] = quantity + (fact["_quantity"] or 0)
        fact["qualifier"] = None if fact["qualifier"] in ("W", "NA") else fact["qualifier"]
    fact["notes"] = "; ".join(p for p in (fact["notes"], notes) if p) or None


def _notes(r: Row, notes: str | None) -> str | None:
    parts = [f"USGS row: {r.place.label}"] if r.place.detail else []
    if r.unit_note:
        parts.append(r.unit_note)
    if notes:
        parts.append(notes)
    return "; ".join(parts) or None


def _shares(facts: dict[tuple[str, str, str, int, bool], dict[str, Any]],
            totals: dict[tuple[str, str, int, bool], Decimal]) -> None:
    sums: dict[tuple[str, str, int, bool], Decimal] = defaultdict(Decimal)
    for (_, material, stage, year, capacity), f in facts.items():
        if f["_quantity"] is not None and f["qualifier"] is None:
            sums[(material, stage, year, capacity)] += f["_quantity"]
    for (_, material, stage, year, capacity), f in facts.items():
        group = (material, stage, year, capacity)
        world = totals.get(group)
        if world is None or world <= 0:
            continue
        if sums[group] > world * ROUNDING_TOLERANCE:
            printed = world / _factor(f["source_unit"])
            f["notes"] = "; ".join(p for p in (f["notes"], (
                f"the USGS world total ({printed.normalize():f} {f['source_unit']}) is less than the "
                f"sum of the country figures, so no world total or share is given")) if p)
            continue
        f["world_quantity"] = to_float(world)
        q = f["_quantity"]
        if q is not None and f["qualifier"] is None:
            f["share"] = min(float(q / world), 1.0)


def _factor(printed_unit: str) -> Decimal:
    return unit_of(printed_unit, file="", line=0, field="")[1]


def _finish(f: dict[str, Any]) -> dict[str, Any]:
    f["quantity"] = to_float(f.pop("_quantity"))
    f.pop("_type_key")
    return {k: v for k, v in f.items() if v is not None}


def _reserves(member: Member, rows: list[Row]) -> list[tuple[int, dict[str, Any]]]:
    units = _reserve_units(rows)
    facts: dict[tuple[str, str, int], dict[str, Any]] = {}
    for r in rows:
        if r.place.iso3 is None or r.reserves is None or r.info.reserves_material == "-":
            continue
        year, cell = r.reserves
        notes = r.reserve_notes or None
        qualitative = None
        if cell.empty:
            k = key(r.reserve_notes)
            if re.match(r"na\b", k):     # "NA", "NA  ", "NA (Reserve data is thousand metric tons)."
                cell = Cell(None, "NA")
            elif k in ("large", "xx"):
                cell = Cell(None, {"large": "Large", "xx": "XX"}[k])
            elif k in QUALITATIVE_RESERVES:
                qualitative = r.reserve_notes   # no code for it in the ontology: kept as the note
            else:
                continue
        target = r.info.reserves_material or _target(r)
        printed = units.get((r.material, r.type_key)) or r.printed_unit
        unit, factor = unit_of(printed, file=member.name, line=r.line, field="RESERVE_NOTES")
        quantity = None if cell.value is None else cell.value * factor
        k3 = (r.place.iso3, target, year)
        if k3 in facts:
            _merge(member, r, facts[k3], quantity, _notes(r, _reserve_text(notes)))
            continue
        facts[k3] = {
            "type": "HOLDS_RESERVES", "from": f"country:{r.place.iso3}", "to": target,
            "year": year, "_quantity": quantity, "unit": unit, "source_unit": printed,
            "measured_as": r.info.reserves_basis or r.info.basis, "qualifier": cell.qualifier,
            "notes": _notes(r, f"reserves: {qualitative}" if qualitative else _reserve_text(notes)),
            "_type_key": r.type_key, "_line": r.line,
        }
    return [(f.pop("_line"), _finish(f)) for f in facts.values()]


def _reserve_text(notes: str | None) -> str | None:
    """RESERVE_NOTES worth keeping: not a bare code the qualifier already carries."""
    return notes if notes and not re.fullmatch(r"na|large|xx", key(notes)) else None


def _reserve_units(rows: list[Row]) -> dict[tuple[str, str], str]:
    """Reserve unit per commodity and TYPE: the table's override, else a unit named in any
    RESERVE_NOTES of the group (USGS writes it once, sometimes only on the world-total row)."""
    out: dict[tuple[str, str], str] = {}
    for r in rows:
        k = (r.material, r.type_key)
        if r.info.reserves_unit:
            out[k] = r.info.reserves_unit
            continue
        m = re.search(r"\b(thousand|million) metric tons\b", key(r.reserve_notes))
        if m and k not in out:
            out[k] = f"{m.group(1)} metric tons"
    return out
