"""The curated firms' identifiers (LEI, Wikidata QID) and head-office countries, for the ID loaders.

The curated tables (`loaders/snapshot/curated/Firm.csv`, `HEADQUARTERED_IN.csv`) give firms slug ids
(`firm:glencore`) and, where a public source states them, an `lei` and a `wikidata` QID. The GLEIF
and Wikidata loaders mint `firm:lei:<LEI>` for the entities they read; a record whose LEI (or QID)
belongs to a curated firm takes the curated firm's id instead, so the two become one node
(docs/loaders.md, "gleif"). `CuratedFirms.lei_of`/`qid_of` answer that question; `without_lei` lists
the firms whose LEI GLEIF's name search may find.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from kg.paths import snapshot_dir


@dataclass(frozen=True)
class CuratedFirm:
    id: str
    name: str
    lei: str = ""
    wikidata: str = ""
    countries: tuple[str, ...] = ()    # ISO3 head-office countries (HEADQUARTERED_IN)
    notes: str = ""


@dataclass
class CuratedFirms:
    firms: dict[str, CuratedFirm] = field(default_factory=dict)
    by_lei: dict[str, str] = field(default_factory=dict)
    by_qid: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: Path | None = None) -> CuratedFirms:
        """The curated firms of `folder` (default the bundled snapshot's `curated/`); none if absent."""
        root = folder if folder is not None else snapshot_dir() / "curated"
        firms_csv, hq_csv = root / "Firm.csv", root / "HEADQUARTERED_IN.csv"
        out = cls()
        if not firms_csv.is_file():
            return out
        countries: dict[str, list[str]] = {}
        if hq_csv.is_file():
            with hq_csv.open(encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    code = (row.get("to") or "").removeprefix("country:")
                    countries.setdefault(row.get("from") or "", []).append(code)
        with firms_csv.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                fid = (row.get("id") or "").strip()
                if not fid:
                    continue
                firm = CuratedFirm(fid, (row.get("name") or "").strip(),
                                   (row.get("lei") or "").strip().upper(),
                                   (row.get("wikidata") or "").strip(),
                                   tuple(countries.get(fid, ())), (row.get("notes") or "").strip())
                out.add(firm)
        return out

    def add(self, firm: CuratedFirm) -> None:
        self.firms[firm.id] = firm
        if firm.lei:
            self.by_lei[firm.lei] = firm.id
        if firm.wikidata:
            self.by_qid[firm.wikidata] = firm.id

    def link(self, firm_id: str, lei: str) -> None:
        """An LEI found for a curated firm (GLEIF name resolution): that firm now carries it.

        A firm that already carries an LEI keeps it (the curated table wins over an older report)."""
        firm = self.firms[firm_id]
        if firm.lei:
            return
        self.add(CuratedFirm(firm.id, firm.name, lei, firm.wikidata, firm.countries, firm.notes))

    def lei_of(self, lei: str) -> CuratedFirm | None:
        fid = self.by_lei.get(lei)
        return self.firms[fid] if fid else None

    def qid_of(self, qid: str) -> CuratedFirm | None:
        fid = self.by_qid.get(qid)
        return self.firms[fid] if fid else None

    def without_lei(self) -> list[CuratedFirm]:
        return [f for f in self.firms.values() if not f.lei]
