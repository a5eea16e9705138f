"""HTML cards for certificates, CSRs, chains and CRLs, registered as IPython formatters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.x509.oid import NameOID

from pcanb.ui.html import Html, h, isolate, table
from pcanb.x509.chain import verify_chain
from pcanb.x509.decode import Certificate, CertificateChain, Crl, Csr

__all__ = [
    "CARD_CLASS",
    "FORMATTERS",
    "NO_MATH",
    "certificate_card",
    "chain_card",
    "crl_card",
    "csr_card",
    "pill",
    "register_formatters",
    "validity_pill",
]

#: A certificate this close to notAfter gets an amber pill.
EXPIRY_WARNING_DAYS = 30
#: At most this many CRL entries are listed in a card.
CRL_ENTRY_ROWS = 20

_CARD = (
    "display:inline-block;box-sizing:border-box;min-width:320px;max-width:min(760px,100%);"
    "margin:2px 0;padding:8px 12px;"
    "border:1px solid rgba(128,128,128,.45);border-radius:6px;color:inherit;"
    "background:transparent;font-family:var(--jp-ui-font-family,system-ui,sans-serif);"
    "font-size:13px;line-height:1.45;"
)
#: On the root element of every card and wrapper: the classes MathJax skips (``tex2jax_ignore``
#: for MathJax 2, ``mathjax_ignore`` for 3, as in JupyterLab), so a ``$x$`` in a subject is shown
#: as written, never typeset as maths.
NO_MATH = "tex2jax_ignore mathjax_ignore"
#: The class of every card's root element.
CARD_CLASS = f"pcanb-card {NO_MATH}"
#: The font every card and wrapper uses (JupyterLab's UI font when there is one).
FONT = "font-family:var(--jp-ui-font-family,system-ui,sans-serif);font-size:13px;line-height:1.45;"
_TITLE = "font-weight:600;font-size:14px;margin-bottom:6px;"
_MONO = "font-family:var(--jp-code-font-family,monospace);font-size:12px;"
_MUTED = "opacity:.7;"
_TONES = {"good": "46,160,67", "warn": "210,153,34", "bad": "218,54,51", "info": "128,128,128"}
_KEY_USAGE_NAMES = {
    "digital_signature": "digitalSignature",
    "content_commitment": "contentCommitment",
    "key_encipherment": "keyEncipherment",
    "data_encipherment": "dataEncipherment",
    "key_agreement": "keyAgreement",
    "key_cert_sign": "keyCertSign",
    "crl_sign": "cRLSign",
    "encipher_only": "encipherOnly",
    "decipher_only": "decipherOnly",
}


# --- pieces ------------------------------------------------------------------------------------


def _now(now: datetime | None, judged: Any = None) -> datetime:
    """``now`` as UTC; ``None`` is the time ``judged`` is judged at (its session's clock, so
    sandbox time for what a sandbox returned), else the wall clock."""
    if now is None:
        return judged.now() if judged is not None else datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now


def pill(text: str, tone: str = "info") -> Html:
    """A small rounded label; ``tone`` is ``good``, ``warn``, ``bad`` or ``info``."""
    rgb = _TONES[tone]
    return h(
        "span",
        text,
        style=(
            "display:inline-block;margin-left:6px;padding:0 8px;border-radius:10px;"
            "white-space:nowrap;"
            f"font-size:11px;font-weight:600;color:inherit;border:1px solid rgba({rgb},.75);"
            f"background:rgba({rgb},.16);"
        ),
    )


def _mono(value: object) -> Html:
    return h("span", value, style=_MONO)


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if abs(n) == 1 else f"{n} {word}s"


def _days(n: int) -> str:
    return _plural(n, "day")


def validity_pill(cert: Certificate, now: datetime | None = None) -> Html:
    """valid / expires in N days / expired / not yet valid, colored by urgency, at ``now``
    (default: ``cert.now()``)."""
    moment = _now(now, cert)
    if moment < cert.not_before:
        return pill("not yet valid", "warn")
    if moment > cert.not_after:
        ago = -cert.days_to_expiry(moment)
        return pill(f"expired {_days(ago)} ago" if ago else "expired less than a day ago", "bad")
    days = cert.days_to_expiry(moment)
    if days == 0:
        return pill("expires today", "warn")
    if days < EXPIRY_WARNING_DAYS:
        return pill(f"expires in {_days(days)}", "warn")
    return pill(f"valid · expires in {_days(days)}", "good")


def _key(obj: Certificate | Csr) -> str:
    parts = [obj.key_type or "unknown key"]
    if obj.key_size:
        parts.append(f"{obj.key_size} bits")
    if isinstance(obj, Certificate) and obj.curve:
        parts.append(obj.curve)
    text = " ".join(parts)
    return f"{text} · {obj.key_algorithm}" if obj.key_algorithm else text


def _signature(obj: Certificate | Csr | Crl) -> str:
    return obj.signature_algorithm or obj.x509.signature_algorithm_oid.dotted_string


def _basic_constraints(cert: Certificate) -> str | None:
    if cert.is_ca is None:
        return None
    if not cert.is_ca:
        return "end entity"
    return "CA" if cert.path_length is None else f"CA, pathLen {cert.path_length}"


def _card(title: object, pills: list[Html], *body: object) -> Html:
    return h(
        "div",
        h("div", isolate(title), pills, style=_TITLE),
        *body,
        class_=CARD_CLASS,
        style=_CARD,
    )


def _present(rows: list[tuple[str, object]]) -> list[tuple[str, object]]:
    return [(label, value) for label, value in rows if value not in (None, [], "")]


# --- cards -------------------------------------------------------------------------------------


def certificate_card(cert: Certificate, *, now: datetime | None = None) -> Html:
    """A card for one certificate: name, validity (at ``now``, default ``cert.now()``), and its
    main fields."""
    pills = [validity_pill(cert, now)]
    if cert.is_ca:
        pills.append(pill("CA"))
    if cert.is_self_signed:
        pills.append(pill("self-signed"))
    rows = _present(
        [
            ("Subject", cert.subject),
            ("Issuer", cert.issuer),
            ("Serial", _mono(cert.serial_hex)),
            ("Not before", _when(cert.not_before)),
            ("Not after", _when(cert.not_after)),
            ("Key", _key(cert)),
            ("Signature", _signature(cert)),
            ("Subject alt names", cert.sans),
            ("Key usage", [_KEY_USAGE_NAMES.get(u, u) for u in cert.key_usage]),
            ("Extended key usage", cert.extended_key_usage),
            ("Basic constraints", _basic_constraints(cert)),
            ("Subject key id", cert.ski and _mono(cert.ski)),
            ("Authority key id", cert.aki and _mono(cert.aki)),
            ("CRL", cert.crl_urls),
            ("OCSP", cert.ocsp_urls),
            ("CA issuers", cert.ca_issuers_urls),
            ("SHA-256", _mono(cert.fingerprint_sha256)),
            ("SHA-1", _mono(cert.fingerprint_sha1)),
        ]
    )
    return _card(cert.common_name or cert.subject, pills, table(rows))


def csr_card(csr: Csr) -> Html:
    """A card for a certificate signing request."""
    valid = csr.is_signature_valid
    pills = [
        pill("CSR"),
        pill("signature valid", "good") if valid else pill("signature invalid", "bad"),
    ]
    rows = _present(
        [
            ("Subject", csr.subject),
            ("Key", _key(csr)),
            ("Signature", _signature(csr)),
            ("Subject alt names", csr.sans),
            ("Requested extensions", [e["name"] for e in csr.extensions]),
        ]
    )
    return _card(csr.common_name or csr.subject or "(empty subject)", pills, table(rows))


def _short_serial(serial_hex: str) -> str:
    return serial_hex if len(serial_hex) <= 24 else f"{serial_hex[:11]}…{serial_hex[-8:]}"


def _chain_row(index: int, cert: Certificate, last: int, now: datetime | None) -> Html:
    role = "root" if index == last and cert.is_self_signed else ("leaf" if index == 0 else "CA")
    arrow = h("span", "↳ ", style=_MUTED) if index else None
    cell = "text-align:left;vertical-align:top;padding:2px 10px 2px 0;"
    # Key and serial go under the name, so four columns fit the card; the serial is shortened
    # (the whole of it is in the tooltip and the certificate's card) and may still wrap anywhere
    # rather than push the table past the card's right border.
    details = h(
        "div",
        cert.key_algorithm or cert.key_type,
        " · ",
        h("span", _short_serial(cert.serial_hex), title=cert.serial_hex),
        style=f"{_MONO}{_MUTED}font-size:11px;overflow-wrap:anywhere;",
    )
    return h(
        "tr",
        h(
            "td",
            arrow,
            h("bdi", cert.common_name or cert.subject, title=cert.subject),
            details,
            style=f"{cell}padding-left:{index * 16}px;overflow-wrap:break-word;",
        ),
        h("td", h("span", role, style=_MUTED), style=cell),
        h("td", validity_pill(cert, now), style=cell),
        h("td", f"{cert.not_after:%Y-%m-%d}", title="notAfter", style=f"{cell}white-space:nowrap;"),
        style="background:transparent;",
    )


def chain_card(chain: CertificateChain, *, now: datetime | None = None) -> Html:
    """A card for a chain: one row per certificate, leaf first, and any problems found at
    ``now`` (default ``chain.now()``: its session's clock, else the wall clock)."""
    count = len(chain)
    title = f"Certificate chain · {_plural(count, 'certificate')}"
    if not count:
        return _card(title, [pill("empty")])
    now = _now(now, chain)
    problems = verify_chain(chain[0], chain[1:], at=now)
    pills = [
        pill(_plural(len(problems), "problem"), "bad") if problems else pill("verifies", "good")
    ]
    rows = [_chain_row(i, cert, count - 1, now) for i, cert in enumerate(chain)]
    body: list[object] = [
        h("table", h("tbody", rows), style="border-collapse:collapse;background:transparent;")
    ]
    if problems:
        body.append(h("ul", [h("li", isolate(p)) for p in problems], style="margin:6px 0 0 0;"))
    return _card(title, pills, *body)


def _freshness_pill(crl: Crl, now: datetime | None) -> Html | None:
    if crl.next_update is None:
        return None
    moment = _now(now, crl)
    if moment > crl.next_update:
        return pill("stale: nextUpdate has passed", "bad")
    hours = int((crl.next_update - moment).total_seconds() // 3600)
    due = _plural(hours, "hour") if hours < 48 else _days(hours // 24)
    return pill(f"next update in {due}", "good")


def crl_card(crl: Crl, *, now: datetime | None = None) -> Html:
    """A card for a CRL: issuer, update times, the first revoked certificates, and the problems
    that make it unbelievable (``crl.problems``, found when a session read it)."""
    problems = crl.problems
    pills = [p for p in (_freshness_pill(crl, now),) if p is not None]
    if problems:
        pills.insert(0, pill(f"cannot be believed: {_plural(len(problems), 'problem')}", "bad"))
    pills.append(pill(f"{len(crl)} revoked"))
    rows = _present(
        [
            ("Issuer", crl.issuer),
            ("This update", _when(crl.this_update)),
            ("Next update", _when(crl.next_update)),
            ("CRL number", crl.crl_number),
            ("Authority key id", crl.aki and _mono(crl.aki)),
            ("Distribution point", crl.issuing_distribution_point),
            ("Signature", _signature(crl)),
        ]
    )
    title = Html(f"CRL · {isolate(_crl_name(crl))}")
    listed = (
        h("ul", [h("li", isolate(p)) for p in problems], style="margin:6px 0 0 0;")
        if problems
        else None
    )
    return _card(title, pills, table(rows), listed, _entries_table(crl))


def _crl_name(crl: Crl) -> str:
    names = crl.x509.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else crl.issuer


def _entries_table(crl: Crl) -> Html | None:
    entries = crl.entries
    if not entries:
        return None
    cell = "text-align:left;padding:2px 12px 2px 0;"
    labels = ("Serial", "Revoked", "Reason")
    head = h("tr", [h("th", t, style=f"{cell}{_MUTED}font-weight:normal;") for t in labels])
    rows = [
        h(
            "tr",
            h("td", _mono(e["serial_hex"]), style=cell),
            h("td", _when(e["revocation_date"]), style=cell),
            h("td", e["reason"] or "—", style=cell),
            style="background:transparent;",
        )
        for e in entries[:CRL_ENTRY_ROWS]
    ]
    more = len(entries) - CRL_ENTRY_ROWS
    tail = h("div", f"… and {more} more", style=_MUTED) if more > 0 else None
    table_ = h("table", h("thead", head), h("tbody", rows), style="border-collapse:collapse;")
    return h("div", table_, tail, style="margin-top:6px;")


# --- IPython -----------------------------------------------------------------------------------

#: The card function of each decoded class, as registered by :func:`register_formatters`.
FORMATTERS: Mapping[type, Callable[[Any], str]] = {
    Certificate: certificate_card,
    Csr: csr_card,
    CertificateChain: chain_card,
    Crl: crl_card,
}


def register_formatters(
    ip: Any = None, extra: Mapping[type, Callable[[Any], str]] | None = None
) -> bool:
    """Show the cards in IPython's ``text/html`` output; ``extra`` adds ``{class: card}`` pairs.

    ``ip`` defaults to the running IPython shell. Returns ``False`` (and does nothing) when
    there is none.
    """
    if ip is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        ip = get_ipython()
        if ip is None:
            return False
    formatter = ip.display_formatter.formatters["text/html"]
    for cls, card in {**FORMATTERS, **(extra or {})}.items():
        formatter.for_type(cls, card)
    return True
