"""GetObjectAcl on the objects acm-pca writes: canned ACLs as grants, as botocore parses them."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from conftest import make_pca_bucket

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def crl_ca(pca, bucket: str, acl: str) -> str:
    """A root CA writing its CRL to ``bucket`` with S3ObjectAcl ``acl``; the CRL's key."""
    config = {
        "CrlConfiguration": {
            "Enabled": True,
            "ExpirationInDays": 7,
            "S3BucketName": bucket,
            "S3ObjectAcl": acl,
        }
    }
    root = pca.create_root_ca(common_name=f"{acl} Root", revocation_configuration=config)
    pca.issue(root, common_name="leaf.example.com")  # the CRL appears with the first leaf
    return f"crl/{root.arn.rsplit('/', 1)[1]}.crl"


def grants(response: dict) -> list[tuple[str, str, str]]:
    return [
        (g["Grantee"]["Type"], g["Grantee"].get("ID") or g["Grantee"].get("URI"), g["Permission"])
        for g in response["Grants"]
    ]


def test_public_read_crl_lists_the_owner_and_all_users(pca):
    bucket = make_pca_bucket(pca, "public-crl-bucket", ObjectOwnership="ObjectWriter")
    pca.s3.delete_public_access_block(Bucket=bucket)
    key = crl_ca(pca, bucket, "PUBLIC_READ")
    acl = pca.s3.get_object_acl(Bucket=bucket, Key=key)
    owner = acl["Owner"]["ID"]
    assert owner == pca.s3.list_buckets()["Owner"]["ID"]
    assert grants(acl) == [
        ("CanonicalUser", owner, "FULL_CONTROL"),
        ("Group", ALL_USERS, "READ"),
    ]


@pytest.mark.parametrize("ownership", ["BucketOwnerEnforced", "ObjectWriter"])
def test_bucket_owner_full_control_crl_is_the_owners_alone(pca, ownership):
    # With ACLs disabled S3 still answers GetObjectAcl, always with the owner's FULL_CONTROL.
    bucket = make_pca_bucket(pca, f"owner-crl-{ownership.lower()}", ObjectOwnership=ownership)
    key = crl_ca(pca, bucket, "BUCKET_OWNER_FULL_CONTROL")
    acl = pca.s3.get_object_acl(Bucket=bucket, Key=key)
    assert grants(acl) == [("CanonicalUser", acl["Owner"]["ID"], "FULL_CONTROL")]


def test_object_acl_of_a_plain_put_and_of_a_missing_key(pca):
    bucket = make_pca_bucket(pca, "later-enforced-bucket", ObjectOwnership="ObjectWriter")
    pca.s3.delete_public_access_block(Bucket=bucket)
    pca.s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read")
    assert len(pca.s3.get_object_acl(Bucket=bucket, Key="k")["Grants"]) == 2
    with pytest.raises(ClientError) as excinfo:
        pca.s3.get_object_acl(Bucket=bucket, Key="missing")
    assert excinfo.value.response["Error"]["Code"] == "NoSuchKey"


def test_object_tagging_reads_as_no_tags(pca):
    """The sandbox stores no object tags; the AWS CLI v2 reads them before a multipart copy."""
    pca.s3.create_bucket(Bucket="tag-bucket")
    pca.s3.put_object(Bucket="tag-bucket", Key="k", Body=b"x")
    assert pca.s3.get_object_tagging(Bucket="tag-bucket", Key="k")["TagSet"] == []
    with pytest.raises(ClientError) as missing:
        pca.s3.get_object_tagging(Bucket="tag-bucket", Key="absent")
    assert missing.value.response["Error"]["Code"] == "NoSuchKey"
