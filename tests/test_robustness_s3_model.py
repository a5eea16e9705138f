"""Random S3 requests for every S3 operation the sandbox emulates, built from botocore's S3 model
and sent by a boto3 client (so they are the REST-XML requests real SDKs make).

Every answer is a success or an S3 error that botocore parses (a code, never a 500), and the
bucket store is left sound: what a later ListObjectsV2 lists can be read back.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    FlexibleChecksumError,
    MissingDependencyException,
    ParamValidationError,
)
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from model_strategies import from_shape

OPERATIONS = [
    "ListBuckets", "CreateBucket", "HeadBucket", "GetBucketLocation", "DeleteBucket",
    "PutBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy", "PutPublicAccessBlock",
    "GetPublicAccessBlock", "DeletePublicAccessBlock", "ListObjectsV2", "ListObjects",
    "PutObject", "GetObject", "HeadObject", "DeleteObject", "PutObjectAcl", "GetObjectAcl",
    "GetObjectTagging", "CopyObject", "CreateMultipartUpload", "UploadPart", "UploadPartCopy",
    "CompleteMultipartUpload", "AbortMultipartUpload", "ListParts", "ListMultipartUploads",
    "DeleteObjects", "GetBucketAcl", "PutBucketAcl", "GetBucketOwnershipControls",
    "PutBucketOwnershipControls", "DeleteBucketOwnershipControls", "GetBucketVersioning",
    "GetBucketEncryption",
]  # fmt: skip
BUCKETS = ["fuzz-bucket", "fuzz-other", "missing-bucket", "Bad_Bucket", "xn--bucket", "ab"]
KEYS = ["a", "a/b.txt", "crl/x.crl", "", "ü/ñ", "../up", "k" * 300, "sp ace", "a//b"]
POLICIES = [
    json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "acm-pca.amazonaws.com"},
                    "Action": ["s3:PutObject", "s3:GetBucketAcl", "s3:GetBucketLocation"],
                    "Resource": ["arn:aws:s3:::fuzz-bucket", "arn:aws:s3:::fuzz-bucket/*"],
                }
            ],
        }
    ),
    json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                         "Action": "s3:GetObject",
                                                         "Resource": "arn:aws:s3:::fuzz-bucket/*"}]}),
    "{}",
    "not json",
]  # fmt: skip


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    import pcanb

    pca = pcanb.sandbox(tmp_path_factory.mktemp("s3model") / "sandbox")
    client = pca.sandbox.boto3_session().client(
        "s3", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1})
    )
    client.create_bucket(Bucket="fuzz-bucket")
    client.put_object(Bucket="fuzz-bucket", Key="a/b.txt", Body=b"hello")
    yield client
    pca.sandbox.close()


def _leaf(shape, name: str) -> st.SearchStrategy | None:
    """Scalars (and user metadata) of S3 requests: the buckets, keys and policies to aim at."""
    kind = shape.type_name
    if name == "Bucket":
        return st.sampled_from(BUCKETS)
    if name == "Key":
        return st.sampled_from(KEYS)
    if name == "Policy":
        return st.sampled_from(POLICIES)
    if kind == "map":  # user metadata: header-safe names and values
        return st.dictionaries(
            st.text("abcxyz-", min_size=1, max_size=8), st.text("abc 123", max_size=12), max_size=2
        )
    if kind == "string":
        if shape.enum:
            return st.sampled_from(list(shape.enum))
        return st.text(st.characters(codec="ascii", exclude_categories=["Cc"]), max_size=20)
    if kind == "blob":
        return st.binary(max_size=64)
    if kind in ("integer", "long"):
        return st.integers(min_value=-2, max_value=2000)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.datetimes(
            min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1),
            timezones=st.just(dt.UTC),
        )  # fmt: skip
    return None


@st.composite
def s3_requests(draw, client):
    operation = draw(st.sampled_from(OPERATIONS))
    model = client.meta.service_model.operation_model(operation)
    shape = model.input_shape
    params = draw(from_shape(shape, _leaf)) if shape is not None else {}
    return operation, params


def _method(client, operation: str):
    name = client.meta.method_to_api_mapping
    return getattr(client, {v: k for k, v in name.items()}[operation])


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_s3_requests_get_a_result_or_a_parsed_s3_error(s3, data):
    operation, params = data.draw(s3_requests(s3))
    call = _method(s3, operation)
    try:
        answer = call(**params)
    except (ParamValidationError, MissingDependencyException, FlexibleChecksumError):
        assume(False)  # botocore refused it client-side: nothing reached the sandbox
    except ClientError as error:
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        code = error.response["Error"]["Code"]
        event(f"{operation}: {code}")
        assert status != 500 and code not in ("InternalError", "500"), error.response
        assert code, error.response
        return
    event(f"{operation}: OK")
    status = answer["ResponseMetadata"]["HTTPStatusCode"]
    assert 200 <= status < 300, answer
    if "Body" in answer:
        answer["Body"].read()


def test_what_is_listed_can_be_read_after_the_random_requests(s3):
    for bucket in s3.list_buckets()["Buckets"]:
        name = bucket["Name"]
        try:
            listed = s3.list_objects_v2(Bucket=name).get("Contents", [])
        except ClientError:
            continue
        for item in listed:
            body = s3.get_object(Bucket=name, Key=item["Key"])["Body"].read()
            assert len(body) == item["Size"]
