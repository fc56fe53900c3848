"""The store port's contract for tenants, invoice documents, records, the pending index and the
user's own actions (R2, R5, R19, R20, R22), on the fake and on DynamoDB alike."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from autodispatch.errors import ConcurrentUpdate, InvalidTransition, NotFound
from autodispatch.models.dispatch import HistoryEvent, InitialState
from autodispatch.models.enums import AutoDispatchState, Channel, HistoryEventKind, InvoiceStatus
from autodispatch.models.scenario import Invoice, InvoiceKey
from autodispatch.models.text import verbatim
from autodispatch.store.port import Attempt, InvoiceStore

NOW = datetime(2026, 3, 9, 22, 0, tzinfo=UTC)
DUE = datetime(2026, 3, 9, 11, 0, tzinfo=UTC)
PENDING = AutoDispatchState.PENDING


def pending(due: datetime = DUE) -> InitialState:
    return InitialState(state=PENDING, due_from=due)


def stored(store: InvoiceStore, build: Any, *invoice_ids: str, **overrides: Any) -> list[Invoice]:
    store.put_tenant(build.tenant())
    invoices = [build.invoice(invoice_id=invoice_id, **overrides) for invoice_id in invoice_ids]
    store.put_invoices([(invoice, pending()) for invoice in invoices], NOW)
    return invoices


def user_event(kind: HistoryEventKind) -> HistoryEvent:
    return HistoryEvent(at=NOW, event=kind)


def test_tenants_are_put_read_and_listed(store: InvoiceStore, build: Any) -> None:
    store.put_tenant(build.tenant(tenant_id="b-seller"))
    store.put_tenant(build.tenant(tenant_id="a-seller"))
    assert store.get_tenant("a-seller").tenant_id == "a-seller"
    assert set(store.get_tenants(["a-seller", "nobody"])) == {"a-seller"}
    assert [tenant.tenant_id for tenant in store.list_tenants()] == ["a-seller", "b-seller"]
    with pytest.raises(NotFound):
        store.get_tenant("nobody")


def test_r19_a_new_invoice_gets_its_initial_state_and_its_document(store: InvoiceStore, build: Any) -> None:
    (invoice,) = stored(store, build, "inv-1")
    store.put_invoices(
        [
            (
                build.invoice(invoice_id="inv-2"),
                InitialState(state=AutoDispatchState.IGNORED, message=verbatim("no")),
            )
        ],
        NOW,
    )
    record = store.get_record(invoice.key)
    assert (record.state, record.status, record.number, record.history) == (
        PENDING,
        InvoiceStatus.UNSENT,
        invoice.number,
        (),
    )
    ignored = store.get_record(InvoiceKey(tenant_id="seller", invoice_id="inv-2"))
    assert (ignored.state, ignored.message) == (AutoDispatchState.IGNORED, verbatim("no"))
    assert store.get_invoices([invoice.key]) == {invoice.key: invoice}
    assert store.read_invoices([invoice.key]).valid == {invoice.key: invoice}
    unknown = InvoiceKey(tenant_id="seller", invoice_id="nope")
    assert store.get_records([unknown]) == {}
    with pytest.raises(NotFound):
        store.get_record(unknown)


def test_r10_pending_lists_what_is_due_before_the_instant_claimed_or_not(
    store: InvoiceStore, build: Any
) -> None:
    store.put_tenant(build.tenant())
    early, late = build.invoice(invoice_id="early"), build.invoice(invoice_id="late")
    store.put_invoices([(early, pending(DUE)), (late, pending(DUE + timedelta(days=1)))], NOW)
    attempt = Attempt(run_id="run/a", channel=Channel.EINVOICE, kind="INVOICE", started_at=NOW)
    store.claim(early.key, attempt, NOW + timedelta(minutes=15), [])
    entries = list(store.pending(DUE + timedelta(hours=1)))
    assert [(entry.key, entry.due_from, entry.source) for entry in entries] == [
        (early.key, DUE, early.source)
    ]
    states = sorted(store.pending_states("seller"), key=lambda state: state.key.invoice_id)
    assert [state.key.invoice_id for state in states] == ["early", "late"]
    assert states[0].created_at == early.created_at
    assert states[0].invoice_date == early.invoice_date


def test_r6_reimporting_a_pending_invoice_rekeys_it_and_a_settled_one_keeps_its_state(
    store: InvoiceStore, build: Any
) -> None:
    (invoice,) = stored(store, build, "inv-1")
    later = DUE + timedelta(days=2)
    store.put_invoices([(invoice, pending(later))], NOW)
    assert [entry.due_from for entry in store.pending(later + timedelta(seconds=1))] == [later]
    store.rekey(invoice.key, DUE)
    assert [entry.due_from for entry in store.pending(DUE + timedelta(seconds=1))] == [DUE]
    store.remove_auto(invoice.key, "removed", user_event(HistoryEventKind.REMOVED_BY_USER))
    store.put_invoices([(invoice, pending(later))], NOW)
    store.rekey(invoice.key, DUE)
    assert store.get_record(invoice.key).state is AutoDispatchState.REMOVED
    assert list(store.pending(later + timedelta(days=1))) == []


def test_r5_an_unsent_invoice_imported_again_as_sent_becomes_sent(store: InvoiceStore, build: Any) -> None:
    (invoice,) = stored(store, build, "inv-1")
    sent = build.invoice(invoice_id="inv-1", status="SENT")
    store.put_invoices(
        [(sent, InitialState(state=AutoDispatchState.SENT, message=verbatim("sent elsewhere")))], NOW
    )
    record = store.get_record(invoice.key)
    assert (record.status, record.state, record.message) == (
        InvoiceStatus.SENT,
        AutoDispatchState.SENT,
        verbatim("sent elsewhere"),
    )
    assert list(store.pending(NOW)) == []


def test_records_are_listed_and_paged_in_invoice_id_order(store: InvoiceStore, build: Any) -> None:
    stored(store, build, "c", "a", "b", "d")
    store.remove_auto(
        InvoiceKey(tenant_id="seller", invoice_id="b"), "off", user_event(HistoryEventKind.REMOVED_BY_USER)
    )
    assert [record.invoice_id for record in store.list_records("seller")] == ["a", "b", "c", "d"]
    assert [record.invoice_id for record in store.list_records("seller", PENDING)] == ["a", "c", "d"]
    first = store.records_page("seller", None, 2)
    assert ([record.invoice_id for record in first.records], first.resume_after) == (["a", "b"], "b")
    rest = store.records_page("seller", None, 2, after="b")
    assert ([record.invoice_id for record in rest.records], rest.resume_after) == (["c", "d"], None)
    filtered = store.records_page("seller", PENDING, 5)
    assert ([record.invoice_id for record in filtered.records], filtered.resume_after) == (
        ["a", "c", "d"],
        None,
    )


def test_r2_turn_off_removes_only_an_unclaimed_pending_invoice(store: InvoiceStore, build: Any) -> None:
    free, claimed = stored(store, build, "free", "claimed")
    attempt = Attempt(run_id="run/a", channel=Channel.EINVOICE, kind="INVOICE", started_at=NOW)
    store.claim(claimed.key, attempt, NOW - timedelta(minutes=1), [])  # even an expired claim
    event = user_event(HistoryEventKind.TURNED_OFF_BY_ACTIVATION)
    store.turn_off(free.key, verbatim("turned off"), event)
    store.turn_off(claimed.key, verbatim("turned off"), event)
    assert (store.get_record(free.key).state, store.get_record(free.key).message) == (
        AutoDispatchState.REMOVED,
        verbatim("turned off"),
    )
    assert store.get_record(claimed.key).state is PENDING
    assert [entry.key for entry in store.pending(NOW)] == [claimed.key]


def test_r20_remove_and_restore_automatic_dispatch(store: InvoiceStore, build: Any) -> None:
    (invoice,) = stored(store, build, "inv-1")
    store.remove_auto(invoice.key, "removed by you", user_event(HistoryEventKind.REMOVED_BY_USER))
    assert store.get_record(invoice.key).state is AutoDispatchState.REMOVED
    assert list(store.pending(NOW)) == []
    with pytest.raises(InvalidTransition, match="already removed"):
        store.remove_auto(invoice.key, "again", user_event(HistoryEventKind.REMOVED_BY_USER))
    store.restore_auto(invoice.key, DUE, user_event(HistoryEventKind.RESTORED_BY_USER))
    record = store.get_record(invoice.key)
    assert (record.state, record.message) == (PENDING, None)
    assert [event.event for event in record.history] == [
        HistoryEventKind.REMOVED_BY_USER,
        HistoryEventKind.RESTORED_BY_USER,
    ]
    assert [entry.key for entry in store.pending(NOW)] == [invoice.key]
    with pytest.raises(InvalidTransition, match="its automatic dispatch is on"):
        store.restore_auto(invoice.key, DUE, user_event(HistoryEventKind.RESTORED_BY_USER))
    # The user's choice is explicit: an activation must not turn it off again (R2).
    assert next(iter(store.pending_states("seller"))).auto_dispatch is True


def test_r20_r23_an_invoice_a_run_is_dispatching_cannot_be_removed(store: InvoiceStore, build: Any) -> None:
    (invoice,) = stored(store, build, "inv-1")
    attempt = Attempt(run_id="night/a", channel=Channel.EINVOICE, kind="INVOICE", started_at=NOW)
    store.claim(invoice.key, attempt, NOW + timedelta(minutes=15), [])
    with pytest.raises(InvalidTransition, match="a run is dispatching it now"):
        store.remove_auto(invoice.key, "removed", user_event(HistoryEventKind.REMOVED_BY_USER))
    unknown = InvoiceKey(tenant_id="seller", invoice_id="nope")
    with pytest.raises(NotFound):
        store.remove_auto(unknown, "removed", user_event(HistoryEventKind.REMOVED_BY_USER))
    with pytest.raises(NotFound):
        store.restore_auto(unknown, DUE, user_event(HistoryEventKind.RESTORED_BY_USER))


def test_r22_a_manual_send_ends_a_pending_invoice_sent(store: InvoiceStore, build: Any) -> None:
    (invoice,) = stored(store, build, "inv-1")
    sent = user_event(HistoryEventKind.SENT_MANUALLY)
    store.mark_sent_manually(invoice.key, Channel.PRINT, date(2026, 3, 10), verbatim("sent by you"), [sent])
    record = store.get_record(invoice.key)
    assert (record.status, record.state, record.channel, record.sent_on, record.message) == (
        InvoiceStatus.SENT,
        AutoDispatchState.SENT,
        Channel.PRINT,
        date(2026, 3, 10),
        verbatim("sent by you"),
    )
    assert list(store.pending(NOW)) == []
    with pytest.raises(InvalidTransition, match="already sent"):
        store.mark_sent_manually(invoice.key, Channel.PRINT, date(2026, 3, 10), "again", [sent])


def test_r22_a_manual_send_keeps_a_removed_state_unless_the_send_removed_it(
    store: InvoiceStore, build: Any
) -> None:
    by_user, for_the_send = stored(store, build, "by-user", "for-send")
    sent = user_event(HistoryEventKind.SENT_MANUALLY)
    for invoice in (by_user, for_the_send):
        store.remove_auto(invoice.key, "removed", user_event(HistoryEventKind.REMOVED_BY_USER))
    store.mark_sent_manually(by_user.key, Channel.EMAIL, date(2026, 3, 10), verbatim("sent by you"), [sent])
    store.mark_sent_manually(
        for_the_send.key,
        Channel.EMAIL,
        date(2026, 3, 10),
        verbatim("sent by you"),
        [sent],
        removed_for_the_send=True,
    )
    assert [store.get_record(invoice.key).state for invoice in (by_user, for_the_send)] == [
        AutoDispatchState.REMOVED,
        AutoDispatchState.SENT,
    ]
    assert {store.get_record(invoice.key).status for invoice in (by_user, for_the_send)} == {
        InvoiceStatus.SENT
    }


def test_r22_a_live_claim_refuses_a_manual_send_and_an_expired_one_does_not(
    store: InvoiceStore, build: Any
) -> None:
    live, dead = stored(store, build, "live", "dead")
    attempt = Attempt(run_id="night/a", channel=Channel.EMAIL, kind="INVOICE", started_at=NOW)
    store.claim(live.key, attempt, NOW + timedelta(minutes=15), [])
    store.claim(dead.key, attempt, NOW - timedelta(minutes=1), [])
    sent = user_event(HistoryEventKind.SENT_MANUALLY)
    with pytest.raises(InvalidTransition, match="dispatching it now"):
        store.mark_sent_manually(live.key, Channel.PRINT, date(2026, 3, 10), "sent", [sent])
    store.mark_sent_manually(dead.key, Channel.PRINT, date(2026, 3, 10), "sent", [sent])
    assert store.get_record(dead.key).unfinished_attempt is None


def test_r22_a_user_event_is_appended_and_changes_nothing_else(store: InvoiceStore, build: Any) -> None:
    (invoice,) = stored(store, build, "inv-1")
    store.add_user_event(invoice.key, user_event(HistoryEventKind.MANUAL_SEND_FAILED))
    record = store.get_record(invoice.key)
    assert (record.state, [event.event for event in record.history]) == (
        PENDING,
        [HistoryEventKind.MANUAL_SEND_FAILED],
    )
    with pytest.raises(NotFound):
        store.add_user_event(
            InvoiceKey(tenant_id="seller", invoice_id="x"), user_event(HistoryEventKind.MANUAL_SEND_FAILED)
        )


def test_r23_an_ended_try_s_staged_claim_is_taken_over_at_once_and_no_other(
    store: InvoiceStore, build: Any
) -> None:
    """A try of a batch may take, before its lease ends, the claims an ended try of the same batch
    made for documents staged for an outbox object (the claim names it, and tells it back), never
    a claim without one, nor one of a claimant it does not name (a duplicate execution's)."""
    staged_invoice, direct_invoice = stored(store, build, "k-1", "k-2")
    started = DUE + timedelta(hours=1)
    key = "outbox/einvoice/run-1/batch/try0-1.xml"
    staged = Attempt(
        run_id="run-1/x-0", channel=Channel.EINVOICE, kind="INVOICE", started_at=started, transmission=key
    )
    direct = Attempt(run_id="run-1/x-0", channel=Channel.EINVOICE, kind="INVOICE", started_at=started)
    store.claim(staged_invoice.key, staged, started + timedelta(minutes=15), [])
    store.claim(direct_invoice.key, direct, started + timedelta(minutes=15), [])
    assert store.get_record(staged_invoice.key).unfinished_transmission == key

    retry = Attempt(run_id="run-1/x-1", channel=Channel.EINVOICE, kind="INVOICE", started_at=started)
    with pytest.raises(ConcurrentUpdate):
        store.claim(staged_invoice.key, retry, started + timedelta(minutes=15), [], ended=("run-1/y-0",))
    with pytest.raises(ConcurrentUpdate):
        store.claim(direct_invoice.key, retry, started + timedelta(minutes=15), [], ended=("run-1/x-0",))
    found = store.claim(staged_invoice.key, retry, started + timedelta(minutes=15), [], ended=("run-1/x-0",))
    assert found is not None
    assert found.transmission == key
    # The next attempt names no object: none lingers on the claim.
    store.next_attempt(staged_invoice.key, retry.model_copy(update={"channel": Channel.EMAIL}), [])
    assert store.get_record(staged_invoice.key).unfinished_transmission is None
