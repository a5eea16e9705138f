"""Charts of audit reports, expiry and the CA hierarchy, drawn with matplotlib alone.

Every chart takes ``ax=None`` (a new figure when omitted), returns what it drew (the Axes, or
the Figure for multi-panel charts) and never calls ``plt.show()``. Text is drawn as written: a
``$`` in a CA name, a template or a title is a dollar sign, never matplotlib mathtext. matplotlib is imported
inside the functions, so importing this module costs nothing until a chart is drawn.
Reached as ``pcanb.charts`` and, on frames, as ``report.pca.timeline()`` / ``frame.pca.expiry()``.

>>> pcanb.charts.audit_timeline(report, by="template", marks={"incident": "2026-03-01T09:00Z"})
>>> pcanb.charts.expiry(pca.certificates(), now=pca.now())
>>> pcanb.charts.hierarchy(pca)
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from pcanb.analysis.activity import ALL, activity, check_period
from pcanb.analysis.expiry import (
    EXPIRY_BANDS,
    as_utc,
    band_labels,
    expiry_band,
    expiry_by_week,
)
from pcanb.errors import PcanbError

_MISSING_MATPLOTLIB = (
    "pcanb's charts need matplotlib: pip install 'pcanb[notebook]' (or matplotlib alone)"
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_F = TypeVar("_F", bound=Callable[..., Any])

#: Okabe–Ito colours (readable by colour-blind people), for groups such as templates or CAs.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
OTHER_COLOR = "#BBBBBB"
#: Revocation reasons keep one colour everywhere (reds for compromise, browns and greys else).
REASON_COLORS = {
    "KEY_COMPROMISE": "#B2182B",
    "CERTIFICATE_AUTHORITY_COMPROMISE": "#67001F",
    "A_A_COMPROMISE": "#D6604D",
    "SUPERSEDED": "#8C6D31",
    "CESSATION_OF_OPERATION": "#BD9E39",
    "AFFILIATION_CHANGED": "#E7BA52",
    "PRIVILEGE_WITHDRAWN": "#7B4173",
    "UNSPECIFIED": "#636363",
}
#: Colours of the expiry bands, from expired (grey) through 30/60/90 days to later (blue).
BAND_COLORS = ("#8C8C8C", "#D62728", "#FF7F0E", "#F2C12E", "#4C78A8")
STATUS_COLORS = {
    "ACTIVE": "#DDF1E4",
    "DISABLED": "#E4E4E4",
    "PENDING_CERTIFICATE": "#FFF1C9",
    "CREATING": "#FFF1C9",
    "EXPIRED": "#F6D5D7",
    "FAILED": "#F6D5D7",
    "DELETED": "#EDEDED",
    "EXTERNAL": "#FFFFFF",
}
NOW_COLOR = "#222222"
MARK_COLOR = "#B2182B"
_PERIOD_DAYS = {"hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 30.0}


def _draws(function: _F) -> _F:
    """A chart function: without matplotlib it says what to install. This module itself imports
    without matplotlib (the ``.pca`` accessor and the analyses need only pandas)."""

    @functools.wraps(function)
    def chart(*args: Any, **kwargs: Any) -> Any:
        try:  # found, not imported: matplotlib loads when the chart is drawn
            found = importlib.util.find_spec("matplotlib") is not None
        except ValueError:  # a module set to None in sys.modules, as when it cannot be imported
            found = False
        if not found:
            raise ModuleNotFoundError(_MISSING_MATPLOTLIB, name="matplotlib")
        given = kwargs.get("ax")
        before = _texts_in(given)
        drawn = function(*args, **kwargs)
        _literal(drawn if given is None else given, before)
        return drawn

    return chart  # type: ignore[return-value]


def _axes_list(target: Any) -> list[Any]:
    """The Axes of ``ax=``: one Axes, or a sequence of them (``expiry``)."""
    if target is None:
        return []
    return [target] if hasattr(target, "texts") else list(target)


def _texts_in(target: Any) -> set[Any]:
    """The texts a caller put on the Axes before the chart drew there: left as they are."""
    return {text for axes in _axes_list(target) for text in axes.texts}


def _literal(target: Any, keep: set[Any]) -> None:
    """Draw every text of the chart as written, ``$`` included: names, subjects, templates and
    titles come from certificates, and mathtext would misdraw them (``$x^2$``) or fail to parse
    them (``$\\frac{$``). Titles, tick labels, legend entries and annotations alike."""
    from matplotlib.text import Text

    for artist in [target] if hasattr(target, "findobj") else _axes_list(target):
        for text in artist.findobj(Text):
            if text not in keep:
                text.set_parse_math(False)


# -- shared helpers -------------------------------------------------------------------------------


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def _style(ax: Axes, grid_axis: str = "y") -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis=grid_axis, color="#DDDDDD", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=8)


def _dates(ax: Axes, axis: str = "x") -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=9)
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(locator)
    target.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _num(times: Any) -> np.ndarray:
    """Matplotlib date numbers (days since 1970) from tz-aware timestamps."""
    import matplotlib.dates as mdates

    values = pd.to_datetime(pd.Series(times), utc=True).dt.tz_convert(None)
    return np.asarray(mdates.date2num(values.to_numpy(dtype="datetime64[us]")), dtype=float)


def _now_line(ax: Axes, now: pd.Timestamp) -> None:
    (x,) = _num([now])
    ax.axvline(x, color=NOW_COLOR, linewidth=1.4, linestyle="-", zorder=5, label="_now")
    ax.annotate(
        "now", (x, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -2),
        textcoords="offset points", va="top", fontsize=8, color=NOW_COLOR, weight="bold",
    )  # fmt: skip


def _bands(ax: Axes, now: pd.Timestamp, bands: Sequence[int]) -> None:
    """Shade now → 30, 30 → 60, 60 → 90 days in the band colours."""
    (start,) = _num([now])
    previous = 0
    for days, color in zip(bands, BAND_COLORS[1:], strict=False):
        ax.axvspan(start + previous, start + days, color=color, alpha=0.12, linewidth=0, zorder=0)
        previous = days


def _label(value: Any, width: int = 34) -> str:
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


_LABEL_COLUMNS = ("common_name", "ca_id", "serial_hex", "arn", "certificate_arn")


def _row_labels(frame: pd.DataFrame) -> pd.Series:
    """A readable name for each row: common name, else CA id, else serial, else ARN tail."""
    names = pd.Series(pd.NA, index=frame.index, dtype="string")
    for column in _LABEL_COLUMNS:
        if column in frame.columns:
            values = frame[column].astype("string")
            if column in ("arn", "certificate_arn"):
                values = values.str.rsplit("/", n=1).str[-1]
            names = names.fillna(values)
    return names.fillna("?")


# -- audit timeline -------------------------------------------------------------------------------


def auto_freq(first: pd.Timestamp, last: pd.Timestamp) -> str:
    """The period that gives a readable number of bars for a time span."""
    span = last - first
    if span <= pd.Timedelta(days=3):
        return "hour"
    if span <= pd.Timedelta(days=120):
        return "day"
    if span <= pd.Timedelta(days=3 * 365):
        return "week"
    return "month"


def _counts(
    source: Any, freq: str | None, by: str | None
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(issued counts by ``by``, revoked counts by reason, freq) from a frame or AuditReports."""
    if isinstance(source, pd.DataFrame):
        times = pd.concat([source["issued_at"], source["revoked_at"]]).dropna()

        def count(f: str, b: str | None) -> pd.DataFrame:
            return activity(source, f, b)
    elif hasattr(source, "activity"):  # pcanb.analysis.datasets.AuditReports: counted out of core
        daily = source.activity("day")
        times = daily["period"]

        def count(f: str, b: str | None) -> pd.DataFrame:
            return source.activity(f, b)
    else:
        raise PcanbError("audit_timeline takes an audit-report frame or read_audit_reports(...)")
    if freq is None:
        freq = auto_freq(times.min(), times.max()) if len(times) else "day"
    check_period(freq)
    issued = count(freq, by)
    revoked = count(freq, "revocation_reason")
    return issued[issued["event"] == "issued"], revoked[revoked["event"] == "revoked"], freq


def _wide(counts: pd.DataFrame, top: int) -> pd.DataFrame:
    """period × group counts, the ``top`` largest groups kept and the rest summed as ``other``."""
    wide = counts.pivot_table(index="period", columns="group", values="count", aggfunc="sum")
    wide = wide.fillna(0)
    order = wide.sum().sort_values(ascending=False, kind="stable").index  # ties: by name
    wide = wide[order]
    if wide.shape[1] > top:
        kept = wide.iloc[:, : top - 1].copy()
        kept["other"] = wide.iloc[:, top - 1 :].sum(axis=1)
        wide = kept
    return wide


def _stack(
    ax: Axes, wide: pd.DataFrame, width: float, colors: Sequence[str], sign: int, prefix: str
) -> None:
    x = _num(wide.index)
    bottom = np.zeros(len(wide))
    for (group, values), color in zip(wide.items(), colors, strict=True):
        heights = sign * values.to_numpy(dtype=float)
        drawn = heights != 0  # one rectangle per non-empty cell: fast, and countable
        ax.bar(
            x[drawn], heights[drawn], width=width, bottom=bottom[drawn], color=color,
            label=_label(f"{prefix}{group}", 40), align="edge", linewidth=0,
        )  # fmt: skip
        bottom = bottom + heights


def _marks(ax: Axes, marks: Mapping[str, Any] | Sequence[Any] | None) -> None:
    if marks is None:
        return
    items = marks.items() if isinstance(marks, Mapping) else ((None, m) for m in marks)
    for label, when in items:
        (x,) = _num([as_utc(when)])
        ax.axvline(x, color=MARK_COLOR, linestyle="--", linewidth=1.2, zorder=6, label="_mark")
        if label:
            ax.annotate(
                str(label), (x, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -2),
                textcoords="offset points", va="top", fontsize=8, color=MARK_COLOR,
            )  # fmt: skip


@_draws
def audit_timeline(
    report: Any,
    *,
    by: str | None = "template",
    freq: str | None = None,
    top: int = 6,
    marks: Mapping[str, Any] | Sequence[Any] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Certificates issued (above the axis, stacked by ``by``) and revoked (below, by reason).

    ``report`` is an audit-report frame, or ``pcanb.read_audit_reports(...)`` (counted without
    loading the rows). ``by`` is ``template``, ``ca_id``, ``requested_by``… or ``None``; the
    ``top`` largest groups keep their colour, the rest is ``other``. ``freq`` (hour, day, week,
    month) defaults to one that suits the time span. ``marks`` draws dashed reference lines:
    ``{"incident": "2026-03-01T09:00Z"}`` or a list of times. Returns the Axes.
    """
    if top < 1:
        raise PcanbError("top must be at least 1")
    issued, revoked, freq = _counts(report, freq, by)
    ax = _new_axes(ax, (10, 4.2))
    if issued.empty and revoked.empty:
        _empty_timeline(ax, freq, by, marks, title)
        return ax
    width = _PERIOD_DAYS[freq] * 0.85
    if not issued.empty:
        wide = _wide(issued, top)
        colors = [
            OTHER_COLOR if g == "other" else PALETTE[i % len(PALETTE)]
            for i, g in enumerate(wide.columns)
        ]
        prefix = "issued" if by is None else ""
        _stack(ax, wide.rename(columns={ALL: ""}), width, colors, +1, prefix)
    if not revoked.empty:
        wide = _wide(revoked, len(REASON_COLORS) + 1)
        colors = [REASON_COLORS.get(str(g), OTHER_COLOR) for g in wide.columns]
        _stack(ax, wide, width, colors, -1, "revoked: ")
    ax.axhline(0, color="#444444", linewidth=0.8)
    _marks(ax, marks)
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{abs(v):,.0f}"))
    low, high = ax.get_ylim()
    if not revoked.empty or not issued.empty:  # keep room below 0 so "revoked" reads as such
        ax.set_ylim(min(low, -0.08 * high), max(high, 1))
    _style(ax)
    _dates(ax)
    ax.set_ylabel(f"certificates per {freq}", fontsize=9)
    for text, offset, va in (("▲ issued", 1, "bottom"), ("▼ revoked", -1, "top")):
        ax.annotate(
            text, (1.0, 0), xycoords=("axes fraction", "data"), xytext=(4, offset),
            textcoords="offset points", ha="left", va=va, fontsize=8, color="#444444",
        )  # fmt: skip
    ax.set_title(_timeline_title(freq, by) if title is None else title, fontsize=11, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    return ax


def _timeline_title(freq: str, by: str | None) -> str:
    split = f", by {by.replace('_', ' ')}" if by else ""
    return f"Certificates issued and revoked per {freq}{split}"


def _empty_timeline(
    ax: Axes,
    freq: str,
    by: str | None,
    marks: Mapping[str, Any] | Sequence[Any] | None,
    title: str | None,
) -> None:
    """A report with no issuance or revocation: says so, with no time axis to misread (an
    empty axis would start at 1970); the ``marks`` asked for, if any, keep theirs."""
    _marks(ax, marks)
    _style(ax)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    if marks:
        xs = [line.get_xdata()[0] for line in ax.get_lines()]
        ax.set_xlim(min(xs) - _PERIOD_DAYS[freq], max(xs) + _PERIOD_DAYS[freq])
        _dates(ax)
    else:
        ax.set_xticks([])
    ax.set_title(_timeline_title(freq, by) if title is None else title, fontsize=11, loc="left")
    _message(ax, "no certificates issued or revoked in this report")


# -- expiry ---------------------------------------------------------------------------------------


def _validity_rows(frame: pd.DataFrame, include_revoked: bool) -> pd.DataFrame:
    for column in ("not_before", "not_after"):
        if column not in frame.columns:
            raise PcanbError(f"the frame has no {column} column: pass certificates or CAs")
    needed = ["not_before", "not_after", "revoked", *_LABEL_COLUMNS]
    frame = frame[[c for c in needed if c in frame.columns]]  # filter narrow: reports are wide
    keep = frame["not_before"].notna() & frame["not_after"].notna()
    if not include_revoked and "revoked" in frame.columns:
        keep &= ~frame["revoked"].fillna(False).astype(bool)
    return frame[keep]


#: Expiry buckets for crowded validity charts: pandas period, approximate days, label format.
_BUCKETS = (
    ("W", 7, "week of %d %b %Y"),
    ("M", 30.4, "%b %Y"),
    ("Q", 91.3, "Q{q} %Y"),
    ("Y", 365.25, "%Y"),
)


def _bucket_label(start: pd.Timestamp, fmt: str) -> str:
    return start.strftime(fmt.replace("{q}", str((start.month - 1) // 3 + 1)))


def _validity_bars(
    frame: pd.DataFrame,
    now: pd.Timestamp,
    max_bars: int,
    bands: tuple[int, ...],
    include_revoked: bool,
) -> pd.DataFrame:
    """What the validity chart draws, one row per bar, in drawing order (top first).

    Columns: label, band, count, start, end (the thick bar), low, high (the thin whisker),
    as matplotlib date numbers; ``attrs["grouped_by"]`` names the expiry bucket, if any.
    """
    rows = _validity_rows(frame, include_revoked)
    start, end = _num(rows["not_before"]), _num(rows["not_after"])
    band = expiry_band(pd.Series((end - _num([now])[0]), index=rows.index), bands)
    if len(rows) <= max_bars:
        order = np.argsort(end, kind="stable")
        bars = pd.DataFrame({
            "label": [_label(n) for n in _row_labels(rows).to_numpy()[order]],
            "band": band.to_numpy()[order], "count": 1,
            "start": start[order], "end": end[order], "low": start[order], "high": end[order],
        })  # fmt: skip
        bars.attrs["grouped_by"] = None
        return bars
    naive = rows["not_after"].dt.tz_convert(None)
    span_days = (end.max() - end.min()) if len(end) else 0.0
    room = max(max_bars - len(bands) - 1, 1)  # a bucket across a band edge is split in two
    period, _, fmt = next((b for b in _BUCKETS if span_days / b[1] <= room), _BUCKETS[-1])
    bucket = naive.dt.to_period(period).dt.start_time.to_numpy()
    keyed = pd.DataFrame({"bucket": bucket, "band": band.array, "start": start, "end": end})
    grouped = keyed.groupby(["bucket", "band"], observed=True, sort=True)
    bars = grouped.agg(
        count=("end", "size"), start=("start", "median"), end=("end", "median"),
        low=("start", "min"), high=("end", "max"),
    ).reset_index()  # fmt: skip
    split = bars.groupby("bucket")["band"].transform("size") > 1
    labels = [_bucket_label(pd.Timestamp(b), fmt) for b in bars["bucket"]]
    bars["label"] = [
        f"{lb} · {bd}" if s else lb for lb, bd, s in zip(labels, bars["band"], split, strict=True)
    ]
    bars.attrs["grouped_by"] = {"W": "week", "M": "month", "Q": "quarter", "Y": "year"}[period]
    return bars[["label", "band", "count", "start", "end", "low", "high"]]


def time_window(first: float, last: float, now: pd.Timestamp) -> tuple[float, float]:
    """The x range (date numbers) of the expiry charts: from the first date (at least 30 days
    before now) to the last one, but no further than a year after now or twice the history
    shown, so that now and the 30/60/90-day bands stay legible next to 10-year certificates."""
    (now_x,) = _num([now])
    if not (np.isfinite(first) and np.isfinite(last)):
        return now_x - 30, now_x + 365
    left = min(first, now_x - 30)
    right = min(max(last, now_x + 100), now_x + max(365.0, 2 * (now_x - left)))
    span = right - left
    return left - 0.01 * span, right + 0.05 * span  # room at the right for the labels


#: The light box under a dark label that may straddle a bar's end.
_LABEL_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.85, "linewidth": 0}


def _draw_validity(
    ax: Axes,
    bars: pd.DataFrame,
    now: pd.Timestamp,
    bands: tuple[int, ...],
    total: int,
    title: str | None,
    window: tuple[float, float] | None = None,
) -> None:
    from matplotlib.patches import Patch

    left, right = window or time_window(bars["low"].min(), bars["high"].max(), now)
    ax.set_xlim(left, right)

    colors = dict(zip(band_labels(bands), BAND_COLORS, strict=False))
    y = np.arange(len(bars))
    bar_colors = [colors.get(str(b), OTHER_COLOR) for b in bars["band"]]
    grouped_by = bars.attrs.get("grouped_by")
    if grouped_by:
        ax.hlines(y, bars["low"], bars["high"], colors=bar_colors, linewidth=1.2, zorder=2)
    widths = np.maximum(bars["end"] - bars["start"], 0.004 * (right - left))  # a 1-day bar shows
    ax.barh(y, widths, left=bars["start"], height=0.68, color=bar_colors, linewidth=0, zorder=3)
    ax.set_yticks(y, list(bars["label"]), fontsize=8 if len(bars) <= 25 else 7)
    ax.set_ylim(len(bars) - 0.4, -0.6)
    (now_x,) = _num([now])
    for yi, row in zip(y, bars.itertuples(index=False), strict=True):
        if grouped_by:
            note = f"{row.count:,}"
        else:
            days = row.high - now_x
            note = "expired" if days < 0 else f"{int(days):,} d"
        if row.high > right:  # runs past the window: say so at its edge
            # White on the bar when the bar itself reaches the edge; else the label lies on
            # the whisker (or across the bar's end): dark, on a light box, readable on both.
            on_bar = row.end >= right
            ax.annotate(
                f"{note} →",
                (right, yi),
                xytext=(-3, 0),
                textcoords="offset points",
                ha="right",
                va="center",
                fontsize=7,
                color="white" if on_bar else "#222222",
                weight="bold",
                zorder=6,
                bbox=None if on_bar else _LABEL_BOX,
            )
        else:
            ax.annotate(
                note,
                (row.high, yi),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
                color="#333333",
                zorder=6,
            )
    _bands(ax, now, bands)
    _now_line(ax, now)
    _style(ax, grid_axis="x")
    _dates(ax)
    present = [label for label in band_labels(bands) if label in set(bars["band"].astype(str))]
    if present:
        ax.legend(
            handles=[Patch(color=colors[label], label=label) for label in present],
            title="expires", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
            fontsize=8, title_fontsize=8,
        )  # fmt: skip
    if title is None:
        plural = "s" if total != 1 else ""
        title = f"Validity of {total:,} certificate{plural}"
        if grouped_by:
            title += f", grouped by expiry {grouped_by}"
    ax.set_title(title, fontsize=11, loc="left")
    if grouped_by:  # how to read a group, in a second legend below the first
        from matplotlib.lines import Line2D

        first = ax.get_legend()
        ax.legend(
            handles=[
                Patch(color="#777777", label="median notBefore\n→ median notAfter"),
                Line2D([], [], color="#777777", linewidth=1.2, label="earliest notBefore\n→ latest notAfter"),
                Line2D([], [], linestyle="none", marker="$n$", color="#333333", label="certificates"),
            ],
            title="each group", loc="lower left", bbox_to_anchor=(1.01, 0.0), frameon=False,
            fontsize=7, title_fontsize=8,
        )  # fmt: skip
        if first is not None:
            ax.add_artist(first)
    if not total:
        _nothing(ax, "no certificates to show")


def _validity_height(bars: int) -> float:
    return max(2.4, min(0.27 * bars + 1.3, 11.0))


@_draws
def validity(
    frame: pd.DataFrame,
    *,
    now: datetime | str | None = None,
    max_bars: int = 40,
    bands: Sequence[int] = EXPIRY_BANDS,
    include_revoked: bool = False,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """One bar per certificate (or CA) from notBefore to notAfter, with a now line and bands.

    Bars are coloured by how soon they expire (expired, ≤ 30, ≤ 60, ≤ 90 days, later) and
    sorted by notAfter; the days left are written at their end. With more than ``max_bars``
    rows, certificates are grouped by when they expire (week, month, quarter or year: the finest
    that keeps to ``max_bars``, a bucket split where it crosses a band): a thick bar from the
    group's median notBefore to its median notAfter, a thin line over its full range, and the
    count. ``now`` defaults to the time the session recorded on the frame
    (``tables.NOW_ATTR``), else the real clock.
    """
    moment, bands = as_utc(now, frame), tuple(bands)
    bars = _validity_bars(frame, moment, max_bars, bands, include_revoked)
    ax = _new_axes(ax, (10, _validity_height(len(bars))))
    total = int(bars["count"].sum())
    _draw_validity(ax, bars, moment, bands, total, title)
    return ax


@_draws
def expiry_histogram(
    frame: pd.DataFrame,
    *,
    now: datetime | str | None = None,
    bands: Sequence[int] = EXPIRY_BANDS,
    include_revoked: bool = False,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Certificates expiring per week (Monday to Sunday, UTC), coloured by band, with a now line.

    The time axis stops a year after now (or at twice the history shown); how many
    certificates expire later is written at the right edge.
    """
    return _histogram(frame, as_utc(now, frame), tuple(bands), include_revoked, title, ax, None)


def _histogram(
    frame: pd.DataFrame,
    moment: pd.Timestamp,
    bands: tuple[int, ...],
    include_revoked: bool,
    title: str | None,
    ax: Axes | None,
    window: tuple[float, float] | None,
) -> Axes:
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    rows = _validity_rows(frame, include_revoked)
    weekly = expiry_by_week(rows, now=moment, bands=bands, include_revoked=True)
    colors = dict(zip(band_labels(bands), BAND_COLORS, strict=False))
    ax = _new_axes(ax, (10, 3.2))
    weeks = _num(weekly["week"]) if len(weekly) else np.array([])
    left, right = window or time_window(
        weeks.min() if len(weeks) else np.nan, weeks.max() + 7 if len(weeks) else np.nan, moment
    )
    ax.set_xlim(left, right)
    present: list[str] = []
    if not weekly.empty:
        wide = weekly.pivot_table(
            index="week", columns="band", values="count", aggfunc="sum", observed=True
        )
        present = [b for b in band_labels(bands) if b in wide.columns]
        wide = wide.reindex(columns=present).fillna(0)
        _stack(ax, wide, 7 * 0.85, [colors[b] for b in present], +1, "")
        later = int(weekly.loc[weeks > right, "count"].sum())
        if later:
            ax.annotate(
                f"{later:,} more expire later →", (1.0, 1.0), xycoords="axes fraction",
                xytext=(-3, -3), textcoords="offset points", ha="right", va="top", fontsize=8,
                color="#333333",
            )  # fmt: skip
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _bands(ax, moment, bands)
    _now_line(ax, moment)
    _style(ax)
    _dates(ax)
    ax.set_ylabel("certificates per week", fontsize=9)
    if present:
        ax.legend(
            handles=[Patch(color=colors[b], label=b) for b in present], title="expires",
            loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8,
            title_fontsize=8,
        )  # fmt: skip
    ax.set_title(title or "Certificates expiring per week", fontsize=11, loc="left")
    if weekly.empty:  # under the validity chart, that one says it
        _nothing(ax, None if window else "no certificates to show")
    return ax


def _nothing(ax: Axes, text: str | None) -> None:
    """An empty expiry chart: no count axis, and ``text`` in the middle."""
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    if text:
        _message(ax, text)


def _message(ax: Axes, text: str) -> None:
    """``text`` in the middle of an empty chart, on white over any line drawn there."""
    ax.text(
        0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=10,
        color="#444444", zorder=7, bbox={"facecolor": "white", "linewidth": 0, "pad": 4},
    )  # fmt: skip


@_draws
def expiry(
    frame: pd.DataFrame,
    *,
    now: datetime | str | None = None,
    max_bars: int = 40,
    bands: Sequence[int] = EXPIRY_BANDS,
    include_revoked: bool = False,
    ax: Sequence[Axes] | None = None,
) -> Figure:
    """The validity chart above the weekly expiry histogram, on one time axis; returns the Figure.

    ``ax`` is ``None`` (a new figure) or two Axes to draw in (validity, histogram). The
    panels are :func:`validity` and :func:`expiry_histogram`, which can be drawn alone; the
    histogram shares the validity chart's legend.
    """
    moment, bands = as_utc(now, frame), tuple(bands)
    bars = _validity_bars(frame, moment, max_bars, bands, include_revoked)
    if ax is None:
        import matplotlib.pyplot as plt

        top = _validity_height(len(bars))
        fig, (upper, lower) = plt.subplots(
            2, 1, figsize=(10, top + 2.6), sharex=True, layout="constrained",
            gridspec_kw={"height_ratios": [top, 2.6]},
        )  # fmt: skip
    else:
        if len(ax) != 2:
            raise PcanbError("expiry(ax=...) takes two Axes: (validity, histogram)")
        upper, lower = ax
        fig = upper.figure
    window = time_window(bars["low"].min(), bars["high"].max(), moment)
    _draw_validity(upper, bars, moment, bands, int(bars["count"].sum()), None, window)
    _histogram(frame, moment, bands, include_revoked, None, lower, window)
    legend = lower.get_legend()
    if legend is not None and upper.get_legend() is not None:
        legend.remove()
    return fig


# -- hierarchy ------------------------------------------------------------------------------------

_MODES = {"GENERAL_PURPOSE": "general purpose", "SHORT_LIVED_CERTIFICATE": "short-lived"}


def _tree_layout(frame: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """x, y of each node: leaves one slot apart in tree order, parents above their children."""
    ids = list(frame["ca_id"])
    parents = dict(zip(frame["ca_id"], frame["parent_ca_id"], strict=True))
    children: dict[str, list[str]] = {}
    for node in ids:
        parent = parents[node]
        if isinstance(parent, str) and parent in parents:
            children.setdefault(parent, []).append(node)
    tops = [n for n in ids if not (isinstance(parents[n], str) and parents[n] in parents)]
    place: dict[str, tuple[float, float]] = {}
    slot = 0.0

    def visit(node: str, depth: int) -> float:
        nonlocal slot
        kids = children.get(node, [])
        if not kids:
            x = slot
            slot += 1.0
        else:
            xs = [visit(kid, depth + 1) for kid in kids]
            x = (min(xs) + max(xs)) / 2
        place[node] = (x, -float(depth))
        return x

    for top in tops:
        visit(top, 0)
    return place


def _node_text(row: Mapping[str, Any], now: pd.Timestamp) -> str:
    name = _label(row.get("common_name") or row.get("ca_id"), 28)
    if row.get("external"):
        lines = [name, "external CA"]
    else:
        mode = _MODES.get(str(row.get("usage_mode")), str(row.get("usage_mode") or ""))
        lines = [name, f"{row.get('status')} · {mode}" if mode else str(row.get("status"))]
    if row.get("key_algorithm") and not pd.isna(row.get("key_algorithm")):
        lines.append(str(row["key_algorithm"]))
    not_after = row.get("not_after")
    if not_after is not None and not pd.isna(not_after):
        days = (pd.Timestamp(not_after) - now).total_seconds() / 86400
        when = f"{int(days):,} d" if days >= 0 else "expired"
        lines.append(f"expires {pd.Timestamp(not_after):%Y-%m-%d} ({when})")
    cost = row.get("monthly_cost_usd")
    if cost is not None and not pd.isna(cost):
        lines.append(f"${cost:,.0f}/month")
    return "\n".join(lines)


@_draws
def hierarchy(
    source: Any,
    *,
    now: datetime | str | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The CA tree: roots on top, subordinates below, external parents in dashed boxes.

    ``source`` is a session (``pca``, whose ``hierarchy()`` is called) or the frame it returns.
    Each node shows the CA's name, status and usage mode, key algorithm, expiry and monthly
    cost; its border turns orange or red as expiry nears. ``now`` defaults to the session's
    clock (for a session, or the time it recorded on its frame), else the real one.
    """
    if isinstance(source, pd.DataFrame):
        frame = source
    elif hasattr(source, "hierarchy"):
        frame = source.hierarchy()
        now = source.now() if now is None and hasattr(source, "now") else now
    else:
        raise PcanbError("hierarchy takes a session (pca) or the frame of pca.hierarchy()")
    for column in ("ca_id", "parent_ca_id", "status"):
        if column not in frame.columns:
            raise PcanbError(f"the frame has no {column} column: pass pca.hierarchy()")
    moment = as_utc(now, frame)
    place = _tree_layout(frame)
    width = max((x for x, _ in place.values()), default=0.0) + 1
    depth = -min((y for _, y in place.values()), default=0.0) + 1
    ax = _new_axes(ax, (max(5.0, 2.7 * width), max(2.4, 1.75 * depth)))
    rows = {row["ca_id"]: row for row in frame.to_dict("records")}
    for node, (x, y) in place.items():
        parent = rows[node].get("parent_ca_id")
        if isinstance(parent, str) and parent in place:
            px, py = place[parent]
            middle = (py + y) / 2
            ax.plot(
                [px, px, x, x], [py, middle, middle, y], color="#777777", linewidth=1.1, zorder=1
            )
    days = pd.Series({k: r.get("not_after") for k, r in rows.items()}, dtype="datetime64[us, UTC]")
    band = expiry_band((days - moment).dt.total_seconds() / 86400)
    edge_for = dict(
        zip(band_labels(), ("#B2182B", "#D62728", "#FF7F0E", "#C9A227", "#555555"), strict=True)
    )
    for node, (x, y) in place.items():
        row = rows[node]
        external = bool(row.get("external"))
        edge = "#999999" if external else edge_for.get(str(band.get(node)), "#555555")
        ax.text(
            x, y, _node_text(row, moment), ha="center", va="center", fontsize=7.5, zorder=3,
            linespacing=1.35, gid=f"node:{node}",
            bbox={
                "boxstyle": "round,pad=0.55", "facecolor": STATUS_COLORS.get(str(row.get("status")), "#FFFFFF"),
                "edgecolor": edge, "linewidth": 1.6 if edge in ("#B2182B", "#D62728", "#FF7F0E") else 1.0,
                "linestyle": "--" if external else "-",
            },
        )  # fmt: skip
    ax.set_xlim(-0.6, width - 0.4)
    ax.set_ylim(-depth + 0.45, 0.55)
    ax.set_axis_off()
    if title is None:
        inside = (
            frame[~frame["external"].fillna(False).astype(bool)] if "external" in frame else frame
        )
        cost = inside["monthly_cost_usd"].sum() if "monthly_cost_usd" in inside else 0
        title = f"CA hierarchy: {len(inside)} CA{'s' if len(inside) != 1 else ''} in the account, ${cost:,.0f}/month"
    ax.set_title(title, fontsize=11, loc="left")
    return ax


__all__ = [
    "audit_timeline",
    "auto_freq",
    "expiry",
    "expiry_histogram",
    "hierarchy",
    "validity",
]
