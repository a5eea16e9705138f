"""Objects the workflows hand back: a certificate authority handle and an issued certificate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pcanb.x509.csr import private_key_pem
from pcanb.x509.decode import Certificate, CertificateChain, Csr


class IssuedCertificate(Certificate):
    """A certificate as AWS issued it: the decoded certificate plus its ARN, chain and key.

    ``private_key`` is set only when pcanb generated the key; AWS never returns one.
    No public constructor: it comes from ``pca.issue`` and ``pca.get_certificate``.
    """

    def __init__(
        self,
        certificate: Certificate,
        *,
        arn: str,
        chain: CertificateChain,
        private_key: Any = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(certificate.x509)
        object.__setattr__(self, "arn", arn)
        object.__setattr__(self, "ca_arn", arn.split("/certificate/")[0])
        object.__setattr__(self, "chain", chain if clock is None else chain.with_clock(clock))
        object.__setattr__(self, "private_key", private_key)
        if clock is not None:
            object.__setattr__(self, "_clock", clock)

    def with_clock(self, clock: Callable[[], datetime] | None) -> IssuedCertificate:
        copy = super().with_clock(clock)
        copy.__dict__["chain"] = self.chain.with_clock(clock)
        return copy

    @property
    def private_key_pem(self) -> str | None:
        """The private key as unencrypted PKCS#8 PEM, when pcanb generated it."""
        return private_key_pem(self.private_key) if self.private_key is not None else None

    @property
    def full_chain(self) -> CertificateChain:
        """This certificate followed by its chain up to the root."""
        chain = CertificateChain([Certificate(self.x509), *self.chain])
        return chain if self._clock is None else chain.with_clock(self._clock)

    def to_dict(self) -> dict[str, Any]:
        return {"arn": self.arn, **super().to_dict()}


@dataclass(frozen=True)
class CertificateAuthority:
    """A handle on one CA: its ARN, and what the workflow that made it already knows.

    ``str(ca)`` is the ARN, so a handle can go wherever an ARN is expected.
    """

    arn: str
    type: str
    status: str
    certificate: Certificate | None = None
    chain: CertificateChain = field(default_factory=lambda: CertificateChain([]))
    csr: Csr | None = None

    def __str__(self) -> str:
        return self.arn

    @property
    def ca_id(self) -> str:
        return self.arn.rsplit("/", 1)[1]

    @property
    def common_name(self) -> str | None:
        if self.certificate is not None:
            return self.certificate.common_name
        return self.csr.common_name if self.csr is not None else None


class Policy:
    """A CA resource policy: ``.json`` as stored, ``.document`` parsed, ``.statements`` as a frame."""

    def __init__(self, text: str, *, arn: str | None = None) -> None:
        import json

        self.json = text
        self.document: dict[str, Any] = json.loads(text)
        self.arn = arn

    def __repr__(self) -> str:
        count = len(self.document.get("Statement") or [])
        return f"<Policy {count} statement{'s' if count != 1 else ''} on {self.arn or '?'}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Policy) and self.document == other.document

    __hash__ = None  # type: ignore[assignment]

    @property
    def statements(self) -> Any:
        """One row per statement: sid, effect, principal, actions, resource, condition."""
        import json

        import pandas as pd

        statements = self.document.get("Statement") or []
        if isinstance(statements, dict):
            statements = [statements]

        def text(value: Any) -> str | None:
            if value is None:
                return None
            return value if isinstance(value, str) else json.dumps(value, sort_keys=True)

        rows = [
            {
                "sid": s.get("Sid"),
                "effect": s.get("Effect"),
                "principal": text(s.get("Principal")),
                "actions": ", ".join(s["Action"])
                if isinstance(s.get("Action"), list)
                else s.get("Action"),
                "resource": text(s.get("Resource")),
                "condition": text(s.get("Condition")),
            }
            for s in statements
        ]
        columns = ["sid", "effect", "principal", "actions", "resource", "condition"]
        return pd.DataFrame(rows, columns=columns).astype("string")
