"""The open-invoices list (R19) with each pending invoice's preview of the next night (R27), paged
for the integration API; the operator CLI lists the same entries."""

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from autodispatch.errors import FieldIssue, InputError
from autodispatch.models.dispatch import DispatchRecord
from autodispatch.models.enums import AutoDispatchState
from autodispatch.models.report import InvoiceEntry, invoice_model
from autodispatch.models.scenario import InvoiceKey
from autodispatch.rules.preview import next_run_date, preview
from autodispatch.store.port import InvoiceStore


class InvoicePage(BaseModel):
    """One page of a tenant's invoices, in invoice id order; `next_cursor` None on the last page."""

    model_config = ConfigDict(frozen=True)

    invoices: list[InvoiceEntry]
    next_cursor: str | None = None


def with_previews(
    store: InvoiceStore, tenant_id: str, records: Sequence[DispatchRecord], now: datetime, zone: ZoneInfo
) -> list[InvoiceEntry]:
    """The records as report entries, each pending one with what the next night does with it."""
    tenant = store.get_tenant(tenant_id)
    pending = [InvoiceKey(tenant_id=r.tenant_id, invoice_id=r.invoice_id) for r in records if _pending(r)]
    documents = store.get_invoices(pending) if pending else {}
    next_run = next_run_date(now, zone)
    entries = []
    for record in records:
        invoice = documents.get(InvoiceKey(tenant_id=record.tenant_id, invoice_id=record.invoice_id))
        shown = preview(invoice, tenant, record, next_run, zone) if invoice is not None else None
        entries.append(invoice_model(record, shown))
    return entries


def open_invoices(
    store: InvoiceStore,
    tenant_id: str,
    state: AutoDispatchState | None,
    limit: int,
    cursor: str | None,
    now: datetime,
    zone: ZoneInfo,
) -> InvoicePage:
    """At most `limit` invoices after `cursor` (a `next_cursor` of the previous page)."""
    after = _decode(cursor) if cursor else None
    records = sorted(store.list_records(tenant_id, state), key=lambda record: record.invoice_id)
    if after is not None:
        records = [record for record in records if record.invoice_id > after]
    page = records[:limit]
    more = len(records) > limit
    return InvoicePage(
        invoices=with_previews(store, tenant_id, page, now, zone),
        next_cursor=_encode(page[-1].invoice_id) if more and page else None,
    )


def _pending(record: DispatchRecord) -> bool:
    return record.state is AutoDispatchState.PENDING


def _encode(invoice_id: str) -> str:
    return base64.urlsafe_b64encode(invoice_id.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        return base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InputError([FieldIssue("cursor", "is not a cursor this list returned")]) from None
