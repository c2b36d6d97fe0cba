"""`mcs{YYYY}-{abbr}_salient.csv`: U.S. salient statistics, one wide file per commodity.

Columns are `DataSource,Commodity,Year,<variable>_<unit>…` (bauxite says `Source`). The unit is the
suffix after the last underscore (`_t`, `_kt`, `_dlb` …). Known slips: `NIR_ct` (nickel, germanium,
scandium, tungsten) and rare earths' `NIR_…_t` are percentages; `Employment_` has no unit; mica
repeats `USprod_Flake_t`. `read()` returns every cell typed; only net import reliance becomes a
graph fact, because the ontology has no property for U.S. imports, exports or consumption.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from kg.errors import DataError

from .._common import Member, clean
from . import crosswalk as cw
from .nir import NirFact, nir_cell
from .values import parse_cell

# Column suffix -> (unit as USGS means it, normalised unit, factor to it). None: not a quantity.
UNIT_CODES: dict[str, tuple[str, str | None, Decimal | None]] = {
    "t": ("metric tons", "t", Decimal(1)),
    "kt": ("thousand metric tons", "t", Decimal(1000)),
    "mmt": ("million metric tons", "t", Decimal(10) ** 6),
    "kg": ("kilograms", "t", Decimal("0.001")),
    "g": ("grams", "t", Decimal("0.000001")),
    "ct": ("carats", "carat", Decimal(1)),
    "mct": ("million carats", "carat", Decimal(10) ** 6),
    "mcm": ("million cubic meters", "m3", Decimal(10) ** 6),
    "pct": ("percent", None, None),
    "num": ("number", None, None),
    "index": ("index", None, None),
    "mdol": ("million dollars", "USD", Decimal(10) ** 6),
    "dt": ("dollars per metric ton", None, None),
    "dst": ("dollars per short ton", None, None),
    "dlb": ("dollars per pound", None, None),
    "ctslb": ("cents per pound", None, None),
    "dkg": ("dollars per kilogram", None, None),
    "dg": ("dollars per gram", None, None),
    "dtoz": ("dollars per troy ounce", None, None),
    "dto": ("dollars per troy ounce", None, None),
    "df": ("dollars per flask", None, None),
    "msqft": ("million square feet", None, None),
}


@dataclass(frozen=True)
class SalientValue:
    """One typed cell of a salient file, in the source's own vocabulary."""

    file: str
    line: int
    commodity: str
    year: int
    column: str
    variable: str
    unit: str | None             # as USGS means it ("thousand metric tons"), None if no suffix
    normalised_unit: str | None  # t, carat, m3, USD where the unit allows
    value: Decimal | None        # in the printed unit
    qualifier: str | None
    text: str

    @property
    def normalised(self) -> Decimal | None:
        factor = UNIT_CODES.get(self.unit_code or "", (None, None, None))[2]
        return None if self.value is None or factor is None else self.value * factor

    @property
    def unit_code(self) -> str | None:
        return split_column(self.column)[1]

    @property
    def is_nir(self) -> bool:
        return is_nir(self.column)


def is_salient(header: list[str]) -> bool:
    first = [clean(h).lower() for h in header[:3]]
    return len(first) == 3 and first[0] in ("datasource", "source") and first[1:] == ["commodity", "year"]


def is_nir(column: str) -> bool:
    return "NIR" in column


def split_column(column: str) -> tuple[str, str | None]:
    """`Imports_Metal_kg` -> (`Imports_Metal`, `kg`); `Employment_` -> (`Employment`, None)."""
    m = re.fullmatch(r"(.+?)_([A-Za-z]+)", clean(column))
    if m and m.group(2).lower() in UNIT_CODES:
        return m.group(1), m.group(2).lower()
    return clean(column).rstrip("_"), None


def read(member: Member) -> Iterator[SalientValue]:
    rows = member.rows()
    try:
        _, header = next(rows)
    except StopIteration:
        raise DataError("empty file", file=member.name) from None
    if not is_salient(header):
        raise DataError("expected the columns DataSource,Commodity,Year,…: not a salient file",
                        file=member.name, line=1, field=clean(header[0]) if header else None)
    for line, row in rows:
        if not any(c.strip() for c in row):
            continue    # bauxite ends with rows of bare commas
        year_text = clean(row[2]) if len(row) > 2 else ""
        if not re.fullmatch(r"\d{4}", year_text):
            raise DataError(f"year {year_text!r} is not a year", file=member.name, line=line,
                            field="Year")
        for column, text in zip(header[3:], row[3:], strict=False):
            if not clean(column):
                continue    # a trailing comma in the header names no column
            variable, code = split_column(column)
            unit: str | None
            norm: str | None
            if is_nir(column):
                # NIR is a percentage whatever the suffix says (NIR_ct, NIR_..._t are slips).
                cell = nir_cell(text, file=member.name, line=line, field=clean(column))
                unit, norm = "percent", None
            else:
                # Other columns carry free text USGS uses in prices ("Variable, depending on type
                # of product", "500–17,000"): kept as text, never an error or a number.
                cell = parse_cell(text, file=member.name, line=line, field=clean(column), strict=False)
                unit, norm = (UNIT_CODES[code][0], UNIT_CODES[code][1]) if code else (None, None)
            yield SalientValue(member.name, line, clean(row[1]), int(year_text), clean(column),
                               variable, unit, norm, cell.value, cell.qualifier, cell.text)


def nir_facts(member: Member, source_id: str) -> list[NirFact]:
    values = [v for v in read(member) if v.is_nir]
    if not values:
        return []
    columns = list(dict.fromkeys(v.column for v in values))
    out = []
    for v in values:
        commodity = cw.material(v.commodity, file=member.name, line=v.line, field="Commodity")
        if commodity is None:
            continue
        material = commodity if len(columns) == 1 else cw.nir_material(
            commodity, v.column, file=member.name, line=v.line)
        if material is None or (v.value is None and v.qualifier is None):
            continue
        out.append(NirFact(material, v.year, v.value, v.qualifier, (), "salient", source_id,
                           member.name, v.line))
    return out
