"""Root → subordinate → leaf hierarchies built with the workflows, checked by OpenSSL and cryptography."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from conftest import error_code, run_openssl
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from pcanb.x509.chain import verify_chain


def _write(tmp_path: Path, **pems: str) -> dict[str, str]:
    paths = {}
    for name, pem in pems.items():
        path = tmp_path / f"{name}.pem"
        path.write_text(pem)
        paths[name] = str(path)
    return paths


def _openssl_verify(root: str, leaf: str, *untrusted: str) -> tuple[int, str]:
    args = ["verify", "-CAfile", root]
    for path in untrusted:
        args += ["-untrusted", path]
    result = run_openssl(*args, leaf)
    return result.returncode, result.stdout + result.stderr


# key algorithm, CA signing algorithm (None: the default for the key)
OPENSSL_FAMILIES = [
    ("RSA_2048", "SHA256WITHRSA"),
    ("RSA_2048", "SHA256WITHRSA_PSS"),
    ("RSA_3072", None),
    ("EC_prime256v1", None),
    ("EC_secp384r1", None),
    ("EC_secp521r1", None),
]


@pytest.mark.parametrize(("key_algorithm", "signing_algorithm"), OPENSSL_FAMILIES)
def test_hierarchy_verifies_with_openssl(pca, tmp_path, openssl, key_algorithm, signing_algorithm):
    options = {"key_algorithm": key_algorithm, "signing_algorithm": signing_algorithm}
    root = pca.create_root_ca(common_name=f"{key_algorithm} Root", **options)
    sub = pca.create_subordinate_ca(parent=root, common_name=f"{key_algorithm} Sub", **options)
    leaf = pca.issue(
        sub, common_name="svc.example.internal", sans=["svc.example.internal"], days=30
    )

    assert root.status == sub.status == "ACTIVE"
    assert root.certificate.key_algorithm == sub.certificate.key_algorithm == key_algorithm
    described = pca.describe_certificate_authority(sub)
    assert described.loc[0, "status"] == "ACTIVE"
    assert described.loc[0, "key_algorithm"] == key_algorithm
    if signing_algorithm == "SHA256WITHRSA_PSS":
        # the PSS parameters travel in the signature algorithm of what the CA signed
        assert isinstance(leaf.x509.signature_algorithm_parameters, padding.PSS)
        assert isinstance(sub.certificate.x509.signature_algorithm_parameters, padding.PSS)
    elif key_algorithm.startswith("RSA"):
        assert isinstance(leaf.x509.signature_algorithm_parameters, padding.PKCS1v15)

    paths = _write(tmp_path, root=root.certificate.pem, sub=sub.certificate.pem, leaf=leaf.pem)
    code, output = _openssl_verify(paths["root"], paths["leaf"], paths["sub"])
    assert code == 0, output
    assert "leaf.pem: OK" in output
    # The same check without the subordinate cannot build a path: it is a real check.
    code, output = _openssl_verify(paths["root"], paths["leaf"])
    assert code != 0
    assert "unable to get local issuer certificate" in output
    # and the chain pcanb returns with the leaf is the one OpenSSL needed
    assert [c.fingerprint_sha256 for c in leaf.chain] == [
        sub.certificate.fingerprint_sha256,
        root.certificate.fingerprint_sha256,
    ]


@pytest.mark.parametrize("key_algorithm", ["ML_DSA_44", "ML_DSA_65", "ML_DSA_87"])
def test_ml_dsa_hierarchy_verifies_with_cryptography(pca, key_algorithm):
    root = pca.create_root_ca(common_name=f"{key_algorithm} Root", key_algorithm=key_algorithm)
    sub = pca.create_subordinate_ca(
        parent=root, common_name=f"{key_algorithm} Sub", key_algorithm=key_algorithm
    )
    leaf = pca.issue(sub, common_name="pq.example.internal", key_algorithm=key_algorithm, days=30)

    assert root.certificate.key_algorithm == sub.certificate.key_algorithm == key_algorithm
    assert leaf.key_algorithm == key_algorithm
    # each link verifies with the issuer's ML-DSA public key; the wrong issuer does not
    root.certificate.x509.verify_directly_issued_by(root.certificate.x509)
    sub.certificate.x509.verify_directly_issued_by(root.certificate.x509)
    leaf.x509.verify_directly_issued_by(sub.certificate.x509)
    with pytest.raises(ValueError):  # issuer name mismatch
        leaf.x509.verify_directly_issued_by(root.certificate.x509)

    assert verify_chain(leaf, leaf.chain) == []
    assert [c.fingerprint_sha256 for c in leaf.chain] == [
        sub.certificate.fingerprint_sha256,
        root.certificate.fingerprint_sha256,
    ]
    broken = verify_chain(leaf, [root.certificate])
    assert broken and any("names issuer" in p for p in broken)


def test_three_level_hierarchy_and_path_length(pca, tmp_path, openssl):
    root = pca.create_root_ca(common_name="Three Level Root")
    policy = pca.create_subordinate_ca(parent=root, common_name="Policy CA", path_length=1)
    issuing = pca.create_subordinate_ca(parent=policy, common_name="Issuing CA", path_length=0)
    leaf = pca.issue(issuing, common_name="deep.example.internal", days=30)

    assert policy.certificate.path_length == 1
    assert issuing.certificate.path_length == 0
    assert [c.common_name for c in leaf.chain] == ["Issuing CA", "Policy CA", "Three Level Root"]
    assert verify_chain(leaf, leaf.chain) == []

    paths = _write(
        tmp_path,
        root=root.certificate.pem,
        policy=policy.certificate.pem,
        issuing=issuing.certificate.pem,
        leaf=leaf.pem,
    )
    code, output = _openssl_verify(paths["root"], paths["leaf"], paths["issuing"], paths["policy"])
    assert code == 0, output
    code, _ = _openssl_verify(paths["root"], paths["leaf"], paths["issuing"])
    assert code != 0  # the policy CA is needed

    # A PathLen0 CA may not certify another CA: the template is refused by the service.
    with pytest.raises(ClientError) as excinfo:
        pca.create_subordinate_ca(parent=issuing, common_name="Too Deep CA")
    assert error_code(excinfo) == "InvalidArgsException"


def _external_root() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Offline External Root")])
    now = dt.datetime.now(dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip


def test_external_parent_flow(pca, tmp_path, openssl):
    ca = pca.create_subordinate_ca(common_name="Ext", parent=None)
    assert ca.status == "PENDING_CERTIFICATE"
    assert ca.certificate is None
    assert ca.csr is not None and ca.csr.common_name == "Ext"
    assert pca.describe_certificate_authority(ca).loc[0, "status"] == "PENDING_CERTIFICATE"

    root_key, root_cert = _external_root()
    csr = ca.csr.x509
    now = dt.datetime.now(dt.UTC)
    signed = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(root_cert.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    root_pem = root_cert.public_bytes(Encoding.PEM).decode()
    cert_pem = signed.public_bytes(Encoding.PEM).decode()

    pca.import_certificate_authority_certificate(ca, cert_pem, root_pem)
    assert pca.describe_certificate_authority(ca).loc[0, "status"] == "ACTIVE"
    installed = pca.get_certificate_authority_certificate(ca)
    assert [c.common_name for c in installed] == ["Ext", "Offline External Root"]

    leaf = pca.issue(ca, common_name="ext-leaf.example.internal", days=30)
    assert leaf.issuer == installed[0].subject
    paths = _write(tmp_path, root=root_pem, sub=cert_pem, leaf=leaf.pem)
    code, output = _openssl_verify(paths["root"], paths["leaf"], paths["sub"])
    assert code == 0, output
    # A different root with the same name does not verify the leaf.
    _, other_root = _external_root()
    paths = _write(tmp_path, other=other_root.public_bytes(Encoding.PEM).decode())
    code, _ = _openssl_verify(paths["other"], str(tmp_path / "leaf.pem"), str(tmp_path / "sub.pem"))
    assert code != 0
