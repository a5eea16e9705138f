"""Run every pcanb benchmark and print one table: each figure, its baseline measured in the same
run, the ratio, and the target.

    .venv/bin/python bench/run.py            # the full run
    .venv/bin/python bench/run.py --quick    # smaller workloads (1M-row parsing becomes 100k)
    .venv/bin/python bench/run.py --only issue_boto3,engine_rate --json results.json

Each benchmark module runs in a fresh interpreter (``<module>.py --worker``), one after another.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import MARKER, row  # noqa: E402

#: The benchmark modules, in the order they run.
MODULES = (
    "issue_boto3",
    "engine_rate",
    "crl_rate",
    "reports",
    "decode_rate",
    "import_time",
    "multiprocess",
)


def environment() -> list[str]:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "-"

    from cryptography.hazmat.backends.openssl.backend import backend

    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    return [
        f"python {platform.python_version()} on {platform.platform()}",
        f"CPUs: {os.cpu_count()} (load average now {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})",
        f"cryptography {version('cryptography')} ({backend.openssl_version_text()}), "
        f"SQLite {sqlite3.sqlite_version}",
        f"boto3 {version('boto3')}, botocore {version('botocore')}, moto {version('moto')}",
        f"pandas {version('pandas')}, pyarrow {version('pyarrow')}, orjson {version('orjson')}, "
        f"pcanb {version('pcanb')}",
    ]


def run_module(name: str, quick: bool) -> tuple[list[dict[str, Any]], float]:
    begin = time.perf_counter()
    args = [sys.executable, str(HERE / f"{name}.py"), "--worker"] + (["--quick"] if quick else [])
    out = subprocess.run(args, capture_output=True, text=True, check=False, cwd=HERE.parent)
    elapsed = time.perf_counter() - begin
    for line in out.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :]), elapsed
    tail = " | ".join((out.stderr or out.stdout).strip().splitlines()[-3:])
    return [row(f"{name}", None, "", note=f"benchmark failed: {tail}")], elapsed


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit in ("certs/s", "rows/s"):
        return f"{value:,.0f}"
    if unit == "ms/call":
        return f"{value:.3f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3f}"


def table(rows: list[dict[str, Any]]) -> str:
    header = ("figure", "value", "unit", "baseline (same run)", "base value", "ratio", "target", "")
    lines = [header]
    for r in rows:
        status = {True: "met", False: "MISSED", None: ""}[r["met"]]
        lines.append(
            (
                r["figure"],
                _number(r["value"], r["unit"]),
                r["unit"],
                r["baseline"] or "",
                _number(r["baseline_value"], r["unit"]),
                "-" if r["ratio"] is None else f"{r['ratio']:.2f}x",
                r["target"] or "",
                status,
            )
        )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    right = {1, 4, 5}
    out = []
    for index, line in enumerate(lines):
        cells = [
            str(cell).rjust(widths[i]) if i in right else str(cell).ljust(widths[i])
            for i, cell in enumerate(line)
        ]
        out.append("  ".join(cells).rstrip())
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    notes = [f"  - {r['figure']}: {r['note']}" for r in rows if r.get("note")]
    if notes:
        out += ["", "notes:", *notes]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller workloads, fewer rounds")
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(MODULES)}")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args(argv)
    chosen = MODULES if not args.only else tuple(m.strip() for m in args.only.split(","))
    unknown = set(chosen) - set(MODULES)
    if unknown:
        parser.error(f"unknown benchmarks {sorted(unknown)}; choose from {', '.join(MODULES)}")

    print("\n".join(environment()), flush=True)
    print(f"mode: {'quick' if args.quick else 'full'}; benchmarks: {', '.join(chosen)}\n")
    rows: list[dict[str, Any]] = []
    for name in chosen:
        print(f"running {name} ...", end=" ", flush=True)
        found, elapsed = run_module(name, args.quick)
        print(f"{elapsed:.1f} s", flush=True)
        rows.extend(found)
    print()
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps({"environment": environment(), "rows": rows}, indent=1))
    missed = [r["figure"] for r in rows if r["met"] is False]
    print(f"\ntargets: {sum(r['met'] is True for r in rows)} met, {len(missed)} missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
