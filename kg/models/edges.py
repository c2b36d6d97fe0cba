"""Relationship records: one class per relationship type (docs/ontology.md)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from .base import ISO3, Confidence, NonEmpty, Qualifier, Record, Share, Stage, Unit, Year, check_country_code, one_of
from .ids import ID_PATTERN, label_of


class Relationship(Record):
    record_kind: ClassVar[str] = "relationship"
    FROM: ClassVar[tuple[str, ...]] = ()
    TO: ClassVar[tuple[str, ...]] = ()
    KEYS: ClassVar[tuple[str, ...]] = ()
    """Key properties: with the type and endpoints they identify the fact (MERGE keys)."""

    from_id: NonEmpty = Field(alias="from")
    to_id: NonEmpty = Field(alias="to")
    confidence: Confidence | None = None

    @model_validator(mode="after")
    def _endpoints(self) -> Relationship:
        for end, value, allowed in (("from", self.from_id, self.FROM), ("to", self.to_id, self.TO)):
            label = label_of(value)
            if label not in allowed:
                raise ValueError(f"{end} {value!r}: a {self.type_name} goes "
                                 f"{'/'.join(self.FROM)} -> {'/'.join(self.TO)}")
            if not ID_PATTERN[label].match(value):
                raise ValueError(f"{end} {value!r} does not match the {label} id pattern")
            if label == "Country":
                check_country_code(value.split(":", 1)[1])
        return self

    @property
    def from_label(self) -> str:
        return label_of(self.from_id) or ""

    @property
    def to_label(self) -> str:
        return label_of(self.to_id) or ""

    def key(self) -> tuple[Any, ...]:
        return (self.type_name, self.from_id, self.to_id,
                *(getattr(self, k) for k in self.KEYS))


PRODUCTION_BASES = ("output", "capacity")


class Produces(Relationship):
    type_name: ClassVar[str] = "PRODUCES"
    FROM = ("Country", "Firm", "Facility")
    TO = ("Material", "Product")
    KEYS = ("stage", "year", "basis")
    type: Literal["PRODUCES"] = "PRODUCES"
    stage: Stage
    year: Year
    quantity: float | None = Field(default=None, ge=0)
    unit: Unit | None = None
    share: Share | None = None
    world_quantity: float | None = Field(default=None, gt=0)
    estimated: bool = False
    qualifier: Qualifier | None = None
    # `output` (what was produced) or `capacity` (what plants could produce): a capacity figure is
    # its own fact beside the output of the same stage and year, never added to it.
    basis: str = "output"
    measured_as: str | None = None       # e.g. "rare-earth-oxide equivalent", "lithium content"
    source_unit: str | None = None       # the unit as the source printed it

    @field_validator("basis")
    @classmethod
    def _basis(cls, value: str) -> str:
        return one_of(value, PRODUCTION_BASES, "basis")

    @model_validator(mode="after")
    def _quantity_has_unit(self) -> Produces:
        if (self.quantity is not None or self.world_quantity is not None) and self.unit is None:
            raise ValueError("a quantity needs a unit")
        return self


class HoldsReserves(Relationship):
    type_name: ClassVar[str] = "HOLDS_RESERVES"
    FROM = ("Country",)
    TO = ("Material",)
    KEYS = ("year",)
    type: Literal["HOLDS_RESERVES"] = "HOLDS_RESERVES"
    year: Year
    quantity: float | None = Field(default=None, ge=0)
    unit: Unit | None = None
    qualifier: Qualifier | None = None
    measured_as: str | None = None       # e.g. "rare-earth-oxide equivalent", "crude ore"
    source_unit: str | None = None


class Requires(Relationship):
    type_name: ClassVar[str] = "REQUIRES"
    FROM = ("Product",)
    TO = ("Material", "Product")
    type: Literal["REQUIRES"] = "REQUIRES"
    role: str | None = None
    stage: Stage | None = None
    intensity: float | None = Field(default=None, ge=0)
    intensity_unit: str | None = None
    year: Year | None = None

    @model_validator(mode="after")
    def _no_self_loop(self) -> Requires:
        if self.from_id == self.to_id:
            raise ValueError("a product cannot require itself")
        return self


FLOW_BASES = ("imports", "exports", "mirror")


class ExportsTo(Relationship):
    type_name: ClassVar[str] = "EXPORTS_TO"
    FROM = ("Country",)
    TO = ("Country",)
    KEYS = ("hs_code", "year", "month", "flow_basis")
    type: Literal["EXPORTS_TO"] = "EXPORTS_TO"
    hs_code: str = Field(pattern=r"^[0-9]{2}(?:[0-9]{2}){0,4}$")
    year: Year
    value_usd: float | None = Field(default=None, ge=0)
    quantity: float | None = Field(default=None, ge=0)
    unit: Unit | None = None
    flow_basis: str = "imports"          # which side reported the flow
    month: int = Field(default=0, ge=0, le=12, description="1-12 for a monthly flow, 0 for the year")
    hs_version: str | None = None        # the classification the source used (HS2017, HS2022, ...)
    # A partner's share of the importer's total as a source states it, when it gives no value or
    # quantity of its own; `share_basis` says what the share is of (value or weight).
    share: Share | None = None
    share_basis: str | None = None

    @field_validator("flow_basis")
    @classmethod
    def _basis(cls, value: str) -> str:
        return one_of(value, FLOW_BASES, "flow_basis")

    @model_validator(mode="after")
    def _share_has_basis(self) -> ExportsTo:
        if self.share_basis is not None and self.share_basis not in ("value", "weight"):
            raise ValueError(f"unknown share_basis {self.share_basis!r}; expected value or weight")
        if (self.share is None) != (self.share_basis is None):
            raise ValueError("a stated share needs its share_basis (value or weight), and only a share has one")
        return self


class Imports(Relationship):
    """An importer's total imports of one HS code from all partners: the denominator of shares."""

    type_name: ClassVar[str] = "IMPORTS"
    FROM = ("Country",)
    TO = ("HSCode",)
    KEYS = ("year", "month", "flow_basis")
    type: Literal["IMPORTS"] = "IMPORTS"
    year: Year
    month: int = Field(default=0, ge=0, le=12, description="1-12 for a monthly total, 0 for the year")
    value_usd: float | None = Field(default=None, ge=0)
    quantity: float | None = Field(default=None, ge=0)
    unit: Unit | None = None
    flow_basis: str = "imports"
    hs_version: str | None = None

    @field_validator("flow_basis")
    @classmethod
    def _basis(cls, value: str) -> str:
        return one_of(value, FLOW_BASES, "flow_basis")

    @model_validator(mode="after")
    def _a_total(self) -> Imports:
        if self.value_usd is None and self.quantity is None:
            raise ValueError("an import total needs value_usd or quantity")
        if self.quantity is not None and self.unit is None:
            raise ValueError("a quantity needs a unit")
        return self


class ImportReliance(Relationship):
    type_name: ClassVar[str] = "IMPORT_RELIANCE"
    FROM = ("Country",)
    TO = ("Material",)
    KEYS = ("year",)
    type: Literal["IMPORT_RELIANCE"] = "IMPORT_RELIANCE"
    year: Year
    net_import_reliance: Share | None = None
    qualifier: Qualifier | None = None   # E (net exporter), W, NA, > / < bounds
    sources: tuple[ISO3, ...] = ()       # ranked import sources
    source_shares: tuple[Share, ...] = ()
    other_share: Share | None = None     # the share of all other countries ("Other countries")
    sources_period: str | None = None    # the years the sources and shares cover, e.g. "2021-2024"
    series: str | None = None            # the source's sub-series the figure is for ("compounds and metals")

    @model_validator(mode="after")
    def _value_or_qualifier(self) -> ImportReliance:
        if self.net_import_reliance is None and self.qualifier is None:
            raise ValueError("net_import_reliance needs a value or a qualifier")
        if self.source_shares and len(self.source_shares) != len(self.sources):
            raise ValueError("source_shares must be as long as sources")
        return self


class Owns(Relationship):
    """A stake at a year. The year is part of the identity, so a later stake never overwrites an
    earlier one: both stay, and queries take the latest (an undated stake is a fact of its own)."""

    type_name: ClassVar[str] = "OWNS"
    FROM = ("Firm",)
    TO = ("Firm", "Facility")
    KEYS = ("year",)
    type: Literal["OWNS"] = "OWNS"
    share: Share | None = None
    year: Year | None = None
    basis: str | None = None


class StateOwnedBy(Relationship):
    type_name: ClassVar[str] = "STATE_OWNED_BY"
    FROM = ("Firm",)
    TO = ("Country",)
    type: Literal["STATE_OWNED_BY"] = "STATE_OWNED_BY"
    share: Share | None = None
    year: Year | None = None
    basis: str | None = None


class Operates(Relationship):
    type_name: ClassVar[str] = "OPERATES"
    FROM = ("Firm",)
    TO = ("Facility",)
    type: Literal["OPERATES"] = "OPERATES"
    year: Year | None = None


class LocatedIn(Relationship):
    type_name: ClassVar[str] = "LOCATED_IN"
    FROM = ("Facility",)
    TO = ("Country",)
    type: Literal["LOCATED_IN"] = "LOCATED_IN"


class HeadquarteredIn(Relationship):
    type_name: ClassVar[str] = "HEADQUARTERED_IN"
    FROM = ("Firm",)
    TO = ("Country",)
    type: Literal["HEADQUARTERED_IN"] = "HEADQUARTERED_IN"


class Supplies(Relationship):
    type_name: ClassVar[str] = "SUPPLIES"
    FROM = ("Firm", "Facility")
    TO = ("Firm",)
    KEYS = ("item_id",)
    type: Literal["SUPPLIES"] = "SUPPLIES"
    item_id: str = Field(default="", description="material_id or product_id supplied")
    year: Year | None = None

    @field_validator("item_id")
    @classmethod
    def _item(cls, value: str) -> str:
        if value and label_of(value) not in ("Material", "Product"):
            raise ValueError(f"item_id {value!r} must be a material: or product: id")
        return value


class PartyTo(Relationship):
    type_name: ClassVar[str] = "PARTY_TO"
    FROM = ("Country",)
    TO = ("Agreement",)
    type: Literal["PARTY_TO"] = "PARTY_TO"
    role: str | None = None


class Covers(Relationship):
    type_name: ClassVar[str] = "COVERS"
    FROM = ("Agreement",)
    TO = ("Material",)
    type: Literal["COVERS"] = "COVERS"


class Imposes(Relationship):
    type_name: ClassVar[str] = "IMPOSES"
    FROM = ("Country",)
    TO = ("ExportControl", "ImportMeasure")
    type: Literal["IMPOSES"] = "IMPOSES"


class Restricts(Relationship):
    type_name: ClassVar[str] = "RESTRICTS"
    FROM = ("ExportControl", "ImportMeasure")
    TO = ("Material", "Product", "HSCode")
    type: Literal["RESTRICTS"] = "RESTRICTS"
    scope: str | None = None


class Targets(Relationship):
    type_name: ClassVar[str] = "TARGETS"
    FROM = ("ExportControl", "ImportMeasure")
    TO = ("Country", "Firm")             # destination countries, or the firms a measure names
    type: Literal["TARGETS"] = "TARGETS"


class ClassifiedAs(Relationship):
    type_name: ClassVar[str] = "CLASSIFIED_AS"
    FROM = ("Material", "Product")
    TO = ("HSCode",)
    type: Literal["CLASSIFIED_AS"] = "CLASSIFIED_AS"
    hs_version: str | None = None


RELATIONSHIP_TYPES: dict[str, type[Relationship]] = {
    cls.type_name: cls
    for cls in (Produces, HoldsReserves, Requires, ExportsTo, Imports, ImportReliance, Owns, StateOwnedBy,
                Operates, LocatedIn, HeadquarteredIn, Supplies, PartyTo, Covers, Imposes,
                Restricts, Targets, ClassifiedAs)
}
