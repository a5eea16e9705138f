"""S3 Block Public Access in the sandbox's S3, driven through the sandbox session's boto3 client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import S3_SIGNED

import pcanb
from pcanb.aws.buckets import pca_bucket_policy
from pcanb.sandbox import s3_public_access as bpa

ALL_ON = dict.fromkeys(bpa.FIELDS, True)
ALL_OFF = dict.fromkeys(bpa.FIELDS, False)
PUBLIC_READ_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::open-bucket/*",
        }
    ],
}


def error_of(call) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response


def access_denied(response: dict[str, Any]) -> bool:
    return (
        response["Error"]["Code"] == "AccessDenied"
        and response["Error"]["Message"] == "Access Denied"
        and response["ResponseMetadata"]["HTTPStatusCode"] == 403
    )


def settings(s3, bucket: str) -> dict[str, bool]:
    return s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]


def test_new_buckets_block_all_public_access(pca):
    pca.s3.create_bucket(Bucket="fresh-bucket")
    assert settings(pca.s3, "fresh-bucket") == ALL_ON
    assert pca.sandbox.s3.public_access_block("fresh-bucket") == ALL_ON


def test_put_get_delete_public_access_block(pca):
    s3 = pca.s3
    s3.create_bucket(Bucket="pab-bucket")
    put = s3.put_public_access_block(
        Bucket="pab-bucket", PublicAccessBlockConfiguration={"BlockPublicAcls": True}
    )
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    # settings left out of the document are off
    assert settings(s3, "pab-bucket") == {**ALL_OFF, "BlockPublicAcls": True}
    s3.put_public_access_block(Bucket="pab-bucket", PublicAccessBlockConfiguration=ALL_OFF)
    assert settings(s3, "pab-bucket") == ALL_OFF
    deleted = s3.delete_public_access_block(Bucket="pab-bucket")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    response = error_of(lambda: s3.get_public_access_block(Bucket="pab-bucket"))
    assert response["Error"] == {
        "Code": "NoSuchPublicAccessBlockConfiguration",
        "Message": "The public access block configuration was not found",
        "BucketName": "pab-bucket",
    }
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    s3.delete_public_access_block(Bucket="pab-bucket")  # deleting nothing is fine
    for call in (
        lambda: s3.get_public_access_block(Bucket="no-such-bucket"),
        lambda: s3.delete_public_access_block(Bucket="no-such-bucket"),
        lambda: s3.put_public_access_block(
            Bucket="no-such-bucket", PublicAccessBlockConfiguration=ALL_ON
        ),
    ):
        assert error_of(call)["Error"]["Code"] == "NoSuchBucket"


def test_public_access_block_survives_reopening(tmp_path):
    first = pcanb.sandbox(tmp_path / "box")
    first.s3.create_bucket(Bucket="kept-bucket")
    first.s3.put_public_access_block(
        Bucket="kept-bucket", PublicAccessBlockConfiguration={"IgnorePublicAcls": True}
    )
    first.sandbox.close()
    again = pcanb.sandbox(tmp_path / "box")
    try:
        assert settings(again.s3, "kept-bucket") == {**ALL_OFF, "IgnorePublicAcls": True}
    finally:
        again.sandbox.close()


@pytest.mark.parametrize(
    "document",
    [
        b"<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls>"
        b"</PublicAccessBlockConfiguration>",
        b"<PublicAccessBlockConfiguration><BlockEverything>true</BlockEverything>"
        b"</PublicAccessBlockConfiguration>",
        b"<OwnershipControls/>",
        b"not xml",
    ],
    ids=["not-a-boolean", "unknown-setting", "wrong-root", "not-xml"],
)
def test_malformed_public_access_block_is_refused(pca, document):
    pca.s3.create_bucket(Bucket="pab-bucket")
    status, _, body = pca.sandbox.handle(
        "PUT",
        "https://s3.us-east-1.amazonaws.com/pab-bucket?publicAccessBlock",
        S3_SIGNED,
        document,
    )
    assert status == 400
    assert b"<Code>MalformedXML</Code>" in body
    assert settings(pca.s3, "pab-bucket") == ALL_ON


@pytest.mark.parametrize("acl", ["public-read", "public-read-write", "authenticated-read"])
def test_block_public_acls_refuses_public_object_acls(pca, acl):
    s3 = pca.s3
    s3.create_bucket(Bucket="acl-bucket", ObjectOwnership="ObjectWriter")
    assert access_denied(
        error_of(lambda: s3.put_object(Bucket="acl-bucket", Key="k", Body=b"x", ACL=acl))
    )
    assert "Contents" not in s3.list_objects_v2(Bucket="acl-bucket")  # nothing was written
    for private in ("private", "bucket-owner-full-control", "bucket-owner-read"):
        s3.put_object(Bucket="acl-bucket", Key="k", Body=b"x", ACL=private)
    assert access_denied(error_of(lambda: s3.put_object_acl(Bucket="acl-bucket", Key="k", ACL=acl)))
    s3.put_object_acl(Bucket="acl-bucket", Key="k", ACL="private")
    # IgnorePublicAcls alone does not refuse public ACLs; BlockPublicAcls does
    s3.put_public_access_block(
        Bucket="acl-bucket", PublicAccessBlockConfiguration={"IgnorePublicAcls": True}
    )
    s3.put_object(Bucket="acl-bucket", Key="k", Body=b"x", ACL=acl)
    s3.put_object_acl(Bucket="acl-bucket", Key="k", ACL=acl)


def test_acls_disabled_answers_before_block_public_access(pca):
    """A new bucket both disables ACLs and blocks public ones: S3 names the ACL problem first."""
    pca.s3.create_bucket(Bucket="new-bucket")
    response = error_of(
        lambda: pca.s3.put_object(Bucket="new-bucket", Key="k", Body=b"", ACL="public-read")
    )
    assert response["Error"]["Code"] == "AccessControlListNotSupported"
    pca.s3.put_object(Bucket="new-bucket", Key="k", Body=b"")
    response = error_of(
        lambda: pca.s3.put_object_acl(Bucket="new-bucket", Key="k", ACL="public-read")
    )
    assert response["Error"]["Code"] == "AccessControlListNotSupported"


def test_put_object_acl_needs_the_object_and_an_acl(pca):
    pca.s3.create_bucket(Bucket="acl-bucket", ObjectOwnership="ObjectWriter")
    response = error_of(
        lambda: pca.s3.put_object_acl(Bucket="acl-bucket", Key="missing", ACL="private")
    )
    assert response["Error"]["Code"] == "NoSuchKey"
    pca.s3.put_object(Bucket="acl-bucket", Key="k", Body=b"")
    status, _, body = pca.sandbox.handle(
        "PUT", "https://s3.us-east-1.amazonaws.com/acl-bucket/k?acl", S3_SIGNED, b""
    )
    assert (status, b"<Code>MissingSecurityHeader</Code>" in body) == (400, True)


def test_create_bucket_with_a_public_acl_is_refused(pca):
    response = error_of(
        lambda: pca.s3.create_bucket(
            Bucket="open-bucket", ACL="public-read", ObjectOwnership="ObjectWriter"
        )
    )
    assert access_denied(response)
    assert "open-bucket" not in [b["Name"] for b in pca.s3.list_buckets()["Buckets"]]


@pytest.mark.parametrize(
    ("statement", "public"),
    [
        ({"Principal": "*"}, True),
        ({"Principal": {"AWS": "*"}}, True),
        ({"Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"]}}, True),
        ({"Principal": {"Service": "acm-pca.amazonaws.com"}}, False),
        ({"Principal": {"AWS": "arn:aws:iam::111122223333:root"}}, False),
        (
            {
                "Principal": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}},
            },
            False,
        ),
        (
            {"Principal": "*", "Condition": {"StringLike": {"aws:SourceArn": "arn:aws:*"}}},
            True,
        ),
        ({"Principal": "*", "Condition": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}}, True),
        ({"Principal": "*", "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}}, False),
        ({"Principal": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}, True),
        ({"Principal": "*", "Effect": "Deny"}, False),
    ],
    ids=[
        "star",
        "aws-star",
        "aws-list-with-star",
        "service",
        "account",
        "narrowed-by-source-account",
        "wildcard-source-arn",
        "any-ip",
        "one-network",
        "secure-transport-only",
        "deny",
    ],
)
def test_what_counts_as_a_public_policy(statement, public):
    body = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    policy = {"Version": "2012-10-17", "Statement": [{**body, **statement}]}
    assert bpa.is_public_policy(json.dumps(policy)) is public


def test_block_public_policy_refuses_public_bucket_policies(pca):
    s3 = pca.s3
    s3.create_bucket(Bucket="open-bucket")
    text = json.dumps(PUBLIC_READ_POLICY)
    assert access_denied(error_of(lambda: s3.put_bucket_policy(Bucket="open-bucket", Policy=text)))
    assert error_of(lambda: s3.get_bucket_policy(Bucket="open-bucket"))["Error"]["Code"] == (
        "NoSuchBucketPolicy"
    )
    # the documented acm-pca policy is not public, so a new bucket takes it
    service = json.dumps(pca_bucket_policy("open-bucket"))
    s3.put_bucket_policy(Bucket="open-bucket", Policy=service)
    assert access_denied(error_of(lambda: s3.put_bucket_policy(Bucket="open-bucket", Policy=text)))
    assert s3.get_bucket_policy(Bucket="open-bucket")["Policy"] == service  # unchanged
    s3.put_public_access_block(
        Bucket="open-bucket", PublicAccessBlockConfiguration={**ALL_ON, "BlockPublicPolicy": False}
    )
    s3.put_bucket_policy(Bucket="open-bucket", Policy=text)
    assert json.loads(s3.get_bucket_policy(Bucket="open-bucket")["Policy"]) == PUBLIC_READ_POLICY
