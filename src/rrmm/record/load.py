"""Reading a record: JSON text or a mapping in, a validated :class:`Record` out, or one clear error.

Every error names the JSON path of the entry at fault (``therapies[3].drug``), so that whoever wrote the
record can find and mend it; nothing is returned half-validated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from rrmm.record.models import Record


class RecordError(ValueError):
    """A record that does not validate. ``path`` is the JSON path of the entry at fault."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def json_path(loc: tuple[int | str, ...]) -> str:
    """``('therapies', 3, 'drug')`` -> ``therapies[3].drug``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not str(part).startswith("function-"):
            path += f".{part}" if path else str(part)
    return path


def _describe(error: ErrorDetails) -> RecordError:
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    field = ctx.get("field")
    path = json_path(loc)
    if isinstance(field, str):  # a model-level check names the field it is about, relative to its model
        path = f"{path}.{field}" if path else field
    message = error["msg"]
    if error["type"] == "missing":
        message = "is required"
    elif error["type"] == "extra_forbidden":
        message = "is not a field of the record (schema version 1)"
    elif error["type"] == "literal_error":
        message = f"{error['msg'].removeprefix('Input should be ')!s} expected, got {error.get('input')!r}"
    return RecordError(path or "record", message)


def _first_error(exc: ValidationError) -> RecordError:
    return _describe(exc.errors(include_url=False)[0])


def record_from_mapping(data: Mapping[str, Any]) -> Record:
    """Validate a parsed record; raises :class:`RecordError` naming the first entry at fault."""
    if not isinstance(data, Mapping):
        raise RecordError("record", f"a record is a JSON object, got {type(data).__name__}")
    version = data.get("schema_version")
    if version != "1":
        raise RecordError("schema_version", f"rrmm reads schema version '1', got {version!r}")
    try:
        return Record.model_validate(dict(data))
    except ValidationError as exc:
        raise _first_error(exc) from None


def record_from_json(text: str | bytes) -> Record:
    """Parse and validate a record from JSON text; raises :class:`RecordError`."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(
            "record", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except UnicodeDecodeError:
        raise RecordError("record", "not UTF-8 text") from None
    return record_from_mapping(data)
