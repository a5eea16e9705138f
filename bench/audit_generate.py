"""Time CreateCertificateAuthorityAuditReport for a sandbox CA that has issued many certificates.

How the CA gets its certificates (``--certs``, default 100,000):

1. ``--issued`` of them (default 2,000) are issued through boto3 like any client would,
   which also gives the issuance rate through the whole stack;
2. the rest are copies of those rows made in SQL, each with a new random 128-bit serial and
   the matching certificate ARN, and one copy in ten revoked. The copies keep the DER of the
   certificate they were copied from: the audit report reads only the table's columns, never
   the DER, so the report is what a CA with that many certificates would produce.

Then a JSON report and, 31 sandbox minutes later, a CSV report are requested through boto3
(``audit_delay`` is 0, so each call generates the report and writes it to the sandbox's S3
before it returns), fetched back and parsed with ``read_audit_report`` as a check.
Run: ``.venv/bin/python bench/audit_generate.py --certs 100000``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

import pcanb
from pcanb.analysis.reports import read_audit_report
from pcanb.x509.csr import build_csr

BUCKET = "pki-audit"
REASONS = ("KEY_COMPROMISE", "SUPERSEDED", "CESSATION_OF_OPERATION", "UNSPECIFIED")


def audit_bucket(pca) -> None:
    pca.s3.create_bucket(Bucket=BUCKET)
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "acm-pca.amazonaws.com"},
        "Action": ["s3:PutObject", "s3:PutObjectAcl", "s3:GetBucketAcl", "s3:GetBucketLocation"],
        "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
    }
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    pca.s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))


def issue_through_boto3(pca, ca_arn: str, count: int) -> float:
    """Issue ``count`` certificates with IssueCertificate; returns certificates per second."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = build_csr(key, {"CommonName": "bench.example.com", "Organization": "Example, Inc."})
    pem = csr.public_bytes(serialization.Encoding.PEM)
    begin = time.perf_counter()
    for _ in range(count):
        pca.client.issue_certificate(
            CertificateAuthorityArn=ca_arn,
            Csr=pem,
            SigningAlgorithm="SHA256WITHECDSA",
            Validity={"Type": "DAYS", "Value": 365},
        )
    return count / (time.perf_counter() - begin)


def copy_rows(pca, ca_arn: str, total: int) -> int:
    """Copy the CA's certificate rows in SQL, with new serials, until it has ``total``."""
    with pca.sandbox.store.write() as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(certificates)")]
        copied = [c for c in columns if c not in ("seq", "arn", "serial")]
        have = db.execute(
            "SELECT count(*) FROM certificates WHERE ca_arn = ?", (ca_arn,)
        ).fetchone()[0]
        sources = [  # the issued end-entity certificates, not the root's own
            row[0]
            for row in db.execute(
                "SELECT seq FROM certificates WHERE ca_arn = ? AND template_arn NOT LIKE "
                "'%/RootCACertificate/%' ORDER BY seq",
                (ca_arn,),
            )
        ]
        needed = max(0, total - have)
        placeholders = ", ".join(copied)
        statement = (
            f"INSERT INTO certificates (arn, serial, {placeholders}) "
            f"SELECT ?, ?, {placeholders} FROM certificates WHERE seq = ?"
        )
        rows = []
        for i in range(needed):
            serial = format(secrets.randbits(128) | (1 << 127), "032x")
            rows.append((f"{ca_arn}/certificate/{serial}", serial, sources[i % len(sources)]))
        db.executemany(statement, rows)
        # One copy in ten is revoked a day after the source was issued.
        copies = db.execute(
            "SELECT seq, issued_at FROM certificates WHERE ca_arn = ? ORDER BY seq LIMIT -1 OFFSET ?",
            (ca_arn, have),
        ).fetchall()
        db.executemany(
            "UPDATE certificates SET revoked_at = ?, revocation_reason = ? WHERE seq = ?",
            [
                (issued_at + 86400, REASONS[n % len(REASONS)], seq)
                for n, (seq, issued_at) in enumerate(copies)
                if n % 10 == 0
            ],
        )
        count = db.execute(
            "SELECT count(*) FROM certificates WHERE ca_arn = ?", (ca_arn,)
        ).fetchone()[0]
    return count


def report(pca, ca_arn: str, fmt: str) -> tuple[float, bytes]:
    begin = time.perf_counter()
    response = pca.client.create_certificate_authority_audit_report(
        CertificateAuthorityArn=ca_arn, S3BucketName=BUCKET, AuditReportResponseFormat=fmt
    )
    elapsed = time.perf_counter() - begin
    status = pca.client.describe_certificate_authority_audit_report(
        CertificateAuthorityArn=ca_arn, AuditReportId=response["AuditReportId"]
    )["AuditReportStatus"]
    assert status == "SUCCESS", status
    body = pca.s3.get_object(Bucket=BUCKET, Key=response["S3Key"])["Body"].read()
    return elapsed, body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certs", type=int, default=100_000)
    parser.add_argument("--issued", type=int, default=2_000)
    parser.add_argument("--quick", action="store_true", help="20,000 certificates, 500 issued")
    args = parser.parse_args(argv)
    if args.quick:
        args.certs, args.issued = 20_000, 500
    issued = min(args.issued, args.certs)

    with tempfile.TemporaryDirectory(prefix="pcanb-audit-generate-") as tmp:
        pca = pcanb.sandbox(Path(tmp) / "sandbox")
        try:
            audit_bucket(pca)
            root = pca.create_root_ca(common_name="Bench Root CA")
            rate = issue_through_boto3(pca, root.arn, issued - 1)  # the root's own counts
            begin = time.perf_counter()
            count = copy_rows(pca, root.arn, args.certs)
            copy_seconds = time.perf_counter() - begin
            print(
                f"{count:,} certificates: {issued:,} issued through boto3 ({rate:,.0f}/s), "
                f"{count - issued:,} copied in SQL ({copy_seconds:.1f} s)",
                flush=True,
            )
            figures = []
            for fmt in ("JSON", "CSV"):
                seconds, body = report(pca, root.arn, fmt)
                frame = read_audit_report(body, format=fmt)
                assert len(frame) == count and frame.attrs["problems"] == 0
                assert frame["revoked"].sum() == (count - issued + 9) // 10
                figures.append((fmt, seconds, len(body)))
                pca.sandbox.advance(minutes=31)
        finally:
            pca.sandbox.close()

    print(
        f"{'CreateCertificateAuthorityAuditReport':<40}  {'seconds':>8}  {'rows/s':>9}  {'size':>8}"
    )
    for fmt, seconds, size in figures:
        print(
            f"{fmt + ' (generate + write to S3)':<40}  {seconds:>8.2f}  "
            f"{count / seconds:>9,.0f}  {size / 2**20:>6.1f} MiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
