"""The call log: every request the sandbox serves, as a CloudTrail-shaped event."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pcanb.sandbox.errors import escape_surrogates
from pcanb.sandbox.store import Store

_BLOB_MEMBERS = {"Csr", "Certificate", "CertificateChain"}
_MAX_TEXT = 256
_MAX_DEPTH = 32

#: The columns of ``Sandbox.events()``, CloudTrail's names.
EVENT_FIELDS = (
    "eventTime", "eventSource", "eventName", "awsRegion", "accessKeyId", "requestID",
    "requestParameters", "responseElements", "errorCode", "errorMessage",
)  # fmt: skip


def _shorten(value: Any, depth: int = 0) -> Any:
    """Long PEM/base64 members are abbreviated so the log stays readable and small; times become
    epoch seconds and bytes text, as on the wire; absurd nesting is cut off."""
    if depth > _MAX_DEPTH and isinstance(value, dict | list):
        return "<nested too deep>"
    if isinstance(value, dict):
        return {
            _storable(k): (
                f"<{len(v)} characters>"
                if k in _BLOB_MEMBERS and isinstance(v, str | bytes)
                else _shorten(v, depth + 1)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_shorten(v, depth + 1) for v in value]
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if isinstance(value, str):
        value = _storable(value)
        return value[:_MAX_TEXT] + "…" if len(value) > _MAX_TEXT else value
    if isinstance(value, datetime):
        return value.timestamp()
    return value


def _storable(value: Any) -> Any:
    """Text SQLite can store: lone surrogates (valid in a JSON string, not in UTF-8) escaped."""
    return escape_surrogates(value) if isinstance(value, str) else value


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(_shorten(value), default=str)


_INSERT = (
    "INSERT INTO events (event_time, event_source, event_name, region, access_key_id, "
    "request_id, request_parameters, response_elements, error_code, error_message) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def insert(
    db: sqlite3.Connection,
    *,
    when: datetime,
    source: str,
    name: str,
    region: str,
    access_key: str | None,
    request_id: str | None = None,
    request: Any = None,
    response: Any = None,
    error_code: str | None = None,
    error_message: str | None = None,
) -> None:
    """Append one event inside the caller's write transaction (the action's own, usually)."""
    values = (
        when.timestamp(), source, name, region, access_key, request_id or str(uuid.uuid4()),
        _json(request), _json(response or None), error_code, error_message,
    )  # fmt: skip
    try:
        db.execute(_INSERT, values)
    except UnicodeEncodeError:
        db.execute(_INSERT, tuple(_storable(v) for v in values))


def record(
    store: Store, *, when: datetime | Callable[[sqlite3.Connection], datetime], **event: Any
) -> None:
    """Append one event in its own small transaction; ``when`` may be read inside it. A store
    opened read-only records nothing (the call log is part of the database)."""
    if store.read_only:
        return
    with store.write() as db:
        insert(db, when=when(db) if callable(when) else when, **event)


def events(store: Store) -> list[dict[str, Any]]:
    """Every event, oldest first, with CloudTrail's field names."""
    with store.read() as db:
        rows = db.execute("SELECT * FROM events ORDER BY seq").fetchall()
    return [
        {
            "eventTime": datetime.fromtimestamp(r["event_time"], UTC),
            "eventSource": r["event_source"],
            "eventName": r["event_name"],
            "awsRegion": r["region"],
            "accessKeyId": r["access_key_id"],
            "requestID": r["request_id"],
            "requestParameters": json.loads(r["request_parameters"])
            if r["request_parameters"]
            else None,
            "responseElements": json.loads(r["response_elements"])
            if r["response_elements"]
            else None,
            "errorCode": r["error_code"],
            "errorMessage": r["error_message"],
        }
        for r in rows
    ]


def events_frame(store: Store) -> Any:
    """The events as a pandas DataFrame (pandas is imported only here, on demand)."""
    import pandas as pd

    frame = pd.DataFrame(events(store), columns=list(EVENT_FIELDS))
    # The dtypes of pcanb's other frames (pcanb.tables, which the sandbox does not import):
    # tz-aware UTC times, pandas' string dtype for text, dicts left as objects.
    frame["eventTime"] = pd.to_datetime(frame["eventTime"], utc=True).astype("datetime64[us, UTC]")
    for column in EVENT_FIELDS:
        if column not in ("eventTime", "requestParameters", "responseElements"):
            frame[column] = frame[column].astype("string")
    return frame
