"""Decoded certificates, CSRs, chains and CRLs say what the bytes mean."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, mldsa, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import pcanb
from pcanb.errors import DecodeError
from pcanb.vocab import serial_to_aws
from pcanb.x509.decode import Certificate, CertificateChain, Crl, Csr

NOW = datetime.now(UTC).replace(microsecond=0)
CUSTOM_EKU = "1.3.6.1.4.1.99999.1"


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _sign_args(key: object) -> dict:
    if isinstance(key, mldsa.MLDSA44PrivateKey):
        return {"algorithm": None}
    return {"algorithm": hashes.SHA256()}


def _ca(key, cn: str, issuer: x509.Certificate | None = None, issuer_key=None, path_length=None):
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer.subject if issuer else _name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_ca_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    signer = issuer_key or key
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), False
    )
    return builder.sign(signer, **_sign_args(signer))


@pytest.fixture(scope="module")
def pki():
    """root → sub → leaf, all EC P-256, the leaf with every extension a card shows."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    sub_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    root = _ca(root_key, "Example Root CA")
    sub = _ca(sub_key, "Example Issuing CA", root, root_key, path_length=0)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=True,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=True,
        decipher_only=False,
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("api.internal"))
        .issuer_name(sub.subject)
        .public_key(leaf_key.public_key())
        .serial_number(0x0A1B2C3D4E5F)
        .not_valid_before(NOW - timedelta(hours=1))
        .not_valid_after(NOW + timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [
                    ExtendedKeyUsageOID.SERVER_AUTH,
                    ExtendedKeyUsageOID.CLIENT_AUTH,
                    x509.ObjectIdentifier(CUSTOM_EKU),
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("api.internal"),
                    x509.DNSName("www.api.internal"),
                    x509.IPAddress(ipaddress.ip_address("10.0.0.1")),
                    x509.RFC822Name("ops@example.com"),
                    x509.UniformResourceIdentifier("spiffe://example/api"),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(sub_key.public_key()), False
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier("http://crl.example/sub.crl")],
                        None,
                        None,
                        None,
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier("http://ocsp.example"),
                    ),
                    x509.AccessDescription(
                        x509.AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier("http://ca.example/sub.der"),
                    ),
                ]
            ),
            critical=False,
        )
        .sign(sub_key, hashes.SHA256())
    )
    return {
        "root": Certificate(root),
        "sub": Certificate(sub),
        "leaf": Certificate(leaf),
        "root_key": root_key,
        "sub_key": sub_key,
        "leaf_key": leaf_key,
    }


def _bare(key, signer=None, **sign_args) -> Certificate:
    """A certificate with no extensions, self-issued ('CN=bare')."""
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("bare"))
        .issuer_name(_name("bare"))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=1))
        .sign(signer or key, **(sign_args or _sign_args(signer or key)))
    )
    return Certificate(cert)


# --- loading -----------------------------------------------------------------------------------


def test_pem_der_and_load_decode_the_same_certificate(pki):
    leaf = pki["leaf"]
    from_pem_text = Certificate.from_pem(leaf.pem)
    from_pem_bytes = Certificate.from_pem(leaf.pem.encode())
    from_der = Certificate.from_der(leaf.der)
    assert from_pem_text == from_pem_bytes == from_der == Certificate.load(leaf.der)
    assert Certificate.load(leaf.pem) == leaf
    assert len({leaf, from_der, pki["root"]}) == 2
    assert leaf.pem.startswith("-----BEGIN CERTIFICATE-----")
    assert leaf.der == leaf.x509.public_bytes(serialization.Encoding.DER)
    assert isinstance(leaf.x509, x509.Certificate)


@pytest.mark.parametrize(
    "data",
    [
        b"garbage",
        "not a certificate at all",
        b"",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        b"\x30\x03\x02\x01\x01",
    ],
)
def test_garbage_raises_decode_error(data):
    with pytest.raises(DecodeError, match="could not decode a certificate") as info:
        Certificate.load(data)
    assert isinstance(info.value, ValueError)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_a_csr_is_not_a_certificate(pki):
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name("x"))
        .sign(pki["leaf_key"], hashes.SHA256())
    )
    pem = csr.public_bytes(serialization.Encoding.PEM)
    with pytest.raises(DecodeError, match="certificate"):
        Certificate.load(pem)
    with pytest.raises(DecodeError, match="certificate signing request"):
        Csr.load(pki["leaf"].pem)
    with pytest.raises(DecodeError, match="certificate revocation list"):
        Crl.load(pki["leaf"].der)


def test_wrong_types_raise_type_error(pki):
    with pytest.raises(TypeError):
        Certificate("not an x509 object")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Certificate.from_der(pki["leaf"].pem)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Certificate.load(12)  # type: ignore[arg-type]


def test_decoded_objects_are_immutable(pki):
    with pytest.raises(AttributeError):
        pki["leaf"].serial = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        CertificateChain([pki["leaf"]])._certificates = ()  # type: ignore[misc]


def test_x509_layer_does_not_import_pandas():
    code = "import sys, pcanb.x509.decode, pcanb.x509.chain; print('pandas' in sys.modules)"
    root = Path(pcanb.__file__).parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "False"


# --- certificate fields ------------------------------------------------------------------------


def test_leaf_names_serial_and_validity(pki):
    leaf = pki["leaf"]
    assert leaf.subject == "CN=api.internal,O=Example"
    assert leaf.issuer == "CN=Example Issuing CA,O=Example"
    assert leaf.common_name == "api.internal"
    assert leaf.serial == 0x0A1B2C3D4E5F
    assert leaf.serial_hex == "0a:1b:2c:3d:4e:5f"
    assert leaf.not_before == NOW - timedelta(hours=1)
    assert leaf.not_after == NOW + timedelta(days=90)
    assert leaf.not_after.tzinfo is not None and leaf.not_after.utcoffset() == timedelta(0)


def test_leaf_key_and_signature(pki):
    leaf = pki["leaf"]
    assert (leaf.key_type, leaf.key_size, leaf.curve) == ("EC", 256, "secp256r1")
    assert leaf.key_algorithm == "EC_prime256v1"
    assert leaf.signature_algorithm == "SHA256WITHECDSA"


def test_leaf_extensions(pki):
    leaf, sub = pki["leaf"], pki["sub"]
    assert leaf.sans == [
        "DNS:api.internal",
        "DNS:www.api.internal",
        "IP:10.0.0.1",
        "email:ops@example.com",
        "URI:spiffe://example/api",
    ]
    assert leaf.dns_names == ["api.internal", "www.api.internal"]
    assert leaf.key_usage == ["digital_signature", "key_agreement", "encipher_only"]
    assert leaf.extended_key_usage == ["serverAuth", "clientAuth", CUSTOM_EKU]
    assert leaf.is_ca is False and leaf.path_length is None
    assert leaf.aki == sub.ski and len(leaf.ski) == 40
    assert leaf.crl_urls == ["http://crl.example/sub.crl"]
    assert leaf.ocsp_urls == ["http://ocsp.example"]
    assert leaf.ca_issuers_urls == ["http://ca.example/sub.der"]


def test_extensions_list_names_and_criticality(pki):
    by_name = {e["name"]: e for e in pki["leaf"].extensions}
    assert by_name["basicConstraints"]["critical"] is True
    assert by_name["basicConstraints"]["oid"] == "2.5.29.19"
    assert by_name["subjectAltName"]["critical"] is False
    assert "api.internal" in by_name["subjectAltName"]["value"]
    assert len(by_name) == 8


def test_ca_fields(pki):
    root, sub = pki["root"], pki["sub"]
    assert root.is_ca is True and root.path_length is None
    assert sub.is_ca is True and sub.path_length == 0
    assert root.key_usage == ["digital_signature", "key_cert_sign", "crl_sign"]
    assert sub.aki == root.ski == root.aki


def test_fingerprints_read_like_openssl(pki):
    leaf = pki["leaf"]
    expected = ":".join(f"{b:02X}" for b in leaf.x509.fingerprint(hashes.SHA256()))
    assert leaf.fingerprint_sha256 == expected and len(expected) == 95
    assert len(leaf.fingerprint_sha1) == 59 and leaf.fingerprint_sha1.isupper()


def test_fast_paths_agree_with_cryptography(pki):
    """to_dict's one-pass shortcuts (kept DER, hashlib fingerprints, cached issuer names, key
    fields and signature names) give what cryptography's own calls give, however decoded."""
    rsa_key = rsa.generate_private_key(65537, 2048)
    pss = padding.PSS(padding.MGF1(hashes.SHA256()), salt_length=32)
    certs = [pki["root"], pki["sub"], pki["leaf"], _bare(rsa_key), _bare(rsa_key, rsa_padding=pss,
             algorithm=hashes.SHA256()), _bare(mldsa.MLDSA44PrivateKey.generate())]  # fmt: skip
    for cert in certs:
        raw = cert.x509
        for decoded in (cert, Certificate.from_der(cert.der), Certificate.from_pem(cert.pem)):
            assert decoded.der == raw.public_bytes(serialization.Encoding.DER)
            assert decoded.fingerprint_sha256 == raw.fingerprint(hashes.SHA256()).hex(":").upper()
            assert decoded.fingerprint_sha1 == raw.fingerprint(hashes.SHA1()).hex(":").upper()
            assert decoded.issuer == raw.issuer.rfc4514_string()
            assert decoded.subject == raw.subject.rfc4514_string()
            assert decoded.serial_hex == serial_to_aws(raw.serial_number)
            assert decoded.to_dict() == cert.to_dict()
    assert [c.signature_algorithm for c in certs[3:]] == [
        "SHA256WITHRSA", "SHA256WITHRSA_PSS", "ML_DSA_44"
    ]  # fmt: skip
    leaf = pki["leaf"]
    assert leaf.sans is not leaf.sans and leaf.dns_names == ["api.internal", "www.api.internal"]
    leaf.sans.append("DNS:changed")  # the lists handed out are the caller's own
    assert "DNS:changed" not in leaf.sans and "DNS:changed" not in leaf.to_dict()["sans"]


def test_self_signed_means_subject_is_issuer_and_own_key_verifies(pki):
    assert pki["root"].is_self_signed is True
    assert pki["sub"].is_self_signed is False
    assert pki["leaf"].is_self_signed is False
    other = ec.generate_private_key(ec.SECP256R1())
    forged = _bare(pki["leaf_key"], signer=other)  # names itself as issuer, signed elsewhere
    assert forged.subject == forged.issuer and forged.is_self_signed is False


def test_certificate_without_extensions():
    cert = _bare(ec.generate_private_key(ec.SECP384R1()))
    assert cert.is_ca is None and cert.path_length is None
    assert cert.sans == cert.dns_names == cert.key_usage == cert.extended_key_usage == []
    assert cert.ski is None and cert.aki is None
    assert cert.crl_urls == cert.ocsp_urls == cert.ca_issuers_urls == []
    assert cert.extensions == []
    assert cert.key_algorithm == "EC_secp384r1"
    assert cert.is_self_signed is True


def test_rsa_pss_signature_is_named_the_aws_way():
    key = rsa.generate_private_key(65537, 2048)
    pss = padding.PSS(padding.MGF1(hashes.SHA256()), salt_length=32)
    cert = _bare(key, algorithm=hashes.SHA256(), rsa_padding=pss)
    assert (cert.key_type, cert.key_size, cert.curve) == ("RSA", 2048, None)
    assert cert.key_algorithm == "RSA_2048"
    assert cert.signature_algorithm == "SHA256WITHRSA_PSS"
    assert cert.is_self_signed is True
    assert _bare(key, algorithm=hashes.SHA384()).signature_algorithm == "SHA384WITHRSA"


def test_ml_dsa_44_certificate():
    cert = _bare(mldsa.MLDSA44PrivateKey.generate())
    assert (cert.key_type, cert.key_size, cert.curve) == ("ML-DSA-44", None, None)
    assert cert.key_algorithm == "ML_DSA_44"
    assert cert.signature_algorithm == "ML_DSA_44"
    assert cert.is_self_signed is True
    assert Certificate.load(cert.pem) == cert


def test_days_to_expiry_and_validity_window(pki):
    leaf = pki["leaf"]
    assert leaf.days_to_expiry(NOW) == 90
    assert leaf.days_to_expiry(NOW + timedelta(days=89, hours=23)) == 0
    assert leaf.days_to_expiry(NOW + timedelta(days=91)) == -1
    # whole days truncate toward zero, on both sides of notAfter
    assert leaf.days_to_expiry(NOW + timedelta(days=87, hours=2)) == 2  # 2.9 days left
    assert leaf.days_to_expiry(NOW + timedelta(days=92, seconds=5)) == -2  # not -3
    assert leaf.days_to_expiry(NOW + timedelta(days=92, hours=2, minutes=24)) == -2
    assert leaf.days_to_expiry(NOW + timedelta(days=90, seconds=1)) == 0
    assert leaf.days_to_expiry() in (89, 90)
    assert leaf.is_valid_at(NOW) and leaf.is_valid_at(leaf.not_after)
    assert not leaf.is_valid_at(leaf.not_before - timedelta(seconds=1))
    assert not leaf.is_valid_at(leaf.not_after + timedelta(seconds=1))
    assert leaf.is_valid_at(NOW.replace(tzinfo=None))  # naive means UTC


def test_to_dict_keeps_lists_and_to_series_names_the_certificate(pki):
    leaf = pki["leaf"]
    record = leaf.to_dict()
    assert record["common_name"] == "api.internal"
    assert record["serial_hex"] == "0a:1b:2c:3d:4e:5f"
    assert record["sans"] == leaf.sans
    assert record["key_algorithm"] == "EC_prime256v1"
    assert record["is_self_signed"] is False
    series = leaf.to_series()
    assert series.name == "api.internal"
    assert series["not_after"] == leaf.not_after
    assert series["extended_key_usage"] == ["serverAuth", "clientAuth", CUSTOM_EKU]


def test_repr_is_short(pki):
    text = repr(pki["leaf"])
    assert text == (
        f"<Certificate CN=api.internal serial=0a:1b:2c:3d:4e:5f "
        f"not_after={(NOW + timedelta(days=90)).date().isoformat()}>"
    )


# --- CSRs --------------------------------------------------------------------------------------


def _csr(key, **sign_args) -> x509.CertificateSigningRequest:
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name("svc.internal"))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("svc.internal"), x509.IPAddress(ipaddress.ip_address("::1"))]
            ),
            critical=False,
        )
        .sign(key, **(sign_args or _sign_args(key)))
    )


def test_csr_fields():
    key = ec.generate_private_key(ec.SECP256R1())
    csr = Csr.load(_csr(key).public_bytes(serialization.Encoding.PEM))
    assert csr.subject == "CN=svc.internal,O=Example"
    assert csr.common_name == "svc.internal"
    assert csr.sans == ["DNS:svc.internal", "IP:::1"]
    assert csr.public_key == key.public_key()
    assert csr.key_algorithm == "EC_prime256v1"
    assert csr.signature_algorithm == "SHA256WITHECDSA"
    assert csr.is_signature_valid is True
    assert [e["name"] for e in csr.extensions] == ["subjectAltName"]
    assert Csr.from_der(csr.der) == csr == Csr.from_pem(csr.pem)
    assert csr.to_dict()["sans"] == csr.sans
    assert csr.to_series()["key_algorithm"] == "EC_prime256v1"
    assert repr(csr) == "<Csr CN=svc.internal key=EC_prime256v1>"


def test_csr_with_a_broken_signature_is_not_valid():
    der = bytearray(
        _csr(ec.generate_private_key(ec.SECP256R1())).public_bytes(serialization.Encoding.DER)
    )
    der[-1] ^= 0x01
    assert Csr.from_der(bytes(der)).is_signature_valid is False


def test_ml_dsa_csr():
    csr = Csr(_csr(mldsa.MLDSA44PrivateKey.generate()))
    assert csr.key_algorithm == "ML_DSA_44" and csr.signature_algorithm == "ML_DSA_44"
    assert csr.is_signature_valid is True


# --- chains ------------------------------------------------------------------------------------


def test_chain_from_pem_bundle_keeps_order(pki):
    leaf, sub, root = pki["leaf"], pki["sub"], pki["root"]
    bundle = f"subject=leaf\n{leaf.pem}\nissuer=sub\n{sub.pem}{root.pem}\n\n"
    chain = CertificateChain.from_pem(bundle)
    assert list(chain) == [leaf, sub, root]
    assert len(chain) == 3 and chain[1] == sub
    assert chain.leaf == leaf and chain.root == root
    assert CertificateChain.from_pem(chain.pem) == chain
    assert chain.pem.count("-----BEGIN CERTIFICATE-----") == 3
    assert "-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----" in chain.pem
    assert isinstance(chain[1:], CertificateChain) and list(chain[1:]) == [sub, root]
    assert [r["common_name"] for r in chain.to_records()] == [
        "api.internal",
        "Example Issuing CA",
        "Example Root CA",
    ]
    assert repr(chain) == (
        "<CertificateChain 3 certificates: api.internal → Example Issuing CA → Example Root CA>"
    )
    assert hash(chain) == hash(CertificateChain([leaf, sub, root]))


def test_empty_chain():
    for text in ("", "\n  \n", b""):
        chain = CertificateChain.from_pem(text)
        assert len(chain) == 0 and chain.pem == ""
        assert chain.leaf is None and chain.root is None
    assert repr(CertificateChain()) == "<CertificateChain 0 certificates: >"


def test_chain_garbage_raises_decode_error(pki):
    with pytest.raises(DecodeError, match="BEGIN CERTIFICATE"):
        CertificateChain.from_pem("hello")
    broken = pki["leaf"].pem + "-----BEGIN CERTIFICATE-----\nAAA=\n-----END CERTIFICATE-----\n"
    with pytest.raises(DecodeError):
        CertificateChain.from_pem(broken)
    with pytest.raises(TypeError):
        CertificateChain(["not a certificate"])  # type: ignore[list-item]


# --- CRLs --------------------------------------------------------------------------------------


def _revoked(serial: int, reason: x509.ReasonFlags | None) -> x509.RevokedCertificate:
    builder = (
        x509.RevokedCertificateBuilder()
        .serial_number(serial)
        .revocation_date(NOW - timedelta(hours=2))
    )
    if reason is not None:
        builder = builder.add_extension(x509.CRLReason(reason), critical=False)
    return builder.build()


def _crl(issuer: Certificate, key, entries=()) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.x509.subject)
        .last_update(NOW)
        .next_update(NOW + timedelta(days=7))
        .add_extension(x509.CRLNumber(7), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), False)
        .add_extension(
            x509.IssuingDistributionPoint(
                [x509.UniformResourceIdentifier("http://crl.example/root.crl")],
                None,
                False,
                False,
                None,
                False,
                False,
            ),
            critical=True,
        )
    )
    for entry in entries:
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(key, **_sign_args(key))


def test_crl_fields_and_entries(pki):
    root, key = pki["root"], pki["root_key"]
    entries = [_revoked(0x0A0B, x509.ReasonFlags.key_compromise), _revoked(0x0C, None)]
    crl = Crl.load(_crl(root, key, entries).public_bytes(serialization.Encoding.PEM))
    assert crl.issuer == root.subject
    assert crl.this_update == NOW and crl.next_update == NOW + timedelta(days=7)
    assert crl.crl_number == 7
    assert crl.aki == root.ski
    assert crl.issuing_distribution_point == ["http://crl.example/root.crl"]
    assert crl.entries == [
        {
            "serial": 0x0A0B,
            "serial_hex": "0a:0b",
            "revocation_date": NOW - timedelta(hours=2),
            "reason": "keyCompromise",
        },
        {
            "serial": 0x0C,
            "serial_hex": serial_to_aws(0x0C),
            "revocation_date": NOW - timedelta(hours=2),
            "reason": None,
        },
    ]
    assert len(crl) == 2
    assert crl.is_revoked(0x0A0B) and not crl.is_revoked(0x0A0C)
    assert crl.signature_algorithm == "SHA256WITHECDSA"
    assert crl.is_signature_valid(root) is True
    assert crl.is_signature_valid(pki["sub"]) is False
    assert Crl.from_der(crl.der) == crl == Crl.from_pem(crl.pem)
    record = crl.to_dict()
    assert record["revoked_count"] == 2 and record["crl_number"] == 7
    assert crl.to_series().name == "Example Root CA"
    assert repr(crl) == (
        f"<Crl issuer CN=Example Root CA number=7 entries=2 "
        f"next_update={(NOW + timedelta(days=7)).date().isoformat()}>"
    )


def test_empty_ml_dsa_crl():
    key = mldsa.MLDSA44PrivateKey.generate()
    issuer = _bare(key)
    crl = Crl(_crl(issuer, key))
    assert len(crl) == 0 and crl.entries == []
    assert crl.signature_algorithm == "ML_DSA_44"
    assert crl.is_signature_valid(issuer) is True
    assert crl.is_signature_valid(_bare(ec.generate_private_key(ec.SECP256R1()))) is False


def test_crl_garbage_raises_decode_error():
    with pytest.raises(DecodeError, match="certificate revocation list"):
        Crl.load("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n")
    with pytest.raises(DecodeError):
        Crl.from_der(b"\x00\x01")


# --- key fields read from the encoded key, self-signed names, broken extensions ---------------


@pytest.mark.parametrize(
    "key",
    [
        rsa.generate_private_key(65537, 1025),  # an odd size: read from the modulus, not guessed
        rsa.generate_private_key(65537, 2048),
        ec.generate_private_key(ec.SECP384R1()),
        ec.generate_private_key(ec.SECP521R1()),
        mldsa.MLDSA65PrivateKey.generate(),
    ],
    ids=["rsa-1025", "rsa-2048", "p384", "p521", "ml-dsa-65"],
)
def test_key_fields_match_the_loaded_key_whatever_the_size(key):
    """Key fields come from the SubjectPublicKeyInfo bytes (memoised per algorithm identifier
    and RSA modulus size): they must equal what the loaded key says, for every certificate."""
    sign = {"algorithm": None} if isinstance(key, mldsa.MLDSA65PrivateKey) else {
        "algorithm": hashes.SHA256()}  # fmt: skip
    for _ in range(2):  # the second certificate is answered from the memo
        cert = _bare(key, **sign)
        decoded = Certificate.from_der(cert.der)
        public = key.public_key()
        expected_size = getattr(public, "key_size", None)
        if isinstance(public, ec.EllipticCurvePublicKey):
            expected_size = public.curve.key_size
        assert decoded.key_size == expected_size
        assert decoded.to_dict()["key_size"] == expected_size
    if isinstance(key, rsa.RSAPrivateKey):
        assert decoded.key_type == "RSA" and decoded.curve is None
        assert decoded.key_algorithm == ("RSA_2048" if key.key_size == 2048 else None)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        assert decoded.key_type == "EC" and decoded.curve == key.curve.name
    else:
        assert decoded.key_type == "ML-DSA-65" and decoded.key_algorithm == "ML_DSA_65"


def test_self_signed_agrees_with_cryptography_when_encodings_differ():
    """Subject and issuer DER differ (PrintableString vs UTF8String) while their text is the
    same: the byte shortcut must not decide, and the answer is cryptography's own (which does
    not take the two for one name)."""
    key = ec.generate_private_key(ec.SECP256R1())
    printable = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Same Root",
                                              _type=x509.name._ASN1Type.PrintableString)])  # fmt: skip
    utf8 = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Same Root")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(printable)
        .issuer_name(utf8)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    assert cert.subject.public_bytes() != cert.issuer.public_bytes()
    decoded = Certificate.from_der(cert.public_bytes(serialization.Encoding.DER))
    assert decoded.subject == decoded.issuer == "CN=Same Root"
    try:
        cert.verify_directly_issued_by(cert)
        expected = True
    except ValueError:
        expected = False
    assert decoded.is_self_signed is expected


def test_a_repeated_extension_is_a_decode_error():
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("dup"))
        .issuer_name(_name("dup"))
        .public_key(key.public_key())
        .serial_number(3)
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=1))
        .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00"),
                       critical=False)
        .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.5"), b"\x05\x00"),
                       critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    der = cert.public_bytes(serialization.Encoding.DER)
    first, second = bytes.fromhex("06032a0304"), bytes.fromhex("06032a0305")
    assert der.count(second) == 1
    duplicated = Certificate.from_der(der.replace(second, first))  # 1.2.3.4 twice
    with pytest.raises(DecodeError, match="extensions could not be decoded"):
        duplicated.to_dict()


# --- signatures this build cannot check -------------------------------------------------------

SHA1_ROOT = Path(__file__).parent / "fixtures" / "sha1_signed_root.pem"  # Certum, a real root


def test_a_sha1_signed_root_is_self_signed_even_when_sha1_cannot_be_checked():
    """OpenSSL 3+ refuses SHA-1 signatures at its default level, so the signature of many trust-
    store roots cannot be verified here: the key identifiers decide, and chains say why."""
    from pcanb.x509.chain import _link_problems

    root = Certificate.load(SHA1_ROOT.read_bytes())
    assert root.signature_algorithm == "SHA1WITHRSA" and root.subject == root.issuer
    try:
        root.x509.verify_directly_issued_by(root.x509)
        checkable = True
    except ValueError:
        checkable = False
    assert root.signature_check(root) is (True if checkable else None)
    assert root.is_self_signed is True
    problems = _link_problems(0, root, root)
    if not checkable:
        assert problems == [
            "certificate 0 (Certum Trusted Network CA): its signature (sha1WithRSAEncryption) "
            "cannot be checked with this cryptography/OpenSSL build"
        ]
    other = _bare(ec.generate_private_key(ec.SECP256R1()))
    assert root.signature_check(other) is not True  # a different key never verifies
