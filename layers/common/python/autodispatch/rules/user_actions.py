"""R19, R20, R22, R28: what the open-invoices list shows of an invoice and which of the user's actions
the server allows on it. One rule for both the list's `actions` and the action routes, so the page's
buttons and the server never disagree. Pure: it reads the stored record only."""

from autodispatch.models.dispatch import DispatchRecord
from autodispatch.models.enums import (
    AutoDispatchState,
    DisplayState,
    HistoryEventKind,
    InvoiceStatus,
    UserAction,
)
from autodispatch.models.refusals import refusal_reason
from autodispatch.models.scenario import InvoiceKey
from autodispatch.models.text import Text

# The stored automatic-dispatch state that holds every invoice shown in a display state, where one
# does (a store filters by it); the others are found among all states.
STORED_STATE: dict[DisplayState, AutoDispatchState] = {
    DisplayState.PENDING: AutoDispatchState.PENDING,
    DisplayState.SENT: AutoDispatchState.SENT,
    DisplayState.IGNORED: AutoDispatchState.IGNORED,
    DisplayState.FAILED: AutoDispatchState.FAILED,
    DisplayState.REMOVED: AutoDispatchState.REMOVED,
}
_SENDS = {
    HistoryEventKind.SENT: DisplayState.SENT,
    HistoryEventKind.SENT_MANUALLY: DisplayState.SENT_MANUALLY,
}


def display_state(record: DispatchRecord) -> DisplayState:
    """An unsent invoice shows its automatic-dispatch state. A sent one shows who sent it, by the
    latest send in its history: a run (SENT) or the user (SENT_MANUALLY, also after a FAILED or
    IGNORED automatic dispatch); with no send in its history it was imported as already sent (R5)."""
    if record.status is InvoiceStatus.UNSENT:
        return DisplayState(record.state.value)
    sends = [_SENDS[event.event] for event in record.history if event.event in _SENDS]
    return sends[-1] if sends else DisplayState.IMPORTED_AS_SENT


def refusal(record: DispatchRecord, action: UserAction) -> Text | None:
    """Why the server refuses `action` on the invoice, in words; None when it allows it. Sending
    manually is for any unsent invoice (R22); removing for a pending one, adding back for a removed
    one (R20); nothing while a run is dispatching the invoice (R23)."""
    busy = record.state is AutoDispatchState.PENDING and record.unfinished_attempt is not None
    reason = refusal_reason(action, record.status, record.state, busy=busy)
    if reason is None:
        return None
    key = InvoiceKey(tenant_id=record.tenant_id, invoice_id=record.invoice_id)
    return Text.of(f"action.{action.value}", invoice=str(key), reason=reason)


def allowed_actions(record: DispatchRecord) -> list[UserAction]:
    """The actions `refusal` allows, in the order the page offers them."""
    return [action for action in UserAction if refusal(record, action) is None]
