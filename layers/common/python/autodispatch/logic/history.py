"""R19, R21: the history events, settlements and run issues a dispatch run writes."""

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from autodispatch.channels.ids import message_id
from autodispatch.models.dispatch import ChannelNote, HistoryEvent, Verdict
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, HistoryEventKind
from autodispatch.models.routes import RouteName, route_for
from autodispatch.models.scenario import Factoring, Invoice, InvoiceKey
from autodispatch.models.text import Text
from autodispatch.rules.explain import Explanation
from autodispatch.store.port import RunIssue, RunRef, Settlement


class InvoiceOutcome(BaseModel):
    """What happened to one invoice in this invocation: its state and what to report (R21)."""

    model_config = ConfigDict(frozen=True)

    state: AutoDispatchState
    channel: Channel | None = None
    issues: tuple[RunIssue, ...] = ()
    # R17: the invoice was sent but its factoring message failed.
    follow_up_failed: bool = False
    # FAILED because the email service would not send for the sender's account at all.
    account_fault: bool = False


def event(
    at: datetime,
    run: RunRef | None,
    kind: HistoryEventKind,
    channel: Channel | None = None,
    detail: Text | None = None,
    route: RouteName | None = None,
    transmission: str | None = None,
) -> HistoryEvent:
    """An event of a run, or of the user's own action (`run` None, e.g. a manual send, R22).
    `transmission`: where a document sent in an S3 outbox transmission is (`<key>#<message id>`)."""
    run_id = run.run_id if run is not None else None
    return HistoryEvent(
        at=at,
        event=kind,
        channel=channel,
        detail=detail,
        run_id=run_id,
        route=route,
        transmission=transmission,
    )


def transmitted_event(
    at: datetime, run: RunRef, invoice: Invoice, channel: Channel, kind: DeliveryKind, key: str, detail: Text
) -> HistoryEvent:
    """R19, R23: the invoice went out in the S3 outbox object `key`, which a later look found
    written after the invocation that staged it had stopped: SENT, saying where it is."""
    where = f"{key}#{message_id(invoice, channel, kind)}"
    return event(at, run, HistoryEventKind.SENT, channel, detail, route_of(channel, invoice, kind), where)


def route_of(
    channel: Channel, invoice: Invoice, kind: DeliveryKind, factoring: Factoring | None = None
) -> RouteName:
    """The route a document of `kind` takes on `channel`, as the deliverer chooses it (the route
    table's `route_for`), recorded on the events of its delivery."""
    return route_for(channel, invoice, kind, factoring).name


def note_events(
    at: datetime, run: RunRef, notes: Sequence[ChannelNote], invoice: Invoice, kind: DeliveryKind
) -> list[HistoryEvent]:
    """A skipped channel becomes CHANNEL_SKIPPED with its reason; the chosen one CHANNEL_TRIED with
    the route it is tried by. Rejections are recorded when they happen (CHANNEL_REJECTED), not from
    the notes."""
    events = []
    for note in notes:
        if note.verdict is Verdict.CHOSEN:
            route = route_of(note.channel, invoice, kind)
            events.append(event(at, run, HistoryEventKind.CHANNEL_TRIED, note.channel, route=route))
        elif note.verdict is not Verdict.REJECTED:
            detail = Text.of("skipped", verdict=Text.of(f"verdict.{note.verdict}"), reason=note.reason)
            events.append(event(at, run, HistoryEventKind.CHANNEL_SKIPPED, note.channel, detail))
    return events


def failure(
    run: RunRef, explanation: Explanation, now: datetime, events: Sequence[HistoryEvent] = ()
) -> Settlement:
    return Settlement(
        state=AutoDispatchState.FAILED,
        message=explanation.message,
        details=explanation.details,
        events=(*events, event(now, run, HistoryEventKind.FAILED, detail=explanation.message)),
    )


def issue(
    key: InvoiceKey,
    number: str,
    state: AutoDispatchState,
    message: Text,
    *,
    details: Text | None = None,
    invoice: Invoice | None = None,
) -> RunIssue:
    """What the tenant's notification says of one invoice (R21): the message, the explanation and,
    when the invoice could be read, the customer's name and the total."""
    return RunIssue(
        tenant_id=key.tenant_id,
        invoice_id=key.invoice_id,
        number=number,
        state=state,
        message=message,
        details=details,
        customer_name=invoice.customer.name if invoice is not None else None,
        amount=invoice.totals.gross if invoice is not None else None,
        currency=invoice.currency if invoice is not None else None,
    )


def failed(
    key: InvoiceKey, number: str, explanation: Explanation, invoice: Invoice | None = None
) -> InvoiceOutcome:
    state = AutoDispatchState.FAILED
    found = issue(key, number, state, explanation.message, details=explanation.details, invoice=invoice)
    return InvoiceOutcome(state=state, issues=(found,))
