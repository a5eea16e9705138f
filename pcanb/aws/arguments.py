"""Turning what a person passes (objects, names, dicts) into what the AWS API takes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography import x509

from pcanb.errors import PcanbError
from pcanb.vocab import TEMPLATE_NAMES, template_arn
from pcanb.x509.csr import general_name


def ca_arn(ca: Any) -> str:
    """A CA ARN from a string, a CertificateAuthority, an IssuedCertificate or a frame row."""
    if isinstance(ca, str):
        return ca
    if hasattr(ca, "columns") and hasattr(ca, "iloc"):  # a DataFrame: only a one-row one is a CA
        if len(ca) != 1 or "arn" not in ca.columns:
            raise PcanbError(
                f"expected one certificate authority, got a frame of {len(ca)} rows; "
                "pass one row (frame.iloc[0]) or an ARN"
            )
        return str(ca["arn"].iloc[0])
    for attribute in ("ca_arn", "arn"):
        value = getattr(ca, attribute, None)
        if isinstance(value, str) and "/certificate/" not in value:
            return value
    if isinstance(ca, Mapping) and "arn" in ca:
        return str(ca["arn"])
    if hasattr(ca, "get") and ca.get("arn") is not None:  # a pandas Series (one frame row)
        return str(ca.get("arn"))
    raise PcanbError(
        f"expected a certificate authority (its ARN, or an object from pcanb), got {type(ca).__name__}"
    )


def certificate_arn(certificate: Any) -> str:
    if isinstance(certificate, str):
        return certificate
    value = getattr(certificate, "arn", None)
    if isinstance(value, str):
        return value
    raise PcanbError("expected a certificate ARN or an IssuedCertificate from pcanb")


def template(value: str | None) -> str | None:
    """A template ARN from a template name (``EndEntityServerAuthCertificate``) or ARN."""
    if value is None:
        return value
    if not isinstance(value, str):
        raise PcanbError(
            f"template must be a template name (EndEntityServerAuthCertificate) or ARN, "
            f"not {type(value).__name__}"
        )
    if value.startswith("arn:"):
        return value
    name = value.removesuffix("/V1")
    if name not in TEMPLATE_NAMES:
        raise PcanbError(
            f"unknown certificate template {value!r}; see pcanb.vocab.TEMPLATE_NAMES "
            "(e.g. EndEntityServerAuthCertificate, SubordinateCACertificate_PathLen0)"
        )
    return template_arn(name)


def tags(value: Mapping[str, str | None] | Iterable[Mapping[str, str]] | None) -> list[dict] | None:
    """AWS Tags from ``{"key": "value"}`` or a list of ``{"Key", "Value"}``."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return [{"Key": k, **({"Value": v} if v is not None else {})} for k, v in value.items()]
    return [dict(t) for t in value]


def pem_bytes(value: Any) -> bytes:
    """PEM bytes from a decoded object (``.pem``), text or bytes."""
    if hasattr(value, "pem"):
        value = value.pem
    elif hasattr(value, "public_bytes"):  # a cryptography certificate or CSR
        from cryptography.hazmat.primitives.serialization import Encoding

        value = value.public_bytes(Encoding.PEM)
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    raise PcanbError(
        f"expected PEM text, bytes or a decoded pcanb object, got {type(value).__name__}"
    )


def check_choice(
    name: str, value: str | None, choices: tuple[str, ...], *, required: bool = False
) -> None:
    """A PcanbError naming the valid choices when ``value`` is not one of them (``None`` is
    accepted unless ``required``)."""
    if (value is not None or required) and value not in choices:
        raise PcanbError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def san_list(sans: Any) -> list[str]:
    """SANs as a list of strings: one string is one SAN (``"DNS:api.example.com"``), never
    split into characters. Each must be a DNS name, IP address, email address or URI
    (:func:`pcanb.x509.csr.general_name`), else a PcanbError names it."""
    if sans is None:
        return []
    if isinstance(sans, str):
        return [sans]
    if isinstance(sans, bytes | bytearray | Mapping) or not isinstance(sans, Iterable):
        raise PcanbError(
            f"sans must be a list of names (['api.example.com', 'IP:10.0.0.1']), "
            f"not {type(sans).__name__}"
        )
    out = list(sans)
    for name in out:
        if not isinstance(name, str):
            raise PcanbError(
                f"each SAN must be a string such as 'DNS:api.example.com', not {name!r}"
            )
        general_name(name)  # refuses what is no name, before any call is made
    return out


def text(name: str, value: Any) -> str | None:
    """``value`` when it is a string (or ``None``); a PcanbError naming ``name`` otherwise."""
    if value is not None and not isinstance(value, str):
        raise PcanbError(f"{name} must be a string, not {type(value).__name__} ({value!r:.40})")
    return value


#: Characters no name the toolkit writes into a certificate may hold: C0 controls, DEL, C1
#: controls, and the Unicode bidi controls (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069).
#: A NUL makes ``www.bank.example\x00.evil.com`` read as ``www.bank.example`` to C code (the
#: NUL-prefix certificate attack); a bidi override makes a name display as another.
_NOT_IN_NAMES = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def name_text(name: str, value: Any) -> Any:
    """``value``; a PcanbError when it is a string holding a character :data:`_NOT_IN_NAMES`
    refuses, naming ``name``, the character and where it is."""
    if isinstance(value, str) and (found := _NOT_IN_NAMES.search(value)):
        char = found.group()
        label = unicodedata.name(char, "a control character")
        raise PcanbError(
            f"{name} {value[:80]!r} holds U+{ord(char):04X} ({label}) at position "
            f"{found.start()}: a certificate name may not contain control characters (C0, DEL, "
            "C1) or Unicode bidi controls, which make it read or display as another name "
            "(e.g. 'www.bank.example\\x00.evil.com' read as 'www.bank.example'); remove it"
        )
    return value


def subject_texts(subject: Any) -> None:
    """Check every text of a subject (an ASN1Subject dict or an ``x509.Name``) with
    :func:`name_text`."""
    if isinstance(subject, x509.Name):
        for attribute in subject:
            name_text(f"subject {attribute.oid._name}", attribute.value)
    elif isinstance(subject, Mapping):
        for field, value in subject.items():
            if field == "CustomAttributes" and isinstance(value, Iterable):
                for custom in value:
                    if isinstance(custom, Mapping):
                        oid = custom.get("ObjectIdentifier")
                        name_text(f"subject custom attribute {oid}", custom.get("Value"))
            else:
                name_text(f"subject {field}", value)


def compact(**params: Any) -> dict[str, Any]:
    """Request parameters with the unset (``None``) ones left out."""
    return {k: v for k, v in params.items() if v is not None}
