"""Mistakes a person makes calling the toolkit get an error that says what to pass — a
``PcanbError`` (a ``ValueError``), a ``TypeError``, or the AWS/botocore error of the call —
never an ``AttributeError`` or ``KeyError`` from deep inside."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pcanb
from pcanb import PcanbError


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    pca = pcanb.sandbox(tmp_path_factory.mktemp("bad-input") / "sandbox")
    root = pca.create_root_ca(
        common_name="Bad Input Root",
        revocation_configuration={"OcspConfiguration": {"Enabled": True}},
    )
    leaf = pca.issue(root, common_name="leaf.example", days=3)
    yield pca, root, leaf
    pca.sandbox.close()


def test_issue_names_the_argument_that_is_wrong(world):
    pca, root, _ = world
    with pytest.raises(PcanbError, match="common_name must be a string"):
        pca.issue(root, common_name=5, days=1)
    with pytest.raises(PcanbError, match="sans must be a list"):
        pca.issue(root, common_name="a.example", sans=b"a.example", days=1)
    with pytest.raises(PcanbError, match="each SAN must be a string"):
        pca.issue(root, common_name="a.example", sans=["a.example", 7], days=1)
    with pytest.raises(PcanbError, match="template must be a template name"):
        pca.issue(root, common_name="a.example", template=3, days=1)
    with pytest.raises(PcanbError, match="key_algorithm must be one of"):
        pca.issue(root, common_name="a.example", key_algorithm=None, days=1)
    with pytest.raises(PcanbError, match="key_algorithm must be one of"):
        pca.create_root_ca(common_name="No Key", key_algorithm=None)


def test_one_san_given_as_a_string_is_one_san(world):
    pca, root, _ = world
    leaf = pca.issue(root, common_name="one.example", sans="one.example", days=1)
    assert leaf.sans == ["DNS:one.example"]


def test_revocation_checks_take_an_arn_or_pem_too(world):
    pca, _, leaf = world
    assert pca.ocsp(leaf.arn).cert_status == "GOOD"
    assert pca.ocsp(leaf).cert_status == "GOOD"
    by_pem = pca.check_revocation(leaf.pem, issuer=leaf.chain[0])
    assert by_pem.revoked is False
    with pytest.raises(PcanbError, match="ocsp\\(\\) takes an IssuedCertificate"):
        pca.ocsp(42)
    with pytest.raises(PcanbError, match="not a CA ARN"):
        pca.check_revocation(world[1].arn)


def test_read_audit_report_says_what_it_takes():
    with pytest.raises(TypeError, match="takes the report's bytes"):
        pcanb.read_audit_report(None)
    with pytest.raises(ValueError, match="empty path"):
        pcanb.read_audit_report("")
    frame = pcanb.read_audit_report(io.BytesIO(b"[]"))
    assert len(frame) == 0 and "serial" in frame.columns


_BAD = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.binary(max_size=8),
    st.text(max_size=8), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip
_CALLS = {
    "issue(ca)": lambda pca, root, leaf, v: pca.issue(v, common_name="a.example", days=1),
    "issue(common_name)": lambda pca, root, leaf, v: pca.issue(root, common_name=v, days=1),
    "issue(days)": lambda pca, root, leaf, v: pca.issue(root, common_name="a.example", days=v),
    "issue(sans)": lambda pca, root, leaf, v: pca.issue(
        root, common_name="a.example", sans=v, days=1
    ),
    "issue(template)": lambda pca, root, leaf, v: pca.issue(
        root, common_name="a.example", template=v, days=1
    ),
    "issue(key_algorithm)": lambda pca, root, leaf, v: pca.issue(
        root, common_name="a.example", key_algorithm=v, days=1
    ),
    "issue(csr)": lambda pca, root, leaf, v: pca.issue(root, csr=v, days=1),
    "revoke(certificate)": lambda pca, root, leaf, v: pca.revoke(v, "KEY_COMPROMISE"),
    "revoke(reason)": lambda pca, root, leaf, v: pca.revoke(leaf, v),
    "create_root_ca(key_algorithm)": lambda pca, root, leaf, v: pca.create_root_ca(
        common_name="x", key_algorithm=v
    ),
    "create_subordinate_ca(parent)": lambda pca, root, leaf, v: pca.create_subordinate_ca(
        parent=v, common_name="s"
    ),
    "describe_certificate_authority": lambda pca, root, leaf, v: (
        pca.describe_certificate_authority(v)
    ),
    "get_certificate": lambda pca, root, leaf, v: pca.get_certificate(root, v),
    "chain": lambda pca, root, leaf, v: pca.chain(v),
    "crl": lambda pca, root, leaf, v: pca.crl(v),
    "ocsp": lambda pca, root, leaf, v: pca.ocsp(v),
    "check_revocation": lambda pca, root, leaf, v: pca.check_revocation(v),
    "audit_report": lambda pca, root, leaf, v: pca.audit_report(v),
    "certificates_frame": lambda pca, root, leaf, v: pcanb.certificates_frame(v),
    "Certificate.load": lambda pca, root, leaf, v: pcanb.Certificate.load(v),
    "costs(month)": lambda pca, root, leaf, v: pca.costs(month=v),
    "in_region": lambda pca, root, leaf, v: pca.in_region(v),
}  # fmt: skip


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(call=st.sampled_from(sorted(_CALLS)), value=_BAD)
def test_wrong_values_get_errors_that_say_what_to_pass(world, call, value):
    pca, root, leaf = world
    try:
        _CALLS[call](pca, root, leaf, value)
    except (PcanbError, TypeError, ValueError) as error:
        assert len(str(error)) > 15, (call, value, error)
    except (ClientError, ParamValidationError):
        pass  # the service's (or botocore's) own answer to the value, with its code


def test_charts_without_matplotlib_say_what_to_install():
    """A session opens and registers the ``.pca`` accessor without matplotlib; drawing a chart
    (from pcanb.charts or the accessor) names the extra to install."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "import pandas as pd, pcanb\n"
        "pca = pcanb.sandbox(':memory:')\n"
        "frame = pd.DataFrame({'not_after': pd.to_datetime(['2030-01-01'], utc=True)})\n"
        "for draw in (lambda: pcanb.charts.hierarchy(pca), lambda: frame.pca.expiry()):\n"
        "    try:\n"
        "        draw()\n"
        "    except ModuleNotFoundError as error:\n"
        "        print(error.name, '|', error)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    lines = out.stdout.splitlines()
    assert len(lines) == 2, out.stderr[-2000:]
    assert all(line.startswith("matplotlib | ") for line in lines), lines
    assert all("pip install 'pcanb[notebook]'" in line for line in lines), lines


@pytest.mark.parametrize("days", [0, -3, 1.5, "30", True])
def test_issue_refuses_days_that_are_not_a_whole_positive_number(world, days):
    pca, root, _ = world
    with pytest.raises(PcanbError, match="days= must be a whole number of at least 1"):
        pca.issue(root, common_name="days.example", days=days)


def test_a_common_name_over_64_characters_is_named(world):
    pca, root, _ = world
    with pytest.raises(PcanbError, match="common name"):
        pca.issue(root, common_name="a" * 100)


# -- SANs, CSRs, serials and statuses a person is likely to pass ----------------------------------


def test_an_internationalized_san_is_written_as_its_a_label(world):
    pca, root, _ = world
    leaf = pca.issue(root, common_name="idn.example", sans=["bücher.example.com"], days=1)
    assert leaf.sans == ["DNS:xn--bcher-kva.example.com"]


@pytest.mark.parametrize(
    "name", ["not a name !!", "DNS:-bad.example", "IP:300.1.1.1", "email:no-at-sign", "URI:x y"]
)
def test_a_san_that_is_no_name_is_refused_before_any_call(world, name):
    pca, root, _ = world
    calls = len(pca.sandbox.events())
    with pytest.raises(PcanbError, match=r"pass a DNS name .* an IP address .* or a URI"):
        pca.issue(root, common_name="a.example", sans=[name], days=1)
    assert len(pca.sandbox.events()) == calls


def test_issue_says_what_a_csr_is(world):
    pca, root, _ = world
    with pytest.raises(PcanbError, match="csr= takes a CSR as PEM text or PEM/DER bytes"):
        pca.issue(root, csr=42)


def test_a_certificate_is_revoked_by_its_int_serial(world):
    pca, root, _ = world
    leaf = pca.issue(root, common_name="by-serial.example", days=1)
    pca.revoke_certificate(root, leaf.serial, "KEY_COMPROMISE")
    assert pca.ocsp(leaf).cert_status == "REVOKED"
    with pytest.raises(PcanbError, match=r"serial as hex text .* or as an int"):
        pca.revoke_certificate(root, 1.5, "KEY_COMPROMISE")


def test_a_certificate_is_revoked_by_its_pem(world):
    pca, root, _ = world
    leaf = pca.issue(root, common_name="by-pem.example", days=1)
    pca.revoke(leaf.pem, "SUPERSEDED")
    assert pca.ocsp(leaf).cert_status == "REVOKED"


def test_revoking_a_pem_no_ca_of_the_session_issued_says_so(world, tmp_path):
    pca, _, _ = world
    other = pcanb.sandbox(tmp_path / "elsewhere")
    stranger = other.issue(other.create_root_ca(common_name="Elsewhere"), common_name="s.example")
    with pytest.raises(PcanbError, match="no CA of this session") as caught:
        pca.revoke(stranger.pem, "KEY_COMPROMISE")
    assert "BEGIN CERTIFICATE" not in str(caught.value)
    with pytest.raises(PcanbError, match="is not a certificate ARN") as caught:
        pca.revoke("x" * 500, "KEY_COMPROMISE")
    assert len(str(caught.value)) < 200
    other.sandbox.close()


def test_update_status_names_only_the_statuses_that_can_be_set(world):
    pca, root, _ = world
    with pytest.raises(PcanbError, match=r"status must be one of ACTIVE, DISABLED; got 'PAUSED'"):
        pca.update_certificate_authority(root, status="PAUSED")


def test_path_length_must_be_an_int(world):
    pca, root, _ = world
    for wrong in ("1", 1.0, True, 4):
        with pytest.raises(PcanbError, match="path_length must be the int 0, 1, 2 or 3"):
            pca.create_subordinate_ca(parent=root, common_name="x", path_length=wrong)


def test_sandbox_advance_takes_numbers(world):
    pca, _, _ = world
    before = pca.sandbox.now()
    for call in (
        lambda: pca.sandbox.advance(days="1"),
        lambda: pca.sandbox.advance(hours=None),
        lambda: pca.sandbox.advance(minutes=float("nan")),
    ):
        with pytest.raises(PcanbError, match=r"advance\(\) takes numbers"):
            call()
    with pytest.raises(PcanbError, match="too far"):
        pca.sandbox.advance(days=10**12)
    assert pca.sandbox.now() - before < timedelta(minutes=1)


def test_sandbox_configure_names_the_known_settings(world):
    pca, _, _ = world
    with pytest.raises(
        PcanbError, match=r"unknown sandbox setting bogus; the settings are .*ocsp_delay"
    ):
        pca.sandbox.configure(bogus=1)
    with pytest.raises(PcanbError, match="ocsp_delay must be a number"):
        pca.sandbox.configure(ocsp_delay="soon")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("Bad_Name!!", "it holds '!', 'B', 'N', '_' (uppercase letters are not allowed)"),
        ("ab", "2 characters long"),
        ("-starts-with-a-hyphen", "begin and end with a letter or digit"),
        ("two..dots", "two adjacent dots"),
        ("192.168.5.4", "formatted as an IP address"),
        ("xn--bucket", "reserves"),
    ],
)
def test_create_pca_bucket_checks_the_s3_naming_rules_first(world, name, why):
    pca, _, _ = world
    with pytest.raises(PcanbError, match="is not a valid S3 bucket name") as caught:
        pca.create_pca_bucket(name)
    assert why in str(caught.value)


def test_sandbox_says_it_takes_a_path():
    with pytest.raises(PcanbError, match=r"directory path .* or ':memory:'"):
        pcanb.sandbox(123)


def test_revoke_takes_pem_or_der_bytes_and_says_what_it_takes(world):
    pca, root, _ = world
    by_bytes = pca.issue(root, common_name="by-pem-bytes.example", days=1)
    by_der = pca.issue(root, common_name="by-der.example", days=1)
    pca.revoke(by_bytes.pem.encode(), "SUPERSEDED")
    pca.revoke(by_der.der, "SUPERSEDED")
    assert pca.ocsp(by_bytes).cert_status == pca.ocsp(by_der).cert_status == "REVOKED"
    for wrong in (None, 42):
        with pytest.raises(PcanbError, match=r"revoke\(\) takes the certificate to revoke"):
            pca.revoke(wrong)


def test_revoking_a_root_cas_own_certificate_says_to_disable_and_delete(world, tmp_path):
    pca, root, _ = world
    other = pcanb.sandbox(tmp_path / "bad-root")
    foreign = other.create_root_ca(common_name="Bad Root")
    for certificate in (root.certificate, foreign.certificate, foreign.certificate.pem):
        with pytest.raises(PcanbError, match="a root CA's own self-signed certificate") as caught:
            pca.revoke(certificate)
        assert "disable it" in str(caught.value) and "delete it" in str(caught.value)
    other.sandbox.close()


def test_a_bad_email_san_is_named(world):
    pca, root, _ = world
    with pytest.raises(PcanbError, match="'@@' is not an email address: its domain '' is not"):
        pca.issue(root, common_name="e.example", sans=["email:@@"], days=1)


def test_a_certificate_is_not_an_issuing_ca(world):
    pca, root, leaf = world
    with pytest.raises(PcanbError, match="a leaf certificate is not a CA"):
        pca.issue(leaf, common_name="x.example", days=1)
    with pytest.raises(PcanbError, match="a leaf certificate is not a CA"):
        pca.create_subordinate_ca(parent=leaf, common_name="Sub of a leaf")
    with pytest.raises(PcanbError, match="not the CA; pass the CA"):
        pca.issue(root.certificate, common_name="x.example", days=1)


@pytest.mark.parametrize(
    "bad",
    [
        "\x00",
        "\n",
        "\x1b",
        "\x7f",
        "\x85",
        "\u202e",
        "\u202a",
        "\u2066",
        "\u2069",
        "\u200e",
        "\u200f",
    ],
)
def test_names_with_control_or_bidi_characters_are_refused(world, bad):
    pca, root, _ = world
    name = f"www.bank.example{bad}.evil.com"
    code = f"U+{ord(bad):04X}"
    calls = {
        "issue(common_name)": lambda: pca.issue(root, common_name=name, days=1),
        "issue(subject)": lambda: pca.issue(
            root, subject={"CommonName": "ok.example", "Organization": name}, days=1
        ),
        "issue(subject custom)": lambda: pca.issue(
            root,
            subject={"CustomAttributes": [{"ObjectIdentifier": "2.5.4.3", "Value": name}]},
            days=1,
        ),
        "create_root_ca": lambda: pca.create_root_ca(common_name=name),
        "create_subordinate_ca(subject)": lambda: pca.create_subordinate_ca(
            parent=root, subject={"CommonName": "Sub", "OrganizationalUnit": name}
        ),
    }
    for call, make in calls.items():
        with pytest.raises(PcanbError, match=re.escape(f"holds {code}")) as caught:
            make()
        assert "control characters" in str(caught.value), call
