"""The `pcanb` command: the tour the README points newcomers to, and sandbox housekeeping."""

from __future__ import annotations

import subprocess
import sys

from pcanb.cli import main

# What `pip install pcanb` alone gives: none of the notebook extra's libraries can be imported.
_WITHOUT_NOTEBOOK_EXTRA = (
    "import sys\n"
    "for name in ('matplotlib', 'ipywidgets', 'tqdm', 'IPython'):\n"
    "    sys.modules[name] = None\n"
)


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


def test_tour_runs_without_the_notebook_extra(tmp_path):
    code = _WITHOUT_NOTEBOOK_EXTRA + (
        "from pcanb.cli import main\n"
        f"sys.exit(main(['tour', '--path', {str(tmp_path / 'tour')!r}]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "chain check: valid" in result.stdout


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


def test_user_mistakes_are_one_line_errors(tmp_path, capsys, monkeypatch):
    import socket

    missing = str(tmp_path / "missing")
    assert main(["sandbox", "info", "--path", missing]) == 2
    assert "There is no pcanb sandbox" in capsys.readouterr().err
    assert not (tmp_path / "missing").exists()  # info does not make one

    box = str(tmp_path / "box")
    assert main(["sandbox", "advance", "--days", "1", "--path", box]) == 0
    assert main(["sandbox", "advance", "--days", "-5", "--path", box]) == 2
    assert "only moves forward" in capsys.readouterr().err

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        assert main(["sandbox", "serve", "--port", port, "--path", box]) == 2
    assert main(["sandbox", "serve", "--port", "99999", "--path", box]) == 2
    err = capsys.readouterr().err
    assert err.count("pcanb: error: cannot serve on 127.0.0.1") == 2
    assert "Traceback" not in err


def test_reset_asks_first(tmp_path, capsys, monkeypatch):
    import io

    box = tmp_path / "box"
    assert main(["sandbox", "advance", "--days", "1", "--path", str(box)]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal: nobody to ask
    assert main(["sandbox", "reset", "--path", str(box)]) == 2
    assert "--yes" in capsys.readouterr().err
    assert (box / "sandbox.sqlite3").exists()
    assert main(["sandbox", "reset", "--yes", "--path", str(box)]) == 0
    assert f"reset {box}" in capsys.readouterr().out
