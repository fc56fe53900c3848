"""The work list on S3 (moto): written as a stream, read back as a stream, the same keys in order."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from autodispatch.chunks import chunked
from autodispatch.models.scenario import InvoiceKey
from autodispatch.store.work_list import PART_BYTES, S3WorkLists

BUCKET = "work-lists"


@pytest.fixture
def s3(dynamodb: Any) -> Any:  # `dynamodb` opens mock_aws with the test environment
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    return client


def _keys(count: int) -> Iterator[InvoiceKey]:
    return (InvoiceKey(tenant_id=f"tenant-{n % 97:03d}", invoice_id=f"invoice-{n:07d}") for n in range(count))


@pytest.mark.parametrize("count", [0, 3, 200_000])
def test_r24_work_list_streams_out_and_back_in_order(s3: Any, count: int) -> None:
    lists = S3WorkLists(BUCKET, s3_client=s3)
    ref = lists.write("night-1", chunked(_keys(count), 50))
    size = s3.head_object(Bucket=ref.bucket, Key=ref.key)["ContentLength"]
    assert (size > PART_BYTES) is (count == 200_000)  # the large list went up in parts
    assert list(lists.keys(ref)) == list(_keys(count))


def test_a_failed_selection_leaves_no_upload_behind(s3: Any) -> None:
    def failing() -> Iterator[list[InvoiceKey]]:
        yield from chunked(_keys(200_000), 50)
        raise RuntimeError("the index read failed")

    with pytest.raises(RuntimeError):
        S3WorkLists(BUCKET, s3_client=s3).write("night-1", failing())
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
