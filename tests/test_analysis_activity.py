"""Activity analyses (counts per period and group, reasons, validity lengths, bursts) against
a report whose every number was counted by hand."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from pcanb.analysis.activity import (
    ACTIVITY_COLUMNS,
    BURST_COLUMNS,
    activity,
    bursts,
    revocation_reasons,
    truncate,
    validity_bins,
    validity_distribution,
)
from pcanb.analysis.reports import read_audit_report
from pcanb.errors import PcanbError

ACCOUNT = "111122223333"
CA_A = "aaaaaaaa-0000-4000-8000-000000000001"
CA_B = "bbbbbbbb-0000-4000-8000-000000000002"
SERVER, CLIENT, CODE = (
    "EndEntityServerAuthCertificate",
    "EndEntityClientAuthCertificate",
    "CodeSigningCertificate",
)
ACM = "acm.amazonaws.com"


def record(
    n, ca, template, issued, *, backdate_hours=1, days=365, revoked=None, reason=None, by=None
):
    """One audit-report row in AWS's JSON layout (absent fields left out, as AWS does)."""
    issued_at = pd.Timestamp(issued, tz="UTC")
    not_before = issued_at - pd.Timedelta(hours=backdate_hours)
    not_after = not_before + pd.Timedelta(days=days)
    fmt = "%Y-%m-%dT%H:%M:%S+0000"
    row = {
        "awsAccountId": ACCOUNT,
        "certificateArn": f"arn:aws:acm-pca:us-east-1:{ACCOUNT}:certificate-authority/{ca}/certificate/{n:032x}",
        "serial": ":".join(f"{n:032x}"[i : i + 2] for i in range(0, 32, 2)),
        "subject": f"CN=host{n}.example.com,O=Example\\, Inc,C=US",
        "notBefore": not_before.strftime(fmt),
        "notAfter": not_after.strftime(fmt),
        "issuedAt": issued_at.strftime(fmt),
    }
    if template:
        row["templateArn"] = f"arn:aws:acm-pca:::template/{template}/V1"
    if revoked:
        row["revokedAt"] = pd.Timestamp(revoked, tz="UTC").strftime(fmt)
        row["revocationReason"] = reason
    if by:
        row["requestedByServicePrincipal"] = by
    return row


def report_of(records):
    return read_audit_report(json.dumps(records).encode(), format="JSON")


#: Ten certificates over five ISO weeks (weeks start on Monday 23 Feb, 2, 9, 16 and 30 Mar 2026).
#:  n  CA template  issued            validity        revoked
#:  1  A  server    Mon 02 Mar 10:00  365 d (+1 h)    -
#:  2  A  server    Tue 03 Mar 11:00  90 d (+1 h)     Wed 04 Mar, KEY_COMPROMISE
#:  3  A  client    Wed 04 Mar 12:00  30 d (+1 h)     -
#:  4  B  server    Mon 09 Mar 08:00  7 d exactly     Tue 10 Mar, SUPERSEDED
#:  5  B  code      Tue 10 Mar 09:00  1 d exactly     -          (requested by ACM)
#:  6  B  server    Wed 11 Mar 10:00  825 d exactly   -          (requested by ACM)
#:  7  A  client    Mon 16 Mar 10:00  397 d (+1 h)    Tue 17 Mar, KEY_COMPROMISE
#:  8  A  server    Wed 01 Apr 10:00  3653 d exactly  -
#:  9  B  (none)    Thu 02 Apr 10:00  4000 d exactly  -
#: 10  A  server    Fri 27 Feb 10:00  13 d (+1 h)     Mon 02 Mar, SUPERSEDED
RECORDS = [
    record(1, CA_A, SERVER, "2026-03-02T10:00", days=365),
    record(2, CA_A, SERVER, "2026-03-03T11:00", days=90, revoked="2026-03-04T09:00", reason="KEY_COMPROMISE"),
    record(3, CA_A, CLIENT, "2026-03-04T12:00", days=30),
    record(4, CA_B, SERVER, "2026-03-09T08:00", backdate_hours=0, days=7, revoked="2026-03-10T08:00", reason="SUPERSEDED"),
    record(5, CA_B, CODE, "2026-03-10T09:00", backdate_hours=0, days=1, by=ACM),
    record(6, CA_B, SERVER, "2026-03-11T10:00", backdate_hours=0, days=825, by=ACM),
    record(7, CA_A, CLIENT, "2026-03-16T10:00", days=397, revoked="2026-03-17T10:00", reason="KEY_COMPROMISE"),
    record(8, CA_A, SERVER, "2026-04-01T10:00", backdate_hours=0, days=3653),
    record(9, CA_B, None, "2026-04-02T10:00", backdate_hours=0, days=4000),
    record(10, CA_A, SERVER, "2026-02-27T10:00", days=13, revoked="2026-03-02T09:00", reason="SUPERSEDED"),
]  # fmt: skip


@pytest.fixture(scope="module")
def report():
    return report_of(RECORDS)


def as_dict(counts):
    return {
        (str(p.date()), e, g): c
        for p, e, g, c in counts[["period", "event", "group", "count"]].itertuples(index=False)
    }


def test_weekly_counts_by_template(report):
    counts = activity(report, "week", by="template")
    assert tuple(counts.columns) == ACTIVITY_COLUMNS
    assert as_dict(counts) == {
        ("2026-02-23", "issued", SERVER): 1,
        ("2026-03-02", "issued", CLIENT): 1,
        ("2026-03-02", "issued", SERVER): 2,
        ("2026-03-02", "revoked", SERVER): 2,  # n2 (Wed 4 Mar) and n10 (Mon 2 Mar)
        ("2026-03-09", "issued", CODE): 1,
        ("2026-03-09", "issued", SERVER): 2,
        ("2026-03-09", "revoked", SERVER): 1,
        ("2026-03-16", "issued", CLIENT): 1,
        ("2026-03-16", "revoked", CLIENT): 1,
        ("2026-03-30", "issued", "(none)"): 1,
        ("2026-03-30", "issued", SERVER): 1,
    }


def test_monthly_totals_without_groups(report):
    assert as_dict(activity(report, "month")) == {
        ("2026-02-01", "issued", "(all)"): 1,
        ("2026-03-01", "issued", "(all)"): 7,
        ("2026-03-01", "revoked", "(all)"): 4,
        ("2026-04-01", "issued", "(all)"): 2,
    }


def test_counts_by_ca_and_by_requester(report):
    by_ca = activity(report, "week", by="ca_id")
    issued = by_ca[by_ca["event"] == "issued"].groupby("group")["count"].sum()
    assert issued.to_dict() == {CA_A: 6, CA_B: 4}
    revoked = by_ca[by_ca["event"] == "revoked"].groupby("group")["count"].sum()
    assert revoked.to_dict() == {CA_A: 3, CA_B: 1}
    by_requester = activity(report, "month", by="requested_by")
    issued = by_requester[by_requester["event"] == "issued"].groupby("group")["count"].sum()
    assert issued.to_dict() == {"(none)": 8, ACM: 2}


def test_daily_and_hourly_periods(report):
    daily = activity(report, "day")
    assert daily["period"].dt.tz is not None
    assert as_dict(daily)[("2026-03-02", "revoked", "(all)")] == 1
    hourly = activity(report, "hour")
    first = hourly.iloc[0]
    assert first["period"] == pd.Timestamp("2026-02-27T10:00Z")


def test_weeks_start_on_monday_in_utc():
    times = pd.Series(
        pd.to_datetime(["2026-03-01T23:59:59Z", "2026-03-02T00:00:00Z", "2026-03-08T12:00:00Z"])
    )
    weeks = truncate(times, "week")
    assert list(weeks.dt.strftime("%Y-%m-%d")) == ["2026-02-23", "2026-03-02", "2026-03-02"]
    assert list(truncate(times, "month").dt.day) == [1, 1, 1]


def test_wrong_period_or_group_says_what_to_use(report):
    with pytest.raises(PcanbError, match="hour, day, week, month"):
        activity(report, "fortnight")
    with pytest.raises(PcanbError, match="template, ca_id"):
        activity(report, "week", by="colour")


def test_an_empty_report_gives_typed_empty_frames():
    empty = report_of([])
    counts = activity(empty, "week", by="template")
    assert counts.empty and tuple(counts.columns) == ACTIVITY_COLUMNS
    assert str(counts["period"].dtype) == "datetime64[us, UTC]"
    assert revocation_reasons(empty).empty
    assert bursts(empty).empty and tuple(bursts(empty).columns) == BURST_COLUMNS
    assert validity_distribution(empty)["count"].sum() == 0


def test_revocation_reasons(report):
    reasons = revocation_reasons(report)
    assert list(reasons["revocation_reason"]) == ["KEY_COMPROMISE", "SUPERSEDED"]
    assert list(reasons["count"]) == [2, 2]
    assert list(reasons["share"]) == [0.5, 0.5]


def test_validity_distribution(report):
    distribution = validity_distribution(report)
    counts = dict(zip(distribution["validity"], distribution["count"], strict=True))
    assert counts == {
        "≤ 1 day": 1,  # n5
        "≤ 7 days": 1,  # n4: exactly 7 days; an upper bound is inclusive
        "≤ 31 days": 2,  # n3 (30 d + 1 h), n10
        "≤ 92 days": 1,  # n2
        "≤ 398 days": 2,  # n1 (365 d + 1 h), n7
        "≤ 825 days": 1,  # n6
        "≤ 5 years": 0,
        "≤ 10 years": 1,  # n8
        "> 10 years": 1,  # n9
    }
    assert distribution["max_days"].iloc[-1] == math.inf


def test_validity_bins_must_increase():
    with pytest.raises(PcanbError, match="increasing"):
        validity_bins((30, 7))
    assert [label for label, _, _ in validity_bins((7, 3653))] == [
        "≤ 7 days",
        "≤ 10 years",
        "> 10 years",
    ]


def _burst_report():
    """One day: 2 an hour, nothing 05:00-09:59, 30 at 13:00 (hand-counted below)."""
    records, n = [], 0
    for hour in range(24):
        if 5 <= hour <= 9:
            continue
        for minute in range(30 if hour == 13 else 2):
            n += 1
            records.append(record(n, CA_A, SERVER, f"2026-05-01T{hour:02d}:{minute:02d}"))
    return report_of(records)


def test_a_burst_is_found_against_the_usual_rate_with_quiet_hours_as_zero():
    found = bursts(_burst_report(), "hour")
    assert tuple(found.columns) == BURST_COLUMNS
    assert len(found) == 1
    burst = found.iloc[0]
    assert burst["period"] == pd.Timestamp("2026-05-01T13:00Z")
    assert burst["count"] == 30
    # 24 hours from the first to the last busy one, the 5 quiet ones counting as 0:
    # total 18 × 2 + 30 = 66, mean 66 / 24 = 2.75; squares 18 × 4 + 900 = 972.
    assert burst["mean"] == pytest.approx(2.75)
    assert burst["std"] == pytest.approx(math.sqrt(972 / 24 - 2.75**2))
    assert burst["threshold"] == pytest.approx(2.75 + 3 * math.sqrt(972 / 24 - 2.75**2))
    assert burst["ratio"] == pytest.approx(30 / 2.75)


def test_burst_thresholds_can_be_tuned():
    report = _burst_report()
    assert bursts(report, "hour", min_count=31).empty
    assert bursts(report, "hour", sigma=10).empty
    assert len(bursts(report, "day")) == 0  # one day only: nothing to compare it with
    assert list(bursts(report, "hour", by="ca_id")["group"]) == [CA_A]
    with pytest.raises(PcanbError, match="issued, revoked"):
        bursts(report, event="renewed")
