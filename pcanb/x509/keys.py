"""Keys and signatures named the AWS way: KeyAlgorithm ↔ key objects, SigningAlgorithm ↔ sign()."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, mldsa, padding, rsa

from pcanb.vocab import KEY_ALGORITHMS

PrivateKey = Any  # rsa / ec / mldsa private keys; cryptography has no common base type
PublicKey = Any

_CURVES = {
    "EC_prime256v1": ec.SECP256R1,
    "EC_secp384r1": ec.SECP384R1,
    "EC_secp521r1": ec.SECP521R1,
}
_CURVE_NAMES = {
    "secp256r1": "EC_prime256v1",
    "secp384r1": "EC_secp384r1",
    "secp521r1": "EC_secp521r1",
}
_MLDSA = {
    "ML_DSA_44": (mldsa.MLDSA44PrivateKey, mldsa.MLDSA44PublicKey),
    "ML_DSA_65": (mldsa.MLDSA65PrivateKey, mldsa.MLDSA65PublicKey),
    "ML_DSA_87": (mldsa.MLDSA87PrivateKey, mldsa.MLDSA87PublicKey),
}
_HASHES = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}


def generate_private_key(key_algorithm: str) -> PrivateKey:
    """A new private key for an AWS ``KeyAlgorithm`` (``SM2`` is not available)."""
    if key_algorithm.startswith("RSA_"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(key_algorithm[4:]))
    if key_algorithm in _CURVES:
        return ec.generate_private_key(_CURVES[key_algorithm]())
    if key_algorithm in _MLDSA:
        return _MLDSA[key_algorithm][0].generate()
    if key_algorithm in KEY_ALGORITHMS:
        raise ValueError(f"{key_algorithm} keys are not supported by the cryptography library")
    raise ValueError(f"unknown KeyAlgorithm {key_algorithm!r}; choose one of {KEY_ALGORITHMS}")


def key_algorithm_of(key: PrivateKey | PublicKey) -> str | None:
    """The AWS ``KeyAlgorithm`` name of a public or private key, or ``None`` if AWS has none."""
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        name = f"RSA_{key.key_size}"
        return name if name in KEY_ALGORITHMS else None
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return _CURVE_NAMES.get(key.curve.name)
    for name, classes in _MLDSA.items():
        if isinstance(key, classes):
            return name
    return None


def key_description(key: PublicKey) -> tuple[str, int | None, str | None]:
    """(type, size in bits, curve) of a public key, e.g. ``("EC", 256, "secp256r1")``."""
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size, None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size, key.curve.name
    for name, (_, public) in _MLDSA.items():
        if isinstance(key, public):
            return name.replace("_", "-", 1).replace("_", "-"), None, None
    return type(key).__name__.replace("PublicKey", "").replace("_", ""), None, None


def sign_arguments(signing_algorithm: str) -> dict[str, Any]:
    """Keyword arguments for cryptography's ``builder.sign(key, **args)`` for a SigningAlgorithm."""
    if signing_algorithm.startswith("ML_DSA_"):
        return {"algorithm": None}
    digest = _HASHES.get(signing_algorithm[:6])
    if digest is None:
        raise ValueError(f"signing algorithm {signing_algorithm!r} is not supported")
    if signing_algorithm.endswith("WITHRSA_PSS"):
        h = digest()
        return {
            "algorithm": h,
            "rsa_padding": padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size),
        }
    return {"algorithm": digest()}


def signing_algorithm_of(oid_name: str, hash_name: str | None, pss: bool) -> str | None:
    """The AWS SigningAlgorithm for a signature seen in a certificate, when there is one."""
    if oid_name.upper().startswith("ML-DSA-"):
        return "ML_DSA_" + oid_name[-2:]
    if hash_name is None:
        return None
    prefix = hash_name.upper().replace("-", "")
    if "ecdsa" in oid_name.lower():
        return f"{prefix}WITHECDSA"
    if pss:
        return f"{prefix}WITHRSA_PSS"
    if "rsa" in oid_name.lower():
        return f"{prefix}WITHRSA"
    return None
