"""Shared fixtures: a sandbox session per test, reached through boto3 like AWS."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import pcanb
from pcanb.aws.buckets import pca_bucket_policy

EC_CA = {
    "KeyAlgorithm": "EC_prime256v1",
    "SigningAlgorithm": "SHA256WITHECDSA",
    "Subject": {"CommonName": "Test CA", "Organization": "Example Corp", "Country": "US"},
}


@pytest.fixture
def pca(tmp_path: Path):
    """A fresh sandbox session in a temporary directory."""
    session = pcanb.sandbox(tmp_path / "sandbox")
    yield session
    session.sandbox.close()


@pytest.fixture
def client(pca):
    """The raw boto3 acm-pca client of the sandbox session."""
    return pca.client


@pytest.fixture
def root(pca):
    """An ACTIVE EC P-256 root CA."""
    return pca.create_root_ca(common_name="Test Root CA")


@pytest.fixture
def issuing(pca, root):
    """An ACTIVE subordinate CA (PathLen0) under ``root``."""
    return pca.create_subordinate_ca(parent=root, common_name="Test Issuing CA", path_length=0)


def error_code(excinfo: pytest.ExceptionInfo) -> str:
    """The AWS error code of a botocore ClientError."""
    return excinfo.value.response["Error"]["Code"]


def error_of(call: Any) -> dict[str, Any]:
    """The error response of ``call()``, which must raise a botocore ClientError."""
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response


def code_of(call: Any) -> str:
    """The AWS error code ``call()`` raises."""
    return error_of(call)["Error"]["Code"]


@pytest.fixture(scope="session")
def openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        pytest.fail("openssl is required by the test suite (apt-get install openssl)")
    return path


def run_openssl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)


def make_pca_bucket(pca, name: str, *, policy: dict | str | None = "acm-pca", **create) -> str:
    """Create bucket ``name`` (``create`` goes to CreateBucket) with a policy: the documented
    acm-pca one by default, another dict, or none."""
    import json

    pca.s3.create_bucket(Bucket=name, **create)
    if policy == "acm-pca":
        policy = pca_bucket_policy(name)
    if policy is not None:
        pca.s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    return name


def make_public(pca, name: str) -> None:
    """Let everyone read ``name``'s objects, as a public CRL bucket must on AWS: Block Public
    Access off, and a statement for everyone added to the bucket policy (through boto3)."""
    import json

    pca.s3.delete_public_access_block(Bucket=name)
    try:
        policy = json.loads(pca.s3.get_bucket_policy(Bucket=name)["Policy"])
    except pca.s3.exceptions.ClientError:
        policy = {"Version": "2012-10-17", "Statement": []}
    policy["Statement"].append(
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{name}/*",
        }
    )
    pca.s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))


def ec_csr_pem(
    common_name: str | None = "leaf.example.com",
    sans: tuple[str, ...] = (),
    extensions: tuple[tuple[Any, bool], ...] = (),
) -> bytes:
    """A PEM CSR for a fresh EC P-256 key: subject ``CN=<common_name>`` (empty for ``None``),
    ``sans`` as DNS names, and any other ``(extension, critical)`` pairs."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else []
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names))
    if sans:
        dns = x509.SubjectAlternativeName([x509.DNSName(s) for s in sans])
        builder = builder.add_extension(dns, critical=False)
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def crl_revocation(bucket: str, *, ocsp: bool = True, days: int = 7) -> dict:
    """A RevocationConfiguration: CRLs in ``bucket`` (ACLs as new buckets allow) and OCSP."""
    config: dict = {
        "CrlConfiguration": {
            "Enabled": True,
            "ExpirationInDays": days,
            "S3BucketName": bucket,
            "S3ObjectAcl": "BUCKET_OWNER_FULL_CONTROL",
        }
    }
    if ocsp:
        config["OcspConfiguration"] = {"Enabled": True}
    return config


#: An Authorization header as SigV4 writes it: the sandbox needs one on acm-pca requests (as AWS
#: does) and takes any key and signature. For tests that send raw requests.
SIGNED = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE0000000001/20260101/us-east-1/"
    "acm-pca/aws4_request, SignedHeaders=host;x-amz-target, Signature=" + "0" * 64
}


def aws_cli_runner(home: Path) -> Any:
    """``run(endpoint, service, *args, cwd=None)``: the real AWS CLI against an endpoint.

    Debian's ``awscli`` (v2) is preferred, any ``aws`` on the PATH otherwise; dummy credentials,
    no profile files (``home`` holds where they would be), JSON output."""
    program = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else shutil.which("aws")
    if program is None:
        pytest.fail("these tests need the AWS CLI on the PATH (Debian: apt-get install awscli)")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
    }

    def run(
        endpoint: str, service: str, *args: str, cwd: Path | None = None
    ) -> subprocess.CompletedProcess:
        command = [program, "--endpoint-url", endpoint, "--output", "json", service, *args]
        return subprocess.run(
            command, capture_output=True, text=True, env=env, cwd=cwd, timeout=120
        )

    return run


#: The same for S3 (the sandbox answers unsigned S3 requests only for object reads).
S3_SIGNED = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE0000000001/20260101/us-east-1/"
    "s3/aws4_request, SignedHeaders=host, Signature=" + "0" * 64
}


@pytest.fixture
def aws_cli(tmp_path):
    """:func:`aws_cli_runner` for one test."""
    return aws_cli_runner(tmp_path)
