"""Service errors the sandbox answers with, named exactly by their AWS error codes."""

from __future__ import annotations


def escape_surrogates(text: str) -> str:
    """``text`` with lone UTF-16 surrogates (valid in a JSON string, not in UTF-8) written as
    ``\\udXXX`` escapes, so it can go into UTF-8 text: a message, CBOR, SQLite."""
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class ServiceError(Exception):
    """An AWS error: ``code`` goes to ``__type`` on the wire, ``message`` to ``message``."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def _factory(code: str, status: int = 400):
    def make(message: str) -> ServiceError:
        return ServiceError(code, message, status)

    make.__name__ = code
    make.__doc__ = f"A ``{code}`` error."
    return make


ValidationException = _factory("ValidationException")
InvalidArnException = _factory("InvalidArnException")
InvalidArgsException = _factory("InvalidArgsException")
InvalidStateException = _factory("InvalidStateException")
InvalidRequestException = _factory("InvalidRequestException")
InvalidTagException = _factory("InvalidTagException")
InvalidPolicyException = _factory("InvalidPolicyException")
InvalidNextTokenException = _factory("InvalidNextTokenException")
ResourceNotFoundException = _factory("ResourceNotFoundException")
RequestInProgressException = _factory("RequestInProgressException")
RequestFailedException = _factory("RequestFailedException")
RequestAlreadyProcessedException = _factory("RequestAlreadyProcessedException")
LimitExceededException = _factory("LimitExceededException")
TooManyTagsException = _factory("TooManyTagsException")
MalformedCSRException = _factory("MalformedCSRException")
MalformedCertificateException = _factory("MalformedCertificateException")
CertificateMismatchException = _factory("CertificateMismatchException")
PermissionAlreadyExistsException = _factory("PermissionAlreadyExistsException")
LockoutPreventedException = _factory("LockoutPreventedException")
ConcurrentModificationException = _factory("ConcurrentModificationException")
