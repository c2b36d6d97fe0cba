"""The ontology as code: ids, validation and mandatory provenance."""

from __future__ import annotations

import pytest

from kg.errors import DataError
from kg.models import NODE_TYPES, RELATIONSHIP_TYPES, mint, parse_record

SRC = ["source:usgs-mcs-2025"]


def rec(**kw):
    return parse_record(kw, file="f.jsonl", line=7)


def test_design_vocabulary_is_complete():
    assert set(NODE_TYPES) == {"Country", "Material", "Product", "Firm", "Facility", "Agreement",
                               "ExportControl", "ImportMeasure", "HSCode", "Source"}
    assert set(RELATIONSHIP_TYPES) == {
        "PRODUCES", "HOLDS_RESERVES", "REQUIRES", "EXPORTS_TO", "IMPORTS", "IMPORT_RELIANCE", "OWNS",
        "STATE_OWNED_BY", "OPERATES", "LOCATED_IN", "HEADQUARTERED_IN", "SUPPLIES", "PARTY_TO",
        "COVERS", "IMPOSES", "RESTRICTS", "TARGETS", "CLASSIFIED_AS"}


def test_ids_are_deterministic():
    assert mint("Country", "chn") == "country:CHN"
    assert mint("Material", "Rare Earths") == "material:rare-earths"
    assert mint("Facility", "Côte d’Ivoire Mine") == "facility:cote-divoire-mine"
    assert mint("HSCode", "8505.11") == "hs:850511"
    assert mint("Firm", "5493001KJTIIGC8Y1R12") == "firm:lei:5493001KJTIIGC8Y1R12"


def test_records_are_frozen():
    r = rec(type="Material", id="material:gallium", name="Gallium", source_ids=SRC)
    with pytest.raises(Exception):
        r.name = "x"


@pytest.mark.parametrize("data, field, words", [
    ({"type": "Country", "id": "country:XYZ", "name": "Nowhere"}, None, "ISO 3166"),
    ({"type": "Material", "id": "material:Bad Id", "name": "x"}, "id", "id pattern"),
    ({"type": "PRODUCES", "from": "country:CHN", "to": "material:gallium", "stage": "mine",
      "year": 2024}, "stage", "unknown stage"),
    ({"type": "PRODUCES", "from": "country:CHN", "to": "material:gallium", "stage": "mining",
      "year": 1066}, "year", "greater than or equal"),
    ({"type": "PRODUCES", "from": "country:CHN", "to": "material:gallium", "stage": "mining",
      "year": 2024, "share": 1.2}, "share", "less than or equal"),
    ({"type": "PRODUCES", "from": "country:CHN", "to": "material:gallium", "stage": "mining",
      "year": 2024, "quantity": 5, "unit": "pounds"}, "unit", "unknown unit"),
    ({"type": "PRODUCES", "from": "country:CHN", "to": "material:gallium", "stage": "mining",
      "year": 2024, "quantity": 5}, None, "needs a unit"),
    ({"type": "ExportControl", "id": "control:x", "name": "x", "instrument": "No. 1",
      "effective": "2025-13-01"}, "effective", "ISO date"),
    ({"type": "OWNS", "from": "country:CHN", "to": "facility:x"}, None, "OWNS goes"),
    ({"type": "ImportMeasure", "id": "importmeasure:x", "name": "x", "instrument": "Sec. 301",
      "kind": "embargo"}, "kind", "unknown import measure kind"),
    ({"type": "ImportMeasure", "id": "importmeasure:x", "name": "x", "instrument": "Sec. 301",
      "kind": "tariff", "applies_by": "ownership"}, "applies_by", "unknown applies_by"),
    ({"type": "ImportMeasure", "id": "control:x", "name": "x", "instrument": "Sec. 301",
      "kind": "tariff"}, "id", "id pattern"),
    ({"type": "ExportControl", "id": "control:x", "name": "x", "instrument": "No. 1",
      "effective": "2025-06-01", "ended": "2025-01-01"}, None, "before"),
    ({"type": "TARGETS", "from": "control:x", "to": "material:gallium"}, None, "TARGETS goes"),
    ({"type": "PRODUCES", "from": "country:ZZZ", "to": "material:gallium", "stage": "mining",
      "year": 2024}, None, "ISO 3166"),
    ({"type": "Material", "id": "material:x", "name": "x", "colour": "red"}, "colour", "unknown field"),
    ({"type": "Gizmo", "id": "gizmo:x"}, "type", "unknown record type"),
])
def test_bad_records_name_file_line_and_field(data, field, words):
    data = {"source_ids": SRC, **data}
    with pytest.raises(DataError) as err:
        rec(**data)
    assert err.value.file == "f.jsonl" and err.value.line == 7
    assert str(err.value).startswith("f.jsonl:7: ")
    if field:
        assert err.value.field == field
    assert words in str(err.value)


def test_provenance_is_mandatory():
    with pytest.raises(DataError) as err:
        rec(type="Material", id="material:gallium", name="Gallium")
    assert err.value.field == "source_ids"
    with pytest.raises(DataError):
        rec(type="Material", id="material:gallium", name="Gallium", source_ids=[])


def test_source_cites_itself():
    s = rec(type="Source", id="source:x", name="X", title="X", publisher="P", url="https://x",
            license="CC0", retrieved="2025-01-31")
    assert s.source_ids == ("source:x",)


def test_qualifiers_are_kept_not_zero():
    r = rec(type="PRODUCES", **{"from": "country:USA"}, to="material:gallium", stage="refining",
            year=2024, qualifier="W", source_ids=SRC)
    assert r.quantity is None and r.qualifier == "W"
    assert "quantity" not in r.properties()


def test_relationship_identity_includes_key_properties():
    a = rec(type="PRODUCES", **{"from": "country:CHN"}, to="material:gallium", stage="refining",
            year=2024, source_ids=SRC)
    b = rec(type="PRODUCES", **{"from": "country:CHN"}, to="material:gallium", stage="refining",
            year=2023, source_ids=SRC)
    cap = rec(type="PRODUCES", **{"from": "country:CHN"}, to="material:gallium", stage="refining",
              year=2024, basis="capacity", source_ids=SRC)
    assert a.key() != b.key() and a.key() != cap.key()    # capacity is a fact beside output
    assert a.key() == ("PRODUCES", "country:CHN", "material:gallium", "refining", 2024, "output")


def test_production_basis_is_output_or_capacity():
    with pytest.raises(DataError, match="basis"):
        rec(type="PRODUCES", **{"from": "country:CHN"}, to="material:gallium", stage="refining",
            year=2024, basis="gallium content", source_ids=SRC)


def test_records_round_trip_through_json():
    r = rec(type="IMPORT_RELIANCE", **{"from": "country:USA"}, to="material:gallium", year=2024,
            net_import_reliance=1.0, sources=["CHN", "JPN"], source_ids=SRC)
    again = parse_record(r.to_json())
    assert again == r
    assert r.to_json()["from"] == "country:USA"


def test_import_measures_link_like_export_controls():
    measure = rec(type="ImportMeasure", id="importmeasure:us-301", name="Section 301 tariffs",
                  instrument="Section 301", kind="tariff", rate=0.25, effective="2024-09-27",
                  source_ids=SRC)
    assert measure.applies_by == "origin" and measure.rate == 0.25
    for data in ({"type": "IMPOSES", "from": "country:USA", "to": "importmeasure:us-301"},
                 {"type": "RESTRICTS", "from": "importmeasure:us-301", "to": "material:graphite"},
                 {"type": "TARGETS", "from": "importmeasure:us-301", "to": "country:CHN"},
                 {"type": "TARGETS", "from": "importmeasure:us-301", "to": "firm:catl"}):
        assert rec(**data, source_ids=SRC).to_id == data["to"]


def test_imports_total_needs_a_figure_and_a_country_to_hs_code():
    ok = rec(type="IMPORTS", **{"from": "country:USA", "to": "hs:850760"}, year=2024,
             value_usd=23849e6, flow_basis="imports", source_ids=SRC)
    assert ok.key() == ("IMPORTS", "country:USA", "hs:850760", 2024, 0, "imports")
    with pytest.raises(DataError, match="needs value_usd or quantity"):
        rec(type="IMPORTS", **{"from": "country:USA", "to": "hs:850760"}, year=2024, source_ids=SRC)
    with pytest.raises(DataError, match="a quantity needs a unit"):
        rec(type="IMPORTS", **{"from": "country:KOR", "to": "hs:282520"}, year=2024,
            quantity=101447.0, source_ids=SRC)
    with pytest.raises(DataError, match="IMPORTS goes Country -> HSCode"):
        rec(type="IMPORTS", **{"from": "country:USA", "to": "country:CHN"}, year=2024,
            value_usd=1.0, source_ids=SRC)


def test_stated_trade_share_needs_its_basis():
    base = {"type": "EXPORTS_TO", "from": "country:CHN", "to": "country:KOR", "hs_code": "850511",
            "year": 2023, "source_ids": SRC}
    assert rec(**base, share=0.847, share_basis="value").share == 0.847
    with pytest.raises(DataError, match="needs its share_basis"):
        rec(**base, share=0.847)
    with pytest.raises(DataError, match="unknown share_basis"):
        rec(**base, share=0.5, share_basis="volume")
