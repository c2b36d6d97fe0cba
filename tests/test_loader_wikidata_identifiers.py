"""Wikidata: curated firms found by their LEI (P1278), never by name, and Wikidata items merging
into the curated firms they are (by QID or LEI)."""

from __future__ import annotations

import csv

from kg.build import verified_cache
from loaders import wikidata

from .conftest import FIXTURES
from .loader_checks import edges, with_manifest
from .loopback import Answer, loopback

CUR = FIXTURES / "gleif" / "names" / "curated"
IDENT = FIXTURES / "wikidata_identifiers" / "wikidata_identifiers.json"
BHP, ABROAD = "WZE1WSENV6JSZFK0JC28", "5493EXMPLABROAD00001"


def _report(path, rows):
    cols = ["firm_id", "name", "countries", "status", "lei", "gleif_name", "candidates", "query",
            "retrieved"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in cols})


def _fetch(tmp_path):
    (tmp_path / "gleif").mkdir()
    _report(tmp_path / "gleif" / "name-matches.csv", [
        {"firm_id": "firm:example-abroad", "status": "resolved", "lei": ABROAD},
        {"firm_id": "firm:example-twin", "status": "ambiguous", "candidates": "5493EXMPLTWINMET0001"}])
    with loopback() as srv:
        srv.route("/sparql", Answer(503, b"busy"), Answer(200, IDENT.read_bytes()))
        files = wikidata.fetch(tmp_path / "wikidata", base_url=f"{srv.url}/sparql",
                               queries=("identifiers",), curated=CUR, pace_seconds=0, backoff=0.01)
        return files, srv.hits("/sparql")


def test_fetch_asks_by_lei_for_curated_firms_without_a_qid(tmp_path):
    files, hits = _fetch(tmp_path)
    assert len(hits) == 2                                     # the 503 retried
    query = hits[-1].query["query"][0]
    # BHP (curated LEI, no QID) and the firm GLEIF's name search resolved; Tesla has a QID already,
    # the ambiguous firm has no LEI: neither is asked for
    assert f'VALUES ?identifiedLei {{ "{ABROAD}" "{BHP}" }}' in query
    assert "LEI_VALUES" not in query and "rdfs:label" not in query   # no name matching
    # the GLEIF report copied beside the results and listed in the manifest, for parse and kg build
    assert [p.name for p in files] == ["name-matches.csv", "wikidata_identifiers.json"]
    assert [p.name for p in verified_cache(tmp_path / "wikidata")] == [p.name for p in files]


def test_no_lei_to_ask_runs_no_query(tmp_path):
    with loopback() as srv:
        files = wikidata.fetch(tmp_path / "wd", base_url=f"{srv.url}/sparql", queries=("identifiers",),
                               curated=tmp_path / "none", pace_seconds=0)
        assert srv.requests == []
    assert files == []


def test_parse_merges_the_item_into_the_curated_firm(tmp_path):
    _fetch(tmp_path)
    records = list(wikidata.parse([tmp_path / "wikidata"], curated=CUR))
    firms = {r.id: r for r in records if r.type_name == "Firm"}
    assert list(firms) == ["firm:example-abroad"]
    firm = firms["firm:example-abroad"]
    assert (firm.name, firm.wikidata, firm.lei) == ("Example Abroad Mining plc", "Q900201", ABROAD)
    assert firm.source_ids == ("source:wikidata-identifiers",)
    source = next(r for r in records if r.type_name == "Source")
    assert source.id == "source:wikidata-identifiers" and source.retrieved


def test_items_of_curated_firms_take_their_ids(tmp_path):
    cur = tmp_path / "curated"
    cur.mkdir()
    (cur / "Firm.csv").write_text(
        "id,name,ticker,source_ids,notes,lei,wikidata\n"
        "firm:example-lithium,Example Lithium Holdings Ltd,,source:t,curated note,,Q900001\n"   # by QID
        "firm:example-state,Example State Holding,,source:t,,549300EXMPLSTATEH002,\n",        # by LEI
        encoding="utf-8")
    records = list(wikidata.parse([with_manifest(FIXTURES / "wikidata", tmp_path / "raw")], curated=cur))
    firms = {r.id: r for r in records if r.type_name == "Firm"}
    lithium, state = firms["firm:example-lithium"], firms["firm:example-state"]
    assert (lithium.name, lithium.wikidata, lithium.lei, lithium.notes) == (
        "Example Lithium Holdings Ltd", "Q900001", "549300EXMPLLITHIUM01", "curated note")
    assert (state.wikidata, state.lei) == ("Q900010", "549300EXMPLSTATEH002")
    assert "firm:lei:549300EXMPLLITHIUM01" not in firms and "firm:lei:549300EXMPLSTATEH002" not in firms
    owns = edges(records, "OWNS")
    assert owns[("firm:example-state", "firm:example-lithium")].share == 0.51
    assert edges(records, "STATE_OWNED_BY")[("firm:example-state", "country:CHN")].share == 0.25


def test_two_items_for_one_curated_firm_give_one_record(tmp_path, caplog):
    cur = tmp_path / "curated"
    cur.mkdir()
    # Q900001 by its QID and Q900010 by its LEI would both be this firm: the first (by QID order) stands
    (cur / "Firm.csv").write_text("id,name,ticker,source_ids,notes,lei,wikidata\n"
                                  "firm:example-x,Example X,,source:t,,549300EXMPLSTATEH002,Q900001\n",
                                  encoding="utf-8")
    records = list(wikidata.parse([with_manifest(FIXTURES / "wikidata", tmp_path / "raw")], curated=cur))
    firms = [r for r in records if r.type_name == "Firm" and r.id == "firm:example-x"]
    assert len(firms) == 1 and firms[0].wikidata == "Q900001" and firms[0].lei == "549300EXMPLSTATEH002"
    assert "Q900001 and Q900010 are both the curated firm firm:example-x" in caplog.text
