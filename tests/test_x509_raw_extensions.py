"""Certificates and CSRs whose extensions hold an EDIPartyName or x400Address, which cryptography
refuses all at once: the toolkit decodes every other extension and still shows the names."""

from __future__ import annotations

import ipaddress
import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from conftest import crl_revocation, ec_csr_pem, make_pca_bucket
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID
from test_issuance_fidelity import issued_pem

import pcanb
from pcanb.errors import DecodeError
from pcanb.x509 import der
from pcanb.x509.chain import verify_chain
from pcanb.x509.decode import Certificate, Csr
from pcanb.x509.raw_extensions import decode_each, extensions_of, general_name_texts

NOW = datetime.now(UTC).replace(microsecond=0)
UPN = "1.3.6.1.4.1.311.20.2.3"
TEMPLATE = "EndEntityCertificate_APIPassthrough"


def utf8(text: str) -> bytes:
    return der.tlv(der.UTF8_STRING, text.encode())


def edi(party: bytes, assigner: bytes | None = None) -> bytes:
    """An EDIPartyName GeneralName; ``party`` and ``assigner`` are DirectoryString DER."""
    body = der.tlv(0xA0, assigner) if assigner is not None else b""
    return der.tlv(0xA5, body + der.tlv(0xA1, party))


X400_BODY = der.tlv(der.SEQUENCE, der.tlv(0x61, der.tlv(0x13, b"US")))  # country-name US
X400 = der.tlv(0xA3, X400_BODY)


def general_names(*names: bytes) -> bytes:
    return der.tlv(der.SEQUENCE, b"".join(names))


def san(*names: bytes) -> x509.UnrecognizedExtension:
    return x509.UnrecognizedExtension(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, general_names(*names))


# --- the GeneralNames reader ------------------------------------------------------------------


def test_general_names_read_every_choice_from_hand_built_der():
    directory = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example"),
            x509.NameAttribute(NameOID.COMMON_NAME, "dir"),
        ]
    ).public_bytes()
    value = general_names(
        der.tlv(0x82, b"svc.example.com"),
        der.tlv(0x87, bytes([192, 0, 2, 7])),
        der.tlv(0x87, ipaddress.ip_address("2001:db8::1").packed),
        der.tlv(0x81, b"ops@example.com"),
        der.tlv(0x86, b"https://example.com/a?b=c"),
        der.tlv(0x88, der.oid("1.2.3.4.5")[2:]),  # IMPLICIT: the OID's contents only
        der.tlv(0xA0, der.oid(UPN) + der.tlv(0xA0, utf8("user@example.com"))),
        der.tlv(0xA4, directory),
        edi(utf8("party"), utf8("assigner")),
        edi(utf8("party only")),
        edi(der.tlv(0x1E, "bmp party".encode("utf-16-be")), der.tlv(0x13, b"Printable")),
        X400,
    )
    assert general_name_texts(value) == [
        "DNS:svc.example.com",
        "IP:192.0.2.7",
        "IP:2001:db8::1",
        "email:ops@example.com",
        "URI:https://example.com/a?b=c",
        "RID:1.2.3.4.5",
        f"othername:{UPN}",
        "DirName:CN=dir,O=Example",
        "EdiPartyName:assigner/party",
        "EdiPartyName:party only",
        "EdiPartyName:Printable/bmp party",
        "X400Name:3006610413025553",
    ]
    assert X400_BODY.hex() == "3006610413025553"


def test_general_names_match_the_toolkit_text_of_names_cryptography_decodes():
    names = [
        x509.DNSName("a.example.com"),
        x509.IPAddress(ipaddress.ip_address("10.1.2.3")),
        x509.IPAddress(ipaddress.ip_address("fe80::1:2")),
        x509.RFC822Name("a@example.com"),
        x509.UniformResourceIdentifier("ldap://dir.example.com/cn=x"),
        x509.RegisteredID(x509.ObjectIdentifier("1.3.6.1.4.1.99999.7")),
        x509.OtherName(x509.ObjectIdentifier(UPN), utf8("u@example.com")),
        x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "a,b")])),
    ]
    cryptography_san = x509.SubjectAlternativeName(names)
    decoded = Certificate.from_der(_certificate([(cryptography_san, False)]))
    assert general_name_texts(cryptography_san.public_bytes()) == decoded.sans
    assert decoded.sans[-1] == "DirName:CN=a\\,b"


@pytest.mark.parametrize(
    "value, message",
    [
        (general_names(der.tlv(0x89, b"x")), "not a GeneralName tag"),
        (general_names(der.tlv(0x87, b"\x01\x02\x03\x04\x05")), "iPAddress of 5 bytes"),
        (general_names(der.tlv(0xA5, der.tlv(0xA0, utf8("assigner")))), "EDIPartyName"),
        (general_names(edi(der.tlv(0x04, b"octets"))), "not a DirectoryString"),
        (general_names(der.tlv(0x82, b"ok")) + b"\x00", "trailing bytes"),
        (general_names(der.tlv(0x82, b"\xff")), "ascii"),
    ],
)
def test_malformed_general_names_are_value_errors(value, message):
    with pytest.raises(ValueError, match=message):
        general_name_texts(value)


# --- certificates built here ------------------------------------------------------------------

KEY = ec.generate_private_key(ec.SECP256R1())
USAGE = x509.KeyUsage(
    digital_signature=True, content_commitment=False, key_encipherment=True,
    data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
    encipher_only=False, decipher_only=False,
)  # fmt: skip
CA_USAGE = x509.KeyUsage(
    digital_signature=True, content_commitment=False, key_encipherment=False,
    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
    encipher_only=False, decipher_only=False,
)  # fmt: skip


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _certificate(extensions, *, subject="edi", issuer="edi", key=KEY, signer=KEY) -> bytes:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(NOW - timedelta(hours=1))
        .not_valid_after(NOW + timedelta(days=1))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _leaf_extensions(names: x509.ExtensionType) -> list[tuple[x509.ExtensionType, bool]]:
    aia = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                x509.AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier("http://ocsp.example.com"),
            ),
            x509.AccessDescription(
                x509.AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier("http://ca.example.com/ca.crt"),
            ),
        ]
    )
    point = x509.DistributionPoint(
        [x509.UniformResourceIdentifier("http://crl.example.com/ca.crl")], None, None, None
    )
    return [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (USAGE, True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        (x509.SubjectKeyIdentifier(bytes(range(20))), False),
        (x509.AuthorityKeyIdentifier(bytes(range(20, 40)), None, None), False),
        (x509.CRLDistributionPoints([point]), False),
        (aia, False),
        (names, False),
        (x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00"), False),
    ]


def test_a_certificate_with_an_x400_address_decodes_every_other_extension():
    names = san(der.tlv(0x82, b"svc.example.com"), X400, edi(utf8("party only")))
    data = _certificate(_leaf_extensions(names))
    with pytest.raises(x509.UnsupportedGeneralNameType):
        x509.load_der_x509_certificate(data).extensions  # noqa: B018 - what is worked around
    cert = Certificate.from_der(data)
    assert cert.sans == [
        "DNS:svc.example.com",
        "X400Name:3006610413025553",
        "EdiPartyName:party only",
    ]
    assert cert.dns_names == ["svc.example.com"]
    record = cert.to_dict()
    assert record["sans"] == cert.sans and record["dns_names"] == ["svc.example.com"]
    assert record["key_usage"] == ["digital_signature", "key_encipherment"]
    assert record["extended_key_usage"] == ["serverAuth"]
    assert (record["is_ca"], record["path_length"]) == (False, None)
    assert record["ski"] == bytes(range(20)).hex()
    assert record["aki"] == bytes(range(20, 40)).hex()
    assert record["crl_urls"] == ["http://crl.example.com/ca.crl"]
    assert record["ocsp_urls"] == ["http://ocsp.example.com"]
    assert record["ca_issuers_urls"] == ["http://ca.example.com/ca.crt"]
    # Only the subjectAltName stays undecoded; every extension keeps its criticality.
    decoded = decode_each(cert.x509)
    assert [type(e.value).__name__ for e in decoded] == [
        "BasicConstraints", "KeyUsage", "ExtendedKeyUsage", "SubjectKeyIdentifier",
        "AuthorityKeyIdentifier", "CRLDistributionPoints", "AuthorityInformationAccess",
        "UnrecognizedExtension", "UnrecognizedExtension",
    ]  # fmt: skip
    assert [e.critical for e in decoded] == [True, True] + [False] * 7
    assert decoded[7].value.value == names.value  # the bytes as issued
    records = cert.extensions
    assert [r["name"] for r in records] == [
        "basicConstraints", "keyUsage", "extendedKeyUsage", "subjectKeyIdentifier",
        "authorityKeyIdentifier", "cRLDistributionPoints", "authorityInfoAccess",
        "subjectAltName", "1.2.3.4",
    ]  # fmt: skip
    assert records[7]["value"] == (
        "<UnrecognizedExtension(oid=2.5.29.17, names=['DNS:svc.example.com', "
        "'X400Name:3006610413025553', 'EdiPartyName:party only'])>"
    )
    assert records[1]["value"] == repr(USAGE)
    assert records[8]["value"].startswith(
        "<UnrecognizedExtension(oid=<ObjectIdentifier(oid=1.2.3.4"
    )


def test_an_issuer_alt_name_with_an_edi_party_name_shows_its_names():
    ian = x509.UnrecognizedExtension(
        ExtensionOID.ISSUER_ALTERNATIVE_NAME,
        general_names(edi(utf8("issuer party"), utf8("assigner")), der.tlv(0x86, b"http://x")),
    )
    cert = Certificate.from_der(_certificate([(USAGE, False), (ian, False)]))
    assert cert.sans == [] and cert.key_usage == ["digital_signature", "key_encipherment"]
    assert cert.extensions[1]["value"] == (
        "<UnrecognizedExtension(oid=2.5.29.18, "
        "names=['EdiPartyName:assigner/issuer party', 'URI:http://x'])>"
    )


def test_without_an_unsupported_name_the_extensions_are_cryptographys_own():
    data = _certificate(_leaf_extensions(x509.SubjectAlternativeName([x509.DNSName("a.b")])))
    cert = x509.load_der_x509_certificate(data)
    assert extensions_of(cert) == list(cert.extensions)
    assert decode_each(cert) == list(cert.extensions)  # the per-extension decode agrees


def test_a_repeated_extension_next_to_an_edi_party_name_is_a_decode_error():
    marker = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00")
    other = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.5"), b"\x05\x00")
    data = _certificate([(marker, False), (other, False), (san(edi(utf8("p"))), False)])
    first, second = bytes.fromhex("06032a0304"), bytes.fromhex("06032a0305")
    assert data.count(second) == 1
    duplicated = Certificate.from_der(data.replace(second, first))  # 1.2.3.4 twice
    with pytest.raises(DecodeError, match="extensions could not be decoded"):
        duplicated.to_dict()
    with pytest.raises(x509.DuplicateExtension):
        decode_each(duplicated.x509)
    # Without the duplicate the same certificate decodes.
    assert Certificate.from_der(data).sans == ["EdiPartyName:p"]


@pytest.mark.parametrize(
    "extensions",
    [
        # A GeneralName that is not one, after the EDIPartyName.
        [(san(edi(utf8("p")), der.tlv(0x89, b"x")), False)],
        # A keyUsage that is not a BIT STRING next to a well-formed EDIPartyName SAN.
        [
            (x509.UnrecognizedExtension(ExtensionOID.KEY_USAGE, der.tlv(0x04, b"xx")), False),
            (san(edi(utf8("p"))), False),
        ],
    ],
    ids=["bad-general-name", "bad-key-usage"],
)
def test_malformed_extensions_next_to_an_edi_party_name_are_decode_errors(extensions):
    cert = Certificate.from_der(_certificate(extensions))
    with pytest.raises(DecodeError, match="extensions could not be decoded"):
        cert.to_dict()
    with pytest.raises(DecodeError, match="extensions could not be decoded"):
        cert.sans  # noqa: B018


def test_a_csr_with_an_edi_party_name_decodes_its_other_extensions():
    names = san(der.tlv(0x82, b"req.example.com"), edi(utf8("party"), utf8("assigner")))
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name("req.example.com"))
        .add_extension(names, critical=False)
        .add_extension(USAGE, critical=True)
        .sign(KEY, hashes.SHA256())
    )
    with pytest.raises(x509.UnsupportedGeneralNameType):
        request.extensions  # noqa: B018
    csr = Csr.load(request.public_bytes(serialization.Encoding.PEM))
    assert csr.sans == ["DNS:req.example.com", "EdiPartyName:assigner/party"]
    assert csr.to_dict()["sans"] == csr.sans
    assert [(r["name"], r["critical"]) for r in csr.extensions] == [
        ("subjectAltName", False),
        ("keyUsage", True),
    ]
    assert extensions_of(request)[1].value == USAGE


def test_a_chain_through_a_ca_with_an_edi_party_name_verifies():
    ca_key = ec.generate_private_key(ec.SECP256R1())
    root = Certificate.from_der(
        _certificate(
            [
                (x509.BasicConstraints(ca=True, path_length=None), True),
                (CA_USAGE, True),
                (san(edi(utf8("root party"))), False),
            ],
            subject="EDI Root",
            issuer="EDI Root",
            key=ca_key,
            signer=ca_key,
        )
    )
    leaf = Certificate.from_der(_certificate([(USAGE, True)], issuer="EDI Root", signer=ca_key))
    assert root.is_ca is True and root.key_usage == [
        "digital_signature",
        "key_cert_sign",
        "crl_sign",
    ]
    assert verify_chain(leaf, [root]) == []


# --- certificates issued by the sandbox -------------------------------------------------------


def _openssl_text(pem: str) -> str:
    args = ["openssl", "x509", "-noout", "-text"]
    return subprocess.run(args, input=pem, capture_output=True, text=True, check=True).stdout


def _openssl_field(text: str, label: str) -> str:
    """The line after ``label`` in ``openssl x509 -text`` output."""
    match = re.search(re.escape(label) + r".*\n\s*(.+)\n", text)
    assert match is not None, label
    return match.group(1).strip()


def test_an_issued_certificate_with_an_edi_party_name_decodes_like_a_plain_one(pca, client):
    bucket = make_pca_bucket(pca, "edi-crl-bucket")
    root = pca.create_root_ca(
        common_name="EDI Root", revocation_configuration=crl_revocation(bucket)
    )
    csr = ec_csr_pem("svc.example.com")
    edi_sans = [
        {"DnsName": "svc.example.com"},
        {"EdiPartyName": {"PartyName": "party", "NameAssigner": "assigner"}},
        {"IpAddress": "2001:db8::1"},
    ]
    plain_pem = issued_pem(client, root.arn, template=TEMPLATE, csr=csr, ApiPassthrough={
        "Extensions": {"SubjectAlternativeNames": [{"DnsName": "svc.example.com"}]}
    })  # fmt: skip
    edi_pem = issued_pem(client, root.arn, template=TEMPLATE, csr=csr, ApiPassthrough={
        "Extensions": {"SubjectAlternativeNames": edi_sans}
    })  # fmt: skip
    with pytest.raises(x509.UnsupportedGeneralNameType):
        x509.load_pem_x509_certificate(edi_pem.encode()).extensions  # noqa: B018

    cert = pcanb.Certificate.load(edi_pem)
    plain = pcanb.Certificate.load(plain_pem)
    assert cert.sans == ["DNS:svc.example.com", "EdiPartyName:assigner/party", "IP:2001:db8::1"]
    assert cert.dns_names == ["svc.example.com"]
    assert plain.sans == ["DNS:svc.example.com"]
    expected = {
        "key_usage": ["digital_signature", "key_encipherment"],
        "extended_key_usage": ["serverAuth", "clientAuth"],
        "is_ca": False,
        "path_length": None,
        "ski": x509.SubjectKeyIdentifier.from_public_key(
            x509.load_pem_x509_csr(csr).public_key()
        ).digest.hex(),
        "aki": root.certificate.ski,
        "crl_urls": [f"http://{bucket}.s3.us-east-1.amazonaws.com/crl/{root.ca_id}.crl"],
        "ocsp_urls": ["http://ocsp.acm-pca.us-east-1.amazonaws.com"],
        "ca_issuers_urls": [],
    }
    for fields in (cert.to_dict(), plain.to_dict()):
        assert {name: fields[name] for name in expected} == expected
    assert cert.key_usage == expected["key_usage"] and cert.aki == expected["aki"]
    assert cert.ski == expected["ski"] and cert.crl_urls == expected["crl_urls"]
    assert cert.ocsp_urls == expected["ocsp_urls"]
    names = [(r["name"], r["critical"]) for r in cert.extensions]
    assert names == [(r["name"], r["critical"]) for r in plain.extensions]
    assert "subjectAltName" in dict(names)

    # OpenSSL reads the same certificate and agrees on every field it prints.
    text = _openssl_text(edi_pem)
    shown = _openssl_field(text, "X509v3 Subject Alternative Name").split(", ")
    assert len(shown) == len(cert.sans) == 3
    assert shown[0] == cert.sans[0]
    assert shown[1].startswith("EdiPartyName:")  # OpenSSL 3.0 prints "<unsupported>"
    assert ipaddress.ip_address(shown[2].removeprefix("IP Address:")) == ipaddress.ip_address(
        cert.sans[2].removeprefix("IP:")
    )
    ski = _openssl_field(text, "X509v3 Subject Key Identifier")
    assert ski.replace(":", "").lower() == cert.ski
    aki = _openssl_field(text, "X509v3 Authority Key Identifier")
    assert aki.removeprefix("keyid:").replace(":", "").lower() == cert.aki
    assert _openssl_field(text, "X509v3 Key Usage") == "Digital Signature, Key Encipherment"
    assert _openssl_field(text, "X509v3 Extended Key Usage") == (
        "TLS Web Server Authentication, TLS Web Client Authentication"
    )
    assert f"URI:{cert.crl_urls[0]}" in text and f"OCSP - URI:{cert.ocsp_urls[0]}" in text

    frame = pcanb.certificates_frame([plain_pem, edi_pem])
    assert len(frame) == 2
    assert frame["sans"].tolist() == [plain.sans, cert.sans]
    assert frame["dns_names"].tolist() == [["svc.example.com"], ["svc.example.com"]]
    assert frame["key_usage"].tolist() == [expected["key_usage"]] * 2
    assert frame["aki"].tolist() == [expected["aki"]] * 2
    assert str(frame["aki"].dtype) == "string" and str(frame["is_ca"].dtype) == "boolean"
    assert str(frame["not_after"].dtype) == "datetime64[us, UTC]"
    assert frame["is_ca"].tolist() == [False, False]
    assert frame["fingerprint_sha256"].tolist() == [
        plain.fingerprint_sha256,
        cert.fingerprint_sha256,
    ]
