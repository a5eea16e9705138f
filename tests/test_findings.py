"""``pca.findings()`` against the sandbox: each rule fires on the CA that earns it, and a clean
hierarchy has no finding at all."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import EC_CA, make_pca_bucket

from pcanb import tables
from pcanb.analysis.posture import (
    PKILINT_EC_KEY_ENCIPHERMENT,
    PKILINT_MLDSA_KEY_ENCIPHERMENT,
    RULES,
)

OTHER_ACCOUNT = "444455556666"
END_ENTITY = "arn:aws:acm-pca:::template/EndEntityCertificate/V1"
EC_DIGITAL_SIGNATURE = {"Extensions": {"KeyUsage": {"DigitalSignature": True}}}


def days(n: int) -> dict:
    return {"Type": "DAYS", "Value": n}


def revocation(bucket: str, *, expiration: int = 7, acl: str = "BUCKET_OWNER_FULL_CONTROL"):
    crl = {"Enabled": True, "S3BucketName": bucket, "ExpirationInDays": expiration}
    crl["S3ObjectAcl"] = acl
    return {"CrlConfiguration": crl, "OcspConfiguration": {"Enabled": True}}


def fired(frame: pd.DataFrame) -> set[tuple[str, str]]:
    """(arn, check) of every finding."""
    return set(zip(frame["arn"], frame["check"], strict=True))


def checks_of(frame: pd.DataFrame, arn: str) -> set[str]:
    return set(frame.loc[frame["arn"] == arn, "check"])


def row(frame: pd.DataFrame, arn: str, check: str) -> pd.Series:
    rows = frame[(frame["arn"] == arn) & (frame["check"] == check)]
    assert len(rows) == 1, f"{check} on {arn}: {len(rows)} rows"
    return rows.iloc[0]


@pytest.fixture
def clean(pca):
    """A well-configured two-level hierarchy: CRL (no public ACL, 7 days) and OCSP on both."""
    bucket = make_pca_bucket(pca, "clean-pki-crl")
    config = revocation(bucket)
    root = pca.create_root_ca(
        common_name="Clean Root", validity={"Type": "YEARS", "Value": 10},
        revocation_configuration=config,
    )  # fmt: skip
    sub = pca.create_subordinate_ca(
        parent=root, common_name="Clean Issuing", path_length=0,
        validity={"Type": "YEARS", "Value": 5}, revocation_configuration=config,
    )  # fmt: skip
    return bucket, root, sub


def test_a_clean_hierarchy_has_no_findings(pca, clean):
    frame = pca.findings()
    assert frame.empty
    assert list(frame.columns) == [c.name for c in tables.FINDING_COLUMNS]
    assert frame["severity"].dtype == tables.SEVERITY_DTYPE


def test_findings_list_the_cas_once(pca, clean):
    def calls(name: str) -> int:
        return int((pca.sandbox.events()["eventName"] == name).sum())

    before = calls("ListCertificateAuthorities"), calls("GetCertificateAuthorityCertificate")
    pca.findings()
    assert calls("ListCertificateAuthorities") - before[0] == 1
    assert calls("GetCertificateAuthorityCertificate") - before[1] == 2  # the hierarchy's links


def test_a_clean_hierarchy_and_its_certificates_have_no_findings(pca, clean):
    bucket, _, sub = clean
    pca.issue(
        sub, common_name="api.example.com", sans=["api.example.com"], days=30,
        template="BlankEndEntityCertificate_APIPassthrough", api_passthrough=EC_DIGITAL_SIGNATURE,
    )  # fmt: skip
    frame = pca.findings(certificates=True, bucket=bucket)
    assert frame.empty, frame[["common_name", "check", "detail"]].to_dict("records")


def test_expiry_bands(pca):
    soon = pca.create_root_ca(common_name="Soon", validity=days(40))
    later = pca.create_root_ca(common_name="Later", validity=days(100))
    gone = pca.create_root_ca(common_name="Gone", validity=days(10))
    far = pca.create_root_ca(common_name="Far", validity=days(400))
    pca.sandbox.advance(days=20)
    frame = pca.findings()
    expiry = {c for c in RULES if c.startswith("ca.expire")}
    assert checks_of(frame, soon.arn) & expiry == {"ca.expires_within_30_days"}
    assert checks_of(frame, later.arn) & expiry == {"ca.expires_within_90_days"}
    assert checks_of(frame, gone.arn) & expiry == {"ca.expired"}
    assert checks_of(frame, far.arn) & expiry == set()
    assert row(frame, soon.arn, "ca.expires_within_30_days")["severity"] == "HIGH"
    assert row(frame, later.arn, "ca.expires_within_90_days")["severity"] == "MEDIUM"
    assert "$400/month" in row(frame, gone.arn, "ca.expired")["detail"]
    # now= judges the same CAs at another time: in 100 days "Far" is within 300 days of its end
    ahead = pca.findings(now=pca.now() + pd.Timedelta(days=300))
    assert "ca.expires_within_90_days" in checks_of(ahead, far.arn)


def test_most_serious_first(pca):
    pca.create_root_ca(common_name="Gone", validity=days(10))
    pca.create_root_ca(common_name="Later", validity=days(100))
    pca.sandbox.advance(days=20)
    frame = pca.findings()
    codes = list(frame["severity"].cat.codes)
    assert codes == sorted(codes, reverse=True)
    assert frame["severity"].iloc[0] == "HIGH"
    assert (frame["severity"] >= "MEDIUM").all()  # the ordered categorical compares


def _renew_root(pca, root, validity: dict) -> None:
    """Re-issue the root's certificate for its own key with ``validity``, and import it."""
    csr = pca.get_certificate_authority_csr(root)
    arn = pca.issue_certificate(
        root, csr, "SHA256WITHECDSA", validity, template_arn="RootCACertificate"
    )
    pca.import_certificate_authority_certificate(root, pca.get_certificate(root, arn))


def test_subordinates_outliving_a_renewed_root(pca):
    root = pca.create_root_ca(common_name="Root", validity=days(800))
    middle = pca.create_subordinate_ca(
        parent=root, common_name="Middle", path_length=1, validity=days(600)
    )
    issuing = pca.create_subordinate_ca(
        parent=middle, common_name="Issuing", path_length=0, validity=days(400)
    )
    assert pca.findings().pipe(fired) & {
        (a, c) for a in (root.arn, middle.arn, issuing.arn) for c in RULES
        if c.startswith("hierarchy.")
    } == set()  # fmt: skip
    _renew_root(pca, root, days(200))  # the same key, a shorter certificate
    frame = pca.findings()
    assert row(frame, middle.arn, "hierarchy.outlives_parent")["severity"] == "HIGH"
    assert "hierarchy.outlives_parent" not in checks_of(frame, issuing.arn)  # Middle outlives it
    shorter = row(frame, root.arn, "hierarchy.root_shorter_than_descendants")
    assert "Issuing" in shorter["detail"] and "Middle" not in shorter["detail"]


def test_nearly_outliving_unused_path_length_and_depth(pca):
    root = pca.create_root_ca(common_name="Root", validity=days(3000))
    close = pca.create_subordinate_ca(parent=root, common_name="Close", validity=days(2990))
    roomy = pca.create_subordinate_ca(
        parent=root, common_name="Roomy", path_length=2, validity=days(2000)
    )
    level2 = pca.create_subordinate_ca(
        parent=roomy, common_name="Level 2", path_length=1, validity=days(1500)
    )
    level3 = pca.create_subordinate_ca(
        parent=level2, common_name="Level 3", path_length=0, validity=days(1000)
    )
    frame = pca.findings()
    assert row(frame, close.arn, "hierarchy.nearly_outlives_parent")["severity"] == "LOW"
    assert "hierarchy.nearly_outlives_parent" not in checks_of(frame, roomy.arn)
    assert "hierarchy.path_length_unused" not in checks_of(frame, roomy.arn)  # it has a child
    assert "hierarchy.path_length_unused" not in checks_of(frame, level3.arn)  # PathLen0
    assert {a for a, c in fired(frame) if c == "hierarchy.deep"} == {level3.arn}

    lonely = pca.create_subordinate_ca(
        parent=root, common_name="Lonely", path_length=3, validity=days(900)
    )
    assert row(pca.findings(), lonely.arn, "hierarchy.path_length_unused")["severity"] == "INFO"


def test_billing_and_lifecycle_states(pca, client):
    disabled = pca.create_root_ca(common_name="Disabled")
    pca.update_certificate_authority(disabled, status="DISABLED")
    pending = pca.create_certificate_authority(EC_CA, "SUBORDINATE")
    deleted = pca.create_root_ca(common_name="Deleted")
    pca.update_certificate_authority(deleted, status="DISABLED")
    pca.delete_certificate_authority(deleted, permanent_deletion_time_in_days=7)
    pca.sandbox.configure(creation_failure="OTHER")
    failed = pca.create_certificate_authority(EC_CA, "ROOT")
    pca.sandbox.configure(creation_failure="")

    frame = pca.findings()
    disabled_row = row(frame, disabled.arn, "ca.disabled_billed")
    assert disabled_row["severity"] == "LOW" and "$400/month" in disabled_row["detail"]
    assert "ca.pending_idle" not in checks_of(frame, pending)  # created just now
    assert row(frame, deleted.arn, "ca.deleted_restorable")["severity"] == "INFO"
    assert "OTHER" in row(frame, failed, "ca.failed")["detail"]

    pca.sandbox.advance(days=8)
    later = pca.findings()
    assert "$400/month" in row(later, pending, "ca.pending_idle")["detail"]
    assert deleted.arn not in set(later["arn"])  # the restore window has closed
    assert "ca.disabled_billed" in checks_of(later, disabled.arn)


def test_no_revocation_at_all(pca):
    root = pca.create_root_ca(common_name="Bare Root")
    sub = pca.create_subordinate_ca(parent=root, common_name="Bare Issuing")
    frame = pca.findings()
    assert row(frame, sub.arn, "revocation.none")["severity"] == "MEDIUM"
    assert row(frame, root.arn, "revocation.none")["severity"] == "LOW"


def test_ocsp_without_crl(pca):
    ocsp_only = {"OcspConfiguration": {"Enabled": True}}
    root = pca.create_root_ca(common_name="OCSP Root", revocation_configuration=ocsp_only)
    frame = pca.findings()
    assert checks_of(frame, root.arn) == {"revocation.ocsp_without_crl"}
    assert row(frame, root.arn, "revocation.ocsp_without_crl")["severity"] == "INFO"


def test_public_read_crl_and_then_block_public_access(pca):
    bucket = make_pca_bucket(pca, "public-crl", ObjectOwnership="ObjectWriter")
    pca.s3.delete_public_access_block(Bucket=bucket)
    config = revocation(bucket, acl="PUBLIC_READ")
    root = pca.create_root_ca(common_name="Public CRL Root", revocation_configuration=config)
    frame = pca.findings()
    assert row(frame, root.arn, "revocation.crl_public_read")["severity"] == "MEDIUM"
    assert "revocation.crl_public_read_blocked" not in checks_of(frame, root.arn)

    pca.s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicAcls": True}
    )
    frame = pca.findings()
    assert row(frame, root.arn, "revocation.crl_public_read_blocked")["severity"] == "HIGH"
    assert "revocation.crl_public_read" not in checks_of(frame, root.arn)


def test_long_crl_validity(pca):
    bucket = make_pca_bucket(pca, "slow-crl")
    root = pca.create_root_ca(
        common_name="Root", revocation_configuration=revocation(bucket, expiration=365)
    )
    sub = pca.create_subordinate_ca(
        parent=root,
        common_name="Slow CRL",
        revocation_configuration=revocation(bucket, expiration=60),
    )
    frame = pca.findings()
    assert row(frame, sub.arn, "revocation.crl_long_expiration")["severity"] == "LOW"
    # a root signing only CAs may publish a long CRL
    assert "revocation.crl_long_expiration" not in checks_of(frame, root.arn)

    pca.issue(
        sub, common_name="app.example.com", days=30,
        template="BlankEndEntityCertificate_APIPassthrough", api_passthrough=EC_DIGITAL_SIGNATURE,
    )  # fmt: skip
    frame = pca.findings(certificates=True, bucket=bucket)
    long_crl = row(frame, sub.arn, "revocation.crl_long_expiration")
    assert long_crl["severity"] == "MEDIUM" and "30 days" in long_crl["detail"]


def test_weak_or_legacy_crypto(pca):
    rsa = pca.create_root_ca(common_name="RSA Root", key_algorithm="RSA_2048")
    mismatched = pca.create_root_ca(
        common_name="P-384 Root", key_algorithm="EC_secp384r1", signing_algorithm="SHA256WITHECDSA"
    )
    matched = pca.create_root_ca(
        common_name="P-384 Matched",
        key_algorithm="EC_secp384r1",
        signing_algorithm="SHA384WITHECDSA",
    )
    frame = pca.findings()
    assert row(frame, rsa.arn, "crypto.rsa_2048_root")["severity"] == "LOW"  # valid past 2030
    assert row(frame, mismatched.arn, "crypto.signing_weaker_than_key")["severity"] == "LOW"
    assert (
        "SHA384WITHECDSA"
        in row(frame, mismatched.arn, "crypto.signing_weaker_than_key")["remediation"]
    )
    assert {c for c in checks_of(frame, matched.arn) if c.startswith("crypto.")} == set()
    assert "crypto.rsa_2048_root" not in checks_of(frame, mismatched.arn)


def _policy(ca_arn: str, principal) -> str:
    statement = {
        "Sid": "1", "Effect": "Allow", "Principal": principal,
        "Action": ["acm-pca:IssueCertificate"], "Resource": ca_arn,
        "Condition": {"StringEquals": {"acm-pca:TemplateArn": END_ENTITY}},
    }  # fmt: skip
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_cross_account_policy_and_acm_permission(pca, root, issuing):
    pca.put_policy(issuing, _policy(issuing.arn, {"AWS": OTHER_ACCOUNT}))
    pca.put_policy(root, _policy(root.arn, {"AWS": pca.account}))  # its own account
    pca.create_permission(root)
    frame = pca.findings()
    shared = row(frame, issuing.arn, "access.cross_account_policy")
    assert shared["severity"] == "MEDIUM"
    assert OTHER_ACCOUNT in shared["detail"] and "IssueCertificate" in shared["detail"]
    assert "access.cross_account_policy" not in checks_of(frame, root.arn)
    acm = row(frame, root.arn, "access.acm_permission")
    assert acm["severity"] == "INFO" and "IssueCertificate" in acm["detail"]
    assert "access.acm_permission" not in checks_of(frame, issuing.arn)


def test_organization_policy(pca, root):
    policy = json.loads(_policy(root.arn, "*"))
    policy["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalOrgID"] = "o-a1b2c3d4z5"
    pca.put_policy(root, policy)
    shared = row(pca.findings(), root.arn, "access.cross_account_policy")
    assert shared["severity"] == "MEDIUM" and "organization o-a1b2c3d4z5" in shared["detail"]


def test_issued_certificate_checks(pca):
    bucket = make_pca_bucket(pca, "inventory-reports")
    config = revocation(bucket)
    root = pca.create_root_ca(common_name="Busy Root", revocation_configuration=config)
    pca.issue(
        root, common_name="direct.example.com", days=30, template="EndEntityServerAuthCertificate"
    )
    general = pca.create_subordinate_ca(
        parent=root, common_name="Short Issuing", revocation_configuration=config
    )
    short = pca.create_subordinate_ca(
        parent=root, common_name="Already Short", revocation_configuration=config,
        usage_mode="SHORT_LIVED_CERTIFICATE",
    )  # fmt: skip
    for ca in (general, short):
        pca.issue(
            ca, common_name="svc.example.com", days=5,
            template="BlankEndEntityCertificate_APIPassthrough", api_passthrough=EC_DIGITAL_SIGNATURE,
        )  # fmt: skip
    unreported = pca.create_root_ca(common_name="No Bucket Root")

    frame = pca.findings(certificates=True)  # each CA reports into its CRL bucket
    assert row(frame, root.arn, "certificates.root_issues_end_entity")["severity"] == "MEDIUM"
    ec = row(frame, root.arn, "certificates.key_encipherment_on_signature_key")
    assert ec["severity"] == "LOW" and PKILINT_EC_KEY_ENCIPHERMENT in ec["detail"]
    saving = row(frame, general.arn, "cost.short_lived_candidate")
    assert saving["severity"] == "INFO" and "$350/month" in saving["detail"]
    for arn in (general.arn, short.arn):  # Blank template, digitalSignature only
        assert "certificates.key_encipherment_on_signature_key" not in checks_of(frame, arn)
    assert "cost.short_lived_candidate" not in checks_of(frame, short.arn)
    assert "cost.short_lived_candidate" not in checks_of(frame, root.arn)  # signs CAs
    assert "no CRL bucket" in row(frame, unreported.arn, "inventory.unavailable")["detail"]
    # without certificates=True none of these can be known
    assert not {c for _, c in fired(pca.findings())} & {
        "certificates.root_issues_end_entity", "certificates.key_encipherment_on_signature_key",
        "cost.short_lived_candidate", "inventory.unavailable",
    }  # fmt: skip


def test_ml_dsa_leaves_with_key_encipherment_are_reported_like_ec_ones(pca):
    bucket = make_pca_bucket(pca, "pq-reports")
    root = pca.create_root_ca(
        common_name="PQ Root",
        key_algorithm="ML_DSA_44",
        revocation_configuration=revocation(bucket),
    )
    leaf = pca.issue(
        root, common_name="pq.example.com", key_algorithm="ML_DSA_44", days=30,
        template="EndEntityCertificate",
    )  # fmt: skip
    assert "key_encipherment" in leaf.key_usage
    check = "certificates.key_encipherment_on_signature_key"
    finding = row(pca.findings(certificates=True), root.arn, check)
    assert finding["severity"] == "LOW"
    assert finding["title"] == "ML-DSA certificates with keyEncipherment"
    assert PKILINT_MLDSA_KEY_ENCIPHERMENT in finding["detail"]
    assert "RFC 9881" in finding["detail"] and "RFC 5480" not in finding["detail"]
