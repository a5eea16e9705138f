"""Audit reports: the two AWS actions, and the workflows that turn reports into an inventory."""

from __future__ import annotations

import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pandas as pd

from pcanb import tables
from pcanb.analysis.reports import combine_reports, read_audit_report
from pcanb.aws.arguments import ca_arn, check_choice
from pcanb.errors import PcanbError
from pcanb.vocab import AUDIT_REPORT_FORMATS

if TYPE_CHECKING:
    from pcanb.aws.session import Pca


class ReusedReportWarning(UserWarning):
    """A new audit report could not be requested (too soon, or not allowed), so the latest
    existing one was used."""


def create_certificate_authority_audit_report(
    pca: Pca,
    certificate_authority_arn: Any,
    s3_bucket_name: str,
    audit_report_response_format: str = "JSON",
) -> str:
    """CreateCertificateAuthorityAuditReport; returns the report id (the S3 key is in describe)."""
    check_choice("audit_report_response_format", audit_report_response_format, AUDIT_REPORT_FORMATS)
    response = pca.client.create_certificate_authority_audit_report(
        CertificateAuthorityArn=ca_arn(certificate_authority_arn),
        S3BucketName=s3_bucket_name,
        AuditReportResponseFormat=audit_report_response_format,
    )
    return response["AuditReportId"]


def describe_certificate_authority_audit_report(
    pca: Pca, certificate_authority_arn: Any, audit_report_id: str
) -> pd.DataFrame:
    """DescribeCertificateAuthorityAuditReport as a one-row frame."""
    arn = ca_arn(certificate_authority_arn)
    r = pca.client.describe_certificate_authority_audit_report(
        CertificateAuthorityArn=arn, AuditReportId=audit_report_id
    )
    key = r.get("S3Key") or ""
    record = {
        "arn": arn,
        "audit_report_id": audit_report_id,
        "status": r.get("AuditReportStatus"),
        "s3_bucket": r.get("S3BucketName"),
        "s3_key": key,
        "created_at": r.get("CreatedAt"),
        "format": "CSV" if key.endswith(".csv") else "JSON",
    }
    return tables.frame([record], tables.AUDIT_REPORT_COLUMNS)


def _default_bucket(pca: Pca, arn: str) -> str:
    described = pca.client.describe_certificate_authority(CertificateAuthorityArn=arn)
    crl = described["CertificateAuthority"]["RevocationConfiguration"].get("CrlConfiguration") or {}
    if crl.get("S3BucketName"):
        return crl["S3BucketName"].split("/", 1)[0]
    raise PcanbError(
        f"{arn} has no CRL bucket to reuse: pass bucket='<an S3 bucket whose policy lets "
        "acm-pca.amazonaws.com write>'"
    )


def _latest_report_key(pca: Pca, bucket: str, arn: str) -> str | None:
    prefix = f"audit-report/{arn.rsplit('/', 1)[1]}/"
    newest = None
    for page in pca.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if newest is None or item["LastModified"] > newest["LastModified"]:
                newest = item
    return newest["Key"] if newest else None


def audit_report(
    pca: Pca, ca: Any, format: str = "JSON", *, bucket: str | None = None, reuse: bool = True
) -> pd.DataFrame:
    """Request an audit report, wait for it, fetch it from S3 and parse it to a typed frame.

    Within AWS's 30-minute limit, or when the caller may not request reports
    (``AccessDeniedException``: a read-only role, a sandbox opened read-only), the newest report
    already in the bucket is used instead (``reuse=False`` raises the AWS error), with a
    :class:`ReusedReportWarning` saying so.
    ``frame.attrs`` holds ``s3_uri`` and ``audit_report_id``.
    """
    check_choice("format", format, AUDIT_REPORT_FORMATS)
    arn = ca_arn(ca)
    bucket = bucket or _default_bucket(pca, arn)
    try:
        report_id = create_certificate_authority_audit_report(pca, arn, bucket, format)
    except pca.client.exceptions.ClientError as error:
        # Too soon after the last report, or a caller who may only read (an auditor's role, a
        # sandbox opened read-only): the newest report in the bucket is the answer.
        code = error.response["Error"]["Code"]
        usable = code in ("RequestInProgressException", "AccessDeniedException") and reuse
        key = _latest_report_key(pca, bucket, arn) if usable else None
        if key is None:
            raise
        warnings.warn(
            f"{error.response['Error']['Message']} Using the newest existing report, "
            f"s3://{bucket}/{key}.",
            ReusedReportWarning,
            stacklevel=2,
        )
        body = pca.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        frame = read_audit_report(body, format="CSV" if key.endswith(".csv") else "JSON")
        frame.attrs.update(
            s3_uri=f"s3://{bucket}/{key}",
            audit_report_id=key.rsplit("/", 1)[1].split(".")[0],
            reused=True,
        )
        return frame
    pca.client.get_waiter("audit_report_created").wait(
        CertificateAuthorityArn=arn, AuditReportId=report_id, WaiterConfig=pca.waiter_config(3)
    )
    described = pca.client.describe_certificate_authority_audit_report(
        CertificateAuthorityArn=arn, AuditReportId=report_id
    )
    key = described["S3Key"]
    body = pca.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    frame = read_audit_report(body, format=format)
    frame.attrs.update(s3_uri=f"s3://{bucket}/{key}", audit_report_id=report_id, reused=False)
    return frame


class _RateLimiter:
    """At most ``rate`` calls per second across threads (GetCertificate allows 75/s)."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            time.sleep(start - now)


def _progress(iterable: Any, total: int, description: str) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm comes with the notebook extra; without it, no bar
        return iterable
    return tqdm(iterable, total=total, desc=description, leave=False)


#: Columns ``decode_inventory`` adds to an inventory, from each certificate (their dtypes are
#: ``tables.DECODED_COLUMNS``).
DECODED_COLUMNS = tuple(c.name for c in tables.DECODED_COLUMNS)


def decode_inventory(
    pca: Pca, frame: pd.DataFrame, *, max_workers: int = 8, rate: float = 50.0
) -> pd.DataFrame:
    """An inventory with :data:`DECODED_COLUMNS` added from GetCertificate of each row.

    A bounded pool of ``max_workers`` threads, at most ``rate`` calls a second in all.
    """
    from pcanb.aws.certificates import get_certificate

    limiter = _RateLimiter(rate)

    def fetch(row: tuple[str, str]) -> dict[str, Any]:
        authority, arn = row
        limiter.wait()
        try:
            cert = get_certificate(pca, authority, arn)
        except Exception as error:  # a certificate that cannot be fetched is reported, not fatal
            return {"decode_error": str(error)}
        return {
            "sans": cert.sans,
            "key_algorithm": cert.key_algorithm,
            "signature_algorithm": cert.signature_algorithm,
            "key_usage": cert.key_usage,
            "extended_key_usage": cert.extended_key_usage,
            "is_ca": cert.is_ca,
            "decode_error": None,
        }

    pairs = list(zip(frame["ca_arn"], frame["certificate_arn"], strict=True))
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        details = list(_progress(pool.map(fetch, pairs), len(pairs), "GetCertificate"))
    extra = tables.frame(details, tables.DECODED_COLUMNS).set_axis(frame.index)
    return pd.concat([frame, extra], axis=1)


def certificates(
    pca: Pca,
    ca: Any = None,
    *,
    bucket: str | None = None,
    decode: bool = False,
    max_workers: int = 8,
    rate: float = 50.0,
) -> pd.DataFrame:
    """Every certificate issued by one CA (or by every CA of the session), from audit reports.

    AWS has no ListCertificates: the inventory is the CAs' audit reports, combined. CAs that
    cannot produce a report (not ACTIVE or DISABLED) are listed in ``frame.attrs["skipped"]``.
    ``decode=True`` adds SANs, key, key usage and EKU from GetCertificate (a bounded,
    rate-limited pool; see :func:`decode_inventory`).
    """
    if ca is not None:
        arns = [ca_arn(ca)]
    else:
        listing = pca.list_certificate_authorities()
        usable = listing["status"].isin(["ACTIVE", "DISABLED"])
        arns = list(listing.loc[usable, "arn"])
        skipped = list(listing.loc[~usable, "arn"])
    frames = [audit_report(pca, arn, bucket=bucket) for arn in arns]
    frame = combine_reports(frames)
    if decode:
        frame = decode_inventory(pca, frame, max_workers=max_workers, rate=rate)
    frame.attrs["skipped"] = skipped if ca is None else []
    return frame
