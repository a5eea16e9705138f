"""``pca.chain(item)``: the certificate chain of a certificate or CA up to its root, verified."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pcanb.aws.authorities import (
    get_certificate_authority_certificate,
    list_certificate_authorities,
)
from pcanb.aws.certificates import get_certificate
from pcanb.aws.objects import CertificateAuthority, IssuedCertificate
from pcanb.errors import ChainError, PcanbError
from pcanb.vocab import Arn
from pcanb.x509.chain import issued_by, verify_chain
from pcanb.x509.decode import Certificate, CertificateChain
from pcanb.x509.names import common_name

if TYPE_CHECKING:
    from pcanb.aws.session import Pca

#: CA statuses in which GetCertificateAuthorityCertificate has a certificate to return.
_INSTALLED = ("ACTIVE", "DISABLED", "EXPIRED", "DELETED")


def chain(
    pca: Pca, item: Any, *, verify: bool = True, at: datetime | None = None
) -> CertificateChain:
    """The chain from ``item`` to its root, leaf first, fetched from the service.

    ``item`` is a certificate ARN or ``IssuedCertificate`` (GetCertificate), a CA ARN or
    ``CertificateAuthority`` (GetCertificateAuthorityCertificate), or a decoded ``Certificate``
    issued by one of the session's CAs (found by issuer name, key identifier and signature).
    With ``verify=True`` the chain is checked with ``pcanb.x509.chain.verify_chain`` at ``at``
    (default ``pca.now()``: sandbox time offline) and a ``pcanb.ChainError`` lists the problems.
    The chain and its certificates carry the session's clock: their cards, ``is_valid_at()``
    and ``days_to_expiry()`` judge them at ``pca.now()`` too.
    """
    found = _fetch(pca, item).with_clock(pca.now)  # judged (cards too) in the session's time
    if verify:
        moment = at if at is not None else pca.now()
        problems = verify_chain(found[0], found[1:], at=moment)
        if problems:
            listed = "".join(f"\n  - {p}" for p in problems)
            raise ChainError(
                f"the chain of {found[0].common_name or found[0].subject} does not verify at "
                f"{moment:%Y-%m-%d %H:%M} UTC:{listed}\n"
                "Pass verify=False to get the chain anyway (the error's .chain holds it).",
                problems=problems,
                chain=found,
            )
    return found


def _fetch(pca: Pca, item: Any) -> CertificateChain:
    if isinstance(item, IssuedCertificate):
        return get_certificate(pca, item.arn).full_chain
    if isinstance(item, CertificateAuthority):
        return get_certificate_authority_certificate(pca, item.arn)
    if isinstance(item, Certificate):
        return _chain_of_decoded(pca, item)
    if isinstance(item, Arn):
        item = str(item)
    if isinstance(item, str):
        try:
            arn = Arn.parse(item.strip())
        except ValueError:
            raise PcanbError(
                f"{item!r} is neither a certificate ARN nor a CA ARN; pass one of those, an "
                "IssuedCertificate, a CertificateAuthority or a decoded Certificate"
            ) from None
        if arn.serial_hex is not None:
            return get_certificate(pca, str(arn)).full_chain
        return get_certificate_authority_certificate(pca, str(arn))
    raise PcanbError(
        f"pca.chain() takes a certificate or CA ARN, an IssuedCertificate, a CertificateAuthority "
        f"or a decoded Certificate; got {type(item).__name__}"
    )


def _chain_of_decoded(pca: Pca, cert: Certificate) -> CertificateChain:
    """``cert`` followed by the chain of the session's CA that issued it (or the CA's own chain)."""
    for _, ca_chain in _session_chains(pca, cert):
        if ca_chain[0] == cert:
            return ca_chain
        if issued_by(cert, ca_chain[0]):
            return CertificateChain([cert, *ca_chain])
    raise _not_issued_here(pca, cert)


def issuing_ca(pca: Pca, cert: Certificate) -> str:
    """The ARN of the session's CA that issued ``cert`` (found by issuer name, key identifier
    and signature); a PcanbError when none did."""
    for arn, ca_chain in _session_chains(pca, cert):
        if ca_chain[0] != cert and issued_by(cert, ca_chain[0]):
            return arn
    raise _not_issued_here(pca, cert)


def _session_chains(pca: Pca, cert: Certificate) -> Iterator[tuple[str, CertificateChain]]:
    """(ARN, chain) of each installed CA of the session, the likely issuers of ``cert`` first."""
    from botocore.exceptions import ClientError  # loaded by now: the client made the listing

    cas = list_certificate_authorities(pca)
    cas = cas[cas["status"].isin(_INSTALLED)]
    issuer_cn = common_name(cert.x509.issuer)
    # CAs whose configured common name is the certificate's issuer's are asked first.
    likely = cas["common_name"].eq(issuer_cn).fillna(False) if issuer_cn else cas["arn"].isna()
    for arn in [*cas.loc[likely, "arn"], *cas.loc[~likely, "arn"]]:
        try:
            ca_chain = get_certificate_authority_certificate(pca, arn)
        except ClientError:  # a CA whose certificate cannot be read cannot be the issuer
            continue
        if len(ca_chain):
            yield arn, ca_chain


def _not_issued_here(pca: Pca, cert: Certificate) -> PcanbError:
    return PcanbError(
        f"no CA of this session (region {pca.region}) issued {cert.common_name or cert.subject} "
        f"(issuer {cert.issuer}); use a session in the issuing CA's account and region, or pass "
        "the certificate's ARN"
    )
