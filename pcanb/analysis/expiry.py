"""Expiry: what expires within N days, per week, and certificates that outlive or crowd their CA.

The functions take any frame with a ``not_after`` column: an audit report, the certificate
inventory, a CA list (``pca.list_certificate_authorities()``) or ``pca.hierarchy()``. ``now``
defaults to the real clock; on a sandbox pass ``now=pca.now()`` so the sandbox clock counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from pcanb.analysis.activity import truncate
from pcanb.errors import PcanbError
from pcanb.tables import session_now

#: Days before notAfter that mark the warning bands (charts shade them, tables label them).
EXPIRY_BANDS = (30, 60, 90)
EXPIRY_WEEK_COLUMNS = ("week", "band", "count")


def as_utc(when: Any = None, frame: pd.DataFrame | None = None) -> pd.Timestamp:
    """A tz-aware UTC Timestamp from a datetime, a string or ``None``; naive means UTC.

    ``None`` is the time the session that made ``frame`` recorded on it
    (:data:`pcanb.tables.NOW_ATTR`: sandbox time offline), else the wall clock.
    """
    if when is None and frame is not None:
        when = session_now(frame)
    try:
        stamp = pd.Timestamp.now(tz="UTC") if when is None else pd.Timestamp(when)
    except (TypeError, ValueError):
        raise PcanbError(
            f"{when!r} is not a time: pass a datetime, a pandas Timestamp or an ISO 8601 string "
            "such as '2031-12-01T00:00Z'"
        ) from None
    if stamp is pd.NaT:
        raise PcanbError("a time is needed here, not NaT")
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert("UTC")


def _require(frame: pd.DataFrame, *columns: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise PcanbError(
            f"the frame has no {', '.join(missing)} column: pass an audit report, a certificate "
            "inventory or a CA frame"
        )


def days_to_expiry(frame: pd.DataFrame, now: datetime | str | None = None) -> pd.Series:
    """Days (fractional) from ``now`` to each row's ``not_after``; negative once expired.

    ``now`` defaults to the frame's session time (:func:`as_utc`)."""
    _require(frame, "not_after")
    return (frame["not_after"] - as_utc(now, frame)).dt.total_seconds() / 86400


def band_labels(bands: tuple[int, ...] = EXPIRY_BANDS) -> list[str]:
    """The band names in order: ``expired``, ``≤ 30 days``, …, ``> 90 days``."""
    return ["expired", *(f"≤ {b} days" for b in bands), f"> {bands[-1]} days"]


def expiry_band(days: pd.Series, bands: tuple[int, ...] = EXPIRY_BANDS) -> pd.Series:
    """Each value of ``days_to_expiry`` as its band (an ordered categorical)."""
    labels = band_labels(bands)
    edges = [-float("inf"), 0.0, *(float(b) for b in bands), float("inf")]
    return pd.cut(days, edges, labels=labels, right=False, ordered=True)


def _live(frame: pd.DataFrame, include_revoked: bool) -> pd.DataFrame:
    if include_revoked or "revoked" not in frame.columns:
        return frame
    return frame[~frame["revoked"].fillna(False).astype(bool)]


def expiring(
    frame: pd.DataFrame,
    within_days: float = 30,
    *,
    now: datetime | str | None = None,
    include_revoked: bool = False,
) -> pd.DataFrame:
    """The rows that expire between ``now`` and ``now + within_days``, soonest first.

    Adds (or refreshes) ``days_to_expiry``. Revoked certificates are left out unless
    ``include_revoked=True``; rows already expired are never listed.
    """
    live = _live(frame, include_revoked)
    days = days_to_expiry(live, as_utc(now, frame))
    out = live.assign(days_to_expiry=days)
    out = out[(days >= 0) & (days < within_days)]
    return out.sort_values("not_after", kind="stable")


def expiry_by_week(
    frame: pd.DataFrame,
    *,
    now: datetime | str | None = None,
    bands: tuple[int, ...] = EXPIRY_BANDS,
    include_revoked: bool = False,
) -> pd.DataFrame:
    """How many certificates expire each week (weeks start on Monday, UTC), split by band.

    A week that straddles a band edge has one row per band, so the rows stack in a chart.
    """
    live = _live(frame, include_revoked)
    live = live[live["not_after"].notna()] if "not_after" in live.columns else live
    days = days_to_expiry(live, as_utc(now, frame))
    keyed = pd.DataFrame(
        {"week": truncate(live["not_after"], "week"), "band": expiry_band(days, bands)}
    )
    counts = keyed.groupby(["week", "band"], observed=True, sort=True).size()
    out = counts.rename("count").reset_index()
    out["week"] = out["week"].astype("datetime64[us, UTC]")
    out["band"] = out["band"].astype(pd.CategoricalDtype(band_labels(bands), ordered=True))
    return out.astype({"count": "int64"})[list(EXPIRY_WEEK_COLUMNS)]


def ca_expiry(cas: pd.DataFrame) -> pd.Series:
    """CA notAfter by CA ARN, from a CA frame or ``pca.hierarchy()`` (external CAs dropped)."""
    _require(cas, "arn", "not_after")
    known = cas[cas["arn"].notna() & cas["not_after"].notna()]
    return known.drop_duplicates("arn").set_index("arn")["not_after"].rename("ca_not_after")


def is_ca_certificate(report: pd.DataFrame) -> pd.Series:
    """True for rows issued with a CA template (``RootCACertificate``, ``SubordinateCACertificate_*``)."""
    _require(report, "template_arn")
    return (
        report["template_arn"]
        .astype("string")
        .str.contains("CACertificate", regex=False)
        .fillna(False)
    )


def _with_ca(report: pd.DataFrame, cas: pd.DataFrame, include_revoked: bool) -> pd.DataFrame:
    _require(report, "ca_arn", "not_after")
    live = _live(report, include_revoked)
    ca_not_after = live["ca_arn"].map(ca_expiry(cas))
    return live.assign(ca_not_after=ca_not_after.astype(live["not_after"].dtype))


def outliving_ca(
    report: pd.DataFrame, cas: pd.DataFrame, *, include_revoked: bool = False
) -> pd.DataFrame:
    """Certificates still valid after their CA expires (their chain breaks first).

    ``cas`` is ``pca.list_certificate_authorities()`` or ``pca.hierarchy()``. Adds
    ``ca_not_after`` and ``days_beyond_ca``; latest first.
    """
    out = _with_ca(report, cas, include_revoked)
    beyond = (out["not_after"] - out["ca_not_after"]).dt.total_seconds() / 86400
    out = out.assign(days_beyond_ca=beyond)
    return out[beyond > 0].sort_values("days_beyond_ca", ascending=False, kind="stable")


def near_ca_expiry(
    report: pd.DataFrame,
    cas: pd.DataFrame,
    within_days: float = 30,
    *,
    include_revoked: bool = False,
) -> pd.DataFrame:
    """Leaf certificates whose notAfter falls within ``within_days`` before their CA's notAfter.

    They were cut short by (or issued just before) the CA's end: a sign the CA needs renewing
    before anything else is issued. CA certificates (issued with a CA template) are left out.
    Adds ``ca_not_after`` and ``days_before_ca_expiry``, closest to the CA's end first.
    """
    out = _with_ca(report, cas, include_revoked)
    out = out[~is_ca_certificate(out)]
    before = (out["ca_not_after"] - out["not_after"]).dt.total_seconds() / 86400
    out = out.assign(days_before_ca_expiry=before)
    keep = (before >= 0) & (before <= within_days)
    return out[keep].sort_values("days_before_ca_expiry", kind="stable")
