"""The runs adapter on Step Functions (moto): a started run's execution is found by its run id,
and a run id Step Functions does not know (or no execution could have) reads as UNKNOWN, which the
API and the CLI turn into 404 only when the store does not know the run either."""

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import boto3
import pytest
from moto import mock_aws

from autodispatch.runs.port import UNKNOWN
from autodispatch.runs.stepfunctions import StepFunctionsRuns, execution_arn

ROLE = "arn:aws:iam::123456789012:role/NightlyRun"
DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})


@pytest.fixture
def stepfunctions(aws_environment: None) -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("stepfunctions")


@pytest.fixture
def runs(stepfunctions: Any) -> StepFunctionsRuns:
    machine = stepfunctions.create_state_machine(name="NightlyRun", definition=DEFINITION, roleArn=ROLE)
    return StepFunctionsRuns(machine["stateMachineArn"], stepfunctions)


def test_an_execution_arn_is_formed_as_step_functions_forms_it() -> None:
    machine = "arn:aws:states:eu-north-1:123456789012:stateMachine:NightlyRun"
    assert execution_arn(machine, "manual-2026-03-10-abc") == (
        "arn:aws:states:eu-north-1:123456789012:execution:NightlyRun:manual-2026-03-10-abc"
    )


def test_r27_a_started_run_is_found_by_its_run_id_with_its_status(
    runs: StepFunctionsRuns, stepfunctions: Any
) -> None:
    arn = runs.start(date(2026, 3, 10), "api-2026-03-10-abc")
    assert runs.execution_arn("api-2026-03-10-abc") == arn
    assert json.loads(stepfunctions.describe_execution(executionArn=arn)["input"]) == {
        "run_date": "2026-03-10"
    }
    status = runs.status(arn)
    assert status.status in {"RUNNING", "SUCCEEDED"}
    assert status.started_at is not None


@pytest.mark.parametrize("run_id", ["never-started", "not an execution name/with:colons"])
def test_r27_a_run_step_functions_does_not_know_is_unknown(runs: StepFunctionsRuns, run_id: str) -> None:
    assert runs.status(runs.execution_arn(run_id)).status == UNKNOWN
