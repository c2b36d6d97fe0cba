"""The project's own curated, cited tables: what no machine-readable public source gives.

Covers (each row cites `Source` records in the same tables; README.md beside the tables explains
the confidence grades and every recorded conflict):

- critical-mineral list membership (US 2018/2022/2025, EU 2020/2023, DOE 2023) on `Material`;
- stage shares beyond mining: IEA Critical Minerals Dataset (May 2025) refining shares for lithium
  chemicals, nickel, cobalt, battery-grade graphite and magnet rare earths; rare-earth separation,
  NdFeB magnet, battery, cathode/anode and polysilicon manufacturing shares (IEA, Bernreuter);
  battery separators, electrolyte and copper foil (Yano, SNE Research, EVTank) and high-purity
  manganese sulphate (Stratas), each an input in the bills of materials;
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

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from kg.errors import DataError, ValidationErrors
from kg.models import Record
from kg.models.nodes import NODE_TYPES
from kg.records_io import csv_table
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


def read_table(path: Path) -> Iterator[Record]:
    """Validate every row of one `<Type>.csv`; raises `ValidationErrors` listing all bad rows."""
    path = Path(path)
    errors: list[DataError] = []
    for _line, item in csv_table(path):
        if isinstance(item, DataError):
            errors.append(item)
        else:
            yield item
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
