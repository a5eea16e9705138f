"""The Private CA engine: one function per action, each run in one SQLite transaction."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from pcanb.sandbox import authorities, ca_import, issuance, shapes, tagging
from pcanb.sandbox.clock import Clock
from pcanb.sandbox.errors import ServiceError
from pcanb.sandbox.state import CaRecord, Context
from pcanb.sandbox.store import Store
from pcanb.x509.keys import generate_private_key

Action = Callable[..., dict[str, Any]]

#: Every acm-pca operation the engine serves, and whether it changes state.
ACTIONS: dict[str, tuple[Action, bool]] = {
    "CreateCertificateAuthority": (authorities.create_certificate_authority, True),
    "DescribeCertificateAuthority": (authorities.describe_certificate_authority, False),
    "ListCertificateAuthorities": (authorities.list_certificate_authorities, False),
    "GetCertificateAuthorityCsr": (authorities.get_certificate_authority_csr, False),
    "GetCertificateAuthorityCertificate": (
        authorities.get_certificate_authority_certificate,
        False,
    ),
    "UpdateCertificateAuthority": (authorities.update_certificate_authority, True),
    "DeleteCertificateAuthority": (authorities.delete_certificate_authority, True),
    "RestoreCertificateAuthority": (authorities.restore_certificate_authority, True),
    "ImportCertificateAuthorityCertificate": (
        ca_import.import_certificate_authority_certificate,
        True,
    ),
    "IssueCertificate": (issuance.issue_certificate, True),
    "GetCertificate": (issuance.get_certificate, False),
    "TagCertificateAuthority": (tagging.tag_certificate_authority, True),
    "UntagCertificateAuthority": (tagging.untag_certificate_authority, True),
    "ListTags": (tagging.list_tags, False),
}

_SETTINGS_KEY = "settings"
DEFAULT_SETTINGS = {"creation_delay": 0.0, "issuance_delay": 0.0}


class Engine:
    """Runs acm-pca actions against the store; knows nothing of HTTP or botocore's wire."""

    def __init__(self, store: Store, clock: Clock, s3: Any = None) -> None:
        self.store = store
        self.clock = clock
        self.s3 = s3
        self._lock = threading.Lock()

    # -- settings shared by every process using this sandbox ---------------------------------

    def settings(self, db) -> dict[str, Any]:
        raw = self.store.get_meta(db, _SETTINGS_KEY)
        return {**DEFAULT_SETTINGS, **(json.loads(raw) if raw else {})}

    def configure(self, **changes: Any) -> dict[str, Any]:
        unknown = set(changes) - set(DEFAULT_SETTINGS)
        if unknown:
            raise ValueError(
                f"unknown sandbox settings {sorted(unknown)}; known: {sorted(DEFAULT_SETTINGS)}"
            )
        with self.store.write() as db:
            merged = {**self.settings(db), **{k: float(v) for k, v in changes.items()}}
            self.store.set_meta(db, _SETTINGS_KEY, json.dumps(merged))
        return merged

    # -- dispatch ------------------------------------------------------------------------------

    def call(
        self,
        operation: str,
        params: Any,
        *,
        account: str,
        region: str,
        partition: str = "aws",
        access_key: str | None = None,
    ) -> dict[str, Any]:
        """Validate and run one action; raises ``ServiceError`` with the AWS code on failure."""
        if operation not in ACTIONS:
            shapes.operation_model(operation)  # UnknownOperationException for made-up names
            raise ServiceError(
                "NotImplementedException",
                f"{operation} is not emulated by the pcanb sandbox yet.",
                501,
            )
        request = shapes.validate_request(operation, params)
        action, writes = ACTIONS[operation]
        prepared = self._prepare(operation, request, region)
        transaction = self.store.write if writes else self.store.read
        with transaction() as db:
            ctx = Context(
                account=account,
                region=region,
                partition=partition,
                now=self.clock.now(db),
                access_key=access_key,
                settings=self.settings(db),
                prepared=prepared,
            )
            return action(self, db, ctx, request)

    def _prepare(self, operation: str, request: dict[str, Any], region: str) -> dict[str, Any]:
        """Slow work done before the transaction opens, so other processes are not held up."""
        if operation != "CreateCertificateAuthority":
            return {}
        authorities.check_create(request, region)
        key_algorithm = request["CertificateAuthorityConfiguration"]["KeyAlgorithm"]
        return {"key": generate_private_key(key_algorithm)}

    # -- hooks for revocation and S3 ----------------------------------------------------------

    def check_crl_bucket(self, ctx: Context, ca_arn: str, config: dict[str, Any]) -> None:
        """Bucket checks for an enabled CRL configuration (done when the S3 subset is present)."""
        if self.s3 is not None and hasattr(self.s3, "check_crl_bucket"):
            self.s3.check_crl_bucket(ctx, ca_arn, config)

    def after_issue(self, db, ctx: Context, ca: CaRecord) -> None:
        """Called inside the issuing transaction (CRL publication hooks in here)."""

    def after_revocation_change(self, db, ctx: Context, ca: CaRecord) -> None:
        """Called inside the transaction that changed a CA's revocation configuration."""
