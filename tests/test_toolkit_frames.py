"""What the wrappers hand back: typed frames, decoded objects, and the errors of the toolkit."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from botocore.exceptions import ClientError
from conftest import EC_CA, error_code
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import pcanb
from pcanb import tables
from pcanb.x509.csr import build_csr, generate_private_key
from pcanb.x509.decode import Certificate, CertificateChain, Csr

CA_NAMES = [c.name for c in tables.CA_COLUMNS]


def _public_der(key) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _assert_declared_dtypes(frame: pd.DataFrame, columns: tuple[tables.Column, ...]) -> None:
    assert list(frame.columns) == [c.name for c in columns]
    for column in columns:
        dtype = frame[column.name].dtype
        if column.dtype == "datetime":
            assert isinstance(dtype, pd.DatetimeTZDtype), (column.name, dtype)
            assert str(dtype.tz) == "UTC", (column.name, dtype)
        elif column.dtype == "string":
            assert isinstance(dtype, pd.StringDtype), (column.name, dtype)
        else:
            assert str(dtype) == column.dtype, (column.name, dtype)


def _ca_count(pca) -> int:
    return len(pca.client.list_certificate_authorities()["CertificateAuthorities"])


# -- frames -----------------------------------------------------------------------------------


def test_empty_list_has_declared_columns_and_dtypes(pca):
    frame = pca.list_certificate_authorities()
    assert frame.empty
    _assert_declared_dtypes(frame, tables.CA_COLUMNS)
    assert frame.columns[0] == "arn"


def test_list_and_describe_share_columns_and_concat(pca, root, issuing):
    listed = pca.list_certificate_authorities()
    _assert_declared_dtypes(listed, tables.CA_COLUMNS)
    assert list(listed["arn"]) == [root.arn, issuing.arn]
    described = pca.describe_certificate_authority(issuing)
    _assert_declared_dtypes(described, tables.CA_COLUMNS)
    assert len(described) == 1
    assert list(described.columns) == list(listed.columns)

    both = pd.concat([pca.describe_certificate_authority(root), described], ignore_index=True)
    assert dict(both.dtypes) == dict(listed.dtypes)  # concat keeps every declared dtype
    assert list(both["arn"]) == [root.arn, issuing.arn]

    row = described.iloc[0]
    assert row["ca_id"] == issuing.ca_id and issuing.arn.endswith("/" + row["ca_id"])
    assert row["type"] == "SUBORDINATE" and row["status"] == "ACTIVE"
    assert row["common_name"] == "Test Issuing CA" and row["subject"] == "CN=Test Issuing CA"
    assert row["key_algorithm"] == "EC_prime256v1"
    assert row["signing_algorithm"] == "SHA256WITHECDSA"
    assert row["owner_account"] == pca.account
    assert row["not_after"] == issuing.certificate.not_after
    assert row["not_before"] == issuing.certificate.not_before
    assert described["crl_enabled"].tolist() == [False]
    assert described["ocsp_enabled"].tolist() == [False]
    assert pd.isna(row["restorable_until"])
    assert row["created_at"] <= row["last_state_change_at"] <= pca.now()


def test_days_to_expiry_follows_sandbox_time(pca, root):
    described = pca.describe_certificate_authority(root)
    assert described["days_to_expiry"].dtype == "Int64"  # whole days, as Certificate's
    before = described.loc[0, "days_to_expiry"]
    assert before == root.certificate.days_to_expiry(pca.now())
    pca.sandbox.advance(days=10)
    after = pca.describe_certificate_authority(root).loc[0, "days_to_expiry"]
    assert before - after == 10
    listed = pca.list_certificate_authorities().loc[0, "days_to_expiry"]
    assert listed == after
    pca.sandbox.advance(days=root.certificate.days_to_expiry(pca.now()) + 2)
    expired = pca.describe_certificate_authority(root).loc[0, "days_to_expiry"]
    assert expired == root.certificate.days_to_expiry(pca.now()) < 0


def test_days_to_expiry_truncates_toward_zero_in_every_frame(pca, root):
    """Expired 2 days and a few seconds ago is -2 whole days, in the CA frames, the hierarchy
    frame and on the certificate alike."""
    gone = root.certificate.not_after - pca.now() + timedelta(days=2, seconds=30)
    pca.sandbox.advance(seconds=gone.total_seconds())
    assert root.certificate.days_to_expiry(pca.now()) == -2
    assert pca.describe_certificate_authority(root).loc[0, "days_to_expiry"] == -2
    assert pca.list_certificate_authorities().loc[0, "days_to_expiry"] == -2
    hierarchy = pca.hierarchy()
    assert hierarchy.loc[hierarchy["arn"] == root.arn, "days_to_expiry"].iloc[0] == -2


def test_monthly_cost_by_usage_mode_and_deletion(pca, root):
    short = pca.create_subordinate_ca(
        parent=root, common_name="Short-lived CA", usage_mode="SHORT_LIVED_CERTIFICATE"
    )
    doomed = pca.create_subordinate_ca(parent=root, common_name="Doomed CA")
    pca.update_certificate_authority(doomed, status="DISABLED")
    pca.delete_certificate_authority(doomed, permanent_deletion_time_in_days=7)

    frame = pca.list_certificate_authorities().set_index("arn")
    assert frame.loc[root.arn, "monthly_cost_usd"] == 400.0
    assert frame.loc[short.arn, "usage_mode"] == "SHORT_LIVED_CERTIFICATE"
    assert frame.loc[short.arn, "monthly_cost_usd"] == 50.0
    assert frame.loc[doomed.arn, "status"] == "DELETED"
    assert frame.loc[doomed.arn, "monthly_cost_usd"] == 0.0
    restorable = frame.loc[doomed.arn, "restorable_until"]
    assert restorable.tzinfo is not None
    assert pd.Timedelta(days=6.9) < restorable - pd.Timestamp(pca.now()) <= pd.Timedelta(days=7)
    assert frame["monthly_cost_usd"].sum() == 450.0


def test_list_tags_frame(pca):
    tagged = pca.create_root_ca(common_name="Tagged Root", tags={"team": "pki", "env": "lab"})
    plain = pca.create_root_ca(common_name="Plain Root")

    tags = pca.list_tags(tagged)
    _assert_declared_dtypes(tags, tables.TAG_COLUMNS)
    assert set(zip(tags["key"], tags["value"], strict=True)) == {("team", "pki"), ("env", "lab")}
    assert set(tags["arn"]) == {tagged.arn}

    empty = pca.list_tags(plain)
    assert empty.empty
    _assert_declared_dtypes(empty, tables.TAG_COLUMNS)

    pca.tag_certificate_authority(plain, {"owner": "alice"})
    pca.untag_certificate_authority(tagged, ["env"])
    assert dict(zip(pca.list_tags(plain)["key"], pca.list_tags(plain)["value"], strict=True)) == {
        "owner": "alice"
    }
    assert list(pca.list_tags(tagged)["key"]) == ["team"]


# -- decoded objects --------------------------------------------------------------------------


def test_csr_and_ca_certificate_are_decoded(pca, root, issuing):
    csr = pca.get_certificate_authority_csr(issuing)
    assert isinstance(csr, Csr)
    assert csr.common_name == "Test Issuing CA"
    assert _public_der(csr.public_key) == _public_der(issuing.certificate.public_key)

    chain = pca.get_certificate_authority_certificate(issuing)
    assert isinstance(chain, CertificateChain)
    assert [c.fingerprint_sha256 for c in chain] == [
        issuing.certificate.fingerprint_sha256,
        root.certificate.fingerprint_sha256,
    ]
    assert all(isinstance(c, Certificate) for c in chain)
    root_chain = pca.get_certificate_authority_certificate(root)
    assert [c.fingerprint_sha256 for c in root_chain] == [root.certificate.fingerprint_sha256]


def test_get_certificate_is_decoded_with_arn_and_chain(pca, root, issuing):
    leaf = pca.issue(issuing, common_name="leaf.example.internal", days=3)
    for fetched in (pca.get_certificate(issuing, leaf.arn), pca.get_certificate(leaf.arn)):
        assert isinstance(fetched, pcanb.IssuedCertificate)
        assert fetched.arn == leaf.arn
        assert fetched.ca_arn == issuing.arn
        assert fetched.fingerprint_sha256 == leaf.fingerprint_sha256
        assert [c.common_name for c in fetched.chain] == ["Test Issuing CA", "Test Root CA"]
        assert fetched.private_key is None  # AWS never returns a key
        assert [c.common_name for c in fetched.full_chain] == [
            "leaf.example.internal",
            "Test Issuing CA",
            "Test Root CA",
        ]


def test_issue_returns_the_key_it_generated(pca, issuing):
    leaf = pca.issue(issuing, common_name="keyed.example.internal", key_algorithm="EC_secp384r1")
    assert leaf.private_key is not None
    assert leaf.key_algorithm == "EC_secp384r1"
    assert _public_der(leaf.private_key.public_key()) == _public_der(leaf.public_key)
    assert "BEGIN PRIVATE KEY" in leaf.private_key_pem
    assert leaf.common_name == "keyed.example.internal"
    assert (leaf.not_after - leaf.not_before).days in (365, 366)


def test_issue_with_a_csr_returns_no_key(pca, issuing):
    key = generate_private_key("EC_prime256v1")
    csr_pem = build_csr(key, "own-key.example.internal", ["own-key.example.internal"]).public_bytes(
        Encoding.PEM
    )
    leaf = pca.issue(issuing, csr=csr_pem, days=5)
    assert leaf.private_key is None and leaf.private_key_pem is None
    assert _public_der(leaf.public_key) == _public_der(key.public_key())
    assert leaf.common_name == "own-key.example.internal"
    assert leaf.dns_names == ["own-key.example.internal"]
    with pytest.raises(pcanb.PcanbError, match="csr="):
        pca.issue(issuing, "other-name", csr=csr_pem)


# -- what the wrappers accept -----------------------------------------------------------------


def test_wrappers_accept_handles_arns_and_rows(pca, root):
    frame = pca.list_certificate_authorities()
    expected = pca.describe_certificate_authority(root.arn)
    for ca in (root, root.arn, frame.iloc[0], expected, expected.iloc[0].to_dict()):
        got = pca.describe_certificate_authority(ca)
        assert got.loc[0, "arn"] == root.arn
    fetched = pca.get_certificate_authority_certificate(frame.iloc[0])[0]
    assert fetched.fingerprint_sha256 == root.certificate.fingerprint_sha256
    leaf = pca.issue(frame.iloc[0], common_name="from-a-row.example.internal", days=1)
    assert leaf.ca_arn == root.arn
    assert pca.list_tags(frame.iloc[0]).empty

    two = pd.concat([expected, expected], ignore_index=True)
    with pytest.raises(pcanb.PcanbError, match="iloc"):
        pca.describe_certificate_authority(two)
    with pytest.raises(pcanb.PcanbError, match="certificate authority"):
        pca.describe_certificate_authority(42)


# -- errors -----------------------------------------------------------------------------------


def test_toolkit_mistakes_are_pcanb_errors(pca, root):
    count = _ca_count(pca)
    with pytest.raises(pcanb.PcanbError, match="usage_mode must be one of") as excinfo:
        pca.create_root_ca(common_name="Bad", usage_mode="X")
    assert isinstance(excinfo.value, ValueError)
    assert "SHORT_LIVED_CERTIFICATE" in str(excinfo.value)
    with pytest.raises(pcanb.PcanbError, match="usage_mode"):
        pca.create_certificate_authority(EC_CA, "ROOT", usage_mode="X")
    with pytest.raises(pcanb.PcanbError, match="certificate_authority_type"):
        pca.create_certificate_authority(EC_CA, "INTERMEDIATE")
    with pytest.raises(pcanb.PcanbError, match="key_storage_security_standard"):
        pca.create_subordinate_ca(parent=root, common_name="Bad", key_storage_security_standard="X")
    with pytest.raises(pcanb.PcanbError, match="status must be one of"):
        pca.update_certificate_authority(root, status="ENABLED")
    with pytest.raises(pcanb.PcanbError, match="does not fit"):
        pca.create_root_ca(
            common_name="Bad", key_algorithm="EC_prime256v1", signing_algorithm="SHA256WITHRSA"
        )

    with pytest.raises(pcanb.PcanbError, match="TEMPLATE_NAMES"):
        pca.issue(root, common_name="x", template="NoSuchTemplate")
    with pytest.raises(pcanb.PcanbError, match="unknown certificate template"):
        pca.create_subordinate_ca(parent=root, common_name="Bad", template="NoSuchTemplate")
    with pytest.raises(pcanb.PcanbError, match="key_algorithm must be one of"):
        pca.issue(root, common_name="x", key_algorithm="SM2")
    with pytest.raises(pcanb.PcanbError, match="days= or validity="):
        pca.issue(root, common_name="x", days=3, validity={"Type": "DAYS", "Value": 3})
    # nothing was created by any of these
    assert _ca_count(pca) == count


def test_issuing_from_a_disabled_ca_says_how_to_enable_it(pca, root, issuing):
    pca.update_certificate_authority(issuing, status="DISABLED")
    with pytest.raises(pcanb.WrongStateError, match="DISABLED") as excinfo:
        pca.issue(issuing, common_name="x")
    assert isinstance(excinfo.value, pcanb.PcanbError) and isinstance(excinfo.value, ValueError)
    assert "update_certificate_authority(ca, status='ACTIVE')" in str(excinfo.value)

    pca.update_certificate_authority(root, status="DISABLED")
    count = _ca_count(pca)
    with pytest.raises(pcanb.WrongStateError, match="ACTIVE"):
        pca.create_subordinate_ca(parent=root, common_name="Orphan CA")
    assert _ca_count(pca) == count  # no half-made CA left behind

    pca.update_certificate_authority(issuing, status="ACTIVE")
    assert pca.issue(issuing, common_name="again", days=1).common_name == "again"


def test_aws_errors_surface_as_client_errors(pca, root):
    missing = root.arn[:-12] + "000000000000"
    with pytest.raises(ClientError) as excinfo:
        pca.describe_certificate_authority(missing)
    assert error_code(excinfo) == "ResourceNotFoundException"
    assert not isinstance(excinfo.value, pcanb.PcanbError)

    with pytest.raises(ClientError) as excinfo:
        pca.get_certificate(root, root.arn + "/certificate/" + "0" * 32)
    assert error_code(excinfo) == "ResourceNotFoundException"

    with pytest.raises(ClientError) as excinfo:
        pca.issue_certificate(root, root.csr, "SHA256WITHRSA", {"Type": "DAYS", "Value": 1})
    assert error_code(excinfo) == "InvalidArgsException"

    pending = pca.create_subordinate_ca(common_name="Pending CA")
    with pytest.raises(ClientError) as excinfo:
        pca.get_certificate_authority_certificate(pending)
    assert error_code(excinfo) == "InvalidStateException"
    with pytest.raises(ClientError) as excinfo:
        pca.update_certificate_authority(pending, status="ACTIVE")
    assert error_code(excinfo) == "InvalidStateException"


def test_a_ca_certificate_equals_its_issued_form(pca, root):
    fetched = pca.get_certificate_authority_certificate(root)[0]
    assert type(root.certificate) is pcanb.IssuedCertificate and type(fetched) is Certificate
    assert fetched.der == root.certificate.der
    assert fetched == root.certificate


# -- many certificates as one frame -----------------------------------------------------------


def test_certificates_frame_from_issued_certificates_bundles_and_der(pca, issuing):
    leaves = [
        pca.issue(issuing, f"svc{i}.example", sans=[f"svc{i}.example"], days=30 + i)
        for i in range(3)
    ]
    frames = [
        pcanb.certificates_frame(leaves),  # decoded objects (IssuedCertificate is one)
        pcanb.certificates_frame("\n".join(c.pem for c in leaves)),  # one PEM bundle
        pcanb.certificates_frame([c.der for c in leaves]),  # DER bytes
        pcanb.certificates_frame(leaves[0].full_chain),  # a chain: leaf, issuing, root
    ]
    _assert_declared_dtypes(frames[0], tables.CERTIFICATE_COLUMNS)
    for frame in frames[1:3]:
        pd.testing.assert_frame_equal(frame, frames[0])
    first = frames[0].iloc[0]
    assert first["common_name"] == "svc0.example" and first["issuer"] == "CN=Test Issuing CA"
    assert first["serial"] == leaves[0].serial and first["dns_names"] == ["svc0.example"]
    assert first["key_size"] == 256 and not first["is_ca"]
    assert (frames[0]["not_after"] - frames[0]["not_before"]).dt.days.tolist() == [30, 31, 32]
    chain = frames[3]
    assert chain["common_name"].tolist() == ["svc0.example", "Test Issuing CA", "Test Root CA"]
    assert chain["is_self_signed"].tolist() == [False, False, True]
    assert chain["path_length"].isna().tolist() == [True, False, True]


def test_certificates_frame_empty_and_wrong_input():
    empty = pcanb.certificates_frame([])
    assert len(empty) == 0
    _assert_declared_dtypes(empty, tables.CERTIFICATE_COLUMNS)
    with pytest.raises(TypeError, match="expected a Certificate, PEM text or DER bytes"):
        pcanb.certificates_frame([42])
    with pytest.raises(pcanb.DecodeError):
        pcanb.certificates_frame([b"not a certificate"])


def test_certificates_frame_refuses_what_is_not_certificates():
    with pytest.raises(TypeError, match="PEM bundle, DER bytes or an iterable"):
        pcanb.certificates_frame(None)


def test_the_call_log_has_the_dtypes_of_the_other_frames(pca, root):
    fresh = pcanb.sandbox(":memory:")
    empty = fresh.sandbox.events()
    fresh.sandbox.close()
    for events in (pca.sandbox.events(), empty):
        assert str(events["eventTime"].dtype) == "datetime64[us, UTC]"
        for column in ("eventSource", "eventName", "awsRegion", "errorCode", "errorMessage"):
            assert events[column].dtype == "string", column
        assert events["requestParameters"].dtype == object
    assert len(empty) == 0
    assert "CreateCertificateAuthority" in set(pca.sandbox.events()["eventName"])
