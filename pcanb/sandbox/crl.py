"""CRLs: built as AWS builds them, written to the CA's S3 bucket, refreshed on schedule.

thisUpdate = generation − 1 hour, nextUpdate = generation + ExpirationInDays, CRL number =
generation time in epoch milliseconds, AKI = the CA's SKI; a partitioned CRL carries a critical
Issuing Distribution Point. A CRL is (re)published after a revocation (``crl_delay`` seconds
later, AWS takes about 30 minutes), when the first certificate pointing to it is issued, at the
midpoint of its validity, and retried every 15 minutes while the bucket refuses it.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pcanb.sandbox import revocation_config, signing
from pcanb.sandbox.errors import ServiceError
from pcanb.sandbox.s3 import S3Error
from pcanb.sandbox.state import CaRecord, Context, ts
from pcanb.x509 import raw_extensions

RETRY = timedelta(minutes=15)
BACKDATE = timedelta(hours=1)
REASON_FLAGS = {
    "KEY_COMPROMISE": x509.ReasonFlags.key_compromise,
    "CERTIFICATE_AUTHORITY_COMPROMISE": x509.ReasonFlags.ca_compromise,
    "AFFILIATION_CHANGED": x509.ReasonFlags.affiliation_changed,
    "SUPERSEDED": x509.ReasonFlags.superseded,
    "CESSATION_OF_OPERATION": x509.ReasonFlags.cessation_of_operation,
    "PRIVILEGE_WITHDRAWN": x509.ReasonFlags.privilege_withdrawn,
    "A_A_COMPROMISE": x509.ReasonFlags.aa_compromise,
}
S3_ACLS = {"PUBLIC_READ": "public-read", "BUCKET_OWNER_FULL_CONTROL": "bucket-owner-full-control"}


def _revoked_entries(
    db: sqlite3.Connection, ca: CaRecord, since: float
) -> list[x509.RevokedCertificate]:
    rows = db.execute(
        "SELECT serial, revoked_at, revocation_reason FROM certificates "
        "WHERE ca_arn = ? AND revoked_at IS NOT NULL AND not_after > ? ORDER BY revoked_at",
        (ca.arn, since),
    )
    entries = []
    for row in rows:
        builder = (
            x509.RevokedCertificateBuilder()
            .serial_number(int(row["serial"], 16))
            .revocation_date(ts(row["revoked_at"]))
        )
        reason = REASON_FLAGS.get(row["revocation_reason"])
        if reason is not None:  # RFC 5280 5.3.1: omit the extension rather than say "unspecified"
            builder = builder.add_extension(x509.CRLReason(reason), critical=False)
        entries.append(builder.build())
    return entries


def build(
    db: sqlite3.Connection, ca: CaRecord, generated: datetime
) -> x509.CertificateRevocationList:
    """The CRL of ``ca`` as of ``generated``."""
    config = ca.doc["RevocationConfiguration"]
    crl_config = config["CrlConfiguration"]
    certificate = ca.certificate
    assert certificate is not None
    since = ca.doc.get("LastCrlAt", 0.0)
    number = int(generated.timestamp() * 1000)
    ski = raw_extensions.find(certificate, x509.SubjectKeyIdentifier)
    aki = (
        x509.AuthorityKeyIdentifier.from_issuer_public_key(certificate.public_key())
        if ski is None
        else x509.AuthorityKeyIdentifier(ski.digest, None, None)
    )
    # The list constructor signs in one pass (adding 100k entries one by one is quadratic).
    builder = x509.CertificateRevocationListBuilder(
        issuer_name=certificate.subject,
        last_update=generated - BACKDATE,
        next_update=generated + timedelta(days=crl_config["ExpirationInDays"]),
        extensions=[],
        revoked_certificates=_revoked_entries(db, ca, since),
    )
    builder = builder.add_extension(aki, critical=False).add_extension(
        x509.CRLNumber(number), critical=False
    )
    if crl_config.get("CrlType") == "PARTITIONED":
        uri = revocation_config.crl_distribution_point(
            {
                **config,
                "CrlConfiguration": {
                    **crl_config,
                    "CrlDistributionPointExtensionConfiguration": None,
                },
            },
            ca.ca_id,
            ca.region,
            ca.doc.get("CrlPartition"),
        )
        idp = x509.IssuingDistributionPoint(
            full_name=[x509.UniformResourceIdentifier(uri)],
            relative_name=None,
            only_contains_user_certs=False,
            only_contains_ca_certs=False,
            only_some_reasons=None,
            indirect_crl=False,
            only_contains_attribute_certs=False,
        )
        builder = builder.add_extension(idp, critical=True)
    return signing.sign(
        builder, ca.private_key, ca.doc["CertificateAuthorityConfiguration"]["SigningAlgorithm"]
    )


def schedule(db: sqlite3.Connection, ca: CaRecord, due: datetime | float | None) -> None:
    """Set when the CA's CRL is next published (earliest wins unless ``due`` is None)."""
    value = due.timestamp() if isinstance(due, datetime) else due
    row = db.execute("SELECT crl_due_at FROM cas WHERE arn = ?", (ca.arn,)).fetchone()
    current = row["crl_due_at"] if row else None
    if value is not None and current is not None:
        value = min(value, current)
    db.execute("UPDATE cas SET crl_due_at = ? WHERE arn = ?", (value, ca.arn))


def publish(engine, db: sqlite3.Connection, ctx: Context, ca: CaRecord) -> bool:
    """Generate and write the CRL now; on a bucket failure retry in 15 minutes. True on success."""
    crl_config = ca.doc["RevocationConfiguration"]["CrlConfiguration"]
    if not crl_config.get("Enabled") or ca.certificate is None:
        db.execute("UPDATE cas SET crl_due_at = NULL WHERE arn = ?", (ca.arn,))
        return False
    if ca.status(ctx.now) not in ("ACTIVE", "DISABLED"):
        db.execute("UPDATE cas SET crl_due_at = NULL WHERE arn = ?", (ca.arn,))
        return False
    crl = build(db, ca, ctx.now)
    key = revocation_config.crl_object_key(
        ca.doc["RevocationConfiguration"], ca.ca_id, ca.doc.get("CrlPartition")
    )
    bucket = crl_config["S3BucketName"]
    try:
        engine.check_crl_bucket(ctx, ca.arn, ca.doc["RevocationConfiguration"])
        engine.s3.put_object(
            bucket,
            key,
            crl.public_bytes(serialization.Encoding.DER),
            content_type="application/pkix-crl",
            acl=S3_ACLS.get(crl_config.get("S3ObjectAcl", "PUBLIC_READ")),
        )
    except (ServiceError, S3Error) as error:  # the bucket refused: AWS retries every 15 min
        ca.doc["CrlError"] = str(error)
        ca.save(db)
        db.execute(
            "UPDATE cas SET crl_due_at = ? WHERE arn = ?", ((ctx.now + RETRY).timestamp(), ca.arn)
        )
        return False
    ca.doc.pop("CrlError", None)
    ca.doc["LastCrlAt"] = ctx.now.timestamp()
    ca.doc["CrlNumber"] = int(ctx.now.timestamp() * 1000)
    ca.save(db)
    midpoint = ctx.now + timedelta(days=crl_config["ExpirationInDays"] / 2)
    db.execute("UPDATE cas SET crl_due_at = ? WHERE arn = ?", (midpoint.timestamp(), ca.arn))
    return True


def publish_due(engine, db: sqlite3.Connection, ctx_for) -> int:
    """Publish every CRL whose time has come; returns how many were attempted."""
    now = ctx_for(None).now.timestamp()
    rows = db.execute(
        "SELECT * FROM cas WHERE crl_due_at IS NOT NULL AND crl_due_at <= ?", (now,)
    ).fetchall()
    for row in rows:
        ca = CaRecord.from_row(row)
        publish(engine, db, ctx_for(ca), ca)
    return len(rows)
