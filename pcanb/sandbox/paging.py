"""Opaque NextToken values for the list actions."""

from __future__ import annotations

import base64
import json

from pcanb.sandbox import shapes
from pcanb.sandbox.errors import InvalidNextTokenException, ServiceError


def encode(operation: str, position: int) -> str:
    raw = json.dumps({"op": operation, "after": position}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode(operation: str, token: str | None) -> int:
    """The position after which the next page starts; 0 for the first page."""
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data["op"] != operation:
            raise ValueError
        return int(data["after"])
    except (ValueError, KeyError, TypeError, AttributeError):
        message = "The NextToken is not valid; pass the token the previous page returned."
        errors = {shape.name for shape in shapes.operation_model(operation).error_shapes}
        if "InvalidNextTokenException" in errors:
            raise InvalidNextTokenException(message) from None
        # ListTags declares no InvalidNextTokenException; an undeclared error cannot reach a
        # client as such, so the front end's ValidationException is the likely answer [inferred].
        raise ServiceError("ValidationException", message) from None
