"""Audit reports: generating one for 100k certificates, and parsing 1M-row JSON and CSV reports.

Generation: the sandbox's ``audit.records`` + ``audit.render`` (JSON and CSV) on 100k stored
certificates, timed against the least any exporter does (the rows fetched, ``orjson.dumps``).
``bench/audit_generate.py`` times the whole CreateCertificateAuthorityAuditReport call through
boto3 on its own (it is not part of ``run.py``).

Parsing: ``bench/audit_parse.py`` (``read_audit_report`` on JSON and CSV against orjson +
DataFrame + ``to_datetime``) is run with 1M rows (100k with ``--quick``) and its table read.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import interleaved, median, row, worker_main

HERE = Path(__file__).resolve().parent
_TABLE_LINE = re.compile(
    r"^(?P<name>.+?)\s{2,}(?P<seconds>[\d.]+)\s+(?P<rate>[\d,]+)\s+(?P<ratio>[\d.]+)x$"
)


def _script(name: str, args: list[str], timeout: float) -> tuple[int, str]:
    out = subprocess.run(
        [sys.executable, str(HERE / name), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    return out.returncode, out.stdout + (out.stderr if out.returncode else "")


def parse_rows(quick: bool) -> list[dict[str, Any]]:
    rows_count = 100_000 if quick else 1_000_000
    if not (HERE / "audit_parse.py").exists():
        return [row("audit report parsing", None, "s", note="bench/audit_parse.py is missing")]
    code, text = _script(
        "audit_parse.py", ["--rows", str(rows_count), "--repeat", "1" if quick else "3"], 1800
    )
    found = [m.groupdict() for line in text.splitlines() if (m := _TABLE_LINE.match(line.strip()))]
    base = next((f for f in found if f["name"].startswith("baseline")), None)
    if code != 0 or base is None:
        tail = " | ".join(text.strip().splitlines()[-3:])
        return [row("audit report parsing", None, "s", note=f"audit_parse.py failed: {tail}")]
    # The reference (pyarrow's read_csv + to_datetime on the CSV file) is not pcanb's: it is
    # shown beside the baseline, and the CSV figure's note compares the two CSV readers.
    reference = next((f for f in found if f["name"].startswith("(reference)")), None)
    out = []
    for figure in found:
        if figure is base:
            continue
        seconds = float(figure["seconds"])
        ratio = seconds / float(base["seconds"])
        ours = figure is not reference
        note = None
        if ours and "CSV" in figure["name"] and reference is not None:
            note = f"{seconds / float(reference['seconds']):.2f}x the (reference) CSV reader"
        out.append(
            row(
                f"parse {rows_count:,}-row report: {figure['name']}",
                seconds,
                "s",
                baseline=base["name"].removeprefix("baseline: "),
                baseline_value=float(base["seconds"]),
                ratio=ratio,
                target="<= 1.5x" if ours else None,
                met=ratio <= 1.5 if ours else None,
                note=note,
            )
        )
    return out


def _generate(count: int, rounds: int) -> list[dict[str, Any]]:
    import orjson

    import pcanb
    from pcanb.sandbox import audit

    with tempfile.TemporaryDirectory(prefix="pcanb-bench-") as tmp:
        pca = pcanb.sandbox(tmp + "/sandbox")
        box = pca.sandbox
        ca = pca.create_root_ca(common_name="Audit bench")
        now = time.time()
        with box.store.write() as db:
            db.executemany(
                "INSERT INTO certificates (arn, ca_arn, serial, der, subject, template_arn, "
                "issued_at, not_before, not_after, available_at, revoked_at, revocation_reason) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        f"{ca.arn}/certificate/{serial:032x}", ca.arn, format(serial, "x"), b"",
                        f"CN=host{i}.example.internal,O=Example Corp,C=US",
                        "arn:aws:acm-pca:::template/EndEntityCertificate/V1", now - 86400 + i * 0.1,
                        now - 86400, now + 86400 * 30, now - 86400,
                        now - 60 if i % 10 == 0 else None, "SUPERSEDED" if i % 10 == 0 else None,
                    )
                    for i in range(count)
                    for serial in [int.from_bytes(os.urandom(16), "big") | (1 << 127)]
                ],
            )  # fmt: skip

        def sandbox(fmt: str) -> None:
            with box.store.read() as db:
                audit.render(audit.records(db, ca.arn, box.account, time.time()), fmt)

        def baseline() -> None:
            with box.store.read() as db:
                cursor = db.cursor()
                cursor.row_factory = None  # plain tuples, as a bare exporter would read them
                orjson.dumps(
                    cursor.execute(
                        "SELECT arn, serial, subject, not_before, not_after, issued_at, "
                        "revoked_at, revocation_reason, template_arn FROM certificates "
                        "WHERE ca_arn = ?",
                        (ca.arn,),
                    ).fetchall()
                )

        times = interleaved(
            {"json": lambda: sandbox("JSON"), "csv": lambda: sandbox("CSV"), "base": baseline},
            rounds,
        )
        box.close()
    base = median(times["base"])
    return [
        row(
            f"audit report generation, {count:,} certificates, {fmt.upper()}",
            median(times[fmt]),
            "s",
            baseline="rows fetched + orjson.dumps",
            baseline_value=base,
            note=f"{count / median(times[fmt]):,.0f} rows/s",
        )
        for fmt in ("json", "csv")
    ]


def generate_rows(quick: bool) -> list[dict[str, Any]]:
    """The report for 100k certificates (both modes: the count is the figure asked for)."""
    return _generate(100_000, 2 if quick else 3)


def run(quick: bool) -> list[dict[str, Any]]:
    return generate_rows(quick) + parse_rows(quick)


if __name__ == "__main__":
    worker_main(run)
