"""The cited crosswalks USGS names go through: countries, commodities, World Data TYPEs, NIR columns.

The tables live in `loaders/_crosswalks/` with their citations; this module only reads them and
applies the matching rules the table headers describe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from kg.errors import DataError

from .._common import clean, crosswalk_file, key, read_crosswalk

COUNTRIES = "usgs_countries.csv"
COMMODITIES = "usgs_commodities.csv"
TYPES = "usgs_world_types.csv"
NIR_COLUMNS = "usgs_salient_nir.csv"


@dataclass(frozen=True)
class Place:
    """A USGS COUNTRY cell: a country (iso3) or an aggregate row (world/other/joint/combined)."""

    iso3: str | None
    aggregate: str | None
    label: str            # the name as printed, cleaned
    detail: str | None    # a dropped parenthetical such as "beneficiated", kept for notes


@dataclass(frozen=True)
class MaterialInfo:
    id: str
    name: str
    kind: str | None
    symbol: str | None
    stage: str | None


@dataclass(frozen=True)
class TypeInfo:
    stage: str | None            # None: not production (capacity, reserve-only rows)
    material: str | None         # None: the commodity's material
    reserves_material: str | None  # "-" (not a reserve), None (same as material) or an id
    basis: str | None
    source_unit: str | None
    reserves_unit: str | None
    reserves_basis: str | None


@lru_cache(maxsize=1)
def _countries() -> dict[str, tuple[str | None, str | None]]:
    return {key(r["usgs_name"]): (r["iso3"] or None, r["aggregate"] or None)
            for _, r in read_crosswalk(COUNTRIES)}


def place(name: str, *, file: str, line: int, field: str) -> Place:
    """Map a USGS country name; an unknown name is an error, never a silent drop."""
    label = clean(name)
    table = _countries()
    if key(label) in table:
        return Place(*table[key(label)], label=label, detail=None)
    paren = re.fullmatch(r"(.+?)\s*\((.+)\)", label)
    if paren and key(paren.group(1)) in table:
        return Place(*table[key(paren.group(1))], label=label, detail=paren.group(2))
    footnote = re.fullmatch(r"(.*?\D)\s*\d+", label)   # "China3": a footnote digit leaked in
    if footnote and key(footnote.group(1)) in table:
        return Place(*table[key(footnote.group(1))], label=label, detail=None)
    # Aggregates follow a pattern USGS keeps across editions; the table lists the known spellings.
    if re.match(r"world total\b", key(label)):
        return Place(None, "world", label, None)
    if re.match(r"other countries\b", key(label)):
        return Place(None, "other", label, None)
    raise DataError(f"unknown USGS country name {label!r}: add it to {crosswalk_file(COUNTRIES)}",
                    file=file, line=line, field=field)


@lru_cache(maxsize=1)
def _commodities() -> tuple[dict[str, str], dict[str, MaterialInfo]]:
    names: dict[str, str] = {}
    materials: dict[str, MaterialInfo] = {}
    for n, r in read_crosswalk(COMMODITIES):
        names[key(r["usgs_name"])] = r["material_id"]
        if r["name"]:
            if r["material_id"] in materials:
                raise DataError(f"{r['material_id']} is defined twice", file=crosswalk_file(COMMODITIES),
                                line=n, field="name")
            materials[r["material_id"]] = MaterialInfo(r["material_id"], r["name"], r["kind"] or None,
                                                       r["symbol"] or None, r["stage"] or None)
    return names, materials


def material(name: str, *, file: str, line: int, field: str, forms: bool = False) -> str | None:
    """Material id of a USGS commodity name ("" or None: deliberately unmapped).

    With `forms`, a Fig2-style "BASE, form" name falls back to BASE when the full name is unknown.
    """
    names, _ = _commodities()
    k = key(name)
    if k in names:
        return names[k] or None
    if forms and "," in k and key(k.split(",", 1)[0]) in names:
        return names[key(k.split(",", 1)[0])] or None
    raise DataError(f"unknown USGS commodity {clean(name)!r}: add it to {crosswalk_file(COMMODITIES)}",
                    file=file, line=line, field=field)


def material_info(material_id: str) -> MaterialInfo:
    return _commodities()[1][material_id]


def all_materials() -> dict[str, MaterialInfo]:
    return dict(_commodities()[1])


@lru_cache(maxsize=1)
def _types() -> dict[tuple[str, str], TypeInfo]:
    out: dict[tuple[str, str], TypeInfo] = {}
    for n, r in read_crosswalk(TYPES):
        commodity = material(r["commodity"], file=crosswalk_file(TYPES), line=n, field="commodity")
        stage = None if r["stage"] == "-" else r["stage"]
        out[(commodity or "", key(r["type"]))] = TypeInfo(
            stage=stage, material=r["material_id"] or None,
            reserves_material=r["reserves_material_id"] or None, basis=r["basis"] or None,
            source_unit=r["source_unit"] or None, reserves_unit=r["reserves_unit"] or None,
            reserves_basis=r["reserves_basis"] or None)
    return out


def type_info(commodity_material: str, type_text: str, *, file: str, line: int,
              field: str) -> TypeInfo:
    """The table's entry, else keyword rules so a new edition's TYPE still gets a stage."""
    found = _types().get((commodity_material, key(type_text)))
    if found is not None:
        return found
    k = key(type_text)
    if "capacity" in k or k.startswith("reserves"):
        stage = None
    elif re.search(r"\bmine\b|\bmining\b", k):
        stage = "mining"
    elif re.search(r"refin|smelt|primary|plant production|sponge", k):
        stage = "refining"
    elif "production" in k:
        stage = "mining"
    else:
        raise DataError(f"cannot tell the supply stage of TYPE {clean(type_text)!r}: add it to "
                        f"{crosswalk_file(TYPES)}", file=file, line=line, field=field)
    # The basis is what follows the stage words: "Mine production, lithium content" -> "lithium content".
    rest = re.sub(r"^[^,]*production,?\s*", "", clean(type_text), flags=re.I)
    rest = re.sub(r",?\s*estimated\.?$", "", rest, flags=re.I).strip(" ,.")
    return TypeInfo(stage=stage, material=None, reserves_material=None if stage else "-",
                    basis=rest or None, source_unit=None, reserves_unit=None, reserves_basis=None)


@lru_cache(maxsize=1)
def _nir_columns() -> dict[tuple[str, str], str | None]:
    out = {}
    for n, r in read_crosswalk(NIR_COLUMNS):
        commodity = material(r["commodity"], file=crosswalk_file(NIR_COLUMNS), line=n, field="commodity")
        out[(commodity or "", key(r["column"]))] = r["material_id"] or None
    return out


def nir_material(commodity_material: str, column: str, *, file: str, line: int) -> str | None:
    table = _nir_columns()
    k = (commodity_material, key(column))
    if k not in table:
        raise DataError(f"net-import-reliance column {column!r} of a file with several NIR columns "
                        f"is not mapped: add it to {crosswalk_file(NIR_COLUMNS)}",
                        file=file, line=line, field=column)
    return table[k]
