"""crl_problems: when a CRL may be believed about one certificate (RFC 5280 §6.3.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pcanb.x509.decode import Certificate, Crl
from pcanb.x509.revocation import crl_problems

NOW = datetime.now(UTC).replace(microsecond=0)
CDP = "http://crl.example.com/ca.crl"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _usage(crl_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(True, False, False, False, False, True, crl_sign, False, False)


def _pki(crl_sign: bool = True):
    key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Evidence CA"))
        .issuer_name(_name("Evidence CA"))
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(True, None), True)
        .add_extension(_usage(crl_sign), True)
        .sign(key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("leaf.example.com"))
        .issuer_name(ca.subject)
        .public_key(leaf_key.public_key())
        .serial_number(4242)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=30))
        .add_extension(x509.BasicConstraints(False, None), True)
        .add_extension(
            x509.CRLDistributionPoints(
                [x509.DistributionPoint([x509.UniformResourceIdentifier(CDP)], None, None, None)]
            ),
            False,
        )
        .sign(key, hashes.SHA256())
    )
    return Certificate(ca), key, Certificate(leaf)


def _crl(ca, key, *, this_update=None, next_update=None, extensions=()) -> Crl:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.x509.subject)
        .last_update(this_update or NOW - timedelta(hours=1))
    )
    # (cryptography signs no CRL without a nextUpdate)
    builder = builder.next_update(NOW + timedelta(days=7) if next_update is None else next_update)
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    return Crl(builder.sign(key, hashes.SHA256()))


def _idp(**flags) -> x509.IssuingDistributionPoint:
    fields = {
        "full_name": None,
        "relative_name": None,
        "only_contains_user_certs": False,
        "only_contains_ca_certs": False,
        "only_some_reasons": None,
        "indirect_crl": False,
        "only_contains_attribute_certs": False,
    }
    return x509.IssuingDistributionPoint(**{**fields, **flags})


def test_a_current_crl_signed_by_the_issuer_is_believed():
    ca, key, leaf = _pki()
    assert crl_problems(_crl(ca, key), leaf, ca, at=NOW) == []
    same_dp = _idp(full_name=[x509.UniformResourceIdentifier(CDP)])
    assert crl_problems(_crl(ca, key, extensions=[(same_dp, True)]), leaf, ca, at=NOW) == []


@pytest.mark.parametrize(
    ("crl_kwargs", "expected"),
    [
        ({"this_update": NOW + timedelta(hours=1)}, "is in the future"),
        ({"next_update": NOW - timedelta(minutes=1)}, "it is stale"),
        ({"extensions": [(x509.DeltaCRLIndicator(7), True)]}, "it is a delta CRL"),
        (
            {
                "extensions": [
                    (x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00"), True)
                ]
            },
            "critical extension pcanb does not process",
        ),
        (
            {"extensions": [(_idp(full_name=[x509.UniformResourceIdentifier("http://x/o.crl")]), True)]},
            "covers the distribution point http://x/o.crl, which is not one the certificate names",
        ),
        ({"extensions": [(_idp(only_contains_ca_certs=True), True)]}, "only CA certificates"),
        (
            {"extensions": [(_idp(only_some_reasons=frozenset({x509.ReasonFlags.key_compromise})), True)]},
            "only some revocation reasons",
        ),
        ({"extensions": [(_idp(indirect_crl=True), True)]}, "indirect CRL"),
    ],
    ids=[
        "future", "stale", "delta", "critical-unknown", "other-dp",
        "ca-only", "some-reasons", "indirect",
    ],
)  # fmt: skip
def test_a_crl_that_cannot_speak_for_the_certificate_says_why(crl_kwargs, expected):
    ca, key, leaf = _pki()
    [problem] = crl_problems(_crl(ca, key, **crl_kwargs), leaf, ca, at=NOW)
    assert expected in problem


def test_an_issuer_that_may_not_sign_crls_is_not_believed():
    ca, key, leaf = _pki(crl_sign=False)
    [problem] = crl_problems(_crl(ca, key), leaf, ca, at=NOW)
    assert "may not sign CRLs (keyUsage lacks cRLSign)" in problem


def test_freshness_is_judged_at_the_time_given():
    ca, key, leaf = _pki()
    crl = _crl(ca, key)
    assert crl_problems(crl, leaf, ca, at=NOW + timedelta(days=6)) == []
    assert "it is stale" in crl_problems(crl, leaf, ca, at=NOW + timedelta(days=8))[0]
    assert "in the future" in crl_problems(crl, leaf, ca, at=NOW - timedelta(days=1))[0]
