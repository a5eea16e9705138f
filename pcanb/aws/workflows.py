"""End-to-end workflows: a root CA, a subordinate CA, a certificate, each in one call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cryptography import x509

from pcanb.aws import arguments
from pcanb.aws.authorities import (
    create_certificate_authority,
    get_certificate_authority_certificate,
    get_certificate_authority_csr,
    import_certificate_authority_certificate,
)
from pcanb.aws.certificates import get_certificate, issue_certificate
from pcanb.aws.certificates import validity as make_validity
from pcanb.aws.objects import CertificateAuthority, IssuedCertificate
from pcanb.errors import PcanbError, WrongStateError
from pcanb.vocab import (
    DEFAULT_SIGNING_ALGORITHM,
    KEY_ALGORITHMS,
    KEY_FAMILY,
    KEY_STORAGE_SECURITY_STANDARDS,
    ROOT_TEMPLATE_ARN,
    SIGNING_ALGORITHMS,
    SIGNING_ALGORITHMS_BY_FAMILY,
    USAGE_MODES,
    signing_matches_key,
    template_arn,
)
from pcanb.x509.csr import build_csr, generate_private_key
from pcanb.x509.decode import Certificate, CertificateChain, Csr

if TYPE_CHECKING:
    from pcanb.aws.session import Pca


def _subject(common_name: str | None, subject: Mapping[str, Any] | None) -> dict[str, Any]:
    arguments.name_text("common_name", arguments.text("common_name", common_name))
    arguments.subject_texts(subject)
    if subject:
        return dict(subject)
    if common_name:
        return {"CommonName": common_name}
    raise PcanbError("give the CA a name: common_name='Example Root CA' or subject={...}")


def _algorithms(key_algorithm: str, signing_algorithm: str | None) -> tuple[str, str]:
    arguments.check_choice("key_algorithm", key_algorithm, KEY_ALGORITHMS, required=True)
    signing = signing_algorithm or DEFAULT_SIGNING_ALGORITHM[key_algorithm]
    if not signing_matches_key(key_algorithm, signing):
        allowed = ", ".join(SIGNING_ALGORITHMS_BY_FAMILY[KEY_FAMILY[key_algorithm]])
        raise PcanbError(
            f"signing_algorithm {signing} does not fit a {key_algorithm} key; use one of {allowed}"
        )
    return key_algorithm, signing


#: Key algorithms pcanb can generate locally for ``issue`` (the cryptography library has no SM2).
LOCAL_KEY_ALGORITHMS = tuple(k for k in KEY_ALGORITHMS if k != "SM2")


def _check_options(usage_mode: str | None, key_storage_security_standard: str | None) -> None:
    arguments.check_choice("usage_mode", usage_mode, USAGE_MODES)
    arguments.check_choice(
        "key_storage_security_standard",
        key_storage_security_standard,
        KEY_STORAGE_SECURITY_STANDARDS,
    )


def _create(
    pca: Pca, ca_type: str, subject: dict, key_algorithm: str, signing: str, **options: Any
) -> tuple[str, Csr]:
    config = {"KeyAlgorithm": key_algorithm, "SigningAlgorithm": signing, "Subject": subject}
    from botocore.exceptions import WaiterError  # botocore is loaded by now: the client exists

    arn = create_certificate_authority(pca, config, ca_type, **options)
    try:
        pca.client.get_waiter("certificate_authority_csr_created").wait(
            CertificateAuthorityArn=arn, WaiterConfig=pca.waiter_config(3)
        )
    except WaiterError:
        ca = pca.client.describe_certificate_authority(CertificateAuthorityArn=arn)
        if ca["CertificateAuthority"]["Status"] != "FAILED":
            raise
        reason = ca["CertificateAuthority"].get("FailureReason", "OTHER")
        raise WrongStateError(
            f"{arn} ended its creation FAILED (FailureReason {reason}); a failed CA cannot be "
            "recovered: delete it (pca.delete_certificate_authority(arn), gone at once) and "
            "create another"
        ) from None
    return arn, get_certificate_authority_csr(pca, arn)


def _issuing_ca_arn(ca: Any, argument: str) -> str:
    """The ARN of the CA ``ca`` names; a certificate is refused (an issued certificate's
    ``ca_arn`` is the CA that issued it, not a CA it stands for)."""
    if isinstance(ca, Certificate):
        if not ca.is_ca:
            raise PcanbError(
                f"{argument}= got the leaf certificate {ca.common_name or ca.subject!r}: a leaf "
                "certificate is not a CA and issues nothing; pass the CA (the object "
                "create_root_ca/create_subordinate_ca returned) or its ARN"
            )
        raise PcanbError(
            f"{argument}= got the certificate of {ca.common_name or ca.subject!r}, not the CA; "
            "pass the CA (the object create_root_ca/create_subordinate_ca returned) or its ARN"
        )
    return arguments.ca_arn(ca)


def _fetch(pca: Pca, ca: str, certificate_arn: str) -> IssuedCertificate:
    pca.client.get_waiter("certificate_issued").wait(
        CertificateAuthorityArn=ca,
        CertificateArn=certificate_arn,
        WaiterConfig=pca.waiter_config(1),
    )
    return get_certificate(pca, ca, certificate_arn)


def create_root_ca(
    pca: Pca,
    common_name: str | None = None,
    *,
    subject: Mapping[str, Any] | None = None,
    key_algorithm: str = "EC_prime256v1",
    signing_algorithm: str | None = None,
    validity: dict[str, Any] | None = None,
    revocation_configuration: dict[str, Any] | None = None,
    usage_mode: str | None = None,
    key_storage_security_standard: str | None = None,
    tags: Any = None,
    idempotency_token: str | None = None,
) -> CertificateAuthority:
    """Create a root CA and activate it: create → CSR → self-sign (RootCACertificate/V1) → import.

    ``validity`` defaults to 10 years (the console's default).
    """
    key_algorithm, signing = _algorithms(key_algorithm, signing_algorithm)
    _check_options(usage_mode, key_storage_security_standard)
    arn, csr = _create(
        pca, "ROOT", _subject(common_name, subject), key_algorithm, signing,
        revocation_configuration=revocation_configuration, usage_mode=usage_mode,
        key_storage_security_standard=key_storage_security_standard, tags=tags,
        idempotency_token=idempotency_token,
    )  # fmt: skip
    certificate_arn = issue_certificate(
        pca,
        arn,
        csr,
        signing,
        validity or {"Type": "YEARS", "Value": 10},
        template_arn=ROOT_TEMPLATE_ARN,
    )
    certificate = _fetch(pca, arn, certificate_arn)
    import_certificate_authority_certificate(pca, arn, certificate)
    return CertificateAuthority(arn, "ROOT", "ACTIVE", certificate=certificate, csr=csr)


def _active(pca: Pca, ca_arn: str, doing: str) -> dict[str, Any]:
    """The CertificateAuthority structure of ``ca_arn``; a WrongStateError unless it is ACTIVE."""
    described = pca.client.describe_certificate_authority(CertificateAuthorityArn=ca_arn)
    authority = described["CertificateAuthority"]
    status = authority["Status"]
    if status != "ACTIVE":
        hint = {
            "DISABLED": " (enable it with pca.update_certificate_authority(ca, status='ACTIVE'))",
            "PENDING_CERTIFICATE": (
                " (install its certificate first with pca.import_certificate_authority_certificate)"
            ),
            "DELETED": " (restore it with pca.restore_certificate_authority(ca), then enable it)",
        }.get(status, "")
        raise WrongStateError(f"{ca_arn} is {status}; {doing} only by an ACTIVE CA{hint}")
    return authority


def create_subordinate_ca(
    pca: Pca,
    parent: Any = None,
    common_name: str | None = None,
    *,
    subject: Mapping[str, Any] | None = None,
    path_length: int = 0,
    key_algorithm: str = "EC_prime256v1",
    signing_algorithm: str | None = None,
    validity: dict[str, Any] | None = None,
    template: str | None = None,
    revocation_configuration: dict[str, Any] | None = None,
    usage_mode: str | None = None,
    key_storage_security_standard: str | None = None,
    tags: Any = None,
    idempotency_token: str | None = None,
) -> CertificateAuthority:
    """Create a subordinate CA; signed by ``parent`` when given, else left for an external CA.

    With a parent (a CA in this account and region) the parent issues the CA certificate with
    ``SubordinateCACertificate_PathLen{path_length}/V1`` and it is imported with its chain;
    ``validity`` defaults to 5 years, or to one day before the parent expires if that is sooner.
    Without one, the CA is returned in PENDING_CERTIFICATE with its ``.csr``: have it signed,
    then call ``pca.import_certificate_authority_certificate(ca, certificate, chain)``.
    """
    if (
        isinstance(path_length, bool)
        or not isinstance(path_length, int)
        or not 0 <= path_length <= 3
    ):
        raise PcanbError(
            "path_length must be the int 0, 1, 2 or 3 (AWS has templates for PathLen0..3), "
            f"not {path_length!r}"
        )
    key_algorithm, signing = _algorithms(key_algorithm, signing_algorithm)
    _check_options(usage_mode, key_storage_security_standard)
    template = arguments.template(template)
    parent_arn = parent_authority = None
    if parent is not None:  # check the parent before creating anything that would be left over
        parent_arn = _issuing_ca_arn(parent, "parent")
        parent_authority = _active(pca, parent_arn, "CA certificates are issued")
    arn, csr = _create(
        pca, "SUBORDINATE", _subject(common_name, subject), key_algorithm, signing,
        revocation_configuration=revocation_configuration, usage_mode=usage_mode,
        key_storage_security_standard=key_storage_security_standard, tags=tags,
        idempotency_token=idempotency_token,
    )  # fmt: skip
    if parent_arn is None or parent_authority is None:
        return CertificateAuthority(arn, "SUBORDINATE", "PENDING_CERTIFICATE", csr=csr)
    parent_chain = get_certificate_authority_certificate(pca, parent_arn)
    if validity is None:
        end = min(
            pca.now() + timedelta(days=5 * 365), parent_chain[0].not_after - timedelta(days=1)
        )
        validity = make_validity(end=end)
    template = template or template_arn(f"SubordinateCACertificate_PathLen{path_length}")
    parent_signing = parent_authority["CertificateAuthorityConfiguration"]["SigningAlgorithm"]
    certificate_arn = issue_certificate(
        pca, parent_arn, csr, parent_signing, validity, template_arn=template
    )
    certificate = _fetch(pca, parent_arn, certificate_arn)
    import_certificate_authority_certificate(pca, arn, certificate, certificate.chain)
    return CertificateAuthority(
        arn, "SUBORDINATE", "ACTIVE", certificate=certificate, chain=certificate.chain, csr=csr
    )


def issue(
    pca: Pca,
    ca: Any,
    common_name: str | None = None,
    *,
    sans: Iterable[str] = (),
    subject: Mapping[str, Any] | None = None,
    csr: Any = None,
    key_algorithm: str = "EC_prime256v1",
    days: int | None = None,
    validity: dict[str, Any] | None = None,
    validity_not_before: dict[str, Any] | None = None,
    template: str | None = None,
    api_passthrough: dict[str, Any] | None = None,
    signing_algorithm: str | None = None,
    idempotency_token: str | None = None,
) -> IssuedCertificate:
    """Issue a certificate and wait for it; returns it decoded, with ``.private_key`` if generated.

    Without ``csr`` a key of ``key_algorithm`` and a CSR for ``common_name`` / ``sans`` are made
    locally (the key never leaves this process); with ``csr`` (PEM, DER or a Csr) the subject
    and SANs are the CSR's and no key is returned. ``days`` defaults to 365, or 7 on a
    short-lived-certificate CA. ``template`` is a template name or ARN.

    ``sans`` is a list of names (one string is one name): DNS names, IP addresses, email
    addresses and URIs, typed by their form or by a prefix (``"DNS:api.example.com"``,
    ``"IP:10.0.0.1"``, ``"email:ops@example.com"``, ``"URI:spiffe://example.com/web"``).
    Internationalized domain names are written as A-labels, encoded with IDNA 2003 (Python's
    ``idna`` codec: ``bücher.example.com`` → ``xn--bcher-kva.example.com``); anything that is
    not a valid name raises a PcanbError.
    """
    ca_arn = _issuing_ca_arn(ca, "ca")
    template = arguments.template(template)
    arguments.check_choice("signing_algorithm", signing_algorithm, SIGNING_ALGORITHMS)
    if validity is not None and days is not None:
        raise PcanbError("give either days= or validity=, not both")
    common_name = arguments.name_text("common_name", arguments.text("common_name", common_name))
    arguments.subject_texts(subject)
    sans = arguments.san_list(sans)
    if csr is None:
        if not (common_name or subject or sans):
            raise PcanbError("give a common_name, a subject or sans (or a ready csr=)")
        arguments.check_choice("key_algorithm", key_algorithm, LOCAL_KEY_ALGORITHMS, required=True)
    elif common_name or subject or sans:
        raise PcanbError(
            "the subject and SANs come from the csr= you gave; leave out common_name, subject "
            "and sans (or use api_passthrough= to override them)"
        )
    elif isinstance(csr, x509.CertificateSigningRequest):
        csr = Csr(csr)
    elif not isinstance(csr, Csr):
        if not isinstance(csr, str | bytes | bytearray | memoryview):
            raise PcanbError(
                "csr= takes a CSR as PEM text or PEM/DER bytes, a pcanb Csr or a cryptography "
                f"CertificateSigningRequest, not {type(csr).__name__}"
            )
        csr = Csr.load(csr)
    described = _active(pca, ca_arn, "certificates are issued")
    key = None
    if csr is None:
        key = generate_private_key(key_algorithm)
        csr = build_csr(key, subject or common_name, sans)
    if validity is None:
        short_lived = described.get("UsageMode") == "SHORT_LIVED_CERTIFICATE"
        validity = make_validity(days=(7 if short_lived else 365) if days is None else days)
    signing = (
        signing_algorithm or described["CertificateAuthorityConfiguration"]["SigningAlgorithm"]
    )
    certificate_arn = issue_certificate(
        pca, ca_arn, csr, signing, validity, api_passthrough=api_passthrough,
        idempotency_token=idempotency_token, template_arn=template,
        validity_not_before=validity_not_before,
    )  # fmt: skip
    issued = _fetch(pca, ca_arn, certificate_arn)
    return IssuedCertificate(
        issued, arn=issued.arn, chain=issued.chain, private_key=key, clock=pca.now
    )


__all__ = ["CertificateChain", "create_root_ca", "create_subordinate_ca", "issue"]
