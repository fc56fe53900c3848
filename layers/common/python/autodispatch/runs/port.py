"""The port through which a front end starts a run of the nightly state machine."""

from datetime import date
from typing import Protocol


class RunStarter(Protocol):
    def start(self, run_date: date, name: str) -> str:
        """Start the run of `run_date` as execution `name` (the run id); returns its execution ARN."""
        ...
