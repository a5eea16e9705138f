"""Helpers and fixtures shared by the CA lifecycle contract tests (tests/test_lifecycle_*.py).

Everything goes through the real botocore client the sandbox answers, as a user's code would.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import crl_revocation, error_code, make_pca_bucket
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import pcanb


@pytest.fixture(scope="module")
def lifecycle_session(tmp_path_factory):
    session = pcanb.sandbox(tmp_path_factory.mktemp("lifecycle"))
    yield session
    session.sandbox.close()


@pytest.fixture(name="pca")
def fresh_pca(lifecycle_session):
    """The module's sandbox session, emptied for this test (clock and settings included).

    Overrides conftest's ``pca`` in the modules that import it: building boto3 clients is most of
    what a brand-new sandbox costs, and a reset sandbox is just as empty.
    """
    lifecycle_session.sandbox.reset()
    return lifecycle_session


EC_CONFIG = {
    "KeyAlgorithm": "EC_prime256v1",
    "SigningAlgorithm": "SHA256WITHECDSA",
    "Subject": {"CommonName": "Lifecycle CA", "Organization": "Example Corp", "Country": "US"},
}
ROOT_TEMPLATE = "arn:aws:acm-pca:::template/RootCACertificate/V1"
SUB_TEMPLATE = "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1"


def create_ca(client, ca_type: str = "ROOT", config: dict | None = None, **extra: Any) -> str:
    """A new CA (EC P-256 unless ``config`` says otherwise); returns its ARN."""
    response = client.create_certificate_authority(
        CertificateAuthorityConfiguration=config or EC_CONFIG,
        CertificateAuthorityType=ca_type,
        **extra,
    )
    return response["CertificateAuthorityArn"]


def describe(client, arn: str) -> dict:
    return client.describe_certificate_authority(CertificateAuthorityArn=arn)[
        "CertificateAuthority"
    ]


def csr_of(client, arn: str) -> x509.CertificateSigningRequest:
    pem = client.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    return x509.load_pem_x509_csr(pem.encode())


def issue_and_get(
    client, ca_arn: str, csr_pem: str | bytes, template: str, days: int, **extra
) -> str:
    """IssueCertificate + GetCertificate; the certificate PEM."""
    csr_bytes = csr_pem.encode() if isinstance(csr_pem, str) else csr_pem
    signing = describe(client, ca_arn)["CertificateAuthorityConfiguration"]["SigningAlgorithm"]
    arn = client.issue_certificate(
        CertificateAuthorityArn=ca_arn,
        Csr=csr_bytes,
        SigningAlgorithm=signing,
        TemplateArn=template,
        Validity={"Type": "DAYS", "Value": days},
        **extra,
    )["CertificateArn"]
    return client.get_certificate(CertificateAuthorityArn=ca_arn, CertificateArn=arn)["Certificate"]


def activate_root(client, arn: str, days: int = 3650) -> str:
    """Self-sign a PENDING_CERTIFICATE root through the API and import it; the certificate PEM."""
    csr = client.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    pem = issue_and_get(client, arn, csr, ROOT_TEMPLATE, days)
    client.import_certificate_authority_certificate(
        CertificateAuthorityArn=arn, Certificate=pem.encode()
    )
    return pem


def new_root(client, days: int = 3650, **extra: Any) -> str:
    arn = create_ca(client, "ROOT", **extra)
    activate_root(client, arn, days)
    return arn


# -- certificates made outside the sandbox (an "external parent" we hold the key of) ---------------


class ExternalCa:
    """A CA of our own (EC P-256) that signs certificates for the sandbox CAs' public keys."""

    def __init__(self, name: str = "External Root", parent: ExternalCa | None = None) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.parent = parent
        if parent is None:
            self.certificate = self._build(self.key.public_key(), self.name, self.key, self.name)
        else:
            self.certificate = parent.sign(self.key.public_key(), name)

    @staticmethod
    def _build(public_key, subject, signing_key, issuer, *, ca=True, critical=True, path=None,
               days=3650, start=None, extra=()) -> x509.Certificate:  # fmt: skip
        start = start or datetime.now(UTC) - timedelta(hours=1)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=path if ca else None), critical)
        )
        for extension, is_critical in extra:
            builder = builder.add_extension(extension, is_critical)
        return builder.sign(signing_key, hashes.SHA256())

    def sign(
        self, public_key, common_name: str = "Sandbox Subordinate", **options
    ) -> x509.Certificate:
        """A certificate for ``public_key`` issued by this CA (CA:TRUE critical unless told)."""
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        return self._build(public_key, subject, self.key, self.name, **options)

    def chain(self) -> list[x509.Certificate]:
        """This CA's certificate and its parents', issuer first and root last."""
        out, ca = [], self
        while ca is not None:
            out.append(ca.certificate)
            ca = ca.parent
        return out


def pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


# -- state snapshots and error assertions --------------------------------------------------------


def snapshot(client) -> dict[str, Any]:
    """Everything a caller can observe about the CAs of the region: list, tags, certificates."""
    cas = []
    for page in client.get_paginator("list_certificate_authorities").paginate():
        cas.extend(page["CertificateAuthorities"])
    state: dict[str, Any] = {"cas": cas, "tags": {}, "certs": {}}
    for ca in cas:
        arn = ca["Arn"]
        tags = []
        for page in client.get_paginator("list_tags").paginate(CertificateAuthorityArn=arn):
            tags.extend(page["Tags"])
        state["tags"][arn] = tags
        if ca["Status"] in ("ACTIVE", "DISABLED", "EXPIRED"):
            got = client.get_certificate_authority_certificate(CertificateAuthorityArn=arn)
            got.pop("ResponseMetadata")
            state["certs"][arn] = got
    return state


@contextmanager
def fails_unchanged(client, code: str, *message_parts: str):
    """Expect a ClientError with ``code`` whose message contains every part, and no state change.

    When ``code`` is one of the service's modeled exceptions, the error must also be an instance
    of ``client.exceptions.<code>``.
    """
    before = snapshot(client)
    with pytest.raises(ClientError) as excinfo:
        yield excinfo
    assert error_code(excinfo) == code, excinfo.value.response["Error"]
    if code in {s.name for s in client.meta.service_model.error_shapes}:
        assert isinstance(excinfo.value, getattr(client.exceptions, code))
    message = excinfo.value.response["Error"]["Message"]
    assert len(message) > 20, message
    for part in message_parts:
        assert part.lower() in message.lower(), f"{part!r} not in {message!r}"
    assert snapshot(client) == before


def unvalidated_client(pca):
    """An acm-pca client that skips botocore's client-side checks (min lengths and values),
    so the server-side ValidationException is what answers, as it is for other SDKs."""
    return pca.session.client(
        "acm-pca", region_name=pca.region, config=Config(parameter_validation=False)
    )


def crl_bucket(pca, name: str = "crl-bucket") -> dict:
    """A bucket whose policy lets acm-pca write CRLs; returns an enabled CrlConfiguration."""
    make_pca_bucket(pca, name)
    return crl_revocation(name, ocsp=False)["CrlConfiguration"]


def region_client(pca, region: str):
    """An acm-pca client on the same sandbox, in another region."""
    return pca.session.client("acm-pca", region_name=region)
