"""Node records: one class per label (docs/ontology.md)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from .base import COUNTRY_GROUPS, ISO3, Confidence, ISODate, NonEmpty, Record, Stage, Year, check_iso3, one_of
from .ids import ID_PATTERN

MATERIAL_KINDS = ("element", "element-group", "compound", "mineral", "alloy", "intermediate",
                  "metal", "chemical")
CONTROL_STATUSES = ("announced", "in-force", "suspended", "revoked", "expired", "proposed")
"""`proposed`: a measure a legislature or government put forward that is not law (e.g. a bill)."""
IMPORT_MEASURE_KINDS = ("tariff", "anti-dumping-countervailing", "tax-credit-eligibility",
                        "procurement-ban", "investigation", "import-ban", "quota")
APPLIES_BY = ("origin", "entity")
"""How an import measure picks the supply it excludes: by the country a good comes from
(`origin`: tariffs, DFARS melted/mined-in rules) or by who owns or controls the supplier
(`entity`: foreign-entity-of-concern rules, named-firm procurement bans)."""
CRITICAL_LISTS = ("US-2018", "US-2022", "US-2025", "EU-2020", "EU-2023", "EU-2023-strategic", "DOE-2023")
"""EU-2023-strategic: the 17 strategic raw materials of the CRMA (Regulation (EU) 2024/1252, Annex I),
a subset of its 34 critical raw materials (Annex II, EU-2023)."""
WIKIDATA = r"^Q[0-9]+$"
IRA_TIMELINES = ("pre-IRA", "post-IRA")
"""Announced before or after the US Inflation Reduction Act (signed 16 August 2022)."""


class Node(Record):
    record_kind: ClassVar[str] = "node"

    id: NonEmpty
    name: NonEmpty

    @field_validator("id")
    @classmethod
    def _id_pattern(cls, value: str) -> str:
        pattern = ID_PATTERN[cls.type_name]
        if not pattern.match(value):
            raise ValueError(f"{value!r} does not match the {cls.type_name} id pattern "
                             f"{pattern.pattern}")
        return value


class Source(Node):
    """A publication or data release that facts are derived from."""

    type_name: ClassVar[str] = "Source"
    type: Literal["Source"] = "Source"
    title: NonEmpty
    publisher: NonEmpty
    url: NonEmpty
    license: NonEmpty
    release: str | None = None
    year: Year | None = None            # the year the data is for / of publication
    retrieved: ISODate
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    # Editorial grade of the source itself (H primary or official, M reputable secondary, L
    # aggregator, blog or wiki mirror); `provenance-audit` lists the L sources and what cites them.
    confidence: Confidence | None = None
    source_ids: tuple[NonEmpty, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _self_cited(cls, data: Any) -> Any:
        # A Source is its own provenance; the records format may omit source_ids for it.
        if isinstance(data, dict) and not data.get("source_ids") and data.get("id"):
            data = {**data, "source_ids": [data["id"]]}
        return data


class Country(Node):
    type_name: ClassVar[str] = "Country"
    type: Literal["Country"] = "Country"
    iso3: ISO3 | None = None
    iso2: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    numeric: str | None = Field(default=None, pattern=r"^[0-9]{3}$")
    wikidata: str | None = Field(default=None, pattern=WIKIDATA)
    # A country group that reports trade as one (the EU's Eurostat figures): its member countries.
    # Set only on a group (id `country:EU27`, no ISO codes); a group's figures are its own, never
    # added into or split among its members.
    members: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _iso_matches_id(self) -> Country:
        code = self.id.split(":", 1)[1]
        if code in COUNTRY_GROUPS:
            if len(self.members) < 2:
                raise ValueError(f"{self.id!r} is a country group: members must list its countries")
            if self.iso3 or self.iso2 or self.numeric:
                raise ValueError(f"{self.id!r} is a country group: it has no ISO codes")
            for member in self.members:
                if not member.startswith("country:") or member.split(":", 1)[1] in COUNTRY_GROUPS:
                    raise ValueError(f"member {member!r} must be a country id (country:ISO3)")
                check_iso3(member.split(":", 1)[1])
            if len(set(self.members)) != len(self.members):
                raise ValueError(f"{self.id!r}: a member is listed twice")
            return self
        check_iso3(code)
        if self.members:
            raise ValueError(f"{self.id!r} is a country, not a group: it has no members")
        if self.iso3 is not None and self.iso3 != code:
            raise ValueError(f"iso3 {self.iso3!r} does not match id {self.id!r}")
        return self


class Material(Node):
    type_name: ClassVar[str] = "Material"
    type: Literal["Material"] = "Material"
    kind: str | None = None
    symbol: str | None = Field(default=None, pattern=r"^[A-Z][a-z]?$")
    critical_lists: tuple[str, ...] = ()
    member_of: tuple[str, ...] = ()      # aggregates this material belongs to (rare earths, PGMs)
    wikidata: str | None = Field(default=None, pattern=WIKIDATA)

    @field_validator("member_of")
    @classmethod
    def _groups(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not ID_PATTERN["Material"].match(item):
                raise ValueError(f"member_of {item!r} must be a material: id")
        return value

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str | None) -> str | None:
        return None if value is None else one_of(value, MATERIAL_KINDS, "material kind")

    @field_validator("critical_lists")
    @classmethod
    def _lists(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(one_of(item, CRITICAL_LISTS, "critical list") for item in value)


class Product(Node):
    type_name: ClassVar[str] = "Product"
    type: Literal["Product"] = "Product"
    category: str | None = None
    wikidata: str | None = Field(default=None, pattern=WIKIDATA)


class Firm(Node):
    type_name: ClassVar[str] = "Firm"
    type: Literal["Firm"] = "Firm"
    lei: str | None = Field(default=None, pattern=r"^[A-Z0-9]{18}[0-9]{2}$")
    wikidata: str | None = Field(default=None, pattern=WIKIDATA)
    ticker: str | None = None
    status: str | None = None


class Facility(Node):
    type_name: ClassVar[str] = "Facility"
    type: Literal["Facility"] = "Facility"
    facility_type: str | None = None     # mine, refinery, separation plant, magnet plant ...
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    status: str | None = None
    wikidata: str | None = Field(default=None, pattern=WIKIDATA)
    locality: str | None = None          # city or town
    region: str | None = None            # state, province or region
    activities: tuple[str, ...] = ()     # what the source says the plant does (cells, recycling ...)
    stages: tuple[Stage, ...] = ()       # the supply stages of those activities
    ira_timeline: tuple[str, ...] = ()   # announced before and/or after the US Inflation Reduction Act
    investment_usd: float | None = Field(default=None, ge=0)   # announced investment, current USD
    jobs: int | None = Field(default=None, ge=0)               # announced jobs
    production_start: Year | None = None

    @field_validator("ira_timeline")
    @classmethod
    def _timeline(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(one_of(item, IRA_TIMELINES, "ira_timeline") for item in value)


class Agreement(Node):
    type_name: ClassVar[str] = "Agreement"
    type: Literal["Agreement"] = "Agreement"
    kind: str | None = None
    signed: ISODate | None = None
    url: str | None = None


class _Measure(Node):
    """What export controls and import measures share: an instrument, dates and a status."""

    instrument: NonEmpty
    announced: ISODate | None = None
    effective: ISODate | None = None
    suspended_from: ISODate | None = None
    suspended_until: ISODate | None = None
    ended: ISODate | None = None         # no longer applies from this date (lapsed, replaced)
    status: str | None = None

    @field_validator("status")
    @classmethod
    def _status(cls, value: str | None) -> str | None:
        return None if value is None else one_of(value, CONTROL_STATUSES, "control status")

    @model_validator(mode="after")
    def _dates_in_order(self) -> _Measure:
        # ISO dates compare as strings. A measure may end before its effective date (withdrawn or
        # overtaken before it took effect), never before it was announced.
        start = self.announced or self.effective
        if self.ended is not None and start is not None and self.ended < start:
            raise ValueError(f"ended {self.ended} is before {start}")
        if (self.suspended_from is not None and self.suspended_until is not None
                and self.suspended_until < self.suspended_from):
            raise ValueError(f"suspended_until {self.suspended_until} is before suspended_from "
                             f"{self.suspended_from}")
        return self


class ExportControl(_Measure):
    type_name: ClassVar[str] = "ExportControl"
    type: Literal["ExportControl"] = "ExportControl"
    measure: str | None = None           # licence requirement, ban, quota, ...


class ImportMeasure(_Measure):
    """An importing country's tariff, eligibility rule or procurement ban (linked like an
    ExportControl: IMPOSES from the country, RESTRICTS the goods, TARGETS the countries or firms
    whose supply it excludes)."""

    type_name: ClassVar[str] = "ImportMeasure"
    type: Literal["ImportMeasure"] = "ImportMeasure"
    kind: str
    applies_by: str = "origin"
    rate: float | None = Field(default=None, ge=0)   # ad valorem rate (0.25 = 25 %) where uniform

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        return one_of(value, IMPORT_MEASURE_KINDS, "import measure kind")

    @field_validator("applies_by")
    @classmethod
    def _applies_by(cls, value: str) -> str:
        return one_of(value, APPLIES_BY, "applies_by")


class HSCode(Node):
    type_name: ClassVar[str] = "HSCode"
    type: Literal["HSCode"] = "HSCode"
    code: str = Field(pattern=r"^[0-9]{2}(?:[0-9]{2}){0,4}$")
    hs_version: str | None = None        # HS2022, HS2017 ...
    level: int | None = Field(default=None, ge=2, le=10)
    parent: str | None = Field(default=None, pattern=r"^[0-9]{2}(?:[0-9]{2}){0,4}$")

    @model_validator(mode="after")
    def _code_matches_id(self) -> HSCode:
        if self.id != f"hs:{self.code}":
            raise ValueError(f"code {self.code!r} does not match id {self.id!r}")
        return self


NODE_TYPES: dict[str, type[Node]] = {
    cls.type_name: cls
    for cls in (Country, Material, Product, Firm, Facility, Agreement, ExportControl, ImportMeasure,
                HSCode, Source)
}
