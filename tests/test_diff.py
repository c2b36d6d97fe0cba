"""`kg diff` reports every change in every format (kg/diff.py): a production quantity that changes
while its share stays put, a trade value, a changed source list; "No changes." only when nothing
changed, and JSON groups never empty when something did. Planted records written here; expected
rows worked out by hand from them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kg.diff import diff, to_markdown
from kg.release import release_records

SRC = {"type": "Source", "id": "source:planted", "name": "Planted", "title": "Planted figures",
       "publisher": "Tests", "url": "https://example.org/planted", "license": "CC0-1.0",
       "retrieved": "2026-01-01"}
SRC2 = {**SRC, "id": "source:planted-2", "name": "Planted 2", "url": "https://example.org/planted-2"}
BASE = [SRC, SRC2,
        {"type": "Country", "id": "country:CHN", "name": "China", "source_ids": ["source:planted"]},
        {"type": "Country", "id": "country:USA", "name": "United States", "source_ids": ["source:planted"]},
        {"type": "Material", "id": "material:gallium", "name": "Gallium", "source_ids": ["source:planted"]}]


def produces(quantity: float, world: float, sources: list[str] | None = None) -> dict[str, Any]:
    return {"type": "PRODUCES", "from": "country:CHN", "to": "material:gallium", "stage": "refining",
            "year": 2024, "quantity": quantity, "unit": "t", "world_quantity": world,
            "source_ids": sources or ["source:planted"]}


def flow(value: float) -> dict[str, Any]:
    return {"type": "EXPORTS_TO", "from": "country:CHN", "to": "country:USA", "hs_code": "811292",
            "year": 2024, "value_usd": value, "source_ids": ["source:planted"]}


def write(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def kg_diff(kg_home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KG_HOME": str(kg_home)}
    return subprocess.run([sys.executable, "-m", "kg", "diff", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_a_quantity_change_with_an_unchanged_share_is_reported(tmp_path: Path) -> None:
    # 100/200 = 0.5 before, 120/240 = 0.5 after: no share move, two changed figures
    old = write(tmp_path / "old.jsonl", [*BASE, produces(100, 200)])
    new = write(tmp_path / "new.jsonl", [*BASE, produces(120, 240)])
    report = diff(release_records(old), release_records(new))
    groups = report.groups()
    assert report.has_changes and set(groups) == {"production figures"}
    (row,) = groups["production figures"]
    assert (row["change"], row["producer"], row["item"], row["stage"], row["year"]) == \
        ("changed", "country:CHN", "material:gallium", "refining", 2024)
    assert row["quantity"] == "100.0 → 120.0" and row["world_quantity"] == "200.0 → 240.0"
    assert row["fields"] == "quantity, world_quantity"
    md = to_markdown(report, "old", "new")
    assert "No changes." not in md and "## Production figures (1)" in md and "100.0 → 120.0" in md


def test_trade_values_and_source_lists_are_changes_too(tmp_path: Path) -> None:
    old = write(tmp_path / "old.jsonl", [*BASE, produces(100, 200), flow(5.0e6)])
    new = write(tmp_path / "new.jsonl",
                [*BASE, produces(100, 200, ["source:planted", "source:planted-2"]), flow(7.5e6)])
    groups = diff(release_records(old), release_records(new)).groups()
    (trade,) = groups["trade partners"]
    assert trade["change"] == "changed" and trade["value_usd"] == "5000000.0 → 7500000.0"
    (figure,) = groups["production figures"]
    assert figure["fields"] == "source_ids" and figure["quantity"] == 100.0


def test_every_format_agrees_on_whether_anything_changed(tmp_path: Path, kg_home: Path) -> None:
    old = write(tmp_path / "old.jsonl", [*BASE, produces(100, 200)])
    new = write(tmp_path / "new.jsonl", [*BASE, produces(120, 240)])
    sources_only = write(tmp_path / "src.jsonl", [*BASE, {**produces(100, 200),
                                                          "notes": "a note"}])
    for other, group in ((new, "production figures"), (sources_only, "production figures")):
        js = kg_diff(kg_home, str(old), str(other), "--format", "json")
        assert js.returncode == 3, js.stderr
        doc = json.loads(js.stdout)
        assert doc["changed"] is True and doc["groups"] and group in doc["groups"]
        assert all(rows for rows in doc["groups"].values())
        md = kg_diff(kg_home, str(old), str(other), "--format", "markdown")
        assert md.returncode == 3 and "No changes." not in md.stdout and "## Production figures" in md.stdout
        table = kg_diff(kg_home, str(old), str(other))
        assert table.returncode == 3 and "No changes." not in table.stdout and group in table.stdout
    for fmt in ("json", "markdown", "table"):
        same = kg_diff(kg_home, str(old), str(old), "--format", fmt)
        assert same.returncode == 0, same.stderr
        if fmt == "json":
            assert json.loads(same.stdout)["groups"] == {}
        else:
            assert "No changes." in same.stdout


@pytest.mark.parametrize("field, value", [("share", 0.5), ("qualifier", "W")])
def test_other_production_fields_are_listed(tmp_path: Path, field: str, value: Any) -> None:
    rec = {k: v for k, v in produces(100, 200).items() if k not in ("quantity", "world_quantity", "unit")}
    old = write(tmp_path / "old.jsonl", [*BASE, rec])
    new = write(tmp_path / "new.jsonl", [*BASE, {**rec, field: value}])
    (row,) = diff(release_records(old), release_records(new)).groups()["production figures"]
    assert row["fields"] == field and row[field] == f"— → {value}"
