"""Chart render times on a large synthetic audit report, beside the time to load that report.

    .venv/bin/python bench/charts.py                 # 1,000,000 rows
    .venv/bin/python bench/charts.py --rows 200000 --png test-output/bench

Loads the report the two ways pcanb offers (the pandas parser on the CSV bytes, and DuckDB
over the file through ``read_audit_reports``) and renders ``audit_timeline`` and ``expiry``
to PNG with the Agg backend; each render time includes the analysis it draws.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import matplotlib  # isort: skip

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import pcanb
from pcanb.analysis.reports import AWS_FIELDS, read_audit_report

NOW = pd.Timestamp("2026-11-28T12:00:00Z")
TEMPLATES = (
    "EndEntityServerAuthCertificate", "EndEntityClientAuthCertificate", "CodeSigningCertificate",
    "EndEntityCertificate", "OCSPSigningCertificate", "SubordinateCACertificate_PathLen0",
)  # fmt: skip
REASONS = ("KEY_COMPROMISE", "SUPERSEDED", "CESSATION_OF_OPERATION", "AFFILIATION_CHANGED")


def _aws_time(values: np.ndarray) -> np.ndarray:
    text = np.datetime_as_string(values.astype("datetime64[s]"), unit="s")
    return np.char.add(text, "+0000")


def synthetic_csv(rows: int, *, seed: int = 7, span_days: int = 730) -> bytes:
    """An audit report in AWS's CSV layout: 5 CAs, 6 templates, 4% revoked, two years of issuance."""
    rng = np.random.default_rng(seed)
    account = "111122223333"
    cas = np.array([
        f"arn:aws:acm-pca:us-east-1:{account}:certificate-authority/{i:08x}-0000-4000-8000-{i:012x}"
        for i in range(1, 6)
    ])  # fmt: skip
    now = np.datetime64(NOW.tz_convert(None).to_datetime64(), "s")
    issued = now - (rng.uniform(0, span_days, rows) * 86400).astype("timedelta64[s]")
    days = rng.choice([7, 30, 90, 398, 825], rows, p=[0.1, 0.15, 0.3, 0.4, 0.05])
    not_before = issued - np.timedelta64(3600, "s")
    not_after = issued + (days * 86400).astype("timedelta64[s]")
    revoked = rng.random(rows) < 0.04
    revoked_at = issued + ((np.minimum(not_after, now) - issued) * rng.random(rows)).astype(
        "timedelta64[s]"
    )
    raw = rng.bytes(16 * rows)
    serials = [raw[i : i + 16] for i in range(0, 16 * rows, 16)]
    ca = cas[rng.choice(len(cas), rows, p=[0.4, 0.25, 0.2, 0.1, 0.05])]
    frame = pd.DataFrame({
        "awsAccountId": account,
        "requestedByServicePrincipal": np.where(rng.random(rows) < 0.3, "acm.amazonaws.com", ""),
        "certificateArn": np.char.add(np.char.add(ca, "/certificate/"), [s.hex() for s in serials]),
        "serial": [s.hex(":") for s in serials],
        "subject": np.char.add(
            np.char.add("CN=host", np.arange(rows).astype(str)), ".example.com,O=Example\\, Inc,C=US"
        ),
        "notBefore": _aws_time(not_before),
        "notAfter": _aws_time(not_after),
        "issuedAt": _aws_time(issued),
        "revokedAt": np.where(revoked, _aws_time(revoked_at), ""),
        "revocationReason": np.where(revoked, np.array(REASONS)[rng.integers(0, 4, rows)], ""),
        "templateArn": np.char.add(
            np.char.add("arn:aws:acm-pca:::template/", np.array(TEMPLATES)[rng.integers(0, 6, rows)]),
            "/V1",
        ),
    })[list(AWS_FIELDS)]  # fmt: skip
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:
        return frame.to_csv(index=False).encode()
    out = io.BytesIO()
    pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), out)
    return out.getvalue()


def _timed(label: str, action, results: list[tuple[str, float]]):
    start = time.perf_counter()
    value = action()
    results.append((label, time.perf_counter() - start))
    return value


def _png(figure, target: Path | None, name: str) -> None:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(buffer.getvalue())
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--png", type=Path, default=None, help="also save the PNGs here")
    args = parser.parse_args()
    charts = pcanb.charts
    start = time.perf_counter()
    data = synthetic_csv(args.rows)
    print(
        f"synthetic report: {args.rows:,} rows, {len(data) / 1e6:,.0f} MB of CSV "
        f"(generated in {time.perf_counter() - start:.1f} s)\n"
    )
    results: list[tuple[str, float]] = []
    report = _timed(
        "load: read_audit_report(CSV bytes) → pandas", lambda: read_audit_report(data), results
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit-report" / "ca" / "report.csv"
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        with pcanb.read_audit_reports(Path(folder) / "audit-report") as reports:
            _timed(
                "load: read_audit_reports(folder).activity() via DuckDB",
                lambda: reports.activity("week", "template"),
                results,
            )
            _timed(
                "render: audit_timeline(read_audit_reports(...))",
                lambda: _png(
                    charts.audit_timeline(reports).figure, args.png, "timeline-duckdb.png"
                ),
                results,
            )
    _timed(
        "render: audit_timeline(report) → PNG",
        lambda: _png(charts.audit_timeline(report).figure, args.png, "timeline.png"),
        results,
    )
    _timed(
        "render: expiry(report) → PNG",
        lambda: _png(charts.expiry(report, now=NOW), args.png, "expiry.png"),
        results,
    )
    width = max(len(label) for label, _ in results)
    for label, seconds in results:
        print(f"{label:<{width}}  {seconds:6.2f} s")


if __name__ == "__main__":
    main()
