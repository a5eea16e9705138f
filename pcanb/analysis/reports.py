"""Audit reports → typed DataFrames, from JSON or CSV, from bytes, files or S3 URIs.

The frame keeps AWS's field names as they are (``issuedAt``, ``revokedAt``, …, as strings)
and adds typed snake_case columns: tz-aware timestamps, categorical template and reason,
the subject's common name and organisation, the CA the certificate belongs to. Rows that
cannot be read are kept, with what is wrong in the ``problem`` column, never a crash.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

#: AWS's fields, in the order of the CSV header.
AWS_FIELDS = (
    "awsAccountId", "requestedByServicePrincipal", "certificateArn", "serial", "subject",
    "notBefore", "notAfter", "issuedAt", "revokedAt", "revocationReason", "templateArn",
)  # fmt: skip
_TIMES = {
    "notBefore": "not_before",
    "notAfter": "not_after",
    "issuedAt": "issued_at",
    "revokedAt": "revoked_at",
}
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
_TEMPLATE = re.compile(r"template/([A-Za-z0-9_]+)/V\d+$")
_SERIAL = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2})*$")
#: The typed columns added to AWS's, in order.
TYPED_COLUMNS = (
    "account_id", "ca_arn", "ca_id", "certificate_arn", "serial_hex", "common_name",
    "organization", "not_before", "not_after", "issued_at", "revoked_at", "revoked",
    "revocation_reason", "template", "template_arn", "requested_by", "validity_days", "problem",
)  # fmt: skip


def _loads(data: bytes) -> Any:
    try:
        import orjson
    except ImportError:  # orjson is optional; json gives the same result, slower
        return json.loads(data)
    return orjson.loads(data)


def _read_bytes(source: Any, s3: Any = None) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    text = str(source)
    if text.startswith("s3://"):
        if s3 is None:
            import boto3

            s3 = boto3.client("s3")
        bucket, _, key = text[5:].partition("/")
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return Path(text).expanduser().read_bytes()


def _sniff_format(data: bytes) -> str:
    head = data.lstrip()[:1]
    return "JSON" if head in (b"[", b"{") else "CSV"


def _raw_frame(data: bytes, fmt: str) -> tuple[pd.DataFrame, list[str]]:
    problems: list[str] = []
    if fmt == "JSON":
        try:
            records = _loads(data)
        except ValueError as exc:
            raise ValueError(f"the audit report is not valid JSON: {exc}") from None
        if isinstance(records, dict):  # tolerate one object
            records = [records]
        if not isinstance(records, list):
            raise ValueError("a JSON audit report is one array of objects")
        cleaned = []
        for index, record in enumerate(records):
            if isinstance(record, dict):
                cleaned.append(record)
            else:
                cleaned.append({})
                problems.append(f"row {index}: not an object")
        frame = pd.DataFrame.from_records(cleaned, columns=list(AWS_FIELDS))
        # Older reports spell the subject "Subject".
        if any("Subject" in r for r in cleaned[:1]):
            frame["subject"] = [r.get("subject", r.get("Subject")) for r in cleaned]
        return frame, problems
    try:
        import pyarrow  # noqa: F401

        engine = "pyarrow"
    except ImportError:
        engine = "c"
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, engine=engine)
    except (ValueError, pd.errors.ParserError):
        frame = _tolerant_csv(data, problems)
    for field in AWS_FIELDS:
        if field not in frame.columns:
            frame[field] = None
    frame = frame[list(AWS_FIELDS)].replace("", None)
    return frame, problems


def _tolerant_csv(data: bytes, problems: list[str]) -> pd.DataFrame:
    reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace")))
    header = next(reader, list(AWS_FIELDS))
    rows = []
    for index, row in enumerate(reader):
        if len(row) != len(header):
            problems.append(f"row {index}: {len(row)} fields where the header has {len(header)}")
            row = (row + [""] * len(header))[: len(header)]
        rows.append(row)
    return pd.DataFrame(rows, columns=header, dtype=object)


def _subject_part(subjects: pd.Series, short: str) -> pd.Series:
    pattern = rf"(?:^|,){short}=((?:[^,\\]|\\.)*)"
    return subjects.str.extract(pattern, expand=False).str.replace(r"\\(.)", r"\1", regex=True)


def parse_frame(raw: pd.DataFrame, problems: Iterable[str] = ()) -> pd.DataFrame:
    """Add the typed columns to a frame with AWS's fields (as strings)."""
    out = raw.astype({f: "string" for f in AWS_FIELDS})
    bad = pd.Series(pd.NA, index=out.index, dtype="string")
    for field, column in _TIMES.items():
        values = pd.to_datetime(out[field], format=_TIME_FORMAT, utc=True, errors="coerce")
        failed = values.isna() & out[field].notna()
        if failed.any():
            bad = bad.mask(failed & bad.isna(), f"unreadable {field}")
        out[column] = values
    arn = out["certificateArn"]
    out["account_id"] = out["awsAccountId"]
    out["ca_arn"] = arn.str.split("/certificate/", n=1, regex=False).str[0]
    out["ca_arn"] = out["ca_arn"].astype("string")
    out["ca_id"] = out["ca_arn"].str.rsplit("/", n=1).str[-1].astype("string")
    out["certificate_arn"] = arn
    serial = out["serial"].str.lower()
    needs_fix = serial.notna() & ~serial.str.match(_SERIAL.pattern).fillna(False)
    if needs_fix.any():
        fixed = serial[needs_fix].str.replace(":", "", regex=False).str.removeprefix("0x")
        fixed = fixed.map(
            lambda h: (
                ":".join(h[i : i + 2] for i in range(0, len(h), 2))
                if h and len(h) % 2 == 0
                else pd.NA
            )
        )
        serial = serial.mask(needs_fix, fixed)
        bad = bad.mask(serial.isna() & out["serial"].notna() & bad.isna(), "unreadable serial")
    out["serial_hex"] = serial.astype("string")
    out["common_name"] = _subject_part(out["subject"], "CN").astype("string")
    out["organization"] = _subject_part(out["subject"], "O").astype("string")
    out["revoked"] = out["revoked_at"].notna()
    out["revocation_reason"] = out["revocationReason"].astype("category")
    out["template_arn"] = out["templateArn"]
    out["template"] = out["templateArn"].str.extract(_TEMPLATE, expand=False).astype("category")
    out["requested_by"] = out["requestedByServicePrincipal"]
    out["validity_days"] = (out["not_after"] - out["not_before"]).dt.total_seconds() / 86400
    missing_arn = arn.isna()
    bad = bad.mask(missing_arn & bad.isna(), "no certificateArn")
    out["problem"] = bad
    for note in problems:
        index = int(note.split(":")[0].split()[1])
        if index in out.index:
            out.loc[index, "problem"] = note.split(": ", 1)[1]
    out.attrs["problems"] = int(out["problem"].notna().sum())
    return out[list(AWS_FIELDS) + list(TYPED_COLUMNS)]


def read_audit_report(source: Any, *, format: str | None = None, s3: Any = None) -> pd.DataFrame:
    """Parse an audit report a person already has: bytes, a path, or an ``s3://bucket/key`` URI.

    ``format`` is ``"JSON"`` or ``"CSV"`` (guessed from the content when omitted). Malformed
    rows are kept and explained in the ``problem`` column; ``frame.attrs["problems"]`` counts them.
    """
    data = _read_bytes(source, s3)
    fmt = (format or _sniff_format(data)).upper()
    if fmt not in ("JSON", "CSV"):
        raise ValueError(f"format must be JSON or CSV, not {format!r}")
    raw, problems = _raw_frame(data, fmt)
    return parse_frame(raw, problems)


#: Columns of the typed frame held as categoricals.
CATEGORICAL_COLUMNS = ("revocation_reason", "template")


def combine_reports(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Several parsed reports as one frame (categoricals stay categoricals)."""
    frames = list(frames)
    if not frames:
        return empty_report()
    combined = pd.concat(frames, ignore_index=True)
    for column in CATEGORICAL_COLUMNS:
        combined[column] = combined[column].astype("category")
    return combined


def empty_report() -> pd.DataFrame:
    """An audit-report frame with no rows and every column typed."""
    return parse_frame(pd.DataFrame(columns=list(AWS_FIELDS)))
