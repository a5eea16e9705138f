"""Make keys and certificate signing requests locally, the way a person would with OpenSSL."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from pcanb.errors import PcanbError
from pcanb.vocab import DEFAULT_SIGNING_ALGORITHM
from pcanb.x509.keys import PrivateKey, generate_private_key, key_algorithm_of, sign_arguments
from pcanb.x509.names import subject_to_name

__all__ = ["build_csr", "general_name", "generate_private_key", "private_key_pem"]


def general_name(text: str) -> x509.GeneralName:
    """A SAN from ``DNS:x``, ``IP:x``, ``email:x``, ``URI:x`` or a bare value (type guessed)."""
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
        return x509.DNSName(value)
    if kind == "IP":
        return x509.IPAddress(ipaddress.ip_address(value))
    if kind == "EMAIL":
        return x509.RFC822Name(value)
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
