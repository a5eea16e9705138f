"""Smithy RPC v2 CBOR for acm-pca: routing, request decoding, answers and error bodies.

``POST /service/ACMPrivateCA/operation/<Operation>`` with ``smithy-protocol: rpc-v2-cbor`` and a
CBOR map as the body. The decoded request is the same document the AWS JSON path hands to the
engine (blobs as byte strings, which validation accepts as they are); answers are encoded from
the operation's output shape: timestamps as tag 1 epoch seconds, blobs as byte strings, strings
as text. Errors are a CBOR map of ``__type`` (the error's absolute shape id) and ``message``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import cbor2
from botocore.model import Shape

from pcanb.sandbox.errors import ServiceError, escape_surrogates
from pcanb.sandbox.shapes import operation_model, service_model

PROTOCOL = "rpc-v2-cbor"
CONTENT_TYPE = "application/cbor"
#: The service's shape name, and its absolute shape id with ``#`` written as ``.``.
SERVICE_NAMES = frozenset({"ACMPrivateCA", "com.amazonaws.acmpca.ACMPrivateCA"})
_PATH = re.compile(r"/service/([^/]+)/operation/([^/]+)$")
_NAMESPACE = "com.amazonaws.acmpca"
#: Namespaces of the errors every AWS service answers (as AWS's own services spell them).
_COMMON_NAMESPACES = {
    "ThrottlingException": "com.amazon.coral.availability",
    "ValidationException": "com.amazon.coral.validate",
}
_SERVICE_NAMESPACE = "com.amazon.coral.service"


def _malformed(message: str) -> ServiceError:
    return ServiceError("SerializationException", message)


@cache
def _modeled_errors() -> frozenset[str]:
    return frozenset(shape.name for shape in service_model().error_shapes)


def error_type(code: str) -> str:
    """The absolute shape id sent as ``__type`` for an error code."""
    if code in _modeled_errors():
        return f"{_NAMESPACE}#{code}"
    return f"{_COMMON_NAMESPACES.get(code, _SERVICE_NAMESPACE)}#{code}"


def _plain(value: Any) -> Any:
    """The decoded body with ``undefined`` read as null; map keys must be text."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _malformed("CBOR map keys must be text strings.")
            out[key] = _plain(item)
        return out
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if value is cbor2.undefined:
        return None
    return value


def _timestamp(value: Any) -> cbor2.CBORTag:
    seconds = value.timestamp() if isinstance(value, datetime) else float(value)
    return cbor2.CBORTag(1, int(seconds) if seconds.is_integer() else seconds)


def _typed(shape: Shape, value: Any) -> Any:
    """``value`` as the CBOR type of ``shape`` (null members left out)."""
    kind = shape.type_name
    if kind == "structure":
        members = shape.members
        return {
            name: _typed(members[name], item)
            for name, item in value.items()
            if item is not None and name in members
        }
    if kind == "list":
        return [_typed(shape.member, item) for item in value]
    if kind == "map":
        return {key: _typed(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        return _timestamp(value)
    if kind == "string" and isinstance(value, bytes):
        return value.decode()
    if kind == "blob" and isinstance(value, str):
        return value.encode()
    return value


class CborCodec:
    """The rpcv2Cbor side of an acm-pca call; ``Wire.handle_pca`` does the rest."""

    def route(self, method: str, url: str, headers: Mapping[str, str]) -> str:
        """The operation a request names; ``ServiceError`` when it is not a well-formed one."""
        if "x-amz-target" in headers or "x-amzn-target" in headers:
            raise _malformed("A Smithy RPC v2 CBOR request must not carry an X-Amz-Target header.")
        match = _PATH.search(urlsplit(url).path)
        if method != "POST" or match is None:
            raise ServiceError(
                "UnknownOperationException",
                "Smithy RPC v2 CBOR requests are POST /service/ACMPrivateCA/operation/<Operation>.",
            )
        service, operation = match.groups()
        if service not in SERVICE_NAMES:
            raise ServiceError("UnknownOperationException", f"Unknown service {service!r}.")
        return operation

    def decode(self, body: bytes) -> dict[str, Any]:
        """The request document: one CBOR map (an empty body is an empty input)."""
        if not body:
            return {}
        stream = io.BytesIO(body)
        try:
            document = cbor2.CBORDecoder(stream).decode()
        except Exception as exc:
            if "text string" in str(exc):  # RFC 8949 §3.1: text strings are UTF-8
                raise _malformed(
                    "The request body is not valid CBOR: a text string is not valid UTF-8."
                ) from None
            raise _malformed("The request body is not valid CBOR.") from None
        if stream.tell() != len(body):
            raise _malformed("The request body holds more than one CBOR data item.")
        if not isinstance(document, dict):
            raise _malformed("The request body must be a CBOR map.")
        try:
            return _plain(document)
        except RecursionError:
            raise _malformed("The request body is nested too deeply.") from None

    def encode(self, operation: str, result: dict[str, Any]) -> bytes:
        """The answer body; empty for operations without output."""
        shape = operation_model(operation).output_shape
        if shape is None:
            return b""
        return cbor2.dumps(_typed(shape, result))

    def answer(self, request_id: str, payload: bytes) -> tuple[int, dict[str, str], bytes]:
        headers = {"x-amzn-RequestId": request_id, "smithy-protocol": PROTOCOL}
        if payload:
            headers["Content-Type"] = CONTENT_TYPE
        return 200, headers, payload

    def error(self, error: ServiceError, request_id: str) -> tuple[int, dict[str, str], bytes]:
        # CBOR text is UTF-8: a lone surrogate quoted in a message goes as a \uXXXX escape.
        message = escape_surrogates(error.message)
        body = cbor2.dumps({"__type": error_type(error.code), "message": message})
        headers = {
            "x-amzn-RequestId": request_id,
            "smithy-protocol": PROTOCOL,
            "Content-Type": CONTENT_TYPE,
        }
        return error.status, headers, body
