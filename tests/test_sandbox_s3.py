"""The sandbox's S3 subset, driven through a real boto3 S3 client."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import io
import json
import threading
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from conftest import S3_SIGNED, code_of, error_of

from pcanb.sandbox.s3 import S3, S3Error, operation_name, valid_bucket_name

ACCOUNT = "123456789012"
START = datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "acm-pca.amazonaws.com"},
            "Action": [
                "s3:PutObject",
                "s3:PutObjectAcl",
                "s3:GetBucketAcl",
                "s3:GetBucketLocation",
            ],
            "Resource": ["arn:aws:s3:::crl-bucket/*", "arn:aws:s3:::crl-bucket"],
        }
    ],
}


class Clock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.moment = START

    def __call__(self) -> datetime:
        return self.moment


class RawBody(io.BytesIO):
    """What ``AWSResponse`` reads a body from: ``stream()`` for bytes, ``read()`` for streams."""

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        while chunk := self.read(64 * 1024):
            yield chunk


def request_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    return body.read()


def before_send(s3: S3) -> Callable[..., AWSResponse]:
    def handler(request: Any, **_kwargs: Any) -> AWSResponse:
        body = request_bytes(request.body)
        status, headers, raw = s3.handle(request.method, request.url, dict(request.headers), body)
        return AWSResponse(request.url, status, headers, RawBody(raw))

    return handler


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def s3(tmp_path: Path, clock: Clock) -> S3:
    return S3(tmp_path / "sandbox", now=clock, account=ACCOUNT, region="us-east-1")


@pytest.fixture(scope="module")
def session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="x",
        region_name="us-east-1",
    )


@pytest.fixture
def connect(s3: S3, session: boto3.Session) -> Callable[..., Any]:
    def make(
        style: str = "path", region: str = "us-east-1", target: S3 | None = None, **config: Any
    ) -> Any:
        endpoint_url = config.pop("endpoint_url", None)
        client = session.client(
            "s3",
            region_name=region,
            config=Config(s3={"addressing_style": style}, **config),
            endpoint_url=endpoint_url,
        )
        client.meta.events.register("before-send.s3", before_send(target or s3))
        return client

    return make


@pytest.fixture(params=["path", "virtual"])
def client(request: pytest.FixtureRequest, connect: Callable[..., Any]) -> Any:
    return connect(request.param)


@pytest.fixture
def bucket(client: Any) -> str:
    client.create_bucket(Bucket="crl-bucket")
    return "crl-bucket"


def raw(s3: S3, method: str, url: str, body: bytes = b"", **headers: str) -> tuple:
    signed = {**S3_SIGNED, **{k.replace("_", "-"): v for k, v in headers.items()}}
    return s3.handle(method, url, signed, body)


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


# --- buckets ------------------------------------------------------------------------------


def test_bucket_lifecycle(client: Any, clock: Clock) -> None:
    assert client.create_bucket(Bucket="crl-bucket")["Location"] == "/crl-bucket"
    head = client.head_bucket(Bucket="crl-bucket")
    assert head["BucketRegion"] == "us-east-1"
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
    assert client.get_bucket_location(Bucket="crl-bucket")["LocationConstraint"] is None
    listed = client.list_buckets()
    assert [b["Name"] for b in listed["Buckets"]] == ["crl-bucket"]
    assert listed["Buckets"][0]["CreationDate"] == clock.moment
    assert listed["Buckets"][0]["BucketRegion"] == "us-east-1"
    assert len(listed["Owner"]["ID"]) == 64
    assert client.delete_bucket(Bucket="crl-bucket")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert client.list_buckets()["Buckets"] == []
    assert error_of(lambda: client.head_bucket(Bucket="crl-bucket"))["Error"]["Code"] == "404"


def test_missing_bucket_errors(client: Any) -> None:
    response = error_of(lambda: client.delete_bucket(Bucket="nope-bucket"))
    assert response["Error"] == {
        "Code": "NoSuchBucket",
        "Message": "The specified bucket does not exist",
        "BucketName": "nope-bucket",
    }
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert response["ResponseMetadata"]["RequestId"]
    assert code_of(lambda: client.list_objects_v2(Bucket="nope-bucket")) == "NoSuchBucket"
    assert code_of(lambda: client.get_object(Bucket="nope-bucket", Key="k")) == "NoSuchBucket"
    assert code_of(lambda: client.put_object(Bucket="nope-bucket", Key="k", Body=b"")) == (
        "NoSuchBucket"
    )
    assert code_of(lambda: client.get_bucket_policy(Bucket="nope-bucket")) == "NoSuchBucket"
    assert code_of(lambda: client.get_bucket_location(Bucket="nope-bucket")) == "NoSuchBucket"


def test_location_constraint_from_the_global_endpoint(client: Any) -> None:
    config = {"LocationConstraint": "eu-west-1"}
    created = client.create_bucket(Bucket="eu-bucket", CreateBucketConfiguration=config)
    assert created["Location"] == "http://eu-bucket.s3.amazonaws.com/"
    assert client.get_bucket_location(Bucket="eu-bucket")["LocationConstraint"] == "eu-west-1"
    assert client.head_bucket(Bucket="eu-bucket")["BucketRegion"] == "eu-west-1"
    buckets = client.list_buckets(BucketRegion="eu-west-1")["Buckets"]
    assert [(b["Name"], b["BucketRegion"]) for b in buckets] == [("eu-bucket", "eu-west-1")]


def test_location_constraint_rules_of_regional_endpoints(connect: Callable[..., Any]) -> None:
    eu = connect(region="eu-west-1")
    response = error_of(lambda: eu.create_bucket(Bucket="eu-bucket"))
    assert response["Error"]["Code"] == "IllegalLocationConstraintException"
    assert response["Error"]["Message"].startswith("The unspecified location constraint")
    other = {"LocationConstraint": "eu-central-1"}
    assert code_of(
        lambda: eu.create_bucket(Bucket="eu-bucket", CreateBucketConfiguration=other)
    ) == ("IllegalLocationConstraintException")
    eu.create_bucket(
        Bucket="eu-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    assert eu.head_bucket(Bucket="eu-bucket")["BucketRegion"] == "eu-west-1"
    us = connect()
    explicit = {"LocationConstraint": "us-east-1"}
    assert code_of(
        lambda: us.create_bucket(Bucket="us-bucket", CreateBucketConfiguration=explicit)
    ) == ("InvalidLocationConstraint")
    assert (
        code_of(
            lambda: us.create_bucket(
                Bucket="us-bucket", CreateBucketConfiguration={"LocationConstraint": "mars"}
            )
        )
        == "InvalidLocationConstraint"
    )


def test_legacy_eu_location_constraint(connect: Callable[..., Any]) -> None:
    client = connect(region="eu-west-1")
    client.create_bucket(
        Bucket="old-bucket", CreateBucketConfiguration={"LocationConstraint": "EU"}
    )
    assert client.get_bucket_location(Bucket="old-bucket")["LocationConstraint"] == "EU"
    assert client.head_bucket(Bucket="old-bucket")["BucketRegion"] == "eu-west-1"


def test_existing_bucket(connect: Callable[..., Any]) -> None:
    eu = connect(region="eu-west-1")
    config = {"LocationConstraint": "eu-west-1"}
    eu.create_bucket(Bucket="eu-bucket", CreateBucketConfiguration=config)
    response = error_of(
        lambda: eu.create_bucket(Bucket="eu-bucket", CreateBucketConfiguration=config)
    )
    assert response["Error"]["Code"] == "BucketAlreadyOwnedByYou"
    assert response["Error"]["BucketName"] == "eu-bucket"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(eu.exceptions.BucketAlreadyOwnedByYou):
        eu.create_bucket(Bucket="eu-bucket", CreateBucketConfiguration=config)


def test_us_east_1_recreate_succeeds_for_legacy_compatibility(client: Any) -> None:
    client.create_bucket(Bucket="crl-bucket")
    client.put_object(Bucket="crl-bucket", Key="k", Body=b"kept")
    assert client.create_bucket(Bucket="crl-bucket")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert client.get_object(Bucket="crl-bucket", Key="k")["Body"].read() == b"kept"


@pytest.mark.parametrize(
    "name",
    [
        "ab",
        "a" * 64,
        "Upper-case",
        "under_score",
        "-starts-with-dash",
        "ends-with-dash-",
        ".dot-start",
        "two..dots",
        "192.168.5.4",
        "xn--punycode",
        "sthree-bucket",
        "bucket-s3alias",
        "bucket--ol-s3",
        "bucket--x-s3",
    ],
)
def test_invalid_bucket_names(connect: Callable[..., Any], name: str) -> None:
    response = error_of(lambda: connect().create_bucket(Bucket=name))
    assert response["Error"]["Code"] == "InvalidBucketName"
    assert response["Error"]["BucketName"] == name
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert not valid_bucket_name(name)


@pytest.mark.parametrize("name", ["abc", "a" * 63, "my.bucket-1", "1-2-3", "a.b.c.d"])
def test_valid_bucket_names(connect: Callable[..., Any], name: str) -> None:
    client = connect()
    client.create_bucket(Bucket=name)
    client.put_object(Bucket=name, Key="k", Body=b"v")
    assert client.get_object(Bucket=name, Key="k")["Body"].read() == b"v"


def test_delete_bucket_not_empty(client: Any, bucket: str, s3: S3) -> None:
    client.put_object(Bucket=bucket, Key="crl/x.crl", Body=b"x")
    response = error_of(lambda: client.delete_bucket(Bucket=bucket))
    assert response["Error"]["Code"] == "BucketNotEmpty"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 409
    client.delete_object(Bucket=bucket, Key="crl/x.crl")
    client.delete_bucket(Bucket=bucket)
    assert not (s3.root / bucket).exists()


def test_list_buckets_pages_and_prefix(connect: Callable[..., Any]) -> None:
    client = connect()
    for name in ("alpha-1", "alpha-2", "alpha-3", "beta-1"):
        client.create_bucket(Bucket=name)
    first = client.list_buckets(MaxBuckets=2, Prefix="alpha")
    assert [b["Name"] for b in first["Buckets"]] == ["alpha-1", "alpha-2"]
    assert first["Prefix"] == "alpha"
    second = client.list_buckets(
        MaxBuckets=2, Prefix="alpha", ContinuationToken=first["ContinuationToken"]
    )
    assert [b["Name"] for b in second["Buckets"]] == ["alpha-3"]
    assert "ContinuationToken" not in second
    pages = client.get_paginator("list_buckets").paginate(PaginationConfig={"PageSize": 1})
    assert [b["Name"] for page in pages for b in page["Buckets"]] == [
        "alpha-1",
        "alpha-2",
        "alpha-3",
        "beta-1",
    ]


def test_object_ownership_and_acls(connect: Callable[..., Any]) -> None:
    client = connect()
    client.create_bucket(Bucket="enforced")
    response = error_of(
        lambda: client.put_object(Bucket="enforced", Key="k", Body=b"", ACL="public-read")
    )
    assert response["Error"] == {
        "Code": "AccessControlListNotSupported",
        "Message": "The bucket does not allow ACLs",
    }
    client.put_object(Bucket="enforced", Key="k", Body=b"", ACL="bucket-owner-full-control")
    client.create_bucket(Bucket="writer", ObjectOwnership="ObjectWriter")
    client.put_object(Bucket="writer", Key="k", Body=b"", ACL="bucket-owner-read")
    # ACLs on, but a new bucket blocks public ones until its Block Public Access is relaxed
    assert code_of(
        lambda: client.put_object(Bucket="writer", Key="k", Body=b"", ACL="public-read")
    ) == ("AccessDenied")
    client.delete_public_access_block(Bucket="writer")
    client.put_object(Bucket="writer", Key="k", Body=b"", ACL="public-read")
    assert code_of(lambda: client.create_bucket(Bucket="acl-bucket", ACL="public-read")) == (
        "InvalidBucketAclWithObjectOwnership"
    )
    response = error_of(
        lambda: client.create_bucket(
            Bucket="acl-bucket", ACL="public-read", ObjectOwnership="ObjectWriter"
        )
    )
    assert response["Error"] == {"Code": "AccessDenied", "Message": "Access Denied"}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert code_of(lambda: client.head_bucket(Bucket="acl-bucket")) == "404"
    client.create_bucket(Bucket="acl-bucket", ACL="private", ObjectOwnership="ObjectWriter")


# --- bucket policies ----------------------------------------------------------------------


def test_bucket_policy_lifecycle(client: Any, s3: S3) -> None:
    client.create_bucket(Bucket="crl-bucket")
    response = error_of(lambda: client.get_bucket_policy(Bucket="crl-bucket"))
    assert response["Error"]["Code"] == "NoSuchBucketPolicy"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert s3.bucket_policy("crl-bucket") is None
    text = json.dumps(POLICY)
    put = client.put_bucket_policy(Bucket="crl-bucket", Policy=text)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert json.loads(client.get_bucket_policy(Bucket="crl-bucket")["Policy"]) == POLICY
    assert s3.bucket_policy("crl-bucket") == text
    deleted = client.delete_bucket_policy(Bucket="crl-bucket")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.bucket_policy("crl-bucket") is None
    client.delete_bucket_policy(Bucket="crl-bucket")


def statement(*, drop: str = "", **changes: Any) -> str:
    base = {k: v for k, v in POLICY["Statement"][0].items() if k != drop}
    base.update(changes)
    return json.dumps({"Version": "2012-10-17", "Statement": [base]})


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("not json", "This policy contains invalid Json"),
        ("[1]", "Policies must be valid JSON and the first byte must be '{'"),
        ('{"Version": "2012-10-17"}', "Missing required field Statement"),
        ('{"Statement": []}', "Missing required field Statement"),
        (statement(Effect="Maybe"), "Invalid effect: Maybe"),
        (statement(drop="Principal"), "Missing required field Principal"),
        (statement(drop="Resource"), "Missing required field Resource"),
        (statement(Principal="someone"), "Invalid principal in policy"),
        (statement(Action="ec2:RunInstances"), "Policy has invalid action"),
        (statement(Resource="arn:aws:s3:::other-bucket/*"), "Policy has invalid resource"),
    ],
)
def test_malformed_bucket_policies(client: Any, bucket: str, policy: str, message: str) -> None:
    response = error_of(lambda: client.put_bucket_policy(Bucket=bucket, Policy=policy))
    assert response["Error"]["Code"] == "MalformedPolicy"
    assert response["Error"]["Message"] == message
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_policy_resources_may_use_wildcards(client: Any, bucket: str) -> None:
    for policy in (
        statement(Resource="arn:aws:s3:::crl-*/*"),
        statement(Resource="*", Action="s3:*"),
    ):
        client.put_bucket_policy(Bucket=bucket, Policy=policy)
        assert client.get_bucket_policy(Bucket=bucket)["Policy"] == policy


# --- objects ------------------------------------------------------------------------------


def test_put_and_get_object(client: Any, bucket: str, clock: Clock) -> None:
    body = b"-----BEGIN X509 CRL-----\n"
    put = client.put_object(
        Bucket=bucket,
        Key="crl/1b2c.crl",
        Body=body,
        ContentType="application/pkix-crl",
        CacheControl="max-age=60",
        Metadata={"Purpose": "crl"},
    )
    etag = f'"{hashlib.md5(body).hexdigest()}"'
    assert put["ETag"] == etag
    assert put["ChecksumCRC32"] == b64(zlib.crc32(body).to_bytes(4, "big"))
    assert put["ServerSideEncryption"] == "AES256"
    got = client.get_object(Bucket=bucket, Key="crl/1b2c.crl")
    assert got["Body"].read() == body
    assert got["ETag"] == etag
    assert got["ContentType"] == "application/pkix-crl"
    assert got["ContentLength"] == len(body)
    assert got["CacheControl"] == "max-age=60"
    assert got["Metadata"] == {"purpose": "crl"}
    assert got["LastModified"] == clock.moment.replace(microsecond=0)
    assert got["ChecksumCRC32"] == put["ChecksumCRC32"]
    assert got["AcceptRanges"] == "bytes"


def test_get_missing_key(client: Any, bucket: str) -> None:
    response = error_of(lambda: client.get_object(Bucket=bucket, Key="crl/none.crl"))
    assert response["Error"] == {
        "Code": "NoSuchKey",
        "Message": "The specified key does not exist.",
        "Key": "crl/none.crl",
    }
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(client.exceptions.NoSuchKey):
        client.get_object(Bucket=bucket, Key="crl/none.crl")


def test_default_content_type_and_overwrite(client: Any, bucket: str, clock: Clock) -> None:
    client.put_object(Bucket=bucket, Key="k", Body=b"one")
    assert client.get_object(Bucket=bucket, Key="k")["ContentType"] == "binary/octet-stream"
    clock.moment += timedelta(days=1)
    client.put_object(Bucket=bucket, Key="k", Body=b"two", ContentType="text/plain")
    got = client.get_object(Bucket=bucket, Key="k")
    assert (got["Body"].read(), got["ContentType"]) == (b"two", "text/plain")
    assert got["LastModified"] == clock.moment.replace(microsecond=0)


def test_response_overrides(client: Any, bucket: str) -> None:
    client.put_object(Bucket=bucket, Key="k", Body=b"v")
    got = client.get_object(
        Bucket=bucket, Key="k", ResponseContentType="text/csv", ResponseContentDisposition="inline"
    )
    assert (got["ContentType"], got["ContentDisposition"]) == ("text/csv", "inline")


def test_head_object(client: Any, bucket: str) -> None:
    client.put_object(Bucket=bucket, Key="audit.json", Body=b"[]", ContentType="application/json")
    head = client.head_object(Bucket=bucket, Key="audit.json")
    assert head["ContentLength"] == 2
    assert head["ContentType"] == "application/json"
    assert head["ETag"] == f'"{hashlib.md5(b"[]").hexdigest()}"'
    response = error_of(lambda: client.head_object(Bucket=bucket, Key="missing"))
    assert response["Error"] == {"Code": "404", "Message": "Not Found"}
    assert code_of(lambda: client.head_object(Bucket="nope-bucket", Key="k")) == "404"


def test_head_without_body(s3: S3, client: Any, bucket: str) -> None:
    status, headers, body = raw(s3, "HEAD", "https://s3.amazonaws.com/crl-bucket/missing")
    assert (status, body) == (404, b"")
    assert headers["x-amz-request-id"]
    client.put_object(Bucket=bucket, Key="k", Body=b"12345")
    status, headers, body = raw(s3, "HEAD", "https://s3.amazonaws.com/crl-bucket/k")
    assert (status, headers["Content-Length"], body) == (200, "5", b"")


def test_ranges(client: Any, bucket: str) -> None:
    client.put_object(Bucket=bucket, Key="k", Body=b"0123456789")

    def get(spec: str) -> tuple[bytes, str | None]:
        got = client.get_object(Bucket=bucket, Key="k", Range=spec)
        return got["Body"].read(), got.get("ContentRange")

    assert get("bytes=2-4") == (b"234", "bytes 2-4/10")
    assert get("bytes=7-") == (b"789", "bytes 7-9/10")
    assert get("bytes=-3") == (b"789", "bytes 7-9/10")
    assert get("bytes=8-100") == (b"89", "bytes 8-9/10")
    assert get("bytes=-50") == (b"0123456789", "bytes 0-9/10")
    assert get("bytes=5-2") == (b"0123456789", None)
    assert get("items=1-2") == (b"0123456789", None)
    response = error_of(lambda: client.get_object(Bucket=bucket, Key="k", Range="bytes=10-"))
    assert response["Error"]["Code"] == "InvalidRange"
    assert response["Error"]["ActualObjectSize"] == "10"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 416
    head = client.head_object(Bucket=bucket, Key="k", Range="bytes=0-0")
    assert (head["ContentLength"], head["ContentRange"]) == (1, "bytes 0-0/10")
    assert "ChecksumCRC32" not in client.get_object(Bucket=bucket, Key="k", Range="bytes=0-1")


def test_part_number_of_an_object_stored_in_one_piece(client: Any, bucket: str) -> None:
    client.put_object(Bucket=bucket, Key="k", Body=b"0123456789")
    got = client.get_object(Bucket=bucket, Key="k", PartNumber=1)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert (got["Body"].read(), got["ContentRange"]) == (b"0123456789", "bytes 0-9/10")
    assert "PartsCount" not in got  # S3 counts parts of multipart objects only
    head = client.head_object(Bucket=bucket, Key="k", PartNumber=1)
    assert (head["ContentLength"], head["ContentRange"]) == (10, "bytes 0-9/10")
    response = error_of(lambda: client.get_object(Bucket=bucket, Key="k", PartNumber=2))
    assert response["Error"]["Code"] == "InvalidPartNumber"
    assert response["Error"]["PartNumberRequested"] == "2"
    assert response["Error"]["ActualPartCount"] == "1"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 416
    assert code_of(lambda: client.head_object(Bucket=bucket, Key="k", PartNumber=2)) == "416"
    for bad in (0, 10001):
        bad_number = error_of(lambda n=bad: client.get_object(Bucket=bucket, Key="k", PartNumber=n))
        assert bad_number["Error"]["Code"] == "InvalidArgument"
        assert bad_number["Error"]["ArgumentName"] == "partNumber"
    both = error_of(
        lambda: client.get_object(Bucket=bucket, Key="k", PartNumber=1, Range="bytes=0-1")
    )
    assert both["Error"] == {
        "Code": "InvalidRequest",
        "Message": "Cannot specify both Range header and partNumber query parameter",
    }
    client.put_object(Bucket=bucket, Key="empty", Body=b"")
    empty = client.get_object(Bucket=bucket, Key="empty", PartNumber=1)
    assert empty["Body"].read() == b"" and "ContentRange" not in empty


def test_conditional_reads(client: Any, bucket: str, clock: Clock) -> None:
    etag = client.put_object(Bucket=bucket, Key="k", Body=b"v")["ETag"]
    assert client.get_object(Bucket=bucket, Key="k", IfMatch=etag)["Body"].read() == b"v"
    response = error_of(lambda: client.get_object(Bucket=bucket, Key="k", IfMatch='"other"'))
    assert response["Error"]["Code"] == "PreconditionFailed"
    assert response["Error"]["Condition"] == "If-Match"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert code_of(lambda: client.get_object(Bucket=bucket, Key="k", IfNoneMatch=etag)) == "304"
    later, earlier = clock.moment + timedelta(hours=1), clock.moment - timedelta(hours=1)
    assert code_of(lambda: client.get_object(Bucket=bucket, Key="k", IfModifiedSince=later)) == (
        "304"
    )
    client.get_object(Bucket=bucket, Key="k", IfModifiedSince=earlier)
    assert (
        code_of(lambda: client.get_object(Bucket=bucket, Key="k", IfUnmodifiedSince=earlier))
        == "PreconditionFailed"
    )
    assert code_of(lambda: client.head_object(Bucket=bucket, Key="k", IfMatch='"x"')) == "412"


def test_conditional_writes(client: Any, bucket: str) -> None:
    etag = client.put_object(Bucket=bucket, Key="k", Body=b"v1", IfNoneMatch="*")["ETag"]
    response = error_of(
        lambda: client.put_object(Bucket=bucket, Key="k", Body=b"v2", IfNoneMatch="*")
    )
    assert response["Error"]["Code"] == "PreconditionFailed"
    assert code_of(
        lambda: client.put_object(Bucket=bucket, Key="k", Body=b"v2", IfMatch='"x"')
    ) == ("PreconditionFailed")
    assert code_of(lambda: client.put_object(Bucket=bucket, Key="new", Body=b"", IfMatch=etag)) == (
        "NoSuchKey"
    )
    client.put_object(Bucket=bucket, Key="k", Body=b"v2", IfMatch=etag)
    assert client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v2"


def test_delete_object_is_idempotent(client: Any, bucket: str, s3: S3) -> None:
    client.put_object(Bucket=bucket, Key="audit-report/ca/report.json", Body=b"{}")
    deleted = client.delete_object(Bucket=bucket, Key="audit-report/ca/report.json")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    again = client.delete_object(Bucket=bucket, Key="audit-report/ca/report.json")
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert code_of(
        lambda: client.head_object(Bucket=bucket, Key="audit-report/ca/report.json")
    ) == ("404")
    assert list((s3.root / bucket).iterdir()) == []
    client.put_object(Bucket=bucket, Key="audit-report", Body=b"now a plain key")


def test_versions(client: Any, bucket: str) -> None:
    client.put_object(Bucket=bucket, Key="k", Body=b"v")
    assert client.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"v"
    assert code_of(lambda: client.get_object(Bucket=bucket, Key="k", VersionId="abc")) == (
        "InvalidArgument"
    )


# --- checksums and aws-chunked bodies -----------------------------------------------------


def test_default_put_is_aws_chunked_with_a_crc32_trailer(client: Any, bucket: str, s3: S3) -> None:
    seen: list[dict[str, Any]] = []
    client.meta.events.register_first(
        "before-send.s3", lambda request, **_: seen.append(dict(request.headers))
    )
    body = bytes(range(256)) * 12_000  # three aws-chunked chunks of 1 MiB or less
    put = client.put_object(Bucket=bucket, Key="big.bin", Body=body)
    assert seen[0]["Content-Encoding"] == b"aws-chunked"
    assert seen[0]["X-Amz-Trailer"] == b"x-amz-checksum-crc32"
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert s3.object_path(bucket, "big.bin").read_bytes() == body
    got = client.get_object(Bucket=bucket, Key="big.bin")
    assert got["Body"].read() == body
    assert "ContentEncoding" not in got


def test_upload_fileobj_and_download(client: Any, bucket: str, tmp_path: Path) -> None:
    client.upload_fileobj(io.BytesIO(b"report"), bucket, "audit-report/a/b.json")
    target = tmp_path / "b.json"
    client.download_file(bucket, "audit-report/a/b.json", str(target))
    assert target.read_bytes() == b"report"


def test_sha256_checksum_listed(client: Any, bucket: str) -> None:
    put = client.put_object(Bucket=bucket, Key="k", Body=b"abc", ChecksumAlgorithm="SHA256")
    assert put["ChecksumSHA256"] == b64(hashlib.sha256(b"abc").digest())
    got = client.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["ChecksumSHA256"] == put["ChecksumSHA256"]
    assert got["ChecksumType"] == "FULL_OBJECT"
    listed = client.list_objects_v2(Bucket=bucket)["Contents"][0]
    assert listed["ChecksumAlgorithm"] == ["SHA256"]


def test_custom_endpoint_sends_plain_body_with_checksum_header(
    connect: Callable[..., Any],
) -> None:
    client = connect(endpoint_url="http://127.0.0.1:4566", style="virtual")
    client.create_bucket(Bucket="local-bucket")
    put = client.put_object(Bucket="local-bucket", Key="a/b.txt", Body=b"hello")
    assert put["ChecksumCRC32"] == "NhCmhg=="
    assert client.get_object(Bucket="local-bucket", Key="a/b.txt")["Body"].read() == b"hello"


def test_no_checksum_when_not_required(connect: Callable[..., Any]) -> None:
    client = connect(
        request_checksum_calculation="when_required", response_checksum_validation="when_required"
    )
    client.create_bucket(Bucket="plain-bucket")
    put = client.put_object(Bucket="plain-bucket", Key="k", Body=b"v")
    assert "ChecksumCRC32" not in put
    got = client.get_object(Bucket="plain-bucket", Key="k", ChecksumMode="ENABLED")
    assert "ChecksumCRC32" not in got
    assert "ChecksumAlgorithm" not in client.list_objects_v2(Bucket="plain-bucket")["Contents"][0]


def test_signed_aws_chunked_body(s3: S3) -> None:
    s3.create_bucket("crl-bucket")
    chunks = [b"a" * 5, b"b" * 3]
    body = b"".join(
        f"{len(c):x};chunk-signature={'0' * 64}\r\n".encode() + c + b"\r\n" for c in chunks
    )
    body += f"0;chunk-signature={'0' * 64}\r\n\r\n".encode()
    status, headers, _ = raw(
        s3,
        "PUT",
        "https://crl-bucket.s3.amazonaws.com/k",
        body,
        x_amz_content_sha256="STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        content_encoding="aws-chunked,gzip",
        x_amz_decoded_content_length="8",
    )
    assert status == 200
    assert s3.get_object("crl-bucket", "k") == b"aaaaabbb"
    status, headers, _ = raw(s3, "HEAD", "https://crl-bucket.s3.amazonaws.com/k")
    assert headers["Content-Encoding"] == "gzip"


def test_signed_aws_chunked_body_with_trailer(s3: S3) -> None:
    s3.create_bucket("crl-bucket")
    crc = b64(zlib.crc32(b"hello").to_bytes(4, "big"))
    body = (
        f"5;chunk-signature={'1' * 64}\r\nhello\r\n0;chunk-signature={'2' * 64}\r\n"
        f"x-amz-checksum-crc32:{crc}\r\nx-amz-trailer-signature:{'3' * 64}\r\n\r\n"
    ).encode()
    status, headers, _ = raw(
        s3,
        "PUT",
        "https://s3.amazonaws.com/crl-bucket/k",
        body,
        x_amz_content_sha256="STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        content_encoding="aws-chunked",
        x_amz_trailer="x-amz-checksum-crc32",
        x_amz_decoded_content_length="5",
    )
    assert status == 200
    assert headers["x-amz-checksum-crc32"] == crc
    assert s3.get_object("crl-bucket", "k") == b"hello"


@pytest.mark.parametrize(
    ("body", "decoded_length", "code"),
    [
        (b"5\r\nhel", "5", "InvalidRequest"),
        (b"zz\r\nhello\r\n0\r\n\r\n", "5", "InvalidRequest"),
        (b"5\r\nhelloX\r\n0\r\n\r\n", "5", "InvalidRequest"),
        (b"5\r\nhello\r\n0\r\n\r\n", "6", "IncompleteBody"),
        (b"5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", "5", "BadDigest"),
    ],
)
def test_broken_aws_chunked_bodies(s3: S3, body: bytes, decoded_length: str, code: str) -> None:
    s3.create_bucket("crl-bucket")
    status, _, answer = raw(
        s3,
        "PUT",
        "https://s3.amazonaws.com/crl-bucket/k",
        body,
        content_encoding="aws-chunked",
        x_amz_content_sha256="STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        x_amz_decoded_content_length=decoded_length,
    )
    assert status == 400
    assert f"<Code>{code}</Code>".encode() in answer
    assert not s3.object_path("crl-bucket", "k").exists()


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [
        ("crc32", 0xCBF43926.to_bytes(4, "big")),
        ("crc32c", 0xE3069283.to_bytes(4, "big")),
        ("crc64nvme", 0xAE8B14860A799888.to_bytes(8, "big")),
        ("sha1", hashlib.sha1(b"123456789").digest()),
        ("sha256", hashlib.sha256(b"123456789").digest()),
        ("sha512", hashlib.sha512(b"123456789").digest()),
        ("md5", hashlib.md5(b"123456789").digest()),
    ],
)
def test_checksum_algorithms(s3: S3, algorithm: str, digest: bytes) -> None:
    s3.create_bucket("crl-bucket")
    header = {f"x-amz-checksum-{algorithm}": b64(digest), **S3_SIGNED}
    url = "https://s3.amazonaws.com/crl-bucket/k"
    status, headers, _ = s3.handle("PUT", url, header, b"123456789")
    assert status == 200
    assert headers[f"x-amz-checksum-{algorithm}"] == b64(digest)
    status, headers, _ = s3.handle("GET", url, {"x-amz-checksum-mode": "ENABLED", **S3_SIGNED}, b"")
    assert headers[f"x-amz-checksum-{algorithm}"] == b64(digest)
    status, _, answer = s3.handle("PUT", url, header, b"12345678")
    assert status == 400
    assert f"The {algorithm.upper()} you specified did not match".encode() in answer


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"x-amz-checksum-crc32": "not base64!"}, 400, "InvalidRequest"),
        ({"x-amz-checksum-crc32": "AAAA", "x-amz-checksum-sha1": "AAAA"}, 400, "InvalidRequest"),
        ({"x-amz-sdk-checksum-algorithm": "CRC32"}, 400, "InvalidRequest"),
        ({"x-amz-checksum-xxhash64": "AAAAAAAAAAA="}, 501, "NotImplemented"),
        ({"Content-MD5": "short"}, 400, "InvalidDigest"),
        ({"Content-MD5": b64(hashlib.md5(b"other").digest())}, 400, "BadDigest"),
    ],
)
def test_bad_digests(s3: S3, headers: dict[str, str], status: int, code: str) -> None:
    s3.create_bucket("crl-bucket")
    answer = s3.handle(
        "PUT", "https://s3.amazonaws.com/crl-bucket/k", {**headers, **S3_SIGNED}, b"body"
    )
    assert answer[0] == status
    assert f"<Code>{code}</Code>".encode() in answer[2]


def test_content_md5_through_boto3(client: Any, bucket: str) -> None:
    md5 = b64(hashlib.md5(b"body").digest())
    client.put_object(Bucket=bucket, Key="k", Body=b"body", ContentMD5=md5)
    wrong = b64(hashlib.md5(b"else").digest())
    assert code_of(
        lambda: client.put_object(Bucket=bucket, Key="k", Body=b"x", ContentMD5=wrong)
    ) == ("BadDigest")


# --- listing ------------------------------------------------------------------------------


def test_list_objects_prefix_and_delimiter(client: Any, bucket: str) -> None:
    for key in (
        "crl/a.crl",
        "crl/b.crl",
        "audit-report/ca1/r1.json",
        "audit-report/ca2/r2.json",
        "top",
    ):
        client.put_object(Bucket=bucket, Key=key, Body=b"x")
    listed = client.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == [
        "audit-report/ca1/r1.json",
        "audit-report/ca2/r2.json",
        "crl/a.crl",
        "crl/b.crl",
        "top",
    ]
    assert listed["KeyCount"] == 5
    assert listed["IsTruncated"] is False
    assert listed["Contents"][0]["Size"] == 1
    assert listed["Contents"][0]["StorageClass"] == "STANDARD"
    assert listed["Contents"][0]["ETag"] == f'"{hashlib.md5(b"x").hexdigest()}"'
    grouped = client.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["audit-report/", "crl/"]
    assert [o["Key"] for o in grouped["Contents"]] == ["top"]
    assert grouped["KeyCount"] == 3
    nested = client.list_objects_v2(Bucket=bucket, Prefix="audit-report/", Delimiter="/")
    assert [p["Prefix"] for p in nested["CommonPrefixes"]] == [
        "audit-report/ca1/",
        "audit-report/ca2/",
    ]
    assert "Contents" not in nested
    partial = client.list_objects_v2(Bucket=bucket, Prefix="crl/a")
    assert [o["Key"] for o in partial["Contents"]] == ["crl/a.crl"]
    assert client.list_objects_v2(Bucket=bucket, Prefix="nothing/")["KeyCount"] == 0
    after = client.list_objects_v2(Bucket=bucket, StartAfter="crl/a.crl")
    assert [o["Key"] for o in after["Contents"]] == ["crl/b.crl", "top"]
    assert after["StartAfter"] == "crl/a.crl"


def test_list_objects_pages(client: Any, bucket: str) -> None:
    keys = [f"crl/{i:02d}.crl" for i in range(7)] + ["dir1/x", "dir1/y", "dir2/z", "zz"]
    for key in keys:
        client.put_object(Bucket=bucket, Key=key, Body=b"")
    first = client.list_objects_v2(Bucket=bucket, MaxKeys=3)
    assert [o["Key"] for o in first["Contents"]] == keys[:3]
    assert (first["IsTruncated"], first["KeyCount"], first["MaxKeys"]) == (True, 3, 3)
    second = client.list_objects_v2(
        Bucket=bucket, MaxKeys=3, ContinuationToken=first["NextContinuationToken"]
    )
    assert [o["Key"] for o in second["Contents"]] == keys[3:6]
    assert second["ContinuationToken"] == first["NextContinuationToken"]
    paginator = client.get_paginator("list_objects_v2")
    pages = list(paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}))
    assert [o["Key"] for page in pages for o in page.get("Contents", [])] == keys
    assert len(pages) == 6
    pages = list(paginator.paginate(Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 1}))
    entries = [
        e.get("Key") or e.get("Prefix")
        for page in pages
        for e in page.get("CommonPrefixes", []) + page.get("Contents", [])
    ]
    assert entries == ["crl/", "dir1/", "dir2/", "zz"]
    assert client.list_objects_v2(Bucket=bucket, MaxKeys=0)["KeyCount"] == 0


def test_list_objects_bad_parameters(client: Any, bucket: str) -> None:
    response = error_of(lambda: client.list_objects_v2(Bucket=bucket, ContinuationToken="garbage"))
    assert response["Error"]["Code"] == "InvalidArgument"
    assert response["Error"]["ArgumentName"] == "continuation-token"
    assert code_of(lambda: client.list_objects_v2(Bucket=bucket, MaxKeys=-1)) == "InvalidArgument"


def test_list_objects_fetch_owner(client: Any, bucket: str) -> None:
    client.put_object(Bucket=bucket, Key="k", Body=b"")
    assert "Owner" not in client.list_objects_v2(Bucket=bucket)["Contents"][0]
    owner = client.list_objects_v2(Bucket=bucket, FetchOwner=True)["Contents"][0]["Owner"]
    assert owner["ID"] == client.list_buckets()["Owner"]["ID"]


def test_keys_listed_in_utf8_binary_order(client: Any, bucket: str) -> None:
    keys = ["b", "a", "Z", "é", "😀", "~", "a b", "a+b", "a%2Fb", "日本", "\x01ctl", "ﬀ"]
    for key in keys:
        client.put_object(Bucket=bucket, Key=key, Body=key.encode())
    listed = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted(keys, key=lambda k: k.encode("utf-8"))
    for key in keys:
        assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()


def test_list_without_url_encoding(s3: S3) -> None:
    s3.create_bucket("crl-bucket")
    s3.put_object("crl-bucket", "a&b<c>", b"")
    url = "https://s3.amazonaws.com/crl-bucket?list-type=2"
    status, _, body = s3.handle("GET", url, S3_SIGNED, b"")
    assert status == 200
    assert b"<Key>a&amp;b&lt;c&gt;</Key>" in body
    assert b"<EncodingType>" not in body


# --- keys that do not map to paths directly -----------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "a/../b",
        "../../escape",
        "./x",
        "a//b",
        "/leading",
        "folder/",
        "100%.crl",
        "%2E%2E",
        ".",
        "..",
        "a/./b",
    ],
)
def test_awkward_keys_stay_inside_the_bucket(client: Any, bucket: str, s3: S3, key: str) -> None:
    client.put_object(Bucket=bucket, Key=key, Body=b"awkward")
    assert client.get_object(Bucket=bucket, Key=key)["Body"].read() == b"awkward"
    assert [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]] == [key]
    path = s3.object_path(bucket, key)
    assert path.read_bytes() == b"awkward"
    assert (s3.root / bucket) in path.resolve().parents
    client.delete_object(Bucket=bucket, Key=key)
    assert "Contents" not in client.list_objects_v2(Bucket=bucket)
    assert list((s3.root / bucket).iterdir()) == []


def test_keys_that_would_clash_with_directories(client: Any, bucket: str) -> None:
    client.put_object(Bucket=bucket, Key="crl/x.crl", Body=b"x")
    response = error_of(lambda: client.put_object(Bucket=bucket, Key="crl", Body=b"y"))
    assert response["Error"]["Code"] == "InvalidArgument"
    assert response["Error"]["ArgumentName"] == "key"
    assert "stores objects as files" in response["Error"]["Message"]
    client.put_object(Bucket=bucket, Key="file", Body=b"z")
    assert code_of(lambda: client.put_object(Bucket=bucket, Key="file/below", Body=b"")) == (
        "InvalidArgument"
    )
    assert code_of(lambda: client.get_object(Bucket=bucket, Key="crl")) == "NoSuchKey"
    assert code_of(lambda: client.get_object(Bucket=bucket, Key="file/below")) == "NoSuchKey"
    client.delete_object(Bucket=bucket, Key="crl")
    assert client.get_object(Bucket=bucket, Key="crl/x.crl")["Body"].read() == b"x"
    assert client.get_object(Bucket=bucket, Key="file")["Body"].read() == b"z"


def test_key_length_limits(client: Any, bucket: str) -> None:
    response = error_of(lambda: client.put_object(Bucket=bucket, Key="k" * 1025, Body=b""))
    assert response["Error"]["Code"] == "KeyTooLongError"
    long_part = "p" * 256
    response = error_of(lambda: client.put_object(Bucket=bucket, Key=long_part, Body=b""))
    assert response["Error"]["Code"] == "KeyTooLongError"
    assert "255 bytes" in response["Error"]["Message"]
    client.put_object(Bucket=bucket, Key="/".join(["p" * 255] * 4), Body=b"")


# --- honesty about gaps -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "operation"),
    [
        (lambda c: c.get_bucket_cors(Bucket="crl-bucket"), "S3 operation GetBucketCors"),
        (
            lambda c: c.put_bucket_versioning(
                Bucket="crl-bucket", VersioningConfiguration={"Status": "Enabled"}
            ),
            "S3 operation PutBucketVersioning: buckets stay unversioned",
        ),
        (
            lambda c: c.put_bucket_encryption(
                Bucket="crl-bucket",
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
            ),
            "S3 operation PutBucketEncryption",
        ),
        (
            lambda c: c.get_bucket_policy_status(Bucket="crl-bucket"),
            "S3 operation GetBucketPolicyStatus",
        ),
        (
            lambda c: c.get_object_retention(Bucket="crl-bucket", Key="k"),
            "S3 operation GetObjectRetention",
        ),
        (
            lambda c: c.put_object_acl(
                Bucket="crl-bucket", Key="k", GrantRead="uri=http://acs.amazonaws.com/groups"
            ),
            "header x-amz-grant-read of S3 operation PutObjectAcl",
        ),
        (
            lambda c: c.list_object_versions(Bucket="crl-bucket"),
            "S3 operation ListObjectVersions",
        ),
        (
            lambda c: c.delete_objects(
                Bucket="crl-bucket", Delete={"Objects": [{"Key": "k", "ETag": '"x"'}]}
            ),
            "ETag in the objects of S3 operation DeleteObjects",
        ),
        (
            lambda c: c.copy_object(
                Bucket="crl-bucket", Key="b", CopySource="crl-bucket/k", TaggingDirective="COPY"
            ),
            "header x-amz-tagging-directive of S3 operation CopyObject",
        ),
        (
            lambda c: c.create_multipart_upload(Bucket="crl-bucket", Key="k", Tagging="a=b"),
            "header x-amz-tagging of S3 operation CreateMultipartUpload",
        ),
        (
            lambda c: c.create_multipart_upload(
                Bucket="crl-bucket", Key="k", ChecksumAlgorithm="SHA512"
            ),
            "checksum algorithm SHA512 for multipart uploads",
        ),
        (
            lambda c: c.put_object_tagging(
                Bucket="crl-bucket", Key="k", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]}
            ),
            "PutObjectTagging",
        ),
        (
            lambda c: c.put_object(Bucket="crl-bucket", Key="k", Body=b"", Tagging="a=b"),
            "header x-amz-tagging of S3 operation PutObject",
        ),
        (
            lambda c: c.put_object(Bucket="crl-bucket", Key="k", Body=b"", StorageClass="GLACIER"),
            "storage class GLACIER",
        ),
        (
            lambda c: c.put_object(
                Bucket="crl-bucket", Key="k", Body=b"", ServerSideEncryption="aws:kms"
            ),
            "server-side encryption aws:kms",
        ),
        (
            lambda c: c.get_object_attributes(
                Bucket="crl-bucket", Key="k", ObjectAttributes=["ObjectParts"]
            ),
            "S3 operation GetObjectAttributes",
        ),
        (
            lambda c: c.delete_object(Bucket="crl-bucket", Key="k", IfMatch='"x"'),
            "header If-Match of S3 operation DeleteObject",
        ),
    ],
)
def test_unemulated_operations_say_so(
    client: Any, bucket: str, call: Callable[[Any], Any], operation: str
) -> None:
    client.put_object(Bucket=bucket, Key="k", Body=b"")
    response = error_of(lambda: call(client))
    assert response["Error"]["Code"] == "NotImplemented"
    assert response["Error"]["Message"].startswith("The pcanb sandbox does not emulate ")
    assert operation in response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_operation_names() -> None:
    assert operation_name("PUT", "https://b.s3.amazonaws.com/k", {}) == "PutObject"
    assert operation_name("GET", "https://s3.amazonaws.com/b?list-type=2", {}) == "ListObjectsV2"
    assert operation_name("GET", "https://s3.amazonaws.com/", {}) == "ListBuckets"
    assert operation_name("PUT", "/b/k", {"x-amz-copy-source": "b/j"}) == "CopyObject"
    assert operation_name("GET", "/b?cors", {}) == "GetBucketCors"
    assert operation_name("GET", "/b/k?uploadId=1", {}) == "ListParts"
    assert operation_name("PATCH", "/b?weird", {}) == "PATCH /{bucket}?weird"


def test_expected_bucket_owner(client: Any, bucket: str) -> None:
    client.head_bucket(Bucket=bucket, ExpectedBucketOwner=ACCOUNT)
    response = error_of(
        lambda: client.list_objects_v2(Bucket=bucket, ExpectedBucketOwner="999999999999")
    )
    assert response["Error"]["Code"] == "AccessDenied"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403


# --- addressing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("https://crl-bucket.s3.amazonaws.com/crl/a%20b.crl", {}),
        ("https://crl-bucket.s3.us-west-2.amazonaws.com/crl/a%20b.crl", {}),
        ("https://crl-bucket.s3.dualstack.us-west-2.amazonaws.com/crl/a%20b.crl", {}),
        ("https://s3.amazonaws.com/crl-bucket/crl/a%20b.crl", {}),
        ("https://s3.us-west-2.amazonaws.com/crl-bucket/crl/a%20b.crl", {}),
        ("http://127.0.0.1:4566/crl-bucket/crl/a%20b.crl", {}),
        ("http://crl-bucket.localhost:4566/crl/a%20b.crl", {}),
        ("/crl-bucket/crl/a%20b.crl", {"Host": "127.0.0.1:4566"}),
        ("/crl/a%20b.crl", {"Host": "crl-bucket.s3.amazonaws.com"}),
    ],
)
def test_addressing_styles(s3: S3, url: str, headers: dict[str, str]) -> None:
    s3.create_bucket("crl-bucket")
    s3.put_object("crl-bucket", "crl/a b.crl", b"crl")
    status, answer_headers, body = s3.handle("GET", url, {**headers, **S3_SIGNED}, b"")
    assert (status, body) == (200, b"crl")
    assert answer_headers["x-amz-request-id"]


def test_error_body_shape(s3: S3) -> None:
    status, headers, body = s3.handle("GET", "https://s3.amazonaws.com/missing-bucket/k", {}, b"")
    assert status == 404
    assert headers["Content-Type"] == "application/xml"
    assert headers["Content-Length"] == str(len(body))
    root = ElementTree.fromstring(body)
    assert root.tag == "Error"
    assert root.findtext("Code") == "NoSuchBucket"
    assert root.findtext("BucketName") == "missing-bucket"
    assert root.findtext("RequestId") == headers["x-amz-request-id"]


# --- engine-facing API and persistence ----------------------------------------------------


def test_python_api(s3: S3) -> None:
    assert not s3.bucket_exists("crl-bucket")
    assert not s3.bucket_exists("../etc")
    with pytest.raises(S3Error) as caught:
        s3.put_object("crl-bucket", "k", b"")
    assert caught.value.code == "NoSuchBucket"
    s3.create_bucket("crl-bucket")
    assert s3.bucket_exists("crl-bucket")
    etag = s3.put_object("crl-bucket", "crl/abc.crl", b"DER", content_type="application/pkix-crl")
    assert etag == f'"{hashlib.md5(b"DER").hexdigest()}"'
    path = s3.object_path("crl-bucket", "crl/abc.crl")
    assert path == s3.root / "crl-bucket" / "crl" / "abc.crl"
    assert path.read_bytes() == b"DER"
    assert s3.get_object("crl-bucket", "crl/abc.crl") == b"DER"
    with pytest.raises(KeyError):
        s3.get_object("crl-bucket", "crl/none.crl")
    with pytest.raises(KeyError):
        s3.get_object("no-bucket", "crl/abc.crl")
    with pytest.raises(S3Error) as caught:
        s3.put_object("crl-bucket", "k", b"", acl="public-read")
    assert caught.value.code == "AccessControlListNotSupported"
    with pytest.raises(S3Error) as caught:
        s3.create_bucket("crl-bucket")
    assert caught.value.code == "BucketAlreadyOwnedByYou"
    with pytest.raises(S3Error):
        s3.object_path("Bad_Bucket", "k")


def test_python_api_writes_are_visible_to_boto3(s3: S3, client: Any) -> None:
    s3.create_bucket(
        "crl-bucket", object_ownership="BucketOwnerPreferred", public_access_block=None
    )
    s3.put_object(
        "crl-bucket",
        "audit-report/ca/r.json",
        b"[]",
        content_type="application/json",
        acl="public-read",
    )
    got = client.get_object(Bucket="crl-bucket", Key="audit-report/ca/r.json")
    assert (got["Body"].read(), got["ContentType"]) == (b"[]", "application/json")


def test_state_persists_across_instances(
    tmp_path: Path, s3: S3, client: Any, clock: Clock, connect: Callable[..., Any]
) -> None:
    client.create_bucket(Bucket="crl-bucket")
    client.put_bucket_policy(Bucket="crl-bucket", Policy=json.dumps(POLICY))
    client.put_object(
        Bucket="crl-bucket", Key="crl/x.crl", Body=b"crl", ContentType="application/pkix-crl"
    )
    again = S3(s3.root, now=clock, account=ACCOUNT, region="us-east-1")
    other = connect(target=again)
    assert again.bucket_exists("crl-bucket")
    assert json.loads(again.bucket_policy("crl-bucket") or "") == POLICY
    got = other.get_object(Bucket="crl-bucket", Key="crl/x.crl")
    assert (got["Body"].read(), got["ContentType"]) == (b"crl", "application/pkix-crl")
    assert got["LastModified"] == START.replace(microsecond=0)
    assert [b["Name"] for b in other.list_buckets()["Buckets"]] == ["crl-bucket"]


def test_files_changed_by_hand(s3: S3, client: Any) -> None:
    s3.create_bucket("crl-bucket")
    s3.put_object("crl-bucket", "crl/x.crl", b"old", content_type="application/pkix-crl")
    s3.object_path("crl-bucket", "crl/x.crl").write_bytes(b"replaced by hand")
    (s3.root / "crl-bucket" / "dropped.txt").write_bytes(b"dropped")
    got = client.get_object(Bucket="crl-bucket", Key="crl/x.crl")
    assert got["Body"].read() == b"replaced by hand"
    assert got["ETag"] == f'"{hashlib.md5(b"replaced by hand").hexdigest()}"'
    listed = client.list_objects_v2(Bucket="crl-bucket")["Contents"]
    assert [o["Key"] for o in listed] == ["crl/x.crl", "dropped.txt"]


def test_concurrent_writers_share_one_directory(s3: S3, clock: Clock) -> None:
    s3.create_bucket("crl-bucket")
    instances = [S3(s3.root, now=clock, account=ACCOUNT, region="us-east-1") for _ in range(6)]
    errors: list[BaseException] = []

    def work(index: int, store: S3) -> None:
        try:
            for round_ in range(15):
                store.put_object("crl-bucket", "crl/shared.crl", f"{index}-{round_}".encode())
                store.put_object("crl-bucket", f"own/{index}/{round_}", b"x")
                store.handle(
                    "DELETE", f"/crl-bucket/own/{index}/{round_}", {"Host": "h", **S3_SIGNED}, b""
                )
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i, s)) for i, s in enumerate(instances)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    body = s3.get_object("crl-bucket", "crl/shared.crl")
    _, headers, _ = s3.handle("HEAD", "/crl-bucket/crl/shared.crl", {"Host": "h", **S3_SIGNED}, b"")
    assert headers["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert list((s3.root / ".meta" / "tmp").iterdir()) == []


# --- presigned URLs ------------------------------------------------------------------------------


def _presigned(connect: Callable[..., Any], method: str, expires: int, **config: Any) -> str:
    client = connect("path", **config)
    operation = {"GET": "get_object", "PUT": "put_object"}[method]
    return client.generate_presigned_url(
        operation, Params={"Bucket": "crl-bucket", "Key": "k"}, ExpiresIn=expires
    )


def _with_query(url: str, **changes: str | None) -> str:
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    query = {name: value for name, value in query.items() if value is not None}
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.mark.parametrize("signature_version", ["s3v4", "s3"])
def test_presigned_url_is_honoured_until_it_expires(
    s3: S3, connect: Callable[..., Any], signature_version: str
) -> None:
    s3.create_bucket("crl-bucket")
    put = _presigned(connect, "PUT", 600, signature_version=signature_version)
    assert s3.handle("PUT", put, {}, b"uploaded")[0] == 200
    get = _presigned(connect, "GET", 600, signature_version=signature_version)
    assert s3.handle("GET", get, {}, b"")[:3:2] == (200, b"uploaded")

    status, _, body = s3.handle("GET", _expired(get, signature_version), {}, b"")
    root = ElementTree.fromstring(body)
    assert (status, root.findtext("Code"), root.findtext("Message")) == (
        403,
        "AccessDenied",
        "Request has expired",
    )
    assert root.findtext("ServerTime") and root.findtext("Expires")
    if signature_version == "s3v4":
        assert root.findtext("X-Amz-Expires") == "600"
    # An expired upload changes nothing.
    assert s3.handle("PUT", _expired(put, signature_version), {}, b"new")[0] == 403
    assert s3.handle("GET", get, {}, b"")[2] == b"uploaded"


def _expired(url: str, signature_version: str) -> str:
    """``url`` as if it had been presigned two hours ago (signatures are not checked)."""
    past = datetime.now(UTC) - timedelta(hours=2)
    if signature_version == "s3v4":
        return _with_query(url, **{"X-Amz-Date": past.strftime("%Y%m%dT%H%M%SZ")})
    return _with_query(url, Expires=str(int(past.timestamp()) + 600))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"X-Amz-Expires": "604801"}, "X-Amz-Expires must be less than a week"),
        ({"X-Amz-Expires": "soon"}, "X-Amz-Expires should be a number"),
        ({"X-Amz-Date": "2026-01-01"}, "X-Amz-Date must be in the ISO8601 Long Format"),
        ({"X-Amz-Expires": None}, "Query-string authentication version 4 requires"),
    ],
)
def test_presigned_url_with_bad_time_parameters(
    s3: S3, connect: Callable[..., Any], changes: dict[str, str | None], message: str
) -> None:
    s3.create_bucket("crl-bucket")
    s3.put_object("crl-bucket", "k", b"x")
    url = _with_query(_presigned(connect, "GET", 600, signature_version="s3v4"), **changes)
    status, _, body = s3.handle("GET", url, {}, b"")
    root = ElementTree.fromstring(body)
    assert (status, root.findtext("Code")) == (400, "AuthorizationQueryParametersError")
    assert root.findtext("Message").startswith(message)


def test_presigned_url_query_headers_act_as_headers(s3: S3, connect: Callable[..., Any]) -> None:
    """SDKs hoist x-amz-* headers into a presigned URL's query (boto3's SigV2 presigner; the JS
    SDK v3's SigV4 one): S3 takes them as the headers they stand for."""
    s3.create_bucket("crl-bucket")
    client = connect("path")
    put = client.generate_presigned_url(
        "put_object",
        Params={"Bucket": "crl-bucket", "Key": "k", "Metadata": {"team": "pki"}},
        ExpiresIn=600,
    )
    assert "x-amz-meta-team=pki" in put
    assert s3.handle("PUT", put, {}, b"body")[0] == 200
    assert client.head_object(Bucket="crl-bucket", Key="k")["Metadata"] == {"team": "pki"}
    # An ACL the bucket refuses (ACLs disabled by default) is refused as the header would be.
    acl = client.generate_presigned_url(
        "put_object", Params={"Bucket": "crl-bucket", "Key": "k2", "ACL": "public-read"}
    )
    status, _, body = s3.handle("PUT", acl, {}, b"body")
    assert (status, _xml_code(body)) == (400, "AccessControlListNotSupported")
    # A SigV4 URL with a hoisted checksum that does not match the body: BadDigest.
    signed = _presigned(connect, "PUT", 600, signature_version="s3v4")
    empty_crc32 = base64.b64encode(zlib.crc32(b"").to_bytes(4, "big")).decode()
    hoisted = _with_query(
        signed,
        **{"x-amz-sdk-checksum-algorithm": "CRC32", "x-amz-checksum-crc32": empty_crc32},
    )
    status, _, body = s3.handle("PUT", hoisted, {}, b"not empty")
    assert (status, _xml_code(body)) == (400, "BadDigest")
    assert client.list_objects_v2(Bucket="crl-bucket")["KeyCount"] == 1  # only "k"


def _xml_code(body: bytes) -> str | None:
    return ElementTree.fromstring(body).findtext("Code")


def test_presigned_url_signed_in_the_future_is_not_yet_valid(
    s3: S3, connect: Callable[..., Any]
) -> None:
    s3.create_bucket("crl-bucket")
    s3.put_object("crl-bucket", "k", b"x")
    url = _presigned(connect, "GET", 600, signature_version="s3v4")
    soon = datetime.now(UTC) + timedelta(minutes=5)  # within S3's 15 minutes of skew
    assert (
        s3.handle(
            "GET", _with_query(url, **{"X-Amz-Date": soon.strftime("%Y%m%dT%H%M%SZ")}), {}, b""
        )[0]
        == 200
    )
    later = datetime.now(UTC) + timedelta(days=2)
    status, _, body = s3.handle(
        "GET", _with_query(url, **{"X-Amz-Date": later.strftime("%Y%m%dT%H%M%SZ")}), {}, b""
    )
    root = ElementTree.fromstring(body)
    assert (status, root.findtext("Code"), root.findtext("Message")) == (
        403,
        "AccessDenied",
        "Request is not yet valid",
    )


def test_the_date_header_is_the_real_clock(s3: S3, clock: Clock) -> None:
    """Sandbox time may run ahead; HTTP Date stays real (SDKs correct their clock skew by it)."""
    clock.moment = datetime.now(UTC) + timedelta(days=2)
    s3.create_bucket("crl-bucket")
    _, headers, _ = s3.handle("GET", "/crl-bucket?list-type=2", {"Host": "h", **S3_SIGNED}, b"")
    served = email.utils.parsedate_to_datetime(headers["Date"])
    assert abs((served - datetime.now(UTC)).total_seconds()) < 60


def test_presigned_url_with_a_content_type(s3: S3, connect: Callable[..., Any]) -> None:
    """boto3's SigV2 presigner puts the signed Content-Type in the query: not a subresource."""
    s3.create_bucket("crl-bucket")
    client = connect("path")
    url = client.generate_presigned_url(
        "put_object", Params={"Bucket": "crl-bucket", "Key": "k", "ContentType": "text/plain"}
    )
    assert "content-type=text%2Fplain" in url
    assert s3.handle("PUT", url, {"Content-Type": "text/plain"}, b"body")[0] == 200
    assert client.head_object(Bucket="crl-bucket", Key="k")["ContentType"] == "text/plain"
