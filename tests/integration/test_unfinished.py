"""R24 on the store (moto): what a run leaves unfinished is settled FAILED and reported; a claim of
the run's own dead invocation counts as in doubt (R23); another run's live claim is left alone."""

from datetime import UTC, date, datetime, timedelta

from autodispatch.logic.unfinished import settle_unfinished
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind
from autodispatch.models.scenario import InvoiceKey
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.port import Attempt, RunRef, RunSummary
from tests.integration.conftest import ZONE
from tests.words import en

NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
RUN = RunRef(run_id="night-1", run_date=date(2026, 3, 10))


def _key(invoice_id: str) -> InvoiceKey:
    return InvoiceKey(tenant_id="kahvila", invoice_id=invoice_id)


def _claim(store: DynamoDbInvoiceStore, invoice_id: str, claimant: str) -> None:
    attempt = Attempt(run_id=claimant, channel=Channel.EMAIL, kind=DeliveryKind.INVOICE, started_at=NOW)
    store.claim(_key(invoice_id), attempt, lease_until=NOW + timedelta(minutes=15), events=[])


def test_r24_unfinished_invoices_are_settled_failed_and_reported(loaded: DynamoDbInvoiceStore) -> None:
    loaded.put_run(RunSummary(run_id=RUN.run_id, run_date=RUN.run_date, started_at=NOW))
    _claim(loaded, "k-1002", "night-1/dead-invocation")  # died mid-send in this run
    _claim(loaded, "k-1003", "night-10/live-invocation")  # another run, still sending
    keys = [_key("k-1001"), _key("k-1002"), _key("k-1003"), _key("k-1007")]  # k-1007 is REMOVED

    counts = settle_unfinished(RUN, keys, loaded, ZONE, lambda: NOW, "States.Timeout")

    records = loaded.get_records(keys)
    assert counts.failed == 2
    assert records[_key("k-1001")].state is AutoDispatchState.FAILED
    assert "could not dispatch this invoice before it ended (States.Timeout)" in (
        en(records[_key("k-1001")].message) or ""
    )
    assert records[_key("k-1002")].state is AutoDispatchState.FAILED
    assert "unknown whether the invoice reached the customer" in (en(records[_key("k-1002")].message) or "")
    assert records[_key("k-1003")].state is AutoDispatchState.PENDING
    assert records[_key("k-1007")].state is AutoDispatchState.REMOVED
    assert {issue.invoice_id for issue in loaded.run_issues(RUN.run_id)} == {"k-1001", "k-1002"}
    assert loaded.get_run(RUN.run_id).counts.failed == 2
