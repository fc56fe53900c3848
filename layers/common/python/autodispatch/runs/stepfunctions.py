"""RunExecutions on Step Functions: StartExecution with the input the schedule gives, and
DescribeExecution for a run's status."""

import json
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from autodispatch.clients import new_client
from autodispatch.runs.port import UNKNOWN, ExecutionStatus

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

# No such execution, or a run id no execution can have (its ARN is invalid): the status is unknown.
_NO_EXECUTION = frozenset({"ExecutionDoesNotExist", "InvalidArn"})


def execution_arn(state_machine_arn: str, execution_name: str) -> str:
    """An execution's ARN from its state machine's ARN and its name (the run id)."""
    prefix, _, machine = state_machine_arn.rpartition(":stateMachine:")
    return f"{prefix}:execution:{machine}:{execution_name}"


def execution_status(described: Mapping[str, Any]) -> ExecutionStatus:
    """DescribeExecution's answer, or one execution of ListExecutions, as an ExecutionStatus."""
    return ExecutionStatus(
        status=described.get("status", UNKNOWN),
        started_at=described.get("startDate"),
        stopped_at=described.get("stopDate"),
        error=described.get("error"),
        cause=described.get("cause"),
    )


class StepFunctionsRuns:
    def __init__(self, state_machine_arn: str, client: "SFNClient | None" = None) -> None:
        self._state_machine_arn = state_machine_arn
        self._client = client

    @property
    def client(self) -> "SFNClient":
        # Created on first use: building the adapter needs no AWS setup.
        if self._client is None:
            self._client = new_client(lambda: boto3.client("stepfunctions"))
        return self._client

    def start(self, run_date: date, name: str) -> str:
        started = self.client.start_execution(
            stateMachineArn=self._state_machine_arn,
            name=name,
            input=json.dumps({"run_date": run_date.isoformat()}),
        )
        return str(started["executionArn"])

    def execution_arn(self, run_id: str) -> str:
        return execution_arn(self._state_machine_arn, run_id)

    def status(self, execution_arn: str) -> ExecutionStatus:
        try:
            described = self.client.describe_execution(executionArn=execution_arn)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _NO_EXECUTION:
                return ExecutionStatus(status=UNKNOWN)
            raise
        return execution_status(described)
