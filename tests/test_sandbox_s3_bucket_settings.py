"""Bucket settings in the sandbox's S3: ACLs, Object Ownership, versioning and encryption, read
through boto3, and acm-pca's CRL writes following a changed Object Ownership."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from conftest import code_of, error_of, make_pca_bucket

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"


@pytest.fixture
def s3(pca) -> Any:
    return pca.sandbox.boto3_session().client(
        "s3", config=Config(retries={"total_max_attempts": 1})
    )


def grants(response: dict) -> list[tuple[str, str, str]]:
    owner = response["Owner"]["ID"]
    return [
        (
            g["Grantee"]["Type"],
            "owner" if g["Grantee"].get("ID") == owner else g["Grantee"].get("URI", "?"),
            g["Permission"],
        )
        for g in response["Grants"]
    ]


OWNER_ONLY = [("CanonicalUser", "owner", "FULL_CONTROL")]


# --- GetBucketAcl / PutBucketAcl -------------------------------------------------------------


def test_a_new_bucket_acl_is_the_owners_full_control(s3):
    s3.create_bucket(Bucket="acl-default")
    acl = s3.get_bucket_acl(Bucket="acl-default")
    assert acl["Owner"]["ID"] == s3.list_buckets()["Owner"]["ID"]
    assert grants(acl) == OWNER_ONLY
    assert code_of(lambda: s3.get_bucket_acl(Bucket="acl-missing")) == "NoSuchBucket"


@pytest.mark.parametrize(
    ("acl", "extra"),
    [
        ("private", []),
        ("public-read", [("Group", ALL_USERS, "READ")]),
        ("public-read-write", [("Group", ALL_USERS, "READ"), ("Group", ALL_USERS, "WRITE")]),
        ("authenticated-read", [("Group", AUTHENTICATED_USERS, "READ")]),
        (
            "log-delivery-write",
            [("Group", LOG_DELIVERY, "WRITE"), ("Group", LOG_DELIVERY, "READ_ACP")],
        ),
        ("bucket-owner-read", []),  # S3 ignores the bucket-owner-* canned ACLs on buckets
    ],
)
def test_put_bucket_acl_stores_a_canned_acl(s3, acl, extra):
    s3.create_bucket(Bucket="acl-writer", ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket="acl-writer")
    s3.put_bucket_acl(Bucket="acl-writer", ACL=acl)
    assert grants(s3.get_bucket_acl(Bucket="acl-writer")) == OWNER_ONLY + extra


def test_create_bucket_acl_is_kept(s3):
    s3.create_bucket(Bucket="acl-created", ACL="log-delivery-write", ObjectOwnership="ObjectWriter")
    assert grants(s3.get_bucket_acl(Bucket="acl-created"))[1:] == [
        ("Group", LOG_DELIVERY, "WRITE"),
        ("Group", LOG_DELIVERY, "READ_ACP"),
    ]


def test_put_bucket_acl_is_refused_while_acls_are_disabled(s3):
    s3.create_bucket(Bucket="acl-enforced")
    for acl in ("private", "public-read"):
        response = error_of(lambda acl=acl: s3.put_bucket_acl(Bucket="acl-enforced", ACL=acl))
        assert response["Error"] == {
            "Code": "AccessControlListNotSupported",
            "Message": "The bucket does not allow ACLs",
        }
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_public_bucket_acl_is_refused_while_block_public_acls(s3):
    s3.create_bucket(Bucket="acl-blocked", ObjectOwnership="ObjectWriter")
    response = error_of(lambda: s3.put_bucket_acl(Bucket="acl-blocked", ACL="public-read"))
    assert response["Error"]["Code"] == "AccessDenied"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert grants(s3.get_bucket_acl(Bucket="acl-blocked")) == OWNER_ONLY
    s3.put_bucket_acl(Bucket="acl-blocked", ACL="private")


def test_put_bucket_acl_without_a_canned_acl(s3):
    s3.create_bucket(Bucket="acl-grants", ObjectOwnership="ObjectWriter")
    missing = error_of(lambda: s3.put_bucket_acl(Bucket="acl-grants"))
    assert missing["Error"]["Code"] == "MissingSecurityHeader"
    grant = error_of(lambda: s3.put_bucket_acl(Bucket="acl-grants", GrantRead=f"uri={ALL_USERS}"))
    assert grant["Error"]["Code"] == "NotImplemented"
    assert "x-amz-grant-read" in grant["Error"]["Message"]
    owner = s3.list_buckets()["Owner"]
    document = error_of(
        lambda: s3.put_bucket_acl(
            Bucket="acl-grants", AccessControlPolicy={"Owner": owner, "Grants": []}
        )
    )
    assert document["Error"]["Code"] == "NotImplemented"


# --- Object Ownership ------------------------------------------------------------------------


def ownership(s3, bucket: str) -> str:
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    return rules[0]["ObjectOwnership"]


def test_ownership_controls_lifecycle(s3):
    s3.create_bucket(Bucket="own-bucket")
    assert ownership(s3, "own-bucket") == "BucketOwnerEnforced"
    for setting in ("BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"):
        s3.put_bucket_ownership_controls(
            Bucket="own-bucket",
            OwnershipControls={"Rules": [{"ObjectOwnership": setting}]},
        )
        assert ownership(s3, "own-bucket") == setting
    s3.delete_bucket_ownership_controls(Bucket="own-bucket")
    response = error_of(lambda: s3.get_bucket_ownership_controls(Bucket="own-bucket"))
    assert response["Error"]["Code"] == "OwnershipControlsNotFoundError"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    # without the setting, ACLs work as they did before it existed
    s3.put_bucket_acl(Bucket="own-bucket", ACL="private")
    s3.put_object(Bucket="own-bucket", Key="k", Body=b"", ACL="bucket-owner-read")


def test_acls_follow_the_changed_setting(s3):
    s3.create_bucket(Bucket="own-switch", ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket="own-switch")
    s3.put_object(Bucket="own-switch", Key="k", Body=b"", ACL="public-read")
    assert len(s3.get_object_acl(Bucket="own-switch", Key="k")["Grants"]) == 2
    s3.put_bucket_ownership_controls(
        Bucket="own-switch",
        OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    )
    # object ACLs do not stop the switch; they stop counting
    assert len(s3.get_object_acl(Bucket="own-switch", Key="k")["Grants"]) == 1
    refused = lambda: s3.put_object(  # noqa: E731
        Bucket="own-switch", Key="k", Body=b"", ACL="public-read"
    )
    assert code_of(refused) == "AccessControlListNotSupported"


def test_enforced_is_refused_while_the_bucket_acl_grants_others(s3):
    s3.create_bucket(Bucket="own-public", ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket="own-public")
    s3.put_bucket_acl(Bucket="own-public", ACL="public-read")
    enforce = lambda: s3.put_bucket_ownership_controls(  # noqa: E731
        Bucket="own-public",
        OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    )
    response = error_of(enforce)
    assert response["Error"]["Code"] == "InvalidBucketAclWithObjectOwnership"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert ownership(s3, "own-public") == "ObjectWriter"
    s3.put_bucket_acl(Bucket="own-public", ACL="private")
    enforce()
    assert ownership(s3, "own-public") == "BucketOwnerEnforced"


def test_malformed_ownership_controls(pca, s3):
    s3.create_bucket(Bucket="own-malformed")
    bad = error_of(
        lambda: s3.put_bucket_ownership_controls(
            Bucket="own-malformed", OwnershipControls={"Rules": [{"ObjectOwnership": "Nobody"}]}
        )
    )
    assert bad["Error"]["Code"] == "MalformedXML"
    two = error_of(
        lambda: s3.put_bucket_ownership_controls(
            Bucket="own-malformed",
            OwnershipControls={
                "Rules": [{"ObjectOwnership": "ObjectWriter"}, {"ObjectOwnership": "ObjectWriter"}]
            },
        )
    )
    assert two["Error"]["Code"] == "MalformedXML"
    assert ownership(s3, "own-malformed") == "BucketOwnerEnforced"


def test_acm_pca_crl_writes_follow_the_changed_ownership(pca, s3):
    bucket = make_pca_bucket(pca, "own-crl-bucket")
    config = {
        "CrlConfiguration": {
            "Enabled": True,
            "ExpirationInDays": 7,
            "S3BucketName": bucket,
            "S3ObjectAcl": "PUBLIC_READ",
        }
    }
    # ACLs disabled (the default): AWS refuses a PUBLIC_READ CRL bucket
    assert code_of(
        lambda: pca.create_root_ca(common_name="Refused Root", revocation_configuration=config)
    ) == ("ValidationException")
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    s3.delete_public_access_block(Bucket=bucket)
    root = pca.create_root_ca(common_name="Public Root", revocation_configuration=config)
    pca.issue(root, common_name="leaf.example.com")
    key = f"crl/{root.arn.rsplit('/', 1)[1]}.crl"
    assert grants(s3.get_object_acl(Bucket=bucket, Key=key)) == [
        *OWNER_ONLY,
        ("Group", ALL_USERS, "READ"),
    ]


# --- versioning and encryption ---------------------------------------------------------------


def test_versioning_reads_as_never_enabled_and_cannot_be_set(s3):
    s3.create_bucket(Bucket="ver-bucket")
    answer = s3.get_bucket_versioning(Bucket="ver-bucket")
    assert "Status" not in answer and "MFADelete" not in answer
    response = error_of(
        lambda: s3.put_bucket_versioning(
            Bucket="ver-bucket", VersioningConfiguration={"Status": "Enabled"}
        )
    )
    assert response["Error"]["Code"] == "NotImplemented"
    assert "buckets stay unversioned" in response["Error"]["Message"]
    assert code_of(lambda: s3.get_bucket_versioning(Bucket="ver-missing")) == "NoSuchBucket"


def test_every_bucket_is_encrypted_with_sse_s3(s3):
    s3.create_bucket(Bucket="enc-bucket")
    rules = s3.get_bucket_encryption(Bucket="enc-bucket")["ServerSideEncryptionConfiguration"]
    assert rules["Rules"] == [
        {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
            "BucketKeyEnabled": False,
        }
    ]
    assert code_of(lambda: s3.get_bucket_encryption(Bucket="enc-missing")) == "NoSuchBucket"
