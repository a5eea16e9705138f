"""CA lifecycle actions: create, describe, list, CSR, CA certificate, update, delete, restore."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization

from pcanb.sandbox import paging, quotas, revocation_config, signing
from pcanb.sandbox.errors import (
    InvalidArgsException,
    InvalidStateException,
    RequestFailedException,
    RequestInProgressException,
)
from pcanb.sandbox.general_names import check_subject
from pcanb.sandbox.state import CaRecord, Context, load_ca, require_status
from pcanb.sandbox.tagging import check_new_tags, insert_tags

IDEMPOTENCY_WINDOW = timedelta(minutes=5)
_CREATE_CA_FIELDS = (
    "CertificateAuthorityConfiguration", "CertificateAuthorityType", "RevocationConfiguration",
    "KeyStorageSecurityStandard", "UsageMode",
)  # fmt: skip


def check_create(req: dict[str, Any], region: str) -> dict[str, Any]:
    """Validate CreateCertificateAuthority arguments; return the normalised configuration."""
    config = req["CertificateAuthorityConfiguration"]
    key_algorithm, signing_algorithm = config["KeyAlgorithm"], config["SigningAlgorithm"]
    china = region.startswith("cn-")
    if key_algorithm == "SM2" or signing_algorithm == "SM3WITHSM2":
        if not china:
            raise InvalidArgsException(
                "SM2 keys and SM3WITHSM2 signatures are available only in the China Regions."
            )
        raise InvalidArgsException("SM2 is not emulated by the pcanb sandbox.")
    signing.check_family(key_algorithm, signing_algorithm)
    check_subject(config["Subject"])
    standard = req.get("KeyStorageSecurityStandard") or (
        "CCPC_LEVEL_1_OR_HIGHER" if china else "FIPS_140_2_LEVEL_3_OR_HIGHER"
    )
    if (standard == "CCPC_LEVEL_1_OR_HIGHER") != china:
        raise InvalidArgsException(
            "A certificate authority cannot be created in this region with the specified "
            "security standard."
        )
    return {
        "standard": standard,
        "revocation": revocation_config.normalise(req.get("RevocationConfiguration")),
    }


def create_certificate_authority(engine, db: sqlite3.Connection, ctx: Context, req: dict) -> dict:
    checked = check_create(req, ctx.region)
    token = req.get("IdempotencyToken")
    if token:
        since = (ctx.now - IDEMPOTENCY_WINDOW).timestamp()
        row = db.execute(
            "SELECT arn, doc FROM cas WHERE account = ? AND region = ? AND idempotency_token = ? "
            "AND created_at >= ? ORDER BY seq DESC LIMIT 1",
            (ctx.account, ctx.region, token, since),
        ).fetchone()
        if row and json.loads(row["doc"])["Status"] != "DELETED":
            return {"CertificateAuthorityArn": row["arn"]}
    quotas.check_certificate_authorities(db, ctx)
    config = req["CertificateAuthorityConfiguration"]
    key = ctx.prepared["key"]
    csr = signing.ca_csr(key, config)
    now = ctx.now.timestamp()
    arn = f"arn:{ctx.partition}:acm-pca:{ctx.region}:{ctx.account}:certificate-authority/{uuid.uuid4()}"
    doc = {
        "Type": req["CertificateAuthorityType"],
        "Status": "CREATING",
        "CreatedAt": now,
        "LastStateChangeAt": now,
        "ReadyAt": now + float(ctx.settings.get("creation_delay", 0)),
        "CertificateAuthorityConfiguration": config,
        "RevocationConfiguration": checked["revocation"],
        "KeyStorageSecurityStandard": checked["standard"],
        "UsageMode": req.get("UsageMode") or "GENERAL_PURPOSE",
        "CrlPartition": str(uuid.uuid4()),
    }
    if ctx.settings.get("creation_failure"):
        # Shown once CREATING ends: the CA is FAILED from then on (a sandbox setting).
        doc["FailureReason"] = ctx.settings["creation_failure"]
    engine.check_crl_bucket(ctx, arn, checked["revocation"])
    key_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    db.execute(
        "INSERT INTO cas (arn, account, region, doc, key_der, csr_pem, idempotency_token, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (arn, ctx.account, ctx.region, json.dumps(doc), key_der,
         csr.public_bytes(serialization.Encoding.PEM).decode(), token, now),
    )  # fmt: skip
    if req.get("Tags"):
        check_new_tags(req["Tags"], existing={})
        insert_tags(db, arn, req["Tags"])
    return {"CertificateAuthorityArn": arn}


def describe_certificate_authority(engine, db, ctx: Context, req: dict) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"], deleted_ok=True)
    return {"CertificateAuthority": ca.describe(ctx.now)}


def list_certificate_authorities(engine, db, ctx: Context, req: dict) -> dict:
    """Oldest first (AWS leaves the order unspecified), at most 100 per page."""
    scope = f"{ctx.partition}:{ctx.account}:{ctx.region}:{req.get('ResourceOwner') or 'SELF'}"
    after = paging.decode(db, "ListCertificateAuthorities", scope, req.get("NextToken"))
    limit = min(req.get("MaxResults") or 100, 100)
    if req.get("ResourceOwner") == "OTHER_ACCOUNTS":
        return {"CertificateAuthorities": []}
    items: list[dict] = []
    last = after
    rows = db.execute(
        "SELECT * FROM cas WHERE account = ? AND region = ? AND seq > ? ORDER BY seq",
        (ctx.account, ctx.region, after),
    )
    for row in rows:
        ca = CaRecord.from_row(row)
        if ca.is_gone(ctx.now):
            continue
        if len(items) == limit:
            return {
                "CertificateAuthorities": items,
                "NextToken": paging.encode(db, "ListCertificateAuthorities", scope, last),
            }
        items.append(ca.describe(ctx.now))
        last = ca.seq
    return {"CertificateAuthorities": items}


def get_certificate_authority_csr(engine, db, ctx: Context, req: dict) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"])
    status = ca.status(ctx.now)
    if status == "CREATING":
        raise RequestInProgressException(
            f"The CSR for {ca.arn} is not ready yet; the CA is still being created. "
            "Retry in a few seconds (the CertificateAuthorityCSRCreated waiter does)."
        )
    if status == "FAILED":
        raise RequestFailedException(f"The certificate authority {ca.arn} failed to be created.")
    return {"Csr": ca.csr_pem}


def get_certificate_authority_certificate(engine, db, ctx: Context, req: dict) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"])
    require_status(
        ca, ctx.now, ("ACTIVE", "DISABLED", "EXPIRED"), "GetCertificateAuthorityCertificate"
    )
    out = {"Certificate": ca.cert_pem}
    if ca.chain_pem:
        out["CertificateChain"] = ca.chain_pem
    return out


def update_certificate_authority(engine, db, ctx: Context, req: dict) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"])
    status = ca.status(ctx.now)
    if status not in ("ACTIVE", "DISABLED"):
        raise InvalidStateException(
            "The certificate authority must be in the ACTIVE or DISABLED state to be updated."
        )
    target = req.get("Status")
    if target is not None and target not in ("ACTIVE", "DISABLED"):
        raise InvalidArgsException(
            f"Status can be changed only to ACTIVE or DISABLED, not {target}."
        )
    if "RevocationConfiguration" in req:
        config = revocation_config.normalise(req["RevocationConfiguration"])
        engine.check_crl_bucket(ctx, ca.arn, config)
        ca.doc["RevocationConfiguration"] = config
    if target is not None and target != status:
        ca.set_status(target, ctx.now)
    ca.save(db)
    if "RevocationConfiguration" in req:
        engine.after_revocation_change(db, ctx, ca)
    return {}


def delete_certificate_authority(engine, db, ctx: Context, req: dict) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"], deleted_ok=True)
    status = ca.status(ctx.now)
    if status == "DELETED":
        raise InvalidStateException(f"The certificate authority {ca.arn} is already deleted.")
    if status == "ACTIVE":
        raise InvalidStateException(
            f"The certificate authority {ca.arn} is ACTIVE; disable it with "
            "UpdateCertificateAuthority Status=DISABLED before deleting it."
        )
    if status in ("CREATING", "FAILED"):
        _purge(db, ca.arn)
        return {}
    window = req.get("PermanentDeletionTimeInDays") or 30
    ca.doc["StatusBeforeDeletion"] = (
        "PENDING_CERTIFICATE" if status == "PENDING_CERTIFICATE" else "DISABLED"
    )
    ca.set_status("DELETED", ctx.now)
    ca.doc["RestorableUntil"] = (ctx.now + timedelta(days=window)).timestamp()
    ca.save(db)
    return {}


def restore_certificate_authority(engine, db, ctx: Context, req: dict) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"], deleted_ok=True)
    if ca.doc["Status"] != "DELETED":
        raise InvalidStateException(
            f"The certificate authority {ca.arn} is {ca.status(ctx.now)}, not DELETED; "
            "only a deleted CA can be restored."
        )
    ca.set_status(ca.doc.pop("StatusBeforeDeletion"), ctx.now)
    ca.doc.pop("RestorableUntil", None)
    ca.save(db)
    return {}


_CA_TABLES = ("certificates", "ca_counters", "tags", "permissions", "policies", "audit_reports")


def _purge(db, arn: str) -> None:
    for table in _CA_TABLES:
        db.execute(f"DELETE FROM {table} WHERE ca_arn = ?", (arn,))
    db.execute("DELETE FROM cas WHERE arn = ?", (arn,))
