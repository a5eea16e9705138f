"""Decoded certificates, CSRs, chains and CRLs: immutable objects over ``cryptography.x509``."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, ClassVar, Generic, NamedTuple, Self, TypeVar, overload

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtensionOID,
    SignatureAlgorithmOID,
)

from pcanb.errors import DecodeError
from pcanb.vocab import serial_to_aws
from pcanb.x509.der import BIT_STRING, INTEGER, SEQUENCE, expect, read
from pcanb.x509.keys import PublicKey, key_algorithm_of, key_description, signing_algorithm_of
from pcanb.x509.names import common_name as first_common_name
from pcanb.x509.raw_extensions import (
    NAME_LIST_OIDS,
    decode_each,
    general_name_texts,
    general_names,
)

__all__ = ["Certificate", "CertificateChain", "Crl", "Csr"]

_KEY_USAGES = (
    "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
    "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
)  # fmt: skip
_PEM_CERTIFICATE_RE = re.compile(
    rb"-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----", re.ASCII
)
_X = TypeVar("_X")


# --- small helpers -----------------------------------------------------------------------------


def _as_bytes(data: bytes | bytearray | memoryview | str, what: str) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise TypeError(f"{what} must be bytes or str, not {type(data).__name__}")


def _looks_like_pem(data: bytes) -> bool:
    return b"-----BEGIN " in data[:4096]


def _oid_name(oid: x509.ObjectIdentifier) -> str:
    """cryptography's name for an OID (``serverAuth``), or the dotted string when it has none."""
    name = oid._name
    return oid.dotted_string if name == "Unknown OID" else name


def _hex(data: bytes | None) -> str | None:
    return None if data is None else data.hex()


def _colon_hex(data: bytes) -> str:
    return data.hex(":").upper()


class _cached(cached_property):
    """``functools.cached_property`` without the lock Python 3.11 takes on every first read.

    The decoded objects are immutable, so two threads racing on a first read compute the same
    value; the lock only costs time (and was removed from the standard library in 3.12).
    """

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        cache = instance.__dict__
        try:
            return cache[self.attrname]
        except KeyError:
            value = cache[self.attrname] = self.func(instance)
            return value


class _TbsParts(NamedTuple):
    """Encoded pieces of a DER certificate's TBSCertificate, as slices of the DER."""

    issuer: bytes
    subject: bytes
    key_algorithm: bytes  # the subjectPublicKeyInfo AlgorithmIdentifier
    key_bits: bytes  # the subjectPublicKey BIT STRING contents (unused-bits octet first)


# Certificate, TBSCertificate, serialNumber, signature, issuer, validity, subject, SPKI.
_TBS_TAGS = (SEQUENCE, SEQUENCE, INTEGER, SEQUENCE, SEQUENCE, SEQUENCE, SEQUENCE, SEQUENCE)


def _tbs_parts(der: bytes) -> _TbsParts | None:
    """Issuer, subject and public-key pieces of a DER certificate; ``None`` if it will not walk.

    cryptography exposes these only as decoded objects (a new ``Name`` on every read, a loaded
    key): walking the few outer TLVs gives the encoded bytes, which key the caches below.
    """
    try:
        certificate, pos, _ = read(der, 0)
        tbs, pos, _ = read(der, pos)
        if der[pos] == 0xA0:  # [0] version
            pos = read(der, pos)[2]
        serial, _, pos = read(der, pos)
        signature, _, issuer_start = read(der, pos)
        issuer_tag, _, issuer_end = read(der, issuer_start)
        validity, _, subject_start = read(der, issuer_end)
        subject_tag, _, subject_end = read(der, subject_start)
        spki_tag, spki, _ = read(der, subject_end)
        algorithm_tag, _, algorithm_end = read(der, spki)
        bits_tag, bits_start, bits_end = read(der, algorithm_end)
        tags = (certificate, tbs, serial, signature, issuer_tag, validity, subject_tag, spki_tag)
        if tags != _TBS_TAGS or algorithm_tag != SEQUENCE or bits_tag != BIT_STRING:
            return None
        return _TbsParts(
            der[issuer_start:issuer_end],
            der[subject_start:subject_end],
            der[spki:algorithm_end],
            der[bits_start:bits_end],
        )
    except (IndexError, ValueError):
        return None


# The AlgorithmIdentifiers (DER) whose key size lives in the key itself: rsaEncryption (NULL
# parameters, or absent) and RSASSA-PSS. Every other algorithm's identifier fixes the key's type,
# size and curve, so one decoded key answers for every certificate with the same identifier.
_RSA_ALGORITHM_PREFIXES = (
    bytes.fromhex("06092a864886f70d010101"),
    bytes.fromhex("06092a864886f70d01010a"),
)


def _rsa_modulus_bits(key_bits: bytes) -> int | None:
    """Bit length of the modulus in an RSAPublicKey BIT STRING, or ``None`` if it will not walk."""
    try:
        if key_bits[0] != 0:  # unused bits
            return None
        _, start, end = expect(key_bits, expect(key_bits, 1, SEQUENCE)[1], INTEGER)  # modulus
        while start < end - 1 and key_bits[start] == 0:  # the sign octet
            start += 1
        return (end - start - 1) * 8 + key_bits[start].bit_length()
    except (IndexError, ValueError):
        return None


# Issuer Name (as encoded) → (Name, RFC 4514 text): the certificates of one CA share an issuer,
# and building a Name and its text is a good part of decoding a certificate.
_ISSUERS: dict[bytes, tuple[x509.Name, str]] = {}
_ISSUERS_MAX = 1024


def _utc(when: datetime | None) -> datetime:
    """``when`` as a tz-aware UTC datetime; ``None`` is now, naive values are taken as UTC."""
    if when is None:
        return datetime.now(UTC)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def whole_days(delta: timedelta) -> int:
    """The whole days in ``delta``, truncated toward zero (2 days 23 hours → 2, minus 2 days
    3 hours → -2): how every ``days_to_expiry`` in pcanb counts (a ``pandas.Timedelta`` will
    do)."""
    micro = delta // timedelta(microseconds=1)
    days = abs(micro) // 86_400_000_000
    return days if micro >= 0 else -days


_GENERAL_NAME_PREFIXES: dict[type, str] = {
    x509.DNSName: "DNS:",
    x509.IPAddress: "IP:",
    x509.RFC822Name: "email:",
    x509.UniformResourceIdentifier: "URI:",
}


def _general_name(name: x509.GeneralName) -> str:
    """A GeneralName as OpenSSL prints it: ``DNS:x``, ``IP:1.2.3.4``, ``email:x``, ``URI:x``."""
    prefix = _GENERAL_NAME_PREFIXES.get(type(name))
    if prefix is not None:  # the common kinds, without the ABC isinstance chain below
        return f"{prefix}{name.value}"
    if isinstance(name, x509.DNSName):
        return f"DNS:{name.value}"
    if isinstance(name, x509.IPAddress):
        return f"IP:{name.value}"
    if isinstance(name, x509.RFC822Name):
        return f"email:{name.value}"
    if isinstance(name, x509.UniformResourceIdentifier):
        return f"URI:{name.value}"
    if isinstance(name, x509.DirectoryName):
        return f"DirName:{name.value.rfc4514_string()}"
    if isinstance(name, x509.RegisteredID):
        return f"RID:{name.value.dotted_string}"
    if isinstance(name, x509.OtherName):
        return f"othername:{name.type_id.dotted_string}"
    return str(name)


def _uris(names: Iterable[x509.GeneralName] | None) -> list[str]:
    return [n.value for n in names or () if isinstance(n, x509.UniformResourceIdentifier)]


def _extensions_of(obj: Any) -> Iterable[x509.Extension]:
    try:
        return obj.extensions
    except (ValueError, x509.DuplicateExtension) as exc:
        raise DecodeError(f"the extensions could not be decoded: {exc}") from None
    except x509.UnsupportedGeneralNameType as exc:
        # An EDIPartyName or x400Address, which cryptography has no class for, makes it refuse
        # every extension: certificates and CSRs have theirs decoded one by one instead, so only
        # the extension holding such a name stays undecoded (see raw_extensions).
        if not isinstance(obj, x509.Certificate | x509.CertificateSigningRequest):
            raise DecodeError(f"the extensions could not be decoded: {exc}") from None
    try:
        return decode_each(obj)
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as exc:
        raise DecodeError(f"the extensions could not be decoded: {exc}") from None


def _extension_values(obj: Any) -> dict[x509.ObjectIdentifier, Any]:
    """The extension values of ``obj`` by OID, in one pass."""
    # cryptography (and decode_each) refuse a repeated extension (DuplicateExtension), so each
    # OID comes once.
    return {ext.oid: ext.value for ext in _extensions_of(obj)}


def _extension_records(obj: Any) -> list[dict[str, Any]]:
    return [
        {
            "oid": ext.oid.dotted_string,
            "name": _oid_name(ext.oid),
            "critical": ext.critical,
            "value": _value_text(ext.value),
        }
        for ext in _extensions_of(obj)
    ]


def _value_text(value: x509.ExtensionType) -> str:
    """The repr of an extension value; a subjectAltName or issuerAltName cryptography could not
    decode (an EDIPartyName in it) shows its names instead of its bytes."""
    if isinstance(value, x509.UnrecognizedExtension) and value.oid in NAME_LIST_OIDS:
        texts = general_name_texts(value.value)
        return f"<UnrecognizedExtension(oid={value.oid.dotted_string}, names={texts!r})>"
    return repr(value)


def _key_usage_names(usage: x509.KeyUsage | None) -> list[str]:
    if usage is None:
        return []
    names = [n for n in _KEY_USAGES[:7] if getattr(usage, n)]
    if usage.key_agreement:  # encipher_only / decipher_only raise unless keyAgreement is set
        names += [n for n in _KEY_USAGES[7:] if getattr(usage, n)]
    return names


def _san_names(value: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(every name as text, the dNSName values) of a subjectAltName value (``None``: absent)."""
    if value is None:
        return (), ()
    if isinstance(value, x509.UnrecognizedExtension):
        # Left undecoded by cryptography (an EDIPartyName or x400Address in it): read the DER.
        pairs = general_names(value.value)
        texts = tuple(f"{kind}:{text}" for kind, text in pairs)
        return texts, tuple(text for kind, text in pairs if kind == "DNS")
    names = list(value)
    dns = tuple(n.value for n in names if type(n) is x509.DNSName or isinstance(n, x509.DNSName))
    return tuple(_general_name(n) for n in names), dns


# Signature algorithm OID → AWS SigningAlgorithm, for every OID but RSASSA-PSS (whose digest is
# in its parameters): cryptography derives the digest and parameters of the others from the OID.
_SIGNATURE_ALGORITHMS: dict[x509.ObjectIdentifier, str | None] = {}


def _signature_algorithm(obj: Any) -> str | None:
    """The AWS SigningAlgorithm of a certificate, CSR or CRL signature, when there is one."""
    oid = obj.signature_algorithm_oid
    if oid == SignatureAlgorithmOID.RSASSA_PSS:
        return _signature_algorithm_uncached(obj)
    try:
        return _SIGNATURE_ALGORITHMS[oid]
    except KeyError:
        name = _SIGNATURE_ALGORITHMS[oid] = _signature_algorithm_uncached(obj)
        return name


def _signature_algorithm_uncached(obj: Any) -> str | None:
    try:
        digest = obj.signature_hash_algorithm
        parameters = obj.signature_algorithm_parameters
    except UnsupportedAlgorithm:
        return None
    return signing_algorithm_of(
        _oid_name(obj.signature_algorithm_oid),
        digest.name if digest is not None else None,
        isinstance(parameters, padding.PSS),
    )


def _public_key(obj: Any) -> PublicKey | None:
    try:
        return obj.public_key()
    except (UnsupportedAlgorithm, ValueError):
        return None


def _key_fields(key: PublicKey | None, algorithm_oid: x509.ObjectIdentifier | None) -> dict:
    if key is None:
        key_type = _oid_name(algorithm_oid) if algorithm_oid is not None else None
        return {"key_type": key_type, "key_size": None, "curve": None, "key_algorithm": None}
    # What key_description and key_algorithm_of say depends on the key's class and on its size
    # (RSA) or curve class (EC) alone: work it out once per such pair, not per certificate.
    key_class = type(key)
    kind = _KEY_KINDS.get(key_class)
    if kind is None:
        kind = _KEY_KINDS[key_class] = (
            "rsa"
            if isinstance(key, rsa.RSAPublicKey)
            else "ec"
            if isinstance(key, ec.EllipticCurvePublicKey)
            else "other"
        )
    memo_key = (
        (key_class, key.key_size)
        if kind == "rsa"
        else (key_class, type(key.curve))
        if kind == "ec"
        else key_class
    )
    fields = _KEY_FIELDS.get(memo_key)
    if fields is None:
        key_type, key_size, curve = key_description(key)
        fields = _KEY_FIELDS[memo_key] = {
            "key_type": key_type,
            "key_size": key_size,
            "curve": curve,
            "key_algorithm": key_algorithm_of(key),
        }
    return fields


_KEY_KINDS: dict[type, str] = {}
_KEY_FIELDS: dict[Any, dict[str, Any]] = {}
_KEY_FIELDS_BY_SPKI: dict[tuple[bytes, int | None], dict[str, Any]] = {}


def _load_error(what: str, form: str, exc: Exception) -> DecodeError:
    reason = str(exc).split(" See https://", 1)[0].rstrip(".")
    if reason.startswith("error parsing asn1 value"):
        reason = f"the ASN.1 does not parse as a {what}"
    elif reason.startswith("Valid PEM but no"):
        reason = f"the PEM holds no {what} block"
    return DecodeError(
        f"could not decode a {what} from {form}: {reason}; "
        f"pass the PEM text or the DER bytes of one {what}"
    )


# --- the common shape --------------------------------------------------------------------------


class _Decoded(Generic[_X]):
    """Shared loading, identity and immutability of the decoded objects."""

    _x509: _X
    _what: ClassVar[str]
    _load_pem_fn: ClassVar[Callable[[bytes], Any]]
    _load_der_fn: ClassVar[Callable[[bytes], Any]]
    _x509_type: ClassVar[type]

    #: What "now" is for this object (see :meth:`now`); ``None``: the wall clock.
    _clock: Callable[[], datetime] | None = None

    def __init__(self, obj: Any) -> None:
        if not isinstance(obj, self._x509_type):
            raise TypeError(
                f"{type(self).__name__} wraps a cryptography {self._x509_type.__name__}, "
                f"not {type(obj).__name__}; use {type(self).__name__}.load(data)"
            )
        object.__setattr__(self, "_x509", obj)

    @classmethod
    def from_pem(cls, data: bytes | str) -> Self:
        """Decode PEM text; :class:`~pcanb.errors.DecodeError` when it holds no such object."""
        raw = _as_bytes(data, "PEM data")
        try:
            return cls(cls._load_pem_fn(raw))
        except ValueError as exc:
            raise _load_error(cls._what, "PEM", exc) from None

    @classmethod
    def from_der(cls, data: bytes) -> Self:
        """Decode DER bytes; :class:`~pcanb.errors.DecodeError` when they hold no such object."""
        if isinstance(data, str):
            raise TypeError("DER data must be bytes; for text use from_pem() or load()")
        raw = _as_bytes(data, "DER data")
        try:
            decoded = cls(cls._load_der_fn(raw))
        except ValueError as exc:
            raise _load_error(cls._what, "DER", exc) from None
        # cryptography accepts DER only (no BER, no trailing bytes) and public_bytes() writes
        # back exactly what it parsed: the bytes given are the DER, without re-encoding them.
        decoded.__dict__["der"] = raw
        return decoded

    @classmethod
    def load(cls, data: bytes | str) -> Self:
        """Decode PEM or DER, whichever ``data`` holds."""
        raw = _as_bytes(data, "data")
        return cls.from_pem(raw) if _looks_like_pem(raw) else cls.from_der(raw)

    @property
    def x509(self) -> _X:
        """The wrapped ``cryptography.x509`` object."""
        return self._x509

    def now(self) -> datetime:
        """The time this object is judged at (expiry, freshness, cards): the clock of the
        session that returned it (sandbox time offline), else the wall clock (UTC)."""
        return _utc(self._clock() if self._clock is not None else None)

    def with_clock(self, clock: Callable[[], datetime] | None) -> Self:
        """The same object judged by ``clock`` (``None``: the wall clock); sessions use it."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.__dict__["_clock"] = clock
        return copy

    @_cached
    def _extension_values(self) -> dict[x509.ObjectIdentifier, Any]:
        # Every extension decoded once, by OID; every property below looks its value up here.
        return _extension_values(self._x509)

    def _ext(self, cls: type) -> Any:
        """The value of the extension of type ``cls``, or ``None`` when absent."""
        value = self._extension_values.get(cls.oid)  # type: ignore[attr-defined]
        if type(value) is cls or value is None or isinstance(value, cls):
            return value
        return None

    @_cached
    def der(self) -> bytes:
        """The DER encoding."""
        return self._x509.public_bytes(serialization.Encoding.DER)  # type: ignore[attr-defined]

    @_cached
    def pem(self) -> str:
        """The PEM encoding, as text."""
        pem = self._x509.public_bytes(serialization.Encoding.PEM)  # type: ignore[attr-defined]
        return pem.decode("ascii")

    @property
    def signature_algorithm(self) -> str | None:
        """The AWS SigningAlgorithm of the signature (``SHA256WITHECDSA``…), or ``None``."""
        return _signature_algorithm(self._x509)

    @property
    def extensions(self) -> list[dict[str, Any]]:
        """Every extension as ``{"oid", "name", "critical", "value"}`` (value is its repr)."""
        return _extension_records(self._x509)

    def to_series(self) -> Any:
        """The fields of :meth:`to_dict` as a ``pandas.Series``."""
        import pandas as pd

        return pd.Series(self.to_dict(), dtype=object, name=self._series_name())

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _series_name(self) -> str | None:
        return None

    def __eq__(self, other: object) -> bool:
        # Same kind of object (a subclass such as IssuedCertificate counts) and same DER.
        if not isinstance(other, _Decoded) or other._x509_type is not self._x509_type:
            return NotImplemented
        return self.der == other.der  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self._x509_type.__name__, self.der))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")


def _date(when: datetime | None) -> str:
    return when.date().isoformat() if when is not None else "-"


# --- certificates ------------------------------------------------------------------------------


class Certificate(_Decoded[x509.Certificate]):
    """A decoded X.509 certificate.

    Build one from bytes with :meth:`load`, :meth:`from_pem` or :meth:`from_der`; the
    constructor takes a ``cryptography.x509.Certificate``.
    """

    _what = "certificate"
    _load_pem_fn = staticmethod(x509.load_pem_x509_certificate)
    _load_der_fn = staticmethod(x509.load_der_x509_certificate)
    _x509_type = x509.Certificate

    # cryptography builds new Name objects on every .subject / .issuer read: build them once.
    @_cached
    def _subject(self) -> x509.Name:
        return self._x509.subject

    @_cached
    def _tbs(self) -> _TbsParts | None:
        return _tbs_parts(self.der)

    @_cached
    def _issuer_and_text(self) -> tuple[x509.Name, str]:
        tbs = self._tbs
        encoded = tbs.issuer if tbs is not None else None
        found = _ISSUERS.get(encoded) if encoded is not None else None
        if found is None:
            name = self._x509.issuer
            found = (name, name.rfc4514_string())
            if encoded is not None:
                if len(_ISSUERS) >= _ISSUERS_MAX:
                    _ISSUERS.clear()
                _ISSUERS[encoded] = found
        return found

    @property
    def _issuer(self) -> x509.Name:
        return self._issuer_and_text[0]

    @_cached
    def subject(self) -> str:
        """The subject as an RFC 4514 string (``CN=api.internal,O=Example``)."""
        return self._subject.rfc4514_string()

    @property
    def issuer(self) -> str:
        """The issuer as an RFC 4514 string."""
        return self._issuer_and_text[1]

    @property
    def common_name(self) -> str | None:
        """The first commonName of the subject, if any."""
        return first_common_name(self._subject)

    @property
    def serial(self) -> int:
        """The serial number."""
        return self._x509.serial_number

    @property
    def serial_hex(self) -> str:
        """The serial number as AWS prints it (``0a:1b:…``)."""
        return serial_to_aws(self._x509.serial_number)

    @property
    def not_before(self) -> datetime:
        """Start of validity, tz-aware UTC."""
        return self._x509.not_valid_before_utc

    @property
    def not_after(self) -> datetime:
        """End of validity, tz-aware UTC."""
        return self._x509.not_valid_after_utc

    @_cached
    def _key(self) -> dict[str, Any]:
        # Loading the public key is a fifth of decoding a certificate, and its type, size and
        # curve depend only on the SPKI AlgorithmIdentifier (plus the modulus length for RSA).
        tbs = self._tbs
        if tbs is None:
            return self._key_from_loaded_key()
        memo: tuple[bytes, int | None] = (tbs.key_algorithm, None)
        if tbs.key_algorithm[2:].startswith(_RSA_ALGORITHM_PREFIXES):
            bits = _rsa_modulus_bits(tbs.key_bits)
            if bits is None:
                return self._key_from_loaded_key()
            memo = (tbs.key_algorithm, bits)
        fields = _KEY_FIELDS_BY_SPKI.get(memo)
        if fields is None:
            fields = self._key_from_loaded_key()
            if self.public_key is not None:  # a key that does not load is not a pattern
                if len(_KEY_FIELDS_BY_SPKI) >= _ISSUERS_MAX:
                    _KEY_FIELDS_BY_SPKI.clear()
                _KEY_FIELDS_BY_SPKI[memo] = fields
        return fields

    def _key_from_loaded_key(self) -> dict[str, Any]:
        return _key_fields(_public_key(self._x509), self._x509.public_key_algorithm_oid)

    @property
    def public_key(self) -> PublicKey | None:
        """The subject public key (``None`` when cryptography does not support its type)."""
        return _public_key(self._x509)

    @property
    def key_type(self) -> str | None:
        """``RSA``, ``EC``, ``ML-DSA-44``…"""
        return self._key["key_type"]

    @property
    def key_size(self) -> int | None:
        """Key size in bits (RSA modulus, EC curve size); ``None`` for ML-DSA."""
        return self._key["key_size"]

    @property
    def curve(self) -> str | None:
        """The EC curve name (``secp256r1``), or ``None``."""
        return self._key["curve"]

    @property
    def key_algorithm(self) -> str | None:
        """The AWS KeyAlgorithm of the public key (``EC_prime256v1``), or ``None``."""
        return self._key["key_algorithm"]

    @property
    def sans(self) -> list[str]:
        """subjectAltName entries: ``DNS:x``, ``IP:1.2.3.4``, ``email:x``, ``URI:x``… (the
        names cryptography cannot decode too: ``EdiPartyName:…``, ``X400Name:…``, see
        :func:`pcanb.x509.raw_extensions.general_name_texts`)."""
        return list(self._san[0])

    @property
    def dns_names(self) -> list[str]:
        """The dNSName entries of subjectAltName."""
        return list(self._san[1])

    @_cached
    def _san(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        # One pass over subjectAltName for both sans and dns_names.
        return _san_names(self._extension_values.get(ExtensionOID.SUBJECT_ALTERNATIVE_NAME))

    @property
    def key_usage(self) -> list[str]:
        """The keyUsage bits that are set, by cryptography's names (``digital_signature``…)."""
        return _key_usage_names(self._ext(x509.KeyUsage))

    @property
    def extended_key_usage(self) -> list[str]:
        """extendedKeyUsage purposes (``serverAuth``, ``clientAuth``, or the dotted OID)."""
        eku = self._ext(x509.ExtendedKeyUsage)
        return [_oid_name(oid) for oid in eku] if eku is not None else []

    @property
    def is_ca(self) -> bool | None:
        """basicConstraints cA, or ``None`` when the extension is absent."""
        bc = self._ext(x509.BasicConstraints)
        return bc.ca if bc is not None else None

    @property
    def path_length(self) -> int | None:
        """basicConstraints pathLenConstraint, or ``None``."""
        bc = self._ext(x509.BasicConstraints)
        return bc.path_length if bc is not None else None

    @property
    def ski(self) -> str | None:
        """subjectKeyIdentifier as lowercase hex, or ``None``."""
        ski = self._ext(x509.SubjectKeyIdentifier)
        return _hex(ski.digest) if ski is not None else None

    @property
    def aki(self) -> str | None:
        """authorityKeyIdentifier keyIdentifier as lowercase hex, or ``None``."""
        aki = self._ext(x509.AuthorityKeyIdentifier)
        return _hex(aki.key_identifier) if aki is not None else None

    @property
    def crl_urls(self) -> list[str]:
        """The URIs of the cRLDistributionPoints."""
        points = self._ext(x509.CRLDistributionPoints)
        return [uri for dp in points or () for uri in _uris(dp.full_name)]

    @_cached
    def _access_urls(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        # One pass over authorityInfoAccess for both the OCSP and the caIssuers URIs.
        aia = self._ext(x509.AuthorityInformationAccess)
        ocsp: list[str] = []
        ca_issuers: list[str] = []
        for description in aia or ():
            location = description.access_location
            if not isinstance(location, x509.UniformResourceIdentifier):
                continue
            if description.access_method == AuthorityInformationAccessOID.OCSP:
                ocsp.append(location.value)
            elif description.access_method == AuthorityInformationAccessOID.CA_ISSUERS:
                ca_issuers.append(location.value)
        return tuple(ocsp), tuple(ca_issuers)

    @property
    def ocsp_urls(self) -> list[str]:
        """The OCSP URIs of authorityInfoAccess."""
        return list(self._access_urls[0])

    @property
    def ca_issuers_urls(self) -> list[str]:
        """The caIssuers URIs of authorityInfoAccess."""
        return list(self._access_urls[1])

    @_cached
    def fingerprint_sha256(self) -> str:
        """SHA-256 fingerprint as OpenSSL prints it (``AB:CD:…``)."""
        # Certificate.fingerprint() re-encodes the DER on every call: hash the cached DER instead.
        return _colon_hex(hashlib.sha256(self.der).digest())

    @_cached
    def fingerprint_sha1(self) -> str:
        """SHA-1 fingerprint as OpenSSL prints it."""
        return _colon_hex(hashlib.sha1(self.der).digest())

    @_cached
    def is_self_signed(self) -> bool:
        """Subject equals issuer and the signature verifies with the certificate's own key."""
        tbs = self._tbs
        if tbs is not None and tbs.subject == tbs.issuer:
            pass  # the same encoding: the same name
        elif self.subject != self.issuer and "+" not in self.subject:
            # RFC 4514 text is injective on single-valued RDNs; a multi-valued RDN may list its
            # attributes in another order, so such names are compared as Names below.
            return False
        elif self._subject != self._issuer:
            return False
        verified = self.signature_check(self)
        if verified is None:
            # The signature algorithm cannot be checked here (SHA-1 signatures, refused by
            # OpenSSL 3+ at its default security level, sign many old trust-store roots): a
            # self-issued certificate whose key identifiers agree is taken as self-signed.
            return self.aki is None or self.aki == self.ski
        return verified

    def is_issued_by(self, issuer: Certificate) -> bool:
        """True when ``issuer``'s subject is this issuer and its key verifies the signature."""
        return self.signature_check(issuer) is True

    def signature_check(self, issuer: Certificate) -> bool | None:
        """Does ``issuer``'s key verify this certificate? ``None`` when it cannot be checked
        here (a signature algorithm this cryptography/OpenSSL build refuses, such as SHA-1)."""
        try:
            self._x509.verify_directly_issued_by(issuer.x509)
        except UnsupportedAlgorithm:
            return None
        except ValueError as error:
            return None if "Unsupported signature algorithm" in str(error) else False
        except (InvalidSignature, TypeError):
            return False
        return True

    def days_to_expiry(self, now: datetime | None = None) -> int:
        """Whole days from ``now`` (default: :meth:`now`) until notAfter, truncated toward zero
        (:func:`whole_days`: 2.9 days left is 2, expired 2.1 days ago is -2); negative once
        expired a whole day."""
        return whole_days(self.not_after - (_utc(now) if now is not None else self.now()))

    def is_valid_at(self, when: datetime | None = None) -> bool:
        """True when ``when`` (default: :meth:`now`; naive means UTC) lies within
        notBefore…notAfter."""
        moment = _utc(when) if when is not None else self.now()
        return self.not_before <= moment <= self.not_after

    def to_dict(self) -> dict[str, Any]:
        """The decoded fields as a flat dict (lists stay lists)."""
        # Straight-line on purpose: a table of 10,000 certificates calls this 10,000 times, and
        # going through each public property (descriptor, cache, extension lookup) costs a
        # fifth of the decoding. The values are the properties' own.
        cert = self._x509
        key = self._key
        sans, dns_names = self._san
        ocsp_urls, ca_issuers_urls = self._access_urls
        ext = self._ext
        bc = ext(x509.BasicConstraints)
        ski = ext(x509.SubjectKeyIdentifier)
        aki = ext(x509.AuthorityKeyIdentifier)
        eku = ext(x509.ExtendedKeyUsage)
        points = ext(x509.CRLDistributionPoints)
        serial = cert.serial_number
        return {
            "subject": self.subject,
            "issuer": self._issuer_and_text[1],
            "common_name": first_common_name(self._subject),
            "serial": serial,
            "serial_hex": serial_to_aws(serial),
            "not_before": cert.not_valid_before_utc,
            "not_after": cert.not_valid_after_utc,
            "key_type": key["key_type"],
            "key_size": key["key_size"],
            "curve": key["curve"],
            "key_algorithm": key["key_algorithm"],
            "signature_algorithm": _signature_algorithm(cert),
            "sans": list(sans),
            "dns_names": list(dns_names),
            "key_usage": _key_usage_names(ext(x509.KeyUsage)),
            "extended_key_usage": [_oid_name(oid) for oid in eku] if eku is not None else [],
            "is_ca": bc.ca if bc is not None else None,
            "path_length": bc.path_length if bc is not None else None,
            "ski": ski.digest.hex() if ski is not None else None,
            "aki": _hex(aki.key_identifier) if aki is not None else None,
            "crl_urls": [uri for dp in points or () for uri in _uris(dp.full_name)],
            "ocsp_urls": list(ocsp_urls),
            "ca_issuers_urls": list(ca_issuers_urls),
            "fingerprint_sha256": self.fingerprint_sha256,
            "fingerprint_sha1": self.fingerprint_sha1,
            "is_self_signed": self.is_self_signed,
        }

    def _series_name(self) -> str | None:
        return self.common_name or self.serial_hex

    def __repr__(self) -> str:
        name = f"CN={self.common_name}" if self.common_name is not None else repr(self.subject)
        return f"<Certificate {name} serial={self.serial_hex} not_after={_date(self.not_after)}>"


# --- certificate signing requests --------------------------------------------------------------


class Csr(_Decoded[x509.CertificateSigningRequest]):
    """A decoded PKCS #10 certificate signing request. Build one with :meth:`load`."""

    _what = "certificate signing request"
    _load_pem_fn = staticmethod(x509.load_pem_x509_csr)
    _load_der_fn = staticmethod(x509.load_der_x509_csr)
    _x509_type = x509.CertificateSigningRequest

    @property
    def subject(self) -> str:
        """The requested subject as an RFC 4514 string."""
        return self._x509.subject.rfc4514_string()

    @property
    def common_name(self) -> str | None:
        """The first commonName of the subject, if any."""
        return first_common_name(self._x509.subject)

    @property
    def sans(self) -> list[str]:
        """The requested subjectAltName entries (``DNS:x``, ``IP:…``)."""
        san = self._extension_values.get(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        return list(_san_names(san)[0])

    @property
    def public_key(self) -> PublicKey | None:
        """The public key (``None`` when cryptography does not support its type)."""
        return _public_key(self._x509)

    @_cached
    def _key(self) -> dict[str, Any]:
        return _key_fields(_public_key(self._x509), None)

    @property
    def key_type(self) -> str | None:
        """``RSA``, ``EC``, ``ML-DSA-44``…"""
        return self._key["key_type"]

    @property
    def key_size(self) -> int | None:
        """Key size in bits, or ``None`` for ML-DSA."""
        return self._key["key_size"]

    @property
    def key_algorithm(self) -> str | None:
        """The AWS KeyAlgorithm of the public key, or ``None``."""
        return self._key["key_algorithm"]

    @_cached
    def is_signature_valid(self) -> bool:
        """True when the request is signed by the key it carries."""
        try:
            return self._x509.is_signature_valid
        except (UnsupportedAlgorithm, ValueError):
            return False

    def to_dict(self) -> dict[str, Any]:
        """The decoded fields as a flat dict."""
        return {
            "subject": self.subject,
            "common_name": self.common_name,
            "sans": self.sans,
            "key_type": self.key_type,
            "key_size": self.key_size,
            "key_algorithm": self.key_algorithm,
            "signature_algorithm": self.signature_algorithm,
            "is_signature_valid": self.is_signature_valid,
        }

    def _series_name(self) -> str | None:
        return self.common_name

    def __repr__(self) -> str:
        name = f"CN={self.common_name}" if self.common_name is not None else repr(self.subject)
        return f"<Csr {name} key={self.key_algorithm or self.key_type}>"


# --- chains ------------------------------------------------------------------------------------


class CertificateChain(Sequence[Certificate]):
    """An immutable sequence of certificates, in the order given (leaf first, root last)."""

    __slots__ = ("_certificates", "_clock")

    def __init__(self, certificates: Iterable[Certificate] = ()) -> None:
        certs = tuple(certificates)
        for cert in certs:
            if not isinstance(cert, Certificate):
                raise TypeError(f"a CertificateChain holds Certificate objects, not {cert!r}")
        object.__setattr__(self, "_certificates", certs)
        object.__setattr__(self, "_clock", None)

    def now(self) -> datetime:
        """The time the chain is judged at: its session's clock, else the wall clock (UTC)."""
        return _utc(self._clock() if self._clock is not None else None)

    def with_clock(self, clock: Callable[[], datetime] | None) -> CertificateChain:
        """The same chain, it and its certificates judged by ``clock`` (``None``: wall clock)."""
        chain = CertificateChain(cert.with_clock(clock) for cert in self._certificates)
        object.__setattr__(chain, "_clock", clock)
        return chain

    @classmethod
    def from_pem(cls, text: bytes | str) -> CertificateChain:
        """Split a PEM bundle into certificates; blank text is an empty chain."""
        raw = _as_bytes(text, "PEM data")
        blocks = _PEM_CERTIFICATE_RE.findall(raw)
        if not blocks and raw.strip():
            raise DecodeError(
                "no '-----BEGIN CERTIFICATE-----' block found; pass a PEM bundle of certificates"
            )
        return cls(Certificate.from_pem(block) for block in blocks)

    @property
    def pem(self) -> str:
        """The PEM blocks joined by newlines (as AWS returns a CertificateChain)."""
        return "\n".join(cert.pem.rstrip("\n") for cert in self._certificates)

    @property
    def leaf(self) -> Certificate | None:
        """The first certificate, or ``None`` when the chain is empty."""
        return self._certificates[0] if self._certificates else None

    @property
    def root(self) -> Certificate | None:
        """The last certificate, or ``None`` when the chain is empty."""
        return self._certificates[-1] if self._certificates else None

    def to_records(self) -> list[dict[str, Any]]:
        """One :meth:`Certificate.to_dict` per certificate, in order."""
        return [cert.to_dict() for cert in self._certificates]

    def __len__(self) -> int:
        return len(self._certificates)

    @overload
    def __getitem__(self, index: int) -> Certificate: ...
    @overload
    def __getitem__(self, index: slice) -> CertificateChain: ...
    def __getitem__(self, index: int | slice) -> Certificate | CertificateChain:
        if isinstance(index, slice):
            part = CertificateChain(self._certificates[index])
            return part if self._clock is None else part.with_clock(self._clock)
        return self._certificates[index]

    def __iter__(self) -> Iterator[Certificate]:
        return iter(self._certificates)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CertificateChain):
            return NotImplemented
        return self._certificates == other._certificates

    def __hash__(self) -> int:
        return hash(self._certificates)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("CertificateChain is immutable")

    def __repr__(self) -> str:
        names = " → ".join(c.common_name or c.subject for c in self._certificates)
        count = len(self._certificates)
        return f"<CertificateChain {count} certificate{'s' * (count != 1)}: {names}>"


# --- certificate revocation lists --------------------------------------------------------------


class Crl(_Decoded[x509.CertificateRevocationList]):
    """A decoded certificate revocation list. Build one with :meth:`load`."""

    _what = "certificate revocation list"
    _load_pem_fn = staticmethod(x509.load_pem_x509_crl)
    _load_der_fn = staticmethod(x509.load_der_x509_crl)
    _x509_type = x509.CertificateRevocationList

    @property
    def issuer(self) -> str:
        """The issuer as an RFC 4514 string."""
        return self._x509.issuer.rfc4514_string()

    @property
    def this_update(self) -> datetime:
        """thisUpdate, tz-aware UTC."""
        return self._x509.last_update_utc

    @property
    def next_update(self) -> datetime | None:
        """nextUpdate, tz-aware UTC, or ``None``."""
        return self._x509.next_update_utc

    @property
    def crl_number(self) -> int | None:
        """The cRLNumber extension, or ``None``."""
        number = self._ext(x509.CRLNumber)
        return number.crl_number if number is not None else None

    @property
    def aki(self) -> str | None:
        """authorityKeyIdentifier keyIdentifier as lowercase hex, or ``None``."""
        aki = self._ext(x509.AuthorityKeyIdentifier)
        return _hex(aki.key_identifier) if aki is not None else None

    @property
    def issuing_distribution_point(self) -> list[str] | None:
        """The URIs of issuingDistributionPoint, or ``None`` when the extension is absent."""
        idp = self._ext(x509.IssuingDistributionPoint)
        return _uris(idp.full_name) if idp is not None else None

    @property
    def entries(self) -> list[dict[str, Any]]:
        """The revoked certificates: ``serial``, ``serial_hex``, ``revocation_date``, ``reason``."""
        return [_revoked_record(revoked) for revoked in self._x509]

    def to_frame(self) -> Any:
        """The entries as a ``pandas.DataFrame``: serial_hex, revocation_date (UTC), reason."""
        import pandas as pd

        frame = pd.DataFrame(
            self.entries, columns=["serial", "serial_hex", "revocation_date", "reason"]
        )
        return frame.drop(columns=["serial"]).astype(
            {"serial_hex": "string", "revocation_date": "datetime64[us, UTC]", "reason": "string"}
        )

    @property
    def problems(self) -> list[str]:
        """Why this CRL cannot be believed, as found when a session read it (``pca.crl(ca)``
        checks issuer, signature and currency against the CA at the session's now); empty when
        it can, or when nothing checked it (a CRL decoded with :meth:`load`)."""
        return list(self.__dict__.get("_problems", ()))

    def with_problems(self, problems: Iterable[str]) -> Crl:
        """The same CRL carrying ``problems`` (see :attr:`problems`); sessions use it."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.__dict__["_problems"] = tuple(problems)
        return copy

    def lists(self, serial: int) -> bool:
        """True when the CRL lists ``serial``, whether or not the CRL can be believed."""
        return self._x509.get_revoked_certificate_by_serial_number(serial) is not None

    def is_revoked(self, serial: int) -> bool | None:
        """True when the CRL lists ``serial``, False when it does not, and ``None`` (unknown)
        when the CRL has :attr:`problems`: a CRL that cannot be believed says neither.
        :meth:`lists` answers what it lists regardless."""
        if self.__dict__.get("_problems"):
            return None
        return self.lists(serial)

    def is_signature_valid(self, issuer: Certificate) -> bool:
        """True when ``issuer``'s public key verifies the CRL's signature."""
        key = issuer.public_key
        if key is None:
            return False
        try:
            return self._x509.is_signature_valid(key)
        except (TypeError, ValueError, UnsupportedAlgorithm):
            return False

    def to_dict(self) -> dict[str, Any]:
        """The decoded fields as a flat dict (entries are counted, see :attr:`entries`)."""
        return {
            "issuer": self.issuer,
            "this_update": self.this_update,
            "next_update": self.next_update,
            "crl_number": self.crl_number,
            "aki": self.aki,
            "issuing_distribution_point": self.issuing_distribution_point,
            "signature_algorithm": self.signature_algorithm,
            "revoked_count": len(self),
        }

    def _series_name(self) -> str | None:
        return first_common_name(self._x509.issuer) or self.issuer

    def __len__(self) -> int:
        return len(self._x509)

    def __repr__(self) -> str:
        issuer = first_common_name(self._x509.issuer)
        name = f"CN={issuer}" if issuer is not None else repr(self.issuer)
        return (
            f"<Crl issuer {name} number={self.crl_number} entries={len(self)} "
            f"next_update={_date(self.next_update)}>"
        )


def _revoked_record(revoked: x509.RevokedCertificate) -> dict[str, Any]:
    try:
        reason = revoked.extensions.get_extension_for_class(x509.CRLReason).value.reason.value
    except x509.ExtensionNotFound:
        reason = None
    return {
        "serial": revoked.serial_number,
        "serial_hex": serial_to_aws(revoked.serial_number),
        "revocation_date": revoked.revocation_date_utc,
        "reason": reason,
    }
