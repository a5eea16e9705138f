"""``pcanb sandbox serve``: the sandbox over HTTP on 127.0.0.1, for the AWS CLI and other SDKs.

One endpoint speaks both APIs: AWS JSON 1.1 requests (``X-Amz-Target: ACMPrivateCA.*``) and
Smithy RPC v2 CBOR requests (``POST /service/ACMPrivateCA/operation/<Op>`` with
``smithy-protocol: rpc-v2-cbor``; needs ``pcanb[serve]``) go to the Private CA engine, OCSP
requests (``Content-Type: application/ocsp-request``) to the responder, and everything else is
S3 (path-style: ``http://127.0.0.1:<port>/<bucket>/<key>``).
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    server_version = "pcanb-sandbox"
    protocol_version = "HTTP/1.1"
    sandbox: Any = None

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.address_string(), format % args)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self) -> None:
        body = self._body()
        headers = {k: v for k, v in self.headers.items()}
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
        self.send_response(status)
        for name, value in out_headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(0 if self.command == "HEAD" else len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _answer


def make_server(sandbox: Any, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server for ``sandbox`` (port 0 picks a free port: see ``server.server_address``)."""
    handler = type("SandboxHandler", (_Handler,), {"sandbox": sandbox})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve_in_thread(
    sandbox: Any, host: str = "127.0.0.1", port: int = 0
) -> tuple[ThreadingHTTPServer, str]:
    """Start serving in a daemon thread; returns the server and its endpoint URL."""
    server = make_server(sandbox, host, port)
    thread = threading.Thread(target=server.serve_forever, name="pcanb-sandbox-http", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    return server, f"http://{bound_host}:{bound_port}"
