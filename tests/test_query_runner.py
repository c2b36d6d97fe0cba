"""Stored-query files: header parsing and typed parameters."""

from __future__ import annotations

import pytest

from kg.errors import UsageError
from kg.queries import Param, coerce, list_queries, parse_query_file


def write(tmp_path, text):
    p = tmp_path / "q.cypher"
    p.write_text(text)
    return p


def test_header_is_parsed(tmp_path):
    q = parse_query_file(write(tmp_path, """// title: Test query
// description: first line
//   second line
// param material: string = "gallium"
// param threshold: float = 0.5
// param countries: list<string> = ["CHN"]
// param top: int
// returns: a, b,
//   c
MATCH (m:Material {id: $material}) WHERE size($countries) > $top AND 1 > $threshold
RETURN m.id AS a, 1 AS b, 2 AS c
"""))
    assert q.title == "Test query"
    assert q.description == "first line second line"
    assert q.returns == ["a", "b", "c"]
    assert q.params["material"] == Param("material", "string", "gallium")
    assert q.params["top"].required
    assert q.body.startswith("MATCH")
    assert q.bind({"top": "3", "countries": "CHN,RUS"}) == {
        "material": "gallium", "threshold": 0.5, "countries": ["CHN", "RUS"], "top": 3}
    with pytest.raises(UsageError, match="needs -p top"):
        q.bind({})


def test_undeclared_parameter_is_rejected(tmp_path):
    with pytest.raises(UsageError, match="used but not declared: year"):
        parse_query_file(write(tmp_path, "// title: t\nMATCH (n) WHERE n.year = $year RETURN n\n"))


@pytest.mark.parametrize("ptype, raw, expected", [
    ("int", "2024", 2024), ("float", "0.25", 0.25), ("bool", "true", True), ("bool", "no", False),
    ("string", "rare-earths", "rare-earths"), ("list<int>", "1,2", [1, 2]), ("int", "null", None),
])
def test_coercion(ptype, raw, expected):
    assert coerce(Param("x", ptype), raw) == expected


@pytest.mark.parametrize("ptype, raw", [("int", "2024.5"), ("float", "abc"), ("bool", "maybe"),
                                        ("list<float>", "1,x")])
def test_bad_values_are_usage_errors(ptype, raw):
    with pytest.raises(UsageError, match="must be"):
        coerce(Param("x", ptype), raw)


def test_shipped_queries_parse():
    queries = list_queries()
    assert "concentration" in queries
    for q in queries.values():
        assert q.title and q.description and q.returns


def test_only_indented_comments_continue_a_header_field(tmp_path):
    q = parse_query_file(write(tmp_path, """// title: T
// returns: a,
//   b
// table: a
// a plain comment about the body, not a column
MATCH (n) RETURN 1 AS a, 2 AS b
"""))
    assert q.returns == ["a", "b"] and q.table == ["a"]


def test_table_columns_must_be_returned(tmp_path):
    with pytest.raises(UsageError, match="table columns not in returns: c"):
        parse_query_file(write(tmp_path, "// title: T\n// returns: a\n// table: a, c\nRETURN 1 AS a\n"))
