"""Error tree. Every error the user can cause names where it happened."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar


class KGError(Exception):
    """Base of every error the CLI turns into a clean message."""

    exit_code = 1


class DataError(KGError):
    """Bad input data: names the file, line/record and field."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.file, self.line, self.field, self.detail = file, line, field, message
        where = ""
        if file is not None:
            where = f"{file}:{line}: " if line is not None else f"{file}: "
        elif line is not None:
            where = f"record {line}: "
        super().__init__(f"{where}{field + ': ' if field else ''}{message}")


class ValidationErrors(DataError):
    """Several bad records at once; the message lists them all (capped), grouped by field."""

    def __init__(self, errors: list[DataError], cap: int = 100, *, stopped_at: int | None = None) -> None:
        self.errors = errors
        records = {(e.file, e.line) for e in errors}
        if len(records) <= 1 and stopped_at is None:
            message = "\n".join(str(e) for e in errors)     # one record: its errors, no summary
        else:
            # Grouped by field (the most frequent first), as neo4j-admin's bad-row report; the
            # summary comes last so the first line is still a `file:line: field: message`.
            by_field: dict[str, list[DataError]] = {}
            for err in errors:
                by_field.setdefault(err.field or "(record)", []).append(err)
            groups = sorted(by_field.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            lines: list[str] = []
            for _name, errs in groups:
                lines += [str(e) for e in sorted(errs, key=lambda e: (e.file or "", e.line or 0))]
            if len(lines) > cap:
                lines = lines[:cap] + [f"... and {len(lines) - cap} more"]
            counts = ", ".join(f"{name} {len(errs)}" for name, errs in groups)
            summary = (f"{len(errors)} errors in {len(records)} records, nothing written "
                       f"(by field: {counts})")
            if stopped_at is not None:
                summary += f"; reading stopped at {stopped_at} errors (--max-errors)"
            message = "\n".join([*lines, summary])
        KGError.__init__(self, message)
        self.file = errors[0].file if errors else None
        self.line = errors[0].line if errors else None
        self.field = errors[0].field if errors else None
        self.detail = str(self)


class ErrorLog:
    """Errors of bad records gathered while reading on, so every error of a file is reported at
    once (up to `limit`, then reading stops); nothing is written while any is held."""

    def __init__(self, limit: int = 100) -> None:
        if limit < 1:
            raise UsageError("--max-errors must be at least 1")
        self.limit = limit
        self.errors: list[DataError] = []

    def add(self, exc: DataError) -> None:
        self.errors.extend(exc.errors if isinstance(exc, ValidationErrors) else [exc])
        if len(self.errors) >= self.limit:
            raise ValidationErrors(self.errors[:self.limit], stopped_at=self.limit)

    def check(self) -> None:
        if self.errors:
            raise ValidationErrors(self.errors)


_ERROR_LOG: ContextVar[ErrorLog | None] = ContextVar("kg_error_log", default=None)


@contextlib.contextmanager
def collecting(limit: int = 100, log: ErrorLog | None = None) -> Iterator[ErrorLog]:
    """Within this block, readers report bad records to the returned log (`log`, or a new one
    holding up to `limit`) and read on."""
    log = log if log is not None else ErrorLog(limit)
    token = _ERROR_LOG.set(log)
    try:
        yield log
    finally:
        _ERROR_LOG.reset(token)


def record_error(exc: DataError) -> None:
    """A bad record (or file): gathered when an ErrorLog is collecting, raised otherwise."""
    log = _ERROR_LOG.get()
    if log is None:
        raise exc
    log.add(exc)


class UsageError(KGError):
    """Wrong command-line usage (unknown query, bad parameter)."""

    exit_code = 2


class StoreError(KGError):
    """The graph store cannot be reached, started or written."""
