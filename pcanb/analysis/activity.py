"""Issuance and revocation activity in an audit report: counts per period, reasons, lengths, bursts.

Every function takes the typed frame of :func:`pcanb.analysis.reports.read_audit_report` (or
``pca.audit_report`` / ``pca.certificates``) and returns a small frame with declared columns,
empty but typed when there is nothing to count. The same analyses exist as SQL in
:mod:`pcanb.analysis.athena` and give the same numbers.

>>> counts = activity(report, freq="week", by="template")
>>> counts.pivot_table(index="period", columns=["event", "group"], values="count")
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from pcanb.errors import PcanbError

#: The periods counts can be grouped by (the units of SQL ``date_trunc``; weeks start on Monday).
PERIODS = ("hour", "day", "week", "month")
#: The two events of a certificate's life an audit report records, and their time column.
EVENTS = {"issued": "issued_at", "revoked": "revoked_at"}
#: The group of every row when counts are not split (``by=None``).
ALL = "(all)"
#: The group of rows whose ``by`` column is empty.
NONE = "(none)"

ACTIVITY_COLUMNS = ("period", "event", "group", "count")
REASON_COLUMNS = ("revocation_reason", "count", "share")
VALIDITY_COLUMNS = ("validity", "min_days", "max_days", "count")
BURST_COLUMNS = ("period", "event", "group", "count", "mean", "std", "threshold", "ratio")
#: Upper bounds (days, inclusive) of the default validity-length bins; 398 days is the
#: CA/Browser Forum limit for public TLS certificates, 825 its former one.
VALIDITY_BINS = (1, 7, 31, 92, 398, 825, 1827, 3653)


def check_period(freq: str) -> str:
    """``freq`` if it is one of :data:`PERIODS`, else a PcanbError naming them."""
    if freq not in PERIODS:
        raise PcanbError(f"freq must be one of {', '.join(PERIODS)}, not {freq!r}")
    return freq


def truncate(times: pd.Series, freq: str) -> pd.Series:
    """Each timestamp floored to the start of its period (UTC; weeks start on Monday)."""
    check_period(freq)
    if times.dt.tz is None:
        times = times.dt.tz_localize("UTC")
    values = times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    cut = values.astype(
        {"hour": "datetime64[h]", "month": "datetime64[M]"}.get(freq, "datetime64[D]")
    )
    if freq == "week":  # 1970-01-01 was a Thursday: (days + 3) % 7 is the weekday, Monday = 0
        days = cut.astype("int64")
        cut = cut - ((days + 3) % 7).astype("timedelta64[D]")
    out = pd.Series(cut.astype("datetime64[us]"), index=times.index, name=times.name)
    return out.dt.tz_localize("UTC")


def periods_between(first: pd.Timestamp, last: pd.Timestamp, freq: str) -> int:
    """How many periods from the one starting at ``first`` to the one starting at ``last``."""
    if freq == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    step = {"hour": pd.Timedelta(hours=1), "day": pd.Timedelta(days=1)}.get(
        freq, pd.Timedelta(days=7)
    )
    return int((last - first) / step) + 1


def groups(report: pd.DataFrame, by: str | None) -> pd.Series:
    """The group label of each row: the ``by`` column as text, ``(none)`` when empty."""
    if by is None:
        return pd.Series(ALL, index=report.index, dtype="string")
    if by not in report.columns:
        raise PcanbError(
            f"cannot group by {by!r}: the frame has no such column "
            "(try template, ca_id, ca_arn, requested_by or revocation_reason)"
        )
    return report[by].astype("string").fillna(NONE)


def _empty(columns: tuple[str, ...], dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "string")) for c in columns})


_ACTIVITY_DTYPES = {"period": "datetime64[us, UTC]", "count": "int64"}


def activity(report: pd.DataFrame, freq: str = "week", by: str | None = None) -> pd.DataFrame:
    """Certificates issued and revoked per period, optionally split by a column.

    One row per (``period``, ``event``, ``group``) that has any certificate: ``event`` is
    ``"issued"`` (counted at ``issued_at``) or ``"revoked"`` (at ``revoked_at``); ``group`` is
    the value of ``by`` (``"template"``, ``"ca_id"``, ``"requested_by"``, any column), or
    ``"(all)"`` without it. ``freq`` is hour, day, week (from Monday) or month, in UTC.
    """
    check_period(freq)
    labels = groups(report, by)
    parts = []
    for event, column in EVENTS.items():
        times = report[column]
        present = times.notna()
        if not present.any():
            continue
        keyed = pd.DataFrame({"period": truncate(times[present], freq), "group": labels[present]})
        counts = keyed.groupby(["period", "group"], sort=False).size().rename("count")
        part = counts.reset_index()
        part.insert(1, "event", event)
        parts.append(part)
    if not parts:
        return _empty(ACTIVITY_COLUMNS, _ACTIVITY_DTYPES)
    out = pd.concat(parts, ignore_index=True)
    out = out.astype({"event": "string", "group": "string", "count": "int64"})
    out["period"] = out["period"].astype("datetime64[us, UTC]")
    return out.sort_values(["period", "event", "group"], ignore_index=True)[list(ACTIVITY_COLUMNS)]


def revocation_reasons(report: pd.DataFrame) -> pd.DataFrame:
    """Revoked certificates per reason, most frequent first, with each reason's share (0–1)."""
    revoked = report.loc[report["revoked_at"].notna(), "revocation_reason"]
    if revoked.empty:
        return _empty(REASON_COLUMNS, {"count": "int64", "share": "float64"})
    counts = revoked.astype("string").fillna(NONE).value_counts()
    out = counts.rename_axis("revocation_reason").rename("count").reset_index()
    out = out.sort_values(
        ["count", "revocation_reason"], ascending=[False, True], ignore_index=True
    )
    out["share"] = out["count"] / out["count"].sum()
    return out.astype({"revocation_reason": "string", "count": "int64"})


def validity_label(low: float, high: float) -> str:
    """A bin's label: ``≤ 398 days``, ``≤ 5 years``, ``> 10 years``."""

    def amount(days: float) -> str:
        years = days / 365.25
        if days >= 1827 and abs(years - round(years)) < 0.01:
            return f"{round(years)} years"
        return f"{days:g} day" + ("" if days == 1 else "s")

    return f"> {amount(low)}" if math.isinf(high) else f"≤ {amount(high)}"


def validity_bins(bins: tuple[float, ...] = VALIDITY_BINS) -> list[tuple[str, float, float]]:
    """``(label, min_days, max_days)`` for each bin: (min, max] in days, the last one open."""
    edges = [0.0, *(float(b) for b in bins), math.inf]
    if any(b <= a for a, b in itertools.pairwise(edges)):
        raise PcanbError("validity bins must be increasing upper bounds in days, e.g. (7, 31, 398)")
    return [(validity_label(lo, hi), lo, hi) for lo, hi in itertools.pairwise(edges)]


def validity_distribution(
    report: pd.DataFrame, bins: tuple[float, ...] = VALIDITY_BINS
) -> pd.DataFrame:
    """How many certificates have each validity length (notBefore → notAfter), every bin listed.

    A certificate falls in the bin whose ``min_days < validity_days <= max_days``; AWS backdates
    notBefore by an hour, so a 365-day certificate counts as 365.04 days (``≤ 398 days``).
    """
    spec = validity_bins(bins)
    days = report["validity_days"].dropna().to_numpy(dtype="float64")
    uppers = np.array([hi for _, _, hi in spec])
    index = np.searchsorted(uppers, days, side="left")
    counts = np.bincount(index, minlength=len(spec))[: len(spec)]
    columns = (
        pd.Series([label for label, _, _ in spec], dtype="string"),
        [lo for _, lo, _ in spec],
        [hi for _, _, hi in spec],
        counts.astype("int64"),
    )
    return pd.DataFrame(dict(zip(VALIDITY_COLUMNS, columns, strict=True)))


def burst_stats(counts: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Per event and group: the mean and standard deviation of the count over every period
    from the first to the last one with activity, quiet periods counting as zero."""
    rows = []
    for (event, group), part in counts.groupby(["event", "group"], sort=True):
        n = periods_between(part["period"].min(), part["period"].max(), freq)
        total = float(part["count"].sum())
        mean = total / n
        variance = float((part["count"].astype("float64") ** 2).sum()) / n - mean * mean
        rows.append((event, group, mean, math.sqrt(max(variance, 0.0))))
    return pd.DataFrame(rows, columns=["event", "group", "mean", "std"])


def bursts(
    report: pd.DataFrame,
    freq: str = "hour",
    *,
    event: str = "issued",
    by: str | None = None,
    sigma: float = 3.0,
    min_count: int = 10,
) -> pd.DataFrame:
    """Periods far above the usual rate: more than ``mean + sigma × std`` and at least ``min_count``.

    The mean and standard deviation are taken per group over every ``freq`` period from the
    first to the last with any ``event`` (quiet periods count as zero). ``ratio`` is the count
    over the mean: how many times the usual rate the period saw.
    """
    if event not in EVENTS:
        raise PcanbError(f"event must be one of {', '.join(EVENTS)}, not {event!r}")
    counts = activity(report, freq, by)
    counts = counts[counts["event"] == event]
    dtypes = {"period": "datetime64[us, UTC]", "count": "int64"}
    dtypes |= {c: "float64" for c in ("mean", "std", "threshold", "ratio")}
    if counts.empty:
        return _empty(BURST_COLUMNS, dtypes)
    stats = burst_stats(counts, freq)
    out = counts.merge(stats, on=["event", "group"])
    out["threshold"] = out["mean"] + sigma * out["std"]
    out["ratio"] = out["count"] / out["mean"]
    out = out[(out["count"] > out["threshold"]) & (out["count"] >= min_count)]
    out = out.sort_values(["period", "group"], ignore_index=True)[list(BURST_COLUMNS)]
    return out.astype(dtypes)
