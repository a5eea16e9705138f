"""The engine alone (no boto3, no wire) against cryptography's own build-and-sign rate.

``sandbox.engine.call("IssueCertificate", {... base64 CSR ...})`` does everything AWS does for
one certificate (validation of the request, the CA's state, the CSR's signature, the template's
extensions, a unique serial, the row in SQLite, committed). The baseline is
``ReferenceIssuer.issue``: the same CSR loaded and verified, the same extensions, signed, DER —
the practical limit of a CA built on cryptography. A fresh CSR for every certificate.
"""

from __future__ import annotations

import tempfile
from typing import Any

from common import (
    CA_KINDS,
    ReferenceIssuer,
    b64,
    ec_csr_pool,
    interleaved,
    median,
    row,
    sandbox_root_ca,
    worker_main,
)


def engine_vs_cryptography(key_algorithm: str, per_round: int, rounds: int) -> tuple[float, float]:
    import pcanb

    signing, _ = CA_KINDS[key_algorithm]
    pool = ec_csr_pool(per_round * rounds + 20)
    with tempfile.TemporaryDirectory(prefix="pcanb-bench-") as tmp:
        pca = pcanb.sandbox(tmp + "/sandbox")
        box = pca.sandbox
        arn = sandbox_root_ca(pca, key_algorithm)
        requests = [
            {
                "CertificateAuthorityArn": arn,
                "Csr": b64(csr),
                "SigningAlgorithm": signing,
                "Validity": {"Type": "DAYS", "Value": 30},
            }
            for csr in pool
        ]
        reference = ReferenceIssuer(key_algorithm)

        def engine_batch(batch: list[dict[str, Any]]) -> None:
            for request in batch:
                box.engine.call(
                    "IssueCertificate", request, account=box.account, region="us-east-1"
                )

        engine_batch(requests[:20])
        for csr in pool[:20]:
            reference.issue(csr)
        batches = [
            (requests[20 + i * per_round : 20 + (i + 1) * per_round],
             pool[20 + i * per_round : 20 + (i + 1) * per_round])
            for i in range(rounds)
        ]  # fmt: skip
        position = iter(range(rounds))
        current: list[int] = [0]

        def engine_round() -> None:
            current[0] = next(position)
            engine_batch(batches[current[0]][0])

        times = interleaved(
            {
                "engine": engine_round,
                "crypto": lambda: [reference.issue(csr) for csr in batches[current[0]][1]],
            },
            rounds,
        )
        box.close()
    return per_round / median(times["engine"]), per_round / median(times["crypto"])


def run(quick: bool) -> list[dict[str, Any]]:
    per_round, rounds = (150, 4) if quick else (400, 6)
    rows = []
    for key_algorithm, (_, label) in CA_KINDS.items():
        engine, crypto = engine_vs_cryptography(key_algorithm, per_round, rounds)
        rows.append(
            row(
                f"engine IssueCertificate, {label} CA",
                engine,
                "certs/s",
                baseline="cryptography load+verify+build+sign",
                baseline_value=crypto,
                target=">= 0.70x",
                met=engine >= 0.7 * crypto,
            )
        )
    return rows


if __name__ == "__main__":
    worker_main(run)
