"""Four processes issue 500 certificates each (and revoke every third) into one sandbox at once:
no serial lost or issued twice, the audit report complete, the CRL exact."""

from __future__ import annotations

import subprocess
import sys
import time

from test_robustness_support import CHILD, check_consistency, crl_sandbox, parse_child_output

import pcanb

PROCESSES = 4
EACH = 500


def test_four_processes_share_one_sandbox(tmp_path):
    path = tmp_path / "sandbox"
    pca, ca_arn = crl_sandbox(path)
    pca.sandbox.close()
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    go = tmp_path / "go"
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-W",
                "error",
                str(script),
                str(path),
                ca_arn,
                str(EACH),
                f"p{i}",
                str(go),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", (
            child.stderr.read() if child.stderr else ""
        )
    go.touch()
    acknowledged: list[str] = []
    revoked: list[str] = []
    started = time.monotonic()
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err[-2000:]
        assert out.rstrip().endswith("done")
        issued, gone = parse_child_output(out)
        assert len(issued) == EACH
        acknowledged += issued
        revoked += gone
    elapsed = time.monotonic() - started

    reopened = pcanb.sandbox(path)
    try:
        counts = check_consistency(reopened, ca_arn, acknowledged, revoked)
    finally:
        reopened.sandbox.close()
    assert counts == {"certificates": PROCESSES * EACH, "revoked": PROCESSES * (EACH // 3)}
    assert len(set(acknowledged)) == PROCESSES * EACH
    assert elapsed < 240
