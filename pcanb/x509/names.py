"""Distinguished names: AWS's ASN1Subject ↔ ``x509.Name``, and AWS's audit-report spelling."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, ObjectIdentifier

from pcanb.x509 import der

#: ASN1Subject members in the order AWS encodes them, with their OIDs.
SUBJECT_FIELDS: tuple[tuple[str, ObjectIdentifier], ...] = (
    ("Country", NameOID.COUNTRY_NAME),
    ("State", NameOID.STATE_OR_PROVINCE_NAME),
    ("Locality", NameOID.LOCALITY_NAME),
    ("Organization", NameOID.ORGANIZATION_NAME),
    ("OrganizationalUnit", NameOID.ORGANIZATIONAL_UNIT_NAME),
    ("CommonName", NameOID.COMMON_NAME),
    ("DistinguishedNameQualifier", NameOID.DN_QUALIFIER),
    ("Title", NameOID.TITLE),
    ("Surname", NameOID.SURNAME),
    ("GivenName", NameOID.GIVEN_NAME),
    ("Initials", NameOID.INITIALS),
    ("Pseudonym", NameOID.PSEUDONYM),
    ("GenerationQualifier", NameOID.GENERATION_QUALIFIER),
    ("SerialNumber", NameOID.SERIAL_NUMBER),
)
_PRINTABLE = {NameOID.COUNTRY_NAME, NameOID.DN_QUALIFIER, NameOID.SERIAL_NUMBER}
_FIELD_BY_OID = {oid: field for field, oid in SUBJECT_FIELDS}

# Short names Java's X500Principal (which AWS audit reports use) prints; every other
# attribute is printed as <dotted OID>=#<hex of its DER value>.
_AUDIT_SHORT_NAMES = {
    NameOID.COMMON_NAME: "CN",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.LOCALITY_NAME: "L",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.COUNTRY_NAME: "C",
    NameOID.STREET_ADDRESS: "STREET",
    NameOID.DOMAIN_COMPONENT: "DC",
    NameOID.USER_ID: "UID",
}


def subject_to_name(subject: Mapping[str, Any]) -> x509.Name:
    """Build the ``x509.Name`` AWS encodes for an ASN1Subject dict (AWS member names)."""
    attributes: list[x509.NameAttribute] = []
    for field, oid in SUBJECT_FIELDS:
        value = subject.get(field)
        if value:
            asn1 = _ASN1Type.PrintableString if oid in _PRINTABLE else _ASN1Type.UTF8String
            attributes.append(x509.NameAttribute(oid, value, asn1))
    for custom in subject.get("CustomAttributes") or ():
        attributes.append(
            x509.NameAttribute(ObjectIdentifier(custom["ObjectIdentifier"]), custom["Value"])
        )
    return x509.Name(attributes)


def name_to_subject(name: x509.Name) -> dict[str, Any]:
    """The ASN1Subject dict for a name; attributes AWS has no member for become CustomAttributes."""
    subject: dict[str, Any] = {}
    custom: list[dict[str, str]] = []
    for attribute in name:
        field = _FIELD_BY_OID.get(attribute.oid)
        value = attribute.value if isinstance(attribute.value, str) else attribute.value.hex()
        if field and field not in subject:
            subject[field] = value
        else:
            custom.append({"ObjectIdentifier": attribute.oid.dotted_string, "Value": value})
    if custom:
        return {"CustomAttributes": custom + [
            {"ObjectIdentifier": oid.dotted_string, "Value": subject[field]}
            for field, oid in SUBJECT_FIELDS if field in subject
        ]}  # fmt: skip
    return subject


def common_name(name: x509.Name) -> str | None:
    """The first CommonName of a name, or ``None``."""
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else None


_RFC2253_SPECIAL = re.compile(r'[,+"\\<>;]')


def _escape_rfc2253(value: str) -> str:
    if not _RFC2253_SPECIAL.search(value) and value[:1] not in ("#", " ") and value[-1:] != " ":
        return value  # the usual case, without a Python loop over every character
    out = []
    for i, ch in enumerate(value):
        if ch in ',+"\\<>;' or (ch == "#" and i == 0) or (ch == " " and i in (0, len(value) - 1)):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _der_hex(attribute: x509.NameAttribute) -> str:
    """Hex of the DER encoding of one attribute value, as X500Principal prints it after '#'."""
    # cryptography exposes no per-attribute DER, so encode the single-attribute Name and take
    # the value TLV off the end (SET { SEQUENCE { OID, value } }).
    encoded = x509.Name([attribute]).public_bytes()
    oid_der = der.oid(attribute.oid.dotted_string)
    return encoded[encoded.index(oid_der) + len(oid_der) :].hex()


def audit_subject(name: x509.Name) -> str:
    """A name spelt as AWS audit reports spell it (Java X500Principal RFC 2253 form)."""
    rdns = []
    for rdn in reversed(list(name.rdns)):
        parts = []
        for attribute in rdn:
            short = _AUDIT_SHORT_NAMES.get(attribute.oid)
            if short and isinstance(attribute.value, str):
                parts.append(f"{short}={_escape_rfc2253(attribute.value)}")
            else:
                parts.append(f"{attribute.oid.dotted_string}=#{_der_hex(attribute)}")
        rdns.append("+".join(parts))
    return ",".join(rdns)
