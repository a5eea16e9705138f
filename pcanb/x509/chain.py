"""Certificate paths: order certificates into a chain and list what is wrong with one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from cryptography.x509.oid import ExtensionOID

from pcanb.x509.constraints import critical_extension_problems, name_constraint_problems
from pcanb.x509.decode import Certificate, CertificateChain, _utc

__all__ = ["build_chain", "verify_chain"]


def _label(index: int, cert: Certificate) -> str:
    return f"certificate {index} ({cert.common_name or cert.subject})"


def _validity_problem(index: int, cert: Certificate, at: datetime) -> str | None:
    if at < cert.not_before:
        return f"{_label(index, cert)} is not valid before {cert.not_before:%Y-%m-%d %H:%M} UTC"
    if at > cert.not_after:
        return f"{_label(index, cert)} expired on {cert.not_after:%Y-%m-%d %H:%M} UTC"
    return None


def _link_problems(i: int, child: Certificate, issuer: Certificate) -> list[str]:
    """What is wrong with ``issuer`` (at ``i + 1``) as the issuer of ``child`` (at ``i``)."""
    child_label, issuer_label = _label(i, child), _label(i + 1, issuer)
    problems = []
    if child.x509.issuer != issuer.x509.subject:
        problems.append(
            f"{child_label} names issuer {child.issuer!r} but the next certificate "
            f"is {issuer.subject!r} (wrong order or missing certificate?)"
        )
    else:
        verified = child.signature_check(issuer)
        if verified is None:
            problems.append(
                f"{child_label}: its signature ({child.x509.signature_algorithm_oid._name}) "
                "cannot be checked with this cryptography/OpenSSL build"
            )
        elif not verified:
            problems.append(
                f"{child_label}: signature does not verify with the key of {issuer_label}"
            )
    if child.aki and issuer.ski and child.aki != issuer.ski:
        problems.append(
            f"{child_label}: authorityKeyIdentifier {child.aki} does not match "
            f"subjectKeyIdentifier {issuer.ski} of {issuer_label}"
        )
    if issuer.is_ca is not True:
        problems.append(f"{issuer_label} is not a CA (basicConstraints cA is not true)")
    if _has_key_usage(issuer) and "key_cert_sign" not in issuer.key_usage:
        problems.append(f"{issuer_label} may not sign certificates (keyUsage lacks keyCertSign)")
    return problems


def _has_key_usage(cert: Certificate) -> bool:
    # The decoded extensions, not cert.x509.extensions: those refuse a certificate whose
    # extensions hold an EDIPartyName, which the decoded ones read one by one.
    return ExtensionOID.KEY_USAGE in cert._extension_values


def _path_length_problems(path: Sequence[Certificate]) -> list[str]:
    """pathLenConstraint: how many non-self-issued intermediates may follow each CA."""
    problems = []
    for j in range(1, len(path)):
        limit = path[j].path_length
        if limit is None:
            continue
        below = sum(1 for c in path[1:j] if c.x509.subject != c.x509.issuer)
        if below > limit:
            problems.append(
                f"{_label(j, path[j])} allows pathLen {limit} "
                f"but {below} intermediate certificate{'s follow' if below != 1 else ' follows'} it"
            )
    return problems


def verify_chain(
    leaf: Certificate, chain: Sequence[Certificate], *, at: datetime | None = None
) -> list[str]:
    """Problems with the path ``leaf`` → ``chain[0]`` → … → ``chain[-1]``; empty when it is valid.

    Each certificate must be signed by the next one, name it as its issuer, be a CA with
    keyCertSign when it issues, respect pathLenConstraint and the nameConstraints of the CAs
    above it, carry no critical extension the checks do not process (see
    :mod:`pcanb.x509.constraints`), be valid at ``at`` (default: now), and the last
    certificate must be self-signed. A chain that starts with ``leaf`` itself (as
    :func:`build_chain` returns) is accepted.
    """
    moment = _utc(at)
    issuers = list(chain)
    if issuers and issuers[0] == leaf:
        issuers = issuers[1:]
    path = [leaf, *issuers]
    problems = [p for i, c in enumerate(path) if (p := _validity_problem(i, c, moment))]
    for i in range(len(path) - 1):
        problems += _link_problems(i, path[i], path[i + 1])
    problems += _path_length_problems(path)
    problems += name_constraint_problems(path)
    problems += critical_extension_problems(path)
    if not path[-1].is_self_signed:
        problems.append(
            f"{_label(len(path) - 1, path[-1])} is not self-signed: the chain does not reach a root"
        )
    return problems


def _issuer_rank(child: Certificate, candidate: Certificate) -> tuple[bool, bool, object]:
    """Sort key: a verifying signature first, then a matching key identifier, then the latest."""
    key_match = bool(child.aki and candidate.ski and child.aki == candidate.ski)
    return child.is_issued_by(candidate), key_match, candidate.not_after


def could_issue(candidate: Certificate, child: Certificate) -> bool:
    """``candidate``'s subject is ``child``'s issuer and their key identifiers do not disagree."""
    if candidate.x509.subject != child.x509.issuer:
        return False
    return not (child.aki and candidate.ski and child.aki != candidate.ski)


def issued_by(child: Certificate, candidate: Certificate) -> bool:
    """``candidate`` issued ``child``: names and key identifiers agree, and its key verifies."""
    return could_issue(candidate, child) and child.is_issued_by(candidate)


def _find_issuer(child: Certificate, pool: Sequence[Certificate]) -> Certificate | None:
    candidates = [c for c in pool if could_issue(c, child)]
    if not candidates:
        return None
    return max(candidates, key=lambda c: _issuer_rank(child, c))


def build_chain(leaf: Certificate, pool: Iterable[Certificate]) -> CertificateChain:
    """The chain ``leaf`` → … → root, taking issuers from ``pool`` by name and AKI/SKI.

    It stops at a self-signed certificate or when ``pool`` holds no issuer for the last one.
    """
    remaining = [c for c in dict.fromkeys(pool) if c != leaf]
    path = [leaf]
    while not path[-1].is_self_signed:
        issuer = _find_issuer(path[-1], remaining)
        if issuer is None:
            break
        path.append(issuer)
        remaining.remove(issuer)
    return CertificateChain(path)
