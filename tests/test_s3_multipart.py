"""Multipart uploads and copies in the sandbox's S3: through boto3 as users call it, and through
the AWS CLI over HTTP against ``pcanb sandbox serve``."""

from __future__ import annotations

import base64
import dataclasses
import errno
import hashlib
import io
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from conftest import aws_cli_runner, code_of, error_of
from test_robustness_support import free_port, serve_process

MIB = 1024 * 1024
BUCKET = "mp-bucket"


@pytest.fixture
def box(pca):
    return pca.sandbox


@pytest.fixture
def s3(box) -> Any:
    """The sandbox's boto3 S3 client (one attempt per call), with ``mp-bucket`` created."""
    client = box.boto3_session().client("s3", config=Config(retries={"total_max_attempts": 1}))
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def plain(box) -> Any:
    """An S3 client that sends checksums only where the operation requires them."""
    return box.boto3_session().client(
        "s3",
        config=Config(
            retries={"total_max_attempts": 1},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def crc32(data: bytes) -> bytes:
    return zlib.crc32(data).to_bytes(4, "big")


def multipart_etag(parts: list[bytes]) -> str:
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'


def upload_files(box) -> list[Path]:
    """Every file the sandbox keeps for unfinished uploads, and every temp file."""
    meta = box.s3.root / ".meta"
    found = [*meta.joinpath("uploads").rglob("*"), *meta.joinpath("tmp").rglob("*")]
    return [p for p in found if not p.is_dir()]


def start(s3: Any, key: str, **create: Any) -> str:
    return s3.create_multipart_upload(Bucket=BUCKET, Key=key, **create)["UploadId"]


def put_parts(s3: Any, key: str, upload_id: str, parts: list[bytes], **extra: Any) -> list[dict]:
    done = []
    for number, body in enumerate(parts, start=1):
        answer = s3.upload_part(
            Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=number, Body=body, **extra
        )
        entry = {"PartNumber": number, "ETag": answer["ETag"]}
        for name in ("ChecksumCRC32", "ChecksumSHA256", "ChecksumSHA1", "ChecksumCRC32C"):
            if name in answer:
                entry[name] = answer[name]
        done.append(entry)
    return done


def complete(s3: Any, key: str, upload_id: str, parts: list[dict], **extra: Any) -> dict:
    return s3.complete_multipart_upload(
        Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}, **extra
    )


# --- boto3 -----------------------------------------------------------------------------------


def test_upload_file_above_the_threshold_is_a_multipart_upload(s3, box, tmp_path):
    data = os.urandom(11 * MIB + 7)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    sent: list[str] = []
    s3.meta.events.register(
        "before-call.s3", lambda model, **_: sent.append(model.name), unique_id="count"
    )
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    extra = {"ContentType": "application/x-demo", "Metadata": {"origin": "test"}}
    s3.upload_file(str(source), BUCKET, "dir/big.bin", Config=config, ExtraArgs=extra)
    assert sent.count("UploadPart") == 3 and "CompleteMultipartUpload" in sent
    parts = [data[: 5 * MIB], data[5 * MIB : 10 * MIB], data[10 * MIB :]]

    got = s3.get_object(Bucket=BUCKET, Key="dir/big.bin", ChecksumMode="ENABLED")
    assert got["Body"].read() == data
    assert got["ETag"] == multipart_etag(parts)
    assert got["ContentType"] == "application/x-demo"
    assert got["Metadata"] == {"origin": "test"}
    # s3transfer asks for CRC32: a composite checksum, the CRC32 of the parts' CRC32s
    assert got["ChecksumCRC32"] == b64(crc32(b"".join(crc32(p) for p in parts))) + "-3"
    assert got["ChecksumType"] == "COMPOSITE"
    listed = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [(o["Key"], o["Size"], o["ETag"]) for o in listed] == [
        ("dir/big.bin", len(data), multipart_etag(parts))
    ]
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert box.s3.object_path(BUCKET, "dir/big.bin").read_bytes() == data
    assert upload_files(box) == []
    target = tmp_path / "back.bin"
    s3.download_file(BUCKET, "dir/big.bin", str(target), Config=config)
    assert target.read_bytes() == data


def test_an_upload_is_invisible_until_completed(s3, box):
    upload_id = start(s3, "k.txt", ContentType="text/plain", Metadata={"a": "1"})
    parts = put_parts(s3, "k.txt", upload_id, [b"x" * (5 * MIB), b"tail"])
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)
    assert code_of(lambda: s3.head_object(Bucket=BUCKET, Key="k.txt")) == "404"
    assert not box.s3.object_path(BUCKET, "k.txt").exists()
    uploads = s3.list_multipart_uploads(Bucket=BUCKET)["Uploads"]
    assert [(u["Key"], u["UploadId"], u["StorageClass"]) for u in uploads] == [
        ("k.txt", upload_id, "STANDARD")
    ]
    listed = s3.list_parts(Bucket=BUCKET, Key="k.txt", UploadId=upload_id)
    assert [(p["PartNumber"], p["Size"], p["ETag"]) for p in listed["Parts"]] == [
        (1, 5 * MIB, parts[0]["ETag"]),
        (2, 4, f'"{hashlib.md5(b"tail").hexdigest()}"'),
    ]
    assert "ChecksumAlgorithm" not in listed  # none was named at CreateMultipartUpload
    assert listed["Owner"]["ID"] == s3.list_buckets()["Owner"]["ID"]
    done = complete(s3, "k.txt", upload_id, parts)
    assert done["ETag"] == multipart_etag([b"x" * (5 * MIB), b"tail"])
    assert done["Key"] == "k.txt" and done["Bucket"] == BUCKET
    head = s3.head_object(Bucket=BUCKET, Key="k.txt")
    assert (head["ContentLength"], head["ContentType"], head["Metadata"]) == (
        5 * MIB + 4,
        "text/plain",
        {"a": "1"},
    )
    assert code_of(lambda: s3.list_parts(Bucket=BUCKET, Key="k.txt", UploadId=upload_id)) == (
        "NoSuchUpload"
    )
    assert upload_files(box) == []


def test_each_part_of_a_completed_upload_can_be_read_by_its_number(s3):
    parts = [b"a" * (5 * MIB), b"b" * (5 * MIB + 3), b"tail"]
    upload_id = start(s3, "k", ChecksumAlgorithm="CRC32")
    done = complete(
        s3, "k", upload_id, put_parts(s3, "k", upload_id, parts, ChecksumAlgorithm="CRC32")
    )
    total, offset = sum(map(len, parts)), 0
    for number, data in enumerate(parts, start=1):
        got = s3.get_object(Bucket=BUCKET, Key="k", PartNumber=number, ChecksumMode="ENABLED")
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert got["Body"].read() == data
        assert got["ContentRange"] == f"bytes {offset}-{offset + len(data) - 1}/{total}"
        assert (got["PartsCount"], got["ETag"]) == (3, done["ETag"])
        assert "ChecksumCRC32" not in got  # the whole object's checksum is not the part's
        head = s3.head_object(Bucket=BUCKET, Key="k", PartNumber=number)
        assert (head["ContentLength"], head["PartsCount"]) == (len(data), 3)
        offset += len(data)
    assert "PartsCount" not in s3.head_object(Bucket=BUCKET, Key="k")
    response = error_of(lambda: s3.get_object(Bucket=BUCKET, Key="k", PartNumber=4))
    assert response["Error"]["Code"] == "InvalidPartNumber"
    assert response["Error"]["ActualPartCount"] == "3"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 416
    # a copy is stored in one piece, as S3 stores a copy of up to 5 GB
    s3.copy_object(Bucket=BUCKET, Key="copy", CopySource={"Bucket": BUCKET, "Key": "k"})
    whole = s3.get_object(Bucket=BUCKET, Key="copy", PartNumber=1)
    assert whole["ContentLength"] == total and "PartsCount" not in whole


def test_a_part_uploaded_again_replaces_the_first(s3):
    upload_id = start(s3, "k")
    put_parts(s3, "k", upload_id, [b"first"])
    parts = put_parts(s3, "k", upload_id, [b"second"])
    listed = s3.list_parts(Bucket=BUCKET, Key="k", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in listed] == [(1, 6)]
    complete(s3, "k", upload_id, parts)
    assert s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"second"


def test_parts_out_of_order_are_invalid_part_order(s3):
    upload_id = start(s3, "k")
    parts = put_parts(s3, "k", upload_id, [b"a" * (5 * MIB), b"b"])
    response = error_of(lambda: complete(s3, "k", upload_id, parts[::-1]))
    assert response["Error"]["Code"] == "InvalidPartOrder"
    assert response["Error"]["Message"].startswith("The list of parts was not in ascending order")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    twice = [parts[0], parts[0]]
    assert code_of(lambda: complete(s3, "k", upload_id, twice)) == "InvalidPartOrder"
    complete(s3, "k", upload_id, parts)  # the upload is still there after the refusals


def test_unknown_parts_and_wrong_etags_are_invalid_part(plain):
    plain.create_bucket(Bucket=BUCKET)
    upload_id = start(plain, "k")
    parts = put_parts(plain, "k", upload_id, [b"a" * (5 * MIB), b"b"])
    wrong_etag = [parts[0], {"PartNumber": 2, "ETag": '"0123456789abcdef0123456789abcdef"'}]
    response = error_of(lambda: complete(plain, "k", upload_id, wrong_etag))
    assert response["Error"]["Code"] == "InvalidPart"
    assert response["Error"]["PartNumber"] == "2"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    missing = [*parts, {"PartNumber": 3, "ETag": parts[1]["ETag"]}]
    assert code_of(lambda: complete(plain, "k", upload_id, missing)) == "InvalidPart"
    unquoted = [{"PartNumber": p["PartNumber"], "ETag": p["ETag"].strip('"')} for p in parts]
    complete(plain, "k", upload_id, unquoted)  # S3 takes ETags with or without quotes


def test_small_parts_before_the_last_are_entity_too_small(plain):
    plain.create_bucket(Bucket=BUCKET)
    upload_id = start(plain, "k")
    parts = put_parts(plain, "k", upload_id, [b"a" * (5 * MIB - 1), b"b" * (5 * MIB)])
    response = error_of(lambda: complete(plain, "k", upload_id, parts))
    assert response["Error"]["Code"] == "EntityTooSmall"
    assert response["Error"]["ProposedSize"] == str(5 * MIB - 1)
    assert response["Error"]["MinSizeAllowed"] == str(5 * MIB)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # the last part has no minimum, so a one-part upload may be tiny
    single = start(plain, "one")
    complete(plain, "one", single, put_parts(plain, "one", single, [b"tiny"]))
    assert plain.get_object(Bucket=BUCKET, Key="one")["Body"].read() == b"tiny"


def test_an_empty_part_list_is_malformed_xml(s3):
    upload_id = start(s3, "k")
    put_parts(s3, "k", upload_id, [b"a"])
    assert code_of(lambda: complete(s3, "k", upload_id, [])) == "MalformedXML"


def test_unknown_upload_ids_are_no_such_upload(s3):
    bogus = "x" * 64
    calls = [
        lambda: s3.upload_part(Bucket=BUCKET, Key="k", UploadId=bogus, PartNumber=1, Body=b"a"),
        lambda: complete(s3, "k", bogus, [{"PartNumber": 1, "ETag": '"x"'}]),
        lambda: s3.abort_multipart_upload(Bucket=BUCKET, Key="k", UploadId=bogus),
        lambda: s3.list_parts(Bucket=BUCKET, Key="k", UploadId="../../etc"),
    ]
    for call in calls:
        response = error_of(call)
        assert response["Error"]["Code"] == "NoSuchUpload"
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    upload_id = start(s3, "k")
    other_key = error_of(lambda: s3.list_parts(Bucket=BUCKET, Key="other", UploadId=upload_id))
    assert other_key["Error"]["Code"] == "NoSuchUpload"
    assert other_key["Error"]["UploadId"] == upload_id
    with pytest.raises(s3.exceptions.NoSuchUpload):
        s3.abort_multipart_upload(Bucket=BUCKET, Key="k", UploadId=bogus)
    assert code_of(lambda: s3.list_parts(Bucket="no-such-bucket", Key="k", UploadId=upload_id)) == (
        "NoSuchBucket"
    )


def test_part_numbers_run_from_1_to_10000(s3):
    upload_id = start(s3, "k")
    for number in (0, 10001):
        response = error_of(
            lambda n=number: s3.upload_part(
                Bucket=BUCKET, Key="k", UploadId=upload_id, PartNumber=n, Body=b"a"
            )
        )
        assert response["Error"]["Code"] == "InvalidArgument"
        assert response["Error"]["ArgumentName"] == "partNumber"
    s3.upload_part(Bucket=BUCKET, Key="k", UploadId=upload_id, PartNumber=10000, Body=b"a")


def test_abort_leaves_no_object_and_no_part_files(s3, box):
    upload_id = start(s3, "gone/k.bin")
    put_parts(s3, "gone/k.bin", upload_id, [b"a" * MIB, b"b" * MIB])
    assert len([p for p in upload_files(box) if p.suffix == ".part"]) == 2
    aborted = s3.abort_multipart_upload(Bucket=BUCKET, Key="gone/k.bin", UploadId=upload_id)
    assert aborted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert upload_files(box) == []
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)
    assert not (box.s3.root / BUCKET / "gone").exists()
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert code_of(
        lambda: s3.upload_part(
            Bucket=BUCKET, Key="gone/k.bin", UploadId=upload_id, PartNumber=3, Body=b"c"
        )
    ) == ("NoSuchUpload")
    assert code_of(lambda: complete(s3, "gone/k.bin", upload_id, [])) == "NoSuchUpload"


def test_deleting_a_bucket_drops_its_unfinished_uploads(s3, box):
    upload_id = start(s3, "k")
    put_parts(s3, "k", upload_id, [b"a"])
    s3.delete_bucket(Bucket=BUCKET)
    assert upload_files(box) == []
    s3.create_bucket(Bucket=BUCKET)
    assert code_of(lambda: s3.list_parts(Bucket=BUCKET, Key="k", UploadId=upload_id)) == (
        "NoSuchUpload"
    )


# --- checksums -------------------------------------------------------------------------------


def test_upload_part_checks_content_md5_and_checksums(s3, plain):
    upload_id = start(s3, "k", ChecksumAlgorithm="SHA256")

    def part(client: Any, **extra: Any) -> Any:
        return client.upload_part(
            Bucket=BUCKET, Key="k", UploadId=upload_id, PartNumber=1, Body=b"data", **extra
        )

    wrong_md5 = b64(hashlib.md5(b"other").digest())
    assert code_of(lambda: part(plain, ContentMD5=wrong_md5, ChecksumSHA256=b64(b"x" * 32))) == (
        "BadDigest"
    )
    assert code_of(lambda: part(plain, ChecksumSHA256=b64(hashlib.sha256(b"x").digest()))) == (
        "BadDigest"
    )
    response = error_of(lambda: part(plain, ChecksumCRC32=b64(crc32(b"data"))))
    assert response["Error"]["Code"] == "InvalidRequest"
    assert response["Error"]["Message"] == (
        "Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum Type: crc32"
    )
    # a composite checksum needs every part's checksum
    assert "actual checksum Type: null" in error_of(lambda: part(plain))["Error"]["Message"]
    good = part(s3, ChecksumAlgorithm="SHA256")
    assert good["ChecksumSHA256"] == b64(hashlib.sha256(b"data").digest())
    md5 = b64(hashlib.md5(b"data").digest())
    part(plain, ContentMD5=md5, ChecksumSHA256=good["ChecksumSHA256"])
    assert s3.list_objects_v2(Bucket=BUCKET).get("Contents") is None


def test_composite_checksums_need_each_part_at_completion(s3):
    upload_id = start(s3, "k", ChecksumAlgorithm="SHA256")
    bodies = [b"a" * (5 * MIB), b"b"]
    parts = put_parts(s3, "k", upload_id, bodies, ChecksumAlgorithm="SHA256")
    bare = [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts]
    response = error_of(lambda: complete(s3, "k", upload_id, bare))
    assert response["Error"]["Code"] == "InvalidRequest"
    assert "must include the checksum for each part" in response["Error"]["Message"]
    forged = [parts[0], {**parts[1], "ChecksumSHA256": b64(hashlib.sha256(b"c").digest())}]
    assert code_of(lambda: complete(s3, "k", upload_id, forged)) == "InvalidPart"
    done = complete(s3, "k", upload_id, parts)
    digests = b"".join(hashlib.sha256(b).digest() for b in bodies)
    assert done["ChecksumSHA256"] == b64(hashlib.sha256(digests).digest()) + "-2"
    assert done["ChecksumType"] == "COMPOSITE"
    head = s3.head_object(Bucket=BUCKET, Key="k", ChecksumMode="ENABLED")
    assert (head["ChecksumSHA256"], head["ChecksumType"]) == (done["ChecksumSHA256"], "COMPOSITE")


def test_full_object_crc32_is_the_crc32_of_the_whole_object(s3):
    bodies = [os.urandom(5 * MIB), os.urandom(1000)]
    whole = b"".join(bodies)
    upload_id = start(s3, "k", ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")
    parts = put_parts(s3, "k", upload_id, bodies)
    wrong = b64(crc32(b"not the object"))
    assert code_of(lambda: complete(s3, "k", upload_id, parts, ChecksumCRC32=wrong)) == (
        "BadDigest"
    )
    mode = error_of(lambda: complete(s3, "k", upload_id, parts, ChecksumType="COMPOSITE"))
    assert mode["Error"]["Code"] == "InvalidRequest"
    done = complete(
        s3, "k", upload_id, parts, ChecksumCRC32=b64(crc32(whole)), MpuObjectSize=len(whole)
    )
    assert (done["ChecksumCRC32"], done["ChecksumType"]) == (b64(crc32(whole)), "FULL_OBJECT")
    got = s3.get_object(Bucket=BUCKET, Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == whole  # botocore checks the full-object CRC32 as it reads
    assert got["ChecksumType"] == "FULL_OBJECT"


def test_checksum_modes_s3_refuses(s3):
    for create, code in [
        ({"ChecksumAlgorithm": "SHA256", "ChecksumType": "FULL_OBJECT"}, "InvalidRequest"),
        ({"ChecksumAlgorithm": "CRC64NVME", "ChecksumType": "COMPOSITE"}, "InvalidRequest"),
        ({"ChecksumType": "COMPOSITE"}, "InvalidRequest"),
    ]:
        assert code_of(lambda c=create: start(s3, "k", **c)) == code
    created = s3.create_multipart_upload(Bucket=BUCKET, Key="k", ChecksumAlgorithm="CRC64NVME")
    assert (created["ChecksumAlgorithm"], created["ChecksumType"]) == ("CRC64NVME", "FULL_OBJECT")


def test_mp_object_size_must_match(s3):
    upload_id = start(s3, "k")
    parts = put_parts(s3, "k", upload_id, [b"abc"])
    assert code_of(lambda: complete(s3, "k", upload_id, parts, MpuObjectSize=4)) == (
        "InvalidRequest"
    )
    complete(s3, "k", upload_id, parts, MpuObjectSize=3)


# --- listing ---------------------------------------------------------------------------------


def test_list_parts_pages(s3):
    upload_id = start(s3, "k")
    put_parts(s3, "k", upload_id, [b"1", b"22", b"333"])
    first = s3.list_parts(Bucket=BUCKET, Key="k", UploadId=upload_id, MaxParts=2)
    assert [p["PartNumber"] for p in first["Parts"]] == [1, 2]
    assert first["IsTruncated"] and first["NextPartNumberMarker"] == 2
    rest = s3.list_parts(Bucket=BUCKET, Key="k", UploadId=upload_id, PartNumberMarker=2)
    assert [(p["PartNumber"], p["Size"]) for p in rest["Parts"]] == [(3, 3)]
    assert not rest["IsTruncated"]
    pages = s3.get_paginator("list_parts").paginate(
        Bucket=BUCKET, Key="k", UploadId=upload_id, PaginationConfig={"PageSize": 1}
    )
    assert [p["PartNumber"] for page in pages for p in page["Parts"]] == [1, 2, 3]


def test_list_multipart_uploads_pages_prefixes_and_delimiters(s3):
    keys = ["a", "b", "b", "dir/x", "dir/y", "z"]
    ids = [start(s3, key) for key in keys]
    everything = s3.list_multipart_uploads(Bucket=BUCKET)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in everything] == sorted(
        zip(keys, ids, strict=True), key=lambda pair: (pair[0], ids.index(pair[1]))
    )
    pages = s3.get_paginator("list_multipart_uploads").paginate(
        Bucket=BUCKET, PaginationConfig={"PageSize": 2}
    )
    paged = [(u["Key"], u["UploadId"]) for page in pages for u in page.get("Uploads", [])]
    assert paged == [(u["Key"], u["UploadId"]) for u in everything]
    first = s3.list_multipart_uploads(Bucket=BUCKET, MaxUploads=2)
    assert first["IsTruncated"] and first["NextKeyMarker"] == "b"
    grouped = s3.list_multipart_uploads(Bucket=BUCKET, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["dir/"]
    assert [u["Key"] for u in grouped["Uploads"]] == ["a", "b", "b", "z"]
    under = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="dir/")
    assert [u["Key"] for u in under["Uploads"]] == ["dir/x", "dir/y"]
    after = s3.list_multipart_uploads(Bucket=BUCKET, KeyMarker="b")
    assert [u["Key"] for u in after["Uploads"]] == ["dir/x", "dir/y", "z"]


# --- CopyObject and UploadPartCopy -----------------------------------------------------------


def test_copy_object_copies_bytes_and_metadata(s3):
    s3.create_bucket(Bucket="other-bucket")
    key = "src dir/ü?&+.txt"  # the source key travels URL-encoded in x-amz-copy-source
    s3.put_object(
        Bucket=BUCKET, Key=key, Body=b"payload", ContentType="text/plain", Metadata={"a": "1"},
        CacheControl="max-age=5",
    )  # fmt: skip
    copied = s3.copy_object(
        Bucket="other-bucket", Key="copy.txt", CopySource={"Bucket": BUCKET, "Key": key}
    )
    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"payload").hexdigest()}"'
    got = s3.get_object(Bucket="other-bucket", Key="copy.txt")
    assert got["Body"].read() == b"payload"
    assert (got["ContentType"], got["Metadata"], got["CacheControl"]) == (
        "text/plain", {"a": "1"}, "max-age=5",
    )  # fmt: skip
    # the request's metadata counts only with REPLACE
    s3.copy_object(
        Bucket=BUCKET, Key="kept.txt", CopySource={"Bucket": BUCKET, "Key": key},
        Metadata={"b": "2"}, ContentType="image/png",
    )  # fmt: skip
    kept = s3.head_object(Bucket=BUCKET, Key="kept.txt")
    assert (kept["ContentType"], kept["Metadata"]) == ("text/plain", {"a": "1"})
    s3.copy_object(
        Bucket=BUCKET, Key="replaced.txt", CopySource={"Bucket": BUCKET, "Key": key},
        Metadata={"b": "2"}, ContentType="image/png", MetadataDirective="REPLACE",
    )  # fmt: skip
    replaced = s3.head_object(Bucket=BUCKET, Key="replaced.txt")
    assert (replaced["ContentType"], replaced["Metadata"]) == ("image/png", {"b": "2"})
    assert "CacheControl" not in replaced
    # a version id: buckets are unversioned, so only "null" names the object
    s3.copy_object(
        Bucket=BUCKET, Key="v.txt", CopySource={"Bucket": BUCKET, "Key": key, "VersionId": "null"}
    )
    assert s3.get_object(Bucket=BUCKET, Key="v.txt")["Body"].read() == b"payload"
    versioned = {"Bucket": BUCKET, "Key": key, "VersionId": "3HL4kqtJlcpXroDTDmJ"}
    response = error_of(lambda: s3.copy_object(Bucket=BUCKET, Key="v.txt", CopySource=versioned))
    assert response["Error"]["Code"] == "InvalidArgument"


def test_copy_object_onto_itself_needs_a_change(s3):
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"v", Metadata={"a": "1"})
    response = error_of(
        lambda: s3.copy_object(Bucket=BUCKET, Key="k", CopySource={"Bucket": BUCKET, "Key": "k"})
    )
    assert response["Error"]["Code"] == "InvalidRequest"
    assert response["Error"]["Message"].startswith(
        "This copy request is illegal because it is trying to copy an object to itself"
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    s3.copy_object(
        Bucket=BUCKET, Key="k", CopySource={"Bucket": BUCKET, "Key": "k"},
        MetadataDirective="REPLACE", Metadata={"a": "2"},
    )  # fmt: skip
    head = s3.head_object(Bucket=BUCKET, Key="k")
    assert head["Metadata"] == {"a": "2"}
    assert s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"v"


def test_copy_object_errors(s3):
    def copy(source: Any, **extra: Any) -> Any:
        return s3.copy_object(Bucket=BUCKET, Key="dest", CopySource=source, **extra)

    response = error_of(lambda: copy({"Bucket": BUCKET, "Key": "missing"}))
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "NoSuchKey", 404,
    )  # fmt: skip
    response = error_of(lambda: copy({"Bucket": "no-such-bucket", "Key": "k"}))
    assert response["Error"]["Code"] == "NoSuchBucket"
    assert code_of(
        lambda: s3.copy_object(
            Bucket="no-such-bucket", Key="k", CopySource={"Bucket": BUCKET, "Key": "k"}
        )
    ) == ("NoSuchBucket")
    s3.put_object(Bucket=BUCKET, Key="src", Body=b"v")
    src = {"Bucket": BUCKET, "Key": "src"}
    assert code_of(lambda: copy(src, MetadataDirective="MERGE")) == "InvalidArgument"
    assert code_of(lambda: copy(src, CopySourceIfMatch='"nope"')) == "PreconditionFailed"
    etag = s3.head_object(Bucket=BUCKET, Key="src")["ETag"]
    assert code_of(lambda: copy(src, CopySourceIfNoneMatch=etag)) == "PreconditionFailed"
    copy(src, CopySourceIfMatch=etag)
    assert code_of(lambda: copy(src, ExpectedSourceBucketOwner="999999999999")) == "AccessDenied"
    assert code_of(lambda: copy(src, ExpectedBucketOwner="999999999999")) == "AccessDenied"
    assert code_of(lambda: copy(f"{BUCKET}")) == "InvalidArgument"
    assert "Contents" in s3.list_objects_v2(Bucket=BUCKET)
    assert code_of(lambda: copy(src, IfNoneMatch="*")) == "PreconditionFailed"  # dest exists


def test_copy_object_with_a_new_checksum_algorithm(s3):
    s3.put_object(Bucket=BUCKET, Key="src", Body=b"abc")  # CRC32 by default
    copied = s3.copy_object(
        Bucket=BUCKET, Key="k", CopySource={"Bucket": BUCKET, "Key": "src"},
        ChecksumAlgorithm="SHA256",
    )  # fmt: skip
    assert copied["CopyObjectResult"]["ChecksumSHA256"] == b64(hashlib.sha256(b"abc").digest())
    same = s3.copy_object(Bucket=BUCKET, Key="k2", CopySource={"Bucket": BUCKET, "Key": "src"})
    assert same["CopyObjectResult"]["ChecksumCRC32"] == b64(crc32(b"abc"))


def test_acl_and_public_access_rules_apply_to_uploads_and_copies(s3):
    s3.put_object(Bucket=BUCKET, Key="src", Body=b"v")
    src = {"Bucket": BUCKET, "Key": "src"}
    # ACLs disabled (the default): only bucket-owner-full-control
    assert code_of(lambda: start(s3, "k", ACL="public-read")) == "AccessControlListNotSupported"
    assert code_of(
        lambda: s3.copy_object(Bucket=BUCKET, Key="k", CopySource=src, ACL="public-read")
    ) == ("AccessControlListNotSupported")
    start(s3, "k", ACL="bucket-owner-full-control")
    # ACLs on, public ones blocked by the bucket's Block Public Access
    s3.create_bucket(Bucket="writer-bucket", ObjectOwnership="ObjectWriter")
    assert code_of(
        lambda: s3.create_multipart_upload(Bucket="writer-bucket", Key="k", ACL="public-read")
    ) == ("AccessDenied")
    assert code_of(
        lambda: s3.copy_object(Bucket="writer-bucket", Key="k", CopySource=src, ACL="public-read")
    ) == ("AccessDenied")
    upload_id = start(s3, "owned")
    assert code_of(
        lambda: s3.list_parts(
            Bucket=BUCKET, Key="owned", UploadId=upload_id, ExpectedBucketOwner="999999999999"
        )
    ) == ("AccessDenied")


def test_upload_part_copy_takes_ranges(s3, box):
    source = os.urandom(6 * MIB + 100)
    s3.put_object(Bucket=BUCKET, Key="src", Body=source)
    upload_id = start(s3, "assembled", ChecksumAlgorithm="CRC32")
    src = {"Bucket": BUCKET, "Key": "src"}

    def copy_part(number: int, spec: str | None) -> dict:
        extra = {"CopySourceRange": spec} if spec else {}
        answer = s3.upload_part_copy(
            Bucket=BUCKET, Key="assembled", UploadId=upload_id, PartNumber=number,
            CopySource=src, **extra,
        )  # fmt: skip
        return {"PartNumber": number, "ETag": answer["CopyPartResult"]["ETag"],
                "ChecksumCRC32": answer["CopyPartResult"]["ChecksumCRC32"]}  # fmt: skip

    for spec in ("bytes=5-", "items=0-1", f"bytes=0-{len(source)}", "bytes=9-3"):
        response = error_of(lambda s=spec: copy_part(1, s))
        assert response["Error"]["Code"] == "InvalidArgument", spec
    first = copy_part(1, f"bytes=0-{5 * MIB - 1}")
    assert first["ETag"] == f'"{hashlib.md5(source[: 5 * MIB]).hexdigest()}"'
    second = copy_part(2, f"bytes={5 * MIB}-{len(source) - 1}")
    complete(s3, "assembled", upload_id, [first, second])
    assert s3.get_object(Bucket=BUCKET, Key="assembled")["Body"].read() == source
    whole = start(s3, "whole")
    answer = s3.upload_part_copy(
        Bucket=BUCKET, Key="whole", UploadId=whole, PartNumber=1, CopySource=src
    )
    assert "ChecksumCRC32" not in answer["CopyPartResult"]  # no algorithm named at creation
    done = complete(
        s3, "whole", whole, [{"PartNumber": 1, "ETag": answer["CopyPartResult"]["ETag"]}]
    )
    assert done["ETag"] == multipart_etag([source])
    again = start(s3, "again")
    assert code_of(
        lambda: s3.upload_part_copy(
            Bucket=BUCKET, Key="again", UploadId=again, PartNumber=1,
            CopySource={"Bucket": BUCKET, "Key": "missing"},
        )
    ) == ("NoSuchKey")  # fmt: skip
    s3.abort_multipart_upload(Bucket=BUCKET, Key="again", UploadId=again)
    assert upload_files(box) == []


# --- a full disk -----------------------------------------------------------------------------


@contextmanager
def disk_full(box) -> Iterator[None]:
    """Every write of the sandbox's S3 files fails part way, as on a full disk (ENOSPC)."""
    store = box.s3
    original = store._write_temp_from

    def refuse(chunks):
        def written() -> Iterator[bytes]:
            for chunk in chunks:
                yield chunk[: len(chunk) // 2]
                raise OSError(errno.ENOSPC, "No space left on device")

        return original(written())

    store._write_temp_from = refuse
    try:
        yield
    finally:
        del store._write_temp_from


def test_a_full_disk_is_service_unavailable_and_loses_nothing(s3, box):
    upload_id = start(s3, "k")
    parts = put_parts(s3, "k", upload_id, [b"a" * (5 * MIB)])
    with disk_full(box):
        response = error_of(
            lambda: s3.upload_part(
                Bucket=BUCKET, Key="k", UploadId=upload_id, PartNumber=2, Body=b"tail"
            )
        )
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert response["Error"]["Code"] == "ServiceUnavailable"
        assert "No space left" in response["Error"]["Message"]
        response = error_of(lambda: complete(s3, "k", upload_id, parts))
        assert response["Error"]["Code"] == "ServiceUnavailable"
        assert code_of(lambda: start(s3, "other")) == "ServiceUnavailable"
    assert list((box.s3.root / ".meta" / "tmp").iterdir()) == []
    assert code_of(lambda: s3.head_object(Bucket=BUCKET, Key="k")) == "404"
    listed = s3.list_parts(Bucket=BUCKET, Key="k", UploadId=upload_id)["Parts"]
    assert [p["PartNumber"] for p in listed] == [1]
    parts += put_parts(s3, "k", upload_id, [b"a" * (5 * MIB), b"tail"])[1:]
    complete(s3, "k", upload_id, parts)
    assert s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"a" * (5 * MIB) + b"tail"
    s3.put_object(Bucket=BUCKET, Key="src", Body=b"v")
    with disk_full(box):
        copy = lambda: s3.copy_object(  # noqa: E731
            Bucket=BUCKET, Key="dest", CopySource={"Bucket": BUCKET, "Key": "src"}
        )
        assert code_of(copy) == "ServiceUnavailable"
    assert code_of(lambda: s3.head_object(Bucket=BUCKET, Key="dest")) == "404"
    assert upload_files(box) == []


# --- the AWS CLI over HTTP -------------------------------------------------------------------


@dataclasses.dataclass
class Served:
    """``pcanb sandbox serve`` in its own process, and what talks to it."""

    endpoint: str
    cli: Any  # conftest.aws_cli_runner
    work: Path
    client: Any  # a boto3 S3 client over HTTP

    def aws(self, *args: str) -> str:
        """Run the AWS CLI against the server; its standard output."""
        result = self.cli(self.endpoint, *args, cwd=self.work)
        assert result.returncode == 0, result.stderr
        return result.stdout


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    work = tmp_path_factory.mktemp("cli")
    cli = aws_cli_runner(work)
    port = free_port()
    server = serve_process(work / "sandbox", port)
    endpoint = f"http://127.0.0.1:{port}"
    session = boto3.Session(
        aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1"
    )
    client = session.client(
        "s3", endpoint_url=endpoint, config=Config(retries={"total_max_attempts": 1})
    )
    try:
        yield Served(endpoint, cli, work, client)
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stderr is not None:
            server.stderr.close()


def test_aws_cli_copies_a_20_mb_file_up_and_down(served):
    data = os.urandom(20 * MIB + 5)
    (served.work / "up.bin").write_bytes(data)
    served.client.create_bucket(Bucket="cli-up")
    served.aws("s3", "cp", "--only-show-errors", "up.bin", "s3://cli-up/dir/big.bin")
    head = served.client.head_object(Bucket="cli-up", Key="dir/big.bin")
    assert head["ContentLength"] == len(data)  # over HTTP too, a HEAD answer tells the size
    assert head["ETag"].endswith('-3"')  # 8 MiB parts: the CLI uploaded it in three
    served.aws("s3", "cp", "--only-show-errors", "s3://cli-up/dir/big.bin", "down.bin")
    assert (served.work / "down.bin").read_bytes() == data
    assert served.client.list_multipart_uploads(Bucket="cli-up").get("Uploads", []) == []


def test_aws_cli_copies_between_buckets_and_moves(served):
    client = served.client
    data = os.urandom(20 * MIB + 9)
    for bucket in ("cli-src", "cli-dst"):
        client.create_bucket(Bucket=bucket)
    client.upload_fileobj(io.BytesIO(data), "cli-src", "a b.bin")
    served.aws("s3", "cp", "--only-show-errors", "s3://cli-src/a b.bin", "s3://cli-dst/copy.bin")
    copied = client.head_object(Bucket="cli-dst", Key="copy.bin")
    assert copied["ETag"].endswith('-3"')  # copied part by part (UploadPartCopy)
    served.aws("s3", "mv", "--only-show-errors", "s3://cli-dst/copy.bin", "s3://cli-dst/moved.bin")
    assert client.get_object(Bucket="cli-dst", Key="moved.bin")["Body"].read() == data
    assert code_of(lambda: client.head_object(Bucket="cli-dst", Key="copy.bin")) == "404"
    client.put_object(Bucket="cli-src", Key="small.txt", Body=b"small object")
    served.aws("s3", "mv", "--only-show-errors", "s3://cli-src/small.txt", "s3://cli-dst/s.txt")
    assert client.get_object(Bucket="cli-dst", Key="s.txt")["Body"].read() == b"small object"
    assert code_of(lambda: client.head_object(Bucket="cli-src", Key="small.txt")) == "404"
