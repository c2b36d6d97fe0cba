"""Turn a raw mapping (a JSON line, a CSV row) into a validated record.

Validation is strict about what the graph store would refuse or silently change: a boolean is
not a number (`share: true` is not 1.0), a number is not text, floats are finite (and the model
rounds them to the 15 significant digits the store reads back: `Record._floats_as_stored`), and
text holds no NUL character and no lone surrogate (neither can be stored). Every error of a
record is reported, not only the first.
"""

from __future__ import annotations

import functools
import math
import typing
from typing import Any

from pydantic import ValidationError

from ..errors import DataError, ValidationErrors
from .base import Record
from .edges import RELATIONSHIP_TYPES
from .nodes import NODE_TYPES


def record_types() -> dict[str, type[Record]]:
    return {**NODE_TYPES, **RELATIONSHIP_TYPES}


def kind_of(annotation: Any) -> str:
    """'list', 'int', 'float', 'bool' or 'str' (a list's items: `item_kind`)."""
    origin = typing.get_origin(annotation)
    if origin is tuple or origin is list:
        return "list"
    if annotation in (bool, int, float):
        return str(annotation.__name__)
    for arg in typing.get_args(annotation):   # Optional[...] / Annotated[...]
        if arg is type(None):
            continue
        kind = kind_of(arg)
        if kind != "str":
            return kind
    return "str"


@functools.lru_cache(maxsize=4096)
def _annotation(cls: type[Record], name: str) -> Any:
    fields = cls.model_fields
    finfo = fields.get(name) or next((f for f in fields.values() if f.alias == name), None)
    return None if finfo is None else finfo.annotation


def field_kind(cls: type[Record], name: str) -> str | None:
    """The kind of a field by name or alias; None for an unknown field."""
    annotation = _annotation(cls, name)
    return None if annotation is None else kind_of(annotation)


def item_kind(annotation: Any) -> str:
    """The kind of the items of a list field ('str' when not a list)."""
    origin = typing.get_origin(annotation)
    if origin is tuple or origin is list:
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        return kind_of(args[0]) if args else "str"
    for arg in typing.get_args(annotation):
        if arg is not type(None) and kind_of(arg) == "list":
            return item_kind(arg)
    return "str"


def text_problem(value: str) -> str | None:
    """Why the store cannot hold this text, or None."""
    if "\x00" in value:
        return f"contains a NUL character at position {value.index(chr(0)) + 1}"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"contains a lone surrogate (\\u{ord(value[exc.start]):04x}), which is not text"
    return None


@functools.cache
def _kinds_of(cls: type[Record]) -> dict[str, tuple[str, str]]:
    """Field name or alias -> (kind, item kind), computed once per record type (a name wins
    over an alias, as in `_annotation`)."""
    out: dict[str, tuple[str, str]] = {}
    for info in reversed(cls.model_fields.values()):
        if info.alias:
            out[info.alias] = (kind_of(info.annotation), item_kind(info.annotation))
    for name, info in cls.model_fields.items():
        out[name] = (kind_of(info.annotation), item_kind(info.annotation))
    return out


def _plain_text(value: str) -> bool:
    """True for text the store holds as it is (the common case of `text_problem`, fast)."""
    return "\x00" not in value and (value.isascii() or text_problem(value) is None)


def _type_problem(kind: str, items: str, value: Any) -> str | None:
    if value is None:
        return None
    if kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"expected a number, found {_json_type(value)}"
        if kind == "int" and isinstance(value, float):
            return f"expected a whole number, found {value!r}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"expected a finite number, found {value!r}"
        return None
    if kind == "bool":
        return None if isinstance(value, bool) else f"expected true or false, found {_json_type(value)}"
    if kind == "list":
        if not isinstance(value, (list, tuple)):
            return f"expected a list, found {_json_type(value)}"
        for item in value:
            problem = _type_problem(items, "str", item)
            if problem or item is None:
                return f"in the list: {problem or 'null is not a value'}"
        return None
    if not isinstance(value, str):
        return f"expected a string, found {_json_type(value)}"
    return text_problem(value)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"a string ({value[:40]!r})"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


_TYPES = record_types()


def parse_record(data: dict[str, Any], *, file: str | None = None,
                 line: int | None = None, plain_text: bool = False) -> Record:
    """Validate one record; errors name file, line and field (all bad fields at once).

    `plain_text`: the caller knows that no string in `data` holds a NUL character or a lone
    surrogate (a JSON line decoded from UTF-8 without any `\\u` escape: the strict decoder
    refuses raw control characters and the UTF-8 decoder encoded surrogates), so the check of
    `text_problem` is already done."""
    if not isinstance(data, dict):
        raise DataError("a record must be a JSON object", file=file, line=line)
    type_name = data.get("type")
    cls = _TYPES.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        known = ", ".join(sorted(record_types()))
        raise DataError(f"unknown record type {type_name!r}; expected one of {known}",
                        file=file, line=line, field="type")
    errors: list[DataError] = []
    table = _kinds_of(cls)
    for name, value in data.items():
        kinds = table.get(name)
        if kinds is None or value is None:
            continue                    # unknown fields are pydantic's to report
        kind = kinds[0]
        # fast paths for the values of almost every record; anything else takes _type_problem
        vtype = type(value)
        if vtype is str:
            if kind == "str" and (plain_text or _plain_text(value)):
                continue
        elif vtype is float or vtype is int:
            if ((kind == "float" and (vtype is int or math.isfinite(value)))
                    or (kind == "int" and vtype is int)):
                continue
        elif (vtype is list and kind == "list" and kinds[1] == "str"
              and all(type(v) is str and (plain_text or _plain_text(v)) for v in value)):
            continue
        problem = _type_problem(*kinds, value)
        if problem:
            errors.append(DataError(problem, file=file, line=line, field=name))
    if not errors:
        try:
            record: Record = cls.__pydantic_validator__.validate_python(data)  # model_validate's core
            return record
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or None
                msg = err["msg"].removeprefix("Value error, ")
                if err["type"] == "extra_forbidden":
                    msg = f"unknown field for {type_name}"
                errors.append(DataError(msg, file=file, line=line, field=field))
    raise errors[0] if len(errors) == 1 else ValidationErrors(errors)
