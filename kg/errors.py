"""Error tree. Every error the user can cause names where it happened."""

from __future__ import annotations


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
    """Several bad records at once; the message lists them all (capped)."""

    def __init__(self, errors: list[DataError], cap: int = 50) -> None:
        self.errors = errors
        lines = [str(e) for e in errors[:cap]]
        if len(errors) > cap:
            lines.append(f"... and {len(errors) - cap} more")
        KGError.__init__(self, "\n".join(lines))
        self.file = errors[0].file if errors else None
        self.line = errors[0].line if errors else None
        self.field = errors[0].field if errors else None
        self.detail = str(self)


class UsageError(KGError):
    """Wrong command-line usage (unknown query, bad parameter)."""

    exit_code = 2


class StoreError(KGError):
    """The graph store cannot be reached, started or written."""
