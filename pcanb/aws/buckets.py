"""The S3 bucket AWS Private CA writes CRLs and audit reports to, set up as AWS documents it."""

from __future__ import annotations

import contextlib
import json
import re
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


_BUCKET_CHARACTERS = re.compile(r"[a-z0-9.-]+")
_IP_ADDRESS = re.compile(r"\d+\.\d+\.\d+\.\d+")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def bucket_name_problem(bucket: str) -> str | None:
    """Why ``bucket`` breaks the S3 general purpose bucket naming rules; ``None`` when it does
    not (the S3 User Guide's "Bucket naming rules")."""
    if not 3 <= len(bucket) <= 63:
        return f"it is {len(bucket)} characters long, not 3 to 63"
    if not _BUCKET_CHARACTERS.fullmatch(bucket):
        bad = sorted({c for c in bucket if not _BUCKET_CHARACTERS.fullmatch(c)})
        upper = " (uppercase letters are not allowed)" if any(c.isupper() for c in bad) else ""
        return f"it holds {', '.join(repr(c) for c in bad)}{upper}"
    if not (bucket[0].isalnum() and bucket[-1].isalnum()):
        return "it must begin and end with a letter or digit"
    if ".." in bucket:
        return "it has two adjacent dots"
    if _IP_ADDRESS.fullmatch(bucket):
        return "it is formatted as an IP address"
    if bucket.startswith(_RESERVED_PREFIXES) or bucket.endswith(_RESERVED_SUFFIXES):
        return "it begins or ends with a prefix or suffix S3 reserves"
    return None


def create_pca_bucket(pca: Pca, bucket: str) -> str:
    """Create ``bucket`` in the session's Region (an existing bucket of yours is kept) and give
    it :func:`pca_bucket_policy` for this account; returns the name.

    Buckets are created as S3 creates them today (ACLs disabled, Block Public Access on), so
    CRL configurations on them take ``"S3ObjectAcl": "BUCKET_OWNER_FULL_CONTROL"``.
    """
    if not text("bucket", bucket):
        raise PcanbError("create_pca_bucket needs a bucket name, e.g. 'example-pki-crl'.")
    if (wrong := bucket_name_problem(bucket)) is not None:
        raise PcanbError(
            f"{bucket[:80]!r} is not a valid S3 bucket name: {wrong}. Bucket names are 3–63 "
            "lowercase letters, digits, hyphens and dots, starting and ending with a letter or "
            "digit, e.g. 'example-pki-crl'."
        )
    create: dict[str, Any] = {"Bucket": bucket}
    if pca.region != "us-east-1":  # us-east-1 takes no location constraint
        create["CreateBucketConfiguration"] = {"LocationConstraint": pca.region}
    with contextlib.suppress(pca.s3.exceptions.BucketAlreadyOwnedByYou):
        pca.s3.create_bucket(**create)
    partition = pca.client.meta.partition
    policy = pca_bucket_policy(bucket, pca.account, partition)
    pca.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return bucket
