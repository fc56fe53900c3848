"""R1, R10: which nights a run may be started for. A night that has passed may be run again
(catch-up: a missed or failed run loses nothing); a night that has not come may not, because its
run would send invoices before their day."""

from datetime import date

from autodispatch.models.text import Text


def future_night(run_date: date, today: date) -> Text | None:
    """Why a run of `run_date` may not start on `today` (the deployment's local date), or None."""
    if run_date > today:
        return Text.of("run_date.future", night=run_date.isoformat(), today=today.isoformat())
    return None
