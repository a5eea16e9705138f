"""The sandbox over real HTTP: boto3 with endpoint_url (as the AWS CLI and other SDKs use it)."""

from __future__ import annotations

import urllib.request

import botocore.exceptions
import pytest

import pcanb
from pcanb.sandbox import Sandbox
from pcanb.sandbox.server import serve_in_thread
from pcanb.x509.ocsp import build_request, parse_response


@pytest.fixture
def endpoint(tmp_path):
    box = Sandbox(tmp_path / "served")
    server, url = serve_in_thread(box)
    yield box, url
    server.shutdown()
    server.server_close()
    box.close()


def _remote(url: str, account: str = "111122223333"):
    import boto3

    session = boto3.Session(
        aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x", region_name="us-east-1"
    )
    return pcanb.connect(session=session, region="us-east-1", endpoint_url=url, account=account)


def test_ceremony_over_http(endpoint):
    box, url = endpoint
    pca = _remote(url, box.account)
    root = pca.create_root_ca(common_name="HTTP Root")
    leaf = pca.issue(root, common_name="www.example.com", sans=["www.example.com"], days=10)
    assert leaf.chain[0] == root.certificate
    frame = pca.list_certificate_authorities()
    assert list(frame["status"]) == ["ACTIVE"]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        pca.client.update_certificate_authority(CertificateAuthorityArn=root.arn, Status="BOGUS")
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
    assert box.events()["eventName"].str.contains("IssueCertificate").any()


def test_s3_path_style_over_http(endpoint):
    _, url = endpoint
    s3 = _remote(url).s3
    s3.create_bucket(Bucket="served-bucket")
    s3.put_object(Bucket="served-bucket", Key="a/b.txt", Body=b"hello")
    assert s3.get_object(Bucket="served-bucket", Key="a/b.txt")["Body"].read() == b"hello"
    assert s3.head_object(Bucket="served-bucket", Key="a/b.txt")["ContentLength"] == 5
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="served-bucket")["Contents"]]
    assert keys == ["a/b.txt"]


def test_ocsp_over_http(endpoint):
    box, url = endpoint
    pca = _remote(url, box.account)
    root = pca.create_root_ca(
        common_name="OCSP Root",
        revocation_configuration={"OcspConfiguration": {"Enabled": True}},
    )
    leaf = pca.issue(root, common_name="ocsp.example.com", days=5)
    pca.revoke(leaf, "KEY_COMPROMISE")
    request = urllib.request.Request(
        url, data=build_request(leaf, root.certificate), method="POST",
        headers={"Content-Type": "application/ocsp-request"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = parse_response(response.read(), root.certificate)
    assert answer.cert_status == "REVOKED"
    assert answer.revocation_reason == "key_compromise"
    assert answer.signature_valid
