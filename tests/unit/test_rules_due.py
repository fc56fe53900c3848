"""R3, R5-R10: which invoices a run takes, in Europe/Helsinki local dates across DST changes."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodispatch.models.enums import AutoDispatchState, Source, Timing
from autodispatch.rules.due import NotTaken, due_from, is_due_by, local_date, start_of_day, why_not_taken

HELSINKI = ZoneInfo("Europe/Helsinki")
PENDING = AutoDispatchState.PENDING


def _taken(build, invoice, run_date, state=PENDING, **settings_overrides):
    return why_not_taken(invoice, state, build.settings(**settings_overrides), run_date, HELSINKI)


# --- R5 ---------------------------------------------------------------------------------------


def test_r5_unsent_due_invoice_is_taken(build):
    assert _taken(build, build.invoice(), date(2026, 3, 10)) is None


def test_r5_invoice_imported_as_sent_is_never_taken(build):
    invoice = build.invoice(status="SENT", source="API")
    assert _taken(build, invoice, date(2026, 3, 10)) is NotTaken.ALREADY_SENT
    assert _taken(build, invoice, date(2026, 12, 31)) is NotTaken.ALREADY_SENT


# --- R6 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "created_at",
    [
        "2026-03-09T00:00:00+02:00",  # the very first instant of day X
        "2026-03-09T13:00:00+02:00",  # the SPEC example
        "2026-03-09T23:59:59+02:00",  # the last second of day X
    ],
)
def test_r6_created_on_day_x_is_due_in_run_of_x_plus_1_not_x(build, created_at):
    invoice = build.invoice(created_at=created_at)
    assert _taken(build, invoice, date(2026, 3, 9)) is NotTaken.NOT_DUE
    assert _taken(build, invoice, date(2026, 3, 10)) is None


def test_r6_created_exactly_at_start_of_run_day_waits_for_next_run(build):
    # created_at < start of D is strict: an invoice created at 00:00:00 on D is D+1's.
    invoice = build.invoice(created_at="2026-03-10T00:00:00+02:00")
    assert not is_due_by(invoice, Timing.CREATION_DATE, date(2026, 3, 10), HELSINKI)
    assert is_due_by(invoice, Timing.CREATION_DATE, date(2026, 3, 11), HELSINKI)


def test_r6_creation_timing_ignores_a_future_invoice_date(build):
    invoice = build.invoice(invoice_date="2026-03-20", due_date="2026-04-03")
    assert is_due_by(invoice, Timing.CREATION_DATE, date(2026, 3, 10), HELSINKI)
    assert _taken(build, invoice, date(2026, 3, 10)) is None


def test_r6_creation_date_is_the_default_timing(build):
    invoice = build.invoice(invoice_date="2026-03-20", due_date="2026-04-03")
    settings = build.settings(timing=build.OMIT)
    assert settings.timing is Timing.CREATION_DATE
    assert why_not_taken(invoice, PENDING, settings, date(2026, 3, 10), HELSINKI) is None


# --- R7 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("run_date", "taken"),
    [
        (date(2026, 3, 9), False),
        (date(2026, 3, 10), False),
        (date(2026, 3, 11), True),
        (date(2026, 3, 12), True),
    ],
)
def test_r7_invoice_dated_in_the_future_waits_for_its_invoice_date(build, run_date, taken):
    invoice = build.invoice(
        created_at="2026-03-08T10:00:00+02:00", invoice_date="2026-03-11", due_date="2026-03-25"
    )
    reason = _taken(build, invoice, run_date, timing="INVOICE_DATE")
    assert reason is (None if taken else NotTaken.NOT_DUE)


@pytest.mark.parametrize(
    ("run_date", "taken"),
    [
        (date(2026, 2, 3), False),
        (date(2026, 2, 6), False),
        (date(2026, 2, 7), True),
        (date(2026, 2, 9), True),
    ],
)
def test_r7_back_dated_invoice_imported_6_2_dated_3_2_goes_out_7_2(build, run_date, taken):
    invoice = build.invoice(
        source="API", created_at="2026-02-06T11:00:00+02:00", invoice_date="2026-02-03", due_date="2026-02-17"
    )
    assert is_due_by(invoice, Timing.INVOICE_DATE, run_date, HELSINKI) is taken
    assert due_from(invoice, Timing.INVOICE_DATE, HELSINKI) == start_of_day(date(2026, 2, 7), HELSINKI)


def test_r7_invoice_created_on_its_invoice_date_goes_next_night(build):
    invoice = build.invoice(created_at="2026-03-11T09:00:00+02:00", invoice_date="2026-03-11")
    assert not is_due_by(invoice, Timing.INVOICE_DATE, date(2026, 3, 11), HELSINKI)
    assert is_due_by(invoice, Timing.INVOICE_DATE, date(2026, 3, 12), HELSINKI)


def test_r7_due_from_is_start_of_invoice_date_when_created_early(build):
    invoice = build.invoice(created_at="2026-03-01T10:00:00+02:00", invoice_date="2026-03-11")
    assert due_from(invoice, Timing.INVOICE_DATE, HELSINKI) == datetime(2026, 3, 11, tzinfo=HELSINKI)
    assert due_from(invoice, Timing.CREATION_DATE, HELSINKI) == datetime(2026, 3, 2, tzinfo=HELSINKI)


# --- R8, R9 -----------------------------------------------------------------------------------


def test_r8_invoice_removed_by_user_is_never_taken(build):
    reason = _taken(build, build.invoice(), date(2026, 3, 20), state=AutoDispatchState.REMOVED)
    assert reason is NotTaken.REMOVED


@pytest.mark.parametrize(
    "state", [AutoDispatchState.IGNORED, AutoDispatchState.FAILED, AutoDispatchState.SENT]
)
def test_r9_invoice_whose_dispatch_already_ended_is_not_retried(build, state):
    assert state.is_final
    assert _taken(build, build.invoice(), date(2026, 3, 10), state=state) is NotTaken.ALREADY_HANDLED


def test_r9_only_pending_and_removed_are_not_final():
    assert {state for state in AutoDispatchState if not state.is_final} == {
        AutoDispatchState.PENDING,
        AutoDispatchState.REMOVED,
    }


# --- R10 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("nights_missed", [1, 2, 7, 30, 365])
def test_r10_missed_nights_lose_nothing(build, nights_missed):
    invoice = build.invoice(created_at="2026-03-09T13:00:00+02:00")
    run_date = date(2026, 3, 10) + timedelta(days=nights_missed)
    assert _taken(build, invoice, run_date) is None


@pytest.mark.parametrize("nights_missed", [1, 5])
def test_r10_missed_nights_lose_nothing_with_invoice_date_timing(build, nights_missed):
    invoice = build.invoice(created_at="2026-03-01T10:00:00+02:00", invoice_date="2026-03-11")
    assert (
        _taken(build, invoice, date(2026, 3, 11) + timedelta(days=nights_missed), timing="INVOICE_DATE")
        is None
    )


# --- R3, R1 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("source", list(Source))
def test_r3_invoice_whose_source_is_not_enabled_is_not_taken(build, source):
    others = [other.value for other in Source if other is not source]
    invoice = build.invoice(source=source.value)
    assert _taken(build, invoice, date(2026, 3, 10), sources=others) is NotTaken.SOURCE_NOT_ENABLED
    assert _taken(build, invoice, date(2026, 3, 10), sources=[source.value]) is None


def test_r1_inactive_tenant_takes_nothing(build):
    assert _taken(build, build.invoice(), date(2026, 3, 10), active=False) is NotTaken.TENANT_INACTIVE


def test_r1_inactive_tenant_is_reported_before_any_other_reason(build):
    invoice = build.invoice(status="SENT", source="API")
    reason = _taken(build, invoice, date(2026, 3, 9), active=False, sources=["MANUAL"])
    assert reason is NotTaken.TENANT_INACTIVE


# --- R1 time zone: DST and UTC instants that are another local date ---------------------------------

DST_CASES = [
    # (created_at, local date it falls on, first run date that takes it)
    ("2026-01-14T21:59:59Z", date(2026, 1, 14), date(2026, 1, 15)),
    ("2026-01-14T22:30:00Z", date(2026, 1, 15), date(2026, 1, 16)),  # already 15.1 00:30 in Helsinki
    ("2026-03-28T21:59:59+00:00", date(2026, 3, 28), date(2026, 3, 29)),
    ("2026-03-28T22:00:00+00:00", date(2026, 3, 29), date(2026, 3, 30)),
    ("2026-03-28T23:30:00+00:00", date(2026, 3, 29), date(2026, 3, 30)),  # 29.3 01:30, before DST starts
    ("2026-03-29T00:59:59+00:00", date(2026, 3, 29), date(2026, 3, 30)),  # 02:59:59 EET, last before the jump
    ("2026-03-29T01:00:00+00:00", date(2026, 3, 29), date(2026, 3, 30)),  # 04:00 EEST, first after it
    ("2026-03-29T20:59:59+00:00", date(2026, 3, 29), date(2026, 3, 30)),  # 23:59:59 EEST
    ("2026-03-29T21:00:00+00:00", date(2026, 3, 30), date(2026, 3, 31)),  # midnight is now 21:00 UTC
    ("2026-10-24T20:59:59Z", date(2026, 10, 24), date(2026, 10, 25)),
    ("2026-10-24T21:00:00Z", date(2026, 10, 25), date(2026, 10, 26)),
    ("2026-10-25T00:30:00Z", date(2026, 10, 25), date(2026, 10, 26)),  # 03:30 EEST, first pass
    ("2026-10-25T01:30:00Z", date(2026, 10, 25), date(2026, 10, 26)),  # 03:30 EET, second pass
    ("2026-10-25T21:59:59Z", date(2026, 10, 25), date(2026, 10, 26)),  # 23:59:59 EET
    ("2026-10-25T22:00:00Z", date(2026, 10, 26), date(2026, 10, 27)),  # midnight is now 22:00 UTC
    ("2026-06-30T23:30:00-05:00", date(2026, 7, 1), date(2026, 7, 2)),  # another offset: 1.7 07:30 local
    ("2026-07-01T09:00:00+09:00", date(2026, 7, 1), date(2026, 7, 2)),  # 1.7 03:00 local
    ("2026-07-01T02:59:59+09:00", date(2026, 6, 30), date(2026, 7, 1)),  # 30.6 20:59:59 local
]


@pytest.mark.parametrize(("created_at", "local_day", "first_run"), DST_CASES)
@pytest.mark.parametrize("timing", list(Timing))
def test_r6_r1_due_in_helsinki_local_dates_across_dst(build, created_at, local_day, first_run, timing):
    invoice = build.invoice(created_at=created_at, invoice_date=local_day.isoformat(), due_date="2026-12-31")
    assert local_date(invoice.created_at, HELSINKI) == local_day
    assert not is_due_by(invoice, timing, first_run - timedelta(days=1), HELSINKI)
    assert is_due_by(invoice, timing, first_run, HELSINKI)
    assert due_from(invoice, timing, HELSINKI) == start_of_day(first_run, HELSINKI)


@pytest.mark.parametrize(
    ("day", "utc_start"),
    [
        (date(2026, 3, 29), datetime(2026, 3, 28, 22, 0, tzinfo=UTC)),  # the DST day starts in winter time
        (date(2026, 3, 30), datetime(2026, 3, 29, 21, 0, tzinfo=UTC)),
        (date(2026, 10, 25), datetime(2026, 10, 24, 21, 0, tzinfo=UTC)),  # starts in summer time
        (date(2026, 10, 26), datetime(2026, 10, 25, 22, 0, tzinfo=UTC)),
    ],
)
def test_r1_start_of_day_is_local_midnight_across_dst(day, utc_start):
    assert start_of_day(day, HELSINKI) == utc_start
    assert start_of_day(day, HELSINKI).astimezone(UTC) == utc_start


def test_r1_dst_days_are_23_and_25_hours_long():
    def length(day: date) -> timedelta:
        start = start_of_day(day, HELSINKI).astimezone(UTC)
        return start_of_day(day + timedelta(days=1), HELSINKI).astimezone(UTC) - start

    assert length(date(2026, 3, 29)) == timedelta(hours=23)
    assert length(date(2026, 10, 25)) == timedelta(hours=25)
    assert length(date(2026, 3, 10)) == timedelta(hours=24)


def test_r1_the_time_zone_is_a_parameter_not_fixed(build):
    # 22:30 UTC on 14.1 is still 14.1 in London, so London's run of 15.1 takes it; Helsinki's does not.
    invoice = build.invoice(created_at="2026-01-14T22:30:00Z", invoice_date="2026-01-14")
    assert is_due_by(invoice, Timing.CREATION_DATE, date(2026, 1, 15), ZoneInfo("Europe/London"))
    assert not is_due_by(invoice, Timing.CREATION_DATE, date(2026, 1, 15), HELSINKI)


# --- properties -------------------------------------------------------------------------------

YEAR_2026_SECONDS = int((datetime(2027, 1, 1, tzinfo=UTC) - datetime(2026, 1, 1, tzinfo=UTC)).total_seconds())
OFFSETS_MINUTES = [-300, 0, 60, 120, 180, 330, 540]


@settings(max_examples=300, deadline=None)
@given(
    seconds=st.integers(min_value=0, max_value=YEAR_2026_SECONDS - 1),
    offset_minutes=st.sampled_from(OFFSETS_MINUTES),
    invoice_date_shift=st.integers(min_value=-10, max_value=10),
    timing=st.sampled_from(list(Timing)),
)
def test_r6_r7_r10_due_from_agrees_with_is_due_by(build, seconds, offset_minutes, invoice_date_shift, timing):
    instant = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    created_at = instant.astimezone(timezone(timedelta(minutes=offset_minutes)))
    local_day = instant.astimezone(HELSINKI).date()
    invoice_date = local_day + timedelta(days=invoice_date_shift)
    invoice = build.invoice(
        created_at=created_at.isoformat(),
        invoice_date=invoice_date.isoformat(),
        due_date=(invoice_date + timedelta(days=14)).isoformat(),
    )
    first = due_from(invoice, timing, HELSINKI)
    # The due instant is a local midnight strictly after creation (R6) and never before the invoice date (R7).
    assert first > invoice.created_at
    assert first.astimezone(HELSINKI).time().isoformat() == "00:00:00"
    if timing is Timing.INVOICE_DATE:
        assert first.astimezone(HELSINKI).date() >= invoice_date
    previous = False
    for days in range(-3, 16):
        run_date = local_day + timedelta(days=days)
        due = is_due_by(invoice, timing, run_date, HELSINKI)
        assert due == (start_of_day(run_date, HELSINKI) >= first)
        # R10: once due, due in every later run.
        assert due or not previous
        previous = due


@settings(max_examples=200, deadline=None)
@given(seconds=st.integers(min_value=0, max_value=YEAR_2026_SECONDS - 1))
def test_r6_first_run_is_the_day_after_the_local_creation_date(build, seconds):
    instant = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    local_day = instant.astimezone(HELSINKI).date()
    invoice = build.invoice(
        created_at=instant.isoformat(), invoice_date=local_day.isoformat(), due_date="2027-01-31"
    )
    assert not is_due_by(invoice, Timing.CREATION_DATE, local_day, HELSINKI)
    assert is_due_by(invoice, Timing.CREATION_DATE, local_day + timedelta(days=1), HELSINKI)
    assert due_from(invoice, Timing.CREATION_DATE, HELSINKI).date() == local_day + timedelta(days=1)
