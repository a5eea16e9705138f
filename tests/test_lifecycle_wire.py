"""What the sandbox answers on the wire (AWS JSON 1.1), below botocore."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from conftest import SIGNED
from test_lifecycle_support import (  # noqa: F401 (fixtures)
    create_ca,
    fresh_pca,
    lifecycle_session,
    snapshot,
)

URL = "https://acm-pca.us-east-1.amazonaws.com/"
CONTENT_TYPE = "application/x-amz-json-1.1"


def _post(pca, operation: str, body: bytes, **extra_headers: str) -> tuple[int, dict, dict]:
    headers = {"X-Amz-Target": f"ACMPrivateCA.{operation}", "Content-Type": CONTENT_TYPE, **SIGNED}
    status, response_headers, payload = pca.sandbox.handle(
        "POST", URL, {**headers, **extra_headers}, body
    )
    return status, {k.lower(): v for k, v in response_headers.items()}, json.loads(payload)


def _assert_error(status: int, headers: dict, payload: dict, code: str) -> None:
    assert status == 400
    assert headers["content-type"] == CONTENT_TYPE
    uuid.UUID(headers["x-amzn-requestid"])
    assert set(payload) == {"__type", "message"}
    assert payload["__type"] == code
    assert isinstance(payload["message"], str)
    assert len(payload["message"]) > 10


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe\x00", b'{"a": '])
def test_malformed_json_is_a_serialization_exception(pca, client, body):
    create_ca(client)
    before = snapshot(client)
    _assert_error(*_post(pca, "DescribeCertificateAuthority", body), "SerializationException")
    assert snapshot(client) == before


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42"])
def test_json_that_is_not_an_object_is_a_serialization_exception(pca, body):
    _assert_error(*_post(pca, "DescribeCertificateAuthority", body), "SerializationException")


def test_unknown_target_is_an_unknown_operation_exception(pca):
    status, headers, payload = _post(pca, "DescribeEverything", b"{}")
    _assert_error(status, headers, payload, "UnknownOperationException")
    assert "DescribeEverything" in payload["message"]


def test_service_error_goes_out_as_type_and_message(pca, client):
    arn = f"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/{uuid.uuid4()}"
    body = json.dumps({"CertificateAuthorityArn": arn}).encode()
    status, headers, payload = _post(pca, "DescribeCertificateAuthority", body)
    _assert_error(status, headers, payload, "ResourceNotFoundException")
    assert arn in payload["message"]


def test_missing_required_member_is_a_validation_exception(pca):
    status, headers, payload = _post(pca, "DescribeCertificateAuthority", b"{}")
    _assert_error(status, headers, payload, "ValidationException")
    assert "certificateAuthorityArn" in payload["message"]
    assert "must not be null" in payload["message"]


def test_blob_that_is_not_base64_is_a_serialization_exception(pca, client):
    arn = create_ca(client)
    before = snapshot(client)
    body = json.dumps(
        {"CertificateAuthorityArn": arn, "Certificate": "%%% not base64 %%%"}
    ).encode()
    _assert_error(
        *_post(pca, "ImportCertificateAuthorityCertificate", body), "SerializationException"
    )
    assert snapshot(client) == before


def test_success_is_200_json_with_epoch_timestamps(pca, client):
    arn = create_ca(client)
    body = json.dumps({"CertificateAuthorityArn": arn}).encode()
    status, headers, payload = _post(pca, "DescribeCertificateAuthority", body)
    assert status == 200
    assert headers["content-type"] == CONTENT_TYPE
    ca = payload["CertificateAuthority"]
    assert ca["Arn"] == arn
    assert isinstance(ca["CreatedAt"], float)
    assert (
        ca["CreatedAt"]
        == client.describe_certificate_authority(CertificateAuthorityArn=arn)[
            "CertificateAuthority"
        ]["CreatedAt"].timestamp()
    )


def test_operations_without_output_answer_an_empty_object(pca, client):
    arn = create_ca(client)
    body = json.dumps({"CertificateAuthorityArn": arn, "Tags": [{"Key": "k", "Value": "v"}]})
    status, _, payload = _post(pca, "TagCertificateAuthority", body.encode())
    assert (status, payload) == (200, {})


def test_blobs_arrive_base64_encoded(pca, client):
    """botocore base64-encodes Certificate; a raw PEM string in its place is not base64."""
    arn = create_ca(client)
    pem = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    body = {"CertificateAuthorityArn": arn, "Certificate": base64.b64encode(pem).decode()}
    status, headers, payload = _post(
        pca, "ImportCertificateAuthorityCertificate", json.dumps(body).encode()
    )
    # It decoded to the PEM above, which is then refused as a certificate, not as base64.
    _assert_error(status, headers, payload, "MalformedCertificateException")


def test_the_region_comes_from_the_signature(pca, client):
    """The SigV4 credential scope names the region; without one, the sandbox's default region."""
    create_ca(client)
    auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/acm-pca/aws4_request"
    _, _, eu = _post(pca, "ListCertificateAuthorities", b"{}", Authorization=auth)
    assert eu == {"CertificateAuthorities": []}
    _, _, default = _post(pca, "ListCertificateAuthorities", b"{}")
    assert len(default["CertificateAuthorities"]) == 1


def test_botocore_maps_the_wire_error_to_the_modeled_exception(client):
    arn = f"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/{uuid.uuid4()}"
    with pytest.raises(client.exceptions.ResourceNotFoundException) as excinfo:
        client.describe_certificate_authority(CertificateAuthorityArn=arn)
    response = excinfo.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    uuid.UUID(response["ResponseMetadata"]["RequestId"])
    assert arn in response["Error"]["Message"]
