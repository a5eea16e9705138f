"""AWS's ASN1Subject and GeneralName structures: the rules the model cannot state, and their
encoding into cryptography objects (or DER, where cryptography has no type)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, ObjectIdentifier

from pcanb.sandbox.errors import InvalidArgsException
from pcanb.x509 import der, parse_errors
from pcanb.x509.names import subject_to_name


def check_subject(subject: Mapping[str, Any]) -> None:
    """ASN1Subject rules the model cannot express (CreateCertificateAuthority's Subject,
    ApiPassthrough.Subject, a DirectoryName)."""
    standard = [k for k, v in subject.items() if k != "CustomAttributes" and v]
    if subject.get("CustomAttributes") and standard:
        raise InvalidArgsException(
            "Subject CustomAttributes cannot be combined with standard attributes "
            f"({', '.join(standard)}); put every attribute in CustomAttributes or none."
        )
    if not standard and not subject.get("CustomAttributes"):
        raise InvalidArgsException("The Subject must contain at least one attribute.")


@dataclass(frozen=True)
class EdiPartyName:
    """An EDIPartyName GeneralName, which cryptography has no class for; it is written as DER.

    ``[5] IMPLICIT SEQUENCE { nameAssigner [0] DirectoryString OPTIONAL, partyName [1]
    DirectoryString }`` (RFC 5280 4.2.1.6). The [0]/[1] tags are explicit because
    DirectoryString is a CHOICE; DirectoryString is written as UTF8String [inferred].
    """

    party_name: str
    name_assigner: str | None = None

    @property
    def der(self) -> bytes:
        body = b""
        if self.name_assigner is not None:
            body += der.tlv(0xA0, der.tlv(der.UTF8_STRING, self.name_assigner.encode()))
        body += der.tlv(0xA1, der.tlv(der.UTF8_STRING, self.party_name.encode()))
        return der.tlv(0xA5, body)


Name = x509.GeneralName | EdiPartyName


def general_name(spec: Mapping[str, Any]) -> Name:
    """The GeneralName for AWS's GeneralName structure (exactly one member set)."""
    chosen = [k for k, v in spec.items() if v is not None]
    if len(chosen) != 1:
        raise InvalidArgsException(
            f"A GeneralName must have exactly one member set; got {sorted(chosen) or 'none'}."
        )
    kind, value = chosen[0], spec[chosen[0]]
    try:
        return _general_name(kind, value)
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidArgsException(
            f"The {kind} value {value!r} is not valid: {parse_errors.reason(exc)}."
        ) from None


def _general_name(kind: str, value: Any) -> Name:
    if kind == "DnsName":
        return x509.DNSName(value)
    if kind == "Rfc822Name":
        return x509.RFC822Name(value)
    if kind == "UniformResourceIdentifier":
        return x509.UniformResourceIdentifier(value)
    if kind == "IpAddress":
        return x509.IPAddress(ipaddress.ip_address(value))
    if kind == "RegisteredId":
        return x509.RegisteredID(ObjectIdentifier(value))
    if kind == "DirectoryName":
        check_subject(value)
        return x509.DirectoryName(subject_to_name(value))
    if kind == "OtherName":
        text = der.tlv(der.UTF8_STRING, value["Value"].encode())
        return x509.OtherName(ObjectIdentifier(value["TypeId"]), text)
    if kind == "EdiPartyName":
        return EdiPartyName(value["PartyName"], value.get("NameAssigner"))
    raise InvalidArgsException(f"GeneralName type {kind} is not supported by the pcanb sandbox.")


def _name_der(name: Name) -> bytes:
    """The DER of one GeneralName (cryptography encodes its own types inside a SEQUENCE)."""
    if isinstance(name, EdiPartyName):
        return name.der
    sequence = x509.SubjectAlternativeName([name]).public_bytes()
    _, start, end = der.read(sequence)
    return sequence[start:end]


def subject_alternative_name(items: list[Mapping[str, Any]]) -> x509.ExtensionType:
    """The SAN extension for a list of AWS GeneralNames; raw DER when one is an EdiPartyName."""
    names = [general_name(item) for item in items]
    if not any(isinstance(n, EdiPartyName) for n in names):
        return x509.SubjectAlternativeName(names)
    body = b"".join(_name_der(n) for n in names)
    return x509.UnrecognizedExtension(
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME, der.tlv(der.SEQUENCE, body)
    )


def information_access(
    pairs: list[tuple[ObjectIdentifier, Name]],
) -> x509.ExtensionType:
    """The SubjectInformationAccess extension; raw DER when a location is an EdiPartyName."""
    if not any(isinstance(location, EdiPartyName) for _, location in pairs):
        return x509.SubjectInformationAccess(
            [x509.AccessDescription(method, location) for method, location in pairs]
        )
    body = b"".join(
        der.tlv(der.SEQUENCE, der.oid(method.dotted_string) + _name_der(location))
        for method, location in pairs
    )
    return x509.UnrecognizedExtension(
        ExtensionOID.SUBJECT_INFORMATION_ACCESS, der.tlv(der.SEQUENCE, body)
    )
