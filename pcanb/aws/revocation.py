"""Revocation: RevokeCertificate, the CA's CRL, OCSP, and checking a certificate both ways."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pandas as pd

from pcanb.aws.arguments import ca_arn, check_choice
from pcanb.aws.authorities import get_certificate_authority_certificate
from pcanb.aws.certificates import get_certificate
from pcanb.aws.chains import issuing_ca
from pcanb.errors import PcanbError
from pcanb.vocab import REVOCATION_REASONS, Arn, s3_object_of, serial_to_aws
from pcanb.x509.decode import Certificate, Crl
from pcanb.x509.ocsp import OcspAnswer, build_request, parse_response
from pcanb.x509.revocation import ca_crl_problems, crl_problems, issuer_problem

if TYPE_CHECKING:
    from pcanb.aws.session import Pca


def revoke_certificate(
    pca: Pca, certificate_authority_arn: Any, certificate_serial: str | int, revocation_reason: str
) -> None:
    """RevokeCertificate. ``certificate_serial`` is the serial as hex (colon-separated or plain,
    as AWS takes it) or as the int a decoded certificate holds (``cert.serial``)."""
    check_choice("revocation_reason", revocation_reason, REVOCATION_REASONS)
    pca.client.revoke_certificate(
        CertificateAuthorityArn=ca_arn(certificate_authority_arn),
        CertificateSerial=_serial_text(certificate_serial),
        RevocationReason=revocation_reason,
    )


def _serial_text(serial: Any) -> str:
    if isinstance(serial, int) and not isinstance(serial, bool):
        if serial < 0:
            raise PcanbError(f"a certificate serial is a positive number, not {serial}")
        return serial_to_aws(serial)
    if isinstance(serial, str):
        return serial
    raise PcanbError(
        "certificate_serial is the serial as hex text ('0a:1b:…') or as an int (cert.serial), "
        f"not {type(serial).__name__}"
    )


def revoke(pca: Pca, certificate: Any, reason: str = "UNSPECIFIED", *, ca: Any = None) -> None:
    """Revoke a certificate given as an issued certificate, a certificate ARN, or a decoded
    certificate or its PEM/DER (revoked at ``ca=``, else at the session's CA that issued it).

    A root CA's own self-signed certificate cannot be revoked (AWS answers
    InvalidRequestException): a PcanbError says to disable and delete the CA instead.
    """
    if isinstance(certificate, Arn):
        certificate = str(certificate)
    if isinstance(certificate, str) and "-----BEGIN" in certificate[:4096]:
        certificate = Certificate.from_pem(certificate)
    elif isinstance(certificate, bytes | bytearray | memoryview):
        certificate = Certificate.load(certificate)
    if isinstance(certificate, str):
        try:
            parsed = Arn.parse(certificate.strip())
        except ValueError:
            raise PcanbError(
                f"{certificate[:60]!r} is not a certificate ARN; pass a certificate ARN, an "
                "IssuedCertificate, a decoded Certificate or its PEM text"
            ) from None
        if parsed.serial_hex is None:
            raise PcanbError("pass a certificate ARN (…/certificate/<serial>), not a CA ARN")
        authority, serial = parsed.ca_arn, parsed.serial_hex
    elif not isinstance(certificate, Certificate):
        raise PcanbError(
            "revoke() takes the certificate to revoke: an IssuedCertificate (what pca.issue "
            "returned), a decoded Certificate, its PEM text or PEM/DER bytes, or its certificate "
            f"ARN; got {type(certificate).__name__}"
        )
    else:
        if _self_signed_ca(certificate):
            raise PcanbError(
                f"{certificate.common_name or certificate.subject!r} is a root CA's own "
                "self-signed certificate, which cannot be revoked (AWS answers "
                "InvalidRequestException); to retire the root, disable it "
                "(pca.update_certificate_authority(ca, status='DISABLED')) and delete it "
                "(pca.delete_certificate_authority(ca))"
            )
        authority = ca_arn(ca) if ca is not None else getattr(certificate, "ca_arn", None)
        if authority is None and isinstance(certificate, Certificate):
            authority = issuing_ca(pca, certificate)
        if authority is None:
            raise PcanbError("which CA issued this certificate? pass ca=<the issuing CA>")
        serial = serial_to_aws(certificate.serial)
    revoke_certificate(pca, authority, serial, reason)


def _self_signed_ca(certificate: Certificate) -> bool:
    return (
        certificate.is_ca
        and certificate.x509.subject == certificate.x509.issuer
        and certificate.signature_check(certificate) is True
    )


def _crl_location(pca: Pca, authority: str) -> tuple[str, str]:
    described = pca.client.describe_certificate_authority(CertificateAuthorityArn=authority)
    crl = described["CertificateAuthority"]["RevocationConfiguration"].get("CrlConfiguration") or {}
    if not crl.get("Enabled"):
        raise PcanbError(
            f"{authority} does not publish a CRL; enable one with pca.update_certificate_authority("
            "ca, revocation_configuration={'CrlConfiguration': {'Enabled': True, ...}})"
        )
    ca_id = authority.rsplit("/", 1)[1]
    prefix = (crl.get("CustomPath") or "crl").strip("/")
    bucket = crl["S3BucketName"]
    if crl.get("CrlType") == "PARTITIONED":
        listing = pca.s3.list_objects_v2(
            Bucket=bucket, Prefix=f"{prefix}/{ca_id}/" if prefix == "crl" else f"{prefix}/"
        )
        keys = sorted(listing.get("Contents", []), key=lambda o: o["LastModified"])
        if not keys:
            raise PcanbError(f"no CRL partition published yet in s3://{bucket}/{prefix}/")
        return bucket, keys[-1]["Key"]
    return bucket, f"{prefix}/{ca_id}.crl"


def crl(pca: Pca, ca: Any) -> Crl:
    """The CA's current CRL, read from its S3 bucket and decoded (``.to_frame()`` lists the entries).

    The CRL is checked against the CA's certificate at ``pca.now()`` (sandbox time offline):
    issued by the CA, signed with its key, current (thisUpdate not in the future, nextUpdate
    not passed). What fails is in ``.problems`` (and on the card); then ``is_revoked()``
    answers ``None`` (unknown), since a CRL that cannot be believed says neither "revoked" nor
    "not revoked", while ``lists()`` still says what it lists.
    """
    authority = ca_arn(ca)
    bucket, key = _crl_location(pca, authority)
    try:
        body = pca.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except pca.s3.exceptions.NoSuchKey:
        raise PcanbError(
            f"s3://{bucket}/{key} does not exist yet: AWS writes the CRL once a certificate "
            "that points to it has been issued (and about 30 minutes after a revocation)"
        ) from None
    try:
        decoded = Crl.load(body).with_clock(pca.now)
    except PcanbError as error:
        raise PcanbError(f"s3://{bucket}/{key} does not hold a CRL: {error}") from None
    ca_certificate = get_certificate_authority_certificate(pca, authority)[0]
    return decoded.with_problems(ca_crl_problems(decoded, ca_certificate, at=pca.now()))


def _issuer_of(certificate: Any, issuer: Certificate | None) -> Certificate:
    if issuer is not None:
        return issuer
    chain = getattr(certificate, "chain", None)
    if chain is not None and len(chain):
        return chain[0]
    raise PcanbError(
        "pass issuer=<the issuing CA's certificate> (this certificate carries no chain)"
    )


def _certificate(pca: Pca, item: Any, action: str) -> Certificate:
    """``item`` as a decoded certificate: a ``Certificate``/``IssuedCertificate`` as is, a
    certificate ARN through GetCertificate (with its chain), PEM or DER decoded."""
    if isinstance(item, Certificate):
        return item
    if isinstance(item, Arn):
        item = str(item)
    if isinstance(item, str) and item.strip().startswith("arn:"):
        parsed = Arn.parse(item.strip())
        if parsed.serial_hex is None:
            raise PcanbError(
                f"{action}() needs a certificate ARN (…/certificate/<serial>), not a CA ARN"
            )
        return get_certificate(pca, str(parsed))
    if isinstance(item, str | bytes | bytearray | memoryview):
        return Certificate.load(item)
    raise PcanbError(
        f"{action}() takes an IssuedCertificate or Certificate, a certificate ARN, or PEM/DER "
        f"bytes; got {type(item).__name__}"
    )


#: The URL schemes revocation sources are fetched over; any other (file:, ldap:, ftp:…) is not.
FETCHED_SCHEMES = ("http", "https")


def _fetchable(url: str) -> str | None:
    """Why ``url`` is not fetched (``None`` when it is): only http(s) URLs are."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in FETCHED_SCHEMES:
        return f"unsupported URL scheme {scheme + ':' if scheme else '(none)'}, not fetched"
    return None


def _ask(pca: Pca, certificate: Certificate, issuer: Certificate, now: datetime) -> OcspAnswer:
    """POST an OCSP request with a fresh nonce to the certificate's responder; the answer is
    judged at ``now``."""
    url = certificate.ocsp_urls[0]
    if (refused := _fetchable(url)) is not None:
        raise PcanbError(f"the OCSP URL {url}: {refused}")
    nonce = os.urandom(16)
    request = build_request(certificate, issuer, nonce=nonce)
    status, _, body = pca.http("POST", url, request)
    if status != 200:
        raise PcanbError(f"the OCSP responder {url} answered HTTP {status}")
    answer = parse_response(body, issuer, certificate=certificate, at=now, nonce=nonce)
    if answer.serial is not None and answer.serial != certificate.serial:
        raise PcanbError(
            f"the OCSP responder {url} answered about serial {answer.serial:x}, not the "
            f"certificate asked about ({certificate.serial:x})"
        )
    if answer.matches is False:
        raise PcanbError(
            f"the OCSP responder {url} answered about serial {answer.serial:x} of another "
            "issuer (its CertID's issuer name or key hash is not this certificate's issuer's)"
        )
    if answer.nonce is not None and answer.nonce != nonce:
        raise PcanbError(f"the OCSP responder {url} echoed another request's nonce (a replay?)")
    return answer


def ocsp(pca: Pca, certificate: Any, *, issuer: Certificate | None = None) -> OcspAnswer:
    """Ask the OCSP responder named in the certificate's AIA about it, and judge the answer.

    ``certificate``: an ``IssuedCertificate`` or ``Certificate``, a certificate ARN, or PEM/DER.
    The answer says whether the issuer or an authorised responder signed it
    (``signature_valid``, ``signed_by``). It is judged at ``pca.now()`` (sandbox time offline)
    as :func:`check_revocation` judges it: ``problems`` says why it cannot be believed (bad
    signature, unauthorised responder, stale, thisUpdate in the future…), and then ``revoked``
    is ``None`` (unknown) while ``cert_status`` keeps what the responder said. An answer about
    another certificate or echoing another request's nonce raises ``PcanbError``.
    """
    certificate = _certificate(pca, certificate, "ocsp")
    if not certificate.ocsp_urls:
        raise PcanbError("the certificate has no OCSP URL in its AIA: its CA has OCSP disabled")
    return _ask(pca, certificate, _issuer_of(certificate, issuer), pca.now())


@dataclass(frozen=True)
class RevocationCheck:
    """The verdict on one certificate, with what each source (CRL, OCSP) said."""

    serial_hex: str
    revoked: bool | None
    reasons: list[str] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)

    def __repr__(self) -> str:
        verdict = {True: "REVOKED", False: "not revoked", None: "unknown"}[self.revoked]
        return f"<RevocationCheck {self.serial_hex}: {verdict} — {'; '.join(self.reasons)}>"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.sources, columns=["source", "url", "revoked", "detail"])


def _fetch_crl(pca: Pca, url: str) -> tuple[int, bytes, str]:
    """(HTTP status, body, note) of a CDP URL, fetched as a relying party does (anonymous GET).

    A CRL in a bucket that is not public answers 403 to everyone but the bucket's account: it
    is then read with the session's S3 credentials, so the check still has an answer, and the
    note says relying parties cannot fetch it (the most common CRL misconfiguration on AWS).
    """
    status, _, body = pca.http("GET", url, b"")
    located = s3_object_of(url) if status == 403 else None
    if located is None:
        return status, body, ""
    try:
        body = pca.s3.get_object(Bucket=located[0], Key=located[1])["Body"].read()
    except pca.s3.exceptions.ClientError:
        return status, body, ""
    note = (
        "not public: anonymous HTTP GET answered 403, so relying parties cannot fetch this "
        "CRL; read with this session's S3 credentials"
    )
    return 200, body, note


def check_revocation(
    pca: Pca, certificate: Any, *, issuer: Certificate | None = None
) -> RevocationCheck:
    """Follow the certificate's CDP and AIA OCSP URLs and say whether it is revoked, and why.

    ``certificate``: an ``IssuedCertificate`` or ``Certificate``, a certificate ARN, or PEM/DER;
    ``issuer``: its issuer's certificate (default: the first of its chain).

    Only evidence that can be believed counts (RFC 5280 §6.3.3, RFC 6960): a CRL issued and
    signed by the issuer, covering the certificate and current at ``pca.now()`` (sandbox time
    offline); an OCSP response signed by the issuer or an authorised responder, for this
    certificate's CertID, current. A source that fails a check says "unknown" (``revoked`` is
    ``None``) and its detail says why, and whether it listed the certificate. The verdict is
    ``True`` when a believed source says revoked, ``False`` when one says good and none says
    revoked, ``None`` otherwise. Only http(s) URLs are fetched.
    """
    certificate = _certificate(pca, certificate, "check_revocation")
    now = pca.now()
    try:
        issuer_cert: Certificate | None = _issuer_of(certificate, issuer)
    except PcanbError:
        issuer_cert = None
    sources = [_crl_source(pca, certificate, issuer_cert, url, now) for url in certificate.crl_urls]
    if certificate.ocsp_urls:
        sources.append(_ocsp_source(pca, certificate, issuer_cert, now))
    verdicts = [s["revoked"] for s in sources if s["revoked"] is not None]
    revoked = any(verdicts) if verdicts else None
    reasons = [f"{s['source']}: {s['detail']}" for s in sources] or [
        "the certificate has no CRL distribution point and no OCSP URL"
    ]
    return RevocationCheck(serial_to_aws(certificate.serial), revoked, reasons, sources)


def _unknown(source: str, url: str, detail: str) -> dict[str, Any]:
    return {"source": source, "url": url, "revoked": None, "detail": detail}


def _untrusted(said: str, problems: Sequence[str]) -> str:
    return f"{said}, but it cannot be believed: {'; '.join(problems)}"


def _crl_source(
    pca: Pca, certificate: Certificate, issuer: Certificate | None, url: str, now: datetime
) -> dict[str, Any]:
    if (refused := _fetchable(url)) is not None:
        return _unknown("CRL", url, refused)
    try:
        status, body, note = _fetch_crl(pca, url)
    except OSError as error:
        return _unknown("CRL", url, f"could not be fetched: {error}")
    if status != 200:
        return _unknown("CRL", url, f"HTTP {status}: CRL not available")
    try:
        crl_ = Crl.load(body)
    except PcanbError as error:
        return _unknown("CRL", url, f"not a CRL: {error}")
    entry = next((e for e in crl_.entries if e["serial"] == certificate.serial), None)
    said = (
        f"listed since {entry['revocation_date']:%Y-%m-%d %H:%M}Z, "
        f"reason {entry['reason'] or 'unspecified'}"
        if entry
        else f"not listed (CRL of {crl_.this_update:%Y-%m-%d %H:%M}Z)"
    )
    if note:
        said += f"; {note}"
    problems = crl_problems(crl_, certificate, issuer, at=now)
    # A revocation is permanent (certificateHold aside): a CRL that verifies and lists the
    # certificate proves it revoked even once stale; only "not listed" needs a current CRL. So
    # such a CRL is judged once more as of its own thisUpdate.
    if (
        problems
        and entry is not None
        and not _held(entry)
        and not crl_problems(crl_, certificate, issuer, at=crl_.this_update)
    ):
        said += f"; {'; '.join(problems)}, but a revocation is permanent"
        return {"source": "CRL", "url": url, "revoked": True, "detail": said}
    if problems:
        return _unknown("CRL", url, _untrusted(said, problems))
    return {"source": "CRL", "url": url, "revoked": entry is not None, "detail": said}


def _held(entry: dict[str, Any]) -> bool:
    """Whether a CRL entry is a certificateHold, the one revocation that may be lifted."""
    return str(entry.get("reason") or "").replace("_", "").lower() == "certificatehold"


def _ocsp_source(
    pca: Pca, certificate: Certificate, issuer: Certificate | None, now: datetime
) -> dict[str, Any]:
    url = certificate.ocsp_urls[0]
    if (wrong := issuer_problem(certificate, issuer)) is not None:
        return _unknown("OCSP", url, f"not asked: {wrong}")
    assert issuer is not None
    try:
        answer = _ask(pca, certificate, issuer, now)
    except OSError as error:
        return _unknown("OCSP", url, f"the responder could not be reached: {error}")
    except PcanbError as error:
        return _unknown("OCSP", url, str(error))
    said = f"OCSP {answer.cert_status or answer.response_status}"
    if answer.cert_status == "REVOKED":
        said += (
            f" since {answer.revocation_time:%Y-%m-%d %H:%M}Z, reason {answer.revocation_reason}"
        )
    if answer.signed_by is not None:
        said += f", signed by {answer.signed_by}"
    if answer.problems:
        return _unknown("OCSP", url, _untrusted(said, answer.problems))
    return {"source": "OCSP", "url": url, "revoked": answer.revoked, "detail": said}
