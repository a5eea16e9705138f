"""``pcanb sandbox serve``: the sandbox over HTTP on 127.0.0.1, for the AWS CLI and other SDKs.

One endpoint speaks both APIs: AWS JSON 1.1 requests (``X-Amz-Target: ACMPrivateCA.*``) and
Smithy RPC v2 CBOR requests (``POST /service/ACMPrivateCA/operation/<Op>`` with
``smithy-protocol: rpc-v2-cbor``; needs ``pcanb[serve]``) go to the Private CA engine, OCSP
requests (``Content-Type: application/ocsp-request``) to the responder, and everything else is
S3 (path-style: ``http://127.0.0.1:<port>/<bucket>/<key>``).
"""

from __future__ import annotations

import email.message
import logging
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from pcanb.sandbox.wire import protocol_error

logger = logging.getLogger(__name__)


#: The largest request body served (S3 PutObject's own single-request limit is 5 GiB; nothing
#: the sandbox stores comes near this).
MAX_BODY = 256 * 1024 * 1024
#: Seconds a connection may sit idle or mid-request before it is dropped (a client that
#: announces more body than it sends must not hold a thread forever).
IDLE_TIMEOUT = 60


class BadRequest(Exception):
    """The HTTP request itself is malformed; answered 400 (or 413) and the connection closed.
    ``s3_code``: S3's own code for it, where S3 documents one."""

    def __init__(self, status: int, message: str, s3_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.s3_code = s3_code


#: The headers of a request whose header section has not been read (yet, or at all).
_NO_HEADERS = email.message.Message()
#: RFC 9110 §5.1: a field name is a token; §5.5: a value holds no NUL, CR or LF.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FORBIDDEN_IN_VALUE = re.compile(r"[\x00\r\n]")


class _Handler(BaseHTTPRequestHandler):
    server_version = "pcanb-sandbox"
    protocol_version = "HTTP/1.1"
    # A request line that names no version is still answered with a status line and headers
    # (http.server would answer it as HTTP/0.9: a bare body).
    default_request_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    sandbox: Any = None

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, TimeoutError) as error:
            # The client went away (or stalled) mid-request or mid-answer: nothing to answer.
            logger.info("%s connection dropped: %s", self.address_string(), error)
            self.close_connection = True
        finally:
            # One thread per connection: its database connection and lock file go with it.
            self.sandbox.store.close()

    def version_string(self) -> str:
        return self.server_version  # not the Python version

    def handle_one_request(self) -> None:
        # A refusal before this request's line and headers are read (a line over 64 KiB, a
        # header section too large) must not see the previous request's on this connection.
        self.headers, self.path = _NO_HEADERS, ""
        super().handle_one_request()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line, headers too large, an unknown
        method) as AWS errors, like every other answer."""
        text = ": ".join(part for part in (message, explain) if part) or HTTPStatus(code).phrase
        if getattr(self, "raw_requestline", b"")[:1] == b"\x16":  # a TLS handshake record
            text = "This endpoint speaks plain HTTP: use http://, not https://."
        self._refuse(BadRequest(code, text))

    def _check_headers(self) -> None:
        """RFC 9112's rules for the header section and the message's framing (§3.2, §5, §6):
        what a lenient reading would let one request hide another (request smuggling)."""
        if self.headers.defects:
            raise BadRequest(400, "Malformed header section (a line that is not name: value).")
        for name, value in self.headers.raw_items():
            if not _TOKEN.fullmatch(name):
                raise BadRequest(400, f"Malformed header field name {name!r}.")
            if _FORBIDDEN_IN_VALUE.search(value):
                raise BadRequest(400, f"The {name} header holds a control character.")
        hosts = self.headers.get_all("Host") or []
        if len(hosts) > 1 or (not hosts and self.request_version == "HTTP/1.1"):
            raise BadRequest(400, "An HTTP/1.1 request needs exactly one Host header.")
        lengths = {
            value.strip()
            for header in self.headers.get_all("Content-Length") or []
            for value in header.split(",")
        }
        if len(lengths) > 1:
            raise BadRequest(400, f"Conflicting Content-Length values: {sorted(lengths)}.")
        codings = [
            coding.strip().lower()
            for header in self.headers.get_all("Transfer-Encoding") or []
            for coding in header.split(",")
        ]
        if codings and lengths:
            raise BadRequest(
                400, "A request must not carry both Content-Length and Transfer-Encoding."
            )
        if codings and codings[-1] != "chunked":
            raise BadRequest(400, "Transfer-Encoding must end with chunked.")
        if len(codings) > 1:
            raise BadRequest(501, f"Transfer-Encoding {', '.join(codings)!r} is not supported.")

    def _body(self) -> bytes:
        """The request body: Content-Length or chunked transfer coding (RFC 9112 §7.1)."""
        if self.headers.get("Transfer-Encoding"):  # exactly "chunked" (checked above)
            return self._chunked_body()
        raw = self.headers.get("Content-Length")
        if raw is None or raw.strip() == "":
            return b""
        raw = raw.split(",", 1)[0].strip()  # repeated values agree (checked above)
        if not raw.isdigit():
            raise BadRequest(400, f"Content-Length {raw!r} is not a number of bytes.")
        length = int(raw)
        if length > MAX_BODY:
            raise BadRequest(413, f"The request body ({length} bytes) is larger than {MAX_BODY}.")
        body = self.rfile.read(length)
        if len(body) != length:
            raise BadRequest(
                400, f"The request ended after {len(body)} of {length} bytes.", "IncompleteBody"
            )
        return body

    def _chunked_body(self) -> bytes:
        # http.server reads only Content-Length bodies; chunked coding is a few lines.
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise BadRequest(400, "Malformed chunk size in a chunked request body.") from None
            if size < 0:
                raise BadRequest(400, "Malformed chunk size in a chunked request body.")
            total += size
            if total > MAX_BODY:
                raise BadRequest(413, f"The request body is larger than {MAX_BODY} bytes.")
            if size == 0:
                while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields
                return b"".join(chunks)
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise BadRequest(400, "A chunk of the request body is truncated.")
            chunks.append(chunk)

    def _refuse(self, error: BadRequest) -> None:
        """Answer a request that cannot be served, then close the connection (what is left of
        the request on it cannot be trusted)."""
        request_headers: Any = self.headers
        if self.headers is _NO_HEADERS and self.path.startswith("/service/"):
            request_headers = {"smithy-protocol": "rpc-v2-cbor"}  # the path names the protocol
        status, headers, payload = protocol_error(
            request_headers, error.status, str(error), error.s3_code
        )
        self.close_connection = True
        self._start_answer(status, headers)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _answer(self) -> None:
        try:
            self._check_headers()
            body = self._body()
        except BadRequest as error:
            self._refuse(error)
            return
        headers = {k: v for k, v in self.headers.items()}
        if self.path.lower().startswith(("http://", "https://")):
            url = self.path  # absolute form: its authority stands for Host (RFC 9112 §3.2.2)
            headers["Host"] = urlsplit(url).netloc
        else:
            host = self.headers.get("Host", f"127.0.0.1:{self.server.server_address[1]}")
            url = f"http://{host}{self.path}"
        if self.headers.get("Content-Type", "").startswith("application/ocsp-request") or (
            self.command == "GET" and self.path.startswith("/ocsp/")
        ):
            path = self.path.removeprefix("/ocsp")
            status, out_headers, payload = self.sandbox.fetch(
                self.command,
                f"http://ocsp.acm-pca.{self.sandbox.default_region}.amazonaws.com{path}",
                body,
            )
        else:
            status, out_headers, payload = self.sandbox.handle(self.command, url, headers, body)
        self._start_answer(status, out_headers)
        length = str(len(payload))
        for name, value in out_headers.items():
            if name.lower() == "content-length" and self.command == "HEAD":
                length = value  # the size a GET would send (HeadObject), with no body
            elif name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _start_answer(self, status: int, headers: dict[str, str]) -> None:
        """The status line, and Server and Date unless the answer has its own (S3's do)."""
        self.log_request(status)
        self.send_response_only(status)
        names = {name.lower() for name in headers}
        if "server" not in names:
            self.send_header("Server", self.version_string())
        if "date" not in names:
            self.send_header("Date", self.date_time_string())

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _answer


def make_server(
    sandbox: Any, host: str = "127.0.0.1", port: int = 0, *, idle_timeout: float = IDLE_TIMEOUT
) -> ThreadingHTTPServer:
    """An HTTP server for ``sandbox`` (port 0 picks a free port: see ``server.server_address``).

    ``idle_timeout``: seconds a connection may stall (idle keep-alive, or a body that does not
    arrive) before it is dropped.
    """
    handler = type("SandboxHandler", (_Handler,), {"sandbox": sandbox, "timeout": idle_timeout})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve_in_thread(
    sandbox: Any, host: str = "127.0.0.1", port: int = 0, *, idle_timeout: float = IDLE_TIMEOUT
) -> tuple[ThreadingHTTPServer, str]:
    """Start serving in a daemon thread; returns the server and its endpoint URL."""
    server = make_server(sandbox, host, port, idle_timeout=idle_timeout)
    thread = threading.Thread(target=server.serve_forever, name="pcanb-sandbox-http", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return server, f"http://{bound_host}:{bound_port}"
