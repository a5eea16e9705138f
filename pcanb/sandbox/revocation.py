"""RevokeCertificate: serial formats, state rules, double revocation, and the CRL it triggers."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

from pcanb import vocab
from pcanb.sandbox import crl, quotas
from pcanb.sandbox.errors import (
    InvalidRequestException,
    RequestAlreadyProcessedException,
    RequestFailedException,
    RequestInProgressException,
    ResourceNotFoundException,
    ServiceError,
)
from pcanb.sandbox.state import Context, load_ca, require_status


def parse_serial(text: str) -> int:
    """A serial in colon form, plain hex or ``0x`` hex, any case; InvalidRequest otherwise."""
    try:
        return vocab.parse_serial(text)
    except ValueError:
        raise InvalidRequestException(
            f"The certificate serial {text!r} is not in hexadecimal format "
            "(e.g. 67:07:44:76:83:a9:b7:f4:05:56:27:ff:d5:5c:eb:cc)."
        ) from None


def _check_crl_bucket(engine, ctx: Context, ca) -> None:
    """RequestFailed when the CRL bucket is gone or no longer lets acm-pca write to it.

    The API reference says only that "an exception is thrown" when the bucket cannot be
    written. The bucket checks answer InvalidArgs for Create/UpdateCertificateAuthority, whose
    arguments name the bucket; RevokeCertificate's error list has no InvalidArgs, and its
    arguments are fine: the revocation fails because a resource outside the request broke
    after the CA was configured. Of the codes it lists, RequestFailedException ("the request
    has failed") says that; InvalidRequestException is kept for revocations that can never
    succeed (a root's own certificate, an expired one) [inferred]. Raised before anything is
    written, so the certificate stays unrevoked.
    """
    try:
        engine.check_crl_bucket(ctx, ca.arn, ca.doc["RevocationConfiguration"])
    except ServiceError as error:
        if error.code != "InvalidArgsException":
            raise
        raise RequestFailedException(
            f"The certificate was not revoked: the CA's CRL bucket cannot be written. "
            f"{error.message}"
        ) from None


def revoke_certificate(engine, db: sqlite3.Connection, ctx: Context, req: dict[str, Any]) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"])
    require_status(ca, ctx.now, ("ACTIVE", "DISABLED"), "RevokeCertificate")
    serial = parse_serial(req["CertificateSerial"])
    row = db.execute(
        "SELECT arn, not_after, revoked_at, available_at FROM certificates "
        "WHERE ca_arn = ? AND serial = ?",
        (ca.arn, format(serial, "x")),
    ).fetchone()
    if row is None:
        raise ResourceNotFoundException(
            f"The certificate with serial {req['CertificateSerial']} was not issued by {ca.arn}."
        )
    if row["available_at"] > ctx.now.timestamp():
        # GetCertificate answers RequestInProgress until the certificate is issued; the model
        # lists the same code for RevokeCertificate, which fits that window [inferred].
        raise RequestInProgressException(
            f"The certificate with serial {req['CertificateSerial']} is still being issued; "
            "revoke it once GetCertificate returns it (the CertificateIssued waiter waits for that)."
        )
    if row["revoked_at"] is not None:
        raise RequestAlreadyProcessedException("Your request has already been completed.")
    if ca.type == "ROOT" and ca.certificate is not None and ca.certificate.serial_number == serial:
        raise InvalidRequestException(
            "A root CA's self-signed certificate cannot be revoked; to retire the root, disable "
            "and delete the certificate authority."
        )
    if row["not_after"] <= ctx.now.timestamp():
        raise InvalidRequestException(
            "The certificate has expired and cannot be revoked; expired certificates are no "
            "longer valid anyway."
        )
    crl_enabled = ca.doc["RevocationConfiguration"]["CrlConfiguration"].get("Enabled")
    if crl_enabled:
        _check_crl_bucket(engine, ctx, ca)
    quotas.count_revoked(db, ctx, ca)
    db.execute(
        "UPDATE certificates SET revoked_at = ?, revocation_reason = ? "
        "WHERE ca_arn = ? AND serial = ?",
        (ctx.now.timestamp(), req["RevocationReason"], ca.arn, format(serial, "x")),
    )
    if crl_enabled:
        # Scheduled in this transaction and written to S3 only after it commits (at once, or
        # crl_delay seconds later): a CRL never lists a revocation the store does not have, and
        # a crash between commit and publication leaves the CRL due, so the next call writes it.
        delay = float(ctx.settings.get("crl_delay", 0))
        crl.schedule(db, ca, ctx.now + timedelta(seconds=max(delay, 0)))
        ctx.due_after_commit = delay <= 0
    return {}
