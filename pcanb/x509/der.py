"""A minimal DER reader and writer for the few structures cryptography does not expose.

cryptography gives no per-attribute or per-TLV access (the issuer Name as encoded, one RDN value,
an OCSP response's parts), has no EDIPartyName GeneralName, and no call that checks arbitrary
bytes are DER. This module covers exactly those needs: definite lengths, single-byte tags.
"""

from __future__ import annotations

SEQUENCE = 0x30
UTF8_STRING = 0x0C
BOOLEAN = 0x01
INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
OBJECT_IDENTIFIER = 0x06

Element = tuple[int, int, int]  # (tag, start of the contents, end of the element)


def tlv(tag: int, body: bytes) -> bytes:
    """One DER element (short or long form length)."""
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def oid(dotted: str) -> bytes:
    """The DER OBJECT IDENTIFIER for a dotted string."""
    first, second, *rest = (int(part) for part in dotted.split("."))
    body = bytearray()
    for number in (first * 40 + second, *rest):
        chunk = [number & 0x7F]
        number >>= 7
        while number:
            chunk.append(0x80 | (number & 0x7F))
            number >>= 7
        body += bytes(reversed(chunk))
    return tlv(OBJECT_IDENTIFIER, bytes(body))


def oid_text(body: bytes) -> str:
    """The dotted string of an OBJECT IDENTIFIER's contents."""
    numbers, value = [], 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            numbers.append(value)
            value = 0
    first = min(numbers[0] // 40, 2)
    return ".".join(str(n) for n in (first, numbers[0] - first * 40, *numbers[1:]))


def read(data: bytes, offset: int = 0) -> Element:
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


def expect(data: bytes, offset: int, tag: int) -> Element:
    """:func:`read`, and ``ValueError`` unless the element there has ``tag``."""
    element = read(data, offset)
    if element[0] != tag:
        raise ValueError(f"expected DER tag {tag:#x} at {offset}, found {element[0]:#x}")
    return element


def children(data: bytes, start: int = 0, end: int | None = None) -> list[Element]:
    """Each element between ``start`` and ``end`` (default: the end of ``data``)."""
    stop = len(data) if end is None else end
    out = []
    while start < stop:
        element = read(data, start)
        out.append(element)
        start = element[2]
    return out


def is_single_element(data: bytes) -> bool:
    """True when ``data`` is exactly one well-formed DER element (constructed ones walked)."""
    try:
        return read(data)[2] == len(data) and _walk(data, 0, len(data), depth=0)
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
