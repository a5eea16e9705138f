"""Pure pricing: the price table, CA proration over a month, certificate tiers, the month frame."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pandas as pd
import pytest

from pcanb import tables
from pcanb.analysis.cost import (
    PRICES,
    ca_month_cost,
    ca_monthly_price,
    certificate_cost,
    month_costs,
    month_start,
    tiered_cost,
)
from pcanb.aws.authorities import ca_record
from pcanb.errors import PcanbError

CENT = 0.005


def test_the_table_says_where_each_price_comes_from():
    table = PRICES.to_frame()
    assert set(table["basis"]) == {"documented", "inferred"}
    by_item = table.set_index("item")
    assert by_item.loc["general_purpose_ca", "usd"] == 400.0
    assert by_item.loc["general_purpose_ca", "basis"] == "documented"
    assert by_item.loc["short_lived_ca", "usd"] == 50.0
    assert by_item.loc["general_purpose_certificate_tier_1", "basis"] == "inferred"
    assert by_item.loc["general_purpose_certificate_tier_3", "usd"] == 0.001
    assert by_item.loc["short_lived_certificate", "usd"] == 0.058
    assert table["source"].str.len().min() > 10


# -- certificate tiers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "usd"),
    [(0, 0.0), (999, 749.25), (1_000, 750.0), (1_001, 750.35), (10_000, 3_900.0),
     (10_001, 3_900.001)],
)  # fmt: skip
def test_general_purpose_tiers(count, usd):
    frame = pd.DataFrame({"month": ["2031-12"], "count": [count]})
    cost = certificate_cost(frame)
    assert list(cost.index) == [pd.Timestamp("2031-12-01", tz="UTC")]
    assert cost.iloc[0] == pytest.approx(usd, abs=1e-9)


def test_short_lived_certificates_have_one_price():
    frame = pd.DataFrame({"month": ["2031-12"], "count": [1_001]})
    assert certificate_cost(frame, "SHORT_LIVED_CERTIFICATE").iloc[0] == pytest.approx(58.058)


def test_tiers_restart_each_calendar_month_and_rows_of_one_month_add_up():
    frame = pd.DataFrame(
        {"month": ["2031-12", "2031-12", "2032-01"], "count": [999, 2, 1_000]}
    )  # 1,001 in December (one past the first tier), 1,000 in January
    cost = certificate_cost(frame)
    assert cost.to_dict() == {
        pd.Timestamp("2031-12-01", tz="UTC"): pytest.approx(750.35),
        pd.Timestamp("2032-01-01", tz="UTC"): pytest.approx(750.0),
    }


def test_counts_as_a_series_of_periods():
    counts = pd.Series([1_000, 1], index=pd.period_range("2032-02", periods=2, freq="M"))
    assert certificate_cost(counts).tolist() == pytest.approx([750.0, 0.75])


def test_a_changed_table_changes_the_cost():
    cheaper = dataclasses.replace(
        PRICES,
        general_purpose_certificates=(dataclasses.replace(PRICES.general_purpose_certificates[0], usd=0.5, up_to=None),),
    )  # fmt: skip
    assert tiered_cost(2_000, cheaper.general_purpose_certificates) == 1_000.0


# -- one CA over one month -----------------------------------------------------------------------


def test_a_ca_running_the_whole_month_costs_its_monthly_price():
    cost = ca_month_cost("2031-12", created_at="2031-11-03", status="ACTIVE")
    assert cost.billed_days == 31
    assert cost.cost_usd == 400.0
    assert cost.notes == ()


def test_created_mid_month_is_prorated():
    cost = ca_month_cost("2031-12", created_at="2031-12-16T12:00Z", status="PENDING_CERTIFICATE")
    assert cost.billed_days == 15.5
    assert cost.cost_usd == pytest.approx(200.0)


def test_short_lived_mode_in_a_leap_february():
    cost = ca_month_cost(
        "2032-02", created_at="2032-02-15", status="ACTIVE", usage_mode="SHORT_LIVED_CERTIFICATE"
    )
    assert cost.billed_days == 15
    assert cost.cost_usd == pytest.approx(25.86, abs=CENT)


def test_deleted_mid_month_is_billed_until_deletion_and_not_in_later_months():
    kwargs = {"created_at": "2031-11-20", "status": "DELETED", "last_state_change_at": "2031-12-11"}
    december = ca_month_cost("2031-12", **kwargs)
    assert december.billed_days == 10
    assert december.cost_usd == pytest.approx(129.03, abs=CENT)
    assert "deleted 2031-12-11" in december.notes[0]
    assert ca_month_cost("2032-01", **kwargs).cost_usd == 0.0


def test_restored_is_billed_for_the_gap():
    # Deleted on 11 December, restored on 21 December: DISABLED again, billed throughout.
    cost = ca_month_cost(
        "2031-12", created_at="2031-11-20", status="DISABLED", last_state_change_at="2031-12-21"
    )
    assert cost.cost_usd == 400.0


@pytest.mark.parametrize("status", ["FAILED"])
def test_failed_is_never_billed(status):
    cost = ca_month_cost("2031-12", created_at="2031-11-20", status=status)
    assert (cost.billed_days, cost.cost_usd) == (0.0, 0.0)
    assert cost.notes == ("FAILED: never billed",)


def test_expired_and_disabled_are_billed():
    for status in ("EXPIRED", "DISABLED", "CREATING", "PENDING_CERTIFICATE"):
        assert ca_month_cost("2031-12", created_at="2031-01-01", status=status).cost_usd == 400.0


def test_free_trial_across_a_month_boundary():
    kwargs = {"created_at": "2031-12-16", "status": "ACTIVE", "free_trial": True}
    december = ca_month_cost("2031-12", **kwargs)
    assert (december.billed_days, december.free_trial_days, december.cost_usd) == (0, 16, 0)
    january = ca_month_cost("2032-01", **kwargs)
    assert (january.billed_days, january.free_trial_days) == (17, 14)
    assert january.cost_usd == pytest.approx(219.35, abs=CENT)
    assert "free trial" in january.notes[0]
    assert ca_month_cost("2032-02", **kwargs).cost_usd == 400.0


def test_free_trial_of_a_ca_deleted_within_it_costs_nothing():
    cost = ca_month_cost(
        "2031-12", created_at="2031-12-01", status="DELETED",
        last_state_change_at="2031-12-20", free_trial=True,
    )  # fmt: skip
    assert cost.cost_usd == 0.0
    assert cost.free_trial_days == 19


def test_months_are_read_many_ways():
    expected = pd.Timestamp("2031-12-01", tz="UTC")
    for month in ("2031-12", "2031-12-31T23:59:59Z", pd.Period("2031-12", "M"),
                  datetime(2031, 12, 5), pd.Timestamp("2031-12-05T10:00", tz="Europe/Paris")):  # fmt: skip
        assert month_start(month) == expected
    with pytest.raises(PcanbError, match="not a month"):
        month_start("last month")


# -- the month frame -----------------------------------------------------------------------------

ARN = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/"


def _cas(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
    records = [
        {"arn": ARN + ca_id, "ca_id": ca_id, "common_name": ca_id, "status": status,
         "usage_mode": mode, "created_at": created, "last_state_change_at": created}
        for ca_id, status, mode, created in rows
    ]  # fmt: skip
    return tables.frame(records, tables.CA_COLUMNS)


def _inventory(**counts: int) -> pd.DataFrame:
    rows = [
        {"ca_arn": ARN + ca_id, "issued_at": pd.Timestamp("2031-12-05", tz="UTC"),
         "requested_by": None}
        for ca_id, n in counts.items() for _ in range(n)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_tiers_span_the_region_and_are_shared_by_count():
    cas = _cas(
        ("first", "ACTIVE", "GENERAL_PURPOSE", "2031-01-01"),
        ("second", "ACTIVE", "GENERAL_PURPOSE", "2031-02-01"),
        ("short", "ACTIVE", "SHORT_LIVED_CERTIFICATE", "2031-03-01"),
    )
    inventory = _inventory(first=600, second=500, short=10)
    # Issued the month before, and one requested by ACM for an integrated service: not counted.
    extra = pd.DataFrame([
        {"ca_arn": ARN + "first", "issued_at": pd.Timestamp("2031-11-30T23:59:59", tz="UTC"),
         "requested_by": None},
        {"ca_arn": ARN + "first", "issued_at": pd.Timestamp("2031-12-06", tz="UTC"),
         "requested_by": "acm.amazonaws.com"},
    ])  # fmt: skip
    frame = month_costs(cas, "2031-12", pd.concat([inventory, extra], ignore_index=True))
    assert list(frame.columns) == [c.name for c in tables.COST_COLUMNS]
    rows = frame.set_index("ca_id")
    assert rows["certificates_issued"].tolist() == [600, 500, 10]
    # 1,100 general-purpose certificates: 1,000 × 0.75 + 100 × 0.35 = 785, shared 6:5.
    assert rows.loc["first", "certificate_cost_usd"] == pytest.approx(785 * 6 / 11)
    assert rows.loc["second", "certificate_cost_usd"] == pytest.approx(785 * 5 / 11)
    assert rows.loc["short", "certificate_cost_usd"] == pytest.approx(0.58)
    assert "1100 general-purpose certificates" in rows.loc["first", "notes"]
    assert rows["ca_cost_usd"].tolist() == [400.0, 400.0, 50.0]
    assert frame.attrs["total_usd"] == pytest.approx(400 + 400 + 50 + 785 + 0.58)
    assert frame.attrs["service_requested_certificates"] == 1
    assert frame.attrs["general_purpose_certificates"] == 1_100
    assert frame.attrs["free_trial_arn"] == ARN + "first"
    assert frame["month"].tolist() == [pd.Timestamp("2031-12-01", tz="UTC")] * 3


def test_without_an_inventory_certificates_are_unknown():
    frame = month_costs(_cas(("only", "ACTIVE", "GENERAL_PURPOSE", "2031-01-01")), "2031-12")
    assert frame["certificates_issued"].isna().all()
    assert frame["certificate_cost_usd"].isna().all()
    assert frame.loc[0, "total_usd"] == 400.0
    assert frame.attrs["certificates_counted"] is False


def test_the_ca_frame_price_comes_from_the_same_table():
    base = {"Arn": ARN + "x", "CertificateAuthorityConfiguration": {}}
    now = datetime(2031, 12, 1)
    for mode in ("GENERAL_PURPOSE", "SHORT_LIVED_CERTIFICATE"):
        row = ca_record({**base, "Status": "ACTIVE", "UsageMode": mode}, now)
        assert row["monthly_cost_usd"] == PRICES.ca_month(mode) == ca_monthly_price(mode)
        assert (
            ca_record({**base, "Status": "DELETED", "UsageMode": mode}, now)["monthly_cost_usd"]
            == 0.0
        )


def test_certificates_of_cas_not_listed_do_not_move_the_tiers():
    cas = _cas(("here", "ACTIVE", "GENERAL_PURPOSE", "2031-01-01"))
    frame = month_costs(cas, "2031-12", _inventory(here=1, elsewhere=1_000))
    assert frame.loc[0, "certificates_issued"] == 1
    assert frame.loc[0, "certificate_cost_usd"] == 0.75
    with pytest.raises(PcanbError, match="no issued_at column"):
        month_costs(cas, "2031-12", pd.DataFrame({"ca_arn": []}))
