"""The notification bench's night on the wire (benchmarks/notify.py) reads as DynamoDB (moto) reads
the same night written by the store, so its figures are those of the real reads (R21)."""

import json
from typing import Any

import boto3
import pytest
from moto.core.models import botocore_stubber

from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from benchmarks import notify
from tests.bench_process import run_bench
from tests.integration.conftest import TABLE_NAME, ZONE

TENANTS, FAILED = 7, 40


@pytest.fixture
def night(store: DynamoDbInvoiceStore) -> notify.WireNight:
    """The bench's night, and the same night written into moto by the store's own writes."""
    night = notify.WireNight(TENANTS, FAILED, item_bytes=400)
    for n in range(TENANTS):
        store.put_tenant(night.tenant(n))
    store.add_run_issues(night.run, [night.issue(n) for n in range(FAILED)])
    return night


@pytest.fixture
def wire(night: notify.WireNight, aws_environment: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A client answered by the bench's night alone (moto's answering taken off), its Query pages
    4 items long."""
    monkeypatch.setattr(notify, "PAGE_BYTES", 1500)
    client = boto3.client("dynamodb")
    client.meta.events.unregister("before-send", botocore_stubber)
    client.meta.events.register("before-send", night.answer)
    return client


def _issue_items(client: Any) -> list[dict[str, Any]]:
    pages = client.get_paginator("query").paginate(
        TableName=TABLE_NAME,
        KeyConditionExpression="pk = :run AND begins_with(sk, :issue)",
        ExpressionAttributeValues={":run": {"S": f"RUN#{notify.RUN_ID}"}, ":issue": {"S": "ISSUE#"}},
    )
    return [item for page in pages for item in page["Items"]]


def test_r21_bench_night_holds_the_items_the_store_writes(
    night: notify.WireNight, wire: Any, dynamodb: Any
) -> None:
    stored = _issue_items(dynamodb)
    assert len(stored) == FAILED
    assert _issue_items(wire) == stored
    assert night.requests["dynamodb.Query"] == FAILED / 4  # answered by the night, 4 items a page


def test_r21_bench_night_answers_the_notification_reads_as_dynamodb(
    night: notify.WireNight, wire: Any, store: DynamoDbInvoiceStore
) -> None:
    bench = DynamoDbInvoiceStore(TABLE_NAME, ZONE, wire)
    assert bench.run_issue_tenants(notify.RUN_ID) == store.run_issue_tenants(notify.RUN_ID)
    for first, last in [("tenant-00000", "tenant-00006"), ("tenant-00002", "tenant-00004")]:
        assert bench.tenant_run_issues(notify.RUN_ID, first, last) == store.tenant_run_issues(
            notify.RUN_ID, first, last
        )
    ids = [f"tenant-{n:05d}" for n in range(TENANTS + 1)]
    assert bench.get_tenants(ids) == store.get_tenants(ids)
    assert bench.notices() == store.notices() == []
    assert bench.night_holder(night.run.run_date) is None
    for reader in (bench, store):
        assert reader.claim_notification(notify.RUN_ID, "tenant-00001", "EMAIL")
        assert not reader.claim_notification(notify.RUN_ID, "tenant-00001", "EMAIL")
        reader.release_notification(notify.RUN_ID, "tenant-00001", "EMAIL")
        assert reader.claim_notification(notify.RUN_ID, "tenant-00001", "EMAIL")
        reader.release_night(night.run)  # nobody holds it: nothing to release


def test_r21_notify_bench_verifies_one_email_and_one_sms_a_tenant() -> None:
    """The real handler on the bench's wire: what SES and SNS were asked to send, counted."""
    result = run_bench("notify", "--tenants", "150", "--failed", "420", timeout=180)
    figures = json.loads(result.stdout.splitlines()[0])
    assert figures["plan"]["chunks"] == 2
    assert figures["emails"] == figures["sms"] == figures["tenants_notified"] == 150
    assert figures["one_message_per_tenant"]
    assert figures["requests"]["dynamodb.PutItem"] == 300  # one claim a message
