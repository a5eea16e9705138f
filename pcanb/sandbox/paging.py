"""Opaque NextToken values for the list actions."""

from __future__ import annotations

import base64
import json

from pcanb.sandbox.errors import InvalidNextTokenException


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
    except (ValueError, KeyError, TypeError):
        raise InvalidNextTokenException(
            "The NextToken is not valid; pass the token the previous page returned."
        ) from None
