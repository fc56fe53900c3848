"""The user's own actions on one invoice: remove or restore automatic dispatch (R20) and send it
manually through the same channels after a correction (R22).

Pure of any user interface: the operator CLI (or any other front end) passes the store, the
deliverer and a clock, and shows the result or the error's one-line message.
"""

from collections.abc import Callable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from autodispatch.channels.port import Deliverer, DeliveryReceipt
from autodispatch.errors import (
    AutodispatchError,
    InvalidTransition,
    NotFound,
    PermanentRejection,
    TransientError,
)
from autodispatch.logic.follow_up import send_factoring_copy
from autodispatch.logic.history import route_of
from autodispatch.models.dispatch import ChannelNote, Decision, DispatchRecord, HistoryEvent, Outcome, Verdict
from autodispatch.models.enums import (
    AutoDispatchState,
    Channel,
    DeliveryKind,
    HistoryEventKind,
    UserAction,
)
from autodispatch.models.scenario import Invoice, InvoiceKey, Tenant
from autodispatch.models.text import Text, by_channel, channel_label, channel_name, listed
from autodispatch.observability import logger
from autodispatch.rules.chain import NO_REJECTIONS, chosen_channel_refusal, decide, delivery_kind
from autodispatch.rules.due import due_from, local_date
from autodispatch.rules.explain import error_text
from autodispatch.rules.factoring import factoring_route
from autodispatch.rules.messages import (
    REMOVED_DETAIL,
    REMOVED_FOR_MANUAL_SEND,
    REMOVED_MESSAGE,
    RESTORED_AFTER_FAILED_SEND,
    RESTORED_DETAIL,
    SENT_MANUALLY_MESSAGE,
)
from autodispatch.rules.user_actions import refusal
from autodispatch.store.port import UserActionsStore

Clock = Callable[[], datetime]


class ManualSend(BaseModel):
    """What a manual send did: the channel that accepted the invoice, the channels passed over and,
    for a factoring invoice, what became of the financier's copy (R17)."""

    model_config = ConfigDict(frozen=True)

    key: InvoiceKey
    channel: Channel
    kind: DeliveryKind
    message_id: str
    passed_over: tuple[ChannelNote, ...] = ()
    factoring: Text | None = None


def remove_automatic_dispatch(store: UserActionsStore, key: InvoiceKey, clock: Clock) -> DispatchRecord:
    """R20: a pending invoice is never taken by a run again until the user adds it back."""
    store.get_tenant(key.tenant_id)  # an unknown tenant is named as such, not as an unknown invoice
    _check_allowed(store.get_record(key), UserAction.REMOVE_AUTO)
    store.remove_auto(
        key,
        REMOVED_MESSAGE,
        HistoryEvent(at=clock(), event=HistoryEventKind.REMOVED_BY_USER, detail=REMOVED_DETAIL),
    )
    return store.get_record(key)


def restore_automatic_dispatch(
    store: UserActionsStore, key: InvoiceKey, clock: Clock, zone: ZoneInfo
) -> DispatchRecord:
    """R20: allowed while the invoice is unsent and its automatic dispatch is REMOVED."""
    tenant = store.get_tenant(key.tenant_id)
    _check_allowed(store.get_record(key), UserAction.RESTORE_AUTO)
    invoice = store.get_invoices([key]).get(key)
    if invoice is None:
        raise NotFound.invoice(key)
    store.restore_auto(
        key,
        due_from(invoice, tenant.settings.timing, zone),
        HistoryEvent(at=clock(), event=HistoryEventKind.RESTORED_BY_USER, detail=RESTORED_DETAIL),
    )
    return store.get_record(key)


def send_manually(
    store: UserActionsStore,
    deliverer: Deliverer,
    clock: Clock,
    key: InvoiceKey,
    channel: Channel | None = None,
    *,
    zone: ZoneInfo,
) -> ManualSend:
    """R22: send one unsent invoice now and record SENT_MANUALLY.

    With `channel`, only that channel is used (the user's choice; it need not be enabled for
    automatic dispatch). Without, the channel chain of the tenant's settings decides (R11-R18).
    Whatever its automatic-dispatch state (REMOVED, FAILED, IGNORED or PENDING), an unsent
    invoice can be sent manually.
    """
    tenant = store.get_tenant(key.tenant_id)
    invoice = store.get_invoices([key]).get(key)
    if invoice is None:
        raise NotFound.invoice(key)
    record = store.get_record(key)
    _check_allowed(record, UserAction.SEND)
    # Judge the channel before changing anything, so a refusal leaves the invoice as it was.
    if channel is not None:
        _check_chosen_channel(invoice, tenant, channel)
    else:
        _sendable(invoice, tenant)
    removed = record.state is AutoDispatchState.PENDING
    if removed:
        # A run could claim a pending invoice while we send it; the conditional removal stops
        # that (and is refused while a run holds it), so the invoice is never sent twice (R23).
        try:
            store.remove_auto(
                key,
                REMOVED_MESSAGE,
                HistoryEvent(
                    at=clock(), event=HistoryEventKind.REMOVED_BY_USER, detail=REMOVED_FOR_MANUAL_SEND
                ),
            )
        except InvalidTransition as refused:  # the send is refused, whatever step of it was
            raise InvalidTransition(f"Cannot send invoice {key} manually: {refused.reason}") from None
    try:
        if channel is not None:
            kind = delivery_kind(invoice)
            receipt = _deliver_chosen(deliverer, invoice, tenant, channel, kind)
            passed_over: tuple[ChannelNote, ...] = ()
        else:
            receipt, passed_over = _deliver_through_chain(deliverer, invoice, tenant)
    except TransientError as error:
        if error.in_doubt:
            # The channel may have accepted it: leave automatic dispatch off so no run resends it.
            said = Text.of("manual.in_doubt", invoice=str(key), error=error_text(error))
            in_doubt = TransientError.said(said)
            in_doubt.in_doubt = True
            _record_failed_attempt(store, key, clock, said)
            raise in_doubt from error
        _record_failed_attempt(store, key, clock, error_text(error))
        if removed:
            _restore_quietly(store, key, due_from(invoice, tenant.settings.timing, zone), clock)
        raise
    except AutodispatchError as error:
        _record_failed_attempt(store, key, clock, error_text(error))
        if removed:
            _restore_quietly(store, key, due_from(invoice, tenant.settings.timing, zone), clock)
        raise
    deliverer.flush_archive()
    sent_at = clock()
    events = [
        HistoryEvent(
            at=sent_at,
            event=HistoryEventKind.SENT_MANUALLY,
            channel=receipt.channel,
            detail=Text.of("history.sent_manually", by=by_channel(receipt.channel)),
            route=route_of(receipt.channel, invoice, receipt.kind),
        )
    ]
    route = factoring_route(invoice, tenant)
    if route is not None:
        # R17 with R22: the financier's copy follows the invoice sent manually too.
        copy, _ = send_factoring_copy(deliverer, invoice, tenant, route, None, clock())
        events.append(copy)
    store.mark_sent_manually(
        key,
        receipt.channel,
        local_date(sent_at, zone),
        SENT_MANUALLY_MESSAGE,
        events,
        removed_for_the_send=removed,
    )
    return ManualSend(
        key=key,
        channel=receipt.channel,
        kind=receipt.kind,
        message_id=receipt.message_id,
        passed_over=passed_over,
        factoring=events[-1].detail if route is not None else None,
    )


def _check_allowed(record: DispatchRecord, action: UserAction) -> None:
    """The rule the open-invoices list's `actions` shows (rules.user_actions); the store's
    conditional write still decides a race with a run or another user."""
    refused = refusal(record, action)
    if refused is not None:
        raise InvalidTransition.said(refused)


def _check_chosen_channel(invoice: Invoice, tenant: Tenant, channel: Channel) -> None:
    refusal = chosen_channel_refusal(invoice, tenant, channel)
    if refusal is not None:
        raise InvalidTransition.said(
            Text.of(
                "manual.refused_channel", invoice=str(invoice.key), by=by_channel(channel), reason=refusal
            )
        )


def _deliver_chosen(
    deliverer: Deliverer, invoice: Invoice, tenant: Tenant, channel: Channel, kind: DeliveryKind
) -> DeliveryReceipt:
    try:
        return deliverer.deliver(invoice, tenant, channel, kind)
    except PermanentRejection as rejection:
        said = Text.of(
            "manual.channel_rejected",
            invoice=str(invoice.key),
            channel=channel_name(channel),
            rejection=error_text(rejection),
        )
        raise InvalidTransition.said(said) from rejection


def _sendable(invoice: Invoice, tenant: Tenant, rejected: Mapping[Channel, Text] = NO_REJECTIONS) -> Decision:
    """The chain's next channel for the invoice, or the refusal with every channel's reason."""
    decision = decide(invoice, tenant, rejected)
    if decision.outcome is Outcome.SEND and decision.channel is not None:
        return decision
    if decision.outcome is Outcome.FAIL and decision.notes:
        reason = listed(
            tuple(
                Text.of(
                    "manual.note",
                    channel=channel_label(note.channel),
                    verdict=Text.of(f"verdict.{note.verdict}"),
                    reason=note.reason,
                )
                for note in decision.notes
            )
        )
    else:
        reason = decision.reason or Text.of("failed.default")
    raise InvalidTransition.said(Text.of("manual.chain_refused", invoice=str(invoice.key), reason=reason))


def _deliver_through_chain(
    deliverer: Deliverer, invoice: Invoice, tenant: Tenant
) -> tuple[DeliveryReceipt, tuple[ChannelNote, ...]]:
    """R12 as a run applies it: start at the invoice's channel, move on after a rejection."""
    rejected: dict[Channel, Text] = {}
    while True:
        decision = _sendable(invoice, tenant, rejected)
        assert decision.channel is not None  # _sendable returns SEND decisions only
        try:
            receipt = deliverer.deliver(invoice, tenant, decision.channel, decision.kind)
        except PermanentRejection as rejection:
            logger.info(
                "channel rejected the manual send; the chain moves on",
                extra={
                    "tenant_id": invoice.tenant_id,
                    "invoice_id": invoice.invoice_id,
                    "channel": decision.channel.value,
                    "error_type": type(rejection).__name__,
                },
            )
            rejected[decision.channel] = error_text(rejection)
            continue
        passed_over = tuple(note for note in decision.notes if note.verdict is not Verdict.CHOSEN)
        return receipt, passed_over


def _record_failed_attempt(store: UserActionsStore, key: InvoiceKey, clock: Clock, reason: Text) -> None:
    """R22: a manual send that did not go through is in the history with its reason; the first
    error stands even when recording it fails."""
    try:
        store.add_user_event(
            key, HistoryEvent(at=clock(), event=HistoryEventKind.MANUAL_SEND_FAILED, detail=reason)
        )
    except AutodispatchError as error:
        _log_lost_write("the failed manual send could not be written to the history", key, error)


def _restore_quietly(store: UserActionsStore, key: InvoiceKey, due: datetime, clock: Clock) -> None:
    """Undo our own removal after a send that certainly did not happen; the first error stands."""
    try:
        store.restore_auto(
            key,
            due,
            HistoryEvent(
                at=clock(), event=HistoryEventKind.RESTORED_BY_USER, detail=RESTORED_AFTER_FAILED_SEND
            ),
        )
    except AutodispatchError as error:
        # The invoice stays REMOVED: said in the log, so the operator can find it.
        _log_lost_write("automatic dispatch could not be restored after a failed manual send", key, error)


def _log_lost_write(what: str, key: InvoiceKey, error: AutodispatchError) -> None:
    # Ids and the error's type only: its text may carry personal data.
    logger.error(
        what,
        extra={"tenant_id": key.tenant_id, "invoice_id": key.invoice_id, "error_type": type(error).__name__},
    )
