"""The five-level hierarchy limit: a CA at level 5 issues no CA certificate, and no CA imports a
certificate whose chain would put it at level 6.

AWS documents the limit, not where it is enforced; the sandbox checks it at both points
(IssueCertificate → InvalidArgsException, ImportCertificateAuthorityCertificate →
InvalidRequestException). Deep chains come from an external hierarchy without path lengths, so
that the depth, not a pathLen constraint, is what refuses the call.
"""

from __future__ import annotations

import json

import pytest
from conftest import ec_csr_pem, make_pca_bucket
from cryptography import x509
from test_lifecycle_support import (  # noqa: F401 (fixtures)
    ExternalCa,
    create_ca,
    csr_of,
    describe,
    fails_unchanged,
    fresh_pca,
    lifecycle_session,
    pem,
)

TEMPLATE = "arn:aws:acm-pca:::template/{}/V1"
CA_TEMPLATES = [
    "SubordinateCACertificate_PathLen0",
    "SubordinateCACertificate_PathLen3",
    "SubordinateCACertificate_PathLen0_CSRPassthrough",
    "BlankSubordinateCACertificate_PathLen0_APIPassthrough",
]
BUCKET = "depth-audit"


def _external_levels(count: int) -> list[ExternalCa]:
    """An external hierarchy ``count`` levels deep (root first), without path lengths."""
    levels = [ExternalCa("External Level 1")]
    for level in range(2, count + 1):
        levels.append(ExternalCa(f"External Level {level}", parent=levels[-1]))
    return levels


def _subordinate_under(client, parent: ExternalCa) -> tuple[str, x509.Certificate]:
    """A sandbox SUBORDINATE CA and a certificate ``parent`` signed for its key (no pathLen)."""
    arn = create_ca(client, "SUBORDINATE")
    certificate = parent.sign(csr_of(client, arn).public_key(), "Sandbox Subordinate")
    return arn, certificate


def _import(client, arn: str, certificate: x509.Certificate, chain: list[x509.Certificate]):
    client.import_certificate_authority_certificate(
        CertificateAuthorityArn=arn, Certificate=pem(certificate), CertificateChain=pem(*chain)
    )


def _sandbox_ca_at_level(client, level: int) -> str:
    """An ACTIVE sandbox CA at ``level`` (2 or more) under an external hierarchy."""
    parents = _external_levels(level - 1)
    arn, certificate = _subordinate_under(client, parents[-1])
    _import(client, arn, certificate, parents[-1].chain())
    return arn


def _issue(client, ca_arn: str, template: str, **extra) -> str:
    return client.issue_certificate(
        CertificateAuthorityArn=ca_arn,
        Csr=ec_csr_pem("Deeper CA"),
        SigningAlgorithm="SHA256WITHECDSA",
        TemplateArn=TEMPLATE.format(template),
        Validity={"Type": "DAYS", "Value": 30},
        **extra,
    )["CertificateArn"]


def _issued(pca, ca_arn: str) -> list[str]:
    """The certificate ARNs the CA's audit report lists."""
    make_pca_bucket(pca, BUCKET)
    report = pca.client.create_certificate_authority_audit_report(
        CertificateAuthorityArn=ca_arn, S3BucketName=BUCKET, AuditReportResponseFormat="JSON"
    )
    body = pca.s3.get_object(Bucket=BUCKET, Key=report["S3Key"])["Body"].read()
    return [row["certificateArn"] for row in json.loads(body)]


# -- IssueCertificate -------------------------------------------------------------------------


@pytest.mark.parametrize("template", CA_TEMPLATES)
def test_a_level_five_ca_issues_no_ca_certificate(pca, client, template):
    arn = _sandbox_ca_at_level(client, 5)
    leaf = _issue(client, arn, "EndEntityCertificate")  # end entities are still fine
    with fails_unchanged(client, "InvalidArgsException", "level 5", "at most 5 levels"):
        _issue(client, arn, template)
    assert _issued(pca, arn) == [leaf]


def test_a_level_four_ca_issues_a_ca_certificate_that_imports_at_level_five(pca, client):
    parents = _external_levels(3)
    level4, certificate = _subordinate_under(client, parents[-1])
    chain4 = parents[-1].chain()
    _import(client, level4, certificate, chain4)
    level5 = create_ca(client, "SUBORDINATE")
    issued = client.issue_certificate(
        CertificateAuthorityArn=level4,
        Csr=client.get_certificate_authority_csr(CertificateAuthorityArn=level5)["Csr"].encode(),
        SigningAlgorithm="SHA256WITHECDSA",
        TemplateArn=TEMPLATE.format("SubordinateCACertificate_PathLen0"),
        Validity={"Type": "DAYS", "Value": 365},
    )["CertificateArn"]
    got = client.get_certificate(CertificateAuthorityArn=level4, CertificateArn=issued)
    client.import_certificate_authority_certificate(
        CertificateAuthorityArn=level5,
        Certificate=got["Certificate"].encode(),
        CertificateChain=got["CertificateChain"].encode(),
    )
    assert describe(client, level5)["Status"] == "ACTIVE"


def test_a_root_issues_ca_certificates(pca, client):
    root = pca.create_root_ca(common_name="Level 1")
    arn = _issue(client, root.arn, "SubordinateCACertificate_PathLen3")
    issued = pca.get_certificate(arn)
    assert issued.is_ca is True and issued.path_length == 3


# -- ImportCertificateAuthorityCertificate ----------------------------------------------------


def test_a_chain_that_would_make_level_six_is_refused(pca, client):
    parents = _external_levels(5)
    arn, certificate = _subordinate_under(client, parents[-1])
    with fails_unchanged(client, "InvalidRequestException", "level 6", "at most 5 levels"):
        _import(client, arn, certificate, parents[-1].chain())
    assert describe(client, arn)["Status"] == "PENDING_CERTIFICATE"
    # The same key under level 4 is level 5, which is allowed.
    shallower = parents[3].sign(csr_of(client, arn).public_key(), "Sandbox Subordinate")
    _import(client, arn, shallower, parents[3].chain())
    assert describe(client, arn)["Status"] == "ACTIVE"


def test_renewal_into_a_deeper_chain_is_refused_and_keeps_the_certificate(pca, client):
    parents = _external_levels(5)
    arn, certificate = _subordinate_under(client, parents[1])
    _import(client, arn, certificate, parents[1].chain())
    deeper = parents[4].sign(csr_of(client, arn).public_key(), "Sandbox Subordinate")
    with fails_unchanged(client, "InvalidRequestException", "at most 5 levels"):
        _import(client, arn, deeper, parents[4].chain())
