"""Shared pieces of the benchmarks: result rows, timing, CA and CSR fixtures, the worker protocol.

Every benchmark module has ``run(quick: bool) -> list[dict]`` and, run as a script with
``--worker``, prints its rows as one JSON line after ``BENCH-JSON:`` so that ``run.py`` can
start each one in a fresh interpreter (no state, cache or garbage shared between them).
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MARKER = "BENCH-JSON:"

#: Key algorithm → (signing algorithm, label) for the CAs the issuance benchmarks use.
CA_KINDS = {
    "EC_prime256v1": ("SHA256WITHECDSA", "EC P-256"),
    "RSA_2048": ("SHA256WITHRSA", "RSA-2048"),
    "ML_DSA_44": ("ML_DSA_44", "ML-DSA-44"),
}


def row(
    figure: str,
    value: float | None,
    unit: str,
    *,
    baseline: str | None = None,
    baseline_value: float | None = None,
    ratio: float | None = None,
    target: str | None = None,
    met: bool | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """One line of the results table; ``ratio`` defaults to value / baseline_value."""
    if ratio is None and value is not None and baseline_value:
        ratio = value / baseline_value
    return {
        "figure": figure,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_value": baseline_value,
        "ratio": ratio,
        "target": target,
        "met": met,
        "note": note,
    }


def timed(function: Callable[[], Any]) -> float:
    """Wall-clock seconds of one call (a collection first, so garbage from before is not billed)."""
    gc.collect()
    begin = time.perf_counter()
    function()
    return time.perf_counter() - begin


def interleaved(contenders: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[float]]:
    """Time each contender once per round, alternating, so load from elsewhere hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, function in contenders.items():
            times[name].append(timed(function))
    return times


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def ec_csr_pool(count: int, *, seed_name: str = "leaf") -> list[bytes]:
    """``count`` distinct PEM CSRs, each with a fresh EC P-256 key, a CN and a DNS SAN."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from pcanb.x509.csr import build_csr

    pool = []
    for i in range(count):
        key = ec.generate_private_key(ec.SECP256R1())
        name = f"{seed_name}{i}.bench.example"
        pool.append(build_csr(key, name, [f"DNS:{name}"]).public_bytes(serialization.Encoding.PEM))
    return pool


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sandbox_root_ca(pca: Any, key_algorithm: str) -> str:
    """An ACTIVE root CA of ``key_algorithm`` in a sandbox session; returns its ARN."""
    signing, _ = CA_KINDS[key_algorithm]
    return pca.create_root_ca(
        common_name=f"Bench {key_algorithm}", key_algorithm=key_algorithm, signing_algorithm=signing
    ).arn


def worker_main(run: Callable[[bool], list[dict[str, Any]]]) -> None:
    """``python bench/<module>.py [--quick] [--worker]``: run and print the rows."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", action="store_true", help="print rows as JSON for run.py")
    args = parser.parse_args()
    rows = run(args.quick)
    if args.worker:
        print(MARKER + json.dumps(rows), flush=True)
    else:
        for r in rows:
            print(json.dumps(r))


class ReferenceIssuer:
    """cryptography alone doing what IssueCertificate must do: PEM CSR → load + verify → build
    (the EndEntityCertificate/V1 extensions: BC, KU, EKU, SKI, AKI, SAN) → sign → DER.

    The practical limit of any CA written on cryptography: no storage, no validation, no
    bookkeeping.
    """

    def __init__(self, key_algorithm: str) -> None:
        import datetime as dt

        from cryptography import x509
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        from pcanb.x509.keys import generate_private_key, sign_arguments

        signing, label = CA_KINDS[key_algorithm]
        self.x509 = x509
        self.key = generate_private_key(key_algorithm)
        self.sign_args = sign_arguments(signing)
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Reference {label}")])
        self.aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key())
        self.ku = x509.KeyUsage(True, False, True, False, False, False, False, False, False)
        self.eku = x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
        )
        self.bc = x509.BasicConstraints(ca=False, path_length=None)
        self.now = dt.datetime.now(dt.UTC)
        self.end = self.now + dt.timedelta(days=30)

    def issue(self, pem_csr: bytes, *, verify: bool = True) -> bytes:
        from cryptography.hazmat.primitives import serialization

        x509 = self.x509
        csr = x509.load_pem_x509_csr(pem_csr)
        if verify and not csr.is_signature_valid:
            raise ValueError("bad CSR")
        public_key = csr.public_key()
        builder = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now)
            .not_valid_after(self.end)
            .add_extension(self.bc, critical=False)
            .add_extension(self.ku, critical=True)
            .add_extension(self.eku, critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(self.aki, critical=False)
        )
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        builder = builder.add_extension(san.value, critical=False)
        return builder.sign(self.key, **self.sign_args).public_bytes(serialization.Encoding.DER)
