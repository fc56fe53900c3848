"""R25: an import is all or nothing, proved with a store failure injected at every write of an
import (moto): whichever write fails, the whole table is afterwards exactly as before, and the
error says so. When the undo cannot run either (the store stays down, or the process dies), the
next import finishes it first."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from botocore.exceptions import ClientError

from autodispatch.errors import ImportIncomplete, InvoiceSent
from autodispatch.logic.importing import import_scenario
from autodispatch.models.enums import AutoDispatchState, InvoiceStatus, Timing
from autodispatch.models.scenario import InvoiceKey, Scenario
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.dynamodb.journal import IMPORT_LEASE
from tests.integration.conftest import TABLE_NAME, ZONE

HELSINKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 3, 10, 8, 0, tzinfo=HELSINKI)
WRITES = frozenset({"put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items"})


class FailingWrites:
    """The real client, except that the writes numbered in `failing` (1-based, counted over every
    write this client makes) raise a throttling error and write nothing."""

    def __init__(self, real: Any, failing: Callable[[int], bool] = lambda _: False) -> None:
        self._real, self._failing, self.writes = real, failing, 0

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._real, name)
        if name not in WRITES:
            return real

        def write(**params: Any) -> Any:
            self.writes += 1
            if self._failing(self.writes):
                error = {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}
                raise ClientError(error, name)  # type: ignore[arg-type]
            return real(**params)

        return write


def key(tenant_id: str, invoice_id: str) -> InvoiceKey:
    return InvoiceKey(tenant_id=tenant_id, invoice_id=invoice_id)


def whole_table(dynamodb: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=TABLE_NAME, ConsistentRead=True):
        items.extend(page["Items"])
    return sorted(items, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def store_on(client: Any) -> DynamoDbInvoiceStore:
    return DynamoDbInvoiceStore(TABLE_NAME, ZONE, client)


def every_kind_of_write(scenario: Scenario) -> Scenario:
    """A changed tenant (timing changed: its pending invoices are re-keyed; activated later: its
    older ones are turned off, with a history event), a new tenant with a new invoice, a changed
    pending invoice and an unsent one imported as sent elsewhere (R5)."""
    kahvila = next(t for t in scenario.tenants if t.tenant_id == "kahvila")
    tilitoimisto = next(t for t in scenario.tenants if t.tenant_id == "tilitoimisto")
    settings = kahvila.settings.model_copy(
        update={"timing": Timing.INVOICE_DATE, "activated_at": datetime(2026, 3, 9, 12, tzinfo=HELSINKI)}
    )
    invoices = {invoice.invoice_id: invoice for invoice in scenario.invoices}
    return Scenario(
        tenants=[
            kahvila.model_copy(update={"settings": settings}),
            tilitoimisto.model_copy(update={"tenant_id": "uusi"}),
        ],
        invoices=[
            invoices["t-501"].model_copy(update={"number": "5010"}),
            invoices["k-1010"].model_copy(update={"status": InvoiceStatus.SENT}),
            invoices["t-502"].model_copy(update={"tenant_id": "uusi", "invoice_id": "u-1"}),
        ],
    )


@dataclass(frozen=True)
class Rehearsal:
    """The import the failures are injected into, made once without failures and undone: what it
    changes, the table before it, how many writes it makes and what it leaves imported."""

    changing: Scenario
    before: list[dict[str, Any]]
    writes: int
    after: list[dict[str, Any]]


@pytest.fixture
def rehearsed(loaded: DynamoDbInvoiceStore, dynamodb: Any, scenario: Scenario) -> Rehearsal:
    changing = every_kind_of_write(scenario)
    before = whole_table(dynamodb)
    counting = FailingWrites(dynamodb)
    import_scenario(store_on(counting), changing, ZONE, NOW)
    rehearsal = Rehearsal(changing, before, counting.writes, imported(whole_table(dynamodb)))
    reset(dynamodb, before)
    return rehearsal


def test_r25_the_test_import_makes_every_kind_of_write(
    loaded: DynamoDbInvoiceStore, dynamodb: Any, scenario: Scenario
) -> None:
    """The import the failures are injected into changes what it should when nothing fails."""
    counting = FailingWrites(dynamodb)
    import_scenario(store_on(counting), every_kind_of_write(scenario), ZONE, NOW)
    assert counting.writes >= 10
    assert loaded.get_tenant("kahvila").settings.timing is Timing.INVOICE_DATE
    assert loaded.get_record(key("kahvila", "k-1003")).state is AutoDispatchState.REMOVED  # turned off
    assert loaded.get_record(key("kahvila", "k-1010")).status is InvoiceStatus.SENT
    assert loaded.get_invoices([key("tilitoimisto", "t-501")])[key("tilitoimisto", "t-501")].number == "5010"
    assert loaded.get_record(key("uusi", "u-1")).state is AutoDispatchState.PENDING
    assert not journal(dynamodb)


def test_r25_a_store_failure_at_any_write_of_an_import_leaves_the_table_exactly_as_before(
    loaded: DynamoDbInvoiceStore, dynamodb: Any, rehearsed: Rehearsal
) -> None:
    """Up to its commit point a failed write undoes the import; after it (deleting the journal)
    the import stands, and the journal left behind is deleted by the next import."""
    changing, before, total, after = rehearsed.changing, rehearsed.before, rehearsed.writes, rehearsed.after
    undone = 0
    for failing_write in range(1, total + 1):
        failing = FailingWrites(dynamodb, lambda n, k=failing_write: n == k)
        try:
            import_scenario(store_on(failing), changing, ZONE, NOW)
        except ImportIncomplete as failed:
            undone += 1
            assert whole_table(dynamodb) == before, f"write {failing_write} of {total}"
            message = str(failed)
            assert "(DynamoDB " in message, message
            assert "ThrottlingException" in message, message
            assert "nothing was imported" in message or "nothing was written" in message, message
            continue
        assert imported(whole_table(dynamodb)) == after, f"write {failing_write} of {total}"
        loaded.recover_imports(NOW + IMPORT_LEASE)
        assert not journal(dynamodb)
        reset(dynamodb, before)
    assert undone >= total - 2  # only the journal's deletion comes after the commit point


def test_r25_when_the_undo_fails_too_the_next_import_finishes_it_first(
    loaded: DynamoDbInvoiceStore, dynamodb: Any, rehearsed: Rehearsal
) -> None:
    """The store stays down from the k-th write on (or the process dies there), also halfway
    through the undo: the journal stays, and the next import, once the dead import's lease ran out,
    puts everything back first."""
    changing, before, total, after = rehearsed.changing, rehearsed.before, rehearsed.writes, rehearsed.after
    later = NOW + IMPORT_LEASE + timedelta(seconds=1)
    # Down from the k-th write on (every other k and the last: the single failure at every k is the
    # test above); or failing at the k-th and again from the undo's second write on.
    downs = sorted({*range(2, total + 1, 2), total})
    cases = [(k, k) for k in downs] + [(k, k + 2) for k in range(3, total + 1, 4)]
    for first_failure, down_from in cases:
        case = f"failing at {first_failure}, down from {down_from} of {total}"
        down = FailingWrites(dynamodb, lambda n, k=first_failure, m=down_from: n in (k, m) or n >= m)
        try:
            import_scenario(store_on(down), changing, ZONE, NOW)
        except ImportIncomplete as failed:
            message = str(failed)
            assert "undoing its writes failed too" in message or "nothing was imported" in message, message
            loaded.recover_imports(NOW)  # the dead import's lease still runs: its journal is left alone
            if "failed too" in message:
                assert journal(dynamodb)
                assert whole_table(dynamodb) != before
            loaded.recover_imports(later)
            assert whole_table(dynamodb) == before, case
            continue
        assert imported(whole_table(dynamodb)) == after, case
        loaded.recover_imports(later)
        assert not journal(dynamodb)
        reset(dynamodb, before)


def reset(dynamodb: Any, items: list[dict[str, Any]]) -> None:
    """The table again with exactly these items."""
    for item in whole_table(dynamodb):
        dynamodb.delete_item(TableName=TABLE_NAME, Key={"pk": item["pk"], "sk": item["sk"]})
    for item in items:
        dynamodb.put_item(TableName=TABLE_NAME, Item=item)


def journal(dynamodb: Any) -> list[dict[str, Any]]:
    return [item for item in whole_table(dynamodb) if item["pk"]["S"] == "IMPORTS"]


def imported(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table without the journal and the import's token, which differ from import to import."""
    return [
        {name: value for name, value in item.items() if name != "import_token"}
        for item in items
        if item["pk"]["S"] != "IMPORTS"
    ]


def test_r5_a_sent_invoice_is_never_replaced_by_other_content_but_the_same_again_changes_nothing(
    loaded: DynamoDbInvoiceStore, dynamodb: Any, scenario: Scenario
) -> None:
    sent = next(invoice for invoice in scenario.invoices if invoice.invoice_id == "k-1006")  # SENT (R5)
    before = whole_table(dynamodb)
    import_scenario(loaded, Scenario(invoices=[sent]), ZONE, NOW)
    assert whole_table(dynamodb) == before  # identical: not even re-stamped
    changed = sent.model_copy(update={"number": "9999", "lines": sent.lines[:1] * 2})
    with pytest.raises(InvoiceSent) as refused:
        import_scenario(loaded, Scenario(invoices=[changed, scenario.invoices[0]]), ZONE, NOW)
    assert str(refused.value) == (
        "tenant 'kahvila', invoice 'k-1006', field 'number, lines': the invoice was sent with other "
        "content and the sent document is kept as it is; send a credit note and a new invoice (a new "
        "invoice_id) instead"
    )
    assert whole_table(dynamodb) == before


def test_r25_a_tiny_vat_rate_reads_back_from_the_store_as_imported(
    loaded: DynamoDbInvoiceStore, scenario: Scenario
) -> None:
    original = scenario.invoices[0]
    line = original.lines[0].model_copy(update={"vat_rate": Decimal("0.0000001")})
    tiny = original.model_copy(update={"invoice_id": "k-tiny", "lines": [line]})
    import_scenario(loaded, Scenario(invoices=[tiny]), ZONE, NOW)
    documents = loaded.read_invoices([tiny.key])
    assert documents.invalid == {}
    assert documents.valid[tiny.key].lines[0].vat_rate == Decimal("0.0000001")
