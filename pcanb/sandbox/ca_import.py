"""ImportCertificateAuthorityCertificate: the rules a CA certificate and its chain must meet."""

from __future__ import annotations

import itertools
import re
import sqlite3
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID

from pcanb.sandbox import quotas
from pcanb.sandbox.errors import (
    CertificateMismatchException,
    InvalidRequestException,
    InvalidStateException,
    MalformedCertificateException,
    RequestInProgressException,
)
from pcanb.sandbox.state import Context, load_ca
from pcanb.vocab import serial_to_aws
from pcanb.x509 import parse_errors, raw_extensions

_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
_CRITICAL_ALLOWED = {
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER, ExtensionOID.BASIC_CONSTRAINTS,
    ExtensionOID.CERTIFICATE_POLICIES, ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.INHIBIT_ANY_POLICY, ExtensionOID.ISSUER_ALTERNATIVE_NAME, ExtensionOID.KEY_USAGE,
    ExtensionOID.NAME_CONSTRAINTS, ExtensionOID.POLICY_MAPPINGS,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME, ExtensionOID.SUBJECT_DIRECTORY_ATTRIBUTES,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER, ExtensionOID.SUBJECT_INFORMATION_ACCESS,
}  # fmt: skip


def _spki(key: Any) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _load_one(data: bytes, what: str) -> x509.Certificate:
    try:
        if b"-----BEGIN" in data:
            blocks = _PEM_BLOCK.findall(data)
            if len(blocks) != 1:
                raise ValueError(f"expected one PEM certificate, found {len(blocks)}")
            return x509.load_pem_x509_certificate(blocks[0])
        return x509.load_der_x509_certificate(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise MalformedCertificateException(
            f"The {what} is not a valid DER or PEM X.509 certificate: {parse_errors.reason(exc)}."
        ) from None


def _load_chain(data: bytes) -> list[x509.Certificate]:
    blocks = _PEM_BLOCK.findall(data)
    if not blocks:
        raise MalformedCertificateException(
            "The certificate chain holds no PEM certificate; pass the issuer's certificate first "
            "and the root's last, PEM-encoded."
        )
    return [
        _load_one(block, f"certificate #{i + 1} of the chain") for i, block in enumerate(blocks)
    ]


def _check_extensions(certificate: x509.Certificate, what: str) -> None:
    try:
        extensions = raw_extensions.extensions_of(certificate)
    except (ValueError, IndexError, x509.DuplicateExtension) as exc:
        raise MalformedCertificateException(
            f"The {what} has malformed extensions: {parse_errors.reason(exc)}."
        ) from None
    for extension in extensions:
        if extension.critical and extension.oid not in _CRITICAL_ALLOWED:
            name = getattr(extension.oid, "_name", None) or extension.oid.dotted_string
            raise MalformedCertificateException(
                f"The {what} marks extension {name} ({extension.oid.dotted_string}) critical, "
                "which AWS Private CA does not accept."
            )


def _check_is_ca(certificate: x509.Certificate) -> x509.BasicConstraints:
    found = [
        e
        for e in raw_extensions.extensions_of(certificate)
        if e.oid == ExtensionOID.BASIC_CONSTRAINTS
    ]
    if not found:
        raise MalformedCertificateException(
            "The certificate has no basicConstraints extension; a CA certificate needs a critical "
            "basicConstraints with cA=TRUE (issue it with a RootCACertificate or "
            "SubordinateCACertificate template)."
        )
    extension = found[0]
    if not extension.value.ca or not extension.critical:
        raise MalformedCertificateException(
            "The certificate's basicConstraints must be critical with cA=TRUE; this one is "
            f"cA={extension.value.ca}, critical={extension.critical}. An end-entity certificate "
            "cannot be imported as a CA certificate."
        )
    return extension.value


def _signed_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _check_subordinate_chain(certificate: x509.Certificate, chain: list[x509.Certificate]) -> None:
    own = certificate.public_bytes(serialization.Encoding.DER)
    if any(c.public_bytes(serialization.Encoding.DER) == own for c in chain):
        raise InvalidRequestException(
            "The certificate chain must not contain the certificate being imported."
        )
    links = [certificate, *chain]
    for i, (child, parent) in enumerate(itertools.pairwise(links)):
        _check_extensions(parent, f"chain certificate #{i + 1}")
        if not _signed_by(child, parent):
            raise CertificateMismatchException(
                f"Certificate #{i} of the chain (0 is the imported certificate) is not signed by "
                f"chain certificate #{i + 1}: the chain must list the issuer first and the root last."
                if i
                else "The certificate does not comply with conditions specified in the certificate "
                "that signed it: it is not signed by the first certificate of the chain."
            )
        bc = raw_extensions.find(parent, x509.BasicConstraints)
        if bc is None or not bc.ca:
            raise CertificateMismatchException(
                f"Chain certificate #{i + 1} is not a CA certificate (basicConstraints cA=TRUE)."
            )
        below = i + 1  # CA certificates under this parent, the imported one included
        if bc.path_length is not None and below > bc.path_length:
            raise CertificateMismatchException(
                f"Chain certificate #{i + 1} has path length {bc.path_length}, which the chain "
                "below it exceeds."
            )
    if not _signed_by(links[-1], links[-1]):
        raise InvalidRequestException(
            "The certificate chain must end with the self-signed root certificate."
        )


def import_certificate_authority_certificate(
    engine, db: sqlite3.Connection, ctx: Context, req: dict[str, Any]
) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"])
    status = ca.status(ctx.now)
    if status == "CREATING":
        raise RequestInProgressException(
            f"The certificate authority {ca.arn} is still being created; import after its CSR "
            "is available."
        )
    if status not in ("PENDING_CERTIFICATE", "ACTIVE", "EXPIRED"):
        raise InvalidStateException(
            f"The certificate authority {ca.arn} is in the {status} state; a CA certificate can "
            "be imported only in PENDING_CERTIFICATE, ACTIVE or EXPIRED."
        )
    certificate = _load_one(req["Certificate"], "certificate")
    chain_data = req.get("CertificateChain") or b""
    _check_extensions(certificate, "certificate")
    _check_is_ca(certificate)
    # The certificate's role (self-signed for a ROOT, issued by a parent for a SUBORDINATE) is
    # checked before its key, so a self-signed certificate sent to a SUBORDINATE is reported as
    # such [inferred: AWS does not document the order].
    self_signed = certificate.issuer == certificate.subject and _signed_by(certificate, certificate)
    if ca.type == "ROOT":
        if not self_signed:
            raise InvalidRequestException(
                "A ROOT certificate authority needs a self-signed certificate; for a certificate "
                "signed by another CA, create a SUBORDINATE certificate authority."
            )
        if chain_data.strip():
            raise InvalidRequestException(
                "A ROOT certificate authority's certificate is imported without a certificate chain."
            )
    else:
        if self_signed:
            raise InvalidRequestException(
                "A SUBORDINATE certificate authority cannot import a self-signed certificate."
            )
        if not chain_data.strip():
            raise InvalidRequestException(
                "A SUBORDINATE certificate authority needs the CertificateChain: the issuer's "
                "certificate first, the root's last."
            )
    if _spki(certificate.public_key()) != _spki(ca.private_key.public_key()):
        raise CertificateMismatchException(
            "The certificate's public key does not match the certificate authority's key: "
            "sign the CSR from GetCertificateAuthorityCsr."
        )
    chain = _load_chain(chain_data) if ca.type == "SUBORDINATE" else []
    if chain:
        _check_subordinate_chain(certificate, chain)
        quotas.check_import_depth(len(chain))
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM).decode().strip()  # noqa: E731
    ca.cert_pem = pem(certificate)
    ca.chain_pem = "\n".join(pem(c) for c in chain) or None
    ca.__dict__.pop("certificate", None)
    ca.doc["NotBefore"] = certificate.not_valid_before_utc.timestamp()
    ca.doc["NotAfter"] = certificate.not_valid_after_utc.timestamp()
    ca.doc["Serial"] = serial_to_aws(certificate.serial_number)
    if ca.doc["Status"] in ("PENDING_CERTIFICATE", "CREATING"):
        ca.set_status("ACTIVE", ctx.now)
    else:
        ca.doc["LastStateChangeAt"] = ctx.now.timestamp()
    ca.save(db)
    return {}
