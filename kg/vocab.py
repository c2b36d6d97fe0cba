"""The one mapping between graph names and IRIs: labels, relationship types, properties, prefixes.

Every term the RDF side of the project spells lives here, and only here: the exporter, the
importer, the JSON-LD context and the SHACL helper read these tables, and
`tests/test_ontology.py` proves they agree with the models (`kg/models/`), with the OWL ontology
(`ontology/chokepoint.ttl`), with the shapes (`ontology/shapes.ttl`) and with the JSON-LD context
(`ontology/context.jsonld`, which `jsonld_context()` regenerates).

Naming rules (also in `ontology/README.md`):

* ontology terms live under `https://w3id.org/chokepoint/ontology#` (prefix `cp:`); a node label is
  a PascalCase class (`Country` -> `cp:Country`); a relationship type is a lowerCamelCase object
  property (`HOLDS_RESERVES` -> `cp:holdsReserves`) *and* a statement class that carries the
  relationship's qualifiers and provenance (`cp:ReservesObservation`); a property is a lowerCamelCase
  property (`value_usd` -> `cp:valueUsd`), unless a well-known term means exactly the same thing
  (`name` -> `rdfs:label`, `source_ids` -> `prov:wasDerivedFrom`, `wikidata` -> `owl:sameAs`, ...);
* data lives under `https://w3id.org/chokepoint/id/`; a node id is a CURIE whose prefix is bound in
  every export (`country:CHN` -> `https://w3id.org/chokepoint/id/country/CHN`), so the id *is* the
  IRI, written short.

This module sits below `kg.models` in the import layers: it must not import the models or the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import quote, unquote

ONTOLOGY_IRI = "https://w3id.org/chokepoint/ontology"
CP_NS = ONTOLOGY_IRI + "#"
DATA_NS = "https://w3id.org/chokepoint/id/"
STATEMENT_NS = DATA_NS + "statement/"
ONTOLOGY_VERSION = "0.1.0"

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_NS = "http://www.w3.org/2000/01/rdf-schema#"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
OWL_NS = "http://www.w3.org/2002/07/owl#"
PROV_NS = "http://www.w3.org/ns/prov#"
DCT_NS = "http://purl.org/dc/terms/"
SKOS_NS = "http://www.w3.org/2004/02/skos/core#"
QUDT_UNIT_NS = "http://qudt.org/vocab/unit/"
WD_NS = "http://www.wikidata.org/entity/"


class _Terms(type):
    """`CP.Country` and `CP["from"]` give the term's IRI as text. A term the class does not
    declare raises, so a misspelt term never mints a new IRI (what rdflib's `DefinedNamespace`
    with `_fail` does; this module does not import rdflib, so the models, which read these
    tables, and a load's worker process, which reads records, do without it: 20 MB)."""

    def __getattr__(cls, name: str) -> str:
        if name.startswith("_") or (name not in cls.__annotations__ and name not in cls._extras):
            raise AttributeError(f"term {name!r} is not in the Chokepoint ontology (kg.vocab.CP)")
        return CP_NS + name

    def __getitem__(cls, name: str) -> str:
        return cls.__getattr__(name)

    _extras: ClassVar[list[str]]


class CP(metaclass=_Terms):
    """The Chokepoint ontology. A misspelt term raises instead of minting a new IRI."""

    _extras: ClassVar[list[str]] = ["from"]          # `cp:from` is a Python keyword: spell it CP["from"]

    # classes for node labels
    Country: str
    Material: str
    Product: str
    Firm: str
    Facility: str
    Agreement: str
    ExportControl: str
    ImportMeasure: str
    HSCode: str
    Source: str
    # statement classes: one per relationship type
    Statement: str
    Observation: str
    ProductionObservation: str
    ReservesObservation: str
    RequirementObservation: str
    TradeFlowObservation: str
    ImportTotalObservation: str
    ImportRelianceObservation: str
    OwnershipObservation: str
    StateOwnershipObservation: str
    OperatesStatement: str
    LocatedInStatement: str
    HeadquarteredInStatement: str
    SuppliesStatement: str
    PartyToStatement: str
    CoversStatement: str
    ImposesStatement: str
    RestrictsStatement: str
    TargetsStatement: str
    ClassifiedAsStatement: str
    # the HS nomenclature as a SKOS concept scheme
    HarmonizedSystem: str
    # object properties: one per relationship type (the direct, "truthy" edge)
    produces: str
    holdsReserves: str
    requires: str
    exportsTo: str
    imports: str
    importReliance: str
    owns: str
    stateOwnedBy: str
    operates: str
    locatedIn: str
    headquarteredIn: str
    supplies: str
    partyTo: str
    covers: str
    imposes: str
    restricts: str
    targets: str
    classifiedAs: str
    # properties of nodes and relationships
    to: str
    confidence: str
    stage: str
    year: str
    quantity: str
    unit: str
    share: str
    worldQuantity: str
    estimated: str
    qualifier: str
    basis: str
    measuredAs: str
    otherShare: str
    sourcesPeriod: str
    series: str
    sourceUnit: str
    role: str
    intensity: str
    intensityUnit: str
    hsCode: str
    valueUsd: str
    flowBasis: str
    shareBasis: str
    month: str
    netImportReliance: str
    importSources: str
    importSourceShares: str
    suppliedItem: str
    scope: str
    hsVersion: str
    url: str
    release: str
    retrieved: str
    sha256: str
    iso3: str
    iso2: str
    isoNumeric: str
    kind: str
    symbol: str
    criticalList: str
    memberOf: str
    members: str
    category: str
    lei: str
    ticker: str
    status: str
    facilityType: str
    latitude: str
    locality: str
    region: str
    activity: str
    supplyStage: str
    iraTimeline: str
    investmentUsd: str
    jobs: str
    productionStart: str
    longitude: str
    signed: str
    instrument: str
    announced: str
    effective: str
    suspendedFrom: str
    suspendedUntil: str
    ended: str
    measure: str
    appliesBy: str
    rate: str
    level: str
    # annotation property: the graph name (label, relationship type, property) a term stands for
    graphName: str


PREFIXES: dict[str, str] = {
    "cp": CP_NS,
    "rdf": RDF_NS,
    "rdfs": RDFS_NS,
    "xsd": XSD_NS,
    "owl": OWL_NS,
    "prov": PROV_NS,
    "dct": DCT_NS,
    "skos": SKOS_NS,
    "units": QUDT_UNIT_NS,      # not "unit": that is the JSON-LD term of the `unit` property
    "wd": WD_NS,
    "stmt": STATEMENT_NS,
}
"""Prefixes bound in every export (plus `ID_PREFIXES`): exactly the vocabularies the data uses."""

ID_KINDS: dict[str, str] = {
    "country": "Country",
    "material": "Material",
    "product": "Product",
    "firm": "Firm",
    "facility": "Facility",
    "agreement": "Agreement",
    "control": "ExportControl",
    "importmeasure": "ImportMeasure",
    "hs": "HSCode",
    "source": "Source",
}
"""Node id prefix (the part before the first ':') -> label. Defined here only: `kg.models.ID_PREFIX`
is derived from it (this module sits below the models)."""

ID_PREFIXES: dict[str, str] = {kind: f"{DATA_NS}{kind}/" for kind in ID_KINDS}
"""CURIE prefixes of node ids: `country:CHN` is a compact IRI once `country:` is bound."""

ALL_PREFIXES: dict[str, str] = {**PREFIXES, **ID_PREFIXES}

# -- labels and relationship types ------------------------------------------------------------

CLASSES: dict[str, str] = {label: str(CP[label]) for label in ID_KINDS.values()}
"""Node label -> OWL class."""

STATEMENT_CLASSES: dict[str, str] = {
    "PRODUCES": str(CP.ProductionObservation),
    "HOLDS_RESERVES": str(CP.ReservesObservation),
    "REQUIRES": str(CP.RequirementObservation),
    "EXPORTS_TO": str(CP.TradeFlowObservation),
    "IMPORTS": str(CP.ImportTotalObservation),
    "IMPORT_RELIANCE": str(CP.ImportRelianceObservation),
    "OWNS": str(CP.OwnershipObservation),
    "STATE_OWNED_BY": str(CP.StateOwnershipObservation),
    "OPERATES": str(CP.OperatesStatement),
    "LOCATED_IN": str(CP.LocatedInStatement),
    "HEADQUARTERED_IN": str(CP.HeadquarteredInStatement),
    "SUPPLIES": str(CP.SuppliesStatement),
    "PARTY_TO": str(CP.PartyToStatement),
    "COVERS": str(CP.CoversStatement),
    "IMPOSES": str(CP.ImposesStatement),
    "RESTRICTS": str(CP.RestrictsStatement),
    "TARGETS": str(CP.TargetsStatement),
    "CLASSIFIED_AS": str(CP.ClassifiedAsStatement),
}
"""Relationship type -> the class of its statement node (endpoints, qualifiers, provenance).
Quantitative facts are `cp:Observation`s; the rest are plain `cp:Statement`s. The relationship
types are listed here once; `tests/test_ontology.py` checks they are `kg.models.RELATIONSHIP_TYPES`."""


def _lower_camel(type_name: str) -> str:
    head, *rest = type_name.lower().split("_")
    return head + "".join(word.capitalize() for word in rest)


RELATIONS: dict[str, str] = {t: str(CP[_lower_camel(t)]) for t in STATEMENT_CLASSES}
"""Relationship type -> object property for the direct edge (`country:CHN cp:produces ...`), by the
naming rule above (`HOLDS_RESERVES` -> `cp:holdsReserves`; `CP` refuses a term it does not define)."""

OBSERVATION_TYPES = tuple(t for t, cls in STATEMENT_CLASSES.items() if cls.endswith("Observation"))

# -- properties --------------------------------------------------------------------------------

LITERAL_KINDS: dict[str, str] = {
    "string": XSD_NS + "string",
    "integer": XSD_NS + "integer",
    "decimal": XSD_NS + "decimal",
    "boolean": XSD_NS + "boolean",
    "date": XSD_NS + "date",
    "year": XSD_NS + "gYear",
    "anyURI": XSD_NS + "anyURI",
}
"""Literal value kinds -> XSD datatype. Floats are exported as exact `xsd:decimal`s of their
shortest repr, so they round-trip bit for bit."""

REFERENCE_KINDS = ("node", "hs", "country", "wikidata", "unit")
"""Value kinds written as IRIs: a node id, an HS code, an ISO3 code, a Wikidata QID, a unit."""


@dataclass(frozen=True)
class Prop:
    """How one graph property (a record field) is written in RDF."""

    name: str            # the graph property / record field, e.g. "value_usd"
    iri: str             # its predicate
    kind: str            # a LITERAL_KINDS or REFERENCE_KINDS key
    many: str = "one"    # "one" value, an unordered "set" (repeated triples), an ordered "list"

    @property
    def is_literal(self) -> bool:
        return self.kind in LITERAL_KINDS

    @property
    def datatype(self) -> str | None:
        return LITERAL_KINDS.get(self.kind)

    @property
    def term(self) -> str:
        """The JSON-LD context term: the record field name."""
        return self.name


def _p(name: str, iri: str, kind: str, many: str = "one") -> Prop:
    return Prop(name, str(iri), kind, many)


_PROPS = [
    # every node
    _p("id", DCT_NS + "identifier", "string"),
    _p("name", RDFS_NS + "label", "string"),
    _p("source_ids", PROV_NS + "wasDerivedFrom", "node", "set"),
    _p("notes", RDFS_NS + "comment", "string"),
    # Source
    _p("title", DCT_NS + "title", "string"),
    _p("publisher", DCT_NS + "publisher", "string"),
    _p("url", CP.url, "anyURI"),
    _p("license", DCT_NS + "license", "string"),
    _p("release", CP.release, "string"),
    _p("year", CP.year, "year"),
    _p("retrieved", CP.retrieved, "date"),
    _p("sha256", CP.sha256, "string"),
    # Country
    _p("iso3", CP.iso3, "string"),
    _p("iso2", CP.iso2, "string"),
    _p("numeric", CP.isoNumeric, "string"),
    _p("wikidata", OWL_NS + "sameAs", "wikidata"),
    _p("members", CP.members, "node", "set"),
    # Material, Product, Firm, Facility
    _p("kind", CP.kind, "string"),
    _p("symbol", CP.symbol, "string"),
    _p("critical_lists", CP.criticalList, "string", "set"),
    _p("member_of", CP.memberOf, "node", "set"),
    _p("category", CP.category, "string"),
    _p("lei", CP.lei, "string"),
    _p("ticker", CP.ticker, "string"),
    _p("status", CP.status, "string"),
    _p("facility_type", CP.facilityType, "string"),
    _p("latitude", CP.latitude, "decimal"),
    _p("longitude", CP.longitude, "decimal"),
    _p("locality", CP.locality, "string"),
    _p("region", CP.region, "string"),
    _p("activities", CP.activity, "string", "set"),
    _p("stages", CP.supplyStage, "string", "set"),
    _p("ira_timeline", CP.iraTimeline, "string", "set"),
    _p("investment_usd", CP.investmentUsd, "decimal"),
    _p("jobs", CP.jobs, "integer"),
    _p("production_start", CP.productionStart, "year"),
    # Agreement, ExportControl, ImportMeasure
    _p("signed", CP.signed, "date"),
    _p("instrument", CP.instrument, "string"),
    _p("announced", CP.announced, "date"),
    _p("effective", CP.effective, "date"),
    _p("suspended_from", CP.suspendedFrom, "date"),
    _p("suspended_until", CP.suspendedUntil, "date"),
    _p("ended", CP.ended, "date"),
    _p("measure", CP.measure, "string"),
    _p("applies_by", CP.appliesBy, "string"),
    _p("rate", CP.rate, "decimal"),
    # HSCode (a skos:Concept in cp:HarmonizedSystem)
    _p("code", SKOS_NS + "notation", "string"),
    _p("hs_version", CP.hsVersion, "string"),
    _p("level", CP.level, "integer"),
    _p("parent", SKOS_NS + "broader", "hs"),
    # every relationship
    _p("from", CP["from"], "node"),
    _p("to", CP.to, "node"),
    _p("confidence", CP.confidence, "string"),
    # relationship qualifiers
    _p("stage", CP.stage, "string"),
    _p("quantity", CP.quantity, "decimal"),
    _p("unit", CP.unit, "unit"),
    _p("share", CP.share, "decimal"),
    _p("world_quantity", CP.worldQuantity, "decimal"),
    _p("estimated", CP.estimated, "boolean"),
    _p("qualifier", CP.qualifier, "string"),
    _p("basis", CP.basis, "string"),
    _p("measured_as", CP.measuredAs, "string"),
    _p("source_unit", CP.sourceUnit, "string"),
    _p("role", CP.role, "string"),
    _p("intensity", CP.intensity, "decimal"),
    _p("intensity_unit", CP.intensityUnit, "string"),
    _p("hs_code", CP.hsCode, "hs"),
    _p("value_usd", CP.valueUsd, "decimal"),
    _p("flow_basis", CP.flowBasis, "string"),
    _p("share_basis", CP.shareBasis, "string"),
    _p("month", CP.month, "integer"),
    _p("net_import_reliance", CP.netImportReliance, "decimal"),
    _p("sources", CP.importSources, "country", "list"),
    _p("source_shares", CP.importSourceShares, "decimal", "list"),
    _p("other_share", CP.otherShare, "decimal"),
    _p("sources_period", CP.sourcesPeriod, "string"),
    _p("series", CP.series, "string"),
    _p("item_id", CP.suppliedItem, "node"),
    _p("scope", CP.scope, "string"),
]

PROPERTIES: dict[str, Prop] = {p.name: p for p in _PROPS}
"""Graph property (record field) -> how it is written. One predicate per property name: a name
means the same thing on every label and relationship type that has it."""

PROPERTY_BY_IRI: dict[str, Prop] = {p.iri: p for p in _PROPS}

UNITS: dict[str, str] = {
    "t": QUDT_UNIT_NS + "TONNE",
    "carat": QUDT_UNIT_NS + "CARAT",
    "m3": QUDT_UNIT_NS + "M3",
    "USD": QUDT_UNIT_NS + "CCY_USD",
}
"""The normalised units (`kg.models.UNITS`) -> QUDT units."""
UNIT_BY_IRI = {v: k for k, v in UNITS.items()}

LABEL_BY_CLASS = {v: k for k, v in CLASSES.items()}
TYPE_BY_STATEMENT_CLASS = {v: k for k, v in STATEMENT_CLASSES.items()}
TYPE_BY_RELATION = {v: k for k, v in RELATIONS.items()}

RDF_TYPE = RDF_NS + "type"
RDF_FIRST = RDF_NS + "first"
RDF_REST = RDF_NS + "rest"
RDF_NIL = RDF_NS + "nil"
SKOS_IN_SCHEME = SKOS_NS + "inScheme"
DERIVED_PREDICATES = frozenset({SKOS_IN_SCHEME})
"""Predicates the exporter adds for consumers that carry no graph property (the importer skips
them, together with the direct relationship edges of `RELATIONS`)."""


# -- IRIs of data ------------------------------------------------------------------------------

_SAFE = ":-._~"
_PLAIN = re.compile(r"[A-Za-z0-9:.~-]*")       # needs no escaping in an IRI path or a statement IRI


def _escape(part: str) -> str:
    return part if _PLAIN.fullmatch(part) else quote(part, safe=_SAFE).replace("_", "%5F")


@lru_cache(maxsize=65536)
def node_iri(node_id: str) -> str:
    """`country:CHN` -> `https://w3id.org/chokepoint/id/country/CHN` (the id as a CURIE)."""
    kind, sep, rest = node_id.partition(":")
    if not sep or kind not in ID_PREFIXES or not rest:
        raise ValueError(f"{node_id!r} is not a node id (<kind>:<key> with kind one of "
                         f"{', '.join(ID_PREFIXES)})")
    return ID_PREFIXES[kind] + (rest if _PLAIN.fullmatch(rest) else quote(rest, safe=_SAFE))


def node_id(iri: str) -> str:
    """The inverse of `node_iri`."""
    if iri.startswith(DATA_NS):
        kind, sep, rest = iri[len(DATA_NS):].partition("/")
        if sep and kind in ID_PREFIXES and rest and "/" not in rest:
            return f"{kind}:{unquote(rest)}"
    raise ValueError(f"<{iri}> is not a Chokepoint node IRI ({DATA_NS}<kind>/<key>)")


def statement_iri(rel_type: str, from_id: str, to_id: str, keys: tuple[Any, ...]) -> str:
    """A deterministic IRI for one relationship: its type, endpoints and key properties, so facts
    for different years or stages get different statements and a re-export gives the same IRIs:
    `stmt:produces_country:CHN_material:gallium_refining_2024`."""
    parts = [RELATIONS[rel_type][len(CP_NS):], from_id, to_id,
             *("" if k is None else str(k) for k in keys)]
    # '_' separates the parts; it occurs in no id or key value, and is escaped if it ever did.
    return STATEMENT_NS + "_".join(map(_escape, parts))


def hs_iri(code: str) -> str:
    return node_iri(f"hs:{code}")


def country_iri(iso3: str) -> str:
    return node_iri(f"country:{iso3}")


def wikidata_iri(qid: str) -> str:
    return WD_NS + qid


def decimal_lexical(value: float | int) -> str:
    """The exact `xsd:decimal` lexical form of a number's shortest repr (`1e-07` -> `0.0000001`)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a decimal")
    if isinstance(value, int):
        return str(value)
    text = repr(float(value))
    if "e" not in text and "n" not in text:     # already positional (no exponent, not inf/nan)
        return text
    text = format(Decimal(text), "f")
    return text if "." in text else text + ".0"


def curie(iri: str) -> str:
    """Shorten an IRI with the bound prefixes (for messages and JSON-LD); unchanged if none fits."""
    best = ""
    for prefix, ns in ALL_PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(ALL_PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(ALL_PREFIXES[best]):]}" if best else iri


# -- JSON-LD -----------------------------------------------------------------------------------

def jsonld_context() -> dict[str, Any]:
    """The JSON-LD context (published as `ontology/context.jsonld`): record field names, labels,
    statement classes and relationship properties as terms, and every prefix of the exports."""
    ctx: dict[str, Any] = dict(ALL_PREFIXES)
    ctx["type"] = "@type"
    for label, iri in CLASSES.items():
        ctx[label] = curie(iri)
    for iri in STATEMENT_CLASSES.values():
        ctx[iri[len(CP_NS):]] = curie(iri)
    for term in ("Statement", "Observation", "HarmonizedSystem"):
        ctx[term] = curie(str(CP[term]))
    for iri in RELATIONS.values():
        ctx[iri[len(CP_NS):]] = {"@id": curie(iri), "@type": "@id"}
    ctx["inScheme"] = {"@id": curie(SKOS_IN_SCHEME), "@type": "@id"}
    for prop in _PROPS:
        definition: dict[str, Any] = {"@id": curie(prop.iri)}
        if not prop.is_literal:
            definition["@type"] = "@id"
        elif prop.kind != "string":
            definition["@type"] = curie(LITERAL_KINDS[prop.kind])
        if prop.many == "list":
            definition["@container"] = "@list"
        ctx[prop.term] = definition
    return {"@context": ctx}


if __name__ == "__main__":      # python -m kg.vocab > ontology/context.jsonld
    import json
    print(json.dumps(jsonld_context(), indent=2, ensure_ascii=False))
