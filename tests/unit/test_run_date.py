"""The run date D of an execution: explicit, or the scheduler's time in Europe/Helsinki (R1, R6)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from autodispatch.logic.selection import RunRequest, run_date_of

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
