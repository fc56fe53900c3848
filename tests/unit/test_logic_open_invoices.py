"""R19, R28: the open-invoices list pages through the store with an opaque cursor bound to its
tenant, and shows each pending invoice with what the next night does (on the in-memory store)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from autodispatch.errors import InputError
from autodispatch.logic.open_invoices import open_invoices
from autodispatch.models.enums import AutoDispatchState
from tests.fakes.store import InMemoryInvoiceStore

ZONE = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def test_r19_r28_the_list_pages_with_a_cursor_and_previews_only_pending_invoices(
    loaded: InMemoryInvoiceStore,
) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = open_invoices(loaded, "kahvila", None, 4, cursor, NOW, ZONE)
        seen += [entry.invoice_id for entry in page.invoices]
        for entry in page.invoices:
            assert (entry.preview is not None) == (entry.auto_dispatch is AutoDispatchState.PENDING)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(record.invoice_id for record in loaded.list_records("kahvila"))
    assert len(seen) == 11


def test_r28_a_cursor_of_another_tenants_list_is_refused(loaded: InMemoryInvoiceStore) -> None:
    cursor = open_invoices(loaded, "kahvila", None, 2, None, NOW, ZONE).next_cursor
    assert cursor is not None
    with pytest.raises(InputError, match="cursor"):
        open_invoices(loaded, "tilitoimisto", None, 2, cursor, NOW, ZONE)
