"""Hostile input on the wire: every answer is a well-formed AWS error and the state is unchanged.

Requests go straight to ``Sandbox.handle`` (what botocore's hook and the HTTP server both call),
so nothing on the client side cleans them up first: malformed JSON, wrong types, oversize
members, random bytes where a CSR or certificate belongs, made-up operation names, absurd
nesting, lone surrogates.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import pytest
from conftest import SIGNED, ec_csr_pem, error_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcanb.sandbox import Sandbox, shapes

URL = "https://acm-pca.us-east-1.amazonaws.com/"
OPERATIONS = sorted(shapes.service_model().operation_names)
HYPOTHESIS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def headers(operation: str) -> dict[str, str]:
    return {
        "X-Amz-Target": f"ACMPrivateCA.{operation}",
        "Content-Type": "application/x-amz-json-1.1",
        **SIGNED,
    }


def dump(box: Sandbox) -> dict:
    """Everything the sandbox keeps, except the call log (which must grow)."""
    out: dict = {}
    with sqlite3.connect(box.store.path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            if table == "events":
                continue
            rows = db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            if table == "sqlite_sequence":
                rows = [r for r in rows if r[0] != "events"]
            out[table] = rows
    db.close()
    s3 = box.path / "s3"
    out["s3"] = sorted(
        (str(p.relative_to(s3)), p.stat().st_size) for p in s3.rglob("*") if p.is_file()
    )
    return out


def assert_plain_words(document: dict) -> None:
    """No parser debug output (cryptography's Rust ``ParseError { kind: ... }``) in a refusal
    of a CSR or certificate (other messages quote what was sent, braces and all)."""
    if not document["__type"].startswith("Malformed"):
        return
    for debug in ("ParseError", "kind:", "{", "MalformedFraming", "InvalidData(", "Tag {"):
        assert debug not in document["message"], document["message"]


def assert_aws_error(answer: tuple[int, dict, bytes]) -> dict:
    status, out_headers, body = answer
    assert status == 400, (status, body[:300])
    assert out_headers["Content-Type"] == "application/x-amz-json-1.1"
    assert out_headers["x-amzn-RequestId"]
    document = json.loads(body)
    assert isinstance(document, dict)
    assert isinstance(document["__type"], str) and document["__type"]
    assert isinstance(document["message"], str) and document["message"]
    assert "Traceback" not in document["message"]
    assert out_headers["x-amzn-ErrorType"] == document["__type"]
    return document


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    """A sandbox with state worth breaking: an ACTIVE root CA with a tag and a certificate."""
    import pcanb

    pca = pcanb.sandbox(tmp_path_factory.mktemp("hostile") / "sandbox")
    root = pca.create_root_ca(common_name="Hostile Root", tags={"team": "pki"})
    pca.issue(root, common_name="leaf.example.internal", days=1)
    yield pca.sandbox, root.arn
    pca.sandbox.close()


def check(box: Sandbox, operation: str, body: bytes) -> dict:
    before = dump(box)
    events = len(box.events())
    document = assert_aws_error(box.handle("POST", URL, headers(operation), body))
    assert dump(box) == before
    assert len(box.events()) == events + 1  # the failed call is in the call log
    return document


# --- strategies ----------------------------------------------------------------------------------

#: Text with any code point, lone UTF-16 surrogates included (JSON can carry them as "\ud800").
any_text = st.text(st.characters(exclude_categories=()), max_size=40)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def wrong_for(shape) -> st.SearchStrategy:
    """A JSON value of the wrong type for ``shape``."""
    kind = shape.type_name
    if kind in ("string", "blob"):
        return (
            st.integers()
            | st.booleans()
            | st.lists(st.text(max_size=5), max_size=3)
            | st.dictionaries(st.text(max_size=5), st.integers(), max_size=2)
        )
    if kind in ("integer", "long", "timestamp"):
        return st.text(max_size=10) | st.lists(st.integers(), max_size=2) | st.booleans()
    if kind == "boolean":
        return st.integers() | st.text(max_size=5)
    if kind == "structure":
        return st.text(max_size=10) | st.integers() | st.lists(st.integers(), max_size=2)
    if kind == "list":
        return (
            st.text(max_size=10)
            | st.integers()
            | st.dictionaries(st.text(max_size=5), st.integers(), max_size=2)
        )
    return st.integers()


@st.composite
def wrong_types(draw):
    """A real operation whose request has at least one member of the wrong type."""
    operation = draw(
        st.sampled_from([o for o in OPERATIONS if shapes.operation_model(o).input_shape])
    )
    shape = shapes.operation_model(operation).input_shape
    members = dict(shape.members)
    body = {
        name: draw(json_values)
        for name in draw(st.lists(st.sampled_from(sorted(members)), unique=True, max_size=4))
    }
    broken = draw(st.sampled_from(sorted(members)))
    body[broken] = draw(wrong_for(members[broken]))
    return operation, json.dumps(body).encode()


# --- properties ----------------------------------------------------------------------------------


@HYPOTHESIS
@given(
    operation=st.text(min_size=0, max_size=60).filter(lambda o: o not in OPERATIONS),
    body=st.binary(max_size=200),
)
def test_made_up_operations_are_unknown(box, operation, body):
    sandbox, _ = box
    document = check(sandbox, operation, body)
    assert document["__type"] == "UnknownOperationException"


@HYPOTHESIS
@given(operation=st.sampled_from(OPERATIONS), body=st.binary(max_size=300))
def test_bodies_that_are_not_a_json_object(box, operation, body):
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        parsed = None
    if isinstance(parsed, dict) or not body.strip():  # an empty body reads as {}
        body = b"[" + body
    sandbox, _ = box
    document = check(sandbox, operation, body)
    assert document["__type"] == "SerializationException"


@HYPOTHESIS
@given(case=wrong_types())
def test_members_of_the_wrong_type(box, case):
    operation, body = case
    sandbox, _ = box
    document = check(sandbox, operation, body)
    assert document["__type"] in ("ValidationException", "SerializationException")


@HYPOTHESIS
@given(
    data=st.binary(min_size=0, max_size=3000),
    armour=st.sampled_from([None, "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"]),
    token=st.none() | st.text(min_size=37, max_size=300),
)
def test_random_bytes_as_a_csr(box, data, armour, token):
    sandbox, ca_arn = box
    if armour:
        data = (
            f"-----BEGIN {armour}-----\n".encode()
            + base64.encodebytes(data)
            + f"-----END {armour}-----\n".encode()
        )
    request = {
        "CertificateAuthorityArn": ca_arn,
        "Csr": base64.b64encode(data).decode(),
        "SigningAlgorithm": "SHA256WITHECDSA",
        "Validity": {"Type": "DAYS", "Value": 1},
    }
    if token is not None:
        request["IdempotencyToken"] = token  # too long: at most 36 characters
    document = check(sandbox, "IssueCertificate", json.dumps(request).encode())
    assert document["__type"] in ("MalformedCSRException", "ValidationException")
    assert_plain_words(document)


@HYPOTHESIS
@given(
    certificate=st.binary(max_size=2000),
    chain=st.none() | st.binary(max_size=500),
    pem=st.booleans(),
)
def test_random_bytes_as_a_ca_certificate(box, certificate, chain, pem):
    sandbox, ca_arn = box
    if pem:
        certificate = (
            b"-----BEGIN CERTIFICATE-----\n"
            + base64.encodebytes(certificate)
            + b"-----END CERTIFICATE-----\n"
        )
    request = {
        "CertificateAuthorityArn": ca_arn,
        "Certificate": base64.b64encode(certificate).decode(),
    }
    if chain is not None:
        request["CertificateChain"] = base64.b64encode(chain).decode()
    document = check(sandbox, "ImportCertificateAuthorityCertificate", json.dumps(request).encode())
    assert_plain_words(document)


@HYPOTHESIS
@given(
    operation=st.sampled_from(["TagCertificateAuthority", "UntagCertificateAuthority"]),
    key=st.text(min_size=129, max_size=400),
    value=st.text(max_size=300),
)
def test_oversize_tag_keys(box, operation, key, value):
    sandbox, ca_arn = box
    request = {"CertificateAuthorityArn": ca_arn, "Tags": [{"Key": key, "Value": value}]}
    document = check(sandbox, operation, json.dumps(request).encode())
    assert document["__type"] == "ValidationException"


@HYPOTHESIS
@given(serial=st.text(max_size=200), reason=st.text(max_size=40))
def test_revoking_what_does_not_exist(box, serial, reason):
    sandbox, ca_arn = box
    request = {
        "CertificateAuthorityArn": ca_arn,
        "CertificateSerial": serial,
        "RevocationReason": reason,
    }
    check(sandbox, "RevokeCertificate", json.dumps(request).encode())


def _string_members(shape, path: str = "", seen: frozenset = frozenset()):
    """``(document, path)`` for every string member under ``shape``: a request document that
    holds a lone surrogate in that member only, and the member's path as AWS names it."""
    kind = shape.type_name
    if kind == "structure" and shape.name not in seen:
        for name, member in shape.members.items():
            child = f"{path}.{name[:1].lower()}{name[1:]}" if path else name[:1].lower() + name[1:]
            for document, where in _string_members(member, child, seen | {shape.name}):
                yield {name: document}, where
    elif kind == "list":
        for document, where in _string_members(shape.member, f"{path}.1.member", seen):
            yield [document], where
    elif kind == "string":
        yield "a\ud800b", path


SURROGATE_CASES = [
    (operation, document, where)
    for operation in OPERATIONS
    if shapes.operation_model(operation).input_shape is not None
    for document, where in _string_members(shapes.operation_model(operation).input_shape)
]


@HYPOTHESIS
@given(
    case=st.sampled_from(SURROGATE_CASES),
    surrogate=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
)
def test_a_lone_surrogate_in_any_string_member(box, case, surrogate):
    """Every string member of every operation refuses a lone surrogate with a validation error
    that names the member and quotes the value escaped; the refusal is in the call log."""
    operation, document, where = case
    sandbox, _ = box
    body = json.dumps(document).replace("\\ud800", f"\\u{ord(surrogate):04x}").encode()
    answer = check(sandbox, operation, body)
    assert answer["__type"] == "ValidationException"
    quoted = f"Value 'a\\u{ord(surrogate):04x}b' at '{where}' failed to satisfy constraint: "
    rule = "Member must not contain unpaired UTF-16 surrogate characters"
    assert quoted + rule in answer["message"], answer["message"]
    logged = sandbox.events().iloc[-1]
    assert logged["errorMessage"] == answer["message"]
    assert f"a\\u{ord(surrogate):04x}b" in _texts(logged["requestParameters"])


_SUBJECT_MEMBERS = [
    "Country", "Organization", "OrganizationalUnit", "DistinguishedNameQualifier", "State",
    "CommonName", "SerialNumber", "Locality", "Title", "Surname", "GivenName", "Initials",
    "Pseudonym", "GenerationQualifier",
]  # fmt: skip


def _create_with(subject: dict, csr_extensions: dict | None = None) -> dict:
    configuration = {
        "KeyAlgorithm": "EC_prime256v1",
        "SigningAlgorithm": "SHA256WITHECDSA",
        "Subject": subject,
    }
    if csr_extensions is not None:
        configuration["CsrExtensions"] = csr_extensions
    return {"CertificateAuthorityType": "ROOT", "CertificateAuthorityConfiguration": configuration}


def _edi_party(member: str) -> dict:
    party = {"PartyName": "EDI party", "NameAssigner": "assigner"}
    party[member] = "EDI\udc00"
    return {"SubjectInformationAccess": [
        {"AccessMethod": {"CustomObjectIdentifier": "1.3.6.1.5.5.7.48.5"},
         "AccessLocation": {"EdiPartyName": party}}
    ]}  # fmt: skip


#: The members an AWS CLI run found answering InternalFailure for "\ud800", with their paths.
LONE_SURROGATE_CALLS = [
    *[
        ("create_certificate_authority", _create_with({member: "x\ud800"}),
         f"certificateAuthorityConfiguration.subject.{member[:1].lower()}{member[1:]}")
        for member in _SUBJECT_MEMBERS
    ],
    ("create_certificate_authority",
     _create_with({"CustomAttributes": [{"ObjectIdentifier": "2.5.4.3", "Value": "x\ud800"}]}),
     "certificateAuthorityConfiguration.subject.customAttributes.1.member.value"),
    ("create_certificate_authority",
     _create_with({"CommonName": "CA"}, _edi_party("PartyName")),
     "certificateAuthorityConfiguration.csrExtensions.subjectInformationAccess.1.member"
     ".accessLocation.ediPartyName.partyName"),
    ("create_certificate_authority",
     _create_with({"CommonName": "CA"}, _edi_party("NameAssigner")),
     "certificateAuthorityConfiguration.csrExtensions.subjectInformationAccess.1.member"
     ".accessLocation.ediPartyName.nameAssigner"),
    ("issue_certificate", {"ApiPassthrough": {"Subject": {"CommonName": "x\ud800"}}},
     "apiPassthrough.subject.commonName"),
    ("delete_permission", {"Principal": "\ud800"}, "principal"),
]  # fmt: skip


@pytest.mark.parametrize(
    "method, request_, where",
    LONE_SURROGATE_CALLS,
    ids=[case[2].rsplit(".", 1)[-1] for case in LONE_SURROGATE_CALLS],
)
def test_lone_surrogates_through_boto3(pca, root, method, request_, where):
    """A ValidationException (not an InternalFailure the AWS CLI would send three times) that
    names the member; nothing changes."""
    if method == "issue_certificate":
        request_ = {
            "CertificateAuthorityArn": root.arn,
            "Csr": ec_csr_pem(),
            "SigningAlgorithm": "SHA256WITHECDSA",
            "TemplateArn": "arn:aws:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1",
            "Validity": {"Type": "DAYS", "Value": 1},
            **request_,
        }
    elif method == "delete_permission":
        request_ = {"CertificateAuthorityArn": root.arn, **request_}
    before = dump(pca.sandbox)
    answer = error_of(lambda: getattr(pca.client, method)(**request_))
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert answer["Error"]["Code"] == "ValidationException"
    message = answer["Error"]["Message"]
    assert f"at '{where}' failed to satisfy constraint: Member must not contain unpaired" in message
    assert "\\ud800" in message or "\\udc00" in message
    assert dump(pca.sandbox) == before
    logged = pca.sandbox.events().iloc[-1]
    assert (logged["errorCode"], logged["errorMessage"]) == (
        "ValidationException",
        answer["Error"]["Message"],
    )


_PEM_CSR = "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n"
_PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n"


@pytest.mark.parametrize(
    "data, words",
    [
        (b"\x30\x62\x02\x01", "the data ends early"),
        (b"\x30\x81\x05\x02\x01\x01\x02\x00", "a length field is not valid DER"),
        (b"\x05\x00", "an element has a type that does not belong there"),
        (_PEM_CSR.format("!!!!").encode(), "the PEM body is not valid base64"),
        (b"-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n", "the PEM BEGIN/END lines are malformed or missing"),
        (b"-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE-----\n",
         "the PEM BEGIN and END labels do not match"),
        (b"-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n",
         "the PEM text holds no CERTIFICATE REQUEST block"),
    ],
    ids=["short", "length", "tag", "base64", "framing", "labels", "wrong-block"],
)  # fmt: skip
def test_a_garbage_csr_is_refused_in_plain_words(pca, root, data, words):
    answer = error_of(
        lambda: pca.client.issue_certificate(
            CertificateAuthorityArn=root.arn,
            Csr=data,
            SigningAlgorithm="SHA256WITHECDSA",
            Validity={"Type": "DAYS", "Value": 1},
        )
    )
    assert answer["Error"]["Code"] == "MalformedCSRException"
    assert answer["Error"]["Message"] == (
        f"The CSR is not a valid DER or PEM PKCS #10 request: {words}."
    )


@pytest.mark.parametrize(
    "data, words",
    [
        (b"\x30\x82\x01\x00\x30", "the data ends early"),
        (b"\x05\x00", "an element has a type that does not belong there"),
        (_PEM_CERTIFICATE.format("@@@@").encode(), "the PEM body is not valid base64"),
    ],
    ids=["short", "tag", "base64"],
)
def test_a_garbage_ca_certificate_is_refused_in_plain_words(pca, data, words):
    pending = pca.create_subordinate_ca(common_name="Pending For Import")
    answer = error_of(
        lambda: pca.client.import_certificate_authority_certificate(
            CertificateAuthorityArn=pending.arn, Certificate=data
        )
    )
    assert answer["Error"]["Code"] == "MalformedCertificateException"
    assert answer["Error"]["Message"] == (
        f"The certificate is not a valid DER or PEM X.509 certificate: {words}."
    )


def _texts(value) -> list[str]:
    """Every string in a decoded JSON document."""
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    return [value] if isinstance(value, str) else []


# --- fixed cases that broke before ---------------------------------------------------------------


@pytest.mark.parametrize("depth", [50, 500, 900, 5000, 200_000])
def test_absurd_nesting(box, depth):
    sandbox, ca_arn = box
    nested = "[" * depth + "]" * depth
    body = f'{{"CertificateAuthorityArn": "{ca_arn}", "Tags": {nested}}}'.encode()
    check(sandbox, "TagCertificateAuthority", body)


@pytest.mark.parametrize(
    "body",
    [
        rb'{"CertificateAuthorityArn": "\ud800"}',
        rb'{"CertificateAuthorityArn": "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/\udfff"}',
        rb'{"Bogus\ud800": 1, "CertificateAuthorityArn": 7}',
    ],
    ids=["lone-high", "lone-low-in-arn", "lone-in-key"],
)
def test_lone_surrogates(box, body):
    sandbox, _ = box
    check(sandbox, "DescribeCertificateAuthority", body)


def test_huge_numbers_and_nan(box):
    sandbox, ca_arn = box
    for validity in ('{"Type": "DAYS", "Value": NaN}', '{"Type": "DAYS", "Value": 1e999}',
                     '{"Type": "DAYS", "Value": ' + "9" * 5000 + "}",
                     '{"Type": "DAYS", "Value": -Infinity}'):  # fmt: skip
        body = (
            f'{{"CertificateAuthorityArn": "{ca_arn}", "Csr": "AAAA", '
            f'"SigningAlgorithm": "SHA256WITHECDSA", "Validity": {validity}}}'
        ).encode()
        check(sandbox, "IssueCertificate", body)


def test_the_hostile_session_left_a_sound_store(box):
    sandbox, _ = box
    with sqlite3.connect(Path(sandbox.store.path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
