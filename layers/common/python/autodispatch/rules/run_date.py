"""R1, R10: which nights a run may be started for. A night that has passed may be run again
(catch-up: a missed or failed run loses nothing); a night that has not come may not, because its
run would send invoices before their day."""

from datetime import date


def future_night(run_date: date, today: date) -> str | None:
    """Why a run of `run_date` may not start on `today` (the deployment's local date), or None."""
    if run_date > today:
        return f"the night of {run_date.isoformat()} has not come (today is {today.isoformat()})"
    return None
