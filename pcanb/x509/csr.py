"""Make keys and certificate signing requests locally, the way a person would with OpenSSL."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from pcanb.errors import PcanbError
from pcanb.vocab import DEFAULT_SIGNING_ALGORITHM
from pcanb.x509.keys import PrivateKey, generate_private_key, key_algorithm_of, sign_arguments
from pcanb.x509.names import subject_to_name

__all__ = ["build_csr", "dns_name", "general_name", "generate_private_key", "private_key_pem"]


#: A DNS label as certificates carry it (LDH, plus ``_`` as seen in service names), 1–63 long.
_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
#: A URI scheme (RFC 3986 §3.1) followed by the rest, without spaces or control characters.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f]+")
_SAN_FORMS = (
    "pass a DNS name ('api.example.com', '*.example.com'), an IP address ('10.0.0.1'), an "
    "email address ('ops@example.com') or a URI ('spiffe://example.com/web'), optionally with "
    "its type first ('DNS:…', 'IP:…', 'email:…', 'URI:…')"
)


def dns_name(value: str, *, wildcard: bool = True) -> str:
    """``value`` as a DNS name a certificate can carry: internationalized labels become
    A-labels (``bücher.example`` → ``xn--bcher-kva.example``) with Python's ``idna`` codec,
    which implements IDNA 2003 (RFC 3490); a leading ``*.`` is kept when ``wildcard``.
    :class:`~pcanb.errors.PcanbError` when it is not a DNS name."""
    prefix, rest = ("*.", value[2:]) if wildcard and value.startswith("*.") else ("", value)
    try:
        ascii_name = rest if rest.isascii() else rest.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_name = ""
    labels = ascii_name.split(".")
    if not ascii_name or len(ascii_name) > 253 or not all(_LABEL.fullmatch(x) for x in labels):
        raise PcanbError(f"{value[:80]!r} is not a DNS name; {_SAN_FORMS}")
    return prefix + ascii_name


def general_name(text: str) -> x509.GeneralName:
    """A SAN from ``DNS:x``, ``IP:x``, ``email:x``, ``URI:x`` or a bare value (type guessed).

    Internationalized DNS names (and email domains) are encoded to A-labels with IDNA 2003
    (see :func:`dns_name`). A value that is no DNS name, IP address, email address or URI
    raises :class:`~pcanb.errors.PcanbError`.
    """
    kind, sep, value = text.partition(":")
    if sep and kind.upper() in {"DNS", "IP", "EMAIL", "URI"}:
        kind = kind.upper()
    else:
        value = text
        try:
            ipaddress.ip_address(text)
            kind = "IP"
        except ValueError:
            kind = "URI" if "://" in text else "EMAIL" if "@" in text else "DNS"
    if kind == "DNS":
        return x509.DNSName(dns_name(value))
    if kind == "IP":
        try:
            return x509.IPAddress(ipaddress.ip_address(value))
        except ValueError:
            raise PcanbError(f"{value[:80]!r} is not an IP address; {_SAN_FORMS}") from None
    if kind == "EMAIL":
        local, at, domain = value.rpartition("@")
        if not (at and local and local.isascii() and local.isprintable()) or " " in local:
            raise PcanbError(f"{value[:80]!r} is not an email address; {_SAN_FORMS}")
        try:
            ascii_domain = dns_name(domain, wildcard=False)
        except PcanbError:
            raise PcanbError(
                f"{value[:80]!r} is not an email address: its domain {domain[:80]!r} is not a "
                f"DNS name; {_SAN_FORMS}"
            ) from None
        return x509.RFC822Name(f"{local}@{ascii_domain}")
    if not (value.isascii() and _URI.fullmatch(value)):
        raise PcanbError(
            f"{value[:80]!r} is not a URI (ASCII, a scheme such as https:, no spaces); {_SAN_FORMS}"
        )
    return x509.UniformResourceIdentifier(value)


def _name(subject: x509.Name | Mapping[str, Any] | str | None) -> x509.Name:
    if subject is None:
        return x509.Name([])
    if isinstance(subject, x509.Name):
        return subject
    if isinstance(subject, str):
        try:
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        except ValueError as error:  # e.g. longer than X.520's 64 characters
            raise PcanbError(f"common name {subject[:40]!r}…: {error}") from None
    return subject_to_name(subject)


def build_csr(
    key: PrivateKey,
    subject: x509.Name | Mapping[str, Any] | str | None,
    sans: Iterable[str] = (),
    *,
    signing_algorithm: str | None = None,
    extensions: Iterable[tuple[x509.ExtensionType, bool]] = (),
) -> x509.CertificateSigningRequest:
    """A CSR for ``key``; ``subject`` is a common name, an ASN1Subject dict or an ``x509.Name``."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(_name(subject))
    names = [general_name(s) for s in sans]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    if signing_algorithm is None:
        signing_algorithm = DEFAULT_SIGNING_ALGORITHM.get(
            key_algorithm_of(key) or "", "SHA256WITHRSA"
        )
    return builder.sign(key, **sign_arguments(signing_algorithm))


def private_key_pem(key: PrivateKey) -> str:
    """The unencrypted PKCS#8 PEM of a private key."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
