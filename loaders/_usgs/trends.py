"""MCS industry-trend tables: Fig2 (net import reliance with ranked import sources) and T5
(critical minerals: NIR, primary import source, leading producer and its world share).

Fig2 `Commodity` is upper case with a form suffix (`"GALLIUM, metal"`); its import sources are one
quoted, comma-separated list in descending share order without percentages, with trailing spaces
and footnote digits (`China3`). T5 names have leading spaces (`" Republic of Korea"`), `Year` is
`2024_estimated`, quantities are metric tons and the share column is spelt `…_precent_world`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from kg.errors import DataError

from .._common import Member, clean
from . import crosswalk as cw
from .nir import NirFact, fold_sources, nir_cell
from .values import parse_cell


def is_fig2(header: list[str]) -> bool:
    names = [clean(h) for h in header]
    return "Commodity" in names and any(n.startswith("Major_Import_Sources") for n in names) \
        and any(n.startswith("Net_Import_Reliance_pct") for n in names)


def is_t5(header: list[str]) -> bool:
    names = {clean(h) for h in header}
    return {"Critical_mineral", "Leading_source_country", "Net_Import_Reliance"} <= names


@dataclass(frozen=True)
class LeadFact:
    """T5's leading producer of a critical mineral."""

    material: str
    year: int
    iso3: str
    quantity: Decimal | None     # metric tons
    share: Decimal | None        # fraction of world production
    world: Decimal | None
    qualifier: str | None
    file: str
    line: int


def _rows(member: Member) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    it = member.rows()
    try:
        _, header = next(it)
    except StopIteration:
        raise DataError("empty file", file=member.name) from None
    names = [clean(h) for h in header]
    rows = [(line, dict(zip(names, row, strict=False))) for line, row in it if any(c.strip() for c in row)]
    return names, rows


def _countries(text: str, *, file: str, line: int, field: str) -> tuple[str, ...]:
    codes = []
    for part in text.split(","):
        if clean(part):
            p = cw.place(part, file=file, line=line, field=field)
            if p.iso3 is None:
                raise DataError(f"{p.label!r} is not a country", file=file, line=line, field=field)
            codes.append(p.iso3)
    return fold_sources(codes)


def fig2(member: Member, source_id: str) -> list[NirFact]:
    names, rows = _rows(member)
    nir_col = next(n for n in names if n.startswith("Net_Import_Reliance_pct"))
    src_col = next(n for n in names if n.startswith("Major_Import_Sources"))
    year = re.search(r"(\d{4})$", nir_col)
    if not year:
        raise DataError("no year in the net-import-reliance column name", file=member.name, line=1,
                        field=nir_col)
    span = re.search(r"(\d{4})_(\d{4})$", src_col)    # Major_Import_Sources_2020_2023
    period = f"{span.group(1)}-{span.group(2)}" if span else None
    out = []
    for line, row in rows:
        material = cw.material(row.get("Commodity", ""), file=member.name, line=line,
                               field="Commodity", forms=True)
        if material is None:
            continue
        cell = nir_cell(row.get(nir_col, ""), file=member.name, line=line, field=nir_col)
        sources = _countries(row.get(src_col, ""), file=member.name, line=line, field=src_col)
        form = clean(row["Commodity"]).split(",", 1)[1].strip() if "," in row["Commodity"] else None
        if cell.value is None and cell.qualifier is None:
            continue
        out.append(NirFact(material, int(year.group(1)), cell.value, cell.qualifier, sources,
                           "fig2", source_id, member.name, line, form, period=period))
    return out


def t5(member: Member, source_id: str) -> tuple[list[NirFact], list[LeadFact]]:
    _, rows = _rows(member)
    nirs, leads = [], []
    for line, row in rows:
        material = cw.material(row.get("Critical_mineral", ""), file=member.name, line=line,
                               field="Critical_mineral")
        if material is None:
            continue
        year = re.match(r"(\d{4})", clean(row.get("Year", "")))
        if not year:
            raise DataError(f"year {clean(row.get('Year', ''))!r} is not a year", file=member.name,
                            line=line, field="Year")
        y = int(year.group(1))
        cell = nir_cell(row.get("Net_Import_Reliance", ""), file=member.name, line=line,
                        field="Net_Import_Reliance")
        primary = _countries(row.get("Primary_import_source", ""), file=member.name, line=line,
                             field="Primary_import_source")
        if cell.value is not None or cell.qualifier is not None:
            nirs.append(NirFact(material, y, cell.value, cell.qualifier, primary, "t5", source_id,
                                member.name, line))
        leader = clean(row.get("Leading_source_country", ""))
        if leader:
            p = cw.place(leader, file=member.name, line=line, field="Leading_source_country")
            prod = parse_cell(row.get("Leading_country_prod"), file=member.name, line=line,
                              field="Leading_country_prod")
            pct = parse_cell(row.get("Leading_source_precent_world"), file=member.name, line=line,
                             field="Leading_source_precent_world")
            world = parse_cell(row.get("World_total_prod"), file=member.name, line=line,
                               field="World_total_prod")
            if p.iso3:
                leads.append(LeadFact(material, y, p.iso3, prod.value,
                                      None if pct.value is None else pct.value / 100, world.value,
                                      prod.qualifier, member.name, line))
    return nirs, leads
