"""verify_chain names every broken link; build_chain orders a pool of certificates."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, mldsa, padding, rsa
from cryptography.x509.oid import NameOID

from pcanb.x509.chain import build_chain, verify_chain
from pcanb.x509.decode import Certificate, CertificateChain

NOW = datetime.now(UTC).replace(microsecond=0)


def _key(kind: str = "ec"):
    if kind == "rsa":
        return rsa.generate_private_key(65537, 2048)
    if kind == "mldsa":
        return mldsa.MLDSA44PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def _usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def issue(
    cn: str,
    key,
    issuer: tuple[Certificate, object] | None = None,
    *,
    ca: bool | None = True,
    path_length: int | None = None,
    cert_sign: bool | None = None,
    days: tuple[int, int] = (-1, 365),
    pss: bool = False,
    ski: bool = True,
) -> Certificate:
    """A certificate for ``key`` named ``cn``, signed by ``issuer`` = (cert, key) or itself."""
    issuer_cert, issuer_key = issuer if issuer else (None, key)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_cert.x509.subject if issuer_cert else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + timedelta(days=days[0]))
        .not_valid_after(NOW + timedelta(days=days[1]))
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    )
    if ski:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
        )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca, path_length), critical=True)
    if cert_sign is not None or ca:
        builder = builder.add_extension(_usage(bool(ca if cert_sign is None else cert_sign)), True)
    if isinstance(issuer_key, mldsa.MLDSA44PrivateKey):
        return Certificate(builder.sign(issuer_key, None))
    extra = {}
    if pss:
        extra["rsa_padding"] = padding.PSS(padding.MGF1(hashes.SHA256()), salt_length=32)
    return Certificate(builder.sign(issuer_key, hashes.SHA256(), **extra))


@pytest.fixture(scope="module")
def pki():
    root_key, sub_key, leaf_key = _key(), _key(), _key()
    root = issue("Root CA", root_key)
    sub = issue("Issuing CA", sub_key, (root, root_key), path_length=0)
    leaf = issue("api.internal", leaf_key, (sub, sub_key), ca=False, days=(-1, 90))
    return {
        "root": root,
        "sub": sub,
        "leaf": leaf,
        "root_key": root_key,
        "sub_key": sub_key,
        "leaf_key": leaf_key,
    }


def _one(problems: list[str], text: str) -> str:
    found = [p for p in problems if text in p]
    assert found, f"no problem mentions {text!r}: {problems}"
    return found[0]


# --- verify_chain ------------------------------------------------------------------------------


def test_a_good_chain_has_no_problems(pki):
    assert verify_chain(pki["leaf"], [pki["sub"], pki["root"]]) == []
    assert verify_chain(pki["leaf"], CertificateChain([pki["sub"], pki["root"]]), at=NOW) == []


def test_a_chain_that_starts_with_the_leaf_is_accepted(pki):
    assert verify_chain(pki["leaf"], [pki["leaf"], pki["sub"], pki["root"]]) == []


def test_a_self_signed_root_alone_is_a_valid_chain(pki):
    assert verify_chain(pki["root"], []) == []


def test_wrong_order_is_reported(pki):
    problems = verify_chain(pki["leaf"], [pki["root"], pki["sub"]])
    problem = _one(problems, "wrong order")
    assert "certificate 0 (api.internal)" in problem
    assert "'CN=Issuing CA'" in problem and "'CN=Root CA'" in problem
    _one(problems, "certificate 2 (Issuing CA) is not self-signed")


def test_missing_root_is_reported(pki):
    problems = verify_chain(pki["leaf"], [pki["sub"]])
    assert problems == [
        "certificate 1 (Issuing CA) is not self-signed: the chain does not reach a root"
    ]


def test_expired_and_not_yet_valid_certificates_are_reported(pki):
    later = NOW + timedelta(days=100)
    problems = verify_chain(pki["leaf"], [pki["sub"], pki["root"]], at=later)
    assert problems == [
        f"certificate 0 (api.internal) expired on {pki['leaf'].not_after:%Y-%m-%d %H:%M} UTC"
    ]
    earlier = NOW - timedelta(days=2)
    problems = verify_chain(pki["leaf"], [pki["sub"], pki["root"]], at=earlier)
    assert len(problems) == 3
    assert all("is not valid before" in p for p in problems)


def test_expired_intermediate_is_reported(pki):
    sub = issue("Old CA", pki["sub_key"], (pki["root"], pki["root_key"]), days=(-400, -10))
    leaf = issue("svc", _key(), (sub, pki["sub_key"]), ca=False)
    problems = verify_chain(leaf, [sub, pki["root"]])
    assert len(problems) == 1
    assert problems[0].startswith("certificate 1 (Old CA) expired on")


def test_non_ca_issuer_is_reported(pki):
    server_key = _key()
    server = issue("server", server_key, (pki["root"], pki["root_key"]), ca=False, cert_sign=False)
    child = issue("child", _key(), (server, server_key), ca=False)
    assert verify_chain(child, [server, pki["root"]]) == [
        "certificate 1 (server) is not a CA (basicConstraints cA is not true)",
        "certificate 1 (server) may not sign certificates (keyUsage lacks keyCertSign)",
    ]


def test_issuer_without_basic_constraints_is_not_a_ca(pki):
    key = _key()
    issuer = issue("No BC", key, (pki["root"], pki["root_key"]), ca=None)
    child = issue("child", _key(), (issuer, key), ca=False)
    problems = verify_chain(child, [issuer, pki["root"]])
    assert problems == ["certificate 1 (No BC) is not a CA (basicConstraints cA is not true)"]


def test_ca_without_key_cert_sign_is_reported(pki):
    key = _key()
    issuer = issue("No keyCertSign", key, (pki["root"], pki["root_key"]), cert_sign=False)
    child = issue("child", _key(), (issuer, key), ca=False)
    problems = verify_chain(child, [issuer, pki["root"]])
    assert problems == [
        "certificate 1 (No keyCertSign) may not sign certificates (keyUsage lacks keyCertSign)"
    ]


def test_broken_signature_is_reported(pki):
    der = bytearray(pki["leaf"].der)
    der[-1] ^= 0x01
    tampered = Certificate.from_der(bytes(der))
    problems = verify_chain(tampered, [pki["sub"], pki["root"]])
    assert problems == [
        "certificate 0 (api.internal): signature does not verify with the key of "
        "certificate 1 (Issuing CA)"
    ]


def test_signature_by_another_key_with_the_same_name_is_reported(pki):
    impostor_key = _key()
    impostor = issue("Issuing CA", impostor_key, (pki["root"], pki["root_key"]), path_length=0)
    problems = verify_chain(pki["leaf"], [impostor, pki["root"]])
    _one(problems, "signature does not verify with the key of certificate 1 (Issuing CA)")
    _one(problems, "does not match subjectKeyIdentifier")


def test_path_length_is_enforced(pki):
    sub2_key = _key()
    sub2 = issue("Second CA", sub2_key, (pki["sub"], pki["sub_key"]))
    leaf = issue("deep", _key(), (sub2, sub2_key), ca=False)
    problems = verify_chain(leaf, [sub2, pki["sub"], pki["root"]])
    assert problems == [
        "certificate 2 (Issuing CA) allows pathLen 0 but 1 intermediate certificate follows it"
    ]


def test_ml_dsa_and_rsa_pss_links_verify():
    root_key = _key("mldsa")
    root = issue("PQ Root", root_key)
    sub_key = _key("rsa")
    sub = issue("RSA PSS CA", sub_key, (root, root_key))
    leaf = issue("pss-leaf", _key(), (sub, sub_key), ca=False, pss=True)
    assert root.signature_algorithm == "ML_DSA_44"
    assert leaf.signature_algorithm == "SHA256WITHRSA_PSS"
    assert verify_chain(leaf, [sub, root]) == []
    other = issue("PQ Root", _key("mldsa"))
    _one(verify_chain(leaf, [sub, other]), "certificate 1 (RSA PSS CA): signature does not verify")


def test_naive_at_is_taken_as_utc(pki):
    at = (NOW + timedelta(days=100)).replace(tzinfo=None)
    assert len(verify_chain(pki["leaf"], [pki["sub"], pki["root"]], at=at)) == 1


# --- build_chain -------------------------------------------------------------------------------


def test_build_chain_orders_a_shuffled_pool(pki):
    unrelated = issue("Other Root", _key())
    pool = [pki["root"], unrelated, pki["leaf"], pki["sub"]]
    random.Random(4).shuffle(pool)
    chain = build_chain(pki["leaf"], pool)
    assert isinstance(chain, CertificateChain)
    assert list(chain) == [pki["leaf"], pki["sub"], pki["root"]]
    assert verify_chain(pki["leaf"], chain) == []


def test_build_chain_stops_when_the_pool_has_no_issuer(pki):
    assert list(build_chain(pki["leaf"], [pki["sub"]])) == [pki["leaf"], pki["sub"]]
    assert list(build_chain(pki["leaf"], [])) == [pki["leaf"]]
    assert list(build_chain(pki["root"], [pki["sub"], pki["root"]])) == [pki["root"]]


def test_build_chain_picks_the_issuer_whose_key_signed(pki):
    impostor = issue("Issuing CA", _key(), (pki["root"], pki["root_key"]), path_length=0)
    chain = build_chain(pki["leaf"], [impostor, pki["root"], pki["sub"]])
    assert list(chain) == [pki["leaf"], pki["sub"], pki["root"]]
    # Without key identifiers the signature still tells the issuers apart.
    sub_no_ski = issue("Issuing CA", pki["sub_key"], (pki["root"], pki["root_key"]), ski=False)
    impostor_no_ski = issue("Issuing CA", _key(), (pki["root"], pki["root_key"]), ski=False)
    chain = build_chain(pki["leaf"], [impostor_no_ski, sub_no_ski, pki["root"]])
    assert chain[1] == sub_no_ski


def test_build_chain_prefers_the_renewed_issuer_with_the_same_key(pki):
    renewed = issue(
        "Issuing CA",
        pki["sub_key"],
        (pki["root"], pki["root_key"]),
        path_length=0,
        days=(-1, 3000),
    )
    chain = build_chain(pki["leaf"], [pki["sub"], renewed, pki["root"]])
    assert chain[1] == renewed
