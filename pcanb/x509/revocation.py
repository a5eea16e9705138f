"""When a CRL may be believed about one certificate (RFC 5280 §6.3.3): issuer, signature, scope
and freshness.

A CRL that fails any of these checks says nothing about the certificate, neither "revoked" nor
"not revoked": anyone can serve a CRL at a distribution point, so only one the issuer signed,
that covers the certificate and is still current counts as evidence.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509
from cryptography.x509.oid import CRLEntryExtensionOID, ExtensionOID

from pcanb.errors import DecodeError
from pcanb.x509.decode import Certificate, Crl, _utc

__all__ = [
    "CLOCK_SKEW",
    "CRL_EXTENSIONS_PROCESSED",
    "ca_crl_problems",
    "crl_problems",
    "issuer_problem",
]

#: How far in the future a thisUpdate may lie before a CRL or OCSP response is refused.
CLOCK_SKEW = timedelta(minutes=5)

#: CRL extensions :func:`crl_problems` understands; any other critical one makes a CRL unusable.
CRL_EXTENSIONS_PROCESSED = frozenset(
    {
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.CRL_NUMBER,
        ExtensionOID.ISSUING_DISTRIBUTION_POINT,
    }
)
_ENTRY_EXTENSIONS_PROCESSED = frozenset(
    {CRLEntryExtensionOID.CRL_REASON, CRLEntryExtensionOID.INVALIDITY_DATE}
)


def _name(cert: Certificate) -> str:
    return cert.common_name or cert.subject


def issuer_problem(certificate: Certificate, issuer: Certificate | None) -> str | None:
    """Why ``issuer`` cannot vouch for ``certificate``'s revocation status; ``None`` when it can."""
    if issuer is None:
        return (
            "the issuer's certificate is unknown, so no signature can be checked "
            "(pass issuer=<the issuing CA's certificate>)"
        )
    if (
        issuer.x509.subject != certificate.x509.issuer
        or certificate.signature_check(issuer) is not True
    ):
        return f"{_name(issuer)!r} did not sign this certificate: it is not its issuer"
    return None


def crl_problems(
    crl: Crl, certificate: Certificate, issuer: Certificate | None, *, at: datetime | None = None
) -> list[str]:
    """Why ``crl`` says nothing about ``certificate`` at ``at`` (default: now); empty when it does.

    ``issuer`` is the certificate's issuer (``None`` when unknown: then nothing can be believed).
    The CRL must be issued and signed by it (indirect CRLs are not supported), the issuer must
    be allowed to sign CRLs, the CRL must cover the certificate (issuingDistributionPoint),
    carry no critical extension this module does not process, and be current: thisUpdate not
    in the future (beyond :data:`CLOCK_SKEW`), nextUpdate present and not passed.
    """
    moment = _utc(at)
    problems = []
    if (wrong := issuer_problem(certificate, issuer)) is not None:
        problems.append(wrong)
    if crl.x509.issuer != certificate.x509.issuer:
        problems.append(
            f"the CRL is issued by {crl.issuer!r}, not by the certificate's issuer "
            f"{certificate.issuer!r}"
        )
    elif issuer is not None and wrong is None:
        problems += _signer_problems(crl, issuer)
    problems += _extension_problems(crl, certificate)
    return problems + _currency_problems(crl, moment)


def ca_crl_problems(crl: Crl, ca: Certificate, *, at: datetime | None = None) -> list[str]:
    """Why ``crl`` is not a current CRL of the CA whose certificate is ``ca``, at ``at``
    (default: now); empty when it is.

    The CRL must be issued by the CA (its issuer is the CA's subject), signed with the CA's key,
    the CA allowed to sign CRLs, carry no critical extension this module does not process (nor
    be a delta CRL), and be current: thisUpdate not in the future (beyond :data:`CLOCK_SKEW`),
    nextUpdate present and not passed. Which certificates it covers is not judged here
    (:func:`crl_problems` does, for one certificate).
    """
    moment = _utc(at)
    problems = []
    if crl.x509.issuer != ca.x509.subject:
        problems.append(f"the CRL is issued by {crl.issuer!r}, not by this CA ({ca.subject!r})")
    else:
        problems += _signer_problems(crl, ca)
    problems += _extension_problems(crl, None)
    return problems + _currency_problems(crl, moment)


def _signer_problems(crl: Crl, issuer: Certificate) -> list[str]:
    problems = []
    if not crl.is_signature_valid(issuer):
        problems.append(f"its signature does NOT verify with the key of {_name(issuer)!r}")
    if ExtensionOID.KEY_USAGE in issuer._extension_values and "crl_sign" not in issuer.key_usage:
        problems.append(f"{_name(issuer)!r} may not sign CRLs (keyUsage lacks cRLSign)")
    return problems


def _currency_problems(crl: Crl, moment: datetime) -> list[str]:
    problems = []
    if crl.this_update > moment + CLOCK_SKEW:
        problems.append(
            f"its thisUpdate {crl.this_update:%Y-%m-%d %H:%M}Z is in the future "
            f"(now {moment:%Y-%m-%d %H:%M}Z)"
        )
    if crl.next_update is None:
        problems.append("it has no nextUpdate, so its freshness cannot be judged")
    elif crl.next_update < moment:
        problems.append(
            f"it is stale: its nextUpdate {crl.next_update:%Y-%m-%d %H:%M}Z has passed "
            f"(now {moment:%Y-%m-%d %H:%M}Z)"
        )
    return problems


def _extension_problems(crl: Crl, certificate: Certificate | None) -> list[str]:
    """The CRL's extensions pcanb cannot honour; with ``certificate``, also its scope and the
    certificate's entry."""
    try:
        extensions = list(crl.x509.extensions)
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as exc:
        return [f"its extensions cannot be decoded ({exc})"]
    problems = []
    for ext in extensions:
        if ext.oid == ExtensionOID.DELTA_CRL_INDICATOR:
            problems.append("it is a delta CRL, which says nothing without its base CRL")
        elif ext.critical and ext.oid not in CRL_EXTENSIONS_PROCESSED:
            problems.append(
                f"it carries a critical extension pcanb does not process "
                f"({ext.oid._name} {ext.oid.dotted_string})"
            )
        elif isinstance(ext.value, x509.IssuingDistributionPoint) and certificate is not None:
            problems += _scope_problems(ext.value, certificate)
    if certificate is None:
        return problems
    entry = crl.x509.get_revoked_certificate_by_serial_number(certificate.serial)
    if entry is not None:
        try:
            entry_extensions = list(entry.extensions)
        except (ValueError, x509.DuplicateExtension) as exc:
            raise DecodeError(f"the CRL entry's extensions cannot be decoded: {exc}") from None
        problems += [
            f"its entry for this certificate carries a critical extension pcanb does not "
            f"process ({e.oid._name} {e.oid.dotted_string})"
            for e in entry_extensions
            if e.critical and e.oid not in _ENTRY_EXTENSIONS_PROCESSED
        ]
    return problems


def _scope_problems(idp: x509.IssuingDistributionPoint, certificate: Certificate) -> list[str]:
    """What the issuingDistributionPoint says the CRL does not cover (RFC 5280 §6.3.3 b.2)."""
    problems = []
    if idp.full_name is not None:
        covered = [n.value for n in idp.full_name if isinstance(n, x509.UniformResourceIdentifier)]
        if not set(covered) & set(certificate.crl_urls):
            problems.append(
                f"it covers the distribution point {', '.join(covered) or '(no URI)'}, which "
                "is not one the certificate names"
            )
    if idp.relative_name is not None:
        problems.append("its issuingDistributionPoint uses a relative name pcanb does not resolve")
    if idp.only_contains_user_certs and certificate.is_ca:
        problems.append("it covers only end-entity certificates and this one is a CA")
    if idp.only_contains_ca_certs and not certificate.is_ca:
        problems.append("it covers only CA certificates and this one is not a CA")
    if idp.only_contains_attribute_certs:
        problems.append("it covers only attribute certificates")
    if idp.only_some_reasons:
        problems.append("it covers only some revocation reasons")
    if idp.indirect_crl:
        problems.append("it is an indirect CRL, which pcanb does not support")
    return problems
