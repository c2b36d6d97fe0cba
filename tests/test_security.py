"""Security: parameters are parameters, stored queries are read-only, names cannot escape."""

from __future__ import annotations

import pytest

from kg import api
from kg.errors import StoreError, UsageError
from kg.queries import get_query, run_query

from .conftest import FIXTURES

SMALL = FIXTURES / "records" / "small.jsonl"

INJECTIONS = [
    "gallium' OR 1=1 //",
    "x\"}) MATCH (n) DETACH DELETE n //",
    "rare-earths'}) DETACH DELETE m RETURN 1 AS x //",
    "\\' ; CREATE (:Pwned) //",
    "$material",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_strings_are_inert_parameter_values(store, value):
    api.import_records(store, [SMALL])
    before = store.stats()
    # the id check refuses an id the graph does not know, naming the value as given
    with pytest.raises(UsageError, match="in the graph"):
        run_query(store, "concentration", {"material": value})
    # and sent to the store anyway (as a caller of the store would), it is an inert value
    query = get_query("concentration")
    rows = store.read(query.body, query.bind({"material": value}))
    assert rows == []                       # no material has that name: nothing matched
    assert store.stats() == before          # and nothing was written or deleted


@pytest.mark.parametrize("name", ["../pyproject", "concentration; MATCH (n) DELETE n",
                                  "/etc/passwd", "concentration.cypher"])
def test_query_names_cannot_escape_the_catalogue(name):
    with pytest.raises(UsageError, match="unknown query"):
        get_query(name)


def test_reads_cannot_write(store):
    api.import_records(store, [SMALL])
    before = store.stats()
    for cypher in ("CREATE (:Pwned {id: 'x'})", "MATCH (n) DETACH DELETE n",
                   "MATCH (c:Country) SET c.name = 'pwned'"):
        with pytest.raises(StoreError):
            store.read(cypher)
    assert store.stats() == before


def test_api_keys_never_reach_logs_or_errors(caplog):
    import http.server
    import threading
    from kg.sources import FetchError, download

    class Fail(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(500)
            self.end_headers()

        def log_message(self, *a):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fail)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/data?get=X&key=SECRET-KEY-42"
    import tempfile
    from pathlib import Path
    try:
        with caplog.at_level("WARNING"), pytest.raises(FetchError) as err:
            download(url, Path(tempfile.mkdtemp()) / "x.json", retries=1, backoff=0.01)
    finally:
        server.shutdown()
    assert "SECRET-KEY-42" not in str(err.value) and "key=***" in str(err.value)
    assert caplog.records and all("SECRET-KEY-42" not in r.getMessage() for r in caplog.records)
