"""GLEIF name resolution: curated firms without an LEI looked up by legal name (fetch, loopback
server only), the name-matches.csv report, and the GLEIF record merging into the curated firm."""

from __future__ import annotations

import csv
import json

from kg.build import verified_cache
from loaders import gleif, gleif_names
from loaders.firm_identifiers import CuratedFirm, CuratedFirms

from .conftest import FIXTURES
from .loopback import Answer, loopback

N = FIXTURES / "gleif" / "names"
CUR = N / "curated"
TESLA, BHP = "54930043XZGB27CTOV49", "WZE1WSENV6JSZFK0JC28"


def _body(name: str) -> bytes:
    return (N / name).read_bytes()


def _fetch(tmp_path):
    """fetch() with no LEIs given: the curated firms' own LEIs plus those found by name."""
    with loopback() as srv:
        # one path, answered in order: the five searches (firms in Firm.csv order; a 429 and a 500
        # retried on the way), then the Level 1 batch of the seed
        srv.route("/api/v1/lei-records",
                  Answer(429, b"slow down", {"Retry-After": "1"}), Answer(200, _body("search_tesla.json")),
                  Answer(500, b"oops"), Answer(200, _body("search_twin.json")),
                  Answer(200, _body("search_abroad.json")), Answer(200, _body("search_dormant.json")),
                  Answer(200, _body("search_nothing.json")), Answer(200, _body("records.json")))
        files = gleif.fetch(tmp_path, base_url=f"{srv.url}/api/v1", curated=CUR, pace_seconds=0,
                            backoff=0.01)
        return files, list(srv.requests)


def test_fetch_resolves_names_and_reports_the_rest(tmp_path):
    files, requests = _fetch(tmp_path)
    assert all(r.headers.get("Host", "").startswith("127.0.0.1") for r in requests)
    searched = [r.query["filter[fulltext]"][0] for r in requests if "filter[fulltext]" in r.query]
    assert searched == ["Tesla, Inc.", "Tesla, Inc.",                         # 429, then the answer
                        "Example Twin Metals Co., Ltd.", "Example Twin Metals Co., Ltd.",   # 500, retried
                        "Example Abroad Mining plc", "Example Dormant Refining AG",
                        "Example Unlisted Smelter S.A."]                   # the homeless firm: not searched
    batch = [r for r in requests if "filter[lei]" in r.query]
    assert len(batch) == 1 and sorted(batch[0].query["filter[lei]"][0].split(",")) == [TESLA, BHP]
    assert (tmp_path / "leis.txt").read_text().split() == [TESLA, BHP]
    with (tmp_path / "name-matches.csv").open(encoding="utf-8", newline="") as fh:
        rows = {r["firm_id"]: r for r in csv.DictReader(fh)}
    assert {k: (r["status"], r["lei"], r["candidates"]) for k, r in rows.items()} == {
        "firm:tesla": ("resolved", TESLA, TESLA),
        "firm:example-twin": ("ambiguous", "", "5493EXMPLTWINMET0001;5493EXMPLTWINMET0002"),
        "firm:example-abroad": ("country", "", "5493EXMPLABROAD00001"),
        "firm:example-dormant": ("inactive", "", "5493EXMPLDORMANT0001"),
        "firm:example-nothing": ("none", "", ""),
        "firm:example-homeless": ("no-country", "", ""),
    }
    assert rows["firm:tesla"]["gleif_name"] == "Tesla, Inc." and rows["firm:tesla"]["countries"] == "USA"
    assert "filter%5Bfulltext%5D=Tesla" in rows["firm:tesla"]["query"]
    assert rows["firm:tesla"]["retrieved"]
    # 404s: no parents, no exceptions; the report is in the manifest, so `kg build` reads it too
    assert [p.name for p in files] == ["name-matches.csv", "gleif_lei-records_001.json"]
    assert [p.name for p in verified_cache(tmp_path)] == ["name-matches.csv", "gleif_lei-records_001.json"]


def test_parse_links_gleif_records_to_curated_firms(tmp_path):
    _fetch(tmp_path)
    records = list(gleif.parse([tmp_path], curated=CUR))
    firms = {r.id: r for r in records if r.type_name == "Firm"}
    assert set(firms) == {"firm:bhp", "firm:tesla"}          # no firm:lei:<LEI> twins
    tesla = firms["firm:tesla"]
    assert (tesla.name, tesla.lei, tesla.status) == ("Tesla, Inc.", TESLA, "active")
    assert tesla.notes == "Electric vehicles and batteries"    # the curated notes kept
    assert firms["firm:bhp"].lei == BHP and tesla.source_ids == ("source:gleif-api",)
    hq = {(r.from_id, r.to_id) for r in records if r.type_name == "HEADQUARTERED_IN"}
    assert hq == {("firm:bhp", "country:AUS"), ("firm:tesla", "country:USA")}
    source = next(r for r in records if r.type_name == "Source")
    assert source.url == gleif.API_URL and source.retrieved


def test_without_the_report_only_curated_leis_link(tmp_path):
    _fetch(tmp_path)
    (tmp_path / "name-matches.csv").unlink()
    firms = {r.id for r in gleif.parse([tmp_path], curated=CUR) if r.type_name == "Firm"}
    assert firms == {"firm:bhp", f"firm:lei:{TESLA}"}


def test_one_node_with_both_provenances(embedded_store, tmp_path):
    from kg import api
    from kg.records_io import read_paths
    _fetch(tmp_path)
    base = tmp_path / "base.jsonl"
    src = {"type": "Source", "id": "source:t", "name": "t", "title": "t", "publisher": "t",
           "url": "u", "license": "CC0", "retrieved": "2026-01-01"}
    lines = [{"type": "Country", "id": f"country:{c}", "name": c, "source_ids": ["source:t"]}
             for c in ("AUS", "USA")]
    lines.append({"type": "Firm", "id": "firm:tesla", "name": "Tesla, Inc.", "wikidata": "Q478214",
                  "notes": "Electric vehicles and batteries", "source_ids": ["source:t"]})
    base.write_text("".join(json.dumps(x) + "\n" for x in [src, *lines]), encoding="utf-8")
    curated = list(read_paths([base]))
    gl = [(r, "gleif", i) for i, r in enumerate(gleif.parse([tmp_path], curated=CUR), 1)]
    api.load_located(embedded_store, [*curated, *gl])
    nodes = {n["id"]: n for n in embedded_store.iter_nodes()}
    tesla = nodes["firm:tesla"]
    assert set(tesla["source_ids"]) == {"source:t", "source:gleif-api"}
    assert (tesla["lei"], tesla["wikidata"], tesla["name"]) == (TESLA, "Q478214", "Tesla, Inc.")
    assert f"firm:lei:{TESLA}" not in nodes


def _item(lei: str, name: str, country: str, *, reg: str = "ISSUED", status: str = "ACTIVE",
          other: list[dict[str, str]] | None = None) -> dict[str, object]:
    return {"type": "lei-records", "id": lei, "attributes": {"lei": lei, "entity": {
        "legalName": {"name": name}, "otherNames": other or [],
        "legalAddress": {"country": country}, "headquartersAddress": {"country": country},
        "status": status}, "registration": {"status": reg}}}


def test_match_rule_by_hand():
    firm = CuratedFirm("firm:example-rare", "Example Rare Earth (Group) Co., Ltd. (ERE)", countries=("CHN",))
    local = _item("5493EXMPLRARE0000001", "示例稀土（集团）有限公司", "CN", other=[
        {"name": "EXAMPLE RARE EARTH (GROUP) CO., LTD.", "type": "ALTERNATIVE_LANGUAGE_LEGAL_NAME"}])
    trading = _item("5493EXMPLRARE0000002", "示例贸易有限公司", "CN", other=[
        {"name": "Example Rare Earth", "type": "TRADING_OR_OPERATING_NAME"}])   # not a legal name
    got = gleif_names.match(firm, [local, trading])
    assert (got.status, got.lei) == ("resolved", "5493EXMPLRARE0000001")
    # headquarters abroad but legal address at home still passes the country test
    split = _item("5493EXMPLRARE0000003", "Example Rare Earth Ltd", "HK")
    split["attributes"]["entity"]["legalAddress"] = {"country": "CN"}    # type: ignore[index]
    assert gleif_names.match(firm, [split]).lei == "5493EXMPLRARE0000003"
    # an active match wins over a retired one of the same name
    retired = _item("5493EXMPLRARE0000004", "Example Rare Earth Co Ltd", "CN", reg="RETIRED")
    assert gleif_names.match(firm, [retired, local]).status == "resolved"
    assert gleif_names.match(firm, [retired]).status == "inactive"
    assert gleif_names.match(CuratedFirm("firm:x", "Example Rare", countries=("CHN",)), [local]).status == "none"


def test_too_many_hits_are_not_guessed(tmp_path, monkeypatch):
    monkeypatch.setattr(gleif_names, "MAX_PAGES", 1)
    page = json.loads(_body("search_tesla.json"))
    page["meta"]["pagination"]["lastPage"] = 2
    firm = CuratedFirm("firm:tesla", "Tesla, Inc.", countries=("USA",))
    with loopback() as srv:
        srv.route("/api/v1/lei-records", Answer(200, json.dumps(page).encode()))
        got = gleif_names.resolve([firm], f"{srv.url}/api/v1", tmp_path,
                                  {"pace": None, "timeout": 5, "retries": 0, "backoff": 0})
        assert len(srv.requests) == 1
    assert [o.status for o in got] == ["truncated"]
    assert not (tmp_path / ".name-search.json").exists()


def test_curated_identifiers_read():
    firms = CuratedFirms.read(CUR)
    assert firms.by_lei == {BHP: "firm:bhp"} and firms.by_qid == {"Q478214": "firm:tesla"}
    assert [f.id for f in firms.without_lei()] == ["firm:tesla", "firm:example-twin", "firm:example-abroad",
                                                  "firm:example-dormant", "firm:example-nothing",
                                                  "firm:example-homeless"]
    assert firms.firms["firm:example-abroad"].countries == ("GBR",)


def test_a_report_never_replaces_a_curated_lei():
    firms = CuratedFirms.read(CUR)
    firms.link("firm:bhp", "5493EXMPLSTALE000001")          # an older report row for a firm with an LEI
    firms.link("firm:example-twin", "5493EXMPLTWINMET0001")
    assert firms.by_lei == {BHP: "firm:bhp", "5493EXMPLTWINMET0001": "firm:example-twin"}


def test_search_answer_that_is_not_json_is_a_clear_error(tmp_path):
    import pytest

    from kg.errors import DataError
    firm = CuratedFirm("firm:tesla", "Tesla, Inc.", countries=("USA",))
    with loopback() as srv:
        srv.route("/api/v1/lei-records", Answer(200, b"<html><body>Service Unavailable</body></html>"))
        with pytest.raises(DataError, match="an HTML page, not JSON"):
            gleif_names.resolve([firm], f"{srv.url}/api/v1", tmp_path,
                                {"pace": None, "timeout": 5, "retries": 0, "backoff": 0})
    assert not (tmp_path / "name-matches.csv").exists()
