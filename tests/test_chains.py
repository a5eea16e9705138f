"""pca.chain(): a certificate's or CA's chain to its root, fetched from the service and verified."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography import x509

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


# --- nameConstraints and critical extensions, as OpenSSL judges them ----------------------------


def _openssl_verify(tmp_path, chain) -> tuple[bool, str]:
    leaf_pem, root_pem, middle = tmp_path / "leaf.pem", tmp_path / "root.pem", tmp_path / "mid.pem"
    leaf_pem.write_text(chain[0].pem)
    root_pem.write_text(chain[-1].pem)
    untrusted = []
    if len(chain) > 2:
        middle.write_text("".join(c.pem for c in chain[1:-1]))
        untrusted = ["-untrusted", str(middle)]
    result = run_openssl("verify", "-CAfile", str(root_pem), *untrusted, str(leaf_pem))
    return result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def constrained(pca, root):
    """A subordinate CA whose certificate permits only DNS names under good.example.com."""
    sub = pca.create_subordinate_ca(common_name="NC Sub")  # left PENDING_CERTIFICATE
    nc = x509.NameConstraints([x509.DNSName("good.example.com")], None).public_bytes()
    extensions = {
        "KeyUsage": {"KeyCertSign": True, "CRLSign": True, "DigitalSignature": True},
        "CustomExtensions": [
            {
                "ObjectIdentifier": "2.5.29.30",
                "Value": base64.b64encode(nc).decode(),
                "Critical": True,
            }
        ],
    }
    cert = pca.issue(
        root,
        csr=sub.csr.pem,
        template="BlankSubordinateCACertificate_PathLen0_APIPassthrough",
        days=300,
        api_passthrough={"Extensions": extensions},
    )
    pca.import_certificate_authority_certificate(sub.arn, cert, cert.chain)
    return sub.arn


def test_a_name_outside_the_issuers_name_constraints_fails_as_in_openssl(
    pca, constrained, tmp_path, openssl
):
    from pcanb.ui.cards import chain_card

    leaf = pca.issue(
        constrained, common_name="evil.attacker.com", sans=["evil.attacker.com"], days=5
    )
    with pytest.raises(pcanb.ChainError) as excinfo:
        pca.chain(leaf)
    [problem] = excinfo.value.problems
    assert problem == (
        "certificate 0 (evil.attacker.com): DNS:evil.attacker.com is not within the permitted "
        "subtrees (DNS:good.example.com) of the nameConstraints of certificate 1 (NC Sub)"
    )
    chain = pca.chain(leaf, verify=False)
    accepted, output = _openssl_verify(tmp_path, chain)
    assert not accepted and "error 47" in output and "permitted subtree violation" in output
    markup = str(chain_card(chain))
    assert "verifies" not in markup and "1 problem" in markup and "nameConstraints" in markup


def test_names_inside_the_name_constraints_verify_as_in_openssl(
    pca, constrained, tmp_path, openssl
):
    for name in ("good.example.com", "www.good.example.com"):
        leaf = pca.issue(constrained, common_name=name, sans=[name], days=5)
        chain = pca.chain(leaf)
        assert len(chain) == 3
        accepted, output = _openssl_verify(tmp_path, chain)
        assert accepted, output


def test_an_unprocessed_critical_extension_fails_as_in_openssl(pca, root, tmp_path, openssl):
    from pcanb.ui.cards import chain_card

    custom = {"ObjectIdentifier": "1.2.3.4.5.6", "Value": "BQA=", "Critical": True}  # NULL
    leaf = pca.issue(
        root,
        common_name="c.example.com",
        sans=["c.example.com"],
        template="BlankEndEntityCertificate_APIPassthrough/V1",
        days=5,
        api_passthrough={"Extensions": {"CustomExtensions": [custom]}},
    )
    with pytest.raises(pcanb.ChainError, match=r"critical extension .* \(1\.2\.3\.4\.5\.6\)"):
        pca.chain(leaf)
    chain = pca.chain(leaf, verify=False)
    accepted, output = _openssl_verify(tmp_path, chain)
    assert not accepted and "error 34" in output and "unhandled critical extension" in output
    assert "verifies" not in str(chain_card(chain))


# --- objects a session returns judge time by the session's clock ---------------------------------


def test_session_objects_and_their_cards_judge_time_in_sandbox_time(pca, issuing):
    from pcanb.ui.cards import certificate_card, chain_card
    from pcanb.ui.reprs import issued_certificate_card

    leaf = pca.issue(issuing, common_name="soon.example.com", sans=["soon.example.com"], days=9)
    pca.sandbox.advance(days=13)  # expired 4 days ago in sandbox time, valid on the wall clock
    fetched = pca.get_certificate(leaf.arn)
    for cert in (leaf, fetched):
        markup = str(certificate_card(cert))
        assert "expired" in markup and "expires in" not in markup
        assert not cert.is_valid_at()
        assert cert.days_to_expiry() == cert.days_to_expiry(pca.now()) < -3
        assert cert.now() >= leaf.not_after + timedelta(days=4)
    assert "verifies" not in issued_certificate_card(leaf)
    assert "expired" in issued_certificate_card(leaf)

    chain = pca.chain(leaf, verify=False)
    markup = str(chain_card(chain))
    assert "verifies" not in markup and "expired on" in markup
    assert "verifies" not in str(chain_card(leaf.full_chain))
    with pytest.raises(pcanb.ChainError, match="expired on"):
        pca.chain(leaf)
    assert "verifies" in str(chain_card(pca.chain(issuing)))  # the CA's own chain is still valid

    # a certificate decoded by hand belongs to no session: it keeps the wall clock
    bare = Certificate.from_pem(leaf.pem)
    assert bare.is_valid_at() and 7 <= bare.days_to_expiry() <= 9
    assert "expires in" in str(certificate_card(bare))
