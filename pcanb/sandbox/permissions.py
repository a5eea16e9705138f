"""CreatePermission / ListPermissions / DeletePermission: grants to the ACM service principal."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from pcanb.sandbox import paging
from pcanb.sandbox.errors import (
    PermissionAlreadyExistsException,
    RequestFailedException,
    ResourceNotFoundException,
)
from pcanb.sandbox.state import Context, load_ca, require_status, ts

ACM_PRINCIPAL = "acm.amazonaws.com"
# Every status but CREATING and FAILED (DELETED is refused by load_ca). [inferred]
_ALLOWED = ("PENDING_CERTIFICATE", "ACTIVE", "DISABLED", "EXPIRED")
_ACTION_NAMES = {
    "IssueCertificate": "acm-pca:IssueCertificate",
    "GetCertificate": "acm-pca:GetCertificate",
    "ListPermissions": "acm-pca:ListPermissions",
}


def _policy(ca_arn: str, principal: str, source_account: str, actions: list[str]) -> str:
    """The resource policy AWS generates for a permission."""
    statement: dict[str, Any] = {
        "Sid": f"{principal}-{ca_arn.rsplit('/', 1)[1]}",
        "Effect": "Allow",
        "Principal": {"Service": principal},
        "Action": [_ACTION_NAMES[a] for a in actions],
        "Resource": ca_arn,
    }
    if source_account:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def create_permission(engine, db: sqlite3.Connection, ctx: Context, req: dict[str, Any]) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"])
    require_status(ca, ctx.now, _ALLOWED, "CreatePermission")
    principal = req["Principal"]
    if principal != ACM_PRINCIPAL:
        # AWS documents acm.amazonaws.com as the only valid principal but no code for another
        # one. Of CreatePermission's modeled errors only RequestFailedException ("the request
        # has failed") fits; InvalidRequestException is not in its list, so a client could not
        # catch it as a modeled exception [inferred].
        raise RequestFailedException(
            f"Principal {principal!r} is not valid: permissions can be given only to "
            f"{ACM_PRINCIPAL} (for cross-account access use a resource policy with PutPolicy)."
        )
    source_account = req.get("SourceAccount") or ""
    exists = db.execute(
        "SELECT 1 FROM permissions WHERE ca_arn = ? AND principal = ?", (ca.arn, principal)
    ).fetchone()
    if exists:
        raise PermissionAlreadyExistsException(
            "The designated permission has already been given to the user."
        )
    actions = list(dict.fromkeys(req["Actions"]))
    db.execute(
        "INSERT INTO permissions (ca_arn, principal, source_account, actions, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (ca.arn, principal, source_account, json.dumps(actions), ctx.now.timestamp()),
    )
    return {}


def list_permissions(engine, db: sqlite3.Connection, ctx: Context, req: dict[str, Any]) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"])
    require_status(ca, ctx.now, _ALLOWED, "ListPermissions")
    after = paging.decode(db, "ListPermissions", ca.arn, req.get("NextToken"))
    limit = req.get("MaxResults") or 1000
    rows = db.execute(
        "SELECT rowid, * FROM permissions WHERE ca_arn = ? AND rowid > ? ORDER BY rowid LIMIT ?",
        (ca.arn, after, limit + 1),
    ).fetchall()
    permissions = []
    for row in rows[:limit]:
        actions = json.loads(row["actions"])
        item = {
            "CertificateAuthorityArn": ca.arn,
            "CreatedAt": ts(row["created_at"]),
            "Principal": row["principal"],
            "Actions": actions,
            "Policy": _policy(ca.arn, row["principal"], row["source_account"], actions),
        }
        if row["source_account"]:
            item["SourceAccount"] = row["source_account"]
        permissions.append(item)
    out: dict[str, Any] = {"Permissions": permissions}
    if len(rows) > limit:
        out["NextToken"] = paging.encode(db, "ListPermissions", ca.arn, rows[limit - 1]["rowid"])
    return out


def delete_permission(engine, db: sqlite3.Connection, ctx: Context, req: dict[str, Any]) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"])
    require_status(ca, ctx.now, _ALLOWED, "DeletePermission")
    # A grant made without SourceAccount belongs to the CA owner's account; a SourceAccount in
    # the request must name the account of the grant, otherwise nothing is deleted.
    source_account = req.get("SourceAccount")
    cursor = db.execute(
        "DELETE FROM permissions WHERE ca_arn = ? AND principal = ? "
        "AND (? IS NULL OR (CASE source_account WHEN '' THEN ? ELSE source_account END) = ?)",
        (ca.arn, req["Principal"], source_account, ca.account, source_account),
    )
    if cursor.rowcount == 0:
        account = f" and source account {source_account}" if source_account else ""
        raise ResourceNotFoundException(
            f"There is no permission for principal {req['Principal']!r}{account} on {ca.arn}."
        )
    return {}
