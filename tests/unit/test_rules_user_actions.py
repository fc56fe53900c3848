"""R19, R20, R22, R28: what the open-invoices list shows of an invoice (its display state) and the
actions the server allows on it: one rule, so the page's buttons and the action routes agree."""

import copy
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodispatch.errors import AutodispatchError, PermanentRejection
from autodispatch.i18n import render
from autodispatch.logic.dispatch import BatchDispatcher
from autodispatch.logic.manual import remove_automatic_dispatch, restore_automatic_dispatch, send_manually
from autodispatch.logic.open_invoices import open_invoices
from autodispatch.models.dispatch import DispatchRecord, HistoryEvent
from autodispatch.models.enums import (
    AutoDispatchState,
    Channel,
    DisplayState,
    HistoryEventKind,
    InvoiceStatus,
    Language,
    UserAction,
)
from autodispatch.models.scenario import InvoiceKey
from autodispatch.rules.user_actions import allowed_actions, display_state, refusal
from autodispatch.store.port import RunRef
from tests.fakes.deliverer import ScriptedDeliverer
from tests.fakes.store import InMemoryInvoiceStore

ZONE = ZoneInfo("Europe/Helsinki")
AT = datetime(2026, 3, 9, 22, 5, tzinfo=UTC)
NIGHT = RunRef(run_id="night", run_date=date(2026, 3, 10))
S = InvoiceStatus.SENT
U = InvoiceStatus.UNSENT
K = HistoryEventKind


def record(
    status: InvoiceStatus,
    state: AutoDispatchState,
    *events: HistoryEventKind,
    unfinished: Channel | None = None,
) -> DispatchRecord:
    return DispatchRecord(
        tenant_id="kahvila",
        invoice_id="k-1",
        status=status,
        state=state,
        history=tuple(HistoryEvent(at=AT, event=event) for event in events),
        unfinished_attempt=unfinished,
    )


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (record(U, AutoDispatchState.PENDING, K.QUEUED), DisplayState.PENDING),
        (record(U, AutoDispatchState.IGNORED, K.IGNORED), DisplayState.IGNORED),
        (record(U, AutoDispatchState.FAILED, K.FAILED), DisplayState.FAILED),
        (record(U, AutoDispatchState.REMOVED, K.REMOVED_BY_USER), DisplayState.REMOVED),
        (record(S, AutoDispatchState.SENT, K.QUEUED, K.CHANNEL_TRIED, K.SENT), DisplayState.SENT),
        # A manual send ends a pending (removed for the send) invoice SENT ...
        (record(S, AutoDispatchState.SENT, K.REMOVED_BY_USER, K.SENT_MANUALLY), DisplayState.SENT_MANUALLY),
        # ... and leaves a FAILED or IGNORED one's state with its explanation: still sent manually.
        (record(S, AutoDispatchState.FAILED, K.FAILED, K.SENT_MANUALLY), DisplayState.SENT_MANUALLY),
        (record(S, AutoDispatchState.IGNORED, K.IGNORED, K.SENT_MANUALLY), DisplayState.SENT_MANUALLY),
        # An email that bounced after the run sent it, then the user sent it: the latest send counts.
        (
            record(S, AutoDispatchState.SENT, K.SENT, K.EMAIL_BOUNCED, K.SENT_MANUALLY),
            DisplayState.SENT_MANUALLY,
        ),
        (record(S, AutoDispatchState.SENT), DisplayState.IMPORTED_AS_SENT),
        # Imported again as sent after the run failed it: sent elsewhere, not by us.
        (record(S, AutoDispatchState.FAILED, K.FAILED), DisplayState.IMPORTED_AS_SENT),
    ],
)
def test_r19_the_display_state_tells_sent_by_a_run_manually_and_imported_apart(
    stored: DispatchRecord, shown: DisplayState
) -> None:
    assert display_state(stored) is shown


@pytest.mark.parametrize(
    ("stored", "actions"),
    [
        (record(U, AutoDispatchState.PENDING), [UserAction.REMOVE_AUTO, UserAction.SEND]),
        (record(U, AutoDispatchState.REMOVED), [UserAction.RESTORE_AUTO, UserAction.SEND]),
        (record(U, AutoDispatchState.FAILED, K.FAILED), [UserAction.SEND]),
        (record(U, AutoDispatchState.IGNORED, K.IGNORED), [UserAction.SEND]),
        (record(S, AutoDispatchState.SENT, K.SENT), []),
        (record(S, AutoDispatchState.FAILED, K.FAILED, K.SENT_MANUALLY), []),
        # A run is sending it right now (or stopped while sending it): hands off until it ends (R23).
        (record(U, AutoDispatchState.PENDING, unfinished=Channel.EMAIL), []),
    ],
)
def test_r20_r22_the_actions_the_server_allows(stored: DispatchRecord, actions: list[UserAction]) -> None:
    assert allowed_actions(stored) == actions


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            Language.EN,
            "Cannot add automatic dispatch back to invoice kahvila/k-1: its automatic dispatch failed; "
            "send it manually",
        ),
        (
            Language.SV,
            "Automatisk utskick kan inte återställas för fakturan kahvila/k-1: dess automatiska "
            "utskick misslyckades; skicka den manuellt",
        ),
        (
            Language.FI,
            "Automaattista lähetystä ei voi palauttaa laskulle kahvila/k-1: sen automaattinen "
            "lähetys epäonnistui; lähetä se manuaalisesti",
        ),
    ],
)
def test_r20_restore_of_a_failed_invoice_is_refused_in_words(language: Language, words: str) -> None:
    refused = refusal(record(U, AutoDispatchState.FAILED, K.FAILED), UserAction.RESTORE_AUTO)
    assert refused is not None
    assert render(refused, language) == words


@given(
    status=st.sampled_from(InvoiceStatus),
    state=st.sampled_from(AutoDispatchState),
    events=st.lists(st.sampled_from(HistoryEventKind), max_size=6),
    unfinished=st.none() | st.sampled_from(Channel),
)
def test_r19_r20_r22_one_rule_for_the_list_and_the_actions(
    status: InvoiceStatus,
    state: AutoDispatchState,
    events: list[HistoryEventKind],
    unfinished: Channel | None,
) -> None:
    stored = record(status, state, *events, unfinished=unfinished)
    allowed = allowed_actions(stored)
    for action in UserAction:
        refused = refusal(stored, action)
        assert (refused is None) == (action in allowed)
        for language in Language:  # the refusal says why in words, never an internal name
            said = "" if refused is None else render(refused, language)
            assert not {"PENDING", "FAILED", "IGNORED", "REMOVED", "R20"} & set(
                said.replace(":", " ").split()
            )
    # Restore only for a removed unsent invoice; nothing for a sent one; a sent one shows who sent it.
    assert (UserAction.RESTORE_AUTO in allowed) == (status is U and state is AutoDispatchState.REMOVED)
    shown = display_state(stored)
    if status is S:
        assert allowed == []
        assert shown in {DisplayState.SENT, DisplayState.SENT_MANUALLY, DisplayState.IMPORTED_AS_SENT}
    else:
        assert shown.value == state.value


def _after_the_first_night(store: InMemoryInvoiceStore) -> InMemoryInvoiceStore:
    """The demo's first night on the fake (every channel rejecting k-1004), then k-1004 (FAILED)
    sent manually and k-1002 removed by the user (an invoice claimed by no run, so still PENDING)."""
    store.add_run(NIGHT, AT)
    keys = [InvoiceKey(tenant_id=r.tenant_id, invoice_id=r.invoice_id) for r in store.list_records("kahvila")]
    due = [k for k in keys if k.invoice_id not in {"k-1002", "k-1010"}]
    night = ScriptedDeliverer()
    night.refuse("k-1004", PermanentRejection("rejected"))
    BatchDispatcher(store, night, ZONE, timedelta(minutes=15), lambda: AT).dispatch(NIGHT, due)
    send_manually(store, ScriptedDeliverer(), lambda: AT, _key("k-1004"), zone=ZONE)
    remove_automatic_dispatch(store, _key("k-1002"), lambda: AT)
    return store


def _key(invoice_id: str) -> InvoiceKey:
    return InvoiceKey(tenant_id="kahvila", invoice_id=invoice_id)


def _attempt(store: InMemoryInvoiceStore, key: InvoiceKey, action: UserAction) -> AutodispatchError | None:
    clock = lambda: AT  # noqa: E731
    try:
        if action is UserAction.REMOVE_AUTO:
            remove_automatic_dispatch(store, key, clock)
        elif action is UserAction.RESTORE_AUTO:
            restore_automatic_dispatch(store, key, clock, ZONE)
        else:
            send_manually(store, ScriptedDeliverer(), clock, key, zone=ZONE)
    except AutodispatchError as error:
        return error
    return None


def test_r28_every_action_the_list_offers_is_allowed_and_every_other_refused(
    loaded: InMemoryInvoiceStore,
) -> None:
    store = _after_the_first_night(loaded)
    now = AT + timedelta(hours=10)
    entries = open_invoices(store, "kahvila", None, 100, None, now, ZONE).invoices
    shown = {entry.invoice_id: entry.display_state for entry in entries}
    assert set(shown.values()) >= {
        DisplayState.SENT,
        DisplayState.SENT_MANUALLY,
        DisplayState.IMPORTED_AS_SENT,
        DisplayState.FAILED,
        DisplayState.REMOVED,
    }
    for entry in entries:
        key = InvoiceKey(tenant_id="kahvila", invoice_id=entry.invoice_id)
        for action in UserAction:
            error = _attempt(copy.deepcopy(store), key, action)
            refused_by_the_rule = (
                error is not None and error.text is not None and error.text.code.startswith("action.")
            )
            assert refused_by_the_rule == (action not in (entry.actions or [])), (
                entry.invoice_id,
                action,
                error,
            )


def test_r19_r28_the_list_filters_by_display_state(loaded: InMemoryInvoiceStore) -> None:
    store = _after_the_first_night(loaded)
    now = AT + timedelta(hours=10)
    everything = open_invoices(store, "kahvila", None, 100, None, now, ZONE).invoices
    filtered: list[str] = []
    for state in DisplayState:
        cursor = None
        for _ in range(50):  # bounded: pages can be short with a filter
            page = open_invoices(store, "kahvila", state, 3, cursor, now, ZONE)
            assert {entry.display_state for entry in page.invoices} <= {state}
            filtered += [entry.invoice_id for entry in page.invoices]
            cursor = page.next_cursor
            if cursor is None:
                break
    assert sorted(filtered) == sorted(entry.invoice_id for entry in everything)
    by_id = {entry.invoice_id: entry for entry in everything}
    assert by_id["k-1006"].display_state is DisplayState.IMPORTED_AS_SENT
    assert by_id["k-1004"].display_state is DisplayState.SENT_MANUALLY
    assert by_id["k-1005"].display_state is DisplayState.FAILED
    assert by_id["k-1002"].display_state is DisplayState.REMOVED
    assert by_id["k-1001"].display_state is DisplayState.SENT
    # The invoice's own channel is in the entry; an unsent one would start there (R11).
    assert by_id["k-1010"].delivery_channel is Channel.EMAIL
