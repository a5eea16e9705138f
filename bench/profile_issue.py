"""Where an engine IssueCertificate spends its time, stage by stage, next to cryptography alone.

Wraps the sandbox's issuance stages with wall-clock counters (a few hundred nanoseconds each),
issues ``--count`` certificates from an EC P-256 (or ``--key``) root through ``Engine.call``,
and prints microseconds per call for each stage and for the reference issuer on the same CSRs:

    .venv/bin/python bench/profile_issue.py [--count 2000] [--key EC_prime256v1]

Stages nest (``issue_certificate`` contains ``_load_csr``, ``sign``…); ``engine.call`` is the
whole action with its transaction. For a sampling profile of the same loop use pyinstrument:
``python -m pyinstrument bench/profile_issue.py``.
"""

from __future__ import annotations

import argparse
import collections
import functools
import tempfile
import time
from typing import Any

from common import CA_KINDS, ReferenceIssuer, b64, ec_csr_pool, sandbox_root_ca

_STAGES = {
    "pcanb.sandbox.issuance": (
        "issue_certificate", "load_ca", "_load_csr", "build_extensions", "audit_subject",
        "new_serial", "_check_validity",
    ),
    "pcanb.sandbox.signing": ("sign",),
    "pcanb.sandbox.validity": ("not_after", "not_before"),
    "pcanb.sandbox.quotas": ("count_issued",),
    "pcanb.sandbox.shapes": ("validate_request",),
}  # fmt: skip


def _instrument(totals: collections.Counter, counts: collections.Counter) -> None:
    import importlib

    from pcanb.sandbox import engine

    def timed(label: str, function: Any) -> Any:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter_ns()
            try:
                return function(*args, **kwargs)
            finally:
                totals[label] += time.perf_counter_ns() - start
                counts[label] += 1

        return wrapper

    for module_name, names in _STAGES.items():
        module = importlib.import_module(module_name)
        for name in names:
            setattr(
                module,
                name,
                timed(f"{module_name.rsplit('.', 1)[1]}.{name}", getattr(module, name)),
            )
    _, writes = engine.ACTIONS["IssueCertificate"]
    from pcanb.sandbox import issuance

    engine.ACTIONS["IssueCertificate"] = (issuance.issue_certificate, writes)
    engine.Engine.call = timed("engine.call", engine.Engine.call)


def sqlite_floor(count: int) -> float:
    """µs per BEGIN IMMEDIATE + INSERT + COMMIT of a certificate-sized row into a WAL database
    with one unique index, the store's pragmas and nothing else: the least a durable issuance
    can cost in SQLite on this machine."""
    import os
    import sqlite3

    with tempfile.TemporaryDirectory(prefix="pcanb-floor-") as tmp:
        db = sqlite3.connect(tmp + "/floor.sqlite3", isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "wal_autocheckpoint=8000"):
            db.execute(f"PRAGMA {pragma}")
        db.execute(
            "CREATE TABLE t (seq INTEGER PRIMARY KEY, ca TEXT, serial TEXT, der BLOB, "
            "UNIQUE (ca, serial))"
        )
        ca = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/" + "0" * 36
        rows = [(ca, os.urandom(16).hex(), os.urandom(900)) for _ in range(count)]
        start = time.perf_counter_ns()
        for row in rows:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO t (ca, serial, der) VALUES (?, ?, ?)", row)
            db.execute("COMMIT")
        elapsed = time.perf_counter_ns() - start
        db.close()
    return elapsed / count / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--key", default="EC_prime256v1", choices=sorted(CA_KINDS))
    args = parser.parse_args()

    import pcanb

    totals: collections.Counter = collections.Counter()
    counts: collections.Counter = collections.Counter()
    _instrument(totals, counts)
    signing, label = CA_KINDS[args.key]
    pool = ec_csr_pool(args.count + 100)
    with tempfile.TemporaryDirectory(prefix="pcanb-profile-") as tmp:
        pca = pcanb.sandbox(tmp + "/sandbox")
        box = pca.sandbox
        arn = sandbox_root_ca(pca, args.key)
        requests = [
            {"CertificateAuthorityArn": arn, "Csr": b64(csr), "SigningAlgorithm": signing,
             "Validity": {"Type": "DAYS", "Value": 30}}
            for csr in pool
        ]  # fmt: skip
        for request in requests[:100]:  # warm the caches
            box.engine.call("IssueCertificate", request, account=box.account, region="us-east-1")
        totals.clear()
        counts.clear()
        for request in requests[100:]:
            box.engine.call("IssueCertificate", request, account=box.account, region="us-east-1")
        box.close()
    reference = ReferenceIssuer(args.key)
    start = time.perf_counter_ns()
    for csr in pool[100:]:
        reference.issue(csr)
    totals["cryptography alone (reference)"] = time.perf_counter_ns() - start
    counts["cryptography alone (reference)"] = args.count
    totals["SQLite alone: BEGIN + INSERT + COMMIT (floor)"] = int(
        sqlite_floor(args.count) * 1000 * args.count
    )
    counts["SQLite alone: BEGIN + INSERT + COMMIT (floor)"] = args.count
    print(f"IssueCertificate, {label} CA, {args.count} certificates: µs per call")
    for name, total in sorted(totals.items(), key=lambda item: -item[1]):
        per_call = total / args.count / 1000
        print(f"  {name:46s} {per_call:8.1f}   (x{counts[name] / args.count:.0f})")


if __name__ == "__main__":
    main()
