"""An expired root renews itself: self-sign the CA's CSR again and re-import (same key)."""

from __future__ import annotations


def test_expired_root_is_renewed_with_its_own_key(pca):
    root = pca.create_root_ca(common_name="Short Root", validity={"Type": "DAYS", "Value": 30})
    pca.sandbox.advance(days=31)
    assert pca.describe_certificate_authority(root).loc[0, "status"] == "EXPIRED"

    csr = pca.get_certificate_authority_csr(root)
    validity = {"Type": "YEARS", "Value": 5}
    arn = pca.issue_certificate(
        root, csr, "SHA256WITHECDSA", validity, template_arn="RootCACertificate"
    )
    renewed = pca.get_certificate(root, arn)
    pca.import_certificate_authority_certificate(root, renewed)

    row = pca.describe_certificate_authority(root).iloc[0]
    assert row["status"] == "ACTIVE"
    assert row["not_after"] == renewed.not_after
    assert renewed.public_key == root.certificate.public_key
    assert renewed.serial != root.certificate.serial
