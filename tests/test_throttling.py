"""Opt-in request-rate quotas: ThrottlingException past AWS's rates, and nothing changed by it."""

from __future__ import annotations

import json
import time

import botocore.exceptions
import pytest
from botocore.config import Config
from conftest import EC_CA, SIGNED, error_code
from cryptography.hazmat.primitives import serialization

from pcanb.sandbox import Sandbox
from pcanb.sandbox.engine import ACTIONS, DEFAULT_SETTINGS
from pcanb.sandbox.errors import ServiceError
from pcanb.sandbox.throttling import RATES, RateLimiter
from pcanb.x509.csr import build_csr
from pcanb.x509.keys import generate_private_key

# `max_attempts` counts retries (1 = two tries); `total_max_attempts` counts every try.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def test_every_operation_has_its_aws_rate():
    assert set(RATES) == set(ACTIONS)
    assert RATES["IssueCertificate"] == 25
    assert RATES["GetCertificate"] == 75
    assert RATES["CreateCertificateAuthority"] == 1


def test_off_by_default():
    assert DEFAULT_SETTINGS["throttle_scale"] == 0


# --- the token bucket ------------------------------------------------------------------------------


def _passed(limiter: RateLimiter, operation: str, at: float, scale: float = 1, n: int = 100):
    passed = 0
    for _ in range(n):
        try:
            limiter.take("111122223333", "us-east-1", operation, at, scale)
        except ServiceError as error:
            assert (error.code, error.status) == ("ThrottlingException", 400)
            assert error.message == "Rate exceeded"
            continue
        passed += 1
    return passed


def test_a_burst_of_one_seconds_worth_then_the_rate():
    limiter = RateLimiter()
    assert _passed(limiter, "IssueCertificate", 1000.0) == 25
    assert _passed(limiter, "IssueCertificate", 1000.2) == 5  # 0.2 s at 25/s
    assert _passed(limiter, "IssueCertificate", 1010.0) == 25  # refilled up to the burst only


def test_scale_multiplies_the_rate():
    limiter = RateLimiter()
    assert _passed(limiter, "GetCertificate", 0.0, scale=2, n=200) == 150
    assert _passed(limiter, "GetCertificate", 0.0, scale=0.01) == 0
    assert _passed(limiter, "DescribeCertificateAuthority", 0.0, scale=0.01) == 1  # burst ≥ 1


def test_buckets_per_account_region_and_operation():
    limiter = RateLimiter()
    assert _passed(limiter, "CreateCertificateAuthority", 5.0) == 1
    limiter.take("111122223333", "eu-west-1", "CreateCertificateAuthority", 5.0, 1)
    limiter.take("444455556666", "us-east-1", "CreateCertificateAuthority", 5.0, 1)
    limiter.take("111122223333", "us-east-1", "CreatePermission", 5.0, 1)
    with pytest.raises(ServiceError):
        limiter.take("111122223333", "us-east-1", "CreateCertificateAuthority", 5.5, 1)
    limiter.take("111122223333", "us-east-1", "CreateCertificateAuthority", 6.0, 1)


# --- through boto3 ---------------------------------------------------------------------------------


def _certificates(box: Sandbox) -> int:
    with box.store.read() as db:
        return db.execute("SELECT COUNT(*) FROM certificates").fetchone()[0]


def test_throttled_call_surfaces_without_retries_and_changes_nothing(pca):
    box = pca.sandbox
    box.configure(throttle_scale=1)
    client = box.boto3_session().client("acm-pca", config=NO_RETRIES)
    client.create_certificate_authority(
        CertificateAuthorityConfiguration=EC_CA, CertificateAuthorityType="ROOT"
    )
    with pytest.raises(client.exceptions.ClientError) as excinfo:
        client.create_certificate_authority(
            CertificateAuthorityConfiguration=EC_CA, CertificateAuthorityType="ROOT"
        )
    assert error_code(excinfo) == "ThrottlingException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert len(client.list_certificate_authorities()["CertificateAuthorities"]) == 1
    events = box.events()
    throttled = events[events["errorCode"] == "ThrottlingException"]
    assert list(throttled["eventName"]) == ["CreateCertificateAuthority"]
    box.advance(seconds=1)  # sandbox time: the quota refills when the clock moves
    client.create_certificate_authority(
        CertificateAuthorityConfiguration=EC_CA, CertificateAuthorityType="ROOT"
    )


def test_issuance_is_held_to_its_rate(pca, root):
    box = pca.sandbox
    box.configure(throttle_scale=1)
    client = box.boto3_session().client("acm-pca", config=NO_RETRIES)
    csr = build_csr(generate_private_key("EC_prime256v1"), "rate.example.com")
    pem = csr.public_bytes(serialization.Encoding.PEM)
    before = _certificates(box)
    issued = throttled = 0
    start = time.monotonic()
    for _ in range(40):
        try:
            client.issue_certificate(
                CertificateAuthorityArn=root.arn, Csr=pem, SigningAlgorithm="SHA256WITHECDSA",
                Validity={"Value": 1, "Type": "DAYS"},
            )  # fmt: skip
            issued += 1
        except botocore.exceptions.ClientError as error:
            assert error.response["Error"]["Code"] == "ThrottlingException"
            throttled += 1
    elapsed = time.monotonic() - start
    assert throttled > 0
    assert issued <= 25 + 25 * elapsed + 1
    assert _certificates(box) == before + issued  # a throttled call issued nothing


def _throttled(box: Sandbox) -> int:
    with box.store.read() as db:
        query = "SELECT COUNT(*) FROM events WHERE error_code = 'ThrottlingException'"
        return db.execute(query).fetchone()[0]


def test_default_retries_ride_out_a_burst(pca):
    box = pca.sandbox
    # ListCertificateAuthorities at 100 a second: a burst outruns it within a few hundred calls,
    # and a retry (botocore's backoff is up to a second) almost always finds the bucket refilled.
    box.configure(throttle_scale=5)
    client = box.boto3_session().client("acm-pca")  # botocore's default retries
    deadline = time.monotonic() + 10
    calls = 0
    while _throttled(box) == 0 and time.monotonic() < deadline:
        client.list_certificate_authorities()  # raises if a retry is throttled too
        calls += 1
    assert _throttled(box) > 0, f"{calls} calls were never throttled"
    for _ in range(5):  # the calls after a throttled one still succeed
        client.list_certificate_authorities()


def test_the_wire_answers_aws_json(tmp_path):
    box = Sandbox(tmp_path / "wire")
    try:
        box.configure(throttle_scale=1)
        headers = {
            "X-Amz-Target": "ACMPrivateCA.CreateCertificateAuthority",
            "Content-Type": "application/x-amz-json-1.1",
            **SIGNED,
        }
        body = json.dumps(
            {"CertificateAuthorityConfiguration": EC_CA, "CertificateAuthorityType": "ROOT"}
        ).encode()
        url = "https://acm-pca.us-east-1.amazonaws.com/"
        assert box.handle("POST", url, headers, body)[0] == 200
        status, out_headers, payload = box.handle("POST", url, headers, body)
        assert status == 400
        assert json.loads(payload) == {"__type": "ThrottlingException", "message": "Rate exceeded"}
        assert out_headers["x-amzn-ErrorType"] == "ThrottlingException"
    finally:
        box.close()


def test_the_setting_persists_and_is_checked(tmp_path):
    path = tmp_path / "kept"
    box = Sandbox(path)
    assert box.configure(throttle_scale=1)["throttle_scale"] == 1.0
    box.close()
    again = Sandbox(path)
    try:
        with again.store.read() as db:
            assert again.engine.settings(db)["throttle_scale"] == 1.0
        for bad in (-1, float("nan"), float("inf"), True, "1"):
            with pytest.raises(ValueError, match="throttle_scale"):
                again.configure(throttle_scale=bad)
        assert again.configure(throttle_scale=0)["throttle_scale"] == 0
    finally:
        again.close()
