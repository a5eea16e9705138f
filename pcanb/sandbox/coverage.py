"""What the sandbox emulates, per operation and parameter, checked against the botocore model.

``rows()`` walks the acm-pca service model, so a parameter AWS adds shows up here (as
``not declared``) and the coverage test fails until someone decides what the sandbox does
with it. Anything the sandbox does not do answers with an error; nothing is ignored silently.
"""

from __future__ import annotations

from collections.abc import Iterator

from pcanb.sandbox.shapes import service_model

#: Parameters with a note on how (or how far) the sandbox honours them; every other
#: parameter of an emulated operation is emulated as pca-behavior describes.
NOTES: dict[tuple[str, str], str] = {
    ("CreateCertificateAuthority", "CertificateAuthorityConfiguration"): (
        "RSA 2048/3072/4096, EC P-256/384/521, ML-DSA-44/65/87; SM2 answers InvalidArgsException "
        "(China Regions only, and not available in the cryptography library); CsrExtensions "
        "SubjectInformationAccess takes every GeneralName choice, EdiPartyName included"
    ),
    ("CreateCertificateAuthority", "CertificateAuthorityType"): (
        "LimitExceededException past max_certificate_authorities (default 200 per Region; "
        "restorable deleted CAs and FAILED CAs count)"
    ),
    ("CreateCertificateAuthority", "KeyStorageSecurityStandard"): (
        "validated per Region (CCPC only in cn-*) and echoed; no HSM is involved"
    ),
    ("CreateCertificateAuthority", "RevocationConfiguration"): (
        "validated as AWS does; the CRL bucket must exist, allow acm-pca in its policy and "
        "accept the S3ObjectAcl: buckets with ACLs disabled or public ACLs blocked (both the "
        "default for new buckets) need BUCKET_OWNER_FULL_CONTROL"
    ),
    ("ListCertificateAuthorities", "ResourceOwner"): (
        "OTHER_ACCOUNTS lists nothing: a sandbox has one account and no RAM shares"
    ),
    ("ListCertificateAuthorities", "NextToken"): (
        "opaque, signed with a per-sandbox secret: a token this list did not give (made up, "
        "edited, cut short, from another list or sandbox) is InvalidNextTokenException"
    ),
    ("ListPermissions", "NextToken"): (
        "opaque, signed with a per-sandbox secret and bound to the CA: any other token is "
        "InvalidNextTokenException"
    ),
    ("ListTags", "NextToken"): (
        "opaque, signed with a per-sandbox secret and bound to the CA; a token ListTags did not "
        "give is ValidationException: the model lists no InvalidNextTokenException for ListTags "
        "[inferred]"
    ),
    (
        "IssueCertificate",
        "SigningAlgorithm",
    ): "every algorithm of the CA key's family, RSA-PSS included",
    ("IssueCertificate", "ApiPassthrough"): (
        "honoured by the APIPassthrough / APICSRPassthrough templates; every GeneralName choice "
        "(EdiPartyName written as DER); InvalidArgsException for a Subject mixing "
        "CustomAttributes with standard attributes, and [inferred] for a KeyUsage with no bit "
        "set, a CertPolicyId listed twice, a CustomExtension Value that is not one DER value "
        "and, on a CA with OCSP enabled, a CustomExtension AIA (a CSRPassthrough AIA is "
        "replaced by the OCSP one)"
    ),
    ("IssueCertificate", "TemplateArn"): (
        "all 56 templates; a CA template from a CA at level 5 (the root is level 1) answers "
        "InvalidArgsException [inferred enforcement point of the documented 5-level limit]"
    ),
    ("IssueCertificate", "CertificateAuthorityArn"): (
        "LimitExceededException past max_certificates_per_ca (default 1,000,000 over the CA's "
        "lifetime) or, with partitioned CRLs, max_certificates_per_ca_partitioned (default "
        "100,000,000 [inferred])"
    ),
    ("ImportCertificateAuthorityCertificate", "CertificateChain"): (
        "a chain that puts the CA below level 5 answers InvalidRequestException [inferred "
        "enforcement point of the documented 5-level limit]"
    ),
    ("RevokeCertificate", "CertificateSerial"): (
        "colon, plain and 0x hex, any case; a certificate still being issued (issuance_delay) "
        "answers RequestInProgressException, as GetCertificate does [inferred]"
    ),
    ("RevokeCertificate", "CertificateAuthorityArn"): (
        "LimitExceededException past max_revocations_per_ca (default 1,000,000, complete CRLs; "
        "a CA with partitioned CRLs is bounded by its certificate quota [inferred]); a CRL "
        "bucket deleted or stripped of its acm-pca policy since the CA was configured answers "
        "RequestFailedException and revokes nothing [inferred]"
    ),
    ("PutPolicy", "Policy"): (
        "validated against the documented policy shapes; LockoutPreventedException is never raised"
    ),
    ("CreatePermission", "Principal"): (
        "only acm.amazonaws.com, as on AWS; another principal answers RequestFailedException, "
        "the one code of CreatePermission's model list that fits [inferred]"
    ),
    ("CreatePermission", "SourceAccount"): "stored and echoed; not used for authorization",
}
#: Behaviour the sandbox does not reproduce at all (shown by ``pcanb sandbox coverage``).
GAPS = (
    "Authentication and IAM: signatures are not verified; every caller is the sandbox account.",
    "Request-rate quotas are off by default (configure(throttle_scale=1) turns on AWS's "
    "default rates); the token buckets are kept per serving process, not shared.",
    "S3 Block Public Access is modelled per bucket only; account-level settings (s3control) "
    "are not.",
    "S3 object owners: every object belongs to the bucket owner (the sandbox account), so "
    "GetObjectAcl shows no separate bucket-owner grant for bucket-owner-* canned ACLs; ACLs are "
    "canned only (no grant headers or AccessControlPolicy documents, for objects or buckets).",
    "S3 versioning: buckets stay unversioned (GetBucketVersioning answers an empty "
    "configuration, PutBucketVersioning is NotImplemented); every bucket uses SSE-S3 "
    "(PutBucketEncryption is NotImplemented).",
    "Anonymous S3 reads (a CRL's URL fetched by a relying party) are served only for public "
    "objects, as on S3; a bucket-policy statement with a Condition is not taken as letting an "
    "anonymous caller read (source IP, VPC or referer are not evaluated).",
    "Propagation delays are 0 by default: OCSP and CRLs reflect a revocation at once unless "
    "ocsp_delay / crl_delay are set (AWS: up to 60 and about 30 minutes).",
)


#: Sandbox-only controls for AWS behaviour that a caller cannot trigger (shown after the gaps).
SETTINGS_NOTES = (
    "creation_failure='REQUEST_TIMED_OUT' | 'UNSUPPORTED_ALGORITHM' | 'OTHER' makes every CA "
    "created while it is set end CREATING as FAILED with that FailureReason ('' to stop): "
    "GetCertificateAuthorityCsr then answers RequestFailedException, Delete removes it at once.",
    "Count quotas are settings: max_certificate_authorities, max_certificates_per_ca, "
    "max_certificates_per_ca_partitioned, max_revocations_per_ca (LimitExceededException).",
    "creation_delay, issuance_delay, crl_delay, ocsp_delay, audit_delay: simulated latencies "
    "in seconds. throttle_scale: request-rate quotas (0 off, 1 AWS's default rates).",
)


def rows() -> Iterator[tuple[str, str, str, str]]:
    """(operation, parameter, status, note) for every top-level input member in the model."""
    from pcanb.sandbox.engine import ACTIONS

    model = service_model()
    for operation in model.operation_names:
        emulated = operation in ACTIONS
        shape = model.operation_model(operation).input_shape
        members = list(shape.members) if shape is not None else []
        for member in members:
            note = NOTES.get((operation, member), "")
            yield operation, member, "emulated" if emulated else "not emulated", note


def table() -> str:
    """A plain-text coverage table."""
    lines = [f"{'operation':42} {'parameter':36} {'status':12} note"]
    for operation, member, status, note in rows():
        lines.append(f"{operation:42} {member:36} {status:12} {note}")
    lines.append("")
    lines.append("Not reproduced:")
    lines.extend(f"  - {gap}" for gap in GAPS)
    lines.append("")
    lines.append("Sandbox settings (Sandbox.configure):")
    lines.extend(f"  - {note}" for note in SETTINGS_NOTES)
    return "\n".join(lines)
