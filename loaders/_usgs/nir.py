"""U.S. net import reliance facts, gathered from three USGS tables and merged into one edge each.

The salient-statistics file of a commodity gives NIR for five years; Fig2 gives the latest year with
the ranked import sources; T5 gives the latest year with the primary source. One
`IMPORT_RELIANCE` (country:USA -> Material, year) is built per Material and year: the value from the
commodity's own salient file when present (else Fig2, else T5), the sources from Fig2 (else T5),
and every contributing table cited. A disagreement between tables is kept in `notes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .values import Cell, parse_cell

PRIORITY = {"salient": 0, "fig2": 1, "t5": 2}


@dataclass(frozen=True)
class NirFact:
    material: str
    year: int
    value: Decimal | None        # fraction 0-1 (the bound for > and <)
    qualifier: str | None
    sources: tuple[str, ...]     # ranked ISO3 codes, Hong Kong folded into China
    table: str                   # salient | fig2 | t5
    source_id: str
    file: str
    line: int
    form: str | None = None      # e.g. "compounds and metals"
    edition: int = 0             # MCS edition: a newer edition's revised figure wins
    headline: bool = True        # the material's headline sub-series (usgs_mcs_series.csv)
    period: str | None = None    # the years `sources` cover ("2020-2023"), when the table says


def nir_cell(text: str, *, file: str, line: int, field: str) -> Cell:
    """An NIR cell in percent (`76`, `>95`, `E`, `Less than 1/2 unit.`) as a fraction."""
    cell = parse_cell(text, file=file, line=line, field=field)
    if cell.value is None:
        return cell
    return Cell(cell.value / 100, cell.qualifier, cell.text)


def fold_sources(codes: list[str]) -> tuple[str, ...]:
    """USGS counts imports from Hong Kong with China (Fig2/T5 notes): fold, keep rank order."""
    out: list[str] = []
    for code in codes:
        code = "CHN" if code == "HKG" else code
        if code not in out:
            out.append(code)
    return tuple(out)


def merge(facts: list[NirFact], imports: Sequence[tuple[int, str, Any]] = ()
          ) -> list[tuple[str, int, dict[str, Any]]]:
    """One record dict per (material, year), with (file, line) of the fact that gave the value.

    `imports` are (edition, source id, `commodities.ImportShares`): the ranked import sources with
    their shares and remainder, attached to the latest year of the same edition's figures.
    """
    groups: dict[tuple[str, int], list[NirFact]] = {}
    for f in facts:
        groups.setdefault((f.material, f.year), []).append(f)
    shares_at: dict[tuple[str, int], tuple[str, Any]] = {}
    for edition, sid, shares in sorted(imports, key=lambda x: x[0]):
        years = [y for (m, y), g in groups.items() if m == shares.material
                 and any(f.edition == edition for f in g)]
        if years:
            shares_at[(shares.material, max(years))] = (sid, shares)
    out = []
    for (material, year), group in sorted(groups.items()):
        group.sort(key=lambda f: (not f.headline, PRIORITY[f.table], -f.edition))
        chosen = group[0]
        ranked = next((f.sources for f in sorted(group, key=lambda f: (-f.edition, -len(f.sources)))
                       if f.sources), ())
        notes = []
        period = next((f.period for f in group if f.sources == ranked and ranked), None)
        for other in group[1:]:
            if other.form and other.form != chosen.form and other.edition == chosen.edition:
                notes.append(f"USGS also gives {other.form.lower()}: {_show(other)}")
            elif other.table != chosen.table and (other.value, other.qualifier) != (chosen.value, chosen.qualifier):
                notes.append(f"{other.table} gives {_show(other)}")
        record: dict[str, Any] = {
            "type": "IMPORT_RELIANCE", "from": "country:USA", "to": material, "year": year,
            "net_import_reliance": None if chosen.value is None else float(chosen.value),
            "qualifier": chosen.qualifier, "sources": list(ranked),
            "series": chosen.form.lower() if chosen.form else None,
            "source_ids": sorted({f.source_id for f in group}),
        }
        found = shares_at.get((material, year))
        if found:
            sid, shares = found
            record.update(sources=list(shares.sources), source_shares=[float(x) for x in shares.shares],
                          other_share=None if shares.other is None else float(shares.other),
                          source_ids=sorted({*record["source_ids"], sid}))
            period = shares.period
            notes.append(f"import shares: {shares.series} ({shares.period})")
            notes.extend(shares.notes)
        record["sources_period"] = period if record["sources"] else None
        record["notes"] = "; ".join(notes) or None
        out.append((chosen.file, chosen.line, {k: v for k, v in record.items() if v not in (None, [])}))
    return out


def _show(f: NirFact) -> str:
    pct = "" if f.value is None else f"{(f.value * 100).normalize():f}"
    return f"{f.qualifier or ''}{pct}" if f.qualifier in (">", "<") or f.qualifier is None else f.qualifier
