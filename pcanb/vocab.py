"""AWS Private CA vocabulary: enums mirrored from the botocore model, template ARNs, ARNs.

The tuples are written out so that importing pcanb stays cheap; a test checks them
against the botocore service model so they cannot drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

KEY_ALGORITHMS = (
    "RSA_2048", "RSA_3072", "RSA_4096",
    "EC_prime256v1", "EC_secp384r1", "EC_secp521r1",
    "ML_DSA_44", "ML_DSA_65", "ML_DSA_87",
    "SM2",
)  # fmt: skip
SIGNING_ALGORITHMS = (
    "SHA256WITHECDSA", "SHA384WITHECDSA", "SHA512WITHECDSA",
    "SHA256WITHRSA", "SHA384WITHRSA", "SHA512WITHRSA",
    "SHA256WITHRSA_PSS", "SHA384WITHRSA_PSS", "SHA512WITHRSA_PSS",
    "SM3WITHSM2",
    "ML_DSA_44", "ML_DSA_65", "ML_DSA_87",
)  # fmt: skip
CA_STATUSES = (
    "CREATING", "PENDING_CERTIFICATE", "ACTIVE", "DELETED", "DISABLED", "EXPIRED", "FAILED",
)  # fmt: skip
CA_TYPES = ("ROOT", "SUBORDINATE")
REVOCATION_REASONS = (
    "UNSPECIFIED", "KEY_COMPROMISE", "CERTIFICATE_AUTHORITY_COMPROMISE", "AFFILIATION_CHANGED",
    "SUPERSEDED", "CESSATION_OF_OPERATION", "PRIVILEGE_WITHDRAWN", "A_A_COMPROMISE",
)  # fmt: skip
VALIDITY_TYPES = ("END_DATE", "ABSOLUTE", "DAYS", "MONTHS", "YEARS")
KEY_STORAGE_SECURITY_STANDARDS = (
    "FIPS_140_2_LEVEL_2_OR_HIGHER", "FIPS_140_2_LEVEL_3_OR_HIGHER", "CCPC_LEVEL_1_OR_HIGHER",
)  # fmt: skip
USAGE_MODES = ("GENERAL_PURPOSE", "SHORT_LIVED_CERTIFICATE")
S3_OBJECT_ACLS = ("PUBLIC_READ", "BUCKET_OWNER_FULL_CONTROL")
CRL_TYPES = ("COMPLETE", "PARTITIONED")
EXTENDED_KEY_USAGE_TYPES = (
    "SERVER_AUTH", "CLIENT_AUTH", "CODE_SIGNING", "EMAIL_PROTECTION", "TIME_STAMPING",
    "OCSP_SIGNING", "SMART_CARD_LOGIN", "DOCUMENT_SIGNING", "CERTIFICATE_TRANSPARENCY",
)  # fmt: skip
ACCESS_METHOD_TYPES = ("CA_REPOSITORY", "RESOURCE_PKI_MANIFEST", "RESOURCE_PKI_NOTIFY")
ACTION_TYPES = ("IssueCertificate", "GetCertificate", "ListPermissions")
AUDIT_REPORT_FORMATS = ("JSON", "CSV")
AUDIT_REPORT_STATUSES = ("CREATING", "SUCCESS", "FAILED")
FAILURE_REASONS = ("REQUEST_TIMED_OUT", "UNSUPPORTED_ALGORITHM", "OTHER")
RESOURCE_OWNERS = ("SELF", "OTHER_ACCOUNTS")

#: The 23 operations of the acm-pca API, as the botocore model names them.
OPERATIONS = (
    "CreateCertificateAuthority", "CreateCertificateAuthorityAuditReport", "CreatePermission",
    "DeleteCertificateAuthority", "DeletePermission", "DeletePolicy",
    "DescribeCertificateAuthority", "DescribeCertificateAuthorityAuditReport", "GetCertificate",
    "GetCertificateAuthorityCertificate", "GetCertificateAuthorityCsr", "GetPolicy",
    "ImportCertificateAuthorityCertificate", "IssueCertificate", "ListCertificateAuthorities",
    "ListPermissions", "ListTags", "PutPolicy", "RestoreCertificateAuthority",
    "RevokeCertificate", "TagCertificateAuthority", "UntagCertificateAuthority",
    "UpdateCertificateAuthority",
)  # fmt: skip

#: RFC 5280 CRLReason code of each RevocationReason.
REVOCATION_REASON_CODES = {
    "UNSPECIFIED": 0,
    "KEY_COMPROMISE": 1,
    "CERTIFICATE_AUTHORITY_COMPROMISE": 2,
    "AFFILIATION_CHANGED": 3,
    "SUPERSEDED": 4,
    "CESSATION_OF_OPERATION": 5,
    "PRIVILEGE_WITHDRAWN": 9,
    "A_A_COMPROMISE": 10,
}

#: OID of each ExtendedKeyUsageType. DOCUMENT_SIGNING follows RFC 9336 (id-kp-documentSigning).
EXTENDED_KEY_USAGE_OIDS = {
    "SERVER_AUTH": "1.3.6.1.5.5.7.3.1",
    "CLIENT_AUTH": "1.3.6.1.5.5.7.3.2",
    "CODE_SIGNING": "1.3.6.1.5.5.7.3.3",
    "EMAIL_PROTECTION": "1.3.6.1.5.5.7.3.4",
    "TIME_STAMPING": "1.3.6.1.5.5.7.3.8",
    "OCSP_SIGNING": "1.3.6.1.5.5.7.3.9",
    "SMART_CARD_LOGIN": "1.3.6.1.4.1.311.20.2.2",
    "DOCUMENT_SIGNING": "1.3.6.1.5.5.7.3.36",
    "CERTIFICATE_TRANSPARENCY": "1.3.6.1.4.1.11129.2.4.4",
}

#: Key family of each KeyAlgorithm, and the signing algorithms each family accepts.
KEY_FAMILY = {
    "RSA_2048": "RSA", "RSA_3072": "RSA", "RSA_4096": "RSA",
    "EC_prime256v1": "EC", "EC_secp384r1": "EC", "EC_secp521r1": "EC",
    "ML_DSA_44": "ML_DSA_44", "ML_DSA_65": "ML_DSA_65", "ML_DSA_87": "ML_DSA_87",
    "SM2": "SM2",
}  # fmt: skip
SIGNING_ALGORITHMS_BY_FAMILY = {
    "RSA": (
        "SHA256WITHRSA", "SHA384WITHRSA", "SHA512WITHRSA",
        "SHA256WITHRSA_PSS", "SHA384WITHRSA_PSS", "SHA512WITHRSA_PSS",
    ),
    "EC": ("SHA256WITHECDSA", "SHA384WITHECDSA", "SHA512WITHECDSA"),
    "ML_DSA_44": ("ML_DSA_44",),
    "ML_DSA_65": ("ML_DSA_65",),
    "ML_DSA_87": ("ML_DSA_87",),
    "SM2": ("SM3WITHSM2",),
}  # fmt: skip
#: The signing algorithm a person most likely wants for each key algorithm.
DEFAULT_SIGNING_ALGORITHM = {
    "RSA_2048": "SHA256WITHRSA", "RSA_3072": "SHA384WITHRSA", "RSA_4096": "SHA512WITHRSA",
    "EC_prime256v1": "SHA256WITHECDSA", "EC_secp384r1": "SHA384WITHECDSA",
    "EC_secp521r1": "SHA512WITHECDSA",
    "ML_DSA_44": "ML_DSA_44", "ML_DSA_65": "ML_DSA_65", "ML_DSA_87": "ML_DSA_87",
    "SM2": "SM3WITHSM2",
}  # fmt: skip


def signing_matches_key(key_algorithm: str, signing_algorithm: str) -> bool:
    """True when ``signing_algorithm`` belongs to the family of ``key_algorithm``."""
    family = KEY_FAMILY.get(key_algorithm)
    return family is not None and signing_algorithm in SIGNING_ALGORITHMS_BY_FAMILY[family]


# --- templates ------------------------------------------------------------------------------

TEMPLATE_PREFIX = "arn:aws:acm-pca:::template/"

_BASE_END_ENTITY = (
    "CodeSigningCertificate", "EndEntityCertificate", "EndEntityClientAuthCertificate",
    "EndEntityServerAuthCertificate", "OCSPSigningCertificate",
)  # fmt: skip
_BLANK_END_ENTITY = (
    "BlankEndEntityCertificate",
    "BlankEndEntityCertificate_CriticalBasicConstraints",
)
_SUBORDINATE = tuple(f"SubordinateCACertificate_PathLen{n}" for n in range(4))
_BLANK_SUBORDINATE = tuple(f"BlankSubordinateCACertificate_PathLen{n}" for n in range(4))


def _template_names() -> tuple[str, ...]:
    names = [*_BASE_END_ENTITY, "RootCACertificate", *_SUBORDINATE]
    for variant in ("CSRPassthrough", "APIPassthrough", "APICSRPassthrough"):
        names += [f"{n}_{variant}" for n in (*_BLANK_END_ENTITY, *_BASE_END_ENTITY)]
        names += [f"{n}_{variant}" for n in (*_SUBORDINATE, *_BLANK_SUBORDINATE)]
    names.append("RootCACertificate_APIPassthrough")
    return tuple(names)


#: Every certificate template AWS documents, by name (the ARN is ``template_arn(name)``).
TEMPLATE_NAMES = _template_names()


def template_arn(name: str, partition: str = "aws") -> str:
    """The ARN of template ``name``, e.g. ``EndEntityCertificate`` → ``arn:aws:acm-pca:::template/EndEntityCertificate/V1``."""
    return f"arn:{partition}:acm-pca:::template/{name}/V1"


DEFAULT_TEMPLATE_ARN = template_arn("EndEntityCertificate")
ROOT_TEMPLATE_ARN = template_arn("RootCACertificate")

_TEMPLATE_ARN_RE = re.compile(r"^arn:(aws[a-z-]*):acm-pca:::template/([A-Za-z0-9_]+)/V1$")


def template_name(arn: str) -> str | None:
    """The template name in a template ARN, or ``None`` when the ARN names no known template."""
    match = _TEMPLATE_ARN_RE.match(arn)
    if match and match.group(2) in TEMPLATE_NAMES:
        return match.group(2)
    return None


# --- ARNs -----------------------------------------------------------------------------------

_CA_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):acm-pca:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"certificate-authority/(?P<ca_id>[0-9a-f-]{36})"
    r"(?:/certificate/(?P<serial>[0-9a-f]+))?$"
)


@dataclass(frozen=True)
class Arn:
    """A parsed CA or certificate ARN."""

    partition: str
    region: str
    account: str
    ca_id: str
    serial_hex: str | None = None

    @classmethod
    def parse(cls, text: str) -> Arn:
        """Parse a CA ARN or certificate ARN; ``ValueError`` when it is neither."""
        match = _CA_ARN_RE.match(text or "")
        if not match:
            raise ValueError(f"not an AWS Private CA ARN: {text!r}")
        return cls(
            match["partition"], match["region"], match["account"], match["ca_id"], match["serial"]
        )

    @property
    def ca_arn(self) -> str:
        """The ARN of the certificate authority (without any certificate part)."""
        return (
            f"arn:{self.partition}:acm-pca:{self.region}:{self.account}:"
            f"certificate-authority/{self.ca_id}"
        )

    def __str__(self) -> str:
        if self.serial_hex is None:
            return self.ca_arn
        return f"{self.ca_arn}/certificate/{self.serial_hex}"


def serial_to_aws(serial: int) -> str:
    """A serial as AWS prints it in audit reports: lowercase hex bytes joined by colons."""
    return serial.to_bytes(max(1, (serial.bit_length() + 7) // 8), "big").hex(":")


def parse_serial(text: str) -> int:
    """A serial from any form a person types: ``0a:1b``, ``0A1B``, ``0x0a1b``; ``ValueError`` otherwise."""
    cleaned = text.strip().lower()
    if cleaned.startswith("0x"):
        cleaned = cleaned[2:]
    cleaned = cleaned.replace(":", "")
    if not cleaned or not re.fullmatch(r"[0-9a-f]+", cleaned):
        raise ValueError(f"not a hexadecimal serial number: {text!r}")
    return int(cleaned, 16)


# S3 endpoints a URL (a CRL distribution point) may name: virtual-hosted
# (bucket.s3[.region].amazonaws.com) or path-style (s3[.region].amazonaws.com/bucket).
_S3_VIRTUAL_HOST = re.compile(
    r"^(?P<bucket>[a-z0-9.-]+)\.s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com$"
)
_S3_PATH_HOST = re.compile(r"^s3(?:[.-](?:dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com$")


def s3_object_of(url: str) -> tuple[str, str] | None:
    """(bucket, key) when ``url`` points straight at an object on S3's endpoints, else ``None``."""
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), unquote(parts.path.lstrip("/"))
    if match := _S3_VIRTUAL_HOST.match(host):
        return match["bucket"], path
    if _S3_PATH_HOST.match(host) and "/" in path:
        bucket, key = path.split("/", 1)
        return bucket, key
    return None
