"""Tags on certificate authorities: TagCertificateAuthority, UntagCertificateAuthority, ListTags."""

from __future__ import annotations

import sqlite3

from pcanb.sandbox import paging
from pcanb.sandbox.errors import InvalidTagException, TooManyTagsException
from pcanb.sandbox.state import Context, load_ca

MAX_TAGS = 50


def _check_not_reserved(key: str) -> None:
    if key.lower().startswith("aws:"):
        raise InvalidTagException(
            f"Tag key {key!r} is not valid: the 'aws:' prefix is reserved for AWS use."
        )


def check_new_tags(tags: list[dict], existing: dict[str, str | None]) -> None:
    """InvalidTag for reserved or repeated keys; TooManyTags when the merged set exceeds 50."""
    seen: set[str] = set()
    for tag in tags:
        key = tag["Key"]
        _check_not_reserved(key)
        if key in seen:
            raise InvalidTagException(f"Tag key {key!r} appears more than once in the request.")
        seen.add(key)
    merged = set(existing) | seen
    if len(merged) > MAX_TAGS:
        raise TooManyTagsException(
            f"A certificate authority can have at most {MAX_TAGS} tags; this request would "
            f"leave it with {len(merged)}."
        )


def _existing(db: sqlite3.Connection, arn: str) -> dict[str, str | None]:
    rows = db.execute("SELECT key, value FROM tags WHERE ca_arn = ? ORDER BY seq", (arn,))
    return {row["key"]: row["value"] for row in rows}


def insert_tags(db: sqlite3.Connection, arn: str, tags: list[dict]) -> None:
    """Add tags (an existing key gets the new value and keeps its place)."""
    row = db.execute("SELECT COALESCE(MAX(seq), 0) FROM tags WHERE ca_arn = ?", (arn,)).fetchone()
    seq = row[0]
    for tag in tags:
        seq += 1
        db.execute(
            "INSERT INTO tags (ca_arn, key, value, seq) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (ca_arn, key) DO UPDATE SET value = excluded.value",
            (arn, tag["Key"], tag.get("Value"), seq),
        )


# Tag and Untag on a DELETED CA answer InvalidStateException while ListTags still works
# (pca-behavior 1.3 rows 17, 21, 22) [inferred: AWS leaves tags on deleted CAs undocumented].


def tag_certificate_authority(engine, db, ctx: Context, req: dict) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"])
    check_new_tags(req["Tags"], _existing(db, ca.arn))
    insert_tags(db, ca.arn, req["Tags"])
    return {}


def untag_certificate_authority(engine, db, ctx: Context, req: dict) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"])
    existing = _existing(db, ca.arn)
    for tag in req["Tags"]:
        _check_not_reserved(tag["Key"])  # AWS tags cannot be removed [inferred]
    for tag in req["Tags"]:
        key = tag["Key"]
        if key not in existing:
            continue
        if tag.get("Value") is None or tag["Value"] == existing[key]:
            db.execute("DELETE FROM tags WHERE ca_arn = ? AND key = ?", (ca.arn, key))
    return {}


def list_tags(engine, db, ctx: Context, req: dict) -> dict:
    ca = load_ca(db, ctx, req["CertificateAuthorityArn"], deleted_ok=True)
    after = paging.decode(db, "ListTags", ca.arn, req.get("NextToken"))
    limit = req.get("MaxResults") or 1000
    rows = db.execute(
        "SELECT key, value, seq FROM tags WHERE ca_arn = ? AND seq > ? ORDER BY seq LIMIT ?",
        (ca.arn, after, limit + 1),
    ).fetchall()
    tags = [
        {"Key": r["key"], **({"Value": r["value"]} if r["value"] is not None else {})}
        for r in rows[:limit]
    ]
    out: dict = {"Tags": tags}
    if len(rows) > limit:
        out["NextToken"] = paging.encode(db, "ListTags", ca.arn, rows[limit - 1]["seq"])
    return out
