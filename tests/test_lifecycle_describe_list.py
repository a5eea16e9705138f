"""DescribeCertificateAuthority, ListCertificateAuthorities and GetCertificateAuthorityCsr."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from cryptography import x509
from test_lifecycle_support import (  # noqa: F401 (fixtures)
    activate_root,
    create_ca,
    describe,
    fails_unchanged,
    fresh_pca,
    lifecycle_session,
    new_root,
    region_client,
)

ALWAYS = {
    "Arn", "OwnerAccount", "CreatedAt", "LastStateChangeAt", "Type", "Status",
    "CertificateAuthorityConfiguration", "RevocationConfiguration",
    "KeyStorageSecurityStandard", "UsageMode",
}  # fmt: skip
WITH_CERTIFICATE = ALWAYS | {"Serial", "NotBefore", "NotAfter"}


def _unknown_arn(region: str = "us-east-1", account: str = "111122223333") -> str:
    return f"arn:aws:acm-pca:{region}:{account}:certificate-authority/{uuid.uuid4()}"


# -- DescribeCertificateAuthority at every status --------------------------------------------------


def test_describe_creating_then_pending(pca, client):
    pca.sandbox.configure(creation_delay=30)
    arn = create_ca(client)
    ca = describe(client, arn)
    assert ca["Status"] == "CREATING"
    assert set(ca) == ALWAYS
    assert ca["Arn"] == arn
    assert ca["LastStateChangeAt"] == ca["CreatedAt"]
    assert [
        c["Status"] for c in client.list_certificate_authorities()["CertificateAuthorities"]
    ] == ["CREATING"]

    pca.sandbox.advance(seconds=31)
    ca = describe(client, arn)
    assert ca["Status"] == "PENDING_CERTIFICATE"
    assert set(ca) == ALWAYS
    assert ca["LastStateChangeAt"] - ca["CreatedAt"] == timedelta(seconds=30)


def test_describe_active_disabled_expired_carry_the_certificate_fields(pca, client):
    arn = create_ca(client)
    pem = activate_root(client, arn, days=10)
    certificate = x509.load_pem_x509_certificate(pem.encode())
    ca = describe(client, arn)
    assert ca["Status"] == "ACTIVE"
    assert set(ca) == WITH_CERTIFICATE
    assert ca["NotBefore"] == certificate.not_valid_before_utc
    assert ca["NotAfter"] == certificate.not_valid_after_utc
    serial = format(certificate.serial_number, "x")
    serial = serial.zfill(len(serial) + len(serial) % 2)
    assert ca["Serial"] == ":".join(serial[i : i + 2] for i in range(0, len(serial), 2))
    assert ca["LastStateChangeAt"] >= ca["CreatedAt"]

    client.update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")
    disabled = describe(client, arn)
    assert disabled["Status"] == "DISABLED"
    assert set(disabled) == WITH_CERTIFICATE

    pca.sandbox.advance(days=11)
    expired = describe(client, arn)
    assert expired["Status"] == "EXPIRED"
    assert set(expired) == WITH_CERTIFICATE
    # The CA became EXPIRED when its certificate ran out, not when someone looked.
    assert expired["LastStateChangeAt"] == certificate.not_valid_after_utc


def test_describe_deleted_shows_restorable_until(pca, client):
    arn = create_ca(client)
    client.delete_certificate_authority(CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=7)
    ca = describe(client, arn)
    assert ca["Status"] == "DELETED"
    assert set(ca) == ALWAYS | {"RestorableUntil"}
    assert ca["RestorableUntil"] - ca["LastStateChangeAt"] == timedelta(days=7)


def test_describe_unknown_arn_is_resource_not_found(client):
    create_ca(client)
    arn = _unknown_arn()
    with fails_unchanged(client, "ResourceNotFoundException", arn):
        describe(client, arn)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/not-a-uuid",
        "arn:aws:acm-pca:us-east-1:1111:certificate-authority/" + str(uuid.UUID(int=1)),
        "arn:aws:acm-pca:us-east-1:111122223333:authority/" + str(uuid.UUID(int=1)),
    ],
)
def test_describe_malformed_arn_is_invalid_arn(client, arn):
    create_ca(client)
    with fails_unchanged(client, "InvalidArnException", arn):
        describe(client, arn)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:acm:us-east-1:111122223333:certificate/" + str(uuid.UUID(int=1)),
        "certificate-authority/" + str(uuid.UUID(int=1)),
    ],
)
def test_describe_arn_breaking_the_model_pattern_is_a_validation_exception(client, arn):
    """The model's ARN pattern (``arn:...:acm-pca:...``) is checked before the ARN's meaning."""
    create_ca(client)
    with fails_unchanged(client, "ValidationException", "certificateAuthorityArn", "pattern"):
        describe(client, arn)


def test_describe_certificate_arn_is_invalid_arn(client):
    arn = create_ca(client) + "/certificate/0a1b2c"
    with fails_unchanged(client, "InvalidArnException", "not valid"):
        describe(client, arn)


def test_describe_arn_of_another_region_or_account_is_resource_not_found(pca, client):
    eu = region_client(pca, "eu-west-1")
    eu_arn = create_ca(eu)
    assert describe(eu, eu_arn)["Status"] == "PENDING_CERTIFICATE"
    with fails_unchanged(client, "ResourceNotFoundException", eu_arn):
        describe(client, eu_arn)
    us_arn = create_ca(client)
    with fails_unchanged(eu, "ResourceNotFoundException"):
        describe(eu, us_arn)
    # The same CA id spelled with another region or account is another (unknown) CA.
    moved = us_arn.replace(":us-east-1:", ":us-west-2:")
    with fails_unchanged(client, "ResourceNotFoundException"):
        describe(client, moved)
    other_account = us_arn.replace(":111122223333:", ":444455556666:")
    with fails_unchanged(client, "ResourceNotFoundException"):
        describe(client, other_account)


# -- ListCertificateAuthorities ---------------------------------------------------------------------


def _all(client, **kwargs) -> list[dict]:
    out = []
    for page in client.get_paginator("list_certificate_authorities").paginate(**kwargs):
        out.extend(page["CertificateAuthorities"])
    return out


def test_list_in_creation_order_with_the_describe_structure(pca, client):
    arns = [create_ca(client, "ROOT" if i % 2 else "SUBORDINATE") for i in range(5)]
    pca.sandbox.advance(minutes=1)
    listed = client.list_certificate_authorities()
    assert "NextToken" not in listed
    assert [ca["Arn"] for ca in listed["CertificateAuthorities"]] == arns
    assert listed["CertificateAuthorities"] == [describe(client, arn) for arn in arns]


def test_list_pages_by_hand_and_with_the_paginator(client):
    arns = [create_ca(client) for _ in range(5)]
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"MaxResults": 2, **({"NextToken": token} if token else {})}
        page = client.list_certificate_authorities(**kwargs)
        pages += 1
        assert len(page["CertificateAuthorities"]) == (2 if pages < 3 else 1)
        seen.extend(ca["Arn"] for ca in page["CertificateAuthorities"])
        token = page.get("NextToken")
        if token is None:
            break
    assert pages == 3
    assert seen == arns

    paginator = client.get_paginator("list_certificate_authorities")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["CertificateAuthorities"]) for p in pages] == [2, 2, 1]
    assert [ca["Arn"] for p in pages for ca in p["CertificateAuthorities"]] == arns
    # A page size that divides the count exactly ends without an empty page.
    exact = list(paginator.paginate(PaginationConfig={"PageSize": 5}))
    assert len(exact) == 1
    assert "NextToken" not in exact[0]
    capped = paginator.paginate(PaginationConfig={"MaxItems": 3, "PageSize": 2}).build_full_result()
    assert [ca["Arn"] for ca in capped["CertificateAuthorities"]] == arns[:3]


def test_list_returns_at_most_100_per_page(client):
    arns = [create_ca(client) for _ in range(105)]
    first = client.list_certificate_authorities(MaxResults=1000)
    assert len(first["CertificateAuthorities"]) == 100
    second = client.list_certificate_authorities(MaxResults=1000, NextToken=first["NextToken"])
    assert len(second["CertificateAuthorities"]) == 5
    assert "NextToken" not in second
    listed = first["CertificateAuthorities"] + second["CertificateAuthorities"]
    assert [ca["Arn"] for ca in listed] == arns
    assert len(client.list_certificate_authorities()["CertificateAuthorities"]) == 100


@pytest.mark.parametrize("token", ["not-a-token", "e30=", "bm90IGpzb24=", "W10="])
def test_list_with_a_bad_next_token_is_invalid_next_token(client, token):
    create_ca(client)
    with fails_unchanged(client, "InvalidNextTokenException", "NextToken"):
        client.list_certificate_authorities(NextToken=token)


def test_list_with_a_list_tags_token_is_invalid_next_token(client):
    arn = create_ca(client, Tags=[{"Key": "a"}, {"Key": "b"}])
    token = client.list_tags(CertificateAuthorityArn=arn, MaxResults=1)["NextToken"]
    with fails_unchanged(client, "InvalidNextTokenException"):
        client.list_certificate_authorities(NextToken=token)


def test_list_other_accounts_is_empty(client):
    create_ca(client)
    shared = client.list_certificate_authorities(ResourceOwner="OTHER_ACCOUNTS")
    assert shared["CertificateAuthorities"] == []
    assert "NextToken" not in shared
    assert (
        len(client.list_certificate_authorities(ResourceOwner="SELF")["CertificateAuthorities"])
        == 1
    )


def test_list_is_per_region(pca, client):
    here = create_ca(client)
    there = create_ca(region_client(pca, "eu-west-1"))
    assert [ca["Arn"] for ca in _all(client)] == [here]
    assert [ca["Arn"] for ca in _all(region_client(pca, "eu-west-1"))] == [there]


def test_deleted_cas_are_listed_during_their_window_only(pca, client):
    keep = create_ca(client)
    gone = create_ca(client)
    client.delete_certificate_authority(CertificateAuthorityArn=gone, PermanentDeletionTimeInDays=7)
    listed = {ca["Arn"]: ca for ca in _all(client)}
    assert list(listed) == [keep, gone]
    assert listed[gone]["Status"] == "DELETED"
    assert "RestorableUntil" in listed[gone]

    pca.sandbox.advance(days=7, minutes=1)
    assert [ca["Arn"] for ca in _all(client)] == [keep]


# -- GetCertificateAuthorityCsr ---------------------------------------------------------------------


def test_csr_is_in_progress_while_creating(pca, client):
    pca.sandbox.configure(creation_delay=30)
    arn = create_ca(client)
    with fails_unchanged(client, "RequestInProgressException", arn) as excinfo:
        client.get_certificate_authority_csr(CertificateAuthorityArn=arn)
    assert isinstance(excinfo.value, client.exceptions.RequestInProgressException)
    pca.sandbox.advance(seconds=30)
    csr = client.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    assert csr.startswith("-----BEGIN CERTIFICATE REQUEST-----")


def test_csr_waiter_retries_until_the_ca_is_ready(pca, client):
    pca.sandbox.configure(creation_delay=0.3)  # real seconds: the waiter polls the real clock
    arn = create_ca(client)
    waiter = client.get_waiter("certificate_authority_csr_created")
    waiter.wait(CertificateAuthorityArn=arn, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    assert describe(client, arn)["Status"] == "PENDING_CERTIFICATE"


def test_csr_is_the_same_in_pending_active_and_disabled(client):
    arn = create_ca(client)
    pending = client.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    csr = x509.load_pem_x509_csr(pending.encode())
    activate_root(client, arn)
    active = client.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    client.update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")
    disabled = client.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    assert pending == active == disabled
    certificate = client.get_certificate_authority_certificate(CertificateAuthorityArn=arn)
    cert = x509.load_pem_x509_certificate(certificate["Certificate"].encode())
    assert cert.public_key() == csr.public_key()


def test_csr_of_a_deleted_ca_is_invalid_state(client):
    arn = create_ca(client)
    client.delete_certificate_authority(CertificateAuthorityArn=arn)
    with fails_unchanged(client, "InvalidStateException", "DELETED"):
        client.get_certificate_authority_csr(CertificateAuthorityArn=arn)


def test_csr_errors_for_unknown_and_malformed_arns(client):
    new_root(client)
    with fails_unchanged(client, "ResourceNotFoundException"):
        client.get_certificate_authority_csr(CertificateAuthorityArn=_unknown_arn())
    malformed = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/oops"
    with fails_unchanged(client, "InvalidArnException", malformed):
        client.get_certificate_authority_csr(CertificateAuthorityArn=malformed)
