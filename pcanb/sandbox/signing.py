"""CA keys and signatures: family rules, the CA's own CSR, signing builders the AWS way."""

from __future__ import annotations

from typing import Any

from cryptography import x509

from pcanb.sandbox.errors import InvalidArgsException
from pcanb.sandbox.templates import api_key_usage, subject_information_access
from pcanb.vocab import KEY_FAMILY, SIGNING_ALGORITHMS_BY_FAMILY, signing_matches_key
from pcanb.x509.keys import key_algorithm_of, sign_arguments
from pcanb.x509.names import subject_to_name


def check_family(key_algorithm: str, signing_algorithm: str) -> None:
    """``InvalidArgsException`` unless the signing algorithm belongs to the key's family."""
    if not signing_matches_key(key_algorithm, signing_algorithm):
        allowed = SIGNING_ALGORITHMS_BY_FAMILY.get(KEY_FAMILY.get(key_algorithm, ""), ())
        raise InvalidArgsException(
            f"Signing algorithm {signing_algorithm} does not match the key algorithm "
            f"{key_algorithm} of the certificate authority; use one of {', '.join(allowed)}."
        )


# sign() keyword arguments by SigningAlgorithm (hash and padding objects are stateless).
_SIGN_ARGUMENTS: dict[str, dict[str, Any]] = {}


def sign(builder: Any, key: Any, signing_algorithm: str) -> Any:
    """Sign a cryptography builder with ``key`` as ``signing_algorithm`` prescribes."""
    arguments = _SIGN_ARGUMENTS.get(signing_algorithm)
    if arguments is None:
        arguments = _SIGN_ARGUMENTS[signing_algorithm] = sign_arguments(signing_algorithm)
    return builder.sign(key, **arguments)


def ca_csr(key: Any, config: dict[str, Any]) -> x509.CertificateSigningRequest:
    """The CSR a new CA hands out: its subject, its key, its CsrExtensions, its signature."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        subject_to_name(config["Subject"])
    )
    extensions = config.get("CsrExtensions") or {}
    if extensions.get("KeyUsage"):
        builder = builder.add_extension(api_key_usage(extensions["KeyUsage"]), critical=True)
    if extensions.get("SubjectInformationAccess"):
        sia = subject_information_access(extensions["SubjectInformationAccess"])
        builder = builder.add_extension(sia, critical=False)
    return sign(builder, key, config["SigningAlgorithm"])


def key_algorithm(key: Any) -> str:
    """The AWS KeyAlgorithm of a CA key (always one AWS knows: the sandbox made it)."""
    name = key_algorithm_of(key)
    assert name is not None
    return name
