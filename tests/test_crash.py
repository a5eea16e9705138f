"""A process killed with SIGKILL in the middle of issuing and revoking leaves a sound sandbox.

The child issues and revokes through boto3 in a loop; the parent kills it at a random moment,
several times over, on the same sandbox. Afterwards the store passes SQLite's integrity check,
nothing a client was told about is lost, every certificate GetCertificate can fetch is in an
audit report, and the CRL lists exactly the revoked certificates.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

from test_robustness_support import (
    CHILD,
    check_consistency,
    crl_sandbox,
    free_port,
    parse_child_output,
    serve_process,
)

import pcanb

KILLS = 5


def test_sigkill_at_random_points_leaves_a_consistent_sandbox(tmp_path):
    rng = random.Random(20261128)
    path = tmp_path / "sandbox"
    pca, ca_arn = crl_sandbox(path)
    pca.sandbox.close()
    script = tmp_path / "child.py"
    script.write_text(CHILD)

    acknowledged: list[str] = []
    revoked: list[str] = []
    for round_ in range(KILLS):
        child = subprocess.Popen(
            [
                sys.executable,
                "-W",
                "error",
                str(script),
                str(path),
                ca_arn,
                "100000",
                f"k{round_}",
                "-",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", (
            child.stderr.read() if child.stderr else ""
        )
        # let it work for a while: some issuances, a revocation or two, CRLs being published
        time.sleep(rng.uniform(0.3, 1.2))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL
        issued, gone = parse_child_output(out)
        assert issued, "the child was killed before it issued anything"
        acknowledged += issued
        revoked += gone

    reopened = pcanb.sandbox(path)
    try:
        counts = check_consistency(reopened, ca_arn, acknowledged, revoked)
        assert counts["certificates"] >= len(acknowledged)
        assert counts["revoked"] >= 1
        # and the sandbox keeps working after the crashes
        again = reopened.issue(ca_arn, common_name="after-the-crashes.example", days=1)
        assert again.common_name == "after-the-crashes.example"
    finally:
        reopened.sandbox.close()


def test_sigkill_of_the_served_sandbox_loses_nothing_a_client_was_told(tmp_path):
    """The same story over HTTP: clients of ``pcanb sandbox serve`` issue and revoke while the
    server process is killed with SIGKILL and started again, three times."""
    import threading

    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from pcanb.x509.csr import build_csr

    rng = random.Random(20261129)
    path = tmp_path / "served"
    pca, ca_arn = crl_sandbox(path)
    pca.sandbox.close()
    csr = build_csr(ec.generate_private_key(ec.SECP256R1()), "served.example", []).public_bytes(
        serialization.Encoding.PEM
    )
    acknowledged: list[str] = []
    revoked: list[str] = []
    for _ in range(3):
        port = free_port()
        server = serve_process(path, port)
        client = boto3.Session(
            aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x", region_name="us-east-1"
        ).client(
            "acm-pca", endpoint_url=f"http://127.0.0.1:{port}",
            config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5),
        )  # fmt: skip
        stop = threading.Event()

        def work(client=client, stop=stop) -> None:
            while not stop.is_set():
                try:
                    arn = client.issue_certificate(
                        CertificateAuthorityArn=ca_arn, Csr=csr,
                        SigningAlgorithm="SHA256WITHECDSA", Validity={"Type": "DAYS", "Value": 5},
                    ).get("CertificateArn")  # fmt: skip
                    if arn is None:  # the kill cut the answer short: the client was told nothing
                        return
                    acknowledged.append(arn)
                    if len(acknowledged) % 3 == 0:
                        serial = arn.rsplit("/", 1)[1]
                        client.revoke_certificate(
                            CertificateAuthorityArn=ca_arn, CertificateSerial=serial,
                            RevocationReason="KEY_COMPROMISE",
                        )  # fmt: skip
                        revoked.append(serial)
                except (BotoCoreError, ClientError):
                    return  # the server is gone: what was acknowledged is counted

        workers = [threading.Thread(target=work) for _ in range(3)]
        for worker in workers:
            worker.start()
        time.sleep(rng.uniform(0.5, 1.5))
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        if server.stderr is not None:
            server.stderr.close()
    assert acknowledged, "no certificate was issued before the kills"

    reopened = pcanb.sandbox(path)
    try:
        counts = check_consistency(reopened, ca_arn, acknowledged, revoked)
        assert counts["certificates"] >= len(acknowledged)
        assert counts["revoked"] >= len(revoked) >= 1
    finally:
        reopened.sandbox.close()
