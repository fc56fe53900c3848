"""RecordDeliveryEvents: each SES delivery event onto the history of the invoice its email carried,
and a failed invoice email on along the channel chain (R26).

Events arrive at least once and in any order: each is recorded once per SES event id, and the
state changes are conditional on the invoice still being SENT by email.
"""

from enum import StrEnum
from zoneinfo import ZoneInfo

from autodispatch.errors import TransientError
from autodispatch.logic.history import issue
from autodispatch.models.delivery_events import SesEventBridgeEvent, email_subject
from autodispatch.models.dispatch import DispatchRecord, HistoryEvent
from autodispatch.models.enums import AutoDispatchState, Channel, HistoryEventKind
from autodispatch.models.routes import RouteName
from autodispatch.models.scenario import InvoiceKey
from autodispatch.models.text import Text
from autodispatch.observability import logger, tracer
from autodispatch.rules.chain import plan_dispatch
from autodispatch.rules.delivery_feedback import (
    Effect,
    Feedback,
    explain_bounced,
    feedback,
    returned_message,
    sent_by_automation_email,
)
from autodispatch.rules.due import due_from
from autodispatch.rules.recovery import progress
from autodispatch.store.port import FeedbackStore, RunIssue


class Handled(StrEnum):
    NOT_OURS = "NOT_OURS"  # no autodispatch tags, or an event type that says nothing of delivery
    NOTIFICATION = "NOTIFICATION"  # feedback on a tenant's notification email: logged and counted
    RECORDED = "RECORDED"
    DUPLICATE = "DUPLICATE"
    REOPENED = "REOPENED"  # back to PENDING: the next run continues the chain after EMAIL
    FAILED = "FAILED"  # FAILED at once: no enabled, usable channel follows EMAIL


@tracer.capture_method
def record_delivery_event(store: FeedbackStore, event: SesEventBridgeEvent, zone: ZoneInfo) -> Handled:
    subject = email_subject(event.detail.mail.tags)
    found = feedback(event.detail, subject.kind) if subject is not None else None
    if subject is None or found is None:
        return Handled.NOT_OURS
    logger.append_keys(tenant_id=subject.tenant_id, invoice_id=subject.invoice_id, ses_event_id=event.id)
    key = subject.key
    if key is None:
        # Ids only: the recipient's address is personal data.
        logger.warning("notification email feedback", extra={"event": found.event.value})
        return Handled.NOTIFICATION
    # Every email of ours, invoice or financier's copy, goes by the email route (R19's history).
    history = HistoryEvent(
        at=event.time, event=found.event, channel=Channel.EMAIL, detail=found.detail, route=RouteName.EMAIL
    )
    if found.effect is Effect.EMAIL_FAILED:
        record = store.get_record(key)
        if sent_by_automation_email(record):
            return _chain_on(store, record, event.id, history, found, zone)
        if record.state is AutoDispatchState.PENDING and record.unfinished_attempt is Channel.EMAIL:
            raise TransientError("the run that sent this email has not recorded it yet; retried later")
    if found.effect is Effect.REPORT:
        store.add_notice(_notice(store, key, Text.of("factoring.copy_bounced", detail=found.detail)))
    recorded = store.record_delivery_event(key, event.id, history)
    return Handled.RECORDED if recorded else Handled.DUPLICATE


def _chain_on(
    store: FeedbackStore,
    record: DispatchRecord,
    event_id: str,
    history: HistoryEvent,
    found: Feedback,
    zone: ZoneInfo,
) -> Handled:
    """The same plan the next run carries out, read after the bounce: the channels it still has
    (R12: after EMAIL, never back) decide between PENDING again and FAILED at once."""
    key = InvoiceKey(tenant_id=record.tenant_id, invoice_id=record.invoice_id)
    invoice = store.get_invoices([key])[key]
    tenant = store.get_tenant(key.tenant_id)
    plan = plan_dispatch(invoice, tenant)
    done = progress([*record.history, history])
    remaining = plan.remaining(done.rejected)
    if remaining:
        reopened = store.reopen_after_bounce(
            key,
            event_id,
            # Due as it always was (R6, R7, R10): the next run takes it.
            due_from=due_from(invoice, tenant.settings.timing, zone),
            message=returned_message(found.detail, remaining[0]),
            events=[history],
        )
        return Handled.REOPENED if reopened else Handled.DUPLICATE
    explanation = explain_bounced(plan.decision(done.rejected), found.detail)
    # The notice first: its key is the same for a duplicate event, so a retry cannot lose it.
    store.add_notice(
        issue(
            key,
            invoice.number,
            AutoDispatchState.FAILED,
            explanation.message,
            details=explanation.details,
            invoice=invoice,
        )
    )
    failed = HistoryEvent(at=history.at, event=HistoryEventKind.FAILED, detail=explanation.message)
    done_now = store.fail_after_bounce(
        key, event_id, message=explanation.message, details=explanation.details, events=[history, failed]
    )
    return Handled.FAILED if done_now else Handled.DUPLICATE


def _notice(store: FeedbackStore, key: InvoiceKey, message: Text) -> RunIssue:
    """A follow-up message (the factoring copy) failed after the invoice itself was sent (R17)."""
    invoice = store.read_invoices([key]).valid.get(key)  # the customer and total to notify (R21)
    number = invoice.number if invoice is not None else store.get_record(key).number or key.invoice_id
    return issue(key, number, AutoDispatchState.SENT, message, invoice=invoice)
