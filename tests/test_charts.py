"""Charts: what each draws (bars, labels, the now line, legends) with the Agg backend.

PNGs of every chart for a 10-certificate and a 10,000-certificate report are written to
``test-output/charts/`` for a person to look at.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_hex
from test_analysis_activity import ACM, CA_A, CA_B, CLIENT, CODE, RECORDS, SERVER, record, report_of

import pcanb
from pcanb.analysis.expiry import expiring
from pcanb.errors import PcanbError

charts = pcanb.charts
OUT = Path(__file__).resolve().parent.parent / "test-output" / "charts"
NOW = pd.Timestamp("2026-03-20T00:00:00Z")
BIG_NOW = pd.Timestamp("2026-11-28T12:00:00Z")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def report():
    """The hand-counted 10-certificate report of test_analysis_activity."""
    return report_of(RECORDS)


def synthetic(rows: int, seed: int = 7):
    """A report of ``rows`` certificates issued over two years up to BIG_NOW, 4 % revoked."""
    rng = np.random.default_rng(seed)
    templates = [SERVER, SERVER, SERVER, CLIENT, CLIENT, CODE, "EndEntityCertificate", None]
    reasons = ["KEY_COMPROMISE", "SUPERSEDED", "CESSATION_OF_OPERATION", "AFFILIATION_CHANGED"]
    days = [7, 30, 90, 398, 398, 825]
    records = []
    for n in range(1, rows + 1):
        issued = BIG_NOW - pd.Timedelta(minutes=int(rng.integers(0, 730 * 1440)))
        revoked = (
            issued + pd.Timedelta(hours=int(rng.integers(1, 2000))) if rng.random() < 0.04 else None
        )
        if revoked is not None and revoked > BIG_NOW:
            revoked = None
        records.append(record(
            n, CA_A if rng.random() < 0.6 else CA_B, templates[rng.integers(0, len(templates))],
            issued.isoformat(), days=days[rng.integers(0, len(days))],
            revoked=revoked and revoked.isoformat(), reason=reasons[rng.integers(0, 4)],
            by=ACM if rng.random() < 0.3 else None,
        ))  # fmt: skip
    return report_of(records)


@pytest.fixture(scope="module")
def big():
    return synthetic(10_000)


def bars(ax):
    return [p for p in ax.patches if p.get_height() != 0 or p.get_width() != 0]


def legend_labels(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def x_of(when):
    return mdates.date2num(pd.Timestamp(when).tz_convert(None).to_pydatetime())


def vertical_lines(ax):
    return [line for line in ax.get_lines() if len(set(line.get_xdata())) == 1]


# -- audit timeline -------------------------------------------------------------------------------


def test_timeline_stacks_issued_above_and_revoked_below_by_reason(report):
    ax = charts.audit_timeline(report, freq="week", marks={"incident": "2026-03-12T09:00Z"})
    rectangles = bars(ax)
    # 8 non-empty (week, template) cells of issuance, 4 (week, reason) cells of revocation.
    assert len(rectangles) == 12
    heights = [r.get_height() for r in rectangles]
    assert sum(h for h in heights if h > 0) == 10
    assert sum(h for h in heights if h < 0) == -4
    assert min(r.get_x() for r in rectangles) == pytest.approx(x_of("2026-02-23T00:00Z"))
    assert legend_labels(ax) == [
        SERVER, CLIENT, "(none)", CODE, "revoked: KEY_COMPROMISE", "revoked: SUPERSEDED",
    ]  # fmt: skip
    (mark,) = [line for line in vertical_lines(ax) if line.get_label() == "_mark"]
    assert mark.get_xdata()[0] == pytest.approx(x_of("2026-03-12T09:00Z"))
    assert "incident" in [t.get_text() for t in ax.texts]
    assert "per week, by template" in ax.get_title(loc="left")
    assert ax.get_ylabel() == "certificates per week"
    compromised = [
        r
        for r in rectangles
        if to_hex(r.get_facecolor()) == charts.REASON_COLORS["KEY_COMPROMISE"].lower()
    ]
    assert sorted(r.get_height() for r in compromised) == [-1, -1]


def test_timeline_picks_a_period_for_the_span_and_groups_by_ca(report, big):
    assert "per day" in charts.audit_timeline(report, by="ca_id").get_title(loc="left")  # 34 days
    ax = charts.audit_timeline(big, by="ca_id")
    assert "per week, by ca id" in ax.get_title(loc="left")  # two years
    assert legend_labels(ax)[:2] == [CA_A, CA_B]
    ax = charts.audit_timeline(big, by=None, freq="month")
    assert sum(r.get_height() for r in bars(ax) if r.get_height() > 0) == 10_000
    assert legend_labels(ax)[0] == "issued"


def test_timeline_keeps_the_top_groups_and_sums_the_rest(big):
    ax = charts.audit_timeline(big, top=2)
    issued = [label for label in legend_labels(ax) if not label.startswith("revoked")]
    assert issued == [SERVER, "other"]
    assert sum(r.get_height() for r in bars(ax) if r.get_height() > 0) == 10_000
    with pytest.raises(PcanbError):
        charts.audit_timeline(big, top=0)


def test_timeline_from_many_reports_counts_without_loading_them(report, tmp_path):
    folder = tmp_path / "audit-report" / CA_A
    folder.mkdir(parents=True)
    (folder / "report.json").write_bytes(json.dumps(RECORDS).encode())
    from_frame = charts.audit_timeline(report, freq="week")
    with pcanb.read_audit_reports(tmp_path / "audit-report") as reports:
        from_files = charts.audit_timeline(reports, freq="week")
    heights = sorted(r.get_height() for r in bars(from_frame))
    assert sorted(r.get_height() for r in bars(from_files)) == heights
    assert legend_labels(from_files) == legend_labels(from_frame)


# -- expiry ---------------------------------------------------------------------------------------


def test_validity_draws_one_bar_per_certificate_with_now_and_bands(report):
    ax = charts.validity(report, now=NOW)
    rectangles = [
        p for p in ax.patches if p.get_width() > 0 and p.get_height() == pytest.approx(0.68)
    ]
    assert len(rectangles) == 6  # the 4 revoked are left out
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"host{n}.example.com" for n in (5, 3, 1, 6, 8, 9)]  # by notAfter
    (now,) = [line for line in vertical_lines(ax) if line.get_label() == "_now"]
    assert now.get_xdata()[0] == pytest.approx(x_of(NOW))
    colors = [to_hex(r.get_facecolor()) for r in sorted(rectangles, key=lambda r: r.get_y())]
    assert colors[:2] == [charts.BAND_COLORS[0].lower(), charts.BAND_COLORS[1].lower()]
    assert legend_labels(ax) == ["expired", "≤ 30 days", "> 90 days"]
    notes = [t.get_text() for t in ax.texts]
    assert "expired" in notes and "14 d" in notes and "now" in notes
    assert len(ax.patches) - len(rectangles) == 3  # the 30/60/90-day bands
    assert ax.get_title(loc="left") == "Validity of 6 certificates"
    with_revoked = charts.validity(report, now=NOW, include_revoked=True)
    assert len(with_revoked.get_yticklabels()) == 10


def test_validity_groups_a_crowd_by_expiry_period(big):
    ax = charts.validity(big, now=BIG_NOW)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert 5 <= len(labels) <= 40
    assert "grouped by expiry" in ax.get_title(loc="left")
    live = int((~big["revoked"]).sum())
    counts = [
        int(t.get_text().replace(",", ""))
        for t in ax.texts
        if t.get_text().replace(",", "").isdigit()
    ]
    assert sum(counts) == live
    assert any(" · ≤ 30 days" in label for label in labels)  # the bucket across now is split
    assert any(isinstance(c, LineCollection) for c in ax.collections)  # the full-range whiskers
    few = charts.validity(big, now=BIG_NOW, max_bars=10)
    assert len(few.get_yticklabels()) <= 10
    assert "grouped by expiry year" in few.get_title(loc="left")


def test_expiry_histogram_counts_every_live_certificate_per_week(report, big):
    ax = charts.expiry_histogram(report, now=NOW)
    weekly = [r for r in bars(ax) if r.get_width() == pytest.approx(7 * 0.85)]
    assert sum(r.get_height() for r in weekly) == 6
    assert len(weekly) == 6
    (now,) = [line for line in vertical_lines(ax) if line.get_label() == "_now"]
    assert now.get_xdata()[0] == pytest.approx(x_of(NOW))
    big_ax = charts.expiry_histogram(big, now=BIG_NOW)
    weekly = [r for r in bars(big_ax) if r.get_width() == pytest.approx(7 * 0.85)]
    assert sum(r.get_height() for r in weekly) == int((~big["revoked"]).sum())
    assert legend_labels(big_ax) == ["expired", "≤ 30 days", "≤ 60 days", "≤ 90 days", "> 90 days"]


def test_expiry_puts_both_panels_on_one_time_axis(report):
    fig = charts.expiry(report, now=NOW)
    upper, lower = fig.axes
    assert upper.get_shared_x_axes().joined(upper, lower)
    assert upper.get_legend() is not None and lower.get_legend() is None
    fig2, pair = plt.subplots(2, 1)
    assert charts.expiry(report, now=NOW, ax=pair) is fig2
    with pytest.raises(PcanbError, match="two Axes"):
        charts.expiry(report, ax=[pair[0]])


def test_expiry_takes_a_ca_frame():
    cas = pd.DataFrame({
        "common_name": ["Root", "Issuing"],
        "not_before": pd.to_datetime(["2020-01-01T00:00:00Z", "2025-01-01T00:00:00Z"]),
        "not_after": pd.to_datetime(["2030-01-01T00:00:00Z", "2026-04-01T00:00:00Z"]),
    })  # fmt: skip
    ax = charts.validity(cas, now=NOW)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Issuing", "Root"]


# -- hierarchy ------------------------------------------------------------------------------------


def hierarchy_frame():
    """A hand-made pca.hierarchy() frame: an external root, two roots, a DISABLED CA, a CA
    expiring in 20 days and one waiting for its certificate."""
    rows = [
        ("ext", None, "Offline Root", "EXTERNAL", None, "EC_secp384r1", "2040-01-01", None, True),
        ("p", "ext", "Partner CA", "ACTIVE", "GENERAL_PURPOSE", "EC_prime256v1", "2030-01-01", 400.0, False),
        ("r1", None, "Root One", "ACTIVE", "GENERAL_PURPOSE", "RSA_4096", "2036-01-01", 400.0, False),
        ("i1", "r1", "Issuing East", "ACTIVE", "GENERAL_PURPOSE", "EC_prime256v1", "2026-04-09", 400.0, False),
        ("i2", "r1", "Issuing West", "DISABLED", "GENERAL_PURPOSE", "EC_prime256v1", "2031-01-01", 400.0, False),
        ("s1", "i2", "Short-lived", "ACTIVE", "SHORT_LIVED_CERTIFICATE", "EC_prime256v1", "2030-06-01", 50.0, False),
        ("pend", None, "Pending CA", "PENDING_CERTIFICATE", "GENERAL_PURPOSE", "EC_prime256v1", None, 400.0, False),
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=[
        "ca_id", "parent_ca_id", "common_name", "status", "usage_mode", "key_algorithm",
        "not_after", "monthly_cost_usd", "external",
    ])  # fmt: skip
    frame["not_after"] = pd.to_datetime(frame["not_after"], utc=True)
    return frame


def nodes(ax):
    return {t.get_gid()[5:]: t for t in ax.texts if (t.get_gid() or "").startswith("node:")}


def test_hierarchy_draws_each_ca_with_its_facts_and_an_edge_to_its_parent():
    frame = hierarchy_frame()
    ax = charts.hierarchy(frame, now=NOW)
    drawn = nodes(ax)
    assert set(drawn) == set(frame["ca_id"])
    assert len(ax.get_lines()) == 4  # p→ext, i1→r1, i2→r1, s1→i2
    root = drawn["r1"].get_text().splitlines()
    assert root == [
        "Root One",
        "ACTIVE · general purpose",
        "RSA_4096",
        "expires 2036-01-01 (3,574 d)",
        "$400/month",
    ]
    assert "external CA" in drawn["ext"].get_text()
    assert drawn["ext"].get_bbox_patch().get_linestyle() == "--"
    assert "short-lived" in drawn["s1"].get_text() and "$50/month" in drawn["s1"].get_text()
    assert to_hex(drawn["i1"].get_bbox_patch().get_edgecolor()) == "#d62728"  # 20 days left
    x = {k: t.get_position()[0] for k, t in drawn.items()}
    y = {k: t.get_position()[1] for k, t in drawn.items()}
    assert x["r1"] == pytest.approx((x["i1"] + x["i2"]) / 2)  # a parent sits over its children
    assert y["r1"] == 0 and y["i1"] == -1 and y["s1"] == -2
    assert ax.get_title(loc="left") == "CA hierarchy: 6 CAs in the account, $2,050/month"


def test_days_left_are_whole_days_truncated_as_everywhere():
    """2.9 days left is "2 d" on the hierarchy and validity charts, as days_to_expiry says."""
    frame = hierarchy_frame()
    now = pd.Timestamp("2036-01-01T00:00:00Z") - pd.Timedelta(days=2, hours=22)
    assert "(2 d)" in nodes(charts.hierarchy(frame, now=now))["r1"].get_text()
    one = frame[frame["ca_id"] == "r1"].assign(not_before=pd.Timestamp("2026-01-01T00:00Z"))
    ax = charts.validity(one, now=now)
    assert "2 d" in [t.get_text() for t in ax.texts]


def test_hierarchy_from_a_session(pca, root, issuing):
    ax = charts.hierarchy(pca)
    drawn = nodes(ax)
    assert len(drawn) == 2 and len(ax.get_lines()) == 1
    texts = sorted(t.get_text().splitlines()[0] for t in drawn.values())
    assert texts == ["Test Issuing CA", "Test Root CA"]
    with pytest.raises(PcanbError):
        charts.hierarchy(42)


# -- the notebook contract ------------------------------------------------------------------------


def test_charts_draw_into_a_given_axes_and_never_show(report, monkeypatch):
    def refuse() -> None:
        raise AssertionError("a chart called plt.show()")

    monkeypatch.setattr(plt, "show", refuse)
    _, axes = plt.subplots(2, 2)
    before = plt.get_fignums()
    assert charts.audit_timeline(report, ax=axes[0, 0]) is axes[0, 0]
    assert charts.validity(report, now=NOW, ax=axes[0, 1]) is axes[0, 1]
    assert charts.expiry_histogram(report, now=NOW, ax=axes[1, 0]) is axes[1, 0]
    assert charts.hierarchy(hierarchy_frame(), now=NOW, ax=axes[1, 1]) is axes[1, 1]
    assert plt.get_fignums() == before


def test_the_pca_accessor(report):
    assert isinstance(report.pca.timeline(freq="week"), matplotlib.axes.Axes)
    assert isinstance(report.pca.expiry(now=NOW), matplotlib.figure.Figure)
    pd.testing.assert_frame_equal(report.pca.expiring(30, now=NOW), expiring(report, 30, now=NOW))
    assert report.pca.activity("month")["count"].sum() == 14
    assert "Certificates issued" in report.pca.timeline.__doc__


def _python(code: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_charts_load_matplotlib_only_when_drawing_and_register_the_accessor():
    seen = _python(
        """
        import json, sys
        import pcanb
        charts = pcanb.charts
        import pandas as pd
        before = "matplotlib" in sys.modules
        accessor = hasattr(pd.DataFrame, "pca")
        import matplotlib; matplotlib.use("Agg")
        frame = pd.DataFrame({"common_name": ["a"], "not_before": pd.to_datetime(["2026-01-01T00:00:00Z"]),
                              "not_after": pd.to_datetime(["2027-01-01T00:00:00Z"])})
        frame.pca.validity()
        print(json.dumps({"before": before, "accessor": accessor}))
        """
    )
    assert seen == {"before": False, "accessor": True}
    seen = _python(
        """
        import json, sys
        import pcanb
        pca = pcanb.sandbox(":memory:")
        import pandas as pd
        print(json.dumps({"accessor": hasattr(pd.DataFrame, "pca"),
                          "matplotlib": "matplotlib" in sys.modules}))
        """
    )
    assert seen == {"accessor": True, "matplotlib": False}


# -- pictures to look at --------------------------------------------------------------------------


def test_pngs_for_ten_and_ten_thousand_certificates(report, big):
    OUT.mkdir(parents=True, exist_ok=True)
    cases = {"10": (report, NOW, "2026-03-12T09:00Z"), "10000": (big, BIG_NOW, "2026-09-15T09:00Z")}
    written = []
    for size, (frame, now, incident) in cases.items():
        for name, draw in {
            "timeline": lambda f=frame, i=incident: (
                charts.audit_timeline(f, marks={"incident": i}).figure
            ),
            "timeline-by-ca": lambda f=frame: charts.audit_timeline(f, by="ca_id").figure,
            "expiry": lambda f=frame, n=now: charts.expiry(f, now=n),
            "validity": lambda f=frame, n=now: charts.validity(f, now=n).figure,
            "expiry-histogram": lambda f=frame, n=now: charts.expiry_histogram(f, now=n).figure,
        }.items():
            fig = draw()
            path = OUT / f"{name}-{size}.png"
            fig.savefig(path, dpi=100)
            plt.close(fig)
            written.append(path)
    fig = charts.hierarchy(hierarchy_frame(), now=NOW).figure
    fig.savefig(OUT / "hierarchy.png", dpi=100)
    written.append(OUT / "hierarchy.png")
    for path in written:
        image = plt.imread(path)
        assert image.shape[0] > 200 and image.shape[1] > 400, path


# -- text from certificates is drawn as written ---------------------------------------------------

#: Names matplotlib's mathtext would misdraw ($x^2$ as x², "$5 and $" in italics) or refuse.
HOSTILE = (r"Bad $\frac{$ Root", "Sub $5 and $10 CA", "Root $x^2$", r"Esc \$ and $")


def drawn_literally(texts, expected):
    """Each of ``expected`` is drawn by one of ``texts`` as written (no mathtext)."""
    by_text = {t.get_text(): t for t in texts}
    for name in expected:
        assert name in by_text, (name, list(by_text))
        assert by_text[name].get_parse_math() is False, name


def test_timeline_draws_hostile_groups_and_marks_as_written():
    records = [
        record(n, CA_A, SERVER, f"2026-03-0{n + 1}T10:00:00Z", by=name)
        for n, name in enumerate(HOSTILE)
    ]
    ax = charts.audit_timeline(
        report_of(records), by="requested_by", marks={"$x$ incident": "2026-03-03T09:00Z"}
    )
    ax.figure.canvas.draw()
    drawn_literally(ax.get_legend().get_texts(), HOSTILE)
    drawn_literally(ax.texts, ["$x$ incident"])


def hostile_cas():
    return pd.DataFrame({
        "common_name": list(HOSTILE),
        "not_before": pd.to_datetime(["2020-01-01T00:00:00Z"] * 4),
        "not_after": pd.to_datetime([f"203{n}-01-01T00:00:00Z" for n in range(4)]),
    })  # fmt: skip


def test_validity_and_expiry_draw_hostile_names_as_written():
    ax = charts.validity(hostile_cas(), now=NOW)
    ax.figure.canvas.draw()
    drawn_literally(ax.get_yticklabels(), HOSTILE)
    fig = charts.expiry(hostile_cas(), now=NOW)
    fig.canvas.draw()
    drawn_literally(fig.axes[0].get_yticklabels(), HOSTILE)


def test_expiry_histogram_draws_a_hostile_title_as_written():
    ax = charts.expiry_histogram(hostile_cas(), now=NOW, title=HOSTILE[0])
    ax.figure.canvas.draw()
    drawn_literally(ax.findobj(matplotlib.text.Text), [HOSTILE[0]])


def test_hierarchy_draws_hostile_names_as_written():
    frame = hierarchy_frame()
    frame.loc[: len(HOSTILE) - 1, "common_name"] = list(HOSTILE)
    ax = charts.hierarchy(frame, now=NOW)
    ax.figure.canvas.draw()
    drawn = nodes(ax).values()
    assert all(t.get_parse_math() is False for t in drawn)
    assert set(HOSTILE) <= {t.get_text().splitlines()[0] for t in drawn}


def test_hierarchy_of_a_session_with_a_hostile_root(pca):
    pca.create_root_ca(common_name=r"Bad $\frac{$ Root")
    ax = charts.hierarchy(pca)
    ax.figure.canvas.draw()
    assert r"Bad $\frac{$ Root" in {t.get_text().splitlines()[0] for t in nodes(ax).values()}


def test_texts_the_caller_put_on_the_axes_keep_mathtext(report):
    _, ax = plt.subplots()
    mine = ax.text(0, 0, "$x^2$")
    charts.audit_timeline(report, ax=ax)
    assert mine.get_parse_math() is True


# -- labels and empty charts a person can read ----------------------------------------------------


def test_a_count_label_past_the_edge_is_dark_off_the_bar_and_white_on_it():
    """A group whose median bar stops short of the right edge while its whisker runs off it
    has its "n →" label on the white background: dark there, white only on a bar."""
    now = pd.Timestamp("2026-11-28T12:00Z")
    ends = [*range(-20, 30, 3), *range(40, 396, 12), 420, 430, *range(700, 860, 10)]
    frame = pd.DataFrame({
        "common_name": [f"h{i}" for i in range(len(ends))],
        "not_before": now - pd.Timedelta(days=60),
        "not_after": [now + pd.Timedelta(days=d) for d in ends],
    })  # fmt: skip
    ax = charts.validity(frame, now=now, max_bars=8)
    right = ax.get_xlim()[1]
    ends_at = {
        round(r.get_y() + r.get_height() / 2): r.get_x() + r.get_width()
        for r in ax.patches
        if r.get_height() == pytest.approx(0.68)
    }
    edge = [t for t in ax.texts if t.get_text().endswith("→")]
    assert len(edge) >= 3
    seen = set()
    for label in edge:
        on_bar = ends_at[round(label.xy[1])] >= right
        seen.add(on_bar)
        assert to_hex(label.get_color()) == ("#ffffff" if on_bar else "#222222"), label
        if not on_bar:  # on a light box, readable across the bar's end too
            assert label.get_bbox_patch() is not None
            assert to_hex(label.get_bbox_patch().get_facecolor()) == "#ffffff"
    assert seen == {True, False}  # both cases drawn
    OUT.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(OUT / "validity-edge-labels.png", dpi=100)


def _visible_texts(ax):
    return [t.get_text() for t in ax.texts if t.get_visible() and t.get_text()]


def test_an_empty_report_draws_a_message_and_no_1970_axis(report):
    empty = report.iloc[0:0]
    ax = charts.audit_timeline(empty)
    assert "no certificates issued or revoked in this report" in _visible_texts(ax)
    assert "▲ issued" not in _visible_texts(ax) and "▼ revoked" not in _visible_texts(ax)
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels()] + [ax.xaxis.get_offset_text().get_text()]
    assert not any("1970" in t or "Jan-01" in t for t in ticks), ticks
    assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []
    assert ax.get_legend() is None
    marked = charts.audit_timeline(empty, marks={"incident": "2026-03-12T09:00Z"})
    left, right = marked.get_xlim()
    assert left < x_of("2026-03-12T09:00Z") < right  # the period asked about, not 1970
    assert "incident" in _visible_texts(marked)
    OUT.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(OUT / "timeline-empty.png", dpi=100)
    marked.figure.savefig(OUT / "timeline-empty-marked.png", dpi=100)


def test_empty_expiry_charts_say_there_is_nothing(report):
    empty = report.iloc[0:0]
    validity = charts.validity(empty, now=NOW)
    histogram = charts.expiry_histogram(empty, now=NOW)
    for ax in (validity, histogram):
        assert "no certificates to show" in _visible_texts(ax)
        assert list(ax.get_yticks()) == []
        left, right = ax.get_xlim()
        assert left < x_of(NOW) < right  # around now, not 1970
    fig = charts.expiry(empty, now=NOW)
    upper, lower = fig.axes
    assert "no certificates to show" in _visible_texts(upper)
    assert "no certificates to show" not in _visible_texts(lower)  # said once
    assert list(lower.get_yticks()) == []
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / "expiry-empty.png", dpi=100)
    histogram.figure.savefig(OUT / "expiry-histogram-empty.png", dpi=100)
