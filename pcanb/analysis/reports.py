"""Audit reports → typed DataFrames, from JSON or CSV, from bytes, files or S3 URIs.

The frame keeps AWS's field names as they are (``issuedAt``, ``revokedAt``, …, as strings)
and adds typed snake_case columns: tz-aware timestamps, categorical template and reason,
the subject's common name and organisation, the CA the certificate belongs to. Rows that
cannot be read are kept, with what is wrong in the ``problem`` column, never a crash; a file
that is not an audit report at all is a ``ValueError`` saying so.

With pyarrow installed the columns are computed by Arrow kernels (a million rows in about the
time ``orjson`` + ``pd.DataFrame`` + ``pd.to_datetime`` take); without it, by pandas, to the
same frame. Whatever the fast path cannot take as it is (a row that is not an object, a field
that is not a string, a CSV row of the wrong length, a non-canonical timestamp or serial) is
handled row by row in Python.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: AWS's fields, in the order of the CSV header.
AWS_FIELDS = (
    "awsAccountId", "requestedByServicePrincipal", "certificateArn", "serial", "subject",
    "notBefore", "notAfter", "issuedAt", "revokedAt", "revocationReason", "templateArn",
)  # fmt: skip
#: The typed columns added to AWS's, in order.
TYPED_COLUMNS = (
    "account_id", "ca_arn", "ca_id", "certificate_arn", "serial_hex", "common_name",
    "organization", "not_before", "not_after", "issued_at", "revoked_at", "revoked",
    "revocation_reason", "template", "template_arn", "requested_by", "validity_days", "problem",
)  # fmt: skip
#: Columns of the typed frame held as categoricals.
CATEGORICAL_COLUMNS = ("revocation_reason", "template")

_TIMES = {
    "notBefore": "not_before",
    "notAfter": "not_after",
    "issuedAt": "issued_at",
    "revokedAt": "revoked_at",
}
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
_TIME_DTYPE = "datetime64[us, UTC]"
# What AWS writes; anything else is read by pandas' parser, row by row.
_CANONICAL_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+0000$"
# Patterns shared by Python's re and Arrow's RE2 (ASCII classes; the end anchor differs).
_SERIAL = "[0-9a-f]{2}(?::[0-9a-f]{2})*"
_TEMPLATE = r"template/(?P<name>[A-Za-z0-9_]+)/V[0-9]+"
# An attribute's value in an RFC 2253 name: up to the next unescaped ',' or '+'.
_VALUE = r"(?P<value>(?:[^,+\\]|\\.)*)"
_ATTRIBUTE = r"(?:^|[,+]){}=" + _VALUE
_UNESCAPE = (r"\\(.)", r"\1")
_CERTIFICATE = "/certificate/"
# Older reports (UG23:PcaRevokeCert.md) spell the subject "Subject".
_OLD_SUBJECT = "Subject"
_JSON_KEYS = (*AWS_FIELDS, _OLD_SUBJECT)

#: From this many rows on, the Arrow path computes its columns in threads.
_THREADED_ROWS = 50_000

Problems = dict[int, str]  # row → what is wrong with it (the first thing found)


# -- input -----------------------------------------------------------------------------------------


def _loads(data: bytes) -> Any:
    try:
        import orjson
    except ImportError:  # orjson is optional; json gives the same result, slower
        return json.loads(data)
    return orjson.loads(data)


def _read_bytes(source: Any, s3: Any = None) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if hasattr(source, "read"):  # an open file or a botocore StreamingBody
        data = source.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if not isinstance(source, str | os.PathLike):
        raise TypeError(
            "read_audit_report() takes the report's bytes, a file path, an s3://bucket/key URI "
            f"or an open file; got {type(source).__name__}"
        )
    text = os.fspath(source)
    if not text:
        raise ValueError("read_audit_report() got an empty path")
    if text.startswith("s3://"):
        if s3 is None:
            import boto3

            s3 = boto3.client("s3")
        bucket, _, key = text[5:].partition("/")
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return Path(text).expanduser().read_bytes()


def _sniff_format(data: bytes) -> str:
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "JSON" if head in (b"[", b"{") else "CSV"


def _json_records(data: bytes) -> list[Any]:
    try:
        records = _loads(data)
    except ValueError as exc:
        raise ValueError(f"the audit report is not valid JSON: {exc}") from None
    if isinstance(records, dict):  # tolerate one object
        return [records]
    if not isinstance(records, list):
        raise ValueError(
            "a JSON audit report is one array of objects; this one holds a "
            f"{type(records).__name__}"
        )
    return records


def _json_columns(records: list[Any]) -> tuple[dict[str, list[str | None]], Problems]:
    """AWS's fields as lists of strings, row by row (non-objects and non-strings reported)."""
    problems: Problems = {}
    columns: dict[str, list[str | None]] = {field: [] for field in AWS_FIELDS}
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            problems[index] = "not an object"
            record = {}
        elif "subject" not in record and _OLD_SUBJECT in record:
            record = {**record, "subject": record[_OLD_SUBJECT]}
        for field in AWS_FIELDS:
            value = record.get(field)
            if value is not None and not isinstance(value, str):
                problems.setdefault(index, f"{field} is not a string")
                value = json.dumps(value, sort_keys=True)
            columns[field].append(value)
    return columns, problems


def _text(data: bytes) -> str:
    return data.decode("utf-8-sig", errors="replace")


def _csv_header(data: bytes) -> list[str]:
    """The CSV header; ``ValueError`` unless it names AWS's fields."""
    first_line = _text(data[: data.find(b"\n") + 1 if b"\n" in data else len(data)])
    try:
        header = next(csv.reader([first_line.rstrip("\r\n")]), [])
    except csv.Error as exc:
        header = [f"<unreadable: {exc}>"]
    if "certificateArn" not in header:
        shown = ",".join(header)[:120]
        raise ValueError(
            "this is not an AWS Private CA audit report: a CSV report starts with the header "
            f"{','.join(AWS_FIELDS)}; this one starts with {shown!r}"
        )
    return header


def _csv_columns(data: bytes) -> tuple[dict[str, list[str | None]], Problems]:
    """AWS's fields as lists of strings, row by row with Python's csv module."""
    header = _csv_header(data)
    problems: Problems = {}
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    try:
        next(reader)
        for row in reader:
            if not row:
                continue  # a blank line
            if len(row) != len(header):
                problems[len(rows)] = f"{len(row)} fields where the header has {len(header)}"
                row = (row + [""] * len(header))[: len(header)]
            rows.append(row)
    except csv.Error as exc:
        raise ValueError(
            f"the CSV audit report cannot be read at line {reader.line_num}: {exc}"
        ) from None
    position = {name: i for i, name in reversed(list(enumerate(header)))}
    columns: dict[str, list[str | None]] = {}
    for field in AWS_FIELDS:
        if field not in position and field == "subject" and _OLD_SUBJECT in position:
            position[field] = position[_OLD_SUBJECT]
        i = position.get(field)
        columns[field] = [None] * len(rows) if i is None else [row[i] or None for row in rows]
    return columns, problems


def _columns(data: bytes, fmt: str) -> tuple[dict[str, list[str | None]], Problems]:
    if fmt == "JSON":
        return _json_columns(_json_records(data))
    return _csv_columns(data)


# -- the typed frame, assembled the same way by both paths ---------------------------------------------


def _normal_serial(text: str | None) -> str | None:
    """A serial in AWS's colon form from plain or colon hex (any case, ``0x`` allowed)."""
    if text is None:
        return None
    digits = text.strip().lower().replace(":", "").removeprefix("0x")
    if not digits or not re.fullmatch(r"[0-9a-f]+", digits):
        return None
    digits = "0" * (len(digits) % 2) + digits
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def _assemble(
    fields: dict[str, Any],
    typed: dict[str, Any],
    times: dict[str, pd.Series],
    problems: Problems,
    failures: list[tuple[str, np.ndarray]],
) -> pd.DataFrame:
    """The frame: AWS's fields and the typed columns, with one problem per row at most.

    ``fields`` and ``typed`` hold string arrays; ``failures`` are (problem, row mask) in order
    of precedence, after the problems found while reading the rows.
    """
    count = len(fields["certificateArn"])
    index = pd.RangeIndex(count)
    problem = np.full(count, None, dtype=object)
    for row, note in problems.items():
        problem[row] = note
    for note, mask in failures:
        problem[mask & pd.isna(problem)] = note

    def string(values: Any) -> pd.Series:
        return pd.Series(pd.array(values, dtype="string"), index=index, copy=False)

    columns: dict[str, Any] = {field: string(fields[field]) for field in AWS_FIELDS}
    columns["account_id"] = columns["awsAccountId"]
    columns["ca_arn"] = string(typed["ca_arn"])
    columns["ca_id"] = string(typed["ca_id"])
    columns["certificate_arn"] = columns["certificateArn"]
    columns["serial_hex"] = string(typed["serial_hex"])
    columns["common_name"] = string(typed["common_name"])
    columns["organization"] = string(typed["organization"])
    for field, column in _TIMES.items():
        columns[column] = times[field]
    columns["revoked"] = times["revokedAt"].notna()
    columns["revocation_reason"] = columns["revocationReason"].astype("category")
    columns["template"] = string(typed["template"]).astype("category")
    columns["template_arn"] = columns["templateArn"]
    columns["requested_by"] = columns["requestedByServicePrincipal"]
    columns["validity_days"] = (times["notAfter"] - times["notBefore"]).dt.total_seconds() / 86400
    columns["problem"] = string(problem)
    frame = pd.DataFrame(columns, index=index, copy=False)
    frame.attrs["problems"] = int(columns["problem"].notna().sum())
    return frame


# -- pandas path (no pyarrow) ------------------------------------------------------------------------------


def _subject_part(subjects: pd.Series, short: str) -> pd.Series:
    value = subjects.str.extract(_ATTRIBUTE.format(short), expand=False)
    return value.str.replace(*_UNESCAPE, regex=True)


def parse_frame(raw: pd.DataFrame, problems: Problems | None = None) -> pd.DataFrame:
    """Add the typed columns to a frame with AWS's fields (as strings); pandas only.

    ``problems`` maps row positions to what was found wrong while reading them.
    """
    raw = raw.reset_index(drop=True)
    for field in AWS_FIELDS:
        if field not in raw.columns:
            raw[field] = None
    out = {f: raw[f].astype("string") for f in AWS_FIELDS}
    problems = dict(problems or {})
    failures: list[tuple[str, np.ndarray]] = []
    times: dict[str, pd.Series] = {}
    for field in _TIMES:
        values = pd.to_datetime(out[field], format=_TIME_FORMAT, utc=True, errors="coerce")
        times[field] = values.astype(_TIME_DTYPE)
        failures.append((f"unreadable {field}", (values.isna() & out[field].notna()).to_numpy()))
    arn = out["certificateArn"]
    ca_arn = arn.str.split(_CERTIFICATE, n=1, regex=False).str[0].astype("string")
    serial = out["serial"]
    canonical = serial.str.fullmatch(_SERIAL).fillna(False).astype(bool)
    serial_hex = serial.where(
        canonical, serial.map(_normal_serial, na_action="ignore").astype("string")
    )
    failures.append(("unreadable serial", (serial_hex.isna() & serial.notna()).to_numpy()))
    failures.append(("no certificateArn", arn.isna().to_numpy()))
    typed = {
        "ca_arn": ca_arn,
        "ca_id": ca_arn.str.rsplit("/", n=1).str[-1].astype("string"),
        "serial_hex": serial_hex,
        "common_name": _subject_part(out["subject"], "CN"),
        "organization": _subject_part(out["subject"], "O"),
        "template": out["templateArn"].str.extract(_TEMPLATE + r"\Z", expand=False),
    }
    fields = {f: out[f].array for f in AWS_FIELDS}
    return _assemble(fields, {k: v.array for k, v in typed.items()}, times, problems, failures)


# -- Arrow path --------------------------------------------------------------------------------------------


def _arrow() -> Any:
    try:
        import pyarrow
        import pyarrow.compute
        import pyarrow.csv
    except ImportError:
        return None
    return pyarrow


def _arrow_fields(pa: Any, data: bytes, fmt: str) -> tuple[dict[str, Any], Problems]:
    """AWS's fields as Arrow string arrays: Arrow's readers, or Python's where they refuse."""
    if fmt == "JSON":
        records = _json_records(data)
        struct = pa.struct([(key, pa.string()) for key in _JSON_KEYS])
        try:
            rows = pa.array(records, type=struct)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            rows = None  # a row that is not an object, or a value that is not a string
        if rows is not None and rows.null_count == 0:
            fields = {field: rows.field(field) for field in AWS_FIELDS}
            if rows.field(_OLD_SUBJECT).null_count < len(rows):
                fields["subject"] = pa.compute.coalesce(fields["subject"], rows.field(_OLD_SUBJECT))
            return fields, {}
        columns, problems = _json_columns(records)
    else:
        header = _csv_header(data)
        wanted = [f for f in (*AWS_FIELDS, _OLD_SUBJECT) if f in header]
        options = pa.csv.ConvertOptions(
            column_types={name: pa.string() for name in header},
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=True,
            include_columns=wanted,
        )
        try:
            table = pa.csv.read_csv(io.BytesIO(data), convert_options=options)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            table = None  # a row of the wrong length, bytes that are not UTF-8, …
        if table is not None:
            nulls = pa.nulls(table.num_rows, pa.string())
            fields = {}
            for field in AWS_FIELDS:
                name = _OLD_SUBJECT if field == "subject" and field not in wanted else field
                fields[field] = (
                    table.column(name).combine_chunks() if name in table.column_names else nulls
                )
            return fields, {}
        columns, problems = _csv_columns(data)
    return {f: pa.array(v, type=pa.string()) for f, v in columns.items()}, problems


def _arrow_time(pa: Any, values: Any) -> tuple[pd.Series, np.ndarray]:
    """Timestamps from AWS's ``+0000`` form by Arrow; other spellings by pandas, row by row."""
    pc = pa.compute
    parsed = pc.strptime(values, format=_TIME_FORMAT, unit="s", error_is_null=True)
    # Arrow's parser rolls 30 February over to 1 March: the day must be the one written.
    day = pc.utf8_lpad(pc.cast(pc.day(parsed), pa.string()), 2, "0")
    canonical = pc.and_kleene(
        pc.match_substring_regex(values, _CANONICAL_TIME),
        pc.equal(pc.utf8_slice_codeunits(values, 8, 10), day),
    )
    series = pd.Series(parsed.cast(pa.timestamp("us", "UTC")).to_pandas(), copy=False).astype(
        _TIME_DTYPE
    )
    others = (pc.is_valid(values).to_numpy(zero_copy_only=False)) & ~(
        pc.fill_null(canonical, False).to_numpy(zero_copy_only=False)
    )
    if others.any():
        strings = pd.Series(values.filter(pa.array(others)).to_pylist(), dtype="string")
        retried = pd.to_datetime(strings, format=_TIME_FORMAT, utc=True, errors="coerce")
        series = series.copy()
        series.iloc[np.flatnonzero(others)] = retried.astype(_TIME_DTYPE).array
    failed = others & series.isna().to_numpy()
    return series, failed


def _arrow_subject_part(pa: Any, subjects: Any, short: str) -> Any:
    pc = pa.compute
    pattern = _ATTRIBUTE.format(short)
    # Reverse RDN order usually puts the attribute first: an anchored match is cheaper.
    first = pc.starts_with(subjects, f"{short}=")
    value = pc.struct_field(pc.extract_regex(subjects, f"^{short}={_VALUE}"), [0])
    elsewhere = pc.and_(pc.invert(pc.fill_null(first, True)), pc.is_valid(subjects))
    if pc.any(elsewhere).as_py():
        found = pc.struct_field(pc.extract_regex(subjects.filter(elsewhere), pattern), [0])
        value = pc.replace_with_mask(value, elsewhere, found)
    escaped = pc.fill_null(pc.match_substring(value, "\\"), False)
    if pc.any(escaped).as_py():
        value = pc.if_else(escaped, pc.replace_substring_regex(value, *_UNESCAPE), value)
    return value


def _arrow_ca(pa: Any, arns: Any) -> tuple[Any, Any]:
    """(CA ARN, CA id) of certificate ARNs: the part before ``/certificate/`` and its last part.

    A report holds one CA (a few when reports were combined), so the ARNs fall into a few
    groups by where ``/certificate/`` starts, each cut with one slice.
    """
    pc = pa.compute
    ascii_only = pc.all(pc.string_is_ascii(arns)).as_py() is not False
    positions = pc.find_substring(arns, _CERTIFICATE)
    distinct = pc.unique(positions).drop_null().to_pylist()
    if ascii_only and len(distinct) <= 8:
        ca_arn = arns
        for position in distinct:
            if position >= 0:
                cut = pc.utf8_slice_codeunits(arns, 0, position)
                ca_arn = pc.if_else(pc.equal(positions, position), cut, ca_arn)
    else:
        ca_arn = pc.list_element(pc.split_pattern(arns, _CERTIFICATE, max_splits=1), 0)
    encoded = pc.dictionary_encode(ca_arn)
    ids = pa.array([a.rsplit("/", 1)[-1] for a in encoded.dictionary.to_pylist()], pa.string())
    return ca_arn, pc.take(ids, encoded.indices)


def _arrow_template(pa: Any, arns: Any) -> Any:
    pc = pa.compute
    encoded = pc.dictionary_encode(arns)
    names = pc.struct_field(pc.extract_regex(encoded.dictionary, _TEMPLATE + "$"), [0])
    return pc.take(names, encoded.indices)


def _arrow_serial(pa: Any, serials: Any) -> Any:
    pc = pa.compute
    canonical = pc.fill_null(pc.match_substring_regex(serials, f"^{_SERIAL}$"), True)
    if pc.all(canonical).as_py():
        return serials
    mask = pc.invert(canonical)
    fixed = pa.array([_normal_serial(s) for s in serials.filter(mask).to_pylist()], pa.string())
    return pc.replace_with_mask(serials, mask, fixed)


def _parse_arrow(pa: Any, data: bytes, fmt: str) -> pd.DataFrame:
    fields, problems = _arrow_fields(pa, data, fmt)
    pc = pa.compute
    jobs: dict[str, Callable[[], Any]] = {
        **{f: (lambda f=f: _arrow_time(pa, fields[f])) for f in _TIMES},
        "ca": lambda: _arrow_ca(pa, fields["certificateArn"]),
        "serial_hex": lambda: _arrow_serial(pa, fields["serial"]),
        "common_name": lambda: _arrow_subject_part(pa, fields["subject"], "CN"),
        "organization": lambda: _arrow_subject_part(pa, fields["subject"], "O"),
        "template": lambda: _arrow_template(pa, fields["templateArn"]),
    }
    # Arrow's kernels release the GIL: independent columns are computed side by side.
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers > 1 and len(fields["certificateArn"]) >= _THREADED_ROWS:
        with ThreadPoolExecutor(workers) as pool:
            futures = {name: pool.submit(job) for name, job in jobs.items()}
            done = {name: future.result() for name, future in futures.items()}
    else:
        done = {name: job() for name, job in jobs.items()}
    times = {f: done[f][0] for f in _TIMES}
    failures = [(f"unreadable {f}", done[f][1]) for f in _TIMES]
    serial_valid = pc.is_valid(done["serial_hex"]).to_numpy(zero_copy_only=False)
    serial_given = pc.is_valid(fields["serial"]).to_numpy(zero_copy_only=False)
    failures.append(("unreadable serial", serial_given & ~serial_valid))
    failures.append(
        ("no certificateArn", pc.is_null(fields["certificateArn"]).to_numpy(zero_copy_only=False))
    )
    ca_arn, ca_id = done["ca"]
    typed = {
        "ca_arn": ca_arn,
        "ca_id": ca_id,
        "serial_hex": done["serial_hex"],
        "common_name": done["common_name"],
        "organization": done["organization"],
        "template": done["template"],
    }
    return _assemble(fields, typed, times, problems, failures)


# -- public ------------------------------------------------------------------------------------------


def read_audit_report(source: Any, *, format: str | None = None, s3: Any = None) -> pd.DataFrame:
    """Parse an audit report a person already has: bytes, a path, or an ``s3://bucket/key`` URI.

    ``format`` is ``"JSON"`` or ``"CSV"`` (guessed from the content when omitted). Malformed
    rows are kept and explained in the ``problem`` column; ``frame.attrs["problems"]`` counts
    them. A file that is no audit report at all (not JSON, no AWS header) is a ``ValueError``.
    """
    data = _read_bytes(source, s3)
    if format is not None and format.upper() not in ("JSON", "CSV"):
        raise ValueError(f"format must be JSON or CSV, not {format!r}")
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise ValueError("the audit report is empty (not even a CSV header or a JSON [])")
    fmt = (format or _sniff_format(data)).upper()
    pa = _arrow()
    if pa is not None:
        return _parse_arrow(pa, data, fmt)
    columns, problems = _columns(data, fmt)
    return parse_frame(pd.DataFrame(columns, columns=list(AWS_FIELDS), dtype=object), problems)


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
    return parse_frame(pd.DataFrame(columns=list(AWS_FIELDS), dtype=object))
