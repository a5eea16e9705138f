"""Records the engine works on: certificate authorities as stored, their derived status, lookups."""

from __future__ import annotations

import json
import marshal
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pcanb.sandbox.errors import (
    InvalidArnException,
    InvalidStateException,
    ResourceNotFoundException,
)

_CA_ARN = re.compile(
    r"^arn:(aws[a-z-]*):acm-pca:([a-z0-9-]+):(\d{12}):certificate-authority/"
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
_CERT_ARN = re.compile(_CA_ARN.pattern[:-1] + r"/certificate/([0-9a-f]{1,64})$")

# Private keys this process has loaded, by CA ARN; keys never change once a CA exists.
_KEY_CACHE: dict[str, Any] = {}
# Parsed CA certificates by CA ARN, with the PEM they were parsed from (a CA's certificate can
# change: import, renewal).
_CERT_CACHE: dict[str, tuple[str, x509.Certificate]] = {}
# Parsed CA documents by CA ARN: the stored JSON text and the parsed document, marshalled
# (``marshal.loads`` gives every caller its own copy, a third of the cost of ``json.loads``).
# Keyed by the text itself, so a row another process (or action) changed is parsed afresh.
_DOC_CACHE: dict[str, tuple[str, bytes]] = {}


def parse_doc(arn: str, raw: str) -> dict[str, Any]:
    """The CA document stored as ``raw`` (a fresh dict the caller may change)."""
    cached = _DOC_CACHE.get(arn)
    if cached is not None and cached[0] == raw:
        return marshal.loads(cached[1])
    doc = json.loads(raw)
    try:
        _DOC_CACHE[arn] = (raw, marshal.dumps(doc))
    except ValueError:  # not marshallable (cannot happen for JSON): parse every time
        _DOC_CACHE.pop(arn, None)
    return doc


@dataclass
class Context:
    """Who calls, where, and when (sandbox time), for one action."""

    account: str
    region: str
    partition: str
    now: datetime
    access_key: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    prepared: dict[str, Any] = field(default_factory=dict)
    #: Set by an action that made work due now (a CRL): the engine runs it once committed.
    due_after_commit: bool = False


def ts(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def check_ca_arn(arn: str) -> tuple[str, str, str, str]:
    """(partition, region, account, ca_id) of a CA ARN; ``InvalidArnException`` otherwise."""
    match = _CA_ARN.match(arn)
    if not match:
        raise InvalidArnException(
            f"The certificate authority ARN {arn!r} is not valid. Expected "
            "arn:aws:acm-pca:<region>:<account>:certificate-authority/<uuid>."
        )
    return match.group(1), match.group(2), match.group(3), match.group(4)


def check_certificate_arn(arn: str) -> tuple[str, str]:
    """(CA ARN, serial hex) of a certificate ARN; ``InvalidArnException`` otherwise."""
    match = _CERT_ARN.match(arn)
    if not match:
        raise InvalidArnException(
            f"The certificate ARN {arn!r} is not valid. Expected "
            "<certificate authority ARN>/certificate/<serial in hex>."
        )
    return arn.split("/certificate/")[0], match.group(5)


@dataclass
class CaRecord:
    """One certificate authority as stored; ``doc`` holds the AWS-shaped fields."""

    seq: int
    arn: str
    account: str
    region: str
    doc: dict[str, Any]
    key_der: bytes
    csr_pem: str
    cert_pem: str | None
    chain_pem: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> CaRecord:
        arn = row["arn"]
        return cls(
            row["seq"], arn, row["account"], row["region"], parse_doc(arn, row["doc"]),
            row["key_der"], row["csr_pem"], row["cert_pem"], row["chain_pem"],
        )  # fmt: skip

    @property
    def ca_id(self) -> str:
        return self.arn.rsplit("/", 1)[1]

    @property
    def type(self) -> str:
        return self.doc["Type"]

    @cached_property
    def private_key(self) -> Any:
        key = _KEY_CACHE.get(self.arn)
        if key is None:
            # The sandbox generated this key itself, so re-validating it (35 ms for RSA) is waste.
            key = serialization.load_der_private_key(
                self.key_der, None, unsafe_skip_rsa_key_validation=True
            )
            _KEY_CACHE[self.arn] = key
        return key

    @cached_property
    def certificate(self) -> x509.Certificate | None:
        if not self.cert_pem:
            return None
        # One parsed object per CA certificate (its extensions are parsed once, too).
        cached = _CERT_CACHE.get(self.arn)
        if cached is None or cached[0] != self.cert_pem:
            cached = (self.cert_pem, x509.load_pem_x509_certificate(self.cert_pem.encode()))
            _CERT_CACHE[self.arn] = cached
        return cached[1]

    @property
    def level(self) -> int:
        """The CA's level in its hierarchy: 1 for a root, else 1 + the certificates of its chain."""
        if self.type == "ROOT" or not self.chain_pem:
            return 1
        return 1 + self.chain_pem.count("-----BEGIN CERTIFICATE-----")

    def status(self, now: datetime) -> str:
        """The status AWS would report now (CREATING ends, EXPIRED begins, with time).

        CREATING ends in PENDING_CERTIFICATE, or in FAILED when the sandbox was configured to
        fail creations (``FailureReason`` is then set from the start).
        """
        status = self.doc["Status"]
        if status == "CREATING" and now.timestamp() >= self.doc["ReadyAt"]:
            status = "FAILED" if self.doc.get("FailureReason") else "PENDING_CERTIFICATE"
        if status in ("ACTIVE", "DISABLED") and now.timestamp() >= self.doc.get("NotAfter", 1e300):
            status = "EXPIRED"
        return status

    def is_gone(self, now: datetime) -> bool:
        """True once a deleted CA's restoration window has closed."""
        until = self.doc.get("RestorableUntil")
        return self.doc["Status"] == "DELETED" and (until is None or now.timestamp() > until)

    def last_state_change(self, now: datetime) -> float:
        stored = self.doc["LastStateChangeAt"]
        status = self.status(now)
        if status == "EXPIRED":
            return max(stored, self.doc["NotAfter"])
        if self.doc["Status"] == "CREATING" and status != "CREATING":
            return self.doc["ReadyAt"]
        return stored

    def set_status(self, status: str, now: datetime) -> None:
        self.doc["Status"] = status
        self.doc["LastStateChangeAt"] = now.timestamp()

    def describe(self, now: datetime) -> dict[str, Any]:
        """The CertificateAuthority structure of Describe/List."""
        d = self.doc
        status = self.status(now)
        out: dict[str, Any] = {
            "Arn": self.arn,
            "OwnerAccount": self.account,
            "CreatedAt": ts(d["CreatedAt"]),
            "LastStateChangeAt": ts(self.last_state_change(now)),
            "Type": d["Type"],
        }
        if d.get("Serial"):
            out["Serial"] = d["Serial"]
        out["Status"] = status
        if d.get("NotBefore") is not None:
            out["NotBefore"] = ts(d["NotBefore"])
            out["NotAfter"] = ts(d["NotAfter"])
        if status == "FAILED":
            out["FailureReason"] = d["FailureReason"]
        out["CertificateAuthorityConfiguration"] = d["CertificateAuthorityConfiguration"]
        out["RevocationConfiguration"] = d["RevocationConfiguration"]
        if status == "DELETED" and d.get("RestorableUntil") is not None:
            out["RestorableUntil"] = ts(d["RestorableUntil"])
        out["KeyStorageSecurityStandard"] = d["KeyStorageSecurityStandard"]
        out["UsageMode"] = d["UsageMode"]
        return out

    def save(self, db: sqlite3.Connection) -> None:
        db.execute(
            "UPDATE cas SET doc = ?, cert_pem = ?, chain_pem = ? WHERE arn = ?",
            (json.dumps(self.doc), self.cert_pem, self.chain_pem, self.arn),
        )


def load_ca(
    db: sqlite3.Connection, ctx: Context, arn: str, *, deleted_ok: bool = False
) -> CaRecord:
    """The CA at ``arn`` as the caller sees it; InvalidArn / ResourceNotFound / InvalidState."""
    check_ca_arn(arn)
    row = db.execute("SELECT * FROM cas WHERE arn = ?", (arn,)).fetchone()
    if row is None or row["account"] != ctx.account or row["region"] != ctx.region:
        raise ResourceNotFoundException(f"Could not find certificate authority {arn}.")
    ca = CaRecord.from_row(row)
    if ca.is_gone(ctx.now):
        raise ResourceNotFoundException(f"Could not find certificate authority {arn}.")
    if not deleted_ok and ca.doc["Status"] == "DELETED":
        raise InvalidStateException(
            f"The certificate authority {arn} is in the DELETED state; restore it with "
            "RestoreCertificateAuthority first."
        )
    return ca


def require_status(ca: CaRecord, now: datetime, allowed: tuple[str, ...], action: str) -> str:
    """The CA's status, or ``InvalidStateException`` when ``action`` is not allowed in it."""
    status = ca.status(now)
    if status not in allowed:
        raise InvalidStateException(
            f"The certificate authority {ca.arn} is in the {status} state; {action} requires "
            f"{' or '.join(allowed)}."
        )
    return status


def days(n: float) -> timedelta:
    return timedelta(days=n)
