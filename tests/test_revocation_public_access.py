"""CRL buckets with S3 Block Public Access: what AWS Private CA answers, and what it still writes."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from conftest import EC_CA, make_pca_bucket
from cryptography import x509

AWS_MESSAGE = (
    "Permission error with your S3 bucket '{bucket}'. Check that your bucket policy, encryption "
    "settings, S3 Block Public Access settings, and global account permissions are configured "
    "correctly. For more information, check the service documentation."
)


def crl_config(bucket: str, acl: str | None = None, days: int = 7) -> dict:
    crl = {"Enabled": True, "ExpirationInDays": days, "S3BucketName": bucket}
    if acl is not None:
        crl["S3ObjectAcl"] = acl
    return {"CrlConfiguration": crl}


def acl_bucket(pca, name: str, **block: bool) -> str:
    """A bucket with ACLs enabled whose Block Public Access is ``block`` (none if empty)."""
    make_pca_bucket(pca, name, ObjectOwnership="ObjectWriter")
    pca.s3.delete_public_access_block(Bucket=name)
    if block:
        pca.s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
    return name


def client_error(call) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value


def create_root(pca, config: dict) -> str:
    return pca.client.create_certificate_authority(
        CertificateAuthorityConfiguration=EC_CA,
        CertificateAuthorityType="ROOT",
        RevocationConfiguration=config,
    )["CertificateAuthorityArn"]


def object_keys(pca, bucket: str) -> set[str]:
    return {o["Key"] for o in pca.s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def crl_number(pca, bucket: str, ca) -> int:
    body = pca.s3.get_object(Bucket=bucket, Key=f"crl/{ca.ca_id}.crl")["Body"].read()
    crl = x509.load_der_x509_crl(body)
    return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number


@pytest.mark.parametrize("acl", ["PUBLIC_READ", None], ids=["explicit", "default"])
@pytest.mark.parametrize(
    "block",
    [{"BlockPublicAcls": True}, {"BlockPublicAcls": True, "IgnorePublicAcls": True}],
    ids=["block-acls", "block-and-ignore"],
)
def test_create_with_public_read_on_a_bucket_blocking_public_acls(pca, acl, block):
    bucket = acl_bucket(pca, "blocked-crl", **block)
    error = client_error(lambda: create_root(pca, crl_config(bucket, acl)))
    assert error.response["Error"]["Code"] == "ValidationException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    message = error.response["Error"]["Message"]
    assert message.startswith(AWS_MESSAGE.format(bucket=bucket))
    assert "Block Public Access" in message and "BUCKET_OWNER_FULL_CONTROL" in message
    # nothing changed: no CA, and the refused probe object was not written
    assert pca.client.list_certificate_authorities()["CertificateAuthorities"] == []
    assert object_keys(pca, bucket) == set()


def test_public_read_works_once_public_acls_are_allowed(pca):
    bucket = acl_bucket(pca, "open-crl", IgnorePublicAcls=True, RestrictPublicBuckets=True)
    arn = create_root(pca, crl_config(bucket, "PUBLIC_READ"))
    assert arn.startswith("arn:aws:acm-pca:")
    assert object_keys(pca, bucket) == {"acm-pca-permission-test-key"}


def test_bucket_owner_full_control_works_on_a_new_bucket(pca):
    bucket = make_pca_bucket(pca, "default-crl")  # ACLs disabled, all public access blocked
    create_root(pca, crl_config(bucket, "BUCKET_OWNER_FULL_CONTROL"))
    assert object_keys(pca, bucket) == {"acm-pca-permission-test-key"}


def test_update_to_public_read_is_refused_and_changes_nothing(pca):
    bucket = acl_bucket(pca, "blocked-crl", BlockPublicAcls=True)
    root = pca.create_root_ca(
        common_name="Update Root",
        revocation_configuration=crl_config(bucket, "BUCKET_OWNER_FULL_CONTROL"),
    )
    before = pca.client.describe_certificate_authority(CertificateAuthorityArn=root.arn)
    error = client_error(
        lambda: pca.client.update_certificate_authority(
            CertificateAuthorityArn=root.arn,
            RevocationConfiguration=crl_config(bucket, "PUBLIC_READ"),
            Status="DISABLED",
        )
    )
    assert error.response["Error"]["Code"] == "ValidationException"
    after = pca.client.describe_certificate_authority(CertificateAuthorityArn=root.arn)
    assert after["CertificateAuthority"] == before["CertificateAuthority"]
    assert after["CertificateAuthority"]["Status"] == "ACTIVE"


def test_crl_regeneration_waits_while_the_bucket_blocks_public_acls(pca):
    bucket = acl_bucket(pca, "open-crl")
    root = pca.create_root_ca(
        common_name="Regen Root", revocation_configuration=crl_config(bucket, "PUBLIC_READ", 2)
    )
    pca.issue(root, common_name="svc.example.com")  # the first CDP certificate writes the CRL
    first = crl_number(pca, bucket, root)
    pca.s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicAcls": True}
    )
    pca.sandbox.advance(days=1, minutes=1)  # past the midpoint: AWS regenerates, S3 refuses
    pca.client.list_certificate_authorities()
    assert crl_number(pca, bucket, root) == first
    pca.s3.delete_public_access_block(Bucket=bucket)
    pca.sandbox.advance(minutes=15)  # the retry, 15 minutes later, succeeds
    pca.client.list_certificate_authorities()
    assert crl_number(pca, bucket, root) > first


def test_revocation_needs_the_crl_bucket_to_accept_the_acl(pca):
    bucket = acl_bucket(pca, "open-crl")
    root = pca.create_root_ca(
        common_name="Revoke Root", revocation_configuration=crl_config(bucket, "PUBLIC_READ")
    )
    cert = pca.issue(root, common_name="svc.example.com")
    pca.s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicAcls": True}
    )

    def revoke():
        pca.client.revoke_certificate(
            CertificateAuthorityArn=root.arn,
            CertificateSerial=cert.serial_hex,
            RevocationReason="KEY_COMPROMISE",
        )

    assert client_error(revoke).response["Error"]["Code"] == "ValidationException"
    pca.s3.delete_public_access_block(Bucket=bucket)
    revoke()  # the refused revocation left no trace: this one is the first
    body = pca.s3.get_object(Bucket=bucket, Key=f"crl/{root.ca_id}.crl")["Body"].read()
    assert x509.load_der_x509_crl(body).get_revoked_certificate_by_serial_number(cert.serial)


def test_audit_reports_are_written_to_a_bucket_blocking_public_access(pca):
    bucket = make_pca_bucket(pca, "audit-bucket")  # the new-bucket defaults
    root = pca.create_root_ca(common_name="Audit Root")
    report = pca.client.create_certificate_authority_audit_report(
        CertificateAuthorityArn=root.arn, S3BucketName=bucket, AuditReportResponseFormat="JSON"
    )
    status = pca.client.describe_certificate_authority_audit_report(
        CertificateAuthorityArn=root.arn, AuditReportId=report["AuditReportId"]
    )["AuditReportStatus"]
    assert status == "SUCCESS"
    assert report["S3Key"] in object_keys(pca, bucket)
