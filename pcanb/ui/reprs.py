"""Jupyter display: the HTML card of every pcanb object, registered with IPython's formatters."""

from __future__ import annotations

from typing import Any

from pcanb.ui import cards
from pcanb.ui.html import escape, h, isolate, table


def authority_card(ca: Any) -> str:
    """A certificate authority handle: ARN, status, then its certificate's card."""
    rows = [("ARN", ca.arn), ("Type", ca.type), ("Status", ca.status)]
    parts = [
        h(
            "div",
            h("strong", isolate(ca.common_name or ca.ca_id)),
            style="font-size:1.1em;margin-bottom:4px",
        )
    ]
    parts.append(table(rows))
    if ca.certificate is not None:
        parts.append(cards.certificate_card(ca.certificate))
    elif ca.csr is not None:
        parts.append(cards.csr_card(ca.csr))
    return h(
        "div",
        *parts,
        class_=cards.NO_MATH,
        style=f"border:1px solid #8888;border-radius:6px;padding:8px;max-width:60em;{cards.FONT}",
    )


def issued_certificate_card(cert: Any) -> str:
    """An issued certificate: ARN, the certificate card, and the chain."""
    parts = [
        table(
            [
                ("ARN", cert.arn),
                (
                    "Private key",
                    "generated locally" if cert.private_key is not None else "not held",
                ),
            ]
        )
    ]
    parts.append(cards.certificate_card(cert))
    if len(cert.chain):
        parts.append(cards.chain_card(cert.full_chain))
    return h("div", *parts, class_=cards.NO_MATH, style=cards.FONT)


def register(ip: Any = None) -> bool:
    """Register every card with the running IPython shell; False when there is none."""
    from pcanb.aws.objects import CertificateAuthority, IssuedCertificate

    return cards.register_formatters(
        ip, extra={CertificateAuthority: authority_card, IssuedCertificate: issued_certificate_card}
    )


__all__ = ["authority_card", "escape", "issued_certificate_card", "register"]
