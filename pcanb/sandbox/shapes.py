"""Server-side request validation from the botocore service model, as AWS's front end does it.

botocore checks required members, types and minimums on the client; AWS checks the rest
(maximums, patterns, enums) on the server and answers ``ValidationException``. Other SDKs and
the raw HTTP server skip client validation, so everything is checked here again. Blob members
arrive base64-encoded on the JSON wire and are decoded here.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from functools import cache
from typing import Any

import botocore.loaders
import botocore.model
from botocore.model import OperationModel, Shape

from pcanb.sandbox.errors import ServiceError, ValidationException

_MAX_REPORTED = 10


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


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, value: Any, path: str, constraint: str) -> None:
        shown = "null" if value is None else f"'{value}'"
        if isinstance(value, dict | list):
            shown = "the given value"
        self.problems.append(
            f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"
        )

    def check(self, shape: Shape, value: Any, path: str) -> Any:
        kind = shape.type_name
        meta = shape.metadata
        if kind == "structure":
            if not isinstance(value, dict):
                self.fail(value, path, "Member must be a structure")
                return value
            out = dict(value)
            for name in shape.required_members:
                if value.get(name) is None:
                    self.fail(None, _path(path, name), "Member must not be null")
            for name, member in shape.members.items():
                if value.get(name) is not None:
                    out[name] = self.check(member, value[name], _path(path, name))
            return out
        if kind == "list":
            if not isinstance(value, list):
                self.fail(value, path, "Member must be a list")
                return value
            self._length(value, len(value), meta, path)
            return [
                self.check(shape.member, v, f"{path}.{i + 1}.member") for i, v in enumerate(value)
            ]
        if kind == "string":
            if not isinstance(value, str):
                self.fail(value, path, "Member must be a string")
                return value
            self._length(value, len(value), meta, path)
            if shape.enum and value not in shape.enum:
                self.fail(
                    value, path, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"
                )
            elif "pattern" in meta and not _matcher(meta["pattern"])(value):
                self.fail(
                    value,
                    path,
                    f"Member must satisfy regular expression pattern: {meta['pattern']}",
                )
            return value
        if kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                self.fail(value, path, "Member must be a number")
                return value
            if "min" in meta and value < meta["min"]:
                self.fail(
                    value, path, f"Member must have value greater than or equal to {meta['min']}"
                )
            if "max" in meta and value > meta["max"]:
                self.fail(
                    value, path, f"Member must have value less than or equal to {meta['max']}"
                )
            return value
        if kind == "boolean":
            if not isinstance(value, bool):
                self.fail(value, path, "Member must be a boolean")
            return value
        if kind == "blob":
            if not isinstance(value, str):
                self.fail(value, path, "Member must be base64-encoded binary data")
                return value
            try:
                data = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                raise ServiceError(
                    "SerializationException", f"Member '{path}' is not valid base64."
                ) from None
            self._length(data, len(data), meta, path)
            return data
        if kind == "timestamp":
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.fail(value, path, "Member must be a timestamp")
            return value
        return value

    def _length(self, value: Any, size: int, meta: dict, path: str) -> None:
        if "min" in meta and size < meta["min"]:
            self.fail(
                value, path, f"Member must have length greater than or equal to {meta['min']}"
            )
        if "max" in meta and size > meta["max"]:
            self.fail(value, path, f"Member must have length less than or equal to {meta['max']}")


def validate_request(operation: str, params: Any) -> dict[str, Any]:
    """Check ``params`` against the operation's input shape; return them with blobs decoded."""
    model = operation_model(operation)
    if not isinstance(params, dict):
        raise ServiceError("SerializationException", "The request body must be a JSON object.")
    if model.input_shape is None:
        return {}
    checker = _Checker()
    checked = checker.check(model.input_shape, params, "")
    if checker.problems:
        count = len(checker.problems)
        noun = "error" if count == 1 else "errors"
        detail = "; ".join(checker.problems[:_MAX_REPORTED])
        raise ValidationException(f"{count} validation {noun} detected: {detail}")
    return checked
