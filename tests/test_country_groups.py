"""Country groups (docs/ontology.md, "Country groups"): the EU-27 as a `Country` node
`country:EU27` with its `members`, carrying Eurostat's and the European Court of Auditors' figures
as its own imports. Expected values are worked out by hand from the figures in the tests' own
records or from the bundled part's cited figures (the arithmetic is in the comments)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, URIRef

from kg import api, vocab
from kg.errors import DataError
from kg.models.parse import parse_record
from kg.paths import snapshot_dir
from kg.rdf import export_rdf
from kg.rdf.shacl import validate_store

from .conftest import write_jsonl

SRC = ["source:s"]
EU = {"type": "Country", "id": "country:EU27", "name": "European Union (27)",
      "members": ["country:DEU", "country:FRA", "country:AUT"], "source_ids": SRC}


def rec(**data: Any) -> Any:
    return parse_record({"source_ids": SRC, **data}, file="t.jsonl", line=1)


# -- the model ----------------------------------------------------------------------------------

def test_a_group_is_a_country_with_members_and_no_iso_codes() -> None:
    eu = rec(**EU)
    assert eu.members == ("country:DEU", "country:FRA", "country:AUT") and eu.iso3 is None
    flow = rec(type="EXPORTS_TO", **{"from": "country:CHN", "to": "country:EU27"}, hs_code="280530",
               year=2024, quantity=6000, unit="t", flow_basis="imports")
    assert flow.to_id == "country:EU27"
    total = rec(type="IMPORTS", **{"from": "country:EU27", "to": "hs:280530"}, year=2024,
                quantity=12900, unit="t")
    assert total.from_id == "country:EU27"


@pytest.mark.parametrize("change, words", [
    ({"members": []}, "members must list its countries"),
    ({"members": ["country:DEU"]}, "members must list its countries"),
    ({"iso2": "EU"}, "has no ISO codes"),
    ({"members": ["country:DEU", "country:EU27"]}, "must be a country id"),
    ({"members": ["country:DEU", "material:gallium"]}, "must be a country id"),
    ({"members": ["country:DEU", "country:XYZ"]}, "ISO 3166"),
    ({"members": ["country:DEU", "country:DEU"]}, "listed twice"),
    ({"id": "country:EU28"}, "ISO 3166"),            # not a known group: no new group by a typo
    ({"id": "country:EU2"}, "id pattern"),
])
def test_bad_groups_are_rejected(change: dict[str, Any], words: str) -> None:
    with pytest.raises(DataError, match=words):
        rec(**{**EU, **change})


def test_a_country_has_no_members() -> None:
    with pytest.raises(DataError, match="not a group"):
        rec(type="Country", id="country:DEU", name="Germany", members=["country:FRA", "country:AUT"])


def test_an_unknown_group_is_no_flow_endpoint() -> None:
    with pytest.raises(DataError, match="country group"):
        rec(type="EXPORTS_TO", **{"from": "country:CHN", "to": "country:EU28"}, hs_code="2846",
            year=2024, value_usd=1.0)


# -- RDF export and SHACL -----------------------------------------------------------------------

RECORDS = [
    {"type": "Source", "id": "source:s", "name": "s", "title": "s", "publisher": "p",
     "url": "https://example.org", "license": "CC0", "retrieved": "2025-01-01"},
    *[{"type": "Country", "id": f"country:{c}", "name": c, "source_ids": SRC}
      for c in ("CHN", "DEU", "FRA", "AUT")],
    EU,
    {"type": "HSCode", "id": "hs:280530", "name": "rare-earth metals", "code": "280530",
     "source_ids": SRC},
    {"type": "EXPORTS_TO", "from": "country:CHN", "to": "country:EU27", "hs_code": "280530",
     "year": 2024, "quantity": 6000, "unit": "t", "flow_basis": "imports", "confidence": "H",
     "source_ids": SRC},
    {"type": "IMPORTS", "from": "country:EU27", "to": "hs:280530", "year": 2024, "quantity": 12900,
     "unit": "t", "flow_basis": "imports", "source_ids": SRC},
]


@pytest.fixture
def grouped(embedded_store: Any, tmp_path: Path) -> Any:
    api.import_records(embedded_store, [write_jsonl(tmp_path / "groups.jsonl", RECORDS)])
    return embedded_store


def test_members_export_as_country_iris_and_validate(grouped: Any) -> None:
    buf = io.BytesIO()
    export_rdf(grouped, buf, "turtle")
    g = Graph().parse(data=buf.getvalue(), format="turtle")
    eu = URIRef("https://w3id.org/chokepoint/id/country/EU27")
    members = set(g.objects(eu, URIRef(str(vocab.CP.members))))
    assert members == {URIRef(f"https://w3id.org/chokepoint/id/country/{c}") for c in ("DEU", "FRA", "AUT")}
    result = validate_store(grouped)
    assert result.conforms, "\n".join(result.lines(30))


def test_the_group_reads_back_with_its_members(grouped: Any) -> None:
    rows = grouped.read("MATCH (c:Country {id: 'country:EU27'})<-[e:EXPORTS_TO]-(:Country {id: "
                        "'country:CHN'}) MATCH (c)-[t:IMPORTS]->(:HSCode {code: '280530'}) "
                        "RETURN c.members AS members, e.quantity / t.quantity AS share", {})
    assert rows == [{"members": ["country:DEU", "country:FRA", "country:AUT"],
                     "share": pytest.approx(6000 / 12900)}]


# -- the bundled part: EU-27 and Germany legs (facts-trade-partners, section B3) ----------------

PART = snapshot_dir() / "trade-partners"


def _rows(name: str) -> list[dict[str, str]]:
    with (PART / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_eu27_node_lists_the_27_member_states() -> None:
    (eu,) = _rows("Country")
    members = eu["members"].split(";")
    assert eu["id"] == "country:EU27" and len(set(members)) == 27
    # founding six, the 2004-2013 enlargements, and not the United Kingdom (left 2020)
    assert {"country:DEU", "country:FRA", "country:ITA", "country:NLD", "country:BEL",
            "country:LUX", "country:EST", "country:HRV"} <= set(members)
    assert "country:GBR" not in members


def test_eurostat_rare_earth_metals_2024_weight_shares() -> None:
    flows = {r["from"]: r for r in _rows("EXPORTS_TO")
             if r["to"] == "country:EU27" and r["hs_code"] == "280530" and r["year"] == "2024"}
    (total,) = [r for r in _rows("IMPORTS") if r["from"] == "country:EU27" and r["to"] == "hs:280530"]
    # Eurostat: 12,900 t in all; China 6,000 t (46.3 %), Russia 3,700 t, Malaysia 2,600 t
    assert float(total["quantity"]) == 12900 and total["confidence"] == "H"
    shares = {k: float(r["quantity"]) / float(total["quantity"]) for k, r in flows.items()}
    assert shares == {"country:CHN": pytest.approx(0.4651, abs=1e-4),
                      "country:RUS": pytest.approx(0.2868, abs=1e-4),
                      "country:MYS": pytest.approx(0.2016, abs=1e-4)}
    assert {r["confidence"] for r in flows.values()} == {"H"}


def test_graded_and_projected_eu_figures_keep_their_marks() -> None:
    eu = [r for r in _rows("EXPORTS_TO") if r["to"] == "country:EU27"]
    magnets = [r for r in eu if r["hs_code"] == "850511" and r["flow_basis"] == "imports"]
    # ECA: 17,000 of the 20,000 t used; 20,000 t is use, so no IMPORTS total is recorded for it
    assert [(float(r["quantity"]), float(r["share"]), r["confidence"]) for r in magnets] == [
        (17000.0, 0.85, "M")]
    assert not [r for r in _rows("IMPORTS") if r["from"] == "country:EU27" and r["to"] == "hs:850511"]
    # the graphite article is graded L-M: L; its 2024 figures are projections and not loaded
    graphite = [r for r in eu if r["hs_code"] in ("2504", "3801") and r["source_ids"].endswith("graphite-2024")]
    assert graphite and {r["confidence"] for r in graphite} == {"L"}
    assert {r["year"] for r in graphite} == {"2023"}
    # gallium and germanium share HS 811292: ECA's 71 % and 45 % cannot be told apart there
    assert not [r for r in eu if r["hs_code"].startswith("8112")]


@pytest.mark.skipif(not PART.is_dir(), reason="no bundled trade-partners part")
def test_the_bundled_graph_answers_the_eu_rare_earth_share(snapshot_store: Any) -> None:
    rows = snapshot_store.read(
        "MATCH (eu:Country {id: 'country:EU27'})-[t:IMPORTS]->(h:HSCode {code: '280530'}) "
        "WHERE t.year = 2024 "
        "MATCH (:Country {id: 'country:CHN'})-[e:EXPORTS_TO]->(eu) "
        "WHERE e.hs_code = h.code AND e.year = t.year AND e.flow_basis = t.flow_basis "
        "RETURN size(eu.members) AS members, e.quantity / t.quantity AS share", {})
    assert rows == [{"members": 27, "share": pytest.approx(6000 / 12900)}]
