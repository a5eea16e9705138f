"""``read_audit_report`` on hand-written reports in AWS's documented layout, and on broken ones.

The fixtures under ``tests/fixtures/`` were written by hand from the documented format
(pca-behavior §8.2), not produced by the sandbox: a revoked row, a row requested by ACM, a
subject with OID=#hex attributes and an escaped comma (quoted in the CSV), an account id with
a leading zero.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pcanb.analysis import reports
from pcanb.analysis.reports import (
    AWS_FIELDS,
    TYPED_COLUMNS,
    combine_reports,
    empty_report,
    read_audit_report,
)

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE_JSON = FIXTURES / "audit-report-sample.json"
SAMPLE_CSV = FIXTURES / "audit-report-sample.csv"
CA_ID = "11223344-5566-4788-99aa-bbccddeeff00"
CA_ARN = f"arn:aws:acm-pca:us-east-1:012345678901:certificate-authority/{CA_ID}"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def sample_rows() -> list[dict]:
    return json.loads(SAMPLE_JSON.read_text())


def sample_lines() -> list[str]:
    return SAMPLE_CSV.read_text().splitlines()


def as_json(rows: list) -> bytes:
    return json.dumps(rows).encode()


def as_csv(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return read_audit_report(SAMPLE_JSON)


# -- the hand-written sample ------------------------------------------------------------------------


def test_json_and_csv_give_the_same_typed_frame(sample):
    from_csv = read_audit_report(SAMPLE_CSV)
    pd.testing.assert_frame_equal(sample, from_csv)
    assert list(sample.columns) == [*AWS_FIELDS, *TYPED_COLUMNS]
    assert sample.attrs["problems"] == 0
    assert sample["problem"].isna().all()


def test_column_types(sample):
    for column in ("not_before", "not_after", "issued_at", "revoked_at"):
        assert str(sample[column].dtype) == "datetime64[us, UTC]", column
    assert isinstance(sample["template"].dtype, pd.CategoricalDtype)
    assert isinstance(sample["revocation_reason"].dtype, pd.CategoricalDtype)
    assert sample["revoked"].dtype == bool
    assert sample["validity_days"].dtype == "float64"
    for column in (*AWS_FIELDS, "account_id", "ca_arn", "serial_hex", "common_name"):
        assert isinstance(sample[column].dtype, pd.StringDtype), column


def test_account_id_keeps_its_leading_zero():
    for source in (SAMPLE_JSON, SAMPLE_CSV):
        frame = read_audit_report(source)
        assert frame["awsAccountId"].tolist() == ["012345678901"] * 5
        assert frame["account_id"].tolist() == ["012345678901"] * 5


def test_hand_checked_values(sample):
    first, revoked, by_acm, hex_subject, root = (sample.loc[i] for i in range(5))
    assert set(sample["ca_arn"]) == {CA_ARN}
    assert set(sample["ca_id"]) == {CA_ID}
    assert first["certificate_arn"] == f"{CA_ARN}/certificate/6707447683a9b7f4055627ffd55cebcc"
    assert first["serial_hex"] == "67:07:44:76:83:a9:b7:f4:05:56:27:ff:d5:5c:eb:cc"
    assert first["common_name"] == "www.example1.com"
    assert first["organization"] == "Example Company"
    assert first["not_before"] == utc("2020-02-26 18:39:57")
    assert first["not_after"] == utc("2021-02-26 19:39:57")
    assert first["issued_at"] == utc("2020-02-26 19:39:58")
    assert first["validity_days"] == pytest.approx(366 + 1 / 24)  # 2020 is a leap year
    assert first["template"] == "EndEntityCertificate"
    assert not first["revoked"] and pd.isna(first["revoked_at"])
    assert pd.isna(first["revocation_reason"]) and pd.isna(first["requested_by"])

    assert revoked["revoked"]
    assert revoked["revoked_at"] == utc("2021-06-15 12:30:45")
    assert revoked["revocation_reason"] == "KEY_COMPROMISE"
    assert revoked["template"] == "EndEntityServerAuthCertificate"

    assert by_acm["requested_by"] == "acm.amazonaws.com"
    assert by_acm["requestedByServicePrincipal"] == "acm.amazonaws.com"
    assert pd.isna(by_acm["organization"])

    # OID=#hex attributes are left as they are; the escaped comma is decoded in the typed column.
    assert hex_subject["subject"] == (
        "2.5.4.5=#13053132333435,2.5.4.12=#0c074d616e61676572,"
        "CN=hex.example.com,O=Example\\, Inc.,C=US"
    )
    assert hex_subject["common_name"] == "hex.example.com"
    assert hex_subject["organization"] == "Example, Inc."
    assert hex_subject["template"] == "BlankEndEntityCertificate_APICSRPassthrough"
    assert hex_subject["validity_days"] == pytest.approx(29 + 1 / 24)

    assert root["template"] == "RootCACertificate"
    assert root["common_name"] == "Example Root CA"
    assert root["not_after"] == utc("2030-01-01")
    assert sorted(sample["template"].cat.categories) == [
        "BlankEndEntityCertificate_APICSRPassthrough", "EndEntityCertificate",
        "EndEntityServerAuthCertificate", "RootCACertificate",
    ]  # fmt: skip
    assert list(sample["revocation_reason"].cat.categories) == ["KEY_COMPROMISE"]
    assert sample["revoked"].tolist() == [False, True, False, False, False]


def test_sources_bytes_text_path_and_s3(pca, sample):
    data = SAMPLE_CSV.read_bytes()
    pd.testing.assert_frame_equal(read_audit_report(data), sample)
    pd.testing.assert_frame_equal(read_audit_report(str(SAMPLE_CSV)), sample)
    pd.testing.assert_frame_equal(read_audit_report(memoryview(data), format="csv"), sample)
    pca.s3.create_bucket(Bucket="reports")
    pca.s3.put_object(Bucket="reports", Key="audit-report/x/r.csv", Body=data)
    from_s3 = read_audit_report("s3://reports/audit-report/x/r.csv", s3=pca.s3)
    pd.testing.assert_frame_equal(from_s3, sample)


def test_older_subject_key(sample):
    rows = sample_rows()
    for row in rows:
        row["Subject"] = row.pop("subject")
    old = read_audit_report(as_json(rows))
    pd.testing.assert_frame_equal(old, sample)


def test_byte_order_mark_and_crlf(sample):
    data = b"\xef\xbb\xbf" + SAMPLE_CSV.read_bytes().replace(b"\n", b"\r\n")
    pd.testing.assert_frame_equal(read_audit_report(data), sample)


def test_empty_reports():
    empty = empty_report()
    assert list(empty.columns) == [*AWS_FIELDS, *TYPED_COLUMNS]
    assert len(empty) == 0
    pd.testing.assert_frame_equal(read_audit_report(b"[]"), empty)
    pd.testing.assert_frame_equal(read_audit_report(as_csv(sample_lines()[:1])), empty)


def test_combine_reports_keeps_categoricals(sample):
    other = read_audit_report(as_json(sample_rows()[:1]))
    combined = combine_reports([sample, other])
    assert len(combined) == 6
    assert isinstance(combined["template"].dtype, pd.CategoricalDtype)
    assert isinstance(combined["revocation_reason"].dtype, pd.CategoricalDtype)
    assert list(combined.index) == list(range(6))


# -- malformed rows are kept, with the problem said ----------------------------------------------------


def _with(index: int, **changes) -> bytes:
    rows = sample_rows()
    rows[index].update(changes)
    return as_json([{k: v for k, v in row.items() if v is not ...} for row in rows])


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (_with(0, notBefore="2020-02-30T00:00:00+0000"), "unreadable notBefore"),
        (_with(0, issuedAt="yesterday"), "unreadable issuedAt"),
        (_with(0, notAfter="2021-02-26 19:39:57"), "unreadable notAfter"),
        (_with(0, revokedAt="2021-06-15T12:30:45.123+0000"), "unreadable revokedAt"),
        (_with(0, serial="zz:zz"), "unreadable serial"),
        (_with(0, subject={"CN": "x"}), "subject is not a string"),
        (_with(0, notBefore=1582742397), "notBefore is not a string"),
        (_with(0, certificateArn=...), "no certificateArn"),
    ],
    ids=["30-february", "words", "no-zone", "fraction", "serial", "object", "number", "no-arn"],
)
def test_malformed_field(data, problem):
    frame = read_audit_report(data)
    assert len(frame) == 5  # the row is kept
    assert frame.loc[0, "problem"] == problem
    assert frame["problem"].iloc[1:].isna().all()
    assert frame.attrs["problems"] == 1
    assert frame.loc[1, "revoked_at"] == utc("2021-06-15 12:30:45")  # the other rows are intact


def test_bad_timestamp_is_not_a_date_and_the_rest_of_the_row_stays():
    frame = read_audit_report(_with(0, notBefore="2020-02-30T00:00:00+0000"))
    assert pd.isna(frame.loc[0, "not_before"])  # not rolled over to 1 March
    assert frame.loc[0, "notBefore"] == "2020-02-30T00:00:00+0000"
    assert frame.loc[0, "not_after"] == utc("2021-02-26 19:39:57")
    assert frame.loc[0, "common_name"] == "www.example1.com"
    assert pd.isna(frame.loc[0, "validity_days"])


def test_first_problem_wins():
    frame = read_audit_report(_with(0, notBefore="nope", serial="zz", certificateArn=...))
    assert frame.loc[0, "problem"] == "unreadable notBefore"


def test_row_that_is_not_an_object():
    rows: list = sample_rows()
    rows.insert(2, 42)
    rows.append(["a", "list"])
    frame = read_audit_report(as_json(rows))
    assert len(frame) == 7
    assert frame["problem"].tolist()[2] == "not an object"
    assert frame["problem"].tolist()[6] == "not an object"
    assert frame.attrs["problems"] == 2
    assert frame["certificateArn"].isna().tolist() == [
        False,
        False,
        True,
        False,
        False,
        False,
        True,
    ]
    assert frame.loc[3, "requested_by"] == "acm.amazonaws.com"


def test_serial_spellings_are_normalised():
    frame = read_audit_report(_with(0, serial="6707447683A9B7F4055627FFD55CEBCC"))
    assert frame.loc[0, "serial_hex"] == "67:07:44:76:83:a9:b7:f4:05:56:27:ff:d5:5c:eb:cc"
    frame = read_audit_report(_with(0, serial="0xabc"))
    assert frame.loc[0, "serial_hex"] == "0a:bc"
    assert frame.attrs["problems"] == 0


def test_other_time_zone_offsets_are_converted():
    frame = read_audit_report(_with(0, notBefore="2020-02-26T19:39:57+0100"))
    assert frame.loc[0, "not_before"] == utc("2020-02-26 18:39:57")
    assert pd.isna(frame.loc[0, "problem"])


def test_short_and_long_csv_rows():
    lines = sample_lines()
    lines[2] = ",".join(lines[2].split(",")[:3])  # row 1 cut after the certificate ARN
    lines[3] = lines[3] + ",extra"  # row 2 one field too many
    frame = read_audit_report(as_csv(lines))
    assert len(frame) == 5
    assert frame["problem"].tolist()[1:3] == [
        "3 fields where the header has 11",
        "12 fields where the header has 11",
    ]
    assert frame.loc[1, "certificateArn"].endswith("9b89f1fe995582fb806feb4b7aafad93")
    assert pd.isna(frame.loc[1, "serial"])
    assert frame.loc[2, "requested_by"] == "acm.amazonaws.com"  # the fields it has are kept
    assert frame.attrs["problems"] == 2


def test_csv_that_is_not_utf8_is_read():
    latin1 = SAMPLE_CSV.read_text().replace("Seattle", "Séattle").encode("latin-1")
    frame = read_audit_report(latin1)
    assert len(frame) == 5
    assert "attle" in frame.loc[0, "subject"]


# -- files that are no audit report: a clear ValueError -----------------------------------------------


@pytest.mark.parametrize(
    ("data", "fmt", "words"),
    [
        (bytes(range(256)) * 4, None, "not an AWS Private CA audit report"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, "not an AWS Private CA audit report"),
        (b"hello,world\n1,2\n", None, "not an AWS Private CA audit report"),
        (SAMPLE_JSON.read_bytes()[:300], None, "not valid JSON"),
        (SAMPLE_CSV.read_bytes(), "JSON", "not valid JSON"),
        (SAMPLE_JSON.read_bytes(), "CSV", "not an AWS Private CA audit report"),
        (b'"just a string"', None, "not an AWS Private CA audit report"),
        (b'"just a string"', "JSON", "one array of objects"),
        (b"", None, "empty"),
        (b"  \n", None, "empty"),
        (b"[]", "XML", "JSON or CSV"),
    ],
    ids=[
        "binary",
        "png",
        "other-csv",
        "truncated-json",
        "csv-as-json",
        "json-as-csv",
        "json-string",
        "json-string-as-json",
        "empty",
        "blank",
        "bad-format",
    ],
)
def test_unreadable_files(data, fmt, words):
    with pytest.raises(ValueError, match=words) as excinfo:
        read_audit_report(data, format=fmt)
    # Raised by the parser itself with its own message, not from deep inside a library.
    assert excinfo.traceback[-1].path.name == "reports.py"


def test_unquoted_subject_in_csv():
    """A subject with commas that lost its opening quote spills into the next fields."""
    lines = sample_lines()
    lines[2] = lines[2].replace('"CN=revoked', "CN=revoked")
    frame = read_audit_report(as_csv(lines))
    assert len(frame) == 5
    assert frame.loc[1, "problem"] == "13 fields where the header has 11"
    assert frame.loc[1, "subject"] == "CN=revoked.example.com"
    assert frame["problem"].isna().sum() == 4


# -- the Arrow path and the pandas path give the same frame ----------------------------------------------


def _other_ca(rows: list[dict], region: str) -> list[dict]:
    moved = []
    for row in rows:
        row = dict(row)
        row["certificateArn"] = row["certificateArn"].replace("us-east-1", region)
        moved.append(row)
    return moved


EQUIVALENCE = {
    "json": SAMPLE_JSON.read_bytes(),
    "csv": SAMPLE_CSV.read_bytes(),
    "not-an-object": as_json([*sample_rows()[:2], 42, *sample_rows()[2:]]),
    "30-february": _with(0, notBefore="2020-02-30T00:00:00+0000"),
    "leading-space": _with(0, notBefore=" 2020-02-26T18:39:57+0000"),
    "offset": _with(0, notAfter="2020-02-26T18:39:57+0100"),
    "serial-upper": _with(0, serial="ABCDEF"),
    "serial-bad": _with(0, serial="zz"),
    "serial-newline": _with(0, serial="ab:cd\n"),
    "template-newline": _with(
        0, templateArn="arn:aws:acm-pca:::template/EndEntityCertificate/V1\n"
    ),
    "unknown-template": _with(0, templateArn="something else"),
    "subject-object": _with(0, subject={"a": 1}),
    "multi-valued-rdn": _with(0, subject="CN=a\\+b+O=c\\,d,C=US"),
    "cn-not-first": _with(0, subject="OU=x,CN=y\\,z,O=o"),
    "empty-string": _with(0, revokedAt=""),
    "no-arn": _with(0, certificateArn=None),
    "arn-without-certificate": _with(0, certificateArn="arn:aws:acm-pca:eu-west-1:1:x/y"),
    "non-ascii-arn": _with(0, certificateArn=f"{CA_ARN}é/certificate/ab"),
    "several-cas": as_json(
        sample_rows()
        + _other_ca(sample_rows(), "ap-southeast-2")
        + _other_ca(sample_rows(), "eu-west-1")
    ),
    "short-csv-row": as_csv([*sample_lines()[:2], "012345678901,,arn:x"]),
    "latin1-csv": SAMPLE_CSV.read_text().replace("Seattle", "Séattle").encode("latin-1"),
    "empty-json": b"[]",
}


@pytest.mark.parametrize("case", list(EQUIVALENCE))
def test_arrow_and_pandas_paths_agree(case, monkeypatch):
    pytest.importorskip("pyarrow")
    data = EQUIVALENCE[case]
    with_arrow = read_audit_report(data)
    monkeypatch.setattr(reports, "_arrow", lambda: None)
    with_pandas = read_audit_report(data)
    pd.testing.assert_frame_equal(with_arrow, with_pandas)
    assert with_arrow.attrs == with_pandas.attrs


def test_arrow_path_in_threads(monkeypatch):
    """Columns computed side by side in threads give the same frame."""
    pytest.importorskip("pyarrow")
    rows = [dict(row) for row in sample_rows() * 200]
    rows[7]["notBefore"] = "2021-02-29T00:00:00+0000"
    rows[9]["serial"] = "ABCD"
    data = as_json(rows)
    monkeypatch.setattr(reports, "_THREADED_ROWS", 1)
    monkeypatch.setattr(reports.os, "cpu_count", lambda: 4)
    with_arrow = read_audit_report(data)
    monkeypatch.setattr(reports, "_arrow", lambda: None)
    with_pandas = read_audit_report(data)
    pd.testing.assert_frame_equal(with_arrow, with_pandas)
    assert with_arrow.attrs["problems"] == 1
    assert with_arrow.loc[7, "problem"] == "unreadable notBefore"
    assert with_arrow.loc[9, "serial_hex"] == "ab:cd"
