"""The project's own curated, cited tables: what no machine-readable public source gives.

Covers (each row cites `Source` records in the same tables; README.md beside the tables explains
the confidence grades and every recorded conflict):

- critical-mineral list membership (US 2018/2022/2025, EU 2020/2023, DOE 2023) on `Material`;
- stage shares beyond mining: IEA Critical Minerals Dataset (May 2025) refining shares for lithium
  chemicals, nickel, cobalt, battery-grade graphite and magnet rare earths; rare-earth separation,
  NdFeB magnet, battery, cathode/anode and polysilicon manufacturing shares (IEA, Bernreuter);
- bills of materials (`REQUIRES`) for batteries, magnets and motors, defence platforms,
  semiconductors and optics, solar PV, and pharmaceutical chains (finished dose <- API <- KSM);
- firms, facilities, ownership (`OWNS`), state ownership, operators, headquarters and asset-level
  output, including Chinese ownership abroad with dated stakes (copper and cobalt in DR Congo,
  Zambia, Peru, Botswana and Serbia; Indonesian nickel; lithium in Australia, Argentina, Mali,
  Zimbabwe and Canada) and Chinese battery plants in North America, Europe and Morocco;
- China's export controls 2023-2025 (MOFCOM/GAC announcements with instrument numbers, dates,
  suspensions, restricted items with reference HS codes, targeted countries), its export-control
  frameworks and entity listings, and producer countries' export restrictions (DR Congo cobalt,
  Indonesian ores, Zimbabwean lithium, Namibia, Malaysia, Gabon, Russia) with each dated change;
- US import-side measures (`ImportMeasure`: Section 232/301, AD/CVD, FEOC and prohibited-foreign-
  entity rules, DFARS and NDAA procurement bans);
- US critical-minerals agreements with parties and covered materials;
- US imports of lithium-ion batteries (HS 850760) from China and other partners.

Files: one CSV per record type, `<Type>.csv` (e.g. `Source.csv`, `REQUIRES.csv`), whose columns are
the record fields (`from`/`to` for relationship endpoints, list values `;`-separated, an empty cell
means the field is absent). Values are coerced from the model field types, so the same files are
valid input for any reader of the records CSV format.
"""

from __future__ import annotations

import csv
import logging
import types
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from kg.errors import DataError, ValidationErrors
from kg.models import Record, parse_record, record_types
from kg.models.nodes import NODE_TYPES
from kg.sources import SourceSpec

log = logging.getLogger(__name__)

SPEC = SourceSpec(
    name="curated",
    title="Chokepoint curated tables: bills of materials, firms and ownership, export controls, agreements",
    publisher="Chokepoint contributors (each row cites its own public sources)",
    urls=(),
    license="CC BY 4.0 (the tables); cited sources keep their own licences",
    cadence="curated by hand; reviewed when a cited source changes",
    homepage="loaders/snapshot/curated/README.md",
)

SNAPSHOT = Path(__file__).resolve().parent / "snapshot" / "curated"

LIST_SEP = ";"
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def bundled() -> list[Path]:
    """The curated tables shipped with the package."""
    return [SNAPSHOT]


def fetch(dest: Path, *, base_url: str | None = None) -> list[Path]:
    """Nothing to download: the curated tables are bundled with the package (see `bundled()`)."""
    log.info("curated: the tables are bundled in %s; nothing to fetch", SNAPSHOT)
    return []


def _order(path: Path) -> tuple[int, str]:
    """Sources first, then other nodes, then relationships, so references read top-down."""
    stem = path.stem
    if stem == "Source":
        return (0, stem)
    return (1 if stem in NODE_TYPES else 2, stem)


def _csv_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(p.glob("*.csv")))
        elif p.exists():
            files.append(p)
        else:
            raise DataError("no such file or directory", file=str(p))
    return sorted(files, key=_order)


def _kind(annotation: Any) -> str:
    """'list', 'int', 'float', 'bool' or 'str' for a pydantic field annotation."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _kind(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        kinds = {_kind(a) for a in typing.get_args(annotation) if a is not type(None)}
        for k in ("list", "float", "int", "bool"):
            if k in kinds:
                return k
        return "str"
    if origin in (tuple, list) or annotation in (tuple, list):
        return "list"
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if annotation is float:
        return "float"
    return "str"


def _field_kinds(cls: type[Record]) -> dict[str, str]:
    """Column name (alias where the field has one) -> coercion kind."""
    out: dict[str, str] = {}
    for name, info in cls.model_fields.items():
        out[info.alias or name] = _kind(info.annotation)
    return out


def _coerce(value: str, kind: str) -> Any:
    if kind == "list":
        return [v.strip() for v in value.split(LIST_SEP) if v.strip()]
    if kind == "int":
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"expected an integer, got {value!r}") from None
        if not number.is_integer():
            raise ValueError(f"expected an integer, got {value!r}")
        return int(number)
    if kind == "float":
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
    if kind == "bool":
        low = value.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def read_table(path: Path) -> Iterator[Record]:
    """Validate every row of one `<Type>.csv`; raises `ValidationErrors` listing all bad rows."""
    path = Path(path)
    type_name = path.stem
    cls = record_types().get(type_name)
    if cls is None:
        known = ", ".join(sorted(record_types()))
        raise DataError(f"file name must be <Type>.csv with a record type ({known})", file=str(path))
    kinds = _field_kinds(cls)
    errors: list[DataError] = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            return
        if len(set(header)) != len(header):
            raise DataError("duplicate column names in the header", file=str(path), line=1)
        last_line = reader.line_num
        for row in reader:
            line = last_line + 1
            last_line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                errors.append(DataError(f"expected {len(header)} columns, found {len(row)}",
                                        file=str(path), line=line))
                continue
            data: dict[str, Any] = {"type": type_name}
            bad = False
            for column, raw in zip(header, row):
                value = raw.strip()
                if column == "type":
                    if value and value != type_name:
                        errors.append(DataError(f"type {value!r} does not match the file name",
                                                file=str(path), line=line, field="type"))
                        bad = True
                    continue
                if value == "":
                    continue
                try:
                    data[column] = _coerce(value, kinds.get(column, "str"))
                except ValueError as exc:
                    errors.append(DataError(str(exc), file=str(path), line=line, field=column))
                    bad = True
                    break
            if bad:
                continue
            try:
                yield parse_record(data, file=str(path), line=line)
            except DataError as exc:
                errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ValidationErrors(errors)


def parse(paths: Iterable[Path] | None = None) -> Iterator[Record]:
    """Records from curated CSV tables: directories (every `<Type>.csv` inside) or single files.

    With no paths, reads the bundled snapshot. Every bad row in every file is reported at the end
    (`file:line: field: message`) after the good rows have been yielded.
    """
    files = _csv_files(bundled() if paths is None else paths)
    errors: list[DataError] = []
    for path in files:
        try:
            yield from read_table(path)
        except ValidationErrors as exc:
            errors.extend(exc.errors)
        except DataError as exc:
            errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ValidationErrors(errors)
