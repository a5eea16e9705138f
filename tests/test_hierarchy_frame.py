"""``pca.hierarchy()``: the CA tree from the CA certificates' names and key identifiers.

The sandbox holds two roots of the account (one with a three-level chain, one with two
subordinates), a subordinate signed outside the account by an offline intermediate under an
offline root (with a subordinate of its own in the account), a CA waiting for its certificate
and a deleted CA.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

import pcanb
from pcanb.analysis.hierarchy import HIERARCHY_COLUMNS

CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=True, content_commitment=False, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
    encipher_only=False, decipher_only=False,
)  # fmt: skip


def _offline_cert(subject_cn, public_key, issuer_cn, issuer_key, now, days, path_length):
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn)]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(CA_KEY_USAGE, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if subject_cn != issuer_cn:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    pca = pcanb.sandbox(tmp_path_factory.mktemp("hierarchy") / "sandbox")
    made = {}
    made["Root One"] = pca.create_root_ca(common_name="Root One")
    made["Policy CA"] = pca.create_subordinate_ca(made["Root One"], "Policy CA", path_length=1)
    made["Issuing CA"] = pca.create_subordinate_ca(made["Policy CA"], "Issuing CA")
    made["Root Two"] = pca.create_root_ca(common_name="Root Two", key_algorithm="RSA_2048")
    made["Team B CA"] = pca.create_subordinate_ca(made["Root Two"], "Team B CA")
    made["Team A CA"] = pca.create_subordinate_ca(
        made["Root Two"], "Team A CA", usage_mode="SHORT_LIVED_CERTIFICATE"
    )
    # Outside the account: an offline root and intermediate sign "Partner CA"; the partner's
    # certificate outlives the intermediate's (a mistake the frame should show).
    now = pca.now()
    root_key, mid_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP384R1()),
    )
    offline_root = _offline_cert(
        "Offline Root", root_key.public_key(), "Offline Root", root_key, now, 7300, None
    )
    offline_mid = _offline_cert(
        "Offline Intermediate", mid_key.public_key(), "Offline Root", root_key, now, 900, 2
    )
    partner = pca.create_subordinate_ca(common_name="Partner CA")
    partner_cert = _offline_cert(
        "Partner CA", partner.csr.x509.public_key(), "Offline Intermediate", mid_key, now, 1000, 1
    )
    pca.import_certificate_authority_certificate(
        partner,
        partner_cert.public_bytes(Encoding.PEM),
        offline_mid.public_bytes(Encoding.PEM) + offline_root.public_bytes(Encoding.PEM),
    )  # fmt: skip
    made["Partner CA"] = partner
    made["Partner Issuing CA"] = pca.create_subordinate_ca(partner, "Partner Issuing CA")
    made["Pending CA"] = pca.create_subordinate_ca(common_name="Pending CA")
    gone = pca.create_root_ca(common_name="Gone CA")
    pca.update_certificate_authority(gone, status="DISABLED")
    pca.delete_certificate_authority(gone, permanent_deletion_time_in_days=7)
    made["Gone CA"] = gone
    yield pca, made, pca.hierarchy()
    pca.sandbox.close()


def by_name(frame, column):
    return dict(zip(frame["common_name"], frame[column], strict=True))


def test_rows_come_in_tree_order_with_declared_columns(tree):
    _, _, frame = tree
    assert list(frame.columns) == [c.name for c in HIERARCHY_COLUMNS]
    assert list(frame["common_name"]) == [
        "Offline Root", "Offline Intermediate", "Partner CA", "Partner Issuing CA",
        "Root One", "Policy CA", "Issuing CA",
        "Root Two", "Team A CA", "Team B CA",
        "Pending CA",
    ]  # fmt: skip
    assert str(frame["not_after"].dtype) == "datetime64[us, UTC]"
    assert str(frame["depth"].dtype) == "Int64"


def test_parents_depths_and_roots(tree):
    _, made, frame = tree
    parents = by_name(frame, "parent")
    assert parents["Issuing CA"] == "Policy CA"
    assert parents["Policy CA"] == "Root One"
    assert parents["Team A CA"] == parents["Team B CA"] == "Root Two"
    assert parents["Partner Issuing CA"] == "Partner CA"
    assert parents["Partner CA"] == "Offline Intermediate"
    assert parents["Offline Intermediate"] == "Offline Root"
    assert pd.isna(parents["Root One"]) and pd.isna(parents["Pending CA"])
    depths = by_name(frame, "depth")
    assert {name: depths[name] for name in depths if name != "Pending CA"} == {
        "Offline Root": 0, "Offline Intermediate": 1, "Partner CA": 2, "Partner Issuing CA": 3,
        "Root One": 0, "Policy CA": 1, "Issuing CA": 2, "Root Two": 0, "Team A CA": 1,
        "Team B CA": 1,
    }  # fmt: skip
    assert pd.isna(depths["Pending CA"])
    assert by_name(frame, "chain_length")["Issuing CA"] == 3
    roots = by_name(frame, "root")
    assert roots["Issuing CA"] == "Root One"
    assert roots["Partner Issuing CA"] == "Offline Root"
    assert by_name(frame, "children")["Root Two"] == 2
    assert by_name(frame, "parent_arn")["Issuing CA"] == made["Policy CA"].arn


def test_links_follow_key_identifiers(tree):
    _, _, frame = tree
    ski = dict(zip(frame["ca_id"], frame["ski"], strict=True))
    linked = frame[frame["parent_ca_id"].notna()]
    assert len(linked) == 7
    for row in linked.itertuples():
        assert row.aki == ski[row.parent_ca_id]
    assert by_name(frame, "path_length")["Policy CA"] == 1
    assert by_name(frame, "path_length")["Issuing CA"] == 0
    assert by_name(frame, "path_length")["Partner CA"] == 1


def test_external_parents_come_from_the_chain(tree):
    _, made, frame = tree
    external = frame[frame["external"]]
    assert list(external["common_name"]) == ["Offline Root", "Offline Intermediate"]
    assert external["arn"].isna().all()
    assert (external["status"] == "EXTERNAL").all()
    assert external["ca_id"].str.startswith("external:").all()
    assert external["monthly_cost_usd"].isna().all()
    assert by_name(frame, "key_algorithm")["Offline Intermediate"] == "EC_secp384r1"
    assert by_name(frame, "type")["Offline Root"] == "ROOT"
    assert by_name(frame, "parent_external")["Partner CA"]
    assert not by_name(frame, "parent_external")["Partner Issuing CA"]
    assert by_name(frame, "arn")["Partner CA"] == made["Partner CA"].arn


def test_ca_fields_come_from_the_account(tree):
    pca, made, frame = tree
    listed = pca.list_certificate_authorities().set_index("arn")
    inside = frame[~frame["external"]].set_index("arn")
    assert set(inside.index) == set(listed.index) - {made["Gone CA"].arn}
    for column in ("status", "usage_mode", "key_algorithm", "not_after", "monthly_cost_usd"):
        pd.testing.assert_series_equal(
            inside[column], listed.loc[inside.index, column], check_names=False
        )
    assert by_name(frame, "monthly_cost_usd")["Team A CA"] == 50.0  # short-lived mode
    assert by_name(frame, "usage_mode")["Team A CA"] == "SHORT_LIVED_CERTIFICATE"
    assert by_name(frame, "key_algorithm")["Root Two"] == "RSA_2048"
    assert by_name(frame, "status")["Pending CA"] == "PENDING_CERTIFICATE"


def test_expiry_against_the_parent_and_the_session_clock(tree):
    pca, _, frame = tree
    outlives = by_name(frame, "outlives_parent")
    assert outlives["Partner CA"]  # 1000 days under a 900-day intermediate
    assert not outlives["Issuing CA"]
    days = by_name(frame, "days_to_expiry")
    assert frame["days_to_expiry"].dtype == "Int64"
    assert days["Root One"] == (by_name(frame, "not_after")["Root One"] - pca.now()).days


def test_deleted_cas_on_request(tree):
    pca, made, frame = tree
    assert "Gone CA" not in set(frame["common_name"])
    everything = pca.hierarchy(include_deleted=True)
    gone = everything[everything["arn"] == made["Gone CA"].arn]
    assert list(gone["status"]) == ["DELETED"]


def test_an_empty_account_gives_an_empty_typed_frame(pca):
    frame = pca.hierarchy()
    assert frame.empty
    assert list(frame.columns) == [c.name for c in HIERARCHY_COLUMNS]
