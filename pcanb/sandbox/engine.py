"""The Private CA engine: one function per action, each run in one SQLite transaction."""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pcanb.errors import PcanbError
from pcanb.sandbox import (
    audit,
    authorities,
    bucket_access,
    ca_import,
    crl,
    issuance,
    permissions,
    policies,
    quotas,
    revocation,
    shapes,
    tagging,
)
from pcanb.sandbox.clock import OFFSET_KEY, Clock
from pcanb.sandbox.errors import ServiceError
from pcanb.sandbox.state import CaRecord, Context
from pcanb.sandbox.store import Store, is_storage_failure, read_only_message
from pcanb.sandbox.throttling import RateLimiter
from pcanb.x509.keys import generate_private_key

Action = Callable[..., dict[str, Any]]
logger = logging.getLogger(__name__)

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
    "RevokeCertificate": (revocation.revoke_certificate, True),
    "CreatePermission": (permissions.create_permission, True),
    "ListPermissions": (permissions.list_permissions, False),
    "DeletePermission": (permissions.delete_permission, True),
    "PutPolicy": (policies.put_policy, True),
    "GetPolicy": (policies.get_policy, False),
    "DeletePolicy": (policies.delete_policy, True),
    "CreateCertificateAuthorityAuditReport": (audit.create_audit_report, True),
    "DescribeCertificateAuthorityAuditReport": (audit.describe_audit_report, False),
    "TagCertificateAuthority": (tagging.tag_certificate_authority, True),
    "UntagCertificateAuthority": (tagging.untag_certificate_authority, True),
    "ListTags": (tagging.list_tags, False),
}

_SETTINGS_KEY = "settings"
_META_QUERY = f"SELECT key, value FROM meta WHERE key IN ('{OFFSET_KEY}', '{_SETTINGS_KEY}')"
#: Why a CA creation can end FAILED (the model's FailureReason values).
FAILURE_REASONS = ("REQUEST_TIMED_OUT", "UNSUPPORTED_ALGORITHM", "OTHER")
#: Every setting with its default; the default's type is the setting's type.
DEFAULT_SETTINGS: dict[str, float | int | str] = {
    "creation_delay": 0.0,
    "issuance_delay": 0.0,
    "crl_delay": 0.0,
    "ocsp_delay": 0.0,
    "audit_delay": 0.0,
    "creation_failure": "",
    **quotas.DEFAULT_QUOTAS,
    # Request-rate quotas: 0 = off, 1 = AWS's default rates, 2 = twice them (ThrottlingException).
    "throttle_scale": 0.0,
}


def _setting_value(name: str, value: Any) -> float | int | str:
    """``value`` as setting ``name`` stores it; ``PcanbError`` (a ValueError) when it does not
    fit."""
    default = DEFAULT_SETTINGS[name]
    if isinstance(default, str):
        value = value or ""
        if value not in ("", *FAILURE_REASONS):
            raise PcanbError(
                f"{name} must be '' (creations succeed) or one of {', '.join(FAILURE_REASONS)}; "
                f"got {value!r}."
            )
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PcanbError(f"{name} must be a number, not {value!r}.")
    if isinstance(default, int):
        if value != int(value) or value < 0:
            raise PcanbError(f"{name} is a count: a whole number of 0 or more, not {value!r}.")
        return int(value)
    if not 0 <= value < math.inf:
        raise PcanbError(f"{name} must be a finite number of 0 or more, not {value!r}.")
    return float(value)


class Engine:
    """Runs acm-pca actions against the store; knows nothing of HTTP or botocore's wire."""

    def __init__(self, store: Store, clock: Clock, s3: Any = None) -> None:
        self.store = store
        self.clock = clock
        self.s3 = s3
        self._lock = threading.Lock()
        self.limiter = RateLimiter()
        self._settings_cache: tuple[str | None, dict[str, Any]] | None = None

    # -- settings shared by every process using this sandbox ---------------------------------

    def settings(self, db) -> dict[str, Any]:
        return self._parse_settings(self.store.get_meta(db, _SETTINGS_KEY))

    def _parse_settings(self, raw: str | None) -> dict[str, Any]:
        cached = self._settings_cache
        if cached is None or cached[0] != raw:
            cached = (raw, {**DEFAULT_SETTINGS, **(json.loads(raw) if raw else {})})
            self._settings_cache = cached
        return dict(cached[1])

    def _clock_and_settings(self, db) -> tuple[datetime, dict[str, Any]]:
        """Sandbox time and settings from one read of the meta table."""
        stored = dict(db.execute(_META_QUERY).fetchall())
        return self.clock.from_offset(stored.get(OFFSET_KEY)), self._parse_settings(
            stored.get(_SETTINGS_KEY)
        )

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change settings (see ``DEFAULT_SETTINGS``) for every process on this sandbox."""
        unknown = set(changes) - set(DEFAULT_SETTINGS)
        if unknown:
            raise PcanbError(
                f"unknown sandbox setting{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(sorted(unknown))}; the settings are {', '.join(sorted(DEFAULT_SETTINGS))}"
            )
        checked = {name: _setting_value(name, value) for name, value in changes.items()}
        with self.store.write() as db:
            merged = {**self.settings(db), **checked}
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
        on_success: Callable[[Any, Context, dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Validate and run one action; raises ``ServiceError`` with the AWS code on failure.

        ``on_success(db, ctx, result)`` runs inside the action's transaction once the action has
        succeeded (the wire records the call there, so an action and its event commit together).
        """
        if operation not in ACTIONS:
            shapes.operation_model(operation)  # UnknownOperationException for made-up names
            raise ServiceError(
                "NotImplementedException",
                f"{operation} is not emulated by the pcanb sandbox yet.",
                501,
            )
        action, writes = ACTIONS[operation]
        if writes and self.store.read_only:
            # What a read-only IAM role gets on AWS: refused before the request is validated.
            raise ServiceError(
                "AccessDeniedException", read_only_message(self.store.path, operation), 400
            )
        request = shapes.validate_request(operation, params)
        prepared = self._prepare(operation, request, region)
        # A read-only action still writes when its call is recorded: one transaction for both.
        transaction = self.store.write if writes or on_success is not None else self.store.read
        for attempt in range(2):
            with transaction() as db:
                now, settings = self._clock_and_settings(db)
                # CRLs and reports due by now are published first, in their own transaction
                # (checked here, in the action's snapshot, so the common case costs one query).
                due = attempt == 0 and not self.store.read_only and self._due(db, now.timestamp())
                if not due:
                    scale = settings["throttle_scale"]
                    if scale:  # raises ThrottlingException before the action touches anything
                        self.limiter.take(account, region, operation, now.timestamp(), scale)
                    ctx = Context(
                        account=account,
                        region=region,
                        partition=partition,
                        now=now,
                        access_key=access_key,
                        settings=settings,
                        prepared=prepared,
                    )
                    result = action(self, db, ctx, request)
                    if on_success is not None:
                        on_success(db, ctx, result)
            if not due:
                if ctx.due_after_commit:
                    self._tick_after_commit(operation)
                return result
            try:
                self.tick()
            except Exception as exc:
                if not is_storage_failure(exc):
                    raise
                # The disk refuses the due CRL (it stays due): the action itself still runs,
                # so reads are answered and writes fail on their own account.
                logger.warning("a due CRL or audit report could not be written: %s", exc)
        raise AssertionError("unreachable: the second attempt always runs the action")

    def _tick_after_commit(self, operation: str) -> None:
        """Publish what the committed action made due. The action has succeeded whatever
        happens here: a failure is logged and the work stays due for the next call."""
        try:
            self.tick()
        except Exception as exc:
            if is_storage_failure(exc):
                logger.warning("%s succeeded; its CRL stays due (%s)", operation, exc)
            else:
                logger.exception(
                    "%s succeeded; publishing its CRL failed (it stays due)", operation
                )

    def _prepare(self, operation: str, request: dict[str, Any], region: str) -> dict[str, Any]:
        """Slow work done before the transaction opens, so other processes are not held up."""
        if operation != "CreateCertificateAuthority":
            return {}
        authorities.check_create(request, region)
        key_algorithm = request["CertificateAuthorityConfiguration"]["KeyAlgorithm"]
        return {"key": generate_private_key(key_algorithm)}

    # -- time-driven work: CRLs due for publication -------------------------------------------

    def _due(self, db, now: float) -> bool:
        return (
            db.execute(
                "SELECT 1 FROM cas WHERE crl_due_at IS NOT NULL AND crl_due_at <= ? "
                "UNION ALL SELECT 1 FROM audit_reports WHERE status = 'CREATING' "
                "AND ready_at <= ? LIMIT 1",
                (now, now),
            ).fetchone()
            is not None
        )

    def tick(self) -> int:
        """Publish the CRLs whose time has come (cheap when none is due; never when the sandbox
        was opened read-only: what was due stays due)."""
        if self.store.read_only:
            return 0
        with self.store.read() as db:
            due = self._due(db, self.clock.now(db).timestamp())
        if not due:
            return 0
        with self.store.write() as db:
            now_dt = self.clock.now(db)
            settings = self.settings(db)

            def context_for(ca: CaRecord | None) -> Context:
                if ca is None:
                    return Context("", "", "aws", now_dt, settings=settings)
                partition = ca.arn.split(":")[1]
                return Context(ca.account, ca.region, partition, now_dt, settings=settings)

            published = crl.publish_due(self, db, context_for)
            return published + audit.generate_due(self, db, now_dt.timestamp())

    # -- hooks for revocation and S3 ----------------------------------------------------------

    def check_crl_bucket(self, ctx: Context, ca_arn: str, config: dict[str, Any]) -> None:
        """InvalidArgs unless the CRL bucket exists and lets acm-pca write (CRL enabled only)."""
        crl_config = config["CrlConfiguration"]
        if not crl_config.get("Enabled") or self.s3 is None:
            return
        bucket = crl_config["S3BucketName"]
        bucket_access.check_service_can_write(self.s3, bucket, account=ctx.account, ca_arn=ca_arn)
        acl = crl.S3_ACLS[crl_config.get("S3ObjectAcl", "PUBLIC_READ")]
        bucket_access.write_permission_probe(self.s3, bucket, acl)

    def after_issue(self, db, ctx: Context, ca: CaRecord) -> None:
        """The first certificate pointing at a CRL makes the CRL appear."""
        crl_config = ca.doc["RevocationConfiguration"]["CrlConfiguration"]
        if crl_config.get("Enabled") and "LastCrlAt" not in ca.doc and ca.certificate is not None:
            crl.publish(self, db, ctx, ca)

    def after_revocation_change(self, db, ctx: Context, ca: CaRecord) -> None:
        """A new CRL configuration is applied by publishing a CRL under it — once a CRL exists.

        A CRL first appears with the first certificate that points to it (``after_issue``), so
        turning CRLs on for a CA whose certificates carry no CDP writes nothing yet.
        """
        if ca.doc["RevocationConfiguration"]["CrlConfiguration"].get("Enabled"):
            if "LastCrlAt" in ca.doc:
                crl.publish(self, db, ctx, ca)
        else:
            crl.schedule(db, ca, None)
