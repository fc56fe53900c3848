"""The open-invoices list (R19) with each pending invoice's preview of the next night (R27), what the
list shows of it and the actions the server allows (R20, R22, R28), paged for the integration API;
the operator CLI lists the same entries."""

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from autodispatch.errors import FieldIssue, InputError
from autodispatch.models.dispatch import DispatchRecord
from autodispatch.models.enums import AutoDispatchState, DisplayState, Language
from autodispatch.models.fields import Identifier
from autodispatch.models.limits import ID_MAX_BYTES
from autodispatch.models.report import InvoiceEntry, invoice_model
from autodispatch.models.scenario import InvoiceKey
from autodispatch.models.text import Text
from autodispatch.rules.preview import next_run_date, preview
from autodispatch.rules.user_actions import STORED_STATE, allowed_actions, display_state
from autodispatch.store.port import OpenInvoicesStore


class InvoicePage(BaseModel):
    """One page of a tenant's invoices, in invoice id order; `next_cursor` None on the last page."""

    model_config = ConfigDict(frozen=True)

    invoices: list[InvoiceEntry]
    next_cursor: str | None = None


def with_previews(
    store: OpenInvoicesStore,
    tenant_id: str,
    records: Sequence[DispatchRecord],
    now: datetime,
    zone: ZoneInfo,
    language: Language = Language.EN,
) -> list[InvoiceEntry]:
    """The records as list entries: the invoice's number, customer, dates, total and own channel (one
    batch read of the page's documents; an invalid stored one shows without them), its display
    state and allowed actions, and each pending one with what the next night does with it."""
    tenant = store.get_tenant(tenant_id)
    keys = [InvoiceKey(tenant_id=r.tenant_id, invoice_id=r.invoice_id) for r in records]
    documents = store.read_invoices(keys).valid if keys else {}
    next_run = next_run_date(now, zone)
    entries = []
    for key, record in zip(keys, records, strict=True):
        invoice = documents.get(key)
        shown = preview(invoice, tenant, record, next_run, zone) if invoice and _pending(record) else None
        entry = invoice_model(record, shown, invoice, language)
        listed = {"display_state": display_state(record), "actions": allowed_actions(record)}
        entries.append(entry.model_copy(update=listed))
    return entries


def open_invoices(
    store: OpenInvoicesStore,
    tenant_id: str,
    state: DisplayState | None,
    limit: int,
    cursor: str | None,
    now: datetime,
    zone: ZoneInfo,
    language: Language = Language.EN,
) -> InvoicePage:
    """At most `limit` invoices after `cursor` (a `next_cursor` of this tenant's list), read from the
    store one page at a time. Pages are full until the last one, except that with a `state` filter
    (a display state) a page can be short when many invoices in other states lie between matches:
    follow `next_cursor` until it is None."""
    stored = STORED_STATE.get(state) if state is not None else None
    page = store.records_page(tenant_id, stored, limit, _decode(tenant_id, cursor) if cursor else None)
    # A display state is the stored one told apart by the history (a sent FAILED one is
    # SENT_MANUALLY): the store's filter narrows, this one decides.
    records = [record for record in page.records if state is None or display_state(record) is state]
    return InvoicePage(
        invoices=with_previews(store, tenant_id, records, now, zone, language),
        next_cursor=None if page.resume_after is None else _encode(tenant_id, page.resume_after),
    )


def _pending(record: DispatchRecord) -> bool:
    return record.state is AutoDispatchState.PENDING


class _Cursor(BaseModel):
    """Where a page ends: opaque to clients, bound to the tenant whose list returned it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant_id: Identifier
    after: Identifier


def _encode(tenant_id: str, after: str) -> str:
    text = _Cursor(tenant_id=tenant_id, after=after).model_dump_json()
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# What a cursor can look like, for the API's schema: unpadded URL-safe base64 of the longest ids.
CURSOR_PATTERN = "^[A-Za-z0-9_-]+$"
CURSOR_MAX_LENGTH = len(_encode("x" * ID_MAX_BYTES, "x" * ID_MAX_BYTES))


def _decode(tenant_id: str, cursor: str) -> str:
    """The invoice id the page starts after; a cursor this tenant's list did not return is 400."""
    try:
        text = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        decoded = _Cursor.model_validate_json(text)
    except (binascii.Error, ValueError):  # pydantic's ValidationError is a ValueError
        decoded = None
    if decoded is None or decoded.tenant_id != tenant_id:
        raise InputError([FieldIssue.said("cursor", Text.of("request.cursor"), tenant_id)])
    return decoded.after
