"""The README's walkthrough runs as written: the short example, revocation, and the audit lines
that name no placeholder, in one sandbox (``$PCANB_SANDBOX`` pointed at a fresh directory)."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

import pcanb
from pcanb.aws.audit import ReusedReportWarning
from pcanb.aws.buckets import PCA_BUCKET_ACTIONS
from pcanb.errors import PcanbError

README = Path(__file__).resolve().parent.parent / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", README.read_text(), flags=re.S | re.M)


def test_the_walkthrough_runs_as_written(tmp_path, monkeypatch):
    monkeypatch.setenv("PCANB_SANDBOX", str(tmp_path / "readme-sandbox"))
    example, revocation, audit = _python_blocks()[:3]
    assert "pcanb.sandbox()" in example and "create_pca_bucket" in revocation
    namespace: dict = {}
    exec(compile(example, "README short example", "exec"), namespace)
    exec(compile(revocation, "README revocation", "exec"), namespace)
    with warnings.catch_warnings():  # the inventory reuses the report just made, and says so
        warnings.simplefilter("ignore", ReusedReportWarning)
        for line in audit.splitlines():  # a statement per line; placeholders are illustrative
            if line.strip() and "…" not in line and "{...}" not in line:
                exec(compile(line, "README audit", "exec"), namespace)
    pca = namespace["pca"]
    try:
        assert namespace["pca"].check_revocation(namespace["web"]).revoked is True
        report, inventory = namespace["report"], namespace["inventory"]
        assert len(report) == 1  # web, revoked; the issuing CA itself is in its parent's report
        assert len(inventory) >= 4  # with leaf, the two subordinates (and the root)
    finally:
        pca.sandbox.close()


def test_create_pca_bucket_sets_the_documented_policy(tmp_path):
    pca = pcanb.sandbox(tmp_path / "box")
    try:
        assert pca.create_pca_bucket("pki-bucket") == "pki-bucket"
        assert pca.create_pca_bucket("pki-bucket") == "pki-bucket"  # an existing one is kept
        policy = json.loads(pca.s3.get_bucket_policy(Bucket="pki-bucket")["Policy"])
        (statement,) = policy["Statement"]
        assert statement["Principal"] == {"Service": "acm-pca.amazonaws.com"}
        assert statement["Action"] == list(PCA_BUCKET_ACTIONS)
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": pca.account}}
        eu = pca.in_region("eu-west-1")
        eu.create_pca_bucket("pki-bucket-eu")
        assert eu.s3.get_bucket_location(Bucket="pki-bucket-eu")["LocationConstraint"] == (
            "eu-west-1"
        )
        config = {
            "CrlConfiguration": {
                "Enabled": True,
                "S3BucketName": "pki-bucket-eu",
                "ExpirationInDays": 7,
                "S3ObjectAcl": "BUCKET_OWNER_FULL_CONTROL",
            }
        }
        root = eu.create_root_ca(common_name="EU Root", revocation_configuration=config)
        eu.revoke(eu.issue(root, common_name="gone.example", days=1), "SUPERSEDED")
        assert len(eu.crl(root).entries) == 1  # acm-pca could write its CRL there
        with pytest.raises(PcanbError, match="bucket name"):
            pca.create_pca_bucket("")
        with pytest.raises(PcanbError, match="bucket must be a string"):
            pca.create_pca_bucket(42)
    finally:
        pca.sandbox.close()
