"""R17: the factoring message (the financier's copy) that follows a sent invoice."""

from datetime import datetime

from autodispatch.channels.port import IMMEDIATE, Deliverer, Occasion
from autodispatch.errors import AccountFault, PermanentRejection, TransientError
from autodispatch.logic.history import event, issue, route_of
from autodispatch.logic.recovery import factoring_in_doubt
from autodispatch.models.dispatch import DispatchRecord, FactoringRoute, HistoryEvent
from autodispatch.models.enums import AutoDispatchState, DeliveryKind, HistoryEventKind
from autodispatch.models.routes import RouteName
from autodispatch.models.scenario import Invoice, InvoiceKey, Tenant
from autodispatch.models.text import Text
from autodispatch.observability import logger
from autodispatch.rules.explain import error_text, outside
from autodispatch.store.port import RunIssue, RunRef

FollowUp = tuple[HistoryEvent, RunIssue | None]


def send_factoring_copy(
    deliverer: Deliverer,
    invoice: Invoice,
    tenant: Tenant,
    route: FactoringRoute,
    run: RunRef | None,
    now: datetime,
    *,
    retry_throttled: bool = False,
    occasion: Occasion = IMMEDIATE,
) -> FollowUp:
    """Sends the copy. A copy that fails is reported like a failed invoice (the issue), while the
    invoice itself stays sent. `run` is None for a manual send (R22). With `retry_throttled`, a
    refusal that certainly sent nothing (throttling) is raised for the caller to retry (R24).
    `occasion`: the instant the copy carries and the archive object it joins."""
    financier = route.agreement.financier_name
    try:
        deliverer.deliver_factoring(invoice, tenant, route, occasion)
    except TransientError as error:
        if retry_throttled and not error.in_doubt:
            raise
        _log_not_sent(invoice, run, error)
        reason = Text.of("factoring.failed", financier=financier, error=outside(str(error)))
        return _not_sent(invoice, route, run, now, reason)
    except PermanentRejection as error:
        _log_not_sent(invoice, run, error)
        # An account fault of the email service says its cause in words (R30), not as a code.
        cause = error.text if isinstance(error, AccountFault) and error.text else outside(str(error))
        reason = Text.of("factoring.failed", financier=financier, error=cause)
        return _not_sent(invoice, route, run, now, reason)
    detail = Text.of("factoring.sent", financier=financier)
    sent = event(
        now, run, HistoryEventKind.FACTORING_SENT, route.channel, detail, _copy_route(invoice, route)
    )
    return sent, None


def factoring_copy_in_doubt(invoice: Invoice, route: FactoringRoute, run: RunRef, now: datetime) -> FollowUp:
    """R23: a stopped run may have sent the copy already; it is not sent again, and said so."""
    return _not_sent(invoice, route, run, now, factoring_in_doubt(route.agreement.financier_name))


def factoring_copy_deferred(
    invoice: Invoice, route: FactoringRoute, run: RunRef, now: datetime, refusal: TransientError
) -> HistoryEvent:
    """R17, R24: the copy was refused without doubt (throttled) and is left to the batch's retry;
    the event keeps the refusal's words, so whoever settles the copy last knows it never went."""
    _log_not_sent(invoice, run, refusal)
    reason = error_text(refusal)
    return event(
        now, run, HistoryEventKind.FACTORING_DEFERRED, route.channel, reason, _copy_route(invoice, route)
    )


def factoring_copy_refused(
    invoice: Invoice, route: FactoringRoute, run: RunRef, now: datetime, reason: Text
) -> FollowUp:
    """R17, R23: every attempt at the copy was refused without doubt and none is to come: not sent,
    said so with the last refusal's reason, for the tenant to send by hand."""
    busy = Text.of("factoring.busy", financier=route.agreement.financier_name, reason=reason)
    return _not_sent(invoice, route, run, now, busy)


def _not_sent(
    invoice: Invoice, route: FactoringRoute, run: RunRef | None, now: datetime, reason: Text
) -> FollowUp:
    copy_route = _copy_route(invoice, route)
    failed = event(now, run, HistoryEventKind.FACTORING_FAILED, route.channel, reason, copy_route)
    return failed, copy_issue(invoice.key, invoice.number, reason, invoice)


def _copy_route(invoice: Invoice, route: FactoringRoute) -> RouteName:
    """The route of the financier's copy: Peppol BIS 3 to a financier's participant id, Finvoice to
    its e-invoice address and operator, or email, as its agreement says (R17)."""
    return route_of(route.channel, invoice, DeliveryKind.FACTORING, route.agreement)


def copy_issue(key: InvoiceKey, number: str, reason: Text, invoice: Invoice | None) -> RunIssue:
    """R17, R21: the run issue of a sent invoice whose copy failed (or may not have gone)."""
    message = Text.of("factoring.sent_but", reason=reason)
    return issue(key, number, AutoDispatchState.SENT, message, invoice=invoice)


def copy_failure(run: RunRef, record: DispatchRecord) -> Text | None:
    """Why the copy that `run` handled failed, read back from the invoice's history; None when the
    run's copy went out or the run handled none."""
    for past in reversed(record.history):
        if past.run_id == run.run_id and past.event is HistoryEventKind.FACTORING_SENT:
            return None
        if past.run_id == run.run_id and past.event is HistoryEventKind.FACTORING_FAILED:
            return past.detail  # always written with its reason (`_not_sent`)
    return None


def _log_not_sent(invoice: Invoice, run: RunRef | None, error: Exception) -> None:
    # Ids and the error's type only: its text may carry personal data.
    logger.warning(
        "factoring copy not sent",
        extra={
            "run_id": run.run_id if run else None,
            "tenant_id": invoice.tenant_id,
            "invoice_id": invoice.invoice_id,
            "error_type": type(error).__name__,
        },
    )
