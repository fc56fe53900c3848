"""RunStarter on Step Functions: one StartExecution with the input the schedule gives."""

import json
from datetime import date
from typing import Any

import boto3


class StepFunctionsRunStarter:
    def __init__(self, state_machine_arn: str, client: Any = None) -> None:
        self._state_machine_arn = state_machine_arn
        self._client = client

    def start(self, run_date: date, name: str) -> str:
        if self._client is None:
            self._client = boto3.client("stepfunctions")
        started = self._client.start_execution(
            stateMachineArn=self._state_machine_arn,
            name=name,
            input=json.dumps({"run_date": run_date.isoformat()}),
        )
        return str(started["executionArn"])
