"""The work list: batches of invoice keys the Distributed Map reads from S3 (one item per batch,
since the map's ItemBatcher is not available everywhere we run it).

The document is one JSON array with one batch per line, so the map reads it as JSON while the run's
last step reads it back a line at a time, never the whole list in memory.
"""

import json
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import boto3
from pydantic import BaseModel, ConfigDict

from autodispatch.models.scenario import InvoiceKey

WORK_LIST_PREFIX = "work/"
# Where the Distributed Map writes its results (ResultWriter), under the work lists' retention.
MAP_RESULTS_PREFIX = f"{WORK_LIST_PREFIX}results/"


class WorkListRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str


class WorkListWriter(Protocol):
    def write(self, run_id: str, batches: Sequence[Sequence[InvoiceKey]]) -> WorkListRef: ...


class WorkListReader(Protocol):
    def keys(self, work_list: WorkListRef) -> Iterator[InvoiceKey]:
        """Every invoice key of the list, batch by batch."""
        ...


def batch_line(batch: Sequence[InvoiceKey]) -> str:
    """One batch as the map's item: {"keys": [{"tenant_id": ..., "invoice_id": ...}]}."""
    return json.dumps({"keys": [key.model_dump() for key in batch]}, separators=(",", ":"))


def work_list_document(batches: Sequence[Sequence[InvoiceKey]]) -> bytes:
    """A JSON array with one batch per line."""
    return ("[" + ",\n".join(batch_line(batch) for batch in batches) + "]").encode()


def keys_of_lines(lines: Iterator[bytes]) -> Iterator[InvoiceKey]:
    """The keys of a document written by `work_list_document`, parsed one line (batch) at a time."""
    for line in lines:
        text = line.decode().strip().removeprefix("[").removesuffix("]").removesuffix(",")
        if text:
            for key in json.loads(text)["keys"]:
                yield InvoiceKey.model_validate(key)


class S3WorkLists:
    """Writes and reads the work lists of the document bucket; the client is created on first use."""

    def __init__(self, bucket: str, *, s3_client: Any = None) -> None:
        self._bucket = bucket
        self._s3_client = s3_client

    @property
    def _s3(self) -> Any:
        if self._s3_client is None:
            self._s3_client = boto3.client("s3")
        return self._s3_client

    def write(self, run_id: str, batches: Sequence[Sequence[InvoiceKey]]) -> WorkListRef:
        # One object per run: a retried selection overwrites its own list instead of adding one.
        key = f"{WORK_LIST_PREFIX}{run_id}.json"
        self._s3.put_object(
            Bucket=self._bucket, Key=key, Body=work_list_document(batches), ContentType="application/json"
        )
        return WorkListRef(bucket=self._bucket, key=key)

    def keys(self, work_list: WorkListRef) -> Iterator[InvoiceKey]:
        body = self._s3.get_object(Bucket=work_list.bucket, Key=work_list.key)["Body"]
        yield from keys_of_lines(body.iter_lines())
