"""HS 2022 loader on a hand-made file in the datasets/harmonized-system layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import DataError
from kg.sources import FetchError
from loaders import hs

from tests.loopback import Answer, loopback

HS = Path(__file__).parent / "fixtures" / "hs" / "harmonized-system.csv"
HEADER = "section,hscode,description,parent,level"


@pytest.fixture(scope="module")
def codes() -> dict:
    return {r.id: r for r in hs.parse([HS])}


def test_levels_and_parents(codes: dict) -> None:
    levels = sorted((r.level, r.code) for r in codes.values() if r.type_name == "HSCode")
    assert [lv for lv, _ in levels].count(2) == 4 and [lv for lv, _ in levels].count(4) == 4
    assert [lv for lv, _ in levels].count(6) == 4
    assert "hs:TOTAL" not in codes and all(r.level != 5 for r in codes.values() if r.type_name == "HSCode")
    ch = codes["hs:01"]
    assert (ch.code, ch.level, ch.parent, ch.notes) == ("01", 2, None, "HS section I")  # leading zero kept
    sub = codes["hs:280530"]
    assert (sub.parent, sub.level, sub.hs_version) == ("2805", 6, "HS2022")
    assert sub.name.startswith("Rare-earth metals, scandium and yttrium")        # quoted comma
    assert codes["hs:850511"].parent == "8505" and codes["hs:8505"].parent == "85"
    for r in codes.values():
        if r.type_name == "HSCode" and r.parent:
            assert f"hs:{r.parent}" in codes                      # every parent is a node too
    src = codes["source:datasets-harmonized-system-hs2022"]
    assert (src.release, src.license) == ("HS2022", "ODC-PDDL-1.0")
    assert all(r.source_ids == (src.id,) for r in codes.values() if r.type_name == "HSCode")


def test_chapter_filter() -> None:
    got = {r.id for r in hs.parse([HS], chapters=["28", "81"]) if r.type_name == "HSCode"}
    assert got == {"hs:28", "hs:2805", "hs:280530", "hs:81", "hs:8112", "hs:811292"}


@pytest.mark.parametrize("row, field", [
    ("VI,2805,Alkali metals,29,4", "parent"),
    ("VI,2805,Alkali metals,28,6", "level"),
    ("VI,28O5,Alkali metals,28,4", "hscode"),
    ("VI,2805,,28,4", "description"),
])
def test_bad_rows(tmp_path: Path, row: str, field: str) -> None:
    path = tmp_path / "harmonized-system.csv"
    path.write_text(f"{HEADER}\nVI,28,Inorganic chemicals,TOTAL,2\n{row}\n")
    with pytest.raises(DataError) as err:
        list(hs.parse([path]))
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 3, field)


def test_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "harmonized-system.csv"
    path.write_text("section,hscode,description,level\nVI,28,x,2\n")
    with pytest.raises(DataError) as err:
        list(hs.parse([path]))
    assert (err.value.line, err.value.field) == (1, "parent")


def test_fetch(tmp_path: Path) -> None:
    with loopback() as lb:
        lb.route("/harmonized-system.csv", Answer(500, b"oops"), Answer(body=HS.read_bytes()))
        paths = hs.fetch(tmp_path, base_url=lb.url, backoff=0.01)
        assert len(lb.hits("/harmonized-system.csv")) == 2
    assert paths[0].read_bytes() == HS.read_bytes()
    assert {r.id for r in hs.parse(paths)} >= {"hs:850511", "hs:01"}


def test_fetch_404(tmp_path: Path) -> None:
    with loopback() as lb:
        with pytest.raises(FetchError, match="404"):
            hs.fetch(tmp_path, base_url=lb.url, backoff=0.01)
    assert list(tmp_path.iterdir()) == []
