"""S3 Block Public Access for one bucket: its four settings, and which ACLs and policies are public.

Since April 2023 a new bucket has all four settings on (and ACLs disabled). ``BlockPublicAcls``
makes S3 refuse a public canned ACL on CreateBucket, PutObject and PutObjectAcl;
``BlockPublicPolicy`` makes it refuse a public bucket policy. Both refusals are 403 AccessDenied.
"Public" follows S3's rules as far as the sandbox needs them: an ACL granting AllUsers or
AuthenticatedUsers, and a policy with an Allow for everyone that no fixed-value condition narrows.
``IgnorePublicAcls`` and ``RestrictPublicBuckets`` decide what an anonymous caller may read.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree

FIELDS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
#: What S3 gives every new bucket.
ALL_ON: dict[str, bool] = dict.fromkeys(FIELDS, True)
#: Canned ACLs that grant the AllUsers or AuthenticatedUsers group.
PUBLIC_CANNED_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
# Condition keys that, given fixed values, make a statement non-public (S3's "meaning of public").
_NARROWING_KEYS = frozenset(
    {
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceowner",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceip",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:userid",
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
    }
)
_EXACT_OPERATORS = frozenset(
    {"StringEquals", "StringEqualsIgnoreCase", "ArnEquals", "IpAddress", "StringLike", "ArnLike"}
)


def parse(root: ElementTree.Element) -> dict[str, bool]:
    """The settings in a ``PublicAccessBlockConfiguration`` document (absent ones are false).

    ValueError when the document holds anything else, or a value that is not true/false.
    """
    if root.tag.rpartition("}")[2] != "PublicAccessBlockConfiguration":
        raise ValueError(root.tag)
    config = dict.fromkeys(FIELDS, False)
    for child in root:
        name, text = child.tag.rpartition("}")[2], (child.text or "").strip().lower()
        if name not in config or text not in ("true", "false"):
            raise ValueError(name)
        config[name] = text == "true"
    return config


def render(config: Mapping[str, bool]) -> str:
    """The inner XML of a ``PublicAccessBlockConfiguration`` answer."""
    return "".join(f"<{name}>{str(bool(config[name])).lower()}</{name}>" for name in FIELDS)


def blocks(config: Mapping[str, bool] | None, setting: str) -> bool:
    """Whether ``setting`` is on in ``config`` (``None``: the bucket has no configuration)."""
    return bool(config and config.get(setting))


def is_public_acl(acl: str | None) -> bool:
    """Whether a canned ACL grants access to everyone (or every AWS account)."""
    return acl in PUBLIC_CANNED_ACLS


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in _as_list(principal.get("AWS"))


def _narrowed(condition: Any) -> bool:
    """Whether a Condition pins one of the narrowing keys to fixed values (no wildcards)."""
    if not isinstance(condition, dict):
        return False
    for operator, tests in condition.items():
        base = str(operator).removeprefix("ForAnyValue:").removeprefix("ForAllValues:")
        if base not in _EXACT_OPERATORS or not isinstance(tests, dict):
            continue
        for key, values in tests.items():
            if key.lower() not in _NARROWING_KEYS:
                continue
            fixed = all(
                isinstance(v, str) and "*" not in v and "?" not in v and not v.endswith("/0")
                for v in _as_list(values)
            )
            if fixed:
                return True
    return False


def _statements(text: str | None) -> list[Any]:
    """The statements of a bucket policy's JSON text (none when it has no policy or no JSON)."""
    if not text:
        return []
    try:
        return _as_list(json.loads(text).get("Statement"))
    except (ValueError, AttributeError):
        return []


def is_public_policy(text: str | None) -> bool:
    """Whether a bucket policy grants access to everyone (an Allow for ``*`` not narrowed)."""
    statements = _statements(text)
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if "NotPrincipal" in statement:
            return True
        if _everyone(statement.get("Principal")) and not _narrowed(statement.get("Condition")):
            return True
    return False


def action_matches(actions: Any, wanted: str) -> bool:
    """Whether a statement's Action (a string or list, with IAM wildcards) covers ``wanted``."""
    return any(fnmatch.fnmatchcase(wanted.lower(), str(a).lower()) for a in _as_list(actions))


def resource_matches(resources: Any, wanted: str) -> bool:
    """Whether a statement's Resource (a string or list, with IAM wildcards) covers ``wanted``."""
    return any(fnmatch.fnmatchcase(wanted, str(r)) for r in _as_list(resources))


def policy_lets_anyone_read(text: str | None, bucket: str, key: str) -> bool:
    """Whether a bucket policy lets an anonymous caller GetObject ``key``: an Allow for everyone
    covering the action and the object, and no Deny for everyone that covers them. A statement
    with a Condition is not taken as granting anything: the sandbox cannot tell whether an
    anonymous request meets it (source IP, VPC, referer…) [inferred]."""
    statements = _statements(text)
    resource = f"arn:aws:s3:::{bucket}/{key}"
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict) or not _everyone(statement.get("Principal")):
            continue
        if not (
            action_matches(statement.get("Action"), "s3:GetObject")
            and resource_matches(statement.get("Resource"), resource)
        ):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow" and not statement.get("Condition"):
            allowed = True
    return allowed


def anyone_may_read(
    config: Mapping[str, bool] | None,
    policy: str | None,
    object_acl: str | None,
    acls_enabled: bool,
    bucket: str,
    key: str,
) -> bool:
    """Whether S3 serves an object to an anonymous caller: a public bucket policy unless
    ``RestrictPublicBuckets``, or a public-read object ACL on a bucket with ACLs enabled unless
    ``IgnorePublicAcls``."""
    if not blocks(config, "RestrictPublicBuckets") and policy_lets_anyone_read(policy, bucket, key):
        return True
    return (
        acls_enabled
        and object_acl in ("public-read", "public-read-write")
        and not blocks(config, "IgnorePublicAcls")
    )
