"""Entity resolution for firm names in public datasets: match against the graph's curated firms.

A dataset names a firm as free text ("Aluminium Corporation of China Ltd.", "Glencore plc.", "GM").
`FirmIndex.resolve` maps such a name to an existing curated firm (`loaders/snapshot/curated/Firm.csv`)
only when the match is unambiguous, and otherwise keeps the dataset's firm as a firm of its own:

1. **alias**: the name is listed in `loaders/_crosswalks/firm_aliases.csv` (a reviewed table:
   abbreviations and spellings of one and the same firm, e.g. GM);
2. **exact**: its normalised key equals the key of exactly one curated firm (or of one curated
   firm's parenthetical short name, e.g. "Chinalco"). The key folds case and accents, spells
   "aluminium" as "aluminum", turns punctuation into spaces and drops legal-form and generic words
   (Inc., Corp., Co., Ltd., plc, S.A., Group, Holdings, ...), so "Zijin Mining Group Co., Ltd." and
   "Zijin Mining Group Co. Ltd" meet;
3. **ambiguous**: the key equals the keys of two or more curated firms (e.g. "Hunan Gold" could be
   Hunan Gold Corporation or Hunan Gold Group): nothing is merged, the name stays a firm of its own,
   and the case is reported;
4. **possible**: no equal key, but one key's words start the other's ("Panasonic" and "Panasonic
   Energy Co., Ltd."): a parent and a subsidiary, or one firm under two names, cannot be told apart
   from the text, so nothing is merged and the case is reported for review (add an alias to merge);
5. **new**: no curated firm is close; the name becomes `firm:<slug of the name>`.

Two firms are never merged silently: every ambiguous or possible match is a `Match` in the report
the loaders return (and log), and the bundled snapshot's manifest lists them.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import DataError
from kg.models.ids import slugify
from kg.paths import snapshot_dir

from ._common import crosswalk_file, read_crosswalk

ALIASES = "firm_aliases.csv"

# Legal forms and generic words that do not tell two firms apart. "de" only inside "S.A. de C.V.".
_DROP = frozenset((
    "inc", "incorporated", "corp", "corporation", "co", "company", "cos", "ltd", "ltda", "limited",
    "plc", "llc", "lp", "llp", "pty", "pte", "sa", "sab", "saa", "sac", "cv", "spa", "srl", "ag", "se",
    "nv", "bv", "gmbh", "kg", "ab", "asa", "oyj", "jsc", "ojsc", "pao", "oao", "tbk", "pt", "bhd",
    "berhad", "group", "holding", "holdings", "the", "jv",
))


def key(name: str) -> str:
    """Normalised firm key: 'Aluminium Corp. of China Ltd.' -> 'aluminum of china'."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    text = text.replace("&", " and ").replace("aluminium", "aluminum")
    text = re.sub(r"\bs\.?\s*a\.?\s*b?\.?\s+de\s+c\.?\s*v\.?", " ", text)   # S.A. (B.) de C.V.
    text = re.sub(r"\b([a-z])\.\s?([a-z])\b\.?", r"\1\2", text)              # S.A., S.A -> sa
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w and w not in _DROP]
    return " ".join(words)


def base_and_short(name: str) -> tuple[str, list[str]]:
    """The name without parenthetical parts, and the parenthetical parts (short names, aliases)."""
    shorts = [s.strip() for s in re.findall(r"\(([^()]*)\)", name) if s.strip()]
    base = re.sub(r"\s*\([^()]*\)", "", name).strip()
    return base, shorts


@dataclass(frozen=True)
class CuratedFirm:
    id: str
    name: str


@dataclass(frozen=True)
class Match:
    """One resolution the report lists: an ambiguous or possible match, never merged."""

    name: str
    status: str                         # "ambiguous" or "possible"
    candidates: tuple[str, ...]         # curated firm ids
    firm_id: str                        # the id the name was given instead
    where: str = ""                     # file:line of the first mention

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "status": self.status, "candidates": list(self.candidates),
                "kept_as": self.firm_id, "where": self.where}


@dataclass(frozen=True)
class Resolution:
    firm_id: str
    name: str                 # the display name: the curated name when resolved
    status: str               # alias, exact, ambiguous, possible, new
    candidates: tuple[str, ...] = ()

    @property
    def curated(self) -> bool:
        return self.status in ("alias", "exact")


@dataclass
class FirmIndex:
    firms: dict[str, CuratedFirm]
    by_key: dict[str, set[str]]
    aliases: dict[str, str]
    report: list[Match] = field(default_factory=list)
    _reported: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def from_files(cls, firms_csv: Path | None = None) -> FirmIndex:
        firms = _curated_firms(firms_csv or snapshot_dir() / "curated" / "Firm.csv")
        by_key: dict[str, set[str]] = {}
        for firm in firms.values():
            base, shorts = base_and_short(firm.name)
            for variant in (firm.name, base, *shorts):
                k = key(variant)
                if k:
                    by_key.setdefault(k, set()).add(firm.id)
        return cls(firms, by_key, _aliases(set(firms)))

    def resolve(self, name: str, *, where: str = "") -> Resolution:
        """The firm a dataset's name refers to; ambiguous and possible matches are reported."""
        text = re.sub(r"\s+", " ", name).strip().rstrip(".,;").strip()
        alias = self.aliases.get(key(text))
        if alias:
            return Resolution(alias, self.firms[alias].name, "alias")
        k = key(text)
        found = sorted(self.by_key.get(k, ()))
        if len(found) == 1:
            return Resolution(found[0], self.firms[found[0]].name, "exact")
        own = self.own_id(text)
        if len(found) > 1:
            self._note(Match(text, "ambiguous", tuple(found), own, where))
            return Resolution(own, text, "ambiguous", tuple(found))
        near = self._near(k)
        if near:
            self._note(Match(text, "possible", tuple(near), own, where))
            return Resolution(own, text, "possible", tuple(near))
        return Resolution(own, text, "new")

    def own_id(self, name: str) -> str:
        """`firm:<slug>` for a firm of the dataset's own; never the id of a different curated firm."""
        slug = slugify(key(name) or name) or "unnamed"
        firm_id = f"firm:{slug}"
        if firm_id in self.firms:
            firm_id = f"firm:{slug}-2"
        return firm_id

    def _near(self, k: str) -> list[str]:
        words = k.split()
        if not words:
            return []
        out: set[str] = set()
        for other, ids in self.by_key.items():
            theirs = other.split()
            shorter, longer = (words, theirs) if len(words) <= len(theirs) else (theirs, words)
            if shorter and longer[:len(shorter)] == shorter and (len(shorter) > 1 or len(shorter[0]) > 2):
                out.update(ids)
        return sorted(out)

    def _note(self, match: Match) -> None:
        if (match.name, match.status) not in self._reported:
            self._reported.add((match.name, match.status))
            self.report.append(match)


@functools.lru_cache(maxsize=4)
def _curated_firms_cached(path: str, mtime: float) -> dict[str, CuratedFirm]:
    out: dict[str, CuratedFirm] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row.get("id") and row.get("name"):
                out[row["id"]] = CuratedFirm(row["id"], row["name"])
    return out


def _curated_firms(path: Path) -> dict[str, CuratedFirm]:
    if not path.is_file():
        return {}
    return dict(_curated_firms_cached(str(path), path.stat().st_mtime))


def _aliases(known: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line, row in read_crosswalk(ALIASES):
        if row["firm_id"] not in known:
            raise DataError(f"{row['firm_id']!r} is not a curated firm", file=crosswalk_file(ALIASES),
                            line=line, field="firm_id")
        out[key(row["name"])] = row["firm_id"]
    return out


def curated_rows(table: str) -> list[dict[str, str]]:
    """Rows of one curated records table (e.g. OPERATES.csv), for cross-dataset matching."""
    path = snapshot_dir() / "curated" / table
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))
