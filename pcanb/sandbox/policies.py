"""PutPolicy / GetPolicy / DeletePolicy: resource-based policies for cross-account access.

AWS accepts policies of a fixed shape (the documented examples, with principals and the CA
ARN changed); anything else is ``InvalidPolicyException``.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from pcanb.sandbox.errors import InvalidPolicyException, ResourceNotFoundException
from pcanb.sandbox.state import Context, load_ca, require_status

ALLOWED_ACTIONS = {
    "acm-pca:IssueCertificate", "acm-pca:GetCertificate",
    "acm-pca:GetCertificateAuthorityCertificate", "acm-pca:DescribeCertificateAuthority",
    "acm-pca:ListPermissions", "acm-pca:ListTags", "acm-pca:RevokeCertificate",
}  # fmt: skip
_STATEMENT_KEYS = {"Sid", "Effect", "Principal", "Action", "Resource", "Condition"}
# Every status but CREATING and FAILED (DELETED is refused by load_ca). [inferred]
_ALLOWED = ("PENDING_CERTIFICATE", "ACTIVE", "DISABLED", "EXPIRED")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def validate_policy(text: str, ca_arn: str) -> None:
    """``InvalidPolicyException`` naming the first problem of a CA resource policy."""

    def bad(reason: str) -> InvalidPolicyException:
        return InvalidPolicyException(f"The resource policy is invalid: {reason}")

    try:
        document = json.loads(text)
    except ValueError as exc:
        raise bad(f"it is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno}).") from None
    if not isinstance(document, dict):
        raise bad("the document must be a JSON object.")
    if document.get("Version") not in ("2012-10-17", "2008-10-17"):
        raise bad('"Version" must be "2012-10-17".')
    statements = document.get("Statement")
    if not statements:
        raise bad('"Statement" is missing or empty.')
    for index, statement in enumerate(_list(statements), start=1):
        if not isinstance(statement, dict):
            raise bad(f"statement {index} is not an object.")
        unknown = set(statement) - _STATEMENT_KEYS
        if unknown:
            raise bad(f"statement {index} uses {', '.join(sorted(unknown))}, which is not allowed.")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise bad(f'statement {index} needs "Effect": "Allow" or "Deny".')
        principal = statement.get("Principal")
        if principal != "*" and not (isinstance(principal, dict) and principal.get("AWS")):
            raise bad(f'statement {index} needs a "Principal" with "AWS" account ids (or "*").')
        actions = _list(statement.get("Action") or [])
        if not actions:
            raise bad(f'statement {index} has no "Action".')
        for action in actions:
            if action not in ALLOWED_ACTIONS:
                raise bad(
                    f"statement {index} grants {action!r}; a CA policy may grant only "
                    + ", ".join(sorted(ALLOWED_ACTIONS))
                    + "."
                )
        resources = _list(statement.get("Resource") or [])
        if resources != [ca_arn]:
            raise bad(f'statement {index} "Resource" must be this CA\'s ARN, {ca_arn}.')


def put_policy(engine, db: sqlite3.Connection, ctx: Context, req: dict[str, Any]) -> dict:
    ca = load_ca(db, ctx, req["ResourceArn"])
    require_status(ca, ctx.now, _ALLOWED, "PutPolicy")
    validate_policy(req["Policy"], ca.arn)
    db.execute(
        "INSERT INTO policies (ca_arn, policy) VALUES (?, ?) "
        "ON CONFLICT (ca_arn) DO UPDATE SET policy = excluded.policy",
        (ca.arn, req["Policy"]),
    )
    return {}


def get_policy(engine, db: sqlite3.Connection, ctx: Context, req: dict[str, Any]) -> dict:
    ca = load_ca(db, ctx, req["ResourceArn"])
    row = db.execute("SELECT policy FROM policies WHERE ca_arn = ?", (ca.arn,)).fetchone()
    if row is None:
        raise ResourceNotFoundException(f"There is no resource policy attached to {ca.arn}.")
    return {"Policy": row["policy"]}


def delete_policy(engine, db: sqlite3.Connection, ctx: Context, req: dict[str, Any]) -> dict:
    ca = load_ca(db, ctx, req["ResourceArn"])
    db.execute("DELETE FROM policies WHERE ca_arn = ?", (ca.arn,))  # no policy is success
    return {}
