"""Extensions read one by one from the DER when cryptography refuses them all at once.

cryptography (50.x) has no GeneralName class for an EDIPartyName or an x400Address: reading
``.extensions`` of a certificate or CSR that holds one in any extension raises
``UnsupportedGeneralNameType`` for every extension, the well-formed ones included. OpenSSL and
AWS Private CA accept such names, so a CA can issue such certificates. Here each Extension is
cut out of the DER and decoded by cryptography on its own, inside a synthetic certificate that
carries only that extension: only the extension that really holds such a name stays undecoded,
as an ``x509.UnrecognizedExtension`` with its bytes unchanged. :func:`general_names` reads the
names of such a subjectAltName or issuerAltName from its DER.

Malformed DER (a truncated element, a repeated extension, a value cryptography cannot parse)
still raises: ``ValueError`` or ``x509.DuplicateExtension``, as cryptography does.
"""

from __future__ import annotations

import ipaddress
from typing import Any, NamedTuple

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, ObjectIdentifier

from pcanb.x509 import der
from pcanb.x509.der import BIT_STRING, BOOLEAN, INTEGER, OBJECT_IDENTIFIER, OCTET_STRING, SEQUENCE

__all__ = ["decode_each", "extensions_of", "find", "general_name_texts", "general_names"]

_EXTENSION_REQUEST = ObjectIdentifier("1.2.840.113549.1.9.14")
_TBS_EXTENSIONS = 0xA3  # [3] EXPLICIT Extensions in TBSCertificate

# The extensions whose value is a GeneralNames SEQUENCE, which general_names() reads.
NAME_LIST_OIDS = frozenset(
    {ExtensionOID.SUBJECT_ALTERNATIVE_NAME, ExtensionOID.ISSUER_ALTERNATIVE_NAME}
)


def extensions_of(
    obj: x509.Certificate | x509.CertificateSigningRequest,
) -> list[x509.Extension]:
    """The extensions of a certificate or CSR, as cryptography decodes them; when it refuses
    them for an EDIPartyName or x400Address, as :func:`decode_each` decodes them."""
    try:
        return list(obj.extensions)
    except x509.UnsupportedGeneralNameType:
        return decode_each(obj)


def find(obj: x509.Certificate | x509.CertificateSigningRequest, kind: type[Any]) -> Any | None:
    """The value of ``obj``'s extension of class ``kind`` (``None`` when it has none)."""
    for extension in extensions_of(obj):
        if isinstance(extension.value, kind):
            return extension.value
    return None


class _Raw(NamedTuple):
    element: bytes  # the whole Extension SEQUENCE, as encoded
    oid: ObjectIdentifier
    critical: bool
    value: bytes  # the extnValue OCTET STRING contents


def decode_each(
    obj: x509.Certificate | x509.CertificateSigningRequest,
) -> list[x509.Extension]:
    """Every extension of ``obj`` read from its DER and decoded by cryptography on its own.

    An extension cryptography refuses for an unsupported GeneralName is kept as an
    ``UnrecognizedExtension`` (its ``value`` the extnValue bytes, unchanged); a subjectAltName
    or issuerAltName kept so is checked to read with :func:`general_names`. ``ValueError`` for
    malformed DER, ``x509.DuplicateExtension`` for an extension given twice.
    """
    out = []
    seen: set[ObjectIdentifier] = set()
    for raw in _raw_extensions(obj):
        if raw.oid in seen:
            raise x509.DuplicateExtension(
                f"Duplicate {raw.oid.dotted_string} extension found", raw.oid
            )
        seen.add(raw.oid)
        out.append(_decode_one(raw))
    return out


def _raw_extensions(obj: x509.Certificate | x509.CertificateSigningRequest) -> list[_Raw]:
    if isinstance(obj, x509.Certificate):
        data = obj.tbs_certificate_bytes
        _, start, end = der.expect(data, 0, SEQUENCE)
        wrapper = [c for c in der.children(data, start, end) if c[0] == _TBS_EXTENSIONS]
        if not wrapper:
            return []
        _, start, end = der.expect(data, wrapper[0][1], SEQUENCE)  # [3] holds one SEQUENCE
        return _extension_elements(data, start, end)
    try:
        attribute = obj.attributes.get_attribute_for_oid(_EXTENSION_REQUEST)
    except x509.AttributeNotFound:
        return []
    # cryptography gives the extensionRequest value as the contents of its SEQUENCE.
    return _extension_elements(attribute.value, 0, len(attribute.value))


def _extension_elements(data: bytes, start: int, end: int) -> list[_Raw]:
    """The Extension elements between ``start`` and ``end``, checked to be well-formed."""
    out = []
    position = start
    while position < end:
        tag, body, stop = der.read(data, position)
        if tag != SEQUENCE or stop > end:
            raise ValueError("an Extension is not a SEQUENCE")
        parts = der.children(data, body, stop)
        tags = [part[0] for part in parts]
        if tags not in (
            [OBJECT_IDENTIFIER, OCTET_STRING],
            [OBJECT_IDENTIFIER, BOOLEAN, OCTET_STRING],
        ):
            raise ValueError("an Extension is not extnID, critical, extnValue")
        if parts[-1][2] > stop:
            raise ValueError("an Extension's value runs past its end")
        identifier = ObjectIdentifier(der.oid_text(data[parts[0][1] : parts[0][2]]))
        critical = len(parts) == 3 and data[parts[1][1] : parts[1][2]] == b"\xff"
        value = data[parts[-1][1] : parts[-1][2]]
        out.append(_Raw(data[position:stop], identifier, critical, value))
        position = stop
    return out


def _decode_one(raw: _Raw) -> x509.Extension:
    try:
        # cryptography decodes extensions only as part of a certificate, CSR or CRL: the one
        # extension goes into a synthetic certificate (never verified, so never signed).
        return _synthetic_certificate(extension=raw.element).extensions[0]
    except x509.UnsupportedGeneralNameType:
        pass
    if raw.oid in NAME_LIST_OIDS:
        general_names(raw.value)  # ValueError unless the names read
    return x509.Extension(raw.oid, raw.critical, x509.UnrecognizedExtension(raw.oid, raw.value))


# --- a synthetic certificate -------------------------------------------------------------------

_ECDSA_WITH_SHA256 = der.tlv(SEQUENCE, der.oid("1.2.840.10045.4.3.2"))
_EMPTY_NAME = der.tlv(SEQUENCE, b"")
_TIME = der.tlv(0x17, b"000101000000Z")  # UTCTime
# A P-256 key (the curve's generator point): the key is a valid point, though nobody holds it.
_SPKI = der.tlv(
    SEQUENCE,
    der.tlv(SEQUENCE, der.oid("1.2.840.10045.2.1") + der.oid("1.2.840.10045.3.1.7"))
    + der.tlv(
        BIT_STRING,
        bytes.fromhex(
            "0004"
            "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
            "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
        ),
    ),
)


def _synthetic_certificate(
    *, extension: bytes = b"", issuer: bytes = _EMPTY_NAME
) -> x509.Certificate:
    """A v3 certificate holding ``extension`` (one Extension's DER) and ``issuer`` (a Name's
    DER); its signature is not a signature, which loading does not check."""
    tbs = (
        der.tlv(0xA0, der.tlv(INTEGER, b"\x02"))  # version v3
        + der.tlv(INTEGER, b"\x01")
        + _ECDSA_WITH_SHA256
        + issuer
        + der.tlv(SEQUENCE, _TIME + _TIME)
        + _EMPTY_NAME
        + _SPKI
    )
    if extension:
        tbs += der.tlv(_TBS_EXTENSIONS, der.tlv(SEQUENCE, extension))
    body = der.tlv(SEQUENCE, tbs) + _ECDSA_WITH_SHA256 + der.tlv(BIT_STRING, b"\x00")
    return x509.load_der_x509_certificate(der.tlv(SEQUENCE, body))


# --- GeneralNames ------------------------------------------------------------------------------

# DirectoryString and the other string types a name may use, by tag: their text codec.
_STRING_CODECS = {
    0x0C: "utf-8",  # UTF8String
    0x13: "ascii",  # PrintableString
    0x14: "latin-1",  # TeletexString (T.61; latin-1 as OpenSSL shows it)
    0x16: "ascii",  # IA5String
    0x1A: "ascii",  # VisibleString
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}


def general_name_texts(value: bytes) -> list[str]:
    """The names of a GeneralNames SEQUENCE (a subjectAltName's extnValue) as ``KIND:text``.

    Kinds and texts as OpenSSL prints them where cryptography has a class (``DNS:x``,
    ``IP:1.2.3.4``, ``IP:2001:db8::1``, ``email:x``, ``URI:x``, ``RID:1.2.3``,
    ``othername:<type-id OID>``, ``DirName:<RFC 4514 text>``), and for the two it has not:
    ``EdiPartyName:<partyName>``, or ``EdiPartyName:<nameAssigner>/<partyName>`` when a
    nameAssigner is given; ``X400Name:<hex of the ORAddress contents>``.
    """
    return [f"{kind}:{text}" for kind, text in general_names(value)]


def general_names(value: bytes) -> list[tuple[str, str]]:
    """(kind, text) of each name of a GeneralNames SEQUENCE; see :func:`general_name_texts`.
    ``ValueError`` when the DER is not a GeneralNames."""
    _, start, end = der.expect(value, 0, SEQUENCE)
    if end != len(value):
        raise ValueError("trailing bytes after the GeneralNames")
    return [_general_name(value, element) for element in der.children(value, start, end)]


def _general_name(data: bytes, element: der.Element) -> tuple[str, str]:
    tag, start, end = element
    body = data[start:end]
    if tag == 0x81:  # [1] rfc822Name
        return "email", _ia5(body)
    if tag == 0x82:  # [2] dNSName
        return "DNS", _ia5(body)
    if tag == 0x86:  # [6] uniformResourceIdentifier
        return "URI", _ia5(body)
    if tag == 0x87:  # [7] iPAddress
        if len(body) not in (4, 16):
            raise ValueError(f"an iPAddress of {len(body)} bytes")
        return "IP", str(ipaddress.ip_address(body))
    if tag == 0x88:  # [8] registeredID
        return "RID", der.oid_text(body)
    if tag == 0xA0:  # [0] otherName: type-id, [0] EXPLICIT value
        parts = der.children(data, start, end)
        if len(parts) != 2 or parts[0][0] != OBJECT_IDENTIFIER or parts[1][0] != 0xA0:
            raise ValueError("an otherName is not type-id, [0] value")
        return "othername", der.oid_text(data[parts[0][1] : parts[0][2]])
    if tag == 0xA4:  # [4] directoryName, EXPLICIT (Name is a CHOICE)
        return "DirName", _directory_name(data, start, end)
    if tag == 0xA5:  # [5] ediPartyName: nameAssigner [0] OPTIONAL, partyName [1]
        return "EdiPartyName", _edi_party_name(data, start, end)
    if tag == 0xA3:  # [3] x400Address, an ORAddress (IMPLICIT)
        return "X400Name", body.hex()
    raise ValueError(f"{tag:#04x} is not a GeneralName tag")


def _ia5(body: bytes) -> str:
    return body.decode("ascii")


def _directory_name(data: bytes, start: int, end: int) -> str:
    tag, _, stop = der.read(data, start)
    if tag != SEQUENCE or stop != end:
        raise ValueError("a directoryName is not one Name")
    name = data[start:end]
    try:
        return _synthetic_certificate(issuer=name).issuer.rfc4514_string()
    except ValueError:  # a Name cryptography will not read: its DER, as hex
        return name.hex()


def _edi_party_name(data: bytes, start: int, end: int) -> str:
    parts = der.children(data, start, end)
    tags = [part[0] for part in parts]
    if tags not in ([0xA1], [0xA0, 0xA1]):
        raise ValueError("an EDIPartyName is not [0] nameAssigner, [1] partyName")
    texts = [_directory_string(data, part) for part in parts]
    return "/".join(texts)


def _directory_string(data: bytes, explicit: der.Element) -> str:
    """The text of an EXPLICIT-tagged DirectoryString."""
    _, start, end = explicit
    tag, body, stop = der.read(data, start)
    codec = _STRING_CODECS.get(tag)
    if codec is None or stop != end:
        raise ValueError(f"{tag:#04x} is not a DirectoryString")
    return data[body:stop].decode(codec)
