"""pca.chain(): a certificate's or CA's chain to its root, fetched from the service and verified."""

from __future__ import annotations

from datetime import timedelta

import pytest

import pcanb
from pcanb.x509.decode import Certificate
from tests.conftest import run_openssl


@pytest.fixture
def leaf(pca, issuing):
    return pca.issue(issuing, common_name="api.internal", sans=["api.internal"], days=30)


def test_a_leaf_under_a_subordinate_has_a_three_certificate_verified_chain(
    pca, root, issuing, leaf, tmp_path, openssl
):
    chain = pca.chain(leaf)
    assert len(chain) == 3
    assert chain[0] == leaf
    assert chain[1] == issuing.certificate
    assert chain[2] == root.certificate and chain.root.is_self_signed
    assert pca.chain(leaf.arn) == chain

    files = {}
    for name, cert in zip(("leaf", "sub", "root"), chain, strict=True):
        files[name] = tmp_path / f"{name}.pem"
        files[name].write_text(cert.pem)
    result = run_openssl(
        "verify", "-CAfile", str(files["root"]), "-untrusted", str(files["sub"]), str(files["leaf"])
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("OK")


def test_a_decoded_certificate_is_matched_to_the_ca_that_issued_it(pca, issuing, leaf):
    bare = Certificate.from_pem(leaf.pem)
    chain = pca.chain(bare)
    assert list(chain) == list(pca.chain(leaf))
    # a CA's own certificate, decoded, gives that CA's chain
    assert pca.chain(Certificate.from_pem(issuing.certificate.pem)) == pca.chain(issuing)


def test_a_ca_arn_or_handle_gives_the_cas_chain(pca, root, issuing):
    chain = pca.chain(issuing.arn)
    assert [c.common_name for c in chain] == ["Test Issuing CA", "Test Root CA"]
    assert pca.chain(issuing) == chain
    assert [c.common_name for c in pca.chain(root)] == ["Test Root CA"]


def test_an_expired_leaf_fails_verification_naming_the_problem(pca, leaf):
    pca.sandbox.advance(days=45)
    with pytest.raises(pcanb.ChainError, match="expired on") as excinfo:
        pca.chain(leaf)
    error = excinfo.value
    assert isinstance(error, pcanb.PcanbError)
    assert "verify=False" in str(error)
    assert len(error.problems) == 1 and "certificate 0 (api.internal) expired" in error.problems[0]
    assert len(error.chain) == 3

    chain = pca.chain(leaf, verify=False)
    assert len(chain) == 3 and chain[0] == leaf
    assert len(pca.chain(leaf, at=leaf.not_before + timedelta(days=1))) == 3


def test_a_certificate_from_elsewhere_is_a_pcanb_error(pca, root):
    elsewhere = pca.in_region("eu-west-1")
    other = elsewhere.issue(elsewhere.create_root_ca(common_name="Other Root"), "x.example")
    with pytest.raises(pcanb.PcanbError, match="no CA of this session"):
        pca.chain(Certificate.from_pem(other.pem))


@pytest.mark.parametrize("item", ["not-an-arn", 42])
def test_what_is_not_a_certificate_or_ca_is_refused(pca, item):
    with pytest.raises(pcanb.PcanbError, match="certificate"):
        pca.chain(item)
