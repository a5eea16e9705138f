"""The offline AWS Private CA sandbox: real cryptography, state on disk, boto3 talks to it.

>>> sb = Sandbox(":memory:")
>>> session = sb.boto3_session("us-east-1")    # a boto3 Session answered by the sandbox
>>> sb.advance(days=400)                       # move sandbox time forward
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pcanb.errors import PcanbError
from pcanb.sandbox.clock import Clock
from pcanb.sandbox.engine import Engine
from pcanb.sandbox.store import SandboxStorageError, Store, read_only_message
from pcanb.sandbox.wire import Wire

DEFAULT_ACCOUNT = "111122223333"
DEFAULT_REGION = "us-east-1"
ACCESS_KEY = "AKIAPCANBSANDBOX0001"
SECRET_KEY = "pcanb-sandbox-secret-key-not-a-real-credential"


def default_path() -> Path:
    """``$PCANB_SANDBOX``, else the user data directory (``~/.local/share/pcanb/sandbox``)."""
    if os.environ.get("PCANB_SANDBOX"):
        return Path(os.environ["PCANB_SANDBOX"]).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("pcanb")) / "sandbox"


class Sandbox:
    """One sandbox directory: the SQLite store, the S3 files, the clock, the engine, the wire."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        account: str = DEFAULT_ACCOUNT,
        region: str = DEFAULT_REGION,
        read_only: bool = False,
    ) -> None:
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        if path is not None and not isinstance(path, str | os.PathLike):
            raise PcanbError(
                "the sandbox takes a directory path (a str or pathlib.Path) or ':memory:' for a "
                f"throwaway one, not {type(path).__name__} ({path!r:.40})"
            )
        if path == ":memory:":
            if read_only:
                raise SandboxStorageError("A new :memory: sandbox has nothing to open read-only.")
            self._tempdir = tempfile.TemporaryDirectory(prefix="pcanb-sandbox-")
            path = self._tempdir.name
        self.path = Path(path) if path is not None else default_path()
        if not read_only:
            try:
                self.path.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise SandboxStorageError(
                    f"The pcanb sandbox directory {self.path} cannot be created ({error}); "
                    "choose a directory you can write to."
                ) from error
        self.account = account
        self.default_region = region
        self.read_only = read_only
        self.store = Store(self.path / "sandbox.sqlite3", read_only=read_only)
        self.clock = Clock(self.store)
        self.s3 = self._make_s3()
        self.engine = Engine(self.store, self.clock, self.s3)
        self.wire = Wire(self)

    def _make_s3(self) -> Any:
        try:
            from pcanb.sandbox.s3 import S3
        except ImportError:
            return None
        return S3(
            self.path / "s3",
            now=self.now,
            account=self.account,
            region=self.default_region,
            read_only=self.read_only,
        )

    def __repr__(self) -> str:
        mode = " read-only" if self.read_only else ""
        return (
            f"<Sandbox {self.path}{mode} account={self.account} "
            f"now={self.now():%Y-%m-%d %H:%M:%S}Z>"
        )

    # -- boto3 ---------------------------------------------------------------------------------

    def boto3_session(self, region: str | None = None) -> Any:
        """A boto3 Session whose acm-pca and s3 clients are answered by this sandbox."""
        return self.wire.boto3_session(region or self.default_region, ACCESS_KEY, SECRET_KEY)

    def handle(self, method: str, url: str, headers: dict, body: bytes) -> tuple[int, dict, bytes]:
        """Answer one raw HTTP request (AWS JSON 1.1 for acm-pca, REST-XML for S3)."""
        return self.wire.handle(method, url, headers, body)

    def fetch(self, method: str, url: str, body: bytes = b"") -> tuple[int, dict, bytes]:
        """Answer an HTTP request to a URL certificates carry (CRL distribution point, OCSP)."""
        from pcanb.sandbox.endpoints import fetch

        return fetch(self, method, url, body)

    def events(self) -> Any:
        """Every call this sandbox served, CloudTrail-shaped, as a DataFrame (oldest first)."""
        from pcanb.sandbox.calllog import events_frame

        return events_frame(self.store)

    # -- time ------------------------------------------------------------------------------------

    def now(self) -> datetime:
        """Sandbox time (tz-aware UTC)."""
        return self.clock.now()

    def advance(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> datetime:
        """Move sandbox time forward for every process sharing this sandbox; returns the new time."""
        amounts = {"days": days, "hours": hours, "minutes": minutes, "seconds": seconds}
        for unit, amount in amounts.items():
            if (
                isinstance(amount, bool)
                or not isinstance(amount, int | float)
                or not math.isfinite(amount)
            ):
                raise PcanbError(
                    f"advance() takes numbers, e.g. advance(days=400) or advance(hours=1.5); "
                    f"{unit}={amount!r} is not one"
                )
        try:
            delta = timedelta(**amounts)
        except OverflowError:
            raise PcanbError(
                f"advance({', '.join(f'{u}={a!r}' for u, a in amounts.items() if a)}) is too "
                "far: move the sandbox clock by less than a few thousand years"
            ) from None
        return self.clock.advance(delta)

    # -- settings and housekeeping ---------------------------------------------------------------

    def configure(self, **settings: float | int | str) -> dict[str, float | int | str]:
        """Change settings shared by every process on this sandbox; returns them all.

        - Latencies in seconds: ``creation_delay`` (CREATING → PENDING_CERTIFICATE),
          ``issuance_delay`` (IssueCertificate → GetCertificate ready), ``crl_delay``
          (revocation → CRL written), ``ocsp_delay`` (revocation → OCSP says revoked),
          ``audit_delay`` (audit report CREATING → SUCCESS).
        - ``creation_failure``: ``""`` (default), or a FailureReason (``REQUEST_TIMED_OUT``,
          ``UNSUPPORTED_ALGORITHM``, ``OTHER``) with which every CA created while it is set
          ends its CREATING period FAILED.
        - Count quotas (``LimitExceededException`` past them), AWS's defaults:
          ``max_certificate_authorities`` (200 per Region), ``max_certificates_per_ca``
          (1,000,000 over a CA's lifetime), ``max_certificates_per_ca_partitioned``
          (100,000,000 for CAs with partitioned CRLs), ``max_revocations_per_ca`` (1,000,000).
        - ``throttle_scale``: request-rate quotas, 0 (the default) off, 1 AWS's default rates
          per operation, 2 twice them; a call over its rate gets ``ThrottlingException``.
        """
        return self.engine.configure(**settings)

    def reset(self) -> None:
        """Delete every CA, certificate, object and event; time and settings back to defaults."""
        if self.read_only:
            raise SandboxStorageError(read_only_message(self.store.path, "reset()"))
        self.store.close()
        for child in self.path.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
        self.store = Store(self.path / "sandbox.sqlite3")
        self.clock = Clock(self.store)
        self.s3 = self._make_s3()
        self.engine = Engine(self.store, self.clock, self.s3)

    def close(self) -> None:
        """Close the store; a ``:memory:`` sandbox's files are removed."""
        self.store.close()
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None
