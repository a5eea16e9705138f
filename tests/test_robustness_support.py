"""Helpers for the crash, stress and storage tests: a CRL-publishing CA, child processes,
consistency, a served sandbox, unwritable paths."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import crl_revocation, make_pca_bucket
from cryptography import x509

import pcanb

BUCKET = "robustness-crl"

#: A child that issues (and revokes every third certificate) through boto3 until told to stop or
#: killed; it prints "I <arn>" after each issuance and "R <serial>" after each revocation returns.
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    import pcanb
    from pcanb.x509.csr import build_csr

    path, arn, count, label, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    pca = pcanb.sandbox(path)
    client = pca.client
    print("ready", flush=True)
    while go != "-" and not Path(go).exists():
        time.sleep(0.002)
    issued = []
    for i in range(count):
        key = ec.generate_private_key(ec.SECP256R1())
        name = f"{label}-{i}.robust.example"
        csr = build_csr(key, name, [f"DNS:{name}"]).public_bytes(serialization.Encoding.PEM)
        cert_arn = client.issue_certificate(
            CertificateAuthorityArn=arn, Csr=csr, SigningAlgorithm="SHA256WITHECDSA",
            Validity={"Type": "DAYS", "Value": 30},
        )["CertificateArn"]
        print("I", cert_arn, flush=True)
        issued.append(cert_arn)
        if i % 3 == 2:
            serial = issued[-2].rsplit("/", 1)[1]
            client.revoke_certificate(
                CertificateAuthorityArn=arn, CertificateSerial=serial,
                RevocationReason="KEY_COMPROMISE",
            )
            print("R", serial, flush=True)
    print("done", flush=True)
    pca.sandbox.close()
    """
)


def crl_sandbox(path: Path) -> tuple[pcanb.Pca, str]:
    """A sandbox at ``path`` with a CRL bucket and an ACTIVE root CA publishing CRLs there."""
    pca = pcanb.sandbox(path)
    make_pca_bucket(pca, BUCKET)
    config = crl_revocation(BUCKET, ocsp=False)
    root = pca.create_root_ca(common_name="Robustness Root", revocation_configuration=config)
    return pca, root.arn


def parse_child_output(text: str) -> tuple[list[str], list[str]]:
    """(issued certificate ARNs, revoked serials) a child acknowledged."""
    issued, revoked = [], []
    for line in text.splitlines():
        if line.startswith("I "):
            issued.append(line[2:].strip())
        elif line.startswith("R "):
            revoked.append(line[2:].strip())
    return issued, revoked


def check_consistency(
    pca: pcanb.Pca, ca_arn: str, acknowledged: list[str], revoked_serials: list[str]
) -> dict[str, int]:
    """The store is sound and tells one story: what the clients were told happened is there,
    every fetchable certificate is in an audit report, and the CRL lists exactly the revoked."""
    path = pca.sandbox.store.path
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute(
            "SELECT arn, serial, revoked_at FROM certificates WHERE ca_arn = ? "
            "AND template_arn NOT LIKE '%RootCACertificate%'",
            (ca_arn,),
        ).fetchall()
    db.close()
    stored = {arn: revoked_at for arn, _, revoked_at in rows}
    serials = [serial for _, serial, _ in rows]
    assert len(set(serials)) == len(serials), "a serial was issued twice"
    missing = set(acknowledged) - set(stored)
    assert not missing, f"{len(missing)} acknowledged certificates were lost"
    assert len(set(acknowledged)) == len(acknowledged)

    client = pca.client
    fetchable = set()
    for arn in stored:
        client.get_certificate(CertificateAuthorityArn=ca_arn, CertificateArn=arn)
        fetchable.add(arn)

    report = client.create_certificate_authority_audit_report(
        CertificateAuthorityArn=ca_arn, S3BucketName=BUCKET, AuditReportResponseFormat="JSON"
    )
    body = pca.s3.get_object(Bucket=BUCKET, Key=report["S3Key"])["Body"].read()
    records = {r["certificateArn"]: r for r in json.loads(body)}
    assert fetchable <= set(records), "a certificate is missing from the audit report"
    for arn, revoked_at in stored.items():
        assert ("revokedAt" in records[arn]) == (revoked_at is not None)

    revoked_in_store = {
        int(arn.rsplit("/", 1)[1], 16) for arn, revoked_at in stored.items() if revoked_at
    }
    for serial in revoked_serials:
        assert int(serial, 16) in revoked_in_store, "an acknowledged revocation was lost"
    ca_id = ca_arn.rsplit("/", 1)[1]
    client.describe_certificate_authority(CertificateAuthorityArn=ca_arn)  # publishes a due CRL
    crl = x509.load_der_x509_crl(
        pca.s3.get_object(Bucket=BUCKET, Key=f"crl/{ca_id}.crl")["Body"].read()
    )
    assert {entry.serial_number for entry in crl} == revoked_in_store
    return {"certificates": len(stored), "revoked": len(revoked_in_store)}


def serve_process(path, port: int, *options: str) -> subprocess.Popen:
    """``pcanb sandbox serve`` (with ``options``) on ``port`` in its own process, once it
    answers."""
    import urllib.error
    import urllib.request

    command = [sys.executable, "-m", "pcanb", "sandbox", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--path", str(path), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read()
            return server
        except urllib.error.HTTPError:  # an answer (an anonymous ListBuckets is refused)
            return server
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.05)
    server.kill()
    raise AssertionError(
        f"the server did not answer: {server.stderr.read() if server.stderr else ''}"
    )


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def read_only(*paths: Path):
    """Make ``paths`` unwritable for this process, whoever it runs as."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        return
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip(
            "running as root without chattr: nothing can make a directory read-only for root"
        )
    done = []
    try:
        for p in paths:
            result = subprocess.run([chattr, "+i", str(p)], capture_output=True, text=True)
            if result.returncode != 0:
                pytest.skip(f"chattr +i is not available here ({result.stderr.strip()})")
            done.append(p)
        yield
    finally:
        for p in reversed(done):
            subprocess.run([chattr, "-i", str(p)], check=True)
