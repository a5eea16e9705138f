"""Name constraints (RFC 5280 §4.2.1.10, §6.1) and critical extensions along a certificate path.

cryptography's own verifier (``cryptography.x509.verification``) checks dNSName, iPAddress and
rfc822Name constraints against subjectAltName only: it refuses every chain whose constraints
hold a directoryName or URI subtree, and does not hold the subject DN or its emailAddress to
them. Hence the checks here, for the five name forms:

- **dNSName**: a subtree ``example.com`` holds ``example.com`` and every name below it; one
  written ``.example.com`` only the names below it. Case-insensitive.
- **rfc822Name**: ``user@host`` one mailbox, ``host`` every mailbox at that host,
  ``.host`` every mailbox at a host below it. Applied to subjectAltName rfc822Names and to the
  emailAddress attributes of the subject, as OpenSSL does.
- **uniformResourceIdentifier**: the URI's host, matched as a dNSName subtree; a URI without a
  host name cannot satisfy URI constraints.
- **iPAddress**: the address lies in the subtree's network (same IP version).
- **directoryName**: the subtree's RDNs start the name's RDNs (attribute values compared
  case-insensitively, whitespace collapsed). Applied to the subject DN and subjectAltName
  directoryNames.

Like OpenSSL, a subject commonName that looks like a host name is held to dNSName constraints
when the end-entity certificate carries no dNSName in subjectAltName (clients that still fall
back to the CN would otherwise accept it). Names of other forms (otherName, registeredID…) are
refused when a constraint names that form, as RFC 5280 requires of what is not processed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from pcanb.x509.decode import Certificate

__all__ = ["PROCESSED_EXTENSIONS", "critical_extension_problems", "name_constraint_problems"]

#: The critical extensions a chain may carry: those OpenSSL 3's verifier recognises
#: (``ossl_x509_supported_extension``), so that pcanb and ``openssl verify`` agree on which
#: chains fail for an unrecognised critical extension (RFC 5280 §4.2: such a certificate MUST be
#: rejected). Like ``openssl verify`` without ``-policy_check``, the policy extensions are
#: recognised without policy validation, and a critical key identifier (which RFC 5280 says
#: MUST NOT be critical) fails the chain.
PROCESSED_EXTENSIONS = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.NAME_CONSTRAINTS,
        ExtensionOID.CERTIFICATE_POLICIES,
        ExtensionOID.POLICY_CONSTRAINTS,
        ExtensionOID.POLICY_MAPPINGS,
        ExtensionOID.INHIBIT_ANY_POLICY,
        ExtensionOID.CRL_DISTRIBUTION_POINTS,
        ExtensionOID.OCSP_NO_CHECK,
        x509.ObjectIdentifier("2.16.840.1.113730.1.1"),  # Netscape certificate type
        x509.ObjectIdentifier("1.3.6.1.5.5.7.1.7"),  # RFC 3779 IP address blocks
        x509.ObjectIdentifier("1.3.6.1.5.5.7.1.8"),  # RFC 3779 AS identifiers
        x509.ObjectIdentifier("1.3.6.1.5.5.7.1.14"),  # proxyCertInfo (RFC 3820)
    }
)

_FORMS: dict[type, str] = {
    x509.DNSName: "DNS",
    x509.RFC822Name: "email",
    x509.UniformResourceIdentifier: "URI",
    x509.IPAddress: "IP",
    x509.DirectoryName: "DirName",
}
_HOST_LABEL = r"(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)"
_HOST_NAME = re.compile(rf"^(?:\*\.)?(?:{_HOST_LABEL}\.)+{_HOST_LABEL}$")


def _label(index: int, cert: Certificate) -> str:
    return f"certificate {index} ({cert.common_name or cert.subject})"


def critical_extension_problems(path: Sequence[Certificate]) -> list[str]:
    """A problem for each critical extension of ``path`` not in :data:`PROCESSED_EXTENSIONS`."""
    problems = []
    for i, cert in enumerate(path):
        for ext in cert.extensions:
            oid = x509.ObjectIdentifier(ext["oid"])
            if ext["critical"] and oid not in PROCESSED_EXTENSIONS:
                name = ext["name"] if ext["name"] != ext["oid"] else "an unknown extension"
                problems.append(
                    f"{_label(i, cert)} has a critical extension that is not processed: "
                    f"{name} ({ext['oid']}); a verifier must refuse it (OpenSSL: "
                    "unhandled critical extension)"
                )
    return problems


# --- the names of a certificate ------------------------------------------------------------------


def _text(name: x509.GeneralName) -> str:
    if isinstance(name, x509.DirectoryName):
        return f"DirName:{name.value.rfc4514_string()}"
    if isinstance(name, x509.IPAddress):
        return f"IP:{name.value}"
    form = _FORMS.get(type(name))
    if form is None:
        return f"{type(name).__name__}:{getattr(name, 'value', name)!r}"
    return f"{form}:{name.value}"


def _names(cert: Certificate, *, leaf: bool) -> list[x509.GeneralName]:
    """The names of ``cert`` that constraints apply to: subject DN, its emailAddress
    attributes, subjectAltName, and (end entity, no dNSName SAN) a host-like commonName."""
    names: list[x509.GeneralName] = []
    subject = cert.x509.subject
    if len(subject):
        names.append(x509.DirectoryName(subject))
    for attribute in subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS):
        names.append(x509.RFC822Name(str(attribute.value)))
    san = cert._extension_values.get(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    sans = list(san) if isinstance(san, x509.SubjectAlternativeName) else []
    names += sans
    if leaf and not any(isinstance(n, x509.DNSName) for n in sans):
        for attribute in subject.get_attributes_for_oid(NameOID.COMMON_NAME):
            value = str(attribute.value).lower()
            if _HOST_NAME.match(value):
                names.append(x509.DNSName(value))
    return names


# --- matching one name against one subtree ------------------------------------------------------


def _dns_within(name: str, base: str) -> bool:
    name, base = name.lower().rstrip("."), base.lower().rstrip(".")
    if not base:
        return True
    if base.startswith("."):
        return name.endswith(base)
    return name == base or name.endswith("." + base)


def _email_within(mailbox: str, base: str) -> bool:
    if "@" not in mailbox:
        return False
    local, _, host = mailbox.rpartition("@")
    if "@" in base:
        base_local, _, base_host = base.rpartition("@")
        return local == base_local and host.lower() == base_host.lower()
    if base.startswith("."):
        return host.lower().endswith(base.lower())
    return host.lower() == base.lower()


def _uri_within(uri: str, base: str) -> bool:
    try:
        host = urlsplit(uri).hostname
    except ValueError:
        return False
    if not host or not _HOST_NAME.match(host.lower()):
        return False  # no host name (a URN, an IP literal): cannot be within a URI subtree
    if base.startswith("."):
        return host.lower().endswith(base.lower())
    return host.lower() == base.lower()


def _ip_within(address: object, network: object) -> bool:
    if not isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return False
    if not isinstance(network, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return False
    return address.version == network.version and address in network


def _canonical(name: x509.Name) -> list[frozenset[tuple[str, str]]]:
    def value(v: object) -> str:
        return " ".join(str(v).split()).lower() if isinstance(v, str) else repr(v)

    return [frozenset((a.oid.dotted_string, value(a.value)) for a in rdn) for rdn in name.rdns]


def _dirname_within(name: x509.Name, base: x509.Name) -> bool:
    rdns, prefix = _canonical(name), _canonical(base)
    return len(prefix) <= len(rdns) and rdns[: len(prefix)] == prefix


def _within(name: x509.GeneralName, subtree: x509.GeneralName) -> bool:
    """``name`` lies in ``subtree`` (both of the same form)."""
    if isinstance(name, x509.DNSName):
        return _dns_within(name.value, subtree.value)
    if isinstance(name, x509.RFC822Name):
        return _email_within(name.value, subtree.value)
    if isinstance(name, x509.UniformResourceIdentifier):
        return _uri_within(name.value, subtree.value)
    if isinstance(name, x509.IPAddress):
        return _ip_within(name.value, subtree.value)
    if isinstance(name, x509.DirectoryName):
        return _dirname_within(name.value, subtree.value)
    return False


# --- the path ------------------------------------------------------------------------------------


def _constraints(
    index: int, cert: Certificate
) -> tuple[list[x509.GeneralName], list[x509.GeneralName]] | str | None:
    """(permitted, excluded) subtrees of a CA, ``None`` without nameConstraints, or a problem."""
    if ExtensionOID.NAME_CONSTRAINTS not in cert._extension_values:
        return None
    value = cert._extension_values[ExtensionOID.NAME_CONSTRAINTS]
    if not isinstance(value, x509.NameConstraints):
        return f"{_label(index, cert)}: its nameConstraints extension could not be decoded"
    return list(value.permitted_subtrees or ()), list(value.excluded_subtrees or ())


def _violations(
    names: Iterable[x509.GeneralName],
    permitted: list[x509.GeneralName],
    excluded: list[x509.GeneralName],
) -> list[str]:
    out = []
    for name in names:
        kind = type(name)
        allowed = [s for s in permitted if type(s) is kind]
        denied = [s for s in excluded if type(s) is kind]
        if kind not in _FORMS:
            if allowed or denied:
                out.append(f"{_text(name)} is a name form whose constraints are not processed")
            continue
        if allowed and not any(_within(name, s) for s in allowed):
            listed = ", ".join(_text(s) for s in allowed)
            out.append(f"{_text(name)} is not within the permitted subtrees ({listed})")
        for subtree in denied:
            if _within(name, subtree):
                out.append(f"{_text(name)} is within the excluded subtree {_text(subtree)}")
    return out


def name_constraint_problems(path: Sequence[Certificate]) -> list[str]:
    """A problem for each name in ``path`` (leaf first) outside the nameConstraints of a CA above
    it. Self-issued intermediates are not checked (RFC 5280 §6.1.3); the last certificate, the
    trust anchor, is not checked but its constraints apply below it."""
    problems = []
    constraints: dict[int, tuple[list[x509.GeneralName], list[x509.GeneralName]]] = {}
    for j, cert in enumerate(path):
        if j == 0 or cert.is_ca is not True:
            continue
        found = _constraints(j, cert)
        if isinstance(found, str):
            problems.append(found)
        elif found is not None:
            constraints[j] = found
    if not constraints:
        return problems
    for i, cert in enumerate(path[:-1]):
        if i > 0 and cert.x509.subject == cert.x509.issuer:
            continue
        names = _names(cert, leaf=i == 0)
        san = cert._extension_values.get(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        undecoded = san is not None and not isinstance(san, x509.SubjectAlternativeName)
        for j in sorted(k for k in constraints if k > i):
            permitted, excluded = constraints[j]
            if undecoded:  # an EDIPartyName or x400Address in it: its names cannot all be read
                problems.append(
                    f"{_label(i, cert)}: its subjectAltName holds a name form that cannot be "
                    f"decoded, so it cannot be held to the nameConstraints of {_label(j, path[j])}"
                )
            problems += [
                f"{_label(i, cert)}: {violation} of the nameConstraints of {_label(j, path[j])}"
                for violation in _violations(names, permitted, excluded)
            ]
    return problems
