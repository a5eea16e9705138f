"""Errors raised by pcanb itself, before any call reaches AWS or the sandbox.

AWS failures are not wrapped: they stay botocore ``ClientError`` subclasses with the
AWS error code, online and offline.
"""

from __future__ import annotations

from typing import Any


class PcanbError(ValueError):
    """A mistake pcanb can see before calling AWS; the message says what to do next."""


class WrongStateError(PcanbError):
    """A workflow was asked of a CA whose status does not allow it."""


class DecodeError(PcanbError):
    """Bytes that should hold a certificate, CSR, chain or CRL could not be decoded."""


class ChainError(PcanbError):
    """A certificate chain does not verify: ``.problems`` says why, ``.chain`` holds the chain."""

    def __init__(
        self, message: str, *, problems: list[str] | None = None, chain: Any = None
    ) -> None:
        super().__init__(message)
        self.problems = list(problems or [])
        self.chain = chain
