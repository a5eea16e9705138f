"""ImportCertificateAuthorityCertificate and GetCertificateAuthorityCertificate.

The odd certificates are built here with cryptography for the CA's public key (taken from its
CSR) and signed by an external CA of ours: the CA's own private key never leaves the sandbox.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID
from test_lifecycle_support import (  # noqa: F401 (fixtures)
    ROOT_TEMPLATE,
    SUB_TEMPLATE,
    ExternalCa,
    activate_root,
    create_ca,
    csr_of,
    describe,
    fails_unchanged,
    fresh_pca,
    issue_and_get,
    lifecycle_session,
    new_root,
    pem,
    unvalidated_client,
)


@pytest.fixture
def sub(client) -> str:
    """A SUBORDINATE CA in PENDING_CERTIFICATE."""
    return create_ca(client, "SUBORDINATE")


@pytest.fixture
def external() -> ExternalCa:
    return ExternalCa()


def _import(client, arn: str, certificate: bytes, chain: bytes | None = None) -> None:
    kwargs = {"CertificateChain": chain} if chain is not None else {}
    client.import_certificate_authority_certificate(
        CertificateAuthorityArn=arn, Certificate=certificate, **kwargs
    )


def _get(client, arn: str) -> dict:
    out = client.get_certificate_authority_certificate(CertificateAuthorityArn=arn)
    out.pop("ResponseMetadata")
    return out


def _text(*certificates: x509.Certificate) -> str:
    return pem(*certificates).decode().strip()


# -- happy paths -----------------------------------------------------------------------------------


def test_root_imports_its_self_signed_certificate_without_a_chain(client):
    arn = create_ca(client)
    certificate = activate_root(client, arn)
    ca = describe(client, arn)
    assert ca["Status"] == "ACTIVE"
    assert _get(client, arn) == {"Certificate": certificate.strip()}
    parsed = x509.load_pem_x509_certificate(certificate.encode())
    assert parsed.issuer == parsed.subject
    assert ca["NotAfter"] == parsed.not_valid_after_utc


def test_subordinate_imports_a_certificate_from_an_external_parent(client, sub, external):
    certificate = external.sign(csr_of(client, sub).public_key())
    _import(client, sub, pem(certificate), pem(external.certificate))
    assert describe(client, sub)["Status"] == "ACTIVE"
    assert _get(client, sub) == {
        "Certificate": _text(certificate),
        "CertificateChain": _text(external.certificate),
    }


def test_subordinate_under_an_intermediate_takes_the_chain_issuer_first(client, sub, external):
    intermediate = ExternalCa("External Intermediate", parent=external)
    certificate = intermediate.sign(csr_of(client, sub).public_key())
    _import(client, sub, pem(certificate), pem(*intermediate.chain()))
    assert describe(client, sub)["Status"] == "ACTIVE"
    got = _get(client, sub)
    assert got["CertificateChain"] == _text(intermediate.certificate, external.certificate)


def test_subordinate_signed_by_a_sandbox_root_gets_the_root_as_chain(client, sub):
    root = new_root(client)
    csr = client.get_certificate_authority_csr(CertificateAuthorityArn=sub)["Csr"]
    certificate = issue_and_get(client, root, csr, SUB_TEMPLATE, 365)
    root_pem = _get(client, root)["Certificate"]
    _import(client, sub, certificate.encode(), root_pem.encode())
    assert _get(client, sub) == {"Certificate": certificate.strip(), "CertificateChain": root_pem}
    # Certificates issued by the subordinate carry the whole chain up to the root.
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name.from_rfc4514_string("CN=leaf.example.com"))
        .sign(leaf_key, hashes.SHA256())
    )
    leaf_arn = client.issue_certificate(
        CertificateAuthorityArn=sub,
        Csr=leaf_csr.public_bytes(serialization.Encoding.PEM),
        SigningAlgorithm="SHA256WITHECDSA",
        Validity={"Type": "DAYS", "Value": 30},
    )["CertificateArn"]
    leaf = client.get_certificate(CertificateAuthorityArn=sub, CertificateArn=leaf_arn)
    assert leaf["CertificateChain"] == certificate.strip() + "\n" + root_pem


def test_allowed_critical_extensions_are_accepted(client, sub, external):
    key = csr_of(client, sub).public_key()
    usage = x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip
    certificate = external.sign(key, extra=[(usage, True)])
    _import(client, sub, pem(certificate), pem(external.certificate))
    assert describe(client, sub)["Status"] == "ACTIVE"


# -- malformed certificates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"not a certificate",
        b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
        b"\x30\x03\x02\x01\x01",
    ],
)
def test_garbage_is_a_malformed_certificate(client, sub, external, data):
    with fails_unchanged(client, "MalformedCertificateException", "certificate"):
        _import(client, sub, data, pem(external.certificate))


def test_two_certificates_in_the_certificate_field_is_malformed(client, sub, external):
    certificate = external.sign(csr_of(client, sub).public_key())
    with fails_unchanged(client, "MalformedCertificateException", "one PEM certificate"):
        _import(client, sub, pem(certificate, external.certificate), pem(external.certificate))


def test_end_entity_certificate_is_malformed(client, sub, external):
    certificate = external.sign(csr_of(client, sub).public_key(), ca=False)
    with fails_unchanged(client, "MalformedCertificateException", "basicConstraints", "cA=False"):
        _import(client, sub, pem(certificate), pem(external.certificate))


def test_non_critical_basic_constraints_is_malformed(client, sub, external):
    certificate = external.sign(csr_of(client, sub).public_key(), critical=False)
    with fails_unchanged(client, "MalformedCertificateException", "critical"):
        _import(client, sub, pem(certificate), pem(external.certificate))


def test_certificate_without_basic_constraints_is_malformed(client, sub, external):
    key = csr_of(client, sub).public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name.from_rfc4514_string("CN=No BC"))
        .issuer_name(external.name)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(external.certificate.not_valid_before_utc)
        .not_valid_after(external.certificate.not_valid_after_utc - timedelta(days=1))
    )
    certificate = builder.sign(external.key, hashes.SHA256())
    with fails_unchanged(client, "MalformedCertificateException", "basicConstraints"):
        _import(client, sub, pem(certificate), pem(external.certificate))


@pytest.mark.parametrize(
    "extension",
    [
        x509.CRLDistributionPoints(
            [x509.DistributionPoint([x509.UniformResourceIdentifier("http://crl.example.com/a.crl")],
                                    None, None, None)]
        ),
        x509.AuthorityInformationAccess(
            [x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                    x509.UniformResourceIdentifier("http://ocsp.example.com"))]
        ),
        x509.PolicyConstraints(require_explicit_policy=0, inhibit_policy_mapping=None),
    ],
    ids=["crlDistributionPoints", "authorityInfoAccess", "policyConstraints"],
)  # fmt: skip
def test_rejected_critical_extensions_are_malformed(client, sub, external, extension):
    certificate = external.sign(csr_of(client, sub).public_key(), extra=[(extension, True)])
    with fails_unchanged(client, "MalformedCertificateException", extension.oid.dotted_string):
        _import(client, sub, pem(certificate), pem(external.certificate))


def test_rejected_critical_extension_in_the_chain_is_malformed(client, sub):
    cdp = x509.CRLDistributionPoints(
        [x509.DistributionPoint([x509.UniformResourceIdentifier("http://c.example.com/r.crl")], None, None, None)]
    )  # fmt: skip
    root = ExternalCa()
    intermediate = ExternalCa("Bad Intermediate", parent=root)
    intermediate.certificate = root.sign(
        intermediate.key.public_key(), "Bad Intermediate", extra=[(cdp, True)]
    )
    certificate = intermediate.sign(csr_of(client, sub).public_key())
    with fails_unchanged(client, "MalformedCertificateException", "chain certificate #1"):
        _import(client, sub, pem(certificate), pem(*intermediate.chain()))


def _with_a_repeated_extension(certificate: x509.Certificate) -> bytes:
    """``certificate`` re-encoded with its 1.2.3.5 extension renamed 1.2.3.4 (then repeated)."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    first, second = bytes.fromhex("06032a0304"), bytes.fromhex("06032a0305")
    assert der.count(second) == 1
    repeated = x509.load_der_x509_certificate(der.replace(second, first))
    return repeated.public_bytes(serialization.Encoding.PEM)


_TWO_EXTENSIONS = [
    (x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00"), False),
    (x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.5"), b"\x05\x00"), False),
]


def test_a_repeated_extension_is_malformed(client, sub, external):
    certificate = external.sign(csr_of(client, sub).public_key(), extra=_TWO_EXTENSIONS)
    with fails_unchanged(client, "MalformedCertificateException", "extension"):
        _import(client, sub, _with_a_repeated_extension(certificate), pem(external.certificate))


def test_a_repeated_extension_in_the_chain_is_malformed(client, sub):
    root = ExternalCa()
    intermediate = ExternalCa("Odd Intermediate", parent=root)
    intermediate.certificate = root.sign(
        intermediate.key.public_key(), "Odd Intermediate", extra=_TWO_EXTENSIONS
    )
    certificate = intermediate.sign(csr_of(client, sub).public_key())
    chain = _with_a_repeated_extension(intermediate.certificate) + pem(root.certificate)
    with fails_unchanged(client, "MalformedCertificateException", "chain certificate #1"):
        _import(client, sub, pem(certificate), chain)


def test_garbage_chain_is_malformed(client, sub, external):
    certificate = external.sign(csr_of(client, sub).public_key())
    with fails_unchanged(client, "MalformedCertificateException", "chain"):
        _import(client, sub, pem(certificate), b"not a chain")


def test_certificate_over_32_kb_is_a_validation_exception(pca, client, sub):
    too_big = b"-----BEGIN CERTIFICATE-----\n" + b"A" * 33000 + b"\n-----END CERTIFICATE-----\n"
    with fails_unchanged(client, "ValidationException", "certificate", "32768"):
        _import(unvalidated_client(pca), sub, too_big, b"x")


# -- key and chain mismatches ---------------------------------------------------------------------


def test_certificate_for_another_key_is_a_mismatch(client, sub, external):
    other_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    certificate = external.sign(other_key)
    with fails_unchanged(client, "CertificateMismatchException", "public key", "CSR"):
        _import(client, sub, pem(certificate), pem(external.certificate))


def test_root_given_a_self_signed_certificate_of_another_key_is_a_mismatch(client, external):
    root = create_ca(client)
    with fails_unchanged(client, "CertificateMismatchException", "public key"):
        _import(client, root, pem(external.certificate))


def test_chain_in_the_wrong_order_is_a_mismatch(client, sub, external):
    intermediate = ExternalCa("External Intermediate", parent=external)
    certificate = intermediate.sign(csr_of(client, sub).public_key())
    reversed_chain = pem(external.certificate, intermediate.certificate)
    with fails_unchanged(client, "CertificateMismatchException", "signed it"):
        _import(client, sub, pem(certificate), reversed_chain)


def test_chain_of_an_unrelated_ca_is_a_mismatch(client, sub, external):
    certificate = external.sign(csr_of(client, sub).public_key())
    with fails_unchanged(client, "CertificateMismatchException", "first certificate of the chain"):
        _import(client, sub, pem(certificate), pem(ExternalCa("Stranger").certificate))


def test_path_length_of_the_chain_must_hold(client, sub):
    root = ExternalCa()
    constrained = ExternalCa("PathLen0 Intermediate", parent=root)
    constrained.certificate = root.sign(
        constrained.key.public_key(), "PathLen0 Intermediate", path=0
    )
    certificate = constrained.sign(csr_of(client, sub).public_key())
    with fails_unchanged(client, "CertificateMismatchException", "path length"):
        _import(client, sub, pem(certificate), pem(*constrained.chain()))


def test_chain_without_the_root_is_invalid_request(client, sub, external):
    intermediate = ExternalCa("External Intermediate", parent=external)
    certificate = intermediate.sign(csr_of(client, sub).public_key())
    with fails_unchanged(client, "InvalidRequestException", "self-signed root"):
        _import(client, sub, pem(certificate), pem(intermediate.certificate))


def test_chain_holding_the_certificate_itself_is_invalid_request(client, sub, external):
    certificate = external.sign(csr_of(client, sub).public_key())
    with fails_unchanged(client, "InvalidRequestException", "must not contain"):
        _import(client, sub, pem(certificate), pem(certificate, external.certificate))


# -- role rules -----------------------------------------------------------------------------------


def test_chain_given_for_a_root_is_invalid_request(client):
    arn = create_ca(client)
    csr = client.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    certificate = issue_and_get(client, arn, csr, ROOT_TEMPLATE, 365)
    with fails_unchanged(client, "InvalidRequestException", "without a certificate chain"):
        _import(client, arn, certificate.encode(), certificate.encode())
    _import(client, arn, certificate.encode())
    assert describe(client, arn)["Status"] == "ACTIVE"


def test_root_given_a_certificate_signed_by_another_ca_is_invalid_request(client, external):
    root = create_ca(client)
    certificate = external.sign(csr_of(client, root).public_key())
    with fails_unchanged(client, "InvalidRequestException", "self-signed"):
        _import(client, root, pem(certificate))


def test_subordinate_without_a_chain_is_invalid_request(client, sub, external):
    certificate = external.sign(csr_of(client, sub).public_key())
    with fails_unchanged(client, "InvalidRequestException", "CertificateChain"):
        _import(client, sub, pem(certificate))
    with fails_unchanged(client, "InvalidRequestException", "CertificateChain"):
        _import(client, sub, pem(certificate), b"")


def test_self_signed_certificate_into_a_subordinate_is_invalid_request(client, sub, external):
    with fails_unchanged(client, "InvalidRequestException", "self-signed"):
        _import(client, sub, pem(external.certificate), pem(external.certificate))


# -- states ---------------------------------------------------------------------------------------


def test_import_into_a_disabled_ca_is_invalid_state(client, sub, external):
    key = csr_of(client, sub).public_key()
    _import(client, sub, pem(external.sign(key)), pem(external.certificate))
    client.update_certificate_authority(CertificateAuthorityArn=sub, Status="DISABLED")
    with fails_unchanged(client, "InvalidStateException", "DISABLED"):
        _import(client, sub, pem(external.sign(key)), pem(external.certificate))


def test_import_into_a_deleted_ca_is_invalid_state(client, sub, external):
    certificate = external.sign(csr_of(client, sub).public_key())
    client.delete_certificate_authority(CertificateAuthorityArn=sub)
    with fails_unchanged(client, "InvalidStateException", "DELETED"):
        _import(client, sub, pem(certificate), pem(external.certificate))


def test_import_while_creating_is_request_in_progress(pca, client, external):
    pca.sandbox.configure(creation_delay=30)
    arn = create_ca(client, "SUBORDINATE")
    with fails_unchanged(client, "RequestInProgressException", "being created"):
        _import(client, arn, pem(external.certificate), pem(external.certificate))


def test_renewal_of_an_active_root_with_the_same_key(pca, client):
    arn = create_ca(client)
    first = x509.load_pem_x509_certificate(activate_root(client, arn, days=365).encode())
    before = describe(client, arn)
    pca.sandbox.advance(days=30)
    csr = client.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    renewed_pem = issue_and_get(client, arn, csr, ROOT_TEMPLATE, 3650)
    _import(client, arn, renewed_pem.encode())
    renewed = x509.load_pem_x509_certificate(renewed_pem.encode())
    after = describe(client, arn)
    assert after["Status"] == "ACTIVE"
    assert renewed.serial_number != first.serial_number
    assert after["Serial"] != before["Serial"]
    assert after["NotAfter"] == renewed.not_valid_after_utc > before["NotAfter"]
    assert after["NotBefore"] == renewed.not_valid_before_utc
    assert _get(client, arn) == {"Certificate": renewed_pem.strip()}
    assert renewed.public_key() == first.public_key()


def _expire_subordinate(pca, client, external, *, disable_first: bool) -> str:
    arn = create_ca(client, "SUBORDINATE")
    key = csr_of(client, arn).public_key()
    _import(client, arn, pem(external.sign(key, days=10)), pem(external.certificate))
    if disable_first:
        client.update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")
    pca.sandbox.advance(days=11)
    assert describe(client, arn)["Status"] == "EXPIRED"
    renewed = external.sign(key, days=365, start=pca.sandbox.now() - timedelta(hours=1))
    _import(client, arn, pem(renewed), pem(external.certificate))
    assert describe(client, arn)["NotAfter"] == renewed.not_valid_after_utc
    return arn


def test_expired_ca_reimport_makes_it_active(pca, client, external):
    arn = _expire_subordinate(pca, client, external, disable_first=False)
    assert describe(client, arn)["Status"] == "ACTIVE"


def test_ca_disabled_before_it_expired_stays_disabled_after_reimport(pca, client, external):
    arn = _expire_subordinate(pca, client, external, disable_first=True)
    assert describe(client, arn)["Status"] == "DISABLED"


# -- GetCertificateAuthorityCertificate -----------------------------------------------------------


def test_get_ca_certificate_of_a_pending_ca_is_invalid_state(client, sub):
    with fails_unchanged(client, "InvalidStateException", "PENDING_CERTIFICATE"):
        client.get_certificate_authority_certificate(CertificateAuthorityArn=sub)


def test_get_ca_certificate_works_when_disabled_and_expired(pca, client):
    arn = create_ca(client)
    certificate = activate_root(client, arn, days=5).strip()
    client.update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")
    assert _get(client, arn) == {"Certificate": certificate}
    pca.sandbox.advance(days=6)
    assert describe(client, arn)["Status"] == "EXPIRED"
    assert _get(client, arn) == {"Certificate": certificate}


def test_get_ca_certificate_of_a_deleted_ca_is_invalid_state(client):
    arn = new_root(client)
    client.update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")
    client.delete_certificate_authority(CertificateAuthorityArn=arn)
    with fails_unchanged(client, "InvalidStateException", "DELETED"):
        client.get_certificate_authority_certificate(CertificateAuthorityArn=arn)
