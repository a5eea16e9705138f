"""Hostile HTTP on ``pcanb sandbox serve``: broken framing, stalled and vanishing clients, other
services' requests. Every answer is a well-formed error, the server keeps serving, and no
traceback reaches its output.

Requests go over raw sockets or ``http.client`` (the AWS CLI's and other SDKs' path), so nothing
on the client side cleans them up first.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from conftest import S3_SIGNED, SIGNED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcanb.sandbox import Sandbox
from pcanb.sandbox.server import serve_in_thread

LIST_CAS = "ACMPrivateCA.ListCertificateAuthorities"
JSON_TYPE = "application/x-amz-json-1.1"
_AUTH = f"Authorization: {SIGNED['Authorization']}\r\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    box = Sandbox(tmp_path_factory.mktemp("http") / "sandbox")
    server, url = serve_in_thread(box, idle_timeout=1.0)
    yield box, url
    server.shutdown()
    server.server_close()
    box.close()


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _raw(url: str, request: bytes, *, read_timeout: float = 10.0) -> bytes:
    """Send raw bytes, read until the server closes the connection (or the timeout)."""
    with socket.create_connection(_address(url), timeout=read_timeout) as sock:
        sock.sendall(request)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
    return b"".join(chunks)


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def _list_cas_request(body: bytes, *, extra: str = "", length: str | None = None) -> bytes:
    length_header = f"Content-Length: {len(body) if length is None else length}\r\n"
    head = (
        f"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: {LIST_CAS}\r\n{_AUTH}"
        f"Content-Type: {JSON_TYPE}\r\n{length_header}{extra}Connection: close\r\n\r\n"
    )
    return head.encode() + body


def _json_answer(answer: bytes) -> dict:
    """The AWS JSON error document of a raw answer (its content type checked)."""
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"Content-Type: application/x-amz-json-1.1" in head, head
    return json.loads(body)


def _s3_answer(answer: bytes) -> ET.Element:
    """The S3 XML error document of a raw answer (its content type checked)."""
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"Content-Type: application/xml" in head, head
    return ET.fromstring(body)


def _still_serving(url: str) -> None:
    connection = http.client.HTTPConnection(*_address(url), timeout=10)
    connection.request(
        "POST", "/", b"{}", {"X-Amz-Target": LIST_CAS, "Content-Type": JSON_TYPE, **SIGNED}
    )
    response = connection.getresponse()
    assert response.status == 200
    assert json.loads(response.read()) == {"CertificateAuthorities": []}
    connection.close()


@pytest.mark.parametrize("length", ["abc", "-5", "1e3", "0x10"])
def test_a_content_length_that_is_not_a_number_is_a_400(served, capfd, length):
    _, url = served
    answer = _raw(url, _list_cas_request(b"{}", length=length))
    assert _status(answer) == 400
    document = _json_answer(answer)
    assert document["__type"] == "SerializationException"
    assert "Content-Length" in document["message"]
    _still_serving(url)
    assert "Traceback" not in capfd.readouterr().err


def test_a_body_that_never_arrives_is_dropped_after_the_idle_timeout(served, capfd):
    _, url = served
    started = time.monotonic()
    # Announces 100 bytes, sends 2, then waits: the server gives up after its 1 s idle timeout.
    answer = _raw(url, _list_cas_request(b"{}", length="100"), read_timeout=15)
    assert time.monotonic() - started < 10
    assert answer == b"" or _status(answer) == 400
    _still_serving(url)
    assert "Traceback" not in capfd.readouterr().err


def test_chunked_bodies_are_read_and_the_connection_stays_usable(served):
    _, url = served
    connection = http.client.HTTPConnection(*_address(url), timeout=10)
    headers = {"X-Amz-Target": LIST_CAS, "Content-Type": JSON_TYPE, **SIGNED}
    # A chunked body the server must decode: MaxResults 0 is below the model's minimum of 1.
    connection.request("POST", "/", iter([b'{"MaxRes', b'ults": 0}']), headers, encode_chunked=True)
    response = connection.getresponse()
    document = json.loads(response.read())
    assert response.status == 400
    assert document["__type"] == "ValidationException"
    assert "maxResults" in document["message"]
    # The same keep-alive connection: nothing of the chunked body was left in the stream.
    connection.request("POST", "/", b'{"MaxResults": 5}', headers)
    response = connection.getresponse()
    assert response.status == 200
    assert json.loads(response.read()) == {"CertificateAuthorities": []}
    connection.close()


@pytest.mark.parametrize(
    "body",
    [b"zz\r\n{}\r\n0\r\n\r\n", b"10\r\n{}\r\n0\r\n\r\n"],
    ids=["bad-size", "truncated-chunk"],
)
def test_malformed_chunked_framing_is_a_400(served, capfd, body):
    _, url = served
    head = (
        f"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: {LIST_CAS}\r\n{_AUTH}"
        f"Content-Type: {JSON_TYPE}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    answer = _raw(url, head.encode() + body, read_timeout=15)
    assert answer == b"" or _status(answer) == 400
    _still_serving(url)
    assert "Traceback" not in capfd.readouterr().err


def test_a_client_that_hangs_up_before_the_answer_leaves_no_traceback(served, capfd):
    box, url = served
    box.s3.create_bucket("hangup-bucket")
    box.s3.put_object("hangup-bucket", "big", b"x" * (8 * 1024 * 1024))
    for _ in range(3):
        with socket.create_connection(_address(url), timeout=10) as sock:
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            sock.sendall(b"GET /hangup-bucket/big HTTP/1.1\r\nHost: localhost\r\n\r\n")
            sock.recv(1024)  # the answer has started
        # closed with a reset while the server is still writing 8 MiB
    _still_serving(url)
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("CertificateManager.ListCertificates", "CertificateManager is not emulated"),
        (None, "X-Amz-Target"),
    ],
)
def test_json_requests_for_other_services_get_a_json_error(served, target, words):
    _, url = served
    connection = http.client.HTTPConnection(*_address(url), timeout=10)
    headers = {"Content-Type": JSON_TYPE}
    if target:
        headers["X-Amz-Target"] = target
    connection.request("POST", "/", b"{}", headers)
    response = connection.getresponse()
    document = json.loads(response.read())
    connection.close()
    assert response.status == 400
    assert response.getheader("Content-Type") == JSON_TYPE
    assert document["__type"] == "UnknownOperationException"
    assert words in document["message"]


_METHODS = st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS"])
_PATH = st.lists(
    st.text(st.characters(codec="ascii", exclude_characters="\r\n #?"), max_size=12), max_size=3
).map(lambda parts: "/" + "/".join(parts))
_QUERY = st.sampled_from(["", "?acl", "?policy", "?list-type=2", "?uploads", "?marker=a", "?x"])
_HEADER_VALUES = st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=40)
_HEADERS = st.dictionaries(
    st.sampled_from(
        [
            "X-Amz-Target", "Content-Type", "Smithy-Protocol", "x-amz-acl", "Content-MD5",
            "x-amz-content-sha256", "Range", "If-Match", "x-amz-checksum-crc32",
            "Authorization", "Content-Encoding", "x-amz-decoded-content-length",
        ]
    ),
    st.one_of(
        _HEADER_VALUES,
        st.sampled_from([LIST_CAS, JSON_TYPE, "rpc-v2-cbor", "aws-chunked", "private"]),
    ),
    max_size=5,
)  # fmt: skip


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(method=_METHODS, path=_PATH, query=_QUERY, headers=_HEADERS, body=st.binary(max_size=300))
def test_random_http_requests_get_well_formed_answers(
    served, capfd, method, path, query, headers, body
):
    _, url = served
    head = f"{method} {path}{query} HTTP/1.1\r\nHost: localhost\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    with socket.create_connection(_address(url), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + body)
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        payload = response.read()
    assert 200 <= response.status < 600
    assert response.status not in (500, 502), payload[:300]
    content_type = response.getheader("Content-Type") or ""
    if response.status >= 400 and payload and method != "HEAD":
        if "json" in content_type:
            document = json.loads(payload)
            assert document["__type"] and document["message"]
        elif "xml" in content_type:
            # S3 writes characters XML 1.0 cannot carry (a control character in a bucket name
            # or key) as character references, which XML 1.0 parsers refuse: read around them.
            error = ET.fromstring(re.sub(rb"&#x[0-9a-f]+;", b"?", payload))
            assert error.tag == "Error" and error.findtext("Code")
        elif "cbor" in content_type:
            import cbor2

            assert cbor2.loads(payload)["__type"]
        else:  # only the OCSP responder answers outside the AWS formats
            assert path.startswith("/ocsp/"), (content_type, payload[:200])
    assert "Traceback" not in capfd.readouterr().err


def test_list_objects_version_1_pages_with_markers(served):
    import boto3

    _, url = served
    s3 = boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x",
    )  # fmt: skip
    s3.create_bucket(Bucket="v1-listing")
    for key in ("a/1", "a/2", "b", "c/1", "d"):
        s3.put_object(Bucket="v1-listing", Key=key, Body=b"x")
    first = s3.list_objects(Bucket="v1-listing", Delimiter="/", MaxKeys=2)
    assert first["IsTruncated"] is True
    assert [p["Prefix"] for p in first["CommonPrefixes"]] == ["a/"]
    assert [o["Key"] for o in first["Contents"]] == ["b"]
    assert first["NextMarker"] == "b"
    assert first["Contents"][0]["Owner"]["ID"]  # version 1 always names the owner
    second = s3.list_objects(Bucket="v1-listing", Delimiter="/", Marker=first["NextMarker"])
    assert [p["Prefix"] for p in second["CommonPrefixes"]] == ["c/"]
    assert [o["Key"] for o in second["Contents"]] == ["d"]
    assert second["IsTruncated"] is False and "NextMarker" not in second
    # A NextMarker that is a common prefix resumes after everything under it.
    resumed = s3.list_objects(Bucket="v1-listing", Delimiter="/", Marker="a/", MaxKeys=1)
    assert [o["Key"] for o in resumed["Contents"]] == ["b"]
    # Without a delimiter there is no NextMarker: the last key is the next marker.
    flat = s3.list_objects(Bucket="v1-listing", MaxKeys=3)
    assert [o["Key"] for o in flat["Contents"]] == ["a/1", "a/2", "b"]
    assert flat["IsTruncated"] is True and "NextMarker" not in flat
    everything = [
        o["Key"]
        for page in s3.get_paginator("list_objects").paginate(Bucket="v1-listing", MaxKeys=2)
        for o in page.get("Contents", [])
    ]
    assert everything == ["a/1", "a/2", "b", "c/1", "d"]


def _open_descriptors() -> int:
    import os

    return len(os.listdir("/proc/self/fd"))


def test_connections_leave_no_descriptors_behind(served):
    _, url = served
    _still_serving(url)  # warm: the server's own first-use files are open
    before = _open_descriptors()
    for _ in range(200):  # a new connection, so a new server thread, each time
        _still_serving(url)
    time.sleep(0.5)  # the last handler threads finish closing
    assert _open_descriptors() - before < 20


def test_threads_that_used_the_sandbox_leave_no_descriptors_behind(tmp_path):
    """Threads come and go (a pool per call, a server thread per connection): what each one
    opened is closed or reused, so descriptors stay bounded by how many ran at once. (SQLite
    keeps a closed connection's database descriptor for reuse while others hold locks.)"""
    import gc
    import threading

    import pcanb

    pca = pcanb.sandbox(tmp_path / "threads")
    root = pca.create_root_ca(common_name="Thread Root")

    def round_of_threads() -> int:
        workers = [
            threading.Thread(target=pca.issue, args=(root,), kwargs={"common_name": "t.example"})
            for _ in range(20)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        gc.collect()
        return _open_descriptors()

    after_one = round_of_threads()
    after_six = [round_of_threads() for _ in range(5)][-1]
    assert after_six - after_one < 10  # 100 more threads, no more descriptors
    pca.sandbox.close()


def test_conflicting_content_lengths_are_a_400(served):
    _, url = served
    request = _list_cas_request(b"{}", extra="Content-Length: 5\r\n")
    answer = _raw(url, request)
    assert _status(answer) == 400
    assert "Conflicting Content-Length" in _json_answer(answer)["message"]
    agreeing = _list_cas_request(b"{}", extra="Content-Length: 2\r\n")
    assert _status(_raw(url, agreeing)) == 200  # a repeated value that agrees is one value
    _still_serving(url)


def test_an_http_1_1_request_without_a_host_is_a_400(served):
    _, url = served
    request = _list_cas_request(b"{}").replace(b"Host: localhost\r\n", b"")
    answer = _raw(url, request)
    assert _status(answer) == 400
    assert "Host" in _json_answer(answer)["message"]
    twice = _list_cas_request(b"{}", extra="Host: elsewhere\r\n")
    assert _status(_raw(url, twice)) == 400


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"GARBAGE\r\n\r\n", 400, "InvalidRequest"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "InvalidRequest"),
        (b"BREW /pot HTTP/1.1\r\nHost: localhost\r\n\r\n", 501, "NotImplemented"),
        (b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n",
         400, "RequestHeaderSectionTooLarge"),
        (b"GET / HTTP/1.1\r\nHost: localhost\r\n"
         + b"".join(b"X-%d: y\r\n" % i for i in range(120)) + b"\r\n",
         400, "RequestHeaderSectionTooLarge"),
        (b"PUT /b/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999\r\n\r\n",
         400, "EntityTooLarge"),
        (b"PUT /b/k HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
         501, "NotImplemented"),
        (b"PUT /b/k HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n",
         400, "InvalidRequest"),
        (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "InvalidURI"),
        (b"GET / HTTP/1.1\r\nHost: localhost\r\nno colon here\r\n\r\n", 400, "InvalidRequest"),
        (b"PUT /b/k HTTP/1.1\r\nHost: localhost\r\nContent-Length : 2\r\n\r\nab",
         400, "InvalidRequest"),
        (b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Nul: a\x00b\r\n\r\n", 400, "InvalidRequest"),
    ],
    ids=[
        "garbage", "tls-hello", "method", "long-header", "many-headers", "too-large", "coding",
        "not-chunked-last", "long-line", "no-colon", "space-before-colon", "nul-in-value",
    ],
)  # fmt: skip
def test_requests_that_name_no_api_get_s3_errors_with_a_status_line(
    served, capfd, request_bytes, status, code
):
    """http.server answers a request line without a version as HTTP/0.9 (a bare body) and its
    own refusals in HTML or text: here every refusal is an HTTP/1.1 answer in S3's format (a
    request that names no API goes to S3)."""
    _, url = served
    answer = _raw(url, request_bytes)
    assert answer.startswith(b"HTTP/1.1 "), answer[:100]
    assert _status(answer) == status
    error = _s3_answer(answer)
    assert error.findtext("Code") == code and error.findtext("Message")
    if request_bytes.startswith(b"\x16"):
        assert "plain HTTP" in error.findtext("Message")
    _still_serving(url)
    assert "Traceback" not in capfd.readouterr().err


def test_acm_pca_framing_errors_are_aws_json(served):
    _, url = served
    too_large = _raw(url, _list_cas_request(b"{}", length=str(10**12)))
    assert _status(too_large) == 413
    assert _json_answer(too_large)["__type"] == "RequestEntityTooLargeException"
    chunked = _list_cas_request(b"", length="").replace(b"Content-Length: \r\n", b"")
    coding = _raw(
        url, chunked.replace(b"Connection", b"Transfer-Encoding: br, chunked\r\nConnection")
    )
    assert _status(coding) == 501
    assert _json_answer(coding)["__type"] == "NotImplementedException"


def test_a_body_framed_two_ways_is_refused_and_smuggles_nothing(served, capfd):
    """Content-Length and Transfer-Encoding together (RFC 9112 §6.1): the request is refused
    and the connection closed, so a request hidden in the body is never answered."""
    _, url = served
    hidden = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
    body = b"2\r\n{}\r\n0\r\n\r\n" + hidden
    head = (
        f"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: {LIST_CAS}\r\n{_AUTH}"
        f"Content-Type: {JSON_TYPE}\r\nContent-Length: {len(body)}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    answer = _raw(url, head.encode() + body, read_timeout=5)
    assert answer.count(b"HTTP/1.1 ") == 1
    assert _status(answer) == 400
    assert "both Content-Length and Transfer-Encoding" in _json_answer(answer)["message"]
    _still_serving(url)
    assert "Traceback" not in capfd.readouterr().err


def test_answers_carry_one_date_and_one_server(served):
    _, url = served
    answer = _raw(
        url, b"GET /no-such-bucket HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    head = answer.partition(b"\r\n\r\n")[0].lower()
    assert head.count(b"\r\ndate: ") == 1 and head.count(b"\r\nserver: ") == 1
    assert b"python" not in head


def test_an_absolute_form_target_is_served(served):
    """RFC 9112 §3.2.2: a server must accept the absolute form; its authority is the Host."""
    _, url = served
    host = urlsplit(url).netloc
    request = (
        f"GET http://{host}/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
        f"Authorization: {S3_SIGNED['Authorization']}\r\n\r\n"
    )
    answer = _raw(url, request.encode())
    assert _status(answer) == 200
    assert b"ListAllMyBucketsResult" in answer


def test_oversized_headers_on_a_cbor_path_get_a_cbor_error(served):
    import cbor2

    _, url = served
    request = (
        b"POST /service/ACMPrivateCA/operation/ListCertificateAuthorities HTTP/1.1\r\n"
        b"Host: localhost\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n"
    )
    answer = _raw(url, request)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert _status(answer) == 431 and b"application/cbor" in head
    assert cbor2.loads(body)["__type"].endswith("RequestHeaderSectionTooLargeException")


@pytest.mark.parametrize(
    ("authorization", "status", "code"),
    [
        (None, 403, "MissingAuthenticationTokenException"),
        ("", 403, "MissingAuthenticationTokenException"),
        ("Bearer abc", 400, "IncompleteSignatureException"),
        ("AWS4-HMAC-SHA256 Signature=00", 400, "IncompleteSignatureException"),
    ],
)
def test_acm_pca_requests_must_be_signed(served, authorization, status, code):
    """AWS authenticates before anything else: an unsigned CreateCertificateAuthority creates
    nothing. (Any key and any signature are taken, as the sandbox documents.)"""
    _, url = served
    body = json.dumps(
        {
            "CertificateAuthorityType": "ROOT",
            "CertificateAuthorityConfiguration": {
                "KeyAlgorithm": "EC_prime256v1",
                "SigningAlgorithm": "SHA256WITHECDSA",
                "Subject": {"CommonName": "Unsigned"},
            },
        }
    ).encode()
    headers = {
        "X-Amz-Target": "ACMPrivateCA.CreateCertificateAuthority",
        "Content-Type": JSON_TYPE,
    }
    if authorization is not None:
        headers["Authorization"] = authorization
    connection = http.client.HTTPConnection(*_address(url), timeout=10)
    connection.request("POST", "/", body, headers)
    response = connection.getresponse()
    document = json.loads(response.read())
    connection.close()
    assert response.status == status
    assert document["__type"] == code and document["message"]
    _still_serving(url)  # lists no CA: nothing was created


def test_unsigned_s3_requests_may_only_read_public_objects(served):
    """As AWS: an anonymous caller never writes, lists or manages buckets, and reads only what
    is public (a public-read object ACL, or a bucket policy letting everyone GetObject), unless
    Block Public Access ignores it; any signed caller is the owner."""
    box, url = served
    box.s3.create_bucket("anon-bucket")
    box.s3.put_object("anon-bucket", "crl/x.crl", b"crl bytes")
    address = _address(url)

    def send(method: str, path: str, body: bytes = b"", **headers: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(*address, timeout=10)
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        return response.status, payload

    def code(method: str, path: str, body: bytes = b"") -> tuple[int, str | None]:
        status, payload = send(method, path, body)
        return status, ET.fromstring(payload).findtext("Code") if payload else None

    for method, path in (
        ("GET", "/anon-bucket/crl/x.crl"),  # private (the bucket's defaults)
        ("GET", "/anon-bucket/crl/missing.crl"),  # anonymous callers may not learn what exists
        ("PUT", "/anon-bucket/new"),
        ("DELETE", "/anon-bucket/crl/x.crl"),
        ("GET", "/anon-bucket"),
        ("GET", "/"),
        ("PUT", "/anon-new-bucket"),
    ):
        assert code(method, path, b"x" if method == "PUT" else b"") == (403, "AccessDenied"), (
            method,
            path,
        )
    assert send("HEAD", "/anon-bucket/crl/x.crl")[0] == 403
    assert code("GET", "/no-such-bucket/k") == (404, "NoSuchBucket")
    assert box.s3.get_object("anon-bucket", "crl/x.crl") == b"crl bytes"
    assert not box.s3.bucket_exists("anon-new-bucket")
    status, payload = send("PUT", "/anon-bucket/new", b"x", Authorization="Basic dXNlcjpwdw==")
    assert status == 400
    assert ET.fromstring(payload).findtext("Code") == "InvalidArgument"
    status, _ = send("PUT", "/anon-bucket/new", b"x", **S3_SIGNED)
    assert status == 200
    assert send("GET", "/anon-bucket/crl/x.crl", **S3_SIGNED) == (200, b"crl bytes")

    # A public-read object ACL, on a bucket with ACLs enabled: public unless IgnorePublicAcls.
    box.s3.create_bucket("acl-bucket", object_ownership="ObjectWriter", public_access_block=None)
    box.s3.put_object("acl-bucket", "crl/p.crl", b"public crl", acl="public-read")
    box.s3.put_object("acl-bucket", "crl/o.crl", b"owner crl", acl="bucket-owner-full-control")
    assert send("GET", "/acl-bucket/crl/p.crl") == (200, b"public crl")
    assert send("HEAD", "/acl-bucket/crl/p.crl")[0] == 200
    assert code("GET", "/acl-bucket/crl/o.crl") == (403, "AccessDenied")
    box.s3.put_public_access_block("acl-bucket", {"IgnorePublicAcls": True})
    assert code("GET", "/acl-bucket/crl/p.crl") == (403, "AccessDenied")

    # A bucket policy letting everyone read: public unless RestrictPublicBuckets.
    box.s3.put_public_access_block("anon-bucket", None)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::anon-bucket/crl/*",
            }
        ],
    }
    status, _ = send("PUT", "/anon-bucket?policy", json.dumps(policy).encode(), **S3_SIGNED)
    assert status == 204
    assert send("GET", "/anon-bucket/crl/x.crl") == (200, b"crl bytes")
    assert code("GET", "/anon-bucket/new") == (403, "AccessDenied")  # outside the Resource
    box.s3.put_public_access_block("anon-bucket", {"RestrictPublicBuckets": True})
    assert code("GET", "/anon-bucket/crl/x.crl") == (403, "AccessDenied")


def test_the_aws_cli_without_signing_cannot_write(served, aws_cli, tmp_path):
    box, url = served
    box.s3.create_bucket("cli-anon")
    upload = tmp_path / "up.txt"
    upload.write_text("hello")
    refused = aws_cli(url, "s3", "cp", str(upload), "s3://cli-anon/up.txt", "--no-sign-request")
    assert refused.returncode != 0 and "AccessDenied" in refused.stderr
    allowed = aws_cli(url, "s3", "cp", str(upload), "s3://cli-anon/up.txt")
    assert allowed.returncode == 0, allowed.stderr
    anonymous_download = (
        "s3", "cp", "s3://cli-anon/up.txt", str(tmp_path / "down.txt"), "--no-sign-request"
    )  # fmt: skip
    private = aws_cli(url, *anonymous_download)
    assert private.returncode != 0 and "403" in private.stderr, private.stderr
    box.s3.put_public_access_block("cli-anon", None)
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::cli-anon/*"}
        ],
    }  # fmt: skip
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(public_read))
    put = aws_cli(
        url,
        "s3api",
        "put-bucket-policy",
        "--bucket",
        "cli-anon",
        "--policy",
        f"file://{policy_file}",
    )
    assert put.returncode == 0, put.stderr
    down = aws_cli(url, *anonymous_download)
    assert down.returncode == 0, down.stderr
    assert (tmp_path / "down.txt").read_text() == "hello"


def test_a_json_1_0_request_for_another_service_is_answered_in_json_1_0(served):
    _, url = served
    connection = http.client.HTTPConnection(*_address(url), timeout=10)
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.ListTables",
    }
    connection.request("POST", "/", b"{}", headers)
    response = connection.getresponse()
    document = json.loads(response.read())
    connection.close()
    assert response.status == 400
    assert response.getheader("Content-Type") == "application/x-amz-json-1.0"
    assert document["__type"] == "UnknownOperationException"
