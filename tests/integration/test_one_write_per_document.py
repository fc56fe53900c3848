"""Cost: at most one S3 write per delivered document. With the S3 outbox the outbox object is the
archived copy; the copies of everything else a batch delivered are one archive object (moto)."""

import io
import zipfile
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from autodispatch.channels.deliverer import build_deliverer
from autodispatch.config import RuntimeConfig
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.scenario import Scenario

BUCKET = "autodispatch-documents"
SENDER = "laskut@autodispatch.example"


@pytest.fixture
def aws(aws_environment: None) -> Iterator[dict[str, Any]]:
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
        sesv2 = boto3.client("sesv2")
        sesv2.create_email_identity(EmailIdentity=SENDER)
        puts: Counter[str] = Counter()
        s3.meta.events.register(
            "before-parameter-build.s3.PutObject",
            lambda params, **_: puts.update([params["Key"].split("/", 1)[0]]),
        )
        yield {"s3": s3, "sesv2": sesv2, "puts": puts}


@pytest.mark.parametrize(
    ("invoice_id", "channel", "expected"),
    [
        ("k-1001", Channel.EINVOICE, {"outbox": 1}),
        ("k-1004", Channel.PRINT, {"outbox": 1}),
        ("k-1003", Channel.EMAIL, {"archive": 1}),
    ],
)
def test_one_s3_write_per_delivered_document(
    aws: dict[str, Any], scenario: Scenario, invoice_id: str, channel: Channel, expected: dict[str, int]
) -> None:
    config = RuntimeConfig(TABLE_NAME="t", BUCKET_NAME=BUCKET, SENDER_EMAIL=SENDER)
    deliverer = build_deliverer(config, s3_client=aws["s3"], sesv2_client=aws["sesv2"])
    invoice = next(i for i in scenario.invoices if i.invoice_id == invoice_id)
    tenant = next(t for t in scenario.tenants if t.tenant_id == invoice.tenant_id)

    receipt = deliverer.deliver(invoice, tenant, channel, DeliveryKind.INVOICE)
    deliverer.flush_archive()

    assert dict(aws["puts"]) == expected
    key, _, member = receipt.archive_key.partition("#")
    stored = aws["s3"].get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert len(zipfile.ZipFile(io.BytesIO(stored)).read(member) if member else stored) > 0


def test_the_emails_of_a_batch_are_archived_in_one_write(aws: dict[str, Any], scenario: Scenario) -> None:
    config = RuntimeConfig(TABLE_NAME="t", BUCKET_NAME=BUCKET, SENDER_EMAIL=SENDER)
    deliverer = build_deliverer(config, s3_client=aws["s3"], sesv2_client=aws["sesv2"])
    tenant = next(t for t in scenario.tenants if t.tenant_id == "kahvila")
    emailed = [i for i in scenario.invoices if i.invoice_id in {"k-1002", "k-1003", "k-1010"}]

    receipts = [
        deliverer.deliver(invoice, tenant, Channel.EMAIL, DeliveryKind.INVOICE) for invoice in emailed
    ]
    assert dict(aws["puts"]) == {}  # nothing yet: the batch's copies go together
    deliverer.flush_archive()

    assert dict(aws["puts"]) == {"archive": 1}
    [key] = {receipt.archive_key.partition("#")[0] for receipt in receipts}
    archived = zipfile.ZipFile(io.BytesIO(aws["s3"].get_object(Bucket=BUCKET, Key=key)["Body"].read()))
    assert sorted(archived.namelist()) == sorted(
        receipt.archive_key.partition("#")[2] for receipt in receipts
    )
