"""R26: what an email's delivery event means for the invoice it carried.

SES accepting an email is not delivery. A permanent bounce or a rejection of an invoice's email
makes EMAIL a failed channel: the chain goes on after EMAIL (R12) in the next run, or the invoice
ends FAILED when no enabled, usable channel follows. Everything else is recorded only. A bounced
factoring copy is recorded and reported, never chained.
"""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from autodispatch.models.delivery_events import SesEmailEvent, SesEventType, SesRecipientStatus
from autodispatch.models.dispatch import Decision, DispatchRecord, Outcome
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, HistoryEventKind
from autodispatch.models.text import Text, by_channel, sentence
from autodispatch.rules.explain import Explanation, explain_failed, outside

PERMANENT_BOUNCE = "Permanent"


class Effect(StrEnum):
    RECORD = "RECORD"  # a history entry only
    EMAIL_FAILED = "EMAIL_FAILED"  # the invoice's email did not reach the customer: chain on
    REPORT = "REPORT"  # recorded, and reported to the tenant in the next notification


class Feedback(BaseModel):
    """One delivery event as the invoice's history shows it, and what it does to the invoice."""

    model_config = ConfigDict(frozen=True)

    event: HistoryEventKind
    detail: Text
    effect: Effect


def _recipients(statuses: tuple[SesRecipientStatus, ...], fallback: tuple[str, ...]) -> Text:
    addresses = [status.email_address for status in statuses] or list(fallback)
    return outside(", ".join(addresses)) if addresses else Text.of("email.the_recipient")


def _diagnostic(statuses: tuple[SesRecipientStatus, ...]) -> Text:
    codes = [status.diagnostic_code or status.status or "" for status in statuses]
    diagnostic = "; ".join(code for code in codes if code)
    return outside(diagnostic) if diagnostic.strip() else Text.of("email.no_diagnostic")


def feedback(event: SesEmailEvent, kind: str) -> Feedback | None:
    """None for event types that say nothing about delivery (send, open, click...)."""
    to = _recipients((), event.mail.destination)
    # Only the invoice's own email chains on; a factoring copy's failure is reported (R17).
    failing = Effect.EMAIL_FAILED if kind == DeliveryKind.INVOICE else Effect.REPORT
    bounced = (
        HistoryEventKind.EMAIL_BOUNCED
        if failing is Effect.EMAIL_FAILED
        else HistoryEventKind.FACTORING_BOUNCED
    )
    match event.event_type:
        case SesEventType.DELIVERY:
            return Feedback(
                event=HistoryEventKind.EMAIL_DELIVERED,
                detail=Text.of("email.delivered", to=to),
                effect=Effect.RECORD,
            )
        case SesEventType.DELIVERY_DELAY if event.delivery_delay is not None:
            delay = event.delivery_delay
            return Feedback(
                event=HistoryEventKind.EMAIL_DELAYED,
                detail=Text.of(
                    "email.delayed",
                    to=_recipients(delay.delayed_recipients, event.mail.destination),
                    cause=outside(delay.delay_type) if delay.delay_type else Text.of("email.no_cause"),
                ),
                effect=Effect.RECORD,
            )
        case SesEventType.BOUNCE if event.bounce is not None:
            bounce = event.bounce
            recipients = _recipients(bounce.bounced_recipients, event.mail.destination)
            diagnostic = _diagnostic(bounce.bounced_recipients)
            if bounce.bounce_type == PERMANENT_BOUNCE:
                return Feedback(
                    event=bounced,
                    detail=Text.of("email.bounced", to=recipients, diagnostic=diagnostic),
                    effect=failing,
                )
            return Feedback(
                event=HistoryEventKind.EMAIL_SOFT_BOUNCED,
                detail=Text.of(
                    "email.soft_bounced",
                    to=recipients,
                    kind=outside(bounce.bounce_type),
                    diagnostic=diagnostic,
                ),
                effect=Effect.RECORD,
            )
        case SesEventType.COMPLAINT:
            return Feedback(
                event=HistoryEventKind.EMAIL_COMPLAINED,
                detail=Text.of("email.complained", to=to),
                effect=Effect.RECORD,
            )
        case SesEventType.REJECT:
            reason = event.reject.reason if event.reject is not None else ""
            return Feedback(
                event=HistoryEventKind.EMAIL_REJECTED if failing is Effect.EMAIL_FAILED else bounced,
                detail=Text.of(
                    "email.rejected", to=to, cause=outside(reason) if reason else Text.of("verdict.REJECTED")
                ),
                effect=failing,
            )
    return None


def sent_by_automation_email(record: DispatchRecord) -> bool:
    """The automation's own email delivered the invoice: only then does a bounce chain on (a
    manual send is the user's, R22)."""
    sends = [e for e in record.history if e.event in (HistoryEventKind.SENT, HistoryEventKind.SENT_MANUALLY)]
    return (
        record.state is AutoDispatchState.SENT
        and record.channel is Channel.EMAIL
        and bool(sends)
        and sends[-1].event is HistoryEventKind.SENT
    )


def explain_bounced(decision: Decision, reason: Text) -> Explanation:
    """FAILED at once: the email bounced and no enabled, usable channel follows it."""
    assert decision.outcome is not Outcome.SEND
    return explain_failed(decision.model_copy(update={"reason": reason}))


def returned_message(reason: Text, channel: Channel) -> Text:
    return sentence(Text.of("email.returned", reason=reason, by=by_channel(channel)))
