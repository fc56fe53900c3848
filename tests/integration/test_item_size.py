"""Item sizes. R25: the limits keep every valid invoice within one DynamoDB item (400 KB): an
invoice at every maximum, in four-byte characters, is written through the real store to DynamoDB
(moto enforces the item size) and read back whole. R23's write floor: the demo's state items in
their compact stored form, sized as DynamoDB bills a write (1 KB a unit), and the older, longer
form still read."""

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from autodispatch.logic.dispatch import BatchDispatcher
from autodispatch.logic.importing import import_scenario
from autodispatch.models import limits
from autodispatch.models.dispatch import HistoryEvent
from autodispatch.models.enums import Channel, HistoryEventKind
from autodispatch.models.loading import parse_scenario
from autodispatch.models.routes import RouteName
from autodispatch.models.scenario import InvoiceKey
from autodispatch.models.text import Text, verbatim
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.dynamodb.items import state_key
from autodispatch.store.port import RunRef, RunSummary
from benchmarks.cost import item_bytes
from tests import hostile
from tests.fakes.deliverer import ScriptedDeliverer
from tests.integration.conftest import DEMO_SCENARIO, ZONE

WIDE = "\U0001d11e"


def _maximal_scenario() -> dict[str, Any]:
    tenant_id = "t" * limits.ID_MAX_BYTES
    tenant = hostile.tenant(tenant_id, ["EINVOICE", "EMAIL", "PRINT"])
    address = {
        "street": [WIDE * limits.ADDRESS_LINE_MAX_LENGTH] * limits.STREET_MAX_LINES,
        "postcode": WIDE * limits.ADDRESS_LINE_MAX_LENGTH,
        "town": WIDE * limits.ADDRESS_LINE_MAX_LENGTH,
        "country": "FI",
    }
    customer = {
        "type": "BUSINESS",
        "name": WIDE * limits.CUSTOMER_NAME_MAX_LENGTH,
        "business_id": WIDE * limits.BUSINESS_ID_MAX_LENGTH,
        "email": WIDE * limits.EINVOICE_ROUTING_MAX_LENGTH,
        "einvoice_address": WIDE * limits.EINVOICE_ROUTING_MAX_LENGTH,
        "einvoice_operator": WIDE * limits.EINVOICE_ROUTING_MAX_LENGTH,
        "address": address,
    }
    line = {
        "description": WIDE * limits.LINE_DESCRIPTION_MAX_LENGTH,
        "quantity": "-1234.123456",
        "unit_price": "-123456789.123456",
        "vat_rate": "25.5",
    }
    invoice = hostile.invoice(
        tenant_id,
        invoice_id="i" * limits.ID_MAX_BYTES,
        number=WIDE * limits.INVOICE_NUMBER_MAX_LENGTH,
        customer=customer,
        lines=[line] * limits.LINES_MAX,
    )
    return {"tenants": [tenant], "invoices": [invoice]}


def test_r25_an_invoice_at_every_maximum_is_stored_and_read_back(store: DynamoDbInvoiceStore) -> None:
    scenario = parse_scenario(_maximal_scenario())
    (invoice,) = scenario.invoices
    assert len(invoice.model_dump_json().encode()) > 300_000  # near the item limit, or this proves nothing

    import_scenario(store, scenario, ZONE, datetime.now(UTC))

    assert store.get_invoices([invoice.key]) == {invoice.key: invoice}


# The demo's nights are dispatched as a run would, then each state item is sized as DynamoDB bills
# it (1 KB a write unit; R23's floor assumes outcome writes of one unit).
RUN = RunRef(run_id="2026-03-10-212e751a", run_date=date(2026, 3, 10))
STARTED = datetime(2026, 3, 9, 22, 5, tzinfo=UTC)
WRITE_UNIT = 1024


def _dispatched_demo(
    store: DynamoDbInvoiceStore, dynamodb: Any, staging: bool = False
) -> dict[str, dict[str, Any]]:
    scenario = parse_scenario(json.loads(DEMO_SCENARIO.read_text(encoding="utf-8")))
    import_scenario(store, scenario, ZONE, datetime.now(UTC))
    store.put_run(RunSummary(run_id=RUN.run_id, run_date=RUN.run_date, started_at=STARTED))
    deliverer = ScriptedDeliverer(staging)
    dispatcher = BatchDispatcher(store, deliverer, ZONE, timedelta(minutes=15), lambda: STARTED)
    dispatcher.dispatch(RUN, [invoice.key for invoice in scenario.invoices])
    return {
        item["sk"]["S"].removeprefix("STATE#"): item
        for item in dynamodb.scan(TableName=store.table_name)["Items"]
        if item["sk"]["S"].startswith("STATE#")
    }


def _state(dynamodb: Any, store: DynamoDbInvoiceStore, key: InvoiceKey) -> dict[str, Any]:
    return dict(dynamodb.get_item(TableName=store.table_name, Key=state_key(key))["Item"])


def test_r23_a_direct_send_s_outcome_and_its_email_s_delivery_event_stay_one_write_unit(
    store: DynamoDbInvoiceStore, dynamodb: Any
) -> None:
    """The common cases: an e-invoice or an email to the first channel (k-1001, k-1003) settle in one
    write unit, and the email's delivery event (R26, an address of 16 characters) keeps it so; an
    outcome after a skipped channel (k-1002) stays under two."""
    states = _dispatched_demo(store, dynamodb)
    assert states["k-1001"]["state"]["S"] == states["k-1003"]["state"]["S"] == "SENT"
    assert item_bytes(states["k-1001"]) <= 860
    assert item_bytes(states["k-1003"]) <= 820
    assert item_bytes(states["k-1002"]) <= 1160 < 2 * WRITE_UNIT
    delivered = HistoryEvent(
        at=STARTED + timedelta(seconds=2),
        event=HistoryEventKind.EMAIL_DELIVERED,
        channel=Channel.EMAIL,
        detail=Text.of("email.delivered", to=verbatim("matti@example.fi")),
        route=RouteName.EMAIL,
    )
    email = InvoiceKey(tenant_id="kahvila", invoice_id="k-1003")
    assert store.record_delivery_event(email, "5889c949-83f9-4f79-b070-cfc8c9678b16", delivered)
    assert item_bytes(_state(dynamodb, store, email)) <= 1040


def test_r19_r23_an_invoice_sent_in_an_outbox_transmission_stays_one_write_unit(
    store: DynamoDbInvoiceStore, dynamodb: Any
) -> None:
    """With the S3 outboxes the claim names the object (while it is held) and the SENT event says
    where the document is (`<key>#<message id>`): k-1001's item still settles in one write unit."""
    states = _dispatched_demo(store, dynamodb, staging=True)
    assert states["k-1001"]["state"]["S"] == "SENT"
    assert "outbox/" in json.dumps(states["k-1001"]["history"])
    assert item_bytes(states["k-1001"]) <= WRITE_UNIT


def test_r19_a_state_item_stored_before_the_compact_form_reads_the_same(
    store: DynamoDbInvoiceStore, dynamodb: Any
) -> None:
    """Items already stored keep reading: the ids as attributes, every event on its own, texts with
    their empty parameter maps and the message in full read as the compact form does."""
    _dispatched_demo(store, dynamodb)
    # Sent after a skipped channel, failed, ignored.
    for tenant_id, invoice_id in (("kahvila", "k-1002"), ("kahvila", "k-1005"), ("tilitoimisto", "t-501")):
        key = InvoiceKey(tenant_id=tenant_id, invoice_id=invoice_id)
        record = store.get_record(key)
        compact = _state(dynamodb, store, key)
        assert "tenant_id" not in compact
        assert any("events" in entry["M"] for entry in compact["history"]["L"])
        assert set(compact["message"]["M"]) == {"event"}
        old = {
            **compact,
            "tenant_id": {"S": key.tenant_id},
            "invoice_id": {"S": key.invoice_id},
            "history": _typed([event.model_dump(mode="json", exclude_none=True) for event in record.history]),
            "message": _typed(record.message.model_dump(mode="json") if record.message else None),
            "details": _typed(record.details.model_dump(mode="json") if record.details else None),
        }
        dynamodb.put_item(TableName=store.table_name, Item=old)
        assert item_bytes(old) > item_bytes(compact)
        assert store.get_record(key) == record


def _typed(value: Any) -> Any:
    return TypeSerializer().serialize(value)
