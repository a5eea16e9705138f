"""Wrappers for IssueCertificate and GetCertificate."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pcanb.aws import arguments
from pcanb.aws.arguments import ca_arn, compact, pem_bytes
from pcanb.aws.objects import IssuedCertificate
from pcanb.errors import PcanbError
from pcanb.x509.decode import Certificate, CertificateChain

if TYPE_CHECKING:
    from pcanb.aws.session import Pca


def validity(
    *, days: int | None = None, months: int | None = None, years: int | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """An AWS Validity from exactly one of days / months / years / an end datetime."""
    given = {
        k: v
        for k, v in {"DAYS": days, "MONTHS": months, "YEARS": years, "END": end}.items()
        if v is not None
    }
    if len(given) != 1:
        raise PcanbError("give exactly one of days=, months=, years= or end= for the validity")
    kind, value = next(iter(given.items()))
    if kind == "END":
        return {"Type": "ABSOLUTE", "Value": int(value.timestamp())}
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 1 or value % 1:
        raise PcanbError(f"{kind.lower()}= must be a whole number of at least 1, not {value!r}")
    return {"Type": kind, "Value": int(value)}


def issue_certificate(
    pca: Pca,
    certificate_authority_arn: Any,
    csr: Any,
    signing_algorithm: str,
    validity: dict[str, Any],
    *,
    api_passthrough: dict[str, Any] | None = None,
    idempotency_token: str | None = None,
    template_arn: str | None = None,
    validity_not_before: dict[str, Any] | None = None,
) -> str:
    """IssueCertificate; returns the certificate ARN (fetch it with ``get_certificate``).

    ``template_arn`` also takes a template name such as ``EndEntityServerAuthCertificate``.
    """
    response = pca.client.issue_certificate(
        **compact(
            CertificateAuthorityArn=ca_arn(certificate_authority_arn),
            Csr=pem_bytes(csr),
            SigningAlgorithm=signing_algorithm,
            Validity=validity,
            ApiPassthrough=api_passthrough,
            IdempotencyToken=idempotency_token,
            TemplateArn=arguments.template(template_arn),
            ValidityNotBefore=validity_not_before,
        )
    )
    return response["CertificateArn"]


def get_certificate(
    pca: Pca, certificate_authority_arn: Any, certificate_arn: Any | None = None
) -> IssuedCertificate:
    """GetCertificate, decoded: the certificate with ``.arn`` and ``.chain``.

    Pass the CA and the certificate ARN, or just the certificate ARN.
    """
    if certificate_arn is None:
        certificate_arn, certificate_authority_arn = certificate_authority_arn, None
    cert_arn = arguments.certificate_arn(certificate_arn)
    authority = (
        ca_arn(certificate_authority_arn)
        if certificate_authority_arn
        else cert_arn.split("/certificate/")[0]
    )
    response = pca.client.get_certificate(
        CertificateAuthorityArn=authority, CertificateArn=cert_arn
    )
    return IssuedCertificate(
        Certificate.from_pem(response["Certificate"]),
        arn=cert_arn,
        chain=CertificateChain.from_pem(response.get("CertificateChain") or ""),
        clock=pca.now,
    )
