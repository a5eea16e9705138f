"""The vocabulary pcanb writes out matches the botocore service model, and Pca covers every action."""

from __future__ import annotations

import re

import botocore.session
import pytest

from pcanb import vocab
from pcanb.aws.session import Pca

MODEL = botocore.session.get_session().get_service_model("acm-pca")

ENUMS = {
    "KeyAlgorithm": vocab.KEY_ALGORITHMS,
    "SigningAlgorithm": vocab.SIGNING_ALGORITHMS,
    "CertificateAuthorityStatus": vocab.CA_STATUSES,
    "CertificateAuthorityType": vocab.CA_TYPES,
    "RevocationReason": vocab.REVOCATION_REASONS,
    "ValidityPeriodType": vocab.VALIDITY_TYPES,
    "KeyStorageSecurityStandard": vocab.KEY_STORAGE_SECURITY_STANDARDS,
    "CertificateAuthorityUsageMode": vocab.USAGE_MODES,
    "S3ObjectAcl": vocab.S3_OBJECT_ACLS,
    "CrlType": vocab.CRL_TYPES,
    "ExtendedKeyUsageType": vocab.EXTENDED_KEY_USAGE_TYPES,
    "AccessMethodType": vocab.ACCESS_METHOD_TYPES,
    "ActionType": vocab.ACTION_TYPES,
    "AuditReportResponseFormat": vocab.AUDIT_REPORT_FORMATS,
    "AuditReportStatus": vocab.AUDIT_REPORT_STATUSES,
    "FailureReason": vocab.FAILURE_REASONS,
    "ResourceOwner": vocab.RESOURCE_OWNERS,
}


@pytest.mark.parametrize("shape", sorted(ENUMS))
def test_enum_matches_the_model(shape):
    assert tuple(MODEL.shape_for(shape).enum) == ENUMS[shape]


def test_operations_match_the_model():
    assert set(vocab.OPERATIONS) == set(MODEL.operation_names)


def test_every_operation_has_a_pca_method_named_as_boto3_names_it():
    for operation in vocab.OPERATIONS:
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
        assert callable(getattr(Pca, method, None)), method


def test_reason_codes_and_eku_cover_every_enum_value():
    assert set(vocab.REVOCATION_REASON_CODES) == set(vocab.REVOCATION_REASONS)
    assert set(vocab.EXTENDED_KEY_USAGE_OIDS) == set(vocab.EXTENDED_KEY_USAGE_TYPES)


def test_signing_families_cover_every_signing_algorithm():
    covered = {a for algorithms in vocab.SIGNING_ALGORITHMS_BY_FAMILY.values() for a in algorithms}
    assert covered == set(vocab.SIGNING_ALGORITHMS)
    for key, signing in vocab.DEFAULT_SIGNING_ALGORITHM.items():
        assert vocab.signing_matches_key(key, signing)


def test_template_arns_round_trip():
    assert len(vocab.TEMPLATE_NAMES) == 56
    for name in vocab.TEMPLATE_NAMES:
        assert vocab.template_name(vocab.template_arn(name)) == name
    assert (
        vocab.template_name("arn:aws:acm-pca:::template/RootCACertificate_CSRPassthrough/V1")
        is None
    )
    assert vocab.template_name("arn:aws:acm-pca:::template/EndEntityCertificate/V2") is None


def test_serials_parse_in_every_form_aws_shows():
    assert vocab.parse_serial("67:07:44:76:83:a9:b7:f4") == 0x67074476_83A9B7F4
    assert vocab.parse_serial("0x0A1B") == vocab.parse_serial("0a1b") == 0x0A1B
    assert vocab.serial_to_aws(0x0A1B) == "0a:1b"
    with pytest.raises(ValueError):
        vocab.parse_serial("zz")
