"""Where decoding a certificate to a table row spends its time, field by field.

Decodes 10,000 end-entity certificates (the ``decode_rate.py`` workload) and, for each stage of
``Certificate.to_dict``, times it on fresh objects; stages share cached parts (the extensions are
decoded once per certificate), so each figure includes what it needs first, as noted:

    .venv/bin/python bench/profile_decode.py [--count 10000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from common import ReferenceIssuer, ec_csr_pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()

    from cryptography import x509

    from pcanb.x509.decode import Certificate, _key_usage_names, first_common_name

    issuer = ReferenceIssuer("EC_prime256v1")
    pool = ec_csr_pool(500)
    ders = [issuer.issue(pool[i % len(pool)], verify=False) for i in range(args.count)]

    def per_certificate(fn: Callable[[Certificate], Any]) -> float:
        fresh = [Certificate.from_der(der) for der in ders]
        start = time.perf_counter_ns()
        for cert in fresh:
            fn(cert)
        return (time.perf_counter_ns() - start) / len(fresh) / 1000

    start = time.perf_counter_ns()
    for der in ders:
        x509.load_der_x509_certificate(der)
    load = (time.perf_counter_ns() - start) / len(ders) / 1000
    stages: list[tuple[str, float]] = [
        ("DER load (cryptography, lazy)", load),
        ("to_dict: every field", per_certificate(lambda c: c.to_dict())),
        ("extensions decoded by cryptography", per_certificate(lambda c: c._extension_values)),
        ("subject Name + RFC 4514 text", per_certificate(lambda c: c.subject)),
        ("commonName (includes the subject Name)", per_certificate(
            lambda c: first_common_name(c._subject))),
        ("issuer text (memoised by its encoding)", per_certificate(lambda c: c.issuer)),
        ("TBS walk for the encoded names and key", per_certificate(lambda c: c._tbs)),
        ("key type/size/curve (memoised by SPKI algorithm)", per_certificate(lambda c: c._key)),
        ("keyUsage names (includes extensions)", per_certificate(
            lambda c: _key_usage_names(c._ext(x509.KeyUsage)))),
        ("SHA-256 + SHA-1 fingerprints", per_certificate(
            lambda c: (c.fingerprint_sha256, c.fingerprint_sha1))),
        ("self-signed check (includes subject, issuer)", per_certificate(
            lambda c: c.is_self_signed)),
    ]  # fmt: skip
    print(f"Decoding {args.count:,} certificates: µs per certificate")
    for name, micros in stages:
        print(f"  {name:50s} {micros:7.1f}")


if __name__ == "__main__":
    main()
