"""Owners written as text in mine datasets -> stakes: "Lundin 24%, Freeport 56%, Gécamines 20%".

Used by `loaders/fineprint.py`; the rules are listed in docs/loaders.md ("fineprint", Owners text).
A stake is a name followed by a percentage, with or without brackets, including the slips the
FINEPRINT sheet has (`(21.%)`, `(50%(`); a name without a percentage is an owner whose stake is
not stated (share None: unknown, never 100 %); governments are not firms and are kept apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_GOVERNMENT = re.compile(r"(?i)^(government|state|republic|kingdom)\b|\bgovernment\b")


@dataclass(frozen=True)
class Stake:
    owner: str
    share: float | None          # 0-1, None = not stated
    via: str | None = None       # the holding company named around the stake


@dataclass(frozen=True)
class Owners:
    stakes: tuple[Stake, ...]
    states: tuple[str, ...]      # government holders (not firms), as written
    remark: str | None           # text after the stakes ("sold on 1 June 2013")
    unparsed: str | None         # text that is neither a stake nor a remark


_PCT = re.compile(r"\(?\s*(\d{1,3}(?:\.\d*)?)\s*%\s*[()]?")
_REMARK = re.compile(r"(?i)^(sold|acquired|since|until|from|as of|effective)\b")


def parse_owners(text: str) -> Owners:
    """'Lundin 24%, Freeport 56%, Gécamines 20%' -> three stakes; a name without % -> share None."""
    flat = re.sub(r"\s+", " ", text).strip().rstrip(".").strip()
    if re.search(r"(?i)\b(until|before)\s+\d{4}\s*:", flat):
        # "After 2007: Goldcorp (100%), Until 2007: Kinross Gold (49%)": the current holders only.
        parts = re.split(r"(?i)\b(after|since|until|before)\s+\d{4}\s*:", flat)
        flat = " ".join(parts[i + 1] for i in range(1, len(parts) - 1, 2)
                        if parts[i].lower() in ("after", "since")).strip(" ,") or parts[0]
    chain = re.match(r"(?i)(.+?)\s*(?:\([^()]*\))?\s*(?:,|\bsubsidiary\b)", flat)
    if chain and re.search(r"(?i)\bsubsidiary of\b", flat):
        # "A, 63.9% subsidiary of B": the stake is B's in A, not A's in the mine. A owns the mine
        # (share not stated); the chain above it is kept as text.
        owner = re.sub(r"(?i)\s*\(?wholly-owned.*$", "", chain.group(1)).strip(" ,")
        return Owners((Stake(owner, None),), (), None, flat[len(chain.group(1)):].strip(" ,"))
    stakes: list[Stake] = []
    states: list[str] = []
    pos = 0
    for m in _PCT.finditer(flat):
        name = flat[pos:m.start()].strip(" ,;").strip()
        name = re.sub(r"(?i)^and\s+", "", name).strip()
        value = round(float(m.group(1)) / 100.0, 6)
        if value > 1.0:
            raise ValueError(f"stake {m.group(1)}% is above 100%")
        via = None
        if name.count("(") > name.count(")"):           # "PT NHM (Newcrest Mining Limited 75%)"
            via, _, name = (s.strip() for s in name.rpartition("("))
        if name and _GOVERNMENT.search(name):
            states.append(f"{name} {m.group(1)}%")
        elif name:
            stakes.append(Stake(name, value, via))
        pos = m.end()
    rest = flat[pos:].strip(" ,;.)").strip()
    remark = unparsed = None
    if rest:
        if _REMARK.match(rest) or (stakes and re.match(r"(?i)^\S+\s+(their|its)\b", rest)):
            remark = rest
        elif not stakes and not states and "%" not in rest and "subsidiary" not in rest.lower():
            for part in _split_names(rest):
                if _GOVERNMENT.search(part):
                    states.append(part)
                else:
                    stakes.append(Stake(part, None))
        else:
            unparsed = rest
    return Owners(tuple(stakes), tuple(states), remark, unparsed)


def _split_names(text: str) -> list[str]:
    # Only "; " separates names without stakes: commas sit inside legal names ("Co., Ltd.").
    return [p.strip() for p in text.split(";") if p.strip()]
