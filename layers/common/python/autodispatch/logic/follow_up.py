"""R17: the factoring message (the financier's copy) that follows a sent invoice."""

from datetime import datetime

from autodispatch.channels.port import Deliverer
from autodispatch.errors import PermanentRejection, TransientError
from autodispatch.logic.history import event, issue
from autodispatch.logic.recovery import factoring_in_doubt
from autodispatch.models.dispatch import FactoringRoute, HistoryEvent
from autodispatch.models.enums import AutoDispatchState, HistoryEventKind
from autodispatch.models.scenario import Invoice, Tenant
from autodispatch.models.text import Text
from autodispatch.rules.explain import outside
from autodispatch.store.port import RunIssue, RunRef


def send_factoring_copy(
    deliverer: Deliverer,
    invoice: Invoice,
    tenant: Tenant,
    route: FactoringRoute,
    run: RunRef | None,
    now: datetime,
    in_doubt: bool,
) -> tuple[HistoryEvent, RunIssue | None]:
    """Sends the copy unless a stopped run may have sent it already (`in_doubt`, R23). A copy that
    fails is reported like a failed invoice (the issue), while the invoice itself stays sent.
    `run` is None for a manual send (R22)."""
    financier = route.agreement.financier_name
    reason: Text | None = factoring_in_doubt(financier) if in_doubt else None
    if not in_doubt:
        try:
            deliverer.deliver_factoring(invoice, tenant, route)
        except (PermanentRejection, TransientError) as error:
            reason = Text.of("factoring.failed", financier=financier, error=outside(str(error)))
    if reason is None:
        detail = Text.of("factoring.sent", financier=financier)
        return event(now, run, HistoryEventKind.FACTORING_SENT, route.channel, detail), None
    failed = event(now, run, HistoryEventKind.FACTORING_FAILED, route.channel, reason)
    message = Text.of("factoring.sent_but", reason=reason)
    return failed, issue(invoice.key, invoice.number, AutoDispatchState.SENT, message, invoice=invoice)
