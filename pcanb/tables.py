"""Column schemas for every kind of frame pcanb returns, and records → typed DataFrame."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Column:
    """One declared column: its name and pandas dtype (``datetime`` means tz-aware UTC)."""

    name: str
    dtype: str


def _cols(spec: str) -> tuple[Column, ...]:
    return tuple(Column(*item.split(":")) for item in spec.split())


#: ListCertificateAuthorities / DescribeCertificateAuthority rows.
CA_COLUMNS = _cols(
    "arn:string ca_id:string type:string status:string common_name:string subject:string "
    "usage_mode:string key_algorithm:string signing_algorithm:string "
    "created_at:datetime last_state_change_at:datetime not_before:datetime not_after:datetime "
    "days_to_expiry:Int64 serial:string owner_account:string "
    "key_storage_security_standard:string crl_enabled:boolean crl_bucket:string "
    "crl_expiration_days:Int64 crl_custom_cname:string crl_type:string crl_s3_object_acl:string "
    "crl_custom_path:string crl_omit_extension:boolean ocsp_enabled:boolean "
    "ocsp_custom_cname:string failure_reason:string restorable_until:datetime "
    "monthly_cost_usd:Float64"
)
#: ``pca.costs()`` rows: one CA's charges for one calendar month (``month`` is its first instant).
COST_COLUMNS = _cols(
    "arn:string ca_id:string common_name:string usage_mode:string status:string month:datetime "
    "billed_days:Float64 ca_cost_usd:Float64 certificates_issued:Int64 "
    "certificate_cost_usd:Float64 total_usd:Float64 notes:string"
)
#: ``pcanb.inventory()`` rows: the CA columns with the account and region of each CA.
INVENTORY_COLUMNS = (
    CA_COLUMNS[0],
    *_cols("account:string region:string"),
    *CA_COLUMNS[1:],
)
#: ListTags rows.
TAG_COLUMNS = _cols("arn:string key:string value:string")
#: ListPermissions rows.
PERMISSION_COLUMNS = _cols(
    "arn:string principal:string source_account:string actions:string created_at:datetime "
    "policy:string"
)
#: DescribeCertificateAuthorityAuditReport rows.
AUDIT_REPORT_COLUMNS = _cols(
    "arn:string audit_report_id:string status:string s3_bucket:string s3_key:string "
    "created_at:datetime format:string"
)

#: One posture finding per row (``pca.findings()``); ``severity`` is :data:`SEVERITY_DTYPE`.
FINDING_COLUMNS = _cols(
    "arn:string ca_id:string common_name:string check:string severity:severity title:string "
    "detail:string remediation:string reference:string"
)
#: Finding severities, least to most serious (``frame.severity >= "MEDIUM"`` selects the rest).
#: ``frame.attrs`` key of the time a session made the frame at (``pca.now()``: sandbox time
#: offline), a tz-aware UTC ``pandas.Timestamp``. Analyses and charts that take ``now=None``
#: judge the frame at it (else at the wall clock). pandas keeps ``attrs`` through selection,
#: ``assign``, ``copy`` and ``sort_values``, and through ``concat`` only when every input has
#: the same attrs; ``merge`` and frames built anew drop them: pass ``now=pca.now()`` then.
NOW_ATTR = "pcanb.now"


def session_now(frame: Any) -> pd.Timestamp | None:
    """The :data:`NOW_ATTR` a session recorded on ``frame``, or ``None``."""
    attrs = getattr(frame, "attrs", None)
    stamp = attrs.get(NOW_ATTR) if isinstance(attrs, dict) else None
    return pd.Timestamp(stamp) if stamp is not None else None


SEVERITIES = ("INFO", "LOW", "MEDIUM", "HIGH")
SEVERITY_DTYPE = pd.CategoricalDtype(list(SEVERITIES), ordered=True)
#: GetPolicy text per CA (only CAs that have a resource policy).
RESOURCE_POLICY_COLUMNS = _cols("arn:string policy:string")
#: GetPublicAccessBlock per bucket (``<NA>`` where it could not be read).
BUCKET_ACCESS_COLUMNS = _cols(
    "bucket:string block_public_acls:boolean ignore_public_acls:boolean "
    "block_public_policy:boolean restrict_public_buckets:boolean"
)

#: One row per decoded certificate (``Certificate.to_dict()``), see ``certificates_frame``.
CERTIFICATE_COLUMNS = _cols(
    "subject:string issuer:string common_name:string serial:object serial_hex:string "
    "not_before:datetime not_after:datetime key_type:string key_size:Int64 curve:string "
    "key_algorithm:string signature_algorithm:string sans:object dns_names:object "
    "key_usage:object extended_key_usage:object is_ca:boolean path_length:Int64 ski:string "
    "aki:string crl_urls:object ocsp_urls:object ca_issuers_urls:object "
    "fingerprint_sha256:string fingerprint_sha1:string is_self_signed:boolean"
)

#: Columns ``pca.certificates(decode=True)`` adds to an inventory, from each certificate.
DECODED_COLUMNS = _cols(
    "sans:object key_algorithm:string signature_algorithm:string key_usage:object "
    "extended_key_usage:object is_ca:boolean decode_error:string"
)


def frame(records: Iterable[Mapping[str, Any]], columns: tuple[Column, ...]) -> pd.DataFrame:
    """A DataFrame with exactly ``columns`` in order and their dtypes, even when empty."""
    rows = list(records)
    data = {
        c.name: _typed(pd.Series([r.get(c.name) for r in rows], dtype=object), c.dtype)
        for c in columns
    }
    return pd.DataFrame(data, columns=[c.name for c in columns])


def _typed(series: pd.Series, dtype: str) -> pd.Series:
    if dtype == "datetime":
        return pd.to_datetime(series, utc=True).astype("datetime64[us, UTC]")
    if dtype == "severity":
        return series.astype(object).where(series.notna(), None).astype(SEVERITY_DTYPE)
    if dtype == "object":
        return series.astype(object)
    if dtype in ("Float64", "Int64", "boolean"):
        return series.astype(object).where(series.notna(), None).astype(dtype)
    return series.astype(dtype)
