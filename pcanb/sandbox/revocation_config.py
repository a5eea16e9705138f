"""RevocationConfiguration: AWS's validation rules, and the CDP / OCSP URLs certificates carry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pcanb.sandbox.errors import InvalidArgsException
from pcanb.sandbox.s3 import bucket_name_problem


def _check_cname(field: str, value: str | None) -> None:
    if value and value.lower().startswith(("http://", "https://")):
        raise InvalidArgsException(
            f"{field} must be a host name without a protocol prefix; remove "
            f"'{value.split('://')[0]}://' from {value!r}."
        )


def normalise(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate a RevocationConfiguration and return it as Describe echoes it."""
    config = dict(config or {})
    crl = dict(config.get("CrlConfiguration") or {"Enabled": False})
    ocsp = dict(config.get("OcspConfiguration") or {"Enabled": False})
    if not crl.get("Enabled"):
        extra = sorted(k for k in crl if k != "Enabled")
        if extra:
            raise InvalidArgsException(
                "CrlConfiguration is disabled, so it may contain only Enabled; remove "
                + ", ".join(extra)
                + "."
            )
    else:
        bucket = crl.get("S3BucketName")
        if not bucket:
            raise InvalidArgsException("S3BucketName is required when CRL generation is enabled.")
        problem = bucket_name_problem(bucket.split("/", 1)[0])
        if problem:
            raise InvalidArgsException(f"The S3 bucket name {bucket!r} {problem}.")
        if crl.get("ExpirationInDays") is None:
            raise InvalidArgsException(
                "ExpirationInDays is required when CRL generation is enabled (1 to 5000 days)."
            )
        _check_cname("CustomCname", crl.get("CustomCname"))
        omit = (crl.get("CrlDistributionPointExtensionConfiguration") or {}).get("OmitExtension")
        if omit and crl.get("CustomCname"):
            raise InvalidArgsException(
                "CustomCname cannot be set when CrlDistributionPointExtensionConfiguration "
                "OmitExtension is true: certificates would carry no CDP to use it."
            )
        crl.setdefault("S3ObjectAcl", "PUBLIC_READ")
        crl.setdefault("CrlType", "COMPLETE")
    if not ocsp.get("Enabled"):
        if any(k != "Enabled" for k in ocsp):
            raise InvalidArgsException(
                "OcspConfiguration is disabled, so it may contain only Enabled; remove OcspCustomCname."
            )
    else:
        _check_cname("OcspCustomCname", ocsp.get("OcspCustomCname"))
    return {"CrlConfiguration": crl, "OcspConfiguration": ocsp}


def crl_object_key(config: Mapping[str, Any], ca_id: str, partition: str | None = None) -> str:
    """The S3 key the CRL is written to: ``crl/<ca_id>.crl`` or ``<CustomPath>/...``."""
    crl = config["CrlConfiguration"]
    prefix = (crl.get("CustomPath") or "crl").strip("/")
    if crl.get("CrlType") == "PARTITIONED":
        return (
            f"{prefix}/{ca_id}/{partition}.crl" if prefix == "crl" else f"{prefix}/{partition}.crl"
        )
    return f"{prefix}/{ca_id}.crl" if prefix else f"{ca_id}.crl"


def crl_distribution_point(
    config: Mapping[str, Any], ca_id: str, region: str, partition: str | None = None
) -> str | None:
    """The CDP URI issued certificates carry, or ``None`` when CRLs are off or the CDP omitted."""
    crl = config["CrlConfiguration"]
    if not crl.get("Enabled"):
        return None
    if (crl.get("CrlDistributionPointExtensionConfiguration") or {}).get("OmitExtension"):
        return None
    bucket = crl["S3BucketName"]
    host = crl.get("CustomCname") or f"{bucket}.s3.{region}.amazonaws.com"
    return f"http://{host}/{crl_object_key(config, ca_id, partition)}"


def ocsp_url(config: Mapping[str, Any], region: str) -> str | None:
    """The OCSP responder URL in the AIA of issued certificates, or ``None`` when OCSP is off."""
    ocsp = config["OcspConfiguration"]
    if not ocsp.get("Enabled"):
        return None
    return f"http://{ocsp.get('OcspCustomCname') or f'ocsp.acm-pca.{region}.amazonaws.com'}"
