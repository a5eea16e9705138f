"""Count quotas as sandbox settings: CAs per Region, certificates and revocations per CA.

Each quota is set small, filled through boto3, and the call past it must answer
LimitExceededException naming the quota, with nothing written: no certificate (the audit report
lists what a CA issued), no revocation, no CRL change, and no count kept of the refused call.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import crl_revocation, ec_csr_pem, error_code, make_pca_bucket
from cryptography import x509
from test_lifecycle_support import (  # noqa: F401 (fixtures)
    create_ca,
    fresh_pca,
    lifecycle_session,
    new_root,
)

import pcanb
from pcanb.sandbox.engine import DEFAULT_SETTINGS

BUCKET = "quota-bucket"
CRL_ON = crl_revocation(BUCKET, ocsp=False)


def _once(pca):
    """A client that does not retry (botocore retries LimitExceededException)."""
    return pca.session.client(
        "acm-pca", region_name=pca.region, config=Config(retries={"total_max_attempts": 1})
    )


def _issue(client, ca_arn: str, **extra) -> str:
    return client.issue_certificate(
        CertificateAuthorityArn=ca_arn,
        Csr=ec_csr_pem(),
        SigningAlgorithm="SHA256WITHECDSA",
        Validity={"Type": "DAYS", "Value": 30},
        **extra,
    )["CertificateArn"]


def _limit_exceeded(call, *words: str) -> str:
    with pytest.raises(ClientError) as excinfo:
        call()
    assert error_code(excinfo) == "LimitExceededException"
    message = excinfo.value.response["Error"]["Message"]
    for word in words:
        assert word in message, message
    return message


def _audit_rows(pca, ca_arn: str) -> list[dict]:
    """The CA's audit report: every certificate it issued, with revokedAt when revoked."""
    if BUCKET not in {b["Name"] for b in pca.s3.list_buckets().get("Buckets", [])}:
        make_pca_bucket(pca, BUCKET)
    report = pca.client.create_certificate_authority_audit_report(
        CertificateAuthorityArn=ca_arn, S3BucketName=BUCKET, AuditReportResponseFormat="JSON"
    )
    body = pca.s3.get_object(Bucket=BUCKET, Key=report["S3Key"])["Body"].read()
    return json.loads(body)


def _serial(certificate_arn: str) -> str:
    return certificate_arn.rsplit("/", 1)[1]


# -- settings ---------------------------------------------------------------------------------


def test_quota_defaults_are_awss(pca):
    settings = pca.sandbox.configure()
    assert settings["max_certificate_authorities"] == 200
    assert settings["max_certificates_per_ca"] == 1_000_000
    assert settings["max_certificates_per_ca_partitioned"] == 100_000_000
    assert settings["max_revocations_per_ca"] == 1_000_000
    assert settings["creation_failure"] == ""
    assert set(settings) == set(DEFAULT_SETTINGS)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_certificates_per_ca", 2.5),
        ("max_certificates_per_ca", -1),
        ("max_certificates_per_ca", True),
        ("max_certificates_per_ca", "3"),
        ("max_revocations_per_ca", None),
        ("creation_delay", "soon"),
        ("creation_failure", "DISK_FULL"),
        ("creation_failure", 1),
    ],
)
def test_a_setting_of_the_wrong_kind_is_refused_and_changes_nothing(pca, name, value):
    before = pca.sandbox.configure()
    with pytest.raises(ValueError, match=name):
        pca.sandbox.configure(max_certificate_authorities=7, **{name: value})
    assert pca.sandbox.configure() == before


def test_whole_floats_are_counts_and_numbers_stay_floats(pca):
    settings = pca.sandbox.configure(max_certificates_per_ca=5.0, crl_delay=2)
    assert settings["max_certificates_per_ca"] == 5
    assert isinstance(settings["max_certificates_per_ca"], int)
    assert settings["crl_delay"] == 2.0
    assert isinstance(settings["crl_delay"], float)


def test_quota_settings_are_shared_by_every_process_on_the_sandbox(tmp_path):
    first = pcanb.sandbox(tmp_path / "shared")
    try:
        root = new_root(first.client)
        first.sandbox.configure(max_certificates_per_ca=2)
        second = pcanb.sandbox(tmp_path / "shared")
        try:
            assert second.sandbox.configure()["max_certificates_per_ca"] == 2
            _issue(second.client, root)  # the root certificate was the first
            _limit_exceeded(lambda: _issue(_once(second), root), "quota of 2")
        finally:
            second.sandbox.close()
    finally:
        first.sandbox.close()


# -- CAs per Region ---------------------------------------------------------------------------


def test_the_ca_quota_is_a_setting(pca, client):
    pca.sandbox.configure(max_certificate_authorities=3, creation_delay=60)
    arns = [create_ca(client) for _ in range(3)]
    once = _once(pca)
    _limit_exceeded(lambda: create_ca(once), "quota of 3", "Number of private CAs")
    listed = client.list_certificate_authorities()["CertificateAuthorities"]
    assert [ca["Arn"] for ca in listed] == arns
    # A CA still CREATING is deleted at once and frees its place.
    client.delete_certificate_authority(CertificateAuthorityArn=arns[0])
    create_ca(once)
    _limit_exceeded(lambda: create_ca(once), "quota of 3")


def test_raising_the_ca_quota_lets_creation_go_on(pca, client):
    pca.sandbox.configure(max_certificate_authorities=1)
    create_ca(client)
    _limit_exceeded(lambda: create_ca(_once(pca)), "quota of 1")
    pca.sandbox.configure(max_certificate_authorities=2)
    create_ca(client)
    assert len(client.list_certificate_authorities()["CertificateAuthorities"]) == 2


# -- certificates per CA ----------------------------------------------------------------------


def test_the_fourth_certificate_past_a_quota_of_three_is_refused_and_not_written(pca, client):
    root = new_root(client)  # its own certificate is the first it issued
    pca.sandbox.configure(max_certificates_per_ca=3)
    issued = [_issue(client, root), _issue(client, root)]
    message = _limit_exceeded(
        lambda: _issue(_once(pca), root), "quota of 3", "Private certificates per CA (lifetime)"
    )
    assert root in message
    rows = _audit_rows(pca, root)
    assert len(rows) == 3
    assert {row["certificateArn"] for row in rows} >= set(issued)
    # The refused call left no count behind: one more place is exactly one more certificate.
    pca.sandbox.configure(max_certificates_per_ca=4)
    _issue(client, root)
    _limit_exceeded(lambda: _issue(_once(pca), root), "quota of 4")


def test_the_certificate_quota_is_per_ca(pca, client):
    first, second = new_root(client), new_root(client)
    pca.sandbox.configure(max_certificates_per_ca=2)
    _issue(client, first)
    _limit_exceeded(lambda: _issue(_once(pca), first), "quota of 2")
    _issue(client, second)


def test_an_idempotent_repeat_at_the_quota_returns_the_certificate(pca, client):
    root = new_root(client)
    pca.sandbox.configure(max_certificates_per_ca=2)
    arn = _issue(client, root, IdempotencyToken="once")
    assert _issue(_once(pca), root, IdempotencyToken="once") == arn
    _limit_exceeded(lambda: _issue(_once(pca), root, IdempotencyToken="twice"), "quota of 2")


def test_the_quota_counts_the_lifetime_not_the_unexpired(pca, client):
    root = new_root(client)
    pca.sandbox.configure(max_certificates_per_ca=2)
    _issue(client, root)
    pca.sandbox.advance(days=40)  # every leaf (30 days) has expired
    _limit_exceeded(lambda: _issue(_once(pca), root), "quota of 2")


def test_partitioned_crls_have_their_own_certificate_quota(pca, client):
    make_pca_bucket(pca, BUCKET)
    partitioned = {"CrlConfiguration": {**CRL_ON["CrlConfiguration"], "CrlType": "PARTITIONED"}}
    root = new_root(client, RevocationConfiguration=partitioned)
    complete = new_root(client, RevocationConfiguration=CRL_ON)
    pca.sandbox.configure(max_certificates_per_ca=1, max_certificates_per_ca_partitioned=3)
    _issue(client, root)
    _issue(client, root)
    _limit_exceeded(
        lambda: _issue(_once(pca), root), "quota of 3", "Private certificates per CA (lifetime, "
    )
    _limit_exceeded(lambda: _issue(_once(pca), complete), "quota of 1")


def test_counts_are_rebuilt_for_a_sandbox_made_before_counting(tmp_path):
    path = tmp_path / "old"
    pca = pcanb.sandbox(path)
    root = new_root(pca.client)
    _issue(pca.client, root)
    pca.sandbox.close()
    with sqlite3.connect(path / "sandbox.sqlite3") as db:  # as an older sandbox had it
        db.execute("DROP TABLE ca_counters")
    pca = pcanb.sandbox(path)
    try:
        pca.sandbox.configure(max_certificates_per_ca=3)
        _issue(pca.client, root)
        _limit_exceeded(lambda: _issue(_once(pca), root), "quota of 3")
    finally:
        pca.sandbox.close()


# -- revocations per CA -----------------------------------------------------------------------


def _revoke(client, ca_arn: str, certificate_arn: str) -> None:
    client.revoke_certificate(
        CertificateAuthorityArn=ca_arn,
        CertificateSerial=_serial(certificate_arn),
        RevocationReason="KEY_COMPROMISE",
    )


def _crl(pca, ca_arn: str) -> bytes:
    key = f"crl/{ca_arn.rsplit('/', 1)[1]}.crl"
    return pca.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_the_fourth_revocation_past_a_quota_of_three_is_refused_and_changes_nothing(pca, client):
    make_pca_bucket(pca, BUCKET)
    root = new_root(client, RevocationConfiguration=CRL_ON)
    leaves = [_issue(client, root) for _ in range(4)]
    pca.sandbox.configure(max_revocations_per_ca=3)
    for arn in leaves[:3]:
        _revoke(client, root, arn)
    crl_before = _crl(pca, root)
    assert len(x509.load_der_x509_crl(crl_before)) == 3
    pca.sandbox.advance(hours=1)  # a CRL written now would differ (thisUpdate)
    message = _limit_exceeded(
        lambda: _revoke(_once(pca), root, leaves[3]),
        "quota of 3",
        "Revoked certificates per CA (complete CRLs)",
    )
    assert root in message
    assert _crl(pca, root) == crl_before
    revoked = {row["certificateArn"] for row in _audit_rows(pca, root) if "revokedAt" in row}
    assert revoked == set(leaves[:3])
    # Revoking a revoked certificate again is still "already processed", not the quota.
    with pytest.raises(client.exceptions.RequestAlreadyProcessedException):
        _revoke(_once(pca), root, leaves[0])
    # And no count was kept of the refused call.
    pca.sandbox.configure(max_revocations_per_ca=4)
    _revoke(client, root, leaves[3])
    assert len(x509.load_der_x509_crl(_crl(pca, root))) == 4


def test_the_revocation_quota_does_not_apply_to_partitioned_crls(pca, client):
    make_pca_bucket(pca, BUCKET)
    partitioned = {"CrlConfiguration": {**CRL_ON["CrlConfiguration"], "CrlType": "PARTITIONED"}}
    root = new_root(client, RevocationConfiguration=partitioned)
    leaves = [_issue(client, root) for _ in range(3)]
    pca.sandbox.configure(max_revocations_per_ca=1)
    for arn in leaves:
        _revoke(client, root, arn)
