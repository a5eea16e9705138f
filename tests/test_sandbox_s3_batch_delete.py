"""DeleteObjects in the sandbox's S3: boto3's batch deletes, the request S3 checks, and who may."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from xml.etree import ElementTree

import pytest
from botocore.config import Config
from conftest import S3_SIGNED, code_of, error_of

from pcanb.sandbox.s3 import S3

BUCKET = "batch-bucket"
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


@pytest.fixture
def s3(pca) -> Any:
    """The sandbox's boto3 S3 client (one attempt per call), with ``batch-bucket`` created."""
    client = pca.sandbox.boto3_session().client(
        "s3", config=Config(retries={"total_max_attempts": 1})
    )
    client.create_bucket(Bucket=BUCKET)
    return client


def keys(s3: Any) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def delete_body(*names: str, quiet: bool = False) -> bytes:
    objects = "".join(f"<Object><Key>{name}</Key></Object>" for name in names)
    flag = "<Quiet>true</Quiet>" if quiet else ""
    return f'<Delete xmlns="{NS[1:-1]}">{objects}{flag}</Delete>'.encode()


def md5_header(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def post_delete(store: S3, body: bytes, **headers: str) -> tuple[int, dict[str, str], bytes]:
    signed = {**S3_SIGNED, **{k.replace("_", "-"): v for k, v in headers.items()}}
    return store.handle("POST", f"/{BUCKET}?delete", signed, body)


def xml_code(body: bytes) -> str | None:
    return ElementTree.fromstring(body).findtext("Code")


def test_deleted_keys_and_missing_keys_are_both_deleted(s3):
    for key in ("a", "dir/b", "dir/c", "keep"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    answer = s3.delete_objects(
        Bucket=BUCKET,
        Delete={"Objects": [{"Key": "a"}, {"Key": "dir/b"}, {"Key": "never-there"}]},
    )
    assert [d["Key"] for d in answer["Deleted"]] == ["a", "dir/b", "never-there"]
    assert "Errors" not in answer
    assert keys(s3) == ["dir/c", "keep"]


def test_quiet_lists_only_errors(s3):
    s3.put_object(Bucket=BUCKET, Key="a", Body=b"x")
    quiet = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "a"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert keys(s3) == []


def test_a_key_that_cannot_be_deleted_is_an_error_entry_and_the_rest_go(s3):
    for key in ("a", "b"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    answer = s3.delete_objects(
        Bucket=BUCKET,
        Delete={
            "Objects": [{"Key": "a", "VersionId": "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd"}, {"Key": "b"}],
            "Quiet": True,
        },
    )
    assert answer["Errors"] == [
        {
            "Key": "a",
            "VersionId": "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd",
            "Code": "InvalidArgument",
            "Message": "Invalid version id specified",
        }
    ]
    assert "Deleted" not in answer
    assert keys(s3) == ["a"]
    # the null version is the only one of an unversioned bucket, and is echoed
    answer = s3.delete_objects(
        Bucket=BUCKET, Delete={"Objects": [{"Key": "a", "VersionId": "null"}]}
    )
    assert answer["Deleted"] == [{"Key": "a", "VersionId": "null"}]
    assert keys(s3) == []


def test_keys_are_taken_exactly_as_written(s3):
    awkward = [" lead", "trail ", "a&b<c>", "ü/ñ", "tab\tkey"]
    for key in awkward:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    answer = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in awkward]})
    assert [d["Key"] for d in answer["Deleted"]] == awkward
    assert keys(s3) == []


def test_boto3_bucket_objects_delete_empties_a_bucket_in_batches(pca, s3):
    names = [f"k/{i:04d}" for i in range(1005)]
    store = pca.sandbox.s3
    for name in names:
        store.put_object(BUCKET, name, b"")
    bucket = pca.sandbox.boto3_session().resource("s3").Bucket(BUCKET)
    answers = bucket.objects.delete()
    assert [len(a["Deleted"]) for a in answers] == [1000, 5]
    assert keys(s3) == []
    s3.delete_bucket(Bucket=BUCKET)


def test_more_than_1000_keys_or_none_is_malformed(pca, s3):
    too_many = {"Objects": [{"Key": f"k{i}"} for i in range(1001)]}
    response = error_of(lambda: s3.delete_objects(Bucket=BUCKET, Delete=too_many))
    assert response["Error"]["Code"] == "MalformedXML"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    for body in (
        delete_body(),
        b"",
        b"<Delete><Object><VersionId>null</VersionId></Object></Delete>",
        b"<Delete><Object><Key>a</Key></Object><Quiet>maybe</Quiet></Delete>",
        b"<Remove><Object><Key>a</Key></Object></Remove>",
    ):
        status, _, answer = post_delete(pca.sandbox.s3, body, Content_MD5=md5_header(body))
        assert (status, xml_code(answer)) == (400, "MalformedXML"), body


def test_content_md5_or_a_checksum_is_required(pca, s3):
    store = pca.sandbox.s3
    store.put_object(BUCKET, "a", b"x")
    body = delete_body("a")
    status, _, answer = post_delete(store, body)
    assert status == 400
    root = ElementTree.fromstring(answer)
    assert root.findtext("Code") == "InvalidRequest"
    assert root.findtext("Message") == (
        "Missing required header for this request: Content-MD5 OR x-amz-checksum-*"
    )
    assert keys(s3) == ["a"]
    status, _, answer = post_delete(store, body, Content_MD5=md5_header(b"other"))
    assert (status, xml_code(answer)) == (400, "BadDigest")
    status, _, answer = post_delete(store, body, Content_MD5=md5_header(body))
    assert status == 200
    assert [k.text for k in ElementTree.fromstring(answer).iter(f"{NS}Key")] == ["a"]
    assert keys(s3) == []


def test_boto3_sends_a_checksum_even_when_checksums_are_only_when_required(pca, s3):
    plain = pca.sandbox.boto3_session().client(
        "s3", config=Config(request_checksum_calculation="when_required")
    )
    s3.put_object(Bucket=BUCKET, Key="a", Body=b"x")
    assert plain.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "a"}]})["Deleted"]


def test_missing_bucket_and_unemulated_parts_of_the_request(s3):
    missing = lambda: s3.delete_objects(  # noqa: E731
        Bucket="no-such-bucket", Delete={"Objects": [{"Key": "a"}]}
    )
    assert code_of(missing) == "NoSuchBucket"
    conditional = error_of(
        lambda: s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "a", "ETag": "x"}]})
    )
    assert conditional["Error"]["Code"] == "NotImplemented"
    assert "ETag in the objects of S3 operation DeleteObjects" in conditional["Error"]["Message"]
    mfa = error_of(
        lambda: s3.delete_objects(
            Bucket=BUCKET, Delete={"Objects": [{"Key": "a"}]}, MFA="serial 123456"
        )
    )
    assert mfa["Error"]["Code"] == "NotImplemented"
    assert "x-amz-mfa" in mfa["Error"]["Message"]


def test_read_only_sandbox_and_anonymous_callers_are_refused(pca, s3, tmp_path):
    store = pca.sandbox.s3
    store.put_object(BUCKET, "a", b"x")
    reader = S3(
        store.root, now=store._now, account=store.account, region="us-east-1", read_only=True
    )
    body = delete_body("a")
    status, _, answer = post_delete(reader, body, Content_MD5=md5_header(body))
    assert (status, xml_code(answer)) == (403, "AccessDenied")
    assert b"read-only" in answer
    anonymous = store.handle("POST", f"/{BUCKET}?delete", {"Content-MD5": md5_header(body)}, body)
    assert (anonymous[0], xml_code(anonymous[2])) == (403, "AccessDenied")
    assert keys(s3) == ["a"]


def test_aws_cli_rm_recursive_deletes_in_batches(tmp_path, aws_cli):
    from pcanb.sandbox import Sandbox
    from pcanb.sandbox.server import serve_in_thread

    box = Sandbox(tmp_path / "sandbox")
    server, url = serve_in_thread(box, idle_timeout=1.0)
    try:
        box.s3.create_bucket("cli-rm")
        for name in ("logs/a.txt", "logs/deep/b.txt", "logs/c d.txt", "keep.txt"):
            box.s3.put_object("cli-rm", name, b"x")
        removed = aws_cli(url, "s3", "rm", "--recursive", "s3://cli-rm/logs/")
        assert removed.returncode == 0, removed.stderr
        assert sorted(removed.stdout.split("\n")) == sorted(
            [
                "",
                "delete: s3://cli-rm/logs/a.txt",
                "delete: s3://cli-rm/logs/c d.txt",
                "delete: s3://cli-rm/logs/deep/b.txt",
            ]
        )
        listed = aws_cli(url, "s3api", "list-objects-v2", "--bucket", "cli-rm")
        assert '"keep.txt"' in listed.stdout and "logs/" not in listed.stdout
        batch = aws_cli(
            url, "s3api", "delete-objects", "--bucket", "cli-rm",
            "--delete", '{"Objects": [{"Key": "keep.txt"}, {"Key": "gone"}], "Quiet": false}',
        )  # fmt: skip
        assert batch.returncode == 0, batch.stderr
        assert '"Key": "gone"' in batch.stdout
        with pytest.raises(KeyError):
            box.s3.get_object("cli-rm", "keep.txt")
    finally:
        server.shutdown()
        server.server_close()
        box.close()
