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

from test_robustness_support import CHILD, check_consistency, crl_sandbox, parse_child_output

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
