"""What only DynamoDB can show of a dispatch run: its writes per invoice (cost) and documents
changed behind the system's back. The run's logic itself is tested on the in-memory store
(tests/unit/test_logic_dispatch*.py), which tests/contract holds to this adapter's behaviour."""

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from autodispatch.logic.dispatch import BatchDispatcher
from autodispatch.models.enums import AutoDispatchState
from autodispatch.models.scenario import InvoiceKey
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.port import RunRef, RunSummary
from tests.fakes.deliverer import ScriptedDeliverer

ZONE = ZoneInfo("Europe/Helsinki")
RUN = RunRef(run_id="night-a", run_date=date(2026, 3, 10))
LATER = RunRef(run_id="night-b", run_date=date(2026, 3, 11))
STARTED = datetime(2026, 3, 9, 22, 5, tzinfo=UTC)
WRITES = {"PutItem", "UpdateItem", "BatchWriteItem", "DeleteItem"}


def key(tenant_id: str, invoice_id: str) -> InvoiceKey:
    return InvoiceKey(tenant_id=tenant_id, invoice_id=invoice_id)


def dispatcher(store: DynamoDbInvoiceStore, deliverer: ScriptedDeliverer) -> BatchDispatcher:
    return BatchDispatcher(store, deliverer, ZONE, timedelta(minutes=15), lambda: STARTED)


@pytest.fixture(autouse=True)
def runs(loaded: DynamoDbInvoiceStore) -> None:
    """The selector records each run before its batches are dispatched."""
    for run in (RUN, LATER):
        loaded.put_run(RunSummary(run_id=run.run_id, run_date=run.run_date, started_at=STARTED))


def test_cost_sent_invoice_takes_two_dynamodb_writes(
    loaded: DynamoDbInvoiceStore, operations: list[str]
) -> None:
    operations.clear()
    dispatcher(loaded, ScriptedDeliverer()).dispatch(RUN, [key("kahvila", "k-1001")])
    # claim (with the attempt) + settle, and the batch's one counter update
    assert len([op for op in operations if op in WRITES]) == 3
    assert "Scan" not in operations


def test_r17_factoring_invoice_costs_one_more_write(
    loaded: DynamoDbInvoiceStore, operations: list[str]
) -> None:
    operations.clear()
    dispatcher(loaded, ScriptedDeliverer()).dispatch(RUN, [key("kahvila", "k-1009")])
    # claim, delivered-before-the-copy, settle, the batch's counters
    assert len([op for op in operations if op in WRITES]) == 4


def test_r25_invalid_stored_invoice_fails_alone_with_the_field_named(
    loaded: DynamoDbInvoiceStore, dynamodb: Any
) -> None:
    """A document changed behind the system's back (here: a quantity that is no number) reaches a
    run: that invoice ends FAILED naming the field, the rest of the batch is sent."""
    item = dynamodb.get_item(
        TableName=loaded.table_name, Key={"pk": {"S": "TENANT#kahvila"}, "sk": {"S": "DOC#k-1003"}}
    )
    document = json.loads(item["Item"]["doc"]["S"])
    document["lines"][0]["quantity"] = "lots"
    dynamodb.put_item(TableName=loaded.table_name, Item={**item["Item"], "doc": {"S": json.dumps(document)}})
    deliverer = ScriptedDeliverer()
    keys = [key("kahvila", "k-1001"), key("kahvila", "k-1003")]
    result = dispatcher(loaded, deliverer).dispatch(RUN, keys)
    record = loaded.get_record(key("kahvila", "k-1003"))
    assert record.state is AutoDispatchState.FAILED
    assert "invalid invoice data" in (record.message or "")
    assert "lines[0].quantity" in (record.message or "")
    assert [call[0] for call in deliverer.calls] == ["k-1001"]
    assert (result.counts.sent, result.counts.failed) == (1, 1)
    assert [issue.invoice_id for issue in loaded.run_issues(RUN.run_id)] == ["k-1003"]


def test_r24_a_tenant_with_an_invalid_stored_document_does_not_stop_the_others(
    loaded: DynamoDbInvoiceStore, dynamodb: Any
) -> None:
    item = dynamodb.get_item(
        TableName=loaded.table_name, Key={"pk": {"S": "TENANTS"}, "sk": {"S": "TENANT#kahvila"}}
    )
    document = json.loads(item["Item"]["doc"]["S"])
    document["settings"]["notify_email"] = "not an address"
    dynamodb.put_item(TableName=loaded.table_name, Item={**item["Item"], "doc": {"S": json.dumps(document)}})
    assert [tenant.tenant_id for tenant in loaded.list_tenants()] == ["tilitoimisto"]
    deliverer = ScriptedDeliverer()
    result = dispatcher(loaded, deliverer).dispatch(
        LATER, [key("kahvila", "k-1001"), key("tilitoimisto", "t-502")]
    )
    assert [call[0] for call in deliverer.calls] == ["t-502"]
    assert result.counts.sent == 1
    assert loaded.get_record(key("kahvila", "k-1001")).state is AutoDispatchState.PENDING
