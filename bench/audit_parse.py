"""Time ``read_audit_report`` on a synthetic AWS-format audit report against a plain baseline.

A report of ``--rows`` rows (AWS's field names and formats: colon serials, reverse-RDN
subjects with quoted commas and OID=#hex attributes, ``+0000`` timestamps, absent keys for
missing values, ~10 % revoked, ~1 % requested by ACM) is written as JSON and CSV to a
temporary directory. Then, in the same run:

* baseline: ``orjson.loads`` + ``pd.DataFrame`` + ``pd.to_datetime`` (with the format) on the
  four time columns — the least anyone would do to get a usable frame;
* ``read_audit_report`` on the JSON file and on the CSV file (every typed column included);
* for reference, the CSV counterpart of the baseline (``read_csv`` with the pyarrow engine).

Each path is timed ``--repeat`` times (median reported, file read included).
Run: ``.venv/bin/python bench/audit_parse.py --rows 1000000``.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson
import pandas as pd

from pcanb.analysis.reports import AWS_FIELDS, read_audit_report

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
TIME_COLUMNS = ("notBefore", "notAfter", "issuedAt", "revokedAt")
CA = "arn:aws:acm-pca:us-east-1:012345678901:certificate-authority/11223344-5566-4788-99aa-bbccddeeff00"
TEMPLATES = [
    "arn:aws:acm-pca:::template/EndEntityCertificate/V1",
    "arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1",
    "arn:aws:acm-pca:::template/EndEntityClientAuthCertificate/V1",
    "arn:aws:acm-pca:::template/BlankEndEntityCertificate_APICSRPassthrough/V1",
]
REASONS = ["KEY_COMPROMISE", "SUPERSEDED", "CESSATION_OF_OPERATION", "UNSPECIFIED"]


def _stamp(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(epoch))


def synthetic_rows(count: int, seed: int = 7) -> list[dict[str, str]]:
    """``count`` audit-report records as AWS writes them (keys omitted for missing values)."""
    rng = random.Random(seed)
    start = 1_700_000_000
    rows = []
    for i in range(count):
        serial = rng.getrandbits(128) | (1 << 127)
        digits = format(serial, "032x")
        issued = start + i * 7
        kind = i % 10
        if kind == 3:  # SerialNumber printed as OID=#hex, and a quoted comma
            value = f"{i % 1_000_000:06d}".encode().hex()
            subject = f"2.5.4.5=#1306{value},CN=host{i}.example.com,O=Example\\, Inc.,C=US"
        elif kind == 5:
            subject = (
                f"CN=host{i}.example.com,OU=Sales,O=Example Company,L=Seattle,ST=Washington,C=US"
            )
        else:
            subject = f"CN=host{i}.example.com"
        row = {
            "awsAccountId": "012345678901",
            "certificateArn": f"{CA}/certificate/{digits}",  # an AWS report is one CA's
            "serial": ":".join(digits[j : j + 2] for j in range(0, 32, 2)),
            "subject": subject,
            "notBefore": _stamp(issued - 3600),
            "notAfter": _stamp(issued + 365 * 86400),
            "issuedAt": _stamp(issued),
            "templateArn": TEMPLATES[i % len(TEMPLATES)],
        }
        if i % 100 == 1:
            row = {
                "awsAccountId": row.pop("awsAccountId"),
                "requestedByServicePrincipal": "acm.amazonaws.com",
                **row,
            }
        if i % 10 == 7:
            row["revokedAt"] = _stamp(issued + 86400)
            row["revocationReason"] = REASONS[i % 4]
            row["templateArn"] = row.pop("templateArn")  # keep AWS's key order
        rows.append(row)
    return rows


def _csv_field(value: str) -> str:
    if any(c in value for c in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_reports(rows: list[dict[str, str]], directory: Path) -> tuple[Path, Path]:
    json_path = directory / "report.json"
    json_path.write_bytes(orjson.dumps(rows))
    csv_path = directory / "report.csv"
    lines = [",".join(AWS_FIELDS)]
    lines.extend(",".join(_csv_field(row.get(f, "")) for f in AWS_FIELDS) for row in rows)
    csv_path.write_text("\n".join(lines) + "\n")
    return json_path, csv_path


def baseline(path: Path) -> pd.DataFrame:
    frame = pd.DataFrame(orjson.loads(path.read_bytes()))
    for column in TIME_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], format=TIME_FORMAT)
    return frame


def csv_reference(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, engine="pyarrow")
    for column in TIME_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], format=TIME_FORMAT)
    return frame


def timed(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        result = None
        gc.collect()
        begin = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - begin)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="pcanb-audit-bench-") as tmp:
        begin = time.perf_counter()
        rows = synthetic_rows(args.rows)
        json_path, csv_path = write_reports(rows, Path(tmp))
        del rows
        print(
            f"{args.rows:,} rows: JSON {json_path.stat().st_size / 2**20:,.0f} MiB, "
            f"CSV {csv_path.stat().st_size / 2**20:,.0f} MiB "
            f"(generated in {time.perf_counter() - begin:.1f} s); median of {args.repeat}",
            flush=True,
        )
        results = []
        base, _ = timed(lambda: baseline(json_path), args.repeat)
        results.append(("baseline: orjson + DataFrame + to_datetime x4 (JSON)", base))
        from_json, frame_json = timed(lambda: read_audit_report(json_path), args.repeat)
        results.append(("read_audit_report(JSON)", from_json))
        from_csv, frame_csv = timed(lambda: read_audit_report(csv_path), args.repeat)
        results.append(("read_audit_report(CSV)", from_csv))
        reference, _ = timed(lambda: csv_reference(csv_path), args.repeat)
        results.append(("(reference) read_csv(pyarrow) + to_datetime x4 (CSV)", reference))
        pd.testing.assert_frame_equal(frame_json, frame_csv)
        assert len(frame_json) == args.rows and frame_json.attrs["problems"] == 0

    width = max(len(name) for name, _ in results)
    print(f"{'path':<{width}}  {'seconds':>8}  {'rows/s':>10}  {'vs baseline':>11}")
    for name, seconds in results:
        print(
            f"{name:<{width}}  {seconds:>8.3f}  {args.rows / seconds:>10,.0f}  "
            f"{seconds / base:>10.2f}x"
        )
    worst = max(from_json, from_csv) / base
    print(f"target <= 1.50x: {'met' if worst <= 1.5 else 'MISSED'} (worst {worst:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
