"""Opaque NextToken values for the list actions, which only the sandbox that gave them accepts.

A token is the position after which the next page starts and an HMAC-SHA256 tag over that
position, the list action and what is listed (the account and Region, or the CA), keyed with
a secret kept in the sandbox's ``meta`` table (made when the store is first opened for
writing): tokens stay valid across the processes that share a sandbox directory and across
restarts, and a token that was edited, made up, cut short, or given by another list action
(or for another CA) is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import sqlite3
import struct

from pcanb.sandbox import shapes
from pcanb.sandbox.errors import InvalidNextTokenException, ServiceError
from pcanb.sandbox.store import PAGING_SECRET_KEY

_POSITION = struct.Struct(">q")
_TAG_SIZE = 16
_TOKEN_SIZE = _POSITION.size + _TAG_SIZE
#: For a sandbox opened read-only that has no secret yet (created by an older pcanb): its
#: tokens are good for this process only.
_PROCESS_SECRET = secrets.token_hex(32)


def _secret(db: sqlite3.Connection) -> bytes:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (PAGING_SECRET_KEY,)).fetchone()
    return (row[0] if row else _PROCESS_SECRET).encode()


def _tag(db: sqlite3.Connection, operation: str, scope: str, position: bytes) -> bytes:
    message = b"\0".join((operation.encode(), scope.encode(), position))
    return hmac.new(_secret(db), message, hashlib.sha256).digest()[:_TAG_SIZE]


def encode(db: sqlite3.Connection, operation: str, scope: str, position: int) -> str:
    """The token for the page after ``position`` of ``operation`` over ``scope``."""
    packed = _POSITION.pack(position)
    return _text(packed + _tag(db, operation, scope, packed))


def _text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(db: sqlite3.Connection, operation: str, scope: str, token: str | None) -> int:
    """The position after which the next page starts; 0 for the first page. A token this
    sandbox did not give for ``operation`` over ``scope`` is refused."""
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    # Exactly the text encode() writes: the decoder skips stray characters and padding.
    if len(raw) == _TOKEN_SIZE and _text(raw) == token:
        packed, tag = raw[: _POSITION.size], raw[_POSITION.size :]
        if hmac.compare_digest(tag, _tag(db, operation, scope, packed)):
            return _POSITION.unpack(packed)[0]
    message = "The NextToken is not valid; pass the token the previous page returned."
    errors = {shape.name for shape in shapes.operation_model(operation).error_shapes}
    if "InvalidNextTokenException" in errors:
        raise InvalidNextTokenException(message)
    # ListTags declares no InvalidNextTokenException; an undeclared error cannot reach a
    # client as such, so the front end's ValidationException is the likely answer [inferred].
    raise ServiceError("ValidationException", message)
