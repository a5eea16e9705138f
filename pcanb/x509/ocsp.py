"""OCSP requests and responses (RFC 6960) as plain values, built on cryptography's OCSP support."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from pcanb.errors import DecodeError
from pcanb.x509.decode import Certificate


def build_request(
    certificate: Certificate, issuer: Certificate, *, nonce: bytes | None = None
) -> bytes:
    """A DER OCSP request for ``certificate`` (CertID hashed with SHA-1, as RFC 5019 expects)."""
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        certificate.x509, issuer.x509, hashes.SHA1()
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True)
class OcspAnswer:
    """What an OCSP responder said about one certificate."""

    response_status: str
    cert_status: str | None = None
    revocation_time: datetime | None = None
    revocation_reason: str | None = None
    this_update: datetime | None = None
    next_update: datetime | None = None
    signature_valid: bool | None = None

    @property
    def revoked(self) -> bool | None:
        if self.cert_status is None:
            return None
        return self.cert_status == "REVOKED"


def parse_response(der: bytes, issuer: Certificate) -> OcspAnswer:
    """Decode a DER OCSP response and check its signature with the issuer's key."""
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError as exc:
        raise DecodeError(f"could not decode an OCSP response: {exc}") from None
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        return OcspAnswer(response.response_status.name)
    try:
        issuer.x509.public_key().verify(
            response.signature, response.tbs_response_bytes, *_verify_args(issuer, response)
        )
        valid = True
    except (InvalidSignature, TypeError, ValueError, UnsupportedAlgorithm):
        valid = False
    reason = response.revocation_reason.name if response.revocation_reason is not None else None
    return OcspAnswer(
        response_status="SUCCESSFUL",
        cert_status=response.certificate_status.name,
        revocation_time=response.revocation_time_utc,
        revocation_reason=reason,
        this_update=response.this_update_utc,
        next_update=response.next_update_utc,
        signature_valid=valid,
    )


def _verify_args(issuer: Certificate, response: ocsp.OCSPResponse) -> tuple:
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    key = issuer.x509.public_key()
    algorithm = response.signature_hash_algorithm
    if isinstance(key, rsa.RSAPublicKey):
        return (padding.PKCS1v15(), algorithm)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return (ec.ECDSA(algorithm),)
    return ()
