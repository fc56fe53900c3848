"""The deployed state machine is the shared definition the local runtime runs, logged and traced."""

import json
import re
from typing import Any

from cdk.constants import STATE_MACHINE_DEFINITION

from .conftest import Synthesized

FUNCTION_PLACEHOLDERS = {
    "SelectInvoicesFunctionArn": "Functions/SelectInvoices.Arn",
    "DispatchInvoiceFunctionArn": "Functions/DispatchInvoice.Arn",
    "NotifyFailuresFunctionArn": "Functions/NotifyFailures.Arn",
}


def _deployed_definition(synth: Synthesized) -> dict[str, Any]:
    """The definition CloudFormation deploys: DefinitionString with DefinitionSubstitutions applied,
    each function ARN written back as its placeholder's name so it compares with the file."""
    properties = synth.resource("Workflow/NightlyRun")["Properties"]
    text = properties["DefinitionString"]
    assert isinstance(text, str), "the definition has no CloudFormation tokens in it"
    arn_to_placeholder = {
        synth.render(value): name for name, value in properties["DefinitionSubstitutions"].items()
    }
    assert arn_to_placeholder == {arn: name for name, arn in FUNCTION_PLACEHOLDERS.items()}
    for name, value in properties["DefinitionSubstitutions"].items():
        text = text.replace("${" + name + "}", "<" + synth.render(value) + ">")
    definition: dict[str, Any] = json.loads(text)
    return definition


def _file_definition(max_concurrency: int) -> dict[str, Any]:
    """The shared file with its placeholders substituted the same way."""
    text = STATE_MACHINE_DEFINITION.read_text().replace("${MaxConcurrency}", str(max_concurrency))
    for name, arn in FUNCTION_PLACEHOLDERS.items():
        text = text.replace("${" + name + "}", "<" + arn + ">")
    definition: dict[str, Any] = json.loads(text)
    return definition


def test_deployed_definition_is_the_shared_definition_file(
    deployed: Synthesized, variant: Synthesized
) -> None:
    assert _deployed_definition(deployed) == _file_definition(max_concurrency=10)
    assert _deployed_definition(variant) == _file_definition(max_concurrency=25)


def test_definition_file_has_no_placeholder_the_stack_does_not_fill() -> None:
    placeholders = set(re.findall(r"\$\{(\w+)\}", STATE_MACHINE_DEFINITION.read_text()))
    assert placeholders == {*FUNCTION_PLACEHOLDERS, "MaxConcurrency"}


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
    """Every attempt at the function timeout plus every wait between them (each retrier counts its
    own attempts, so the worst case runs them all)."""
    attempts, waits = 1, 0.0
    for retrier in retriers:
        interval, rate = retrier.get("IntervalSeconds", 1), retrier.get("BackoffRate", 2.0)
        attempts += retrier.get("MaxAttempts", 3)
        for retry in range(retrier.get("MaxAttempts", 3)):
            waits += min(interval * rate**retry, retrier.get("MaxDelaySeconds", float("inf")))
    return timeout * attempts + waits


def test_r23_express_child_retries_fit_in_five_minutes(deployed: Synthesized) -> None:
    """A child cut off by the Express limit would stop mid-send; the function timeout and the
    retrier in the deployed definition together must fit, so neither can drift on its own."""
    definition = _deployed_definition(deployed)
    checked = []
    for state in definition["States"].values():
        processor = state.get("ItemProcessor", {})
        if processor.get("ProcessorConfig", {}).get("ExecutionType") != "EXPRESS":
            continue
        for name, task in processor["States"].items():
            function = str(task["Parameters"]["FunctionName"]).strip("<>").removesuffix(".Arn")
            timeout = int(deployed.resource(function)["Properties"]["Timeout"])
            worst = _worst_case_seconds(timeout, task.get("Retry", []))
            assert worst < EXPRESS_LIMIT_SECONDS, f"{name}: {worst} s"
            checked.append((name, function, worst))
    assert checked == [("DispatchBatch", "Functions/DispatchInvoice", 3 * 90 + 2 + 4)]
