"""OCSP requests and responses (RFC 6960) as plain values, built on cryptography's OCSP support."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import SignatureAlgorithmOID

from pcanb.errors import DecodeError
from pcanb.x509 import der
from pcanb.x509.decode import Certificate, _utc
from pcanb.x509.revocation import CLOCK_SKEW


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
    """What an OCSP responder said about one certificate, and whether it can be believed.

    ``signature_valid``: the response is signed by the issuer or by an authorised responder
    (``signed_by`` names which). ``matches``: it answers for the certificate's CertID (issuer
    name hash, issuer key hash, serial); ``None`` when no certificate was given to compare.
    ``problems``: why the answer cannot be believed (:func:`answer_problems`, filled by
    :func:`parse_response`); when there are any, ``revoked`` is ``None`` (unknown) and
    ``cert_status`` still says what the responder said.
    """

    response_status: str
    cert_status: str | None = None
    revocation_time: datetime | None = None
    revocation_reason: str | None = None
    this_update: datetime | None = None
    next_update: datetime | None = None
    signature_valid: bool | None = None
    serial: int | None = None
    nonce: bytes | None = None
    signed_by: str | None = None
    matches: bool | None = None
    problems: tuple[str, ...] = ()

    @property
    def revoked(self) -> bool | None:
        """True (REVOKED) or False (GOOD) when the answer can be believed, else ``None``."""
        if self.problems or self.cert_status is None or self.cert_status == "UNKNOWN":
            return None
        return self.cert_status == "REVOKED"


def _cert_id(
    certificate: Certificate, issuer: Certificate, algorithm: hashes.HashAlgorithm
) -> tuple[bytes, bytes, int] | None:
    """The (issuerNameHash, issuerKeyHash, serial) of ``certificate``'s CertID with ``algorithm``."""
    try:
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(certificate.x509, issuer.x509, algorithm)
            .build()
        )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    return request.issuer_name_hash, request.issuer_key_hash, request.serial_number


def _single_response(
    response: ocsp.OCSPResponse, certificate: Certificate | None, issuer: Certificate
) -> tuple[ocsp.OCSPSingleResponse, bool | None]:
    """The SingleResponse about ``certificate`` (the first one when none is), and whether it is."""
    singles = list(response.responses)
    if certificate is None:
        return singles[0], None
    for single in singles:
        wanted = _cert_id(certificate, issuer, single.hash_algorithm)
        found = (single.issuer_name_hash, single.issuer_key_hash, single.serial_number)
        if wanted is not None and wanted == found:
            return single, True
    return singles[0], False


def _signature_verifies(signer: Certificate, response: ocsp.OCSPResponse, encoded: bytes) -> bool:
    try:
        key = signer.x509.public_key()
        key.verify(
            response.signature,
            response.tbs_response_bytes,
            *_verify_args(signer, response, encoded),
        )
    except (
        InvalidSignature,
        TypeError,
        ValueError,
        UnsupportedAlgorithm,
        DecodeError,
        KeyError,
        IndexError,
    ):
        return False
    return True


def _authorised_responder(candidate: Certificate, issuer: Certificate, at: datetime) -> bool:
    """RFC 6960 §4.2.2.2: issued directly by ``issuer``, id-kp-OCSPSigning, valid at ``at``."""
    return (
        candidate.x509.issuer == issuer.x509.subject
        and candidate.signature_check(issuer) is True
        and "OCSPSigning" in candidate.extended_key_usage
        and candidate.is_valid_at(at)
    )


def parse_response(
    encoded: bytes,
    issuer: Certificate,
    *,
    certificate: Certificate | None = None,
    at: datetime | None = None,
    nonce: bytes | None = None,
) -> OcspAnswer:
    """Decode a DER OCSP response, check who signed it, and judge it at ``at`` (default: now).

    The signature must verify with the issuer's key, or with the key of a responder
    certificate the response carries that the issuer issued for id-kp-OCSPSigning and that is
    valid at ``at``. With ``certificate``, the answer is the SingleResponse for its CertID
    (``matches`` says whether there is one). ``nonce`` is the request's nonce, if it sent one.
    The answer's ``problems`` are :func:`answer_problems` at ``at``.
    """
    try:
        response = ocsp.load_der_ocsp_response(encoded)
    except ValueError as exc:
        raise DecodeError(f"could not decode an OCSP response: {exc}") from None
    moment = _utc(at)
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        failed = OcspAnswer(response.response_status.name)
        return replace(failed, problems=tuple(answer_problems(failed, at=moment)))
    signed_by = None
    if _signature_verifies(issuer, response, encoded):
        signed_by = f"the issuer ({issuer.common_name or issuer.subject})"
    else:
        for embedded in response.certificates:
            responder = Certificate(embedded)
            if _authorised_responder(responder, issuer, moment) and _signature_verifies(
                responder, response, encoded
            ):
                signed_by = f"the authorised responder {responder.common_name or responder.subject}"
                break
    try:
        single, matches = _single_response(response, certificate, issuer)
    except ValueError as exc:
        raise DecodeError(f"could not decode an OCSP response: {exc}") from None
    reason = single.revocation_reason.name if single.revocation_reason is not None else None
    try:
        echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        echoed = None
    answer = OcspAnswer(
        response_status="SUCCESSFUL",
        cert_status=single.certificate_status.name,
        revocation_time=single.revocation_time_utc,
        revocation_reason=reason,
        this_update=single.this_update_utc,
        next_update=single.next_update_utc,
        signature_valid=signed_by is not None,
        serial=single.serial_number,
        nonce=echoed,
        signed_by=signed_by,
        matches=matches,
    )
    return replace(answer, problems=tuple(answer_problems(answer, at=moment, nonce=nonce)))


def answer_problems(answer: OcspAnswer, *, at: datetime, nonce: bytes | None = None) -> list[str]:
    """Why ``answer`` says nothing about the certificate at ``at``; empty when it does.

    It must be a successful response signed by the issuer or an authorised responder, for the
    certificate's CertID, current (thisUpdate not in the future beyond ``CLOCK_SKEW``, nextUpdate not
    passed), and, without a nextUpdate, fresh because it echoes ``nonce``.
    """
    if answer.response_status != "SUCCESSFUL":
        return [f"the responder answered {answer.response_status}"]
    problems = []
    if not answer.signature_valid:
        problems.append(
            "its signature does NOT verify with the issuer's key nor with that of an "
            "authorised responder (a certificate the issuer issued for id-kp-OCSPSigning)"
        )
    if answer.matches is False:
        problems.append(
            "it holds no answer for this certificate's CertID (issuer name hash, issuer key "
            "hash and serial)"
        )
    if answer.this_update is not None and answer.this_update > at + CLOCK_SKEW:
        problems.append(
            f"its thisUpdate {answer.this_update:%Y-%m-%d %H:%M}Z is in the future "
            f"(now {at:%Y-%m-%d %H:%M}Z)"
        )
    if answer.next_update is not None and answer.next_update < at:
        problems.append(
            f"it is stale: its nextUpdate {answer.next_update:%Y-%m-%d %H:%M}Z has passed "
            f"(now {at:%Y-%m-%d %H:%M}Z)"
        )
    elif answer.next_update is None and (nonce is None or answer.nonce != nonce):
        problems.append(
            "it has no nextUpdate and does not echo the request's nonce, so its freshness "
            "cannot be judged"
        )
    if answer.cert_status == "UNKNOWN":
        problems.append("the responder does not know this certificate")
    return problems


def _verify_args(signer: Certificate, response: ocsp.OCSPResponse, encoded: bytes) -> tuple:
    key = signer.x509.public_key()
    if response.signature_algorithm_oid == SignatureAlgorithmOID.RSASSA_PSS:
        algorithm, pss = pss_parameters(encoded)
        return (pss, algorithm)
    algorithm = response.signature_hash_algorithm
    if isinstance(key, rsa.RSAPublicKey):
        return (padding.PKCS1v15(), algorithm)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return (ec.ECDSA(algorithm),)
    return ()


# --- RSASSA-PSS signatures --------------------------------------------------------------------
# cryptography reads and builds OCSP responses but neither signs nor verifies them with RSA-PSS;
# the few DER structures involved (RFC 6960 BasicOCSPResponse, RFC 4055 RSASSA-PSS-params) are
# handled here.

_PSS_OID = "1.2.840.113549.1.1.10"
_MGF1_OID = "1.2.840.113549.1.1.8"
_OCSP_BASIC_OID = "1.3.6.1.5.5.7.48.1.1"
_HASH_OIDS: dict[str, type[hashes.HashAlgorithm]] = {
    "1.3.14.3.2.26": hashes.SHA1,
    "2.16.840.1.101.3.4.2.1": hashes.SHA256,
    "2.16.840.1.101.3.4.2.2": hashes.SHA384,
    "2.16.840.1.101.3.4.2.3": hashes.SHA512,
}


def _elements(data: bytes) -> list[tuple[int, bytes, bytes]]:
    """The (tag, content, whole encoding) of each DER element in ``data``, in order."""
    out, at = [], 0
    try:
        for tag, start, end in der.children(data):
            out.append((tag, data[start:end], data[at:end]))
            at = end
    except ValueError as exc:
        raise DecodeError(f"malformed DER in an OCSP response: {exc}") from None
    return out


def _basic_response(encoded: bytes) -> list[tuple[int, bytes, bytes]]:
    """The elements of the BasicOCSPResponse inside a successful OCSPResponse."""
    [(_, response, _)] = _elements(encoded)
    _, response_bytes, _ = _elements(response)[1]  # [0] EXPLICIT ResponseBytes
    [(_, inner, _)] = _elements(response_bytes)
    _, basic_octets, _ = _elements(inner)[1]  # responseType, response OCTET STRING
    [(_, basic, _)] = _elements(basic_octets)
    return _elements(basic)


def pss_algorithm_identifier(algorithm: hashes.HashAlgorithm) -> bytes:
    """The DER AlgorithmIdentifier of RSASSA-PSS with ``algorithm``, MGF1 of it, salt = its size."""
    oid = {cls.name: dotted for dotted, cls in _HASH_OIDS.items()}[algorithm.name]
    hash_id = der.tlv(0x30, der.oid(oid) + b"\x05\x00")
    params = (
        der.tlv(0xA0, hash_id)
        + der.tlv(0xA1, der.tlv(0x30, der.oid(_MGF1_OID) + hash_id))
        + der.tlv(0xA2, der.tlv(0x02, bytes([algorithm.digest_size])))
    )
    return der.tlv(0x30, der.oid(_PSS_OID) + der.tlv(0x30, params))


def pss_parameters(encoded: bytes) -> tuple[hashes.HashAlgorithm, padding.PSS]:
    """The hash and PSS padding an RSASSA-PSS signed OCSP response names (RFC 4055 defaults)."""
    _, algorithm_id, _ = _basic_response(encoded)[1]
    _, params, _ = _elements(algorithm_id)[1]
    digest: type[hashes.HashAlgorithm] = hashes.SHA1
    mgf_digest: type[hashes.HashAlgorithm] = hashes.SHA1
    salt = 20
    for tag, content, _ in _elements(params):
        if tag == 0xA0:
            [(_, hash_id, _)] = _elements(content)
            digest = _HASH_OIDS[der.oid_text(_elements(hash_id)[0][1])]
        elif tag == 0xA1:
            [(_, mgf, _)] = _elements(content)
            _, mgf_hash, _ = _elements(mgf)[1]
            mgf_digest = _HASH_OIDS[der.oid_text(_elements(mgf_hash)[0][1])]
        elif tag == 0xA2:
            [(_, value, _)] = _elements(content)
            salt = int.from_bytes(value, "big")
    return digest(), padding.PSS(mgf=padding.MGF1(mgf_digest()), salt_length=salt)


def resign(encoded: bytes, algorithm_identifier: bytes, sign: Callable[[bytes], bytes]) -> bytes:
    """A successful OCSP response with its tbsResponseData signed again by ``sign``."""
    tbs, _, _, *certs = (whole for _, _, whole in _basic_response(encoded))
    signature = sign(tbs)
    basic = der.tlv(
        0x30, tbs + algorithm_identifier + der.tlv(0x03, b"\x00" + signature) + b"".join(certs)
    )
    response_bytes = der.tlv(0x30, der.oid(_OCSP_BASIC_OID) + der.tlv(0x04, basic))
    return der.tlv(0x30, der.tlv(0x0A, b"\x00") + der.tlv(0xA0, response_bytes))
