"""The audit analyses as Athena SQL, so they run where the reports already are (S3) at any scale.

``athena_sql(location)`` emits, in Athena's (Trino's) dialect:

1. ``CREATE EXTERNAL TABLE`` over the audit-report prefix, AWS's eleven fields as strings
   (OpenCSVSerde, header skipped). Request the reports as CSV: AWS writes JSON reports as one
   array per file, which no Athena JSON SerDe reads. The escape character is set to one AWS
   never writes, so the backslashes of escaped subject commas (``O=Example\\, Inc``) survive.
2. ``CREATE VIEW pca_audit_rows`` with the typed columns pcanb's frames have (``not_after``,
   ``ca_id``, ``template``, ``revoked``, ``validity_days``…), and ``CREATE VIEW pca_audit``
   with one row per certificate: every report of a CA lists all it ever issued, so only the
   newest state of each certificate (revoked wins, as revocation is final) is kept, whatever
   number of reports the prefix holds.
3. One ``SELECT`` per analysis of :mod:`pcanb.analysis.activity` and :mod:`pcanb.analysis.expiry`,
   returning the same columns and numbers as the pandas functions.

The SQL is plain Trino. :data:`DUCKDB_SHIMS` define the few Trino functions it uses as DuckDB
macros, so the same text runs locally (``pcanb.read_audit_reports`` does that) and the tests
compare it with pandas on the sandbox's reports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from pcanb.analysis.activity import ALL, EVENTS, NONE, VALIDITY_BINS, check_period, validity_bins
from pcanb.analysis.expiry import EXPIRY_BANDS, as_utc, band_labels
from pcanb.analysis.reports import AWS_FIELDS
from pcanb.errors import PcanbError

TABLE = "pca_audit_reports"
TYPED_VIEW = "pca_audit_rows"
VIEW = "pca_audit"
#: Columns of the view a ``by=`` may name (text columns; the SQL is built from this list only).
GROUPABLE = (
    "account_id", "ca_arn", "ca_id", "common_name", "organization", "revocation_reason",
    "template", "template_arn", "requested_by",
)  # fmt: skip
#: DuckDB macros standing in for the Trino functions the SQL uses (local runs and tests only).
DUCKDB_SHIMS = (
    "SET TimeZone = 'UTC'",
    "CREATE OR REPLACE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)",
    # AWS writes one layout, yyyy-MM-dd'T'HH:mm:ssZ; Trino reads it from the pattern given.
    "CREATE OR REPLACE MACRO parse_datetime(s, pattern) AS try_strptime(s, '%Y-%m-%dT%H:%M:%S%z')",
    "CREATE OR REPLACE MACRO to_unixtime(t) AS epoch(t)",
    "CREATE OR REPLACE MACRO infinity() AS CAST('infinity' AS DOUBLE)",
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def _name(value: str, what: str) -> str:
    if not _IDENTIFIER.match(value):
        raise PcanbError(f"{what} must be a plain SQL name (letters, digits, _), not {value!r}")
    return value


def _relation(name: str) -> str:
    """A view or table name, optionally ``database.name``."""
    if not all(_IDENTIFIER.match(part) for part in name.split(".", 1)):
        raise PcanbError(f"{name!r} is not a plain SQL name (letters, digits, _; database.name)")
    return name


def _qualified(table: str, database: str | None) -> str:
    _name(table, "table")
    return f"{_name(database, 'database')}.{table}" if database else table


def timestamp(when: Any) -> str:
    """A timestamp-with-time-zone SQL expression for a time (naive means UTC)."""
    stamp = as_utc(when)
    return f"from_iso8601_timestamp({quote(stamp.strftime('%Y-%m-%dT%H:%M:%S.%fZ'))})"


def _group(by: str | None) -> str:
    if by is None:
        return quote(ALL)
    if by not in GROUPABLE:
        raise PcanbError(f"by must be one of {', '.join(GROUPABLE)} in SQL, not {by!r}")
    return f"coalesce(CAST({by} AS varchar), {quote(NONE)})"


def _days(later: str, earlier: str) -> str:
    return f"(to_unixtime({later}) - to_unixtime({earlier})) / 86400.0"


# -- table and view -------------------------------------------------------------------------------


def create_table_sql(location: str, *, table: str = TABLE, database: str | None = None) -> str:
    """``CREATE EXTERNAL TABLE`` over an S3 prefix of CSV audit reports (every field a string)."""
    if not location.startswith("s3://"):
        raise PcanbError(f"location is an S3 prefix, s3://bucket/audit-report/, not {location!r}")
    location = location if location.endswith("/") else location + "/"
    columns = ",\n".join(f"  {name} string" for name in AWS_FIELDS)
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {_qualified(table, database)} (\n{columns}\n)\n"
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'\n"
        "WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '\"', 'escapeChar' = '\\u0001')\n"
        "STORED AS TEXTFILE\n"
        f"LOCATION {quote(location)}\n"
        "TBLPROPERTIES ('skip.header.line.count' = '1')"
    )


def _subject_part(short: str) -> str:
    pattern = quote(rf"(?:^|,){short}=((?:[^,\\]|\\.)*)")
    value = f"regexp_extract(subject, {pattern}, 1)"
    unescaped = value
    for escaped in (",", "+", '"', ";", "<", ">", "=", "#", "\\"):  # RFC 4514 escapes
        unescaped = f"replace({unescaped}, {quote(chr(92) + escaped)}, {quote(escaped)})"
    return f"NULLIF(CASE WHEN strpos(subject, '\\') > 0 THEN {unescaped} ELSE {value} END, '')"


def _time(column: str) -> str:
    return f"try(parse_datetime(NULLIF({column}, ''), 'yyyy-MM-dd''T''HH:mm:ssZ'))"


#: The typed columns of the view, as in pcanb's audit-report frames.
VIEW_COLUMNS = (
    "account_id", "ca_arn", "ca_id", "certificate_arn", "serial_hex", "common_name",
    "organization", "not_before", "not_after", "issued_at", "revoked_at", "revoked",
    "revocation_reason", "template", "template_arn", "requested_by", "validity_days",
)  # fmt: skip


def create_typed_view_sql(
    *, table: str = TABLE, view: str = TYPED_VIEW, database: str | None = None
) -> str:
    """``CREATE OR REPLACE VIEW`` with the typed columns, one row per report row."""
    typed = {
        "account_id": "NULLIF(awsAccountId, '')",
        "ca_arn": "split_part(certificateArn, '/certificate/', 1)",
        "ca_id": "split_part(split_part(certificateArn, '/certificate/', 1), '/', 2)",
        "certificate_arn": "certificateArn",
        "serial_hex": "lower(NULLIF(serial, ''))",
        "common_name": _subject_part("CN"),
        "organization": _subject_part("O"),
        "not_before": _time("notBefore"),
        "not_after": _time("notAfter"),
        "issued_at": _time("issuedAt"),
        "revoked_at": _time("revokedAt"),
        "revoked": "NULLIF(revokedAt, '') IS NOT NULL",
        "revocation_reason": "NULLIF(revocationReason, '')",
        "template": (
            "NULLIF(regexp_extract(templateArn, 'template/([A-Za-z0-9_]+)/V[0-9]+$', 1), '')"
        ),
        "template_arn": "NULLIF(templateArn, '')",
        "requested_by": "NULLIF(requestedByServicePrincipal, '')",
        "validity_days": _days(_time("notAfter"), _time("notBefore")),
    }
    select = ",\n  ".join(f"{typed[name]} AS {name}" for name in VIEW_COLUMNS)
    return (
        f"CREATE OR REPLACE VIEW {_qualified(view, database)} AS\nSELECT\n  {select}\n"
        f"FROM {_qualified(table, database)}\nWHERE certificateArn LIKE 'arn:%/certificate/%'"
    )


def create_view_sql(
    *, source: str = TYPED_VIEW, view: str = VIEW, database: str | None = None
) -> str:
    """``CREATE OR REPLACE VIEW``: the typed rows, one per certificate (its newest state)."""
    columns = ", ".join(VIEW_COLUMNS)
    return (
        f"CREATE OR REPLACE VIEW {_qualified(view, database)} AS\n"
        f"SELECT {columns}\nFROM (\n  SELECT *, row_number() OVER (\n"
        "    PARTITION BY certificate_arn ORDER BY revoked_at DESC NULLS LAST, issued_at DESC\n"
        f"  ) AS report_rank\n  FROM {_qualified(source, database)}\n) AS ranked\n"
        "WHERE report_rank = 1"
    )


# -- the analyses ---------------------------------------------------------------------------------


def activity_sql(freq: str = "week", by: str | None = None, *, view: str = VIEW) -> str:
    """:func:`pcanb.analysis.activity.activity` as SQL: period, event, group, count."""
    check_period(freq)
    group = _group(by)
    parts = [
        f"  SELECT date_trunc({quote(freq)}, {column}) AS period, {quote(event)} AS event, "
        f'{group} AS "group"\n  FROM {_relation(view)} WHERE {column} IS NOT NULL'
        for event, column in EVENTS.items()
    ]
    return (
        'SELECT period, event, "group", count(*) AS "count"\nFROM (\n'
        + "\n  UNION ALL\n".join(parts)
        + '\n) AS events\nGROUP BY period, event, "group"\nORDER BY period, event, "group"'
    )


def revocation_reasons_sql(*, view: str = VIEW) -> str:
    """:func:`pcanb.analysis.activity.revocation_reasons` as SQL."""
    return (
        f"SELECT coalesce(revocation_reason, {quote(NONE)}) AS revocation_reason, "
        'count(*) AS "count",\n'
        "  CAST(count(*) AS double) / sum(count(*)) OVER () AS share\n"
        f"FROM {_relation(view)}\nWHERE revoked_at IS NOT NULL\n"
        "GROUP BY 1\nORDER BY 2 DESC, 1"
    )


def validity_distribution_sql(bins: tuple[float, ...] = VALIDITY_BINS, *, view: str = VIEW) -> str:
    """:func:`pcanb.analysis.activity.validity_distribution` as SQL (every bin listed)."""
    spec = validity_bins(bins)
    values = ",\n    ".join(
        f"({i}, {quote(label)}, {lo:.1f}, {'infinity()' if hi == float('inf') else f'{hi:.1f}'})"
        for i, (label, lo, hi) in enumerate(spec)
    )
    cases = " ".join(
        f"WHEN validity_days <= {hi:.1f} THEN {i}" for i, (_, _, hi) in enumerate(spec[:-1])
    )
    return (
        f"WITH bins (position, validity, min_days, max_days) AS (\n  VALUES\n    {values}\n),\n"
        f"counted AS (\n  SELECT CASE {cases} ELSE {len(spec) - 1} END AS position, "
        'count(*) AS "count"\n'
        f"  FROM {_relation(view)} WHERE validity_days IS NOT NULL GROUP BY 1\n)\n"
        'SELECT b.validity, b.min_days, b.max_days, coalesce(c."count", 0) AS "count"\n'
        "FROM bins AS b LEFT JOIN counted AS c ON c.position = b.position\nORDER BY b.position"
    )


def _live(include_revoked: bool, alias: str = "") -> str:
    return "" if include_revoked else f" AND NOT {alias}revoked"


def expiring_sql(
    within_days: float = 30,
    *,
    now: datetime | str | None = None,
    include_revoked: bool = False,
    view: str = VIEW,
) -> str:
    """:func:`pcanb.analysis.expiry.expiring` as SQL (the report's main columns)."""
    days = _days("not_after", timestamp(now))
    return (
        "SELECT certificate_arn, ca_id, common_name, serial_hex, template, not_before, "
        f"not_after, revoked,\n  {days} AS days_to_expiry\n"
        f"FROM {_relation(view)}\n"
        f"WHERE {days} >= 0 AND {days} < {float(within_days)!r}{_live(include_revoked)}\n"
        "ORDER BY not_after, certificate_arn"
    )


def expiry_by_week_sql(
    *,
    now: datetime | str | None = None,
    bands: tuple[int, ...] = EXPIRY_BANDS,
    include_revoked: bool = False,
    view: str = VIEW,
) -> str:
    """:func:`pcanb.analysis.expiry.expiry_by_week` as SQL: week, band, count."""
    labels = band_labels(bands)
    cases = [f"WHEN days < 0 THEN {quote(labels[0])}"]
    cases += [
        f"WHEN days < {b} THEN {quote(label)}" for b, label in zip(bands, labels[1:], strict=False)
    ]
    return (
        "SELECT date_trunc('week', not_after) AS week,\n"
        f"  CASE {' '.join(cases)} ELSE {quote(labels[-1])} END AS band,\n"
        '  count(*) AS "count"\n'
        f"FROM (\n  SELECT not_after, {_days('not_after', timestamp(now))} AS days\n"
        f"  FROM {_relation(view)}\n"
        f"  WHERE not_after IS NOT NULL{_live(include_revoked)}\n) AS certificates\n"
        "GROUP BY 1, 2\nORDER BY 1, 2"
    )


def bursts_sql(
    freq: str = "hour",
    *,
    event: str = "issued",
    by: str | None = None,
    sigma: float = 3.0,
    min_count: int = 10,
    view: str = VIEW,
) -> str:
    """:func:`pcanb.analysis.activity.bursts` as SQL: periods above ``mean + sigma × std``."""
    check_period(freq)
    if event not in EVENTS:
        raise PcanbError(f"event must be one of {', '.join(EVENTS)}, not {event!r}")
    column = EVENTS[event]
    sigma = float(sigma)
    return (
        "WITH counts AS (\n"
        f'  SELECT date_trunc({quote(freq)}, {column}) AS period, {_group(by)} AS "group", '
        'count(*) AS "count"\n'
        f"  FROM {_relation(view)} WHERE {column} IS NOT NULL GROUP BY 1, 2\n),\n"
        "stats AS (\n"
        '  SELECT "group", CAST(sum("count") AS double) AS total,\n'
        '    CAST(sum("count" * "count") AS double) AS squares,\n'
        f"    date_diff({quote(freq)}, min(period), max(period)) + 1 AS periods\n"
        '  FROM counts GROUP BY "group"\n),\n'
        "scored AS (\n"
        '  SELECT c.period, c."group", c."count", s.total / s.periods AS mean,\n'
        "    sqrt(greatest(s.squares / s.periods - (s.total / s.periods) * (s.total / s.periods), "
        "0.0)) AS std\n"
        '  FROM counts AS c JOIN stats AS s ON c."group" = s."group"\n)\n'
        f'SELECT period, {quote(event)} AS event, "group", "count", mean, std,\n'
        f'  mean + {sigma!r} * std AS threshold, "count" / mean AS ratio\n'
        "FROM scored\n"
        f'WHERE "count" > mean + {sigma!r} * std AND "count" >= {int(min_count)}\n'
        'ORDER BY period, "group"'
    )


def _cas_values(cas: pd.DataFrame | Mapping[str, Any]) -> str:
    if isinstance(cas, pd.DataFrame):
        known = cas[cas["arn"].notna() & cas["not_after"].notna()]
        pairs = dict(zip(known["arn"], known["not_after"], strict=True))
    else:
        pairs = dict(cas)
    if not pairs:
        raise PcanbError(
            "no CA with an ARN and a notAfter: pass pca.list_certificate_authorities()"
        )
    rows = ",\n    ".join(f"({quote(arn)}, {timestamp(end)})" for arn, end in pairs.items())
    return f"WITH cas (ca_arn, ca_not_after) AS (\n  VALUES\n    {rows}\n)\n"


def outliving_ca_sql(
    cas: pd.DataFrame | Mapping[str, Any], *, include_revoked: bool = False, view: str = VIEW
) -> str:
    """:func:`pcanb.analysis.expiry.outliving_ca` as SQL; the CAs' notAfter travel in the query."""
    beyond = _days("a.not_after", "cas.ca_not_after")
    return (
        _cas_values(cas)
        + "SELECT a.certificate_arn, a.ca_id, a.common_name, a.not_after, cas.ca_not_after,\n"
        f"  {beyond} AS days_beyond_ca\n"
        f"FROM {_relation(view)} AS a JOIN cas ON a.ca_arn = cas.ca_arn\n"
        f"WHERE a.not_after > cas.ca_not_after{_live(include_revoked, 'a.')}\n"
        "ORDER BY days_beyond_ca DESC, a.certificate_arn"
    )


def near_ca_expiry_sql(
    cas: pd.DataFrame | Mapping[str, Any],
    within_days: float = 30,
    *,
    include_revoked: bool = False,
    view: str = VIEW,
) -> str:
    """:func:`pcanb.analysis.expiry.near_ca_expiry` as SQL (leaf certificates only)."""
    before = _days("cas.ca_not_after", "a.not_after")
    return (
        _cas_values(cas)
        + "SELECT a.certificate_arn, a.ca_id, a.common_name, a.not_after, cas.ca_not_after,\n"
        f"  {before} AS days_before_ca_expiry\n"
        f"FROM {_relation(view)} AS a JOIN cas ON a.ca_arn = cas.ca_arn\n"
        f"WHERE {before} BETWEEN 0 AND {float(within_days)!r}\n"
        "  AND coalesce(a.template_arn, '') NOT LIKE '%CACertificate%'"
        f"{_live(include_revoked, 'a.')}\n"
        "ORDER BY days_before_ca_expiry, a.certificate_arn"
    )


# -- everything at once ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AthenaSql:
    """The statements :func:`athena_sql` emits; ``str()`` is the whole script. No public constructor."""

    create_table: str
    create_typed_view: str
    create_view: str
    queries: dict[str, str] = field(default_factory=dict)

    def script(self) -> str:
        """Every statement, each ended by ``;``, analyses labelled by a comment."""
        parts = [self.create_table + ";", self.create_typed_view + ";", self.create_view + ";"]
        parts += [f"-- {name}\n{sql};" for name, sql in self.queries.items()]
        return "\n\n".join(parts) + "\n"

    def __str__(self) -> str:
        return self.script()

    def __getitem__(self, name: str) -> str:
        return self.queries[name]


def athena_sql(
    location: str,
    *,
    database: str | None = None,
    table: str = TABLE,
    view: str = VIEW,
    now: datetime | str | None = None,
    freq: str = "week",
    by: str | None = "template",
    within_days: float = 30,
    burst_freq: str = "hour",
    sigma: float = 3.0,
    min_count: int = 10,
    cas: pd.DataFrame | None = None,
) -> AthenaSql:
    """Athena SQL for every audit report under ``location`` (``s3://bucket/audit-report/``).

    Returns the ``CREATE EXTERNAL TABLE``, the typed ``CREATE VIEW`` and the analyses
    (``activity``, ``revocation_reasons``, ``validity_distribution``, ``expiring``,
    ``expiry_by_week``, ``bursts``, and with ``cas=pca.list_certificate_authorities()`` also
    ``outliving_ca`` and ``near_ca_expiry``). ``now`` is written into the expiry queries
    (default: the real clock). Run them in the Athena console, or with
    ``boto3.client("athena").start_query_execution(QueryString=sql.create_table, ...)``.

    >>> sql = pcanb.athena_sql("s3://pki-audit/audit-report/", database="pki")
    >>> print(sql)                  # the whole script
    >>> sql["activity"]             # one query
    """
    now = as_utc(now)
    view = (
        f"{_name(database, 'database')}.{_name(view, 'view')}" if database else _name(view, "view")
    )
    queries = {
        "activity": activity_sql(freq, by, view=view),
        "revocation_reasons": revocation_reasons_sql(view=view),
        "validity_distribution": validity_distribution_sql(view=view),
        "expiring": expiring_sql(within_days, now=now, view=view),
        "expiry_by_week": expiry_by_week_sql(now=now, view=view),
        "bursts": bursts_sql(burst_freq, by=None, sigma=sigma, min_count=min_count, view=view),
    }
    if cas is not None:
        queries["outliving_ca"] = outliving_ca_sql(cas, view=view)
        queries["near_ca_expiry"] = near_ca_expiry_sql(cas, within_days, view=view)
    return AthenaSql(
        create_table=create_table_sql(location, table=table, database=database),
        create_typed_view=create_typed_view_sql(table=table, database=database),
        create_view=create_view_sql(view=view.rsplit(".", 1)[-1], database=database),
        queries=queries,
    )
