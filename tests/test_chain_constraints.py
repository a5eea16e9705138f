"""verify_chain holds names to the nameConstraints above them and refuses unprocessed critical
extensions; every verdict is checked against ``openssl verify`` on the same PEMs."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pcanb.x509.chain import verify_chain
from pcanb.x509.decode import Certificate
from tests.conftest import run_openssl

NOW = datetime.now(UTC).replace(microsecond=0)
CUSTOM = x509.ObjectIdentifier("1.2.3.4.5.6")


def _name(*attributes: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


def _cert(subject, key, issuer_name, issuer_key, *, ca: bool, extensions=()) -> Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca, None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    )
    if ca:
        usage = x509.KeyUsage(True, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    return Certificate(builder.sign(issuer_key, hashes.SHA256()))


def _path(permitted=None, excluded=None, *, subject=None, sans=(), leaf_extensions=()):
    """root → sub (with nameConstraints when given) → leaf (``subject``, ``sans``)."""
    root_key, sub_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root_name = _name((NameOID.COMMON_NAME, "Constraints Root"))
    sub_name = _name((NameOID.COMMON_NAME, "Constrained Sub"))
    root = _cert(root_name, root_key, root_name, root_key, ca=True)
    constraints = []
    if permitted is not None or excluded is not None:
        constraints = [(x509.NameConstraints(permitted, excluded), True)]
    sub = _cert(sub_name, sub_key, root_name, root_key, ca=True, extensions=constraints)
    extensions = list(leaf_extensions)
    if sans:
        extensions.append((x509.SubjectAlternativeName(list(sans)), False))
    subject = subject or _name((NameOID.COMMON_NAME, "leaf"))
    leaf = _cert(subject, leaf_key, sub_name, sub_key, ca=False, extensions=extensions)
    return leaf, sub, root


def openssl_verify(tmp_path: Path, leaf: Certificate, sub: Certificate, root: Certificate):
    """(accepted, output) of ``openssl verify`` on the path's PEMs."""
    files = {}
    for name, cert in (("leaf", leaf), ("sub", sub), ("root", root)):
        files[name] = tmp_path / f"{name}.pem"
        files[name].write_text(cert.pem)
    result = run_openssl(
        "verify", "-CAfile", str(files["root"]), "-untrusted", str(files["sub"]), str(files["leaf"])
    )
    return result.returncode == 0, result.stdout + result.stderr


DNS, IP, EMAIL, URI = x509.DNSName, x509.IPAddress, x509.RFC822Name, x509.UniformResourceIdentifier
GOOD_O = x509.DirectoryName(_name((NameOID.ORGANIZATION_NAME, "Good Corp")))
NET = ipaddress.ip_network


@pytest.mark.parametrize(
    ("permitted", "excluded", "subject", "sans", "violation"),
    [
        ([DNS("good.example.com")], None, None, [DNS("good.example.com"), DNS("www.good.example.com")], None),
        ([DNS("good.example.com")], None, None, [DNS("evil.attacker.com")], "DNS:evil.attacker.com is not within the permitted subtrees (DNS:good.example.com)"),
        ([DNS("good.example.com")], None, None, [DNS("notgood.example.com")], "DNS:notgood.example.com is not within"),
        ([DNS(".example.com")], None, None, [DNS("example.com")], "DNS:example.com is not within"),
        (None, [DNS("evil.com")], None, [DNS("a.good.com")], None),
        (None, [DNS("evil.com")], None, [DNS("www.EVIL.com")], "DNS:www.EVIL.com is within the excluded subtree DNS:evil.com"),
        ([DNS("good.example.com")], None, _name((NameOID.COMMON_NAME, "evil.attacker.com")), [], "DNS:evil.attacker.com is not within"),
        ([DNS("good.example.com")], None, _name((NameOID.COMMON_NAME, "Not A Host Name")), [], None),
        ([IP(NET("10.0.0.0/8"))], None, None, [IP(ipaddress.ip_address("10.1.2.3"))], None),
        ([IP(NET("10.0.0.0/8"))], None, None, [IP(ipaddress.ip_address("11.1.2.3"))], "IP:11.1.2.3 is not within the permitted subtrees (IP:10.0.0.0/8)"),
        (None, [IP(NET("192.168.0.0/16"))], None, [IP(ipaddress.ip_address("192.168.7.7"))], "IP:192.168.7.7 is within the excluded subtree"),
        ([EMAIL("example.com")], None, None, [EMAIL("a@example.com")], None),
        ([EMAIL("example.com")], None, None, [EMAIL("a@evil.com")], "email:a@evil.com is not within"),
        ([EMAIL("example.com")], None, _name((NameOID.EMAIL_ADDRESS, "a@evil.com"), (NameOID.COMMON_NAME, "x")), [], "email:a@evil.com is not within"),
        ([URI(".example.com")], None, None, [URI("https://a.example.com/x")], None),
        ([URI(".example.com")], None, None, [URI("https://evil.com/x")], "URI:https://evil.com/x is not within"),
        ([URI(".example.com")], None, None, [URI("urn:uuid:1")], "URI:urn:uuid:1 is not within"),
        ([GOOD_O], None, _name((NameOID.ORGANIZATION_NAME, "Good Corp"), (NameOID.COMMON_NAME, "x")), [], None),
        ([GOOD_O], None, _name((NameOID.ORGANIZATION_NAME, "Evil Corp"), (NameOID.COMMON_NAME, "x")), [], "DirName:CN=x,O=Evil Corp is not within the permitted subtrees (DirName:O=Good Corp)"),
        (None, [GOOD_O], _name((NameOID.ORGANIZATION_NAME, "Good Corp"), (NameOID.COMMON_NAME, "x")), [], "is within the excluded subtree DirName:O=Good Corp"),
    ],
    ids=[
        "dns-ok", "dns-outside", "dns-not-a-label-boundary", "dns-dot-means-below", "dns-excluded-miss",
        "dns-excluded-hit", "cn-as-hostname", "cn-not-a-hostname", "ip-ok", "ip-outside",
        "ip-excluded", "email-ok", "email-outside", "subject-email-outside", "uri-ok",
        "uri-outside", "uri-without-host", "dirname-ok", "dirname-outside", "dirname-excluded",
    ],
)  # fmt: skip
def test_name_constraints_agree_with_openssl(
    tmp_path, openssl, permitted, excluded, subject, sans, violation
):
    leaf, sub, root = _path(permitted, excluded, subject=subject, sans=sans)
    problems = verify_chain(leaf, [sub, root])
    accepted, output = openssl_verify(tmp_path, leaf, sub, root)
    if violation is None:
        assert problems == []
        assert accepted, output
    else:
        [problem] = problems
        assert problem.startswith("certificate 0 (")
        assert violation in problem
        assert "of the nameConstraints of certificate 1 (Constrained Sub)" in problem
        assert not accepted
        # a URI without a host: OpenSSL says its syntax is unsupported for the constraint
        assert "subtree violation" in output or "invalid name syntax" in output, output


ANY_POLICY = x509.ObjectIdentifier("2.5.29.32.0")


@pytest.mark.parametrize(
    ("extension", "critical", "refused"),
    [
        (x509.UnrecognizedExtension(CUSTOM, b"\x05\x00"), True, "an unknown extension (1.2.3.4.5.6)"),
        (x509.UnrecognizedExtension(CUSTOM, b"\x05\x00"), False, None),
        (x509.TLSFeature([x509.TLSFeatureType.status_request]), True, "TLSFeature (1.3.6.1.5.5.7.1.24)"),
        (x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.CODE_SIGNING]), True, None),
        (x509.CertificatePolicies([x509.PolicyInformation(ANY_POLICY, None)]), True, None),
        (x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier("http://crl.example.com/1.crl")], None, None, None
        )]), True, None),
        (x509.OCSPNoCheck(), True, None),
        (x509.IssuerAlternativeName([x509.DNSName("ca.example.com")]), True,
         "issuerAltName (2.5.29.18)"),
    ],
    ids=["custom-critical", "custom-not-critical", "tls-feature-critical", "eku-critical",
         "policies-critical", "cdp-critical", "ocsp-nocheck-critical", "ian-critical"],
)  # fmt: skip
def test_critical_extensions_agree_with_openssl(tmp_path, openssl, extension, critical, refused):
    leaf, sub, root = _path(leaf_extensions=[(extension, critical)])
    problems = verify_chain(leaf, [sub, root])
    accepted, output = openssl_verify(tmp_path, leaf, sub, root)
    if refused is None:
        assert problems == []
        assert accepted, output
    else:
        [problem] = problems
        assert problem.startswith("certificate 0 (leaf) has a critical extension")
        assert refused in problem
        assert not accepted
        assert "unhandled critical extension" in output, output


def test_constraints_of_the_root_apply_to_every_certificate_below(tmp_path, openssl):
    root_key, sub_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root_name = _name((NameOID.COMMON_NAME, "Constraining Root"))
    sub_name = _name((NameOID.COMMON_NAME, "Free Sub"))
    constraints = x509.NameConstraints(None, [DNS("evil.com")])
    root = _cert(
        root_name, root_key, root_name, root_key, ca=True, extensions=[(constraints, True)]
    )
    sub = _cert(sub_name, sub_key, root_name, root_key, ca=True)
    leaf = _cert(
        _name((NameOID.COMMON_NAME, "leaf")),
        leaf_key,
        sub_name,
        sub_key,
        ca=False,
        extensions=[(x509.SubjectAlternativeName([DNS("x.evil.com")]), False)],
    )
    [problem] = verify_chain(leaf, [sub, root])
    assert "DNS:x.evil.com is within the excluded subtree DNS:evil.com" in problem
    assert "certificate 2 (Constraining Root)" in problem
    accepted, output = openssl_verify(tmp_path, leaf, sub, root)
    assert not accepted and "excluded subtree violation" in output, output


def test_a_subject_alt_name_that_cannot_be_decoded_is_not_waved_through(tmp_path, openssl):
    from test_x509_raw_extensions import edi, san, utf8

    from pcanb.x509 import der

    # an EDIPartyName (which cryptography cannot decode) next to a DNS name outside the subtree
    names = san(edi(utf8("party")), der.tlv(0x82, b"evil.attacker.com"))
    leaf, sub, root = _path([DNS("good.example.com")], None, leaf_extensions=[(names, False)])
    [problem] = verify_chain(leaf, [sub, root])
    assert "certificate 0 (leaf): its subjectAltName holds a name form that cannot be decoded" in (
        problem
    )
    accepted, output = openssl_verify(tmp_path, leaf, sub, root)
    assert not accepted and "permitted subtree violation" in output, output
