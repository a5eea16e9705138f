"""A sandbox opened read-only: what an auditor does with a copy, a shared or read-only directory.

Reads are answered (toolkit, boto3, S3, the AWS CLI over ``pcanb sandbox serve --read-only``);
anything that would change the sandbox is refused the way AWS refuses a read-only role
(``AccessDeniedException``, S3 ``AccessDenied``) and the database file is left byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import warnings

import pytest
from botocore.exceptions import ClientError
from conftest import crl_revocation, make_pca_bucket
from test_robustness_support import free_port, read_only, serve_process

import pcanb
from pcanb.aws.audit import ReusedReportWarning
from pcanb.sandbox.store import SandboxStorageError

BUCKET = "read-only-crl"


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def closed_sandbox(tmp_path):
    """A sandbox with a CRL-publishing root, a revoked and a valid leaf and an audit report,
    closed cleanly; returns (path, root ARN, {name: certificate ARN}, audit report key)."""
    path = tmp_path / "box"
    pca = pcanb.sandbox(path)
    make_pca_bucket(pca, BUCKET)
    root = pca.create_root_ca(
        common_name="Read-only Root", revocation_configuration=crl_revocation(BUCKET)
    )
    good = pca.issue(root, common_name="good.example", days=30)
    bad = pca.issue(root, common_name="bad.example", days=30)
    pca.revoke(bad, "KEY_COMPROMISE")
    report = pca.audit_report(root)
    pca.crl(root)  # published before closing
    pca.sandbox.close()
    key = report.attrs["s3_uri"].split("/", 3)[3]
    return path, root.arn, {"good": good.arn, "bad": bad.arn}, key


def test_reads_are_answered_and_changes_refused_without_touching_the_file(closed_sandbox):
    path, root_arn, leaves, report_key = closed_sandbox
    database = path / "sandbox.sqlite3"
    before = _digest(database)
    pca = pcanb.sandbox(path, read_only=True)
    try:
        assert "read-only" in repr(pca.sandbox)
        frame = pca.list_certificate_authorities()
        assert list(frame["status"]) == ["ACTIVE"]
        assert pca.get_certificate(root_arn, leaves["good"]).common_name == "good.example"
        crl = pca.crl(root_arn)
        assert len(crl.entries) == 1 and crl.is_revoked(int(leaves["bad"].rsplit("/", 1)[1], 16))
        assert pca.check_revocation(leaves["bad"]).revoked is True
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            report = pca.audit_report(root_arn)  # AccessDenied: the newest report is read
        assert any(issubclass(w.category, ReusedReportWarning) for w in caught)
        assert report.attrs["s3_uri"].endswith(report_key)
        assert len(report) == 3  # the root's own certificate and the two leaves
        events_before = len(pca.sandbox.events())

        with pytest.raises(ClientError) as denied:
            pca.issue(root_arn, common_name="new.example", days=1)
        error = denied.value.response["Error"]
        assert error["Code"] == "AccessDeniedException"
        assert "read-only" in error["Message"] and "IssueCertificate" in error["Message"]
        assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        for call in (
            lambda: pca.client.revoke_certificate(
                CertificateAuthorityArn=root_arn,
                CertificateSerial="01",
                RevocationReason="UNSPECIFIED",
            ),
            lambda: pca.client.tag_certificate_authority(
                CertificateAuthorityArn=root_arn, Tags=[{"Key": "k", "Value": "v"}]
            ),
            lambda: pca.client.update_certificate_authority(  # refused before validation
                CertificateAuthorityArn=root_arn, Status="NOT-A-STATUS"
            ),
        ):
            with pytest.raises(ClientError) as denied:
                call()
            assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
        with pytest.raises(ClientError) as s3_denied:
            pca.s3.put_object(Bucket=BUCKET, Key="new-object", Body=b"x")
        assert s3_denied.value.response["Error"]["Code"] == "AccessDenied"
        assert s3_denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        with pytest.raises(ClientError):
            pca.s3.delete_object(Bucket=BUCKET, Key=report_key)
        for change in (
            lambda: pca.sandbox.advance(days=1),
            lambda: pca.sandbox.configure(issuance_delay=1),
            pca.sandbox.reset,
        ):
            with pytest.raises(SandboxStorageError, match="read-only"):
                change()
        # nothing was recorded either: the call log is part of the file
        assert len(pca.sandbox.events()) == events_before
        assert pca.s3.get_object(Bucket=BUCKET, Key=report_key)["Body"].read()
    finally:
        pca.sandbox.close()
    assert _digest(database) == before
    assert (path / "sandbox.sqlite3").exists() and (path / "s3").is_dir()


def test_a_read_only_reader_follows_a_writer_as_it_commits(tmp_path):
    writer = pcanb.sandbox(tmp_path / "live")
    root = writer.create_root_ca(common_name="Live Root")
    reader = pcanb.sandbox(tmp_path / "live", read_only=True)
    try:
        assert len(reader.list_certificate_authorities()) == 1
        leaf = writer.issue(root, common_name="later.example", days=1)
        assert reader.get_certificate(root.arn, leaf.arn) == leaf
        writer.sandbox.advance(days=3)
        assert reader.sandbox.now() >= writer.sandbox.now().replace(microsecond=0)
    finally:
        reader.sandbox.close()
        writer.sandbox.close()


def test_a_sandbox_in_a_read_only_directory_opens_read_only(closed_sandbox):
    path, root_arn, leaves, _ = closed_sandbox
    before = _digest(path / "sandbox.sqlite3")
    with read_only(path):
        with pytest.raises(SandboxStorageError, match="read_only=True"):
            pcanb.sandbox(path)  # the default still says why, and what to do
        pca = pcanb.sandbox(path, read_only=True)
        try:
            assert pca.get_certificate(root_arn, leaves["bad"]).common_name == "bad.example"
            assert len(pca.crl(root_arn).entries) == 1
            with pytest.raises(ClientError) as denied:
                pca.issue(root_arn, common_name="new.example", days=1)
            assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
        finally:
            pca.sandbox.close()
        assert sorted(p.name for p in path.iterdir()) == [
            "s3",
            "sandbox.sqlite3",
            "sandbox.sqlite3.lock",
        ]
    assert _digest(path / "sandbox.sqlite3") == before


def test_unsaved_changes_in_a_read_only_directory_are_a_clear_error(tmp_path):
    """A sandbox killed before it checkpointed keeps its latest commits in the -wal file; in a
    directory nobody can write, SQLite cannot read them, so opening says so instead of showing
    an older state."""
    path = tmp_path / "killed"
    code = (
        "import os, sys, pcanb\n"
        "pca = pcanb.sandbox(sys.argv[1])\n"
        "root = pca.create_root_ca(common_name='Unsaved Root')\n"
        "pca.issue(root, common_name='unsaved.example', days=1)\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=120)
    wal = path / "sandbox.sqlite3-wal"
    assert wal.stat().st_size > 0
    (path / "sandbox.sqlite3-shm").unlink()  # rebuilt from the -wal by any writer
    with read_only(path), pytest.raises(SandboxStorageError) as excinfo:
        pcanb.sandbox(path, read_only=True)
    assert "not closed cleanly" in str(excinfo.value) and "sandbox.sqlite3-wal" in str(
        excinfo.value
    )
    pca = pcanb.sandbox(path)  # writable again: everything is there
    try:
        assert list(pca.list_certificate_authorities()["common_name"]) == ["Unsaved Root"]
    finally:
        pca.sandbox.close()


def test_nothing_to_open_read_only(tmp_path):
    with pytest.raises(SandboxStorageError, match="no pcanb sandbox"):
        pcanb.sandbox(tmp_path / "missing", read_only=True)
    assert not (tmp_path / "missing").exists()
    with pytest.raises(SandboxStorageError):
        pcanb.sandbox(":memory:", read_only=True)
    (tmp_path / "other.sqlite3").write_bytes(b"not a database at all" * 100)
    os.rename(tmp_path / "other.sqlite3", tmp_path / "sandbox.sqlite3")
    with pytest.raises(SandboxStorageError, match="may not be a sandbox database"):
        pcanb.sandbox(tmp_path, read_only=True)


def test_served_read_only_to_the_aws_cli(closed_sandbox, aws_cli):
    path, root_arn, leaves, _ = closed_sandbox
    before = _digest(path / "sandbox.sqlite3")
    port = free_port()
    server = serve_process(path, port, "--read-only")
    try:

        def aws(*args: str) -> subprocess.CompletedProcess:
            return aws_cli(f"http://127.0.0.1:{port}", "acm-pca", *args)

        listed = aws("list-certificate-authorities")
        assert listed.returncode == 0, listed.stderr
        assert [ca["Arn"] for ca in json.loads(listed.stdout)["CertificateAuthorities"]] == [
            root_arn
        ]
        got = aws(
            "get-certificate",
            "--certificate-authority-arn", root_arn,
            "--certificate-arn", leaves["good"],
        )  # fmt: skip
        assert got.returncode == 0, got.stderr
        assert "BEGIN CERTIFICATE" in json.loads(got.stdout)["Certificate"]
        refused = aws(
            "update-certificate-authority",
            "--certificate-authority-arn", root_arn,
            "--status", "DISABLED",
        )  # fmt: skip
        assert refused.returncode != 0
        assert "AccessDeniedException" in refused.stderr and "read-only" in refused.stderr
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert b"Traceback" not in stderr
    assert _digest(path / "sandbox.sqlite3") == before


def test_the_command_line_says_what_is_wrong_without_a_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pcanb", "sandbox", "info", "--path", str(tmp_path / "none"),
         "--read-only"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("pcanb: error: There is no pcanb sandbox")
    assert "Traceback" not in result.stderr


def test_sandbox_info_reads_a_sandbox_in_a_read_only_directory(closed_sandbox):
    path = closed_sandbox[0]
    command = [sys.executable, "-m", "pcanb", "sandbox", "info", "--path", str(path)]
    with read_only(path):
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert str(path) in result.stdout and "read-only" in result.stdout
