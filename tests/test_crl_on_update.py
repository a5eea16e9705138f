"""Turning CRLs on later: nothing is written until a certificate points at the CRL."""

from __future__ import annotations

from conftest import make_pca_bucket


def _crl_keys(pca, bucket):
    listing = pca.s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return [o["Key"] for o in listing if o["Key"].startswith("crl/")]


def test_enabling_crl_on_an_active_ca_waits_for_the_first_certificate(pca, root):
    make_pca_bucket(pca, "late-crl")
    config = {
        "CrlConfiguration": {
            "Enabled": True,
            "S3BucketName": "late-crl",
            "ExpirationInDays": 3,
            "S3ObjectAcl": "BUCKET_OWNER_FULL_CONTROL",
        }
    }
    pca.update_certificate_authority(root, revocation_configuration=config)
    assert _crl_keys(pca, "late-crl") == []

    leaf = pca.issue(root, common_name="late.example.com", days=5)
    assert leaf.crl_urls == [f"http://late-crl.s3.us-east-1.amazonaws.com/crl/{root.ca_id}.crl"]
    assert _crl_keys(pca, "late-crl") == [f"crl/{root.ca_id}.crl"]
    assert len(pca.crl(root)) == 0
