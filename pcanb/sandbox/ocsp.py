"""The OCSP responder: signed good / revoked / unknown answers (RFC 6960, profiled by RFC 5019).

A revocation reaches the responder ``delay`` seconds after it happened (the ``ocsp_delay``
setting; AWS documents up to 60 minutes): until then the certificate is still "good".
Responses are signed by the CA itself with its SigningAlgorithm. cryptography's OCSP builder
cannot sign with RSA-PSS, so a PSS CA's response is built with PKCS#1 v1.5 and then signed
again with RSASSA-PSS (MGF1 of the same hash, salt the hash's size, as its certificates are).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509 import ocsp

from pcanb.sandbox.crl import REASON_FLAGS
from pcanb.sandbox.state import CaRecord, ts
from pcanb.x509.keys import sign_arguments
from pcanb.x509.ocsp import pss_algorithm_identifier, resign

VALIDITY = timedelta(hours=24)


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )


def _issuer_hashes(
    certificate: x509.Certificate, algorithm: hashes.HashAlgorithm
) -> tuple[bytes, bytes]:
    """(issuerNameHash, issuerKeyHash) for certificates this CA issued (RFC 6960 CertID)."""
    name_hash = hashes.Hash(algorithm)
    name_hash.update(certificate.subject.public_bytes())
    # cryptography computes the key hash (over the subjectPublicKey BIT STRING) for a request
    # naming this CA as issuer; the certificate argument only contributes a serial.
    request = ocsp.OCSPRequestBuilder().add_certificate(certificate, certificate, algorithm).build()
    return name_hash.finalize(), request.issuer_key_hash


def _signing_hash(ca: CaRecord) -> hashes.HashAlgorithm | None:
    name = ca.doc["CertificateAuthorityConfiguration"]["SigningAlgorithm"]
    return sign_arguments(name)["algorithm"]


def _find_issuer(db: sqlite3.Connection, request: ocsp.OCSPRequest) -> CaRecord | None:
    for row in db.execute("SELECT * FROM cas WHERE cert_pem IS NOT NULL"):
        ca = CaRecord.from_row(row)
        if not ca.doc["RevocationConfiguration"]["OcspConfiguration"].get("Enabled"):
            continue
        hashes_ = _issuer_hashes(ca.certificate, request.hash_algorithm)
        if hashes_ == (request.issuer_name_hash, request.issuer_key_hash):
            return ca
    return None


def respond(
    db: sqlite3.Connection, now: datetime, request_der: bytes, *, delay: float = 0.0
) -> bytes:
    """The DER OCSP response to a DER OCSP request, revocations seen ``delay`` seconds late."""
    try:
        request = ocsp.load_der_ocsp_request(request_der)
    except ValueError:
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    ca = _find_issuer(db, request)
    if ca is None or ca.status(now) not in ("ACTIVE", "DISABLED"):
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    row = db.execute(
        "SELECT revoked_at, revocation_reason, available_at FROM certificates WHERE ca_arn = ? AND serial = ?",
        (ca.arn, format(request.serial_number, "x")),
    ).fetchone()
    status, revoked_at, reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
    if row is not None and row["available_at"] <= now.timestamp():
        status = ocsp.OCSPCertStatus.GOOD
        if row["revoked_at"] is not None and row["revoked_at"] + delay <= now.timestamp():
            status = ocsp.OCSPCertStatus.REVOKED
            revoked_at = ts(row["revoked_at"])
            reason = REASON_FLAGS.get(row["revocation_reason"], x509.ReasonFlags.unspecified)
    this_update = now.replace(microsecond=0)
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            request.issuer_name_hash,
            request.issuer_key_hash,
            request.serial_number,
            request.hash_algorithm,
            status,
            this_update,
            this_update + VALIDITY,
            revoked_at,
            reason,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, ca.certificate)
    )
    for extension in request.extensions:
        if isinstance(extension.value, x509.OCSPNonce):
            builder = builder.add_extension(extension.value, critical=False)
    algorithm = _signing_hash(ca)
    try:
        der = builder.sign(ca.private_key, algorithm).public_bytes(serialization.Encoding.DER)
    except (ValueError, TypeError):
        return _unsuccessful(ocsp.OCSPResponseStatus.INTERNAL_ERROR)
    if algorithm is not None and _uses_pss(ca):
        pss = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)
        der = resign(
            der,
            pss_algorithm_identifier(algorithm),
            lambda tbs: ca.private_key.sign(tbs, pss, algorithm),
        )
    return der


def _uses_pss(ca: CaRecord) -> bool:
    return ca.doc["CertificateAuthorityConfiguration"]["SigningAlgorithm"].endswith("_PSS")
