"""Identifier patterns and minting. Ids are CURIE-like and deterministic."""

from __future__ import annotations

import re
import unicodedata

from ..vocab import ID_KINDS

ID_PREFIX = {label: f"{kind}:" for kind, label in ID_KINDS.items()}
"""Node label -> id prefix (`Country` -> `country:`), from the one table in `kg.vocab`."""
PREFIX_LABEL = {v: k for k, v in ID_PREFIX.items()}

SLUG = r"[a-z0-9]+(?:[-.][a-z0-9]+)*"
ID_PATTERN = {
    "Country": re.compile(r"^country:(?:[A-Z]{3}|[A-Z]{2}[0-9]{2})$"),   # ISO3, or a group: EU27
    "Material": re.compile(rf"^material:{SLUG}$"),
    "Product": re.compile(rf"^product:{SLUG}$"),
    "Firm": re.compile(rf"^firm:(?:lei:[A-Z0-9]{{20}}|{SLUG})$"),
    "Facility": re.compile(rf"^facility:{SLUG}$"),
    "Agreement": re.compile(rf"^agreement:{SLUG}$"),
    "ExportControl": re.compile(rf"^control:{SLUG}$"),
    "ImportMeasure": re.compile(rf"^importmeasure:{SLUG}$"),
    "HSCode": re.compile(r"^hs:[0-9]{2}(?:[0-9]{2}){0,4}$"),
    "Source": re.compile(rf"^source:{SLUG}$"),
}


def label_of(node_id: str) -> str | None:
    """The label an id belongs to, from its prefix (None if unknown)."""
    prefix = node_id.split(":", 1)[0] + ":"
    return PREFIX_LABEL.get(prefix)


def slugify(text: str) -> str:
    """ASCII lower-case slug: 'Côte d’Ivoire Mine' -> 'cote-d-ivoire-mine'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def mint(label: str, key: str) -> str:
    """Deterministic id for a label from a natural key (ISO3, slug source, HS code, LEI)."""
    if label == "Country":
        return f"country:{key.upper()}"
    if label == "HSCode":
        return f"hs:{re.sub(r'[^0-9]', '', key)}"
    if label == "Firm" and re.fullmatch(r"[A-Z0-9]{20}", key):
        return f"firm:lei:{key}"
    return f"{ID_PREFIX[label]}{slugify(key)}"
