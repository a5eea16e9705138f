"""The sandbox on the wire: acm-pca in AWS JSON 1.1 or Smithy RPC v2 CBOR, REST-XML for S3.

``Wire.handle(method, url, headers, body) -> (status, headers, body)`` is the one entry point;
the in-process transport (a ``before-send`` handler on the sandbox's own boto3 session) and the
HTTP server both call it. Both acm-pca protocols share one dispatch (``handle_pca``); a codec
does the routing and the encoding (CBOR in ``rpcv2_cbor``). This is the only sandbox module that
knows botocore's request and response objects.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import os
import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol
from xml.sax.saxutils import escape as xml_escape

from pcanb.sandbox import calllog, shapes
from pcanb.sandbox.errors import ServiceError
from pcanb.sandbox.store import is_storage_failure, storage_message

logger = logging.getLogger(__name__)

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
_TARGET_PREFIX = "ACMPrivateCA."
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return value.decode()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def caller(headers: Mapping[str, str], default_region: str) -> tuple[str | None, str, str | None]:
    """(access key, region, service) from a SigV4 Authorization header."""
    match = _CREDENTIAL.search(headers.get("Authorization", "") or headers.get("authorization", ""))
    if not match:
        return None, default_region, None
    return match.group(1), match.group(2), match.group(3)


def _check_signed(headers: Mapping[str, str], access_key: str | None) -> None:
    """AWS authenticates a request before anything else. The sandbox takes any access key and
    does not check signatures, but an acm-pca request must carry a SigV4 Authorization header,
    as every SDK and the AWS CLI send (``headers`` with lower-case names)."""
    authorization = headers.get("authorization", "").strip()
    if not authorization:
        raise ServiceError(
            "MissingAuthenticationTokenException", "Missing Authentication Token", 403
        )
    if access_key is None:
        raise ServiceError(
            "IncompleteSignatureException",
            "The Authorization header is not an AWS Signature Version 4 header "
            "(AWS4-HMAC-SHA256 Credential=<access key>/<date>/<region>/acm-pca/aws4_request, "
            f"SignedHeaders=..., Signature=...): {authorization[:80]!r}",
        )


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class Wire:
    """Routes requests to the Private CA engine or the S3 subset and encodes the answers."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox

    def handle(
        self, method: str, url: str, headers: Mapping[str, Any], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {k: _text(v) for k, v in headers.items()}
        lower = {k.lower(): v for k, v in headers.items()}
        api = _api_of(lower)
        if api == "cbor":
            codec = _cbor_codec()
            if codec is None:
                error = ServiceError(
                    "NotImplementedException",
                    "Smithy RPC v2 CBOR needs the cbor2 package: pip install 'pcanb[serve]'.",
                    501,
                )
                return _json_error(error)
            return self.handle_pca(method, url, lower, body, codec)
        target = lower.get("x-amz-target")
        if api == "json" and target is not None and target.startswith(_TARGET_PREFIX):
            return self.handle_pca(method, url, lower, body, JSON_CODEC)
        if api == "json":
            # An AWS JSON request for another service (or with no target): S3 never sees these.
            if target:
                message = (
                    f"The pcanb sandbox serves AWS Private CA ({_TARGET_PREFIX}*) and S3; "
                    f"{target.split('.', 1)[0]} is not emulated."
                )
            else:
                message = (
                    "An AWS JSON request needs an X-Amz-Target header (ACMPrivateCA.<Action>)."
                )
            error = ServiceError("UnknownOperationException", message)
            return _json_error(error, content_type=_json_content_type(lower))
        if self.sandbox.s3 is None:
            return _json_error(ServiceError("UnknownOperationException", "Unknown service."))
        try:
            self.sandbox.engine.tick()  # CRLs due by now are in the bucket before anyone reads it
        except Exception as exc:
            if not is_storage_failure(exc):
                return _s3_failure(self.sandbox.store.path, exc)
            # The disk refuses the due CRL (it stays due); the request is answered from what is
            # stored, and a write fails on its own account.
            logger.warning("a due CRL or audit report could not be written: %s", exc)
        try:
            status, out_headers, payload = self.sandbox.s3.handle(method, url, headers, body)
        except Exception as exc:
            return _s3_failure(self.sandbox.store.path, exc)
        try:
            self._log_s3(method, url, headers, status, out_headers, payload)
        except Exception as exc:
            if not is_storage_failure(exc):
                raise
            # The answer stands; the store refuses writes, so the call goes unlogged.
        return status, out_headers, payload

    def _log_s3(self, method, url, headers, status, out_headers, payload) -> None:
        from pcanb.sandbox.s3 import operation_name

        access_key, region, _ = caller(headers, self.sandbox.default_region)
        error_code = None
        if status >= 300 and payload:
            found = re.search(rb"<Code>([^<]+)</Code>", payload)
            error_code = found.group(1).decode() if found else str(status)
        elif status >= 300:
            error_code = str(status)
        calllog.record(
            self.sandbox.store,
            when=self.sandbox.clock.now,
            source="s3.amazonaws.com",
            name=operation_name(method, url, headers),
            region=region,
            access_key=access_key,
            request_id=out_headers.get("x-amz-request-id"),
            request={"url": url},
            error_code=error_code,
        )

    def handle_pca(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes, codec: Codec
    ) -> tuple[int, dict[str, str], bytes]:
        """One acm-pca call: ``codec`` routes and decodes it, the engine runs it, ``codec``
        encodes the answer (``headers`` with lower-case names)."""
        request_id = str(uuid.uuid4())
        operation = ""
        access_key, region, _ = caller(
            {"Authorization": headers.get("authorization", "")}, self.sandbox.default_region
        )
        params: Any = None
        encoded: list[bytes] = []

        def record(db, ctx, result) -> None:  # inside the action's transaction
            from pcanb.sandbox.engine import ACTIONS

            encoded.append(codec.encode(operation, result))
            calllog.insert(
                db,
                when=ctx.now,
                source="acm-pca.amazonaws.com",
                name=operation,
                region=region,
                access_key=access_key,
                request_id=request_id,
                request=params,
                # CloudTrail records responseElements only for actions that change something.
                response=result if ACTIONS[operation][1] else None,
            )

        try:
            _check_signed(headers, access_key)
            operation = codec.route(method, url, headers)
            shapes.operation_model(operation)  # the target is routed before the body is read
            params = codec.decode(body)
            read_only = self.sandbox.store.read_only  # nothing is recorded, not even the call
            result = self.sandbox.engine.call(
                operation,
                params,
                account=self.sandbox.account,
                region=region,
                partition=partition_of(region),
                access_key=access_key,
                on_success=None if read_only else record,
            )
            if read_only:
                encoded.append(codec.encode(operation, result))
        except ServiceError as error:
            return self._failed(codec, operation, region, access_key, request_id, params, error)
        except Exception as exc:
            # The file system refused the write (read-only, full): the caller can act on that.
            if is_storage_failure(exc):
                answer = self._read_without_log(operation, params, region, access_key, codec)
                if answer is not None:
                    return codec.answer(request_id, answer)
                error = ServiceError(
                    "ServiceUnavailable", storage_message(self.sandbox.store.path, exc), 503
                )
                return self._failed(codec, operation, region, access_key, request_id, params, error)
            # Otherwise a bug, not the caller's mistake: answer as AWS does, keep the trace.
            logger.exception("sandbox failure in %s", operation)
            error = ServiceError(
                "InternalFailure",
                "The pcanb sandbox failed to process the request; the state is unchanged "
                "(the action's transaction was rolled back). Please report this.",
                500,
            )
            return self._failed(codec, operation, region, access_key, request_id, params, error)
        return codec.answer(request_id, encoded[0])

    def _read_without_log(
        self, operation: str, params: Any, region: str, access_key: str | None, codec: Codec
    ) -> bytes | None:
        """A read-only action answered from the state when the store cannot record the call
        (disk full, read-only directory): what is stored can still be read, as on AWS, and only
        the call-log event is lost. ``None`` for actions that write, or if even that fails."""
        from pcanb.sandbox.engine import ACTIONS

        if operation not in ACTIONS or ACTIONS[operation][1]:
            return None
        try:
            result = self.sandbox.engine.call(
                operation, params, account=self.sandbox.account, region=region,
                partition=partition_of(region), access_key=access_key,
            )  # fmt: skip
        except Exception:
            return None
        logger.warning(
            "%s answered without its call-log event: the store refuses writes", operation
        )
        return codec.encode(operation, result)

    def _failed(
        self, codec: Codec, operation, region, access_key, request_id, params, error: ServiceError
    ):
        """The AWS error answer for a failed call, recorded in the call log when it can be."""
        try:
            calllog.record(
                self.sandbox.store,
                when=self.sandbox.clock.now,
                source="acm-pca.amazonaws.com",
                name=operation,
                region=region,
                access_key=access_key,
                request_id=request_id,
                request=params if isinstance(params, dict) else None,
                error_code=error.code,
                error_message=error.message,
            )
        except Exception as exc:
            if not is_storage_failure(exc):
                raise
            # The store refuses writes: the caller still gets the AWS error, unlogged.
        return codec.error(error, request_id)

    # -- the in-process transport --------------------------------------------------------------

    def before_send(self, request: Any, **_: Any) -> Any:
        """botocore ``before-send`` handler: answer the prepared request without a network."""
        from botocore.awsrequest import AWSResponse

        body = request.body
        if body is None:
            body = b""
        elif hasattr(body, "read"):
            body = body.read()
        elif isinstance(body, str):
            body = body.encode()
        status, headers, payload = self.handle(
            request.method, request.url, dict(request.headers), bytes(body)
        )
        return AWSResponse(request.url, status, headers, _Raw(payload))

    def boto3_session(self, region: str, access_key: str, secret_key: str) -> Any:
        """A boto3 Session whose acm-pca and s3 clients are answered by this sandbox.

        The handler is registered on this session only; other boto3 clients in the process
        still reach AWS. Environment configuration (profiles, endpoints) is not consulted.
        """
        import boto3
        import botocore.session

        core = botocore.session.Session()
        # One loader per process: endpoints and service models are read from disk once.
        core.register_component("data_loader", _data_loader())
        # Overrides on the config store win over the environment and the user's files, so a
        # stray AWS_PROFILE, AWS_ENDPOINT_URL or ~/.aws/config cannot reach the sandbox.
        store = core.get_component("config_store")
        for name, value in (
            ("profile", None),
            ("region", region),
            ("config_file", os.devnull),
            ("credentials_file", os.devnull),
            ("ignore_configured_endpoint_urls", True),
        ):
            store.set_config_variable(name, value)
        session = boto3.Session(
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=region,
            botocore_session=core,
        )
        session.events.register("before-send.acm-pca", self.before_send)
        session.events.register("before-send.s3", self.before_send)
        return session


@functools.cache
def _data_loader() -> Any:
    import botocore.loaders

    return botocore.loaders.create_loader()


class _Raw(io.BytesIO):
    """The urllib3-like body botocore reads: ``stream()`` for parsed bodies, ``read()`` for
    streaming ones (GetObject)."""

    def stream(self, amt: int | None = None, **_: Any):
        while chunk := self.read(amt or 65536):
            yield chunk


class Codec(Protocol):
    """One acm-pca wire protocol: which operation a request names, its body, the answers."""

    def route(self, method: str, url: str, headers: Mapping[str, str]) -> str: ...

    def decode(self, body: bytes) -> Any: ...

    def encode(self, operation: str, result: dict[str, Any]) -> bytes: ...

    def answer(self, request_id: str, payload: bytes) -> tuple[int, dict[str, str], bytes]: ...

    def error(self, error: ServiceError, request_id: str) -> tuple[int, dict[str, str], bytes]: ...


class JsonCodec:
    """AWS JSON 1.1: ``X-Amz-Target: ACMPrivateCA.<Operation>``, a JSON object as the body."""

    def route(self, method: str, url: str, headers: Mapping[str, str]) -> str:
        return headers["x-amz-target"][len(_TARGET_PREFIX) :]

    def decode(self, body: bytes) -> Any:
        try:
            return json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ServiceError(
                "SerializationException", "The request body is not valid JSON."
            ) from None

    def encode(self, operation: str, result: dict[str, Any]) -> bytes:
        return json.dumps(result, default=_default).encode()

    def answer(self, request_id: str, payload: bytes) -> tuple[int, dict[str, str], bytes]:
        return 200, {"x-amzn-RequestId": request_id, "Content-Type": JSON_CONTENT_TYPE}, payload

    def error(self, error: ServiceError, request_id: str) -> tuple[int, dict[str, str], bytes]:
        return _json_error(error, request_id)


JSON_CODEC = JsonCodec()


#: Codes for refusals of the HTTP message itself (framing, sizes, methods), by status. AWS's
#: front end answers these before any service sees the request, so the codes are [inferred]:
#: S3's are those its error list documents (IncompleteBody, EntityTooLarge,
#: RequestHeaderSectionTooLarge, NotImplemented); acm-pca's follow its JSON error names.
_HTTP_REFUSALS: dict[int, tuple[str, str]] = {
    400: ("SerializationException", "InvalidRequest"),
    408: ("RequestTimeoutException", "RequestTimeout"),
    411: ("SerializationException", "MissingContentLength"),
    413: ("RequestEntityTooLargeException", "EntityTooLarge"),
    414: ("RequestURITooLongException", "InvalidURI"),
    431: ("RequestHeaderSectionTooLargeException", "RequestHeaderSectionTooLarge"),
    501: ("NotImplementedException", "NotImplemented"),
    505: ("HttpVersionNotSupportedException", "HttpVersionNotSupported"),
}


def _api_of(lower: Mapping[str, str]) -> str:
    """The wire format a request speaks (``lower``: lower-case header names): ``"cbor"``
    (Smithy RPC v2), ``"json"`` (AWS JSON, for acm-pca or any other service) or ``"s3"``
    (everything else: a request that names no API goes to S3)."""
    if lower.get("smithy-protocol", "").strip().lower() == "rpc-v2-cbor":
        return "cbor"
    if "x-amz-target" in lower or lower.get("content-type", "").startswith(
        "application/x-amz-json"
    ):
        return "json"
    return "s3"


def _json_content_type(lower: Mapping[str, str]) -> str:
    """AWS JSON 1.0 for a request that sent 1.0 (an answer in kind), 1.1 otherwise."""
    if lower.get("content-type", "").startswith("application/x-amz-json-1.0"):
        return "application/x-amz-json-1.0"
    return JSON_CONTENT_TYPE


def _cbor_codec() -> Codec | None:
    """The CBOR codec, or ``None`` when cbor2 is not installed."""
    try:
        from pcanb.sandbox.rpcv2_cbor import CborCodec
    except ImportError:
        return None
    return CborCodec()


def protocol_error(
    headers: Mapping[str, str], status: int, message: str, s3_code: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    """The answer to an HTTP message that cannot be served (bad framing, too large, unknown
    method), in the format of the API it was meant for (see :func:`_api_of`)."""
    lower = {k.lower(): _text(v) for k, v in headers.items()}
    json_code, default_s3_code = _HTTP_REFUSALS.get(status, ("BadRequestException", "BadRequest"))
    error = ServiceError(json_code, message, status)
    api = _api_of(lower)
    codec = _cbor_codec() if api == "cbor" else None
    if codec is not None:
        return codec.error(error, str(uuid.uuid4()))
    if api != "s3":
        return _json_error(error, content_type=_json_content_type(lower))
    # S3 documents its refusals of oversized entities and header sections as 400s.
    return _s3_error(
        400 if status in (413, 414, 431) else status, s3_code or default_s3_code, message
    )


def _json_error(
    error: ServiceError, request_id: str | None = None, content_type: str = JSON_CONTENT_TYPE
) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"__type": error.code, "message": error.message}).encode()
    headers = {
        "x-amzn-RequestId": request_id or str(uuid.uuid4()),
        "Content-Type": content_type,
        "x-amzn-ErrorType": error.code,
    }
    return error.status, headers, body


def _s3_failure(path: Any, exc: Exception) -> tuple[int, dict[str, str], bytes]:
    """S3's answer when the sandbox itself failed: 503 when the disk refused the write (the
    caller can act on that), otherwise 500 InternalError with the trace kept in the log."""
    if is_storage_failure(exc):
        return _s3_error(503, "ServiceUnavailable", storage_message(path, exc))
    logger.exception("sandbox failure in an S3 request")
    return _s3_error(
        500,
        "InternalError",
        "The pcanb sandbox failed to process the request. Please report this.",
    )


def _s3_error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    request_id = uuid.uuid4().hex[:16].upper()
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
        f"<Message>{xml_escape(message)}</Message><RequestId>{request_id}</RequestId></Error>"
    ).encode()
    headers = {"Content-Type": "application/xml", "x-amz-request-id": request_id}
    return status, headers, body
