"""``pca.findings()``: gather the CA list, hierarchy, grants and CRL buckets, then run the rules."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from pcanb import tables
from pcanb.analysis.expiry import as_utc
from pcanb.analysis.posture import assess
from pcanb.analysis.reports import combine_reports
from pcanb.aws.access import list_permissions
from pcanb.aws.audit import audit_report, decode_inventory
from pcanb.aws.authorities import list_certificate_authorities
from pcanb.aws.hierarchy import hierarchy_of
from pcanb.errors import PcanbError

if TYPE_CHECKING:
    from pcanb.aws.session import Pca

#: Statuses in which ListPermissions and GetPolicy answer.
_GRANTABLE = ("PENDING_CERTIFICATE", "ACTIVE", "DISABLED", "EXPIRED")
#: Statuses in which a CA can produce an audit report.
_REPORTABLE = ("ACTIVE", "DISABLED")
_BPA_FIELDS = {
    "BlockPublicAcls": "block_public_acls",
    "IgnorePublicAcls": "ignore_public_acls",
    "BlockPublicPolicy": "block_public_policy",
    "RestrictPublicBuckets": "restrict_public_buckets",
}


def findings(
    pca: Pca,
    *,
    certificates: bool = False,
    now: datetime | str | None = None,
    bucket: str | None = None,
    max_workers: int = 8,
) -> pd.DataFrame:
    """Posture findings for every CA of the session: one row per finding, most serious first.

    Columns are ``tables.FINDING_COLUMNS`` (``arn``, ``ca_id``, ``common_name``, ``check``,
    ``severity`` as an ordered categorical INFO < LOW < MEDIUM < HIGH, ``title``, ``detail``,
    ``remediation``, ``reference``); the rules and their ids are
    ``pcanb.analysis.posture.RULES``. Reads ListCertificateAuthorities, the CA certificates
    (``pca.hierarchy()``), ListPermissions, GetPolicy and the CRL buckets' Block Public Access,
    in a pool of ``max_workers`` threads. ``certificates=True`` also reads every ACTIVE or
    DISABLED CA's audit report (into ``bucket``, or the CA's CRL bucket) and decodes each
    certificate, for the checks on what was issued. ``now`` defaults to ``pca.now()``.
    """
    when = as_utc(now if now is not None else pca.now())
    cas = list_certificate_authorities(pca)
    tree = hierarchy_of(pca, cas, max_workers=max_workers)
    grantable = list(cas.loc[cas["status"].isin(_GRANTABLE), "arn"])
    buckets = sorted(
        {str(b).split("/", 1)[0] for b in cas.loc[cas["crl_enabled"].fillna(False), "crl_bucket"]}
    )
    workers = max(1, max_workers)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        permission_frames = list(pool.map(lambda arn: _permissions(pca, arn), grantable))
        policy_texts = list(pool.map(lambda arn: _policy(pca, arn), grantable))
        bucket_rows = list(pool.map(lambda name: _public_access(pca, name), buckets))
    permissions = _concat(permission_frames, tables.PERMISSION_COLUMNS)
    policies = tables.frame(
        [{"arn": a, "policy": p} for a, p in zip(grantable, policy_texts, strict=True) if p],
        tables.RESOURCE_POLICY_COLUMNS,
    )
    inventory, covered, skipped = None, None, None
    if certificates:
        reportable = list(cas.loc[cas["status"].isin(_REPORTABLE), "arn"])
        inventory, covered, skipped = _inventory(pca, reportable, bucket, workers)
    return assess(
        cas, hierarchy=tree, permissions=permissions, policies=policies,
        buckets=tables.frame(bucket_rows, tables.BUCKET_ACCESS_COLUMNS),
        certificates=inventory, covered=covered, skipped=skipped, now=when,
    )  # fmt: skip


def _concat(frames: list[pd.DataFrame], columns: tuple[tables.Column, ...]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else tables.frame([], columns)


def _permissions(pca: Pca, arn: str) -> pd.DataFrame:
    from botocore.exceptions import ClientError  # loaded by now: the client listed the CAs

    try:
        return list_permissions(pca, arn)
    except ClientError:  # a CA whose permissions cannot be read contributes none
        return tables.frame([], tables.PERMISSION_COLUMNS)


def _policy(pca: Pca, arn: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        return pca.client.get_policy(ResourceArn=arn)["Policy"]
    except ClientError:  # ResourceNotFoundException: no policy
        return None


def _public_access(pca: Pca, bucket: str) -> dict[str, Any]:
    """The bucket's Block Public Access settings; none when the bucket has no configuration."""
    from botocore.exceptions import ClientError

    try:
        config = pca.s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchPublicAccessBlockConfiguration":
            return {"bucket": bucket, **dict.fromkeys(_BPA_FIELDS.values(), False)}
        return {"bucket": bucket}  # not readable (another account, no permission): unknown
    return {"bucket": bucket, **{name: config.get(key) for key, name in _BPA_FIELDS.items()}}


def _inventory(
    pca: Pca, arns: list[str], bucket: str | None, workers: int
) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """Every reportable CA's audit report, combined and decoded; and the CAs that failed."""
    from botocore.exceptions import ClientError, WaiterError

    def report(arn: str) -> tuple[str, pd.DataFrame | None, str | None]:
        try:
            return arn, audit_report(pca, arn, bucket=bucket), None
        except (PcanbError, ClientError, WaiterError) as error:
            return arn, None, str(error)

    with ThreadPoolExecutor(max_workers=min(workers, 4)) as pool:
        results = list(pool.map(report, arns))
    frames = [frame for _, frame, _ in results if frame is not None]
    covered = [arn for arn, frame, _ in results if frame is not None]
    skipped = {arn: reason for arn, _, reason in results if reason is not None}
    inventory = combine_reports(frames)
    if len(inventory):
        inventory = decode_inventory(pca, inventory, max_workers=workers)
    return inventory, covered, skipped
