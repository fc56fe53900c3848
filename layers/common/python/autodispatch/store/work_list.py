"""The work list: batches of invoice keys the Distributed Map reads from S3 (one item per batch,
since the map's ItemBatcher is not available everywhere we run it).

The document is one JSON array with one batch per line, so the map reads it as JSON while the run's
last step reads it back a line at a time. It is written as a stream (S3 multipart upload once it
outgrows one part), so neither side holds the whole list in memory.
"""

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import boto3

from autodispatch.clients import new_client
from autodispatch.models.scenario import InvoiceKey
from autodispatch.store.port import WorkListRef

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

WORK_LIST_PREFIX = "work/"
# Where the Distributed Map writes its results (ResultWriter), under the work lists' retention.
MAP_RESULTS_PREFIX = f"{WORK_LIST_PREFIX}results/"


# S3 parts are at least 5 MiB (but the last); 8 MiB keeps the writer's buffer small and parts few.
PART_BYTES = 8 * 1024 * 1024


def batch_line(batch: Sequence[InvoiceKey]) -> str:
    """One batch as the map's item: {"keys": [{"tenant_id": ..., "invoice_id": ...}]}."""
    return json.dumps({"keys": [key.model_dump() for key in batch]}, separators=(",", ":"))


def document_pieces(batches: Iterable[Sequence[InvoiceKey]]) -> Iterator[bytes]:
    """A JSON array with one batch per line, piece by piece."""
    separator = "["
    for batch in batches:
        yield (separator + batch_line(batch)).encode()
        separator = ",\n"
    yield b"[]" if separator == "[" else b"]"


def work_list_document(batches: Iterable[Sequence[InvoiceKey]]) -> bytes:
    return b"".join(document_pieces(batches))


def keys_of_lines(lines: Iterator[bytes]) -> Iterator[InvoiceKey]:
    """The keys of a document written by `work_list_document`, parsed one line (batch) at a time."""
    for line in lines:
        text = line.decode().strip().removeprefix("[").removesuffix("]").removesuffix(",")
        if text:
            for key in json.loads(text)["keys"]:
                yield InvoiceKey.model_validate(key)


class S3WorkLists:
    """Writes and reads the work lists of the document bucket; the client is created on first use."""

    def __init__(self, bucket: str, *, s3_client: "S3Client | None" = None) -> None:
        self._bucket = bucket
        self._s3_client = s3_client

    @property
    def _s3(self) -> "S3Client":
        if self._s3_client is None:
            self._s3_client = new_client(lambda: boto3.client("s3"))
        return self._s3_client

    def write(self, run_id: str, batches: Iterable[Sequence[InvoiceKey]]) -> WorkListRef:
        # One object per run: a retried selection overwrites its own list instead of adding one.
        key = f"{WORK_LIST_PREFIX}{run_id}.json"
        upload = _StreamingUpload(self._s3, self._bucket, key)
        try:
            for piece in document_pieces(batches):
                upload.add(piece)
            upload.finish()
        except BaseException:
            upload.abort()
            raise
        return WorkListRef(bucket=self._bucket, key=key)

    def keys(self, work_list: WorkListRef) -> Iterator[InvoiceKey]:
        body = self._s3.get_object(Bucket=work_list.bucket, Key=work_list.key)["Body"]
        yield from keys_of_lines(body.iter_lines())


class _StreamingUpload:
    """One PutObject for a small document; a multipart upload of PART_BYTES parts for a large one."""

    def __init__(self, s3: "S3Client", bucket: str, key: str) -> None:
        self._s3, self._bucket, self._key = s3, bucket, key
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[CompletedPartTypeDef] = []

    def add(self, piece: bytes) -> None:
        self._buffer += piece
        if len(self._buffer) >= PART_BYTES:
            self._upload_part()

    def _upload_part(self) -> None:
        if self._upload_id is None:
            self._upload_id = self._s3.create_multipart_upload(
                Bucket=self._bucket, Key=self._key, ContentType="application/json"
            )["UploadId"]
        number = len(self._parts) + 1
        etag = self._s3.upload_part(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=bytes(self._buffer),
        )["ETag"]
        self._parts.append({"PartNumber": number, "ETag": etag})
        self._buffer.clear()

    def finish(self) -> None:
        if self._upload_id is None:
            self._s3.put_object(
                Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer), ContentType="application/json"
            )
            return
        if self._buffer:
            self._upload_part()
        self._s3.complete_multipart_upload(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )

    def abort(self) -> None:
        if self._upload_id is not None:
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)
