"""The work list: batches of invoice keys the Distributed Map reads from S3 (one item per batch,
since the map's ItemBatcher is not available everywhere we run it)."""

import json
from collections.abc import Sequence
from typing import Any, Protocol

import boto3
from pydantic import BaseModel, ConfigDict

from autodispatch.models.scenario import InvoiceKey

WORK_LIST_PREFIX = "work/"


class WorkListRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str


class WorkListWriter(Protocol):
    def write(self, run_id: str, batches: Sequence[Sequence[InvoiceKey]]) -> WorkListRef: ...


def work_list_document(batches: Sequence[Sequence[InvoiceKey]]) -> bytes:
    """A JSON array with one object per batch: {"keys": [{"tenant_id": ..., "invoice_id": ...}]}."""
    return json.dumps(
        [{"keys": [key.model_dump() for key in batch]} for batch in batches], separators=(",", ":")
    ).encode()


class S3WorkListWriter:
    def __init__(self, bucket: str, *, s3_client: Any = None) -> None:
        self._bucket = bucket
        self._s3 = s3_client

    def write(self, run_id: str, batches: Sequence[Sequence[InvoiceKey]]) -> WorkListRef:
        if self._s3 is None:
            self._s3 = boto3.client("s3")
        # One object per run: a retried selection overwrites its own list instead of adding one.
        key = f"{WORK_LIST_PREFIX}{run_id}.json"
        self._s3.put_object(
            Bucket=self._bucket, Key=key, Body=work_list_document(batches), ContentType="application/json"
        )
        return WorkListRef(bucket=self._bucket, key=key)
