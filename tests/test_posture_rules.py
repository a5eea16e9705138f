"""The posture rules on hand-built frames: no AWS, no sandbox."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from pcanb import tables
from pcanb.analysis.hierarchy import HIERARCHY_COLUMNS
from pcanb.analysis.posture import RULES, assess

NOW = pd.Timestamp("2030-06-01", tz="UTC")
OWNER = "111122223333"
PREFIX = f"arn:aws:acm-pca:us-east-1:{OWNER}:certificate-authority/"


def ca(ca_id: str, **fields) -> dict:
    row = {
        "arn": PREFIX + ca_id, "ca_id": ca_id, "common_name": ca_id.title(), "type": "ROOT",
        "status": "ACTIVE", "usage_mode": "GENERAL_PURPOSE", "key_algorithm": "EC_prime256v1",
        "signing_algorithm": "SHA256WITHECDSA", "owner_account": OWNER,
        "created_at": NOW - pd.Timedelta(days=100), "not_after": NOW + pd.Timedelta(days=3000),
        "crl_enabled": True, "crl_bucket": "crl-bucket", "crl_expiration_days": 7,
        "crl_s3_object_acl": "BUCKET_OWNER_FULL_CONTROL", "ocsp_enabled": True,
        "monthly_cost_usd": 400.0,
    }  # fmt: skip
    row.update(fields)
    return row


def cas(*rows: dict) -> pd.DataFrame:
    return tables.frame(rows, tables.CA_COLUMNS)


def tree(*rows: dict) -> pd.DataFrame:
    return tables.frame(rows, HIERARCHY_COLUMNS)


def fired(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return {
        (arn.rsplit("/", 1)[1], check)
        for arn, check in zip(frame["arn"], frame["check"], strict=True)
    }


def test_every_rule_has_a_stable_id_and_a_docstring():
    assert len(RULES) >= 20
    for check, rule in RULES.items():
        assert re.fullmatch(r"[a-z]+\.[a-z0-9_]+", check)
        assert rule.__doc__ and len(rule.__doc__.strip()) > 20, check


def test_nothing_in_nothing_out():
    frame = assess(cas(), now=NOW)
    assert frame.empty and list(frame.columns) == [c.name for c in tables.FINDING_COLUMNS]
    assert frame["severity"].dtype == tables.SEVERITY_DTYPE


def test_a_lapsed_active_ca_is_expired_at_a_later_now():
    frame = assess(cas(ca("old", not_after=NOW - pd.Timedelta(days=1))), now=NOW)
    assert fired(frame) == {("old", "ca.expired")}


def test_default_acl_is_public_read_and_an_unknown_bucket_is_not_assumed_blocking():
    rows = cas(ca("dflt", crl_s3_object_acl=None), ca("owner"))
    unknown = tables.frame([{"bucket": "crl-bucket"}], tables.BUCKET_ACCESS_COLUMNS)
    frame = assess(rows, buckets=unknown, now=NOW)
    assert fired(frame) == {("dflt", "revocation.crl_public_read")}
    blocked = tables.frame(
        [{"bucket": "crl-bucket", "block_public_acls": True}], tables.BUCKET_ACCESS_COLUMNS
    )
    assert fired(assess(rows, buckets=blocked, now=NOW)) == {
        ("dflt", "revocation.crl_public_read_blocked")
    }


def test_revocation_none_needs_to_know_what_the_ca_issues():
    bare = cas(ca("bare", crl_enabled=False, ocsp_enabled=False))
    assert assess(bare, now=NOW).empty  # no hierarchy, no inventory: nothing to go on
    nodes = tree({"arn": PREFIX + "bare", "ca_id": "bare", "status": "ACTIVE", "children": 0})
    assert fired(assess(bare, hierarchy=nodes, now=NOW)) == {("bare", "revocation.none")}
    # the inventory says it issued nothing but its own certificate: not an end-entity issuer
    report = pd.DataFrame({
        "ca_arn": [PREFIX + "bare"], "template_arn": ["arn:aws:acm-pca:::template/RootCACertificate/V1"],
    })  # fmt: skip
    assert assess(bare, hierarchy=nodes, certificates=report, now=NOW).empty


def test_unconstrained_path_length_from_an_external_signer():
    nodes = tree(
        {"arn": None, "ca_id": "external:ab", "external": True, "depth": 0, "type": "ROOT"},
        {"arn": PREFIX + "sub", "ca_id": "sub", "type": "SUBORDINATE", "depth": 1,
         "parent_ca_id": "external:ab", "fingerprint_sha256": "aa", "path_length": None},
        {"arn": PREFIX + "pl0", "ca_id": "pl0", "type": "SUBORDINATE", "depth": 1,
         "parent_ca_id": "external:ab", "fingerprint_sha256": "bb", "path_length": 0},
    )  # fmt: skip
    frame = assess(cas(ca("sub", type="SUBORDINATE")), hierarchy=nodes, now=NOW)
    assert fired(frame) == {("sub", "hierarchy.path_length_unconstrained")}


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(principal, action="acm-pca:IssueCertificate", **extra) -> dict:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


@pytest.mark.parametrize(
    ("policy", "severity", "words"),
    [
        (_policy(_allow({"AWS": "arn:aws:iam::999988887777:root"})), "MEDIUM", "999988887777"),
        (_policy(_allow("*")), "HIGH", "any AWS principal"),
        (_policy(_allow({"AWS": f"arn:aws:iam::{OWNER}:role/issuer"})), None, None),
        (_policy({**_allow({"AWS": "999988887777"}), "Effect": "Deny"}), None, None),
        ("not json", None, None),
    ],
    ids=["account-arn", "anyone", "same-account", "deny", "unreadable"],
)
def test_cross_account_principals(policy, severity, words):
    policies = tables.frame(
        [{"arn": PREFIX + "root", "policy": policy}], tables.RESOURCE_POLICY_COLUMNS
    )
    frame = assess(cas(ca("root")), policies=policies, now=NOW)
    if severity is None:
        assert frame.empty
    else:
        assert frame["check"].tolist() == ["access.cross_account_policy"]
        assert frame.loc[0, "severity"] == severity and words in frame.loc[0, "detail"]


def test_signing_weaker_than_key_by_curve():
    rows = cas(
        ca("p521", key_algorithm="EC_secp521r1", signing_algorithm="SHA384WITHECDSA"),
        ca("p256", key_algorithm="EC_prime256v1", signing_algorithm="SHA256WITHECDSA"),
        ca("rsa", key_algorithm="RSA_4096", signing_algorithm="SHA256WITHRSA"),
    )
    assert fired(assess(rows, now=NOW)) == {("p521", "crypto.signing_weaker_than_key")}


def test_rsa_2048_root_within_2030_is_info():
    rows = cas(ca("rsa", key_algorithm="RSA_2048", signing_algorithm="SHA256WITHRSA",
                  not_after=pd.Timestamp("2030-12-01", tz="UTC")))  # fmt: skip
    frame = assess(rows, now=NOW)
    assert frame["check"].tolist() == ["crypto.rsa_2048_root"]
    assert frame.loc[0, "severity"] == "INFO"


def test_inventory_without_decoded_columns_skips_the_key_usage_check():
    report = pd.DataFrame({
        "ca_arn": [PREFIX + "root"], "template_arn": ["arn:aws:acm-pca:::template/EndEntityCertificate/V1"],
        "template": ["EndEntityCertificate"], "not_after": [NOW + pd.Timedelta(days=30)],
        "issued_at": [NOW], "not_before": [NOW - pd.Timedelta(hours=1)], "validity_days": [30.0],
    })  # fmt: skip
    frame = assess(cas(ca("root")), certificates=report, now=NOW)
    assert fired(frame) == {("root", "certificates.root_issues_end_entity")}


def test_checks_selects_rules_and_rejects_unknown_ids():
    rows = cas(ca("old", status="EXPIRED"), ca("off", status="DISABLED"))
    frame = assess(rows, now=NOW, checks={"ca.disabled_billed"})
    assert fired(frame) == {("off", "ca.disabled_billed")}
    with pytest.raises(ValueError, match="unknown check"):
        assess(rows, now=NOW, checks={"ca.nope"})


def test_sorted_by_severity_then_ca_name():
    rows = cas(
        ca("b", status="DISABLED"), ca("a", status="DISABLED"),
        ca("z", status="EXPIRED"),
    )  # fmt: skip
    frame = assess(rows, now=NOW)
    assert list(zip(frame["ca_id"], frame["severity"], strict=True)) == [
        ("z", "HIGH"), ("a", "LOW"), ("b", "LOW"),
    ]  # fmt: skip
    assert frame.sort_values("severity", ascending=False, kind="stable").equals(frame)
