"""Every certificate template, issued through boto3, against the extension table of the docs.

The expected values are written out here from the AWS Private CA template definitions
(BC, KU, EKU, AKI, SKI, CDP, AIA per template family), not taken from the sandbox's catalogue.
"""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError
from conftest import crl_revocation, ec_csr_pem, error_code, make_pca_bucket
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

import pcanb
from pcanb.vocab import TEMPLATE_NAMES

BUCKET = "templates-crl"
REGION = "us-east-1"
TEMPLATE = "arn:aws:acm-pca:::template/{}/V1"
DAYS_30 = {"Type": "DAYS", "Value": 30}
SERVER, CLIENT = ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH
CODE, OCSP = ExtendedKeyUsageOID.CODE_SIGNING, ExtendedKeyUsageOID.OCSP_SIGNING
EE_KU = {"digital_signature", "key_encipherment"}
SIGN_KU = {"digital_signature"}
CA_KU = {"digital_signature", "key_cert_sign", "crl_sign"}

# family -> (BC cA, BC pathLen, BC critical, KU bits or None, EKU list or None, EKU critical)
FAMILIES = {
    "EndEntityCertificate": (False, None, False, EE_KU, [SERVER, CLIENT], False),
    "EndEntityClientAuthCertificate": (False, None, False, EE_KU, [CLIENT], False),
    "EndEntityServerAuthCertificate": (False, None, False, EE_KU, [SERVER], False),
    "CodeSigningCertificate": (False, None, False, SIGN_KU, [CODE], True),
    "OCSPSigningCertificate": (False, None, False, SIGN_KU, [OCSP], True),
    "BlankEndEntityCertificate": (False, None, False, None, None, False),
    "BlankEndEntityCertificate_CriticalBasicConstraints": (False, None, True, None, None, False),
    "RootCACertificate": (True, None, True, CA_KU, None, False),
    **{
        f"SubordinateCACertificate_PathLen{n}": (True, n, True, CA_KU, None, False)
        for n in range(4)
    },
    **{
        f"BlankSubordinateCACertificate_PathLen{n}": (True, n, True, None, None, False)
        for n in range(4)
    },
}
VARIANTS = ("_APICSRPassthrough", "_APIPassthrough", "_CSRPassthrough")


def family_of(name: str) -> str:
    for suffix in VARIANTS:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def kind_of(name: str) -> str:
    if name.startswith("RootCACertificate"):
        return "root"
    if "SubordinateCACertificate" in name:
        return "subordinate"
    return "end-entity"


def crl_bucket(pca, name: str) -> None:
    make_pca_bucket(pca, name)


REVOCATION = crl_revocation(BUCKET)


def new_ca(pca, ca_type: str, common_name: str) -> str:
    arn = pca.client.create_certificate_authority(
        CertificateAuthorityConfiguration={
            "KeyAlgorithm": "EC_prime256v1",
            "SigningAlgorithm": "SHA256WITHECDSA",
            "Subject": {"CommonName": common_name, "Organization": "Example Corp"},
        },
        CertificateAuthorityType=ca_type,
        RevocationConfiguration=REVOCATION,
    )["CertificateAuthorityArn"]
    pca.client.get_waiter("certificate_authority_csr_created").wait(
        CertificateAuthorityArn=arn, WaiterConfig={"Delay": 1, "MaxAttempts": 5}
    )
    return arn


def ca_csr(pca, arn: str) -> bytes:
    return pca.client.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"].encode()


def leaf_csr(
    common_name: str | None = "svc.example.com",
    sans: tuple[str, ...] = ("svc.example.com",),
    extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
) -> bytes:
    return ec_csr_pem(common_name, sans, extensions)


def issue(pca, ca_arn: str, csr: bytes, template: str, **extra) -> x509.Certificate:
    """IssueCertificate + GetCertificate through boto3; the decoded certificate."""
    cert_arn = pca.client.issue_certificate(
        CertificateAuthorityArn=ca_arn,
        Csr=csr,
        SigningAlgorithm="SHA256WITHECDSA",
        Validity=extra.pop("Validity", DAYS_30),
        TemplateArn=TEMPLATE.format(template),
        **extra,
    )["CertificateArn"]
    pem = pca.client.get_certificate(CertificateAuthorityArn=ca_arn, CertificateArn=cert_arn)
    return x509.load_pem_x509_certificate(pem["Certificate"].encode())


def ca_certificate(pca, arn: str) -> x509.Certificate:
    pem = pca.client.get_certificate_authority_certificate(CertificateAuthorityArn=arn)
    return x509.load_pem_x509_certificate(pem["Certificate"].encode())


def activate_root(pca, arn: str) -> None:
    csr = ca_csr(pca, arn)
    cert_arn = pca.client.issue_certificate(
        CertificateAuthorityArn=arn,
        Csr=csr,
        SigningAlgorithm="SHA256WITHECDSA",
        Validity={"Type": "YEARS", "Value": 10},
        TemplateArn=TEMPLATE.format("RootCACertificate"),
    )["CertificateArn"]
    pem = pca.client.get_certificate(CertificateAuthorityArn=arn, CertificateArn=cert_arn)
    pca.client.import_certificate_authority_certificate(
        CertificateAuthorityArn=arn, Certificate=pem["Certificate"].encode()
    )


def activate_subordinate(pca, arn: str, parent: str, template: str) -> None:
    cert_arn = pca.client.issue_certificate(
        CertificateAuthorityArn=parent,
        Csr=ca_csr(pca, arn),
        SigningAlgorithm="SHA256WITHECDSA",
        Validity={"Type": "YEARS", "Value": 2},
        TemplateArn=TEMPLATE.format(template),
    )["CertificateArn"]
    got = pca.client.get_certificate(CertificateAuthorityArn=parent, CertificateArn=cert_arn)
    pca.client.import_certificate_authority_certificate(
        CertificateAuthorityArn=arn,
        Certificate=got["Certificate"].encode(),
        CertificateChain=got["CertificateChain"].encode(),
    )


class Hierarchy:
    """A root, an issuing CA (PathLen0) under it, a pending root and a pending subordinate."""

    def __init__(self, pca) -> None:
        self.pca = pca
        crl_bucket(pca, BUCKET)
        self.root = new_ca(pca, "ROOT", "Template Root CA")
        activate_root(pca, self.root)
        self.issuing = new_ca(pca, "SUBORDINATE", "Template Issuing CA")
        activate_subordinate(pca, self.issuing, self.root, "SubordinateCACertificate_PathLen0")
        self.pending_root = new_ca(pca, "ROOT", "Pending Root CA")
        self.pending_sub = new_ca(pca, "SUBORDINATE", "Pending Sub CA")
        self.root_cert = ca_certificate(pca, self.root)
        self.issuing_cert = ca_certificate(pca, self.issuing)

    def ca_id(self, arn: str) -> str:
        return arn.rsplit("/", 1)[1]


@pytest.fixture(scope="module")
def hierarchy(tmp_path_factory):
    pca = pcanb.sandbox(tmp_path_factory.mktemp("templates"))
    yield Hierarchy(pca)
    pca.sandbox.close()


def ku_bits(cert: x509.Certificate) -> tuple[set[str] | None, bool | None]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.KeyUsage)
    except x509.ExtensionNotFound:
        return None, None
    names = (
        "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
        "key_agreement", "key_cert_sign", "crl_sign",
    )  # fmt: skip
    bits = {n for n in names if getattr(ext.value, n)}
    if ext.value.key_agreement:
        bits |= {n for n in ("encipher_only", "decipher_only") if getattr(ext.value, n)}
    return bits, ext.critical


def extension(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> x509.Extension | None:
    try:
        return cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return None


def ski_of(cert: x509.Certificate) -> bytes:
    return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest


def verify_signed_by(cert: x509.Certificate, issuer_key) -> None:
    issuer_key.verify(
        cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm)
    )


def test_catalogue_has_the_56_documented_templates():
    assert len(TEMPLATE_NAMES) == len(set(TEMPLATE_NAMES)) == 56
    assert {family_of(n) for n in TEMPLATE_NAMES} == set(FAMILIES)
    assert "RootCACertificate_CSRPassthrough" not in TEMPLATE_NAMES
    assert "RootCACertificate_APICSRPassthrough" not in TEMPLATE_NAMES


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_template_issues_the_documented_extensions(hierarchy, name):
    h = hierarchy
    kind = kind_of(name)
    if kind == "root":
        ca_arn, csr = h.pending_root, ca_csr(h.pca, h.pending_root)
        issuer_cert = None
    elif kind == "subordinate":
        ca_arn, csr = h.root, ca_csr(h.pca, h.pending_sub)
        issuer_cert = h.root_cert
    else:
        ca_arn, csr = h.issuing, leaf_csr()
        issuer_cert = h.issuing_cert
    cert = issue(h.pca, ca_arn, csr, name)
    request = x509.load_pem_x509_csr(csr)
    ca_bc, path_len, bc_critical, ku, eku, eku_critical = FAMILIES[family_of(name)]

    # names and key come from the CSR; the issuer is the CA's subject
    assert cert.subject.public_bytes() == request.subject.public_bytes()
    assert cert.public_key() == request.public_key()
    assert cert.version == x509.Version.v3
    if issuer_cert is None:
        assert cert.issuer == cert.subject
        verify_signed_by(cert, request.public_key())
    else:
        assert cert.issuer.public_bytes() == issuer_cert.subject.public_bytes()  # byte for byte
        verify_signed_by(cert, issuer_cert.public_key())

    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert (bc.value.ca, bc.value.path_length, bc.critical) == (ca_bc, path_len, bc_critical)

    bits, ku_critical = ku_bits(cert)
    assert bits == ku
    assert ku_critical == (True if ku is not None else None)

    eku_ext = extension(cert, ExtensionOID.EXTENDED_KEY_USAGE)
    if eku is None:
        assert eku_ext is None
    else:
        assert list(eku_ext.value) == eku
        assert eku_ext.critical is eku_critical

    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert ski.value == x509.SubjectKeyIdentifier.from_public_key(request.public_key())
    assert not ski.critical

    aki = extension(cert, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    cdp = extension(cert, ExtensionOID.CRL_DISTRIBUTION_POINTS)
    aia = extension(cert, ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    if kind == "root":
        assert aki is None
        assert cdp is None
        assert aia is None
    else:
        assert aki.value.key_identifier == ski_of(issuer_cert)
        assert aki.value.authority_cert_issuer is None
        assert aki.value.authority_cert_serial_number is None
        assert not aki.critical
        issuer_id = h.ca_id(ca_arn)
        [point] = cdp.value
        assert point.full_name == [
            x509.UniformResourceIdentifier(
                f"http://{BUCKET}.s3.{REGION}.amazonaws.com/crl/{issuer_id}.crl"
            )
        ]
        assert (point.reasons, point.crl_issuer, point.relative_name) == (None, None, None)
        assert not cdp.critical
        assert [(d.access_method, d.access_location) for d in aia.value] == [
            (
                x509.AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier(f"http://ocsp.acm-pca.{REGION}.amazonaws.com"),
            )
        ]
        assert not aia.critical

    # nothing beyond the table (and the CSR's SAN, copied by every template)
    expected = {ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.SUBJECT_KEY_IDENTIFIER}
    if ku is not None:
        expected.add(ExtensionOID.KEY_USAGE)
    if eku is not None:
        expected.add(ExtensionOID.EXTENDED_KEY_USAGE)
    if kind != "root":
        expected |= {
            ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
            ExtensionOID.CRL_DISTRIBUTION_POINTS,
            ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
        }
    if kind == "end-entity":
        expected.add(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        assert san.value.get_values_for_type(x509.DNSName) == ["svc.example.com"]
        assert not san.critical
    assert {e.oid for e in cert.extensions} == expected


# --- passthrough ----------------------------------------------------------------------------

POLICY_OID = x509.ObjectIdentifier("2.23.140.1.2.1")
POLICIES = x509.CertificatePolicies([x509.PolicyInformation(POLICY_OID, None)])


def test_csr_passthrough_copies_extra_csr_extensions_and_base_templates_drop_them(hierarchy):
    h = hierarchy
    csr_eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION])
    csr = leaf_csr(extensions=((POLICIES, False), (csr_eku, False)))

    copied = issue(h.pca, h.issuing, csr, "EndEntityServerAuthCertificate_CSRPassthrough")
    policies = copied.extensions.get_extension_for_class(x509.CertificatePolicies)
    assert policies.value == POLICIES
    # the template defines EKU, so the template's value beats the CSR's
    assert list(copied.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [SERVER]

    # a Blank CSRPassthrough template defines no EKU: the CSR's goes through
    blank = issue(h.pca, h.issuing, csr, "BlankEndEntityCertificate_CSRPassthrough")
    assert list(blank.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.EMAIL_PROTECTION
    ]
    assert blank.extensions.get_extension_for_class(x509.CertificatePolicies).value == POLICIES

    for base in ("EndEntityServerAuthCertificate", "EndEntityServerAuthCertificate_APIPassthrough"):
        dropped = issue(h.pca, h.issuing, csr, base)
        assert extension(dropped, ExtensionOID.CERTIFICATE_POLICIES) is None, base
        assert list(dropped.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
            SERVER
        ]


def _der_utf8(text: str) -> bytes:
    raw = text.encode()
    return bytes([0x0C, len(raw)]) + raw


FULL_API = {
    "Subject": {
        "CommonName": "api.example.com",
        "Organization": "API Corp",
        "Country": "DE",
    },
    "Extensions": {
        "SubjectAlternativeNames": [
            {"DnsName": "api.example.com"},
            {"IpAddress": "192.0.2.10"},
            {"Rfc822Name": "pki@example.com"},
        ],
        "KeyUsage": {"DigitalSignature": True, "KeyAgreement": True},
        "ExtendedKeyUsage": [
            {"ExtendedKeyUsageType": "TIME_STAMPING"},
            {"ExtendedKeyUsageObjectIdentifier": "1.3.6.1.4.1.99999.1"},
        ],
        "CertificatePolicies": [
            {
                "CertPolicyId": "1.3.6.1.4.1.99999.2",
                "PolicyQualifiers": [
                    {"PolicyQualifierId": "CPS", "Qualifier": {"CpsUri": "https://cps.example.com"}}
                ],
            }
        ],
        "CustomExtensions": [
            {
                "ObjectIdentifier": "1.3.6.1.4.1.99999.3",
                "Value": base64.b64encode(_der_utf8("hello")).decode(),
                "Critical": True,
            }
        ],
    },
}


def test_api_passthrough_on_a_blank_template_honours_every_field(hierarchy):
    h = hierarchy
    cert = issue(
        h.pca,
        h.issuing,
        leaf_csr("csr.example.com", ("csr.example.com",)),
        "BlankEndEntityCertificate_APIPassthrough",
        ApiPassthrough=FULL_API,
    )
    # ApiPassthrough.Subject replaces the CSR's subject wholesale (DER order C, O, CN)
    assert [(a.oid, a.value) for a in cert.subject] == [
        (NameOID.COUNTRY_NAME, "DE"),
        (NameOID.ORGANIZATION_NAME, "API Corp"),
        (NameOID.COMMON_NAME, "api.example.com"),
    ]
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["api.example.com"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["192.0.2.10"]
    assert san.get_values_for_type(x509.RFC822Name) == ["pki@example.com"]
    assert ku_bits(cert) == ({"digital_signature", "key_agreement"}, True)
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert [o.dotted_string for o in eku.value] == ["1.3.6.1.5.5.7.3.8", "1.3.6.1.4.1.99999.1"]
    assert not eku.critical
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert [p.policy_identifier.dotted_string for p in policies] == ["1.3.6.1.4.1.99999.2"]
    assert policies[0].policy_qualifiers == ["https://cps.example.com"]
    custom = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.3.6.1.4.1.99999.3"))
    assert custom.critical
    assert custom.value.value == _der_utf8("hello")
    # the template still sets BC, and the CA still sets AKI / SKI / CDP / AIA
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert (bc.value.ca, bc.critical) == (False, False)
    assert extension(cert, ExtensionOID.CRL_DISTRIBUTION_POINTS) is not None
    assert extension(cert, ExtensionOID.AUTHORITY_INFORMATION_ACCESS) is not None


def test_template_eku_beats_api_eku(hierarchy):
    api = {"Extensions": {"ExtendedKeyUsage": [{"ExtendedKeyUsageType": "SERVER_AUTH"}]}}
    cert = issue(
        hierarchy.pca,
        hierarchy.issuing,
        leaf_csr(),
        "EndEntityClientAuthCertificate_APIPassthrough",
        ApiPassthrough=api,
    )
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [CLIENT]
    # and KU defined by the template beats the API's too
    api = {"Extensions": {"KeyUsage": {"DataEncipherment": True}}}
    cert = issue(
        hierarchy.pca,
        hierarchy.issuing,
        leaf_csr(),
        "EndEntityClientAuthCertificate_APIPassthrough",
        ApiPassthrough=api,
    )
    assert ku_bits(cert) == (EE_KU, True)


def test_api_san_beats_csr_san_on_apicsr_passthrough(hierarchy):
    api = {"Extensions": {"SubjectAlternativeNames": [{"DnsName": "from-api.example.com"}]}}
    cert = issue(
        hierarchy.pca,
        hierarchy.issuing,
        leaf_csr("csr.example.com", ("from-csr.example.com",), ((POLICIES, False),)),
        "EndEntityClientAuthCertificate_APICSRPassthrough",
        ApiPassthrough=api,
    )
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["from-api.example.com"]
    # the CSR still contributes what neither the template nor the API defines
    assert cert.extensions.get_extension_for_class(x509.CertificatePolicies).value == POLICIES
    assert cert.subject.rfc4514_string() == "CN=csr.example.com"


@pytest.mark.parametrize(
    "name", ["EndEntityCertificate", "EndEntityServerAuthCertificate_CSRPassthrough"]
)
def test_templates_without_api_passthrough_ignore_it_silently(hierarchy, name):
    cert = issue(
        hierarchy.pca,
        hierarchy.issuing,
        leaf_csr("csr.example.com", ("csr.example.com",)),
        name,
        ApiPassthrough=FULL_API,
    )
    assert cert.subject.rfc4514_string() == "CN=csr.example.com"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["csr.example.com"]
    assert extension(cert, ExtensionOID.CERTIFICATE_POLICIES) is None
    assert extension(cert, x509.ObjectIdentifier("1.3.6.1.4.1.99999.3")) is None
    assert ku_bits(cert) == (EE_KU, True)


def test_api_subject_alone_keeps_the_csr_san(hierarchy):
    cert = issue(
        hierarchy.pca,
        hierarchy.issuing,
        leaf_csr("csr.example.com", ("csr.example.com",)),
        "EndEntityCertificate_APIPassthrough",
        ApiPassthrough={"Subject": {"CommonName": "api.example.com"}},
    )
    assert cert.subject.rfc4514_string() == "CN=api.example.com"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["csr.example.com"]


def _custom(oid: str) -> dict:
    return {"ObjectIdentifier": oid, "Value": base64.b64encode(_der_utf8("x")).decode()}


@pytest.mark.parametrize(
    "extensions",
    [
        {"CustomExtensions": [_custom("1.3.6.1.4.1.99999.7"), _custom("1.3.6.1.4.1.99999.7")]},
        {
            "ExtendedKeyUsage": [{"ExtendedKeyUsageType": "SERVER_AUTH"}],
            "CustomExtensions": [_custom("2.5.29.37")],
        },
        {"KeyUsage": {"DigitalSignature": True}, "CustomExtensions": [_custom("2.5.29.15")]},
    ],
    ids=["custom-twice", "eku-and-custom-eku", "ku-and-custom-ku"],
)
def test_duplicate_oids_in_api_passthrough_are_rejected(hierarchy, extensions):
    with pytest.raises(ClientError) as excinfo:
        issue(
            hierarchy.pca,
            hierarchy.issuing,
            leaf_csr(),
            "BlankEndEntityCertificate_APIPassthrough",
            ApiPassthrough={"Extensions": extensions},
        )
    assert error_code(excinfo) == "InvalidArgsException"


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:acm-pca:::template/NoSuchTemplate/V1",
        "arn:aws:acm-pca:::template/EndEntityCertificate/V2",
        "arn:aws:acm-pca:::template/RootCACertificate_CSRPassthrough/V1",
        "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen4/V1",
        "arn:aws:acm-pca:us-east-1:111122223333:template/EndEntityCertificate/V1",
    ],
)
def test_unknown_template_arn_is_invalid_args(hierarchy, arn):
    with pytest.raises(ClientError) as excinfo:
        hierarchy.pca.client.issue_certificate(
            CertificateAuthorityArn=hierarchy.issuing,
            Csr=leaf_csr(),
            SigningAlgorithm="SHA256WITHECDSA",
            Validity=DAYS_30,
            TemplateArn=arn,
        )
    assert error_code(excinfo) == "InvalidArgsException"


def test_default_template_is_end_entity_certificate(hierarchy):
    cert_arn = hierarchy.pca.client.issue_certificate(
        CertificateAuthorityArn=hierarchy.issuing,
        Csr=leaf_csr(),
        SigningAlgorithm="SHA256WITHECDSA",
        Validity=DAYS_30,
    )["CertificateArn"]
    pem = hierarchy.pca.client.get_certificate(
        CertificateAuthorityArn=hierarchy.issuing, CertificateArn=cert_arn
    )["Certificate"]
    cert = x509.load_pem_x509_certificate(pem.encode())
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        SERVER,
        CLIENT,
    ]


@pytest.mark.parametrize("name", ["RootCACertificate", "RootCACertificate_APIPassthrough"])
def test_root_template_on_a_subordinate_ca_is_invalid_args(hierarchy, name):
    h = hierarchy
    for ca_arn in (h.pending_sub, h.issuing):
        with pytest.raises(ClientError) as excinfo:
            issue(h.pca, ca_arn, ca_csr(h.pca, ca_arn), name)
        assert error_code(excinfo) == "InvalidArgsException"


def test_root_template_with_a_foreign_key_is_invalid_args(hierarchy):
    with pytest.raises(ClientError) as excinfo:
        issue(hierarchy.pca, hierarchy.pending_root, leaf_csr(), "RootCACertificate")
    assert error_code(excinfo) == "InvalidArgsException"


def test_end_entity_template_on_a_pending_root_is_invalid_state(hierarchy):
    with pytest.raises(ClientError) as excinfo:
        issue(hierarchy.pca, hierarchy.pending_root, leaf_csr(), "EndEntityCertificate")
    assert error_code(excinfo) == "InvalidStateException"


@pytest.mark.parametrize(
    "name",
    [
        "SubordinateCACertificate_PathLen0",
        "SubordinateCACertificate_PathLen1",
        "BlankSubordinateCACertificate_PathLen0_APIPassthrough",
        "SubordinateCACertificate_PathLen0_CSRPassthrough",
    ],
)
def test_subordinate_template_from_a_pathlen0_ca_is_invalid_args(hierarchy, name):
    h = hierarchy
    with pytest.raises(ClientError) as excinfo:
        issue(h.pca, h.issuing, ca_csr(h.pca, h.pending_sub), name)
    assert error_code(excinfo) == "InvalidArgsException"
    # the same CSR with an end-entity template is fine (CA:FALSE)
    cert = issue(h.pca, h.issuing, ca_csr(h.pca, h.pending_sub), "EndEntityCertificate")
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False


def test_pathlen_below_the_parents_is_enforced_down_the_hierarchy(hierarchy):
    """A PathLen1 CA may issue PathLen0 but not PathLen1."""
    h = hierarchy
    mid = new_ca(h.pca, "SUBORDINATE", "PathLen1 CA")
    activate_subordinate(h.pca, mid, h.root, "SubordinateCACertificate_PathLen1")
    csr = ca_csr(h.pca, h.pending_sub)
    cert = issue(h.pca, mid, csr, "SubordinateCACertificate_PathLen0")
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    with pytest.raises(ClientError) as excinfo:
        issue(h.pca, mid, csr, "SubordinateCACertificate_PathLen1")
    assert error_code(excinfo) == "InvalidArgsException"


def test_custom_extension_cannot_override_what_the_template_defines(hierarchy):
    """A CustomExtension with an OID the template defines is overridden, not rejected."""
    h = hierarchy
    ca_true = x509.BasicConstraints(True, None).public_bytes()
    ku = x509.KeyUsage(False, False, False, False, False, True, True, False, False).public_bytes()
    cert = issue(
        h.pca,
        h.issuing,
        leaf_csr(),
        "EndEntityServerAuthCertificate_APIPassthrough",
        ApiPassthrough={
            "Extensions": {
                "CustomExtensions": [
                    {"ObjectIdentifier": "2.5.29.19", "Value": base64.b64encode(ca_true).decode()},
                    {"ObjectIdentifier": "2.5.29.15", "Value": base64.b64encode(ku).decode()},
                ]
            }
        },
    )
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert (bc.value.ca, bc.critical) == (False, False)
    assert ku_bits(cert) == (EE_KU, True)


def test_request_cannot_set_ski_or_aki(hierarchy):
    h = hierarchy
    fake = x509.SubjectKeyIdentifier(b"\x01" * 20)
    fake_aki = x509.AuthorityKeyIdentifier(b"\x02" * 20, None, None)
    csr = leaf_csr(extensions=((fake, False), (fake_aki, False)))
    api = {
        "Extensions": {
            "CustomExtensions": [
                {
                    "ObjectIdentifier": "2.5.29.35",
                    "Value": base64.b64encode(fake_aki.public_bytes()).decode(),
                }
            ]
        }
    }
    cert = issue(
        h.pca, h.issuing, csr, "BlankEndEntityCertificate_APICSRPassthrough", ApiPassthrough=api
    )
    request = x509.load_pem_x509_csr(csr)
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(request.public_key())
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ski_of(h.issuing_cert)


def test_root_api_passthrough_takes_aki_from_the_api(hierarchy):
    h = hierarchy
    csr = ca_csr(h.pca, h.pending_root)
    own = x509.SubjectKeyIdentifier.from_public_key(x509.load_pem_x509_csr(csr).public_key())
    aki = x509.AuthorityKeyIdentifier(own.digest, None, None)
    api = {
        "Extensions": {
            "CustomExtensions": [
                {
                    "ObjectIdentifier": "2.5.29.35",
                    "Value": base64.b64encode(aki.public_bytes()).decode(),
                }
            ]
        }
    }
    cert = issue(h.pca, h.pending_root, csr, "RootCACertificate_APIPassthrough", ApiPassthrough=api)
    assert cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value == aki
    # the base root template ignores it, and neither has AKI otherwise
    plain = issue(h.pca, h.pending_root, csr, "RootCACertificate", ApiPassthrough=api)
    assert extension(plain, ExtensionOID.AUTHORITY_KEY_IDENTIFIER) is None
