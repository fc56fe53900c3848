"""The deployed state machine is the shared definition the local runtime runs, logged and traced."""

import json
import re
from datetime import timedelta
from typing import Any

from autodispatch.logic.selection import NIGHT_LEASE
from autodispatch.store.work_list import MAP_RESULTS_PREFIX
from cdk.constants import STATE_MACHINE_DEFINITION

from .conftest import Synthesized

FUNCTION_PLACEHOLDERS = {
    "SelectInvoicesFunctionArn": "Functions/SelectInvoices.Arn",
    "DispatchInvoiceFunctionArn": "Functions/DispatchInvoice.Arn",
    "NotifyFailuresFunctionArn": "Functions/NotifyFailures.Arn",
}
SUBSTITUTIONS = {**FUNCTION_PLACEHOLDERS, "DocumentBucketName": "ref(Storage/Documents)"}


def _deployed_definition(synth: Synthesized) -> dict[str, Any]:
    """The definition CloudFormation deploys: DefinitionString with DefinitionSubstitutions applied,
    each function ARN written back as its placeholder's name so it compares with the file."""
    properties = synth.resource("Workflow/NightlyRun")["Properties"]
    text = properties["DefinitionString"]
    assert isinstance(text, str), "the definition has no CloudFormation tokens in it"
    arn_to_placeholder = {
        synth.render(value): name for name, value in properties["DefinitionSubstitutions"].items()
    }
    assert arn_to_placeholder == {arn: name for name, arn in SUBSTITUTIONS.items()}
    for name, value in properties["DefinitionSubstitutions"].items():
        text = text.replace("${" + name + "}", "<" + synth.render(value) + ">")
    definition: dict[str, Any] = json.loads(text)
    return definition


def _file_definition(max_concurrency: int) -> dict[str, Any]:
    """The shared file with its placeholders substituted the same way."""
    text = STATE_MACHINE_DEFINITION.read_text().replace("${MaxConcurrency}", str(max_concurrency))
    for name, arn in SUBSTITUTIONS.items():
        text = text.replace("${" + name + "}", "<" + arn + ">")
    definition: dict[str, Any] = json.loads(text)
    return definition


def test_deployed_definition_is_the_shared_definition_file(
    deployed: Synthesized, variant: Synthesized
) -> None:
    assert _deployed_definition(deployed) == _file_definition(max_concurrency=2)
    assert _deployed_definition(variant) == _file_definition(max_concurrency=25)


def test_definition_file_has_no_placeholder_the_stack_does_not_fill() -> None:
    placeholders = set(re.findall(r"\$\{(\w+)\}", STATE_MACHINE_DEFINITION.read_text()))
    assert placeholders == {*SUBSTITUTIONS, "MaxConcurrency"}


def test_nightly_run_is_a_standard_workflow_logging_all_events_with_tracing(deployed: Synthesized) -> None:
    properties = deployed.resource("Workflow/NightlyRun")["Properties"]
    assert properties["StateMachineType"] == "STANDARD"
    assert properties["StateMachineName"] == "Autodispatch-NightlyRun"
    assert properties["TracingConfiguration"] == {"Enabled": True}
    logging = properties["LoggingConfiguration"]
    assert logging["Level"] == "ALL"
    assert logging["IncludeExecutionData"] is True
    (destination,) = logging["Destinations"]
    assert (
        deployed.render(destination["CloudWatchLogsLogGroup"]["LogGroupArn"]) == "Workflow/ExecutionLogs.Arn"
    )
    assert deployed.resource("Workflow/ExecutionLogs")["Properties"]["RetentionInDays"] == 90


def test_state_machine_waits_for_its_permissions(deployed: Synthesized) -> None:
    """The role's policy exists before the state machine, so the first run cannot miss a permission."""
    depends_on = deployed.resource("Workflow/NightlyRun")["DependsOn"]
    assert deployed.logical_id("Workflow/NightlyRun/Role/DefaultPolicy") in depends_on


# The longest an Express child execution may run, retries included.
EXPRESS_LIMIT_SECONDS = 300


def _worst_case_seconds(timeout: int, retriers: list[dict[str, Any]]) -> float:
    """Every attempt at the timeout plus every wait between them (each retrier counts its own
    attempts, so the worst case runs them all)."""
    attempts, waits = 1, 0.0
    for retrier in retriers:
        interval, rate = retrier.get("IntervalSeconds", 1), retrier.get("BackoffRate", 2.0)
        attempts += retrier.get("MaxAttempts", 3)
        for retry in range(retrier.get("MaxAttempts", 3)):
            waits += min(interval * rate**retry, retrier.get("MaxDelaySeconds", float("inf")))
    return timeout * attempts + waits


def _task_seconds(synth: Synthesized, task: dict[str, Any]) -> int:
    """How long one attempt of a task can last: its TimeoutSeconds, which must cover the function's
    own timeout unless the task is a short one (the function's timeout then does not bound it)."""
    function = str(task["Parameters"]["FunctionName"]).strip("<>").removesuffix(".Arn")
    return int(task.get("TimeoutSeconds", synth.resource(function)["Properties"]["Timeout"]))


def test_r23_r24_express_child_retries_and_catch_fit_in_five_minutes(deployed: Synthesized) -> None:
    """A child cut off by the Express limit would stop mid-send and skip its catch; the task
    timeouts, the retriers and the catch in the deployed definition together must fit."""
    definition = _deployed_definition(deployed)
    (child,) = [
        state["ItemProcessor"]
        for state in definition["States"].values()
        if state.get("ItemProcessor", {}).get("ProcessorConfig", {}).get("ExecutionType") == "EXPRESS"
    ]
    dispatch, settle = child["States"]["DispatchBatch"], child["States"]["SettleFailedBatch"]
    assert [catcher["Next"] for catcher in dispatch["Catch"]] == ["SettleFailedBatch"]
    function_timeout = int(deployed.resource("Functions/DispatchInvoice")["Properties"]["Timeout"])
    # The function stops before its task times out, so a timed-out task has no send still running.
    assert function_timeout < _task_seconds(deployed, dispatch)
    worst = _worst_case_seconds(_task_seconds(deployed, dispatch), dispatch["Retry"]) + _worst_case_seconds(
        _task_seconds(deployed, settle), settle["Retry"]
    )
    assert worst == 3 * 75 + 2 + 4 + 2 * 30 + 1
    assert worst < EXPRESS_LIMIT_SECONDS


def _tasks(states: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, state in states.items():
        if state["Type"] == "Task":
            found.append((name, state))
        found += _tasks(state.get("ItemProcessor", {}).get("States", {}))
    return found


def test_r24_run_and_every_task_have_a_timeout_and_the_map_writes_results_to_s3(
    deployed: Synthesized,
) -> None:
    """A stuck run ends (and alarms) before the next night; the map's output is bounded by its
    ResultWriter however many batches fail, under the work lists' prefix and expiry."""
    definition = _deployed_definition(deployed)
    assert definition["TimeoutSeconds"] <= 23 * 3600
    tasks = _tasks(definition["States"])
    assert sorted(name for name, _ in tasks) == [
        "DispatchBatch",
        "FinishNotifications",
        "NotifyChunk",
        "PlanNotifications",
        "SelectDueInvoices",
        "SettleFailedBatch",
    ]
    assert all(task["TimeoutSeconds"] > 0 for _, task in tasks)
    dispatch_map = definition["States"]["DispatchInvoiceBatches"]
    assert dispatch_map["ResultPath"] is None
    assert dispatch_map["ResultWriter"] == {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": "<ref(Storage/Documents)>", "Prefix": MAP_RESULTS_PREFIX},
    }
    # Whatever the map does, the run goes on to settle and report (R21, R24).
    assert [catcher["Next"] for catcher in dispatch_map["Catch"]] == ["PlanNotifications"]
    assert dispatch_map["Next"] == "PlanNotifications"


def test_r21_r24_notification_fans_out_a_chunk_of_tenants_an_invocation(deployed: Synthesized) -> None:
    """The sweep and the plan once, then a Map of chunks at the plan's concurrency (within the SES
    and SMS rates), each chunk retried on its own; a chunk that fails for good leaves only its
    error (the others go on) and the finish step, which alone releases the night, fails the run."""
    states = _deployed_definition(deployed)["States"]
    notify_function = "<Functions/NotifyFailures.Arn>"
    plan, fan_out, finish = (
        states["PlanNotifications"],
        states["NotifyTenants"],
        states["FinishNotifications"],
    )
    assert states["AnyInvoicesDue"]["Default"] == "PlanNotifications"
    assert (plan["Next"], fan_out["Next"], finish["Next"]) == (
        "NotifyTenants",
        "FinishNotifications",
        "RunComplete",
    )
    assert plan["Parameters"]["Payload"]["step"] == "plan"
    assert plan["Parameters"]["Payload"]["work_list.$"] == "$.selection.work_list"
    assert plan["ResultPath"] == "$.notification_plan"

    assert fan_out["ItemProcessor"]["ProcessorConfig"] == {"Mode": "INLINE"}
    assert fan_out["ItemsPath"] == "$.notification_plan.chunks"
    assert fan_out["MaxConcurrencyPath"] == "$.notification_plan.concurrency"
    assert plan["ResultSelector"]["concurrency.$"] == "$.Payload.concurrency"
    assert fan_out["ItemSelector"] == {
        "step": "chunk",
        "run.$": "$.selection.run",
        "chunk.$": "$$.Map.Item.Value",
    }
    chunk_states = fan_out["ItemProcessor"]["States"]
    chunk, failed = chunk_states["NotifyChunk"], chunk_states["ChunkNotNotified"]
    assert [catcher["Next"] for catcher in chunk["Catch"]] == ["ChunkNotNotified"]
    assert failed == {"Type": "Pass", "Parameters": {"error.$": "$.failure.Error"}, "End": True}
    assert "TransientError" in chunk["Retry"][0]["ErrorEquals"]

    assert finish["Parameters"]["Payload"] == {
        "step": "finish",
        "run.$": "$.selection.run",
        "results.$": "$.notified",
    }
    assert fan_out["ResultPath"] == "$.notified"
    assert "Catch" not in finish
    notify_timeout = int(deployed.resource("Functions/NotifyFailures")["Properties"]["Timeout"])
    for task in (plan, chunk, finish):
        assert task["Parameters"]["FunctionName"] == notify_function
        # The function stops before its task times out, so a timed-out task has no send still running.
        assert notify_timeout < task["TimeoutSeconds"]


def test_r21_an_execution_never_outlives_its_hold_of_the_night() -> None:
    """The night's hold lasts as long as the state machine lets an execution run: a later
    execution of the night never starts beside a live holder, nor waits beyond a dead one's end."""
    assert timedelta(seconds=_file_definition(max_concurrency=10)["TimeoutSeconds"]) == NIGHT_LEASE
