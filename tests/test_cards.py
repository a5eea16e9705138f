"""HTML cards show the fields that matter and never let untrusted text become markup."""

from __future__ import annotations

import re
import subprocess
import sys
import types
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pcanb.ui.cards import (
    FORMATTERS,
    certificate_card,
    chain_card,
    crl_card,
    csr_card,
    register_formatters,
)
from pcanb.ui.html import Html, escape, h, table
from pcanb.x509.decode import Certificate, CertificateChain, Crl, Csr

NOW = datetime.now(UTC).replace(microsecond=0)
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


class _Markup(HTMLParser):
    """Collects the tags and attribute names a browser would see."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: set[str] = set()
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.update(name for name, _ in attrs)

    def handle_data(self, data):
        self.text.append(data)


def assert_inert(markup: str) -> _Markup:
    parsed = _Markup(markup)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert not any(a.startswith("on") for a in parsed.attributes)
    return parsed


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, IMG),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _cert(cn, key, issuer=None, *, ca=False, days=(-1, 365), sans=()) -> Certificate:
    issuer_cert, issuer_key = issuer if issuer else (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer_cert.x509.subject if issuer_cert else _name(cn))
        .public_key(key.public_key())
        .serial_number(0x1234AB)
        .not_valid_before(NOW + timedelta(days=days[0]))
        .not_valid_after(NOW + timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), False)
    return Certificate(builder.sign(issuer_key, hashes.SHA256()))


@pytest.fixture(scope="module")
def pki():
    root_key, leaf_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    root = _cert(f"Root {SCRIPT}", root_key, ca=True, days=(-1, 3650))
    sans = [x509.DNSName("api.internal"), x509.UniformResourceIdentifier(f"https://x/{IMG}")]
    leaf = _cert(SCRIPT, leaf_key, (root, root_key), days=(-1, 90), sans=sans)
    return {"root": root, "root_key": root_key, "leaf": leaf, "leaf_key": leaf_key}


# --- the escape helper -------------------------------------------------------------------------


def test_h_escapes_text_and_attributes_but_not_html():
    markup = h("div", SCRIPT, h("b", "ok"), None, ["a", "<i>"], title=IMG, class_="c", data_x=1)
    assert isinstance(markup, Html)
    assert markup == (
        '<div title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" class="c" data-x="1">'
        "&lt;script&gt;alert(1)&lt;/script&gt;<b>ok</b>a&lt;i&gt;</div>"
    )
    assert h("br") == "<br>"
    assert h("input", disabled=True, hidden=False, value=None) == "<input disabled>"
    assert escape(Html("<b>")) == "<b>" and escape("<b>") == "&lt;b&gt;"
    with pytest.raises(ValueError, match="tag name"):
        h("div onclick=x")


def test_table_lists_values_one_per_line():
    markup = table([("Names", ["a", "<b>"]), ("Empty", None), ("N", 3)])
    parsed = assert_inert(markup)
    assert parsed.tags.count("tr") == 3 and parsed.tags.count("br") == 1
    assert "&lt;b&gt;" in markup and "—" in markup


# --- certificate card --------------------------------------------------------------------------


def test_certificate_card_escapes_untrusted_text(pki):
    markup = certificate_card(pki["leaf"])
    parsed = assert_inert(markup)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    text = "".join(parsed.text)
    assert SCRIPT in text and "https://x/" + IMG in text


def test_certificate_card_shows_the_main_fields(pki):
    leaf = pki["leaf"]
    markup = certificate_card(leaf, now=NOW)
    for expected in (
        leaf.serial_hex,
        leaf.fingerprint_sha256,
        leaf.fingerprint_sha1,
        "EC 256 bits secp256r1 · EC_prime256v1",
        "SHA256WITHECDSA",
        "DNS:api.internal",
        "digitalSignature",
        "serverAuth",
        "end entity",
        f"{leaf.not_after:%Y-%m-%d %H:%M} UTC",
        "valid · expires in 90 days",
    ):
        assert expected in markup, expected
    root_markup = certificate_card(pki["root"], now=NOW)
    assert "CA, pathLen 0" in root_markup and "keyCertSign" in root_markup
    assert "self-signed" in root_markup


@pytest.mark.parametrize(
    ("offset", "status"),
    [
        (timedelta(days=-2), "not yet valid"),
        (timedelta(days=0), "valid · expires in 90 days"),
        (timedelta(days=80), "expires in 10 days"),
        (timedelta(days=89, hours=12), "expires today"),
        (timedelta(days=95), "expired 5 days ago"),
        (timedelta(days=92, seconds=5), "expired 2 days ago"),  # not 3: whole days truncate
        (timedelta(days=92, hours=23), "expired 2 days ago"),
        (timedelta(days=90, hours=1), "expired less than a day ago"),
    ],
)
def test_status_pill_follows_the_clock(pki, offset, status):
    assert f">{status}</span>" in certificate_card(pki["leaf"], now=NOW + offset)


# --- CSR, chain and CRL cards ------------------------------------------------------------------


def test_csr_card(pki):
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name(SCRIPT))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("svc.internal")]), False)
        .sign(pki["leaf_key"], hashes.SHA256())
    )
    markup = csr_card(Csr(csr))
    assert_inert(markup)
    assert "signature valid" in markup and "DNS:svc.internal" in markup
    assert "subjectAltName" in markup and "EC_prime256v1" in markup


def test_chain_card_has_one_row_per_certificate(pki):
    chain = CertificateChain([pki["leaf"], pki["root"]])
    markup = chain_card(chain, now=NOW)
    parsed = assert_inert(markup)
    assert parsed.tags.count("tr") == 2
    assert "verifies" in markup and "↳" in markup
    assert "Certificate chain · 2 certificates" in markup
    assert ">root<" in markup and ">leaf<" in markup


def test_chain_card_lists_problems(pki):
    markup = chain_card(CertificateChain([pki["root"], pki["leaf"]]), now=NOW)
    parsed = assert_inert(markup)
    assert "problem" in markup and parsed.tags.count("li") >= 1
    assert "wrong order" in markup


def test_empty_chain_card():
    assert "empty" in chain_card(CertificateChain())


def _crl(pki, count: int, next_update: timedelta = timedelta(days=7)) -> Crl:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki["root"].x509.subject)
        .last_update(NOW)
        .next_update(NOW + next_update)
        .add_extension(x509.CRLNumber(3), critical=False)
    )
    for serial in range(1, count + 1):
        revoked = (
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(NOW)
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), False)
            .build()
        )
        builder = builder.add_revoked_certificate(revoked)
    return Crl(builder.sign(pki["root_key"], hashes.SHA256()))


def test_crl_card_lists_entries(pki):
    markup = crl_card(_crl(pki, 2), now=NOW)
    assert_inert(markup)
    assert "keyCompromise" in markup and ">01<" in markup and ">02<" in markup
    assert "2 revoked" in markup and "next update in 7 days" in markup
    assert "&lt;script&gt;" in markup


def test_crl_card_truncates_and_flags_a_stale_crl(pki):
    markup = crl_card(_crl(pki, 25, next_update=timedelta(hours=1)), now=NOW + timedelta(days=1))
    assert "… and 5 more" in markup
    assert "stale" in markup


# --- IPython registration ----------------------------------------------------------------------


class _Formatter:
    def __init__(self) -> None:
        self.registered: dict[type, object] = {}

    def for_type(self, cls, func):
        self.registered[cls] = func


def _shell() -> types.SimpleNamespace:
    formatter = _Formatter()
    shell = types.SimpleNamespace(
        display_formatter=types.SimpleNamespace(formatters={"text/html": formatter})
    )
    shell.formatter = formatter
    return shell


def test_register_formatters_adds_the_cards_and_extras():
    class Policy:
        pass

    def policy_card(policy: Policy) -> str:
        return "<div>policy</div>"

    shell = _shell()
    assert register_formatters(shell, extra={Policy: policy_card}) is True
    assert shell.formatter.registered == {**FORMATTERS, Policy: policy_card}
    assert shell.formatter.registered[Certificate] is certificate_card
    assert set(FORMATTERS) == {Certificate, Csr, CertificateChain, Crl}


def test_register_formatters_uses_the_running_shell(monkeypatch):
    shell = _shell()
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    assert register_formatters() is True
    assert Crl in shell.formatter.registered


def test_register_formatters_does_nothing_outside_ipython(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: None))
    assert register_formatters() is False
    monkeypatch.setitem(sys.modules, "IPython", None)  # not installed
    assert register_formatters() is False


# --- layout in a real browser ------------------------------------------------------------------

_PROBE = """<html><body style="margin:10px">{card}<script>
const card = document.querySelector('.pcanb-card');
document.body.setAttribute('data-overflow', String(card.scrollWidth - card.clientWidth));
</script></body></html>"""


@pytest.mark.parametrize("width", [900, 600])
def test_the_chain_card_keeps_inside_its_border(pca, tmp_path, width):
    root = pca.create_root_ca(common_name="Example Root CA With A Fairly Long Name")
    issuing = pca.create_subordinate_ca(parent=root, common_name="Example Issuing CA")
    leaf = pca.issue(issuing, common_name="www.example.com")
    page = tmp_path / "card.html"
    page.write_text(_PROBE.format(card=chain_card(leaf.full_chain)), encoding="utf-8")
    dom = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--window-size={width},800",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert 'data-overflow="0"' in dom, re.findall(r'data-overflow="[^"]*"', dom)


# --- names that would be typeset as maths or reorder the text around them ----------------------

#: A subject with markup, maths delimiters and a RIGHT-TO-LEFT OVERRIDE before "evil".
TRICKY = "<b>x</b> & $x$ \u202eevil"
DISPLAY_MATH = r"$$\frac{1}{2}$$"
#: Every invisible character a name may hide: bidi controls, isolates, C0/C1, zero-width, BOM.
INVISIBLE = "\u202e\u202d\u202a\u202b\u202c\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\u00ad\ufeff\x00\x1b\x85\u2028"


class _Isolation(HTMLParser):
    """The text of each element, and whether it lies inside a ``<bdi>`` or isolate style."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.stack: list[bool] = [False]
        self.runs: list[tuple[str, bool]] = []
        self.roots: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if len(self.stack) == 1:
            self.roots.append(attrs.get("class") or "")
        isolated = tag == "bdi" or "unicode-bidi:isolate" in (attrs.get("style") or "")
        if tag not in ("br", "col", "hr", "img", "input", "meta", "wbr"):
            self.stack.append(self.stack[-1] or isolated)

    def handle_endtag(self, tag):
        self.stack.pop()

    def handle_data(self, data):
        self.runs.append((data, self.stack[-1]))

    def isolated(self, needle: str) -> bool:
        """Each run of text containing ``needle`` is isolated."""
        found = [inside for text, inside in self.runs if needle in text]
        return bool(found) and all(found)


@pytest.fixture(scope="module")
def tricky():
    root_key, leaf_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    root = _cert(DISPLAY_MATH, root_key, ca=True, days=(-1, 3650))
    leaf = _cert(TRICKY, leaf_key, (root, root_key), sans=[x509.DNSName("evil.example")])
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name(TRICKY))
        .sign(leaf_key, hashes.SHA256())
    )
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.x509.subject)
        .last_update(NOW)
        .next_update(NOW + timedelta(days=1))
        .sign(root_key, hashes.SHA256())
    )
    return {"root": root, "leaf": leaf, "csr": Csr(csr), "crl": Crl(crl)}


def _every_card(tricky) -> dict[str, str]:
    from pcanb.ui.reprs import authority_card, issued_certificate_card

    leaf, root = tricky["leaf"], tricky["root"]
    authority = types.SimpleNamespace(
        arn="arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x", type="ROOT",
        status="ACTIVE", common_name=DISPLAY_MATH, ca_id="x", certificate=root, csr=None,
    )  # fmt: skip
    return {
        "certificate": certificate_card(leaf, now=NOW),
        "root": certificate_card(root, now=NOW),
        "csr": csr_card(tricky["csr"]),
        "chain": chain_card(CertificateChain([leaf, root]), now=NOW),
        "problem chain": chain_card(CertificateChain([root, leaf]), now=NOW),
        "crl": crl_card(tricky["crl"], now=NOW),
        "authority": authority_card(authority),
        "issued": issued_certificate_card(_Issued(leaf, root)),
    }


class _Issued:
    """What issued_certificate_card reads of an IssuedCertificate."""

    def __init__(self, leaf: Certificate, root: Certificate) -> None:
        self._leaf = leaf
        self.arn = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/x/certificate/1"
        self.private_key = None
        self.chain = CertificateChain([root])
        self.full_chain = CertificateChain([leaf, root])

    def __getattr__(self, name):
        return getattr(self._leaf, name)


def test_every_card_root_tells_mathjax_to_leave_it_alone(tricky):
    for kind, markup in _every_card(tricky).items():
        parsed = _Isolation(markup)
        assert len(parsed.roots) == 1, kind
        classes = parsed.roots[0].split()
        assert {"tex2jax_ignore", "mathjax_ignore"} <= set(classes), (kind, classes)


def test_untrusted_names_are_isolated_and_their_controls_shown(tricky):
    cards = _every_card(tricky)
    for kind, markup in cards.items():
        assert_inert(markup)
        assert "\u202e" not in markup, kind  # never the control itself
        parsed = _Isolation(markup)
        for needle in ("$x$", "evil", DISPLAY_MATH):
            if any(needle in text for text, _ in parsed.runs):
                assert parsed.isolated(needle), (kind, needle)
    leaf = _Isolation(cards["certificate"])
    assert leaf.isolated("DNS:evil.example")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; $x$ " in cards["certificate"]
    control = re.search(
        r'<span class="pcanb-control"[^>]*>\\u202e</span>evil', cards["certificate"]
    )
    assert control, "U+202E is shown as \\u202e, in its own style"
    assert 'title="U+202E RIGHT-TO-LEFT OVERRIDE"' in control.group(0)
    # The tooltip of a chain row (an attribute: no markup) spells the control out too.
    assert re.search(r'title="[^"]*\$x\$ \\u202eevil', cards["chain"])


def test_every_invisible_character_is_shown_as_its_escape():
    markup = escape(f"a{INVISIBLE}b")
    assert not any(c in markup for c in INVISIBLE)
    codes = re.findall(r'class="pcanb-control"[^>]*>(\\u[0-9a-f]{4})</span>', markup)
    assert codes == [f"\\u{ord(c):04x}" for c in INVISIBLE]
    assert escape("\U000e0041") == Html(
        '<span class="pcanb-control" title="U+E0041 TAG LATIN CAPITAL LETTER A" '
        + re.search(r'style="[^"]*"', markup).group(0)
        + ">\\U000e0041</span>"
    )
    assert escape("plain $x$ café, 名前, שלום") == "plain $x$ café, 名前, שלום"  # untouched
    assert h("span", title="a\u202eb\u200b") == '<span title="a\\u202eb\\u200b"></span>'


_ORDER = """<html><body style="margin:10px">{cards}<script>
function box(root, needle) {{
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {{
    const at = node.data.indexOf(needle);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + needle.length);
    return range.getBoundingClientRect();
  }}
  return null;
}}
const out = [];
for (const card of document.querySelectorAll('.pcanb-card')) {{
  const title = card.firstElementChild;
  const pill = title.querySelector('span[style*="border-radius:10px"]').getBoundingClientRect();
  const row = [...card.querySelectorAll('tr')].find(r => r.textContent.startsWith('Subject'));
  const start = box(title, '<b>'), evil = box(title, 'evil');
  const subjectEvil = box(row, 'evil'), subjectAfter = box(row, ',O=');
  out.push([start.left < evil.left, evil.right <= pill.left,
            subjectEvil.right <= subjectAfter.left].join(','));
}}
document.body.setAttribute('data-order', out.join(';'));
</script></body></html>"""


def test_a_right_to_left_override_does_not_reorder_the_card_in_a_browser(tricky, tmp_path):
    """In Chromium, "evil" stays after the name's start and before the validity pill in the
    title, and before ",O=" in the Subject row: a control in a name reorders nothing."""
    page = tmp_path / "order.html"
    cards = certificate_card(tricky["leaf"], now=NOW) + csr_card(tricky["csr"])
    page.write_text(_ORDER.format(cards=cards), encoding="utf-8")
    dom = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--window-size=900,800",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert 'data-order="true,true,true;true,true,true"' in dom, re.findall(
        r'data-order="[^"]*"', dom
    )
