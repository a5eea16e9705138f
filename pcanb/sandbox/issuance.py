"""IssueCertificate and GetCertificate: templates, validity rules, serials, the issued record."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID

from pcanb.sandbox import quotas, revocation_config, signing, validity
from pcanb.sandbox.errors import (
    InvalidArgsException,
    InvalidStateException,
    MalformedCSRException,
    RequestInProgressException,
    ResourceNotFoundException,
)
from pcanb.sandbox.state import CaRecord, Context, check_certificate_arn, load_ca
from pcanb.sandbox.templates import (
    TEMPLATES,
    IssueInputs,
    Template,
    build_extensions,
    build_subject,
)
from pcanb.vocab import template_name
from pcanb.x509 import parse_errors, raw_extensions
from pcanb.x509.keys import key_algorithm_of
from pcanb.x509.names import audit_subject

IDEMPOTENCY_WINDOW = timedelta(minutes=5)
SHORT_LIVED_LIMIT = timedelta(days=7)
_EARLIEST = datetime(1950, 1, 1)  # cryptography's earliest certificate time (naive UTC)
_ISSUE_STATE_MESSAGE = "The certificate authority is not in a valid state for issuing certificates."


def new_serial() -> int:
    """A serial of 16 random bytes, positive and non-zero.

    AWS's serials look like 16 uniformly random bytes: the top bit is set in some (ARN suffix
    a2b95975ec6e1cd85a21c2104c5be129 in the user guide's PcaIssueCert example; the CLI
    get-certificate example's certificates encode 17-byte INTEGERs 00 9b89f1fe... and
    00 eb2477...) and clear in others (ARN suffix / serial 6707447683a9b7f4055627ffd55cebcc in
    the CLI get-certificate and revoke-certificate examples), so it is not forced either way.
    """
    while True:
        serial = int.from_bytes(os.urandom(16), "big")
        if serial:
            return serial


def serial_arn_suffix(serial: int) -> str:
    """The certificate ARN suffix: 32 lowercase hex digits, as in every AWS example seen
    (zero-padding a serial whose top byte is 0 is [inferred])."""
    return format(serial, "032x")


@dataclass(frozen=True)
class _Csr:
    """A request's CSR with the parts issuance reads, each extracted once."""

    csr: x509.CertificateSigningRequest
    public_key: Any
    subject: x509.Name
    extensions: list[x509.Extension]


def _load_csr(data: bytes) -> _Csr:
    """The CSR in a request (PEM or DER); ``MalformedCSRException`` for anything wrong with it."""
    try:
        if b"-----BEGIN" in data:
            csr = x509.load_pem_x509_csr(data)
        else:
            csr = x509.load_der_x509_csr(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise MalformedCSRException(
            f"The CSR is not a valid DER or PEM PKCS #10 request: {parse_errors.reason(exc)}."
        ) from None
    try:
        public_key = csr.public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise MalformedCSRException("The CSR's public key type is not supported.") from None
    if key_algorithm_of(public_key) is None:
        raise MalformedCSRException(
            "The CSR's public key is not one AWS Private CA signs (RSA 2048/3072/4096, EC P-256/"
            "P-384/P-521 or ML-DSA)."
        )
    try:
        valid = csr.is_signature_valid
    except (ValueError, UnsupportedAlgorithm):
        valid = False
    if not valid:
        raise MalformedCSRException("The CSR signature does not verify with its own public key.")
    try:
        extensions = raw_extensions.extensions_of(csr)
    except (ValueError, IndexError, x509.DuplicateExtension) as exc:
        raise MalformedCSRException(
            f"The CSR extensions could not be parsed: {parse_errors.reason(exc)}."
        ) from None
    has_san = any(e.oid == ExtensionOID.SUBJECT_ALTERNATIVE_NAME for e in extensions)
    subject = csr.subject
    if len(subject) == 0 and not has_san:
        raise MalformedCSRException(
            "The CSR must contain a subject or a subject alternative name; it has neither."
        )
    return _Csr(csr, public_key, subject, extensions)


def _existing_by_token(db: sqlite3.Connection, ctx: Context, ca_arn: str, token: str) -> str | None:
    since = (ctx.now - IDEMPOTENCY_WINDOW).timestamp()
    row = db.execute(
        "SELECT arn FROM certificates WHERE ca_arn = ? AND idempotency_token = ? AND issued_at >= ? "
        "ORDER BY seq DESC LIMIT 1",
        (ca_arn, token, since),
    ).fetchone()
    return row["arn"] if row else None


def _check_status(ca: CaRecord, ctx: Context, template: Template | None) -> None:
    """InvalidState unless the CA may issue now: ACTIVE, or for a root template also
    PENDING_CERTIFICATE (activation) and EXPIRED (renewal: only the service holds the key, so
    this is the only way an expired root can get the new certificate it re-imports)."""
    root_states = ("PENDING_CERTIFICATE", "ACTIVE", "EXPIRED")
    allowed = root_states if template and template.is_root else ("ACTIVE",)
    if ca.status(ctx.now) not in allowed:
        raise InvalidStateException(_ISSUE_STATE_MESSAGE)


def _check_ca_for_template(ca: CaRecord, template: Template, public_key: Any) -> None:
    if not template.is_root:
        return
    if ca.type != "ROOT":
        raise InvalidArgsException(
            f"Template {template.name} can only be used by a ROOT certificate authority to "
            "sign its own certificate; this CA is SUBORDINATE."
        )
    own = ca.private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    theirs = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if own != theirs:
        raise InvalidArgsException(
            f"Template {template.name} signs the CA's own CSR; this CSR's public key is not "
            "the certificate authority's key."
        )


def _check_validity(ca: CaRecord, facts: _CaFacts, ctx: Context, template, start, end) -> None:
    if start >= end:
        raise InvalidArgsException(
            f"ValidityNotBefore ({start:%Y-%m-%dT%H:%M:%SZ}) must be earlier than the end of the "
            f"Validity ({end:%Y-%m-%dT%H:%M:%SZ})."
        )
    if template.is_root:
        return
    ca_end = facts.not_after
    assert ca_end is not None
    if end > ca_end:
        raise InvalidArgsException(
            f"The Validity ends at {end:%Y-%m-%dT%H:%M:%SZ}, after the certificate authority's "
            f"own certificate expires ({ca_end:%Y-%m-%dT%H:%M:%SZ}); choose a shorter validity."
        )
    if template.is_ca and end >= ca_end:
        raise InvalidArgsException(
            "A CA certificate's validity must end strictly before its issuer's "
            f"({ca_end:%Y-%m-%dT%H:%M:%SZ})."
        )
    if ca.doc["UsageMode"] == "SHORT_LIVED_CERTIFICATE" and end - ctx.now > SHORT_LIVED_LIMIT:
        raise InvalidArgsException(
            "This certificate authority is in SHORT_LIVED_CERTIFICATE mode: certificates may "
            "be valid for at most 7 days."
        )


def _check_path_length(facts: _CaFacts, template) -> None:
    if not template.is_ca or template.is_root:
        return
    bc = facts.basic_constraints
    if bc is None:
        return
    wanted = template.basic_constraints.path_length
    if bc.path_length is not None and (wanted is None or wanted >= bc.path_length):
        raise InvalidArgsException(
            f"Template {template.name} issues a CA certificate with path length {wanted}, but the "
            f"issuing CA's own path length is {bc.path_length}; pick PathLen{max(bc.path_length - 1, 0)} "
            "or lower."
            if bc.path_length > 0
            else f"The issuing CA has path length 0 and cannot issue CA certificates ({template.name})."
        )


@dataclass(frozen=True)
class _CaFacts:
    """What issuance needs from a CA's key and certificate, worked out once per certificate."""

    key_algorithm: str
    issuer_public_key: Any
    issuer_ski: bytes | None
    issuer_name: x509.Name | None
    not_after: datetime | None
    basic_constraints: x509.BasicConstraints | None


# By CA ARN: the certificate PEM the facts come from, and the facts (a CA's certificate can
# change: import, renewal; its key never does).
_FACTS: dict[str, tuple[str | None, _CaFacts]] = {}


def _ca_facts(ca: CaRecord) -> _CaFacts:
    cached = _FACTS.get(ca.arn)
    if cached is not None and cached[0] == ca.cert_pem:
        return cached[1]
    key = ca.private_key
    certificate = ca.certificate
    bc = None if certificate is None else raw_extensions.find(certificate, x509.BasicConstraints)
    facts = _CaFacts(
        key_algorithm=signing.key_algorithm(key),
        issuer_public_key=key.public_key(),
        issuer_ski=_ski(certificate),
        issuer_name=None if certificate is None else certificate.subject,
        not_after=None if certificate is None else certificate.not_valid_after_utc,
        basic_constraints=bc,
    )
    _FACTS[ca.arn] = (ca.cert_pem, facts)
    return facts


_DEFAULT_TEMPLATE = "arn:{}:acm-pca:::template/EndEntityCertificate/V1"
# Template names by template ARN (a handful of ARNs in practice; bounded all the same).
_TEMPLATE_NAMES: dict[str, str | None] = {}


def _template_name(template_arn: str) -> str | None:
    try:
        return _TEMPLATE_NAMES[template_arn]
    except KeyError:
        name = template_name(template_arn)
        if len(_TEMPLATE_NAMES) >= 1024:
            _TEMPLATE_NAMES.clear()
        _TEMPLATE_NAMES[template_arn] = name
        return name


def issue_certificate(engine, db: sqlite3.Connection, ctx: Context, req: dict[str, Any]) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"])
    template_arn = req.get("TemplateArn") or _DEFAULT_TEMPLATE.format(ctx.partition)
    name = _template_name(template_arn)
    template = TEMPLATES[name] if name is not None else None
    _check_status(ca, ctx, template)  # the state first, then the arguments
    if template is None:
        raise InvalidArgsException(
            f"The template ARN {template_arn!r} does not name an AWS Private CA certificate "
            "template, e.g. arn:aws:acm-pca:::template/EndEntityCertificate/V1."
        )
    loaded = _load_csr(req["Csr"])
    public_key = loaded.public_key
    _check_ca_for_template(ca, template, public_key)
    token = req.get("IdempotencyToken")
    if token:
        existing = _existing_by_token(db, ctx, ca.arn, token)
        if existing:
            return {"CertificateArn": existing}
    facts = _ca_facts(ca)
    signing.check_family(facts.key_algorithm, req["SigningAlgorithm"])
    end = validity.not_after(req["Validity"], ctx.now)
    start = validity.not_before(req.get("ValidityNotBefore"), ctx.now)
    _check_validity(ca, facts, ctx, template, start, end)
    _check_path_length(facts, template)
    if template.is_ca and not template.is_root:
        quotas.check_can_issue_ca(ca, template.name)
    quotas.count_issued(db, ctx, ca)  # the last check before the certificate is signed
    config = ca.doc["RevocationConfiguration"]
    inputs = IssueInputs(
        template=template,
        csr=loaded.csr,
        api_passthrough=req.get("ApiPassthrough"),
        issuer_public_key=facts.issuer_public_key,
        issuer_ski=facts.issuer_ski,
        crl_distribution_point=revocation_config.crl_distribution_point(
            config, ca.ca_id, ca.region, ca.doc.get("CrlPartition")
        ),
        ocsp_url=revocation_config.ocsp_url(config, ca.region),
        public_key=public_key,
        csr_subject=loaded.subject,
        csr_extensions=loaded.extensions,
    )
    subject = build_subject(inputs)
    issuer = subject if template.is_root else facts.issuer_name
    serial = new_serial()
    try:
        extensions = build_extensions(inputs, subject)
        naive_start, naive_end = _naive_utc(start), _naive_utc(end)
        if _EARLIEST <= naive_start <= naive_end:
            # What the setters below build when their checks pass, in one step.
            builder = x509.CertificateBuilder(
                issuer, subject, public_key, serial, naive_start, naive_end, extensions
            )
        else:  # the setters raise the ValueError that explains the problem
            builder = (
                x509.CertificateBuilder()
                .subject_name(subject)
                .issuer_name(issuer)
                .public_key(public_key)
                .serial_number(serial)
                .not_valid_before(start)
                .not_valid_after(end)
            )
            for extension in extensions:
                builder = builder.add_extension(extension.value, critical=extension.critical)
        certificate = signing.sign(builder, ca.private_key, req["SigningAlgorithm"])
    except ValueError as exc:
        raise InvalidArgsException(
            f"The certificate could not be built: {parse_errors.reason(exc)}."
        ) from None
    arn = f"{ca.arn}/certificate/{serial_arn_suffix(serial)}"
    now = ctx.now.timestamp()
    db.execute(
        "INSERT INTO certificates (arn, ca_arn, serial, der, subject, template_arn, issued_at, "
        "not_before, not_after, available_at, idempotency_token) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            arn, ca.arn, format(serial, "x"),
            certificate.public_bytes(serialization.Encoding.DER),
            audit_subject(subject), template_arn, now, start.timestamp(), end.timestamp(),
            now + float(ctx.settings.get("issuance_delay", 0)), token,
        ),
    )  # fmt: skip
    engine.after_issue(db, ctx, ca)
    return {"CertificateArn": arn}


def _naive_utc(time: datetime) -> datetime:
    """A time as cryptography's builder stores it: naive, in UTC."""
    zone = time.tzinfo
    if zone is None:
        return time
    if zone is UTC:
        return time.replace(tzinfo=None)
    return time.replace(tzinfo=None) - (time.utcoffset() or timedelta())


def _ski(certificate: x509.Certificate | None) -> bytes | None:
    if certificate is None:
        return None
    ski = raw_extensions.find(certificate, x509.SubjectKeyIdentifier)
    return None if ski is None else ski.digest


def get_certificate(engine, db: sqlite3.Connection, ctx: Context, req: dict[str, Any]) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"])
    ca_arn, serial_hex = check_certificate_arn(req["CertificateArn"])
    if ca_arn != ca.arn:
        raise ResourceNotFoundException(
            f"Certificate {req['CertificateArn']} was not issued by {ca.arn}."
        )
    row = db.execute(  # found through the (ca_arn, serial) index; the ARN must match exactly
        "SELECT der, available_at FROM certificates WHERE ca_arn = ? AND serial = ? AND arn = ?",
        (ca_arn, format(int(serial_hex, 16), "x"), req["CertificateArn"]),
    ).fetchone()
    if row is None:
        raise ResourceNotFoundException(f"Could not find certificate {req['CertificateArn']}.")
    if row["available_at"] > ctx.now.timestamp():
        raise RequestInProgressException(
            "The certificate is not ready yet; retry in a second (the CertificateIssued waiter does)."
        )
    pem = x509.load_der_x509_certificate(row["der"]).public_bytes(serialization.Encoding.PEM)
    out = {"Certificate": pem.decode().strip()}
    if ca.cert_pem:
        chain = [ca.cert_pem.strip()]
        if ca.chain_pem:
            chain.append(ca.chain_pem.strip())
        out["CertificateChain"] = "\n".join(chain)
    return out
