"""R5-R10: which invoices a run takes. Dates are local dates in the deployment's time zone."""

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from autodispatch.models.enums import AutoDispatchState, InvoiceStatus, Timing
from autodispatch.models.scenario import Invoice, Settings


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The instant the local day begins (midnight exists in every zone we run in)."""
    return datetime.combine(day, time(0), tzinfo=zone)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The local calendar date of an instant: 23:30 UTC in winter is already tomorrow in Helsinki."""
    return instant.astimezone(zone).date()


def due_from(invoice: Invoice, timing: Timing, zone: ZoneInfo) -> datetime:
    """The start of the first local day whose run takes the invoice (R6, R7)."""
    return due_from_dates(invoice.created_at, invoice.invoice_date, timing, zone)


def due_from_dates(created_at: datetime, invoice_date: date, timing: Timing, zone: ZoneInfo) -> datetime:
    """`due_from` from the two dates it reads (the store keeps them without the document)."""
    after_creation = start_of_day(local_date(created_at, zone) + timedelta(days=1), zone)
    if timing is Timing.INVOICE_DATE:
        return max(after_creation, start_of_day(invoice_date, zone))
    return after_creation


def is_due_by(invoice: Invoice, timing: Timing, run_date: date, zone: ZoneInfo) -> bool:
    """R6/R7 as "due by" (R10): created before the run day began and, with INVOICE_DATE timing,
    dated no later than the run day."""
    if invoice.created_at >= start_of_day(run_date, zone):
        return False
    return timing is not Timing.INVOICE_DATE or invoice.invoice_date <= run_date


class NotTaken(StrEnum):
    """Why a run leaves an invoice alone; none of these writes a message on the invoice."""

    TENANT_INACTIVE = "automatic dispatch is not active for the tenant"
    SOURCE_NOT_ENABLED = "the invoice's source is not enabled (R3)"
    ALREADY_SENT = "the invoice is already sent (R5)"
    REMOVED = "automatic dispatch was removed from the invoice (R8)"
    ALREADY_HANDLED = "automatic dispatch already ended for the invoice (R9)"
    NOT_DUE = "the invoice is not due yet (R6, R7)"


def why_not_taken(
    invoice: Invoice,
    state: AutoDispatchState,
    settings: Settings,
    run_date: date,
    zone: ZoneInfo,
) -> NotTaken | None:
    """None when the run on `run_date` takes the invoice; otherwise the first reason it does not."""
    if not settings.active:
        return NotTaken.TENANT_INACTIVE
    if invoice.source not in settings.sources:
        return NotTaken.SOURCE_NOT_ENABLED
    if invoice.status is not InvoiceStatus.UNSENT:
        return NotTaken.ALREADY_SENT
    if state is AutoDispatchState.REMOVED:
        return NotTaken.REMOVED
    if state is not AutoDispatchState.PENDING:
        return NotTaken.ALREADY_HANDLED
    if not is_due_by(invoice, settings.timing, run_date, zone):
        return NotTaken.NOT_DUE
    return None
