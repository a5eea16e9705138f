"""pcanb.inventory(): CAs of several regions in one typed frame, failures in attrs["errors"]."""

from __future__ import annotations

import sys
import threading
import time

import pandas as pd
import pytest
from botocore.exceptions import ClientError

import pcanb
from pcanb import tables


def _names(columns):
    return [c.name for c in columns]


def _fail_region(pca, region: str, code: str = "AccessDeniedException") -> None:
    """Make every ListCertificateAuthorities of ``pca``'s boto3 session in ``region`` fail."""

    def deny(context, **_):
        if context.get("client_region") == region:
            error = {"Error": {"Code": code, "Message": f"not allowed in {region}"}}
            raise ClientError(error, "ListCertificateAuthorities")

    pca.session.events.register("before-call.acm-pca.ListCertificateAuthorities", deny)


@pytest.fixture
def two_regions(pca, root):
    """A root CA in us-east-1 (``root``) and one in eu-west-1, on one sandbox."""
    eu = pca.in_region("eu-west-1")
    return root, eu.create_root_ca(common_name="EU Root CA")


def test_cas_of_two_regions_come_back_in_one_frame_with_their_region(pca, two_regions):
    us_root, eu_root = two_regions
    frame = pcanb.inventory(regions=["us-east-1", "eu-west-1"], sandbox=pca.sandbox)
    assert list(frame.columns) == _names(tables.INVENTORY_COLUMNS)
    assert list(frame.columns[:3]) == ["arn", "account", "region"]
    by_arn = frame.set_index("arn")
    assert by_arn.loc[us_root.arn, "region"] == "us-east-1"
    assert by_arn.loc[eu_root.arn, "region"] == "eu-west-1"
    assert by_arn.loc[eu_root.arn, "common_name"] == "EU Root CA"
    assert set(frame["account"]) == {pca.sandbox.account}
    assert str(frame["region"].dtype) == "string"
    assert str(frame["not_after"].dtype) == "datetime64[us, UTC]"
    assert frame.attrs["errors"] == []
    twice = pd.concat([frame, frame])  # attrs hold plain records, so frames concatenate
    assert len(twice) == 2 * len(frame)


def test_a_pca_session_fans_out_over_regions_too(pca, two_regions):
    frame = pcanb.inventory(regions=["eu-west-1", "us-east-1"], session=pca)
    assert sorted(frame["region"]) == ["eu-west-1", "us-east-1"]


def test_default_is_the_sessions_region_only(pca, two_regions):
    us_root, _ = two_regions
    assert list(pcanb.inventory(session=pca)["arn"]) == [us_root.arn]
    eu_only = pcanb.inventory(session=pca.in_region("eu-west-1"))
    assert list(eu_only["region"]) == ["eu-west-1"]


def test_all_means_every_region_botocore_lists_for_acm_pca(pca, two_regions):
    listed = []
    pca.session.events.register(
        "before-call.acm-pca.ListCertificateAuthorities",
        lambda context, **_: listed.append(context["client_region"]),
    )
    fresh = pca.in_region(pca.region)  # clients made from now on see the handler
    frame = pcanb.inventory(regions="all", session=fresh, progress=False)
    assert sorted(listed) == sorted(pca.session.get_available_regions("acm-pca"))
    assert sorted(frame["region"]) == ["eu-west-1", "us-east-1"]


def test_a_region_that_fails_is_an_error_row_and_one_warning(pca, two_regions):
    us_root, _ = two_regions
    _fail_region(pca, "eu-west-1")
    with pytest.warns(UserWarning, match=r"2 of 3 targets .*attrs\['errors'\]") as caught:
        frame = pcanb.inventory(regions=["us-east-1", "eu-west-1", "bad region!"], session=pca)
    assert len(caught) == 1
    assert list(frame["arn"]) == [us_root.arn]
    errors = pd.DataFrame(frame.attrs["errors"]).set_index("region")
    assert errors.loc["eu-west-1", "error_code"] == "AccessDeniedException"
    assert errors.loc["eu-west-1", "message"] == "not allowed in eu-west-1"
    assert errors.loc["eu-west-1", "account"] == pca.sandbox.account
    assert errors.loc["bad region!", "error_code"] == "InvalidRegionError"


def test_every_target_failing_raises_a_pcanb_error_naming_them(pca):
    _fail_region(pca, "eu-west-1")
    with pytest.raises(pcanb.PcanbError, match="no region could be listed") as excinfo:
        pcanb.inventory(regions=["eu-west-1", "not a region"], session=pca)
    assert "AccessDeniedException" in str(excinfo.value)
    assert "InvalidRegionError" in str(excinfo.value)


def test_an_unknown_profile_is_reported_not_raised_from_boto3(monkeypatch, tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile known]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    with pytest.raises(pcanb.PcanbError, match="ProfileNotFound"):
        pcanb.inventory(regions=["us-east-1"], profiles=["no-such-profile"])


def test_no_cas_is_a_typed_empty_frame(pca):
    frame = pcanb.inventory(regions=["us-east-1", "ap-south-1"], sandbox=pca.sandbox)
    assert frame.empty
    assert list(frame.columns) == _names(tables.INVENTORY_COLUMNS)
    assert dict(frame.dtypes.astype(str))["crl_enabled"] == "boolean"
    assert dict(frame.dtypes.astype(str))["created_at"] == "datetime64[us, UTC]"


def test_deleted_cas_are_left_out_unless_asked_for(pca, two_regions):
    us_root, _ = two_regions
    pca.update_certificate_authority(us_root, status="DISABLED")
    pca.delete_certificate_authority(us_root, permanent_deletion_time_in_days=7)
    regions = ["us-east-1", "eu-west-1"]
    assert us_root.arn not in set(pcanb.inventory(regions, session=pca)["arn"])
    kept = pcanb.inventory(regions, session=pca, include_deleted=True).set_index("arn")
    assert kept.loc[us_root.arn, "status"] == "DELETED"


def test_max_workers_bounds_the_calls_in_flight(pca):
    lock, active, peak = threading.Lock(), [0], [0]

    def enter(**_):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.15)

    def leave(**_):
        with lock:
            active[0] -= 1

    pca.session.events.register("before-call.acm-pca.ListCertificateAuthorities", enter)
    pca.session.events.register("after-call.acm-pca.ListCertificateAuthorities", leave)
    regions = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1"]
    frame = pcanb.inventory(regions, session=pca, max_workers=2, progress=False)
    assert frame.empty and frame.attrs["errors"] == []
    assert peak[0] == 2
    with pytest.raises(pcanb.PcanbError, match="max_workers"):
        pcanb.inventory(session=pca, max_workers=0)


def test_progress_bar_when_asked(pca, capsys):
    pcanb.inventory(["us-east-1", "eu-west-1"], session=pca, progress=True)
    assert "ListCertificateAuthorities" in capsys.readouterr().err


def test_a_progress_bar_without_tqdm_says_what_to_install(pca, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # as if tqdm were not installed
    with pytest.raises(pcanb.PcanbError, match="pip install tqdm"):
        pcanb.inventory(["us-east-1", "eu-west-1"], session=pca, progress=True)
    frame = pcanb.inventory(["us-east-1", "eu-west-1"], session=pca)  # no bar asked: fine
    assert frame.attrs["errors"] == []


def test_sources_that_do_not_combine_are_refused(pca):
    with pytest.raises(pcanb.PcanbError, match="not both"):
        pcanb.inventory(sandbox=pca.sandbox, session=pca)
    with pytest.raises(pcanb.PcanbError, match="profiles="):
        pcanb.inventory(profiles=["audit"], sandbox=pca.sandbox)
    with pytest.raises(pcanb.PcanbError, match="no region to list"):
        pcanb.inventory(regions=[], session=pca)


def test_regions_of_the_wrong_kind_are_refused(pca):
    for bad in (42, [1], [None]):
        with pytest.raises(pcanb.PcanbError, match="regions must be"):
            pcanb.inventory(regions=bad, session=pca)
