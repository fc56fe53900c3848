"""R22 with R17, R23: a user's manual send on the in-memory store (moved from moto)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from autodispatch.errors import InvalidTransition, NotFound, PermanentRejection, TransientError
from autodispatch.logic.manual import send_manually
from autodispatch.models.enums import AutoDispatchState, Channel, HistoryEventKind, InvoiceStatus
from autodispatch.models.scenario import InvoiceKey
from tests.fakes.deliverer import ScriptedDeliverer
from tests.fakes.store import InMemoryInvoiceStore

ZONE = ZoneInfo("Europe/Helsinki")


def _now() -> datetime:
    return datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def key(invoice_id: str) -> InvoiceKey:
    return InvoiceKey(tenant_id="kahvila", invoice_id=invoice_id)


def test_r22_rejection_moves_along_the_chain_as_in_a_run(loaded: InMemoryInvoiceStore) -> None:
    deliverer = ScriptedDeliverer()
    deliverer.fail("k-1001", Channel.EINVOICE, PermanentRejection("operator refused the address"))
    sent = send_manually(loaded, deliverer, _now, key("k-1001"), zone=ZONE)
    assert deliverer.channels_tried("k-1001") == [Channel.EINVOICE, Channel.EMAIL]
    assert sent.channel is Channel.EMAIL
    assert loaded.get_record(key("k-1001")).history[-1].event is HistoryEventKind.SENT_MANUALLY


@pytest.mark.parametrize(
    ("in_doubt", "state_after"), [(False, AutoDispatchState.PENDING), (True, AutoDispatchState.REMOVED)]
)
def test_r23_failed_manual_send_restores_automatic_dispatch_only_when_certainly_not_sent(
    loaded: InMemoryInvoiceStore, in_doubt: bool, state_after: AutoDispatchState
) -> None:
    deliverer = ScriptedDeliverer()
    deliverer.fail("k-1003", Channel.EMAIL, TransientError("SES timed out", in_doubt=in_doubt))
    with pytest.raises(TransientError):
        send_manually(loaded, deliverer, _now, key("k-1003"), zone=ZONE)
    record = loaded.get_record(key("k-1003"))
    assert (record.state, record.status) == (state_after, InvoiceStatus.UNSENT)


@pytest.mark.parametrize("copy_error", [None, PermanentRejection("financier mailbox full")])
def test_r22_r17_manual_send_of_a_factoring_invoice_sends_the_factoring_copy(
    loaded: InMemoryInvoiceStore, copy_error: Exception | None
) -> None:
    deliverer = ScriptedDeliverer()
    if copy_error is not None:
        deliverer.fail_factoring(copy_error)
    sent = send_manually(loaded, deliverer, _now, key("k-1009"), zone=ZONE)
    assert [invoice_id for invoice_id, _ in deliverer.factoring_calls] == ["k-1009"]
    record = loaded.get_record(key("k-1009"))
    events = [event.event for event in record.history]
    if copy_error is None:
        assert events[-2:] == [HistoryEventKind.SENT_MANUALLY, HistoryEventKind.FACTORING_SENT]
        assert sent.factoring == "factoring message sent to Rahoitus Oy"
    else:
        assert events[-2:] == [HistoryEventKind.SENT_MANUALLY, HistoryEventKind.FACTORING_FAILED]
        assert "financier mailbox full" in (record.history[-1].detail or "")
    assert record.status is InvoiceStatus.SENT


def test_r22_failed_manual_attempt_is_written_to_the_history_with_its_reason(
    loaded: InMemoryInvoiceStore,
) -> None:
    deliverer = ScriptedDeliverer()
    deliverer.fail("k-1003", Channel.EMAIL, PermanentRejection("mailbox does not exist"))
    with pytest.raises(InvalidTransition):
        send_manually(loaded, deliverer, _now, key("k-1003"), Channel.EMAIL, zone=ZONE)
    record = loaded.get_record(key("k-1003"))
    failed = [event for event in record.history if event.event is HistoryEventKind.MANUAL_SEND_FAILED]
    assert len(failed) == 1
    assert "mailbox does not exist" in (failed[0].detail or "")
    assert (record.status, record.state) == (InvoiceStatus.UNSENT, AutoDispatchState.PENDING)


def test_r22_a_restore_that_cannot_be_written_after_a_failed_send_is_logged_with_its_ids(
    loaded: InMemoryInvoiceStore, caplog: pytest.LogCaptureFixture
) -> None:
    deliverer = ScriptedDeliverer()
    deliverer.fail("k-1003", Channel.EMAIL, TransientError("throttled"))
    loaded.fail("restore_auto", InvalidTransition("changed meanwhile"))
    loaded.fail("add_user_event", NotFound("gone"))
    with pytest.raises(TransientError):
        send_manually(loaded, deliverer, _now, key("k-1003"), zone=ZONE)
    assert loaded.get_record(key("k-1003")).state is AutoDispatchState.REMOVED
    logged = [record for record in caplog.records if record.levelname == "ERROR"]
    assert [record.getMessage() for record in logged] == [
        "the failed manual send could not be written to the history",
        "automatic dispatch could not be restored after a failed manual send",
    ]
    assert [(r.tenant_id, r.invoice_id, r.error_type) for r in logged] == [  # type: ignore[attr-defined]
        ("kahvila", "k-1003", "NotFound"),
        ("kahvila", "k-1003", "InvalidTransition"),
    ]
