"""The README's example, end to end through boto3 against the sandbox."""

from __future__ import annotations

from conftest import run_openssl


def test_root_sub_leaf_chain_verifies_with_openssl(pca, tmp_path):
    root = pca.create_root_ca(common_name="Example Root CA", key_algorithm="EC_prime256v1")
    sub = pca.create_subordinate_ca(parent=root, common_name="Example Issuing CA", path_length=0)
    leaf = pca.issue(
        sub, common_name="api.example.internal", sans=["api.example.internal"], days=30
    )

    assert leaf.common_name == "api.example.internal"
    assert leaf.dns_names == ["api.example.internal"]
    assert [c.common_name for c in leaf.chain] == ["Example Issuing CA", "Example Root CA"]
    (tmp_path / "root.pem").write_text(root.certificate.pem)
    (tmp_path / "sub.pem").write_text(sub.certificate.pem)
    (tmp_path / "leaf.pem").write_text(leaf.pem)
    result = run_openssl(
        "verify", "-CAfile", str(tmp_path / "root.pem"), "-untrusted", str(tmp_path / "sub.pem"),
        str(tmp_path / "leaf.pem"),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr

    frame = pca.list_certificate_authorities()
    assert set(frame["arn"]) == {root.arn, sub.arn}
    assert set(frame["status"]) == {"ACTIVE"}
    assert str(frame["not_after"].dtype) == "datetime64[us, UTC]"
    one = pca.describe_certificate_authority(sub)
    assert list(one.columns) == list(frame.columns)
    assert one.loc[0, "type"] == "SUBORDINATE"
