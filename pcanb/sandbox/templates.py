"""The certificate templates AWS Private CA documents, and the extensions each one puts in.

Precedence for every extension is template definition > ApiPassthrough > CSR, and what may
pass through at all depends on the template variant (base, CSRPassthrough, APIPassthrough,
APICSRPassthrough).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, ObjectIdentifier

from pcanb.sandbox.errors import InvalidArgsException
from pcanb.sandbox.general_names import (
    check_subject,
    general_name,
    information_access,
    subject_alternative_name,
)
from pcanb.vocab import EXTENDED_KEY_USAGE_OIDS, TEMPLATE_NAMES
from pcanb.x509 import der, raw_extensions
from pcanb.x509.names import subject_to_name

_KEY_USAGE_FIELDS = {
    "DigitalSignature": "digital_signature",
    "NonRepudiation": "content_commitment",
    "KeyEncipherment": "key_encipherment",
    "DataEncipherment": "data_encipherment",
    "KeyAgreement": "key_agreement",
    "KeyCertSign": "key_cert_sign",
    "CRLSign": "crl_sign",
    "EncipherOnly": "encipher_only",
    "DecipherOnly": "decipher_only",
}
_ACCESS_METHODS = {
    "CA_REPOSITORY": "1.3.6.1.5.5.7.48.5",
    "RESOURCE_PKI_MANIFEST": "1.3.6.1.5.5.7.48.10",
    "RESOURCE_PKI_NOTIFY": "1.3.6.1.5.5.7.48.13",
}


def key_usage(**bits: bool) -> x509.KeyUsage:
    """A KeyUsage with cryptography's argument names, unspecified bits false."""
    names = (
        "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
        "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
    )  # fmt: skip
    return x509.KeyUsage(**{n: bits.get(n, False) for n in names})


_EE_KU = key_usage(digital_signature=True, key_encipherment=True)
_SIGN_KU = key_usage(digital_signature=True)
_CA_KU = key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True)


@dataclass(frozen=True)
class Template:
    """What one template defines; ``None`` for an extension means the template leaves it open."""

    name: str
    family: str
    basic_constraints: x509.BasicConstraints
    basic_constraints_critical: bool
    key_usage: x509.KeyUsage | None
    extended_key_usage: tuple[ObjectIdentifier, ...] | None
    extended_key_usage_critical: bool
    csr_passthrough: bool
    api_passthrough: bool

    @property
    def is_ca(self) -> bool:
        return self.basic_constraints.ca

    @property
    def is_root(self) -> bool:
        return self.family == "RootCACertificate"

    @cached_property
    def extensions(self) -> tuple[x509.Extension, ...]:
        """The extensions the template itself defines (BasicConstraints, KeyUsage, EKU), built
        once: they win over anything a request asks for."""
        out = [
            x509.Extension(
                ExtensionOID.BASIC_CONSTRAINTS,
                self.basic_constraints_critical,
                self.basic_constraints,
            )
        ]
        if self.key_usage is not None:
            out.append(x509.Extension(ExtensionOID.KEY_USAGE, True, self.key_usage))
        if self.extended_key_usage is not None:
            eku = x509.ExtendedKeyUsage(list(self.extended_key_usage))
            out.append(
                x509.Extension(
                    ExtensionOID.EXTENDED_KEY_USAGE, self.extended_key_usage_critical, eku
                )
            )
        return tuple(out)


def _family_definition(family: str) -> dict[str, Any]:
    end_entity = {"basic_constraints": x509.BasicConstraints(False, None), "bc_critical": False}
    if family == "EndEntityCertificate":
        eku = (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH)
        return {**end_entity, "ku": _EE_KU, "eku": eku, "eku_critical": False}
    if family == "EndEntityClientAuthCertificate":
        return {**end_entity, "ku": _EE_KU, "eku": (ExtendedKeyUsageOID.CLIENT_AUTH,)}
    if family == "EndEntityServerAuthCertificate":
        return {**end_entity, "ku": _EE_KU, "eku": (ExtendedKeyUsageOID.SERVER_AUTH,)}
    if family == "CodeSigningCertificate":
        eku = (ExtendedKeyUsageOID.CODE_SIGNING,)
        return {**end_entity, "ku": _SIGN_KU, "eku": eku, "eku_critical": True}
    if family == "OCSPSigningCertificate":
        eku = (ExtendedKeyUsageOID.OCSP_SIGNING,)
        return {**end_entity, "ku": _SIGN_KU, "eku": eku, "eku_critical": True}
    if family == "BlankEndEntityCertificate":
        return end_entity
    if family == "BlankEndEntityCertificate_CriticalBasicConstraints":
        return {**end_entity, "bc_critical": True}
    if family == "RootCACertificate":
        return {"basic_constraints": x509.BasicConstraints(True, None), "ku": _CA_KU}
    if family.startswith(("SubordinateCACertificate_PathLen", "BlankSubordinateCACertificate")):
        path_len = int(family[-1])
        bc = {"basic_constraints": x509.BasicConstraints(True, path_len)}
        return bc if family.startswith("Blank") else {**bc, "ku": _CA_KU}
    raise KeyError(family)


def _parse_template(name: str) -> Template:
    family, variant = name, ""
    for suffix in ("_APICSRPassthrough", "_APIPassthrough", "_CSRPassthrough"):
        if name.endswith(suffix):
            family, variant = name[: -len(suffix)], suffix[1:]
    spec = _family_definition(family)
    return Template(
        name=name,
        family=family,
        basic_constraints=spec["basic_constraints"],
        basic_constraints_critical=spec.get("bc_critical", True),
        key_usage=spec.get("ku"),
        extended_key_usage=spec.get("eku"),
        extended_key_usage_critical=spec.get("eku_critical", False),
        csr_passthrough=variant in ("CSRPassthrough", "APICSRPassthrough"),
        api_passthrough=variant in ("APIPassthrough", "APICSRPassthrough"),
    )


TEMPLATES: dict[str, Template] = {name: _parse_template(name) for name in TEMPLATE_NAMES}


# --- ApiPassthrough -> cryptography objects ------------------------------------------------


def api_key_usage(spec: Mapping[str, bool]) -> x509.KeyUsage:
    """A KeyUsage from AWS's nine KeyUsage booleans (unset ones false)."""
    bits = {_KEY_USAGE_FIELDS[k]: bool(v) for k, v in spec.items() if k in _KEY_USAGE_FIELDS}
    if (bits.get("encipher_only") or bits.get("decipher_only")) and not bits.get("key_agreement"):
        raise InvalidArgsException("EncipherOnly and DecipherOnly require KeyAgreement.")
    return key_usage(**bits)


def api_extended_key_usage(items: list[Mapping[str, str]]) -> x509.ExtendedKeyUsage:
    oids = []
    for item in items:
        chosen = [k for k, v in item.items() if v]
        if len(chosen) != 1:
            raise InvalidArgsException(
                "Each ExtendedKeyUsage entry needs exactly one of ExtendedKeyUsageType "
                "or ExtendedKeyUsageObjectIdentifier."
            )
        value = item[chosen[0]]
        oid = EXTENDED_KEY_USAGE_OIDS[value] if chosen[0] == "ExtendedKeyUsageType" else value
        oids.append(ObjectIdentifier(oid))
    return x509.ExtendedKeyUsage(oids)


def api_certificate_policies(items: list[Mapping[str, Any]]) -> x509.CertificatePolicies:
    """CertificatePolicies from ApiPassthrough; a policy OID given twice is refused (RFC 5280
    4.2.1.4: a policy identifier MUST NOT appear more than once) [inferred code]."""
    policies = []
    seen: set[str] = set()
    for item in items:
        if item["CertPolicyId"] in seen:
            raise InvalidArgsException(
                f"CertificatePolicies lists CertPolicyId {item['CertPolicyId']} more than once; "
                "each policy OID may appear only once."
            )
        seen.add(item["CertPolicyId"])
        qualifiers = [q["Qualifier"]["CpsUri"] for q in item.get("PolicyQualifiers") or ()]
        policies.append(
            x509.PolicyInformation(ObjectIdentifier(item["CertPolicyId"]), qualifiers or None)
        )
    return x509.CertificatePolicies(policies)


def subject_information_access(items: list[Mapping[str, Any]]) -> x509.ExtensionType:
    """The SIA extension from CsrExtensions.SubjectInformationAccess."""
    pairs = []
    for item in items:
        method = item["AccessMethod"]
        chosen = [k for k, v in method.items() if v]
        if len(chosen) != 1:
            raise InvalidArgsException(
                "AccessMethod must have exactly one of CustomObjectIdentifier or AccessMethodType."
            )
        value = method[chosen[0]]
        oid = _ACCESS_METHODS[value] if chosen[0] == "AccessMethodType" else value
        pairs.append((ObjectIdentifier(oid), general_name(item["AccessLocation"])))
    return information_access(pairs)


# --- building the extension list -----------------------------------------------------------


@dataclass
class IssueInputs:
    """Everything the extension rules need for one issuance."""

    template: Template
    csr: x509.CertificateSigningRequest
    api_passthrough: Mapping[str, Any] | None
    issuer_public_key: Any
    issuer_ski: bytes | None
    crl_distribution_point: str | None
    ocsp_url: str | None
    #: The CSR's public key and subject when the caller already has them (parsed once).
    public_key: Any = None
    csr_subject: x509.Name | None = None
    csr_extensions: list[x509.Extension] | None = None


Extensions = dict[ObjectIdentifier, tuple[x509.ExtensionType, bool]]


def _api_extensions(spec: Mapping[str, Any], ocsp_enabled: bool) -> Extensions:
    out: Extensions = {}

    def put(oid: ObjectIdentifier, value: x509.ExtensionType, critical: bool) -> None:
        if oid in out:
            raise InvalidArgsException(
                f"ApiPassthrough defines extension {oid.dotted_string} more than once."
            )
        out[oid] = (value, critical)

    ext = spec.get("Extensions") or {}
    if ext.get("KeyUsage") is not None:
        put(ExtensionOID.KEY_USAGE, _api_key_usage_extension(ext["KeyUsage"]), True)
    if ext.get("ExtendedKeyUsage"):
        put(ExtensionOID.EXTENDED_KEY_USAGE, api_extended_key_usage(ext["ExtendedKeyUsage"]), False)
    if ext.get("CertificatePolicies"):
        policies = api_certificate_policies(ext["CertificatePolicies"])
        put(ExtensionOID.CERTIFICATE_POLICIES, policies, False)
    if ext.get("SubjectAlternativeNames"):
        sans = subject_alternative_name(ext["SubjectAlternativeNames"])
        put(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, sans, False)
    for custom in ext.get("CustomExtensions") or ():
        oid = ObjectIdentifier(custom["ObjectIdentifier"])
        if ocsp_enabled and oid == ExtensionOID.AUTHORITY_INFORMATION_ACCESS:
            # "With OCSP enabled, AIA cannot be supplied through passthrough templates"
            # [documented rule; refusing rather than dropping is inferred].
            raise InvalidArgsException(
                "This certificate authority has OCSP enabled, so the AuthorityInformationAccess "
                "extension (1.3.6.1.5.5.7.1.1) cannot be supplied through ApiPassthrough."
            )
        put(oid, _custom_extension(oid, custom["Value"]), bool(custom.get("Critical")))
    return out


def _api_key_usage_extension(spec: Mapping[str, bool]) -> x509.KeyUsage:
    """ApiPassthrough KeyUsage; one with no bit set is refused, since RFC 5280 4.2.1.3 asks for
    at least one bit in a keyUsage extension [inferred: AWS's answer is not documented]."""
    if not any(spec.get(name) for name in _KEY_USAGE_FIELDS):
        raise InvalidArgsException(
            "ApiPassthrough Extensions.KeyUsage must set at least one bit; omit KeyUsage to "
            "leave the extension out."
        )
    return api_key_usage(spec)


def _custom_extension(oid: ObjectIdentifier, value: str) -> x509.UnrecognizedExtension:
    """A CustomExtension: its Value is the base64 of the DER-encoded extnValue, so it must be
    one complete DER element; anything else would put bytes no parser reads into the
    certificate [inferred: AWS documents the format, not its check]."""
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError:
        raise InvalidArgsException(
            f"CustomExtension {oid.dotted_string} Value is not valid base64."
        ) from None
    if not der.is_single_element(raw):
        raise InvalidArgsException(
            f"CustomExtension {oid.dotted_string} Value is not one DER-encoded ASN.1 value; "
            "give the base64 of the DER encoding of the extension value."
        )
    return x509.UnrecognizedExtension(oid, raw)


_ORDER = (
    ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.KEY_USAGE, ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER, ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME, ExtensionOID.CERTIFICATE_POLICIES,
    ExtensionOID.CRL_DISTRIBUTION_POINTS, ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
)  # fmt: skip
_RANK = {oid: rank for rank, oid in enumerate(_ORDER)}


def _rank(extension: x509.Extension) -> int:
    return _RANK.get(extension.oid, 99)


def build_subject(inputs: IssueInputs) -> x509.Name:
    """The subject: from ApiPassthrough when the template honours it, else the CSR's."""
    api = inputs.api_passthrough or {}
    if inputs.template.api_passthrough and api.get("Subject") is not None:
        check_subject(api["Subject"])
        return subject_to_name(api["Subject"])
    return inputs.csr_subject if inputs.csr_subject is not None else inputs.csr.subject


@lru_cache(maxsize=256)
def _issuer_extensions(
    issuer_ski: bytes, crl_distribution_point: str | None, ocsp_url: str | None
) -> tuple[x509.Extension, ...]:
    """AKI, CDP and AIA of a certificate a CA issues (the same for all of them, built once)."""
    aki = x509.AuthorityKeyIdentifier(issuer_ski, None, None)
    return _issuer_extension_list(aki, crl_distribution_point, ocsp_url)


def _issuer_extension_list(
    aki: x509.AuthorityKeyIdentifier, crl_distribution_point: str | None, ocsp_url: str | None
) -> tuple[x509.Extension, ...]:
    out = [x509.Extension(ExtensionOID.AUTHORITY_KEY_IDENTIFIER, False, aki)]
    if crl_distribution_point is not None:
        point = x509.DistributionPoint(
            [x509.UniformResourceIdentifier(crl_distribution_point)], None, None, None
        )
        out.append(
            x509.Extension(
                ExtensionOID.CRL_DISTRIBUTION_POINTS, False, x509.CRLDistributionPoints([point])
            )
        )
    if ocsp_url is not None:
        access = x509.AccessDescription(
            x509.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
        )
        aia = x509.AuthorityInformationAccess([access])
        out.append(x509.Extension(ExtensionOID.AUTHORITY_INFORMATION_ACCESS, False, aia))
    return tuple(out)


def build_extensions(inputs: IssueInputs, subject: x509.Name) -> list[x509.Extension]:
    """The issued certificate's extensions, in a stable order."""
    template = inputs.template
    chosen: dict[ObjectIdentifier, x509.Extension] = {}
    # Lowest precedence first; later layers overwrite. The CSR gives its SAN, and everything
    # with a CSRPassthrough template.
    csr_extensions = (
        inputs.csr_extensions
        if inputs.csr_extensions is not None
        else raw_extensions.extensions_of(inputs.csr)
    )
    for extension in csr_extensions:
        if template.csr_passthrough or extension.oid == ExtensionOID.SUBJECT_ALTERNATIVE_NAME:
            chosen[extension.oid] = extension
    api_ext: Extensions = {}
    if template.api_passthrough and inputs.api_passthrough:
        api_ext = _api_extensions(inputs.api_passthrough, inputs.ocsp_url is not None)
        for value, critical in api_ext.values():
            chosen[value.oid] = x509.Extension(value.oid, critical, value)
    # Fields that never come from a request, except an AKI the API gives a self-signed root
    # (RootCACertificate_APIPassthrough takes its AKI from the API).
    chosen.pop(ExtensionOID.SUBJECT_KEY_IDENTIFIER, None)
    if not (template.is_root and ExtensionOID.AUTHORITY_KEY_IDENTIFIER in api_ext):
        chosen.pop(ExtensionOID.AUTHORITY_KEY_IDENTIFIER, None)
    if inputs.ocsp_url is not None:
        # An AIA from a CSRPassthrough CSR is replaced by the OCSP one, not refused [inferred:
        # a CSR is the requester's, not the CA administrator's, choice].
        chosen.pop(ExtensionOID.AUTHORITY_INFORMATION_ACCESS, None)
    # The template's own definitions win.
    for extension in template.extensions:
        chosen[extension.oid] = extension
    public_key = inputs.public_key if inputs.public_key is not None else inputs.csr.public_key()
    chosen[ExtensionOID.SUBJECT_KEY_IDENTIFIER] = x509.Extension(
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        False,
        x509.SubjectKeyIdentifier.from_public_key(public_key),
    )
    if not template.is_root:
        if inputs.issuer_ski is not None:
            issuer = _issuer_extensions(
                inputs.issuer_ski, inputs.crl_distribution_point, inputs.ocsp_url
            )
        else:
            aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(inputs.issuer_public_key)
            issuer = _issuer_extension_list(aki, inputs.crl_distribution_point, inputs.ocsp_url)
        for extension in issuer:
            chosen[extension.oid] = extension
    # RFC 5280 4.2.1.6: with an empty subject the SAN must be critical.
    san = chosen.get(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    if san is not None and len(subject) == 0:
        chosen[ExtensionOID.SUBJECT_ALTERNATIVE_NAME] = x509.Extension(san.oid, True, san.value)
    return sorted(chosen.values(), key=_rank)
