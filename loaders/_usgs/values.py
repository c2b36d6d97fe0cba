"""Cells and units of the USGS MCS tables.

Every numeric cell becomes a `Cell(value, qualifier)`. USGS writes withheld data as `W`, missing
as `NA`, net exporters as `E`, not applicable as `XX`, bounds as `>95` or `<25`, qualitative
reserves as `Large`, and tiny values as "Less than 1/2 unit". None of these may become 0: the
qualifier is kept and the value is the bound (for `>`/`<`) or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from kg.errors import DataError

from .._common import clean

WORDS = {"W": "W", "NA": "NA", "E": "E", "XX": "XX", "LARGE": "Large"}


@dataclass(frozen=True)
class Cell:
    value: Decimal | None
    qualifier: str | None = None
    text: str = ""

    @property
    def empty(self) -> bool:
        return self.value is None and self.qualifier is None


_NUMBER = re.compile(r"[-\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?")
_HALF_UNIT = re.compile(r"less than (?:1/2|\u00bd) unit\.?", re.I)
_LESS_THAN = re.compile(r"less than ([\d,.]+)\b.*", re.I)


def number(text: str) -> Decimal | None:
    """A plain number: thousands commas and the Unicode minus (U+2212) allowed; else None."""
    t = text.strip()
    if not t or not _NUMBER.fullmatch(t) or not any(c.isdigit() for c in t):
        return None
    try:
        return Decimal(t.replace(",", "").replace("\u2212", "-"))
    except InvalidOperation:
        return None


def parse_cell(text: str | None, *, file: str, line: int, field: str, strict: bool = True) -> Cell:
    """Read one cell. `strict` raises on anything else; otherwise such text is kept, value None."""
    t = clean(text)
    if not t:
        return Cell(None, None, t)
    if t.upper() in WORDS:
        return Cell(None, WORDS[t.upper()], t)
    bound = re.fullmatch(r"([<>])\s*(.+)", t)
    if bound and number(bound.group(2)) is not None:
        return Cell(number(bound.group(2)), bound.group(1), t)
    if _HALF_UNIT.fullmatch(t):
        return Cell(Decimal("0.5"), "<", t)
    less = _LESS_THAN.fullmatch(t)
    if less and number(less.group(1)) is not None:
        return Cell(number(less.group(1)), "<", t)
    value = number(t)
    if value is not None:
        return Cell(value, None, t)
    if strict:
        raise DataError(f"cannot read {t!r} as a number or a USGS code (W, NA, E, XX, >n, <n)",
                        file=file, line=line, field=field)
    return Cell(None, None, t)


# Printed unit -> (normalised unit, factor). Masses go to metric tons (docs/ontology.md, units).
UNITS: dict[str, tuple[str, Decimal]] = {
    "metric tons": ("t", Decimal(1)),
    "metric dry tons": ("t", Decimal(1)),
    "thousand metric tons": ("t", Decimal(1000)),
    "thousand metric dry tons": ("t", Decimal(1000)),
    "million metric tons": ("t", Decimal(10) ** 6),
    "kilograms": ("t", Decimal("0.001")),
    "carats": ("carat", Decimal(1)),
    "thousand carats": ("carat", Decimal(1000)),
    "thousands of carats": ("carat", Decimal(1000)),
    "million carats": ("carat", Decimal(10) ** 6),
    "cubic meters": ("m3", Decimal(1)),
    "million cubic meters": ("m3", Decimal(10) ** 6),
}


def unit_of(printed: str, *, file: str, line: int, field: str) -> tuple[str, Decimal]:
    try:
        return UNITS[clean(printed).lower()]
    except KeyError:
        raise DataError(f"unknown unit {clean(printed)!r}; known: {', '.join(UNITS)}",
                        file=file, line=line, field=field) from None


def to_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
