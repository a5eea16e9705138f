"""UpdateCertificateAuthority, DeleteCertificateAuthority, RestoreCertificateAuthority, the clock."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from botocore.exceptions import ParamValidationError
from conftest import ec_csr_pem
from test_lifecycle_support import (  # noqa: F401 (fixtures)
    SUB_TEMPLATE,
    activate_root,
    create_ca,
    describe,
    fails_unchanged,
    fresh_pca,
    issue_and_get,
    lifecycle_session,
    new_root,
    snapshot,
    unvalidated_client,
)

OCSP_ON = {"OcspConfiguration": {"Enabled": True, "OcspCustomCname": "ocsp.example.com"}}


def _update(client, arn: str, **kwargs) -> None:
    client.update_certificate_authority(CertificateAuthorityArn=arn, **kwargs)


def _issue_leaf(client, arn: str) -> str:
    return client.issue_certificate(
        CertificateAuthorityArn=arn,
        Csr=ec_csr_pem(),
        SigningAlgorithm="SHA256WITHECDSA",
        Validity={"Type": "DAYS", "Value": 1},
    )["CertificateArn"]


def _close_to(actual, expected, slack=timedelta(seconds=5)) -> bool:
    return abs(actual - expected) <= slack


# -- UpdateCertificateAuthority -------------------------------------------------------------------


def test_active_disabled_active(pca, client):
    arn = new_root(client)
    activated = describe(client, arn)["LastStateChangeAt"]
    pca.sandbox.advance(hours=1)
    _update(client, arn, Status="DISABLED")
    disabled = describe(client, arn)
    assert disabled["Status"] == "DISABLED"
    assert disabled["LastStateChangeAt"] > activated
    assert _close_to(disabled["LastStateChangeAt"], pca.sandbox.now())

    pca.sandbox.advance(hours=1)
    _update(client, arn, Status="ACTIVE")
    active = describe(client, arn)
    assert active["Status"] == "ACTIVE"
    assert active["LastStateChangeAt"] - disabled["LastStateChangeAt"] >= timedelta(hours=1)
    # Setting the status it already has changes nothing.
    _update(client, arn, Status="ACTIVE")
    assert describe(client, arn) == active


def test_update_of_a_pending_ca_is_invalid_state(client):
    arn = create_ca(client)
    message = "The certificate authority must be in the ACTIVE or DISABLED state to be updated."
    for status in ("ACTIVE", "DISABLED"):
        with fails_unchanged(client, "InvalidStateException", message):
            _update(client, arn, Status=status)
    with fails_unchanged(client, "InvalidStateException", message):
        _update(client, arn, RevocationConfiguration=OCSP_ON)


def test_update_of_a_creating_ca_is_invalid_state(pca, client):
    pca.sandbox.configure(creation_delay=30)
    arn = create_ca(client)
    with fails_unchanged(client, "InvalidStateException", "ACTIVE or DISABLED"):
        _update(client, arn, Status="DISABLED")


@pytest.mark.parametrize(
    "target", ["CREATING", "PENDING_CERTIFICATE", "EXPIRED", "DELETED", "FAILED"]
)
def test_update_to_a_status_other_than_active_or_disabled_is_invalid_args(client, target):
    arn = new_root(client)
    with fails_unchanged(client, "InvalidArgsException", target, "ACTIVE or DISABLED"):
        _update(client, arn, Status=target)


def test_update_to_an_unknown_status_is_a_validation_exception(client):
    arn = new_root(client)
    with fails_unchanged(client, "ValidationException", "status"):
        _update(client, arn, Status="ENABLED")


@pytest.mark.parametrize("stored", ["ACTIVE", "DISABLED"])
def test_update_of_an_expired_ca_is_invalid_state(pca, client, stored):
    arn = create_ca(client)
    activate_root(client, arn, days=3)
    _update(client, arn, Status=stored)
    pca.sandbox.advance(days=4)
    assert describe(client, arn)["Status"] == "EXPIRED"
    for target in ("ACTIVE", "DISABLED"):
        with fails_unchanged(client, "InvalidStateException", "ACTIVE or DISABLED"):
            _update(client, arn, Status=target)


def test_update_of_a_deleted_ca_is_invalid_state(client):
    arn = create_ca(client)
    client.delete_certificate_authority(CertificateAuthorityArn=arn)
    with fails_unchanged(client, "InvalidStateException", "DELETED"):
        _update(client, arn, Status="ACTIVE")


def test_revocation_configuration_is_replaced_only_when_given(client):
    arn = new_root(client, RevocationConfiguration=OCSP_ON)
    original = describe(client, arn)["RevocationConfiguration"]
    assert original == {"CrlConfiguration": {"Enabled": False}, **OCSP_ON}

    _update(client, arn, Status="DISABLED")
    assert describe(client, arn)["RevocationConfiguration"] == original

    _update(client, arn, RevocationConfiguration={"CrlConfiguration": {"Enabled": False}})
    replaced = describe(client, arn)
    assert replaced["Status"] == "DISABLED"
    assert replaced["RevocationConfiguration"] == {
        "CrlConfiguration": {"Enabled": False},
        "OcspConfiguration": {"Enabled": False},
    }


def test_invalid_revocation_configuration_on_update_changes_nothing(client):
    arn = new_root(client, RevocationConfiguration=OCSP_ON)
    bad = {"OcspConfiguration": {"Enabled": True, "OcspCustomCname": "https://ocsp.example.com"}}
    with fails_unchanged(client, "InvalidArgsException", "OcspCustomCname"):
        _update(client, arn, Status="DISABLED", RevocationConfiguration=bad)
    assert describe(client, arn)["Status"] == "ACTIVE"


def test_update_unknown_and_malformed_arns(client):
    new_root(client)
    unknown = f"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/{uuid.uuid4()}"
    with fails_unchanged(client, "ResourceNotFoundException", unknown):
        _update(client, unknown, Status="DISABLED")
    malformed = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/123"
    with fails_unchanged(client, "InvalidArnException", malformed):
        _update(client, malformed, Status="DISABLED")


# -- DeleteCertificateAuthority -------------------------------------------------------------------


def test_delete_of_an_active_ca_is_invalid_state(client):
    arn = new_root(client)
    with fails_unchanged(client, "InvalidStateException", "ACTIVE", "DISABLED"):
        client.delete_certificate_authority(CertificateAuthorityArn=arn)


def test_delete_of_a_disabled_ca_defaults_to_a_30_day_window(pca, client):
    arn = new_root(client)
    _update(client, arn, Status="DISABLED")
    client.delete_certificate_authority(CertificateAuthorityArn=arn)
    ca = describe(client, arn)
    assert ca["Status"] == "DELETED"
    assert _close_to(ca["RestorableUntil"], pca.sandbox.now() + timedelta(days=30))
    assert ca["RestorableUntil"] - ca["LastStateChangeAt"] == timedelta(days=30)
    # The certificate fields stay: the CA still has its certificate.
    assert {"Serial", "NotBefore", "NotAfter"} <= set(ca)


def test_delete_of_a_pending_ca_with_a_7_day_window(pca, client):
    arn = create_ca(client)
    client.delete_certificate_authority(CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=7)
    ca = describe(client, arn)
    assert ca["Status"] == "DELETED"
    assert _close_to(ca["RestorableUntil"], pca.sandbox.now() + timedelta(days=7))


def test_deletion_window_outside_7_to_30_is_a_validation_exception(pca, client):
    arn = create_ca(client)
    with pytest.raises(ParamValidationError):  # botocore checks the minimum itself
        client.delete_certificate_authority(
            CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=6
        )
    raw = unvalidated_client(pca)
    with fails_unchanged(client, "ValidationException", "permanentDeletionTimeInDays", "7"):
        raw.delete_certificate_authority(CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=6)
    with fails_unchanged(client, "ValidationException", "permanentDeletionTimeInDays", "30"):
        client.delete_certificate_authority(
            CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=31
        )


def test_delete_while_creating_removes_the_ca_at_once(pca, client):
    pca.sandbox.configure(creation_delay=30)
    keep = create_ca(client)
    arn = create_ca(client, Tags=[{"Key": "team", "Value": "pki"}])
    client.delete_certificate_authority(CertificateAuthorityArn=arn)
    assert [ca["Arn"] for ca in snapshot(client)["cas"]] == [keep]
    for call in (
        lambda: describe(client, arn),
        lambda: client.restore_certificate_authority(CertificateAuthorityArn=arn),
        lambda: client.list_tags(CertificateAuthorityArn=arn),
        lambda: client.delete_certificate_authority(CertificateAuthorityArn=arn),
    ):
        with fails_unchanged(client, "ResourceNotFoundException", arn):
            call()


def test_delete_of_a_deleted_ca_is_invalid_state(client):
    arn = create_ca(client)
    client.delete_certificate_authority(CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=10)
    with fails_unchanged(client, "InvalidStateException", "DELETED"):
        client.delete_certificate_authority(CertificateAuthorityArn=arn)


def test_delete_of_an_expired_ca_is_restorable(pca, client):
    arn = create_ca(client)
    activate_root(client, arn, days=2)
    pca.sandbox.advance(days=3)
    assert describe(client, arn)["Status"] == "EXPIRED"
    client.delete_certificate_authority(CertificateAuthorityArn=arn)
    assert describe(client, arn)["Status"] == "DELETED"
    client.restore_certificate_authority(CertificateAuthorityArn=arn)
    assert describe(client, arn)["Status"] == "EXPIRED"


def test_idempotency_token_of_a_deleted_ca_creates_a_new_one(client):
    first = create_ca(client, IdempotencyToken="tok")
    client.delete_certificate_authority(CertificateAuthorityArn=first)
    second = create_ca(client, IdempotencyToken="tok")
    assert second != first
    assert describe(client, second)["Status"] == "PENDING_CERTIFICATE"


# -- RestoreCertificateAuthority ------------------------------------------------------------------


def test_restore_of_a_disabled_ca_brings_it_back_disabled(pca, client):
    arn = new_root(client, Tags=[{"Key": "team", "Value": "pki"}])
    _update(client, arn, Status="DISABLED")
    before = describe(client, arn)
    client.delete_certificate_authority(CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=7)
    pca.sandbox.advance(days=6)
    client.restore_certificate_authority(CertificateAuthorityArn=arn)
    after = describe(client, arn)
    assert after["Status"] == "DISABLED"
    assert "RestorableUntil" not in after
    assert {k: v for k, v in after.items() if k != "LastStateChangeAt"} == {
        k: v for k, v in before.items() if k != "LastStateChangeAt"
    }
    assert _close_to(after["LastStateChangeAt"], pca.sandbox.now())
    assert client.list_tags(CertificateAuthorityArn=arn)["Tags"] == [
        {"Key": "team", "Value": "pki"}
    ]
    # Past the window it would have closed in, the restored CA is still there.
    pca.sandbox.advance(days=2)
    assert describe(client, arn)["Status"] == "DISABLED"
    _update(client, arn, Status="ACTIVE")
    _issue_leaf(client, arn)


def test_restore_of_a_pending_ca_brings_it_back_pending(client):
    arn = create_ca(client)
    client.delete_certificate_authority(CertificateAuthorityArn=arn)
    client.restore_certificate_authority(CertificateAuthorityArn=arn)
    assert describe(client, arn)["Status"] == "PENDING_CERTIFICATE"
    activate_root(client, arn)
    assert describe(client, arn)["Status"] == "ACTIVE"


@pytest.mark.parametrize("status", ["PENDING_CERTIFICATE", "ACTIVE", "DISABLED"])
def test_restore_of_a_ca_that_is_not_deleted_is_invalid_state(client, status):
    arn = create_ca(client)
    if status != "PENDING_CERTIFICATE":
        activate_root(client, arn)
    if status == "DISABLED":
        _update(client, arn, Status="DISABLED")
    with fails_unchanged(client, "InvalidStateException", status, "DELETED"):
        client.restore_certificate_authority(CertificateAuthorityArn=arn)


@pytest.mark.parametrize("window", [7, 30])
def test_after_the_window_the_ca_is_gone(pca, client, window):
    arn = create_ca(client, Tags=[{"Key": "team"}])
    client.delete_certificate_authority(
        CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=window
    )
    pca.sandbox.advance(days=window - 1)
    assert describe(client, arn)["Status"] == "DELETED"
    pca.sandbox.advance(days=2)
    for call in (
        lambda: describe(client, arn),
        lambda: client.restore_certificate_authority(CertificateAuthorityArn=arn),
        lambda: client.list_tags(CertificateAuthorityArn=arn),
        lambda: client.get_certificate_authority_csr(CertificateAuthorityArn=arn),
    ):
        with fails_unchanged(client, "ResourceNotFoundException", arn):
            call()
    assert snapshot(client)["cas"] == []


# -- the clock ------------------------------------------------------------------------------------


def test_advancing_past_not_after_expires_the_ca_everywhere(pca, client):
    arn = create_ca(client)
    activate_root(client, arn, days=30)
    _issue_leaf(client, arn)
    pca.sandbox.advance(days=29)
    assert describe(client, arn)["Status"] == "ACTIVE"
    pca.sandbox.advance(days=1, seconds=1)
    assert describe(client, arn)["Status"] == "EXPIRED"
    listed = client.list_certificate_authorities()["CertificateAuthorities"]
    assert [ca["Status"] for ca in listed] == ["EXPIRED"]
    with fails_unchanged(client, "InvalidStateException", "not in a valid state for issuing"):
        _issue_leaf(client, arn)


def test_expired_subordinate_under_a_live_root(pca, client):
    root = new_root(client)
    sub = create_ca(client, "SUBORDINATE")
    csr = client.get_certificate_authority_csr(CertificateAuthorityArn=sub)["Csr"]
    certificate = issue_and_get(client, root, csr, SUB_TEMPLATE, 10)
    root_pem = client.get_certificate_authority_certificate(CertificateAuthorityArn=root)[
        "Certificate"
    ]
    client.import_certificate_authority_certificate(
        CertificateAuthorityArn=sub,
        Certificate=certificate.encode(),
        CertificateChain=root_pem.encode(),
    )
    pca.sandbox.advance(days=11)
    statuses = {ca["Arn"]: ca["Status"] for ca in snapshot(client)["cas"]}
    assert statuses == {root: "ACTIVE", sub: "EXPIRED"}
    with fails_unchanged(client, "InvalidStateException", "not in a valid state for issuing"):
        _issue_leaf(client, sub)
    _issue_leaf(client, root)


def test_issue_from_a_disabled_ca_is_invalid_state(client):
    arn = new_root(client)
    _update(client, arn, Status="DISABLED")
    with fails_unchanged(client, "InvalidStateException", "not in a valid state for issuing"):
        _issue_leaf(client, arn)
