"""The public HTTP endpoints certificates point at: CRL distribution points and OCSP responders.

``fetch(sandbox, method, url, body)`` answers what an HTTP client would get from those URLs
on AWS: the CRL object from the S3 bucket (only when it is public, as S3 decides for an
anonymous caller) or from a CustomCname in front of it, and the OCSP responder at
``ocsp.acm-pca.<region>.amazonaws.com`` (or an OcspCustomCname).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import unquote, urlsplit

from pcanb.sandbox import ocsp
from pcanb.vocab import s3_object_of

_OCSP_HOST = re.compile(r"^ocsp\.acm-pca\.[a-z0-9-]+\.amazonaws\.com$")


def _cnames(sandbox: Any) -> tuple[set[str], dict[str, str]]:
    """OCSP custom CNAMEs, and CRL custom CNAME → bucket, over every CA in the sandbox."""
    ocsp_names: set[str] = set()
    crl_names: dict[str, str] = {}
    with sandbox.store.read() as db:
        for (doc,) in db.execute("SELECT doc FROM cas"):
            config = json.loads(doc)["RevocationConfiguration"]
            if config["OcspConfiguration"].get("OcspCustomCname"):
                ocsp_names.add(config["OcspConfiguration"]["OcspCustomCname"].lower())
            crl = config["CrlConfiguration"]
            if crl.get("CustomCname"):
                crl_names[crl["CustomCname"].lower()] = crl["S3BucketName"]
    return ocsp_names, crl_names


def _ocsp(sandbox: Any, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    if method == "GET":
        encoded = unquote(path.lstrip("/"))
        try:
            body = base64.b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            body = b""
    with sandbox.store.read() as db:
        delay = float(sandbox.engine.settings(db).get("ocsp_delay", 0))
        answer = ocsp.respond(db, sandbox.clock.now(db), body, delay=max(delay, 0.0))
    return 200, {"Content-Type": "application/ocsp-response"}, answer


def fetch(
    sandbox: Any, method: str, url: str, body: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    """Answer a plain (unsigned) HTTP request to a CDP or OCSP URL."""
    sandbox.engine.tick()
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    ocsp_names, crl_names = _cnames(sandbox)
    if _OCSP_HOST.match(host) or host in ocsp_names:
        return _ocsp(sandbox, method, parts.path, body)
    if host in crl_names:
        # A CustomCname stands for a CDN in front of the bucket (CloudFront with origin access),
        # which reads the bucket whatever its public access: the CRL is served.
        key = unquote(parts.path.lstrip("/"))
        try:
            data = sandbox.s3.get_object(crl_names[host], key)
        except KeyError:
            return (
                404,
                {"Content-Type": "application/xml"},
                b"<Error><Code>NoSuchKey</Code></Error>",
            )
        content_type = "application/pkix-crl" if key.endswith(".crl") else "binary/octet-stream"
        return 200, {"Content-Type": content_type}, data
    if s3_object_of(url) is not None:
        # S3 itself: an anonymous GET, answered as S3 answers one (403 unless the object is
        # public through its ACL or the bucket policy, and Block Public Access allows it).
        return sandbox.s3.handle(method, url, {"Host": parts.netloc}, b"")
    return 404, {"Content-Type": "text/plain"}, f"no sandbox endpoint answers {host}".encode()
