"""Starting a run, and one run as the operator CLI and the integration API show it: what the
store recorded (its night, counts and the invoices it could not send, R21) and Step Functions'
status of it; and the check every way of starting a run makes first."""

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from autodispatch.errors import FieldIssue, InputError, NotFound
from autodispatch.rules.due import local_date
from autodispatch.rules.run_date import future_night
from autodispatch.runs.port import UNKNOWN, ExecutionStatus, RunExecutions, RunStarter
from autodispatch.store.port import RunIssue, RunLog, RunSummary


class RunDetail(BaseModel):
    """`run` is None while the execution has not selected its invoices yet (or when it failed
    before it did); `execution.status` is UNKNOWN once Step Functions no longer has it."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    execution_arn: str
    execution: ExecutionStatus
    run: RunSummary | None = None
    issues: list[RunIssue] = []


class StartedRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    run_date: date
    execution_arn: str


def start_run(starter: RunStarter, run_date: date, origin: str) -> StartedRun:
    """Starts the run of `run_date` as the schedule would (the same input), named
    `<origin>-<run date>-<8 hex>`: who started it, for which night, unique. The name is the run id."""
    run_id = f"{origin}-{run_date.isoformat()}-{uuid.uuid4().hex[:8]}"
    return StartedRun(run_id=run_id, run_date=run_date, execution_arn=starter.start(run_date, run_id))


def stored_run(store: RunLog, run_id: str) -> RunSummary | None:
    try:
        return store.get_run(run_id)
    except NotFound:  # the execution has not selected yet, or died before it did
        return None


def run_detail(store: RunLog, executions: RunExecutions, run_id: str) -> RunDetail:
    """Raises NotFound when neither the store nor Step Functions knows the run."""
    run = stored_run(store, run_id)
    arn = (run.execution_arn if run else None) or executions.execution_arn(run_id)
    execution = executions.status(arn)
    if run is None and execution.status == UNKNOWN:
        raise NotFound.run(run_id)
    issues = store.run_issues(run_id) if run else []
    return RunDetail(run_id=run_id, execution_arn=arn, execution=execution, run=run, issues=issues)


def check_run_date(run_date: date, now: datetime, zone: ZoneInfo) -> None:
    """Raises InputError naming `run_date` when its night has not come in `zone` (R1, R10): the API
    and the operator CLI start runs only for tonight or a night that has passed."""
    reason = future_night(run_date, local_date(now, zone))
    if reason is not None:
        raise InputError([FieldIssue.said("run_date", reason)])
