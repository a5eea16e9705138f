"""IssueCertificate / GetCertificate contract: validity, CSR checks, serials, idempotency, chains."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from conftest import ec_csr_pem, error_code
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

import pcanb

TEMPLATE = "arn:aws:acm-pca:::template/{}/V1"
ECDSA = "SHA256WITHECDSA"


def csr_pem(common_name: str | None = "svc.example.com", sans: tuple[str, ...] = ()) -> bytes:
    return ec_csr_pem(common_name, sans)


def issue_arn(pca, ca, validity, *, csr: bytes | None = None, signing=ECDSA, **extra) -> str:
    return pca.client.issue_certificate(
        CertificateAuthorityArn=str(ca),
        Csr=csr if csr is not None else csr_pem(),
        SigningAlgorithm=signing,
        Validity=validity,
        **extra,
    )["CertificateArn"]


def fetch(pca, ca, cert_arn: str) -> dict:
    return pca.client.get_certificate(CertificateAuthorityArn=str(ca), CertificateArn=cert_arn)


def issue(pca, ca, validity, **kwargs) -> x509.Certificate:
    cert_arn = issue_arn(pca, ca, validity, **kwargs)
    return x509.load_pem_x509_certificate(fetch(pca, ca, cert_arn)["Certificate"].encode())


def invalid(pca, ca, validity, **kwargs) -> str:
    with pytest.raises(ClientError) as excinfo:
        issue_arn(pca, ca, validity, **kwargs)
    return error_code(excinfo)


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    """One sandbox with a long-lived root (until 2060, so 2049/2050 dates fit) and a sub."""
    pca = pcanb.sandbox(tmp_path_factory.mktemp("validity"))
    root = pca.create_root_ca(
        common_name="Validity Root", validity={"Type": "END_DATE", "Value": 20601231235959}
    )
    sub = pca.create_subordinate_ca(
        parent=root, common_name="Validity Sub", validity={"Type": "YEARS", "Value": 3}
    )
    yield pca, root, sub
    pca.sandbox.close()


def within(pca, call):
    """Run ``call`` and return (result, sandbox time before, sandbox time after)."""
    before = pca.sandbox.now()
    result = call()
    return result, before, pca.sandbox.now()


def _floor(when: datetime) -> datetime:
    return when.replace(microsecond=0)


# --- NotAfter for every Validity type --------------------------------------------------------


def test_root_end_date_generalized_time(box):
    _, root, _ = box
    assert root.certificate.not_after == datetime(2060, 12, 31, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("validity", "expected", "encoded"),
    [
        # UTCTime YYMMDDHHMMSS: YY < 50 is 20YY; still encoded as UTCTime
        (
            {"Type": "END_DATE", "Value": 491231235959},
            datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC),
            b"\x17\x0d491231235959Z",
        ),
        # GeneralizedTime YYYYMMDDHHMMSS; from 2050 on encoded as GeneralizedTime
        (
            {"Type": "END_DATE", "Value": 20550615083000},
            datetime(2055, 6, 15, 8, 30, tzinfo=UTC),
            b"\x18\x0f20550615083000Z",
        ),
        (
            {"Type": "ABSOLUTE", "Value": 2524608000},
            datetime(2050, 1, 1, tzinfo=UTC),
            b"\x18\x0f20500101000000Z",
        ),
        (
            {"Type": "END_DATE", "Value": 20491231235959},
            datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC),
            b"\x17\x0d491231235959Z",
        ),
    ],
    ids=["utctime-12", "generalizedtime-14", "absolute", "generalizedtime-2049"],
)
def test_fixed_end(box, validity, expected, encoded):
    pca, root, _ = box
    cert = issue(pca, root, validity)
    assert cert.not_valid_after_utc == expected
    assert encoded in cert.tbs_certificate_bytes


@pytest.mark.parametrize(
    "value",
    [991231235959, 2512312359, 202513010000, 20250230120000, 20491231246000, 1234567890123],
    ids=["utctime-1999-in-the-past", "10-digits", "month-13", "feb-30", "hour-24", "13-digits"],
)
def test_bad_end_date_is_invalid_args(box, value):
    pca, root, _ = box
    assert invalid(pca, root, {"Type": "END_DATE", "Value": value}) == "InvalidArgsException"


def test_absolute_in_the_past_is_invalid_args(box):
    pca, root, _ = box
    past = int((pca.sandbox.now() - timedelta(days=1)).timestamp())
    assert invalid(pca, root, {"Type": "ABSOLUTE", "Value": past}) == "InvalidArgsException"


@pytest.mark.parametrize(
    ("validity", "delta"),
    [
        ({"Type": "DAYS", "Value": 1}, timedelta(days=1)),
        ({"Type": "DAYS", "Value": 90}, timedelta(days=90)),
    ],
)
def test_days_from_issuance(box, validity, delta):
    pca, _, sub = box
    cert, before, after = within(pca, lambda: issue(pca, sub, validity))
    assert _floor(before) + delta <= cert.not_valid_after_utc <= after + delta


def _add_months(when: datetime, months: int) -> datetime:
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    return when.replace(
        year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1])
    )


@pytest.mark.parametrize(("kind", "value", "months"), [("MONTHS", 5, 5), ("YEARS", 2, 24)])
def test_months_and_years_are_calendar_arithmetic(box, kind, value, months):
    pca, _, sub = box
    cert, before, after = within(pca, lambda: issue(pca, sub, {"Type": kind, "Value": value}))
    low, high = _add_months(_floor(before), months), _add_months(after, months)
    assert low <= cert.not_valid_after_utc <= high


def _next_day(start: datetime, wanted) -> datetime:
    day = start.replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=1)
    while not wanted(day):
        day += timedelta(days=1)
    return day


def test_months_clamp_to_the_end_of_the_month(pca):
    root = pca.create_root_ca(common_name="Clamp Root")

    def clamping(day: datetime) -> bool:
        following = _add_months(day.replace(day=1), 1)
        return day.day == 31 and calendar.monthrange(following.year, following.month)[1] < 31

    target = _next_day(pca.sandbox.now(), clamping)  # e.g. 31 January, noon
    pca.sandbox.advance(seconds=(target - pca.sandbox.now()).total_seconds())
    cert = issue(pca, root, {"Type": "MONTHS", "Value": 1})
    end = cert.not_valid_after_utc
    last = calendar.monthrange(end.year, end.month)[1]
    assert (end.month - target.month) % 12 == 1
    assert end.day == last < 31
    assert (end.hour, end.minute) == (12, 0)
    # and YEARS from a leap day lands on 28 February
    leap = _next_day(pca.sandbox.now(), lambda d: (d.month, d.day) == (2, 29))
    pca.sandbox.advance(seconds=(leap - pca.sandbox.now()).total_seconds())
    cert = issue(pca, root, {"Type": "YEARS", "Value": 1})
    assert cert.not_valid_after_utc.date() == leap.date().replace(year=leap.year + 1, day=28)


# --- NotBefore -------------------------------------------------------------------------------


def test_default_not_before_is_issuance_minus_60_minutes(box):
    pca, _, sub = box
    cert, before, after = within(pca, lambda: issue(pca, sub, {"Type": "DAYS", "Value": 10}))
    hour = timedelta(minutes=60)
    assert _floor(before) - hour <= cert.not_valid_before_utc <= after - hour


def test_validity_not_before_absolute_is_honoured(box):
    pca, _, sub = box
    start = _floor(pca.sandbox.now() - timedelta(days=2, hours=3))
    cert = issue(
        pca,
        sub,
        {"Type": "DAYS", "Value": 10},
        ValidityNotBefore={"Type": "ABSOLUTE", "Value": int(start.timestamp())},
    )
    assert cert.not_valid_before_utc == start
    # Validity does not depend on ValidityNotBefore: still 10 days from issuance
    assert cert.not_valid_after_utc - pca.sandbox.now() > timedelta(days=9, hours=23)


@pytest.mark.parametrize("kind", ["DAYS", "MONTHS", "YEARS", "END_DATE"])
def test_validity_not_before_must_be_absolute(box, kind):
    pca, _, sub = box
    code = invalid(
        pca,
        sub,
        {"Type": "DAYS", "Value": 10},
        ValidityNotBefore={"Type": kind, "Value": 1 if kind != "END_DATE" else 20300101000000},
    )
    assert code == "InvalidArgsException"


def test_validity_not_before_after_not_after_is_invalid_args(box):
    pca, _, sub = box
    late = int((pca.sandbox.now() + timedelta(days=20)).timestamp())
    code = invalid(
        pca,
        sub,
        {"Type": "DAYS", "Value": 10},
        ValidityNotBefore={"Type": "ABSOLUTE", "Value": late},
    )
    assert code == "InvalidArgsException"


# --- limits from the issuing CA --------------------------------------------------------------


def test_not_after_past_the_ca_is_invalid_args(box):
    pca, _, sub = box
    end = sub.certificate.not_after
    assert invalid(pca, sub, {"Type": "YEARS", "Value": 4}) == "InvalidArgsException"
    too_late = {"Type": "ABSOLUTE", "Value": int(end.timestamp()) + 1}
    assert invalid(pca, sub, too_late) == "InvalidArgsException"
    # ending exactly with the CA is allowed for an end-entity certificate
    cert = issue(pca, sub, {"Type": "ABSOLUTE", "Value": int(end.timestamp())})
    assert cert.not_valid_after_utc == end


def test_ca_certificate_must_end_strictly_before_its_parent(box):
    pca, root, _ = box
    child = pca.create_subordinate_ca(common_name="Unsigned Child")  # PENDING_CERTIFICATE
    csr = child.csr.pem.encode()
    end = int(root.certificate.not_after.timestamp())
    template = TEMPLATE.format("SubordinateCACertificate_PathLen0")
    for value in (end, end + 1):
        code = invalid(
            pca, root, {"Type": "ABSOLUTE", "Value": value}, csr=csr, TemplateArn=template
        )
        assert code == "InvalidArgsException"
    cert = issue(pca, root, {"Type": "ABSOLUTE", "Value": end - 1}, csr=csr, TemplateArn=template)
    assert cert.not_valid_after_utc == root.certificate.not_after - timedelta(seconds=1)


def test_short_lived_ca_allows_seven_days_only(pca):
    root = pca.create_root_ca(common_name="Short Root", usage_mode="SHORT_LIVED_CERTIFICATE")
    # the root's own 10-year self-signed certificate is exempt
    assert root.certificate.not_after - root.certificate.not_before > timedelta(days=3000)
    assert invalid(pca, root, {"Type": "DAYS", "Value": 8}) == "InvalidArgsException"
    week = pca.sandbox.now() + timedelta(days=7, minutes=2)
    assert invalid(pca, root, {"Type": "ABSOLUTE", "Value": int(week.timestamp())}) == (
        "InvalidArgsException"
    )
    cert = issue(pca, root, {"Type": "DAYS", "Value": 7})
    # measured from issuance, not from the backdated NotBefore
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=7, hours=1)


# --- signing algorithms ----------------------------------------------------------------------


@pytest.mark.parametrize("signing", ["SHA256WITHRSA", "SHA256WITHRSA_PSS", "ML_DSA_44"])
def test_signing_algorithm_of_another_family_is_invalid_args(box, signing):
    pca, _, sub = box
    code = invalid(pca, sub, {"Type": "DAYS", "Value": 1}, signing=signing)
    assert code == "InvalidArgsException"


def test_rsa_pss_signing_produces_a_pss_signature(pca):
    root = pca.create_root_ca(common_name="RSA Root", key_algorithm="RSA_2048")
    cert = issue(pca, root, {"Type": "DAYS", "Value": 5}, signing="SHA384WITHRSA_PSS")
    params = cert.signature_algorithm_parameters
    assert isinstance(params, padding.PSS)
    assert isinstance(cert.signature_hash_algorithm, hashes.SHA384)
    root.certificate.public_key.verify(
        cert.signature, cert.tbs_certificate_bytes, params, cert.signature_hash_algorithm
    )
    plain = issue(pca, root, {"Type": "DAYS", "Value": 5}, signing="SHA256WITHRSA")
    assert isinstance(plain.signature_algorithm_parameters, padding.PKCS1v15)


@pytest.mark.parametrize("signing", ["SHA384WITHECDSA", "SHA512WITHECDSA"])
def test_ecdsa_hash_follows_the_request(box, signing):
    pca, _, sub = box
    cert = issue(pca, sub, {"Type": "DAYS", "Value": 1}, signing=signing)
    assert cert.signature_hash_algorithm.name == signing[:6].lower()


# --- CSR checks ------------------------------------------------------------------------------


def _csr_for(key) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "weak.example.com")])
    builder = x509.CertificateSigningRequestBuilder().subject_name(name)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def _tampered() -> bytes:
    der = x509.load_pem_x509_csr(csr_pem("tamper.example.com")).public_bytes(
        serialization.Encoding.DER
    )
    at = der.index(b"tamper")
    return der[:at] + b"T" + der[at + 1 :]  # same length, signature no longer matches


@pytest.mark.parametrize(
    "csr",
    [
        b"not a csr",
        b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
        _tampered(),
        csr_pem(common_name=None, sans=()),
        _csr_for(rsa.generate_private_key(65537, 1024)),
        _csr_for(ec.generate_private_key(ec.SECP256K1())),
    ],
    ids=["garbage", "bad-pem", "tampered-signature", "no-subject-no-san", "rsa-1024", "secp256k1"],
)
def test_malformed_csr(box, csr):
    pca, _, sub = box
    assert invalid(pca, sub, {"Type": "DAYS", "Value": 1}, csr=csr) == "MalformedCSRException"


def test_csr_with_a_san_and_no_subject_is_accepted(box):
    pca, _, sub = box
    cert = issue(pca, sub, {"Type": "DAYS", "Value": 1}, csr=csr_pem(None, ("nosubj.example.com",)))
    assert len(cert.subject) == 0
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical  # RFC 5280 4.2.1.6: empty subject, critical SAN


def test_der_csr_is_accepted(box):
    pca, _, sub = box
    der = x509.load_pem_x509_csr(csr_pem("der.example.com")).public_bytes(
        serialization.Encoding.DER
    )
    cert = issue(pca, sub, {"Type": "DAYS", "Value": 1}, csr=der)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "der.example.com"


# --- serial, ARN, idempotency ----------------------------------------------------------------


def test_serial_is_16_random_bytes_and_names_the_arn(box):
    pca, _, sub = box
    serials = set()
    for _ in range(8):
        cert_arn = issue_arn(pca, sub, {"Type": "DAYS", "Value": 1})
        cert = x509.load_pem_x509_certificate(fetch(pca, sub, cert_arn)["Certificate"].encode())
        serial = cert.serial_number
        assert 0 < serial < 2**128  # 16 random bytes; a leading zero byte now and then
        assert cert_arn == f"{sub.arn}/certificate/{serial:032x}"  # always 32 hex digits
        serials.add(serial)
    assert len(serials) == 8
    # Random, not small: eight serials all under 2**120 would happen once in 2**64 runs.
    assert max(s.bit_length() for s in serials) > 120


def test_idempotency_token_within_five_minutes(pca, root):
    csr = csr_pem()
    first = issue_arn(pca, root, {"Type": "DAYS", "Value": 1}, csr=csr, IdempotencyToken="tok-1")
    pca.sandbox.advance(minutes=4)
    again = issue_arn(pca, root, {"Type": "DAYS", "Value": 1}, csr=csr, IdempotencyToken="tok-1")
    assert again == first
    other = issue_arn(pca, root, {"Type": "DAYS", "Value": 1}, csr=csr, IdempotencyToken="tok-2")
    assert other != first
    no_token = issue_arn(pca, root, {"Type": "DAYS", "Value": 1}, csr=csr)
    assert no_token not in (first, other)
    pca.sandbox.advance(minutes=2)  # 6 minutes after the first
    later = issue_arn(pca, root, {"Type": "DAYS", "Value": 1}, csr=csr, IdempotencyToken="tok-1")
    assert later != first
    # the new one becomes the token's answer for the next five minutes
    assert (
        issue_arn(pca, root, {"Type": "DAYS", "Value": 1}, csr=csr, IdempotencyToken="tok-1")
        == later
    )


def test_idempotency_token_is_per_ca(pca, root, issuing):
    a = issue_arn(pca, root, {"Type": "DAYS", "Value": 1}, IdempotencyToken="shared")
    b = issue_arn(pca, issuing, {"Type": "DAYS", "Value": 1}, IdempotencyToken="shared")
    assert a.split("/certificate/")[0] == root.arn
    assert b.split("/certificate/")[0] == issuing.arn


# --- GetCertificate --------------------------------------------------------------------------


def test_get_certificate_in_progress_then_waiter(pca, root):
    pca.sandbox.configure(issuance_delay=5)
    cert_arn = issue_arn(pca, root, {"Type": "DAYS", "Value": 1})
    with pytest.raises(ClientError) as excinfo:
        fetch(pca, root, cert_arn)
    assert error_code(excinfo) == "RequestInProgressException"
    calls = []
    pca.client.meta.events.register(
        "after-call.acm-pca.GetCertificate", lambda **kw: calls.append(kw["http_response"])
    )
    pca.sandbox.advance(seconds=3)  # 2 s of the delay left, in real time
    pca.client.get_waiter("certificate_issued").wait(
        CertificateAuthorityArn=root.arn,
        CertificateArn=cert_arn,
        WaiterConfig={"Delay": 1, "MaxAttempts": 10},
    )
    assert len(calls) >= 2  # it polled through RequestInProgressException at least once
    assert fetch(pca, root, cert_arn)["Certificate"].startswith("-----BEGIN CERTIFICATE-----")


def test_unknown_certificate_arn_is_not_found(box):
    pca, _, sub = box
    with pytest.raises(ClientError) as excinfo:
        fetch(pca, sub, f"{sub.arn}/certificate/{'ab' * 16}")
    assert error_code(excinfo) == "ResourceNotFoundException"


def _pems(chain: str) -> list[str]:
    marker = "-----END CERTIFICATE-----"
    return [block.strip() + "\n" + marker for block in chain.split(marker) if block.strip()]


def test_chain_contents(pca):
    root = pca.create_root_ca(common_name="Chain Root")
    sub = pca.create_subordinate_ca(parent=root, common_name="Chain Sub", path_length=1)
    sub2 = pca.create_subordinate_ca(parent=sub, common_name="Chain Sub 2")
    pem = {
        name: ca.certificate.x509.public_bytes(serialization.Encoding.PEM).decode().strip()
        for name, ca in (("root", root), ("sub", sub), ("sub2", sub2))
    }
    for ca, expected in (
        (root, ["root"]),
        (sub, ["sub", "root"]),
        (sub2, ["sub2", "sub", "root"]),
    ):
        got = fetch(pca, ca, issue_arn(pca, ca, {"Type": "DAYS", "Value": 1}))
        assert _pems(got["CertificateChain"]) == [pem[n] for n in expected]
        leaf = x509.load_pem_x509_certificate(got["Certificate"].encode())
        assert leaf.issuer == ca.certificate.x509.subject


def test_self_signed_root_before_import_has_no_chain(pca):
    arn = pca.client.create_certificate_authority(
        CertificateAuthorityConfiguration={
            "KeyAlgorithm": "EC_prime256v1",
            "SigningAlgorithm": ECDSA,
            "Subject": {"CommonName": "Fresh Root"},
        },
        CertificateAuthorityType="ROOT",
    )["CertificateAuthorityArn"]
    pca.client.get_waiter("certificate_authority_csr_created").wait(CertificateAuthorityArn=arn)
    csr = pca.client.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    cert_arn = issue_arn(
        pca,
        arn,
        {"Type": "YEARS", "Value": 5},
        csr=csr.encode(),
        TemplateArn=TEMPLATE.format("RootCACertificate"),
    )
    got = fetch(pca, arn, cert_arn)
    assert "CertificateChain" not in got
    cert = x509.load_pem_x509_certificate(got["Certificate"].encode())
    assert cert.issuer == cert.subject


def test_revoked_certificate_is_still_returned(pca, root):
    cert_arn = issue_arn(pca, root, {"Type": "DAYS", "Value": 3})
    before = fetch(pca, root, cert_arn)
    serial = cert_arn.rsplit("/", 1)[1]
    pca.client.revoke_certificate(
        CertificateAuthorityArn=root.arn, CertificateSerial=serial, RevocationReason="SUPERSEDED"
    )
    after = fetch(pca, root, cert_arn)
    assert after["Certificate"] == before["Certificate"]
    assert after["CertificateChain"] == before["CertificateChain"]


# --- the CA's state comes before the arguments -----------------------------------------------


def test_issuing_needs_an_active_ca_whatever_the_arguments(pca):
    disabled = pca.create_root_ca(common_name="Disabled Root")
    pca.client.update_certificate_authority(CertificateAuthorityArn=disabled.arn, Status="DISABLED")
    expiring = pca.create_root_ca(
        common_name="Expiring Root", validity={"Type": "DAYS", "Value": 2}
    )
    pending = pca.create_subordinate_ca(common_name="Pending Sub")
    deleted = pca.create_subordinate_ca(common_name="Deleted Sub")
    pca.client.delete_certificate_authority(CertificateAuthorityArn=deleted.arn)
    pca.sandbox.advance(days=3)
    bad_arguments = [
        {},
        {"csr": b"garbage"},
        {"TemplateArn": "arn:aws:acm-pca:::template/NoSuchTemplate/V1"},
        {"signing": "SHA256WITHRSA"},
    ]
    for ca in (disabled, expiring, pending, deleted):
        for extra in bad_arguments:
            with pytest.raises(ClientError) as excinfo:
                issue_arn(pca, ca, {"Type": "DAYS", "Value": 1}, **extra)
            assert error_code(excinfo) == "InvalidStateException", (ca.arn, extra)
            if ca is not deleted:  # the text Terraform's retry logic matches
                message = excinfo.value.response["Error"]["Message"]
                assert "not in a valid state for issuing certificates" in message
