"""Rows -> table / JSON / CSV. Numbers are formatted here, never in Cypher."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from typing import Any


def _cell(value: Any, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if "share" in column or column.endswith("reliance"):
            return f"{value * 100:.1f} %"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    if isinstance(value, list):
        return "; ".join(_cell(v, column) for v in value)
    if isinstance(value, dict):
        # compact for terminals: set values only, shares as percentages (JSON/CSV keep it all)
        return " ".join(f"{k}={_cell(v, k)}" for k, v in value.items()
                        if v is not None and v != [] and not isinstance(v, (dict, list)))
    return str(value)


def columns_of(rows: Sequence[dict[str, Any]], preferred: Sequence[str] = ()) -> list[str]:
    cols = [c for c in preferred if not rows or c in rows[0]]
    for row in rows[:1]:
        cols += [c for c in row if c not in cols]
    return cols


def to_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] = (), title: str | None = None,
             caption: str | None = None) -> str:
    from rich.console import Console
    from rich.table import Table
    cols = columns_of(rows, columns)
    table = Table(title=title, caption=caption, show_lines=False, header_style="bold")
    for col in cols:
        numeric = any(isinstance(r.get(col), (int, float)) and not isinstance(r.get(col), bool)
                      for r in rows)
        table.add_column(col, justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(c), c) for c in cols))
    buf = io.StringIO()
    Console(file=buf, width=160, color_system=None, force_terminal=False).print(table)
    return buf.getvalue()


def _json_default(value: Any) -> Any:
    return str(value)


def to_json(rows: Any) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=2, default=_json_default)


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str] = ()) -> str:
    cols = columns_of(rows, columns)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow([";".join(map(str, v)) if isinstance(v, list) and all(not isinstance(x, dict) for x in v)
                         else (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else
                               ("" if v is None else v))
                         for v in (row.get(c) for c in cols)])
    return buf.getvalue()


def render(rows: Sequence[dict[str, Any]], fmt: str, columns: Sequence[str] = (),
           title: str | None = None, caption: str | None = None) -> str:
    if fmt == "json":
        return to_json(list(rows)) + "\n"
    if fmt == "csv":
        return to_csv(rows, columns)
    if not rows:
        return "(no rows)\n"
    return to_table(rows, columns, title, caption)
