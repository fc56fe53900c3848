"""R27: one way to start a run, for the CLI, the API and the local runtime alike."""

import re
from datetime import date

from autodispatch.logic.runs import start_run


class RecordingStarter:
    """Implements `autodispatch.runs.port.RunStarter`."""

    def __init__(self) -> None:
        self.started: list[tuple[date, str]] = []

    def start(self, run_date: date, name: str) -> str:
        self.started.append((run_date, name))
        return f"arn:execution:{name}"


def test_r27_a_run_is_named_by_who_started_it_and_its_night_and_started_with_its_date() -> None:
    starter = RecordingStarter()
    first = start_run(starter, date(2026, 3, 10), origin="api")
    second = start_run(starter, date(2026, 3, 10), origin="api")
    assert re.fullmatch(r"api-2026-03-10-[0-9a-f]{8}", first.run_id)
    assert first.run_id != second.run_id
    assert starter.started[0] == (date(2026, 3, 10), first.run_id)
    assert (first.run_date, first.execution_arn) == (date(2026, 3, 10), f"arn:execution:{first.run_id}")
