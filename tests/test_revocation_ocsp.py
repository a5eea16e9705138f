"""The OCSP responder behind the AIA URL of issued certificates, checked by cryptography and OpenSSL."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from conftest import run_openssl
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtensionOID, SignatureAlgorithmOID

import pcanb
from pcanb.x509.ocsp import build_request, parse_response

AWS_OCSP = "http://ocsp.acm-pca.us-east-1.amazonaws.com"
OCSP_ON = {"OcspConfiguration": {"Enabled": True}}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """Root → sub, both answering OCSP; a good and a revoked leaf under the sub."""
    pca = pcanb.sandbox(tmp_path_factory.mktemp("ocsp"))
    root = pca.create_root_ca(common_name="OCSP Root", revocation_configuration=OCSP_ON)
    sub = pca.create_subordinate_ca(
        parent=root, common_name="OCSP Issuing CA", revocation_configuration=OCSP_ON
    )
    good = pca.issue(sub, common_name="good.example.com", sans=["good.example.com"])
    bad = pca.issue(sub, common_name="bad.example.com", sans=["bad.example.com"])
    before = pca.sandbox.now().replace(microsecond=0)
    pca.revoke(bad, "KEY_COMPROMISE")
    after = pca.sandbox.now()
    yield pca, root, sub, good, bad, (before, after)
    pca.sandbox.close()


def post(pca, url: str, request: bytes) -> ocsp.OCSPResponse:
    status, headers, body = pca.sandbox.fetch("POST", url, request)
    assert status == 200
    assert headers["Content-Type"] == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(body)


def test_aia_carries_the_aws_responder(env):
    _, root, sub, good, _, _ = env
    assert good.ocsp_urls == [AWS_OCSP]
    assert sub.certificate.ocsp_urls == [AWS_OCSP]  # issued by the root, which has OCSP on
    assert root.certificate.ocsp_urls == []  # the self-signed root has no AIA
    aia = good.x509.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    assert not aia.critical
    assert [d.access_method for d in aia.value] == [x509.AuthorityInformationAccessOID.OCSP]


def test_custom_cname_in_aia_and_served(pca):
    config = {"OcspConfiguration": {"Enabled": True, "OcspCustomCname": "ocsp.pki.example.com"}}
    root = pca.create_root_ca(common_name="Cname Root", revocation_configuration=config)
    cert = pca.issue(root, common_name="cname.example.com", sans=["cname.example.com"])
    assert cert.ocsp_urls == ["http://ocsp.pki.example.com"]
    answer = pca.ocsp(cert)
    assert (answer.cert_status, answer.signature_valid) == ("GOOD", True)
    # the AWS host answers for it as well (the CNAME points there)
    response = post(pca, AWS_OCSP, build_request(cert, root.certificate))
    assert response.certificate_status == ocsp.OCSPCertStatus.GOOD


def test_no_aia_without_ocsp(pca, root):
    cert = pca.issue(root, common_name="plain.example.com", sans=["plain.example.com"])
    assert cert.ocsp_urls == []
    with pytest.raises(x509.ExtensionNotFound):
        cert.x509.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    # and the responder does not answer for a CA with OCSP off
    response = post(pca, AWS_OCSP, build_request(cert, root.certificate))
    assert response.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_good(env):
    pca, _, _, good, _, _ = env
    answer = pca.ocsp(good)
    assert answer.response_status == "SUCCESSFUL"
    assert answer.cert_status == "GOOD"
    assert answer.revoked is False
    assert answer.signature_valid is True
    assert answer.revocation_time is None
    now = pca.sandbox.now()
    assert answer.this_update <= now < answer.next_update
    assert now - answer.this_update < timedelta(minutes=1)


def test_revoked(env):
    pca, _, _, _, bad, (before, after) = env
    answer = pca.ocsp(bad)
    assert answer.cert_status == "REVOKED"
    assert answer.revoked is True
    assert answer.signature_valid is True
    assert before <= answer.revocation_time <= after
    assert answer.revocation_reason == "key_compromise"


def test_unknown_serial_and_foreign_certificate(env, pca):
    box, _, sub, good, _, _ = env
    request = build_request(good, sub.certificate)
    parsed = ocsp.load_der_ocsp_request(request)

    def by_hash(serial: int) -> bytes:
        builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
            parsed.issuer_name_hash, parsed.issuer_key_hash, serial, parsed.hash_algorithm
        )
        return builder.build().public_bytes(serialization.Encoding.DER)

    never = int.from_bytes(os.urandom(16), "big") | (1 << 127)
    # a certificate from another sandbox's CA with the very same issuer name
    twin_root = pca.create_root_ca(common_name="OCSP Root", revocation_configuration=OCSP_ON)
    twin_sub = pca.create_subordinate_ca(
        parent=twin_root, common_name="OCSP Issuing CA", revocation_configuration=OCSP_ON
    )
    twin = pca.issue(twin_sub, common_name="good.example.com", sans=["good.example.com"])
    assert twin_sub.certificate.x509.subject == sub.certificate.x509.subject
    for serial in (never, twin.serial):
        _, _, body = box.sandbox.fetch("POST", AWS_OCSP, by_hash(serial))
        answer = parse_response(body, sub.certificate)
        assert (answer.cert_status, answer.signature_valid) == ("UNKNOWN", True)
        response = ocsp.load_der_ocsp_response(body)
        assert response.serial_number == serial
    # and asking box's responder about the twin with the twin's own issuer: not box's CA
    _, _, body = box.sandbox.fetch("POST", AWS_OCSP, build_request(twin, twin_sub.certificate))
    assert ocsp.load_der_ocsp_response(body).response_status == (
        ocsp.OCSPResponseStatus.UNAUTHORIZED
    )


def test_response_structure(env):
    pca, _, sub, good, _, _ = env
    nonce = os.urandom(16)
    response = post(pca, good.ocsp_urls[0], build_request(good, sub.certificate, nonce=nonce))
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.serial_number == good.serial
    assert isinstance(response.hash_algorithm, hashes.SHA1)
    assert (
        response.responder_key_hash
        == good.x509.extensions.get_extension_for_class(
            x509.AuthorityKeyIdentifier
        ).value.key_identifier
    )
    assert response.responder_name is None
    assert response.certificates == []  # signed by the CA itself: no delegated responder
    assert response.signature_hash_algorithm.name == "sha256"
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
    sub.certificate.x509.public_key().verify(
        response.signature,
        response.tbs_response_bytes,
        ec.ECDSA(response.signature_hash_algorithm),
    )


def test_get_request_form(env):
    pca, _, sub, _, bad, _ = env
    request = build_request(bad, sub.certificate)
    path = quote(base64.b64encode(request).decode(), safe="")
    status, _, body = pca.sandbox.fetch("GET", f"{AWS_OCSP}/{path}")
    assert status == 200
    assert parse_response(body, sub.certificate).cert_status == "REVOKED"


def test_malformed_request(env):
    pca, _, _, _, _, _ = env
    response = post(pca, AWS_OCSP, b"\x30\x03garbage")
    assert response.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_subordinate_ca_status_from_the_roots_responder(env):
    pca, root, sub, _, _, _ = env
    answer = pca.ocsp(sub.certificate, issuer=root.certificate)
    assert (answer.cert_status, answer.signature_valid) == ("GOOD", True)


def test_signature_checked_against_the_wrong_issuer_fails(env):
    pca, root, sub, good, _, _ = env
    _, _, body = pca.sandbox.fetch("POST", AWS_OCSP, build_request(good, sub.certificate))
    assert parse_response(body, root.certificate).signature_valid is False


def _openssl_ocsp(
    tmp_path, body: bytes, issuer, cert, ca_file, other, *extra: str
) -> tuple[int, str]:
    files = {"resp.der": body, "issuer.pem": issuer.pem, "cert.pem": cert.pem}
    files.update({"root.pem": ca_file.pem, "other.pem": other.pem})
    for name, data in files.items():
        (tmp_path / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    result = run_openssl(
        "ocsp", "-respin", str(tmp_path / "resp.der"), "-issuer", str(tmp_path / "issuer.pem"),
        "-cert", str(tmp_path / "cert.pem"), "-CAfile", str(tmp_path / "root.pem"),
        "-verify_other", str(tmp_path / "other.pem"), *extra,
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("which", ["good", "bad"])
def test_openssl_verifies_the_response(env, tmp_path, which):
    pca, root, sub, good, bad, _ = env
    cert = {"good": good, "bad": bad}[which]
    _, _, body = pca.sandbox.fetch("POST", AWS_OCSP, build_request(cert, sub.certificate))
    code, output = _openssl_ocsp(
        tmp_path, body, sub.certificate, cert, root.certificate, sub.certificate
    )
    assert code == 0, output
    assert "Response verify OK" in output
    expected = {"good": "cert.pem: good", "bad": "cert.pem: revoked"}[which]
    assert expected in output
    if which == "bad":
        assert "Reason: keyCompromise" in output
    # a response whose signature was altered in transit does not verify
    tampered = body[:-1] + bytes([body[-1] ^ 0x01])
    code, output = _openssl_ocsp(
        tmp_path, tampered, sub.certificate, cert, root.certificate, sub.certificate
    )
    assert code != 0
    assert "Response Verify Failure" in output


@pytest.mark.parametrize(
    ("key_algorithm", "signing_algorithm"),
    [
        ("RSA_2048", "SHA256WITHRSA"),
        ("RSA_2048", "SHA256WITHRSA_PSS"),
        ("RSA_2048", "SHA384WITHRSA_PSS"),
        ("EC_secp384r1", "SHA384WITHECDSA"),
    ],
)
def test_responses_use_the_cas_signing_algorithm(pca, tmp_path, key_algorithm, signing_algorithm):
    root = pca.create_root_ca(
        common_name=f"{key_algorithm} OCSP Root",
        key_algorithm=key_algorithm,
        signing_algorithm=signing_algorithm,
        revocation_configuration=OCSP_ON,
    )
    cert = pca.issue(root, common_name="rsa.example.com", sans=["rsa.example.com"])
    pca.revoke(cert, "CESSATION_OF_OPERATION")
    answer = pca.ocsp(cert)
    assert (answer.cert_status, answer.signature_valid) == ("REVOKED", True)
    assert answer.revocation_reason == "cessation_of_operation"
    _, _, body = pca.sandbox.fetch("POST", AWS_OCSP, build_request(cert, root.certificate))
    response = ocsp.load_der_ocsp_response(body)
    digest = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384}[signing_algorithm[:6]]()
    key = root.certificate.x509.public_key()
    if signing_algorithm.endswith("_PSS"):
        assert response.signature_algorithm_oid == SignatureAlgorithmOID.RSASSA_PSS
        pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
        key.verify(response.signature, response.tbs_response_bytes, pss, digest)
    else:
        assert response.signature_hash_algorithm.name == digest.name
    code, output = _openssl_ocsp(
        tmp_path, body, root.certificate, cert, root.certificate, root.certificate
    )
    assert code == 0, output
    assert "Response verify OK" in output
    assert "cert.pem: revoked" in output
    # and a response altered after signing fails the toolkit's check
    tampered = body[:-1] + bytes([body[-1] ^ 0x01])
    assert parse_response(tampered, root.certificate).signature_valid is False


def test_check_revocation_uses_ocsp(env):
    pca, _, _, good, bad, _ = env
    ok = pca.check_revocation(good)
    assert ok.revoked is False
    assert [s["source"] for s in ok.sources] == ["OCSP"]
    gone = pca.check_revocation(bad)
    assert gone.revoked is True
    assert "key_compromise" in gone.reasons[0]


@pytest.mark.parametrize("algorithm", [hashes.SHA256(), hashes.SHA384()])
def test_certid_hashed_with_sha2(env, algorithm):
    pca, _, sub, _, bad, _ = env
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(bad.x509, sub.certificate.x509, algorithm)
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    response = post(pca, AWS_OCSP, request)
    assert response.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert response.hash_algorithm.name == algorithm.name


def test_toolkit_refuses_an_answer_about_another_certificate_or_request(env, monkeypatch):
    pca, _, sub, good, bad, _ = env
    real_http = pca.http
    about_bad = build_request(bad, sub.certificate)

    def wrong_certificate(method, url, body):
        return real_http(method, url, about_bad)

    monkeypatch.setattr(pca, "http", wrong_certificate)
    with pytest.raises(pcanb.PcanbError, match="answered about serial"):
        pca.ocsp(good)

    replayed = build_request(good, sub.certificate, nonce=b"\x00" * 16)

    def replay(method, url, body):
        return real_http(method, url, replayed)

    monkeypatch.setattr(pca, "http", replay)
    with pytest.raises(pcanb.PcanbError, match="nonce"):
        pca.ocsp(good)
    monkeypatch.setattr(pca, "http", real_http)
    answer = pca.ocsp(good)
    assert answer.serial == good.serial
    assert answer.nonce is not None and len(answer.nonce) == 16


def test_ocsp_delay_keeps_answering_good_until_the_revocation_propagates(pca, tmp_path):
    root = pca.create_root_ca(common_name="Delay OCSP Root", revocation_configuration=OCSP_ON)
    cert = pca.issue(root, common_name="late.example.com", sans=["late.example.com"])
    pca.sandbox.configure(ocsp_delay=3600)  # AWS: "within 60 minutes"
    revoked_at = pca.sandbox.now().replace(microsecond=0)
    pca.revoke(cert, "KEY_COMPROMISE")

    def openssl_says() -> str:
        _, _, body = pca.sandbox.fetch("POST", AWS_OCSP, build_request(cert, root.certificate))
        # sandbox time has moved ahead of the wall clock OpenSSL checks thisUpdate against
        code, output = _openssl_ocsp(
            tmp_path, body, root.certificate, cert, root.certificate, root.certificate,
            "-validity_period", "7200",
        )  # fmt: skip
        assert code == 0 and "Response verify OK" in output, output
        return output

    assert pca.ocsp(cert).cert_status == "GOOD"
    assert "cert.pem: good" in openssl_says()
    assert pca.check_revocation(cert).revoked is False
    pca.sandbox.advance(minutes=59, seconds=59)
    assert pca.ocsp(cert).cert_status == "GOOD"
    pca.sandbox.advance(seconds=1)
    answer = pca.ocsp(cert)
    assert (answer.cert_status, answer.revocation_reason) == ("REVOKED", "key_compromise")
    assert revoked_at <= answer.revocation_time <= revoked_at + timedelta(seconds=1)
    output = openssl_says()
    assert "cert.pem: revoked" in output and "Reason: keyCompromise" in output
    assert pca.check_revocation(cert).revoked is True


def test_ocsp_delay_is_a_sandbox_setting(pca):
    assert pca.sandbox.configure()["ocsp_delay"] == 0.0
    assert pca.sandbox.configure(ocsp_delay=90)["ocsp_delay"] == 90.0


# --- check_revocation believes only a response from the issuer or its authorised responder ------


def _reply(
    request_der: bytes,
    certificate,
    issuer,
    signer,
    signer_key,
    *,
    status=ocsp.OCSPCertStatus.GOOD,
    this_update=None,
    next_update=None,
    now=None,
    echo_nonce: bool = True,
    include_signer: bool = True,
) -> bytes:
    """An OCSP response about ``certificate`` (CertID under ``issuer``) signed by ``signer_key``."""
    this_update = this_update or now - timedelta(minutes=5)
    next_update = next_update or now + timedelta(hours=12)
    revoked = status == ocsp.OCSPCertStatus.REVOKED
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=certificate.x509,
            issuer=issuer.x509,
            algorithm=hashes.SHA1(),
            cert_status=status,
            this_update=this_update,
            next_update=next_update,
            revocation_time=this_update if revoked else None,
            revocation_reason=x509.ReasonFlags.key_compromise if revoked else None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, signer.x509)
    )
    if include_signer:
        builder = builder.certificates([signer.x509])
    request = ocsp.load_der_ocsp_request(request_der)
    for extension in request.extensions:
        if isinstance(extension.value, x509.OCSPNonce) and echo_nonce:
            builder = builder.add_extension(extension.value, critical=False)
    return builder.sign(signer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _answering(monkeypatch, pca, make):
    """Make the OCSP URL answer ``make(request_der)`` (CRL URLs are not involved here)."""

    def http(method, url, body):
        assert url == AWS_OCSP
        return 200, {"Content-Type": "application/ocsp-response"}, make(body)

    monkeypatch.setattr(pca, "http", http)


@pytest.fixture(scope="module")
def responders(env):
    """An authorised responder of the sub (id-kp-OCSPSigning), and two that are not."""
    pca, root, sub, *_ = env
    authorised = pca.issue(
        sub, common_name="Sub OCSP Responder", template="OCSPSigningCertificate/V1"
    )
    by_root = pca.issue(
        root, common_name="Root OCSP Responder", template="OCSPSigningCertificate/V1"
    )
    no_eku = pca.issue(sub, common_name="plain.example.com", sans=["plain.example.com"])
    assert "OCSPSigning" in authorised.extended_key_usage
    assert "OCSPSigning" not in no_eku.extended_key_usage
    return authorised, by_root, no_eku


def _only_ocsp(verdict) -> dict:
    [source] = verdict.sources
    assert source["source"] == "OCSP"
    return source


def _impostor(ca):
    """A key and a self-signed certificate with ``ca``'s subject: not ``ca``'s key."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = ca.certificate.not_before
    cert = (
        x509.CertificateBuilder()
        .subject_name(ca.certificate.x509.subject)
        .issuer_name(ca.certificate.x509.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return pcanb.Certificate(cert), key


def test_a_forged_ocsp_good_or_revoked_is_unknown(env, monkeypatch):
    pca, _, sub, good, bad, _ = env
    impostor, key = _impostor(sub)
    now = pca.now()
    for certificate, status in (
        (bad, ocsp.OCSPCertStatus.GOOD),
        (good, ocsp.OCSPCertStatus.REVOKED),
    ):
        _answering(
            monkeypatch,
            pca,
            lambda req, c=certificate, s=status: _reply(
                req, c, sub.certificate, impostor, key, status=s, now=now, include_signer=False
            ),
        )
        source = _only_ocsp(pca.check_revocation(certificate))
        assert source["revoked"] is None
        assert source["detail"].startswith(f"OCSP {status.name}")
        assert "signature does NOT verify" in source["detail"]


def test_an_authorised_responder_is_believed(env, responders, monkeypatch):
    pca, _, sub, good, bad, _ = env
    authorised, _, _ = responders
    now = pca.now()
    for certificate, status in (
        (good, ocsp.OCSPCertStatus.GOOD),
        (bad, ocsp.OCSPCertStatus.REVOKED),
    ):
        _answering(
            monkeypatch,
            pca,
            lambda req, c=certificate, s=status: _reply(
                req, c, sub.certificate, authorised, authorised.private_key, status=s, now=now
            ),
        )
        verdict = pca.check_revocation(certificate)
        assert verdict.revoked is (status == ocsp.OCSPCertStatus.REVOKED)
        assert "signed by the authorised responder Sub OCSP Responder" in verdict.reasons[0]


@pytest.mark.parametrize("which", ["issued by another CA", "without id-kp-OCSPSigning"])
def test_a_responder_the_issuer_did_not_authorise_is_not_believed(
    env, responders, monkeypatch, which
):
    pca, _, sub, good, _, _ = env
    _, by_root, no_eku = responders
    signer = by_root if which == "issued by another CA" else no_eku
    now = pca.now()
    _answering(
        monkeypatch,
        pca,
        lambda req: _reply(req, good, sub.certificate, signer, signer.private_key, now=now),
    )
    source = _only_ocsp(pca.check_revocation(good))
    assert source["revoked"] is None
    assert "authorised responder" in source["detail"] and "does NOT verify" in source["detail"]


def test_an_answer_for_another_issuers_certid_is_unknown(env, responders, monkeypatch):
    pca, root, _, good, _, _ = env
    authorised, _, _ = responders
    now = pca.now()
    # the right serial, but the CertID's issuer hashes are the root's
    _answering(
        monkeypatch,
        pca,
        lambda req: _reply(
            req, good, root.certificate, authorised, authorised.private_key, now=now
        ),
    )
    source = _only_ocsp(pca.check_revocation(good))
    assert source["revoked"] is None
    assert "another issuer" in source["detail"]
    with pytest.raises(pcanb.PcanbError, match="another issuer"):
        pca.ocsp(good)


def test_a_stale_or_future_ocsp_answer_is_unknown(env, responders, monkeypatch):
    pca, _, sub, good, _, _ = env
    authorised, _, _ = responders
    now = pca.now()
    for this_update, next_update, expected in (
        (now - timedelta(days=2), now - timedelta(days=1), "it is stale"),
        (now + timedelta(hours=1), now + timedelta(days=1), "is in the future"),
    ):
        _answering(
            monkeypatch,
            pca,
            lambda req, t=this_update, n=next_update: _reply(
                req, good, sub.certificate, authorised, authorised.private_key,
                this_update=t, next_update=n,
            ),
        )  # fmt: skip
        source = _only_ocsp(pca.check_revocation(good))
        assert source["revoked"] is None
        assert expected in source["detail"]


def test_pca_ocsp_judges_the_answer_as_check_revocation_does(env, responders, monkeypatch):
    """pca.ocsp() hands back what the responder said (cert_status) and, for an answer that
    cannot be believed, why (problems) with revoked None: never a plain "good"."""
    pca, _, sub, good, bad, _ = env
    authorised, by_root, _ = responders
    impostor, key = _impostor(sub)
    now = pca.now()
    cases = {
        "forged": (
            lambda req: _reply(req, bad, sub.certificate, impostor, key, now=now,
                               include_signer=False),
            bad, "signature does NOT verify",
        ),
        "unauthorised responder": (
            lambda req: _reply(req, good, sub.certificate, by_root, by_root.private_key, now=now),
            good, "authorised responder",
        ),
        "stale": (
            lambda req: _reply(req, good, sub.certificate, authorised, authorised.private_key,
                               this_update=now - timedelta(days=2),
                               next_update=now - timedelta(days=1)),
            good, "it is stale",
        ),
        "future": (
            lambda req: _reply(req, good, sub.certificate, authorised, authorised.private_key,
                               this_update=now + timedelta(hours=1),
                               next_update=now + timedelta(days=1)),
            good, "is in the future",
        ),
    }  # fmt: skip
    for name, (make, certificate, expected) in cases.items():
        _answering(monkeypatch, pca, make)
        answer = pca.ocsp(certificate)
        assert answer.cert_status == "GOOD", name  # what the responder said
        assert answer.revoked is None, name
        assert any(expected in p for p in answer.problems), (name, answer.problems)
    _answering(
        monkeypatch,
        pca,
        lambda req: _reply(req, good, sub.certificate, authorised, authorised.private_key, now=now),
    )
    answer = pca.ocsp(good)
    assert (answer.cert_status, answer.revoked, answer.problems) == ("GOOD", False, ())


def test_pca_ocsp_of_the_sandbox_responder_has_no_problems(env):
    pca, _, _, good, bad, _ = env
    assert pca.ocsp(good).problems == () and pca.ocsp(good).revoked is False
    assert pca.ocsp(bad).problems == () and pca.ocsp(bad).revoked is True


def test_ocsp_freshness_is_judged_in_sandbox_time(pca):
    root = pca.create_root_ca(common_name="Time OCSP Root", revocation_configuration=OCSP_ON)
    cert = pca.issue(root, common_name="t.example.com", sans=["t.example.com"], days=90)
    pca.sandbox.advance(days=30)
    answer = pca.ocsp(cert)
    assert answer.this_update > datetime.now(UTC) + timedelta(days=29)  # ahead of the wall clock
    verdict = pca.check_revocation(cert)
    assert verdict.revoked is False, verdict.reasons
    pca.revoke(cert, "SUPERSEDED")
    assert pca.check_revocation(cert).revoked is True
