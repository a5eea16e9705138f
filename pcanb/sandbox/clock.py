"""Sandbox time: the real clock plus an offset persisted with the state, moved only forward."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pcanb.errors import PcanbError
from pcanb.sandbox.store import Store

OFFSET_KEY = "clock_offset_seconds"


def _real_now() -> datetime:
    return datetime.now(UTC)


class Clock:
    """``now()`` = real time + the persisted offset; ``advance()`` moves every process's clock."""

    def __init__(self, store: Store, real: Callable[[], datetime] = _real_now) -> None:
        self._store = store
        self._real = real

    def offset(self, db: sqlite3.Connection) -> timedelta:
        return timedelta(seconds=float(self._store.get_meta(db, OFFSET_KEY, "0") or 0))

    def from_offset(self, stored: str | None) -> datetime:
        """Sandbox time from the offset as stored (the meta value), already read by the caller."""
        return self._real() + timedelta(seconds=float(stored or 0))

    def now(self, db: sqlite3.Connection | None = None) -> datetime:
        """Sandbox time, read inside ``db``'s transaction when one is given."""
        if db is not None:
            return self._real() + self.offset(db)
        with self._store.read() as fresh:
            return self._real() + self.offset(fresh)

    def advance(self, delta: timedelta) -> datetime:
        """Move sandbox time forward by ``delta`` (never back) and return the new time."""
        if delta < timedelta(0):
            raise PcanbError("the sandbox clock only moves forward; pass a positive duration")
        with self._store.write() as db:
            offset = self.offset(db) + delta
            self._store.set_meta(db, OFFSET_KEY, repr(offset.total_seconds()))
            return self._real() + offset
