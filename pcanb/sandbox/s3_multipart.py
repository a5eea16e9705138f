"""S3 multipart uploads in the sandbox: create, upload parts (or copy them), list, complete, abort.

An upload lives in ``<root>/.meta/uploads/<bucket>/<upload id>/``: ``upload.json`` holds what
CreateMultipartUpload was given, and each part is its bytes (``<n>.part``) and its record
(``<n>.json``), both written atomically. Nothing shows in the bucket until the upload completes;
completing or aborting removes the directory.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
import pathlib
import re
import secrets
import zlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

from pcanb.sandbox.s3 import (
    _DEFAULT_CONTENT_TYPE,
    _NOT_CHECKSUM_HEADERS,
    _REFLECTED_CRCS,
    _STORED_HEADERS,
    S3Error,
    _check_storage,
    _checksum,
    _checksum_algorithm,
    _checksum_xml,
    _crc_table,
    _el,
    _int_param,
    _invalid_argument,
    _iso,
    _local,
    _malformed_xml,
    _parse_xml,
    _remove_tree,
    _Request,
    _user_metadata,
    _utc,
    _xml_doc,
)

if TYPE_CHECKING:
    from pcanb.sandbox.s3 import S3

Answer = tuple[int, dict[str, str], bytes]

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10_000
_UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{64}")
_RECORD = "upload.json"
# The checksum algorithms of multipart uploads and the checksum types each takes (the first is
# the default): CRC64NVME only whole-object, SHA only composite (S3 User Guide,
# checking-object-integrity).
_CHECKSUM_TYPES: dict[str, tuple[str, ...]] = {
    "crc32": ("COMPOSITE", "FULL_OBJECT"),
    "crc32c": ("COMPOSITE", "FULL_OBJECT"),
    "crc64nvme": ("FULL_OBJECT",),
    "sha1": ("COMPOSITE",),
    "sha256": ("COMPOSITE",),
}


def _no_such_upload(upload_id: str) -> S3Error:
    message = (
        "The specified upload does not exist. The upload ID may be invalid, "
        "or the upload may have been aborted or completed."
    )
    return S3Error(404, "NoSuchUpload", message, UploadId=upload_id)


def _invalid_request(message: str) -> S3Error:
    return S3Error(400, "InvalidRequest", message)


def _mismatch(expected: str | None, actual: str | None) -> S3Error:
    return _invalid_request(
        "Checksum Type mismatch occurred, expected checksum Type: "
        f"{expected or 'null'}, actual checksum Type: {actual or 'null'}"
    )


@dataclasses.dataclass(frozen=True)
class _Upload:
    upload_id: str
    bucket: str
    key: str
    initiated: datetime
    directory: pathlib.Path
    content_type: str
    headers: Mapping[str, str]
    metadata: Mapping[str, str]
    acl: str | None
    algorithm: str | None
    checksum_type: str | None


@dataclasses.dataclass(frozen=True)
class _Part:
    number: int
    etag: str
    size: int
    last_modified: datetime
    checksum: str | None
    path: pathlib.Path


def _part_number(query: Mapping[str, str]) -> int:
    value = query.get("partNumber", "")
    if not re.fullmatch(r"\d{1,5}", value) or not 1 <= int(value) <= MAX_PART_NUMBER:
        message = f"Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive"
        raise _invalid_argument(message, "partNumber", value)
    return int(value)


def _checksum_mode(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The (algorithm, checksum type) CreateMultipartUpload asks for; (None, None) for none."""
    value, kind = headers.get("x-amz-checksum-algorithm"), headers.get("x-amz-checksum-type")
    if kind is not None and kind not in ("COMPOSITE", "FULL_OBJECT"):
        raise _invalid_request("Value for x-amz-checksum-type header is invalid.")
    if value is None:
        if kind is not None:
            raise _invalid_request(
                "The x-amz-checksum-type header can only be used "
                "with the x-amz-checksum-algorithm header."
            )
        return None, None
    algorithm = _checksum_algorithm(value)
    if algorithm not in _CHECKSUM_TYPES:
        raise S3Error(
            501,
            "NotImplemented",
            "The pcanb sandbox does not emulate checksum algorithm "
            f"{algorithm.upper()} for multipart uploads",
        )
    kind = kind or _CHECKSUM_TYPES[algorithm][0]
    if kind not in _CHECKSUM_TYPES[algorithm]:
        raise _invalid_request(
            f"The {kind} checksum type cannot be used with the {algorithm} checksum algorithm."
        )
    return algorithm, kind


def _copy_range(header: str | None, size: int) -> tuple[int, int]:
    """The inclusive byte range x-amz-copy-source-range names (the whole source without one)."""
    if header is None:
        return 0, size - 1
    match = re.fullmatch(r"bytes=(\d+)-(\d+)", header.strip())
    if not match:
        message = (
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first "
            "and last are the zero-based offsets of the first and last bytes to copy"
        )
        raise _invalid_argument(message, "x-amz-copy-source-range", header)
    first, last = int(match[1]), int(match[2])
    if first > last or last >= size:
        message = f"Range specified is not valid for source object of size: {size}"
        raise _invalid_argument(message, "x-amz-copy-source-range", header)
    return first, last


class _RunningCrc:
    """A whole-object CRC fed part by part (FULL_OBJECT checksums of multipart uploads)."""

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        poly, self._width = _REFLECTED_CRCS.get(algorithm, (0, 32))
        self._table = _crc_table(poly) if algorithm in _REFLECTED_CRCS else ()
        self._mask = (1 << self._width) - 1
        self._crc = self._mask if self._table else 0

    def update(self, data: bytes) -> None:
        if not self._table:
            self._crc = zlib.crc32(data, self._crc)
            return
        table, crc = self._table, self._crc
        for byte in data:
            crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        self._crc = crc

    def value(self) -> str:
        crc = self._crc ^ self._mask if self._table else self._crc
        return base64.b64encode(crc.to_bytes(self._width // 8, "big")).decode()


class MultipartUploads:
    """The multipart uploads of one sandbox S3 store; its ``_op_*`` methods answer the wire."""

    def __init__(self, s3: S3) -> None:
        self.s3 = s3
        self.root = s3._meta / "uploads"

    def drop_bucket(self, bucket: str) -> None:
        """Forget every unfinished upload to ``bucket`` (the bucket is being deleted)."""
        _remove_tree(self.root / bucket)

    # --- wire -------------------------------------------------------------------------------

    def _op_CreateMultipartUpload(self, req: _Request) -> Answer:
        bucket, key, h = req.bucket or "", req.key or "", req.headers
        record = self.s3._require_bucket(bucket)
        path = self.s3.object_path(bucket, key)
        self.s3._check_clash(bucket, key, path)
        acl = h.get("x-amz-acl")
        self.s3._check_object_acl(record, acl)
        _check_storage(h)
        algorithm, checksum_type = _checksum_mode(h)
        upload_id = secrets.token_urlsafe(48)
        document = {
            "upload_id": upload_id,
            "bucket": bucket,
            "key": key,
            "initiated": _iso(self.s3._now()),
            "content_type": h.get("content-type") or _DEFAULT_CONTENT_TYPE,
            "headers": {name: h[name] for name in _STORED_HEADERS if name in h},
            "metadata": _user_metadata(h),
            "acl": acl,
            "algorithm": algorithm,
            "checksum_type": checksum_type,
        }
        directory = self.root / bucket / upload_id
        self.s3._write_atomic(directory / _RECORD, json.dumps(document).encode())
        inner = _el("Bucket", bucket) + _el("Key", key) + _el("UploadId", upload_id)
        out = {"Content-Type": "application/xml", "x-amz-server-side-encryption": "AES256"}
        if algorithm is not None:
            out["x-amz-checksum-algorithm"] = algorithm.upper()
            out["x-amz-checksum-type"] = str(checksum_type)
        return 200, out, _xml_doc("InitiateMultipartUploadResult", inner)

    def _op_UploadPart(self, req: _Request) -> Answer:
        upload = self._upload(req)
        number = _part_number(req.query)
        checksum = self._part_checksum(upload, req)
        part = self._write_part(upload, number, req.body, checksum)
        out = {"ETag": part.etag, "x-amz-server-side-encryption": "AES256"}
        if checksum is not None:
            out[f"x-amz-checksum-{checksum[0]}"] = checksum[1]
        return 200, out, b""

    def _op_UploadPartCopy(self, req: _Request) -> Answer:
        upload = self._upload(req)
        number = _part_number(req.query)
        _, source = self.s3._copy_source(req)
        data = source.data or b""
        first, last = _copy_range(req.headers.get("x-amz-copy-source-range"), len(data))
        data = data[first : last + 1]
        checksum = None
        if upload.algorithm is not None:
            checksum = (upload.algorithm, _checksum(upload.algorithm, data))
        part = self._write_part(upload, number, data, checksum)
        inner = _el("ETag", part.etag) + _el("LastModified", _iso(part.last_modified))
        inner += _checksum_xml(checksum, None)
        out = {"Content-Type": "application/xml", "x-amz-server-side-encryption": "AES256"}
        return 200, out, _xml_doc("CopyPartResult", inner)

    def _op_AbortMultipartUpload(self, req: _Request) -> Answer:
        self._remove(self._upload(req))
        return 204, {}, b""

    def _op_ListParts(self, req: _Request) -> Answer:
        upload = self._upload(req)
        after = _int_param(req.query, "part-number-marker", 0, MAX_PART_NUMBER)
        limit = _int_param(req.query, "max-parts", 1000, 1000)
        parts = [p for n, p in sorted(self._parts(upload).items()) if n > after]
        page, truncated = parts[:limit], 0 < limit < len(parts)
        inner = _el("Bucket", upload.bucket) + _el("Key", upload.key)
        inner += _el("UploadId", upload.upload_id) + _el("PartNumberMarker", after)
        inner += _el("NextPartNumberMarker", page[-1].number if page else 0)
        inner += _el("MaxParts", limit) + _el("IsTruncated", str(truncated).lower())
        for part in page:
            fields = _el("PartNumber", part.number)
            fields += _el("LastModified", _iso(part.last_modified)) + _el("ETag", part.etag)
            fields += _el("Size", part.size)
            if upload.algorithm is not None and part.checksum is not None:
                fields += _checksum_xml((upload.algorithm, part.checksum), None)
            inner += f"<Part>{fields}</Part>"
        inner += self._people_xml() + _el("StorageClass", "STANDARD")
        inner += self._checksum_mode_xml(upload)
        return 200, {"Content-Type": "application/xml"}, _xml_doc("ListPartsResult", inner)

    def _op_ListMultipartUploads(self, req: _Request) -> Answer:
        bucket, q = req.bucket or "", req.query
        self.s3._require_bucket(bucket)
        prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
        encoding = q.get("encoding-type")
        if encoding not in (None, "url"):
            message = "Invalid Encoding Method specified in Request"
            raise _invalid_argument(message, "encoding-type", encoding)
        limit = _int_param(q, "max-uploads", 1000, 1000)
        key_marker, id_marker = q.get("key-marker", ""), q.get("upload-id-marker", "")
        uploads = sorted(
            (u for u in self._uploads(bucket) if u.key.startswith(prefix)),
            key=lambda u: (u.key.encode("utf-8"), u.initiated, u.upload_id),
        )
        entries, truncated = self._upload_page(uploads, prefix, delimiter, key_marker, id_marker)
        page, truncated = entries[:limit], limit > 0 and (truncated or len(entries) > limit)

        def enc(text: str) -> str:
            return quote_plus(text, safe="/") if encoding == "url" else text

        inner = _el("Bucket", bucket) + _el("KeyMarker", enc(key_marker))
        inner += _el("UploadIdMarker", id_marker)
        if page:
            last = page[-1]
            next_key = last if isinstance(last, str) else last.key
            inner += _el("NextKeyMarker", enc(next_key))
            inner += _el("NextUploadIdMarker", "" if isinstance(last, str) else last.upload_id)
        inner += _el("Prefix", enc(prefix))
        if delimiter:
            inner += _el("Delimiter", enc(delimiter))
        inner += _el("MaxUploads", limit) + _el("IsTruncated", str(truncated).lower())
        if encoding:
            inner += _el("EncodingType", encoding)
        for entry in page:
            if isinstance(entry, str):
                inner += "<CommonPrefixes>" + _el("Prefix", enc(entry)) + "</CommonPrefixes>"
                continue
            fields = _el("UploadId", entry.upload_id) + _el("Key", enc(entry.key))
            fields += _el("Initiated", _iso(entry.initiated)) + _el("StorageClass", "STANDARD")
            fields += self._people_xml() + self._checksum_mode_xml(entry)
            inner += f"<Upload>{fields}</Upload>"
        body = _xml_doc("ListMultipartUploadsResult", inner)
        return 200, {"Content-Type": "application/xml"}, body

    @staticmethod
    def _upload_page(
        uploads: list[_Upload], prefix: str, delimiter: str, key_marker: str, id_marker: str
    ) -> tuple[list[_Upload | str], bool]:
        """Uploads and common prefixes after the markers, at most 1001 (enough to page)."""
        marker_index = next(
            (
                i
                for i, u in enumerate(uploads)
                if id_marker and (u.key, u.upload_id) == (key_marker, id_marker)
            ),
            None,
        )
        entries: list[_Upload | str] = []
        for index, upload in enumerate(uploads):
            after = upload.key > key_marker or (
                marker_index is not None and upload.key == key_marker and index > marker_index
            )
            if key_marker and not after:
                continue
            cut = upload.key.find(delimiter, len(prefix)) if delimiter else -1
            entry: _Upload | str = upload.key[: cut + len(delimiter)] if cut >= 0 else upload
            if isinstance(entry, str) and (entry == key_marker or entry in entries[-1:]):
                continue
            if len(entries) > 1000:
                return entries, True
            entries.append(entry)
        return entries, False

    def _op_CompleteMultipartUpload(self, req: _Request) -> Answer:
        upload = self._upload(req)
        listed = _completed_parts(req.body)
        parts = self._parts(upload)
        chosen = self._check_parts(upload, listed, parts)
        h = req.headers
        exclusive = self.s3._put_preconditions(upload.bucket, upload.key, h)
        total = sum(part.size for part in chosen)
        declared = h.get("x-amz-mp-object-size")
        if declared is not None and declared.strip() != str(total):
            raise _invalid_request(
                f"The provided 'x-amz-mp-object-size' header value {declared} does not match "
                f"the total size of the parts: {total}"
            )
        kind = h.get("x-amz-checksum-type")
        if kind is not None and kind != upload.checksum_type:
            raise _invalid_request(
                f"The upload was created using the {upload.checksum_type or 'null'} checksum "
                "mode. The complete request must use the same checksum mode."
            )
        running = None
        if upload.algorithm is not None and upload.checksum_type == "FULL_OBJECT":
            running = _RunningCrc(upload.algorithm)
        tmp = self._concatenate(upload, chosen, running)
        try:
            checksum = self._object_checksum(upload, chosen, running, h)
            digests = b"".join(bytes.fromhex(part.etag.strip('"')) for part in chosen)
            obj = self.s3._commit(
                upload.bucket,
                upload.key,
                tmp,
                etag=f'"{hashlib.md5(digests).hexdigest()}-{len(chosen)}"',
                content_type=upload.content_type,
                acl=upload.acl,
                headers=upload.headers,
                metadata=upload.metadata,
                checksum=checksum,
                checksum_type=upload.checksum_type or "FULL_OBJECT",
                exclusive=exclusive,
                part_sizes=[part.size for part in chosen],
            )
        finally:
            tmp.unlink(missing_ok=True)
        with contextlib.suppress(S3Error):  # completed or aborted meanwhile: the object stands
            self._remove(upload)
        region = (self.s3._bucket_data(upload.bucket) or {}).get("region", self.s3.region)
        location = f"https://{upload.bucket}.s3.{region}.amazonaws.com/{quote(upload.key)}"
        inner = _el("Location", location) + _el("Bucket", upload.bucket)
        inner += _el("Key", upload.key) + _el("ETag", obj.etag)
        if checksum is not None:
            inner += _checksum_xml(checksum, None) + _el("ChecksumType", obj.checksum_type)
        out = {"Content-Type": "application/xml", "x-amz-server-side-encryption": "AES256"}
        return 200, out, _xml_doc("CompleteMultipartUploadResult", inner)

    def _check_parts(
        self, upload: _Upload, listed: list[dict[str, str]], parts: Mapping[int, _Part]
    ) -> list[_Part]:
        """The stored parts the CompleteMultipartUpload body lists, checked as S3 checks them."""
        numbers = [int(item["PartNumber"]) for item in listed]
        for previous, number in itertools.pairwise(numbers):
            if number <= previous:
                raise _invalid_part_order(upload, number)
        if upload.algorithm is not None:
            # With checksums, parts are numbered from 1 without gaps (API CompletedPart).
            for position, number in enumerate(numbers, start=1):
                if number != position:
                    raise _invalid_part_order(upload, number)
        chosen: list[_Part] = []
        member = f"Checksum{(upload.algorithm or '').upper()}"
        for item, number in zip(listed, numbers, strict=True):
            part = parts.get(number)
            etag = item.get("ETag", "").strip().strip('"')
            if part is None or part.etag.strip('"') != etag:
                raise _invalid_part(upload, number, item.get("ETag", ""))
            if upload.checksum_type == "COMPOSITE":
                if member not in item:
                    raise _invalid_request(
                        f"The upload was created using a {upload.algorithm} checksum. The "
                        "complete request must include the checksum for each part. It was "
                        f"missing for part {number} in the request."
                    )
                if item[member] != part.checksum:
                    raise _invalid_part(upload, number, item.get("ETag", ""))
            elif member in item and item[member] != part.checksum:
                raise _invalid_part(upload, number, item.get("ETag", ""))
            chosen.append(part)
        for part in chosen[:-1]:
            if part.size < MIN_PART_SIZE:
                raise S3Error(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                    ProposedSize=str(part.size),
                    MinSizeAllowed=str(MIN_PART_SIZE),
                    PartNumber=str(part.number),
                    ETag=part.etag.strip('"'),
                )
        return chosen

    def _object_checksum(
        self,
        upload: _Upload,
        parts: list[_Part],
        running: _RunningCrc | None,
        headers: Mapping[str, str],
    ) -> tuple[str, str] | None:
        """The completed object's checksum, checked against one the request states."""
        stated = {
            name.removeprefix("x-amz-checksum-"): value
            for name, value in headers.items()
            if name.startswith("x-amz-checksum-") and name not in _NOT_CHECKSUM_HEADERS
        }
        if len(stated) > 1:
            raise _invalid_request(
                "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
            )
        if stated and next(iter(stated)) != upload.algorithm:
            raise _mismatch(upload.algorithm, next(iter(stated)))
        if upload.algorithm is None:
            return None
        if running is not None:
            value = running.value()
            compare = value
        else:
            digests = b"".join(base64.b64decode(part.checksum or "") for part in parts)
            compare = _checksum(upload.algorithm, digests)
            value = f"{compare}-{len(parts)}"
        if stated and stated[upload.algorithm].partition("-")[0] != compare:
            message = (
                f"The {upload.algorithm.upper()} you specified did not match the calculated "
                "checksum."
            )
            raise S3Error(400, "BadDigest", message)
        return upload.algorithm, value

    # --- storage ----------------------------------------------------------------------------

    def _upload(self, req: _Request) -> _Upload:
        """The upload ``uploadId`` names, for this bucket and key; NoSuchUpload otherwise."""
        bucket, key = req.bucket or "", req.key or ""
        self.s3._require_bucket(bucket)
        upload_id = req.query.get("uploadId", "")
        if not _UPLOAD_ID.fullmatch(upload_id):
            raise _no_such_upload(upload_id)
        upload = self._read_upload(self.root / bucket / upload_id)
        if upload is None or upload.key != key:
            raise _no_such_upload(upload_id)
        return upload

    @staticmethod
    def _read_upload(directory: pathlib.Path) -> _Upload | None:
        try:
            doc: dict[str, Any] = json.loads((directory / _RECORD).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return _Upload(
            upload_id=doc["upload_id"],
            bucket=doc["bucket"],
            key=doc["key"],
            initiated=datetime.fromisoformat(doc["initiated"]),
            directory=directory,
            content_type=doc["content_type"],
            headers=doc["headers"],
            metadata=doc["metadata"],
            acl=doc["acl"],
            algorithm=doc["algorithm"],
            checksum_type=doc["checksum_type"],
        )

    def _uploads(self, bucket: str) -> Iterator[_Upload]:
        for directory in (self.root / bucket).glob("*"):
            if _UPLOAD_ID.fullmatch(directory.name):
                upload = self._read_upload(directory)
                if upload is not None:
                    yield upload

    def _parts(self, upload: _Upload) -> dict[int, _Part]:
        """The parts stored for ``upload`` whose bytes are the ones their record describes."""
        parts: dict[int, _Part] = {}
        for record in upload.directory.glob("*.json"):
            if not record.stem.isdigit():
                continue
            data = record.with_suffix(".part")
            try:
                doc = json.loads(record.read_text("utf-8"))
                stat = data.stat()
            except (OSError, ValueError):
                continue
            if [doc["ino"], doc["mtime_ns"], doc["size"]] != [
                stat.st_ino,
                stat.st_mtime_ns,
                stat.st_size,
            ]:
                continue  # replaced by a later UploadPart whose record is on its way
            number = int(record.stem)
            parts[number] = _Part(
                number=number,
                etag=doc["etag"],
                size=doc["size"],
                last_modified=datetime.fromisoformat(doc["last_modified"]),
                checksum=doc["checksum"],
                path=data,
            )
        return parts

    def _part_checksum(self, upload: _Upload, req: _Request) -> tuple[str, str] | None:
        """The part's checksum: the one sent (verified), or computed for FULL_OBJECT uploads."""
        sent = req.checksum
        if upload.algorithm is None:
            return sent
        if sent is None:
            if upload.checksum_type == "COMPOSITE":
                raise _mismatch(upload.algorithm, None)
            return upload.algorithm, _checksum(upload.algorithm, req.body)
        if sent[0] != upload.algorithm:
            raise _mismatch(upload.algorithm, sent[0])
        return sent

    def _write_part(
        self, upload: _Upload, number: int, data: bytes, checksum: tuple[str, str] | None
    ) -> _Part:
        """Store part ``number`` (replacing an earlier one): its bytes, then its record."""
        target = upload.directory / f"{number}.part"
        data_tmp = self.s3._write_temp(data)
        try:
            stat = data_tmp.stat()
            part = _Part(
                number=number,
                etag=f'"{hashlib.md5(data).hexdigest()}"',
                size=stat.st_size,
                last_modified=_utc(self.s3._now()),
                checksum=checksum[1] if checksum else None,
                path=target,
            )
            record = {
                "etag": part.etag,
                "size": part.size,
                "ino": stat.st_ino,
                "mtime_ns": stat.st_mtime_ns,
                "last_modified": _iso(part.last_modified),
                "checksum": part.checksum,
            }
            record_tmp = self.s3._write_temp(json.dumps(record).encode())
            try:
                os.replace(data_tmp, target)
                os.replace(record_tmp, target.with_suffix(".json"))
            except FileNotFoundError:
                raise _no_such_upload(upload.upload_id) from None  # aborted meanwhile
            finally:
                record_tmp.unlink(missing_ok=True)
        finally:
            data_tmp.unlink(missing_ok=True)
        return part

    def _concatenate(
        self, upload: _Upload, parts: list[_Part], running: _RunningCrc | None
    ) -> pathlib.Path:
        """A temp file holding the parts in order (feeding ``running`` as they pass)."""

        def chunks() -> Iterator[bytes]:
            for part in parts:
                with part.path.open("rb") as handle:
                    while chunk := handle.read(1024 * 1024):
                        if running is not None:
                            running.update(chunk)
                        yield chunk

        try:
            return self.s3._write_temp_from(chunks())
        except FileNotFoundError:
            raise _no_such_upload(upload.upload_id) from None  # aborted meanwhile

    def _remove(self, upload: _Upload) -> None:
        """Remove the upload at once (a rename), then its parts."""
        gone = self.s3._meta / "tmp" / f"{upload.upload_id}.{secrets.token_hex(4)}"
        try:
            os.rename(upload.directory, gone)
        except FileNotFoundError:
            raise _no_such_upload(upload.upload_id) from None
        _remove_tree(gone)

    def _people_xml(self) -> str:
        owner = _el("ID", self.s3._canonical_id())
        return f"<Initiator>{owner}</Initiator><Owner>{owner}</Owner>"

    @staticmethod
    def _checksum_mode_xml(upload: _Upload) -> str:
        if upload.algorithm is None:
            return ""
        return _el("ChecksumAlgorithm", upload.algorithm.upper()) + _el(
            "ChecksumType", upload.checksum_type
        )


def _completed_parts(body: bytes) -> list[dict[str, str]]:
    """The <Part> entries of a CompleteMultipartUpload body, each as {element: text}."""
    root = _parse_xml(body)
    if _local(root.tag) != "CompleteMultipartUpload":
        raise _malformed_xml()
    listed = []
    for element in root:
        if _local(element.tag) != "Part":
            raise _malformed_xml()
        item = {_local(child.tag): (child.text or "").strip() for child in element}
        if not re.fullmatch(r"\d{1,9}", item.get("PartNumber", "")):
            raise _malformed_xml()
        listed.append(item)
    if not listed:
        raise _malformed_xml()
    return listed


def _invalid_part(upload: _Upload, number: int, etag: str) -> S3Error:
    message = (
        "One or more of the specified parts could not be found.  The part may not have been "
        "uploaded, or the specified entity tag may not match the part's entity tag."
    )
    return S3Error(
        400,
        "InvalidPart",
        message,
        UploadId=upload.upload_id,
        PartNumber=str(number),
        ETag=etag.strip('"'),
    )


def _invalid_part_order(upload: _Upload, number: int) -> S3Error:
    message = (
        "The list of parts was not in ascending order. "
        "The parts list must be specified in order by part number."
    )
    return S3Error(
        400, "InvalidPartOrder", message, UploadId=upload.upload_id, PartNumber=str(number)
    )
