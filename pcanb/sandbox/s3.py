"""The S3 subset the sandbox emulates: buckets, bucket policies and objects kept as plain files."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import email.utils
import fnmatch
import functools
import hashlib
import json
import os
import pathlib
import re
import secrets
import stat as stat_mod
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote_plus, unquote, urlsplit
from xml.etree import ElementTree

from pcanb.sandbox import s3_public_access as bpa

if TYPE_CHECKING:
    from pcanb.sandbox.s3_multipart import MultipartUploads

_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_DEFAULT_CONTENT_TYPE = "binary/octet-stream"
_MAX_KEY_BYTES = 1024
_MAX_NAME_BYTES = 255
_MAX_METADATA_BYTES = 2048
_MAX_POLICY_BYTES = 20 * 1024
_STORED_HEADERS = (
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
)
_CANNED_ACLS = frozenset(
    {
        "private",
        "public-read",
        "public-read-write",
        "authenticated-read",
        "aws-exec-read",
        "bucket-owner-read",
        "bucket-owner-full-control",
    }
)
_OWNERSHIPS = frozenset({"BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"})
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_INCOMPATIBLE = (
    "location constraint is incompatible for the region specific endpoint this request was sent to."
)
_CREDENTIAL_RE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/s3/aws4_request")


class S3Error(Exception):
    """An S3 error: ``code`` and ``message`` as S3 names them, plus the extra XML fields."""

    def __init__(self, status: int, code: str, message: str, **fields: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields


def _not_implemented(what: str) -> S3Error:
    return S3Error(501, "NotImplemented", f"The pcanb sandbox does not emulate {what}")


def _no_such_bucket(bucket: str) -> S3Error:
    return S3Error(404, "NoSuchBucket", "The specified bucket does not exist", BucketName=bucket)


def _no_such_key(key: str) -> S3Error:
    return S3Error(404, "NoSuchKey", "The specified key does not exist.", Key=key)


def _invalid_argument(message: str, name: str, value: str) -> S3Error:
    return S3Error(400, "InvalidArgument", message, ArgumentName=name, ArgumentValue=value)


def _malformed_xml() -> S3Error:
    message = (
        "The XML you provided was not well-formed or did not validate against our published schema"
    )
    return S3Error(400, "MalformedXML", message)


def _invalid_bucket_name(bucket: str) -> S3Error:
    return S3Error(
        400, "InvalidBucketName", "The specified bucket is not valid.", BucketName=bucket
    )


def _malformed_policy(message: str) -> S3Error:
    return S3Error(400, "MalformedPolicy", message)


def _access_denied() -> S3Error:
    return S3Error(403, "AccessDenied", "Access Denied")


def _precondition_failed(condition: str) -> S3Error:
    message = "At least one of the pre-conditions you specified did not hold"
    return S3Error(412, "PreconditionFailed", message, Condition=condition)


# --- names and keys -------------------------------------------------------------------------


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` breaks the S3 naming rules for general purpose buckets, or ``None``."""
    if not 3 <= len(name) <= 63:
        return "must be between 3 and 63 characters long"
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name):
        return (
            "may contain only lowercase letters, digits, dots and hyphens, "
            "and must begin and end with a letter or digit"
        )
    if ".." in name:
        return "must not contain two adjacent periods"
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        return "must not be formatted as an IP address"
    prefixes = ("xn--", "sthree-", "amzn-s3-demo-")
    suffixes = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
    if name.startswith(prefixes) or name.endswith(suffixes):
        return "must not use a reserved prefix or suffix"
    return None


def valid_bucket_name(name: str) -> bool:
    """Whether ``name`` follows the S3 naming rules for general purpose buckets."""
    return bucket_name_problem(name) is None


def _encode_segment(segment: str) -> str:
    """One ``/``-separated part of a key as a file name (``%`` escapes only where needed)."""
    if segment == "":
        return "%"
    if segment in (".", ".."):
        return segment.replace(".", "%2E")
    return segment.replace("%", "%25").replace("\0", "%00")


def _decode_segment(name: str) -> str:
    return "" if name == "%" else unquote(name)


def _check_key(key: str) -> None:
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise _invalid_argument("Object keys must be valid UTF-8", "key", repr(key)) from None
    if size == 0:
        raise _invalid_argument("Object keys must not be empty", "key", key)
    if size > _MAX_KEY_BYTES:
        raise S3Error(400, "KeyTooLongError", "Your key is too long", Key=key)


# --- checksums ------------------------------------------------------------------------------


@functools.cache
def _crc_table(poly: int) -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


def _reflected_crc(data: bytes, poly: int, width: int) -> bytes:
    table, mask = _crc_table(poly), (1 << width) - 1
    crc = mask
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return (crc ^ mask).to_bytes(width // 8, "big")


def _reverse_bits(value: int, width: int) -> int:
    return int(f"{value:0{width}b}"[::-1], 2)


# The reflected CRCs computed here (CRC32 is zlib's): (polynomial, width in bits).
_REFLECTED_CRCS = {
    "crc32c": (0x82F63B78, 32),
    "crc64nvme": (_reverse_bits(0xAD93D23594C93659, 64), 64),
}
_CHECKSUMS: dict[str, Callable[[bytes], bytes]] = {
    "crc32": lambda data: zlib.crc32(data).to_bytes(4, "big"),
    "crc32c": lambda data: _reflected_crc(data, *_REFLECTED_CRCS["crc32c"]),
    "crc64nvme": lambda data: _reflected_crc(data, *_REFLECTED_CRCS["crc64nvme"]),
    "sha1": lambda data: hashlib.sha1(data).digest(),
    "sha256": lambda data: hashlib.sha256(data).digest(),
    "sha512": lambda data: hashlib.sha512(data).digest(),
    "md5": lambda data: hashlib.md5(data).digest(),
}
_NOT_CHECKSUM_HEADERS = frozenset(
    {"x-amz-checksum-mode", "x-amz-checksum-type", "x-amz-checksum-algorithm"}
)


def _checksum(algorithm: str, data: bytes) -> str:
    return base64.b64encode(_CHECKSUMS[algorithm](data)).decode()


def _verify_checksum(
    headers: Mapping[str, str], trailers: Mapping[str, str], body: bytes
) -> tuple[str, str] | None:
    """Verify the ``x-amz-checksum-*`` header or trailer; return (algorithm, value) if any."""
    supplied = {
        name.removeprefix("x-amz-checksum-"): value
        for name, value in [*headers.items(), *trailers.items()]
        if name.startswith("x-amz-checksum-") and name not in _NOT_CHECKSUM_HEADERS
    }
    if len(supplied) > 1:
        message = (
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
        )
        raise S3Error(400, "InvalidRequest", message)
    if not supplied:
        if "x-amz-sdk-checksum-algorithm" in headers or "x-amz-trailer" in headers:
            message = (
                "x-amz-sdk-checksum-algorithm specified, but no corresponding "
                "x-amz-checksum-* or x-amz-trailer headers were found."
            )
            raise S3Error(400, "InvalidRequest", message)
        return None
    ((algorithm, value),) = supplied.items()
    if algorithm not in _CHECKSUMS:
        raise _not_implemented(f"checksum algorithm {algorithm.upper()}")
    try:
        digest = base64.b64decode(value, validate=True)
    except ValueError:  # binascii.Error, or a value that is not ASCII
        digest = b""
    expected = _CHECKSUMS[algorithm](body)
    if len(digest) != len(expected):
        message = f"Value for x-amz-checksum-{algorithm} header is invalid."
        raise S3Error(400, "InvalidRequest", message)
    if digest != expected:
        message = f"The {algorithm.upper()} you specified did not match the calculated checksum."
        raise S3Error(400, "BadDigest", message)
    return algorithm, value


def _verify_content_md5(headers: Mapping[str, str], body: bytes) -> None:
    value = headers.get("content-md5")
    if value is None:
        return
    try:
        digest = base64.b64decode(value, validate=True)
    except ValueError:  # binascii.Error, or a value that is not ASCII
        digest = b""
    if len(digest) != 16:
        raise S3Error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
    if digest != hashlib.md5(body).digest():
        message = "The Content-MD5 you specified did not match what we received."
        raise S3Error(400, "BadDigest", message)


# --- aws-chunked bodies ---------------------------------------------------------------------


def _is_aws_chunked(headers: Mapping[str, str]) -> bool:
    encodings = [e.strip() for e in headers.get("content-encoding", "").split(",")]
    streaming = headers.get("x-amz-content-sha256", "").startswith("STREAMING-")
    return "aws-chunked" in encodings or streaming


def _decode_aws_chunked(body: bytes) -> tuple[bytes, dict[str, str]]:
    """Payload and trailing headers of an ``aws-chunked`` body (signatures are not checked)."""
    malformed = S3Error(400, "InvalidRequest", "The aws-chunked request body is malformed.")
    data, pos = bytearray(), 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            raise malformed
        try:
            size = int(body[pos:end].split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise malformed from None
        pos = end + 2
        if size == 0:
            break
        if body[pos + size : pos + size + 2] != b"\r\n":
            raise malformed
        data += body[pos : pos + size]
        pos += size + 2
    return bytes(data), _parse_trailers(body[pos:], malformed)


def _parse_trailers(block: bytes, malformed: S3Error) -> dict[str, str]:
    trailers = {}
    for line in block.split(b"\r\n"):
        if not line.strip():
            continue
        name, sep, value = line.partition(b":")
        if not sep:
            raise malformed
        trailers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    trailers.pop("x-amz-trailer-signature", None)
    return trailers


# --- XML ------------------------------------------------------------------------------------


def _xml_text(value: str) -> str:
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\r]", lambda m: f"&#x{ord(m[0]):x};", text)


def _el(tag: str, value: object) -> str:
    return f"<{tag}>{_xml_text(str(value))}</{tag}>"


def _xml_doc(root: str, inner: str, *, namespace: bool = True) -> bytes:
    xmlns = f' xmlns="{_NS}"' if namespace else ""
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}{xmlns}>{inner}</{root}>'.encode()


def _parse_xml(body: bytes) -> ElementTree.Element:
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise _malformed_xml()
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise _malformed_xml() from None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


# --- time -----------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    moment = _utc(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _http_date(moment: datetime) -> str:
    return email.utils.format_datetime(_utc(moment).replace(microsecond=0), usegmt=True)


def _parse_http_date(value: str) -> datetime | None:
    try:
        return _utc(email.utils.parsedate_to_datetime(value))
    except (TypeError, ValueError):
        return None


# --- requests -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Request:
    method: str
    bucket: str | None
    key: str | None
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    region: str | None
    checksum: tuple[str, str] | None = None


def _header_text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _bucket_from_host(host: str) -> str | None:
    """The bucket of a virtual-hosted-style host name, or None for path-style hosts."""
    if host.endswith(".localhost"):
        return host.removesuffix(".localhost")
    if not host.endswith((".amazonaws.com", ".amazonaws.com.cn")):
        return None
    labels = host.split(".")
    for index in range(len(labels) - 1, -1, -1):
        if labels[index] == "s3" or labels[index].startswith("s3-"):
            return ".".join(labels[:index]) or None
    return None


def _region_from_host(host: str) -> str | None:
    match = re.search(r"(?:^|\.)s3[.-](?:dualstack\.)?([a-z]{2}(?:-[a-z]+)+-\d+)\.", host)
    return match[1] if match else None


def _parse_request(
    method: str, url: str, headers: Mapping[str, str | bytes], body: bytes | None
) -> _Request:
    lowered = {str(k).lower(): _header_text(v) for k, v in headers.items()}
    if "://" in url:
        parts = urlsplit(url)
        host, path, query = parts.hostname or "", parts.path, parts.query
    else:
        path, _, query = url.partition("?")
        host = urlsplit("//" + lowered.get("host", "")).hostname or ""
    bucket = _bucket_from_host(host)
    path = path.removeprefix("/")
    if bucket is None and path:
        raw_bucket, _, path = path.partition("/")
        bucket = unquote(raw_bucket)
    key = unquote(path) if bucket is not None and path else None
    credential = _CREDENTIAL_RE.search(lowered.get("authorization", ""))
    params = dict(parse_qsl(query, keep_blank_values=True))
    if "X-Amz-Signature" in params or "Signature" in params:
        # A presigned URL carries the request's x-amz-* headers as query parameters
        # (SDKs "hoist" them: x-amz-acl, x-amz-meta-*, x-amz-checksum-*…); S3 takes them as the
        # headers they stand for.
        # boto3's SigV2 presigner also puts the signed Content-Type and Content-MD5 there.
        hoisted = [n for n in params if n.lower().startswith("x-amz-") or n in _SIGNED_CONTENT]
        for name in hoisted:
            if name not in _SIGV4_QUERY_PARAMETERS and name != "X-Amz-Security-Token":
                lowered.setdefault(name.lower(), params.pop(name))
    if credential is None and "X-Amz-Credential" in params:
        credential = _CREDENTIAL_RE.search("Credential=" + params["X-Amz-Credential"])
    region = credential[1] if credential else _region_from_host(host)
    return _Request(method.upper(), bucket, key, params, lowered, body or b"", region)


def _decode_body(req: _Request, *, body_checksum: bool = True) -> _Request:
    """The request with its aws-chunked framing removed and its checksums verified.

    ``body_checksum=False``: the ``x-amz-checksum-*`` headers describe something other than the
    body (CompleteMultipartUpload's name the whole object) and are left to the operation.
    """
    body, trailers, headers = req.body, {}, req.headers
    if _is_aws_chunked(headers):
        body, trailers = _decode_aws_chunked(body)
        declared = headers.get("x-amz-decoded-content-length")
        if declared is not None and declared.strip() != str(len(body)):
            message = (
                "You did not provide the number of bytes specified by the "
                "x-amz-decoded-content-length HTTP header"
            )
            raise S3Error(400, "IncompleteBody", message)
        encodings = [e.strip() for e in headers.get("content-encoding", "").split(",")]
        rest = ",".join(e for e in encodings if e and e != "aws-chunked")
        headers = {k: v for k, v in headers.items() if k != "content-encoding"}
        if rest:
            headers["content-encoding"] = rest
    _verify_content_md5(headers, body)
    checksum = _verify_checksum(headers, trailers, body) if body_checksum else None
    return dataclasses.replace(req, body=body, headers=headers, checksum=checksum)


# --- routing --------------------------------------------------------------------------------

_ROUTES: dict[tuple[str, str, str], str] = {
    ("service", "GET", ""): "ListBuckets",
    ("bucket", "PUT", ""): "CreateBucket",
    ("bucket", "HEAD", ""): "HeadBucket",
    ("bucket", "DELETE", ""): "DeleteBucket",
    ("bucket", "GET", "list-type=2"): "ListObjectsV2",
    ("bucket", "GET", ""): "ListObjects",
    ("bucket", "GET", "location"): "GetBucketLocation",
    ("bucket", "GET", "policy"): "GetBucketPolicy",
    ("bucket", "PUT", "policy"): "PutBucketPolicy",
    ("bucket", "DELETE", "policy"): "DeleteBucketPolicy",
    ("bucket", "PUT", "publicAccessBlock"): "PutPublicAccessBlock",
    ("bucket", "GET", "publicAccessBlock"): "GetPublicAccessBlock",
    ("bucket", "DELETE", "publicAccessBlock"): "DeletePublicAccessBlock",
    ("bucket", "POST", "delete"): "DeleteObjects",
    ("bucket", "GET", "acl"): "GetBucketAcl",
    ("bucket", "PUT", "acl"): "PutBucketAcl",
    ("bucket", "GET", "ownershipControls"): "GetBucketOwnershipControls",
    ("bucket", "PUT", "ownershipControls"): "PutBucketOwnershipControls",
    ("bucket", "DELETE", "ownershipControls"): "DeleteBucketOwnershipControls",
    ("bucket", "GET", "versioning"): "GetBucketVersioning",
    ("bucket", "GET", "encryption"): "GetBucketEncryption",
    ("object", "PUT", ""): "PutObject",
    ("object", "GET", ""): "GetObject",
    ("object", "HEAD", ""): "HeadObject",
    ("object", "DELETE", ""): "DeleteObject",
    ("object", "PUT", "acl"): "PutObjectAcl",
    ("object", "GET", "acl"): "GetObjectAcl",
    ("object", "GET", "tagging"): "GetObjectTagging",
    ("object", "PUT", "copy"): "CopyObject",
    ("bucket", "GET", "uploads"): "ListMultipartUploads",
    ("object", "POST", "uploads"): "CreateMultipartUpload",
    ("object", "PUT", "uploadId"): "UploadPart",
    ("object", "PUT", "copy-part"): "UploadPartCopy",
    ("object", "POST", "uploadId"): "CompleteMultipartUpload",
    ("object", "DELETE", "uploadId"): "AbortMultipartUpload",
    ("object", "GET", "uploadId"): "ListParts",
}
# Answered by s3_multipart.MultipartUploads; every other emulated operation by an S3 method.
_MULTIPART_OPS = frozenset(
    {
        "ListMultipartUploads",
        "CreateMultipartUpload",
        "UploadPart",
        "UploadPartCopy",
        "CompleteMultipartUpload",
        "AbortMultipartUpload",
        "ListParts",
    }
)
_RESPONSE_OVERRIDES = {
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
    "response-content-language": "Content-Language",
    "response-content-type": "Content-Type",
    "response-expires": "Expires",
}
_OP_PARAMS: dict[str, frozenset[str]] = {
    "ListBuckets": frozenset({"max-buckets", "continuation-token", "prefix", "bucket-region"}),
    "ListObjectsV2": frozenset(
        {
            "prefix",
            "delimiter",
            "max-keys",
            "encoding-type",
            "continuation-token",
            "start-after",
            "fetch-owner",
        }
    ),
    "ListObjects": frozenset({"prefix", "delimiter", "max-keys", "encoding-type", "marker"}),
    "GetObject": frozenset({"versionId", "partNumber", *_RESPONSE_OVERRIDES}),
    "HeadObject": frozenset({"versionId", "partNumber", *_RESPONSE_OVERRIDES}),
    "DeleteObject": frozenset({"versionId"}),
    "PutObjectAcl": frozenset({"versionId"}),
    "GetObjectAcl": frozenset({"versionId"}),
    "GetObjectTagging": frozenset({"versionId"}),
    "ListMultipartUploads": frozenset(
        {"prefix", "delimiter", "max-uploads", "encoding-type", "key-marker", "upload-id-marker"}
    ),
    "UploadPart": frozenset({"partNumber"}),
    "UploadPartCopy": frozenset({"partNumber", "uploadId"}),
    "ListParts": frozenset({"max-parts", "part-number-marker"}),
}
# Query parameters that are not subresources: they never select an operation (uploadId does,
# though UploadPartCopy, named by x-amz-copy-source, takes it as a parameter).
_PLAIN_PARAMS = frozenset().union(
    *_OP_PARAMS.values(),
    {
        "x-id",
        "list-type",
        "marker",
        "partNumber",
        "max-uploads",
        "key-marker",
        "upload-id-marker",
        "version-id-marker",
        "max-parts",
        "part-number-marker",
        "id",
    },
) - {"uploadId"}
_COMMON_HEADERS = frozenset(
    {
        "x-amz-date",
        "x-amz-content-sha256",
        "x-amz-security-token",
        "x-amz-user-agent",
        "x-amz-expected-bucket-owner",
        "x-amz-request-payer",
        "x-amz-sdk-checksum-algorithm",
        "x-amz-trailer",
        "x-amz-decoded-content-length",
    }
)
_COPY_SOURCE_HEADERS = frozenset(
    {
        "x-amz-copy-source",
        "x-amz-copy-source-if-match",
        "x-amz-copy-source-if-none-match",
        "x-amz-copy-source-if-modified-since",
        "x-amz-copy-source-if-unmodified-since",
        "x-amz-source-expected-bucket-owner",
    }
)
_OP_HEADERS: dict[str, frozenset[str]] = {
    "CreateBucket": frozenset({"x-amz-acl", "x-amz-object-ownership", "x-amz-bucket-namespace"}),
    "PutObject": frozenset({"x-amz-acl", "x-amz-server-side-encryption", "x-amz-storage-class"}),
    "GetObject": frozenset({"x-amz-checksum-mode"}),
    "HeadObject": frozenset({"x-amz-checksum-mode"}),
    "PutBucketPolicy": frozenset({"x-amz-confirm-remove-self-bucket-access"}),
    "PutObjectAcl": frozenset({"x-amz-acl"}),
    "PutBucketAcl": frozenset({"x-amz-acl"}),
    "CopyObject": frozenset(
        {
            "x-amz-acl",
            "x-amz-server-side-encryption",
            "x-amz-storage-class",
            "x-amz-metadata-directive",
            "x-amz-checksum-algorithm",
            *_COPY_SOURCE_HEADERS,
        }
    ),
    "CreateMultipartUpload": frozenset(
        {
            "x-amz-acl",
            "x-amz-server-side-encryption",
            "x-amz-storage-class",
            "x-amz-checksum-algorithm",
            "x-amz-checksum-type",
        }
    ),
    "UploadPartCopy": frozenset({"x-amz-copy-source-range", *_COPY_SOURCE_HEADERS}),
    "CompleteMultipartUpload": frozenset({"x-amz-checksum-type", "x-amz-mp-object-size"}),
}
# Operations that take user metadata (x-amz-meta-*).
_METADATA_OPS = frozenset({"PutObject", "CopyObject", "CreateMultipartUpload"})
_NAMED: dict[tuple[str, str, str], str] = {
    ("bucket", "GET", "list-type=1"): "ListObjects",
    ("bucket", "POST", ""): "PostObject",
    ("bucket", "GET", "versions"): "ListObjectVersions",
    ("object", "POST", "restore"): "RestoreObject",
    ("object", "POST", "select"): "SelectObjectContent",
    ("object", "GET", "attributes"): "GetObjectAttributes",
    ("object", "POST", ""): "PostObject",
}
_NOUNS: dict[str, dict[str, str]] = {
    "bucket": {
        "acl": "BucketAcl",
        "accelerate": "BucketAccelerateConfiguration",
        "analytics": "BucketAnalyticsConfiguration",
        "cors": "BucketCors",
        "encryption": "BucketEncryption",
        "intelligent-tiering": "BucketIntelligentTieringConfiguration",
        "inventory": "BucketInventoryConfiguration",
        "lifecycle": "BucketLifecycleConfiguration",
        "location": "BucketLocation",
        "logging": "BucketLogging",
        "metrics": "BucketMetricsConfiguration",
        "notification": "BucketNotificationConfiguration",
        "object-lock": "ObjectLockConfiguration",
        "ownershipControls": "BucketOwnershipControls",
        "policy": "BucketPolicy",
        "policyStatus": "BucketPolicyStatus",
        "publicAccessBlock": "PublicAccessBlock",
        "replication": "BucketReplication",
        "requestPayment": "BucketRequestPayment",
        "tagging": "BucketTagging",
        "versioning": "BucketVersioning",
        "website": "BucketWebsite",
    },
    "object": {
        "acl": "ObjectAcl",
        "legal-hold": "ObjectLegalHold",
        "retention": "ObjectRetention",
        "tagging": "ObjectTagging",
        "torrent": "ObjectTorrent",
    },
}
_VERBS = {"GET": "Get", "PUT": "Put", "DELETE": "Delete", "HEAD": "Head", "POST": "Post"}
# What the NotImplemented answer says of some operations the sandbox leaves out.
_UNEMULATED = {
    "PutBucketVersioning": (
        "S3 operation PutBucketVersioning: buckets stay unversioned, so each key has only its "
        "null version"
    ),
}


def _canned_acl(req: _Request) -> str:
    """The canned ACL (``x-amz-acl``) a Put…Acl request sets; ACL documents are not emulated."""
    if req.body.strip():
        raise _not_implemented("AccessControlPolicy documents (only canned ACLs, x-amz-acl)")
    acl = req.headers.get("x-amz-acl")
    if acl is None:
        message = "Your request was missing a required header"
        raise S3Error(400, "MissingSecurityHeader", message, MissingHeaderName="x-amz-acl")
    return acl


def _is_anonymous(req: _Request) -> bool:
    """Who calls: any signed request (header or presigned URL) is the account owner, as
    signatures are not checked; an unsigned one is anonymous. Anonymous callers may only read
    objects that are public (see ``S3._check_anonymous_read``): the CRLs certificates point to,
    when their bucket lets everyone read them. AWS refuses anonymous writes, listings and
    bucket calls whatever the policy says [inferred for a public-write policy]."""
    authorization = req.headers.get("authorization", "").strip()
    if authorization:
        if not authorization.startswith(("AWS4-HMAC-SHA256 ", "AWS ")):
            raise _invalid_argument(
                "Unsupported Authorization Type", "Authorization", authorization[:80]
            )
        return False
    if "X-Amz-Signature" in req.query or "Signature" in req.query:  # a presigned URL
        _check_presigned_expiry(req.query, datetime.now(UTC))
        return False
    if req.method in ("GET", "HEAD") and req.key is not None:
        return True
    raise S3Error(403, "AccessDenied", "Access Denied: anonymous requests may only read objects")


_PRESIGNED_MAX_SECONDS = 604800  # SigV4 presigned URLs live at most a week
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_SIGNED_CONTENT = frozenset({"content-type", "content-md5"})
_ALLOWED_SKEW_SECONDS = 15 * 60  # S3 takes request times up to 15 minutes ahead of its clock


def _iso_seconds(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_SIGV4_QUERY_PARAMETERS = (
    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date",
    "X-Amz-SignedHeaders", "X-Amz-Expires",
)  # fmt: skip


def _query_parameters_error(message: str) -> S3Error:
    return S3Error(400, "AuthorizationQueryParametersError", message)


def _check_presigned_expiry(query: Mapping[str, str], now: datetime) -> None:
    """A presigned URL is honoured until it expires, as S3 does (its signature is not checked).

    SigV4 (``X-Amz-Date`` + ``X-Amz-Expires`` seconds, at most a week) and SigV2 (``Expires``,
    epoch seconds). Expiry is judged by the real clock, the one the client signed with, not the
    sandbox clock, which may have been moved forward.
    """
    server_time = _iso_seconds(now.timestamp())
    if "X-Amz-Signature" in query:
        if any(name not in query for name in _SIGV4_QUERY_PARAMETERS):
            raise _query_parameters_error(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                "X-Amz-Expires parameters."
            )
        try:
            signed_at = datetime.strptime(query.get("X-Amz-Date", ""), _AMZ_DATE).replace(
                tzinfo=UTC
            )
        except ValueError:
            raise _query_parameters_error(
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
            ) from None
        seconds = query.get("X-Amz-Expires", "")
        if not seconds.isdigit():
            raise _query_parameters_error("X-Amz-Expires should be a number")
        if int(seconds) > _PRESIGNED_MAX_SECONDS:
            raise _query_parameters_error(
                f"X-Amz-Expires must be less than a week (in seconds) that is "
                f"{_PRESIGNED_MAX_SECONDS}"
            )
        expires = signed_at.timestamp() + int(seconds)
        if signed_at.timestamp() > now.timestamp() + _ALLOWED_SKEW_SECONDS:
            raise S3Error(
                403,
                "AccessDenied",
                "Request is not yet valid",
                **{"X-Amz-Date": str(int(signed_at.timestamp() * 1000))},
                Expires=_iso_seconds(expires),
                ServerTime=server_time,
            )
        extra = {"X-Amz-Expires": seconds}
    else:
        value = query.get("Expires", "")
        if not value.isdigit():
            raise S3Error(
                403,
                "AccessDenied",
                "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
            )
        expires = int(value)
        extra = {}
    if now.timestamp() > expires:
        raise S3Error(
            403,
            "AccessDenied",
            "Request has expired",
            **extra,
            Expires=_iso_seconds(expires),
            ServerTime=server_time,
        )


def _is_auth_param(name: str) -> bool:
    return name.lower().startswith("x-amz-") or name in ("AWSAccessKeyId", "Signature", "Expires")


def _scope(req: _Request) -> str:
    return "service" if req.bucket is None else "bucket" if req.key is None else "object"


def _subresource(req: _Request) -> str:
    if req.key is not None and req.method == "PUT" and "x-amz-copy-source" in req.headers:
        return "copy-part" if "uploadId" in req.query else "copy"
    if "list-type" in req.query:
        return f"list-type={req.query['list-type']}"
    subs = [k for k in req.query if k not in _PLAIN_PARAMS and not _is_auth_param(k)]
    return subs[0] if subs else ""


def _operation_name(scope: str, method: str, sub: str) -> str:
    route = (scope, method, sub)
    if route in _ROUTES:
        return _ROUTES[route]
    if route in _NAMED:
        return _NAMED[route]
    noun = _NOUNS.get(scope, {}).get(sub)
    if noun and method in _VERBS:
        return _VERBS[method] + noun
    where = "/" if scope == "service" else f"/{{{scope}}}"
    return f"{method} {where}" + (f"?{sub}" if sub else "")


def operation_name(method: str, url: str, headers: Mapping[str, str | bytes]) -> str:
    """The S3 operation a request asks for, e.g. ``"PutObject"``, emulated or not."""
    req = _parse_request(method, url, headers, b"")
    return _operation_name(_scope(req), req.method, _subresource(req))


def _check_params(op: str, req: _Request) -> None:
    """Refuse query parameters and x-amz-* headers that ``op`` would otherwise ignore."""
    allowed = _OP_PARAMS.get(op, frozenset()) | {"x-id", "list-type", _subresource(req)}
    for name in req.query:
        if name not in allowed and not _is_auth_param(name):
            raise _not_implemented(f"parameter {name!r} of S3 operation {op}")
    allowed = _COMMON_HEADERS | _OP_HEADERS.get(op, frozenset())
    for name in req.headers:
        if not name.startswith("x-amz-") or name in allowed:
            continue
        if name.startswith("x-amz-checksum-") and name not in _NOT_CHECKSUM_HEADERS:
            continue
        if op in _METADATA_OPS and name.startswith("x-amz-meta-"):
            continue
        raise _not_implemented(f"header {name} of S3 operation {op}")
    if op == "DeleteObject" and "if-match" in req.headers:
        raise _not_implemented("header If-Match of S3 operation DeleteObject")


# --- listing --------------------------------------------------------------------------------


def _encode_token(marker: str, is_prefix: bool) -> str:
    raw = json.dumps([marker, is_prefix]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_token(token: str) -> tuple[str, bool]:
    try:
        marker, is_prefix = json.loads(base64.urlsafe_b64decode(token.encode()))
        if isinstance(marker, str) and isinstance(is_prefix, bool):
            return marker, is_prefix
    except (ValueError, TypeError, binascii.Error):
        pass
    raise _invalid_argument(
        "The continuation token provided is incorrect", "continuation-token", token
    )


def _page(
    keys: list[str],
    prefix: str,
    delimiter: str,
    after: str,
    skip_prefix: bool,
    limit: int,
) -> tuple[list[tuple[str, bool]], bool]:
    """One page of (key or common prefix, is_prefix) entries after ``after``; and if truncated."""
    entries: list[tuple[str, bool]] = []
    if limit == 0:
        return entries, False
    for key in keys:
        if key <= after or (skip_prefix and key.startswith(after)):
            continue
        cut = key.find(delimiter, len(prefix)) if delimiter else -1
        entry = (key[: cut + len(delimiter)], True) if cut >= 0 else (key, False)
        if entries and entries[-1] == entry:
            continue
        if len(entries) == limit:
            return entries, True
        entries.append(entry)
    return entries, False


def _int_param(query: Mapping[str, str], name: str, default: int, upper: int) -> int:
    value = query.get(name)
    if value is None:
        return default
    if not re.fullmatch(r"\d{1,9}", value):
        message = f"Provided {name} not an integer or within integer range"
        raise _invalid_argument(message, name, value)
    return min(int(value), upper)


# --- policies -------------------------------------------------------------------------------


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _check_policy(text: str, bucket: str) -> None:
    """Raise MalformedPolicy unless ``text`` is a bucket policy S3 would accept."""
    if len(text.encode()) > _MAX_POLICY_BYTES:
        raise _malformed_policy("Policy exceeds the maximum allowed document size.")
    try:
        doc = json.loads(text)
    except ValueError:
        raise _malformed_policy("This policy contains invalid Json") from None
    if not isinstance(doc, dict):
        raise _malformed_policy("Policies must be valid JSON and the first byte must be '{'")
    if doc.get("Version", "2012-10-17") not in ("2012-10-17", "2008-10-17"):
        raise _malformed_policy("The policy must contain a valid version string")
    statements = doc.get("Statement")
    if not statements:
        raise _malformed_policy("Missing required field Statement")
    for statement in _as_list(statements):
        _check_statement(statement, bucket)


def _check_statement(statement: object, bucket: str) -> None:
    if not isinstance(statement, dict):
        raise _malformed_policy("Statement is not a JSON object")
    if "Effect" not in statement:
        raise _malformed_policy("Missing required field Effect")
    if statement["Effect"] not in ("Allow", "Deny"):
        raise _malformed_policy(f"Invalid effect: {statement['Effect']}")
    for field in ("Principal", "Action", "Resource"):
        if field not in statement and f"Not{field}" not in statement:
            raise _malformed_policy(f"Missing required field {field}")
    principal = statement.get("Principal", statement.get("NotPrincipal"))
    if principal != "*" and not (
        isinstance(principal, dict)
        and principal
        and set(principal) <= {"AWS", "Service", "Federated", "CanonicalUser"}
    ):
        raise _malformed_policy("Invalid principal in policy")
    for action in _as_list(statement.get("Action", statement.get("NotAction"))):
        if not isinstance(action, str) or not (action == "*" or action.lower().startswith("s3:")):
            raise _malformed_policy("Policy has invalid action")
    for resource in _as_list(statement.get("Resource", statement.get("NotResource"))):
        if not _resource_in_bucket(resource, bucket):
            raise _malformed_policy("Policy has invalid resource")


def _resource_in_bucket(resource: object, bucket: str) -> bool:
    if resource == "*":
        return True
    if not isinstance(resource, str):
        return False
    match = re.fullmatch(r"arn:aws(?:-[a-z-]+)?:s3:::([^/]+)(/.*)?", resource)
    return bool(match) and fnmatch.fnmatchcase(bucket, match[1])


# --- objects --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Object:
    key: str
    path: pathlib.Path
    size: int
    etag: str
    last_modified: datetime
    content_type: str = _DEFAULT_CONTENT_TYPE
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    metadata: Mapping[str, str] = dataclasses.field(default_factory=dict)
    checksum: tuple[str, str] | None = None
    acl: str | None = None
    data: bytes | None = dataclasses.field(default=None, repr=False)
    checksum_type: str = "FULL_OBJECT"
    part_sizes: tuple[int, ...] | None = None  # multipart objects: each part's size, in order


def _etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


def _etag_matches(header: str, etag: str) -> bool:
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or etag.strip('"') in (t.removeprefix("W/").strip('"') for t in tags)


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range asked for, or None for the whole object (S3 ignores bad ones)."""
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", (header or "").strip())
    if not match or match[1] == match[2] == "":
        return None
    unsatisfiable = S3Error(
        416,
        "InvalidRange",
        "The requested range is not satisfiable",
        RangeRequested=header or "",
        ActualObjectSize=str(size),
    )
    if match[1] == "":
        length = int(match[2])
        if length == 0 or size == 0:
            raise unsatisfiable
        return max(size - length, 0), size - 1
    start = int(match[1])
    if match[2] and int(match[2]) < start:
        return None
    if start >= size:
        raise unsatisfiable
    return start, min(int(match[2]) if match[2] else size - 1, size - 1)


class S3:
    """The S3 subset, stored as plain files under root.

    Objects live at ``<root>/<bucket>/<key>``, so ``openssl crl -in <root>/<bucket>/crl/x.crl``
    works; metadata and bucket data live in JSON files under ``<root>/.meta``.
    """

    def __init__(
        self,
        root: pathlib.Path,
        *,
        now: Callable[[], datetime],
        account: str,
        region: str,
        read_only: bool = False,
    ) -> None:
        self.root = pathlib.Path(root)
        self._now = now
        self.account = account
        self.region = region
        self.read_only = read_only  # requests other than GET and HEAD are refused
        self._meta = self.root / ".meta"
        if not read_only:
            for sub in ("tmp", "buckets", "policies", "objects"):
                (self._meta / sub).mkdir(parents=True, exist_ok=True)

    @functools.cached_property
    def _multipart(self) -> MultipartUploads:
        """The multipart uploads (s3_multipart builds on this module, so it is imported here)."""
        from pcanb.sandbox.s3_multipart import MultipartUploads

        return MultipartUploads(self)

    # --- engine-facing API ------------------------------------------------------------------

    def create_bucket(
        self,
        bucket: str,
        *,
        region: str | None = None,
        object_ownership: str = "BucketOwnerEnforced",
        public_access_block: Mapping[str, bool] | None = bpa.ALL_ON,
    ) -> None:
        """Create ``bucket`` (ACLs disabled and public access blocked by default, as on AWS);
        S3Error ``BucketAlreadyOwnedByYou`` or ``InvalidBucketName``."""
        if object_ownership not in _OWNERSHIPS:
            message = f"Invalid x-amz-object-ownership header: {object_ownership}"
            raise _invalid_argument(message, "x-amz-object-ownership", object_ownership)
        config = None if public_access_block is None else dict(public_access_block)
        self._create_bucket(bucket, region or self.region, object_ownership, None, config, None)

    def _create_bucket(
        self,
        bucket: str,
        region: str,
        object_ownership: str,
        constraint: str | None,
        public_access_block: dict[str, bool] | None,
        acl: str | None,
    ) -> None:
        if not valid_bucket_name(bucket):
            raise _invalid_bucket_name(bucket)
        record = {
            "name": bucket,
            "created": _iso(self._now()),
            "region": region,
            "location_constraint": constraint or region,
            "object_ownership": object_ownership,
            "public_access_block": public_access_block,
            "acl": acl,
        }
        tmp = self._write_temp(json.dumps(record).encode())
        try:
            os.link(tmp, self._bucket_record(bucket))
        except FileExistsError:
            message = (
                "Your previous request to create the named bucket succeeded and you already own it."
            )
            raise S3Error(409, "BucketAlreadyOwnedByYou", message, BucketName=bucket) from None
        finally:
            tmp.unlink()
        (self.root / bucket).mkdir(exist_ok=True)

    def bucket_exists(self, bucket: str) -> bool:
        """Whether ``bucket`` exists."""
        return valid_bucket_name(bucket) and self._bucket_record(bucket).is_file()

    def bucket_policy(self, bucket: str) -> str | None:
        """The bucket policy JSON text, or None when the bucket or its policy does not exist."""
        if not self.bucket_exists(bucket):
            return None
        try:
            return (self._meta / "policies" / f"{bucket}.json").read_text("utf-8")
        except FileNotFoundError:
            return None

    def public_access_block(self, bucket: str) -> dict[str, bool] | None:
        """The bucket's Block Public Access settings, or None when it has none (or no bucket)."""
        record = self._bucket_data(bucket)
        return None if record is None else record.get("public_access_block")

    def put_public_access_block(self, bucket: str, config: Mapping[str, bool] | None) -> None:
        """Set (or, with None, delete) the bucket's Block Public Access settings."""
        record = self._require_bucket(bucket)
        value = None if config is None else {name: bool(config.get(name)) for name in bpa.FIELDS}
        record["public_access_block"] = value
        self._write_atomic(self._bucket_record(bucket), json.dumps(record).encode())

    def put_object(
        self,
        bucket: str,
        key: str,
        body: bytes,
        *,
        content_type: str = _DEFAULT_CONTENT_TYPE,
        acl: str | None = None,
    ) -> str:
        """Store an object and return its quoted ETag; S3Error as PutObject would answer."""
        record = self._require_bucket(bucket)
        self._check_object_acl(record, acl)
        return self._store(bucket, key, body, content_type=content_type, acl=acl).etag

    def get_object(self, bucket: str, key: str) -> bytes:
        """The object's bytes; KeyError if the bucket or key does not exist."""
        found = self._find(bucket, key, read=True) if self.bucket_exists(bucket) else None
        if found is None or found.data is None:
            raise KeyError(key)
        return found.data

    def object_path(self, bucket: str, key: str) -> pathlib.Path:
        """The file that holds (or would hold) the object ``bucket``/``key``."""
        if not valid_bucket_name(bucket):
            raise _invalid_bucket_name(bucket)
        _check_key(key)
        path = self.root / bucket
        for segment in key.split("/"):
            name = _encode_segment(segment)
            if len(os.fsencode(name)) > _MAX_NAME_BYTES:
                message = (
                    "Your key is too long: the pcanb sandbox keeps each '/'-separated part "
                    f"of a key as a file name of at most {_MAX_NAME_BYTES} bytes"
                )
                raise S3Error(400, "KeyTooLongError", message, Key=key)
            path = path / name
        return path

    # --- wire -------------------------------------------------------------------------------

    def handle(
        self, method: str, url: str, headers: Mapping[str, str | bytes], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one S3 REST request as S3 would.

        ``url`` is absolute or just the path and query (the Host header then names the bucket
        of virtual-hosted requests); header values may be bytes, as botocore prepares them;
        ``body`` is the entity after HTTP transfer decoding, still in aws-chunked framing.
        """
        request_id = secrets.token_hex(8).upper()
        try:
            req = _parse_request(method, url, headers, body)
            op = _operation_name(_scope(req), req.method, _subresource(req))
            if op not in _ROUTES.values():
                raise _not_implemented(_UNEMULATED.get(op, f"S3 operation {op}"))
            answerer = self._multipart if op in _MULTIPART_OPS else self
            handler = getattr(answerer, f"_op_{op}")
            _check_params(op, req)
            if _is_anonymous(req):
                self._check_anonymous_read(req.bucket or "", req.key or "")
            self._check_owner(req)
            if self.read_only and req.method not in ("GET", "HEAD"):
                raise S3Error(
                    403,
                    "AccessDenied",
                    f"Access Denied: the pcanb sandbox in {self.root.parent} was opened "
                    f"read-only, and {op} would change it.",
                )
            body_checksum = op != "CompleteMultipartUpload"
            status, out_headers, out_body = handler(_decode_body(req, body_checksum=body_checksum))
        except S3Error as error:
            status, out_headers, out_body = self._error(error, method, request_id)
        return status, self._finish(out_headers, out_body, request_id, method), out_body

    def _error(
        self, error: S3Error, method: str, request_id: str
    ) -> tuple[int, dict[str, str], bytes]:
        if error.status == 304 or method.upper() == "HEAD":
            return error.status, {}, b""
        fields = {**error.fields, "RequestId": request_id, "HostId": self._host_id()}
        inner = _el("Code", error.code) + _el("Message", error.message)
        inner += "".join(_el(name, value) for name, value in fields.items())
        return (
            error.status,
            {"Content-Type": "application/xml"},
            _xml_doc("Error", inner, namespace=False),
        )

    def _finish(
        self, headers: dict[str, str], body: bytes, request_id: str, method: str
    ) -> dict[str, str]:
        out = {
            "x-amz-request-id": request_id,
            "x-amz-id-2": self._host_id(),
            "Date": _http_date(datetime.now(UTC)),  # the real clock, as acm-pca's answers
            "Server": "AmazonS3",
            **headers,
        }
        if method.upper() != "HEAD" or "Content-Length" not in out:
            out["Content-Length"] = str(len(body))
        return out

    @staticmethod
    def _host_id() -> str:
        return base64.b64encode(secrets.token_bytes(48)).decode()

    def _check_anonymous_read(self, bucket: str, key: str) -> None:
        """AccessDenied unless the object is public. As on S3, a missing bucket is still
        NoSuchBucket, and a missing object is AccessDenied (anonymous callers may not list)."""
        record = self._require_bucket(bucket)
        found = self._find(bucket, key)
        if found is not None and bpa.anyone_may_read(
            record.get("public_access_block"),
            self.bucket_policy(bucket),
            found.acl,
            record.get("object_ownership") != "BucketOwnerEnforced",
            bucket,
            key,
        ):
            return
        raise _access_denied()

    def _check_owner(self, req: _Request) -> None:
        expected = req.headers.get("x-amz-expected-bucket-owner")
        if expected is not None and expected != self.account:
            raise _access_denied()

    # --- buckets ----------------------------------------------------------------------------

    def _op_ListBuckets(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        prefix = req.query.get("prefix", "")
        region = req.query.get("bucket-region")
        limit = _int_param(req.query, "max-buckets", 10000, 10000)
        if "max-buckets" in req.query and limit == 0:
            raise _invalid_argument("Invalid maximum buckets value", "max-buckets", "0")
        after = req.query.get("continuation-token")
        after = _decode_token(after)[0] if after is not None else ""
        records = [
            r
            for r in self._bucket_records()
            if r["name"].startswith(prefix)
            and r["name"] > after
            and (region is None or r["region"] == region)
        ]
        page = records[:limit]
        inner = "<Buckets>" + "".join(
            "<Bucket>"
            + _el("Name", r["name"])
            + _el("CreationDate", r["created"])
            + _el("BucketRegion", r["region"])
            + "</Bucket>"
            for r in page
        )
        inner += "</Buckets>" + self._owner_xml()
        if len(records) > limit:
            inner += _el("ContinuationToken", _encode_token(page[-1]["name"], False))
        if "prefix" in req.query:
            inner += _el("Prefix", prefix)
        return 200, {"Content-Type": "application/xml"}, _xml_doc("ListAllMyBucketsResult", inner)

    def _op_CreateBucket(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        bucket = req.bucket or ""
        if not valid_bucket_name(bucket):
            raise _invalid_bucket_name(bucket)
        constraint = _location_constraint(req.body)
        region = self._creation_region(req, constraint)
        ownership = req.headers.get("x-amz-object-ownership", "BucketOwnerEnforced")
        if ownership not in _OWNERSHIPS:
            message = f"Invalid x-amz-object-ownership header: {ownership}"
            raise _invalid_argument(message, "x-amz-object-ownership", ownership)
        if req.headers.get("x-amz-bucket-namespace", "global") != "global":
            raise _not_implemented("account-regional bucket namespaces")
        _check_bucket_acl(req.headers.get("x-amz-acl"), ownership)
        if bpa.is_public_acl(req.headers.get("x-amz-acl")):
            raise _access_denied()  # a new bucket blocks public ACLs from its first moment
        existing = self._bucket_data(bucket)
        if existing is not None and existing["region"] == region == "us-east-1":
            return 200, {"Location": f"/{bucket}"}, b""
        acl = req.headers.get("x-amz-acl")
        self._create_bucket(bucket, region, ownership, constraint, dict(bpa.ALL_ON), acl)
        location = f"/{bucket}" if region == "us-east-1" else f"http://{bucket}.s3.amazonaws.com/"
        return 200, {"Location": location}, b""

    def _creation_region(self, req: _Request, constraint: str | None) -> str:
        endpoint = req.region or self.region
        if constraint is None:
            if endpoint != "us-east-1":
                message = f"The unspecified {_INCOMPATIBLE}"
                raise S3Error(400, "IllegalLocationConstraintException", message)
            return "us-east-1"
        region = "eu-west-1" if constraint == "EU" else constraint
        if constraint == "us-east-1" or not _REGION_RE.match(region):
            raise S3Error(
                400,
                "InvalidLocationConstraint",
                "The specified location-constraint is not valid",
                LocationConstraint=constraint,
            )
        if endpoint != "us-east-1" and region != endpoint:
            message = f"The {constraint} {_INCOMPATIBLE}"
            raise S3Error(400, "IllegalLocationConstraintException", message)
        return region

    def _op_HeadBucket(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        record = self._require_bucket(req.bucket or "")
        headers = {"x-amz-bucket-region": record["region"], "x-amz-access-point-alias": "false"}
        return 200, headers, b""

    def _op_GetBucketLocation(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        record = self._require_bucket(req.bucket or "")
        constraint = record["location_constraint"]
        text = "" if constraint == "us-east-1" else _xml_text(constraint)
        return 200, {"Content-Type": "application/xml"}, _xml_doc("LocationConstraint", text)

    def _op_DeleteBucket(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        bucket = req.bucket or ""
        self._require_bucket(bucket)
        if next(self._walk_keys(bucket, ""), None) is not None:
            message = "The bucket you tried to delete is not empty"
            raise S3Error(409, "BucketNotEmpty", message, BucketName=bucket)
        self._bucket_record(bucket).unlink(missing_ok=True)
        (self._meta / "policies" / f"{bucket}.json").unlink(missing_ok=True)
        for tree in (self.root / bucket, self._meta / "objects" / bucket):
            _remove_tree(tree)
        self._multipart.drop_bucket(bucket)  # S3 deletes a bucket's unfinished uploads with it
        return 204, {}, b""

    def _op_PutBucketPolicy(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        bucket = req.bucket or ""
        self._require_bucket(bucket)
        try:
            text = req.body.decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed_policy("This policy contains invalid Json") from None
        _check_policy(text, bucket)
        config = self.public_access_block(bucket)
        if bpa.blocks(config, "BlockPublicPolicy") and bpa.is_public_policy(text):
            raise _access_denied()
        self._write_atomic(self._meta / "policies" / f"{bucket}.json", text.encode())
        return 204, {}, b""

    def _op_GetBucketPolicy(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        bucket = req.bucket or ""
        self._require_bucket(bucket)
        policy = self.bucket_policy(bucket)
        if policy is None:
            message = "The bucket policy does not exist"
            raise S3Error(404, "NoSuchBucketPolicy", message, BucketName=bucket)
        return 200, {"Content-Type": "application/json"}, policy.encode()

    def _op_DeleteBucketPolicy(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        bucket = req.bucket or ""
        self._require_bucket(bucket)
        (self._meta / "policies" / f"{bucket}.json").unlink(missing_ok=True)
        return 204, {}, b""

    def _op_PutPublicAccessBlock(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        bucket = req.bucket or ""
        self._require_bucket(bucket)
        try:
            config = bpa.parse(_parse_xml(req.body))
        except ValueError:
            raise _malformed_xml() from None
        self.put_public_access_block(bucket, config)
        return 200, {}, b""

    def _op_GetPublicAccessBlock(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        bucket = req.bucket or ""
        self._require_bucket(bucket)
        config = self.public_access_block(bucket)
        if config is None:
            message = "The public access block configuration was not found"
            raise S3Error(404, "NoSuchPublicAccessBlockConfiguration", message, BucketName=bucket)
        body = _xml_doc("PublicAccessBlockConfiguration", bpa.render(config))
        return 200, {"Content-Type": "application/xml"}, body

    def _op_DeletePublicAccessBlock(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        bucket = req.bucket or ""
        self._require_bucket(bucket)
        self.put_public_access_block(bucket, None)
        return 204, {}, b""

    def _op_GetBucketAcl(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        """The bucket's canned ACL as grants; the owner's FULL_CONTROL alone when ACLs are
        disabled (S3 User Guide, object-ownership-error-responses)."""
        record = self._require_bucket(req.bucket or "")
        enforced = record.get("object_ownership") == "BucketOwnerEnforced"
        acl = None if enforced else _BUCKET_CANNED.get(record.get("acl") or "private")
        grants = _canned_grants(acl, self._canonical_id())
        inner = self._owner_xml() + "<AccessControlList>" + "".join(grants)
        inner += "</AccessControlList>"
        return 200, {"Content-Type": "application/xml"}, _xml_doc("AccessControlPolicy", inner)

    def _op_PutBucketAcl(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        """A canned bucket ACL (``x-amz-acl``): refused while ACLs are disabled, and a public
        one while Block Public Access blocks public ACLs."""
        bucket = req.bucket or ""
        record = self._require_bucket(bucket)
        acl = _canned_acl(req)
        if acl not in _CANNED_ACLS | {"log-delivery-write"}:
            raise _invalid_argument("", "x-amz-acl", acl)
        # "Requests to set ACLs or update ACLs fail": private ones too [inferred for private and
        # bucket-owner-full-control, which PUT requests that write objects may still name].
        if record.get("object_ownership") == "BucketOwnerEnforced":
            raise S3Error(400, "AccessControlListNotSupported", "The bucket does not allow ACLs")
        if bpa.is_public_acl(acl) and bpa.blocks(
            record.get("public_access_block"), "BlockPublicAcls"
        ):
            raise _access_denied()
        record["acl"] = acl
        self._write_atomic(self._bucket_record(bucket), json.dumps(record).encode())
        return 200, {}, b""

    def _op_GetBucketOwnershipControls(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        bucket = req.bucket or ""
        ownership = self._require_bucket(bucket).get("object_ownership")
        if ownership is None:
            message = "The bucket ownership controls were not found"
            raise S3Error(404, "OwnershipControlsNotFoundError", message, BucketName=bucket)
        inner = f"<Rule>{_el('ObjectOwnership', ownership)}</Rule>"
        return 200, {"Content-Type": "application/xml"}, _xml_doc("OwnershipControls", inner)

    def _op_PutBucketOwnershipControls(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        """Set Object Ownership. BucketOwnerEnforced is refused while the bucket ACL grants
        anyone but the owner (S3 User Guide, object-ownership-error-responses); object ACLs do
        not stop it, they stop counting."""
        bucket = req.bucket or ""
        record = self._require_bucket(bucket)
        ownership = _ownership_rule(req.body)
        granted = _BUCKET_CANNED.get(record.get("acl") or "private", "private")
        if ownership == "BucketOwnerEnforced" and granted != "private":
            raise S3Error(400, "InvalidBucketAclWithObjectOwnership", _ACL_WITH_ENFORCED)
        record["object_ownership"] = ownership
        self._write_atomic(self._bucket_record(bucket), json.dumps(record).encode())
        return 200, {}, b""

    def _op_DeleteBucketOwnershipControls(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        """Remove Object Ownership: the bucket then works as ObjectWriter did before the
        setting existed (ACLs enabled), and GetBucketOwnershipControls is 404."""
        bucket = req.bucket or ""
        record = self._require_bucket(bucket)
        record["object_ownership"] = None
        self._write_atomic(self._bucket_record(bucket), json.dumps(record).encode())
        return 204, {}, b""

    def _op_GetBucketVersioning(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        """An empty configuration: the bucket has never been versioned (PutBucketVersioning
        is not emulated)."""
        self._require_bucket(req.bucket or "")
        return 200, {"Content-Type": "application/xml"}, _xml_doc("VersioningConfiguration", "")

    def _op_GetBucketEncryption(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        """SSE-S3, which S3 applies to every bucket since January 2023 (and objects are stored
        with, ``x-amz-server-side-encryption: AES256``); PutBucketEncryption is not emulated."""
        self._require_bucket(req.bucket or "")
        default = _el("SSEAlgorithm", "AES256")
        rule = f"<Rule><ApplyServerSideEncryptionByDefault>{default}"
        rule += "</ApplyServerSideEncryptionByDefault>" + _el("BucketKeyEnabled", "false")
        body = _xml_doc("ServerSideEncryptionConfiguration", rule + "</Rule>")
        return 200, {"Content-Type": "application/xml"}, body

    # --- objects over the wire --------------------------------------------------------------

    def _listing(
        self, req: _Request, after: str, skip: bool
    ) -> tuple[str, str, str, str | None, int, list[tuple[str, bool]], bool, Callable]:
        """What both ListObjects versions share: the bucket, parameters and one page."""
        bucket, q = req.bucket or "", req.query
        self._require_bucket(bucket)
        prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
        encoding = q.get("encoding-type")
        if encoding not in (None, "url"):
            message = "Invalid Encoding Method specified in Request"
            raise _invalid_argument(message, "encoding-type", encoding)
        max_keys = _int_param(q, "max-keys", 1000, 2**31 - 1)
        keys = sorted(k for k in self._walk_keys(bucket, prefix) if k.startswith(prefix))
        entries, truncated = _page(keys, prefix, delimiter, after, skip, min(max_keys, 1000))

        def enc(text: str) -> str:
            return quote_plus(text, safe="/") if encoding == "url" else text

        return bucket, prefix, delimiter, encoding, max_keys, entries, truncated, enc

    def _entries_xml(self, bucket: str, entries, enc: Callable, owner: str) -> str:
        inner = ""
        for name, is_prefix in entries:
            if is_prefix:
                inner += "<CommonPrefixes>" + _el("Prefix", enc(name)) + "</CommonPrefixes>"
            elif (found := self._find(bucket, name)) is not None:
                inner += self._contents_xml(found, enc(name), owner)
        return inner

    def _op_ListObjectsV2(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        q = req.query
        token = q.get("continuation-token")
        after, skip = (
            _decode_token(token) if token is not None else (q.get("start-after", ""), False)
        )
        bucket, prefix, delimiter, encoding, max_keys, entries, truncated, enc = self._listing(
            req, after, skip
        )
        inner = _el("Name", bucket) + _el("Prefix", enc(prefix))
        if delimiter:
            inner += _el("Delimiter", enc(delimiter))
        inner += _el("MaxKeys", max_keys) + _el("KeyCount", len(entries))
        inner += _el("IsTruncated", str(truncated).lower())
        if encoding:
            inner += _el("EncodingType", encoding)
        if token is not None:
            inner += _el("ContinuationToken", token)
        if truncated:
            inner += _el("NextContinuationToken", _encode_token(*entries[-1]))
        if "start-after" in q:
            inner += _el("StartAfter", enc(q["start-after"]))
        owner = self._owner_xml() if q.get("fetch-owner") == "true" else ""
        inner += self._entries_xml(bucket, entries, enc, owner)
        return 200, {"Content-Type": "application/xml"}, _xml_doc("ListBucketResult", inner)

    def _op_ListObjects(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        """ListObjects (version 1): ``marker`` pages, ``NextMarker`` only with a delimiter, and
        each object's owner (version 1 always lists it)."""
        marker = req.query.get("marker", "")
        delimiter = req.query.get("delimiter", "")
        # A marker that is a common prefix (a NextMarker) resumes after everything under it.
        skip = bool(delimiter) and marker.endswith(delimiter)
        bucket, prefix, delimiter, encoding, max_keys, entries, truncated, enc = self._listing(
            req, marker, skip
        )
        inner = _el("Name", bucket) + _el("Prefix", enc(prefix)) + _el("Marker", enc(marker))
        inner += _el("MaxKeys", max_keys)
        if delimiter:
            inner += _el("Delimiter", enc(delimiter))
        inner += _el("IsTruncated", str(truncated).lower())
        if truncated and delimiter:
            inner += _el("NextMarker", enc(entries[-1][0]))
        if encoding:
            inner += _el("EncodingType", encoding)
        inner += self._entries_xml(bucket, entries, enc, self._owner_xml())
        return 200, {"Content-Type": "application/xml"}, _xml_doc("ListBucketResult", inner)

    def _contents_xml(self, obj: _Object, key: str, owner: str) -> str:
        inner = _el("Key", key) + _el("LastModified", _iso(obj.last_modified))
        inner += _el("ETag", obj.etag)
        if obj.checksum:
            inner += _el("ChecksumAlgorithm", obj.checksum[0].upper())
            inner += _el("ChecksumType", obj.checksum_type)
        inner += _el("Size", obj.size) + owner + _el("StorageClass", "STANDARD")
        return f"<Contents>{inner}</Contents>"

    def _op_PutObject(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        bucket, key, h = req.bucket or "", req.key or "", req.headers
        record = self._require_bucket(bucket)
        acl = h.get("x-amz-acl")
        self._check_object_acl(record, acl)
        _check_storage(h)
        exclusive = self._put_preconditions(bucket, key, h)
        obj = self._store(
            bucket,
            key,
            req.body,
            content_type=h.get("content-type") or _DEFAULT_CONTENT_TYPE,
            acl=acl,
            headers={name: h[name] for name in _STORED_HEADERS if name in h},
            metadata=_user_metadata(h),
            checksum=req.checksum,
            exclusive=exclusive,
        )
        out = {"ETag": obj.etag, "x-amz-server-side-encryption": "AES256"}
        return 200, out | _checksum_headers(obj), b""

    def _put_preconditions(self, bucket: str, key: str, headers: Mapping[str, str]) -> bool:
        """Check If-Match / If-None-Match on PutObject; True when the write must not overwrite."""
        if_none = headers.get("if-none-match")
        if if_none is not None and if_none.strip() != "*":
            raise _not_implemented("If-None-Match values other than '*' on PutObject")
        if_match = headers.get("if-match")
        if if_match is not None:
            found = self._find(bucket, key)
            if found is None:
                raise _no_such_key(key)
            if not _etag_matches(if_match, found.etag):
                raise _precondition_failed("If-Match")
        return if_none is not None

    def _op_GetObject(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        return self._read_object(req, with_body=True)

    def _op_HeadObject(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        return self._read_object(req, with_body=False)

    def _read_object(self, req: _Request, *, with_body: bool) -> tuple[int, dict[str, str], bytes]:
        bucket, key = req.bucket or "", req.key or ""
        self._require_bucket(bucket)
        _check_version(req.query)
        number = _part_number_param(req.query)
        if number is not None and "range" in req.headers:
            message = "Cannot specify both Range header and partNumber query parameter"
            raise S3Error(400, "InvalidRequest", message)
        obj = self._find(bucket, key, read=with_body)
        if obj is None:
            raise _no_such_key(key)
        _read_preconditions(req.headers, obj)
        headers = self._object_headers(obj, req)
        status, start, end = 200, 0, obj.size - 1
        if number is not None:
            status, start, end = 206, *_part_span(obj, number)
            if obj.part_sizes is not None:
                headers["x-amz-mp-parts-count"] = str(len(obj.part_sizes))
            if end >= start:
                headers["Content-Range"] = f"bytes {start}-{end}/{obj.size}"
            elif obj.part_sizes is None:
                status = 200  # an empty object has no byte range to answer with [inferred]
        elif (span := _range(req.headers.get("range"), obj.size)) is not None:
            status, (start, end) = 206, span
            headers["Content-Range"] = f"bytes {start}-{end}/{obj.size}"
        elif req.headers.get("x-amz-checksum-mode", "").upper() == "ENABLED":
            headers |= _checksum_headers(obj)
        headers["Content-Length"] = str(end - start + 1)
        return status, headers, (obj.data or b"")[start : end + 1] if with_body else b""

    def _object_headers(self, obj: _Object, req: _Request) -> dict[str, str]:
        headers = {
            "Content-Type": obj.content_type,
            "ETag": obj.etag,
            "Last-Modified": _http_date(obj.last_modified),
            "Accept-Ranges": "bytes",
            "x-amz-server-side-encryption": "AES256",
        }
        headers |= {name.title(): value for name, value in obj.headers.items()}
        headers |= {f"x-amz-meta-{name}": value for name, value in obj.metadata.items()}
        for param, header in _RESPONSE_OVERRIDES.items():
            if param in req.query:
                headers[header] = req.query[param]
        return headers

    def _op_DeleteObject(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        bucket, key = req.bucket or "", req.key or ""
        self._require_bucket(bucket)
        _check_version(req.query)
        self._delete(bucket, key)
        return 204, {}, b""

    def _delete(self, bucket: str, key: str) -> None:
        """Remove ``key`` if it exists (a key the sandbox could not store does not)."""
        try:
            path = self.object_path(bucket, key)
        except S3Error:
            return
        if path.is_file():
            path.unlink(missing_ok=True)
            self._object_record(bucket, key).unlink(missing_ok=True)
            self._prune(bucket, path.parent)

    def _op_DeleteObjects(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        """Delete up to 1000 keys: each is ``<Deleted>`` (a missing key too) or an ``<Error>``;
        with ``<Quiet>true</Quiet>`` only the errors are listed."""
        if "content-md5" not in req.headers and req.checksum is None:
            message = "Missing required header for this request: Content-MD5 OR x-amz-checksum-*"
            raise S3Error(400, "InvalidRequest", message)
        bucket = req.bucket or ""
        self._require_bucket(bucket)
        objects, quiet = _delete_request(req.body)
        inner = ""
        for key, version in objects:
            listed_version = _el("VersionId", version) if version is not None else ""
            try:
                _check_key(key)
                _check_version({} if version is None else {"versionId": version})
            except S3Error as error:
                # The codes and messages DeleteObject would answer [inferred].
                inner += "<Error>" + _el("Key", key) + listed_version + _el("Code", error.code)
                inner += _el("Message", error.message or error.code) + "</Error>"
                continue
            self._delete(bucket, key)
            if not quiet:
                inner += "<Deleted>" + _el("Key", key) + listed_version + "</Deleted>"
        return 200, {"Content-Type": "application/xml"}, _xml_doc("DeleteResult", inner)

    def _op_CopyObject(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        """CopyObject: the source's bytes under a new key; its metadata too (``COPY``, the
        default) or the request's (``REPLACE``). ACLs are never copied, as on S3."""
        bucket, key, h = req.bucket or "", req.key or "", req.headers
        record = self._require_bucket(bucket)
        acl = h.get("x-amz-acl")
        self._check_object_acl(record, acl)
        _check_storage(h)
        directive = h.get("x-amz-metadata-directive", "COPY")
        if directive not in ("COPY", "REPLACE"):
            message = "Unknown metadata directive."
            raise _invalid_argument(message, "x-amz-metadata-directive", directive)
        algorithm = h.get("x-amz-checksum-algorithm")
        algorithm = _checksum_algorithm(algorithm) if algorithm is not None else None
        source_bucket, source = self._copy_source(req)
        same = (source_bucket, source.key) == (bucket, key)
        if same and directive == "COPY" and not any(name in h for name in _COPY_CHANGES):
            raise S3Error(400, "InvalidRequest", _SELF_COPY)
        data = source.data or b""
        checksum = source.checksum if source.checksum_type == "FULL_OBJECT" else None
        algorithm = algorithm or (source.checksum[0] if source.checksum else None)
        if algorithm is not None and (checksum is None or checksum[0] != algorithm):
            checksum = (algorithm, _checksum(algorithm, data))  # a copy is one part
        if directive == "COPY":
            content_type, headers, metadata = source.content_type, source.headers, source.metadata
        else:
            content_type = h.get("content-type") or _DEFAULT_CONTENT_TYPE
            headers = {name: h[name] for name in _STORED_HEADERS if name in h}
            metadata = _user_metadata(h)
        exclusive = self._put_preconditions(bucket, key, h)
        obj = self._store(
            bucket,
            key,
            data,
            content_type=content_type,
            acl=acl,
            headers=headers,
            metadata=metadata,
            checksum=checksum,
            exclusive=exclusive,
        )
        inner = _el("ETag", obj.etag) + _el("LastModified", _iso(obj.last_modified))
        inner += _checksum_xml(obj.checksum, obj.checksum_type)
        out = {"Content-Type": "application/xml", "x-amz-server-side-encryption": "AES256"}
        return 200, out, _xml_doc("CopyObjectResult", inner)

    def _copy_source(self, req: _Request) -> tuple[str, _Object]:
        """The bucket and object (with its bytes) that ``x-amz-copy-source`` names, once its
        x-amz-copy-source-if-* conditions hold."""
        h = req.headers
        expected = h.get("x-amz-source-expected-bucket-owner")
        if expected is not None and expected != self.account:
            raise _access_denied()
        raw = h.get("x-amz-copy-source", "")
        path, _, query = raw.partition("?")
        if unquote(path).startswith("arn:"):
            raise _not_implemented("copy sources named by an access point ARN")
        bucket, _, key = unquote(path).removeprefix("/").partition("/")
        if not key:
            message = "Invalid copy source object key"
            raise _invalid_argument(message, "x-amz-copy-source", raw)
        params = dict(parse_qsl(query, keep_blank_values=True))
        unknown = sorted(params.keys() - {"versionId"})
        if unknown:
            raise _not_implemented(f"parameter {unknown[0]!r} of x-amz-copy-source")
        _check_version(params)  # buckets are unversioned: only the "null" version exists
        self._require_bucket(bucket)
        found = self._find(bucket, key, read=True)
        if found is None:
            raise _no_such_key(key)
        _copy_preconditions(h, found)
        return bucket, found

    def _op_PutObjectAcl(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        bucket, key = req.bucket or "", req.key or ""
        record = self._require_bucket(bucket)
        _check_version(req.query)
        acl = _canned_acl(req)
        if self._find(bucket, key) is None:
            raise _no_such_key(key)
        self._check_object_acl(record, acl)
        meta = self._object_record(bucket, key)
        try:
            stored = json.loads(meta.read_text("utf-8"))
        except (OSError, ValueError):
            stored = None
        if stored is not None:
            stored["acl"] = acl
            self._write_atomic(meta, json.dumps(stored).encode())
        return 200, {}, b""

    def _op_GetObjectAcl(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        """The object's canned ACL as grants. On a bucket with ACLs disabled the answer is the
        owner's FULL_CONTROL whatever was stored ("Requests to read ACLs always return a
        response that shows full control for the bucket owner", S3 User Guide,
        object-ownership-error-responses)."""
        bucket, key = req.bucket or "", req.key or ""
        record = self._require_bucket(bucket)
        _check_version(req.query)
        found = self._find(bucket, key)
        if found is None:
            raise _no_such_key(key)
        enforced = record.get("object_ownership") == "BucketOwnerEnforced"
        grants = _canned_grants(None if enforced else found.acl, self._canonical_id())
        inner = self._owner_xml() + "<AccessControlList>" + "".join(grants)
        inner += "</AccessControlList>"
        return 200, {"Content-Type": "application/xml"}, _xml_doc("AccessControlPolicy", inner)

    def _op_GetObjectTagging(self, req: _Request) -> tuple[int, dict[str, str], bytes]:
        """The object's tags: none, as the sandbox stores no object tags (the AWS CLI asks for
        them before it copies an object part by part)."""
        bucket, key = req.bucket or "", req.key or ""
        self._require_bucket(bucket)
        _check_version(req.query)
        if self._find(bucket, key) is None:
            raise _no_such_key(key)
        return 200, {"Content-Type": "application/xml"}, _xml_doc("Tagging", "<TagSet></TagSet>")

    # --- storage ----------------------------------------------------------------------------

    def _bucket_record(self, bucket: str) -> pathlib.Path:
        return self._meta / "buckets" / f"{bucket}.json"

    def _object_record(self, bucket: str, key: str) -> pathlib.Path:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self._meta / "objects" / bucket / f"{digest}.json"

    def _bucket_data(self, bucket: str) -> dict[str, Any] | None:
        if not valid_bucket_name(bucket):
            return None
        try:
            return json.loads(self._bucket_record(bucket).read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def _bucket_records(self) -> list[dict[str, Any]]:
        names = sorted(p.stem for p in (self._meta / "buckets").glob("*.json"))
        return [r for name in names if (r := self._bucket_data(name)) is not None]

    def _require_bucket(self, bucket: str) -> dict[str, Any]:
        record = self._bucket_data(bucket)
        if record is None:
            raise _no_such_bucket(bucket)
        return record

    def _check_object_acl(self, record: Mapping[str, Any], acl: str | None) -> None:
        if acl is None:
            return
        if acl not in _CANNED_ACLS:
            raise _invalid_argument("", "x-amz-acl", acl)
        enforced = record.get("object_ownership") == "BucketOwnerEnforced"
        if enforced and acl != "bucket-owner-full-control":
            raise S3Error(400, "AccessControlListNotSupported", "The bucket does not allow ACLs")
        config = record.get("public_access_block")
        if bpa.is_public_acl(acl) and bpa.blocks(config, "BlockPublicAcls"):
            raise _access_denied()

    def _canonical_id(self) -> str:
        return hashlib.sha256(f"pcanb-sandbox:{self.account}".encode()).hexdigest()

    def _owner_xml(self) -> str:
        return f"<Owner>{_el('ID', self._canonical_id())}</Owner>"

    def _write_temp(self, data: bytes) -> pathlib.Path:
        return self._write_temp_from((data,))

    def _write_temp_from(self, chunks: Iterable[bytes]) -> pathlib.Path:
        """A new file under .meta/tmp holding ``chunks``; nothing is left behind if a write
        fails (a full disk)."""
        fd, name = tempfile.mkstemp(dir=self._meta / "tmp", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
        except BaseException:
            os.unlink(name)
            raise
        return pathlib.Path(name)

    def _write_atomic(self, path: pathlib.Path, data: bytes) -> None:
        tmp = self._write_temp(data)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def _store(
        self,
        bucket: str,
        key: str,
        body: bytes,
        *,
        content_type: str,
        acl: str | None,
        headers: Mapping[str, str] | None = None,
        metadata: Mapping[str, str] | None = None,
        checksum: tuple[str, str] | None = None,
        exclusive: bool = False,
    ) -> _Object:
        path = self.object_path(bucket, key)
        self._check_clash(bucket, key, path)
        tmp = self._write_temp(body)
        try:
            return self._commit(
                bucket,
                key,
                tmp,
                etag=_etag(body),
                content_type=content_type,
                acl=acl,
                headers=headers,
                metadata=metadata,
                checksum=checksum,
                exclusive=exclusive,
            )
        finally:
            tmp.unlink(missing_ok=True)

    def _commit(
        self,
        bucket: str,
        key: str,
        tmp: pathlib.Path,
        *,
        etag: str,
        content_type: str,
        acl: str | None,
        headers: Mapping[str, str] | None = None,
        metadata: Mapping[str, str] | None = None,
        checksum: tuple[str, str] | None = None,
        checksum_type: str = "FULL_OBJECT",
        exclusive: bool = False,
        part_sizes: Iterable[int] | None = None,
    ) -> _Object:
        """Make the written temp file ``tmp`` the object ``key``, with its metadata record
        (``part_sizes``: the parts a multipart upload made it of)."""
        path = self.object_path(bucket, key)
        self._check_clash(bucket, key, path)
        stat = tmp.stat()
        obj = _Object(
            key=key,
            path=path,
            size=stat.st_size,
            etag=etag,
            last_modified=_utc(self._now()),
            content_type=content_type,
            headers=dict(headers or {}),
            metadata=dict(metadata or {}),
            checksum=checksum,
            acl=acl,
            checksum_type=checksum_type,
            part_sizes=tuple(part_sizes) if part_sizes is not None else None,
        )
        record = {
            "key": key,
            "ino": stat.st_ino,
            "mtime_ns": stat.st_mtime_ns,
            "size": stat.st_size,
            "etag": obj.etag,
            "last_modified": _iso(obj.last_modified),
            "content_type": content_type,
            "headers": obj.headers,
            "metadata": obj.metadata,
            "checksum": list(checksum) if checksum else None,
            "checksum_type": checksum_type,
            "acl": acl,
            "part_sizes": list(obj.part_sizes) if obj.part_sizes is not None else None,
        }
        # The record is written before the object is placed: a disk that refuses it leaves
        # the previous object as it was.
        record_tmp = self._write_temp(json.dumps(record).encode())
        try:
            self._place(bucket, key, tmp, path, exclusive=exclusive)
            target = self._object_record(bucket, key)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(record_tmp, target)
        finally:
            record_tmp.unlink(missing_ok=True)
        return obj

    def _place(
        self, bucket: str, key: str, tmp: pathlib.Path, path: pathlib.Path, *, exclusive: bool
    ) -> None:
        """Move the written temp file to ``path``, tolerating a parent pruned meanwhile."""
        for _attempt in range(20):
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                # Also what mkdir says when a concurrent delete prunes the directory between
                # its attempt and its check: a clash only if a file really stands in the way.
                self._check_clash(bucket, key, path)
                continue
            except FileNotFoundError:
                continue
            try:
                if exclusive:
                    os.link(tmp, path)
                else:
                    os.replace(tmp, path)
                return
            except FileExistsError:
                if path.is_dir():
                    raise _clash(key) from None
                raise _precondition_failed("If-None-Match") from None
            except (IsADirectoryError, NotADirectoryError):
                raise _clash(key) from None
            except FileNotFoundError:
                continue
        raise S3Error(503, "SlowDown", "Please reduce your request rate.")

    def _check_clash(self, bucket: str, key: str, path: pathlib.Path) -> None:
        """Refuse a key whose file would be a directory, or whose directories are files."""
        bucket_dir = self.root / bucket
        for place in (path, *path.parents):
            if place == bucket_dir:
                return
            try:
                mode = place.stat().st_mode
            except (FileNotFoundError, NotADirectoryError):
                continue
            if stat_mod.S_ISDIR(mode) == (place == path):
                raise _clash(key)

    def _prune(self, bucket: str, directory: pathlib.Path) -> None:
        bucket_dir = self.root / bucket
        while directory != bucket_dir and bucket_dir in directory.parents:
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent

    def _find(self, bucket: str, key: str, *, read: bool = False) -> _Object | None:
        """The object stored under ``key`` (with its bytes if ``read``), or None."""
        try:
            path = self.object_path(bucket, key)
            with path.open("rb") as handle:
                stat = os.fstat(handle.fileno())
                record = self._record_for(bucket, key, stat)
                data = handle.read() if read or record is None else None
        except (S3Error, OSError):
            return None
        if record is None:
            modified = datetime.fromtimestamp(stat.st_mtime, UTC)
            return _Object(key, path, stat.st_size, _etag(data or b""), modified, data=data)
        return _Object(
            key=key,
            path=path,
            size=stat.st_size,
            etag=record["etag"],
            last_modified=datetime.fromisoformat(record["last_modified"]),
            content_type=record["content_type"],
            headers=record["headers"],
            metadata=record["metadata"],
            checksum=tuple(record["checksum"]) if record["checksum"] else None,
            acl=record["acl"],
            data=data,
            checksum_type=record.get("checksum_type", "FULL_OBJECT"),
            part_sizes=tuple(record["part_sizes"]) if record.get("part_sizes") else None,
        )

    def _record_for(self, bucket: str, key: str, stat: os.stat_result) -> dict[str, Any] | None:
        """The metadata written with this very file, or None (e.g. a file replaced by hand)."""
        if not stat_mod.S_ISREG(stat.st_mode):
            raise IsADirectoryError(key)
        try:
            record = json.loads(self._object_record(bucket, key).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        current = [stat.st_ino, stat.st_mtime_ns, stat.st_size]
        return record if [record["ino"], record["mtime_ns"], record["size"]] == current else None

    def _walk_keys(self, bucket: str, prefix: str) -> Iterator[str]:
        """Every key in ``bucket`` under the directory that ``prefix`` names (unsorted)."""
        bucket_dir = self.root / bucket
        base = bucket_dir.joinpath(*map(_encode_segment, prefix.split("/")[:-1]))
        for directory, _dirs, files in os.walk(base):
            parts = pathlib.Path(directory).relative_to(bucket_dir).parts
            for name in files:
                key = "/".join(_decode_segment(part) for part in (*parts, name))
                try:
                    key.encode("utf-8")
                except UnicodeEncodeError:
                    continue
                yield key


def _clash(key: str) -> S3Error:
    message = (
        f"The pcanb sandbox stores objects as files, so key {key!r} cannot exist together "
        "with a key that is one of its '/'-separated prefixes or starts with it plus '/'"
    )
    return _invalid_argument(message, "key", key)


def _remove_tree(tree: pathlib.Path) -> None:
    for directory, dirs, files in os.walk(tree, topdown=False):
        for name in files:
            (pathlib.Path(directory) / name).unlink(missing_ok=True)
        for name in dirs:
            (pathlib.Path(directory) / name).rmdir()
    if tree.is_dir():
        tree.rmdir()


def _location_constraint(body: bytes) -> str | None:
    """The LocationConstraint of a CreateBucketConfiguration body, None when absent."""
    if not body.strip():
        return None
    root = _parse_xml(body)
    if _local(root.tag) != "CreateBucketConfiguration":
        raise _malformed_xml()
    constraint = None
    for child in root:
        if _local(child.tag) != "LocationConstraint":
            raise _not_implemented(f"CreateBucketConfiguration.{_local(child.tag)}")
        constraint = (child.text or "").strip() or None
    return constraint


def _check_bucket_acl(acl: str | None, ownership: str) -> None:
    if acl is None:
        return
    if acl not in _CANNED_ACLS | {"log-delivery-write"}:
        raise _invalid_argument("", "x-amz-acl", acl)
    if ownership == "BucketOwnerEnforced" and acl not in ("private", "bucket-owner-full-control"):
        raise S3Error(400, "InvalidBucketAclWithObjectOwnership", _ACL_WITH_ENFORCED)


_ACL_WITH_ENFORCED = (
    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"
)


_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
_AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
# Grants each canned ACL adds to the owner's FULL_CONTROL: (grantee, permission), where the
# grantee "owner" is the bucket owner. The sandbox has one account, so an object's owner is
# always the bucket owner and a bucket-owner grant that repeats the owner's is left out.
_CANNED_EXTRA: dict[str, tuple[tuple[str, str], ...]] = {
    "public-read": ((_ALL_USERS, "READ"),),
    "public-read-write": ((_ALL_USERS, "READ"), (_ALL_USERS, "WRITE")),
    "authenticated-read": ((_AUTHENTICATED_USERS, "READ"),),
    "bucket-owner-read": (("owner", "READ"),),
}
_XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'


def _canned_grants(acl: str | None, owner_id: str) -> list[str]:
    """The <Grant> elements of a canned ACL (``None``: private)."""
    pairs = [("owner", "FULL_CONTROL"), *_CANNED_EXTRA.get(acl or "private", ())]
    out = []
    for grantee, permission in pairs:
        if grantee == "owner":
            who = f'<Grantee {_XSI} xsi:type="CanonicalUser">{_el("ID", owner_id)}</Grantee>'
        else:
            who = f'<Grantee {_XSI} xsi:type="Group">{_el("URI", grantee)}</Grantee>'
        out.append(f"<Grant>{who}{_el('Permission', permission)}</Grant>")
    return out


_LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
_CANNED_EXTRA["log-delivery-write"] = ((_LOG_DELIVERY, "WRITE"), (_LOG_DELIVERY, "READ_ACP"))
# The grants a canned ACL stands for on a bucket: S3 ignores bucket-owner-read and
# bucket-owner-full-control there (S3 User Guide, acl-overview "Canned ACL"); aws-exec-read's
# EC2 grantee is not modelled, as for objects.
_BUCKET_CANNED = {acl: acl for acl in _CANNED_ACLS | {"log-delivery-write"}} | {
    "bucket-owner-read": "private",
    "bucket-owner-full-control": "private",
}


def _ownership_rule(body: bytes) -> str:
    """The ObjectOwnership of an ``OwnershipControls`` document (one rule, a known value)."""
    root = _parse_xml(body)
    rules = list(root)
    if _local(root.tag) != "OwnershipControls" or len(rules) != 1:
        raise _malformed_xml()
    (rule,) = rules
    settings = list(rule)
    if _local(rule.tag) != "Rule" or len(settings) != 1:
        raise _malformed_xml()
    (setting,) = settings
    value = (setting.text or "").strip()
    if _local(setting.tag) != "ObjectOwnership" or value not in _OWNERSHIPS:
        raise _malformed_xml()
    return value


_MAX_DELETE_KEYS = 1000
# ObjectIdentifier members S3 takes for conditional deletes (ETag) and directory buckets.
_CONDITIONAL_DELETE = ("ETag", "LastModifiedTime", "Size")


def _delete_request(body: bytes) -> tuple[list[tuple[str, str | None]], bool]:
    """The (key, version id) pairs and the Quiet flag of a DeleteObjects ``<Delete>`` body."""
    root = _parse_xml(body)
    if _local(root.tag) != "Delete":
        raise _malformed_xml()
    objects: list[tuple[str, str | None]] = []
    quiet = False
    for element in root:
        name = _local(element.tag)
        if name == "Quiet":
            text = (element.text or "").strip().lower()
            if text not in ("true", "false"):
                raise _malformed_xml()
            quiet = text == "true"
            continue
        if name != "Object":
            raise _malformed_xml()
        fields: dict[str, str] = {}
        for child in element:
            field = _local(child.tag)
            if field in _CONDITIONAL_DELETE:
                raise _not_implemented(f"{field} in the objects of S3 operation DeleteObjects")
            if field not in ("Key", "VersionId") or field in fields:
                raise _malformed_xml()
            fields[field] = child.text or ""
        if "Key" not in fields:
            raise _malformed_xml()
        objects.append((fields["Key"], fields.get("VersionId")))
    if not 1 <= len(objects) <= _MAX_DELETE_KEYS:
        raise _malformed_xml()
    return objects, quiet


def _part_number_param(query: Mapping[str, str]) -> int | None:
    """The ``partNumber`` of a GetObject or HeadObject, or None."""
    value = query.get("partNumber")
    if value is None:
        return None
    if not re.fullmatch(r"\d{1,5}", value) or not 1 <= int(value) <= 10_000:
        message = "Part number must be an integer between 1 and 10000, inclusive"
        raise _invalid_argument(message, "partNumber", value)
    return int(value)


def _part_span(obj: _Object, number: int) -> tuple[int, int]:
    """The inclusive byte range of part ``number``. An object stored in one piece is one part
    (S3 answers partNumber=1 with all of it, as a 206 with its Content-Range [inferred from
    the API reference's "effectively performs a 'ranged' GET"]); 416 InvalidPartNumber past
    the last part."""
    sizes = obj.part_sizes if obj.part_sizes is not None else (obj.size,)
    if number > len(sizes):
        raise S3Error(
            416,
            "InvalidPartNumber",
            "The requested partnumber is not satisfiable",
            PartNumberRequested=str(number),
            ActualPartCount=str(len(sizes)),
        )
    start = sum(sizes[: number - 1])
    return start, start + sizes[number - 1] - 1


def _user_metadata(headers: Mapping[str, str]) -> dict[str, str]:
    metadata = {
        name.removeprefix("x-amz-meta-"): value
        for name, value in headers.items()
        if name.startswith("x-amz-meta-")
    }
    if sum(len(k) + len(v) for k, v in metadata.items()) > _MAX_METADATA_BYTES:
        message = "Your metadata headers exceed the maximum allowed metadata size"
        raise S3Error(400, "MetadataTooLarge", message, MaxSizeAllowed=str(_MAX_METADATA_BYTES))
    return metadata


def _checksum_headers(obj: _Object) -> dict[str, str]:
    if obj.checksum is None:
        return {}
    algorithm, value = obj.checksum
    return {f"x-amz-checksum-{algorithm}": value, "x-amz-checksum-type": obj.checksum_type}


# What a copy of an object onto itself must change besides its metadata (REPLACE).
_COPY_CHANGES = ("x-amz-storage-class", "x-amz-server-side-encryption", "x-amz-checksum-algorithm")
_SELF_COPY = (
    "This copy request is illegal because it is trying to copy an object to itself without "
    "changing the object's metadata, storage class, website redirect location or encryption "
    "attributes."
)


def _checksum_xml(checksum: tuple[str, str] | None, checksum_type: str | None) -> str:
    """``<ChecksumType>`` (when given) and ``<Checksum{ALGORITHM}>`` of a result, or ''."""
    if checksum is None:
        return ""
    algorithm, value = checksum
    kind = _el("ChecksumType", checksum_type) if checksum_type else ""
    return kind + _el(f"Checksum{algorithm.upper()}", value)


def _check_storage(headers: Mapping[str, str]) -> None:
    """Refuse the encryption and storage classes the sandbox does not keep (SSE-S3 only)."""
    if headers.get("x-amz-server-side-encryption", "AES256") != "AES256":
        raise _not_implemented(f"server-side encryption {headers['x-amz-server-side-encryption']}")
    if headers.get("x-amz-storage-class", "STANDARD") != "STANDARD":
        raise _not_implemented(f"storage class {headers['x-amz-storage-class']}")


# Every algorithm S3 takes; those not in _CHECKSUMS answer NotImplemented.
_KNOWN_CHECKSUMS = frozenset({*_CHECKSUMS, "xxhash64", "xxhash3", "xxhash128"})


def _checksum_algorithm(value: str) -> str:
    """The checksum algorithm an ``x-amz-checksum-algorithm`` header names, in lower case."""
    algorithm = value.strip().lower()
    if algorithm not in _KNOWN_CHECKSUMS:
        valid = ", ".join(sorted(name.upper() for name in _CHECKSUMS))
        message = (
            "Checksum algorithm provided is unsupported. "
            f"Please try again with any of the valid types: [{valid}]"
        )
        raise S3Error(400, "InvalidRequest", message)
    if algorithm not in _CHECKSUMS:
        raise _not_implemented(f"checksum algorithm {algorithm.upper()}")
    return algorithm


def _copy_preconditions(headers: Mapping[str, str], obj: _Object) -> None:
    """Apply the x-amz-copy-source-if-* conditions: any that fails is 412 PreconditionFailed."""
    modified = obj.last_modified.replace(microsecond=0)
    prefix = "x-amz-copy-source-"
    if_match = headers.get(prefix + "if-match")
    if if_match is not None:
        if not _etag_matches(if_match, obj.etag):
            raise _precondition_failed(prefix + "If-Match")
    elif (since := _parse_http_date(headers.get(prefix + "if-unmodified-since", ""))) and (
        modified > since
    ):
        raise _precondition_failed(prefix + "If-Unmodified-Since")
    if_none = headers.get(prefix + "if-none-match")
    if if_none is not None:
        if _etag_matches(if_none, obj.etag):
            raise _precondition_failed(prefix + "If-None-Match")
    elif (since := _parse_http_date(headers.get(prefix + "if-modified-since", ""))) and (
        modified <= since
    ):
        raise _precondition_failed(prefix + "If-Modified-Since")


def _check_version(query: Mapping[str, str]) -> None:
    version = query.get("versionId")
    if version is not None and version != "null":
        raise _invalid_argument("Invalid version id specified", "versionId", version)


def _read_preconditions(headers: Mapping[str, str], obj: _Object) -> None:
    """Apply If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since (RFC 7232 order)."""
    modified = obj.last_modified.replace(microsecond=0)
    if "if-match" in headers:
        if not _etag_matches(headers["if-match"], obj.etag):
            raise _precondition_failed("If-Match")
    elif (since := _parse_http_date(headers.get("if-unmodified-since", ""))) and modified > since:
        raise _precondition_failed("If-Unmodified-Since")
    not_modified = S3Error(304, "NotModified", "Not Modified")
    if "if-none-match" in headers:
        if _etag_matches(headers["if-none-match"], obj.etag):
            raise not_modified
    elif (since := _parse_http_date(headers.get("if-modified-since", ""))) and modified <= since:
        raise not_modified
