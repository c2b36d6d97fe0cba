"""Turn a raw mapping (a JSON line, a CSV row) into a validated record."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..errors import DataError
from .base import Record
from .edges import RELATIONSHIP_TYPES
from .nodes import NODE_TYPES


def record_types() -> dict[str, type[Record]]:
    return {**NODE_TYPES, **RELATIONSHIP_TYPES}


def parse_record(data: dict[str, Any], *, file: str | None = None,
                 line: int | None = None) -> Record:
    """Validate one record; errors name file, line and the first bad field."""
    if not isinstance(data, dict):
        raise DataError("a record must be a JSON object", file=file, line=line)
    type_name = data.get("type")
    cls = record_types().get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        known = ", ".join(sorted(record_types()))
        raise DataError(f"unknown record type {type_name!r}; expected one of {known}",
                        file=file, line=line, field="type")
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or None
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown field for {type_name}"
        raise DataError(msg, file=file, line=line, field=field) from None
