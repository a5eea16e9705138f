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
        "(China Regions only, and not available in the cryptography library)"
    ),
    ("CreateCertificateAuthority", "KeyStorageSecurityStandard"): (
        "validated per Region (CCPC only in cn-*) and echoed; no HSM is involved"
    ),
    ("CreateCertificateAuthority", "RevocationConfiguration"): (
        "validated as AWS does; the CRL bucket must exist, allow acm-pca in its policy and "
        "accept the S3ObjectAcl (ACL-disabled buckets need BUCKET_OWNER_FULL_CONTROL); Block "
        "Public Access is not modelled"
    ),
    ("ListCertificateAuthorities", "ResourceOwner"): (
        "OTHER_ACCOUNTS lists nothing: a sandbox has one account and no RAM shares"
    ),
    (
        "IssueCertificate",
        "SigningAlgorithm",
    ): "every algorithm of the CA key's family, RSA-PSS included",
    ("RevokeCertificate", "CertificateSerial"): "colon, plain and 0x hex, any case",
    ("PutPolicy", "Policy"): (
        "validated against the documented policy shapes; LockoutPreventedException is never raised"
    ),
    ("CreatePermission", "Principal"): "only acm.amazonaws.com, as on AWS",
    ("CreatePermission", "SourceAccount"): "stored and echoed; not used for authorization",
}
#: Behaviour the sandbox does not reproduce at all (shown by ``pcanb sandbox coverage``).
GAPS = (
    "Authentication and IAM: signatures are not verified; every caller is the sandbox account.",
    "Request-rate quotas are off by default (configure(throttle_scale=1) turns on AWS's "
    "default rates); the token buckets are kept per serving process, not shared.",
    "FAILED CAs: creation never fails (CREATING lasts creation_delay seconds).",
    "S3 Block Public Access is not modelled (ACL-disabled buckets, the default, are).",
    "OCSP and CRL propagation delays: OCSP answers at once; CRLs after crl_delay seconds.",
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
    return "\n".join(lines)
