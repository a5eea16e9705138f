"""Many certificates as one typed DataFrame: a bundle, a chain, a directory's worth of PEM/DER."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from pcanb.tables import CERTIFICATE_COLUMNS, frame
from pcanb.x509.decode import Certificate, CertificateChain

__all__ = ["certificates_frame"]


def _certificates(items: Any) -> Iterable[Certificate]:
    if isinstance(items, str | bytes | bytearray | memoryview):
        # One text or bytes value: a PEM bundle (any number of blocks) or one DER certificate.
        data = items.encode("ascii", "replace") if isinstance(items, str) else bytes(items)
        if b"-----BEGIN " in data[:4096]:
            return CertificateChain.from_pem(data)
        return [Certificate.from_der(data)]
    if not isinstance(items, Iterable):
        raise TypeError(
            "certificates_frame() takes a PEM bundle, DER bytes or an iterable of certificates, "
            f"not {type(items).__name__}"
        )
    return (_one(item) for item in items)


def _one(item: Any) -> Certificate:
    if isinstance(item, Certificate):
        return item
    if isinstance(item, bytes | bytearray | memoryview | str):
        return Certificate.load(item)
    raise TypeError(f"expected a Certificate, PEM text or DER bytes, got {type(item).__name__}")


def certificates_frame(certificates: Any) -> pd.DataFrame:
    """One row per certificate, with the columns of ``Certificate.to_dict()`` and their dtypes.

    ``certificates`` is a PEM bundle (text or bytes), one DER certificate, or an iterable of
    :class:`~pcanb.Certificate` objects, PEM strings or DER bytes (a ``CertificateChain``
    too). ``not_before``/``not_after`` are tz-aware UTC; ``serial`` keeps the full integer
    (serials are up to 160 bits); list columns (``sans``, ``key_usage``…) hold lists.
    """
    return frame((cert.to_dict() for cert in _certificates(certificates)), CERTIFICATE_COLUMNS)
