"""Import time, each in a fresh interpreter, alternating, medians: ``import boto3, pandas`` against
``import boto3, pandas, pcanb`` (what ``import pcanb`` adds to a notebook's first cell), and the
same with the toolkit and the sandbox loaded (``pcanb.Pca``, ``pcanb.sandbox.Sandbox``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from common import ROOT, median, row, worker_main

_PROBE = "import time; t = time.perf_counter(); {body}; print(time.perf_counter() - t)"
CASES = {
    "boto3+pandas": "import boto3, pandas",
    "boto3+pandas+pcanb": "import boto3, pandas, pcanb",
    "boto3+pandas+pcanb full": (
        "import boto3, pandas, pcanb; pcanb.Pca; import pcanb.sandbox.engine, pcanb.sandbox.wire"
    ),
    "pcanb": "import pcanb",
}


#: The children may write bytecode caches: boto3 and pandas come with theirs (pip compiles
#: them at install), so pcanb must be measured with its own, as users import it after the first
#: time (PYTHONDONTWRITEBYTECODE would have every run compile pcanb from source).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _once(body: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(body=body)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=_ENV,
    )
    return float(out.stdout.strip().splitlines()[-1])


def run(quick: bool) -> list[dict[str, Any]]:
    runs = 5 if quick else 9
    for body in CASES.values():  # warm the file cache and the bytecode caches
        _once(body)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(runs):
        for name, body in CASES.items():
            times[name].append(_once(body))
    base = median(times["boto3+pandas"])
    added = median(times["boto3+pandas+pcanb"]) - base
    added_full = median(times["boto3+pandas+pcanb full"]) - base
    return [
        row(
            "import pcanb, added to import boto3, pandas",
            added,
            "s",
            baseline="import boto3, pandas",
            baseline_value=base,
            target="<= 0.3 s added",
            met=added <= 0.3,
            note=f"import pcanb alone {median(times['pcanb']):.3f} s",
        ),
        row(
            "import pcanb + toolkit (pcanb.Pca) + sandbox, added to boto3, pandas",
            added_full,
            "s",
            baseline="import boto3, pandas",
            baseline_value=base,
            target="<= 0.3 s added",
            met=added_full <= 0.3,
        ),
    ]


if __name__ == "__main__":
    worker_main(run)
