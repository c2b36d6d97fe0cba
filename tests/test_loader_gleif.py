"""GLEIF loader: golden-copy CSVs (54-column rr), JSON:API, filters, statuses, exceptions, fetch(),
and the Wikidata + GLEIF merge of one firm (entity resolution by LEI)."""

from __future__ import annotations

import csv
import json
import os
import zipfile

import pytest

from kg.errors import DataError
from loaders import gleif, wikidata

from .conftest import FIXTURES
from .loader_checks import assert_closed, by_type, edges, with_manifest
from .loopback import Answer, loopback

G = FIXTURES / "gleif"
RR = G / "20260123-0800-gleif-goldencopy-rr-golden-copy.csv"
L1 = G / "20260123-0800-gleif-goldencopy-lei2-golden-copy.csv"
REPEX = G / "20260123-0800-gleif-goldencopy-repex-golden-copy.csv"
API = sorted((G / "api").glob("*.json"))
A, S, U = "549300EXMPLLITHIUM01", "549300EXMPLSTATEH002", "5493EXMPLULTIMATE003"
B, C, X1, X2 = "549300EXMPLCOBALT004", "549300EXMPLGRAPHI005", "5299OTHERENTITY00006", "5299OTHERPARENT00007"
SEED = [A, B, C]


def f(lei: str) -> str:
    return f"firm:lei:{lei}"


def test_rr_has_the_54_golden_copy_columns():
    header = RR.read_text().splitlines()[0].split(",")
    assert len(header) == 54 and header[0] == "Relationship.StartNode.NodeID"


def test_filtered_golden_copy_by_hand():
    records = assert_closed(gleif.parse([RR, L1, REPEX], leis=SEED))
    assert by_type(records) == {"Firm": 5, "HEADQUARTERED_IN": 5, "OWNS": 2, "Source": 3}
    owns = edges(records, "OWNS")
    # direct and ultimate parent are the same entity: one edge naming both relationship types;
    # the accounting period sits in slot 2 (picked by periodType): it ends in 2024
    top = owns[(f(S), f(A))]
    assert top.basis == ("accounting consolidation (GLEIF IS_DIRECTLY_CONSOLIDATED_BY, "
                         "IS_ULTIMATELY_CONSOLIDATED_BY)")
    assert top.share is None and top.year == 2024
    # the parent's parent is followed up the chain (slot 3, "2023-12-31T23:59:59.999Z")
    assert owns[(f(U), f(S))].year == 2023
    # skipped: the branch (A), the INACTIVE one (B), the LAPSED one (C), the unrelated X1 -> X2
    assert not any(child in (f(B), f(C), f(X1)) for _, child in owns)
    firms = {r.id: r for r in records if r.type_name == "Firm"}
    assert firms[f(A)].name == "EXAMPLE LITHIUM HOLDINGS LIMITED" and firms[f(A)].status == "active"
    assert "NATURAL_PERSONS" in firms[f(B)].notes                     # reporting exception
    assert firms[f(U)].notes.count("NON_CONSOLIDATING") == 2         # direct and ultimate
    assert "registration status LAPSED" in firms[f(C)].notes         # Level 1 lapsed: kept, noted
    hq = edges(records, "HEADQUARTERED_IN")
    assert (f(B), "country:NAM") in hq and "legal-address" in hq[(f(B), "country:NAM")].notes  # "NA"
    assert (f(A), "country:AUS") in hq and (f(S), "country:CHN") in hq


def test_lapsed_relationships_on_request():
    owns = edges(gleif.parse([RR, L1], leis=SEED, include_lapsed=True), "OWNS")
    lapsed = owns[(f(S), f(C))]
    assert lapsed.confidence == "L" and "LAPSED" in lapsed.notes and lapsed.year == 2022


def test_unfiltered_annulled_and_stub():
    records = assert_closed(gleif.parse([RR, L1, REPEX]))
    firms = {r.id: r for r in records if r.type_name == "Firm"}
    assert f("549300EXMPLANNULL009") not in firms            # an ANNULLED LEI identifies nothing
    assert (f("549300EXMPLANNULL009"), f("549300EXMPLNAMIBI008")) not in edges(records, "OWNS")
    assert firms[f(X2)].name == X2 and "no GLEIF Level 1" in firms[f(X2)].notes   # parent stub
    assert by_type(records)["OWNS"] == 3


def test_leis_file_and_zip(tmp_path):
    archive = tmp_path / "20260123-0800-gleif-goldencopy-rr-golden-copy.csv.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(RR, RR.name)
    (tmp_path / "leis.txt").write_text(f"{A}\n", encoding="utf-8")
    records = assert_closed(gleif.parse([archive, tmp_path / "leis.txt"]))
    assert set(edges(records, "OWNS")) == {(f(S), f(A)), (f(U), f(S))}
    source = next(r for r in records if getattr(r, "id", None) == "source:gleif-golden-copy-rr")
    assert source.release == "2026-01-23T08:00Z" and source.license == "CC0 1.0"


def test_json_api_documents():
    records = assert_closed(gleif.parse(API))
    assert by_type(records) == {"Firm": 2, "HEADQUARTERED_IN": 2, "OWNS": 1, "Source": 1}
    assert edges(records, "OWNS")[(f(S), f(A))].year == 2024
    firms = {r.id: r for r in records if r.type_name == "Firm"}
    assert firms[f(S)].notes == "GLEIF reporting exception (ultimate parent): NON_CONSOLIDATING"


@pytest.mark.parametrize("column, value, field, message", [
    ("Relationship.StartNode.NodeID", "not-an-lei", "Relationship.StartNode.NodeID", "not an LEI"),
    ("Relationship.Period.1.periodType", None, None, "expected 54 fields"),
])
def test_rr_errors_name_file_line_field(tmp_path, column, value, field, message):
    header, first, row = list(csv.reader(RR.read_text().splitlines()))[:3]
    if value is None:
        row = row[:-1]
    else:
        row[header.index(column)] = value
    path = tmp_path / "rr.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows([header, first, row])
    with pytest.raises(DataError) as err:
        list(gleif.parse([path]))
    assert (err.value.line, err.value.field) == (3, field) and message in str(err.value)


def test_lei2_bad_country(tmp_path):
    text = L1.read_text().replace(",AU,1 Example Street,Perth,AU,", ",AU,1 Example Street,Perth,XX,", 1)
    path = tmp_path / "lei2.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as err:
        list(gleif.parse([path]))
    assert (err.value.line, err.value.field) == (2, "Entity.HeadquartersAddress.Country")


def test_wikidata_and_gleif_merge_into_one_firm(embedded_store, tmp_path):
    """Entity resolution: the firm Wikidata knows by QID with LEI P1278 and GLEIF's Level 1 record
    become one Firm node (same id firm:lei:<LEI>); ownership from both lands on the same pair.
    Loaded through the real pipeline in one load, as `kg build` loads every source."""
    from kg import api
    countries = tmp_path / "countries.jsonl"
    src = {"type": "Source", "id": "source:t", "name": "t", "title": "t", "publisher": "t",
           "url": "u", "license": "CC0", "retrieved": "2026-01-01"}
    countries.write_text("".join(json.dumps({"type": "Country", "id": f"country:{c}", "name": c,
                                             "source_ids": ["source:t"]}) + "\n"
                                 for c in ("AUS", "CHN", "COD", "GBR", "USA", "NAM", "DEU"))
                         + json.dumps(src) + "\n", encoding="utf-8")
    from kg.records_io import read_paths
    api.load_located(embedded_store, read_paths([countries]))
    wd = list(wikidata.parse([with_manifest(FIXTURES / "wikidata", tmp_path / "wd")]))
    gl = list(gleif.parse([RR, L1, REPEX], leis=SEED))
    located = [*((r, "wikidata", i) for i, r in enumerate(wd, 1)),
               *((r, "gleif", i) for i, r in enumerate(gl, 1))]
    api.load_located(embedded_store, located)
    nodes = {n["id"]: n for n in embedded_store.iter_nodes()}
    firm = nodes[f(A)]
    assert firm["wikidata"] == "Q900001" and firm["lei"] == A and firm["status"] == "active"
    assert firm["name"] == "EXAMPLE LITHIUM HOLDINGS LIMITED"        # the later record sets the name
    assert set(firm["source_ids"]) >= {"source:wikidata-firms", "source:gleif-golden-copy-lei2"}
    holding = nodes[f(S)]                                             # joined by LEI, not by name
    assert holding["wikidata"] == "Q900010" and holding["name"] == "Example State Holding Co., Ltd."
    wd_firms = {r.id for r in wd if r.type_name == "Firm"}
    gl_firms = {r.id for r in gl if r.type_name == "Firm"}
    assert wd_firms & gl_firms == {f(A), f(S)}
    assert sum(1 for k in nodes if k.startswith("firm:")) == len(wd_firms | gl_firms)
    stakes = [r for r in embedded_store.iter_relationships()
              if r["type"] == "OWNS" and r["from"] == f(S) and r["to"] == f(A)]
    # a stake's year is part of its identity (dated stakes coexist): GLEIF's relationship record is
    # dated 2024, Wikidata's statement is undated, so the pair holds two facts, each with its source
    by_year = {r.get("year"): r for r in stakes}
    assert len(stakes) == 2 and set(by_year) == {2024, None}
    assert by_year[None]["share"] == 0.51                             # Wikidata P1107
    assert by_year[None]["source_ids"] == ["source:wikidata-ownership"]
    assert by_year[2024]["source_ids"] == ["source:gleif-golden-copy-rr"]


# --------------------------------------------------------------------------- fetch

def _rel_doc(child: str, parent: str, kind: str) -> bytes:
    return json.dumps({"data": {"type": "relationship-records", "id": f"{child}_{parent}", "attributes": {
        "relationship": {"startNode": {"id": child, "type": "LEI"}, "endNode": {"id": parent, "type": "LEI"},
                         "type": kind, "status": "ACTIVE",
                         "periods": [{"startDate": "2024-01-01T00:00:00Z", "endDate": "2024-12-31T00:00:00Z",
                                      "type": "ACCOUNTING_PERIOD"}]},
        "registration": {"status": "PUBLISHED"}}}}).encode()


def test_fetch_api(tmp_path):
    records_doc = (G / "api" / "gleif_lei-records_001.json").read_bytes()
    with loopback() as srv:
        base = f"{srv.url}/api/v1"
        srv.route(f"/api/v1/lei-records/{A}/direct-parent-relationship",
                  Answer(429, b"slow down", {"Retry-After": "1"}),
                  Answer(200, _rel_doc(A, S, "IS_DIRECTLY_CONSOLIDATED_BY")))
        srv.route(f"/api/v1/lei-records/{A}/ultimate-parent-relationship",
                  Answer(500, b"oops"), Answer(200, _rel_doc(A, S, "IS_ULTIMATELY_CONSOLIDATED_BY")))
        # no reporting exceptions: the API answers 404 (the loopback default), which is not an error
        srv.route("/api/v1/lei-records", Answer(200, records_doc))
        files = gleif.fetch(tmp_path, base_url=base, leis=[A], pace_seconds=0, backoff=0.01)
        batch = srv.hits("/api/v1/lei-records")[0]
    assert sorted(batch.query["filter[lei]"][0].split(",")) == sorted([A, S])   # seed + its parent
    assert len(files) == 3 and (tmp_path / "leis.txt").read_text().split() == [A]
    records = assert_closed(gleif.parse([tmp_path]))
    owns = edges(records, "OWNS")
    assert set(owns) == {(f(S), f(A))} and "IS_ULTIMATELY" in owns[(f(S), f(A))].basis


def test_fetch_golden_copy(tmp_path):
    archive = tmp_path / "src.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(RR, RR.name)
    body = archive.read_bytes()
    with loopback() as srv:
        name = "20260123-0800-gleif-goldencopy-rr-golden-copy.csv.zip"
        meta = {"data": {"publish_date": "2026-01-23 08:00:00", "rr": {"full_file": {"csv": {
            "url": f"{srv.url}/storage/golden-copy-files/2026/01/23/{name}", "size": len(body)}}}}}
        srv.route("/api/v2/golden-copies/publishes/latest", Answer(200, json.dumps(meta).encode()))
        srv.route(f"/storage/golden-copy-files/2026/01/23/{name}", Answer(200, body, truncate=10), Answer(200, body))
        files = gleif.fetch(tmp_path / "raw", base_url=f"{srv.url}/api/v2/golden-copies/publishes/latest",
                            golden_copy=True, backoff=0.01)
    assert [p.name for p in files] == [name]
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == [name, "manifest.json"]
    assert by_type(gleif.parse(files, leis=[A]))["OWNS"] == 2


def test_fetch_without_leis_does_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(gleif, "_default_leis", lambda dest: [])
    assert gleif.fetch(tmp_path, curated=tmp_path / "no-curated-tables") == []


@pytest.mark.network
@pytest.mark.skipif(os.environ.get("KG_TEST_NETWORK") != "1", reason="live internet test: set KG_TEST_NETWORK=1")
def test_live_gleif_api(tmp_path):
    files = gleif.fetch(tmp_path, leis=["529900W18LQJJN6SJ336"])   # a long-registered LEI (Société Générale)
    assert any(r.type_name == "Firm" for r in gleif.parse(files))
