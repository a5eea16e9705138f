"""Revocation: RevokeCertificate, the CA's CRL, OCSP, and checking a certificate both ways."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from pcanb.aws.arguments import ca_arn, check_choice
from pcanb.aws.certificates import get_certificate
from pcanb.aws.chains import issuing_ca
from pcanb.errors import PcanbError
from pcanb.vocab import REVOCATION_REASONS, Arn, serial_to_aws
from pcanb.x509.decode import Certificate, Crl
from pcanb.x509.ocsp import OcspAnswer, build_request, parse_response

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
    certificate or its PEM text (revoked at ``ca=``, else at the session's CA that issued it)."""
    if isinstance(certificate, str) and "-----BEGIN" in certificate[:4096]:
        certificate = Certificate.from_pem(certificate)
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
    else:
        authority = ca_arn(ca) if ca is not None else getattr(certificate, "ca_arn", None)
        if authority is None and isinstance(certificate, Certificate):
            authority = issuing_ca(pca, certificate)
        if authority is None:
            raise PcanbError("which CA issued this certificate? pass ca=<the issuing CA>")
        serial = serial_to_aws(certificate.serial)
    revoke_certificate(pca, authority, serial, reason)


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
    """The CA's current CRL, read from its S3 bucket and decoded (``.to_frame()`` lists the entries)."""
    bucket, key = _crl_location(pca, ca_arn(ca))
    try:
        body = pca.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except pca.s3.exceptions.NoSuchKey:
        raise PcanbError(
            f"s3://{bucket}/{key} does not exist yet: AWS writes the CRL once a certificate "
            "that points to it has been issued (and about 30 minutes after a revocation)"
        ) from None
    return Crl.load(body)


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


def ocsp(pca: Pca, certificate: Any, *, issuer: Certificate | None = None) -> OcspAnswer:
    """Ask the OCSP responder named in the certificate's AIA about it; signature checked.

    ``certificate``: an ``IssuedCertificate`` or ``Certificate``, a certificate ARN, or PEM/DER.
    """
    certificate = _certificate(pca, certificate, "ocsp")
    if not certificate.ocsp_urls:
        raise PcanbError("the certificate has no OCSP URL in its AIA: its CA has OCSP disabled")
    issuer = _issuer_of(certificate, issuer)
    nonce = os.urandom(16)
    request = build_request(certificate, issuer, nonce=nonce)
    url = certificate.ocsp_urls[0]
    status, _, body = pca.http("POST", url, request)
    if status != 200:
        raise PcanbError(f"the OCSP responder {url} answered HTTP {status}")
    answer = parse_response(body, issuer)
    if answer.serial is not None and answer.serial != certificate.serial:
        raise PcanbError(
            f"the OCSP responder {url} answered about serial {answer.serial:x}, not the "
            f"certificate asked about ({certificate.serial:x})"
        )
    if answer.nonce is not None and answer.nonce != nonce:
        raise PcanbError(f"the OCSP responder {url} echoed another request's nonce (a replay?)")
    return answer


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


def check_revocation(
    pca: Pca, certificate: Any, *, issuer: Certificate | None = None
) -> RevocationCheck:
    """Follow the certificate's CDP and AIA OCSP URLs and say whether it is revoked, and why.

    ``certificate``: an ``IssuedCertificate`` or ``Certificate``, a certificate ARN, or PEM/DER.
    """
    certificate = _certificate(pca, certificate, "check_revocation")
    sources: list[dict[str, Any]] = []
    issuer_cert = None
    with contextlib.suppress(PcanbError):  # CRLs can be checked without the issuer
        issuer_cert = _issuer_of(certificate, issuer)
    for url in certificate.crl_urls:
        status, _, body = pca.http("GET", url, b"")
        if status != 200:
            sources.append(
                {
                    "source": "CRL",
                    "url": url,
                    "revoked": None,
                    "detail": f"HTTP {status}: CRL not available",
                }
            )
            continue
        crl_ = Crl.load(body)
        entry = next((e for e in crl_.entries if e["serial"] == certificate.serial), None)
        signed = crl_.is_signature_valid(issuer_cert) if issuer_cert is not None else None
        stale = crl_.next_update is not None and crl_.next_update < pca.now()
        detail = (
            f"listed since {entry['revocation_date']:%Y-%m-%d %H:%M}Z, reason {entry['reason'] or 'unspecified'}"
            if entry
            else f"not listed (CRL of {crl_.this_update:%Y-%m-%d %H:%M}Z)"
        )
        if signed is False:
            detail += "; CRL signature does NOT verify with the issuer's key"
        if stale:
            detail += "; CRL is past its nextUpdate"
        sources.append(
            {"source": "CRL", "url": url, "revoked": entry is not None, "detail": detail}
        )
    if certificate.ocsp_urls and issuer_cert is not None:
        answer = ocsp(pca, certificate, issuer=issuer_cert)
        detail = f"OCSP {answer.cert_status or answer.response_status}"
        if answer.revoked:
            detail += f" since {answer.revocation_time:%Y-%m-%d %H:%M}Z, reason {answer.revocation_reason}"
        if answer.signature_valid is False:
            detail += "; response signature does NOT verify"
        sources.append(
            {
                "source": "OCSP",
                "url": certificate.ocsp_urls[0],
                "revoked": answer.revoked,
                "detail": detail,
            }
        )
    verdicts = [s["revoked"] for s in sources if s["revoked"] is not None]
    revoked = any(verdicts) if verdicts else None
    reasons = [f"{s['source']}: {s['detail']}" for s in sources] or [
        "the certificate has no CRL distribution point and no OCSP URL"
    ]
    return RevocationCheck(serial_to_aws(certificate.serial), revoked, reasons, sources)
