"""FAILED certificate authorities: ``creation_failure`` makes creation fail, and every action on
a FAILED CA answers as the action × status table of pca-behavior §1.3 says, row by row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, WaiterError
from conftest import ec_csr_pem, error_code, make_pca_bucket
from cryptography.hazmat.primitives.asymmetric import ec
from test_lifecycle_support import (  # noqa: F401 (fixtures)
    ExternalCa,
    create_ca,
    describe,
    fails_unchanged,
    fresh_pca,
    lifecycle_session,
    pem,
)

import pcanb

REASONS = ["REQUEST_TIMED_OUT", "UNSUPPORTED_ALGORITHM", "OTHER"]
TAGS = [{"Key": "team", "Value": "pki"}]
POLICY_ACTIONS = ["IssueCertificate", "GetCertificate", "ListPermissions"]


@pytest.fixture
def failed(pca, client) -> str:
    """A FAILED CA (tagged), created while ``creation_failure`` was set, which is then cleared."""
    pca.sandbox.configure(creation_failure="UNSUPPORTED_ALGORITHM")
    arn = create_ca(client, Tags=TAGS)
    pca.sandbox.configure(creation_failure="")
    return arn


def _policy(arn: str) -> str:
    return (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":'
        f'"444455556666"}},"Action":"acm-pca:IssueCertificate","Resource":"{arn}"}}]}}'
    )


# -- how a CA ends up FAILED ------------------------------------------------------------------


@pytest.mark.parametrize("reason", REASONS)
def test_describe_shows_failed_and_the_reason(pca, client, reason):
    pca.sandbox.configure(creation_failure=reason)
    arn = create_ca(client)
    ca = describe(client, arn)
    assert ca["Status"] == "FAILED"
    assert ca["FailureReason"] == reason
    assert ca["LastStateChangeAt"] == ca["CreatedAt"]
    for absent in ("Serial", "NotBefore", "NotAfter", "RestorableUntil"):
        assert absent not in ca


def test_creation_fails_when_the_creating_period_ends(pca, client):
    pca.sandbox.configure(creation_failure="REQUEST_TIMED_OUT", creation_delay=30)
    arn = create_ca(client)
    creating = describe(client, arn)
    assert creating["Status"] == "CREATING"
    assert "FailureReason" not in creating
    with pytest.raises(client.exceptions.RequestInProgressException):
        client.get_certificate_authority_csr(CertificateAuthorityArn=arn)
    pca.sandbox.advance(seconds=31)
    ca = describe(client, arn)
    assert ca["Status"] == "FAILED"
    assert ca["FailureReason"] == "REQUEST_TIMED_OUT"
    assert ca["LastStateChangeAt"] - ca["CreatedAt"] == timedelta(seconds=30)


def test_the_setting_fails_every_creation_until_cleared(pca, client):
    pca.sandbox.configure(creation_failure="OTHER")
    first, second = create_ca(client), create_ca(client)
    pca.sandbox.configure(creation_failure="")
    third = create_ca(client)
    statuses = [describe(client, arn)["Status"] for arn in (first, second, third)]
    assert statuses == ["FAILED", "FAILED", "PENDING_CERTIFICATE"]
    assert "FailureReason" not in describe(client, third)


def test_the_csr_waiter_stops_on_a_failed_ca(pca, client):
    pca.sandbox.configure(creation_failure="OTHER")
    arn = create_ca(client)
    waiter = client.get_waiter("certificate_authority_csr_created")
    with pytest.raises(WaiterError, match="RequestFailedException"):
        waiter.wait(CertificateAuthorityArn=arn, WaiterConfig={"Delay": 1, "MaxAttempts": 2})


def test_the_toolkit_says_what_happened_and_what_to_do(pca, client):
    pca.sandbox.configure(creation_failure="REQUEST_TIMED_OUT")
    with pytest.raises(pcanb.WrongStateError, match="FAILED \\(FailureReason REQUEST_TIMED_OUT\\)"):
        pca.create_root_ca(common_name="Doomed Root")
    (failed,) = client.list_certificate_authorities()["CertificateAuthorities"]
    assert failed["Status"] == "FAILED"  # left for the caller to delete, as the message says


# -- the table, row by row --------------------------------------------------------------------


def test_list_shows_it_and_it_is_not_billed(pca, client, failed):
    listed = client.list_certificate_authorities()["CertificateAuthorities"]
    assert [(ca["Arn"], ca["Status"], ca["FailureReason"]) for ca in listed] == [
        (failed, "FAILED", "UNSUPPORTED_ALGORITHM")
    ]
    frame = pca.list_certificate_authorities()
    assert frame.loc[0, "status"] == "FAILED"
    assert frame.loc[0, "failure_reason"] == "UNSUPPORTED_ALGORITHM"
    assert frame.loc[0, "monthly_cost_usd"] == 0.0


def test_get_csr_is_request_failed(client, failed):
    with fails_unchanged(client, "RequestFailedException", "failed"):
        client.get_certificate_authority_csr(CertificateAuthorityArn=failed)


def test_get_ca_certificate_is_invalid_state(client, failed):
    with fails_unchanged(client, "InvalidStateException", "FAILED"):
        client.get_certificate_authority_certificate(CertificateAuthorityArn=failed)


@pytest.mark.parametrize(
    "template", ["EndEntityCertificate", "RootCACertificate", "SubordinateCACertificate_PathLen0"]
)
def test_issue_is_invalid_state(client, failed, template):
    with fails_unchanged(client, "InvalidStateException", "not in a valid state"):
        client.issue_certificate(
            CertificateAuthorityArn=failed,
            Csr=ec_csr_pem(),
            SigningAlgorithm="SHA256WITHECDSA",
            TemplateArn=f"arn:aws:acm-pca:::template/{template}/V1",
            Validity={"Type": "DAYS", "Value": 30},
        )


def test_get_certificate_is_not_found(client, failed):
    with fails_unchanged(client, "ResourceNotFoundException", "certificate"):
        client.get_certificate(
            CertificateAuthorityArn=failed, CertificateArn=f"{failed}/certificate/{'ab' * 16}"
        )


def test_import_is_invalid_state(client, failed):
    parent = ExternalCa()
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = parent.sign(key.public_key())
    with fails_unchanged(client, "InvalidStateException", "FAILED"):
        client.import_certificate_authority_certificate(
            CertificateAuthorityArn=failed,
            Certificate=pem(certificate),
            CertificateChain=pem(parent.certificate),
        )


def test_revoke_is_invalid_state(client, failed):
    with fails_unchanged(client, "InvalidStateException", "FAILED"):
        client.revoke_certificate(
            CertificateAuthorityArn=failed,
            CertificateSerial="ab" * 16,
            RevocationReason="KEY_COMPROMISE",
        )


@pytest.mark.parametrize(
    "change",
    [
        {"Status": "DISABLED"},
        {"Status": "ACTIVE"},
        {"RevocationConfiguration": {"OcspConfiguration": {"Enabled": True}}},
    ],
)
def test_update_is_invalid_state(client, failed, change):
    with fails_unchanged(client, "InvalidStateException", "ACTIVE or DISABLED"):
        client.update_certificate_authority(CertificateAuthorityArn=failed, **change)


def test_restore_is_invalid_state(client, failed):
    with fails_unchanged(client, "InvalidStateException", "not DELETED"):
        client.restore_certificate_authority(CertificateAuthorityArn=failed)


def test_audit_report_is_invalid_state(pca, client, failed):
    make_pca_bucket(pca, "failed-audit")
    with fails_unchanged(client, "InvalidStateException", "FAILED"):
        client.create_certificate_authority_audit_report(
            CertificateAuthorityArn=failed,
            S3BucketName="failed-audit",
            AuditReportResponseFormat="JSON",
        )


def test_describe_audit_report_answers_without_a_state_error(client, failed):
    with fails_unchanged(client, "ResourceNotFoundException", "audit report"):
        client.describe_certificate_authority_audit_report(
            CertificateAuthorityArn=failed, AuditReportId="11111111-2222-3333-4444-555555555555"
        )


def test_permissions_are_invalid_state(client, failed):
    with fails_unchanged(client, "InvalidStateException", "FAILED"):
        client.create_permission(
            CertificateAuthorityArn=failed, Principal="acm.amazonaws.com", Actions=POLICY_ACTIONS
        )
    with fails_unchanged(client, "InvalidStateException", "FAILED"):
        client.list_permissions(CertificateAuthorityArn=failed)
    with fails_unchanged(client, "InvalidStateException", "FAILED"):
        client.delete_permission(CertificateAuthorityArn=failed, Principal="acm.amazonaws.com")


def test_policies_put_is_invalid_state_get_and_delete_answer(client, failed):
    with fails_unchanged(client, "InvalidStateException", "FAILED"):
        client.put_policy(ResourceArn=failed, Policy=_policy(failed))
    with fails_unchanged(client, "ResourceNotFoundException", "policy"):
        client.get_policy(ResourceArn=failed)
    client.delete_policy(ResourceArn=failed)  # no policy is success


def test_tags_work(client, failed):
    assert client.list_tags(CertificateAuthorityArn=failed)["Tags"] == TAGS
    client.tag_certificate_authority(
        CertificateAuthorityArn=failed, Tags=[{"Key": "env", "Value": "lab"}]
    )
    client.untag_certificate_authority(CertificateAuthorityArn=failed, Tags=TAGS)
    assert client.list_tags(CertificateAuthorityArn=failed)["Tags"] == [
        {"Key": "env", "Value": "lab"}
    ]


def test_delete_removes_it_at_once_without_a_restoration_period(pca, client, failed):
    client.delete_certificate_authority(
        CertificateAuthorityArn=failed, PermanentDeletionTimeInDays=30
    )
    assert client.list_certificate_authorities()["CertificateAuthorities"] == []
    for call in (
        lambda: client.describe_certificate_authority(CertificateAuthorityArn=failed),
        lambda: client.restore_certificate_authority(CertificateAuthorityArn=failed),
        lambda: client.delete_certificate_authority(CertificateAuthorityArn=failed),
        lambda: client.list_tags(CertificateAuthorityArn=failed),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == "ResourceNotFoundException"


def test_a_failed_ca_counts_toward_the_ca_quota_until_deleted(pca, client, failed):
    pca.sandbox.configure(max_certificate_authorities=1)
    once = pca.session.client(
        "acm-pca", region_name=pca.region, config=Config(retries={"total_max_attempts": 1})
    )
    with fails_unchanged(once, "LimitExceededException", "quota of 1"):
        create_ca(once)
    client.delete_certificate_authority(CertificateAuthorityArn=failed)
    assert describe(client, create_ca(client))["Status"] == "PENDING_CERTIFICATE"
