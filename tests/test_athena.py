"""``athena_sql`` and ``read_audit_reports``: the Athena SQL, run on DuckDB over the sandbox's
audit reports (JSON and CSV, several per CA) and over synthetic ones, gives what pandas gives."""

from __future__ import annotations

import csv
import io
import json
import sys

import duckdb
import pandas as pd
import pytest
from test_analysis_activity import ACM, CA_A, CA_B, CLIENT, CODE, SERVER, record

import pcanb
from pcanb.analysis import activity as act
from pcanb.analysis import athena
from pcanb.analysis import expiry as exp
from pcanb.analysis.datasets import newest_state
from pcanb.analysis.reports import AWS_FIELDS, read_audit_report
from pcanb.aws.buckets import pca_bucket_policy
from pcanb.errors import PcanbError

BUCKET = "pki-audit"
POLICY = pca_bucket_policy(BUCKET)


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """A sandbox whose bucket holds three reports: the issuing CA's (JSON, then CSV after one
    more revocation) and the root's (CSV). Returns (pca, cas, expected frame, now)."""
    pca = pcanb.sandbox(tmp_path_factory.mktemp("athena") / "sandbox")
    pca.s3.create_bucket(Bucket=BUCKET)
    pca.s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(POLICY))
    root = pca.create_root_ca(common_name="Root")
    issuing = pca.create_subordinate_ca(root, "Issuing", validity={"Type": "DAYS", "Value": 400})
    leaves = []
    for i, (template, days) in enumerate(
        [(None, 10), ("EndEntityServerAuthCertificate", 25), ("EndEntityClientAuthCertificate", 45),
         ("EndEntityServerAuthCertificate", 80), ("CodeSigningCertificate", 200),
         ("EndEntityServerAuthCertificate", 398), ("EndEntityClientAuthCertificate", 390)]
    ):  # fmt: skip
        subject = {"CommonName": f"svc{i}.example.com", "Organization": "Example, Inc"}
        leaves.append(pca.issue(issuing, subject=subject, template=template, days=days))
        pca.sandbox.advance(hours=7)
    pca.revoke(leaves[1], "KEY_COMPROMISE")
    pca.audit_report(issuing, "JSON", bucket=BUCKET)
    pca.sandbox.advance(days=2)
    pca.revoke(leaves[4], "SUPERSEDED")
    newest = pca.audit_report(issuing, "CSV", bucket=BUCKET)
    of_root = pca.audit_report(root, "CSV", bucket=BUCKET)
    expected = pd.concat([newest, of_root], ignore_index=True)
    yield pca, pca.list_certificate_authorities(), expected, pca.now()
    pca.sandbox.close()


def _synthetic_records():
    """3,000 certificates over ~35 days, a burst of 80 in one hour, 10 certificates in both files."""
    templates = [SERVER, CLIENT, CODE, None]
    reasons = ["KEY_COMPROMISE", "SUPERSEDED", "CESSATION_OF_OPERATION"]
    start = pd.Timestamp("2026-02-01T00:00")
    rows = []
    for n in range(1, 3001):
        issued = start + pd.Timedelta(minutes=17 * n)
        revoked = issued + pd.Timedelta(hours=30) if n % 13 == 0 else None
        rows.append(record(
            n, CA_A if n % 3 else CA_B, templates[n % 4], issued.isoformat(),
            days=[1, 7, 30, 90, 397, 800][n % 6], revoked=revoked and revoked.isoformat(),
            reason=reasons[n % 3] if revoked else None, by=ACM if n % 5 == 0 else None,
        ))  # fmt: skip
    for k in range(80):
        issued = pd.Timestamp("2026-02-20T13:00") + pd.Timedelta(seconds=40 * k)
        rows.append(record(5000 + k, CA_B, SERVER, issued.isoformat(), days=90))
    return rows


def _csv(records):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(AWS_FIELDS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A folder with a JSON and a CSV report; 10 certificates are in both, revoked only in the CSV."""
    rows = _synthetic_records()
    shared = [
        record(9000 + k, CA_A, SERVER, f"2026-02-10T{k + 2:02d}:30", days=60) for k in range(10)
    ]
    revoked = [
        {**r, "revokedAt": "2026-02-11T10:00:00+0000", "revocationReason": "AFFILIATION_CHANGED"}
        for r in shared
    ]
    root = tmp_path_factory.mktemp("reports") / "audit-report"
    (root / CA_A).mkdir(parents=True)
    (root / CA_B).mkdir()
    first, second = rows[: len(rows) // 2] + shared, rows[len(rows) // 2 :] + revoked
    (root / CA_A / "one.json").write_bytes(json.dumps(first).encode())
    (root / CA_B / "two.csv").write_bytes(_csv(second))
    frames = [read_audit_report(json.dumps(first).encode()), read_audit_report(_csv(second))]
    expected = newest_state(pd.concat(frames, ignore_index=True)).reset_index(drop=True)
    return root, expected, pd.Timestamp("2026-03-05T00:00Z")


def normalised(frame, keys):
    """Sorted by keys, text columns as ``string``, times in µs UTC: comparable across engines."""
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if (
            isinstance(dtype, pd.CategoricalDtype)
            or pd.api.types.is_object_dtype(dtype)
            or pd.api.types.is_string_dtype(dtype)
        ):
            out[column] = out[column].astype("string")
        elif isinstance(dtype, pd.DatetimeTZDtype):
            out[column] = out[column].astype("datetime64[us, UTC]")
        elif pd.api.types.is_bool_dtype(dtype):
            out[column] = out[column].astype(bool)
        elif pd.api.types.is_integer_dtype(dtype):
            out[column] = out[column].astype("int64")
        elif pd.api.types.is_float_dtype(dtype):
            out[column] = out[column].astype("float64")
    return out.sort_values(keys, ignore_index=True)


def same(from_sql, from_pandas, keys):
    assert list(from_sql.columns) == list(from_pandas.columns)
    pd.testing.assert_frame_equal(
        normalised(from_sql, keys), normalised(from_pandas, keys), check_exact=False, rtol=1e-9
    )


EXPIRING_COLUMNS = ["certificate_arn", "ca_id", "common_name", "serial_hex", "template",
                    "not_before", "not_after", "revoked", "days_to_expiry"]  # fmt: skip
CA_COLUMNS = ["certificate_arn", "ca_id", "common_name", "not_after", "ca_not_after"]


def check_every_analysis(reports, expected, now, cas=None):
    """Each AuditReports method (DuckDB) against the pandas function on the expected frame."""
    for freq, by in [("week", "template"), ("day", "ca_id"), ("hour", None),
                     ("month", "requested_by"), ("day", "revocation_reason")]:  # fmt: skip
        same(
            reports.activity(freq, by),
            act.activity(expected, freq, by),
            ["period", "event", "group"],
        )
    same(reports.revocation_reasons(), act.revocation_reasons(expected), ["revocation_reason"])
    same(reports.validity_distribution(), act.validity_distribution(expected), ["min_days"])
    for days in (30, 400):
        for revoked in (False, True):
            same(
                reports.expiring(days, now=now, include_revoked=revoked),
                exp.expiring(expected, days, now=now, include_revoked=revoked)[EXPIRING_COLUMNS],
                ["certificate_arn"],
            )
    same(reports.expiry_by_week(now=now), exp.expiry_by_week(expected, now=now), ["week", "band"])
    for freq, by in [("hour", None), ("day", "ca_id"), ("hour", "template")]:
        options = {"by": by, "sigma": 2.0, "min_count": 1}
        same(
            reports.bursts(freq, **options),
            act.bursts(expected, freq, **options),
            ["period", "group"],
        )
        same(
            reports.bursts(freq, event="revoked", **options),
            act.bursts(expected, freq, event="revoked", **options),
            ["period", "group"],
        )
    if cas is not None:
        same(
            reports.outliving_ca(cas),
            exp.outliving_ca(expected, cas)[[*CA_COLUMNS, "days_beyond_ca"]],
            ["certificate_arn"],
        )
        same(
            reports.near_ca_expiry(cas, 3650),
            exp.near_ca_expiry(expected, cas, 3650)[[*CA_COLUMNS, "days_before_ca_expiry"]],
            ["certificate_arn"],
        )


def test_sql_equals_pandas_on_the_sandbox_reports_in_s3(audited, tmp_path):
    pca, cas, expected, now = audited
    with pcanb.read_audit_reports(f"s3://{BUCKET}/audit-report/", s3=pca.s3) as reports:
        assert len(reports) == 2  # the newest report of each CA
        assert set(reports.files["format"]) == {"CSV"}
        check_every_analysis(reports, expected, now, cas)
        assert len(reports.near_ca_expiry(cas, 3650)) > 0  # the comparison compared something
        cache = reports.local_paths()[0]
        assert cache.exists()
    assert not cache.exists()  # close() removed the copies


def test_sql_equals_pandas_on_the_sandbox_folder_with_every_report(audited):
    pca, cas, expected, now = audited
    folder = pca.sandbox.path / "s3" / BUCKET / "audit-report"
    with pcanb.read_audit_reports(folder, latest=False) as reports:
        assert len(reports) == 3
        assert set(reports.files["format"]) == {"JSON", "CSV"}
        # The JSON report predates a revocation: the certificate counts once, as revoked.
        assert reports.sql("SELECT count(*) AS n FROM pca_audit")["n"].iloc[0] == len(expected)
        assert reports.revocation_reasons()["count"].sum() == 2
        check_every_analysis(reports, expected, now, cas)
        same(
            reports.to_pandas()[list(expected.columns)],
            expected,
            ["certificate_arn"],
        )


def test_sql_equals_pandas_on_synthetic_reports(synthetic):
    folder, expected, now = synthetic
    with pcanb.read_audit_reports(folder) as reports:
        assert set(reports.files["format"]) == {"JSON", "CSV"}
        check_every_analysis(reports, expected, now)
        found = reports.bursts("hour", sigma=3.0, min_count=10)
        assert list(found["period"]) == [pd.Timestamp("2026-02-20T13:00Z")]
        assert found["count"].iloc[0] == 80 + 3  # the burst and the hour's usual ones
        shared = reports.sql(
            "SELECT count(*) AS n, sum(CAST(revoked AS INTEGER)) AS r FROM pca_audit "
            "WHERE certificate_arn LIKE '%/certificate/00000000000000000000000000002%'"
        )
        assert shared.iloc[0].tolist() == [10, 10]  # 9000..9009 once each, revoked


def test_the_emitted_athena_text_runs_as_it_is(audited):
    pca, cas, expected, now = audited
    sql = pcanb.athena_sql(f"s3://{BUCKET}/audit-report", now=now, cas=cas, by="ca_id")
    with pcanb.read_audit_reports(f"s3://{BUCKET}/audit-report/", s3=pca.s3) as reports:
        connection = duckdb.connect()
        for statement in athena.DUCKDB_SHIMS:
            connection.execute(statement)
        connection.execute(reports._raw_sql())
        connection.execute(sql.create_typed_view)
        connection.execute(sql.create_view)
        view = connection.sql("SELECT * FROM pca_audit").df()
        typed = expected[list(athena.VIEW_COLUMNS)]
        same(view, typed, ["certificate_arn"])
        assert "Example, Inc" in set(view["organization"])  # the escaped comma survived
        results = {name: connection.sql(query).df() for name, query in sql.queries.items()}
    same(results["activity"], act.activity(expected, "week", "ca_id"), ["period", "event", "group"])
    same(results["revocation_reasons"], act.revocation_reasons(expected), ["revocation_reason"])
    same(results["validity_distribution"], act.validity_distribution(expected), ["min_days"])
    same(
        results["expiring"],
        exp.expiring(expected, 30, now=now)[EXPIRING_COLUMNS],
        ["certificate_arn"],
    )
    # 2 days and 49 hours after issuing: svc0 (10 d) has 6 days left, svc1 (25 d) is revoked,
    # svc2 (45 d) has 41.
    assert list(results["expiring"]["common_name"]) == ["svc0.example.com"]
    same(results["expiry_by_week"], exp.expiry_by_week(expected, now=now), ["week", "band"])
    same(results["bursts"], act.bursts(expected, "hour"), ["period", "group"])
    same(
        results["near_ca_expiry"],
        exp.near_ca_expiry(expected, cas, 30)[[*CA_COLUMNS, "days_before_ca_expiry"]],
        ["certificate_arn"],
    )
    same(
        results["outliving_ca"],
        exp.outliving_ca(expected, cas)[[*CA_COLUMNS, "days_beyond_ca"]],
        ["certificate_arn"],
    )


def test_create_table_over_the_prefix():
    sql = pcanb.athena_sql("s3://pki-audit/audit-report", database="pki", table="reports")
    ddl = sql.create_table
    assert ddl.startswith("CREATE EXTERNAL TABLE IF NOT EXISTS pki.reports (")
    columns = [line.split()[0] for line in ddl.splitlines()[1:12]]
    assert columns == list(AWS_FIELDS)  # AWS's CSV header order, every field a string
    assert all(line.strip().rstrip(",").endswith(" string") for line in ddl.splitlines()[1:12])
    assert "LOCATION 's3://pki-audit/audit-report/'" in ddl
    assert "OpenCSVSerde" in ddl and "'skip.header.line.count' = '1'" in ddl
    assert "FROM pki.reports" in sql.create_typed_view
    assert sql.create_view.startswith("CREATE OR REPLACE VIEW pki.pca_audit AS")
    assert "FROM pki.pca_audit\n" in sql["activity"] or "FROM pki.pca_audit " in sql["activity"]
    script = str(sql)
    statements = [sql.create_table, sql.create_typed_view, sql.create_view, *sql.queries.values()]
    assert all(statement + ";" in script for statement in statements)
    assert "-- bursts" in script and "outliving_ca" not in sql.queries  # no CAs given


def test_sql_arguments_are_checked():
    with pytest.raises(PcanbError, match="s3://"):
        pcanb.athena_sql("/tmp/reports")
    with pytest.raises(PcanbError, match="by must be one of"):
        athena.activity_sql("week", "template; DROP TABLE x")
    with pytest.raises(PcanbError, match="plain SQL name"):
        pcanb.athena_sql("s3://b/p/", database="pki; --")
    with pytest.raises(PcanbError, match="hour, day"):
        athena.bursts_sql("minute")
    with pytest.raises(PcanbError, match="no CA"):
        athena.outliving_ca_sql(pd.DataFrame({"arn": [], "not_after": []}))
    assert athena.quote("it's") == "'it''s'"


def test_without_duckdb_the_same_answers_come_from_pandas(synthetic, monkeypatch):
    folder, expected, now = synthetic
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb now raises ImportError
    with pcanb.read_audit_reports(folder) as reports:
        same(reports.activity("week", "template"), act.activity(expected, "week", "template"),
             ["period", "event", "group"])  # fmt: skip
        same(reports.expiring(30, now=now),
             exp.expiring(expected, 30, now=now)[EXPIRING_COLUMNS], ["certificate_arn"])  # fmt: skip
        with pytest.raises(ImportError):
            reports.sql("SELECT 1")


def test_reading_checks_its_source(tmp_path):
    with pytest.raises(PcanbError, match=r"s3=pca\.s3"):
        pcanb.read_audit_reports("s3://bucket/audit-report/")
    with pytest.raises(PcanbError, match="does not exist"):
        pcanb.read_audit_reports(tmp_path / "missing")
    empty = pcanb.read_audit_reports(tmp_path)
    assert len(empty) == 0 and empty.to_pandas().empty
    assert empty.activity("week").empty
    empty.close()


def test_batches_stream_one_report_at_a_time(synthetic):
    folder, expected, _ = synthetic
    reports = pcanb.read_audit_reports(folder)
    sizes = [len(batch) for batch in reports.batches()]
    assert len(sizes) == 2 and sum(sizes) == len(expected) + 10  # the shared ten, twice
    assert "2 reports" in repr(reports)
