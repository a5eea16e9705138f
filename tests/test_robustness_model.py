"""Well-shaped random requests for every acm-pca operation, generated from the service model.

Where ``test_robustness_wire`` breaks the shape, these requests pass validation and reach the
actions themselves: random ApiPassthrough extensions, revocation configurations, subjects,
validity periods, policies, tags, tokens, against real CAs of the sandbox (and made-up ARNs).
Every answer is a success or an error the model lists for that operation (never an
InternalFailure), and the store stays sound.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import string

import pytest
from conftest import SIGNED
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from model_strategies import from_shape

from pcanb.sandbox import shapes

URL = "https://acm-pca.us-east-1.amazonaws.com/"
OPERATIONS = sorted(shapes.service_model().operation_names)
#: Errors any operation may answer besides the ones the model lists for it.
ANY_OPERATION = {"ValidationException", "SerializationException"}
#: Key algorithms generated for new CAs: RSA keys take up to seconds each to make.
FAST_KEYS = ["EC_prime256v1", "EC_secp384r1", "ML_DSA_44"]


def _headers(operation: str) -> dict[str, str]:
    return {
        "X-Amz-Target": f"ACMPrivateCA.{operation}",
        "Content-Type": "application/x-amz-json-1.1",
        **SIGNED,
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A sandbox with an ACTIVE root (with a certificate and a CRL bucket), an ACTIVE subordinate
    and a PENDING_CERTIFICATE CA: the ARNs the requests aim at."""
    from conftest import crl_revocation, make_pca_bucket

    import pcanb

    pca = pcanb.sandbox(tmp_path_factory.mktemp("model") / "sandbox")
    bucket = make_pca_bucket(pca, "model-crl-bucket")
    root = pca.create_root_ca(common_name="Model Root")
    sub = pca.create_subordinate_ca(
        parent=root, common_name="Model Sub", revocation_configuration=crl_revocation(bucket)
    )
    # Enough leaves that revocations keep reaching the CRL bucket check (each revokes once).
    leaves = [pca.issue(sub, common_name=f"leaf{i}.model.example", days=5) for i in range(30)]
    pending = pca.client.create_certificate_authority(
        CertificateAuthorityType="SUBORDINATE",
        CertificateAuthorityConfiguration={
            "KeyAlgorithm": "EC_prime256v1",
            "SigningAlgorithm": "SHA256WITHECDSA",
            "Subject": {"CommonName": "Model Pending"},
        },
    )["CertificateAuthorityArn"]
    yield {
        "pca": pca,
        "cas": [root.arn, sub.arn, pending],
        "certificates": [leaf.arn for leaf in leaves],
        "bucket": bucket,
        "bucket_policy": pca.s3.get_bucket_policy(Bucket=bucket)["Policy"],
        "ca_certificate": root.certificate.pem,
    }
    pca.sandbox.close()


_TEMPLATES = [
    "arn:aws:acm-pca:::template/EndEntityCertificate/V1",
    "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1",
    "arn:aws:acm-pca:::template/BlankEndEntityCertificate_APIPassthrough/V1",
    "arn:aws:acm-pca:::template/BlankEndEntityCertificate_APICSRPassthrough/V1",
    "arn:aws:acm-pca:::template/RootCACertificate/V1",
]
_MADE_UP_CA = (
    "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/"
    "00000000-0000-4000-8000-000000000000"
)


def _policy(world) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
        "Action": ["acm-pca:DescribeCertificateAuthority", "acm-pca:GetCertificate"],
        "Resource": world["cas"][0],
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _text_for(shape, member: str, world) -> st.SearchStrategy:
    """Text for a string member: real ARNs, buckets, serials where the name says so (so the
    requests reach the actions), otherwise text the model's pattern and length accept."""
    if shape.enum:
        return st.sampled_from(FAST_KEYS if shape.name == "KeyAlgorithm" else list(shape.enum))
    if member in ("CertificateAuthorityArn", "ResourceArn"):
        return st.sampled_from(world["cas"]) | st.just(_MADE_UP_CA)
    if member == "CertificateArn":
        return st.sampled_from(world["certificates"]) | st.sampled_from(world["cas"])
    if member == "TemplateArn":
        return st.sampled_from(_TEMPLATES)
    if member in ("S3BucketName", "S3Bucket"):
        return st.sampled_from([world["bucket"], "no-such-bucket-here"])
    if member == "CertificateSerial":
        serials = [arn.rsplit("/", 1)[1] for arn in world["certificates"]]
        return st.sampled_from(serials) | st.text("0123456789abcdef:", min_size=1, max_size=40)
    if member == "Policy":
        return st.sampled_from([_policy(world), "{}", "not json"])
    if member == "Principal":
        return st.sampled_from(["acm.amazonaws.com", "ec2.amazonaws.com"])
    low = shape.metadata.get("min", 0)
    high = max(low, min(shape.metadata.get("max", 64), 64))
    pattern = shape.metadata.get("pattern")
    if pattern and "A-Za-z0-9+/" in pattern:  # base64 text: of a DER element, or of junk
        der = st.sampled_from([b"\x05\x00", b"\x04\x03abc", b"\x30\x00", b"\x01"])
        return (der | st.binary(max_size=24)).map(lambda b: base64.b64encode(b).decode())
    if pattern and "\\p{" not in pattern:
        # "[class]*" / "[class]+" patterns: the class repeated within the length bounds.
        single = re.fullmatch(r"\^?(\[[^\]]+\])[*+]\$?", pattern)
        if single:
            return st.from_regex(f"{single[1]}{{{low},{high}}}", fullmatch=True)
        return st.from_regex(pattern, fullmatch=True).filter(lambda t: low <= len(t) <= high)
    alphabet = string.ascii_letters + string.digits + " .-_"
    return st.text(st.sampled_from(alphabet), min_size=low, max_size=high)


_LONE_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())


def _now_and_then_a_lone_surrogate(text: st.SearchStrategy) -> st.SearchStrategy:
    """``text``, with a lone UTF-16 surrogate put in one time in 16 (JSON can carry one)."""

    def put(case: tuple[str, int, str, int]) -> str:
        value, dice, surrogate, at = case
        return value[:at] + surrogate + value[at:] if dice == 0 else value

    return st.tuples(text, st.integers(0, 15), _LONE_SURROGATES, st.integers(0, 64)).map(put)


def _has_lone_surrogate(value) -> bool:
    if isinstance(value, dict):
        return any(_has_lone_surrogate(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return isinstance(value, str) and any("\ud800" <= ch <= "\udfff" for ch in value)


def _blob_for(shape, member: str, world) -> st.SearchStrategy:
    if member == "Csr":
        from conftest import ec_csr_pem

        return st.builds(lambda cn: ec_csr_pem(cn), st.sampled_from(["a.example", "b.example"]))
    if member in ("Certificate", "CertificateChain"):
        return st.sampled_from([world["ca_certificate"].encode(), b"junk"])
    return st.binary(max_size=40)


def _leaf(world):
    """Scalars of acm-pca requests: real ARNs, buckets, CSRs where the name says so."""

    def leaf(shape, member: str) -> st.SearchStrategy | None:
        kind = shape.type_name
        if kind == "string":
            return _now_and_then_a_lone_surrogate(_text_for(shape, member, world))
        if kind == "blob":
            return _blob_for(shape, member, world).map(_Blob)
        if kind in ("integer", "long"):
            low = shape.metadata.get("min", -5)
            high = shape.metadata.get("max", 10_000)
            return st.integers(min_value=low, max_value=min(high, 10_000))
        if kind == "boolean":
            return st.booleans()
        if kind == "timestamp":
            return st.integers(min_value=0, max_value=4_102_444_800).map(_Epoch)  # up to 2100
        return None

    return leaf


@st.composite
def requests(draw, world):
    operation = draw(st.sampled_from(OPERATIONS))
    input_shape = shapes.operation_model(operation).input_shape
    body = (
        draw(from_shape(input_shape, _leaf(world), max_depth=4)) if input_shape is not None else {}
    )
    return operation, body


def _set_bucket_policy(world, present: bool) -> None:
    """The CRL bucket with its acm-pca policy, or without one (as when someone deletes it
    after the CAs were configured): the actions that write there must answer in their list."""
    s3 = world["pca"].s3
    if present:
        s3.put_bucket_policy(Bucket=world["bucket"], Policy=world["bucket_policy"])
    else:
        s3.delete_bucket_policy(Bucket=world["bucket"])


def _allowed(operation: str) -> set[str]:
    model = shapes.operation_model(operation)
    listed = {shape.name for shape in model.error_shapes}
    return listed | ANY_OPERATION


def _as_cbor_values(value):
    """The JSON-ready request as Smithy RPC v2 CBOR carries it: blobs as byte strings (here,
    base64 text decoded) and timestamps as epoch-seconds numbers (CBOR tag 1)."""
    import cbor2

    if isinstance(value, dict):
        return {k: _as_cbor_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_cbor_values(v) for v in value]
    if isinstance(value, _Blob):
        return bytes(value)
    if isinstance(value, _Epoch):
        return cbor2.CBORTag(1, int(value))
    if isinstance(value, str) and _has_lone_surrogate(value):
        return _NotUtf8(value)
    return value


class _NotUtf8:
    """A text string holding a lone surrogate: CBOR has no way to say it (text is UTF-8), so
    it goes as the bytes a surrogate-passing encoder writes, which the server must refuse."""

    def __init__(self, text: str) -> None:
        self.data = text.encode("utf-8", "surrogatepass")

    @staticmethod
    def encode(encoder, value: _NotUtf8) -> None:
        encoder.write(b"\x7a" + len(value.data).to_bytes(4, "big") + value.data)


class _Blob(bytes):
    """Blob contents (JSON sends them base64-encoded, CBOR as a byte string)."""


class _Epoch(int):
    """A timestamp in epoch seconds."""


def _as_json_values(value):
    if isinstance(value, dict):
        return {k: _as_json_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json_values(v) for v in value]
    if isinstance(value, _Blob):
        return base64.b64encode(value).decode()
    return value


def _send(world, operation: str, body: dict, protocol: str) -> tuple[int, dict, dict]:
    sandbox = world["pca"].sandbox
    if protocol == "json":
        status, out_headers, payload = sandbox.handle(
            "POST", URL, _headers(operation), json.dumps(_as_json_values(body)).encode()
        )
        return status, out_headers, json.loads(payload) if payload else {}
    import cbor2

    headers = {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor",
               "Accept": "application/cbor", **SIGNED}  # fmt: skip
    url = f"https://acm-pca.us-east-1.amazonaws.com/service/ACMPrivateCA/operation/{operation}"
    status, out_headers, payload = sandbox.handle(
        "POST", url, headers, cbor2.dumps(_as_cbor_values(body), default=_NotUtf8.encode)
    )
    document = cbor2.loads(payload) if payload else {}
    if "__type" in document:  # CBOR errors name the shape with its namespace
        document["__type"] = document["__type"].rsplit("#", 1)[-1]
    return status, out_headers, document


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
@pytest.mark.parametrize("protocol", ["json", "rpc-v2-cbor"])
def test_well_shaped_requests_get_a_result_or_a_listed_error(world, data, protocol):
    operation, body = data.draw(requests(world))
    _set_bucket_policy(world, data.draw(st.booleans(), label="bucket policy"))
    status, _, document = _send(world, operation, body, protocol)
    event(f"{operation}: {document.get('__type', 'OK') if status != 200 else 'OK'}")
    code = document.get("__type") if status != 200 else None
    if _has_lone_surrogate(body):
        # JSON carries the surrogate to validation; CBOR cannot carry it (text is UTF-8).
        refusal = "ValidationException" if protocol == "json" else "SerializationException"
        assert (status, code) == (400, refusal), (operation, document, body)
        return
    if status == 200:
        return
    assert status != 500, document
    assert code in _allowed(operation), (operation, code, document.get("message"), body)
    assert document.get("message"), document


def test_the_store_is_sound_after_the_random_requests(world):
    with sqlite3.connect(world["pca"].sandbox.store.path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
