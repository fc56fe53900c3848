"""The ports through which a front end starts a run of the nightly state machine and reads the
state of its execution."""

from datetime import date
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict

# Step Functions keeps an execution's history for 90 days; after that its status is unknown.
UNKNOWN = "UNKNOWN"
# The statuses of an execution that has ended.
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


class ExecutionStatus(BaseModel):
    """Step Functions' view of a run: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED (or UNKNOWN
    once Step Functions no longer has the execution), with when it started and stopped and, for
    one that failed, the error and its cause."""

    model_config = ConfigDict(frozen=True)

    status: str
    started_at: AwareDatetime | None = None
    stopped_at: AwareDatetime | None = None
    error: str | None = None
    cause: str | None = None


class RunStarter(Protocol):
    def start(self, run_date: date, name: str) -> str:
        """Start the run of `run_date` as execution `name` (the run id); returns its execution ARN."""
        ...


class RunExecutions(RunStarter, Protocol):
    def execution_arn(self, run_id: str) -> str:
        """The ARN of the execution named `run_id`, as Step Functions forms it."""
        ...

    def status(self, execution_arn: str) -> ExecutionStatus:
        """The execution's status; UNKNOWN when Step Functions does not have it."""
        ...
