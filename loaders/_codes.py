"""Code crosswalks shared by the trade and firm loaders: countries and HS codes.

Country codes differ by source (docs/loaders.md): Census uses 4-digit Schedule C codes, Comtrade and
BACI Comtrade area codes (mostly ISO numeric, with exceptions such as 842 = USA and 490 = "Other Asia,
nes"), GLEIF ISO alpha-2 and Wikidata ISO alpha-3 (P298). Everything is mapped to ISO 3166-1 alpha-3
here, through the cited tables in `loaders/_crosswalks/` and ISO 3166-1 itself (pycountry).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pycountry

from kg.errors import DataError

from ._common import crosswalk_file, read_crosswalk

_EXTRA_ISO3 = {"XKX"}   # user-assigned Kosovo code that public sources use; not in ISO 3166-1
_EXTRA_ISO2 = {"XK": "XKX"}


class UnknownCode(KeyError):
    """A country code the crosswalks do not know (the caller raises a DataError with the row)."""


def is_iso3(code: str) -> bool:
    return code in _EXTRA_ISO3 or pycountry.countries.get(alpha_3=code) is not None


def iso2_to_iso3(code: str) -> str | None:
    """ISO alpha-2 -> alpha-3 (the string 'NA' is Namibia, never 'missing')."""
    code = code.strip().upper()
    if code in _EXTRA_ISO2:
        return _EXTRA_ISO2[code]
    country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    return country.alpha_3 if country else None


@functools.lru_cache(maxsize=1)
def _census() -> dict[str, str]:
    name = "census_schedule_c.csv"
    out: dict[str, str] = {}
    for line, row in read_crosswalk(name):
        code, iso3 = row["cty_code"], row["iso3"]
        if not re.fullmatch(r"\d{4}", code) or not is_iso3(iso3):
            raise DataError("bad crosswalk row", file=crosswalk_file(name), line=line, field="iso3")
        out[code] = iso3
    return out


def census_country(code: str) -> str | None:
    """Schedule C code -> ISO3; None for totals and groupings; UnknownCode if not in Schedule C."""
    code = code.strip()
    if code in ("", "-") or code.startswith("0"):
        return None
    try:
        return _census()[code]
    except KeyError:
        raise UnknownCode(code) from None


@functools.lru_cache(maxsize=1)
def _comtrade() -> dict[str, str | None]:
    name = "comtrade_areas.csv"
    out: dict[str, str | None] = {}
    for line, row in read_crosswalk(name):
        iso3 = row["iso3"] or None
        if not row["code"].isdigit() or (iso3 is not None and not is_iso3(iso3)):
            raise DataError("bad crosswalk row", file=crosswalk_file(name), line=line, field="iso3")
        out[str(int(row["code"]))] = iso3
    return out


@functools.lru_cache(maxsize=4096)
def comtrade_country(code: str) -> str | None:
    """Comtrade/BACI area code -> ISO3; None for aggregates (World, 'nes', unions); UnknownCode."""
    code = code.strip()
    if not code.isdigit():
        raise UnknownCode(code)
    code = str(int(code))
    table = _comtrade()
    if code in table:
        return table[code]
    country = pycountry.countries.get(numeric=code.zfill(3))
    if country is None:
        raise UnknownCode(code)
    return country.alpha_3


@dataclass(frozen=True)
class HSItem:
    hs_code: str
    hs_version: str
    item_id: str
    shared: bool
    description: str


@functools.lru_cache(maxsize=1)
def hs_items() -> tuple[HSItem, ...]:
    """The HS codes the project tracks (loaders/_crosswalks/hs_materials.csv)."""
    name = "hs_materials.csv"
    out = []
    for line, row in read_crosswalk(name):
        code = row["hs_code"]
        if not re.fullmatch(r"\d{2}(?:\d{2}){0,4}", code):
            raise DataError(f"bad HS code {code!r}", file=crosswalk_file(name), line=line,
                            field="hs_code")
        out.append(HSItem(code, row["hs_version"], row["item_id"], row["shared"] == "yes",
                          row["description"]))
    return tuple(out)


def default_hs_codes(*, national: bool = False) -> tuple[str, ...]:
    """Distinct tracked codes, HS (≤ 6 digits) only unless `national` (US 10-digit lines too)."""
    codes = [i.hs_code for i in hs_items() if national or len(i.hs_code) <= 6]
    return tuple(dict.fromkeys(codes))


def normalise_hs(codes: str | Iterable[str]) -> tuple[str, ...]:
    """'2846, 8505.11' -> ('2846', '850511'); each must be 2-10 digits of even length."""
    items = codes.split(",") if isinstance(codes, str) else list(codes)
    out = []
    for item in items:
        code = re.sub(r"[.\s]", "", str(item))
        if not code:
            continue
        if not re.fullmatch(r"\d{2}(?:\d{2}){0,4}", code):
            raise ValueError(f"not an HS code: {item!r} (2, 4, 6, 8 or 10 digits)")
        out.append(code)
    return tuple(dict.fromkeys(out))
