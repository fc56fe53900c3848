"""R24 with R23: the sweep of a run's unfinished invoices settles each with what is known, on the
in-memory store (the contract suite holds it to DynamoDB's behaviour)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from autodispatch.logic.dispatch import BatchDispatcher
from autodispatch.logic.unfinished import settle_unfinished, settle_unfinished_run
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, HistoryEventKind
from autodispatch.models.scenario import InvoiceKey
from autodispatch.store.port import Attempt, RunCounts, RunRef
from tests.fakes.deliverer import ScriptedDeliverer
from tests.fakes.store import InMemoryInvoiceStore

ZONE = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
RUN = RunRef(run_id="night-1", run_date=date(2026, 3, 10))


class Crash(BaseException):
    """The process dies on the spot."""


def _key(invoice_id: str) -> InvoiceKey:
    return InvoiceKey(tenant_id="kahvila", invoice_id=invoice_id)


def _claim(store: InMemoryInvoiceStore, invoice_id: str, claimant: str) -> None:
    attempt = Attempt(run_id=claimant, channel=Channel.EMAIL, kind=DeliveryKind.INVOICE, started_at=NOW)
    store.claim(_key(invoice_id), attempt, lease_until=NOW + timedelta(minutes=15), events=[])


def test_r24_unfinished_invoices_are_settled_failed_and_reported(loaded: InMemoryInvoiceStore) -> None:
    loaded.add_run(RUN, NOW)
    _claim(loaded, "k-1002", "night-1/dead-invocation")  # died mid-send in this run
    _claim(loaded, "k-1003", "night-10/live-invocation")  # another run, still sending
    keys = [_key("k-1001"), _key("k-1002"), _key("k-1003"), _key("k-1007")]  # k-1007 is REMOVED

    counts = settle_unfinished(RUN, keys, loaded, ZONE, lambda: NOW, "States.Timeout")

    records = loaded.get_records(keys)
    assert counts == RunCounts(failed=2)
    assert records[_key("k-1001")].state is AutoDispatchState.FAILED
    assert "could not dispatch this invoice before it ended (States.Timeout)" in (
        records[_key("k-1001")].message or ""
    )
    assert records[_key("k-1002")].state is AutoDispatchState.FAILED
    assert "unknown whether the invoice reached the customer" in (records[_key("k-1002")].message or "")
    assert records[_key("k-1003")].state is AutoDispatchState.PENDING
    assert records[_key("k-1007")].state is AutoDispatchState.REMOVED
    assert {issue.invoice_id for issue in loaded.run_issues(RUN.run_id)} == {"k-1001", "k-1002"}
    assert loaded.get_run(RUN.run_id).counts.failed == 2


def test_r17_r23_r24_a_crash_during_the_factoring_copy_settles_the_invoice_sent_with_the_copy_in_doubt(
    loaded: InMemoryInvoiceStore,
) -> None:
    """Issue 21: the invoice reached the customer by e-invoice; the run died while the financier's
    copy was going. The sweep must not say "nothing was sent" (that invites a second delivery)."""
    loaded.add_run(RUN, NOW)
    k = _key("k-1009")
    deliverer = ScriptedDeliverer()
    deliverer.fail_factoring(Crash())
    with pytest.raises(Crash):
        BatchDispatcher(loaded, deliverer, ZONE, timedelta(minutes=15), lambda: NOW).dispatch(RUN, [k])
    assert deliverer.delivered == [("k-1009", Channel.EINVOICE)]

    counts = settle_unfinished(RUN, [k], loaded, ZONE, lambda: NOW, "States.Timeout")

    record = loaded.get_record(k)
    assert (record.state, record.channel, record.sent_on) == (
        AutoDispatchState.SENT,
        Channel.EINVOICE,
        RUN.run_date,
    )
    assert "nothing was sent" not in (record.message or "")
    copy = record.history[-1]
    assert copy.event is HistoryEventKind.FACTORING_FAILED
    assert "may or may not have been sent" in (copy.detail or "")
    assert counts == RunCounts(sent=1, follow_ups_failed=1)
    assert loaded.get_run(RUN.run_id).counts == RunCounts(sent=1, follow_ups_failed=1)
    (issue,) = loaded.run_issues(RUN.run_id)
    assert (issue.invoice_id, issue.state) == ("k-1009", AutoDispatchState.SENT)
    assert issue.message.startswith("Sent, but the factoring message")
    assert deliverer.factoring_calls == [("k-1009", Channel.EMAIL)]  # the sweep sent nothing


def test_r24_the_last_sweep_reads_the_work_list_only_when_the_counts_fall_short(
    loaded: InMemoryInvoiceStore,
) -> None:
    loaded.add_run(RUN, NOW)
    loaded.add_run_counts(RUN, RunCounts(selected=1, sent=1))

    def unread() -> list[InvoiceKey]:
        raise AssertionError("the work list was read although every selected invoice was settled")

    assert settle_unfinished_run(RUN, loaded, unread, ZONE, lambda: NOW) == RunCounts()
    loaded.add_run_counts(RUN, RunCounts(selected=1))
    counts = settle_unfinished_run(RUN, loaded, lambda: [_key("k-1001")], ZONE, lambda: NOW)
    assert counts == RunCounts(failed=1)
    assert "its batch did not finish" in (loaded.get_record(_key("k-1001")).message or "")
