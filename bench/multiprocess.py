"""Aggregate issuance throughput of 1, 2 and 4 processes sharing one sandbox directory.

Each process opens the sandbox, waits for a start signal, then issues and fetches certificates
through boto3 (issue_certificate + get_certificate, EC P-256 CA, a fresh CSR each); throughput is
all certificates over the time from the signal to the last process done. The machine's CPU count
bounds what more processes can add.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, row, sandbox_root_ca, worker_main

_CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {bench!r})
import pcanb
from common import ec_csr_pool

path, arn, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
pool = ec_csr_pool(count)
pca = pcanb.sandbox(path)
client = pca.client
client.describe_certificate_authority(CertificateAuthorityArn=arn)
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
for csr in pool:
    issued = client.issue_certificate(
        CertificateAuthorityArn=arn, Csr=csr, SigningAlgorithm="SHA256WITHECDSA",
        Validity={{"Type": "DAYS", "Value": 30}},
    )["CertificateArn"]
    client.get_certificate(CertificateAuthorityArn=arn, CertificateArn=issued)
print("done", time.time(), flush=True)
pca.sandbox.close()
"""


def _aggregate(path: str, arn: str, processes: int, count: int, tmp: Path) -> float:
    script = tmp / "child.py"
    script.write_text(_CHILD.format(bench=str(ROOT / "bench")))
    go = tmp / f"go-{processes}-{time.monotonic_ns()}"
    children = [
        subprocess.Popen(
            [sys.executable, str(script), path, arn, str(count), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    for child in children:
        assert child.stdout is not None
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError(child.stderr.read() if child.stderr else "child failed")
    start = time.time()
    go.touch()
    ends = []
    for child in children:
        out, err = child.communicate(timeout=600)
        if child.returncode != 0:
            raise RuntimeError(err)
        ends.append(float(out.split()[-1]))
    return processes * count / (max(ends) - start)


def run(quick: bool) -> list[dict[str, Any]]:
    import pcanb

    count = 150 if quick else 400
    rows = []
    with tempfile.TemporaryDirectory(prefix="pcanb-bench-") as tmp:
        path = str(Path(tmp) / "sandbox")
        pca = pcanb.sandbox(path)
        arn = sandbox_root_ca(pca, "EC_prime256v1")
        pca.sandbox.close()
        rates = {n: _aggregate(path, arn, n, count, Path(tmp)) for n in (1, 2, 4)}
    for n, rate in rates.items():
        rows.append(
            row(
                f"aggregate boto3 issue+get, {n} process{'es' if n > 1 else ''}, one sandbox",
                rate,
                "certs/s",
                baseline="1 process",
                baseline_value=rates[1],
                note=f"{count} certificates per process; {os.cpu_count()} CPUs",
            )
        )
    return rows


if __name__ == "__main__":
    worker_main(run)
