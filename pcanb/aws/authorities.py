"""Wrappers for the CA lifecycle actions, returning frames and decoded objects."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from pcanb import tables
from pcanb.analysis.cost import ca_monthly_price
from pcanb.aws import arguments
from pcanb.aws.arguments import ca_arn, check_choice, compact, pem_bytes
from pcanb.vocab import (
    CA_TYPES,
    KEY_STORAGE_SECURITY_STANDARDS,
    RESOURCE_OWNERS,
    USAGE_MODES,
)
from pcanb.x509.decode import CertificateChain, Csr, whole_days
from pcanb.x509.names import subject_to_name

if TYPE_CHECKING:
    from pcanb.aws.session import Pca


def ca_record(ca: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One CertificateAuthority structure flattened into a CA_COLUMNS row."""
    config = ca.get("CertificateAuthorityConfiguration") or {}
    subject = config.get("Subject") or {}
    revocation = ca.get("RevocationConfiguration") or {}
    crl = revocation.get("CrlConfiguration") or {}
    ocsp = revocation.get("OcspConfiguration") or {}
    not_after = ca.get("NotAfter")
    usage = ca.get("UsageMode") or "GENERAL_PURPOSE"
    try:
        rendered = subject_to_name(subject).rfc4514_string() if subject else None
    except ValueError:
        rendered = None
    return {
        "arn": ca["Arn"],
        "ca_id": ca["Arn"].rsplit("/", 1)[1],
        "type": ca.get("Type"),
        "status": ca.get("Status"),
        "common_name": subject.get("CommonName"),
        "subject": rendered,
        "usage_mode": usage,
        "key_algorithm": config.get("KeyAlgorithm"),
        "signing_algorithm": config.get("SigningAlgorithm"),
        "created_at": ca.get("CreatedAt"),
        "last_state_change_at": ca.get("LastStateChangeAt"),
        "not_before": ca.get("NotBefore"),
        "not_after": not_after,
        "days_to_expiry": whole_days(not_after - now) if not_after else None,
        "serial": ca.get("Serial"),
        "owner_account": ca.get("OwnerAccount"),
        "key_storage_security_standard": ca.get("KeyStorageSecurityStandard"),
        "crl_enabled": bool(crl.get("Enabled")),
        "crl_bucket": crl.get("S3BucketName"),
        "crl_expiration_days": crl.get("ExpirationInDays"),
        "crl_custom_cname": crl.get("CustomCname"),
        "crl_type": crl.get("CrlType"),
        "crl_s3_object_acl": crl.get("S3ObjectAcl"),
        "crl_custom_path": crl.get("CustomPath"),
        "crl_omit_extension": (crl.get("CrlDistributionPointExtensionConfiguration") or {}).get(
            "OmitExtension"
        ),
        "ocsp_enabled": bool(ocsp.get("Enabled")),
        "ocsp_custom_cname": ocsp.get("OcspCustomCname"),
        "failure_reason": ca.get("FailureReason"),
        "restorable_until": ca.get("RestorableUntil"),
        # The full-month list price from the one price table (no free trial, no proration).
        "monthly_cost_usd": ca_monthly_price(usage, ca.get("Status")),
    }


def create_certificate_authority(
    pca: Pca,
    certificate_authority_configuration: dict[str, Any],
    certificate_authority_type: str,
    *,
    revocation_configuration: dict[str, Any] | None = None,
    idempotency_token: str | None = None,
    key_storage_security_standard: str | None = None,
    tags: dict[str, str] | list[dict[str, str]] | None = None,
    usage_mode: str | None = None,
) -> str:
    """CreateCertificateAuthority; returns the new CA's ARN (the CA starts in CREATING)."""
    check_choice("certificate_authority_type", certificate_authority_type, CA_TYPES)
    check_choice("usage_mode", usage_mode, USAGE_MODES)
    check_choice(
        "key_storage_security_standard",
        key_storage_security_standard,
        KEY_STORAGE_SECURITY_STANDARDS,
    )
    response = pca.client.create_certificate_authority(
        **compact(
            CertificateAuthorityConfiguration=certificate_authority_configuration,
            CertificateAuthorityType=certificate_authority_type,
            RevocationConfiguration=revocation_configuration,
            IdempotencyToken=idempotency_token,
            KeyStorageSecurityStandard=key_storage_security_standard,
            Tags=arguments.tags(tags),
            UsageMode=usage_mode,
        )
    )
    return response["CertificateAuthorityArn"]


def describe_certificate_authority(pca: Pca, certificate_authority_arn: Any) -> pd.DataFrame:
    """DescribeCertificateAuthority as a one-row frame with the columns of the list form."""
    response = pca.client.describe_certificate_authority(
        CertificateAuthorityArn=ca_arn(certificate_authority_arn)
    )
    return tables.frame([ca_record(response["CertificateAuthority"], pca.now())], tables.CA_COLUMNS)


def list_certificate_authorities(pca: Pca, *, resource_owner: str | None = None) -> pd.DataFrame:
    """ListCertificateAuthorities, every page, one row per CA."""
    check_choice("resource_owner", resource_owner, RESOURCE_OWNERS)
    paginator = pca.client.get_paginator("list_certificate_authorities")
    now = pca.now()
    records = [
        ca_record(ca, now)
        for page in paginator.paginate(**compact(ResourceOwner=resource_owner))
        for ca in page.get("CertificateAuthorities", [])
    ]
    return tables.frame(records, tables.CA_COLUMNS)


def get_certificate_authority_csr(pca: Pca, certificate_authority_arn: Any) -> Csr:
    """GetCertificateAuthorityCsr, decoded."""
    response = pca.client.get_certificate_authority_csr(
        CertificateAuthorityArn=ca_arn(certificate_authority_arn)
    )
    return Csr.from_pem(response["Csr"])


def get_certificate_authority_certificate(
    pca: Pca, certificate_authority_arn: Any
) -> CertificateChain:
    """GetCertificateAuthorityCertificate: the CA certificate first, then its chain to the root."""
    response = pca.client.get_certificate_authority_certificate(
        CertificateAuthorityArn=ca_arn(certificate_authority_arn)
    )
    text = response["Certificate"].strip() + "\n" + (response.get("CertificateChain") or "")
    return CertificateChain.from_pem(text).with_clock(pca.now)


def import_certificate_authority_certificate(
    pca: Pca, certificate_authority_arn: Any, certificate: Any, certificate_chain: Any = None
) -> None:
    """ImportCertificateAuthorityCertificate (PEM text, bytes or decoded objects)."""
    pca.client.import_certificate_authority_certificate(
        **compact(
            CertificateAuthorityArn=ca_arn(certificate_authority_arn),
            Certificate=pem_bytes(certificate),
            CertificateChain=pem_bytes(certificate_chain)
            if certificate_chain is not None
            else None,
        )
    )


#: The statuses UpdateCertificateAuthority can set (the others are the service's to give).
SETTABLE_CA_STATUSES = ("ACTIVE", "DISABLED")


def update_certificate_authority(
    pca: Pca,
    certificate_authority_arn: Any,
    *,
    revocation_configuration: dict[str, Any] | None = None,
    status: str | None = None,
) -> None:
    """UpdateCertificateAuthority: status ACTIVE ↔ DISABLED, or a new revocation configuration."""
    check_choice("status", status, SETTABLE_CA_STATUSES)
    pca.client.update_certificate_authority(
        **compact(
            CertificateAuthorityArn=ca_arn(certificate_authority_arn),
            RevocationConfiguration=revocation_configuration,
            Status=status,
        )
    )


def delete_certificate_authority(
    pca: Pca, certificate_authority_arn: Any, *, permanent_deletion_time_in_days: int | None = None
) -> None:
    """DeleteCertificateAuthority (restorable for 7–30 days, default 30)."""
    pca.client.delete_certificate_authority(
        **compact(
            CertificateAuthorityArn=ca_arn(certificate_authority_arn),
            PermanentDeletionTimeInDays=permanent_deletion_time_in_days,
        )
    )


def restore_certificate_authority(pca: Pca, certificate_authority_arn: Any) -> None:
    """RestoreCertificateAuthority (back to PENDING_CERTIFICATE or DISABLED, never ACTIVE)."""
    pca.client.restore_certificate_authority(
        CertificateAuthorityArn=ca_arn(certificate_authority_arn)
    )
