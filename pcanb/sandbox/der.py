"""A minimal DER reader and writer, for the few structures cryptography cannot build or read.

cryptography has no EDIPartyName GeneralName and refuses to parse extensions that carry one
(``UnsupportedGeneralNameType``), and it has no call that checks arbitrary bytes are DER.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, ObjectIdentifier

SEQUENCE = 0x30
UTF8_STRING = 0x0C
_BOOLEAN = 0x01
_INTEGER = 0x02
_OID = 0x06
_EXTENSION_REQUEST = ObjectIdentifier("1.2.840.113549.1.9.14")
_TBS_EXTENSIONS = 0xA3  # [3] EXPLICIT Extensions in TBSCertificate


def tlv(tag: int, body: bytes) -> bytes:
    """One DER element (short or long form length)."""
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def oid(dotted: str) -> bytes:
    """The DER OBJECT IDENTIFIER for a dotted string."""
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray()
    for number in [parts[0] * 40 + parts[1], *parts[2:]]:
        chunk = [number & 0x7F]
        number >>= 7
        while number:
            chunk.append(0x80 | (number & 0x7F))
            number >>= 7
        body += bytes(reversed(chunk))
    return tlv(_OID, bytes(body))


def read(data: bytes, offset: int = 0) -> tuple[int, int, int]:
    """(tag, start of the contents, end of the element) of the element at ``offset``.

    ``ValueError`` for a truncated element, an indefinite or non-minimal length, or a
    multi-byte tag (none of which DER certificates use).
    """
    if offset + 2 > len(data):
        raise ValueError("truncated DER element")
    tag, first = data[offset], data[offset + 1]
    if tag & 0x1F == 0x1F:
        raise ValueError("multi-byte DER tags are not supported")
    start = offset + 2
    if first < 0x80:
        size = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise ValueError("invalid DER length")
        size = int.from_bytes(data[start : start + count], "big")
        if size < 0x80 or data[start] == 0:
            raise ValueError("non-minimal DER length")
        start += count
    end = start + size
    if end > len(data):
        raise ValueError("truncated DER element")
    return tag, start, end


def is_single_element(data: bytes) -> bool:
    """True when ``data`` is exactly one well-formed DER element (constructed ones walked)."""
    try:
        return _walk(data, 0, len(data), depth=0) and read(data)[2] == len(data)
    except ValueError:
        return False


def _walk(data: bytes, offset: int, end: int, depth: int) -> bool:
    if depth > 32:
        return False
    while offset < end:
        tag, start, stop = read(data, offset)
        if stop > end:
            return False
        if tag & 0x20 and not _walk(data, start, stop, depth + 1):
            return False
        offset = stop
    return True


def children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """(tag, contents start, end) of each element between ``start`` and ``end``."""
    out = []
    while start < end:
        element = read(data, start)
        out.append(element)
        start = element[2]
    return out


def _oid_text(body: bytes) -> str:
    numbers, value = [], 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            numbers.append(value)
            value = 0
    first = min(numbers[0] // 40, 2)
    return ".".join(str(n) for n in [first, numbers[0] - first * 40, *numbers[1:]])


# --- extensions cryptography cannot parse ---------------------------------------------------


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
        identifier = ObjectIdentifier(_oid_text(data[parts[0][1] : parts[0][2]]))
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
        if tag == _BOOLEAN:
            ca = value[part_start:part_end] == b"\xff"
        elif tag == _INTEGER:
            path_length = int.from_bytes(value[part_start:part_end], "big")
    return x509.BasicConstraints(ca, path_length if ca else None)
