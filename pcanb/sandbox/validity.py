"""Validity and ValidityNotBefore: AWS's period types turned into NotBefore / NotAfter."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from typing import Any

from pcanb.sandbox.errors import InvalidArgsException

DEFAULT_BACKDATE = timedelta(minutes=60)
_MAX = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def _add_months(start: datetime, months: int) -> datetime:
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    if year > 9999:
        raise InvalidArgsException("The Validity ends after 9999-12-31, which X.509 cannot encode.")
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def _end_date(value: int) -> datetime:
    text = str(value)
    try:
        if len(text) == 12:
            parsed = datetime.strptime(text, "%y%m%d%H%M%S")
            year = parsed.year % 100
            parsed = parsed.replace(year=(1900 if year >= 50 else 2000) + year)
        elif len(text) == 14:
            parsed = datetime.strptime(text, "%Y%m%d%H%M%S")
        else:
            raise ValueError
    except ValueError:
        raise InvalidArgsException(
            f"END_DATE value {value} is not a date: use YYMMDDHHMMSS (UTCTime) or "
            "YYYYMMDDHHMMSS (GeneralizedTime), in UTC."
        ) from None
    return parsed.replace(tzinfo=UTC)


def _absolute(value: int) -> datetime:
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidArgsException(
            f"ABSOLUTE value {value} is not a usable Unix time in seconds."
        ) from None


def not_after(validity: dict[str, Any], issued_at: datetime) -> datetime:
    """NotAfter for a Validity {Value, Type}, measured from ``issued_at`` for relative types."""
    kind, value = validity["Type"], validity["Value"]
    try:
        if kind == "DAYS":
            end = issued_at + timedelta(days=value)
        elif kind == "MONTHS":
            end = _add_months(issued_at, value)
        elif kind == "YEARS":
            end = _add_months(issued_at, value * 12)
        elif kind == "END_DATE":
            end = _end_date(value)
        else:
            end = _absolute(value)
    except OverflowError:
        raise InvalidArgsException(
            "The Validity ends after 9999-12-31, which X.509 cannot encode."
        ) from None
    if end > _MAX:
        raise InvalidArgsException("The Validity ends after 9999-12-31, which X.509 cannot encode.")
    if end <= issued_at:
        raise InvalidArgsException(
            f"The Validity ends at {end:%Y-%m-%dT%H:%M:%SZ}, which is not in the future."
        )
    return end.replace(microsecond=0)


def not_before(validity_not_before: dict[str, Any] | None, issued_at: datetime) -> datetime:
    """NotBefore: ValidityNotBefore (ABSOLUTE only) or issuance time minus 60 minutes."""
    if not validity_not_before:
        return (issued_at - DEFAULT_BACKDATE).replace(microsecond=0)
    if validity_not_before["Type"] != "ABSOLUTE":
        raise InvalidArgsException(
            f"ValidityNotBefore must use Type ABSOLUTE, not {validity_not_before['Type']}."
        )
    return _absolute(validity_not_before["Value"])
