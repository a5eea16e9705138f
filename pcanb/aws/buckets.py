"""The S3 bucket AWS Private CA writes CRLs and audit reports to, set up as AWS documents it."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from pcanb.aws.arguments import text
from pcanb.errors import PcanbError

if TYPE_CHECKING:
    from pcanb.aws.session import Pca

#: What the acm-pca service principal needs on the bucket (the user guide's CRL and audit-report
#: bucket policy).
PCA_BUCKET_ACTIONS = ("s3:PutObject", "s3:PutObjectAcl", "s3:GetBucketAcl", "s3:GetBucketLocation")


def pca_bucket_policy(bucket: str, account: str | None = None, partition: str = "aws") -> dict:
    """The bucket policy that lets AWS Private CA write to ``bucket``; with ``account``, only
    for that account's CAs (the ``aws:SourceAccount`` condition AWS recommends against the
    confused-deputy problem)."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "acm-pca.amazonaws.com"},
        "Action": list(PCA_BUCKET_ACTIONS),
        "Resource": [f"arn:{partition}:s3:::{bucket}", f"arn:{partition}:s3:::{bucket}/*"],
    }
    if account is not None:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": account}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def create_pca_bucket(pca: Pca, bucket: str) -> str:
    """Create ``bucket`` in the session's Region (an existing bucket of yours is kept) and give
    it :func:`pca_bucket_policy` for this account; returns the name.

    Buckets are created as S3 creates them today (ACLs disabled, Block Public Access on), so
    CRL configurations on them take ``"S3ObjectAcl": "BUCKET_OWNER_FULL_CONTROL"``.
    """
    if not text("bucket", bucket):
        raise PcanbError("create_pca_bucket needs a bucket name, e.g. 'example-pki-crl'.")
    create: dict[str, Any] = {"Bucket": bucket}
    if pca.region != "us-east-1":  # us-east-1 takes no location constraint
        create["CreateBucketConfiguration"] = {"LocationConstraint": pca.region}
    with contextlib.suppress(pca.s3.exceptions.BucketAlreadyOwnedByYou):
        pca.s3.create_bucket(**create)
    partition = pca.client.meta.partition
    policy = pca_bucket_policy(bucket, pca.account, partition)
    pca.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return bucket
