"""Decoding 10k certificates to a DataFrame: ``pcanb.certificates_frame`` (each certificate
decoded, ``to_dict``, typed columns) against raw cryptography parsing (DER load + subject, issuer, dates, serial and
every extension's value, the least a person reads to make such a table).

The certificates are real end-entity certificates (EC P-256 issuer, the EndEntityCertificate/V1
extensions and a DNS SAN), decoded from DER as they are stored and as GetCertificate carries them.
"""

from __future__ import annotations

from typing import Any

from common import ReferenceIssuer, ec_csr_pool, interleaved, median, row, worker_main


def _raw(ders: list[bytes]) -> list[tuple]:
    from cryptography import x509

    out = []
    for der in ders:
        cert = x509.load_der_x509_certificate(der)
        out.append(
            (
                cert.subject.rfc4514_string(),
                cert.issuer.rfc4514_string(),
                cert.not_valid_before_utc,
                cert.not_valid_after_utc,
                cert.serial_number,
                [ext.value for ext in cert.extensions],
            )
        )
    return out


def _pcanb(ders: list[bytes]) -> Any:
    from pcanb.analysis.certificates import certificates_frame

    return certificates_frame(ders)


def run(quick: bool) -> list[dict[str, Any]]:
    import pandas  # noqa: F401  (imported before timing: the import is not the decoding)

    count = 10_000
    issuer = ReferenceIssuer("EC_prime256v1")
    pool = ec_csr_pool(500)
    ders = [issuer.issue(pool[i % len(pool)], verify=False) for i in range(count)]
    _pcanb(ders[:100])
    _raw(ders[:100])
    rounds = 3 if quick else 5
    times = interleaved({"pcanb": lambda: _pcanb(ders), "raw": lambda: _raw(ders)}, rounds)
    rate, raw_rate = count / median(times["pcanb"]), count / median(times["raw"])
    return [
        row(
            f"decode {count:,} certificates → typed DataFrame (certificates_frame)",
            rate,
            "certs/s",
            baseline="cryptography DER load + fields + every extension",
            baseline_value=raw_rate,
            target=">= 15,000/s",
            met=rate >= 15_000,
        )
    ]


if __name__ == "__main__":
    worker_main(run)
