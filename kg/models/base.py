"""Record base classes and the value types shared by nodes and relationships."""

from __future__ import annotations

import datetime as _dt
import functools
import typing
from typing import Annotated, Any, ClassVar

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from .ids import ID_PATTERN

STAGES = ("mining", "refining", "separation", "manufacturing")
"""Supply stages. `separation` exists because rare-earth sources report it apart from refining."""

UNITS = ("t", "carat", "m3", "USD")
"""Normalised units: metric tons for every mass (kg, kt, Mt converted), carats, cubic metres, dollars."""

QUALIFIERS = ("W", "NA", "E", "Large", ">", "<", "XX")
"""Source qualifiers kept verbatim, never turned into 0: withheld, not available, net exporter,
'Large' reserves, lower/upper bounds, not applicable."""

MIN_YEAR, MAX_YEAR = 1900, 2100

FLOAT_DIGITS = 15
"""Significant digits a float keeps. The graph store (FalkorDB) replies with every double
formatted to 15 significant digits, so a value needing 16 or 17 would read back, and export,
as a different number than the one loaded (docs/guarantees.md, "Inputs")."""


_FLOAT_FORMAT = f"%.{FLOAT_DIGITS}g"


def stored_float(value: float) -> float:
    """The float the store reads back for `value`: rounded to `FLOAT_DIGITS` significant digits.

    Rounding is monotonic and every bound the models use has fewer digits, so a value within
    its bounds stays within them."""
    return float(_FLOAT_FORMAT % value)

SOURCE_ID = ID_PATTERN["Source"]

# User-assigned ISO codes that public sources use; pycountry does not list them.
_EXTRA_ISO3 = {"XKX": "Kosovo"}


def check_iso3(code: str) -> str:
    if code in _EXTRA_ISO3 or pycountry.countries.get(alpha_3=code) is not None:
        return code
    raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-3 code")


COUNTRY_GROUPS = {"EU27": "the European Union of 27 member states (from 1 February 2020)"}
"""Country groups that report trade as one (docs/trade.md, "Country groups"): a `Country` node
`country:<code>` with its `members`. Closed, so a typo is an error and never a new group."""


def check_country_code(code: str) -> str:
    """An ISO 3166-1 alpha-3 code or a known country group's code (the part after `country:`)."""
    if code in COUNTRY_GROUPS:
        return code
    try:
        return check_iso3(code)
    except ValueError:
        raise ValueError(f"{code!r} is neither an ISO 3166-1 alpha-3 code nor a country group "
                         f"({', '.join(sorted(COUNTRY_GROUPS))})") from None


def _check_iso_date(value: str) -> str:
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO date YYYY-MM-DD") from None
    if len(value) != 10:
        raise ValueError(f"{value!r} is not an ISO date YYYY-MM-DD")
    return value


ISODate = Annotated[str, AfterValidator(_check_iso_date)]
Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
ISO3 = Annotated[str, AfterValidator(check_iso3)]
Stage = Annotated[str, AfterValidator(lambda s: one_of(s, STAGES, "stage"))]
Unit = Annotated[str, AfterValidator(lambda s: one_of(s, UNITS, "unit"))]
Qualifier = Annotated[str, AfterValidator(lambda s: one_of(s, QUALIFIERS, "qualifier"))]
Confidence = Annotated[str, AfterValidator(lambda s: one_of(s, ("H", "M", "L"), "confidence"))]
NonEmpty = Annotated[str, Field(min_length=1)]


def one_of(value: str, allowed: tuple[str, ...], what: str) -> str:
    """`value` if it is one of `allowed`, else the one message every choice field gives."""
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")
    return value


@functools.cache
def _float_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """Names of the fields of `cls` that hold a float or a list of floats."""
    def holds_float(annotation: Any) -> bool:
        return annotation is float or any(holds_float(a) for a in typing.get_args(annotation))
    return tuple(name for name, f in cls.model_fields.items() if holds_float(f.annotation))


class Record(BaseModel):
    """Every record is frozen, rejects unknown fields, and carries its provenance."""

    # allow_inf_nan: the graph store cannot hold NaN or infinity, so validation refuses them
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False)

    record_kind: ClassVar[str] = ""   # "node" or "relationship"
    type_name: ClassVar[str] = ""     # the graph label or relationship type

    source_ids: tuple[NonEmpty, ...] = Field(min_length=1)
    notes: str | None = None

    @field_validator("source_ids")
    @classmethod
    def _source_ids_name_sources(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # Provenance points at Source nodes only; a Country id here would pass a plain
        # existence check against the graph.
        for sid in value:
            if not SOURCE_ID.match(sid):
                raise ValueError(f"{sid!r} is not a Source id (source:<slug>)")
        return value

    @model_validator(mode="after")
    def _floats_as_stored(self) -> Record:
        # The one place floats are normalised: what is stored is exactly what is read back, so
        # export -> import -> export is byte-identical and a reload changes nothing.
        for name in _float_fields(type(self)):
            value = getattr(self, name)
            if type(value) is float:
                object.__setattr__(self, name, stored_float(value))   # frozen model
            elif type(value) is tuple:
                object.__setattr__(self, name, tuple(stored_float(v) for v in value))
        return self

    def properties(self) -> dict[str, Any]:
        """Graph properties: every set field but the record type and endpoints, lists as lists."""
        data = self.model_dump(exclude_none=True, by_alias=False,
                               exclude={"type", "from_id", "to_id"})
        # Empty lists are absence, as in CSV: the graph holds no empty-list properties.
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()
                if not (isinstance(v, tuple) and not v)}

    def to_json(self) -> dict[str, Any]:
        """The records-format (JSON Lines) form of this record."""
        out: dict[str, Any] = {"type": self.type_name}
        data = self.model_dump(exclude_none=True, by_alias=True, exclude={"type"})
        for k, v in data.items():
            if isinstance(v, tuple) and not v:
                continue
            out[k] = list(v) if isinstance(v, tuple) else v
        return out
