"""The CA hierarchy as a frame: who signed whom, from the CA certificates' names and key ids.

:func:`build_hierarchy` is pure: it takes the CA frame (``tables.CA_COLUMNS``) and, for each CA
with a certificate, its chain as GetCertificateAuthorityCertificate returns it (the CA's
certificate first, then its issuers up to the root). ``pca.hierarchy()`` fetches both.

A CA's parent is the CA of the account whose certificate subject is the child's issuer, whose
subjectKeyIdentifier is the child's authorityKeyIdentifier and whose key verifies the child's
signature. When no CA of the account signed it, the parent is the next certificate of the
child's chain, listed as an *external* CA (``external=True``, no ARN), and so on up its chain.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from pcanb import tables
from pcanb.x509.chain import issued_by
from pcanb.x509.decode import Certificate, CertificateChain, whole_days

#: One row per CA of the account and per external CA found in their chains, in tree order.
HIERARCHY_COLUMNS = tuple(tables.Column(*item.split(":")) for item in ["arn:string", "ca_id:string", "common_name:string", "parent_arn:string", "parent_ca_id:string", "parent:string", "external:boolean", "parent_external:boolean", "root:string", "depth:Int64", "chain_length:Int64", "path_length:Int64", "children:Int64", "type:string", "status:string", "usage_mode:string", "key_algorithm:string", "signing_algorithm:string", "not_before:datetime", "not_after:datetime", "days_to_expiry:Int64", "outlives_parent:boolean", "monthly_cost_usd:Float64", "subject:string", "issuer:string", "ski:string", "aki:string", "fingerprint_sha256:string"])  # fmt: skip
_CA_NAMES = tuple(c.name for c in tables.CA_COLUMNS)
#: ``status`` of a CA outside the account (only its certificate is known).
EXTERNAL = "EXTERNAL"


def external_id(certificate: Certificate) -> str:
    """The ``ca_id`` of an external CA: ``external:`` and 16 hex digits of its fingerprint."""
    return "external:" + certificate.fingerprint_sha256.replace(":", "")[:16].lower()


def _cert_fields(cert: Certificate) -> dict[str, Any]:
    return {
        "subject": cert.subject,
        "issuer": cert.issuer,
        "ski": cert.ski,
        "aki": cert.aki,
        "fingerprint_sha256": cert.fingerprint_sha256,
        "path_length": cert.path_length,
        "not_before": cert.not_before,
        "not_after": cert.not_after,
    }


def build_hierarchy(
    cas: pd.DataFrame, chains: Mapping[str, CertificateChain], now: datetime
) -> pd.DataFrame:
    """The hierarchy frame from a CA frame and each installed CA's chain (keyed by CA ARN).

    CAs without a certificate (CREATING, PENDING_CERTIFICATE, FAILED, some DELETED) are listed
    with no parent and no depth. ``now`` sets ``days_to_expiry``.
    """
    nodes: dict[str, dict[str, Any]] = {}
    certs: dict[str, Certificate] = {}
    parents: dict[str, str | None] = {}
    for ca in cas.to_dict("records"):
        key = str(ca["ca_id"])
        row = {name: ca.get(name) for name in _CA_NAMES if name in ca}
        row.update(external=False, ski=None, aki=None, issuer=None, fingerprint_sha256=None)
        row["path_length"] = None
        chain = chains.get(ca["arn"])
        if chain:
            certs[key] = chain[0]
            fields = _cert_fields(chain[0])
            for name in ("not_before", "not_after", "subject"):
                if row.get(name) is not None and not pd.isna(row[name]):
                    fields.pop(name)
            row.update(fields)
            row["common_name"] = row.get("common_name") or chain[0].common_name
        nodes[key] = row
    by_fingerprint = {cert.fingerprint_sha256: key for key, cert in certs.items()}

    def add_external(cert: Certificate, chain: CertificateChain, index: int) -> str:
        key = by_fingerprint.get(cert.fingerprint_sha256)
        if key is not None:
            return key
        key = external_id(cert)
        by_fingerprint[cert.fingerprint_sha256] = key
        nodes[key] = {
            "arn": None, "ca_id": key, "common_name": cert.common_name or cert.subject,
            "external": True, "type": "ROOT" if cert.is_self_signed else "SUBORDINATE",
            "status": EXTERNAL, "key_algorithm": cert.key_algorithm, "usage_mode": None,
            "signing_algorithm": cert.signature_algorithm, "monthly_cost_usd": None,
            **_cert_fields(cert),
        }  # fmt: skip
        parents[key] = _parent_in_chain(cert, chain, index)
        return key

    def _parent_in_chain(cert: Certificate, chain: CertificateChain, index: int) -> str | None:
        if cert.is_self_signed:
            return None
        for position in range(index + 1, len(chain)):
            if cert.is_issued_by(chain[position]):
                return add_external(chain[position], chain, position)
        return None

    for key, cert in certs.items():
        if cert.is_self_signed:
            parents[key] = None
            continue
        candidates = [k for k, c in certs.items() if k != key and issued_by(cert, c)]
        if candidates:  # a re-imported key can have two: prefer ACTIVE, then the latest
            parents[key] = max(
                candidates,
                key=lambda k: (nodes[k].get("status") == "ACTIVE", certs[k].not_after),
            )
        else:
            chain = chains[nodes[key]["arn"]]
            parents[key] = _parent_in_chain(cert, chain, 0)
    return _frame(nodes, parents, now)


def _frame(
    nodes: dict[str, dict[str, Any]], parents: dict[str, str | None], now: datetime
) -> pd.DataFrame:
    children: dict[str | None, list[str]] = {}
    for key in nodes:
        if key in parents:
            children.setdefault(parents[key], []).append(key)

    def name(key: str) -> str:
        return str(nodes[key].get("common_name") or key)

    order: list[str] = []

    def visit(key: str, depth: int, root: str, seen: frozenset[str]) -> None:
        row = nodes[key]
        row.update(depth=depth, chain_length=depth + 1, root=name(root))
        row["children"] = len(children.get(key, []))
        order.append(key)
        for child in sorted(children.get(key, []), key=name):
            if child not in seen:  # a cycle cannot be signed, but never loop on bad data
                visit(child, depth + 1, root, seen | {child})

    for top in sorted(children.get(None, []), key=name):
        visit(top, 0, top, frozenset({top}))
    unlinked = [k for k in nodes if k not in order]
    for key in sorted(unlinked, key=name):
        nodes[key].update(children=len(children.get(key, [])))
        order.append(key)
    stamp = pd.Timestamp(now)
    records = []
    for key in order:
        row = dict(nodes[key])
        parent = parents.get(key)
        if parent is not None:
            up = nodes[parent]
            row.update(
                parent_arn=up.get("arn"), parent_ca_id=parent, parent=name(parent),
                parent_external=bool(up.get("external")),
                outlives_parent=_after(row.get("not_after"), up.get("not_after")),
            )  # fmt: skip
        not_after = row.get("not_after")
        if not_after is not None and not pd.isna(not_after):
            row["days_to_expiry"] = whole_days(pd.Timestamp(not_after) - stamp)
        records.append(row)
    return tables.frame(records, HIERARCHY_COLUMNS)


def _after(mine: Any, theirs: Any) -> bool | None:
    if mine is None or theirs is None or pd.isna(mine) or pd.isna(theirs):
        return None
    return bool(pd.Timestamp(mine) > pd.Timestamp(theirs))
