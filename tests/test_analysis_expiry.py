"""Expiry analyses: expiring within N days, per week, outliving or crowding the CA's notAfter,
against hand-counted reports."""

from __future__ import annotations

import pandas as pd
import pytest
from test_analysis_activity import CA_A, CA_B, RECORDS, SERVER, record, report_of

from pcanb.analysis.expiry import (
    EXPIRY_WEEK_COLUMNS,
    as_utc,
    band_labels,
    expiring,
    expiry_band,
    expiry_by_week,
    near_ca_expiry,
    outliving_ca,
)
from pcanb.errors import PcanbError

NOW = pd.Timestamp("2026-03-20T00:00:00Z")
#: CA A ends on 1 Jan 2027, CA B on 1 Jan 2030.
CAS = pd.DataFrame(
    {
        "arn": [
            f"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/{CA_A}",
            f"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/{CA_B}",
            None,  # an external CA in pca.hierarchy(): no ARN, ignored
        ],
        "not_after": pd.to_datetime(
            ["2027-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "2020-01-01T00:00:00Z"], utc=True
        ),
    }
)


@pytest.fixture(scope="module")
def report():
    return report_of(RECORDS)


def names(frame):
    return list(frame["common_name"])


def test_expiring_within_30_days_leaves_out_revoked_and_expired(report):
    # n3 ends 3 Apr 11:00, 14 d 11 h after NOW; n2 (revoked) ends 1 Jun; n5 already expired.
    soon = expiring(report, 30, now=NOW)
    assert names(soon) == ["host3.example.com"]
    assert soon["days_to_expiry"].iloc[0] == pytest.approx(14 + 11 / 24)
    assert names(expiring(report, 100, now=NOW)) == ["host3.example.com"]
    with_revoked = expiring(report, 100, now=NOW, include_revoked=True)
    assert names(with_revoked) == ["host3.example.com", "host2.example.com"]
    assert list(with_revoked.columns[:3]) == list(report.columns[:3])  # the rows, as they were


def test_expiring_takes_a_ca_frame_and_naive_or_text_times():
    cas = CAS.assign(common_name=["A", "B", "external"])
    assert names(expiring(cas, 300, now="2026-03-20")) == ["A"]
    assert names(expiring(cas, 300, now=pd.Timestamp("2029-06-01"))) == ["B"]
    assert as_utc("2026-03-20") == NOW
    with pytest.raises(PcanbError, match="not_after"):
        expiring(pd.DataFrame({"x": [1]}), 30)


def test_bands_are_half_open_at_0_30_60_90_days():
    days = pd.Series([-0.1, 0.0, 29.9, 30.0, 59.9, 60, 89.9, 90.0, 1000])
    assert list(expiry_band(days).astype(str)) == [
        "expired", "≤ 30 days", "≤ 30 days", "≤ 60 days", "≤ 60 days", "≤ 90 days",
        "≤ 90 days", "> 90 days", "> 90 days",
    ]  # fmt: skip
    assert band_labels((7, 14)) == ["expired", "≤ 7 days", "≤ 14 days", "> 14 days"]


def test_expiry_by_week(report):
    weekly = expiry_by_week(report, now=NOW)
    assert tuple(weekly.columns) == EXPIRY_WEEK_COLUMNS
    per_band = weekly.groupby("band", observed=True)["count"].sum().to_dict()
    assert per_band == {"expired": 1, "≤ 30 days": 1, "> 90 days": 4}
    rows = {(str(w.date()), str(b)): c for w, b, c in weekly.itertuples(index=False)}
    assert rows[("2026-03-09", "expired")] == 1  # n5, 11 Mar
    assert rows[("2026-03-30", "≤ 30 days")] == 1  # n3, Fri 3 Apr
    assert rows[("2027-03-01", "> 90 days")] == 1  # n1, Tue 2 Mar 2027
    everything = expiry_by_week(report, now=NOW, include_revoked=True)
    assert everything["count"].sum() == 10
    rows = {(str(w.date()), str(b)): c for w, b, c in everything.itertuples(index=False)}
    assert rows[("2026-03-09", "expired")] == 2  # n5 and n10
    assert rows[("2026-06-01", "≤ 90 days")] == 1  # n2


def test_certificates_outliving_their_ca(report):
    beyond = outliving_ca(report, CAS)
    assert names(beyond) == ["host8.example.com", "host9.example.com", "host1.example.com"]
    # n1 ends 2 Mar 2027 09:00, CA A on 1 Jan 2027: 60 days and 9 hours later.
    assert beyond["days_beyond_ca"].iloc[-1] == pytest.approx(60 + 9 / 24)
    assert (beyond["ca_not_after"] < beyond["not_after"]).all()
    assert "host7.example.com" in names(outliving_ca(report, CAS, include_revoked=True))


def test_leaves_crowding_their_ca_end():
    ca = "cccccccc-0000-4000-8000-000000000003"
    cas = pd.DataFrame(
        {
            "arn": [f"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/{ca}"],
            "not_after": [pd.Timestamp("2027-01-01T00:00:00Z")],
        }
    )
    report = report_of([
        record(1, ca, SERVER, "2026-12-15T00:00", backdate_hours=0, days=10),  # 7 days before
        record(2, ca, SERVER, "2026-06-01T00:00", backdate_hours=0, days=30),  # 184 days before
        record(3, ca, "RootCACertificate", "2017-01-01T00:00", backdate_hours=0, days=3652),
        record(4, ca, SERVER, "2026-12-20T00:00", backdate_hours=0, days=11,
               revoked="2026-12-21T00:00", reason="SUPERSEDED"),  # 1 day before, revoked
        record(5, ca, SERVER, "2026-12-31T00:00", backdate_hours=0, days=1),  # ends with the CA
    ])  # fmt: skip
    assert report.loc[2, "not_after"] == cas.loc[0, "not_after"]  # the CA's own certificate
    near = near_ca_expiry(report, cas, 30)
    assert names(near) == ["host5.example.com", "host1.example.com"]
    assert list(near["days_before_ca_expiry"]) == [0.0, 7.0]
    assert names(near_ca_expiry(report, cas, 30, include_revoked=True)) == [
        "host5.example.com", "host4.example.com", "host1.example.com",
    ]  # fmt: skip
    assert names(near_ca_expiry(report, cas, 200)) == [
        "host5.example.com", "host1.example.com", "host2.example.com",
    ]  # fmt: skip


def test_a_time_that_is_not_one_says_what_to_pass():
    from pcanb.analysis.expiry import as_utc

    for bad in ("garbage", "NaT", object()):
        with pytest.raises(PcanbError, match=r"not a time|not NaT"):
            as_utc(bad)
    assert str(as_utc("2031-12-01T05:00+05:00")) == "2031-12-01 00:00:00+00:00"
