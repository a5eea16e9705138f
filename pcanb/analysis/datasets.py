"""Many audit reports as one data set (a folder or an S3 prefix), analysed without loading the rows.

``read_audit_reports(source)`` lists the reports and reads nothing yet. The analyses
(``activity``, ``expiring``, ``bursts``…) then run as SQL on DuckDB over the report files, the
very SQL :func:`pcanb.athena_sql` gives Athena, so only their small results reach pandas;
``batches()`` streams one typed frame per report and ``to_pandas()`` loads everything when it fits.

Why DuckDB rather than pyarrow datasets: AWS writes JSON reports as one array per file, which
pyarrow's JSON reader (newline-delimited only) cannot read, while DuckDB reads both AWS formats
as they are; DuckDB aggregates out of core (spilling to disk), in parallel, so hundreds of
millions of rows need memory for the answer only; and running the Athena SQL on it locally
means one set of analysis queries, checked against pandas by the tests, serves a laptop and
Athena alike. pyarrow datasets would stream record batches, but every aggregation would then be
ours to write in pandas, a second time. Without DuckDB installed the analyses fall back to
pandas on ``to_pandas()``.

S3 objects are fetched with the boto3 client given (``s3=pca.s3``, which also reaches the
sandbox) and streamed to a local cache directory the first time a query needs them. The first
query reads every report once into a compressed, columnar DuckDB table in that directory (one
typed row per certificate); the analyses then read that table, in milliseconds to seconds.
Disk, not memory, bounds what can be read. At organisation scale, run the same SQL on Athena.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pcanb.analysis import activity as _activity
from pcanb.analysis import athena
from pcanb.analysis import expiry as _expiry
from pcanb.analysis.reports import AWS_FIELDS, combine_reports, empty_report, read_audit_report
from pcanb.errors import PcanbError

_FORMATS = {".json": "JSON", ".csv": "CSV"}
FILE_COLUMNS = ("uri", "format", "size", "modified", "group")


@dataclass(frozen=True)
class ReportFile:
    """One audit report object: where it is, its format, size and time. No public constructor."""

    uri: str
    format: str
    size: int
    modified: pd.Timestamp
    group: str  # the folder it is in: one CA's reports (``audit-report/<ca id>/``)


def _list_local(root: Path) -> list[ReportFile]:
    paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    files = []
    for path in paths:
        fmt = _FORMATS.get(path.suffix.lower())
        if fmt is None:
            continue
        stat = path.stat()
        modified = pd.Timestamp(stat.st_mtime_ns, unit="ns", tz="UTC")
        files.append(ReportFile(str(path), fmt, stat.st_size, modified, str(path.parent)))
    return files


def _list_s3(uri: str, s3: Any) -> list[ReportFile]:
    bucket, _, prefix = uri[5:].partition("/")
    files = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            fmt = _FORMATS.get(Path(key).suffix.lower())
            if fmt is None:
                continue
            modified = pd.Timestamp(item["LastModified"]).tz_convert("UTC")
            folder = key.rsplit("/", 1)[0] if "/" in key else ""
            files.append(ReportFile(f"s3://{bucket}/{key}", fmt, item["Size"], modified, folder))
    return files


def _newest_per_folder(files: list[ReportFile]) -> list[ReportFile]:
    newest: dict[str, ReportFile] = {}
    for item in files:
        kept = newest.get(item.group)
        if kept is None or (item.modified, item.uri) > (kept.modified, kept.uri):
            newest[item.group] = item
    return sorted(newest.values(), key=lambda f: f.uri)


def newest_state(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per certificate ARN: the revoked one if any report says so (revocation is final)."""
    ordered = frame.sort_values(
        ["revoked_at", "issued_at"], ascending=False, na_position="last", kind="stable"
    )
    named = ordered["certificate_arn"].notna()
    kept = ordered[named].drop_duplicates("certificate_arn")
    return pd.concat([kept, ordered[~named]]).sort_index()


class AuditReports:
    """Audit reports under a folder or S3 prefix, read lazily. Build one with ``read_audit_reports``.

    ``batches()`` / ``to_pandas()`` give typed frames; ``activity()``, ``revocation_reasons()``,
    ``validity_distribution()``, ``expiring()``, ``expiry_by_week()``, ``bursts()``,
    ``outliving_ca()`` and ``near_ca_expiry()`` return what the pandas functions of the same
    names return, computed by DuckDB over the files; ``sql(query)`` runs any query on the view
    ``pca_audit`` (one typed row per certificate). Use it in a ``with`` block, or ``close()`` it,
    to remove the local copies of S3 objects.
    """

    def __init__(
        self, files: list[ReportFile], *, s3: Any = None, cache: Path | None = None
    ) -> None:
        self._files = files
        self._s3 = s3
        self._cache = cache
        self._own_cache = False
        self._local: list[Path] | None = None
        self._connection: Any = None

    # -- what is there ----------------------------------------------------------------------------

    @property
    def files(self) -> pd.DataFrame:
        """The report objects: uri, format, size, modified, group (the CA's folder)."""
        frame = pd.DataFrame(
            [(f.uri, f.format, f.size, f.modified, f.group) for f in self._files],
            columns=list(FILE_COLUMNS),
        )
        return frame.astype(
            {"uri": "string", "format": "string", "size": "int64", "group": "string"}
        )

    def __len__(self) -> int:
        return len(self._files)

    def __repr__(self) -> str:
        size = sum(f.size for f in self._files)
        return f"<AuditReports {len(self._files)} reports, {size / 1e6:,.1f} MB>"

    # -- rows -------------------------------------------------------------------------------------

    def _read(self, item: ReportFile) -> bytes:
        if item.uri.startswith("s3://"):
            bucket, _, key = item.uri[5:].partition("/")
            return self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return Path(item.uri).read_bytes()

    def batches(self) -> Iterator[pd.DataFrame]:
        """One typed frame per report (``attrs["source"]`` says which), one report in memory at a time."""
        for item in self._files:
            frame = read_audit_report(self._read(item), format=item.format)
            frame.attrs["source"] = item.uri
            yield frame

    def to_pandas(self) -> pd.DataFrame:
        """Every report in one typed frame, one row per certificate (its newest state)."""
        frames = list(self.batches())
        if not frames:
            return empty_report()
        return newest_state(combine_reports(frames)).reset_index(drop=True)

    # -- DuckDB -----------------------------------------------------------------------------------

    def _workdir(self) -> Path:
        if self._cache is None:
            self._cache = Path(tempfile.mkdtemp(prefix="pcanb-audit-"))
            self._own_cache = True
        self._cache.mkdir(parents=True, exist_ok=True)
        return self._cache

    def local_paths(self) -> list[Path]:
        """The report files on local disk, S3 objects streamed to the cache directory first."""
        if self._local is not None:
            return self._local
        paths = []
        for item in self._files:
            if not item.uri.startswith("s3://"):
                paths.append(Path(item.uri))
                continue
            bucket, _, key = item.uri[5:].partition("/")
            target = self._workdir() / "s3" / bucket / key
            if not (target.exists() and target.stat().st_size == item.size):
                target.parent.mkdir(parents=True, exist_ok=True)
                body = self._s3.get_object(Bucket=bucket, Key=key)["Body"]
                with target.open("wb") as out:
                    shutil.copyfileobj(body, out, length=1 << 20)
            paths.append(target)
        self._local = paths
        return paths

    def _raw_sql(self) -> str:
        columns = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in AWS_FIELDS) + "}"
        parts = []
        for fmt, reader, options in (
            ("JSON", "read_json", "format = 'array'"),
            ("CSV", "read_csv", "header = true, quote = '\"', escape = '\"'"),
        ):
            paths = [
                p for p, f in zip(self.local_paths(), self._files, strict=True) if f.format == fmt
            ]
            if paths:
                listed = ", ".join(athena.quote(str(p)) for p in paths)
                parts.append(
                    f"SELECT {', '.join(AWS_FIELDS)} FROM {reader}([{listed}], {options}, "
                    f"columns = {columns})"
                )
        if not parts:
            nulls = ", ".join(f"CAST(NULL AS VARCHAR) AS {name}" for name in AWS_FIELDS)
            parts.append(f"SELECT {nulls} WHERE false")
        return f"CREATE OR REPLACE VIEW {athena.TABLE} AS\n" + "\nUNION ALL\n".join(parts)

    def connection(self) -> Any:
        """A DuckDB connection where ``pca_audit`` holds one typed row per certificate.

        The first call reads every report once, through the Athena view's SQL, into a columnar
        table in a database file in the cache directory; later queries read only that table.
        """
        if self._connection is None:
            import duckdb

            raw = self._raw_sql()  # fetches S3 objects first
            workdir = self._workdir()
            connection = duckdb.connect(str(workdir / "pca_audit.duckdb"))
            for statement in athena.DUCKDB_SHIMS:
                connection.execute(statement)
            connection.execute(f"SET temp_directory = {athena.quote(str(workdir / 'spill'))}")
            connection.execute(raw)
            connection.execute(athena.create_typed_view_sql())
            connection.execute(
                f"CREATE OR REPLACE TABLE pca_audit_all AS SELECT * FROM {athena.TYPED_VIEW}"
            )
            repeated = connection.sql(
                "SELECT count(*) FROM (SELECT certificate_arn FROM pca_audit_all "
                "GROUP BY certificate_arn HAVING count(*) > 1) AS repeats"
            ).fetchall()[0][0]
            if repeated:  # several reports name the same certificate: keep its newest state
                connection.execute(athena.create_view_sql(source="pca_audit_all", view="newest"))
                connection.execute(f"CREATE OR REPLACE TABLE {athena.VIEW} AS SELECT * FROM newest")
            else:
                connection.execute(
                    f"CREATE OR REPLACE VIEW {athena.VIEW} AS SELECT * FROM pca_audit_all"
                )
            self._connection = connection
        return self._connection

    def sql(self, query: str) -> pd.DataFrame:
        """Run a query on DuckDB over the reports (the view ``pca_audit``) and return a frame."""
        return self.connection().sql(query).df()

    def _run(
        self, query: Callable[[], str], fallback: Callable[[pd.DataFrame], pd.DataFrame]
    ) -> pd.DataFrame:
        try:
            import duckdb  # noqa: F401
        except ImportError:  # DuckDB is optional: the same answer from pandas, in memory
            return fallback(self.to_pandas())
        return self.sql(query())

    # -- the analyses -----------------------------------------------------------------------------

    def activity(self, freq: str = "week", by: str | None = None) -> pd.DataFrame:
        """:func:`pcanb.analysis.activity.activity` over every report."""
        out = self._run(
            lambda: athena.activity_sql(freq, by), lambda f: _activity.activity(f, freq, by)
        )
        return _typed(
            out,
            {
                "period": "datetime64[us, UTC]",
                "event": "string",
                "group": "string",
                "count": "int64",
            },
        )

    def revocation_reasons(self) -> pd.DataFrame:
        """:func:`pcanb.analysis.activity.revocation_reasons` over every report."""
        out = self._run(athena.revocation_reasons_sql, _activity.revocation_reasons)
        return _typed(out, {"revocation_reason": "string", "count": "int64", "share": "float64"})

    def validity_distribution(
        self, bins: tuple[float, ...] = _activity.VALIDITY_BINS
    ) -> pd.DataFrame:
        """:func:`pcanb.analysis.activity.validity_distribution` over every report."""
        out = self._run(
            lambda: athena.validity_distribution_sql(bins),
            lambda f: _activity.validity_distribution(f, bins),
        )
        return _typed(
            out,
            {"validity": "string", "min_days": "float64", "max_days": "float64", "count": "int64"},
        )

    def expiring(
        self,
        within_days: float = 30,
        *,
        now: datetime | str | None = None,
        include_revoked: bool = False,
    ) -> pd.DataFrame:
        """:func:`pcanb.analysis.expiry.expiring` over every report (the main columns)."""
        now = _expiry.as_utc(now)
        columns = ["certificate_arn", "ca_id", "common_name", "serial_hex", "template",
                   "not_before", "not_after", "revoked", "days_to_expiry"]  # fmt: skip
        out = self._run(
            lambda: athena.expiring_sql(within_days, now=now, include_revoked=include_revoked),
            lambda f: _expiry.expiring(f, within_days, now=now, include_revoked=include_revoked)[
                columns
            ],
        )
        return _typed(out.reset_index(drop=True), _REPORT_DTYPES)

    def expiry_by_week(
        self, *, now: datetime | str | None = None, bands: tuple[int, ...] = _expiry.EXPIRY_BANDS,
        include_revoked: bool = False,
    ) -> pd.DataFrame:  # fmt: skip
        """:func:`pcanb.analysis.expiry.expiry_by_week` over every report."""
        now = _expiry.as_utc(now)
        out = self._run(
            lambda: athena.expiry_by_week_sql(
                now=now, bands=bands, include_revoked=include_revoked
            ),
            lambda f: _expiry.expiry_by_week(
                f, now=now, bands=bands, include_revoked=include_revoked
            ),
        )
        out = _typed(out, {"week": "datetime64[us, UTC]", "count": "int64"})
        out["band"] = (
            out["band"]
            .astype(str)
            .astype(pd.CategoricalDtype(_expiry.band_labels(bands), ordered=True))
        )
        return out.sort_values(["week", "band"], ignore_index=True)

    def bursts(
        self, freq: str = "hour", *, event: str = "issued", by: str | None = None,
        sigma: float = 3.0, min_count: int = 10,
    ) -> pd.DataFrame:  # fmt: skip
        """:func:`pcanb.analysis.activity.bursts` over every report."""
        options = {"event": event, "by": by, "sigma": sigma, "min_count": min_count}
        out = self._run(
            lambda: athena.bursts_sql(freq, **options),
            lambda f: _activity.bursts(f, freq, **options),
        )
        dtypes = {
            "period": "datetime64[us, UTC]",
            "event": "string",
            "group": "string",
            "count": "int64",
        }
        return _typed(out, dtypes | {c: "float64" for c in ("mean", "std", "threshold", "ratio")})

    def outliving_ca(self, cas: pd.DataFrame, *, include_revoked: bool = False) -> pd.DataFrame:
        """:func:`pcanb.analysis.expiry.outliving_ca` over every report (the main columns)."""
        columns = [
            "certificate_arn",
            "ca_id",
            "common_name",
            "not_after",
            "ca_not_after",
            "days_beyond_ca",
        ]
        out = self._run(
            lambda: athena.outliving_ca_sql(cas, include_revoked=include_revoked),
            lambda f: _expiry.outliving_ca(f, cas, include_revoked=include_revoked)[columns],
        )
        return _typed(out.reset_index(drop=True), _REPORT_DTYPES)

    def near_ca_expiry(
        self, cas: pd.DataFrame, within_days: float = 30, *, include_revoked: bool = False
    ) -> pd.DataFrame:
        """:func:`pcanb.analysis.expiry.near_ca_expiry` over every report (the main columns)."""
        columns = [
            "certificate_arn",
            "ca_id",
            "common_name",
            "not_after",
            "ca_not_after",
            "days_before_ca_expiry",
        ]
        out = self._run(
            lambda: athena.near_ca_expiry_sql(cas, within_days, include_revoked=include_revoked),
            lambda f: _expiry.near_ca_expiry(f, cas, within_days, include_revoked=include_revoked)[
                columns
            ],
        )
        return _typed(out.reset_index(drop=True), _REPORT_DTYPES)

    # -- cleanup ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Close DuckDB and delete the local copies of S3 objects this object made."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._own_cache and self._cache is not None:
            shutil.rmtree(self._cache, ignore_errors=True)
            self._cache = None
            self._own_cache = False
        self._local = None

    def __enter__(self) -> AuditReports:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_own_cache", False):
            self.close()


_REPORT_DTYPES = {
    "certificate_arn": "string", "ca_id": "string", "common_name": "string",
    "serial_hex": "string", "template": "string", "revoked": "bool",
    "not_before": "datetime64[us, UTC]", "not_after": "datetime64[us, UTC]",
    "ca_not_after": "datetime64[us, UTC]", "days_to_expiry": "float64",
    "days_beyond_ca": "float64", "days_before_ca_expiry": "float64",
}  # fmt: skip


def _typed(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    return frame.astype({c: t for c, t in dtypes.items() if c in frame.columns})


def read_audit_reports(
    source: str | Path,
    *,
    s3: Any = None,
    latest: bool = True,
    cache: str | Path | None = None,
) -> AuditReports:
    """Every audit report under a local folder or an ``s3://bucket/prefix``, read lazily.

    ``s3`` is the boto3 S3 client to list and fetch objects with (``pca.s3``). Each report
    lists everything its CA ever issued, so by default only the newest report in each folder
    (AWS keeps one folder per CA, ``audit-report/<ca id>/``) is read; ``latest=False`` reads
    them all, and certificates seen in several reports still count once. ``cache`` is where
    S3 objects are copied for DuckDB (default: a temporary directory removed by ``close()``).

    >>> reports = pcanb.read_audit_reports("s3://pki-audit/audit-report/", s3=pca.s3)
    >>> reports.activity("week", by="ca_id")
    """
    text = str(source)
    if text.startswith("s3://"):
        if s3 is None:
            raise PcanbError("reading from S3 needs a client: read_audit_reports(uri, s3=pca.s3)")
        files = _list_s3(text, s3)
    else:
        root = Path(text).expanduser()
        if not root.exists():
            raise PcanbError(
                f"{root} does not exist: give a folder of audit reports or an s3:// prefix"
            )
        files = _list_local(root)
    if latest:
        files = _newest_per_folder(files)
    return AuditReports(files, s3=s3, cache=Path(cache) if cache is not None else None)
