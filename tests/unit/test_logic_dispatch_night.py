"""A night's batches of the demo scenario on the in-memory store: what a run does with settled,
claimed, broken and unexpected invoices (R9, R23, R24, R25). Moved from moto: the contract suite
holds the fake to DynamoDB's behaviour."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from autodispatch.errors import PermanentRejection, TransientError
from autodispatch.logic.dispatch import BatchDispatcher
from autodispatch.logic.settings import save_tenant
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, HistoryEventKind
from autodispatch.models.scenario import InvoiceKey
from autodispatch.store.port import Attempt, RunCounts, RunRef
from tests.fakes.deliverer import ScriptedDeliverer
from tests.fakes.store import InMemoryInvoiceStore

ZONE = ZoneInfo("Europe/Helsinki")
NIGHT = date(2026, 3, 10)
RUN = RunRef(run_id="night-a", run_date=NIGHT)
LATER = RunRef(run_id="night-c", run_date=date(2026, 3, 11))
STARTED = datetime(2026, 3, 9, 22, 5, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = STARTED

    def __call__(self) -> datetime:
        return self.now


def key(tenant_id: str, invoice_id: str) -> InvoiceKey:
    return InvoiceKey(tenant_id=tenant_id, invoice_id=invoice_id)


def dispatcher(
    store: InMemoryInvoiceStore, deliverer: ScriptedDeliverer, clock: Clock | None = None
) -> BatchDispatcher:
    return BatchDispatcher(store, deliverer, ZONE, timedelta(minutes=15), clock or Clock())


def claim_by(
    store: InMemoryInvoiceStore, k: InvoiceKey, claimant: str, channel: Channel, at: datetime
) -> None:
    """Another invocation (live, or dead once its 15-minute lease runs out) holds the invoice."""
    attempt = Attempt(run_id=claimant, channel=channel, kind=DeliveryKind.INVOICE, started_at=at)
    store.claim(k, attempt, lease_until=at + timedelta(minutes=15), events=[])


@pytest.fixture(autouse=True)
def runs(loaded: InMemoryInvoiceStore) -> None:
    """The selector records each run before its batches are dispatched."""
    for run in (RUN, LATER):
        loaded.add_run(run, STARTED)


def test_r9_settled_invoice_is_not_dispatched_again(loaded: InMemoryInvoiceStore) -> None:
    deliverer = ScriptedDeliverer()
    k = key("kahvila", "k-1005")
    dispatcher(loaded, deliverer).dispatch(RUN, [k])
    second = dispatcher(loaded, deliverer).dispatch(LATER, [k])
    assert second.counts == RunCounts()
    assert loaded.events(k).count(HistoryEventKind.FAILED.value) == 1


def test_r24_one_bad_invoice_does_not_stop_the_batch(loaded: InMemoryInvoiceStore) -> None:
    deliverer = ScriptedDeliverer()
    deliverer.refuse("k-1001", PermanentRejection("rejected"))
    keys = [key("kahvila", i) for i in ("k-1001", "k-1002", "k-1003", "k-1004", "k-1005")]
    result = dispatcher(loaded, deliverer).dispatch(RUN, keys)
    outcomes = {k.invoice_id: (r.state, r.channel) for k, r in loaded.get_records(keys).items()}
    assert outcomes == {
        "k-1001": (AutoDispatchState.FAILED, None),  # every channel rejected it
        "k-1002": (AutoDispatchState.SENT, Channel.EMAIL),
        "k-1003": (AutoDispatchState.SENT, Channel.EMAIL),
        "k-1004": (AutoDispatchState.SENT, Channel.PRINT),
        "k-1005": (AutoDispatchState.FAILED, None),
    }
    assert (result.counts.sent, result.counts.failed) == (3, 2)


def test_r23_duplicate_invocation_of_the_same_batch_cannot_take_a_live_claim(
    loaded: InMemoryInvoiceStore,
) -> None:
    """Express child executions are at-least-once: a duplicate of a batch of the same run must not
    send an invoice another invocation is sending right now."""
    k = key("kahvila", "k-1003")
    claim_by(loaded, k, f"{RUN.run_id}/first", Channel.EMAIL, STARTED)
    deliverer = ScriptedDeliverer()
    result = dispatcher(loaded, deliverer).dispatch(RUN, [k])
    assert deliverer.calls == []
    assert result.counts == RunCounts()


def test_r24_unexpected_error_fails_only_that_invoice(loaded: InMemoryInvoiceStore) -> None:
    deliverer = ScriptedDeliverer()
    deliverer.fail("k-1003", Channel.EMAIL, RuntimeError("renderer bug with a customer's name in it"))
    keys = [key("kahvila", i) for i in ("k-1001", "k-1003", "k-1004")]
    result = dispatcher(loaded, deliverer).dispatch(RUN, keys)
    record = loaded.get_record(key("kahvila", "k-1003"))
    assert record.state is AutoDispatchState.FAILED
    assert "unexpected error (RuntimeError)" in (record.message or "")
    assert "customer's name" not in (record.message or "")
    assert (result.counts.sent, result.counts.failed) == (2, 1)
    assert [issue.number for issue in loaded.run_issues(RUN.run_id)] == ["1003"]


def test_r24_batch_short_of_time_records_what_it_did_and_leaves_the_rest_for_the_retry(
    loaded: InMemoryInvoiceStore,
) -> None:
    budget = iter([120.0, 5.0, 5.0])
    keys = [key("kahvila", i) for i in ("k-1001", "k-1002", "k-1003")]
    short = BatchDispatcher(
        loaded, ScriptedDeliverer(), ZONE, timedelta(minutes=15), Clock(), lambda: next(budget)
    )
    with pytest.raises(TransientError):
        short.dispatch(RUN, keys)
    assert [loaded.get_record(k).state for k in keys] == [
        AutoDispatchState.SENT,
        AutoDispatchState.PENDING,
        AutoDispatchState.PENDING,
    ]
    assert loaded.get_run(RUN.run_id).counts.sent == 1
    retried = dispatcher(loaded, ScriptedDeliverer()).dispatch(RUN, keys)
    assert retried.counts.sent == 2


def test_r25_missing_invoice_document_fails_the_invoice_instead_of_waiting_forever(
    loaded: InMemoryInvoiceStore,
) -> None:
    del loaded.documents[key("kahvila", "k-1002")]
    result = dispatcher(loaded, ScriptedDeliverer()).dispatch(RUN, [key("kahvila", "k-1002")])
    record = loaded.get_record(key("kahvila", "k-1002"))
    assert record.state is AutoDispatchState.FAILED
    assert "document is missing" in (record.message or "")
    assert result.counts.failed == 1
    assert [issue.number for issue in loaded.run_issues(RUN.run_id)] == ["1002"]


def test_r23_unfinished_email_of_a_dead_run_fails_in_doubt_even_if_now_ignored(
    loaded: InMemoryInvoiceStore,
) -> None:
    """A run died while emailing k-1003; meanwhile EMAIL was switched off. The next run must not
    record it IGNORED ("nothing was sent"): it may have been sent, so it is FAILED in doubt."""
    k = key("kahvila", "k-1003")
    clock = Clock()
    claim_by(loaded, k, "dead/1", Channel.EMAIL, clock.now)
    tenant = loaded.get_tenant("kahvila")
    settings = tenant.settings.model_copy(update={"channels": [Channel.EINVOICE, Channel.PRINT]})
    save_tenant(loaded, tenant.model_copy(update={"settings": settings}), ZONE, clock.now)
    clock.now += timedelta(hours=1)
    deliverer = ScriptedDeliverer()
    dispatcher(loaded, deliverer, clock).dispatch(RUN, [k])
    record = loaded.get_record(k)
    assert record.state is AutoDispatchState.FAILED
    assert "unknown whether the invoice reached the customer" in (record.message or "")
    assert deliverer.calls == []
