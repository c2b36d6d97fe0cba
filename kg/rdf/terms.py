"""RDF terms as text: N-Triples and Turtle IRIs and literals, escaped per the W3C grammars.

The exporter writes text directly (no per-term objects), so escaping lives here, once:

* string literals (`STRING_LITERAL_QUOTE`, the same production in N-Triples and Turtle): `"` and
  `\\` are backslash-escaped, so are LF, CR, TAB, BS and FF (`\\n \\r \\t \\b \\f`), and every other
  C0 control character and DEL become `\\uXXXX` — the same canonical form pyoxigraph writes, so an
  export is byte for byte what pyoxigraph would serialise for the same triples. Everything else
  (non-ASCII, astral-plane characters such as emoji) is written as UTF-8.
* IRIs (`IRIREF`): written between `<>`; one that holds a character the grammar forbids (space,
  `<>"{}|^\\``, controls) is refused, never written broken.
* Turtle prefixed names (`PNAME_LN`): the local part is checked against `PN_LOCAL`, with the
  characters it must escape backslash-escaped; an IRI no prefix fits stays `<...>`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..vocab import ALL_PREFIXES, DATA_NS, ID_PREFIXES, STATEMENT_NS

_ESCAPES = {ord('"'): '\\"', ord("\\"): "\\\\", ord("\n"): "\\n", ord("\r"): "\\r",
            ord("\t"): "\\t", ord("\b"): "\\b", ord("\f"): "\\f"}
_ESCAPES.update({c: f"\\u{c:04X}" for c in (*range(0x20), 0x7F) if c not in _ESCAPES})
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f]')


def quoted(text: str) -> str:
    """A string as a quoted N-Triples/Turtle literal body: `"..."` with the escapes above."""
    if _NEEDS_ESCAPE.search(text) is None:
        return '"' + text + '"'
    return '"' + text.translate(_ESCAPES) + '"'


_IRI_OK = re.compile(r'[^\x00-\x20<>"{}|^`\\]*')


def iri_ok(iri: str) -> bool:
    """Whether `iri` can be written as an `IRIREF` as it is (no escapes needed)."""
    return bool(iri) and _IRI_OK.fullmatch(iri) is not None


# PN_LOCAL: (PN_CHARS_U | ':' | [0-9] | PLX) ((PN_CHARS | '.' | ':' | PLX)* (PN_CHARS | ':' | PLX))?
# The node and statement IRIs are ASCII (kg.vocab percent-encodes the rest), so the ASCII subset
# of PN_CHARS is what matters; a non-ASCII local part is written as a full IRI.
_PN_PLAIN = re.compile(r"(?:[A-Za-z0-9_:]|%[0-9A-Fa-f]{2}|\\[-_~.!$&'()*+,;=/?#@%])"
                       r"(?:[A-Za-z0-9_:.-]|%[0-9A-Fa-f]{2}|\\[-_~.!$&'()*+,;=/?#@%])*")
_PN_ESCAPED = re.compile(r"[~!$&'()*+,;=/?#@]")


def _pn_local(local: str) -> str | None:
    """`local` as a valid `PN_LOCAL`, escaped where the grammar needs it, or None."""
    if not local:
        return ""
    text = _PN_ESCAPED.sub(lambda m: "\\" + m.group(0), local)
    if text[0] in "-.":
        text = "\\" + text
    if text.endswith(".") and not text.endswith("\\."):
        text = text[:-1] + "\\."
    return text if _PN_PLAIN.fullmatch(text) else None


_BY_LENGTH = sorted(ALL_PREFIXES.items(), key=lambda kv: -len(kv[1]))


@lru_cache(maxsize=262_144)
def turtle_iri(iri: str) -> str:
    """An IRI as Turtle: a prefixed name with the export's prefixes where one fits, else `<iri>`."""
    for prefix, ns in _BY_LENGTH:
        if iri.startswith(ns):
            local = _pn_local(iri[len(ns):])
            if local is not None:
                return f"{prefix}:{local}"
            break
    return f"<{iri}>"


_DATA_PREFIX = {f"{DATA_NS}{kind}/": kind for kind in ID_PREFIXES} | {STATEMENT_NS: "stmt"}


def compact(iri: str) -> str:
    """An IRI as a CURIE with the export's prefixes (JSON-LD and messages)."""
    if iri.startswith(DATA_NS):
        slash = iri.find("/", len(DATA_NS))
        kind = _DATA_PREFIX.get(iri[:slash + 1]) if slash > 0 else None
        if kind is not None:
            return f"{kind}:{iri[slash + 1:]}"
    for prefix, ns in ALL_PREFIXES.items():
        if iri.startswith(ns) and prefix not in _DATA_PREFIX.values():
            return f"{prefix}:{iri[len(ns):]}"
    return iri
