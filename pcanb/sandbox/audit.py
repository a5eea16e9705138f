"""Audit reports: every certificate a CA issued or revoked, written to S3 as AWS writes them.

One report per CA every 30 minutes (on the sandbox clock); the report is CREATING until the
configured ``audit_delay`` has passed, then SUCCESS (or FAILED when the bucket refuses it).
Rows come from the certificates table, which the issuing transaction itself writes, so a
report can never miss a certificate that was issued.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sqlite3
import uuid
from datetime import timedelta
from typing import Any

from pcanb.sandbox import bucket_access
from pcanb.sandbox.errors import (
    RequestInProgressException,
    ResourceNotFoundException,
    ServiceError,
)
from pcanb.sandbox.s3 import S3Error
from pcanb.sandbox.state import Context, load_ca, require_status, ts

INTERVAL = timedelta(minutes=30)
FIELDS = (
    "awsAccountId", "requestedByServicePrincipal", "certificateArn", "serial", "subject",
    "notBefore", "notAfter", "issuedAt", "revokedAt", "revocationReason", "templateArn",
)  # fmt: skip


# SQLite formats the times in C (truncating to the second, as time.gmtime does).
_TIME_SQL = "strftime('%Y-%m-%dT%H:%M:%S+0000', {}, 'unixepoch')"
_RECORDS_SQL = (
    "SELECT requested_by, arn, serial, subject, "
    + ", ".join(_TIME_SQL.format(c) for c in ("not_before", "not_after", "issued_at", "revoked_at"))
    + ", revocation_reason, template_arn FROM certificates "
    "WHERE ca_arn = ? AND issued_at <= ? ORDER BY seq"
)

Record = tuple[str | None, ...]  # the values of FIELDS, in order; None where AWS writes nothing


def _serial(hex_serial: str) -> str:
    """The stored hex serial in AWS's colon form (as :func:`pcanb.vocab.serial_to_aws`)."""
    return bytes.fromhex(hex_serial.zfill(len(hex_serial) + len(hex_serial) % 2)).hex(":")


def records(db: sqlite3.Connection, ca_arn: str, account: str, now: float) -> list[Record]:
    """The report's rows, in issuance order: AWS's fields (``FIELDS``) in AWS's formats."""
    return [
        (account, requested_by, arn, _serial(serial), *rest)
        for requested_by, arn, serial, *rest in db.execute(_RECORDS_SQL, (ca_arn, now))
    ]


def render(rows: list[Record], fmt: str) -> bytes:
    """JSON (one array, absent keys for missing values) or CSV (header + RFC 4180 rows)."""
    if fmt == "JSON":
        compact = [
            {key: value for key, value in zip(FIELDS, row, strict=True) if value is not None}
            for row in rows
        ]
        return json.dumps(compact, separators=(",", ":")).encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIELDS)
    writer.writerows(rows)  # the csv module writes None as an empty field
    return buffer.getvalue().encode()


def create_audit_report(engine, db: sqlite3.Connection, ctx: Context, req: dict[str, Any]) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"])
    require_status(ca, ctx.now, ("ACTIVE", "DISABLED"), "CreateCertificateAuthorityAuditReport")
    bucket = req["S3BucketName"]
    if engine.s3 is not None and not engine.s3.bucket_exists(bucket):
        raise ResourceNotFoundException(f"The S3 bucket {bucket!r} does not exist.")
    bucket_access.check_service_can_write(engine.s3, bucket, account=ctx.account, ca_arn=ca.arn)
    last = db.execute(
        "SELECT created_at FROM audit_reports WHERE ca_arn = ? ORDER BY created_at DESC LIMIT 1",
        (ca.arn,),
    ).fetchone()
    if last is not None and ctx.now.timestamp() - last["created_at"] < INTERVAL.total_seconds():
        wait = INTERVAL.total_seconds() - (ctx.now.timestamp() - last["created_at"])
        minutes = max(math.ceil(wait / 60), 1)
        raise RequestInProgressException(
            "An audit report can be generated once every 30 minutes per certificate authority; "
            f"the next one can be requested in {minutes} minute{'' if minutes == 1 else 's'}."
        )
    report_id = str(uuid.uuid4())
    extension = "json" if req["AuditReportResponseFormat"] == "JSON" else "csv"
    key = f"audit-report/{ca.ca_id}/{report_id}.{extension}"
    now = ctx.now.timestamp()
    db.execute(
        "INSERT INTO audit_reports (id, ca_arn, bucket, s3_key, format, status, created_at, ready_at) "
        "VALUES (?, ?, ?, ?, ?, 'CREATING', ?, ?)",
        (report_id, ca.arn, bucket, key, req["AuditReportResponseFormat"], now,
         now + float(ctx.settings.get("audit_delay", 0))),
    )  # fmt: skip
    if float(ctx.settings.get("audit_delay", 0)) <= 0:
        generate(engine, db, report_id, ctx.now.timestamp())
    return {"AuditReportId": report_id, "S3Key": key}


def generate(engine, db: sqlite3.Connection, report_id: str, now: float) -> str:
    """Write one report to its bucket; returns the new status (SUCCESS or FAILED)."""
    report = db.execute("SELECT * FROM audit_reports WHERE id = ?", (report_id,)).fetchone()
    account = db.execute("SELECT account FROM cas WHERE arn = ?", (report["ca_arn"],)).fetchone()
    rows = records(db, report["ca_arn"], account["account"], now)
    status = "SUCCESS"
    try:
        bucket_access.check_service_can_write(
            engine.s3, report["bucket"], account=account["account"], ca_arn=report["ca_arn"]
        )
        content_type = "application/json" if report["format"] == "JSON" else "text/csv"
        engine.s3.put_object(
            report["bucket"],
            report["s3_key"],
            render(rows, report["format"]),
            content_type=content_type,
        )
    except (ServiceError, S3Error):
        status = "FAILED"
    db.execute("UPDATE audit_reports SET status = ? WHERE id = ?", (status, report_id))
    return status


def generate_due(engine, db: sqlite3.Connection, now: float) -> int:
    due = db.execute(
        "SELECT id FROM audit_reports WHERE status = 'CREATING' AND ready_at <= ?", (now,)
    ).fetchall()
    for row in due:
        generate(engine, db, row["id"], now)
    return len(due)


def describe_audit_report(
    engine, db: sqlite3.Connection, ctx: Context, req: dict[str, Any]
) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"], deleted_ok=True)
    row = db.execute(
        "SELECT * FROM audit_reports WHERE id = ? AND ca_arn = ?", (req["AuditReportId"], ca.arn)
    ).fetchone()
    if row is None:
        raise ResourceNotFoundException(
            f"There is no audit report {req['AuditReportId']} for {ca.arn}."
        )
    return {
        "AuditReportStatus": row["status"],
        "S3BucketName": row["bucket"],
        "S3Key": row["s3_key"],
        "CreatedAt": ts(row["created_at"]),
    }
