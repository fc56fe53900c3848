"""R2, R5, R20: where automatic dispatch of an imported invoice starts, and when it is due (R6, R7)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodispatch.models.enums import AutoDispatchState, Timing
from autodispatch.rules.initial_state import initial_state
from autodispatch.rules.messages import BEFORE_ACTIVATION_MESSAGE, IMPORTED_SENT_MESSAGE, TURNED_OFF_MESSAGE

HELSINKI = ZoneInfo("Europe/Helsinki")
CREATED = "2026-03-09T13:00:00+02:00"  # the builder's invoice
NEXT_MIDNIGHT = datetime(2026, 3, 10, tzinfo=HELSINKI)


def test_r5_invoice_imported_as_sent_starts_sent_with_no_due_instant(build):
    start = initial_state(build.invoice(status="SENT"), build.tenant(), HELSINKI)
    assert (start.state, start.message, start.due_from) == (
        AutoDispatchState.SENT,
        IMPORTED_SENT_MESSAGE,
        None,
    )


def test_r5_sent_wins_over_an_explicit_auto_dispatch(build):
    start = initial_state(build.invoice(status="SENT", auto_dispatch=True), build.tenant(), HELSINKI)
    assert start.state is AutoDispatchState.SENT


def test_r6_unsent_invoice_starts_pending_from_the_next_local_midnight(build):
    start = initial_state(build.invoice(), build.tenant(), HELSINKI)
    assert (start.state, start.message, start.due_from) == (AutoDispatchState.PENDING, None, NEXT_MIDNIGHT)


def test_r7_invoice_date_timing_makes_it_due_on_its_invoice_date(build):
    tenant = build.tenant({"timing": Timing.INVOICE_DATE.value})
    start = initial_state(build.invoice(invoice_date="2026-03-12"), tenant, HELSINKI)
    assert start.due_from == datetime(2026, 3, 12, tzinfo=HELSINKI)


def test_r20_invoice_imported_with_auto_dispatch_off_starts_removed(build):
    start = initial_state(build.invoice(auto_dispatch=False), build.tenant(), HELSINKI)
    assert (start.state, start.message) == (AutoDispatchState.REMOVED, TURNED_OFF_MESSAGE)
    # Kept for a re-import of an invoice that is pending in the store: it moves to this instant.
    assert start.due_from == NEXT_MIDNIGHT


@pytest.mark.parametrize(
    ("activated_at", "auto_dispatch", "expected"),
    [
        ("2026-03-09T13:00:01+02:00", None, AutoDispatchState.REMOVED),  # created just before
        ("2026-03-09T13:00:00+02:00", None, AutoDispatchState.PENDING),  # created at the instant
        ("2026-03-09T11:00:01+00:00", None, AutoDispatchState.REMOVED),  # one second after, in UTC
        ("2026-03-01T12:00:00+02:00", None, AutoDispatchState.PENDING),
        ("2026-03-10T08:00:00+02:00", True, AutoDispatchState.PENDING),  # the user turned it on
    ],
)
def test_r2_invoice_created_before_activation_starts_removed_unless_turned_on(
    build, activated_at, auto_dispatch, expected
):
    tenant = build.tenant({"activated_at": activated_at})
    start = initial_state(build.invoice(auto_dispatch=auto_dispatch), tenant, HELSINKI)
    assert start.state is expected
    assert start.message == (BEFORE_ACTIVATION_MESSAGE if expected is AutoDispatchState.REMOVED else None)


@given(
    sent=st.booleans(),
    auto_dispatch=st.sampled_from([None, True, False]),
    activated_hours_after_creation=st.one_of(st.none(), st.integers(min_value=-48, max_value=48)),
)
def test_r2_r5_r20_exactly_one_start_and_pending_always_has_its_due_instant(
    build, sent, auto_dispatch, activated_hours_after_creation
):
    """Combined: SENT beats everything (R5), an explicit off beats activation (R20), an explicit on
    beats an earlier creation (R2); a pending invoice always lands on the index."""
    settings = {}
    if activated_hours_after_creation is not None:
        activated = datetime.fromisoformat(CREATED).timestamp() + activated_hours_after_creation * 3600
        settings["activated_at"] = datetime.fromtimestamp(activated, HELSINKI).isoformat()
    invoice = build.invoice(status="SENT" if sent else "UNSENT", auto_dispatch=auto_dispatch)
    start = initial_state(invoice, build.tenant(settings), HELSINKI)
    created_before_activation = (
        activated_hours_after_creation is not None and activated_hours_after_creation > 0
    )
    if sent:
        expected = AutoDispatchState.SENT
    elif auto_dispatch is False or (auto_dispatch is None and created_before_activation):
        expected = AutoDispatchState.REMOVED
    else:
        expected = AutoDispatchState.PENDING
    assert start.state is expected
    assert (start.due_from is None) == sent
    assert (start.message is None) == (expected is AutoDispatchState.PENDING)
