"""Extensions read from the DER when cryptography refuses them.

cryptography has no EDIPartyName (or x400Address) GeneralName and will not parse the extensions
of a certificate or CSR that holds one (``UnsupportedGeneralNameType``); the sandbox still has to
read such a CA's basicConstraints and subjectKeyIdentifier and pass the rest through unchanged.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, ObjectIdentifier

from pcanb.x509.der import BOOLEAN, INTEGER, children, oid_text, read

_EXTENSION_REQUEST = ObjectIdentifier("1.2.840.113549.1.9.14")
_TBS_EXTENSIONS = 0xA3  # [3] EXPLICIT Extensions in TBSCertificate


def extensions_of(
    obj: x509.Certificate | x509.CertificateSigningRequest,
) -> list[x509.Extension]:
    """The extensions of a certificate or CSR. When one holds a GeneralName cryptography does
    not support (EDIPartyName, x400Address), every extension is read from the DER instead: the
    ones the sandbox reads (basicConstraints, subjectKeyIdentifier) decoded, the rest kept as
    ``UnrecognizedExtension`` with their bytes unchanged."""
    try:
        return list(obj.extensions)
    except x509.UnsupportedGeneralNameType:
        pass
    if isinstance(obj, x509.Certificate):
        der = obj.tbs_certificate_bytes
        _, start, end = read(der)
        wrapper = [c for c in children(der, start, end) if c[0] == _TBS_EXTENSIONS]
        if not wrapper:
            return []
        _, start, _ = read(der, wrapper[0][1])  # [3] holds the Extensions SEQUENCE
        return _raw_extensions(der, start, wrapper[0][2])
    # cryptography gives the extensionRequest value as the contents of its SEQUENCE.
    attribute = obj.attributes.get_attribute_for_oid(_EXTENSION_REQUEST).value
    return _raw_extensions(attribute, 0, len(attribute))


def find(obj: x509.Certificate | x509.CertificateSigningRequest, kind: type[Any]) -> Any | None:
    """The value of ``obj``'s extension of class ``kind`` (``None`` when it has none)."""
    for extension in extensions_of(obj):
        if isinstance(extension.value, kind):
            return extension.value
    return None


def _raw_extensions(data: bytes, start: int, end: int) -> list[x509.Extension]:
    """The Extension elements between ``start`` and ``end``."""
    out = []
    for _, ext_start, ext_end in children(data, start, end):
        parts = children(data, ext_start, ext_end)
        identifier = ObjectIdentifier(oid_text(data[parts[0][1] : parts[0][2]]))
        critical = len(parts) == 3 and data[parts[1][1] : parts[1][2]] == b"\xff"
        _, value_start, value_end = parts[-1]
        out.append(_extension(identifier, critical, data[value_start:value_end]))
    return out


def _extension(identifier: ObjectIdentifier, critical: bool, value: bytes) -> x509.Extension:
    if identifier == ExtensionOID.BASIC_CONSTRAINTS:
        parsed: x509.ExtensionType = _basic_constraints(value)
    elif identifier == ExtensionOID.SUBJECT_KEY_IDENTIFIER:
        _, start, end = read(value)
        parsed = x509.SubjectKeyIdentifier(value[start:end])
    else:
        parsed = x509.UnrecognizedExtension(identifier, value)
    return x509.Extension(identifier, critical, parsed)


def _basic_constraints(value: bytes) -> x509.BasicConstraints:
    _, start, end = read(value)
    ca, path_length = False, None
    for tag, part_start, part_end in children(value, start, end):
        if tag == BOOLEAN:
            ca = value[part_start:part_end] == b"\xff"
        elif tag == INTEGER:
            path_length = int.from_bytes(value[part_start:part_end], "big")
    return x509.BasicConstraints(ca, path_length if ca else None)
