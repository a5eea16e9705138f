"""RevokeCertificate and the CRLs AWS Private CA writes to S3, read back through boto3 and OpenSSL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from botocore.exceptions import ClientError
from conftest import crl_revocation, ec_csr_pem, make_pca_bucket, make_public, run_openssl
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import CRLEntryExtensionOID, ExtensionOID

import pcanb
from pcanb.aws.buckets import pca_bucket_policy
from pcanb.ui.cards import crl_card

REGION = "us-east-1"
BUCKET = "crl-main"
RFC5280_CODES = {
    "UNSPECIFIED": None,  # the entry carries no reasonCode (RFC 5280 5.3.1 advice)
    "KEY_COMPROMISE": 1,
    "CERTIFICATE_AUTHORITY_COMPROMISE": 2,
    "AFFILIATION_CHANGED": 3,
    "SUPERSEDED": 4,
    "CESSATION_OF_OPERATION": 5,
    "PRIVILEGE_WITHDRAWN": 9,
    "A_A_COMPROMISE": 10,
}


make_bucket = make_pca_bucket


def crl_config(bucket: str = BUCKET, **extra) -> dict:
    config = crl_revocation(bucket, ocsp=False)
    config["CrlConfiguration"].update(extra)
    return config


def read_crl(pca, ca, bucket: str = BUCKET, key: str | None = None):
    key = key or f"crl/{ca.ca_id}.crl"
    body = pca.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return x509.load_der_x509_crl(body)


def revoke(pca, ca, serial: str, reason: str = "KEY_COMPROMISE") -> None:
    pca.client.revoke_certificate(
        CertificateAuthorityArn=ca.arn, CertificateSerial=serial, RevocationReason=reason
    )


def colon(serial: int) -> str:
    raw = format(serial, "032x")
    return ":".join(raw[i : i + 2] for i in range(0, len(raw), 2))


def ski(cert) -> bytes:
    return cert.x509.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest


def revoke_error(pca, ca, serial: str, reason: str = "KEY_COMPROMISE") -> ClientError:
    with pytest.raises(ClientError) as excinfo:
        revoke(pca, ca, serial, reason)
    return excinfo.value


def error_code_of(error: ClientError) -> str:
    return error.response["Error"]["Code"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """A sandbox with a CRL bucket, a root and a subordinate that both publish CRLs."""
    pca = pcanb.sandbox(tmp_path_factory.mktemp("crl"))
    make_bucket(pca, BUCKET)
    root = pca.create_root_ca(common_name="CRL Root", revocation_configuration=crl_config())
    sub = pca.create_subordinate_ca(
        parent=root, common_name="CRL Issuing CA", revocation_configuration=crl_config()
    )
    yield pca, root, sub
    pca.sandbox.close()


def leaf(pca, ca, name: str = "svc.example.com", **kwargs):
    return pca.issue(ca, common_name=name, sans=[name], **kwargs)


# --- RevokeCertificate -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        colon,
        lambda s: format(s, "x"),
        lambda s: colon(s).upper(),
        lambda s: "0x" + format(s, "x"),
        lambda s: "0X" + format(s, "X"),
        lambda s: "00:" + colon(s),
    ],
    ids=["colon", "plain-hex", "upper-colon", "0x-prefix", "0X-upper", "leading-00"],
)
def test_serial_forms(env, form):
    pca, _, sub = env
    cert = leaf(pca, sub)
    revoke(pca, sub, form(cert.serial))
    assert read_crl(pca, sub).get_revoked_certificate_by_serial_number(cert.serial) is not None


@pytest.mark.parametrize("serial", ["zz:11", "", "12-34", "0x"])
def test_serial_that_is_not_hex_is_refused(env, serial):
    pca, _, sub = env
    error = revoke_error(pca, sub, serial)
    assert error.response["Error"]["Code"] in ("InvalidRequestException", "ValidationException")


@pytest.mark.parametrize("reason", list(RFC5280_CODES))
def test_reason_maps_to_the_rfc5280_code(env, reason):
    pca, _, sub = env
    cert = leaf(pca, sub)
    revoke(pca, sub, colon(cert.serial), reason)
    entry = read_crl(pca, sub).get_revoked_certificate_by_serial_number(cert.serial)
    assert entry is not None
    codes = [
        e.value.public_bytes()  # DER of extnValue: ENUMERATED (0x0a), length 1, the code
        for e in entry.extensions
        if e.oid == CRLEntryExtensionOID.CRL_REASON
    ]
    expected = RFC5280_CODES[reason]
    assert codes == ([] if expected is None else [bytes([0x0A, 1, expected])])
    assert len(entry.extensions) == len(codes)


def test_double_revocation_is_already_processed(env):
    pca, _, sub = env
    cert = leaf(pca, sub)
    revoke(pca, sub, colon(cert.serial))
    error = revoke_error(pca, sub, format(cert.serial, "x"), "SUPERSEDED")
    assert error.response["Error"]["Code"] == "RequestAlreadyProcessedException"
    # the first reason stands
    entry = read_crl(pca, sub).get_revoked_certificate_by_serial_number(cert.serial)
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.key_compromise


def test_unknown_serial_is_not_found(env):
    pca, root, sub = env
    assert revoke_error(pca, sub, "0f" * 16).response["Error"]["Code"] == (
        "ResourceNotFoundException"
    )
    # a serial the root issued is unknown to the subordinate
    other = leaf(pca, root, "root-issued.example.com")
    assert revoke_error(pca, sub, colon(other.serial)).response["Error"]["Code"] == (
        "ResourceNotFoundException"
    )


def test_root_self_signed_certificate_cannot_be_revoked(env):
    pca, root, _ = env
    error = revoke_error(pca, root, colon(root.certificate.serial))
    assert error.response["Error"]["Code"] == "InvalidRequestException"


def test_subordinate_ca_certificate_revoked_by_its_parent_is_in_the_parents_crl(env):
    pca, root, _ = env
    doomed = pca.create_subordinate_ca(parent=root, common_name="Doomed Sub")
    revoke(pca, root, colon(doomed.certificate.serial), "CERTIFICATE_AUTHORITY_COMPROMISE")
    entry = read_crl(pca, root).get_revoked_certificate_by_serial_number(doomed.certificate.serial)
    assert entry is not None
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.ca_compromise


def test_expired_certificate_cannot_be_revoked_and_drops_off_after_one_more_crl(pca):
    make_bucket(pca, BUCKET)
    root = pca.create_root_ca(common_name="Expiry Root", revocation_configuration=crl_config())
    listed = leaf(pca, root, "listed.example.com", days=1)
    expiring = leaf(pca, root, "expiring.example.com", days=1)
    revoke(pca, root, colon(listed.serial))
    pca.sandbox.advance(days=1, hours=1)
    error = revoke_error(pca, root, colon(expiring.serial))
    assert error.response["Error"]["Code"] == "InvalidRequestException"
    # the CRL of the revocation is regenerated at its midpoint (3.5 days): the expired
    # certificate stays on that one CRL after its expiry, then leaves
    assert read_crl(pca, root).get_revoked_certificate_by_serial_number(listed.serial)
    pca.sandbox.advance(days=2, hours=12)
    refreshed = read_crl(pca, root)
    assert refreshed.last_update_utc > pca.sandbox.now() - timedelta(hours=1, minutes=5)
    assert refreshed.get_revoked_certificate_by_serial_number(listed.serial) is not None
    pca.sandbox.advance(days=4)
    latest = read_crl(pca, root)
    assert latest.last_update_utc > refreshed.last_update_utc
    assert latest.get_revoked_certificate_by_serial_number(listed.serial) is None


def test_disabled_ca_may_revoke(pca):
    make_bucket(pca, BUCKET)
    root = pca.create_root_ca(common_name="Disabled Root", revocation_configuration=crl_config())
    cert = leaf(pca, root)
    pca.client.update_certificate_authority(CertificateAuthorityArn=root.arn, Status="DISABLED")
    revoke(pca, root, colon(cert.serial))
    assert read_crl(pca, root).get_revoked_certificate_by_serial_number(cert.serial) is not None


def _stored(pca) -> dict:
    """What the sandbox keeps, except the call log: tables and S3 objects."""
    import sqlite3

    with sqlite3.connect(pca.sandbox.store.path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out = {
            table: db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            for table in tables
            if table not in ("events", "sqlite_sequence")
        }
    db.close()
    files = pca.sandbox.path / "s3"
    out["s3"] = sorted((str(p), p.read_bytes()) for p in files.rglob("*") if p.is_file())
    return out


def _empty_and_delete(pca, bucket: str) -> None:
    for item in pca.s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        pca.s3.delete_object(Bucket=bucket, Key=item["Key"])
    pca.s3.delete_bucket(Bucket=bucket)


@pytest.mark.parametrize(
    "break_bucket, words",
    [
        (lambda pca: pca.s3.delete_bucket_policy(Bucket=BUCKET), "requires 's3:GetBucketAcl'"),
        (lambda pca: _empty_and_delete(pca, BUCKET), "does not exist"),
    ],
    ids=["policy-deleted", "bucket-deleted"],
)
def test_a_crl_bucket_broken_after_configuration_fails_the_revocation(pca, break_bucket, words):
    """RevokeCertificate lists no InvalidArgsException: a CRL bucket that lost its policy or
    was deleted answers RequestFailedException, says what is wrong, and revokes nothing."""
    make_bucket(pca, BUCKET)
    root = pca.create_root_ca(
        common_name="Broken Bucket Root", revocation_configuration=crl_config()
    )
    cert = leaf(pca, root)
    break_bucket(pca)
    before = _stored(pca)
    error = revoke_error(pca, root, colon(cert.serial))
    assert error_code_of(error) == "RequestFailedException"
    message = error.response["Error"]["Message"]
    assert words in message and BUCKET in message and "not revoked" in message
    assert _stored(pca) == before
    if not pca.s3.list_buckets()["Buckets"]:
        pca.s3.create_bucket(Bucket=BUCKET)
    pca.s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(pca_bucket_policy(BUCKET)))
    revoke(pca, root, colon(cert.serial))  # the same revocation, once the bucket is mended
    assert read_crl(pca, root).get_revoked_certificate_by_serial_number(cert.serial) is not None


def test_a_certificate_still_being_issued_cannot_be_revoked_yet(pca):
    """While GetCertificate answers RequestInProgressException, so does RevokeCertificate
    (it is in its model list); the certificate can be revoked once it is issued."""
    make_bucket(pca, BUCKET)
    root = pca.create_root_ca(common_name="Slow Root", revocation_configuration=crl_config())
    pca.sandbox.configure(issuance_delay=3)
    arn = pca.client.issue_certificate(
        CertificateAuthorityArn=root.arn,
        Csr=ec_csr_pem("slow.example.com"),
        SigningAlgorithm="SHA256WITHECDSA",
        Validity={"Type": "DAYS", "Value": 1},
    )["CertificateArn"]
    serial = arn.rsplit("/", 1)[1]

    def fetch():
        return pca.client.get_certificate(CertificateAuthorityArn=root.arn, CertificateArn=arn)

    assert error_code_of(_raised(fetch)) == "RequestInProgressException"
    before = _stored(pca)
    error = revoke_error(pca, root, serial)
    assert error_code_of(error) == "RequestInProgressException"
    assert "still being issued" in error.response["Error"]["Message"]
    assert _stored(pca) == before
    pca.sandbox.advance(seconds=3)
    fetch()
    revoke(pca, root, serial)
    assert read_crl(pca, root).get_revoked_certificate_by_serial_number(int(serial, 16))


def _raised(call) -> ClientError:
    with pytest.raises(ClientError) as excinfo:
        call()
    return excinfo.value


def test_pending_and_expired_cas_cannot_revoke(pca):
    pending = pca.create_subordinate_ca(common_name="Pending Sub")
    assert revoke_error(pca, pending, "0a" * 16).response["Error"]["Code"] == (
        "InvalidStateException"
    )
    short = pca.create_root_ca(common_name="Short Root", validity={"Type": "DAYS", "Value": 3})
    cert = leaf(pca, short, days=2)
    pca.sandbox.advance(days=4)
    described = pca.client.describe_certificate_authority(CertificateAuthorityArn=short.arn)
    assert described["CertificateAuthority"]["Status"] == "EXPIRED"
    assert revoke_error(pca, short, colon(cert.serial)).response["Error"]["Code"] == (
        "InvalidStateException"
    )


# --- the CRL ---------------------------------------------------------------------------------


def test_crl_object_file_and_openssl(env):
    pca, _, sub = env
    cert = leaf(pca, sub)
    revoke(pca, sub, colon(cert.serial), "KEY_COMPROMISE")
    head = pca.s3.head_object(Bucket=BUCKET, Key=f"crl/{sub.ca_id}.crl")
    assert head["ContentType"] == "application/pkix-crl"
    body = pca.s3.get_object(Bucket=BUCKET, Key=f"crl/{sub.ca_id}.crl")["Body"].read()
    assert body[0] == 0x30  # DER, not PEM
    path = Path(pca.sandbox.path) / "s3" / BUCKET / "crl" / f"{sub.ca_id}.crl"
    assert path.read_bytes() == body
    result = run_openssl("crl", "-inform", "DER", "-in", str(path), "-noout", "-text")
    assert result.returncode == 0, result.stderr
    assert "Version 2 (0x1)" in result.stdout
    assert "Issuer: CN=CRL Issuing CA" in result.stdout.replace(" = ", "=")
    digits = format(cert.serial, "X")  # OpenSSL prints whole bytes, no leading zero byte
    assert f"Serial Number: {digits.zfill(len(digits) + len(digits) % 2)}" in result.stdout
    assert "Key Compromise" in result.stdout
    assert "Signature Algorithm: ecdsa-with-SHA256" in result.stdout


def test_crl_fields(env):
    pca, _, sub = env
    cert = leaf(pca, sub)
    before = pca.sandbox.now()
    revoke(pca, sub, colon(cert.serial))
    after = pca.sandbox.now()
    crl = read_crl(pca, sub)
    hour, week = timedelta(hours=1), timedelta(days=7)
    floor = before.replace(microsecond=0)
    assert floor - hour <= crl.last_update_utc <= after - hour
    assert floor + week <= crl.next_update_utc <= after + week
    assert crl.next_update_utc - crl.last_update_utc == week + hour
    number = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    generated_ms = (crl.last_update_utc + hour).timestamp() * 1000
    assert generated_ms <= number < generated_ms + 1000  # generation time in epoch ms
    aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ski(sub.certificate)
    assert crl.issuer == sub.certificate.x509.subject
    assert crl.is_signature_valid(sub.certificate.x509.public_key())
    assert {e.oid for e in crl.extensions} == {
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.CRL_NUMBER,
    }
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial)
    assert before.replace(microsecond=0) <= entry.revocation_date_utc <= after


def test_crl_number_increases(env):
    pca, _, sub = env
    numbers = []
    for _ in range(3):
        revoke(pca, sub, colon(leaf(pca, sub).serial))
        crl = read_crl(pca, sub)
        numbers.append(crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
        pca.sandbox.advance(seconds=1)
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == 3


@pytest.mark.parametrize(
    ("extra", "key", "cdp"),
    [
        ({}, "crl/{id}.crl", "http://{bucket}.s3.us-east-1.amazonaws.com/crl/{id}.crl"),
        ({"CustomCname": "crl.example.com"}, "crl/{id}.crl", "http://crl.example.com/crl/{id}.crl"),
        (
            {"CustomPath": "pki/revocation"},
            "pki/revocation/{id}.crl",
            "http://{bucket}.s3.us-east-1.amazonaws.com/pki/revocation/{id}.crl",
        ),
        (
            {"CustomPath": "lists", "CustomCname": "pki.example.net"},
            "lists/{id}.crl",
            "http://pki.example.net/lists/{id}.crl",
        ),
    ],
    ids=["default", "custom-cname", "custom-path", "both"],
)
def test_custom_path_and_cname(pca, extra, key, cdp):
    bucket = "crl-custom"
    make_bucket(pca, bucket)
    root = pca.create_root_ca(
        common_name="Custom Root", revocation_configuration=crl_config(bucket, **extra)
    )
    cert = leaf(pca, root)
    key = key.format(id=root.ca_id)
    assert cert.crl_urls == [cdp.format(id=root.ca_id, bucket=bucket)]
    revoke(pca, root, colon(cert.serial))
    crl = read_crl(pca, root, bucket, key)
    assert crl.get_revoked_certificate_by_serial_number(cert.serial) is not None
    keys = {o["Key"] for o in pca.s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {key, "acm-pca-permission-test-key"}
    # The URL in the certificate serves that object: through a CustomCname (a CDN in front of
    # the bucket) as is; straight from S3 only once the bucket lets everyone read it.
    if "CustomCname" not in extra:
        status, _, body = pca.sandbox.fetch("GET", cert.crl_urls[0])
        assert (status, ElementTree.fromstring(body).findtext("Code")) == (403, "AccessDenied")
        make_public(pca, bucket)
    status, headers, body = pca.sandbox.fetch("GET", cert.crl_urls[0])
    assert status == 200
    assert headers["Content-Type"] == "application/pkix-crl"
    assert body == crl.public_bytes(serialization.Encoding.DER)


def test_omit_extension_leaves_out_the_cdp_but_still_publishes(pca):
    make_bucket(pca, BUCKET)
    config = crl_config(CrlDistributionPointExtensionConfiguration={"OmitExtension": True})
    root = pca.create_root_ca(common_name="Omit Root", revocation_configuration=config)
    cert = leaf(pca, root)
    with pytest.raises(x509.ExtensionNotFound):
        cert.x509.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    revoke(pca, root, colon(cert.serial))
    assert read_crl(pca, root).get_revoked_certificate_by_serial_number(cert.serial) is not None


def test_partitioned_crl_has_a_critical_idp_matching_the_cdp(pca):
    make_bucket(pca, BUCKET)
    root = pca.create_root_ca(
        common_name="Partitioned Root", revocation_configuration=crl_config(CrlType="PARTITIONED")
    )
    cert = leaf(pca, root)
    [cdp] = cert.crl_urls
    prefix = f"http://{BUCKET}.s3.{REGION}.amazonaws.com/crl/{root.ca_id}/"
    assert cdp.startswith(prefix)
    assert cdp.endswith(".crl")
    revoke(pca, root, colon(cert.serial))
    key = cdp.split(".amazonaws.com/", 1)[1]
    crl = read_crl(pca, root, BUCKET, key)
    idp = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint)
    assert idp.critical
    assert idp.value.full_name == [x509.UniformResourceIdentifier(cdp)]
    assert crl.get_revoked_certificate_by_serial_number(cert.serial) is not None
    # the toolkit finds the partition too
    assert pca.crl(root).is_revoked(cert.serial)


def test_openssl_verify_with_both_crls(env, tmp_path):
    pca, root, sub = env
    good = leaf(pca, sub, "good.example.com")
    bad = leaf(pca, sub, "bad.example.com")
    revoke(pca, sub, colon(bad.serial), "KEY_COMPROMISE")
    crls = b"".join(
        read_crl(pca, ca).public_bytes(serialization.Encoding.PEM) for ca in (root, sub)
    )
    files = {"crls": crls, "root": root.certificate.pem.encode(), "sub": sub.certificate.pem}
    files.update(good=good.pem, bad=bad.pem)
    paths = {}
    for name, data in files.items():
        paths[name] = tmp_path / f"{name}.pem"
        paths[name].write_bytes(data if isinstance(data, bytes) else data.encode())

    def verify(name: str, *extra: str):
        return run_openssl(
            "verify", "-crl_check_all", "-CRLfile", str(paths["crls"]), "-CAfile",
            str(paths["root"]), "-untrusted", str(paths["sub"]), *extra, str(paths[name]),
        )  # fmt: skip

    ok = verify("good")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "good.pem: OK" in ok.stdout
    revoked = verify("bad")
    assert revoked.returncode != 0
    assert "certificate revoked" in revoked.stdout + revoked.stderr
    # without the sub CA's CRL, -crl_check_all cannot decide: a real check
    only_root = tmp_path / "root-crl.pem"
    only_root.write_bytes(read_crl(pca, root).public_bytes(serialization.Encoding.PEM))
    missing = run_openssl(
        "verify", "-crl_check_all", "-CRLfile", str(only_root), "-CAfile", str(paths["root"]),
        "-untrusted", str(paths["sub"]), str(paths["good"]),
    )  # fmt: skip
    assert missing.returncode != 0
    assert "unable to get certificate CRL" in missing.stdout + missing.stderr


# --- the bucket ------------------------------------------------------------------------------


def _create_error(pca, config: dict) -> ClientError:
    with pytest.raises(ClientError) as excinfo:
        pca.client.create_certificate_authority(
            CertificateAuthorityConfiguration={
                "KeyAlgorithm": "EC_prime256v1",
                "SigningAlgorithm": "SHA256WITHECDSA",
                "Subject": {"CommonName": "Bucket Test"},
            },
            CertificateAuthorityType="ROOT",
            RevocationConfiguration=config,
        )
    return excinfo.value


def test_missing_bucket_is_invalid_args(pca):
    error = _create_error(pca, crl_config("no-such-bucket"))
    assert error.response["Error"]["Code"] == "InvalidArgsException"
    assert "no-such-bucket" in error.response["Error"]["Message"]
    assert pca.client.list_certificate_authorities()["CertificateAuthorities"] == []


@pytest.mark.parametrize(
    "policy",
    [
        None,
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                    "Action": "s3:*",
                    "Resource": ["arn:aws:s3:::plain-bucket", "arn:aws:s3:::plain-bucket/*"],
                }
            ],
        },
    ],
    ids=["no-policy", "policy-for-someone-else"],
)
def test_bucket_without_the_acm_pca_policy_is_invalid_args(pca, policy):
    make_bucket(pca, "plain-bucket", policy=policy)
    error = _create_error(pca, crl_config("plain-bucket"))
    assert error.response["Error"]["Code"] == "InvalidArgsException"
    assert "acm-pca.amazonaws.com" in error.response["Error"]["Message"]


def test_public_read_needs_a_bucket_with_acls(pca):
    make_bucket(pca, "enforced-bucket")
    config = crl_config("enforced-bucket", S3ObjectAcl="PUBLIC_READ")
    error = _create_error(pca, config)
    assert error.response["Error"]["Code"] == "ValidationException"
    message = error.response["Error"]["Message"]
    assert message.startswith("Permission error with your S3 bucket 'enforced-bucket'.")
    assert "BUCKET_OWNER_FULL_CONTROL" in message
    # S3ObjectAcl defaults to PUBLIC_READ
    config["CrlConfiguration"].pop("S3ObjectAcl")
    assert _create_error(pca, config).response["Error"]["Code"] == "ValidationException"

    # ACLs enabled and public ACLs no longer blocked: what PUBLIC_READ needs
    make_bucket(pca, "writer-bucket", ObjectOwnership="ObjectWriter")
    pca.s3.delete_public_access_block(Bucket="writer-bucket")
    root = pca.create_root_ca(
        common_name="Public Root",
        revocation_configuration=crl_config("writer-bucket", S3ObjectAcl="PUBLIC_READ"),
    )
    cert = leaf(pca, root)
    revoke(pca, root, colon(cert.serial))
    crl = read_crl(pca, root, "writer-bucket")
    assert crl.get_revoked_certificate_by_serial_number(cert.serial) is not None


def test_crl_delay_holds_the_crl_for_thirty_minutes(pca):
    make_bucket(pca, BUCKET)
    root = pca.create_root_ca(common_name="Delay Root", revocation_configuration=crl_config())
    cert = leaf(pca, root)
    first = read_crl(pca, root)  # written when the first certificate pointing at it was issued
    pca.sandbox.configure(crl_delay=1800)
    revoke(pca, root, colon(cert.serial))
    assert read_crl(pca, root).get_revoked_certificate_by_serial_number(cert.serial) is None
    verdict = pca.check_revocation(cert)
    assert verdict.revoked is False
    pca.sandbox.advance(minutes=29)
    assert read_crl(pca, root).get_revoked_certificate_by_serial_number(cert.serial) is None
    pca.sandbox.advance(minutes=1, seconds=1)
    later = read_crl(pca, root)
    assert later.get_revoked_certificate_by_serial_number(cert.serial) is not None
    assert later.last_update_utc >= first.last_update_utc + timedelta(minutes=30)
    assert pca.check_revocation(cert).revoked is True


# --- the toolkit -----------------------------------------------------------------------------


def test_toolkit_crl_and_check_revocation(env):
    pca, _, sub = env
    good = leaf(pca, sub, "fine.example.com")
    bad = leaf(pca, sub, "gone.example.com")
    pca.revoke(bad, "SUPERSEDED")
    crl = pca.crl(sub)
    assert crl.is_revoked(bad.serial)
    assert not crl.is_revoked(good.serial)
    assert crl.is_signature_valid(sub.certificate)
    frame = crl.to_frame()
    row = frame[frame["serial_hex"] == bad.serial_hex]
    assert len(row) == 1
    assert row["reason"].iloc[0] == "superseded"
    assert str(frame["revocation_date"].dtype) == "datetime64[us, UTC]"

    ok = pca.check_revocation(good)
    assert ok.revoked is False
    assert [s["source"] for s in ok.sources] == ["CRL"]
    assert ok.sources[0]["url"] == good.crl_urls[0]
    gone = pca.check_revocation(bad)
    assert gone.revoked is True
    assert "superseded" in gone.reasons[0].lower()
    sources = gone.to_frame()
    assert list(sources.columns) == ["source", "url", "revoked", "detail"]
    assert sources.loc[0, "source"] == "CRL" and bool(sources.loc[0, "revoked"])


def test_check_revocation_says_when_relying_parties_cannot_fetch_the_crl(env):
    """A CRL in a private bucket answers 403 to an anonymous GET, as on AWS: the check reads it
    with the session's credentials and says that relying parties cannot; once the bucket is
    public, the CRL is fetched as they fetch it."""
    pca, _, sub = env
    bad = leaf(pca, sub, "private-crl.example.com")
    pca.revoke(bad, "KEY_COMPROMISE")
    status, _, _ = pca.sandbox.fetch("GET", bad.crl_urls[0])
    assert status == 403
    private = pca.check_revocation(bad)
    assert private.revoked is True
    assert "relying parties cannot fetch this CRL" in private.sources[0]["detail"]
    make_public(pca, BUCKET)
    public = pca.check_revocation(bad)
    assert public.revoked is True
    assert "relying parties" not in public.sources[0]["detail"]


def test_toolkit_crl_without_crl_config_explains(pca, root):
    with pytest.raises(pcanb.PcanbError, match="does not publish a CRL"):
        pca.crl(root)
    cert = leaf(pca, root)
    verdict = pca.check_revocation(cert)
    assert verdict.revoked is None
    assert verdict.sources == []


def test_revoking_without_any_revocation_config_still_works(pca, root):
    cert = leaf(pca, root)
    revoke(pca, root, colon(cert.serial))
    assert error_code_of(revoke_error(pca, root, colon(cert.serial))) == (
        "RequestAlreadyProcessedException"
    )


def _policy(bucket: str, *statements: dict) -> dict:
    base = {
        "Principal": {"Service": "acm-pca.amazonaws.com"},
        "Action": ["s3:PutObject", "s3:PutObjectAcl", "s3:GetBucketAcl", "s3:GetBucketLocation"],
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
    }
    return {"Version": "2012-10-17", "Statement": [{**base, **s} for s in statements]}


CA_ARNS = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/*"


@pytest.mark.parametrize(
    ("statements", "allowed"),
    [
        ([{"Effect": "Allow", "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}], True),
        ([{"Effect": "Allow", "Condition": {"ArnLike": {"aws:SourceArn": CA_ARNS}}}], True),
        ([{"Effect": "Allow", "Condition": {"StringEquals": {"aws:SourceAccount": "444455556666"}}}], False),
        ([{"Effect": "Allow", "Condition": {"ArnEquals": {"aws:SourceArn": CA_ARNS[:-1] + "0" * 8}}}], False),
        ([{"Effect": "Allow"}, {"Effect": "Deny", "Action": "s3:PutObject"}], False),
        ([{"Effect": "Allow", "Action": ["s3:GetBucketAcl", "s3:GetBucketLocation"]}], False),
        ([{"Effect": "Allow", "Action": "s3:*"}], True),
        ([{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}}], False),
    ],
    ids=[
        "source-account", "source-arn-like", "other-account", "other-ca-arn", "deny-wins",
        "no-put-object", "wildcard-action", "other-service",
    ],
)  # fmt: skip
def test_bucket_policy_is_judged_as_aws_would(pca, statements, allowed):
    bucket = "policy-bucket"
    make_bucket(pca, bucket, policy=_policy(bucket, *statements))
    if allowed:
        root = pca.create_root_ca(
            common_name="Policy Root", revocation_configuration=crl_config(bucket)
        )
        leaf(pca, root)  # the first certificate pointing at the CRL makes it appear
        crl = read_crl(pca, root, bucket)
        assert crl.issuer == root.certificate.x509.subject
    else:
        error = _create_error(pca, crl_config(bucket))
        assert error_code_of(error) == "InvalidArgsException"
        assert "acm-pca.amazonaws.com" in error.response["Error"]["Message"]


def test_crl_appears_with_the_first_certificate_pointing_at_it(pca):
    make_bucket(pca, BUCKET)
    root = pca.create_root_ca(common_name="Fresh Root", revocation_configuration=crl_config())

    def keys() -> set[str]:
        return {o["Key"] for o in pca.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}

    assert keys() == {"acm-pca-permission-test-key"}
    cert = leaf(pca, root)
    assert keys() == {"acm-pca-permission-test-key", f"crl/{root.ca_id}.crl"}
    crl = read_crl(pca, root)
    assert list(crl) == []  # empty, but signed and current
    assert crl.is_signature_valid(root.certificate.x509.public_key())
    assert cert.crl_urls == [f"http://{BUCKET}.s3.{REGION}.amazonaws.com/crl/{root.ca_id}.crl"]


@pytest.mark.parametrize(
    ("key_algorithm", "signing_algorithm", "oid"),
    [
        ("RSA_2048", "SHA256WITHRSA_PSS", x509.SignatureAlgorithmOID.RSASSA_PSS),
        ("RSA_2048", "SHA384WITHRSA", x509.SignatureAlgorithmOID.RSA_WITH_SHA384),
        ("EC_secp521r1", "SHA512WITHECDSA", x509.SignatureAlgorithmOID.ECDSA_WITH_SHA512),
        ("ML_DSA_44", "ML_DSA_44", x509.SignatureAlgorithmOID.ML_DSA_44),
    ],
)
def test_crl_is_signed_with_the_cas_signing_algorithm(
    pca, tmp_path, key_algorithm, signing_algorithm, oid
):
    make_bucket(pca, BUCKET)
    root = pca.create_root_ca(
        common_name="Algorithm Root",
        key_algorithm=key_algorithm,
        signing_algorithm=signing_algorithm,
        revocation_configuration=crl_config(),
    )
    revoke(pca, root, colon(leaf(pca, root).serial))
    crl = read_crl(pca, root)
    assert crl.signature_algorithm_oid == oid
    assert crl.is_signature_valid(root.certificate.x509.public_key())
    if key_algorithm.startswith("ML_DSA"):
        return  # the system OpenSSL may predate ML-DSA; cryptography checked it above
    (tmp_path / "root.pem").write_text(root.certificate.pem)
    (tmp_path / "crl.der").write_bytes(crl.public_bytes(serialization.Encoding.DER))
    result = run_openssl(
        "crl", "-inform", "DER", "-in", str(tmp_path / "crl.der"),
        "-CAfile", str(tmp_path / "root.pem"), "-noout",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "verify OK" in result.stdout + result.stderr


# --- check_revocation believes only a CRL the issuer signed, that covers it and is current --------


@pytest.fixture
def served(pca):
    """A sub CA publishing CRLs, a revoked and a good leaf, and another CA in the same bucket."""
    make_bucket(pca, BUCKET)
    root = pca.create_root_ca(common_name="Served Root", revocation_configuration=crl_config())
    sub = pca.create_subordinate_ca(
        parent=root, common_name="Served Sub", revocation_configuration=crl_config()
    )
    other = pca.create_subordinate_ca(
        parent=root, common_name="Other Sub", revocation_configuration=crl_config()
    )
    leaf(pca, other)  # other's CRL is written once a certificate points to it
    revoked = leaf(pca, sub, "victim.example.com")
    good = leaf(pca, sub, "fine.example.com")
    pca.revoke(revoked, "KEY_COMPROMISE")
    return pca, sub, other, revoked, good


def crl_key(ca) -> str:
    return f"crl/{ca.ca_id}.crl"


def serve(pca, ca, body: bytes) -> None:
    """Put ``body`` where ``ca``'s certificates find their CRL, through boto3 as a user would."""
    pca.s3.put_object(Bucket=BUCKET, Key=crl_key(ca), Body=body)


def served_crl(pca, ca) -> bytes:
    return pca.s3.get_object(Bucket=BUCKET, Key=crl_key(ca))["Body"].read()


def signed_crl(issuer_name, key, *, revoked=(), this_update, next_update=None, extensions=()):
    builder = x509.CertificateRevocationListBuilder().issuer_name(issuer_name)
    builder = builder.last_update(this_update)
    if next_update is not None:
        builder = builder.next_update(next_update)
    for serial in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(serial)
        builder = builder.add_revoked_certificate(entry.revocation_date(this_update).build())
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def forged_crl(pca, ca, *, revoked=()) -> bytes:
    """A current CRL with ``ca``'s name signed by a key that is not ``ca``'s."""
    now = pca.now()
    return signed_crl(
        ca.certificate.x509.subject,
        ec.generate_private_key(ec.SECP256R1()),
        revoked=revoked,
        this_update=now - timedelta(hours=1),
        next_update=now + timedelta(days=7),
    )


def only_source(verdict) -> dict:
    [source] = verdict.sources
    return source


def test_a_forged_empty_crl_makes_a_revoked_certificate_unknown_not_good(served):
    pca, sub, _, revoked, _ = served
    assert pca.check_revocation(revoked).revoked is True
    serve(pca, sub, forged_crl(pca, sub))
    verdict = pca.check_revocation(revoked)
    assert verdict.revoked is None
    detail = only_source(verdict)["detail"]
    assert "not listed" in detail
    assert "signature does NOT verify with the key of 'Served Sub'" in detail
    assert "cannot be believed" in verdict.reasons[0]


def test_a_forged_crl_listing_a_certificate_is_unknown_and_says_it_lists_it(served):
    pca, sub, _, _, good = served
    serve(pca, sub, forged_crl(pca, sub, revoked=[good.serial]))
    source = only_source(pca.check_revocation(good))
    assert source["revoked"] is None
    assert source["detail"].startswith("listed since")
    assert "signature does NOT verify" in source["detail"]


def test_another_cas_genuine_crl_is_not_evidence(served):
    pca, sub, other, revoked, _ = served
    serve(pca, sub, served_crl(pca, other))  # genuine, signed by its own CA: the wrong issuer
    verdict = pca.check_revocation(revoked)
    assert verdict.revoked is None
    assert "the CRL is issued by 'CN=Other Sub'" in only_source(verdict)["detail"]


def test_a_stale_crl_is_not_evidence_and_staleness_is_judged_in_sandbox_time(served):
    pca, sub, _, revoked, good = served
    old = served_crl(pca, sub)  # nextUpdate in 7 days
    pca.sandbox.advance(days=8)
    assert x509.load_der_x509_crl(old).next_update_utc > datetime.now(UTC)  # not stale on the wall
    # the sandbox has published a newer CRL since; serve the old one, replayed
    assert served_crl(pca, sub) != old
    serve(pca, sub, old)
    verdict = pca.check_revocation(good)
    assert verdict.revoked is None
    assert "it is stale: its nextUpdate" in only_source(verdict)["detail"]
    # ... while a stale CRL that verifies and lists a certificate still proves it revoked
    listed = only_source(pca.check_revocation(revoked))
    assert listed["revoked"] is True
    assert "it is stale" in listed["detail"] and "a revocation is permanent" in listed["detail"]
    # a CRL the sandbox publishes now has its thisUpdate ahead of the wall clock: still good
    pca.sandbox.advance(days=30)
    assert x509.load_der_x509_crl(served_crl(pca, sub)).last_update_utc > datetime.now(UTC)
    assert pca.check_revocation(good).revoked is False
    assert pca.check_revocation(revoked).revoked is True


def test_without_its_issuer_a_crl_is_not_believed(served):
    pca, sub, other, revoked, good = served
    for certificate in (good, revoked):
        verdict = pca.check_revocation(certificate.pem)  # no chain, no issuer=
        assert verdict.revoked is None
        assert "the issuer's certificate is unknown" in only_source(verdict)["detail"]
    wrong = pca.check_revocation(good, issuer=other.certificate)
    assert wrong.revoked is None
    assert "'Other Sub' did not sign this certificate" in only_source(wrong)["detail"]
    assert pca.check_revocation(good.pem, issuer=sub.certificate).revoked is False
    assert pca.check_revocation(revoked.pem, issuer=sub.certificate).revoked is True


def test_a_crl_that_is_not_a_crl_is_unknown(served):
    pca, sub, _, revoked, _ = served
    serve(pca, sub, b"<html>maintenance</html>")
    source = only_source(pca.check_revocation(revoked))
    assert source["revoked"] is None
    assert source["detail"].startswith("not a CRL")


# --- pca.crl(ca) judges the CRL against the CA it was asked for ----------------------------------


def test_pca_crl_of_a_genuine_current_crl_has_no_problems(served):
    pca, sub, _, revoked, good = served
    crl = pca.crl(sub)
    assert crl.problems == []
    assert crl.is_revoked(revoked.serial) is True
    assert crl.is_revoked(good.serial) is False
    assert "cannot be believed" not in crl_card(crl)


def test_pca_crl_with_another_cas_crl_at_its_key_says_so(served):
    pca, sub, other, revoked, _ = served
    serve(pca, sub, served_crl(pca, other))  # genuine, but Other Sub's
    crl = pca.crl(sub)
    assert any("the CRL is issued by 'CN=Other Sub'" in p for p in crl.problems), crl.problems
    assert crl.is_revoked(revoked.serial) is None  # unknown, not "not revoked"
    assert crl.lists(revoked.serial) is False
    card = crl_card(crl)
    assert "cannot be believed" in card and "issued by &#x27;CN=Other Sub&#x27;" in card


def test_pca_crl_forged_with_the_cas_name_says_the_signature_fails(served):
    pca, sub, _, _, good = served
    serve(pca, sub, forged_crl(pca, sub, revoked=[good.serial]))
    crl = pca.crl(sub)
    assert crl.problems == ["its signature does NOT verify with the key of 'Served Sub'"]
    assert crl.is_revoked(good.serial) is None
    assert crl.lists(good.serial) is True


def test_pca_crl_replayed_after_its_next_update_is_stale_in_sandbox_time(served):
    pca, sub, _, _, good = served
    old = served_crl(pca, sub)  # nextUpdate in 7 days
    pca.sandbox.advance(days=8)
    serve(pca, sub, old)
    crl = pca.crl(sub)
    assert len(crl.problems) == 1 and crl.problems[0].startswith("it is stale: its nextUpdate")
    assert crl.is_revoked(good.serial) is None
    assert "stale" in crl_card(crl)


# --- only http(s) distribution points are fetched ------------------------------------------------


def _ca_and_leaf_pointing_at(url: str):
    """A self-made CA (cert, key) and a leaf whose CDP is ``url``."""
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Scheme CA")])
    base = (
        x509.CertificateBuilder()
        .issuer_name(name)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
    )
    ca = (
        base.subject_name(name)
        .public_key(key.public_key())
        .add_extension(x509.BasicConstraints(True, None), True)
        .sign(key, hashes.SHA256())
    )
    cdp = x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)
    cert = (
        base.subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "l.example.com")]))
        .public_key(ec.generate_private_key(ec.SECP256R1()).public_key())
        .add_extension(x509.CRLDistributionPoints([cdp]), False)
        .sign(key, hashes.SHA256())
    )
    return pcanb.Certificate(ca), key, pcanb.Certificate(cert)


@pytest.mark.parametrize("scheme", ["file", "ftp", "ldap"])
def test_a_cdp_that_is_not_http_is_never_fetched(tmp_path, monkeypatch, scheme):
    import urllib.request

    import boto3

    from pcanb.aws.session import Pca

    local = tmp_path / "ca.crl"
    url = f"file://{local}" if scheme == "file" else f"{scheme}://crl.example.com/ca.crl"
    ca, key, cert = _ca_and_leaf_pointing_at(url)
    now = datetime.now(UTC)
    # a genuine, current CRL sits behind the file: URL: reading it would say "not revoked"
    local.write_bytes(
        signed_crl(
            ca.x509.subject,
            key,
            this_update=now - timedelta(hours=1),
            next_update=now + timedelta(days=1),
        )
    )
    opened = []
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", lambda *a, **k: opened.append(a))
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: opened.append(a))
    session = boto3.Session(
        region_name="us-east-1", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x"
    )
    pca = Pca(session, account="111122223333")  # the fetcher used on AWS
    verdict = pca.check_revocation(cert, issuer=ca)
    assert verdict.revoked is None
    [source] = verdict.sources
    assert source["detail"] == f"unsupported URL scheme {scheme}:, not fetched"
    assert opened == []
    # the fetcher itself refuses too, before opening anything
    with pytest.raises(pcanb.PcanbError, match="unsupported URL scheme"):
        pca.http("GET", url, b"")
    assert opened == []
