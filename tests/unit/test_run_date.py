"""The run date D of an execution: explicit, or the scheduler's time in Europe/Helsinki (R1, R6);
and the nights a run may be started for (R1, R10)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from autodispatch.errors import InputError
from autodispatch.logic.runs import check_run_date
from autodispatch.logic.selection import RunRequest, run_date_of
from autodispatch.rules.run_date import future_night

HELSINKI = ZoneInfo("Europe/Helsinki")
STARTED = datetime(2026, 3, 9, 22, 5, 3, tzinfo=UTC)


def test_r1_explicit_run_date_wins() -> None:
    request = RunRequest(run_date=date(2026, 3, 11), scheduled_time=STARTED)
    assert run_date_of(request, STARTED, HELSINKI) == date(2026, 3, 11)


@pytest.mark.parametrize(
    ("scheduled", "expected"),
    [
        ("2026-03-09T22:05:00Z", date(2026, 3, 10)),  # winter: 00:05 EET is 22:05 UTC the day before
        ("2026-06-30T21:05:00Z", date(2026, 7, 1)),  # summer: 00:05 EEST is 21:05 UTC
        ("2026-03-28T22:05:00Z", date(2026, 3, 29)),  # the night DST starts
        ("2026-10-24T21:05:00Z", date(2026, 10, 25)),  # the night DST ends
    ],
)
def test_r1_scheduled_start_runs_for_the_helsinki_date(scheduled: str, expected: date) -> None:
    request = RunRequest.model_validate({"scheduled_time": scheduled})
    assert run_date_of(request, STARTED, HELSINKI) == expected


def test_r1_start_without_input_uses_the_execution_start_in_helsinki() -> None:
    assert run_date_of(RunRequest(), STARTED, HELSINKI) == date(2026, 3, 10)


@pytest.mark.parametrize(
    ("run_date", "allowed"),
    [
        (date(2026, 3, 10), True),  # tonight
        (date(2026, 3, 1), True),  # a night that has passed (catch-up, R10)
        (date(2000, 1, 1), True),
        (date(2026, 3, 11), False),  # tomorrow's night has not come
        (date(2999, 12, 31), False),
    ],
)
def test_r1_r10_a_run_may_start_for_tonight_or_a_past_night_only(run_date: date, allowed: bool) -> None:
    assert (future_night(run_date, date(2026, 3, 10)) is None) is allowed


def test_r1_a_future_night_is_refused_naming_run_date_by_the_helsinki_date() -> None:
    # 22:30 UTC on 9 March is already 10 March in Helsinki: that night may run, the 11th not.
    now = datetime(2026, 3, 9, 22, 30, tzinfo=UTC)
    check_run_date(date(2026, 3, 10), now, HELSINKI)
    with pytest.raises(InputError) as refused:
        check_run_date(date(2026, 3, 11), now, HELSINKI)
    assert [issue.field for issue in refused.value.issues] == ["run_date"]
    assert "2026-03-11" in str(refused.value)
