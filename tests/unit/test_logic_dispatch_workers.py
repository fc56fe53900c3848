"""A batch with several invoices in flight at once (logic/dispatch.py `workers`): one invoice's
waits overlap another's work, each invoice still goes claim -> send -> outcome on its own worker
(R23), and what one invoice meets never costs another its outcome or its count (R24).

Deterministic: the deliverer meets at a barrier, so two invoices are in flight together or the
barrier breaks (its timeout only bounds a broken run, nothing waits on time)."""

import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from autodispatch.channels.port import IMMEDIATE, DeliveryReceipt, Occasion
from autodispatch.errors import AccountFault, TransientError
from autodispatch.logic.dispatch import BatchDispatcher, TimeLeft, unlimited
from autodispatch.logic.unfinished import settle_unfinished_run
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, HistoryEventKind
from autodispatch.models.scenario import Invoice, InvoiceKey, Tenant
from autodispatch.store.port import RunCounts, RunRef, RunSummary
from tests import builders
from tests.fakes.deliverer import ScriptedDeliverer
from tests.fakes.store import InMemoryInvoiceStore
from tests.words import en

ZONE = ZoneInfo("Europe/Helsinki")
RUN = RunRef(run_id="night-1", run_date=date(2026, 3, 10))
STARTED = datetime(2026, 3, 9, 22, 5, tzinfo=UTC)
LEASE = timedelta(minutes=15)
# Bounds a run whose invoices never meet (one worker): the barrier breaks instead of hanging.
MEETING_BOUND_SECONDS = 20.0


class Crash(BaseException):
    """The process dies on the spot: nothing in the batch catches it."""


class Meeting(ScriptedDeliverer):
    """The first `parties` deliveries wait until they are all under way together, then answer as
    scripted (so do the later ones, without waiting): those invoices are in flight at once, or
    the barrier breaks (BrokenBarrierError, an unexpected error for the invoice)."""

    def __init__(self, parties: int, bound: float = MEETING_BOUND_SECONDS) -> None:
        super().__init__()
        self.barrier = threading.Barrier(parties, timeout=bound)
        self._met = threading.Event()

    def deliver(
        self,
        invoice: Invoice,
        tenant: Tenant,
        channel: Channel,
        kind: DeliveryKind,
        occasion: Occasion = IMMEDIATE,
    ) -> DeliveryReceipt:
        if not self._met.is_set():
            self.barrier.wait()
            self._met.set()  # before this worker goes on: every later delivery sees it
        return super().deliver(invoice, tenant, channel, kind, occasion)


def _store(*invoice_ids: str, channel: str = "EINVOICE") -> InMemoryInvoiceStore:
    store = InMemoryInvoiceStore()
    store.add_tenant(builders.tenant())
    # The run as its selection recorded it: the last sweep knows how many invoices to account for.
    store.put_run(
        RunSummary(
            run_id=RUN.run_id,
            run_date=RUN.run_date,
            started_at=STARTED,
            counts=RunCounts(selected=len(invoice_ids)),
        )
    )
    for number, invoice_id in enumerate(invoice_ids, 1001):
        store.add_invoice(
            builders.invoice(invoice_id=invoice_id, number=str(number), delivery_channel=channel)
        )
    return store


def _keys(store: InMemoryInvoiceStore) -> list[InvoiceKey]:
    return sorted(store.items, key=lambda key: key.invoice_id)


def _dispatcher(
    store: InMemoryInvoiceStore, deliverer: ScriptedDeliverer, workers: int, time_left: TimeLeft = unlimited
) -> BatchDispatcher:
    return BatchDispatcher(store, deliverer, ZONE, LEASE, lambda: STARTED, time_left, workers=workers)


def test_r24_two_workers_have_two_invoices_in_flight_at_once() -> None:
    store = _store("inv-1", "inv-2")
    deliverer = Meeting(parties=2)
    result = _dispatcher(store, deliverer, workers=2).dispatch(RUN, _keys(store))
    assert not deliverer.barrier.broken  # both sends were under way together
    assert result.counts == RunCounts(sent=2)
    for key in _keys(store):
        record = store.record(key)
        assert (record.state, record.channel) == (AutoDispatchState.SENT, Channel.EINVOICE)
        # R23: on its own worker, each invoice's claim (QUEUED) comes before its send and outcome.
        events = [event.event for event in record.history if event.run_id == RUN.run_id]
        assert events[0] is HistoryEventKind.QUEUED
        assert events[-1] is HistoryEventKind.SENT


def test_r24_one_worker_takes_one_invoice_at_a_time() -> None:
    """The same batch on one worker: the deliveries never meet (the test above can fail)."""
    store = _store("inv-1", "inv-2")
    deliverer = Meeting(parties=2, bound=0.01)  # no need to wait long: nobody else can come
    result = _dispatcher(store, deliverer, workers=1).dispatch(RUN, _keys(store))
    assert deliverer.barrier.broken
    assert result.counts.sent == 0


def test_r24_an_unexpected_error_of_one_workers_invoice_costs_the_other_nothing() -> None:
    """Both invoices in flight; inv-1's send blows up (a bug, not a channel's answer) while inv-2's
    goes through: inv-1 FAILED with its issue, inv-2 SENT, both counted."""
    store = _store("inv-1", "inv-2")
    deliverer = Meeting(parties=2)
    deliverer.fail("inv-1", Channel.EINVOICE, RuntimeError("renderer bug"))
    result = _dispatcher(store, deliverer, workers=2).dispatch(RUN, _keys(store))
    assert not deliverer.barrier.broken
    states = {key.invoice_id: store.record(key).state for key in _keys(store)}
    assert states == {"inv-1": AutoDispatchState.FAILED, "inv-2": AutoDispatchState.SENT}
    assert result.counts == RunCounts(sent=1, failed=1)
    assert store.get_run(RUN.run_id).counts == RunCounts(selected=2, sent=1, failed=1)
    assert [issue.invoice_id for issue in store.run_issues(RUN.run_id)] == ["inv-1"]


def test_r23_r24_a_crash_on_one_worker_keeps_the_other_invoices_outcome_and_the_run_counts_both() -> None:
    """The process dies in inv-1's send while inv-2's send is under way: inv-2's outcome is written
    (it finishes before the batch goes down), and after the retry and the run's last sweep the
    counts are every invoice's own; nothing is sent twice."""
    store = _store("inv-1", "inv-2", "inv-3", channel="EMAIL")
    deliverer = Meeting(parties=2)
    deliverer.fail("inv-1", Channel.EMAIL, Crash())
    with pytest.raises(Crash):
        _dispatcher(store, deliverer, workers=2).dispatch(RUN, _keys(store))
    assert store.record(_keys(store)[1]).state is AutoDispatchState.SENT
    deliverer.die()
    retry = ScriptedDeliverer()
    later = BatchDispatcher(store, retry, ZONE, LEASE, lambda: STARTED + 2 * LEASE, workers=2)
    later.dispatch(RUN, _keys(store))
    settle_unfinished_run(RUN, store, lambda: iter(_keys(store)), ZONE, lambda: STARTED + 3 * LEASE)
    states = {key.invoice_id: store.record(key).state for key in _keys(store)}
    # inv-1's email may have gone: sent again it could be a duplicate, so it is not (R23).
    assert states == {
        "inv-1": AutoDispatchState.FAILED,
        "inv-2": AutoDispatchState.SENT,
        "inv-3": AutoDispatchState.SENT,
    }
    # inv-3 went once: on the first invocation if a worker took it before the batch went down, or
    # on the retry (the batch takes no new invoice once one worker's invoice crashed).
    assert [call[0] for call in [*deliverer.calls, *retry.calls]].count("inv-3") == 1
    assert "inv-1" not in [call[0] for call in retry.calls]
    counts = store.get_run(RUN.run_id).counts
    assert (counts.sent, counts.failed) == (2, 1)


def test_r24_the_time_guard_holds_with_workers_no_new_invoice_once_time_runs_short() -> None:
    """Time runs short once the first invoice is delivered: the two in flight finish, the other
    two are handed back unclaimed and the retry sends them."""
    store = _store("inv-1", "inv-2", "inv-3", "inv-4")
    deliverer = Meeting(parties=2)

    def time_left() -> float:
        return 120.0 if not deliverer.delivered else 5.0

    with pytest.raises(TransientError):
        _dispatcher(store, deliverer, workers=2, time_left=time_left).dispatch(RUN, _keys(store))
    states = Counter(store.record(key).state for key in _keys(store))
    assert states == Counter({AutoDispatchState.SENT: 2, AutoDispatchState.PENDING: 2})
    assert all(store.record(key).unfinished_attempt is None for key in _keys(store))
    assert store.get_run(RUN.run_id).counts.sent == 2
    retried = _dispatcher(store, ScriptedDeliverer(), workers=2).dispatch(RUN, _keys(store))
    assert retried.counts.sent == 2


def test_r24_an_email_account_fault_on_one_worker_stops_email_for_the_whole_batch() -> None:
    """SES refuses the sender's account for inv-1 and inv-2, in flight together; inv-3, taken
    after, is refused the same without an email being tried (the latch is the batch's)."""
    store = _store("inv-1", "inv-2", "inv-3", channel="EMAIL")
    deliverer = Meeting(parties=2)
    fault = AccountFault("the email service refused the sender's account (AccountSendingPausedException)")
    deliverer.fail("inv-1", Channel.EMAIL, fault)
    deliverer.fail("inv-2", Channel.EMAIL, fault)
    result = _dispatcher(store, deliverer, workers=2).dispatch(RUN, _keys(store))
    assert deliverer.channels_tried("inv-3") == []
    assert result.email_account_faults == 3
    assert result.counts.failed == 3
    record = store.record(next(key for key in store.items if key.invoice_id == "inv-3"))
    assert "sender" in (en(record.message) or "")


def test_r24_a_batch_needs_a_worker() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        _dispatcher(_store("inv-1"), ScriptedDeliverer(), workers=0)
