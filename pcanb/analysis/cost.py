"""What AWS Private CA costs: one price table, CA proration over a month, certificate tiers.

Pure pandas: the inputs are a CA frame (``pca.list_certificate_authorities()``) and an
issued-certificate inventory (``pca.certificates()``); ``pca.costs()`` fetches both.

Sources behind :data:`PRICES` (US dollars, checked against the stored copies named here):

- aws.amazon.com/private-ca/pricing: $400 per CA per month in general-purpose mode, $50 in
  short-lived certificate mode, "pro-rated for partial months based on when you create and
  delete the CA"; no charge after deletion, but a restored CA is charged for the time between
  deletion and restoration; a 30-day free trial of the CA operation charge for the first CA
  created in the account in each Region (certificates still charged); certificate prices go by
  the number issued in the calendar month in each Region. The tier table itself was not in the
  stored copy.
- The AWS Price List offer file for AWSCertificateManager (seen in a public mirror, effective
  2025-07-01): "$0.001 per certificate for 10,001 or more certs (General-purpose mode CA)",
  "$0.058 per certificate (Short-lived certificate mode CA)", the $400 and $50 CA charges, and
  "$0.06 per certificate queried, per month for OCSP response generation".
- docs.aws.amazon.com/privateca/latest/userguide/PcaPricing.html: deleted CAs are not charged,
  restored ones are charged for the gap; certificates whose private key you cannot access
  (used only by integrated services through ACM) are free.
- The UpdateCertificateAuthority guide: every status is billed except DELETED and FAILED.

Inferred, not read in a stored source: the first two general-purpose tiers ($0.75 for the
1st–1,000th certificate of the month, $0.35 for the 1,001st–10,000th), OCSP at "about $0.06 per
10,000 requests" (the Price List wording above names a different unit; OCSP is not costed
here), proration by the second over the calendar month, and that the tiers of short-lived and
general-purpose certificates are counted apart (they are separate Price List usage types).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import pandas as pd

from pcanb import tables
from pcanb.errors import PcanbError

PRICING_PAGE = "https://aws.amazon.com/private-ca/pricing/"
PRICE_LIST = "AWS Price List, AWSCertificateManager offer (2025-07-01)"
USER_GUIDE = "https://docs.aws.amazon.com/privateca/latest/userguide/PcaPricing.html"
FROM_MEMORY = "the pricing page's tier table, remembered (not in the stored copy)"

GENERAL_PURPOSE = "GENERAL_PURPOSE"
SHORT_LIVED = "SHORT_LIVED_CERTIFICATE"
#: Statuses AWS does not bill a CA in.
UNBILLED_STATUSES = frozenset({"DELETED", "FAILED"})


@dataclass(frozen=True)
class Price:
    """One price: dollars per ``per``, whether a source states it, and which."""

    usd: float
    per: str
    basis: Literal["documented", "inferred"]
    source: str
    #: For a certificate tier: the last certificate of the month this price applies to.
    up_to: int | None = None


@dataclass(frozen=True)
class PriceTable:
    """Every AWS Private CA price pcanb uses; ``dataclasses.replace`` it when AWS changes one."""

    general_purpose_ca: Price
    short_lived_ca: Price
    general_purpose_certificates: tuple[Price, ...]
    short_lived_certificate: Price
    ocsp: Price
    free_trial_days: int = 30
    free_trial_source: str = field(default=PRICING_PAGE)

    def ca_month(self, usage_mode: str | None) -> float:
        """The full-month price of one CA in ``usage_mode`` (general-purpose when unknown)."""
        return (self.short_lived_ca if usage_mode == SHORT_LIVED else self.general_purpose_ca).usd

    def to_frame(self) -> pd.DataFrame:
        """The table as rows: item, usd, per, basis, source."""
        items: list[tuple[str, Price]] = [
            ("general_purpose_ca", self.general_purpose_ca),
            ("short_lived_ca", self.short_lived_ca),
            *((f"general_purpose_certificate_tier_{i}", p)
              for i, p in enumerate(self.general_purpose_certificates, 1)),
            ("short_lived_certificate", self.short_lived_certificate),
            ("ocsp", self.ocsp),
        ]  # fmt: skip
        return pd.DataFrame(
            [{"item": name, "usd": p.usd, "per": p.per, "basis": p.basis, "source": p.source}
             for name, p in items]
        )  # fmt: skip


#: The prices (USD, every Region alike in the Price List rows seen).
PRICES = PriceTable(
    general_purpose_ca=Price(400.0, "CA per month (general-purpose mode)", "documented", PRICING_PAGE),
    short_lived_ca=Price(50.0, "CA per month (short-lived certificate mode)", "documented", PRICING_PAGE),
    general_purpose_certificates=(
        Price(0.75, "certificate, the 1st–1,000th of the month in the Region", "inferred", FROM_MEMORY, 1_000),
        Price(0.35, "certificate, the 1,001st–10,000th of the month", "inferred", FROM_MEMORY, 10_000),
        Price(0.001, "certificate, from the 10,001st of the month", "documented", PRICE_LIST),
    ),
    short_lived_certificate=Price(0.058, "certificate from a short-lived mode CA", "documented", PRICE_LIST),
    ocsp=Price(0.06, "10,000 OCSP requests (not costed by pcanb)", "inferred", FROM_MEMORY),
)  # fmt: skip


def ca_monthly_price(
    usage_mode: str | None, status: str | None = None, prices: PriceTable = PRICES
) -> float:
    """A CA's full-month list price (no trial, no proration); 0 when ``status`` is not billed."""
    return 0.0 if status in UNBILLED_STATUSES else prices.ca_month(usage_mode)


# -- months --------------------------------------------------------------------------------------


def month_start(when: Any) -> pd.Timestamp:
    """The first instant (UTC) of the calendar month of ``when``: a datetime, a string such as
    ``"2031-12"``, a Timestamp or a monthly Period."""
    if isinstance(when, pd.Period):
        stamp = when.to_timestamp()
    else:
        try:
            stamp = pd.Timestamp(when)
        except (TypeError, ValueError):
            raise PcanbError(
                f"{when!r} is not a month: pass e.g. '2031-12' or a datetime"
            ) from None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return pd.Timestamp(year=stamp.year, month=stamp.month, day=1, tz="UTC")


def next_month(start: pd.Timestamp) -> pd.Timestamp:
    """The first instant of the month after the one starting at ``start``."""
    return start + pd.offsets.MonthBegin(1)


def _utc(when: Any) -> pd.Timestamp | None:
    if when is None or (not isinstance(when, str) and pd.isna(when)):
        return None
    stamp = pd.Timestamp(when)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _overlap(a: pd.Timestamp, b: pd.Timestamp, c: pd.Timestamp, d: pd.Timestamp) -> float:
    """Seconds shared by [a, b) and [c, d)."""
    return max(0.0, (min(b, d) - max(a, c)).total_seconds())


# -- one CA over one month -----------------------------------------------------------------------


@dataclass(frozen=True)
class CaMonthCost:
    """A CA's operation charge for one calendar month."""

    billed_days: float
    free_trial_days: float
    cost_usd: float
    notes: tuple[str, ...] = ()


def ca_month_cost(
    month: Any,
    *,
    created_at: Any,
    status: str | None,
    usage_mode: str | None = GENERAL_PURPOSE,
    last_state_change_at: Any = None,
    free_trial: bool = False,
    prices: PriceTable = PRICES,
) -> CaMonthCost:
    """Prorate one CA over the calendar month of ``month`` from what Describe shows of it.

    Billed from ``created_at`` on; a DELETED CA until its deletion (``last_state_change_at``),
    any other status to the month's end (a restored CA was billed for its deleted gap, so it
    counts as never deleted); a FAILED CA never. ``free_trial`` marks the account-Region's first
    CA: its first ``prices.free_trial_days`` days are not charged. ``billed_days`` are the days
    charged, so ``cost_usd = price * billed_days / days in the month``.
    """
    start = month_start(month)
    end = next_month(start)
    month_seconds = (end - start).total_seconds()
    if status == "FAILED":
        return CaMonthCost(0.0, 0.0, 0.0, ("FAILED: never billed",))
    created = _utc(created_at)
    if created is None:
        raise PcanbError("the CA has no created_at: pass the CA frame's created_at column")
    notes: list[str] = []
    stop = end
    if status == "DELETED":
        stop = _utc(last_state_change_at) or created
        notes.append(
            f"deleted {stop:%Y-%m-%d %H:%M} UTC: not billed after (billed for the gap if restored)"
        )
    billable = _overlap(created, stop, start, end)
    trial = 0.0
    if free_trial:
        trial_end = created + pd.Timedelta(days=prices.free_trial_days)
        trial = _overlap(created, min(stop, trial_end), start, end)
        if trial:
            notes.append(
                f"free trial (first CA of the account-Region) until {trial_end:%Y-%m-%d %H:%M} UTC: "
                f"{trial / 86400:g} days not charged"
            )
    charged = billable - trial
    cost = prices.ca_month(usage_mode) * charged / month_seconds
    return CaMonthCost(charged / 86400, trial / 86400, cost, tuple(notes))


# -- certificates ---------------------------------------------------------------------------------


def tiered_cost(count: int, tiers: Sequence[Price]) -> float:
    """The price of ``count`` certificates in one month and Region through ``tiers`` (in order)."""
    total, below = 0.0, 0
    for tier in tiers:
        top = count if tier.up_to is None else min(count, tier.up_to)
        if top > below:
            total += (top - below) * tier.usd
            below = top
    return total


def certificate_cost(
    counts_by_month: pd.Series | pd.DataFrame | Mapping[Any, int],
    usage_mode: str | None = GENERAL_PURPOSE,
    *,
    prices: PriceTable = PRICES,
) -> pd.Series:
    """The charge for one Region's certificates, month by month.

    ``counts_by_month`` is a Series (or mapping) of counts indexed by month, or a frame with
    ``month`` and ``count`` columns; several rows for one month add up. General-purpose counts go
    through the tiers, which restart each calendar month; short-lived ones have one price.
    Returns ``certificate_cost_usd`` indexed by month start (UTC).
    """
    if isinstance(counts_by_month, pd.DataFrame):
        counts = counts_by_month.set_index("month")["count"]
    else:
        counts = pd.Series(counts_by_month, dtype="int64")
    months = [month_start(m) for m in counts.index]
    per_month = pd.Series(counts.to_numpy(), index=pd.DatetimeIndex(months, name="month"))
    per_month = per_month.groupby(level=0).sum()
    if usage_mode == SHORT_LIVED:
        cost = per_month * prices.short_lived_certificate.usd
    else:
        tiers = prices.general_purpose_certificates
        cost = per_month.map(lambda n: tiered_cost(int(n), tiers))
    return cost.astype("float64").rename("certificate_cost_usd")


def certificates_by_ca(inventory: pd.DataFrame, month: Any) -> tuple[pd.Series, int]:
    """Billable certificates issued in ``month`` per ``ca_arn``, and how many were left out
    because a service principal (ACM) requested them: those are free unless exported."""
    missing = {"ca_arn", "issued_at"} - set(inventory.columns)
    if missing:
        raise PcanbError(
            f"the inventory has no {', '.join(sorted(missing))} column: pass pca.certificates()"
        )
    start = month_start(month)
    issued = inventory["issued_at"]
    inside = inventory[(issued >= start) & (issued < next_month(start))]
    by_service = inside["requested_by"].notna() if "requested_by" in inside else None
    free = int(by_service.sum()) if by_service is not None else 0
    billable = inside[~by_service] if by_service is not None else inside
    return billable.groupby("ca_arn", sort=False).size(), free


# -- the month's frame -----------------------------------------------------------------------------


def first_ca(cas: pd.DataFrame) -> str | None:
    """The ARN of the earliest created CA listed: the one the free trial applies to."""
    dated = cas[cas["created_at"].notna()]
    if dated.empty:
        return None
    return str(dated.sort_values("created_at", kind="stable").iloc[0]["arn"])


def month_costs(
    cas: pd.DataFrame,
    month: Any,
    inventory: pd.DataFrame | None = None,
    *,
    now: datetime | None = None,
    prices: PriceTable = PRICES,
) -> pd.DataFrame:
    """One row per CA (``tables.COST_COLUMNS``): its operation charge for ``month`` and its share
    of the month's certificate charge, with ``attrs["total_usd"]`` the Region's total.

    ``cas`` is a CA frame; ``inventory`` an issued-certificate inventory (``None``: certificates
    not counted). General-purpose tiers apply to the Region's count; each CA carries a share of
    that charge in proportion to its certificates. CAs listed in ``inventory.attrs["skipped"]``
    (no audit report possible) have no count.
    """
    start = month_start(month)
    trial_arn = first_ca(cas)
    skipped = set(inventory.attrs.get("skipped", [])) if inventory is not None else set()
    counts, free = (
        certificates_by_ca(inventory, start) if inventory is not None else (pd.Series(), 0)
    )
    counts = counts[counts.index.isin(cas["arn"])]  # another Region's CAs have other tiers
    modes = dict(zip(cas["arn"], cas["usage_mode"], strict=True))
    general_count = int(sum(n for arn, n in counts.items() if modes.get(arn) != SHORT_LIVED))
    general_cost = tiered_cost(general_count, prices.general_purpose_certificates)
    current = now is not None and month_start(now) == start
    records = []
    for ca in cas.to_dict("records"):
        arn = ca["arn"]
        charge = ca_month_cost(
            start, created_at=ca["created_at"], status=ca["status"], usage_mode=ca["usage_mode"],
            last_state_change_at=ca["last_state_change_at"], free_trial=arn == trial_arn,
            prices=prices,
        )  # fmt: skip
        notes = list(charge.notes)
        if current and charge.billed_days and ca["status"] not in UNBILLED_STATUSES:
            notes.append("current month: counted to its end")
        issued, cert_cost = _certificate_share(
            arn, ca["usage_mode"], inventory, counts, skipped, general_count, general_cost,
            notes, prices,
        )  # fmt: skip
        records.append({
            "arn": arn, "ca_id": ca["ca_id"], "common_name": ca["common_name"],
            "usage_mode": ca["usage_mode"], "status": ca["status"], "month": start,
            "billed_days": charge.billed_days, "ca_cost_usd": charge.cost_usd,
            "certificates_issued": issued, "certificate_cost_usd": cert_cost,
            "total_usd": charge.cost_usd + (cert_cost or 0.0), "notes": "; ".join(notes) or None,
        })  # fmt: skip
    frame = tables.frame(records, tables.COST_COLUMNS)
    frame.attrs.update(
        month=start,
        total_usd=round(float(frame["total_usd"].sum()), 2),
        free_trial_arn=trial_arn,
        certificates_counted=inventory is not None,
        general_purpose_certificates=general_count,
        service_requested_certificates=free,
        not_counted=sorted(skipped),
    )
    return frame


def _certificate_share(
    arn: str,
    usage_mode: str | None,
    inventory: pd.DataFrame | None,
    counts: pd.Series,
    skipped: set[str],
    general_count: int,
    general_cost: float,
    notes: list[str],
    prices: PriceTable,
) -> tuple[int | None, float | None]:
    if inventory is None:
        return None, None
    if arn in skipped:
        notes.append("no audit report in this status: certificates not counted")
        return None, None
    issued = int(counts.get(arn, 0))
    if usage_mode == SHORT_LIVED:
        return issued, issued * prices.short_lived_certificate.usd
    if issued:
        notes.append(
            f"certificate tiers over the Region's {general_count} general-purpose certificates "
            "this month, shared by count"
        )
    return issued, general_cost * issued / general_count if general_count else 0.0
