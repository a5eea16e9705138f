"""Smithy RPC v2 CBOR over real HTTP: botocore speaking CBOR, and hand-built requests.

botocore 1.44 implements ``smithy-rpc-v2-cbor`` but ranks ``json`` first; a copy of the acm-pca
model that lists only CBOR, put first on a private loader's search path, makes a client that
speaks nothing else: an independent client for the protocol.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import boto3
import botocore.exceptions
import botocore.loaders
import botocore.session
import cbor2
import pytest
from botocore.config import Config
from conftest import EC_CA, SIGNED, error_code
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pcanb
from pcanb.sandbox import Sandbox
from pcanb.sandbox.server import serve_in_thread
from pcanb.x509.csr import build_csr
from pcanb.x509.keys import generate_private_key


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    box = Sandbox(tmp_path_factory.mktemp("cbor") / "served")
    server, url = serve_in_thread(box)
    yield box, url
    server.shutdown()
    server.server_close()
    box.close()


@pytest.fixture(scope="module")
def cbor_session(tmp_path_factory) -> boto3.Session:
    """A boto3 Session whose acm-pca clients speak only Smithy RPC v2 CBOR."""
    raw = botocore.loaders.create_loader().load_service_model("acm-pca", "service-2")
    raw["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    models = tmp_path_factory.mktemp("models")
    folder = models / "acm-pca" / raw["metadata"]["apiVersion"]
    folder.mkdir(parents=True)
    (folder / "service-2.json").write_text(json.dumps(raw))
    core = botocore.session.Session()
    core.get_component("data_loader").search_paths.insert(0, str(models))
    return boto3.Session(
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="x",
        region_name="us-east-1",
        botocore_session=core,
    )


@pytest.fixture(scope="module")
def pca(endpoint, cbor_session):
    box, url = endpoint
    session = pcanb.connect(
        session=cbor_session, region="us-east-1", endpoint_url=url, account=box.account
    )
    assert session.client.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
    return session


@pytest.fixture(scope="module")
def root(pca):
    return pca.create_root_ca(common_name="CBOR Root")


def _post(url: str, operation: str, body: bytes, **extra: str) -> tuple[int, dict, bytes]:
    headers = {
        "smithy-protocol": "rpc-v2-cbor",
        "Content-Type": "application/cbor",
        "Accept": "application/cbor",
        **SIGNED,
        **extra,
    }
    request = urllib.request.Request(
        f"{url}/service/ACMPrivateCA/operation/{operation}", data=body, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# --- botocore as the client ----------------------------------------------------------------------


def test_requests_go_out_as_cbor(pca, root):
    seen: list = []

    def keep(request, **_):
        seen.append(request)

    events = pca.client.meta.events
    events.register("before-send.acm-pca", keep)
    try:
        pca.client.describe_certificate_authority(CertificateAuthorityArn=root.arn)
    finally:
        events.unregister("before-send.acm-pca", keep)
    request = seen[-1]
    assert request.url.endswith("/service/ACMPrivateCA/operation/DescribeCertificateAuthority")
    assert request.headers["smithy-protocol"] == b"rpc-v2-cbor"
    assert "X-Amz-Target" not in request.headers
    assert cbor2.loads(request.body) == {"CertificateAuthorityArn": root.arn}


def test_the_toolkit_runs_over_cbor(pca, root):
    leaf = pca.issue(root, common_name="www.example.com", sans=["www.example.com"], days=10)
    assert leaf.chain[0] == root.certificate
    assert leaf.x509.issuer == root.certificate.x509.subject
    frame = pca.list_certificate_authorities()
    assert root.arn in set(frame["arn"])


def test_timestamps_decode_tz_aware(pca, root):
    ca = pca.client.describe_certificate_authority(CertificateAuthorityArn=root.arn)
    ca = ca["CertificateAuthority"]
    for member in ("CreatedAt", "LastStateChangeAt", "NotBefore", "NotAfter"):
        assert isinstance(ca[member], datetime)
        assert ca[member].utcoffset().total_seconds() == 0
    assert ca["NotAfter"] > ca["NotBefore"]
    assert ca["Status"] == "ACTIVE"


def test_issue_with_a_blob_csr(pca, root, endpoint):
    box, _ = endpoint
    csr = build_csr(generate_private_key("EC_prime256v1"), "blob.example.com", ["blob.example.com"])
    client = pca.client
    ca = client.describe_certificate_authority(CertificateAuthorityArn=root.arn)
    arn = client.issue_certificate(
        CertificateAuthorityArn=root.arn,
        Csr=csr.public_bytes(serialization.Encoding.PEM),
        SigningAlgorithm=ca["CertificateAuthority"]["CertificateAuthorityConfiguration"][
            "SigningAlgorithm"
        ],
        Validity={"Value": 3, "Type": "DAYS"},
    )["CertificateArn"]
    answer = client.get_certificate(CertificateAuthorityArn=root.arn, CertificateArn=arn)
    assert answer["Certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert isinstance(answer["CertificateChain"], str)
    events = box.events()
    issued = events.query("eventName == 'IssueCertificate'")
    assert issued["errorCode"].isna().all()
    # As in CloudTrail, responseElements only for actions that change something.
    assert list(issued["responseElements"].iloc[-1]) == ["CertificateArn"]
    fetched = events.query("eventName == 'GetCertificate'")
    assert fetched["responseElements"].isna().all()


def test_modeled_error(pca, root):
    missing = root.arn[:-4] + "0000"
    with pytest.raises(pca.client.exceptions.ResourceNotFoundException) as excinfo:
        pca.client.describe_certificate_authority(CertificateAuthorityArn=missing)
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert "Could not find" in excinfo.value.response["Error"]["Message"]
    assert excinfo.value.response["ResponseMetadata"]["RequestId"]


def test_validation_error(pca, root):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        pca.client.update_certificate_authority(CertificateAuthorityArn=root.arn, Status="BOGUS")
    assert error_code(excinfo) == "ValidationException"
    assert "enum value set" in excinfo.value.response["Error"]["Message"]


def test_throttling_reaches_a_cbor_client(endpoint, cbor_session):
    box, url = endpoint
    box.configure(throttle_scale=1)
    try:
        client = cbor_session.client(
            "acm-pca",
            endpoint_url=url,
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
        )
        client.create_certificate_authority(
            CertificateAuthorityConfiguration=EC_CA, CertificateAuthorityType="ROOT"
        )
        with pytest.raises(botocore.exceptions.ClientError) as excinfo:
            client.create_certificate_authority(
                CertificateAuthorityConfiguration=EC_CA, CertificateAuthorityType="ROOT"
            )
    finally:
        box.configure(throttle_scale=0)
    assert error_code(excinfo) == "ThrottlingException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# --- the wire as it is -----------------------------------------------------------------------------


def test_answer_headers_and_tag_1_timestamps(endpoint, root):
    _, url = endpoint
    body = cbor2.dumps({"CertificateAuthorityArn": root.arn})
    status, headers, payload = _post(url, "DescribeCertificateAuthority", body)
    assert status == 200
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    assert headers["Content-Type"] == "application/cbor"
    # The text key "CreatedAt" (0x69: 9 characters), then tag 1 (0xc1): epoch-based date/time.
    assert b"\x69CreatedAt\xc1" in payload
    decoded = cbor2.loads(payload)["CertificateAuthority"]
    assert isinstance(decoded["CreatedAt"], datetime)
    assert decoded["CreatedAt"].tzinfo is not None


def test_csr_answer_is_text_and_blob_input_is_bytes(endpoint, root):
    _, url = endpoint
    body = cbor2.dumps({"CertificateAuthorityArn": root.arn})
    status, _, payload = _post(url, "GetCertificateAuthorityCertificate", body)
    assert status == 200
    assert isinstance(cbor2.loads(payload)["Certificate"], str)  # a string member: text


def test_operations_without_output_answer_no_body(endpoint, root):
    _, url = endpoint
    body = cbor2.dumps({"CertificateAuthorityArn": root.arn, "Tags": [{"Key": "team"}]})
    status, headers, payload = _post(url, "TagCertificateAuthority", body)
    assert (status, payload) == (200, b"")
    assert "Content-Type" not in headers
    assert headers["smithy-protocol"] == "rpc-v2-cbor"


def _error(answer: tuple[int, dict, bytes]) -> tuple[int, str, str]:
    status, headers, payload = answer
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    assert headers["Content-Type"] == "application/cbor"
    document = cbor2.loads(payload)
    return status, document["__type"], document["message"]


def test_modeled_errors_carry_the_acm_pca_shape_id(endpoint, root):
    _, url = endpoint
    body = cbor2.dumps({"CertificateAuthorityArn": root.arn[:-4] + "0000"})
    status, kind, message = _error(_post(url, "DescribeCertificateAuthority", body))
    assert (status, kind) == (400, "com.amazonaws.acmpca#ResourceNotFoundException")
    assert message.startswith("Could not find certificate authority")


def test_validation_errors(endpoint, root):
    _, url = endpoint
    body = cbor2.dumps({"CertificateAuthorityArn": root.arn, "Status": "BOGUS"})
    status, kind, _ = _error(_post(url, "UpdateCertificateAuthority", body))
    assert (status, kind) == (400, "com.amazon.coral.validate#ValidationException")
    body = cbor2.dumps({"CertificateAuthorityArn": 42})
    status, kind, message = _error(_post(url, "DescribeCertificateAuthority", body))
    assert kind.endswith("#ValidationException")
    assert "Member must be a string" in message


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ("MakeCoffee", "UnknownOperationException"),
        ("acm-pca.DescribeCertificateAuthority", "UnknownOperationException"),
    ],
)
def test_unknown_operations(endpoint, operation, expected):
    _, url = endpoint
    status, kind, _ = _error(_post(url, operation, cbor2.dumps({})))
    assert (status, kind) == (400, f"com.amazon.coral.service#{expected}")


def test_unknown_service_and_wrong_method(endpoint):
    _, url = endpoint
    for path, method in (
        ("/service/AmazonS3/operation/ListBuckets", "POST"),
        ("/service/ACMPrivateCA/operation/ListTags", "GET"),
        ("/service/ACMPrivateCA", "POST"),
    ):
        request = urllib.request.Request(
            url + path, data=cbor2.dumps({}) if method == "POST" else None, method=method,
            headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", **SIGNED},
        )  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(request, timeout=30)
        document = cbor2.loads(excinfo.value.read())
        assert document["__type"].endswith("#UnknownOperationException"), path


def test_the_absolute_service_id_routes_too(endpoint, root):
    _, url = endpoint
    request = urllib.request.Request(
        f"{url}/service/com.amazonaws.acmpca.ACMPrivateCA/operation/ListTags",
        data=cbor2.dumps({"CertificateAuthorityArn": root.arn}),
        headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", **SIGNED},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert "Tags" in cbor2.loads(response.read())


@pytest.mark.parametrize(
    "body",
    [
        b"\xff",  # a break code where an item belongs
        b"\xa0\x00",  # two data items
        cbor2.dumps(["not", "a", "map"]),
        cbor2.dumps({1: "integer key"}),
        b"\xc1\x1b\xff\xff\xff\xff\xff\xff\xff\xff",  # a tag 1 date out of range
    ],
)
def test_malformed_bodies(endpoint, body):
    _, url = endpoint
    status, kind, _ = _error(_post(url, "ListCertificateAuthorities", body))
    assert (status, kind) == (400, "com.amazon.coral.service#SerializationException")


def test_a_text_string_with_an_encoded_surrogate_is_not_cbor(endpoint):
    """CBOR text is UTF-8 (RFC 8949 §3.1), which has no lone surrogates: a text string holding
    the bytes a surrogate would take (ED A0 80) makes the body malformed, not a 500."""
    box, url = endpoint
    events = len(box.events())
    principal = b"\x69Principal\x63\xed\xa0\x80"  # "Principal": <3 bytes of "\ud800">
    arn = b"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/" + b"0" * 36
    body = b"\xa2\x77CertificateAuthorityArn\x78" + bytes([len(arn)]) + arn + principal
    status, kind, message = _error(_post(url, "DeletePermission", body))
    assert (status, kind) == (400, "com.amazon.coral.service#SerializationException")
    assert message == "The request body is not valid CBOR: a text string is not valid UTF-8."
    assert len(box.events()) == events + 1


def test_a_target_header_is_refused(endpoint):
    _, url = endpoint
    answer = _post(
        url, "ListCertificateAuthorities", cbor2.dumps({}),
        **{"X-Amz-Target": "ACMPrivateCA.ListCertificateAuthorities"},
    )  # fmt: skip
    status, kind, _ = _error(answer)
    assert (status, kind) == (400, "com.amazon.coral.service#SerializationException")


def test_undefined_reads_as_null_and_empty_body_as_empty_input(endpoint):
    _, url = endpoint
    status, _, payload = _post(url, "ListCertificateAuthorities", b"")
    assert status == 200
    assert "CertificateAuthorities" in cbor2.loads(payload)
    status, _, _ = _post(url, "ListCertificateAuthorities", b"\xa1\x69NextToken\xf7")
    assert status == 200


def test_cbor_calls_are_in_the_call_log(endpoint, root):
    box, url = endpoint
    _post(url, "ListTags", cbor2.dumps({"CertificateAuthorityArn": root.arn}))
    last = box.events().iloc[-1]
    assert last["eventName"] == "ListTags"
    assert last["requestParameters"]["CertificateAuthorityArn"] == root.arn


def test_in_process_transport_speaks_cbor_too(cbor_session, tmp_path: Path):
    box = Sandbox(tmp_path / "inproc")
    try:
        cbor_session.events.register("before-send.acm-pca", box.wire.before_send)
        try:
            client = cbor_session.client("acm-pca")
            arn = client.create_certificate_authority(
                CertificateAuthorityConfiguration=EC_CA, CertificateAuthorityType="ROOT"
            )["CertificateAuthorityArn"]
            listed = client.list_certificate_authorities()["CertificateAuthorities"]
        finally:
            cbor_session.events.unregister("before-send.acm-pca", box.wire.before_send)
        assert [ca["Arn"] for ca in listed] == [arn]
        assert listed[0]["CreatedAt"].tzinfo is not None
    finally:
        box.close()


# --- hostile bodies ---------------------------------------------------------------------------------

CBOR_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    | st.binary(max_size=20) | st.datetimes(timezones=st.just(UTC)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip


@pytest.fixture(scope="module")
def inproc(tmp_path_factory):
    box = Sandbox(tmp_path_factory.mktemp("hostile") / "box")
    yield box
    box.close()


def _answer_is_sound(box: Sandbox, operation: str, body: bytes) -> None:
    url = f"https://acm-pca.us-east-1.amazonaws.com/service/ACMPrivateCA/operation/{operation}"
    headers = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", **SIGNED}
    status, out_headers, payload = box.handle("POST", url, headers, body)
    assert out_headers["smithy-protocol"] == "rpc-v2-cbor"
    assert status in (200, 400), payload
    if status == 400:
        document = cbor2.loads(payload)
        assert set(document) == {"__type", "message"}
        assert "#" in document["__type"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    operation=st.sampled_from(["ListCertificateAuthorities", "IssueCertificate", "ListTags"]),
    body=st.binary(max_size=200),
)
def test_random_bytes(inproc, operation, body):
    _answer_is_sound(inproc, operation, body)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    operation=st.sampled_from(["ListCertificateAuthorities", "IssueCertificate", "PutPolicy"]),
    value=st.dictionaries(st.text(max_size=30), CBOR_VALUES, max_size=5)
    | st.fixed_dictionaries({"CertificateAuthorityArn": CBOR_VALUES, "Csr": CBOR_VALUES}),
)
def test_random_documents(inproc, operation, value):
    _answer_is_sound(inproc, operation, cbor2.dumps(value))
