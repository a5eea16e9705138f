"""Whether AWS Private CA may write to an S3 bucket, judged from the bucket policy as AWS would."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from pcanb.sandbox.errors import InvalidArgsException, ValidationException
from pcanb.sandbox.s3 import S3Error
from pcanb.sandbox.s3_public_access import action_matches, resource_matches

SERVICE_PRINCIPAL = "acm-pca.amazonaws.com"
PERMISSION_TEST_KEY = "acm-pca-permission-test-key"
# S3's answers to an object ACL the bucket refuses: ACLs disabled, or public ACLs blocked.
_ACL_REFUSALS = {
    "AccessControlListNotSupported": (
        "The bucket has ACLs disabled (Object Ownership 'Bucket owner enforced', the default "
        "for new buckets): set S3ObjectAcl to BUCKET_OWNER_FULL_CONTROL."
    ),
    "AccessDenied": (
        "The bucket's Block Public Access settings (BlockPublicAcls, on by default for new "
        "buckets) refuse the public-read ACL: set S3ObjectAcl to BUCKET_OWNER_FULL_CONTROL."
    ),
}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principal_matches(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        services = _as_list(principal.get("Service"))
        return any(
            s == SERVICE_PRINCIPAL or (s.startswith("acm-pca.") and s.endswith(".amazonaws.com"))
            for s in services
        ) or "*" in _as_list(principal.get("AWS"))
    return False


def _condition_holds(condition: dict[str, Any] | None, context: dict[str, str]) -> bool:
    """The global condition keys the service sends (aws:SourceAccount, aws:SourceArn)."""
    for operator, tests in (condition or {}).items():
        for key, expected in tests.items():
            actual = context.get(key.lower())
            if actual is None:
                return False
            patterns = _as_list(expected)
            if operator in ("StringEquals", "ArnEquals"):
                ok = actual in patterns
            elif operator in ("StringLike", "ArnLike"):
                ok = any(fnmatch.fnmatchcase(actual, p) for p in patterns)
            else:
                ok = True  # operators the sandbox does not evaluate are treated as satisfied
            if not ok:
                return False
    return True


def service_may(
    policy_text: str | None, action: str, resource: str, context: dict[str, str]
) -> bool:
    """True when the bucket policy lets acm-pca perform ``action`` on ``resource``."""
    if not policy_text:
        return False
    try:
        statements = _as_list(json.loads(policy_text).get("Statement"))
    except (ValueError, AttributeError):
        return False
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        if not (
            _principal_matches(statement.get("Principal"))
            and action_matches(statement.get("Action"), action)
            and resource_matches(statement.get("Resource"), resource)
            and _condition_holds(statement.get("Condition"), context)
        ):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


def check_service_can_write(s3: Any, bucket: str, *, account: str, ca_arn: str) -> None:
    """InvalidArgsException unless ``bucket`` exists and its policy lets acm-pca write to it."""
    if s3 is None:
        return
    name = bucket.split("/", 1)[0]
    if not s3.bucket_exists(name):
        raise InvalidArgsException(
            f"The S3 bucket {name!r} does not exist; create it (and give acm-pca.amazonaws.com "
            "write access in its bucket policy) first."
        )
    context = {"aws:sourceaccount": account, "aws:sourcearn": ca_arn}
    policy = s3.bucket_policy(name)
    checks = (
        ("s3:GetBucketAcl", f"arn:aws:s3:::{name}"),
        ("s3:PutObject", f"arn:aws:s3:::{name}/*"),
    )
    for action, resource in checks:
        if not service_may(policy, action, resource, context):
            raise InvalidArgsException(
                f"The ACM Private CA Service Principal '{SERVICE_PRINCIPAL}' requires "
                f"'{action}' permissions for your S3 bucket "
                f"'{name}'. Check your S3 bucket permissions and try again."
            )


def write_permission_probe(s3: Any, bucket: str, acl: str | None) -> None:
    """Write ``acm-pca-permission-test-key`` with ``acl`` as AWS does to prove it may write.

    A refused ACL answers as AWS does (ValidationException "Permission error with your S3
    bucket ..."), followed by what the sandbox saw; other failures are InvalidArgsException.
    """
    if s3 is None:
        return
    try:
        s3.put_object(bucket, PERMISSION_TEST_KEY, b"", acl=acl)
    except S3Error as error:
        if error.code in _ACL_REFUSALS:
            raise ValidationException(
                f"Permission error with your S3 bucket '{bucket}'. Check that your bucket "
                "policy, encryption settings, S3 Block Public Access settings, and global "
                "account permissions are configured correctly. For more information, check the "
                f"service documentation. {_ACL_REFUSALS[error.code]}"
            ) from None
        raise InvalidArgsException(
            f"AWS Private CA could not write to the S3 bucket '{bucket}': {error.message}."
        ) from None
