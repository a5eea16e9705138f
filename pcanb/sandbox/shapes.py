"""Server-side request validation from the botocore service model, as AWS's front end does it.

botocore checks required members, types and minimums on the client; AWS checks the rest
(maximums, patterns, enums) on the server and answers ``ValidationException``. Other SDKs and
the raw HTTP server skip client validation, so everything is checked here again. Blob members
arrive base64-encoded on the JSON wire (decoded here) and as byte strings in CBOR.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

import botocore.loaders
import botocore.model
from botocore.model import OperationModel, Shape

from pcanb.sandbox.errors import ServiceError, ValidationException, escape_surrogates

_MAX_REPORTED = 10
_MATCHED_LIMIT = 4096
_MAX_SHOWN = 256
#: The rule a string with a lone UTF-16 surrogate breaks. JSON can carry one (``"\ud800"``),
#: UTF-8 cannot; AWS documents no answer for it, so the wording is [inferred].
_SURROGATE_RULE = "Member must not contain unpaired UTF-16 surrogate characters"


@cache
def service_model(service: str = "acm-pca"):
    """The botocore service model (loaded once per process, without reading any AWS profile)."""
    raw = botocore.loaders.create_loader().load_service_model(service, "service-2")
    return botocore.model.ServiceModel(raw, service_name=service)


@cache
def operation_model(name: str) -> OperationModel:
    """The model of one acm-pca operation; ``UnknownOperationException`` when there is none."""
    model = service_model()
    if name not in model.operation_names:
        raise ServiceError("UnknownOperationException", f"Unknown operation {name!r}.")
    return model.operation_model(name)


def _java_pattern(pattern: str):
    """A matcher for a model pattern; Java's ``\\p{L}``-style classes handled by hand."""
    if "\\p{" not in pattern:
        compiled = re.compile(pattern, re.DOTALL)
        return lambda value: compiled.fullmatch(value) is not None
    categories = set(re.findall(r"\\p\{(\w)\}", pattern))
    literal = re.sub(r"\\p\{\w\}", "", pattern)
    extra = set(re.sub(r"[()\[\]*\\]", "", literal).replace("-", "")) | {"-"}

    def match(value: str) -> bool:
        return all(ch in extra or unicodedata.category(ch)[0] in categories for ch in value)

    return match


@cache
def _matcher(pattern: str):
    return _java_pattern(pattern)


def _path(parent: str, member: str) -> str:
    name = member[:1].lower() + member[1:]
    return f"{parent}.{name}" if parent else name


def _java_text(value: Any, out: list[str], budget: int) -> int:
    """Append ``value`` to ``out`` as Java's ``toString`` writes it (lists ``[a, b]``,
    structures ``{Key=a}``, ``true``/``false``, ``null``); stop once more than ``budget``
    characters are written (huge or deeply nested values cost no more). The budget left."""
    if budget < 0:
        return budget
    if isinstance(value, dict | list):
        opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
        out.append(opening)
        budget -= 1
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for index, (key, item) in enumerate(items):
            if budget < 0:
                return budget
            if index:
                out.append(", ")
                budget -= 2
            if isinstance(value, dict):
                out.append(f"{key}=")
                budget -= len(out[-1])
            budget = _java_text(item, out, budget)
        out.append(closing)
        return budget - 1
    text = _scalar_text(value)
    out.append(text)
    return budget - len(text)


def _scalar_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _shown(value: Any) -> str:
    """How a validation message quotes the value it refuses: as AWS's front end prints it,
    Java-style, with lists and structures cut after ``_MAX_SHOWN`` characters [inferred]."""
    if value is None:
        return "null"
    if not isinstance(value, dict | list):
        return f"'{escape_surrogates(_scalar_text(value))}'"
    out: list[str] = []
    _java_text(value, out, _MAX_SHOWN)
    text = "".join(out)
    if len(text) > _MAX_SHOWN:
        text = text[:_MAX_SHOWN] + "..."
    return f"'{escape_surrogates(text)}'"


def _fail(problems: list[str], value: Any, path: str, constraint: str) -> None:
    problems.append(f"Value {_shown(value)} at '{path}' failed to satisfy constraint: {constraint}")


def _blob_shown(data: bytes) -> str:
    """A blob as AWS's Java front end prints it in a validation message (Kinesis and Firehose
    answers show ``Value 'java.nio.HeapByteBuffer[pos=0 lim=50268 cap=50268]' at 'data'``;
    the same front end for acm-pca is [inferred])."""
    return f"java.nio.HeapByteBuffer[pos=0 lim={len(data)} cap={len(data)}]"


# A validator: (value, path, problems) -> the value to use (blobs decoded), problems appended.
Validator = Callable[[Any, str, list[str]], Any]


def _length_check(meta: dict) -> Callable[[Any, int, str, list[str]], None] | None:
    """The min/max length rule of ``meta`` (``None`` when it has neither)."""
    low, high = meta.get("min"), meta.get("max")
    if low is None and high is None:
        return None

    def check(value: Any, size: int, path: str, problems: list[str]) -> None:
        if low is not None and size < low:
            _fail(problems, value, path, f"Member must have length greater than or equal to {low}")
        if high is not None and size > high:
            _fail(problems, value, path, f"Member must have length less than or equal to {high}")

    return check


def _member_path(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def _compile(shape: Shape, done: dict[str, Validator]) -> Validator:
    """One validator for ``shape`` (compiled once; ``done`` breaks recursive shapes)."""
    if shape.name in done:
        return done[shape.name]
    cell: list[Validator] = []
    done[shape.name] = lambda value, path, problems: cell[0](value, path, problems)
    validator = _build(shape, done)
    cell.append(validator)
    done[shape.name] = validator
    return validator


def _build(shape: Shape, done: dict[str, Validator]) -> Validator:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        required = [(name, _path("", name)) for name in shape.required_members]
        members = [
            (name, _path("", name), _compile(member, done))
            for name, member in shape.members.items()
        ]

        def structure(value: Any, path: str, problems: list[str]) -> Any:
            if not isinstance(value, dict):
                _fail(problems, value, path, "Member must be a structure")
                return value
            out = dict(value)
            get = value.get
            for name, child in required:
                if get(name) is None:
                    _fail(problems, None, _member_path(path, child), "Member must not be null")
            for name, child, check in members:
                item = get(name)
                if item is not None:
                    out[name] = check(item, f"{path}.{child}" if path else child, problems)
            return out

        return structure
    if kind == "list":
        length = _length_check(meta)
        element = _compile(shape.member, done)

        def list_(value: Any, path: str, problems: list[str]) -> Any:
            if not isinstance(value, list):
                _fail(problems, value, path, "Member must be a list")
                return value
            if length is not None:
                length(value, len(value), path, problems)
            return [element(v, f"{path}.{i + 1}.member", problems) for i, v in enumerate(value)]

        return list_
    if kind == "string":
        return _string(shape, meta)
    if kind in ("integer", "long"):
        low, high = meta.get("min"), meta.get("max")

        def number(value: Any, path: str, problems: list[str]) -> Any:
            if isinstance(value, bool) or not isinstance(value, int):
                _fail(problems, value, path, "Member must be a number")
                return value
            if low is not None and value < low:
                _fail(
                    problems, value, path, f"Member must have value greater than or equal to {low}"
                )
            if high is not None and value > high:
                _fail(problems, value, path, f"Member must have value less than or equal to {high}")
            return value

        return number
    if kind == "boolean":

        def boolean(value: Any, path: str, problems: list[str]) -> Any:
            if not isinstance(value, bool):
                _fail(problems, value, path, "Member must be a boolean")
            return value

        return boolean
    if kind == "blob":
        length = _length_check(meta)

        def blob(value: Any, path: str, problems: list[str]) -> Any:
            if isinstance(value, bytes):  # a CBOR byte string
                data = value
            elif not isinstance(value, str):
                _fail(problems, value, path, "Member must be base64-encoded binary data")
                return value
            else:
                try:
                    data = base64.b64decode(value, validate=True)
                except (binascii.Error, ValueError):
                    raise ServiceError(
                        "SerializationException", f"Member '{path}' is not valid base64."
                    ) from None
            if length is not None:
                length(_blob_shown(data), len(data), path, problems)
            return data

        return blob
    if kind == "timestamp":

        def timestamp(value: Any, path: str, problems: list[str]) -> Any:
            if isinstance(value, bool) or not isinstance(value, int | float | datetime):
                _fail(problems, value, path, "Member must be a timestamp")
            return value

        return timestamp
    return lambda value, path, problems: value


def _string(shape: Shape, meta: dict) -> Validator:
    length = _length_check(meta)
    enum = shape.enum
    allowed = frozenset(enum)
    enum_rule = f"Member must satisfy enum value set: [{', '.join(enum)}]"
    pattern = meta.get("pattern")
    matcher = _matcher(pattern) if pattern is not None else None
    pattern_rule = f"Member must satisfy regular expression pattern: {pattern}"
    # Values that matched the pattern before (ARNs come back on every call); bounded.
    matched: dict[str, None] = {}

    def string(value: Any, path: str, problems: list[str]) -> Any:
        if value.__class__ is not str and not isinstance(value, str):
            _fail(problems, value, path, "Member must be a string")
            return value
        if not value.isascii() and _has_surrogate(value):
            _fail(problems, value, path, _SURROGATE_RULE)
            return value
        if length is not None:
            length(value, len(value), path, problems)
        if enum and value not in allowed:
            _fail(problems, value, path, enum_rule)
        elif matcher is not None and value not in matched:
            if matcher(value):
                if len(matched) >= _MATCHED_LIMIT:
                    matched.clear()
                matched[value] = None
            else:
                _fail(problems, value, path, pattern_rule)
        return value

    return string


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@cache
def _validator(operation: str) -> Validator | None:
    """The compiled validator of an operation's input shape (``None``: the operation has none)."""
    shape = operation_model(operation).input_shape
    return None if shape is None else _compile(shape, {})


def validate_request(operation: str, params: Any) -> dict[str, Any]:
    """Check ``params`` against the operation's input shape; return them with blobs decoded."""
    validator = _validator(operation)
    if not isinstance(params, dict):
        raise ServiceError("SerializationException", "The request body must be a JSON object.")
    if validator is None:
        return {}
    problems: list[str] = []
    checked = validator(params, "", problems)
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        detail = "; ".join(problems[:_MAX_REPORTED])
        raise ValidationException(f"{count} validation {noun} detected: {detail}")
    return checked
