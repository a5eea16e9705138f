"""Certificates from the sandbox in a real mutual-TLS handshake (Python ``ssl``, i.e. OpenSSL)."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

import pytest
from conftest import crl_revocation, make_pca_bucket

import pcanb

SERVER_NAME = "api.internal.example.com"
CLIENT_NAME = "worker-17.clients.example.com"
PURPOSE = "certificate purpose"  # "unsuitable ..." (OpenSSL 3), "unsupported ..." (1.1)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """root → issuing CA; a server and a client certificate; PEM files for ssl."""
    directory = tmp_path_factory.mktemp("tls")
    pca = pcanb.sandbox(directory / "sandbox")
    root = pca.create_root_ca(common_name="TLS Root")
    issuing = pca.create_subordinate_ca(parent=root, common_name="TLS Issuing CA")
    stranger = pca.create_root_ca(common_name="Stranger Root")
    issued = {
        "server": pca.issue(
            issuing, SERVER_NAME, sans=[SERVER_NAME], template="EndEntityServerAuthCertificate"
        ),
        "client": pca.issue(
            issuing, CLIENT_NAME, sans=[CLIENT_NAME], template="EndEntityClientAuthCertificate"
        ),
    }
    files: dict[str, Path] = {}
    for name, cert in issued.items():
        # the certificate followed by the chain GetCertificate returned, without the root
        files[name] = directory / f"{name}.pem"
        files[name].write_text(cert.pem + "".join(c.pem for c in cert.chain[:-1]))
        files[f"{name}.key"] = directory / f"{name}.key"
        files[f"{name}.key"].write_text(cert.private_key_pem)
    files["root"] = directory / "root.pem"
    files["root"].write_text(root.certificate.pem)
    files["stranger"] = directory / "stranger.pem"
    files["stranger"].write_text(stranger.certificate.pem)
    yield files, issued, root
    pca.sandbox.close()


def server_context(files, *, cert: str = "server", trust: str = "root") -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files[cert], files[f"{cert}.key"])
    context.load_verify_locations(files[trust])
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def client_context(files, *, cert: str = "client", trust: str = "root") -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED + check_hostname
    context.load_cert_chain(files[cert], files[f"{cert}.key"])
    context.load_verify_locations(files[trust])
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    return context


def handshake(server: ssl.SSLContext, client: ssl.SSLContext, hostname: str = SERVER_NAME):
    """Run both ends over a socketpair; what each side saw, and its error if any."""
    server_sock, client_sock = socket.socketpair()
    server_sock.settimeout(10)
    client_sock.settimeout(10)
    seen: dict[str, object] = {}

    def serve() -> None:
        try:
            with server.wrap_socket(server_sock, server_side=True) as tls:
                seen["client_cert"] = tls.getpeercert()
                seen["version"] = tls.version()
                tls.sendall(tls.recv(64).upper())
        except (ssl.SSLError, OSError) as error:
            seen["server_error"] = error
        finally:
            server_sock.close()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with client.wrap_socket(client_sock, server_hostname=hostname) as tls:
            seen["server_cert"] = tls.getpeercert()
            tls.sendall(b"ping over mtls")
            seen["echo"] = tls.recv(64)
    except (ssl.SSLError, OSError) as error:
        seen["client_error"] = error
    finally:
        client_sock.close()
        thread.join(10)
    assert not thread.is_alive()
    return seen


def _cn(peer: dict) -> str:
    return dict(rdn[0] for rdn in peer["subject"])["commonName"]


def test_mutual_tls_handshake(pki):
    files, issued, _ = pki
    seen = handshake(server_context(files), client_context(files))
    assert "server_error" not in seen and "client_error" not in seen, seen
    assert seen["echo"] == b"PING OVER MTLS"
    assert _cn(seen["server_cert"]) == SERVER_NAME
    assert ("DNS", SERVER_NAME) in seen["server_cert"]["subjectAltName"]
    assert _cn(seen["client_cert"]) == CLIENT_NAME
    assert int(seen["client_cert"]["serialNumber"], 16) == issued["client"].serial
    assert seen["version"] in ("TLSv1.2", "TLSv1.3")


def test_client_trusting_another_root_refuses_the_server(pki):
    files, _, _ = pki
    seen = handshake(server_context(files), client_context(files, trust="stranger"))
    error = seen["client_error"]
    assert isinstance(error, ssl.SSLCertVerificationError)
    assert "unable to get local issuer certificate" in str(error)
    assert "echo" not in seen


def test_server_trusting_another_root_refuses_the_client(pki):
    files, _, _ = pki
    seen = handshake(server_context(files, trust="stranger"), client_context(files))
    assert isinstance(seen["server_error"], ssl.SSLCertVerificationError)
    assert "client_cert" not in seen
    assert "echo" not in seen


def test_wrong_host_name_is_refused(pki):
    files, _, _ = pki
    seen = handshake(server_context(files), client_context(files), "other.example.com")
    error = seen["client_error"]
    assert isinstance(error, ssl.SSLCertVerificationError)
    assert "Hostname mismatch" in str(error) or "hostname" in str(error).lower()


def test_eku_decides_which_end_a_certificate_may_serve(pki):
    """ServerAuth-only certificates cannot authenticate a client, and the reverse."""
    files, _, _ = pki
    # the server certificate presented as a client certificate
    seen = handshake(server_context(files), client_context(files, cert="server"))
    assert isinstance(seen["server_error"], ssl.SSLCertVerificationError)
    assert PURPOSE in str(seen["server_error"])
    # the client certificate presented by a server (named as the client)
    seen = handshake(server_context(files, cert="client"), client_context(files), CLIENT_NAME)
    assert isinstance(seen["client_error"], ssl.SSLCertVerificationError)
    assert PURPOSE in str(seen["client_error"])


def test_revoked_client_is_refused_with_a_crl(pki, tmp_path):
    """The server loads the issuing CA's CRL: a revoked client certificate fails the handshake."""
    files, _, _ = pki
    pca = pcanb.sandbox(tmp_path / "crl-sandbox")
    try:
        make_pca_bucket(pca, "tls-crl")
        config = crl_revocation("tls-crl", ocsp=False)
        root = pca.create_root_ca(common_name="CRL TLS Root")
        issuing = pca.create_subordinate_ca(
            parent=root, common_name="CRL TLS Issuing", revocation_configuration=config
        )
        local = dict(files)
        for name, template in (
            ("server", "EndEntityServerAuthCertificate"),
            ("client", "EndEntityClientAuthCertificate"),
        ):
            host = SERVER_NAME if name == "server" else CLIENT_NAME
            cert = pca.issue(issuing, host, sans=[host], template=template)
            local[name] = tmp_path / f"{name}.pem"
            local[name].write_text(cert.pem + cert.chain[0].pem)
            local[f"{name}.key"] = tmp_path / f"{name}.key"
            local[f"{name}.key"].write_text(cert.private_key_pem)
            if name == "client":
                client_cert = cert
        local["root"] = tmp_path / "root.pem"
        local["root"].write_text(root.certificate.pem)

        def server_with_crl() -> ssl.SSLContext:
            context = server_context(local)
            crl_file = tmp_path / "issuing.crl.pem"  # a cafile may hold CRLs, cadata may not
            crl_file.write_text(pca.crl(issuing).pem)
            context.load_verify_locations(crl_file)
            context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
            return context

        seen = handshake(server_with_crl(), client_context(local))
        assert "server_error" not in seen and "client_error" not in seen, seen
        pca.revoke(client_cert, "KEY_COMPROMISE")
        seen = handshake(server_with_crl(), client_context(local))
        assert isinstance(seen["server_error"], ssl.SSLCertVerificationError)
        assert "certificate revoked" in str(seen["server_error"])
    finally:
        pca.sandbox.close()
