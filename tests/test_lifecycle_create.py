"""CreateCertificateAuthority contract tests, through boto3 against the sandbox."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ParamValidationError
from conftest import error_code
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, mldsa, padding, rsa
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID
from test_lifecycle_support import (  # noqa: F401 (fixtures)
    EC_CONFIG,
    create_ca,
    crl_bucket,
    csr_of,
    describe,
    fails_unchanged,
    fresh_pca,
    lifecycle_session,
    snapshot,
    unvalidated_client,
)

_HASH = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}
_SIGNATURE_OID = {
    "SHA256WITHRSA": SignatureAlgorithmOID.RSA_WITH_SHA256,
    "SHA384WITHRSA": SignatureAlgorithmOID.RSA_WITH_SHA384,
    "SHA512WITHRSA": SignatureAlgorithmOID.RSA_WITH_SHA512,
    "SHA256WITHECDSA": SignatureAlgorithmOID.ECDSA_WITH_SHA256,
    "SHA384WITHECDSA": SignatureAlgorithmOID.ECDSA_WITH_SHA384,
    "SHA512WITHECDSA": SignatureAlgorithmOID.ECDSA_WITH_SHA512,
    "ML_DSA_44": SignatureAlgorithmOID.ML_DSA_44,
    "ML_DSA_65": SignatureAlgorithmOID.ML_DSA_65,
    "ML_DSA_87": SignatureAlgorithmOID.ML_DSA_87,
}
_CURVES = {"EC_prime256v1": "secp256r1", "EC_secp384r1": "secp384r1", "EC_secp521r1": "secp521r1"}
_MLDSA = {
    "ML_DSA_44": mldsa.MLDSA44PublicKey,
    "ML_DSA_65": mldsa.MLDSA65PublicKey,
    "ML_DSA_87": mldsa.MLDSA87PublicKey,
}


def _check_key(key_algorithm: str, public_key) -> None:
    if key_algorithm.startswith("RSA_"):
        assert isinstance(public_key, rsa.RSAPublicKey)
        assert public_key.key_size == int(key_algorithm[4:])
    elif key_algorithm.startswith("EC_"):
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        assert public_key.curve.name == _CURVES[key_algorithm]
    else:
        assert isinstance(public_key, _MLDSA[key_algorithm])


def _verify_signature(signing_algorithm: str, csr: x509.CertificateSigningRequest) -> None:
    """Verify the CSR signature with exactly the scheme the SigningAlgorithm names."""
    key, data, signature = csr.public_key(), csr.tbs_certrequest_bytes, csr.signature
    if signing_algorithm.startswith("ML_DSA"):
        assert csr.signature_algorithm_oid == _SIGNATURE_OID[signing_algorithm]
        key.verify(signature, data)
        return
    digest = _HASH[signing_algorithm[:6]]()
    assert isinstance(csr.signature_hash_algorithm, type(digest))
    if signing_algorithm.endswith("_PSS"):
        assert csr.signature_algorithm_oid == SignatureAlgorithmOID.RSASSA_PSS
        # Salt length = digest length, MGF1 with the same hash: verify with exactly that.
        pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
        key.verify(signature, data, pss, digest)
    elif signing_algorithm.endswith("WITHRSA"):
        assert csr.signature_algorithm_oid == _SIGNATURE_OID[signing_algorithm]
        key.verify(signature, data, padding.PKCS1v15(), digest)
    else:
        assert csr.signature_algorithm_oid == _SIGNATURE_OID[signing_algorithm]
        key.verify(signature, data, ec.ECDSA(digest))


@pytest.mark.parametrize(
    ("key_algorithm", "signing_algorithm"),
    [
        ("RSA_2048", "SHA256WITHRSA"),
        ("RSA_2048", "SHA384WITHRSA_PSS"),
        ("RSA_3072", "SHA512WITHRSA_PSS"),
        ("RSA_4096", "SHA512WITHRSA"),
        ("EC_prime256v1", "SHA256WITHECDSA"),
        ("EC_prime256v1", "SHA512WITHECDSA"),
        ("EC_secp384r1", "SHA384WITHECDSA"),
        ("EC_secp521r1", "SHA512WITHECDSA"),
        ("ML_DSA_44", "ML_DSA_44"),
        ("ML_DSA_65", "ML_DSA_65"),
        ("ML_DSA_87", "ML_DSA_87"),
    ],
)
def test_every_key_algorithm_gives_a_csr_with_that_key_subject_and_signature(
    client, key_algorithm, signing_algorithm
):
    subject = {"CommonName": f"{key_algorithm} CA", "Organization": "Example Corp", "Country": "DE"}
    config = {
        "KeyAlgorithm": key_algorithm,
        "SigningAlgorithm": signing_algorithm,
        "Subject": subject,
    }
    arn = create_ca(client, "SUBORDINATE", config)

    described = describe(client, arn)
    assert described["Status"] == "PENDING_CERTIFICATE"
    assert described["CertificateAuthorityConfiguration"] == config
    csr = csr_of(client, arn)
    assert csr.is_signature_valid
    _check_key(key_algorithm, csr.public_key())
    assert [(a.oid, a.value) for a in csr.subject] == [
        (NameOID.COUNTRY_NAME, "DE"),
        (NameOID.ORGANIZATION_NAME, "Example Corp"),
        (NameOID.COMMON_NAME, f"{key_algorithm} CA"),
    ]
    _verify_signature(signing_algorithm, csr)


def test_csr_subject_carries_every_asn1subject_field_in_aws_order(client):
    subject = {
        "Country": "US", "State": "Washington", "Locality": "Seattle", "Organization": "Example",
        "OrganizationalUnit": "PKI", "CommonName": "Full Subject CA",
        "DistinguishedNameQualifier": "dnq-1", "Title": "Root", "Surname": "Doe",
        "GivenName": "Jane", "Initials": "JD", "Pseudonym": "jd", "GenerationQualifier": "III",
        "SerialNumber": "0042",
    }  # fmt: skip
    arn = create_ca(client, config={**EC_CONFIG, "Subject": subject})
    oids = [a.oid for a in csr_of(client, arn).subject]
    assert oids == [
        NameOID.COUNTRY_NAME, NameOID.STATE_OR_PROVINCE_NAME, NameOID.LOCALITY_NAME,
        NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.COMMON_NAME,
        NameOID.DN_QUALIFIER, NameOID.TITLE, NameOID.SURNAME, NameOID.GIVEN_NAME,
        NameOID.INITIALS, NameOID.PSEUDONYM, NameOID.GENERATION_QUALIFIER, NameOID.SERIAL_NUMBER,
    ]  # fmt: skip
    assert describe(client, arn)["CertificateAuthorityConfiguration"]["Subject"] == subject


def test_custom_attributes_alone_make_the_subject(client):
    custom = [
        {"ObjectIdentifier": "2.5.4.3", "Value": "Custom CA"},
        {"ObjectIdentifier": "1.3.6.1.4.1.99999.1", "Value": "team-a"},
    ]
    arn = create_ca(client, config={**EC_CONFIG, "Subject": {"CustomAttributes": custom}})
    attributes = [(a.oid.dotted_string, a.value) for a in csr_of(client, arn).subject]
    assert attributes == [("2.5.4.3", "Custom CA"), ("1.3.6.1.4.1.99999.1", "team-a")]


def test_create_defaults_and_echoes(client):
    arn = create_ca(client)
    ca = describe(client, arn)
    assert ca["UsageMode"] == "GENERAL_PURPOSE"
    assert ca["KeyStorageSecurityStandard"] == "FIPS_140_2_LEVEL_3_OR_HIGHER"
    assert ca["RevocationConfiguration"] == {
        "CrlConfiguration": {"Enabled": False},
        "OcspConfiguration": {"Enabled": False},
    }
    assert ca["Type"] == "ROOT"
    assert ca["OwnerAccount"] == "111122223333"
    assert arn.startswith("arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/")

    other = create_ca(
        client,
        "SUBORDINATE",
        UsageMode="SHORT_LIVED_CERTIFICATE",
        KeyStorageSecurityStandard="FIPS_140_2_LEVEL_2_OR_HIGHER",
    )
    ca = describe(client, other)
    assert ca["UsageMode"] == "SHORT_LIVED_CERTIFICATE"
    assert ca["KeyStorageSecurityStandard"] == "FIPS_140_2_LEVEL_2_OR_HIGHER"
    assert ca["Type"] == "SUBORDINATE"


def test_revocation_configuration_is_echoed_with_defaults(pca, client):
    revocation = {
        "CrlConfiguration": crl_bucket(pca),
        "OcspConfiguration": {"Enabled": True, "OcspCustomCname": "ocsp.example.com"},
    }
    arn = create_ca(client, RevocationConfiguration=revocation)
    echoed = describe(client, arn)["RevocationConfiguration"]
    assert echoed["CrlConfiguration"] == {
        **revocation["CrlConfiguration"], "CrlType": "COMPLETE",
    }  # fmt: skip
    assert echoed["OcspConfiguration"] == revocation["OcspConfiguration"]


# -- algorithm errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key_algorithm", "signing_algorithm"),
    [
        ("RSA_2048", "SHA256WITHECDSA"),
        ("EC_prime256v1", "SHA256WITHRSA"),
        ("EC_prime256v1", "ML_DSA_44"),
        ("ML_DSA_44", "ML_DSA_65"),
        ("ML_DSA_87", "SHA512WITHRSA_PSS"),
    ],
)
def test_signing_algorithm_of_another_family_is_invalid_args(
    client, key_algorithm, signing_algorithm
):
    config = {**EC_CONFIG, "KeyAlgorithm": key_algorithm, "SigningAlgorithm": signing_algorithm}
    with fails_unchanged(client, "InvalidArgsException", key_algorithm, signing_algorithm):
        create_ca(client, config=config)


@pytest.mark.parametrize("signing_algorithm", ["SM3WITHSM2", "SHA256WITHECDSA"])
def test_sm2_outside_china_is_invalid_args(client, signing_algorithm):
    config = {**EC_CONFIG, "KeyAlgorithm": "SM2", "SigningAlgorithm": signing_algorithm}
    with fails_unchanged(client, "InvalidArgsException", "SM2"):
        create_ca(client, config=config)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"KeyAlgorithm": "EC_prime999v1"}, "keyAlgorithm"),
        ({"SigningAlgorithm": "SHA1WITHRSA"}, "signingAlgorithm"),
        ({"Subject": {"CommonName": "x" * 65}}, "commonName"),
        ({"Subject": {"CommonName": "CA", "Country": "USA"}}, "country"),
        (
            {"Subject": {"CommonName": "CA", "DistinguishedNameQualifier": "a_b"}},
            "distinguishedNameQualifier",
        ),
    ],
)
def test_model_constraints_are_validation_exceptions(client, override, field):
    with fails_unchanged(client, "ValidationException", field):
        create_ca(client, config={**EC_CONFIG, **override})


def test_bad_type_and_usage_mode_enums_are_validation_exceptions(client):
    with fails_unchanged(client, "ValidationException", "certificateAuthorityType", "ROOT"):
        create_ca(client, "INTERMEDIATE")
    with fails_unchanged(client, "ValidationException", "usageMode"):
        create_ca(client, UsageMode="LONG_LIVED")
    with fails_unchanged(client, "ValidationException", "keyStorageSecurityStandard"):
        create_ca(client, KeyStorageSecurityStandard="FIPS_140_3")


def test_a_64_character_common_name_is_fine(client):
    arn = create_ca(client, config={**EC_CONFIG, "Subject": {"CommonName": "x" * 64}})
    assert (
        csr_of(client, arn).subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "x" * 64
    )


# -- subject rules ------------------------------------------------------------------------------


def test_custom_attributes_mixed_with_standard_fields_is_invalid_args(client):
    subject = {
        "CommonName": "Mixed CA",
        "CustomAttributes": [{"ObjectIdentifier": "1.3.6.1.4.1.99999.1", "Value": "x"}],
    }
    with fails_unchanged(client, "InvalidArgsException", "CustomAttributes", "CommonName"):
        create_ca(client, config={**EC_CONFIG, "Subject": subject})


def test_empty_subject_is_invalid_args(client):
    with fails_unchanged(client, "InvalidArgsException", "Subject"):
        create_ca(client, config={**EC_CONFIG, "Subject": {}})


# -- revocation configuration rules -------------------------------------------------------------

_CRL = {"Enabled": True, "ExpirationInDays": 7, "S3BucketName": "crl-bucket"}


@pytest.mark.parametrize(
    ("revocation", "words"),
    [
        ({"CrlConfiguration": {"Enabled": False, "ExpirationInDays": 7}}, ["disabled", "ExpirationInDays"]),
        ({"CrlConfiguration": {"Enabled": False, "S3BucketName": "crl-bucket"}}, ["S3BucketName"]),
        ({"OcspConfiguration": {"Enabled": False, "OcspCustomCname": "ocsp.example.com"}}, ["OcspCustomCname"]),
        ({"CrlConfiguration": {**_CRL, "CustomCname": "http://crl.example.com"}}, ["CustomCname", "http://"]),
        ({"OcspConfiguration": {"Enabled": True, "OcspCustomCname": "https://ocsp.example.com"}}, ["OcspCustomCname"]),
        (
            {"CrlConfiguration": {
                **_CRL, "CustomCname": "crl.example.com",
                "CrlDistributionPointExtensionConfiguration": {"OmitExtension": True},
            }},
            ["CustomCname", "OmitExtension"],
        ),
        ({"CrlConfiguration": {**_CRL, "S3BucketName": "Bad_Bucket"}}, ["Bad_Bucket"]),
        ({"CrlConfiguration": {**_CRL, "S3BucketName": "192.168.1.1"}}, ["192.168.1.1"]),
        ({"CrlConfiguration": {"Enabled": True, "ExpirationInDays": 7}}, ["S3BucketName"]),
    ],
)  # fmt: skip
def test_revocation_configuration_rules_are_invalid_args(client, revocation, words):
    with fails_unchanged(client, "InvalidArgsException", *words):
        create_ca(client, RevocationConfiguration=revocation)


def test_ccpc_standard_outside_china_is_invalid_args(client):
    with fails_unchanged(client, "InvalidArgsException", "security standard"):
        create_ca(client, KeyStorageSecurityStandard="CCPC_LEVEL_1_OR_HIGHER")


# -- tags on create -----------------------------------------------------------------------------


def test_tags_given_on_create_are_listed(client):
    tags = [{"Key": "team", "Value": "pki"}, {"Key": "env", "Value": ""}, {"Key": "bare"}]
    arn = create_ca(client, Tags=tags)
    assert client.list_tags(CertificateAuthorityArn=arn)["Tags"] == tags


def test_51_tags_on_create_is_a_validation_exception(client):
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    with fails_unchanged(client, "ValidationException", "tags", "50"):
        create_ca(client, Tags=tags)
    arn = create_ca(client, Tags=tags[:50])
    assert len(client.list_tags(CertificateAuthorityArn=arn)["Tags"]) == 50


def test_reserved_aws_tag_key_on_create_is_invalid_tag(client):
    tags = [{"Key": "team", "Value": "pki"}, {"Key": "aws:createdBy", "Value": "me"}]
    with fails_unchanged(client, "InvalidTagException", "aws:"):
        create_ca(client, Tags=tags)


# -- idempotency --------------------------------------------------------------------------------


def test_idempotency_token_returns_the_same_ca_within_five_minutes(pca, client):
    first = create_ca(client, IdempotencyToken="token-1")
    pca.sandbox.advance(minutes=4)
    again = create_ca(client, IdempotencyToken="token-1")
    assert again == first
    other = create_ca(client, IdempotencyToken="token-2")
    assert other != first
    assert len(snapshot(client)["cas"]) == 2

    pca.sandbox.advance(minutes=2)  # six minutes after the first call
    later = create_ca(client, IdempotencyToken="token-1")
    assert later not in (first, other)
    assert [ca["Arn"] for ca in snapshot(client)["cas"]] == [first, other, later]


def test_idempotency_token_is_scoped_to_the_region(pca, client):
    from test_lifecycle_support import region_client

    here = create_ca(client, IdempotencyToken="shared")
    there = create_ca(region_client(pca, "eu-west-1"), IdempotencyToken="shared")
    assert here != there
    assert ":eu-west-1:" in there


def test_client_side_minimums_still_hold_on_the_server(pca, client):
    """botocore rejects an empty token itself; other SDKs reach the server, which says so too."""
    with pytest.raises(ParamValidationError):
        create_ca(client, IdempotencyToken="")
    raw = unvalidated_client(pca)
    with fails_unchanged(client, "ValidationException", "idempotencyToken"):
        create_ca(raw, IdempotencyToken="")


# -- CsrExtensions ------------------------------------------------------------------------------


def test_csr_extensions_are_carried_in_the_csr(client):
    usage = {"KeyCertSign": True, "CRLSign": True, "DigitalSignature": True}
    sia = [
        {
            "AccessMethod": {"AccessMethodType": "CA_REPOSITORY"},
            "AccessLocation": {"UniformResourceIdentifier": "https://repo.example.com/ca"},
        }
    ]
    config = {**EC_CONFIG, "CsrExtensions": {"KeyUsage": usage, "SubjectInformationAccess": sia}}
    arn = create_ca(client, config=config)
    csr = csr_of(client, arn)
    key_usage = csr.extensions.get_extension_for_class(x509.KeyUsage)
    assert key_usage.critical
    assert key_usage.value.key_cert_sign
    assert key_usage.value.crl_sign
    assert key_usage.value.digital_signature
    assert not key_usage.value.key_encipherment
    access = csr.extensions.get_extension_for_class(x509.SubjectInformationAccess).value
    assert [(d.access_method.dotted_string, d.access_location.value) for d in access] == [
        ("1.3.6.1.5.5.7.48.5", "https://repo.example.com/ca")
    ]
    assert describe(client, arn)["CertificateAuthorityConfiguration"] == config


@pytest.mark.parametrize(
    ("access", "words"),
    [
        (
            {
                "AccessMethod": {
                    "CustomObjectIdentifier": "1.2.3",
                    "AccessMethodType": "CA_REPOSITORY",
                },
                "AccessLocation": {"UniformResourceIdentifier": "https://repo.example.com"},
            },
            ["AccessMethod", "exactly one"],
        ),
        (
            {
                "AccessMethod": {"AccessMethodType": "CA_REPOSITORY"},
                "AccessLocation": {
                    "UniformResourceIdentifier": "https://r.example.com",
                    "DnsName": "r.example.com",
                },
            },
            ["GeneralName", "exactly one"],
        ),
    ],
)
def test_csr_extension_choices_with_two_members_are_invalid_args(client, access, words):
    config = {**EC_CONFIG, "CsrExtensions": {"SubjectInformationAccess": [access]}}
    with fails_unchanged(client, "InvalidArgsException", *words):
        create_ca(client, config=config)


# -- quota --------------------------------------------------------------------------------------


def _limit_exceeded(client, *words: str) -> None:
    """LimitExceededException, and no CA made (a cheap check: 200 CAs make snapshots slow).

    botocore retries LimitExceededException as throttling, with back-off; ``client`` is
    configured not to retry.
    """
    count = len(
        client.get_paginator("list_certificate_authorities")
        .paginate()
        .build_full_result()["CertificateAuthorities"]
    )
    with pytest.raises(client.exceptions.LimitExceededException) as excinfo:
        create_ca(client)
    assert error_code(excinfo) == "LimitExceededException"
    for word in words:
        assert word in excinfo.value.response["Error"]["Message"]
    after = client.get_paginator("list_certificate_authorities").paginate().build_full_result()
    assert len(after["CertificateAuthorities"]) == count


def test_the_200th_ca_is_the_last_and_deleted_ones_count_while_restorable(pca, client):
    # The first 199 go straight to the engine (botocore's per-call cost is not what is tested).
    params = {"CertificateAuthorityConfiguration": EC_CONFIG, "CertificateAuthorityType": "ROOT"}
    engine, account = pca.sandbox.engine, pca.sandbox.account
    arns = [
        engine.call("CreateCertificateAuthority", params, account=account, region="us-east-1")[
            "CertificateAuthorityArn"
        ]
        for _ in range(199)
    ]
    arns.append(create_ca(client))
    once = pca.session.client(
        "acm-pca", region_name=pca.region, config=Config(retries={"total_max_attempts": 1})
    )
    _limit_exceeded(once, "quota of 200")
    client.delete_certificate_authority(
        CertificateAuthorityArn=arns[0], PermanentDeletionTimeInDays=7
    )
    _limit_exceeded(once, "restoration period")
    pca.sandbox.advance(days=8)
    assert create_ca(client) not in arns
