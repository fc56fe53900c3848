"""The nightly trigger: when it fires, what it sends, and where a failed start ends up."""

import json
from typing import Any

from .conftest import Synthesized


def _schedule(synth: Synthesized) -> dict[str, Any]:
    properties: dict[str, Any] = synth.resource("Schedule/NightlyRun")["Properties"]
    return properties


def test_schedule_runs_0005_in_helsinki_time(deployed: Synthesized) -> None:
    schedule = _schedule(deployed)
    assert schedule["ScheduleExpression"] == "cron(5 0 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Helsinki"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["State"] == "ENABLED"


def test_schedule_starts_the_nightly_state_machine_with_the_scheduled_time(deployed: Synthesized) -> None:
    target = _schedule(deployed)["Target"]
    assert deployed.render(target["Arn"]) == "ref(Workflow/NightlyRun)"
    assert json.loads(target["Input"]) == {"scheduled_time": "<aws.scheduler.scheduled-time>"}


def test_failed_starts_are_retried_then_dead_lettered_to_an_encrypted_queue(deployed: Synthesized) -> None:
    target = _schedule(deployed)["Target"]
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 5, "MaximumEventAgeInSeconds": 7200}
    assert deployed.render(target["DeadLetterConfig"]["Arn"]) == "Schedule/DeadLetterQueue.Arn"
    queue = deployed.resource("Schedule/DeadLetterQueue")["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    queue_policy = deployed.resource("Schedule/DeadLetterQueue/Policy")["Properties"]["PolicyDocument"]
    assert {
        "Action": "sqs:*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Resource": {"Fn::GetAtt": [deployed.logical_id("Schedule/DeadLetterQueue"), "Arn"]},
    } in queue_policy["Statement"]


def test_scheduler_may_only_start_the_state_machine_and_dead_letter(deployed: Synthesized) -> None:
    role = deployed.render(_schedule(deployed)["Target"]["RoleArn"]).removesuffix(".Arn")
    assert deployed.grants_of_role(deployed.logical_id(role)) == {
        ("states:StartExecution", "ref(Workflow/NightlyRun)"),
        ("sqs:SendMessage", "Schedule/DeadLetterQueue.Arn"),
    }
    trust = deployed.resource(role)["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [statement["Principal"] for statement in trust] == [{"Service": "scheduler.amazonaws.com"}]


def test_schedule_can_be_deployed_paused(variant: Synthesized) -> None:
    assert _schedule(variant)["State"] == "DISABLED"
