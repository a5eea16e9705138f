"""``pcanb.connect`` builds ordinary boto3 clients for AWS; the sandbox answers only its own.

No request leaves the process: a ``before-send`` spy on each client records the request and
returns a canned answer, as the network would.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSResponse

import pcanb

ACCESS_KEY = "AKIAEXAMPLEAUDIT0001"


class _Body:
    def __init__(self, payload: bytes) -> None:
        self._payload = payload

    def stream(self, **_):
        yield self._payload


class Spy:
    """A before-send handler standing in for the network: records requests, answers canned."""

    def __init__(self, payload: dict | str, content_type: str = "application/x-amz-json-1.1"):
        self.requests: list = []
        self._payload = payload if isinstance(payload, str) else json.dumps(payload)
        self._content_type = content_type

    def __call__(self, request, **_):
        self.requests.append(request)
        headers = {"Content-Type": self._content_type, "x-amzn-RequestId": "spy"}
        return AWSResponse(request.url, 200, headers, _Body(self._payload.encode()))

    def header(self, index: int, name: str) -> str:
        value = self.requests[index].headers[name]
        return value.decode() if isinstance(value, bytes) else value


@pytest.fixture
def aws_files(tmp_path, monkeypatch):
    """A private AWS config and credentials file, and no AWS_* variables from the outside."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    config = tmp_path / "aws-config"
    config.write_text("[profile audit]\nregion = eu-west-1\n\n[default]\nregion = ap-south-1\n")
    credentials = tmp_path / "aws-credentials"
    credentials.write_text(
        f"[audit]\naws_access_key_id = {ACCESS_KEY}\n"
        "aws_secret_access_key = example-secret-not-real\n"
        "[default]\naws_access_key_id = AKIAEXAMPLEDEFAULT01\n"
        "aws_secret_access_key = example-secret-not-real\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return config, credentials


def test_connect_builds_real_clients_for_the_profile(aws_files):
    pca = pcanb.connect(profile="audit", region="eu-west-1")
    assert pca.sandbox is None
    assert pca.region == "eu-west-1"
    assert pca.client.meta.region_name == "eu-west-1"
    assert pca.client.meta.service_model.service_name == "acm-pca"
    assert urlsplit(pca.client.meta.endpoint_url).hostname == "acm-pca.eu-west-1.amazonaws.com"
    assert pca.s3.meta.service_model.service_name == "s3"
    assert pca.s3.meta.region_name == "eu-west-1"
    assert pca.session.get_credentials().access_key == ACCESS_KEY
    assert "AWS" in repr(pca)


def test_connect_takes_the_region_from_the_profile(aws_files):
    assert pcanb.connect(profile="audit").region == "eu-west-1"
    assert pcanb.connect().region == "ap-south-1"  # the default profile
    assert pcanb.connect(profile="audit", region="ca-central-1").client.meta.region_name == (
        "ca-central-1"
    )


def test_connect_honours_endpoint_url(aws_files):
    pca = pcanb.connect(profile="audit", region="eu-west-1", endpoint_url="http://127.0.0.1:4510")
    assert pca.client.meta.endpoint_url == "http://127.0.0.1:4510"
    assert pca.s3.meta.endpoint_url == "http://127.0.0.1:4510"
    spy = Spy({"CertificateAuthorities": []})
    pca.client.meta.events.register("before-send.acm-pca", spy)
    assert pca.list_certificate_authorities().empty
    assert [r.url for r in spy.requests] == ["http://127.0.0.1:4510/"]


def test_connect_clients_carry_no_sandbox_hook(aws_files, pca):
    # a sandbox is open in this process, with a CA in it
    sandbox_root = pca.create_root_ca(common_name="Sandbox Root")
    aws = pcanb.connect(profile="audit", region="eu-west-1")
    spy = Spy({"CertificateAuthorities": []})
    aws.client.meta.events.register("before-send.acm-pca", spy)

    frame = aws.list_certificate_authorities()

    assert frame.empty  # the canned AWS answer, not the sandbox's CA
    assert len(spy.requests) == 1
    assert spy.requests[0].url == "https://acm-pca.eu-west-1.amazonaws.com/"
    assert spy.header(0, "X-Amz-Target") == "ACMPrivateCA.ListCertificateAuthorities"
    assert f"Credential={ACCESS_KEY}/" in spy.header(0, "Authorization")
    assert "/eu-west-1/acm-pca/aws4_request" in spy.header(0, "Authorization")
    assert list(pca.list_certificate_authorities()["arn"]) == [sandbox_root.arn]


def test_connect_asks_sts_for_the_account_once(aws_files):
    pca = pcanb.connect(profile="audit", region="eu-west-1")
    spy = Spy(
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        "<GetCallerIdentityResult><Arn>arn:aws:iam::444455556666:user/auditor</Arn>"
        "<UserId>AIDAEXAMPLE</UserId><Account>444455556666</Account></GetCallerIdentityResult>"
        "<ResponseMetadata><RequestId>spy</RequestId></ResponseMetadata>"
        "</GetCallerIdentityResponse>",
        content_type="text/xml",
    )
    pca.session.events.register("before-send.sts", spy)
    assert pca.account == "444455556666"
    assert pca.account == "444455556666"
    assert len(spy.requests) == 1
    assert urlsplit(spy.requests[0].url).hostname.startswith("sts.")


def _store_counts(pca) -> tuple[int, int, int]:
    with sqlite3.connect(pca.sandbox.store.path) as db:
        return tuple(
            db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("cas", "certificates", "events")
        )


def test_a_plain_boto3_client_is_not_answered_by_the_sandbox(aws_files, pca, monkeypatch):
    pca.create_root_ca(common_name="Sandbox Root")
    listed_before = pca.list_certificate_authorities()
    before = _store_counts(pca)  # CAs, certificates and the call log

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # built afresh from the private files
    plain = boto3.client("acm-pca", region_name="us-east-1")
    canned = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/canned"
    spy = Spy({"CertificateAuthorityArn": canned})
    plain.meta.events.register("before-send.acm-pca", spy)
    answer = plain.create_certificate_authority(
        CertificateAuthorityConfiguration={
            "KeyAlgorithm": "EC_prime256v1",
            "SigningAlgorithm": "SHA256WITHECDSA",
            "Subject": {"CommonName": "Not In The Sandbox"},
        },
        CertificateAuthorityType="ROOT",
    )

    assert answer["CertificateAuthorityArn"] == canned
    assert [r.url for r in spy.requests] == ["https://acm-pca.us-east-1.amazonaws.com/"]
    assert "Credential=AKIAEXAMPLEDEFAULT01/" in spy.header(0, "Authorization")
    assert _store_counts(pca) == before  # the sandbox saw nothing
    after = pca.list_certificate_authorities()
    assert list(after["arn"]) == list(listed_before["arn"])


_HOSTILE_ENV_CHILD = textwrap.dedent(
    """
    import pcanb

    pca = pcanb.sandbox(":memory:")
    root = pca.create_root_ca(common_name="Env Root")
    print(pca.region, pca.client.meta.region_name, root.arn)
    pca.sandbox.close()
    """
)


class ProfileLeak(AssertionError):
    """The sandbox session tripped over the caller's AWS profile."""


def test_sandbox_ignores_the_callers_aws_environment(tmp_path):
    config = tmp_path / "aws-config"
    config.write_text("[profile someone]\nregion = ap-south-1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_PROFILE="does-not-exist",
        AWS_DEFAULT_REGION="eu-west-3",
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", _HOSTILE_ENV_CHILD],
        env=env,
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if "ProfileNotFound" in result.stderr:
        raise ProfileLeak(result.stderr[-2000:])
    assert result.returncode == 0, result.stderr[-2000:]
    region, client_region, arn = result.stdout.split()
    assert (region, client_region) == ("us-east-1", "us-east-1")
    assert arn.startswith("arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/")
