"""R25: the limits keep every valid invoice within one DynamoDB item (400 KB): an invoice at every
maximum, in four-byte characters, is written through the real store to DynamoDB (moto enforces
the item size) and read back whole."""

from datetime import UTC, datetime
from typing import Any

from autodispatch.logic.importing import import_scenario
from autodispatch.models import limits
from autodispatch.models.loading import parse_scenario
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from tests import hostile
from tests.integration.conftest import ZONE

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
