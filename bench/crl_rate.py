"""CRL generation with 1k / 10k / 100k revoked entries: the sandbox's ``crl.build`` against
cryptography's own fastest path (entries built, the list given to the constructor, signed).

The revoked certificates are written straight into the sandbox's store (rows as IssueCertificate
and RevokeCertificate leave them), so the figure is the CRL build alone: reading the rows,
building the entries, signing, DER encoding.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from typing import Any

from common import interleaved, median, row, worker_main

REASONS = ["KEY_COMPROMISE", "SUPERSEDED", "CESSATION_OF_OPERATION", "UNSPECIFIED"]


def _fill(db: Any, ca_arn: str, count: int, now: float) -> list[tuple[int, float, str]]:
    entries = []
    rows = []
    for i in range(count):
        serial = int.from_bytes(os.urandom(16), "big") | (1 << 127)
        revoked_at = now - 3600 + i * 0.01
        reason = REASONS[i % len(REASONS)]
        entries.append((serial, revoked_at, reason))
        rows.append(
            (
                f"{ca_arn}/certificate/{serial:032x}", ca_arn, format(serial, "x"), b"", "CN=x",
                "arn:aws:acm-pca:::template/EndEntityCertificate/V1", now - 7200, now - 7200,
                now + 86400 * 30, now - 7200, revoked_at, reason,
            )
        )  # fmt: skip
    db.executemany(
        "INSERT INTO certificates (arn, ca_arn, serial, der, subject, template_arn, issued_at, "
        "not_before, not_after, available_at, revoked_at, revocation_reason) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    return entries


def _baseline(key: Any, issuer: Any, entries: list[tuple[int, float, str]]) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    flags = {
        "KEY_COMPROMISE": x509.ReasonFlags.key_compromise,
        "SUPERSEDED": x509.ReasonFlags.superseded,
        "CESSATION_OF_OPERATION": x509.ReasonFlags.cessation_of_operation,
    }
    revoked = []
    for serial, when, reason in entries:
        builder = (
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(dt.datetime.fromtimestamp(when, dt.UTC))
        )
        if reason in flags:
            builder = builder.add_extension(x509.CRLReason(flags[reason]), critical=False)
        revoked.append(builder.build())
    now = dt.datetime.now(dt.UTC)
    crl = x509.CertificateRevocationListBuilder(
        issuer_name=issuer,
        last_update=now - dt.timedelta(hours=1),
        next_update=now + dt.timedelta(days=7),
        extensions=[],
        revoked_certificates=revoked,
    )
    crl = crl.add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
    return crl.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def run(quick: bool) -> list[dict[str, Any]]:
    from cryptography.hazmat.primitives import serialization

    import pcanb
    from pcanb.sandbox import crl
    from pcanb.sandbox.state import CaRecord

    sizes = (1_000, 10_000, 100_000)
    rows = []
    with tempfile.TemporaryDirectory(prefix="pcanb-bench-") as tmp:
        pca = pcanb.sandbox(tmp + "/sandbox")
        box = pca.sandbox
        for size in sizes:
            ca = pca.create_root_ca(common_name=f"CRL bench {size}")
            with box.store.write() as db:
                entries = _fill(db, ca.arn, size, time.time())
            with box.store.read() as db:
                record = CaRecord.from_row(
                    db.execute("SELECT * FROM cas WHERE arn = ?", (ca.arn,)).fetchone()
                )
            # build() only reads the configuration: no bucket is needed to time it
            record.doc["RevocationConfiguration"]["CrlConfiguration"] = {
                "Enabled": True,
                "ExpirationInDays": 7,
                "S3BucketName": "crl-bench",
            }

            def sandbox_build(record=record) -> None:
                with box.store.read() as db:
                    crl.build(db, record, box.now()).public_bytes(serialization.Encoding.DER)

            key = record.private_key
            issuer = record.certificate.subject
            rounds = {1_000: 5, 10_000: 3 if quick else 5, 100_000: 1 if quick else 3}[size]
            times = interleaved(
                {
                    "sandbox": sandbox_build,
                    "baseline": lambda key=key, issuer=issuer, entries=entries: _baseline(
                        key, issuer, entries
                    ),
                },
                rounds,
            )
            sandbox_s, baseline_s = median(times["sandbox"]), median(times["baseline"])
            rows.append(
                row(
                    f"CRL generation, {size:,} revoked entries (EC P-256)",
                    sandbox_s * 1e3,
                    "ms",
                    baseline="cryptography: entries + list constructor + sign",
                    baseline_value=baseline_s * 1e3,
                    note=f"{size / sandbox_s:,.0f} entries/s",
                )
            )
        box.close()
    return rows


if __name__ == "__main__":
    worker_main(run)
