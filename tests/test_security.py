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
    _, rows = run_query(store, "concentration", {"material": value})
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
