"""R27: the preview of the next night for a pending invoice, by the rules a run applies (R3-R18)."""

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from autodispatch.models.dispatch import DispatchRecord, HistoryEvent, Outcome
from autodispatch.models.enums import AutoDispatchState, Channel, HistoryEventKind, InvoiceStatus
from autodispatch.rules.chain import decide
from autodispatch.rules.preview import next_run_date, preview
from tests.words import en

HELSINKI = ZoneInfo("Europe/Helsinki")
NIGHT = date(2026, 3, 10)


def _record(state: AutoDispatchState = AutoDispatchState.PENDING, **changes: Any) -> DispatchRecord:
    return DispatchRecord(
        tenant_id="seller", invoice_id="inv-1", status=InvoiceStatus.UNSENT, state=state, **changes
    )


def test_r27_next_run_is_tomorrows_local_night() -> None:
    # 23:30 UTC on the 9th is already the 10th in Helsinki: the next night is the 11th.
    assert next_run_date(datetime.fromisoformat("2026-03-09T23:30:00+00:00"), HELSINKI) == date(2026, 3, 11)
    assert next_run_date(datetime.fromisoformat("2026-03-09T12:00:00+00:00"), HELSINKI) == NIGHT


def test_r27_r11_a_usable_own_channel_previews_send(build: Any) -> None:
    shown = preview(build.invoice(), build.tenant(), _record(), NIGHT, HELSINKI)
    assert shown is not None
    assert (shown.run_date, shown.outcome, shown.channel) == (NIGHT, Outcome.SEND, Channel.EINVOICE)
    assert en(shown.message) == "The run of 10 Mar 2026 sends it by e-invoice"


def test_r27_r13_a_missing_email_previews_the_failure_before_the_night(build: Any) -> None:
    invoice = build.invoice(delivery_channel="EMAIL", customer=build.business_customer(email=None))
    tenant = build.tenant({"channels": ["EMAIL"]})
    shown = preview(invoice, tenant, _record(), NIGHT, HELSINKI)
    assert shown is not None
    assert shown.outcome is Outcome.FAIL
    assert en(shown.message).startswith("Automatic dispatch failed:")


def test_r27_r11_a_channel_not_enabled_previews_ignore(build: Any) -> None:
    shown = preview(build.invoice(), build.tenant({"channels": ["PRINT"]}), _record(), NIGHT, HELSINKI)
    assert shown is not None
    assert shown.outcome is Outcome.IGNORE


def test_r27_r7_invoice_date_timing_previews_the_run_of_the_invoice_date(build: Any) -> None:
    invoice = build.invoice(invoice_date="2026-03-20")
    shown = preview(invoice, build.tenant({"timing": "INVOICE_DATE"}), _record(), NIGHT, HELSINKI)
    assert shown is not None
    assert shown.run_date == date(2026, 3, 20)


def test_r27_r3_r4_no_run_takes_it_when_inactive_or_its_source_is_off(build: Any) -> None:
    inactive = preview(build.invoice(), build.tenant({"active": False}), _record(), NIGHT, HELSINKI)
    source_off = preview(build.invoice(), build.tenant({"sources": ["API"]}), _record(), NIGHT, HELSINKI)
    for shown in (inactive, source_off):
        assert shown is not None
        assert shown.run_date is None
        assert shown.outcome is None
        assert en(shown.message).startswith("No run takes it:")


def test_r12_r27_a_channel_that_rejected_it_is_not_previewed_again(build: Any) -> None:
    rejected = HistoryEvent(
        at=datetime.fromisoformat("2026-03-10T00:06:00+02:00"),
        event=HistoryEventKind.CHANNEL_REJECTED,
        channel=Channel.EINVOICE,
        detail="unknown address",
    )
    shown = preview(build.invoice(), build.tenant(), _record(history=(rejected,)), NIGHT, HELSINKI)
    assert shown is not None
    assert shown.channel is Channel.EMAIL


@given(state=st.sampled_from(AutoDispatchState), status=st.sampled_from(InvoiceStatus))
def test_r27_only_pending_unsent_invoices_have_a_preview(
    build: Any, state: AutoDispatchState, status: InvoiceStatus
) -> None:
    record = _record(state).model_copy(update={"status": status})
    shown = preview(build.invoice(), build.tenant(), record, NIGHT, HELSINKI)
    assert (shown is not None) == (state is AutoDispatchState.PENDING and status is InvoiceStatus.UNSENT)


@given(channels=st.sets(st.sampled_from(Channel), min_size=1), own=st.sampled_from(Channel))
def test_r27_the_preview_is_the_decision_a_run_makes(
    build: Any, channels: set[Channel], own: Channel
) -> None:
    tenant = build.tenant({"channels": sorted(channels)})
    invoice = build.invoice(delivery_channel=own.value)
    shown = preview(invoice, tenant, _record(), NIGHT, HELSINKI)
    decision = decide(invoice, tenant)
    assert shown is not None
    assert (shown.outcome, shown.channel) == (decision.outcome, decision.channel)
