"""Issuance through boto3 (issue_certificate + get_certificate): the sandbox, moto, a null backend.

* sandbox: ``pcanb.sandbox(dir)`` with an ACTIVE root CA of each kind (EC P-256, RSA-2048,
  ML-DSA-44), a fresh EC CSR for every certificate;
* moto: ``mock_aws`` acm-pca on the same workload, in its own interpreter (moto patches botocore
  for the whole process);
* null backend: a ``before-send`` handler on an identically configured boto3 session that
  answers canned bytes: botocore's own floor for these two calls;
* cryptography alone (``ReferenceIssuer``) on the same CSRs: the signing work no backend avoids.

The sandbox's own overhead per call is the time spent inside ``Wire.handle`` minus the
cryptography work, per call; it is compared with botocore's floor per call.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from typing import Any

from common import (
    CA_KINDS,
    ReferenceIssuer,
    ec_csr_pool,
    interleaved,
    median,
    row,
    sandbox_root_ca,
    worker_main,
)

CERT_ARN = (
    "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/"
    "11111111-2222-4333-8444-555555555555/certificate/8f1e0a3cd5b7e9f1a2c4b6d8e0f1a3c5"
)


def _null_session(pem: str) -> Any:
    """A boto3 Session configured exactly like a sandbox session, answered with canned bytes."""
    from pcanb.sandbox.wire import JSON_CONTENT_TYPE, Wire

    answers = {
        b"ACMPrivateCA.IssueCertificate": json.dumps({"CertificateArn": CERT_ARN}).encode(),
        b"ACMPrivateCA.GetCertificate": json.dumps(
            {"Certificate": pem, "CertificateChain": pem}
        ).encode(),
    }
    headers = {"x-amzn-RequestId": "00000000-0000-4000-8000-000000000000"}
    headers["Content-Type"] = JSON_CONTENT_TYPE

    class NullWire(Wire):
        def handle(self, method, url, request_headers, body):
            return 200, headers, answers[request_headers["X-Amz-Target"]]

    return NullWire(None).boto3_session("us-east-1", "AKIANULLBACKEND00001", "secret")


def _pairs(client: Any, arn: str, signing: str, csrs: list[bytes]) -> None:
    for csr in csrs:
        issued = client.issue_certificate(
            CertificateAuthorityArn=arn,
            Csr=csr,
            SigningAlgorithm=signing,
            Validity={"Type": "DAYS", "Value": 30},
        )["CertificateArn"]
        client.get_certificate(CertificateAuthorityArn=arn, CertificateArn=issued)


def sandbox_and_floor(key_algorithm: str, per_round: int, rounds: int) -> dict[str, float]:
    import pcanb
    from pcanb.sandbox.wire import Wire

    signing, _ = CA_KINDS[key_algorithm]
    pool = ec_csr_pool(per_round * rounds + 20)
    with tempfile.TemporaryDirectory(prefix="pcanb-bench-") as tmp:
        pca = pcanb.sandbox(tmp + "/sandbox")
        arn = sandbox_root_ca(pca, key_algorithm)
        client = pca.client
        warm = pool[:20]
        _pairs(client, arn, signing, warm)
        pem = pca.client.get_certificate_authority_certificate(CertificateAuthorityArn=arn)[
            "Certificate"
        ]
        null_client = _null_session(pem).client("acm-pca")
        _pairs(null_client, arn, signing, warm)
        reference = ReferenceIssuer(key_algorithm)
        for csr in warm:
            reference.issue(csr)

        inside = [0.0]
        original = Wire.handle

        def handle(self, *args, **kwargs):
            begin = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                inside[0] += time.perf_counter() - begin

        batches = iter([pool[20 + i * per_round : 20 + (i + 1) * per_round] for i in range(rounds)])
        current: list[list[bytes]] = []

        def sandbox_batch() -> None:
            current[:] = [next(batches)]
            Wire.handle = handle
            try:
                _pairs(client, arn, signing, current[0])
            finally:
                Wire.handle = original

        times = interleaved(
            {
                "sandbox": sandbox_batch,
                "null": lambda: _pairs(null_client, arn, signing, current[0]),
                "crypto": lambda: [reference.issue(csr) for csr in current[0]],
            },
            rounds,
        )
        pca.sandbox.close()
    n = per_round
    return {
        "sandbox_pair_s": median(times["sandbox"]) / n,
        "null_pair_s": median(times["null"]) / n,
        "crypto_cert_s": median(times["crypto"]) / n,
        "inside_pair_s": inside[0] / (n * rounds),
    }


def moto_rate(key_algorithm: str, per_round: int, rounds: int) -> dict[str, Any]:
    """In this interpreter: moto's acm-pca on the same workload (run in a child by ``run``)."""
    import boto3
    from moto import mock_aws

    signing, _ = CA_KINDS[key_algorithm]
    pool = ec_csr_pool(per_round * rounds + 2)
    with mock_aws():
        client = boto3.client(
            "acm-pca",
            region_name="us-east-1",
            aws_access_key_id="AKIAMOTOBENCH0000001",
            aws_secret_access_key="secret",
        )
        try:
            arn = client.create_certificate_authority(
                CertificateAuthorityConfiguration={
                    "KeyAlgorithm": key_algorithm,
                    "SigningAlgorithm": signing,
                    "Subject": {"CommonName": f"Moto {key_algorithm}"},
                },
                CertificateAuthorityType="ROOT",
            )["CertificateAuthorityArn"]
            csr = client.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
            issued = client.issue_certificate(
                CertificateAuthorityArn=arn,
                Csr=csr,
                SigningAlgorithm=signing,
                TemplateArn="arn:aws:acm-pca:::template/RootCACertificate/V1",
                Validity={"Type": "YEARS", "Value": 10},
            )["CertificateArn"]
            certificate = client.get_certificate(CertificateAuthorityArn=arn, CertificateArn=issued)
            client.import_certificate_authority_certificate(
                CertificateAuthorityArn=arn, Certificate=certificate["Certificate"]
            )
            _pairs(client, arn, signing, pool[:2])
            times = []
            for i in range(rounds):
                batch = pool[2 + i * per_round : 2 + (i + 1) * per_round]
                begin = time.perf_counter()
                _pairs(client, arn, signing, batch)
                times.append(time.perf_counter() - begin)
        except Exception as error:  # moto may not know an algorithm: say so in the table
            return {"error": f"{type(error).__name__}: {error}"[:160]}
    return {"pair_s": median(times) / per_round}


def _moto_in_child(key_algorithm: str, per_round: int, rounds: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--moto", key_algorithm, str(per_round), str(rounds)],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in out.stdout.splitlines():
        if line.startswith("MOTO:"):
            return json.loads(line[5:])
    return {"error": (out.stderr.strip().splitlines() or ["moto run failed"])[-1][:160]}


def run(quick: bool) -> list[dict[str, Any]]:
    per_round, rounds = (60, 4) if quick else (150, 6)
    moto_per_round, moto_rounds = (6, 2) if quick else (12, 3)
    rows = []
    for key_algorithm, (_, label) in CA_KINDS.items():
        moto = _moto_in_child(key_algorithm, moto_per_round, moto_rounds)
        figures = sandbox_and_floor(key_algorithm, per_round, rounds)
        rate = 1 / figures["sandbox_pair_s"]
        if "pair_s" in moto:
            rows.append(
                row(
                    f"boto3 issue+get, {label} CA: sandbox",
                    rate,
                    "certs/s",
                    baseline="moto acm-pca",
                    baseline_value=1 / moto["pair_s"],
                    target=">= 30x",
                    met=rate * moto["pair_s"] >= 30,
                    note="moto always makes an RSA-2048 CA key"
                    if key_algorithm != "RSA_2048"
                    else None,
                )
            )
        else:
            rows.append(
                row(
                    f"boto3 issue+get, {label} CA: sandbox",
                    rate,
                    "certs/s",
                    baseline="moto acm-pca",
                    target=">= 30x",
                    note=f"moto failed: {moto['error']}",
                )
            )
        rows.append(
            row(
                f"boto3 issue+get, {label} CA: sandbox vs null backend",
                rate,
                "certs/s",
                baseline="null backend (botocore's floor)",
                baseline_value=1 / figures["null_pair_s"],
                note="the null backend answers canned bytes from a before-send handler: "
                "boto3's own cost, the most any backend can reach",
            )
        )
        overhead = (figures["inside_pair_s"] - figures["crypto_cert_s"]) / 2
        floor = figures["null_pair_s"] / 2
        rows.append(
            row(
                f"sandbox overhead per boto3 call, {label} CA",
                overhead * 1e3,
                "ms/call",
                baseline="botocore floor per call",
                baseline_value=floor * 1e3,
                target="<= 1x",
                met=overhead <= floor,
                note=(
                    f"(time in Wire.handle per issue+get pair {figures['inside_pair_s'] * 1e3:.3f}"
                    f" ms - cryptography's {figures['crypto_cert_s'] * 1e3:.3f} ms per "
                    "certificate) / 2 calls"
                ),
            )
        )
    return rows


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--moto":
        result = moto_rate(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        print("MOTO:" + json.dumps(result), flush=True)
    else:
        worker_main(run)
