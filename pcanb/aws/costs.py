"""``pca.costs()``: what the Region's CAs and certificates cost in one calendar month."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from pcanb.analysis.cost import PRICES, PriceTable, month_costs, month_start

if TYPE_CHECKING:
    from pcanb.aws.session import Pca


def costs(
    pca: Pca,
    month: Any = None,
    *,
    certificates: bool = True,
    inventory: pd.DataFrame | None = None,
    bucket: str | None = None,
    prices: PriceTable = PRICES,
) -> pd.DataFrame:
    """One row per CA of the session's Region: its prorated operation charge for ``month``
    (default: the current month, to its end as things stand), the certificates it issued that
    month and their share of the tiered charge; ``frame.attrs["total_usd"]`` sums the rows.

    Certificate counts come from ``inventory`` when given (a ``pca.certificates()`` frame),
    else from a fresh ``pca.certificates(bucket=bucket)``, which writes one audit report per
    CA to S3; ``certificates=False`` skips them. Prices come from ``prices``
    (:data:`pcanb.analysis.cost.PRICES`, each marked documented or inferred).
    """
    now = pca.now()
    start = month_start(now if month is None else month)
    cas = pca.list_certificate_authorities()
    if inventory is None and certificates:
        inventory = pca.certificates(bucket=bucket)
    return month_costs(cas, start, inventory if certificates else None, now=now, prices=prices)
