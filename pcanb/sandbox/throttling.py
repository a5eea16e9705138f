"""Request-rate quotas: a token bucket per account, Region and operation (opt-in).

AWS Private CA answers ``ThrottlingException`` when an operation is called faster than its
request-rate quota. The sandbox does the same when the ``throttle_scale`` setting is above 0:
each operation may run at ``RATES[operation] * throttle_scale`` calls per second of sandbox time,
with a burst of one second's worth (at least one call). Buckets live in the serving process.
"""

from __future__ import annotations

import threading

from pcanb.sandbox.errors import ServiceError

#: AWS's default request-rate quotas (requests per second per account and Region).
RATES: dict[str, float] = {
    "CreateCertificateAuthority": 1,
    "CreateCertificateAuthorityAuditReport": 1,
    "CreatePermission": 1,
    "DeleteCertificateAuthority": 10,
    "DeletePermission": 1,
    "DeletePolicy": 5,
    "DescribeCertificateAuthority": 20,
    "DescribeCertificateAuthorityAuditReport": 20,
    "GetCertificate": 75,
    "GetCertificateAuthorityCertificate": 20,
    "GetCertificateAuthorityCsr": 10,
    "GetPolicy": 5,
    "ImportCertificateAuthorityCertificate": 10,
    "IssueCertificate": 25,
    "ListCertificateAuthorities": 20,
    "ListPermissions": 5,
    "ListTags": 20,
    "PutPolicy": 5,
    "RestoreCertificateAuthority": 20,
    "RevokeCertificate": 20,
    "TagCertificateAuthority": 10,
    "UntagCertificateAuthority": 10,
    "UpdateCertificateAuthority": 10,
}

MESSAGE = "Rate exceeded"


def throttled() -> ServiceError:
    """The error AWS answers when a request-rate quota is exceeded."""
    return ServiceError("ThrottlingException", MESSAGE)


class RateLimiter:
    """Token buckets keyed by (account, Region, operation); safe to share between threads."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str, str], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, account: str, region: str, operation: str, now: float, scale: float) -> None:
        """Spend one token at sandbox time ``now`` (epoch seconds); ``ThrottlingException`` if
        the bucket is empty. ``scale`` multiplies AWS's default rate."""
        rate = RATES[operation] * scale
        capacity = max(rate, 1.0)
        key = (account, region, operation)
        with self._lock:
            stored = self._buckets.get(key)
            if stored is None:
                tokens = capacity
            else:
                left, then = stored
                tokens = min(capacity, left + max(now - then, 0.0) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                raise throttled()
            self._buckets[key] = (tokens - 1.0, now)
