"""Plain words for why cryptography could not parse something (never its Rust debug text).

cryptography's loaders raise ``ValueError`` with the Rust ``asn1`` crate's debug output
(``error parsing asn1 value: ParseError { kind: ShortData { needed: 98 } }``) or its PEM
reader's (``... MalformedFraming``). :func:`reason` turns those into a short phrase fit for an
error message; a message that is already prose is kept.
"""

from __future__ import annotations

import re

#: The asn1 crate's ParseErrorKind variants, in words.
_ASN1_KINDS = {
    "ShortData": "the data ends early",
    "InvalidLength": "a length field is not valid DER",
    "UnexpectedTag": "an element has a type that does not belong there",
    "InvalidTag": "an element's tag is not valid",
    "InvalidValue": "an element holds a value its type does not allow",
    "ExtraData": "there are bytes after the end of the structure",
    "IntegerOverflow": "an integer is too large",
    "InvalidSetOrdering": "a SET's elements are not in DER order",
    "EncodedDefault": "a field holds its default value, which DER leaves out",
    "OidTooLong": "an object identifier is too long",
    "UnknownDefinedBy": "an algorithm or type identifier is not one it knows",
}
_PEM_KINDS = {
    "MalformedFraming": "the PEM BEGIN/END lines are malformed or missing",
    "InvalidData": "the PEM body is not valid base64",
    "NotUtf8": "the PEM text is not valid UTF-8",
    "MismatchedTags": "the PEM BEGIN and END labels do not match",
}
_GENERIC = "the data is not a well-formed DER structure"
#: Debug output rather than prose: braces, ``Name(`` calls, Rust type names.
_DEBUG = re.compile(r"[{}]|\b[A-Z]\w*\(|ParseError|\bkind:")


def reason(exc: BaseException) -> str:
    """Why ``exc`` says the data could not be parsed, as a phrase starting in lower case."""
    full = str(exc)
    text = full.split(" See https://", 1)[0].strip()
    if text.startswith("error parsing asn1 value"):
        kind = re.search(r"kind: (\w+)", text)
        return _ASN1_KINDS.get(kind[1], _GENERIC) if kind else _GENERIC
    if text.startswith("Unable to load PEM file"):
        kind = re.search(r"more details\.\s*(\w+)", full)
        return _PEM_KINDS.get(kind[1] if kind else "", "the PEM text is malformed")
    label = re.match(r"Valid PEM but no BEGIN (.+?)/END", text)
    if label:
        return f"the PEM text holds no {label[1]} block"
    if not text or _DEBUG.search(text):
        return _GENERIC
    text = text.rstrip(".")
    return text[:1].lower() + text[1:] if text[1:2].islower() else text
