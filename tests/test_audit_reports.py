"""CreateCertificateAuthorityAuditReport / DescribeCertificateAuthorityAuditReport through boto3.

A known set of certificates is issued and revoked; the reports must list exactly those (plus
the CA certificates the CA issued), in AWS's JSON and CSV layouts.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from botocore.exceptions import ClientError, WaiterError
from conftest import EC_CA, error_code, make_pca_bucket

import pcanb
from pcanb.analysis.reports import read_audit_report

BUCKET = "pki-audit"
ACCOUNT = "111122223333"
TEMPLATE = "arn:aws:acm-pca:::template/{}/V1"
CSV_HEADER = (
    "awsAccountId,requestedByServicePrincipal,certificateArn,serial,subject,notBefore,notAfter,"
    "issuedAt,revokedAt,revocationReason,templateArn"
)
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")
REPORT_ID = re.compile(r"^[a-z0-9]{8}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{12}$")


def audit_bucket(pca, name: str = BUCKET) -> str:
    """A bucket whose policy lets acm-pca write reports (PutObject on objects, GetBucketAcl)."""
    return make_pca_bucket(pca, name)


def aws_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def colon_serial(number: int) -> str:
    digits = format(number, "x")
    digits = "0" * (len(digits) % 2) + digits
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


@dataclass
class World:
    """One sandbox with a root, a subordinate and known certificates, and their reports."""

    pca: object
    root: object
    issuing: object
    expected: dict[str, dict[str, dict]] = field(default_factory=dict)  # CA ARN → cert ARN → row
    reports: dict[tuple[str, str], dict] = field(default_factory=dict)  # (CA ARN, format) → info


def expected_row(cert, template: str, issued_at: datetime, subject: str) -> dict:
    return {
        "awsAccountId": ACCOUNT,
        "certificateArn": cert.arn,
        "serial": colon_serial(cert.x509.serial_number),
        "subject": subject,
        "notBefore": aws_time(cert.x509.not_valid_before_utc),
        "notAfter": aws_time(cert.x509.not_valid_after_utc),
        "issuedAt": aws_time(issued_at),
        "templateArn": TEMPLATE.format(template),
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    pca = pcanb.sandbox(tmp_path_factory.mktemp("audit") / "sandbox")
    audit_bucket(pca)
    root = pca.create_root_ca(common_name="Test Root CA")
    issuing = pca.create_subordinate_ca(parent=root, common_name="Test Issuing CA", path_length=0)
    w = World(pca, root, issuing)
    now = pca.sandbox.now  # the clock only moves when advanced, apart from real seconds
    w.expected[root.arn] = {
        root.certificate.arn: expected_row(
            root.certificate, "RootCACertificate", _issued(pca, root.certificate), "CN=Test Root CA"
        ),
        issuing.certificate.arn: expected_row(
            issuing.certificate,
            "SubordinateCACertificate_PathLen0",
            _issued(pca, issuing.certificate),
            "CN=Test Issuing CA",
        ),
    }
    w.expected[issuing.arn] = {}
    leaves = [
        # (CA, subject, expected AWS spelling, revoke with)
        (root, {"CommonName": "a.example.com", "Organization": "Example, Inc.", "Country": "US"},
         "CN=a.example.com,O=Example\\, Inc.,C=US", None),
        # Title (UTF8String) and SerialNumber (PrintableString) are printed as OID=#hex.
        (root, {"CommonName": "b.example.com", "Title": "Engineer", "SerialNumber": "A-1"},
         "2.5.4.5=#1303412d31,2.5.4.12=#0c08456e67696e656572,CN=b.example.com", None),
        (root, {"CommonName": "c.example.com", "OrganizationalUnit": "Ops"},
         "CN=c.example.com,OU=Ops", "KEY_COMPROMISE"),
        (issuing, {"CommonName": "d.example.com", "Locality": "Seattle", "State": "Washington"},
         "CN=d.example.com,L=Seattle,ST=Washington", None),
        (issuing, {"CommonName": "e.example.com"}, "CN=e.example.com", "SUPERSEDED"),
    ]  # fmt: skip
    for ca, subject, spelled, reason in leaves:
        before = now()
        cert = pca.issue(ca, subject=subject)
        after = now()
        row = expected_row(cert, "EndEntityCertificate", before, spelled)
        row["_issued_between"] = (before, after)
        w.expected[ca.arn][cert.arn] = row
        if reason:
            before = now()
            pca.revoke(cert, reason)
            row["_revoked_between"] = (before, now())
            row["revocationReason"] = reason
    for fmt in ("JSON", "CSV"):
        for ca in (root, issuing):
            response = pca.client.create_certificate_authority_audit_report(
                CertificateAuthorityArn=ca.arn, S3BucketName=BUCKET, AuditReportResponseFormat=fmt
            )
            body = pca.s3.get_object(Bucket=BUCKET, Key=response["S3Key"])["Body"].read()
            w.reports[ca.arn, fmt] = {**response, "body": body}
        pca.sandbox.advance(minutes=31)
    yield w
    pca.sandbox.close()


def _issued(pca, cert) -> datetime:
    """When the sandbox issued a CA certificate (NotBefore is issuance minus one hour)."""
    return cert.x509.not_valid_before_utc + timedelta(hours=1)


def _json_rows(world: World, ca) -> list[dict]:
    return json.loads(world.reports[ca.arn, "JSON"]["body"])


def _csv_rows(world: World, ca) -> list[dict]:
    text = world.reports[ca.arn, "CSV"]["body"].decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("which", ["root", "issuing"])
def test_json_report_lists_exactly_the_known_certificates(world, which):
    ca = getattr(world, which)
    rows = _json_rows(world, ca)
    expected = world.expected[ca.arn]
    assert [r["certificateArn"] for r in rows] == list(expected)  # issuance order, no extras
    for row in rows:
        want = expected[row["certificateArn"]]
        # Keys are omitted for missing values: revokedAt/revocationReason only when revoked,
        # requestedByServicePrincipal never (nothing here was requested by ACM).
        plain = {k: v for k, v in want.items() if not k.startswith("_")}
        revoked = "_revoked_between" in want
        assert set(row) == set(plain) | ({"revokedAt"} if revoked else set())
        for key, value in plain.items():
            if key == "issuedAt" and "_issued_between" in want:
                low, high = want["_issued_between"]
                assert aws_time(low) <= row["issuedAt"] <= aws_time(high)
            else:
                assert row[key] == value, key
        # AWS backdates NotBefore by one hour from issuance.
        issued = datetime.strptime(row["issuedAt"], "%Y-%m-%dT%H:%M:%S%z")
        assert datetime.strptime(row["notBefore"], "%Y-%m-%dT%H:%M:%S%z") == issued - timedelta(
            hours=1
        )
        for key in ("notBefore", "notAfter", "issuedAt", "revokedAt"):
            if key in row:
                assert TIME.match(row[key]), row[key]
        if revoked:
            low, high = want["_revoked_between"]
            assert aws_time(low) <= row["revokedAt"] <= aws_time(high)


def test_root_report_holds_the_ca_certificates(world):
    rows = {r["certificateArn"]: r for r in _json_rows(world, world.root)}
    self_signed = rows[world.root.certificate.arn]
    assert self_signed["subject"] == "CN=Test Root CA"
    assert self_signed["templateArn"] == TEMPLATE.format("RootCACertificate")
    sub = rows[world.issuing.certificate.arn]
    assert sub["subject"] == "CN=Test Issuing CA"
    assert sub["templateArn"] == TEMPLATE.format("SubordinateCACertificate_PathLen0")
    assert world.issuing.certificate.arn not in {
        r["certificateArn"] for r in _json_rows(world, world.issuing)
    }


def test_serial_matches_the_certificate_and_its_arn(world):
    for ca in (world.root, world.issuing):
        for row in _json_rows(world, ca):
            assert re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2})*", row["serial"])
            assert row["serial"].replace(":", "").lstrip("0") == row["certificateArn"].rsplit(
                "/", 1
            )[1].lstrip("0")


@pytest.mark.parametrize("which", ["root", "issuing"])
def test_csv_report_matches_json(world, which):
    ca = getattr(world, which)
    text = world.reports[ca.arn, "CSV"]["body"].decode()
    assert text.splitlines()[0] == CSV_HEADER
    json_rows = _json_rows(world, ca)
    csv_rows = _csv_rows(world, ca)
    assert len(csv_rows) == len(json_rows)
    for from_csv, from_json in zip(csv_rows, json_rows, strict=True):
        assert from_csv == {k: from_json.get(k, "") for k in CSV_HEADER.split(",")}
    # A subject with commas is quoted as RFC 4180 asks.
    if which == "root":
        assert '"CN=a.example.com,O=Example\\, Inc.,C=US"' in text
    # JSON and CSV parse to the same typed frame.
    pd.testing.assert_frame_equal(
        read_audit_report(world.reports[ca.arn, "JSON"]["body"], format="JSON"),
        read_audit_report(world.reports[ca.arn, "CSV"]["body"], format="CSV"),
    )


def test_s3_keys_and_describe(world):
    for (arn, fmt), report in world.reports.items():
        assert REPORT_ID.match(report["AuditReportId"])
        ca_id = arn.rsplit("/", 1)[1]
        assert report["S3Key"] == f"audit-report/{ca_id}/{report['AuditReportId']}.{fmt.lower()}"
        described = world.pca.client.describe_certificate_authority_audit_report(
            CertificateAuthorityArn=arn, AuditReportId=report["AuditReportId"]
        )
        assert described["AuditReportStatus"] == "SUCCESS"
        assert described["S3BucketName"] == BUCKET
        assert described["S3Key"] == report["S3Key"]
        assert described["CreatedAt"].tzinfo is not None
    listed = world.pca.s3.list_objects_v2(Bucket=BUCKET, Prefix="audit-report/")["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(r["S3Key"] for r in world.reports.values())


def test_report_of_another_ca_is_not_found(world):
    report = world.reports[world.root.arn, "JSON"]
    with pytest.raises(ClientError) as excinfo:
        world.pca.client.describe_certificate_authority_audit_report(
            CertificateAuthorityArn=world.issuing.arn, AuditReportId=report["AuditReportId"]
        )
    assert error_code(excinfo) == "ResourceNotFoundException"


# -- statuses, limits and refusals (each with its own sandbox) ------------------------------------


def _create(client, arn: str, bucket: str = BUCKET, fmt: str = "JSON") -> dict:
    return client.create_certificate_authority_audit_report(
        CertificateAuthorityArn=arn, S3BucketName=bucket, AuditReportResponseFormat=fmt
    )


def _status(client, arn: str, report_id: str) -> str:
    return client.describe_certificate_authority_audit_report(
        CertificateAuthorityArn=arn, AuditReportId=report_id
    )["AuditReportStatus"]


def _objects(pca, bucket: str = BUCKET) -> list[str]:
    return [o["Key"] for o in pca.s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_creating_then_success_with_the_waiter(pca, client, root):
    audit_bucket(pca)
    pca.sandbox.configure(audit_delay=60)
    report = _create(client, root.arn)
    assert _status(client, root.arn, report["AuditReportId"]) == "CREATING"
    assert report["S3Key"] not in _objects(pca)
    waiter = client.get_waiter("audit_report_created")
    with pytest.raises(WaiterError):  # still CREATING: the waiter gives up
        waiter.wait(
            CertificateAuthorityArn=root.arn,
            AuditReportId=report["AuditReportId"],
            WaiterConfig={"Delay": 0, "MaxAttempts": 2},
        )
    pca.sandbox.advance(minutes=2)
    waiter.wait(
        CertificateAuthorityArn=root.arn,
        AuditReportId=report["AuditReportId"],
        WaiterConfig={"Delay": 0, "MaxAttempts": 2},
    )
    assert _status(client, root.arn, report["AuditReportId"]) == "SUCCESS"
    rows = json.loads(pca.s3.get_object(Bucket=BUCKET, Key=report["S3Key"])["Body"].read())
    assert [r["certificateArn"] for r in rows] == [root.certificate.arn]


def test_failed_when_the_bucket_policy_goes_before_generation(pca, client, root):
    audit_bucket(pca)
    pca.sandbox.configure(audit_delay=60)
    report = _create(client, root.arn)
    pca.s3.delete_bucket_policy(Bucket=BUCKET)
    pca.sandbox.advance(minutes=2)
    assert _status(client, root.arn, report["AuditReportId"]) == "FAILED"
    assert _objects(pca) == []
    with pytest.raises(WaiterError) as excinfo:
        client.get_waiter("audit_report_created").wait(
            CertificateAuthorityArn=root.arn,
            AuditReportId=report["AuditReportId"],
            WaiterConfig={"Delay": 0, "MaxAttempts": 3},
        )
    assert "terminal failure state" in str(excinfo.value)


def test_one_report_per_thirty_minutes(pca, client, root):
    audit_bucket(pca)
    first = _create(client, root.arn)
    pca.sandbox.advance(minutes=29)
    with pytest.raises(ClientError) as excinfo:
        _create(client, root.arn, fmt="CSV")
    assert error_code(excinfo) == "RequestInProgressException"
    assert "30 minutes" in excinfo.value.response["Error"]["Message"]
    assert _objects(pca) == [first["S3Key"]]  # the refused request wrote nothing
    pca.sandbox.advance(minutes=2)
    second = _create(client, root.arn, fmt="CSV")
    assert sorted(_objects(pca)) == sorted([first["S3Key"], second["S3Key"]])


def test_the_limit_is_per_ca(pca, client, root, issuing):
    audit_bucket(pca)
    _create(client, root.arn)
    _create(client, issuing.arn)  # another CA is not held back
    assert len(_objects(pca)) == 2


def test_missing_bucket(pca, client, root):
    with pytest.raises(ClientError) as excinfo:
        _create(client, root.arn, bucket="no-such-bucket")
    assert error_code(excinfo) == "ResourceNotFoundException"
    assert "no-such-bucket" in excinfo.value.response["Error"]["Message"]


def test_bucket_without_the_acm_pca_policy(pca, client, root):
    pca.s3.create_bucket(Bucket="plain-bucket")
    with pytest.raises(ClientError) as excinfo:
        _create(client, root.arn, bucket="plain-bucket")
    assert error_code(excinfo) == "InvalidArgsException"
    assert "acm-pca.amazonaws.com" in excinfo.value.response["Error"]["Message"]
    assert _objects(pca, "plain-bucket") == []
    # The refusal does not count against the 30-minute limit.
    audit_bucket(pca)
    _create(client, root.arn)


def test_bucket_policy_without_put_object(pca, client, root):
    pca.s3.create_bucket(Bucket="read-only")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "acm-pca.amazonaws.com"},
                "Action": ["s3:GetBucketAcl"],
                "Resource": ["arn:aws:s3:::read-only", "arn:aws:s3:::read-only/*"],
            }
        ],
    }
    pca.s3.put_bucket_policy(Bucket="read-only", Policy=json.dumps(policy))
    with pytest.raises(ClientError) as excinfo:
        _create(client, root.arn, bucket="read-only")
    assert error_code(excinfo) == "InvalidArgsException"
    assert "s3:PutObject" in excinfo.value.response["Error"]["Message"]


def test_pending_ca_cannot_report(pca, client):
    audit_bucket(pca)
    arn = client.create_certificate_authority(
        CertificateAuthorityConfiguration=EC_CA, CertificateAuthorityType="ROOT"
    )["CertificateAuthorityArn"]
    with pytest.raises(ClientError) as excinfo:
        _create(client, arn)
    assert error_code(excinfo) == "InvalidStateException"
    assert "PENDING_CERTIFICATE" in excinfo.value.response["Error"]["Message"]


def test_expired_ca_cannot_report_but_a_disabled_one_can(pca, client):
    audit_bucket(pca)
    short = pca.create_root_ca(common_name="Short Root", validity={"Type": "DAYS", "Value": 2})
    other = pca.create_root_ca(common_name="Disabled Root")
    client.update_certificate_authority(CertificateAuthorityArn=other.arn, Status="DISABLED")
    _create(client, other.arn)
    pca.sandbox.advance(days=3)
    status = client.describe_certificate_authority(CertificateAuthorityArn=short.arn)
    assert status["CertificateAuthority"]["Status"] == "EXPIRED"
    with pytest.raises(ClientError) as excinfo:
        _create(client, short.arn)
    assert error_code(excinfo) == "InvalidStateException"
    assert "EXPIRED" in excinfo.value.response["Error"]["Message"]


def test_unknown_report_id(client, root):
    with pytest.raises(ClientError) as excinfo:
        client.describe_certificate_authority_audit_report(
            CertificateAuthorityArn=root.arn, AuditReportId="00000000-0000-4000-8000-000000000000"
        )
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_bad_format_enum(pca, client, root):
    audit_bucket(pca)
    with pytest.raises(ClientError) as excinfo:
        _create(client, root.arn, fmt="XML")
    assert error_code(excinfo) == "ValidationException"
    assert _objects(pca) == []
