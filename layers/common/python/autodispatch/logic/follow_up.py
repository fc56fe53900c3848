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
from autodispatch.observability import logger
from autodispatch.rules.explain import outside
from autodispatch.store.port import RunIssue, RunRef

FollowUp = tuple[HistoryEvent, RunIssue | None]


def send_factoring_copy(
    deliverer: Deliverer,
    invoice: Invoice,
    tenant: Tenant,
    route: FactoringRoute,
    run: RunRef | None,
    now: datetime,
) -> FollowUp:
    """Sends the copy. A copy that fails is reported like a failed invoice (the issue), while the
    invoice itself stays sent. `run` is None for a manual send (R22)."""
    financier = route.agreement.financier_name
    try:
        deliverer.deliver_factoring(invoice, tenant, route)
    except (PermanentRejection, TransientError) as error:
        logger.warning(
            "factoring copy not sent",
            extra={
                "run_id": run.run_id if run else None,
                "tenant_id": invoice.tenant_id,
                "invoice_id": invoice.invoice_id,
                "error_type": type(error).__name__,
            },
        )
        return _not_sent(
            invoice,
            route,
            run,
            now,
            Text.of("factoring.failed", financier=financier, error=outside(str(error))),
        )
    detail = Text.of("factoring.sent", financier=financier)
    return event(now, run, HistoryEventKind.FACTORING_SENT, route.channel, detail), None


def factoring_copy_in_doubt(invoice: Invoice, route: FactoringRoute, run: RunRef, now: datetime) -> FollowUp:
    """R23: a stopped run may have sent the copy already; it is not sent again, and said so."""
    return _not_sent(invoice, route, run, now, factoring_in_doubt(route.agreement.financier_name))


def _not_sent(
    invoice: Invoice, route: FactoringRoute, run: RunRef | None, now: datetime, reason: Text
) -> FollowUp:
    failed = event(now, run, HistoryEventKind.FACTORING_FAILED, route.channel, reason)
    message = Text.of("factoring.sent_but", reason=reason)
    return failed, issue(invoice.key, invoice.number, AutoDispatchState.SENT, message, invoice=invoice)
