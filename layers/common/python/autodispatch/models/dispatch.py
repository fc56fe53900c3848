"""Automatic-dispatch state of one invoice, its history, and the decisions the rules make."""

from datetime import date
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from autodispatch.models.enums import (
    AutoDispatchState,
    Channel,
    DeliveryKind,
    HistoryEventKind,
    InvoiceStatus,
)
from autodispatch.models.routes import RouteName
from autodispatch.models.scenario import Factoring
from autodispatch.models.text import StoredText, Text


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class HistoryEvent(_Frozen):
    """One action of the automation on an invoice (R19); the run report's `history` entry."""

    at: AwareDatetime
    event: HistoryEventKind
    channel: Channel | None = None
    detail: StoredText | None = None
    run_id: str | None = None
    # The route of `channel` that carried or refused the document (models/routes.py: Finvoice or
    # Peppol BIS 3 for EINVOICE); None for an event about no document, and in events stored
    # before routes were recorded.
    route: RouteName | None = None
    # Where a document that went out in an S3 outbox transmission file is: `<object key>#<message
    # id>` (channels/transmission.py); None for every other delivery.
    transmission: str | None = None


class DispatchRecord(_Frozen):
    """What the open-invoices list shows for one invoice (R19)."""

    tenant_id: str
    invoice_id: str
    number: str | None = None
    status: InvoiceStatus
    state: AutoDispatchState
    channel: Channel | None = None
    sent_on: date | None = None
    message: StoredText | None = None
    details: StoredText | None = None
    history: tuple[HistoryEvent, ...] = ()
    # The channel of an attempt a run started and never finished (R23); None when there is none.
    unfinished_attempt: Channel | None = None
    # The channel a run delivered the invoice by while its claim is still held (the delivered
    # marker, R17, R23): sent, the run not finished with it; None when there is none.
    delivered_unsettled: Channel | None = None
    # The outbox object the unfinished attempt staged its document for (R23): delivered exactly
    # when that object exists; None when the attempt sends directly.
    unfinished_transmission: str | None = None


class Verdict(StrEnum):
    """How the rules judged one channel for one invoice."""

    CHOSEN = "CHOSEN"
    NOT_ENABLED = "NOT_ENABLED"
    UNUSABLE = "UNUSABLE"
    REJECTED = "REJECTED"


class ChannelNote(_Frozen):
    """The reason behind one channel the chain considered (R16, R19)."""

    channel: Channel
    verdict: Verdict
    reason: Text
    # A few words for the one-line message of a FAILED invoice (R16); None: the reason says it.
    summary: Text | None = None


class Outcome(StrEnum):
    SEND = "SEND"
    IGNORE = "IGNORE"
    FAIL = "FAIL"


class Decision(_Frozen):
    """What to do with an invoice now, with the reason for every channel considered.

    SEND names the channel to try next and what to send there; IGNORE and FAIL are final.
    """

    outcome: Outcome
    channel: Channel | None = None
    kind: DeliveryKind = DeliveryKind.INVOICE
    notes: tuple[ChannelNote, ...] = Field(default_factory=tuple)
    reason: Text | None = None


class InitialState(_Frozen):
    """Where automatic dispatch of an imported invoice starts (R2, R5, R20).

    `due_from` is when runs take the invoice while it is pending (R6, R7); None for an invoice
    imported as already sent.
    """

    state: AutoDispatchState
    message: Text | None = None
    due_from: AwareDatetime | None = None


class FactoringRoute(_Frozen):
    """R17: the financier's destination: an e-invoice address (preferred) or an email address."""

    agreement: Factoring
    channel: Channel
