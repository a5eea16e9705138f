"""The `pcanb` command: the tour the README points newcomers to, and sandbox housekeeping."""

from __future__ import annotations

import subprocess

from pcanb.cli import main


def test_tour_runs_the_whole_story(tmp_path, capsys):
    assert main(["tour", "--path", str(tmp_path / "tour")]) == 0
    out = capsys.readouterr().out
    assert "chain check: valid" in out
    assert "REVOKED" in out
    assert "KEY_COMPROMISE" in out
    assert out.count("EXPIRED") == 3
    assert "revocation.none" in out  # the root and the issuing CA publish no CRL and no OCSP
    assert "CA charges this month: $" in out
    crl = next((tmp_path / "tour" / "s3" / "example-pki" / "crl").glob("*.crl"))
    result = subprocess.run(
        ["openssl", "crl", "-inform", "DER", "-noout", "-text", "-in", str(crl)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Key Compromise" in result.stdout


def test_sandbox_advance_and_info(tmp_path, capsys):
    path = str(tmp_path / "box")
    assert main(["sandbox", "advance", "--days", "2", "--path", path]) == 0
    assert main(["sandbox", "info", "--path", path]) == 0
    assert "account=111122223333" in capsys.readouterr().out


def test_coverage_lists_every_operation(capsys):
    assert main(["sandbox", "coverage"]) == 0
    out = capsys.readouterr().out
    assert "CreateCertificateAuthorityAuditReport" in out
    assert "not emulated" not in out.split("Not reproduced:")[0]
