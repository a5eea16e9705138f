"""pkilint (RFC 5280 / RFC 6960 linters) on what the main templates issue, the CRLs and OCSP.

Accepted findings are listed with the reason; everything else at WARNING or above fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import crl_revocation, make_pca_bucket
from pkilint import loader, pkix
from pkilint.bin import lint_pkix_signer_signee_cert_chain as chain_linter
from pkilint.pkix import certificate, crl, extension, name, ocsp

import pcanb
from pcanb.x509.ocsp import build_request

BUCKET = "lint-crl"
SUBJECT = {"Organization": "Example Corp", "Country": "US"}
# The EndEntity / EndEntityServerAuth / EndEntityClientAuth template definitions list
# digitalSignature + keyEncipherment with no key-type condition, and the sandbox issues them
# literally; for an EC key RFC 5480 forbids keyEncipherment, so pkilint reports this ERROR.
# (A Blank*_APIPassthrough template with KeyUsage DigitalSignature gives a clean EC leaf.)
EC_KEY_ENCIPHERMENT = ("ERROR", "pkix.key_usage_value_prohibited_for_ec")
# Severities that fail a test unless accepted; NOTICE/INFO/DEBUG are informational (e.g.
# pkix.subject_key_identifier_method_1_identified, which confirms the RFC 5280 SKI method).
BLOCKING = {"FATAL", "ERROR", "WARNING"}


def _findings(results) -> list[tuple[str, str, str | None]]:
    return [
        (d.finding.severity.name, d.finding.code, d.message)
        for result in results
        for d in result.finding_descriptions
    ]


# The validator sets below are those pkilint's own commands (lint_pkix_cert, lint_crl -p PKIX,
# lint_ocsp_response, lint_pkix_signer_signee_cert_chain) assemble; they are built here so the
# documents can be linted in-process (the commands leave their input files open).


def lint_certificate(path: Path) -> list[tuple[str, str, str | None]]:
    validator = certificate.create_pkix_certificate_validator_container(
        certificate.create_decoding_validators(
            name.ATTRIBUTE_TYPE_MAPPINGS, extension.EXTENSION_MAPPINGS
        ),
        [
            certificate.create_issuer_validator_container([]),
            certificate.create_validity_validator_container(),
            certificate.create_subject_validator_container([]),
            certificate.create_extensions_validator_container([]),
            certificate.create_spki_validator_container([]),
        ],
    )
    document = loader.RFC5280CertificateDocumentLoader().load_document(path.read_bytes())
    return _findings(validator.validate(document.root))


def lint_certificate_list(path: Path) -> list[tuple[str, str, str | None]]:
    validator = crl.create_pkix_crl_validator_container(
        [
            pkix.create_attribute_decoder(name.ATTRIBUTE_TYPE_MAPPINGS),
            pkix.create_extension_decoder(extension.EXTENSION_MAPPINGS),
        ],
        [
            crl.create_issuer_validator_container([]),
            crl.create_validity_validator_container([]),
            crl.create_extensions_validator_container([]),
        ],
    )
    document = loader.RFC5280CertificateListDocumentLoader().load_document(path.read_bytes())
    return _findings(validator.validate(document.root))


def lint_ocsp(path: Path) -> list[tuple[str, str, str | None]]:
    validator = ocsp.create_pkix_ocsp_response_validator_container(
        [
            ocsp.create_response_decoder(),
            pkix.create_attribute_decoder(name.ATTRIBUTE_TYPE_MAPPINGS),
            pkix.create_extension_decoder(extension.EXTENSION_MAPPINGS),
        ],
        [],
    )
    document = loader.RFC6960OCSPResponseDocumentLoader().load_document(path.read_bytes())
    return _findings(validator.validate(document.root))


def lint_pair(issuer_path: Path, subject_path: Path) -> list[tuple[str, str, str | None]]:
    documents: dict = {}
    load = loader.RFC5280CertificateDocumentLoader().load_document
    issuer = documents["issuer"] = load(issuer_path.read_bytes(), "issuer", "issuer", documents)
    subject = documents["subject"] = load(
        subject_path.read_bytes(), "subject", "subject", documents
    )
    decoders = chain_linter.create_decoder_validation_container()
    results = decoders.validate(issuer.root) + decoders.validate(subject.root)
    results += chain_linter.create_issuer_validation_container().validate(issuer.root)
    results += chain_linter.create_subject_validation_container().validate(subject.root)
    return _findings(results)


def blocking(findings, accepted=()) -> list:
    return [f for f in findings if f[0] in BLOCKING and (f[0], f[1]) not in accepted]


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    """The main templates' output from one root → PathLen0 sub hierarchy, written as PEM/DER."""
    directory = tmp_path_factory.mktemp("pkilint")
    pca = pcanb.sandbox(directory / "sandbox")
    make_pca_bucket(pca, BUCKET)
    config = crl_revocation(BUCKET)
    root = pca.create_root_ca(
        subject={"CommonName": "Lint Root CA", **SUBJECT}, revocation_configuration=config
    )
    sub = pca.create_subordinate_ca(
        parent=root,
        subject={"CommonName": "Lint Issuing CA", **SUBJECT},
        path_length=0,
        revocation_configuration=config,
    )
    certs = {
        "RootCACertificate": root.certificate,
        "SubordinateCACertificate_PathLen0": sub.certificate,
    }
    for template in (
        "EndEntityCertificate",
        "EndEntityServerAuthCertificate",
        "EndEntityClientAuthCertificate",
        "CodeSigningCertificate",
        "OCSPSigningCertificate",
    ):
        name = f"{template.lower()}.example.com"
        certs[template] = pca.issue(sub, name, sans=[name], template=template)
    certs["EndEntityServerAuthCertificate RSA"] = pca.issue(
        sub,
        "rsa.example.com",
        sans=["rsa.example.com"],
        key_algorithm="RSA_2048",
        template="EndEntityServerAuthCertificate",
    )
    certs["BlankEndEntityCertificate_APIPassthrough"] = pca.issue(
        sub,
        "blank.example.com",
        sans=["blank.example.com"],
        template="BlankEndEntityCertificate_APIPassthrough",
        api_passthrough={
            "Subject": {"CommonName": "blank.example.com", **SUBJECT},
            "Extensions": {
                "KeyUsage": {"DigitalSignature": True},
                "ExtendedKeyUsage": [
                    {"ExtendedKeyUsageType": "SERVER_AUTH"},
                    {"ExtendedKeyUsageType": "CLIENT_AUTH"},
                ],
                "CertificatePolicies": [{"CertPolicyId": "1.3.6.1.4.1.99999.1.1"}],
            },
        },
    )
    # entries with and without a reason code on the CRL and in OCSP
    pca.revoke(certs["CodeSigningCertificate"], "KEY_COMPROMISE")
    pca.revoke(certs["OCSPSigningCertificate"], "UNSPECIFIED")
    files: dict[str, Path] = {}
    for name, cert in certs.items():
        files[name] = directory / f"{name.replace(' ', '_')}.pem"
        files[name].write_text(cert.pem)
    partitioned_config = {
        "CrlConfiguration": {**config["CrlConfiguration"], "CrlType": "PARTITIONED"}
    }
    partitioned = pca.create_root_ca(
        subject={"CommonName": "Lint Partitioned Root", **SUBJECT},
        revocation_configuration=partitioned_config,
    )
    pca.revoke(pca.issue(partitioned, "p.example.com", sans=["p.example.com"]), "SUPERSEDED")
    for name, ca in (("root", root), ("sub", sub), ("partitioned", partitioned)):
        files[f"{name}.crl"] = directory / f"{name}.crl"
        files[f"{name}.crl"].write_bytes(pca.crl(ca).der)
    for name in ("EndEntityCertificate", "CodeSigningCertificate", "OCSPSigningCertificate"):
        request = build_request(certs[name], sub.certificate)
        _, _, body = pca.sandbox.fetch("POST", certs[name].ocsp_urls[0], request)
        files[f"{name}.ocsp"] = directory / f"{name}.ocsp.der"
        files[f"{name}.ocsp"].write_bytes(body)
    yield files, certs
    pca.sandbox.close()


CLEAN = [
    "RootCACertificate",
    "SubordinateCACertificate_PathLen0",
    "CodeSigningCertificate",
    "OCSPSigningCertificate",
    "EndEntityServerAuthCertificate RSA",
    "BlankEndEntityCertificate_APIPassthrough",
]
EC_END_ENTITY = [
    "EndEntityCertificate",
    "EndEntityServerAuthCertificate",
    "EndEntityClientAuthCertificate",
]


@pytest.mark.parametrize("name", CLEAN)
def test_certificate_lints_clean(issued, name):
    files, _certs = issued
    findings = lint_certificate(files[name])
    assert blocking(findings) == []
    # the linter really looked at it: the SKI method note is always there
    assert ("INFO", "pkix.subject_key_identifier_method_1_identified", None) in findings


@pytest.mark.parametrize("name", EC_END_ENTITY)
def test_ec_end_entity_keyencipherment_is_the_only_finding(issued, name):
    files, certs = issued
    assert certs[name].key_algorithm == "EC_prime256v1"
    assert certs[name].key_usage == ["digital_signature", "key_encipherment"]
    findings = lint_certificate(files[name])
    assert [f[:2] for f in blocking(findings)] == [EC_KEY_ENCIPHERMENT]
    assert blocking(findings, accepted=[EC_KEY_ENCIPHERMENT]) == []


@pytest.mark.parametrize(
    ("issuer", "subject"),
    [
        ("RootCACertificate", "SubordinateCACertificate_PathLen0"),
        ("SubordinateCACertificate_PathLen0", "EndEntityServerAuthCertificate"),
        ("SubordinateCACertificate_PathLen0", "BlankEndEntityCertificate_APIPassthrough"),
    ],
)
def test_issuer_and_subject_pair_lints_clean(issued, issuer, subject):
    """Name chaining, AKI = issuer SKI, and the signature, as pkilint checks them."""
    files, _ = issued
    findings = lint_pair(files[issuer], files[subject])
    assert blocking(findings) == []


def test_the_pair_linter_catches_a_wrong_issuer(issued):
    files, _ = issued
    findings = lint_pair(files["RootCACertificate"], files["EndEntityServerAuthCertificate"])
    assert blocking(findings) != []


@pytest.mark.parametrize("name", ["sub.crl", "root.crl", "partitioned.crl"])
def test_crl_lints_clean(issued, name):
    files, _ = issued
    findings = lint_certificate_list(files[name])
    assert blocking(findings) == []


@pytest.mark.parametrize(
    "name", ["EndEntityCertificate", "CodeSigningCertificate", "OCSPSigningCertificate"]
)
def test_ocsp_response_lints_clean(issued, name):
    files, _ = issued
    findings = lint_ocsp(files[f"{name}.ocsp"])
    assert blocking(findings) == []
