"""R19, R30: an invoice stored before messages were codes holds its message, details and history
as plain English sentences. It still reads: that text is shown as it is, in every language (it was
never stored as data to translate), and the store adapter reads the old item unchanged."""

import pytest

from autodispatch.i18n import render
from autodispatch.models.enums import AutoDispatchState, HistoryEventKind, InvoiceStatus
from autodispatch.store.dynamodb import items

OLD_MESSAGE = (
    "Automatic dispatch ignored: the invoice's delivery channel EINVOICE is not enabled in the "
    "setting 'Use only the following invoice channels'"
)
OLD_DETAILS = "Automatic dispatch ignored.\n1. EINVOICE (NOT_ENABLED): not enabled"
OLD_EVENT = "rejected by the operator: unknown address"


def old_item() -> dict[str, object]:
    """A state item as the version before codes wrote it: strings where texts are now codes."""
    return {
        "tenant_id": "kahvila",
        "invoice_id": "k-1001",
        "number": "1001",
        "status": InvoiceStatus.UNSENT.value,
        "state": AutoDispatchState.IGNORED.value,
        "message": OLD_MESSAGE,
        "details": OLD_DETAILS,
        "history": [
            {
                "at": "2026-03-10T02:00:00+00:00",
                "event": HistoryEventKind.CHANNEL_REJECTED.value,
                "channel": "EINVOICE",
                "detail": OLD_EVENT,
            }
        ],
    }


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_r19_r30_an_invoice_stored_before_codes_reads_as_it_was_written(language: str) -> None:
    record = items.record(old_item())
    assert record.message is not None
    assert record.details is not None
    assert render(record.message, language) == OLD_MESSAGE
    assert render(record.details, language) == OLD_DETAILS
    assert [render(event.detail, language) for event in record.history if event.detail] == [OLD_EVENT]
