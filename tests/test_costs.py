"""``pca.costs()`` through boto3 against the sandbox: a December and a January of four CAs."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import EC_CA, make_pca_bucket

from pcanb import tables

BUCKET = "pcanb-costs-reports"
CENT = 0.005


def _move_to(pca, when: pd.Timestamp) -> None:
    """Move the sandbox clock forward to ``when`` (plus the few seconds the test then takes)."""
    pca.sandbox.advance(seconds=(when - pd.Timestamp(pca.sandbox.now())).total_seconds())


@pytest.fixture
def december(pca) -> pd.Timestamp:
    """The sandbox clock at the start of a December (31 days, followed by a 31-day January)."""
    start = pd.Timestamp(year=pca.sandbox.now().year + 1, month=12, day=1, tz="UTC")
    _move_to(pca, start)
    return start


@pytest.fixture
def world(pca, december):
    """On 1 December: the account's first CA (a root, in its free trial), a short-lived mode
    subordinate, a general-purpose subordinate, and a CA that ends FAILED; two leaves each
    from the root and from the short-lived CA."""
    make_pca_bucket(pca, BUCKET)
    root = pca.create_root_ca(common_name="Costs Root")
    short = pca.create_subordinate_ca(
        parent=root, common_name="Short CA", usage_mode="SHORT_LIVED_CERTIFICATE"
    )
    doomed = pca.create_subordinate_ca(parent=root, common_name="Doomed CA")
    pca.sandbox.configure(creation_failure="OTHER")
    failed = pca.create_certificate_authority(EC_CA, "ROOT")
    pca.sandbox.configure(creation_failure="")
    for name in ("a", "b"):
        pca.issue(root, f"{name}.example.com")
        pca.issue(short, f"{name}.short.example.com")
    return {"root": root.arn, "short": short.arn, "doomed": doomed.arn, "failed": failed}


def _by_name(frame: pd.DataFrame, world: dict[str, str]) -> pd.DataFrame:
    names = {arn: name for name, arn in world.items()}
    return frame.assign(name=frame["arn"].map(names)).set_index("name")


def test_december_with_a_deletion_then_a_restore_then_january(pca, world, december):
    # 11 December: the doomed CA is disabled and deleted after 10 days.
    _move_to(pca, december + pd.Timedelta(days=10))
    pca.update_certificate_authority(world["doomed"], status="DISABLED")
    pca.delete_certificate_authority(world["doomed"])
    frame = pca.costs(bucket=BUCKET)
    assert list(frame.columns) == [c.name for c in tables.COST_COLUMNS]
    assert isinstance(frame["month"].dtype, pd.DatetimeTZDtype)
    assert (frame["month"] == december).all()
    rows = _by_name(frame, world)

    # The root is the account-Region's first CA: 30 of its 31 days are the free trial.
    assert rows.loc["root", "ca_cost_usd"] == pytest.approx(12.90, abs=CENT)  # 400 × 1/31
    assert rows.loc["root", "billed_days"] == pytest.approx(1, abs=0.001)
    assert "free trial" in rows.loc["root", "notes"]
    assert "current month" in rows.loc["root", "notes"]
    # Root, two subordinate CA certificates and two leaves: 5 × $0.75.
    assert rows.loc["root", "certificates_issued"] == 5
    assert rows.loc["root", "certificate_cost_usd"] == pytest.approx(3.75)
    assert rows.loc["short", "ca_cost_usd"] == pytest.approx(50.00, abs=CENT)
    assert rows.loc["short", "certificates_issued"] == 2
    assert rows.loc["short", "certificate_cost_usd"] == pytest.approx(0.116)
    # Deleted after 10 of December's 31 days: 400 × 10/31.
    assert rows.loc["doomed", "status"] == "DELETED"
    assert rows.loc["doomed", "ca_cost_usd"] == pytest.approx(129.03, abs=CENT)
    assert rows.loc["doomed", "billed_days"] == pytest.approx(10, abs=0.001)
    assert pd.isna(rows.loc["doomed", "certificates_issued"])  # no audit report when deleted
    assert rows.loc["failed", "status"] == "FAILED"
    assert rows.loc["failed", "total_usd"] == 0.0
    assert frame.attrs["free_trial_arn"] == world["root"]
    assert frame.attrs["total_usd"] == pytest.approx(12.90 + 3.75 + 50.116 + 129.03, abs=0.01)
    assert set(frame.attrs["not_counted"]) == {world["doomed"], world["failed"]}

    # 21 December: restored, and so billed for the ten days it spent deleted.
    _move_to(pca, december + pd.Timedelta(days=20))
    pca.restore_certificate_authority(world["doomed"])
    rows = _by_name(pca.costs(certificates=False), world)
    assert rows.loc["doomed", "status"] == "DISABLED"
    assert rows.loc["doomed", "ca_cost_usd"] == pytest.approx(400.00, abs=CENT)
    assert rows["certificates_issued"].isna().all()

    # 11 January: the trial is over; a new leaf from the root.
    _move_to(pca, december + pd.Timedelta(days=41))
    pca.issue(world["root"], "january.example.com")
    inventory = pca.certificates(bucket=BUCKET)
    january = pca.costs(inventory=inventory)
    assert (january["month"] == december + pd.offsets.MonthBegin(1)).all()
    rows = _by_name(january, world)
    assert rows["ca_cost_usd"].round(2).to_dict() == {
        "root": 400.0, "short": 50.0, "doomed": 400.0, "failed": 0.0,
    }  # fmt: skip
    assert rows["certificates_issued"].to_dict() == {
        "root": 1, "short": 0, "doomed": 0, "failed": None,
    }  # fmt: skip
    assert january.attrs["total_usd"] == pytest.approx(850.75)
    # The CA frame's monthly_cost_usd is the same table's full-month price.
    listed = pca.list_certificate_authorities().set_index("arn")["monthly_cost_usd"]
    for arn, row in january.set_index("arn").iterrows():
        assert row["ca_cost_usd"] == pytest.approx(listed[arn], abs=CENT)

    # December again, seen from January, from the same inventory.
    rows = _by_name(pca.costs(f"{december:%Y-%m}", inventory=inventory), world)
    assert rows["ca_cost_usd"].round(2).to_dict() == {
        "root": 12.90, "short": 50.0, "doomed": 400.0, "failed": 0.0,
    }  # fmt: skip
    assert rows.loc["root", "certificates_issued"] == 5
    assert rows.loc["short", "certificates_issued"] == 2
    assert "current month" not in (rows.loc["root", "notes"] or "")


def test_certificates_false_writes_no_audit_report(pca, root):
    make_pca_bucket(pca, BUCKET)
    frame = pca.costs(certificates=False)
    assert len(frame) == 1
    assert frame.attrs["certificates_counted"] is False
    assert pca.s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0
    calls = set(pca.sandbox.events()["eventName"])
    assert "CreateCertificateAuthorityAuditReport" not in calls


def test_no_cas_cost_nothing(pca):
    frame = pca.costs()
    assert len(frame) == 0
    assert frame.attrs["total_usd"] == 0.0
    assert list(frame.columns) == [c.name for c in tables.COST_COLUMNS]
