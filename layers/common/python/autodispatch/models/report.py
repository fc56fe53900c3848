"""The invoice object of the run report (SCENARIO-FORMAT.md): one shape for every reader of
invoices, the run report, the operator commands' --json and the integration API (R19, R27)."""

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from autodispatch.i18n.render import render
from autodispatch.models.dispatch import DispatchRecord, Outcome
from autodispatch.models.enums import (
    AutoDispatchState,
    Channel,
    DisplayState,
    HistoryEventKind,
    InvoiceStatus,
    Language,
    UserAction,
)
from autodispatch.models.routes import ROUTES_BY_NAME, RouteName
from autodispatch.models.scenario import Invoice
from autodispatch.models.text import Text


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Preview(_Frozen):
    """What the next night will do with a pending invoice, by the rules a run applies. `run_date`
    and `outcome` are None when no run takes the invoice as things stand (`message` says why)."""

    run_date: date | None
    outcome: Outcome | None
    channel: Channel | None
    message: Text


class PreviewEntry(_Frozen):
    """`Preview` as a reader sees it: the message rendered in the reader's language."""

    run_date: date | None
    outcome: Outcome | None
    channel: Channel | None
    message: str


class HistoryEntry(_Frozen):
    """One `history` entry of the run report; `route`, `route_label` and `transmission` are
    additions of the API and the page (absent from the report): the route that carried or refused
    the document (Finvoice or Peppol BIS 3 for an e-invoice), its name in the reader's language, and
    for a document sent in an S3 outbox transmission file, where it is (`<object key>#<message id>`)."""

    at: str
    event: HistoryEventKind
    channel: Channel | None
    detail: str | None
    route: RouteName | None = None
    route_label: str | None = None
    transmission: str | None = None


class InvoiceEntry(_Frozen):
    """One `invoices` entry of the run report; `preview` is an optional addition of the API and
    the open-invoices list (absent from the report)."""

    tenant_id: str
    invoice_id: str
    status: InvoiceStatus
    auto_dispatch: AutoDispatchState
    channel: Channel | None
    sent_on: date | None
    message: str | None
    details: str | None
    history: list[HistoryEntry]
    preview: PreviewEntry | None = None
    # What the open-invoices list shows of the invoice itself (R19, R28); absent from the report.
    number: str | None = None
    customer_name: str | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    total: Decimal | None = None  # VAT included
    currency: str | None = None
    delivery_channel: Channel | None = None  # the invoice's own channel (R11), where a run would start
    # What the list shows (a sent invoice told apart by who sent it) and the actions the server
    # allows on the invoice (rules.user_actions); absent from the report.
    display_state: DisplayState | None = None
    actions: list[UserAction] | None = None


# The fields of an entry that are not in the run report's shape; written only where they have a value.
ADDITIONS = (
    "preview",
    "number",
    "customer_name",
    "invoice_date",
    "due_date",
    "total",
    "currency",
    "delivery_channel",
    "display_state",
    "actions",
)
HISTORY_ADDITIONS = frozenset({"route", "route_label", "transmission"})


def route_label(route: RouteName) -> Text:
    """The route's name as a reader reads it, from its catalogue message (models/routes.py)."""
    return Text.of(ROUTES_BY_NAME[route].label_code)


def invoice_model(
    record: DispatchRecord,
    preview: Preview | None = None,
    invoice: Invoice | None = None,
    language: Language = Language.EN,
) -> InvoiceEntry:
    """The record as a reader in `language` reads it: every message rendered (R30)."""

    def words(text: Text | None) -> str | None:
        return None if text is None else render(text, language)

    facts = (
        {
            "number": invoice.number,
            "customer_name": invoice.customer.name,
            "invoice_date": invoice.invoice_date,
            "due_date": invoice.due_date,
            "total": invoice.totals.gross,
            "currency": invoice.currency,
            "delivery_channel": invoice.delivery_channel,
        }
        if invoice is not None
        else {}
    )
    return InvoiceEntry(
        **facts,
        tenant_id=record.tenant_id,
        invoice_id=record.invoice_id,
        status=record.status,
        auto_dispatch=record.state,
        channel=record.channel,
        sent_on=record.sent_on,
        message=words(record.message),
        details=words(record.details),
        history=[
            HistoryEntry(
                at=event.at.isoformat(),
                event=event.event,
                channel=event.channel,
                detail=words(event.detail),
                route=event.route,
                route_label=None if event.route is None else words(route_label(event.route)),
                transmission=event.transmission,
            )
            for event in record.history
        ],
        preview=(
            PreviewEntry(**preview.model_dump(exclude={"message"}), message=render(preview.message, language))
            if preview is not None
            else None
        ),
    )


def invoice_entry(
    record: DispatchRecord, preview: Preview | None = None, language: Language = Language.EN
) -> dict[str, Any]:
    """One `invoices` entry of the run report as JSON data (also the CLI's --json invoice shape)."""
    return entry_json(invoice_model(record, preview, language=language))


def entry_json(entry: InvoiceEntry) -> dict[str, Any]:
    """The report's shape exactly, with `preview` added only where there is one."""
    exclude: dict[str, Any] = {name: True for name in ADDITIONS if getattr(entry, name) is None}
    exclude["history"] = {"__all__": set(HISTORY_ADDITIONS)}
    return entry.model_dump(mode="json", exclude=exclude)
