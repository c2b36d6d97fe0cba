"""Wikidata loader: SPARQL JSON results, optional variables, QID labels, ownership, fetch()."""

from __future__ import annotations

import json
import os
import time

import pytest

from kg.errors import DataError
from kg.sources import FetchError
from loaders import wikidata

from .conftest import FIXTURES
from .loader_checks import assert_closed, by_type, edges, with_manifest
from .loopback import Answer, loopback

WD = FIXTURES / "wikidata"
A, S = "firm:lei:549300EXMPLLITHIUM01", "firm:lei:549300EXMPLSTATEH002"


@pytest.fixture
def records(tmp_path):
    return assert_closed(wikidata.parse([with_manifest(WD, tmp_path / "raw")]))


def test_counts_by_hand(records):
    assert by_type(records) == {"Firm": 6, "Facility": 3, "Material": 3, "Source": 3,
                                "HEADQUARTERED_IN": 5, "PRODUCES": 6, "OWNS": 4,
                                "STATE_OWNED_BY": 1, "OPERATES": 1, "LOCATED_IN": 3}


def test_firms_ids_labels_and_optional_variables(records):
    firms = {r.id: r for r in records if r.type_name == "Firm"}
    # an LEI anywhere in the results makes the id firm:lei:<LEI> (the join key with GLEIF)
    assert firms[A].wikidata == "Q900001" and firms[A].lei == "549300EXMPLLITHIUM01"
    assert firms[S].wikidata == "Q900010"          # its LEI came from the ownership query only
    # the label service's QID fallback, and a row with no label variable at all
    assert firms["firm:q900002"].name == "Q900002" and firms["firm:q900003"].name == "Q900003"
    assert firms["firm:q900003"].lei is None       # optional ?lei absent
    assert "firm:q900011" not in firms and "firm:q900013" not in firms   # a person; an ended stake
    hq = edges(records, "HEADQUARTERED_IN")
    assert (A, "country:AUS") in hq and hq[("firm:q900002", "country:COD")].notes.startswith("country (P17)")
    assert not any(k[0] == "firm:q900003" for k in hq)    # no country at all


def test_ownership(records):
    owns = edges(records, "OWNS")
    stake = owns[(S, A)]       # P127 (51 %) and P749 on the same pair: one edge, both bases
    assert stake.share == 0.51 and "P127" in stake.basis and "P749" in stake.basis
    assert owns[("firm:q900002", "firm:q900012")].basis == "Wikidata P355 (subsidiary)"
    assert owns[(A, "facility:q900100")].share == 1.0
    state = edges(records, "STATE_OWNED_BY")[(S, "country:CHN")]
    assert state.share == 0.25                  # "25" entered as a percentage
    assert ("firm:q900010", "facility:q900102") not in owns   # a state owner of a facility: no Firm


def test_facilities_and_produces(records):
    facilities = {r.id: r for r in records if r.type_name == "Facility"}
    mine = facilities["facility:q900100"]
    assert (mine.latitude, mine.longitude, mine.facility_type) == (-33.86, 116.07, "mine")
    assert facilities["facility:q900101"].name == "Q900101"
    produces = {(r.from_id, r.to_id, r.stage): r for r in records if r.type_name == "PRODUCES"}
    assert set(produces) == {
        (A, "material:lithium", "mining"), (A, "material:lithium", "refining"),   # two industries
        ("firm:q900003", "material:graphite", "mining"),                          # matched by label
        ("facility:q900100", "material:lithium", "mining"),
        ("facility:q900101", "material:rare-earths", "refining"),
        ("facility:q900102", "material:rare-earths", "mining")}
    assert all(r.year == 2026 for r in produces.values())      # the retrieval year
    materials = {r.id: r for r in records if r.type_name == "Material"}
    assert materials["material:lithium"].symbol == "Li" and "material:cobalt" not in materials
    assert edges(records, "OPERATES")[(A, "facility:q900100")]


def _results(tmp_path, variables, bindings):
    path = tmp_path / "r.json"
    path.write_text('{"head":{"vars":%s},"results":{"bindings":[\n%s\n]}}'
                    % (json.dumps(variables), ",\n".join(json.dumps(b) for b in bindings)))
    return path


def _uri(q):
    return {"type": "uri", "value": f"http://www.wikidata.org/entity/{q}"}


@pytest.mark.parametrize("binding, field, message", [
    ({"facility": _uri("Q1"), "coord": {"type": "literal", "value": "Point(200 95)"}}, "coord", "WKT Point"),
    ({"facility": {"type": "uri", "value": "http://example.org/x"}}, "facility", "not a Wikidata entity"),
    ({"facility": _uri("Q1"), "owner": _uri("Q2"), "share": {"type": "literal", "value": "abc"}}, "share", "not a number"),
])
def test_bad_bindings_name_file_line_field(tmp_path, binding, field, message):
    path = _results(tmp_path, ["facility", "coord", "owner", "share"], [{"facility": _uri("Q9")}, binding])
    with pytest.raises(DataError) as err:
        list(wikidata.parse([path]))
    assert (err.value.line, err.value.field) == (3, field) and message in str(err.value)


def test_unknown_result_shape(tmp_path):
    with pytest.raises(DataError, match="unknown query"):
        list(wikidata.parse([_results(tmp_path, ["x"], [])]))
    bad = tmp_path / "bad.json"
    bad.write_text('{"boolean": true}')
    with pytest.raises(DataError, match="not SPARQL JSON results"):
        list(wikidata.parse([bad]))


def test_queries_are_stored_files():
    for name in wikidata.QUERIES:
        text = wikidata.query_text(name)
        assert text.startswith("# title:") and "SELECT" in text and "wikibase:label" in text


def test_fetch_is_polite_and_retries_429(tmp_path):
    firms = (WD / "wikidata_firms.json").read_bytes()
    with loopback() as srv:
        srv.route("/sparql", Answer(429, b"Too many requests", {"Retry-After": "1"}),
                  Answer(200, firms), Answer(500, b"java.lang.OutOfMemoryError"), Answer(200, firms))
        started = time.monotonic()
        files = wikidata.fetch(tmp_path, base_url=f"{srv.url}/sparql", queries=("firms", "ownership"),
                               pace_seconds=0.3, backoff=0.01)
        elapsed = time.monotonic() - started
        hits = srv.hits("/sparql")
    assert len(hits) == 4 and elapsed >= 1.0       # Retry-After: 1 honoured
    assert hits[0].query["query"] == [wikidata.query_text("firms")]
    assert hits[-1].query["query"] == [wikidata.query_text("ownership")]
    assert hits[0].headers["Accept"] == "application/sparql-results+json"
    assert hits[0].headers["User-Agent"].startswith("chokepoint-kg/")
    assert [f.name for f in files] == ["wikidata_firms.json", "wikidata_ownership.json"]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["files"][0]["query"] == "loaders/_queries/wikidata_firms.rq"


def test_fetch_paces_queries(tmp_path):
    body = (WD / "wikidata_firms.json").read_bytes()
    with loopback() as srv:
        srv.route("/sparql", Answer(200, body))
        started = time.monotonic()
        wikidata.fetch(tmp_path, base_url=f"{srv.url}/sparql", pace_seconds=0.4, curated=tmp_path / "none")
        elapsed = time.monotonic() - started
    assert len(srv.hits("/sparql")) == 3 and elapsed >= 0.8   # two pauses between three queries


def test_fetch_timeout_exhausted_leaves_nothing(tmp_path):
    with loopback() as srv:
        srv.route("/sparql", Answer(200, b"{}", delay=1.5))
        with pytest.raises(FetchError):
            wikidata.fetch(tmp_path, base_url=f"{srv.url}/sparql", queries=("firms",),
                           pace_seconds=0, timeout=0.3, retries=1, backoff=0.01)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.network
@pytest.mark.skipif(os.environ.get("KG_TEST_NETWORK") != "1", reason="live internet test: set KG_TEST_NETWORK=1")
def test_live_wikidata(tmp_path):
    files = wikidata.fetch(tmp_path, queries=("firms",))
    assert any(r.type_name == "Firm" for r in wikidata.parse(files))
