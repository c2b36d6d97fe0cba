"""One input abstraction: `iter_inputs` finds files (folders, zips, explicit files) and `Member` is
the same input read into memory, so both skip the same files and agree on names and dates."""

from __future__ import annotations

import json
import zipfile

from loaders._common import iter_members
from loaders._inputs import iter_inputs


def _tree(root):
    (root / "a.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (root / ".a.csv.part").write_text("partial download", encoding="utf-8")
    (root / ".hidden.csv").write_text("x\n", encoding="utf-8")
    (root / "notes.txt").write_text("not data", encoding="utf-8")
    with zipfile.ZipFile(root / "pack.zip", "w") as z:
        z.writestr("inner/b.csv", "x\n3\n")
        z.writestr("__MACOSX/inner/._b.csv", "resource fork")
    (root / "manifest.json").write_text(json.dumps({"files": [
        {"file": "a.csv", "url": "https://example.org/a.csv", "retrieved": "2025-03-04T10:00:00+00:00"},
        {"file": "pack.zip", "url": "https://example.org/pack.zip", "retrieved": "2025-05-06"}]}),
        encoding="utf-8")


def test_members_and_inputs_find_the_same_files(tmp_path):
    _tree(tmp_path)
    names = [m.name for m in iter_members([tmp_path])]
    assert names == [str(tmp_path / "a.csv"), f"{tmp_path / 'pack.zip'}!inner/b.csv"]
    assert [i.name for i in iter_inputs([tmp_path], lambda n: n.endswith(".csv"))] == names


def test_a_member_carries_its_origin_bytes_and_rows(tmp_path):
    _tree(tmp_path)
    a, b = iter_members([tmp_path])
    assert (a.retrieved, b.retrieved) == ("2025-03-04", "2025-05-06")     # from the manifest
    assert b.origin["member"] == "inner/b.csv" and b.filename == "b.csv"
    assert list(a.rows()) == [(1, ["x", "y"]), (2, ["1", "2"])]
    assert not a.listed
    (listed,) = iter_members([tmp_path / "notes.txt"])      # named explicitly: kept, marked
    assert listed.listed and listed.text() == "not data"
