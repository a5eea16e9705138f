"""The toolkit side of audit reports: ``pca.audit_report`` and the ``pca.certificates`` inventory."""

from __future__ import annotations

import pandas as pd
import pytest
from botocore.exceptions import ClientError
from conftest import error_code
from test_audit_reports import BUCKET, audit_bucket, colon_serial

from pcanb import tables
from pcanb.aws.audit import ReusedReportWarning
from pcanb.errors import PcanbError


@pytest.fixture
def issued(pca, root, issuing):
    """A bucket for reports and three leaves: two from the subordinate, one from the root."""
    audit_bucket(pca)
    a = pca.issue(
        issuing,
        subject={"CommonName": "a.example.com", "Organization": "Example, Inc.", "Country": "US"},
        sans=["a.example.com", "www.a.example.com"],
    )
    b = pca.issue(issuing, "b.example.com", template="EndEntityClientAuthCertificate")
    c = pca.issue(root, "c.example.com", key_algorithm="EC_secp384r1")
    pca.revoke(b, "KEY_COMPROMISE")
    return a, b, c


def test_audit_report_is_typed(pca, issuing, issued):
    a, b, _ = issued
    frame = pca.audit_report(issuing, bucket=BUCKET)
    assert list(frame["certificate_arn"]) == [a.arn, b.arn]
    for column in ("not_before", "not_after", "issued_at", "revoked_at"):
        assert isinstance(frame[column].dtype, pd.DatetimeTZDtype), column
        assert str(frame[column].dt.tz) == "UTC"
    assert isinstance(frame["template"].dtype, pd.CategoricalDtype)
    assert isinstance(frame["revocation_reason"].dtype, pd.CategoricalDtype)
    assert list(frame["template"]) == ["EndEntityCertificate", "EndEntityClientAuthCertificate"]
    assert frame["revocation_reason"].isna().tolist() == [True, False]
    assert frame.loc[1, "revocation_reason"] == "KEY_COMPROMISE"
    assert frame["revoked"].tolist() == [False, True]
    # The subject's escaped comma is decoded.
    assert frame.loc[0, "common_name"] == "a.example.com"
    assert frame.loc[0, "organization"] == "Example, Inc."
    assert pd.isna(frame.loc[1, "organization"])
    assert frame.loc[0, "serial_hex"] == colon_serial(a.x509.serial_number)
    assert frame.loc[0, "not_after"] == pd.Timestamp(a.x509.not_valid_after_utc)
    assert frame.loc[0, "validity_days"] == pytest.approx(365 + 1 / 24, abs=1e-6)
    assert frame.loc[0, "ca_arn"] == issuing.arn
    assert frame.loc[0, "ca_id"] == issuing.ca_id
    assert frame.loc[0, "account_id"] == "111122223333"
    assert frame["problem"].isna().all()
    assert frame.attrs["reused"] is False
    assert frame.attrs["s3_uri"] == (
        f"s3://{BUCKET}/audit-report/{issuing.ca_id}/{frame.attrs['audit_report_id']}.json"
    )


def test_csv_report_gives_the_same_frame(pca, issuing, issued):
    from_json = pca.audit_report(issuing, "JSON", bucket=BUCKET)
    pca.sandbox.advance(minutes=31)
    from_csv = pca.audit_report(issuing, "CSV", bucket=BUCKET)
    assert from_csv.attrs["s3_uri"].endswith(".csv")
    pd.testing.assert_frame_equal(from_json, from_csv, check_like=False)


def test_reuse_within_thirty_minutes_warns(pca, issuing, issued):
    first = pca.audit_report(issuing, bucket=BUCKET)
    pca.sandbox.advance(minutes=10)
    pca.issue(issuing, "late.example.com")  # not in the reused report
    with pytest.warns(ReusedReportWarning, match="30 minutes") as record:
        again = pca.audit_report(issuing, "CSV", bucket=BUCKET)
    assert first.attrs["s3_uri"] in str(record[0].message)
    assert again.attrs["reused"] is True
    assert again.attrs["s3_uri"] == first.attrs["s3_uri"]
    assert again.attrs["audit_report_id"] == first.attrs["audit_report_id"]
    pd.testing.assert_frame_equal(again, first)
    with pytest.raises(ClientError) as excinfo:
        pca.audit_report(issuing, bucket=BUCKET, reuse=False)
    assert error_code(excinfo) == "RequestInProgressException"
    pca.sandbox.advance(minutes=21)
    fresh = pca.audit_report(issuing, bucket=BUCKET)
    assert fresh.attrs["reused"] is False
    assert len(fresh) == len(first) + 1


def test_default_bucket_is_the_crl_bucket(pca, issuing, issued):
    with pytest.raises(PcanbError, match="bucket="):
        pca.audit_report(issuing)
    crl = {"Enabled": True, "ExpirationInDays": 7, "S3BucketName": BUCKET,
           "S3ObjectAcl": "BUCKET_OWNER_FULL_CONTROL"}  # fmt: skip
    pca.client.update_certificate_authority(
        CertificateAuthorityArn=issuing.arn, RevocationConfiguration={"CrlConfiguration": crl}
    )
    frame = pca.audit_report(issuing)
    assert frame.attrs["s3_uri"].startswith(f"s3://{BUCKET}/audit-report/{issuing.ca_id}/")
    assert len(frame) == 2


def test_certificates_across_every_ca(pca, root, issuing, issued):
    a, b, c = issued
    pending = pca.create_subordinate_ca(common_name="External Sub")  # cannot report
    frame = pca.certificates(bucket=BUCKET)
    expected = {
        root.certificate.arn: root.arn,
        issuing.certificate.arn: root.arn,
        c.arn: root.arn,
        a.arn: issuing.arn,
        b.arn: issuing.arn,
    }
    assert dict(zip(frame["certificate_arn"], frame["ca_arn"], strict=True)) == expected
    assert len(frame) == 5
    assert frame.attrs["skipped"] == [pending.arn]
    assert isinstance(frame["not_after"].dtype, pd.DatetimeTZDtype)
    assert isinstance(frame["template"].dtype, pd.CategoricalDtype)


def test_certificates_of_one_ca_decoded(pca, issuing, issued):
    a, b, _ = issued
    frame = pca.certificates(issuing, bucket=BUCKET, decode=True, max_workers=2)
    assert frame.attrs["skipped"] == []
    assert list(frame["certificate_arn"]) == [a.arn, b.arn]
    assert frame.loc[0, "sans"] == a.sans
    assert "a.example.com" in str(frame.loc[0, "sans"])
    assert frame["key_algorithm"].tolist() == ["EC_prime256v1", "EC_prime256v1"]
    assert frame["is_ca"].tolist() == [False, False]
    assert list(frame.loc[1, "extended_key_usage"]) == list(b.extended_key_usage)
    assert "clientAuth" in str(frame.loc[1, "extended_key_usage"])
    assert frame["decode_error"].isna().all()
    declared = {c.name: c.dtype for c in tables.DECODED_COLUMNS}
    assert {c: str(frame[c].dtype) for c in declared} == declared


def test_certificates_with_no_ca(pca):
    frame = pca.certificates(bucket=BUCKET)
    assert len(frame) == 0
    assert "certificate_arn" in frame.columns
    assert frame.attrs["skipped"] == []
    decoded = pca.certificates(bucket=BUCKET, decode=True)  # the declared columns, even empty
    declared = {c.name: c.dtype for c in tables.DECODED_COLUMNS}
    assert {c: str(decoded[c].dtype) for c in declared} == declared


def test_frames_carry_the_session_clock_and_analyses_and_charts_default_to_it(
    pca, root, issuing, issued
):
    """After an advance, sandbox-expired certificates are expired in the frames' analyses and
    charts without passing now=: the session records its now in frame.attrs."""
    import matplotlib.dates

    from pcanb import charts
    from pcanb.analysis import expiry

    a, _, _ = issued
    pca.sandbox.advance(days=a.days_to_expiry() + 3)  # a (365 days) has expired, in sandbox time
    inventory = pca.certificates(bucket=BUCKET, decode=True)
    now = inventory.attrs[tables.NOW_ATTR]
    assert abs(now - pd.Timestamp(pca.now())) < pd.Timedelta(minutes=1)
    assert now > pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=300)  # not the wall clock
    days = expiry.days_to_expiry(inventory)
    assert days[inventory["certificate_arn"] == a.arn].iloc[0] < 0
    assert a.arn not in set(inventory.pca.expiring(within_days=30)["certificate_arn"])
    assert expiry.expiry_by_week(inventory)["band"].iloc[0] != "≤ 30 days"
    ax = charts.validity(inventory)
    [line] = [line for line in ax.get_lines() if line.get_label() == "_now"]
    drawn = pd.Timestamp(matplotlib.dates.num2date(line.get_xdata()[0]))
    assert abs(drawn - now) < pd.Timedelta(minutes=1)
    assert "expired" in [t.get_text() for t in ax.texts]
    # every frame the session makes carries it
    for frame in (
        pca.list_certificate_authorities(),
        pca.describe_certificate_authority(root),
        pca.hierarchy(),
        pca.list_tags(root),
        pca.list_permissions(root),
    ):
        assert abs(frame.attrs[tables.NOW_ATTR] - now) < pd.Timedelta(minutes=1)
    # the hierarchy chart of the frame and of the session say the same days left
    of_frame = charts.hierarchy(pca.hierarchy())
    of_session = charts.hierarchy(pca)
    assert [t.get_text() for t in of_frame.texts] == [t.get_text() for t in of_session.texts]
