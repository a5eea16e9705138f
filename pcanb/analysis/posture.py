"""Posture rules: what in a Private CA estate deserves attention, as one finding per row.

:func:`assess` is pure: it takes frames the wrappers return and gives a
``tables.FINDING_COLUMNS`` frame, most serious first. ``pca.findings()`` gathers the inputs.

- ``cas``: ``pca.list_certificate_authorities()`` (``tables.CA_COLUMNS``), the only one needed;
- ``hierarchy``: ``pca.hierarchy()`` (parents, depth, path length);
- ``permissions``: ListPermissions rows of every CA (``tables.PERMISSION_COLUMNS``);
- ``policies``: GetPolicy text of the CAs that have one (``tables.RESOURCE_POLICY_COLUMNS``);
- ``buckets``: Block Public Access of the CRL buckets (``tables.BUCKET_ACCESS_COLUMNS``);
- ``certificates``: the issued-certificate inventory (``pca.certificates(decode=True)``), with
  ``covered`` the CAs whose audit report it holds and ``skipped`` those it could not read.

Every rule is a small function registered under a stable ``check`` id (:data:`RULES`). A rule
fires only on data it has: without an input, the rules that need it stay silent. Its docstring
says which AWS behaviour it rests on; each finding's ``detail`` says what was seen.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from pcanb import tables
from pcanb.analysis.cost import PRICES
from pcanb.analysis.expiry import as_utc, is_ca_certificate

#: Days before a CA's notAfter that make the expiry findings HIGH and MEDIUM.
EXPIRY_HIGH_DAYS = 30
EXPIRY_MEDIUM_DAYS = 90
#: A subordinate ending within this many days of an issuer's notAfter "nearly outlives" it.
NEAR_PARENT_DAYS = 30
#: A CA left PENDING_CERTIFICATE this long is reported as idle.
PENDING_IDLE_DAYS = 7
#: CRL validity (ExpirationInDays) above this, on a CA issuing end-entity certificates, is long.
CRL_LONG_DAYS = 30
#: Depth (0 = root) from which a CA is "deep": a fourth level and below.
DEEP_DEPTH = 3
#: Longest validity a SHORT_LIVED_CERTIFICATE CA may issue, in days (measured from issuance).
SHORT_LIVED_MAX_DAYS = 7
#: Monthly price of a SHORT_LIVED_CERTIFICATE CA, from the one price table.
SHORT_LIVED_MONTHLY_USD = PRICES.short_lived_ca.usd
#: NIST SP 800-57 Part 1 Rev. 5: 112-bit security (RSA-2048) is acceptable through 2030.
RSA_2048_UNTIL = pd.Timestamp("2031-01-01", tz="UTC")
#: The hash each curve needs to keep its security strength (RFC 5480 section 4).
CURVE_HASH_BITS = {"EC_prime256v1": 256, "EC_secp384r1": 384, "EC_secp521r1": 512}
#: pkilint's id for keyEncipherment on an EC certificate.
PKILINT_EC_KEY_ENCIPHERMENT = "pkix.key_usage_value_prohibited_for_ec"
#: pkilint's id for keyEncipherment on an ML-DSA certificate.
PKILINT_MLDSA_KEY_ENCIPHERMENT = "pkix.key_usage_value_prohibited_for_mldsa"
#: Key types that cannot encipher keys: KeyAlgorithm prefix → (name, the RFC that says so,
#: its address, pkilint's id).
SIGNATURE_ONLY_KEYS = {
    "EC_": ("EC", "RFC 5480", "https://www.rfc-editor.org/rfc/rfc5480#section-3",
            PKILINT_EC_KEY_ENCIPHERMENT),
    "ML_DSA_": ("ML-DSA", "RFC 9881", "https://www.rfc-editor.org/rfc/rfc9881#section-5",
                PKILINT_MLDSA_KEY_ENCIPHERMENT),
}  # fmt: skip

_USER_GUIDE = "https://docs.aws.amazon.com/privateca/latest/userguide/"
_API = "https://docs.aws.amazon.com/privateca/latest/APIReference/"
_PRICING = "https://aws.amazon.com/private-ca/pricing/"
_INSTALLED = ("ACTIVE", "DISABLED")
_ACM = "acm.amazonaws.com"


@dataclass(frozen=True)
class Inputs:
    """The frames the rules read (``None``: not gathered) and the time they are judged at."""

    cas: pd.DataFrame
    now: pd.Timestamp
    hierarchy: pd.DataFrame | None = None
    permissions: pd.DataFrame | None = None
    policies: pd.DataFrame | None = None
    buckets: pd.DataFrame | None = None
    certificates: pd.DataFrame | None = None
    covered: frozenset[str] = frozenset()
    skipped: Mapping[str, str] = field(default_factory=dict)


Finding = dict[str, Any]
Rule = Callable[[Inputs], Iterator[Finding]]
#: Every rule by its ``check`` id, in the order they run.
RULES: dict[str, Rule] = {}


def _rule(check: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        RULES[check] = function
        return function

    return register


def _finding(
    ca: Mapping[str, Any],
    severity: str,
    title: str,
    detail: str,
    remediation: str,
    reference: str,
) -> Finding:
    return {
        "arn": ca.get("arn"),
        "ca_id": ca.get("ca_id"),
        "common_name": ca.get("common_name"),
        "severity": severity,
        "title": title,
        "detail": detail,
        "remediation": remediation,
        "reference": reference,
    }


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Rows as dicts with every missing value (NaN, NaT, <NA>) as ``None``."""
    if frame is None or frame.empty:
        return []
    return [
        {k: (None if _missing(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def _missing(value: Any) -> bool:
    return not isinstance(value, list | tuple | dict | set) and bool(pd.isna(value))


def _date(when: Any) -> str:
    return pd.Timestamp(when).strftime("%Y-%m-%d")


def _usd(amount: Any) -> str:
    return f"${float(amount):,.0f}"


def _name(ca: Mapping[str, Any]) -> str:
    return str(ca.get("common_name") or ca.get("ca_id") or ca.get("arn"))


def _days_left(ca: Mapping[str, Any], now: pd.Timestamp) -> float | None:
    if ca.get("not_after") is None:
        return None
    return (pd.Timestamp(ca["not_after"]) - now).total_seconds() / 86400


# -- CA lifecycle and cost -----------------------------------------------------------------------


@_rule("ca.expired")
def ca_expired(inputs: Inputs) -> Iterator[Finding]:
    """The CA certificate's notAfter has passed (Describe reports EXPIRED, a derived status).

    An EXPIRED CA cannot issue, revoke or publish CRLs, every certificate chaining to it fails
    validation, and it is still billed; a new certificate for the same key brings it back.
    """
    for ca in _records(inputs.cas):
        days = _days_left(ca, inputs.now)
        lapsed = ca["status"] in _INSTALLED and days is not None and days < 0
        if ca["status"] != "EXPIRED" and not lapsed:
            continue
        when = f" on {_date(ca['not_after'])}" if ca.get("not_after") else ""
        yield _finding(
            ca, "HIGH", "CA certificate expired",
            f"{_name(ca)} expired{when}. It can no longer issue or revoke, nor publish CRLs, "
            "and certificates chaining to it fail validation"
            + (f"; it is still billed {_usd(ca['monthly_cost_usd'])}/month."
               if ca.get("monthly_cost_usd") else "."),
            "Issue a new CA certificate for the same key (GetCertificateAuthorityCsr, sign, "
            "ImportCertificateAuthorityCertificate), or delete the CA if it is retired.",
            _USER_GUIDE + "PCAUpdateCA.html",
        )  # fmt: skip


@_rule("ca.expires_within_30_days")
def ca_expires_30(inputs: Inputs) -> Iterator[Finding]:
    """ACTIVE or DISABLED CA whose certificate ends within 30 days (then it turns EXPIRED)."""
    yield from _expiring(inputs, 0, EXPIRY_HIGH_DAYS, "HIGH")


@_rule("ca.expires_within_90_days")
def ca_expires_90(inputs: Inputs) -> Iterator[Finding]:
    """ACTIVE or DISABLED CA whose certificate ends in 30 to 90 days."""
    yield from _expiring(inputs, EXPIRY_HIGH_DAYS, EXPIRY_MEDIUM_DAYS, "MEDIUM")


def _expiring(inputs: Inputs, low: float, high: float, severity: str) -> Iterator[Finding]:
    for ca in _records(inputs.cas):
        days = _days_left(ca, inputs.now)
        if ca["status"] not in _INSTALLED or days is None or not low <= days < high:
            continue
        yield _finding(
            ca, severity, f"CA certificate expires within {high:g} days",
            f"{_name(ca)} ({ca['type']}) expires on {_date(ca['not_after'])}, in {days:.0f} days. "
            "AWS issues no certificate ending after its CA's notAfter, so new certificates are "
            "already cut short, and everything below it breaks when it expires.",
            "Renew the CA certificate with the same key (re-import) or roll out a new CA now.",
            _USER_GUIDE + "ca-lifecycle.html",
        )  # fmt: skip


@_rule("ca.disabled_billed")
def ca_disabled_billed(inputs: Inputs) -> Iterator[Finding]:
    """DISABLED CAs are billed like ACTIVE ones (only DELETED and FAILED are not)."""
    for ca in _records(inputs.cas):
        if ca["status"] != "DISABLED" or not ca.get("monthly_cost_usd"):
            continue
        yield _finding(
            ca, "LOW", "Disabled CA still billed",
            f"{_name(ca)} is DISABLED and still costs {_usd(ca['monthly_cost_usd'])}/month. "
            "A disabled CA cannot issue; it can still revoke and publish CRLs and OCSP, which "
            "may be why it is kept.",
            "If nothing still needs its revocation service, delete it (restorable for 7-30 "
            "days); otherwise keep it until its last certificate expires.",
            _PRICING,
        )  # fmt: skip


@_rule("ca.pending_idle")
def ca_pending_idle(inputs: Inputs) -> Iterator[Finding]:
    """PENDING_CERTIFICATE CAs are billed but cannot issue until a CA certificate is imported."""
    for ca in _records(inputs.cas):
        if ca["status"] != "PENDING_CERTIFICATE" or ca.get("created_at") is None:
            continue
        age = (inputs.now - pd.Timestamp(ca["created_at"])).total_seconds() / 86400
        if age < PENDING_IDLE_DAYS:
            continue
        cost = ca.get("monthly_cost_usd")
        yield _finding(
            ca, "LOW", "CA never activated",
            f"{_name(ca)} has waited for its CA certificate for {age:.0f} days (created "
            f"{_date(ca['created_at'])})"
            + (f", billed {_usd(cost)}/month meanwhile." if cost else ".")
            + " An externally signed subordinate may legitimately wait for its signer.",
            "Import its certificate (GetCertificateAuthorityCsr, sign, import) or delete it.",
            _PRICING,
        )  # fmt: skip


@_rule("ca.deleted_restorable")
def ca_deleted_restorable(inputs: Inputs) -> Iterator[Finding]:
    """A DELETED CA stays restorable until RestorableUntil; restored, it is billed for the gap."""
    for ca in _records(inputs.cas):
        until = ca.get("restorable_until")
        if ca["status"] != "DELETED" or until is None or pd.Timestamp(until) <= inputs.now:
            continue
        yield _finding(
            ca, "INFO", "Deleted CA still restorable",
            f"{_name(ca)} was deleted and can be restored until {_date(until)}; it counts "
            "toward the CA quota until then, and a restore is billed for the deleted interval.",
            "Nothing to do if the deletion was intended; RestoreCertificateAuthority brings it "
            "back DISABLED (or PENDING_CERTIFICATE).",
            _API + "API_RestoreCertificateAuthority.html",
        )  # fmt: skip


@_rule("ca.failed")
def ca_failed(inputs: Inputs) -> Iterator[Finding]:
    """A FAILED CA cannot be recovered; AWS says delete it (it is not billed)."""
    for ca in _records(inputs.cas):
        if ca["status"] != "FAILED":
            continue
        reason = ca.get("failure_reason") or "not given"
        yield _finding(
            ca, "INFO", "Failed CA to delete",
            f"{_name(ca)} failed during creation (FailureReason {reason}) and cannot be used "
            "or recovered.",
            "Delete it (a FAILED CA is removed at once) and create a new one.",
            _API + "API_DeleteCertificateAuthority.html",
        )  # fmt: skip


# -- hierarchy -----------------------------------------------------------------------------------


def _tree(inputs: Inputs) -> dict[str, dict[str, Any]]:
    return {str(row["ca_id"]): row for row in _records(inputs.hierarchy)}


def _ancestors(node: Mapping[str, Any], tree: Mapping[str, dict[str, Any]]) -> list[dict]:
    found: list[dict] = []
    parent = node.get("parent_ca_id")
    while parent is not None and parent in tree and len(found) < 16:
        found.append(tree[parent])
        parent = tree[parent].get("parent_ca_id")
    return found


@_rule("hierarchy.outlives_parent")
def hierarchy_outlives_parent(inputs: Inputs) -> Iterator[Finding]:
    """A CA certificate ending after its issuer's: the chain breaks at the issuer's notAfter.

    AWS refuses to issue a CA certificate outliving its parent, so this comes from renewing a
    parent with a shorter validity, or from an external parent.
    """
    tree = _tree(inputs)
    for node in tree.values():
        parent = tree.get(str(node.get("parent_ca_id")))
        if node.get("arn") is None or parent is None or not node.get("outlives_parent"):
            continue
        yield _finding(
            node, "HIGH", "Subordinate CA outlives its parent",
            f"{_name(node)} is valid until {_date(node['not_after'])}, but its issuer "
            f"{_name(parent)} ends on {_date(parent['not_after'])}: from then on nothing "
            "issued below it validates.",
            "Renew the parent for longer than the subordinate (or re-issue the subordinate "
            "shorter) before the parent expires.",
            _USER_GUIDE + "ca-lifecycle.html",
        )  # fmt: skip


@_rule("hierarchy.nearly_outlives_parent")
def hierarchy_nearly_outlives_parent(inputs: Inputs) -> Iterator[Finding]:
    """A CA ending within 30 days before its issuer: both must be renewed at the same time."""
    tree = _tree(inputs)
    for node in tree.values():
        parent = tree.get(str(node.get("parent_ca_id")))
        if node.get("arn") is None or parent is None or node.get("outlives_parent") is not False:
            continue
        if node.get("not_after") is None or parent.get("not_after") is None:
            continue
        gap = (pd.Timestamp(parent["not_after"]) - pd.Timestamp(node["not_after"])).days
        if gap > NEAR_PARENT_DAYS:
            continue
        yield _finding(
            node, "LOW", "Subordinate CA ends with its parent",
            f"{_name(node)} ends {gap} days before its issuer {_name(parent)} "
            f"({_date(node['not_after'])} vs {_date(parent['not_after'])}): the subordinate "
            "cannot be renewed past that date without renewing the parent first.",
            "Plan the parent's renewal well ahead of the subordinate's; give subordinates a "
            "clearly shorter validity than their issuer.",
            _USER_GUIDE + "ca-lifecycle.html",
        )  # fmt: skip


@_rule("hierarchy.root_shorter_than_descendants")
def hierarchy_root_shorter(inputs: Inputs) -> Iterator[Finding]:
    """A root ending before CAs two or more levels below it (its children: outlives_parent)."""
    tree = _tree(inputs)
    for root in tree.values():
        if root.get("depth") != 0 or root.get("arn") is None or root.get("not_after") is None:
            continue
        end = pd.Timestamp(root["not_after"])
        longer = [
            node for node in tree.values()
            if (node.get("depth") or 0) >= 2 and node.get("not_after") is not None
            and pd.Timestamp(node["not_after"]) > end
            and any(a["ca_id"] == root["ca_id"] for a in _ancestors(node, tree))
        ]  # fmt: skip
        if not longer:
            continue
        names = ", ".join(sorted(_name(n) for n in longer))
        yield _finding(
            root, "HIGH", "Root CA shorter than CAs below it",
            f"{_name(root)} ends on {_date(end)}, before {len(longer)} CA(s) further down its "
            f"tree ({names}): their certificates stop validating when the root expires.",
            "Renew the root for longer than every CA below it, before it expires.",
            _USER_GUIDE + "ca-hierarchy.html",
        )  # fmt: skip


@_rule("hierarchy.path_length_unconstrained")
def hierarchy_path_length_unconstrained(inputs: Inputs) -> Iterator[Finding]:
    """A subordinate CA certificate without pathLenConstraint can sign CAs to any depth.

    AWS's subordinate templates always set pathLen, so this comes from an external signer.
    """
    for node in _tree(inputs).values():
        if node.get("arn") is None or node.get("type") != "SUBORDINATE":
            continue
        if node.get("fingerprint_sha256") is None or node.get("path_length") is not None:
            continue
        yield _finding(
            node, "LOW", "Subordinate CA without a path length",
            f"The certificate of {_name(node)} has no pathLenConstraint (RFC 5280 4.2.1.9): "
            "if its key were misused it could create CAs at any depth below it.",
            "Have its issuer sign a new certificate with a pathLen (0 for an issuing CA).",
            "https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.9",
        )  # fmt: skip


@_rule("hierarchy.path_length_unused")
def hierarchy_path_length_unused(inputs: Inputs) -> Iterator[Finding]:
    """A subordinate with pathLen ≥ 1 and no CA below it: it may sign CAs it never needed."""
    for node in _tree(inputs).values():
        if node.get("arn") is None or node.get("type") != "SUBORDINATE":
            continue
        if (node.get("path_length") or 0) < 1 or node.get("children"):
            continue
        yield _finding(
            node, "INFO", "Path length allows unused CA levels",
            f"{_name(node)} may sign CAs {node['path_length']} level(s) deep but has no "
            "subordinate CA.",
            "When it is renewed, use SubordinateCACertificate_PathLen0 so it can issue only "
            "end-entity certificates.",
            _USER_GUIDE + "UsingTemplates.html",
        )  # fmt: skip


@_rule("hierarchy.deep")
def hierarchy_deep(inputs: Inputs) -> Iterator[Finding]:
    """A CA four or more levels down (AWS allows five): each level adds a CA and a chain link."""
    for node in _tree(inputs).values():
        if node.get("arn") is None or (node.get("depth") or 0) < DEEP_DEPTH:
            continue
        yield _finding(
            node, "INFO", "Deep CA hierarchy",
            f"{_name(node)} sits at level {node['depth'] + 1} (the root is level 1). Every "
            "level lengthens each chain clients verify and is one more CA to pay for and renew.",
            "Check that each level serves a purpose (AWS allows at most five).",
            _USER_GUIDE + "ca-hierarchy.html",
        )  # fmt: skip


# -- revocation ----------------------------------------------------------------------------------


def _end_entity_issuers(inputs: Inputs) -> dict[str, str]:
    """Which CAs issue end-entity certificates, with how that is known (by CA ARN).

    From the inventory for the CAs it covers (any certificate not issued with a CA template);
    otherwise assumed for an ACTIVE or DISABLED CA with no subordinate CA in the hierarchy.
    """
    issuers: dict[str, str] = {}
    if inputs.certificates is not None and not inputs.certificates.empty:
        leaves = inputs.certificates[~is_ca_certificate(inputs.certificates)]
        for arn, count in leaves.groupby("ca_arn", observed=True).size().items():
            issuers[str(arn)] = f"its audit report lists {count} end-entity certificate(s)"
    for node in _records(inputs.hierarchy):
        arn = node.get("arn")
        if arn is None or arn in inputs.covered or arn in issuers:
            continue
        if node.get("status") in _INSTALLED and not node.get("children"):
            issuers[arn] = (
                "it has no subordinate CA, so it presumably issues end-entity certificates"
            )
    return issuers


@_rule("revocation.none")
def revocation_none(inputs: Inputs) -> Iterator[Finding]:
    """Neither CRL nor OCSP: a revoked certificate stays trusted until it expires.

    Without a RevocationConfiguration, issued certificates carry no CDP and no AIA (OCSP).
    MEDIUM for CAs issuing end-entity certificates, LOW for CAs signing only CAs.
    """
    issuers = _end_entity_issuers(inputs)
    tree = _tree(inputs)
    for ca in _records(inputs.cas):
        if ca["status"] not in _INSTALLED or ca.get("crl_enabled") or ca.get("ocsp_enabled"):
            continue
        if ca["arn"] in issuers:
            severity, basis = "MEDIUM", issuers[ca["arn"]]
        elif (tree.get(str(ca["ca_id"])) or {}).get("children"):
            severity, basis = "LOW", "it signs subordinate CAs"
        else:
            continue
        yield _finding(
            ca, severity, "No revocation checking",
            f"{_name(ca)} has neither a CRL nor OCSP ({basis}): certificates it issues carry "
            "no CDP or OCSP URL, so revoking one changes nothing for relying parties.",
            "Enable a CRL (BUCKET_OWNER_FULL_CONTROL, behind CloudFront) and/or OCSP with "
            "UpdateCertificateAuthority; only certificates issued afterwards carry the URLs.",
            _USER_GUIDE + "revocation-setup.html",
        )  # fmt: skip


def _public_read(ca: Mapping[str, Any]) -> bool:
    # S3ObjectAcl defaults to PUBLIC_READ when a CRL is configured without it.
    return bool(ca.get("crl_enabled")) and (ca.get("crl_s3_object_acl") or "PUBLIC_READ") == (
        "PUBLIC_READ"
    )


def _bucket_blocks_public_acls(inputs: Inputs, bucket: str | None) -> bool | None:
    if bucket is None:
        return None
    name = bucket.split("/", 1)[0]
    for row in _records(inputs.buckets):
        if row["bucket"] == name:
            return row.get("block_public_acls")
    return None


@_rule("revocation.crl_public_read")
def revocation_crl_public_read(inputs: Inputs) -> Iterator[Finding]:
    """CRLs written with the PUBLIC_READ ACL (the default): the bucket must allow public ACLs.

    AWS recommends BUCKET_OWNER_FULL_CONTROL with Block Public Access on, serving the CRL
    through CloudFront (CustomCname). The bucket-blocks case is ``crl_public_read_blocked``.
    """
    for ca in _records(inputs.cas):
        if not _public_read(ca) or _bucket_blocks_public_acls(inputs, ca.get("crl_bucket")):
            continue
        yield _finding(
            ca, "MEDIUM", "CRL bucket allows public ACLs",
            f"{_name(ca)} writes its CRL to s3://{ca['crl_bucket']} with the PUBLIC_READ "
            "ACL, which works only while the bucket's Block Public Access and object ownership "
            "allow public ACLs: the bucket is open to public objects, and turning Block Public "
            "Access on later makes CRL updates fail.",
            "Switch S3ObjectAcl to BUCKET_OWNER_FULL_CONTROL, turn Block Public Access on, and "
            "publish the CRL through CloudFront (CrlConfiguration.CustomCname).",
            _USER_GUIDE + "crl-planning.html",
        )  # fmt: skip


@_rule("revocation.crl_public_read_blocked")
def revocation_crl_public_read_blocked(inputs: Inputs) -> Iterator[Finding]:
    """PUBLIC_READ CRLs on a bucket that now blocks public ACLs: S3 refuses the CRL writes."""
    for ca in _records(inputs.cas):
        if not _public_read(ca) or not _bucket_blocks_public_acls(inputs, ca.get("crl_bucket")):
            continue
        yield _finding(
            ca, "HIGH", "CRL cannot be published",
            f"{_name(ca)} writes its CRL to s3://{ca['crl_bucket']} with the PUBLIC_READ "
            "ACL, but the bucket blocks public ACLs (BlockPublicAcls): S3 refuses the write, "
            "so the CRL goes stale and revocations are not published.",
            "Update the CA's CrlConfiguration to S3ObjectAcl BUCKET_OWNER_FULL_CONTROL.",
            _USER_GUIDE + "crl-planning.html",
        )  # fmt: skip


@_rule("revocation.crl_long_expiration")
def revocation_crl_long_expiration(inputs: Inputs) -> Iterator[Finding]:
    """A CRL valid for long: clients cache it until nextUpdate (generation + ExpirationInDays).

    PCA republishes about 30 minutes after a revocation, but a client holding the previous CRL
    sees the revocation only at its nextUpdate. Checked on CAs issuing end-entity certificates:
    LOW above 30 days, MEDIUM when it reaches the median validity of what the CA issued.
    """
    issuers = _end_entity_issuers(inputs)
    validity = _median_leaf_days(inputs)
    for ca in _records(inputs.cas):
        days = ca.get("crl_expiration_days")
        if not ca.get("crl_enabled") or days is None or ca["arn"] not in issuers:
            continue
        typical = validity.get(ca["arn"])
        if typical is not None and days >= typical:
            severity = "MEDIUM"
            why = (
                f"at least the median validity of the end-entity certificates it issued "
                f"({typical:.0f} days): a revocation may never reach a client before the "
                "certificate expires anyway"
            )
        elif days > CRL_LONG_DAYS:
            severity, why = "LOW", f"a client may trust a revoked certificate for up to {days} days"
        else:
            continue
        yield _finding(
            ca, severity, "CRL validity long for the certificates issued",
            f"{_name(ca)} publishes CRLs valid for {days} days ({issuers[ca['arn']]}); that is "
            f"{why}.",
            "Lower CrlConfiguration.ExpirationInDays (7 days is the console default), or add "
            "OCSP for prompt revocation.",
            _API + "API_CrlConfiguration.html",
        )  # fmt: skip


def _median_leaf_days(inputs: Inputs) -> dict[str, float]:
    inventory = inputs.certificates
    if inventory is None or inventory.empty or "validity_days" not in inventory.columns:
        return {}
    leaves = inventory[~is_ca_certificate(inventory)]
    medians = leaves.groupby("ca_arn", observed=True)["validity_days"].median()
    return {str(k): float(v) for k, v in medians.items() if not pd.isna(v)}


@_rule("revocation.ocsp_without_crl")
def revocation_ocsp_without_crl(inputs: Inputs) -> Iterator[Finding]:
    """OCSP only: clients that check only CRLs, or soft-fail when OCSP is unreachable, see nothing.

    OCSP answers may lag a revocation by up to 60 minutes.
    """
    for ca in _records(inputs.cas):
        if ca["status"] not in _INSTALLED or ca.get("crl_enabled") or not ca.get("ocsp_enabled"):
            continue
        yield _finding(
            ca, "INFO", "OCSP without a CRL",
            f"{_name(ca)} offers OCSP but no CRL: clients that rely on CRLs get no revocation "
            "information, and most OCSP clients soft-fail when the responder is unreachable.",
            "Add a CRL if any relying party checks CRLs only.",
            _USER_GUIDE + "revocation-setup.html",
        )  # fmt: skip


# -- cryptography ----------------------------------------------------------------------------------


@_rule("crypto.rsa_2048_root")
def crypto_rsa_2048_root(inputs: Inputs) -> Iterator[Finding]:
    """A root with an RSA-2048 key (112-bit security; NIST allows it through 2030).

    LOW when the root is valid beyond 2030, INFO otherwise.
    """
    for ca in _records(inputs.cas):
        if ca.get("type") != "ROOT" or ca.get("key_algorithm") != "RSA_2048":
            continue
        if ca["status"] in ("DELETED", "FAILED"):
            continue
        beyond = ca.get("not_after") is not None and pd.Timestamp(ca["not_after"]) >= RSA_2048_UNTIL
        yield _finding(
            ca, "LOW" if beyond else "INFO", "RSA-2048 root key",
            f"{_name(ca)} is a root with an RSA-2048 key (112-bit security, acceptable to NIST "
            "SP 800-57 through 2030)"
            + (f"; it stays valid until {_date(ca['not_after'])}." if beyond else "."),
            "For a new root, prefer RSA_3072/RSA_4096 or EC_secp384r1, if every relying "
            "party supports it.",
            "https://csrc.nist.gov/pubs/sp/800/57/pt1/r5/final",
        )  # fmt: skip


@_rule("crypto.signing_weaker_than_key")
def crypto_signing_weaker_than_key(inputs: Inputs) -> Iterator[Finding]:
    """An EC CA signing with a hash shorter than its curve (e.g. SHA256 with P-384).

    The signature is only as strong as the hash; RFC 5480 pairs P-384 with SHA-384 and P-521
    with SHA-512. RSA keys are not judged: SHA-256 is the usual pairing for every RSA size.
    """
    for ca in _records(inputs.cas):
        need = CURVE_HASH_BITS.get(ca.get("key_algorithm") or "")
        signing = ca.get("signing_algorithm") or ""
        if need is None or not signing.startswith("SHA") or ca["status"] in ("DELETED", "FAILED"):
            continue
        bits = int(signing[3:6])
        if bits >= need:
            continue
        yield _finding(
            ca, "LOW", "Signing hash weaker than the CA key",
            f"{_name(ca)} has an {ca['key_algorithm']} key but signs with {signing}: its "
            f"signatures (CSR, CRLs, OCSP) have the {bits // 2}-bit strength of SHA-{bits}, "
            "not the curve's.",
            f"Use SHA{need}WITHECDSA for the CA and for IssueCertificate's SigningAlgorithm.",
            "https://www.rfc-editor.org/rfc/rfc5480#section-4",
        )  # fmt: skip


# -- access ----------------------------------------------------------------------------------------


def _statements(text: str) -> list[dict[str, Any]]:
    try:
        document = json.loads(text)
    except (TypeError, ValueError):
        return []
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    return [s for s in statements or [] if isinstance(s, dict)]


def _account_of(principal: str) -> str:
    """``111122223333`` from an account id or an IAM ARN (``arn:aws:iam::111122223333:root``)."""
    parts = principal.split(":")
    return parts[4] if principal.startswith("arn:") and len(parts) > 4 else principal


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _conditions(statement: Mapping[str, Any], key: str) -> list[str]:
    found: list[str] = []
    for block in (statement.get("Condition") or {}).values():
        for name, value in (block or {}).items():
            if name.lower() == key.lower():
                found.extend(str(v) for v in _as_list(value))
    return found


@_rule("access.cross_account_policy")
def access_cross_account_policy(inputs: Inputs) -> Iterator[Finding]:
    """A resource policy (PutPolicy, or RAM) letting principals outside the CA's account use it.

    MEDIUM listing the accounts (or organizations); HIGH for ``"*"`` with no PrincipalOrgID.
    """
    owners = {row["arn"]: row for row in _records(inputs.cas)}
    for row in _records(inputs.policies):
        ca = owners.get(row["arn"], {"arn": row["arn"], "ca_id": row["arn"].rsplit("/", 1)[-1]})
        owner = ca.get("owner_account")
        outsiders: dict[str, set[str]] = {}
        anyone: set[str] = set()
        for statement in _statements(row.get("policy") or ""):
            if statement.get("Effect") != "Allow":
                continue
            actions = {str(a) for a in _as_list(statement.get("Action"))}
            principal = statement.get("Principal")
            accounts = (
                [str(p) for p in _as_list(principal.get("AWS"))]
                if isinstance(principal, dict) else [str(principal)]
            )  # fmt: skip
            for account in accounts:
                if account == "*":
                    orgs = _conditions(statement, "aws:PrincipalOrgID")
                    if orgs:
                        for org in orgs:
                            outsiders.setdefault(f"organization {org}", set()).update(actions)
                    else:
                        anyone.update(actions)
                elif _account_of(account) != owner:
                    outsiders.setdefault(_account_of(account), set()).update(actions)
        if not outsiders and not anyone:
            continue
        grants = [f"{who}: {', '.join(sorted(acts))}" for who, acts in sorted(outsiders.items())]
        if anyone:
            grants.insert(0, f"any AWS principal: {', '.join(sorted(anyone))}")
        issues = any("IssueCertificate" in g for g in grants)
        yield _finding(
            ca, "HIGH" if anyone else "MEDIUM", "CA shared with other accounts",
            f"The resource policy of {_name(ca)} grants principals outside account "
            f"{owner or '?'}: " + "; ".join(grants) + "."
            + (" They can have certificates issued that chain to this CA." if issues else ""),
            "Confirm each account should use this CA; limit IssueCertificate to the templates "
            "needed (acm-pca:TemplateArn condition); remove grants with DeletePolicy or the "
            "RAM share.",
            _USER_GUIDE + "pca-rbp.html",
        )  # fmt: skip


@_rule("access.acm_permission")
def access_acm_permission(inputs: Inputs) -> Iterator[Finding]:
    """CreatePermission for ``acm.amazonaws.com``: ACM may issue and renew from this CA."""
    cas = {row["arn"]: row for row in _records(inputs.cas)}
    for row in _records(inputs.permissions):
        if row.get("principal") != _ACM:
            continue
        ca = cas.get(row["arn"], {"arn": row["arn"], "ca_id": row["arn"].rsplit("/", 1)[-1]})
        actions = (row.get("actions") or "").replace(",", ", ")
        yield _finding(
            ca, "INFO", "ACM may issue from this CA",
            f"ACM (acm.amazonaws.com) holds {actions} on {_name(ca)}"
            + (f" for account {row['source_account']}" if row.get("source_account") else "")
            + ": ACM requests certificates from it and renews them automatically.",
            "Expected when ACM issues private certificates; otherwise remove it with "
            "DeletePermission (ACM then stops renewing).",
            _API + "API_CreatePermission.html",
        )  # fmt: skip


# -- issued certificates ---------------------------------------------------------------------------


def _leaves(inputs: Inputs) -> pd.DataFrame | None:
    inventory = inputs.certificates
    if inventory is None or inventory.empty or "ca_arn" not in inventory.columns:
        return None
    leaves = inventory[~is_ca_certificate(inventory)]
    if "is_ca" in leaves.columns:
        leaves = leaves[leaves["is_ca"].astype("boolean").fillna(False).eq(False)]
    return leaves


@_rule("certificates.root_issues_end_entity")
def certificates_root_issues_end_entity(inputs: Inputs) -> Iterator[Finding]:
    """A root CA issuing end-entity certificates directly (its audit report says so).

    AWS recommends keeping the root for signing subordinate CAs only: a root key used daily is
    more exposed, and a root compromise cannot be contained by revoking a subordinate.
    """
    leaves = _leaves(inputs)
    if leaves is None:
        return
    for ca in _records(inputs.cas):
        if ca.get("type") != "ROOT":
            continue
        count = int((leaves["ca_arn"] == ca["arn"]).sum())
        if not count:
            continue
        yield _finding(
            ca, "MEDIUM", "Root CA issues end-entity certificates",
            f"The audit report of the root {_name(ca)} lists {count} end-entity "
            "certificate(s) it signed directly.",
            "Issue end-entity certificates from a subordinate CA (PathLen0) and keep the root "
            "for CA certificates.",
            _USER_GUIDE + "ca-hierarchy.html",
        )  # fmt: skip


@_rule("certificates.key_encipherment_on_signature_key")
def certificates_key_encipherment_on_signature_key(inputs: Inputs) -> Iterator[Finding]:
    """EC or ML-DSA end-entity certificates asserting keyEncipherment, which their keys cannot
    do: RFC 5480 section 3 forbids it for EC keys, RFC 9881 for ML-DSA keys.

    The EndEntity* templates set digitalSignature + keyEncipherment whatever the key type;
    pkilint reports it as ``pkix.key_usage_value_prohibited_for_ec`` or ``…_for_mldsa``. One
    finding per CA, naming each key type seen. Needs the decoded inventory (``key_algorithm`` and
    ``key_usage`` columns).
    """
    leaves = _leaves(inputs)
    if leaves is None or not {"key_algorithm", "key_usage"} <= set(leaves.columns):
        return
    algorithms = leaves["key_algorithm"].astype("string")
    enciphers = (
        leaves["key_usage"]
        .map(lambda usage: isinstance(usage, list | tuple) and "key_encipherment" in usage)
        .astype(bool)
    )
    kinds = pd.Series(pd.NA, index=leaves.index, dtype="string")
    for prefix in SIGNATURE_ONLY_KEYS:
        kinds = kinds.mask(algorithms.str.startswith(prefix).fillna(False).astype(bool), prefix)
    bad = leaves[kinds.notna() & enciphers].assign(_kind=kinds)
    cas = {row["arn"]: row for row in _records(inputs.cas)}
    for arn, group in bad.groupby("ca_arn", observed=True, sort=True):
        ca = cas.get(str(arn), {"arn": str(arn), "ca_id": str(arn).rsplit("/", 1)[-1]})
        named = group["template"].dropna() if "template" in group.columns else []
        templates = sorted({str(t) for t in named})
        present = [p for p in SIGNATURE_ONLY_KEYS if (group["_kind"] == p).any()]
        names = " and ".join(SIGNATURE_ONLY_KEYS[p][0] for p in present)
        counts = ", ".join(
            f"{int((group['_kind'] == p).sum())} {SIGNATURE_ONLY_KEYS[p][0]}" for p in present
        )
        why = "; ".join(
            f"{rfc} forbids it for {kind} keys and pkilint reports {pkilint_id}"
            for kind, rfc, _, pkilint_id in (SIGNATURE_ONLY_KEYS[p] for p in present)
        )
        yield _finding(
            ca, "LOW", f"{names} certificates with keyEncipherment",
            f"{counts} end-entity certificate(s) from {_name(ca)} assert keyEncipherment "
            f"(templates: {', '.join(templates) or 'unknown'}); {why}. Strict TLS stacks may "
            "refuse them.",
            f"Issue {names} certificates with a Blank*/APIPassthrough template giving KeyUsage "
            "digitalSignature only.",
            SIGNATURE_ONLY_KEYS[present[0]][2],
        )  # fmt: skip


@_rule("cost.short_lived_candidate")
def cost_short_lived_candidate(inputs: Inputs) -> Iterator[Finding]:
    """A GENERAL_PURPOSE CA issuing only certificates of 7 days or less, and no CA certificates.

    A SHORT_LIVED_CERTIFICATE CA costs $50 a month instead of $400; the usage mode is chosen at
    creation, so it means a new CA. ACM cannot issue from short-lived CAs.
    """
    inventory = inputs.certificates
    needed = {"ca_arn", "template_arn", "issued_at", "not_after"}
    if inventory is None or inventory.empty or not needed <= set(inventory.columns):
        return
    days = (inventory["not_after"] - inventory["issued_at"]).dt.total_seconds() / 86400
    templates = inventory["template_arn"].astype("string")
    for ca in _records(inputs.cas):
        if ca["status"] != "ACTIVE" or ca.get("usage_mode") != "GENERAL_PURPOSE":
            continue
        mine = inventory["ca_arn"] == ca["arn"]
        own_root = templates.str.contains("/RootCACertificate", regex=False).fillna(False)
        rows = mine & ~own_root
        if not rows.any() or is_ca_certificate(inventory[rows]).any():
            continue
        longest = float(days[rows].max())
        if longest > SHORT_LIVED_MAX_DAYS + 1e-6:
            continue
        cost = float(ca.get("monthly_cost_usd") or 0.0)
        if cost <= SHORT_LIVED_MONTHLY_USD:
            continue
        yield _finding(
            ca, "INFO", "Could be a short-lived certificate CA",
            f"Every one of the {int(rows.sum())} certificate(s) {_name(ca)} issued is valid "
            f"for at most {longest:.1f} days. A SHORT_LIVED_CERTIFICATE CA costs "
            f"{_usd(SHORT_LIVED_MONTHLY_USD)}/month instead of {_usd(cost)}: a saving of "
            f"{_usd(cost - SHORT_LIVED_MONTHLY_USD)}/month.",
            "Create a SHORT_LIVED_CERTIFICATE CA (the usage mode is set at creation) and move "
            "issuance to it, unless ACM must issue from this CA.",
            _PRICING,
        )  # fmt: skip


@_rule("inventory.unavailable")
def inventory_unavailable(inputs: Inputs) -> Iterator[Finding]:
    """A CA whose audit report could not be read: the certificate checks did not cover it."""
    cas = {row["arn"]: row for row in _records(inputs.cas)}
    for arn, reason in sorted(inputs.skipped.items()):
        ca = cas.get(arn, {"arn": arn, "ca_id": arn.rsplit("/", 1)[-1]})
        yield _finding(
            ca, "INFO", "Issued certificates not checked",
            f"The audit report of {_name(ca)} could not be read, so the certificate checks "
            f"did not run for it: {reason}",
            "Pass bucket='<a bucket acm-pca may write>' to pca.findings(certificates=True).",
            _USER_GUIDE + "PcaAuditReport.html",
        )  # fmt: skip


# -- the findings frame ----------------------------------------------------------------------------


def assess(
    cas: pd.DataFrame,
    *,
    hierarchy: pd.DataFrame | None = None,
    permissions: pd.DataFrame | None = None,
    policies: pd.DataFrame | None = None,
    buckets: pd.DataFrame | None = None,
    certificates: pd.DataFrame | None = None,
    covered: Collection[str] | None = None,
    skipped: Mapping[str, str] | None = None,
    now: datetime | str | None = None,
    checks: Collection[str] | None = None,
) -> pd.DataFrame:
    """Run the rules (all, or the ``checks`` ids) and return their findings, most serious first.

    ``covered`` defaults to the CAs that appear in ``certificates``. Sorted by severity (HIGH
    first), then CA name, ARN and check id.
    """
    if covered is None and certificates is not None and "ca_arn" in certificates.columns:
        covered = set(certificates["ca_arn"].dropna().astype(str))
    inputs = Inputs(
        cas=cas, now=as_utc(now, cas), hierarchy=hierarchy, permissions=permissions,
        policies=policies, buckets=buckets, certificates=certificates,
        covered=frozenset(covered or ()), skipped=dict(skipped or {}),
    )  # fmt: skip
    unknown = set(checks or ()) - set(RULES)
    if unknown:
        raise ValueError(f"unknown check id(s) {sorted(unknown)}; known: {sorted(RULES)}")
    rows = [
        {**finding, "check": check}
        for check, rule in RULES.items()
        if checks is None or check in checks
        for finding in rule(inputs)
    ]
    frame = tables.frame(rows, tables.FINDING_COLUMNS)
    order = frame.assign(_rank=frame["severity"].cat.codes, _name=frame["common_name"].fillna(""))
    order = order.sort_values(
        ["_rank", "_name", "arn", "check"], ascending=[False, True, True, True], kind="stable"
    )
    return order.drop(columns=["_rank", "_name"]).reset_index(drop=True)
