"""R20, R22, R23: why the server refuses one of the user's actions on an invoice, in words as data
(`refusal.*`). One answer for the rule that lists the allowed actions (rules.user_actions) and for
a store whose conditional write found the invoice changed, so both say the same words."""

from autodispatch.models.enums import AutoDispatchState, InvoiceStatus, UserAction
from autodispatch.models.text import Text

# Marking an invoice sent: the last step of a manual send (R22), refused in the same words.
MARK_SENT = "mark_sent"
# Removing is for a pending invoice, adding back for a removed one (R20).
_ALLOWS = {
    UserAction.REMOVE_AUTO: AutoDispatchState.PENDING,
    UserAction.RESTORE_AUTO: AutoDispatchState.REMOVED,
}
_STATE_REASONS = {
    AutoDispatchState.PENDING: "refusal.pending",
    AutoDispatchState.REMOVED: "refusal.already_removed",
    AutoDispatchState.FAILED: "refusal.failed",
    AutoDispatchState.IGNORED: "refusal.ignored",
    AutoDispatchState.SENT: "refusal.already_sent",
}


def refusal_reason(
    action: UserAction, status: InvoiceStatus, state: AutoDispatchState, *, busy: bool
) -> Text | None:
    """Why `action` is refused on an invoice with this status and state (`busy`: a run holds it),
    or None when it is allowed: sending manually is for any unsent invoice, removing for a pending
    one, adding back for a removed one; nothing while a run is dispatching the invoice."""
    if status is InvoiceStatus.SENT:
        return Text.of("refusal.already_sent")
    if busy:
        return Text.of("refusal.run_busy")
    if action is UserAction.SEND or state is _ALLOWS[action]:
        return None
    return Text.of(_STATE_REASONS[state])


def stored_refusal(
    action: UserAction, status: InvoiceStatus, state: AutoDispatchState, *, claimed: bool
) -> Text:
    """Why a store refused `action` on the invoice it found (a conditional write that lost); a write
    that found what it expected lost to a change that is gone again."""
    reason = refusal_reason(action, status, state, busy=claimed and state is AutoDispatchState.PENDING)
    return reason or Text.of("refusal.changed")
