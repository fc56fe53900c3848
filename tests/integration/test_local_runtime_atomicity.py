"""The local runtime must keep DynamoDB's guarantee that a conditional write is atomic: concurrent
executions run on threads there, and moto alone checks and writes in two steps."""

import threading
from datetime import UTC, datetime, timedelta

from autodispatch.errors import ConcurrentUpdate
from autodispatch.logic.importing import import_invoices
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.scenario import Invoice, Scenario
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.port import Attempt
from autodispatch_cli.local.runtime import _atomic_dynamodb_writes
from tests.integration.conftest import ZONE

CONTENDERS = 4
ROUNDS = 20


def _winners(store: DynamoDbInvoiceStore, invoice: Invoice) -> list[int]:
    """Claims one invoice from several threads released at the same moment; who won."""
    now = datetime.now(UTC)
    start = threading.Barrier(CONTENDERS)
    winners: list[int] = []

    def contend(contender: int) -> None:
        attempt = Attempt(
            run_id=f"run/{contender}", channel=Channel.EMAIL, kind=DeliveryKind.INVOICE, started_at=now
        )
        start.wait(timeout=10)
        try:
            store.claim(invoice.key, attempt, now + timedelta(minutes=15), [])
            winners.append(contender)
        except ConcurrentUpdate:
            pass

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(CONTENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return winners


def test_r23_only_one_of_several_simultaneous_claims_wins(
    loaded: DynamoDbInvoiceStore, scenario: Scenario
) -> None:
    with _atomic_dynamodb_writes():
        results = []
        for round_number in range(ROUNDS):
            invoice = scenario.invoices[0].model_copy(update={"invoice_id": f"race-{round_number}"})
            import_invoices(loaded, [invoice], ZONE, datetime.now(UTC))
            results.append(len(_winners(loaded, invoice)))
    assert results == [1] * ROUNDS
