"""Count quotas (CAs per Region, certificates and revocations per CA) and the hierarchy depth.

The quotas are sandbox settings (``Sandbox.configure``) with AWS's default values. Revocations
are counted in ``ca_counters``, one small row per CA bumped by RevokeCertificate; issued
certificates are bounded by the certificates table's highest rowid (see ``count_issued``).
"""

from __future__ import annotations

import sqlite3

from pcanb.sandbox.errors import (
    InvalidArgsException,
    InvalidRequestException,
    LimitExceededException,
)
from pcanb.sandbox.state import CaRecord, Context

#: The count quotas as settings, with AWS's defaults (Service Quotas, acm-pca).
DEFAULT_QUOTAS: dict[str, int] = {
    "max_certificate_authorities": 200,
    "max_certificates_per_ca": 1_000_000,
    # [inferred] AWS gives CAs with partitioned CRLs a separate, much higher lifetime quota
    # without a published default here; 100 million is the figure AWS announced with them.
    "max_certificates_per_ca_partitioned": 100_000_000,
    "max_revocations_per_ca": 1_000_000,
}
#: PCA hierarchies go at most five levels deep, the root being level 1 (documented).
MAX_HIERARCHY_DEPTH = 5

_BUMP_REVOKED = (
    "INSERT INTO ca_counters (ca_arn, revoked) VALUES (?, 1) "
    "ON CONFLICT (ca_arn) DO UPDATE SET revoked = revoked + 1 RETURNING revoked"
)


def _limit(ctx: Context, name: str) -> int:
    return int(ctx.settings.get(name, DEFAULT_QUOTAS[name]))


def _partitioned(ca: CaRecord) -> bool:
    return ca.doc["RevocationConfiguration"]["CrlConfiguration"].get("CrlType") == "PARTITIONED"


def check_certificate_authorities(db: sqlite3.Connection, ctx: Context) -> None:
    """LimitExceeded when the Region already holds its quota of CAs (restorable ones count)."""
    limit = _limit(ctx, "max_certificate_authorities")
    live = db.execute(
        "SELECT COUNT(*) FROM cas WHERE account = ? AND region = ? AND "
        "(json_extract(doc, '$.Status') != 'DELETED' OR json_extract(doc, '$.RestorableUntil') >= ?)",
        (ctx.account, ctx.region, ctx.now.timestamp()),
    ).fetchone()[0]
    if live >= limit:
        raise LimitExceededException(
            f"You have reached the quota of {limit} certificate authorities in this Region "
            "(quota 'Number of private CAs'; deleted CAs still in their restoration period count)."
        )


def count_issued(db: sqlite3.Connection, ctx: Context, ca: CaRecord) -> None:
    """LimitExceeded when ``ca`` has already issued its lifetime quota of certificates.

    Certificates are never deleted, so the highest rowid of the table bounds every CA's count:
    the exact count (a range of the CA's (ca_arn, serial) index) is taken only once the whole
    sandbox holds that many, and an issuance pays one index lookup, not a write.
    """
    partitioned = _partitioned(ca)
    name = "max_certificates_per_ca_partitioned" if partitioned else "max_certificates_per_ca"
    limit = _limit(ctx, name)
    (highest,) = db.execute("SELECT max(rowid) FROM certificates").fetchone()
    if (highest or 0) < limit:
        return
    (issued,) = db.execute(
        "SELECT COUNT(*) FROM certificates WHERE ca_arn = ?", (ca.arn,)
    ).fetchone()
    if issued >= limit:
        quota = "Private certificates per CA (lifetime" + (
            ", partitioned CRLs)" if partitioned else ")"
        )
        raise LimitExceededException(
            f"The certificate authority {ca.arn} has issued its quota of {limit} certificates "
            f"(quota '{quota}'); request a quota increase or issue from another CA."
        )


def count_revoked(db: sqlite3.Connection, ctx: Context, ca: CaRecord) -> None:
    """Count one more revocation for ``ca``; LimitExceeded past its quota.

    The quota applies to CAs with complete CRLs (or none); a CA with partitioned CRLs can
    revoke every certificate it may issue [inferred].
    """
    partitioned = _partitioned(ca)
    name = "max_certificates_per_ca_partitioned" if partitioned else "max_revocations_per_ca"
    limit = _limit(ctx, name)
    revoked = db.execute(_BUMP_REVOKED, (ca.arn,)).fetchall()[0][0]
    if revoked > limit:
        quota = (
            "Private certificates per CA (lifetime, partitioned CRLs)"
            if partitioned
            else "Revoked certificates per CA (complete CRLs)"
        )
        raise LimitExceededException(
            f"The certificate authority {ca.arn} has revoked its quota of {limit} certificates "
            f"(quota '{quota}')."
        )


def check_can_issue_ca(ca: CaRecord, template_name: str) -> None:
    """InvalidArgs when ``ca`` sits at the deepest level and would issue a CA certificate.

    [inferred] AWS documents the five-level limit, not where it is enforced: the sandbox
    refuses the IssueCertificate that would create a sixth level.
    """
    level = ca.level
    if level >= MAX_HIERARCHY_DEPTH:
        raise InvalidArgsException(
            f"The certificate authority {ca.arn} is at level {level} of its hierarchy (the root "
            f"is level 1); a CA hierarchy can be at most {MAX_HIERARCHY_DEPTH} levels deep, so "
            f"it cannot issue a CA certificate ({template_name})."
        )


def check_import_depth(chain_length: int) -> None:
    """InvalidRequest when a certificate plus its chain would sit below the fifth level.

    [inferred] The documented five-level limit, applied when a SUBORDINATE CA imports its
    certificate: the chain (issuer first, root last) puts the CA at level ``chain_length + 1``.
    """
    level = chain_length + 1
    if level > MAX_HIERARCHY_DEPTH:
        raise InvalidRequestException(
            f"The certificate chain has {chain_length} certificates, which would put this "
            f"certificate authority at level {level} of its hierarchy; a CA hierarchy can be at "
            f"most {MAX_HIERARCHY_DEPTH} levels deep (the root is level 1)."
        )
