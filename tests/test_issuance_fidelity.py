"""ApiPassthrough and CsrExtensions rules: ASN1Subject, every GeneralName choice, KeyUsage,
CertificatePolicies, CustomExtensions, AIA with OCSP; serial numbers; messages."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from conftest import ec_csr_pem, error_code, make_pca_bucket, run_openssl
from cryptography import x509
from test_pkilint import BLOCKING, lint_certificate

import pcanb

TEMPLATE = "arn:aws:acm-pca:::template/{}/V1"
BLANK_API = "BlankEndEntityCertificate_APIPassthrough"
UPN = "1.3.6.1.4.1.311.20.2.3"


def leaf_csr(common_name: str = "svc.example.com") -> bytes:
    return ec_csr_pem(common_name, (common_name,))


def issue_arn(client, ca_arn: str, template: str = BLANK_API, csr: bytes | None = None, **extra):
    return client.issue_certificate(
        CertificateAuthorityArn=ca_arn,
        Csr=csr or leaf_csr(),
        SigningAlgorithm="SHA256WITHECDSA",
        Validity=extra.pop("Validity", {"Type": "DAYS", "Value": 30}),
        TemplateArn=TEMPLATE.format(template),
        **extra,
    )["CertificateArn"]


def issued_pem(client, ca_arn: str, **extra) -> str:
    arn = issue_arn(client, ca_arn, **extra)
    return client.get_certificate(CertificateAuthorityArn=ca_arn, CertificateArn=arn)["Certificate"]


def refused(client, ca_arn: str, api: dict) -> ClientError:
    with pytest.raises(ClientError) as excinfo:
        issue_arn(client, ca_arn, ApiPassthrough=api)
    assert error_code(excinfo) == "InvalidArgsException"
    return excinfo.value


def audit_rows(pca, ca_arn: str) -> list[dict]:
    bucket = make_pca_bucket(pca, "fidelity-audit-bucket")
    report = pca.client.create_certificate_authority_audit_report(
        CertificateAuthorityArn=ca_arn, S3BucketName=bucket, AuditReportResponseFormat="JSON"
    )
    pca.client.get_waiter("audit_report_created").wait(
        CertificateAuthorityArn=ca_arn, AuditReportId=report["AuditReportId"]
    )
    body = pca.s3.get_object(Bucket=bucket, Key=report["S3Key"])["Body"].read()
    return json.loads(body)


def lint_blocking(tmp_path: Path, pem: str) -> list:
    path = tmp_path / "leaf.pem"
    path.write_text(pem)
    return [f for f in lint_certificate(path) if f[0] in BLOCKING]


def asn1_of_extension(path: Path, name: str) -> str:
    """``openssl asn1parse`` of one extension's value (found by its OpenSSL name)."""
    lines = run_openssl("asn1parse", "-in", str(path)).stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.endswith(f":{name}"))
    value = next(line for line in lines[at + 1 :] if "OCTET STRING" in line)
    offset = value.split(":", 1)[0].strip()
    return run_openssl("asn1parse", "-in", str(path), "-i", "-strparse", offset).stdout


# --- refusals -------------------------------------------------------------------------------

CUSTOM_AND_STANDARD = {
    "CommonName": "x",
    "CustomAttributes": [{"ObjectIdentifier": "2.5.4.3", "Value": "y"}],
}


def test_api_subject_follows_the_asn1subject_rules(pca, client, root):
    error = refused(client, root.arn, {"Subject": CUSTOM_AND_STANDARD})
    assert "CustomAttributes cannot be combined" in str(error)
    assert "at least one attribute" in str(refused(client, root.arn, {"Subject": {}}))
    directory = {"DirectoryName": CUSTOM_AND_STANDARD}
    refused(client, root.arn, {"Extensions": {"SubjectAlternativeNames": [directory]}})
    # The model's length and pattern rules hold for ApiPassthrough.Subject too.
    for subject in ({"Country": "USA"}, {"GivenName": "g" * 17}):
        with pytest.raises(ClientError) as excinfo:
            issue_arn(client, root.arn, ApiPassthrough={"Subject": subject})
        assert error_code(excinfo) == "ValidationException"
        assert "apiPassthrough.subject" in str(excinfo.value)


def test_refused_passthrough_extensions_leave_no_certificate(pca, client, root):
    bad_der = base64.b64encode(b"\xff\xff").decode()
    trailing = base64.b64encode(b"\x05\x00\x05\x00").decode()
    cases = {
        "bit": {"KeyUsage": {}},
        "bit ": {"KeyUsage": {"DigitalSignature": False}},
        "more than once": {
            "CertificatePolicies": [{"CertPolicyId": "1.2.3.4"}, {"CertPolicyId": "1.2.3.4"}]
        },
        "DER": {"CustomExtensions": [{"ObjectIdentifier": "1.2.3.4", "Value": bad_der}]},
        "DER ": {"CustomExtensions": [{"ObjectIdentifier": "1.2.3.4", "Value": trailing}]},
    }
    for words, extensions in cases.items():
        assert words.strip() in str(refused(client, root.arn, {"Extensions": extensions}))
    assert [row["templateArn"] for row in audit_rows(pca, root.arn)] == [
        TEMPLATE.format("RootCACertificate")
    ]


def test_a_well_formed_custom_extension_is_kept(pca, client, root, tmp_path):
    value = base64.b64encode(b"\x05\x00").decode()
    api = {"Extensions": {"CustomExtensions": [{"ObjectIdentifier": "1.2.3.4", "Value": value}]}}
    pem = issued_pem(client, root.arn, ApiPassthrough=api)
    cert = x509.load_pem_x509_certificate(pem.encode())
    custom = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.2.3.4"))
    assert custom.value.value == b"\x05\x00"


def test_api_aia_is_refused_when_ocsp_is_enabled(pca, client):
    ocsp = {"OcspConfiguration": {"Enabled": True}}
    ca = pca.create_root_ca(common_name="OCSP Root", revocation_configuration=ocsp)
    aia = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                x509.AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier("http://ca.example/ca.crt"),
            )
        ]
    )
    value = base64.b64encode(aia.public_bytes()).decode()
    custom = {"ObjectIdentifier": "1.3.6.1.5.5.7.1.1", "Value": value}
    error = refused(client, ca.arn, {"Extensions": {"CustomExtensions": [custom]}})
    assert "OCSP enabled" in str(error)
    # Without OCSP the same passthrough AIA is honoured.
    pem = issued_pem(client, pca.create_root_ca(common_name="Plain").arn, ApiPassthrough={
        "Extensions": {"CustomExtensions": [custom]}
    })  # fmt: skip
    cert = x509.load_pem_x509_certificate(pem.encode())
    got = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert got == aia


# --- GeneralName choices ------------------------------------------------------------------


def test_san_edi_party_name_and_long_other_name(pca, client, root, tmp_path):
    sans = [
        {"DnsName": "svc.example.com"},
        {"EdiPartyName": {"PartyName": "p" * 256, "NameAssigner": "assigner"}},
        {"EdiPartyName": {"PartyName": "party only"}},
        {"OtherName": {"TypeId": UPN, "Value": "u" * 256}},
    ]
    api = {"Extensions": {"SubjectAlternativeNames": sans}}
    pem = issued_pem(client, root.arn, ApiPassthrough=api)
    path = tmp_path / "edi.pem"
    path.write_text(pem)
    text = run_openssl("x509", "-in", str(path), "-noout", "-text")
    assert text.returncode == 0, text.stderr
    assert "EdiPartyName" in text.stdout and "DNS:svc.example.com" in text.stdout
    assert "othername: UPN::" + "u" * 256 in text.stdout.replace("\n", "")
    san = asn1_of_extension(path, "X509v3 Subject Alternative Name")
    # [5] EDIPartyName: nameAssigner [0] and partyName [1], each an explicit UTF8String.
    assert re.search(r"cont \[ 5 \].*\n.*cont \[ 0 \].*\n.*UTF8STRING +:assigner\n", san)
    assert re.search(r"cont \[ 1 \].*\n.*UTF8STRING +:" + "p" * 256 + "\n", san)
    assert lint_blocking(tmp_path, pem) == []
    decoded = pcanb.Certificate.load(pem)  # the toolkit reads the names cryptography cannot
    assert decoded.common_name == "svc.example.com" and decoded.not_after > decoded.not_before
    assert decoded.to_dict()["sans"] == [
        "DNS:svc.example.com",
        "EdiPartyName:assigner/" + "p" * 256,
        "EdiPartyName:party only",
        f"othername:{UPN}",
    ]


SIA = [
    {
        "AccessMethod": {"AccessMethodType": "CA_REPOSITORY"},
        "AccessLocation": {"EdiPartyName": {"PartyName": "repo", "NameAssigner": "x"}},
    },
    {
        "AccessMethod": {"CustomObjectIdentifier": "1.3.6.1.5.5.7.48.5"},
        "AccessLocation": {"OtherName": {"TypeId": UPN, "Value": "v" * 200}},
    },
]


def create_ca_with_sia(client, kind: str, common_name: str) -> tuple[str, str]:
    """A new CA whose CsrExtensions carry ``SIA``: its ARN and its CSR (PEM)."""
    arn = client.create_certificate_authority(
        CertificateAuthorityConfiguration={
            "KeyAlgorithm": "EC_prime256v1",
            "SigningAlgorithm": "SHA256WITHECDSA",
            "Subject": {"CommonName": common_name},
            "CsrExtensions": {"SubjectInformationAccess": SIA},
        },
        CertificateAuthorityType=kind,
    )["CertificateAuthorityArn"]
    client.get_waiter("certificate_authority_csr_created").wait(CertificateAuthorityArn=arn)
    return arn, client.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]


def openssl_text(kind: str, pem: str) -> str:
    args = ["openssl", kind, "-noout", "-text"]
    return subprocess.run(args, input=pem, capture_output=True, text=True, check=True).stdout


def test_sia_edi_party_name_goes_into_ca_csrs_and_certificates(pca, client):
    root_arn, root_csr = create_ca_with_sia(client, "ROOT", "EDI Root")
    assert "EdiPartyName" in openssl_text("req", root_csr)
    ten_years = {"Type": "YEARS", "Value": 10}
    root_cert_arn = issue_arn(
        client, root_arn, "RootCACertificate", root_csr.encode(), Validity=ten_years
    )
    root_pem = client.get_certificate(
        CertificateAuthorityArn=root_arn, CertificateArn=root_cert_arn
    )
    client.import_certificate_authority_certificate(
        CertificateAuthorityArn=root_arn, Certificate=root_pem["Certificate"].encode()
    )
    # A CSRPassthrough template copies the SIA into a subordinate CA certificate, which
    # imports and issues as usual.
    sub_arn, sub_csr = create_ca_with_sia(client, "SUBORDINATE", "EDI Sub")
    cert_arn = issue_arn(  # longer than the leaf below, which must end before its CA does
        client,
        root_arn,
        "SubordinateCACertificate_PathLen0_CSRPassthrough",
        sub_csr.encode(),
        Validity={"Type": "DAYS", "Value": 60},
    )
    got = client.get_certificate(CertificateAuthorityArn=root_arn, CertificateArn=cert_arn)
    shown = openssl_text("x509", got["Certificate"])
    assert "Subject Information Access" in shown and "EdiPartyName" in shown
    client.import_certificate_authority_certificate(
        CertificateAuthorityArn=sub_arn,
        Certificate=got["Certificate"].encode(),
        CertificateChain=got["CertificateChain"].encode(),
    )
    status = client.describe_certificate_authority(CertificateAuthorityArn=sub_arn)
    assert status["CertificateAuthority"]["Status"] == "ACTIVE"
    leaf = x509.load_pem_x509_certificate(
        issued_pem(client, sub_arn, template="EndEntityCertificate").encode()
    )
    sub_cert = x509.load_pem_x509_certificate(got["Certificate"].encode())
    leaf.verify_directly_issued_by(sub_cert)


# --- serials --------------------------------------------------------------------------------


def test_serials_are_16_random_bytes_with_the_top_bit_not_forced(pca, client, root):
    arns = [issue_arn(client, root.arn, "EndEntityCertificate") for _ in range(24)]
    suffixes = [arn.rsplit("/", 1)[1] for arn in arns]
    assert all(re.fullmatch(r"[0-9a-f]{32}", s) for s in suffixes)
    # 24 serials all with the top bit set (the old behaviour) has probability 2**-24.
    assert any(int(s[0], 16) < 8 for s in suffixes)
    assert len(set(suffixes)) == len(suffixes)
    for arn, suffix in zip(arns[:3], suffixes, strict=False):
        pem = client.get_certificate(CertificateAuthorityArn=root.arn, CertificateArn=arn)
        serial = x509.load_pem_x509_certificate(pem["Certificate"].encode()).serial_number
        assert serial > 0 and format(serial, "032x") == suffix


# --- messages -------------------------------------------------------------------------------


def test_audit_report_interval_message_counts_the_minutes_left(pca, client, root):
    bucket = make_pca_bucket(pca, "fidelity-interval-bucket")
    args = {
        "CertificateAuthorityArn": root.arn,
        "S3BucketName": bucket,
        "AuditReportResponseFormat": "JSON",
    }
    client.create_certificate_authority_audit_report(**args)
    pca.sandbox.advance(minutes=10)
    with pytest.raises(ClientError) as excinfo:
        client.create_certificate_authority_audit_report(**args)
    assert error_code(excinfo) == "RequestInProgressException"
    assert "requested in 20 minutes." in str(excinfo.value)
    pca.sandbox.advance(minutes=19, seconds=30)
    with pytest.raises(ClientError) as excinfo:
        client.create_certificate_authority_audit_report(**args)
    assert "requested in 1 minute." in str(excinfo.value)


def test_a_blob_in_a_validation_message_is_shown_as_aws_shows_it(pca, client, root):
    with pytest.raises(ClientError) as excinfo:
        client.issue_certificate(
            CertificateAuthorityArn=root.arn,
            Csr=b"",
            SigningAlgorithm="SHA256WITHECDSA",
            Validity={"Type": "DAYS", "Value": 1},
        )
    assert error_code(excinfo) == "ValidationException"
    message = excinfo.value.response["Error"]["Message"]
    assert "Value 'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]' at 'csr'" in message
    assert "b''" not in message
