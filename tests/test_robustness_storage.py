"""A sandbox directory that cannot be written, or a full disk: a clear error, never corruption.

Read-only: as an ordinary user the directory is made read-only with chmod; as root (where chmod
does not stop writes) it is made immutable with ``chattr +i``, which stops root too. A full disk:
SQLite's ``max_page_count`` makes the database refuse to grow with the very error (SQLITE_FULL)
a full file system gives.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import SIGNED
from test_robustness_support import read_only

import pcanb
from pcanb.errors import PcanbError
from pcanb.sandbox import Sandbox
from pcanb.sandbox.store import SandboxStorageError

URL = "https://acm-pca.us-east-1.amazonaws.com/"


def _target(operation: str) -> dict[str, str]:
    return {
        "X-Amz-Target": f"ACMPrivateCA.{operation}",
        "Content-Type": "application/x-amz-json-1.1",
        **SIGNED,
    }


def test_a_new_sandbox_in_a_read_only_directory_is_a_clear_error(tmp_path):
    parent = tmp_path / "locked"
    parent.mkdir()
    with read_only(parent), pytest.raises(PcanbError) as excinfo:
        Sandbox(parent)
    assert isinstance(excinfo.value, SandboxStorageError)
    message = str(excinfo.value)
    assert str(parent) in message and "writable" in message
    assert not (parent / "sandbox.sqlite3").exists()


def test_an_existing_sandbox_made_read_only_is_a_clear_error_and_stays_intact(tmp_path):
    path = tmp_path / "sandbox"
    pca = pcanb.sandbox(path)
    root = pca.create_root_ca(common_name="Frozen Root")
    leaf = pca.issue(root, common_name="frozen.example", days=1)
    pca.sandbox.close()
    database = path / "sandbox.sqlite3"
    before = database.read_bytes()

    with read_only(database, path):
        with pytest.raises(SandboxStorageError) as excinfo:
            pcanb.sandbox(path)
        assert "writable" in str(excinfo.value)
        assert database.read_bytes() == before

    again = pcanb.sandbox(path)
    try:
        fetched = again.get_certificate(root, leaf.arn)
        assert fetched == leaf
    finally:
        again.sandbox.close()


@pytest.fixture
def full_disk(tmp_path):
    """An open sandbox with one CA whose database cannot grow any more (SQLITE_FULL)."""
    pca = pcanb.sandbox(tmp_path / "sandbox")
    root = pca.create_root_ca(common_name="Full Disk Root")
    conn = pca.sandbox.store._connect()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    # fill what is left in every table's pages, one committed row at a time, until nothing fits
    fillers = {
        "meta": ("INSERT INTO meta (key, value) VALUES (?, 'x')", lambda i: (f"filler-{i}",)),
        "certificates": (
            "INSERT INTO certificates (arn, ca_arn, serial, der, subject, template_arn, "
            "issued_at, not_before, not_after, available_at) "
            "VALUES (?, 'filler', ?, x'00', 'CN=filler', 'filler', 0, 0, 0, 0)",
            lambda i: (f"filler-{i}", format(i, "x")),
        ),
        "events": (
            "INSERT INTO events (event_time, event_source, event_name, region, request_id) "
            "VALUES (0, 'filler', 'Filler', 'us-east-1', ?)",
            lambda i: (f"filler-{i}",),
        ),
    }
    for table, (sql, values) in fillers.items():
        for i in range(100_000):
            try:
                with pca.sandbox.store.write() as db:
                    db.execute(sql, values(i))
            except sqlite3.OperationalError as error:
                assert "full" in str(error)
                break
        else:
            pytest.fail(f"max_page_count never stopped {table} from growing")
    yield pca, root, conn, pages
    conn.execute("PRAGMA max_page_count = 1073741823")
    pca.sandbox.close()


def _csr() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from pcanb.x509.csr import build_csr

    key = ec.generate_private_key(ec.SECP256R1())
    return build_csr(key, "full.example", ["DNS:full.example"]).public_bytes(
        serialization.Encoding.PEM
    )


def test_a_full_disk_answers_service_unavailable_and_changes_nothing(full_disk):
    import base64

    pca, root, conn, _ = full_disk
    box = pca.sandbox
    with sqlite3.connect(box.store.path) as db:
        count_before = db.execute("SELECT count(*) FROM certificates").fetchone()[0]
    db.close()
    request = {
        "CertificateAuthorityArn": root.arn,
        "Csr": base64.b64encode(_csr()).decode(),
        "SigningAlgorithm": "SHA256WITHECDSA",
        "Validity": {"Type": "DAYS", "Value": 1},
    }
    status, headers, body = box.handle(
        "POST", URL, _target("IssueCertificate"), json.dumps(request).encode()
    )
    assert status == 503
    document = json.loads(body)
    assert document["__type"] == "ServiceUnavailable" == headers["x-amzn-ErrorType"]
    assert "cannot write" in document["message"] and str(box.path) in document["message"]

    # through boto3 it is a ClientError with that code (retries off so the test stays quick)
    client = box.boto3_session().client("acm-pca", config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(ClientError) as excinfo:
        client.issue_certificate(
            CertificateAuthorityArn=root.arn,
            Csr=_csr(),
            SigningAlgorithm="SHA256WITHECDSA",
            Validity={"Type": "DAYS", "Value": 1},
        )
    assert excinfo.value.response["Error"]["Code"] == "ServiceUnavailable"

    # what is stored can still be read (only the call-log event of the read is lost)
    events_before = len(box.events())
    described = client.describe_certificate_authority(CertificateAuthorityArn=root.arn)
    assert described["CertificateAuthority"]["Status"] == "ACTIVE"
    listed = client.list_certificate_authorities()["CertificateAuthorities"]
    assert [ca["Arn"] for ca in listed] == [root.arn]
    assert len(box.events()) == events_before

    with sqlite3.connect(box.store.path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM certificates").fetchone()[0] == count_before
    db.close()

    # once there is room again the same sandbox carries on
    conn.execute("PRAGMA max_page_count = 1073741823")
    leaf = pca.issue(root, common_name="room-again.example", days=1)
    assert leaf.common_name == "room-again.example"


def test_a_sandbox_directory_that_cannot_be_created_is_a_clear_error(tmp_path):
    parent = tmp_path / "locked"
    parent.mkdir()
    with read_only(parent), pytest.raises(SandboxStorageError) as excinfo:
        Sandbox(parent / "deeper" / "sandbox")
    assert "cannot be created" in str(excinfo.value)


# --- the S3 side of a full disk: CRLs are plain files ------------------------------------------


@pytest.fixture
def crl_ca(tmp_path):
    """A CA publishing complete CRLs to a sandbox bucket, with one issued certificate."""
    from conftest import crl_revocation, make_pca_bucket

    pca = pcanb.sandbox(tmp_path / "sandbox")
    bucket = make_pca_bucket(pca, "full-disk-crl")
    root = pca.create_root_ca(
        common_name="Full Disk CRL Root", revocation_configuration=crl_revocation(bucket)
    )
    leaf = pca.issue(root, common_name="crl-leaf.example", days=3)
    yield pca, root, leaf
    pca.sandbox.close()


@contextmanager
def s3_disk_full(box: Sandbox, *, prefix: str = ""):
    """S3 object writes under ``prefix`` fail as a full disk fails them (ENOSPC)."""
    import errno

    original = box.s3._store

    def refuse(bucket, key, *args, **kwargs):
        if key.startswith(prefix):
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(bucket, key, *args, **kwargs)

    box.s3._store = refuse
    try:
        yield
    finally:
        box.s3._store = original


def test_a_full_disk_under_the_crl_bucket_is_service_unavailable_and_changes_nothing(crl_ca):
    pca, root, leaf = crl_ca
    client = pca.sandbox.boto3_session().client(
        "acm-pca", config=Config(retries={"total_max_attempts": 1})
    )
    with s3_disk_full(pca.sandbox):
        with pytest.raises(ClientError) as excinfo:
            client.revoke_certificate(
                CertificateAuthorityArn=root.arn,
                CertificateSerial=leaf.serial_hex,
                RevocationReason="KEY_COMPROMISE",
            )
        assert excinfo.value.response["Error"]["Code"] == "ServiceUnavailable"
        assert "No space left" in excinfo.value.response["Error"]["Message"]
        # reads are still answered
        described = client.describe_certificate_authority(CertificateAuthorityArn=root.arn)
        assert described["CertificateAuthority"]["Status"] == "ACTIVE"
    assert not pca.check_revocation(leaf).revoked  # nothing was revoked
    pca.revoke(leaf, "KEY_COMPROMISE")  # with room again, the same call works
    assert pca.check_revocation(leaf).revoked


def test_a_crl_that_cannot_be_written_after_the_revocation_stays_due(crl_ca):
    pca, root, leaf = crl_ca
    with s3_disk_full(pca.sandbox, prefix="crl/"):  # the bucket check passes, the CRL write fails
        pca.revoke(leaf, "KEY_COMPROMISE")  # committed: the call succeeds
        assert pca.crl(root).to_frame().empty  # the CRL on S3 is still the one before
    pca.describe_certificate_authority(root)  # any later call publishes what is due
    crl = pca.crl(root)
    assert crl.is_revoked(leaf.serial)
    assert list(crl.to_frame()["serial_hex"]) == [leaf.serial_hex]
