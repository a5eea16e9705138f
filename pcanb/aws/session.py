"""The ``Pca`` session: boto3 clients for acm-pca and s3, and every helper bound to them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import pandas as pd

from pcanb.aws import access, audit, authorities, buckets, chains, revocation, workflows
from pcanb.aws import certificates as issued
from pcanb.aws import costs as billing
from pcanb.aws import findings as posture
from pcanb.aws import hierarchy as tree
from pcanb.tables import NOW_ATTR


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _stamped(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` (a helper returning a frame) with the session's now recorded on the frame
    (``frame.attrs[tables.NOW_ATTR]``), so analyses and charts judge it at sandbox time
    offline."""

    @functools.wraps(function)
    def method(pca: Pca, *args: Any, **kwargs: Any) -> Any:
        result = function(pca, *args, **kwargs)
        if isinstance(result, pd.DataFrame):
            result.attrs[NOW_ATTR] = pd.Timestamp(pca.now())
        return result

    return method


def _http(method: str, url: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """Plain HTTP for CRL distribution points and OCSP responders on the internet.

    Only http:// and https:// URLs are fetched, and redirects only to those: a certificate's
    URL never makes pcanb read a local file (file:) or reach FTP or LDAP servers.
    """
    import urllib.error
    import urllib.request
    from urllib.parse import urlsplit

    from pcanb.errors import PcanbError

    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise PcanbError(f"unsupported URL scheme {scheme or '(none)'!r}: only http(s) is fetched")
    # An opener without the file: and ftp: handlers, so a redirect cannot reach them either.
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.UnknownHandler(),
    ):
        opener.add_handler(handler)
    headers = {"Content-Type": "application/ocsp-request"} if method == "POST" else {}
    request = urllib.request.Request(url, data=body or None, method=method, headers=headers)
    try:
        with opener.open(request, timeout=15) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Pca:
    """One AWS Private CA session: a boto3 Session, its region and account, and every helper.

    Build it with ``pcanb.connect(...)`` (AWS) or ``pcanb.sandbox(...)`` (offline); the helpers
    are the same either way. ``pca.client`` and ``pca.s3`` are the raw boto3 clients.
    """

    def __init__(
        self,
        session: Any,
        *,
        region: str | None = None,
        account: str | None = None,
        endpoint_url: str | None = None,
        client_config: Any = None,
        now: Callable[[], datetime] = _utcnow,
        poll_delay: float | None = None,
        sandbox: Any = None,
        http: Callable[[str, str, bytes], tuple[int, dict[str, str], bytes]] = _http,
    ) -> None:
        self.session = session
        self.region = region or session.region_name or "us-east-1"
        self._account = account
        self._endpoint_url = endpoint_url
        self._client_config = client_config
        self._now = now
        self._poll_delay = poll_delay
        #: The Sandbox behind an offline session (``None`` on AWS).
        self.sandbox = sandbox
        #: ``http(method, url, body) -> (status, headers, body)`` for CDP and OCSP URLs.
        self.http = http

    @classmethod
    def on_sandbox(cls, sandbox: Any, region: str | None = None) -> Pca:
        """A session on ``sandbox`` (a ``pcanb.sandbox.Sandbox``) in ``region`` (its default)."""
        region = region or sandbox.default_region
        return cls(
            sandbox.boto3_session(region),
            region=region,
            account=sandbox.account,
            now=sandbox.now,
            poll_delay=0.2,
            sandbox=sandbox,
            http=sandbox.fetch,
        )

    def in_region(self, region: str) -> Pca:
        """The same session (credentials, account, endpoint, sandbox) in another region."""
        return type(self)(
            self.session,
            region=region,
            account=self._account,
            endpoint_url=self._endpoint_url,
            client_config=self._client_config,
            now=self._now,
            poll_delay=self._poll_delay,
            sandbox=self.sandbox,
            http=self.http,
        )

    def __repr__(self) -> str:
        where = f"sandbox {self.sandbox.path}" if self.sandbox is not None else "AWS"
        return f"<Pca region={self.region} account={self._account or '?'} on {where}>"

    @cached_property
    def client(self) -> Any:
        """The boto3 ``acm-pca`` client."""
        return self.session.client(
            "acm-pca",
            region_name=self.region,
            endpoint_url=self._endpoint_url,
            config=self._client_config,
        )

    @cached_property
    def s3(self) -> Any:
        """The boto3 ``s3`` client (CRLs and audit reports live in S3)."""
        return self.session.client(
            "s3",
            region_name=self.region,
            endpoint_url=self._endpoint_url,
            config=self._client_config,
        )

    @property
    def account(self) -> str:
        """The AWS account id (asked of STS once, on first use, when not given)."""
        if self._account is None:
            self._account = self.session.client(
                "sts", region_name=self.region
            ).get_caller_identity()["Account"]
        return self._account

    @property
    def known_account(self) -> str | None:
        """The account id when it is already known (given, or asked of STS before), else None."""
        return self._account

    def now(self) -> datetime:
        """The time the service sees: real UTC on AWS, sandbox time offline."""
        return self._now()

    def waiter_config(self, aws_delay: int) -> dict[str, Any]:
        """WaiterConfig for botocore waiters: AWS's delays, or quick polling on a sandbox."""
        if self._poll_delay is None:
            return {"Delay": aws_delay, "MaxAttempts": 60}
        return {
            "Delay": self._poll_delay,
            "MaxAttempts": max(60, int(60 * aws_delay / max(self._poll_delay, 0.01))),
        }

    # -- the actions ----------------------------------------------------------------------------
    create_certificate_authority = authorities.create_certificate_authority
    describe_certificate_authority = _stamped(authorities.describe_certificate_authority)
    list_certificate_authorities = _stamped(authorities.list_certificate_authorities)
    get_certificate_authority_csr = authorities.get_certificate_authority_csr
    get_certificate_authority_certificate = authorities.get_certificate_authority_certificate
    import_certificate_authority_certificate = authorities.import_certificate_authority_certificate
    update_certificate_authority = authorities.update_certificate_authority
    delete_certificate_authority = authorities.delete_certificate_authority
    restore_certificate_authority = authorities.restore_certificate_authority
    issue_certificate = issued.issue_certificate
    get_certificate = issued.get_certificate
    revoke_certificate = revocation.revoke_certificate
    tag_certificate_authority = access.tag_certificate_authority
    untag_certificate_authority = access.untag_certificate_authority
    list_tags = _stamped(access.list_tags)
    create_permission = access.create_permission
    list_permissions = _stamped(access.list_permissions)
    delete_permission = access.delete_permission
    put_policy = access.put_policy
    get_policy = access.get_policy
    delete_policy = access.delete_policy
    create_certificate_authority_audit_report = audit.create_certificate_authority_audit_report
    describe_certificate_authority_audit_report = _stamped(
        audit.describe_certificate_authority_audit_report
    )

    # -- workflows ------------------------------------------------------------------------------
    create_root_ca = workflows.create_root_ca
    create_subordinate_ca = workflows.create_subordinate_ca
    issue = workflows.issue
    revoke = revocation.revoke
    chain = chains.chain
    crl = revocation.crl
    ocsp = revocation.ocsp
    check_revocation = revocation.check_revocation
    create_pca_bucket = buckets.create_pca_bucket
    audit_report = _stamped(audit.audit_report)
    certificates = _stamped(audit.certificates)
    hierarchy = _stamped(tree.hierarchy)
    costs = _stamped(billing.costs)
    findings = _stamped(posture.findings)
