"""Alarms reach the operator topic; the dashboard shows the nightly run."""

import json
from typing import Any

from .conftest import Synthesized


def _alarms(synth: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        synth.path(lid).removeprefix("Monitoring/"): r["Properties"]
        for lid, r in synth.of_type("AWS::CloudWatch::Alarm").items()
    }


def _metric(alarm: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    return alarm["Namespace"], alarm["MetricName"], dimensions


def test_every_alarm_notifies_the_operator_topic(deployed: Synthesized) -> None:
    alarms = _alarms(deployed)
    assert len(alarms) == 14
    for name, alarm in alarms.items():
        assert [deployed.render(action) for action in alarm["AlarmActions"]] == [
            "ref(Monitoring/OperatorTopic)"
        ], name
        assert [deployed.render(action) for action in alarm["OKActions"]] == [
            "ref(Monitoring/OperatorTopic)"
        ], name


def test_alarms_cover_failed_timed_out_and_missing_runs_lambda_errors_and_dead_letters(
    deployed: Synthesized,
) -> None:
    alarms = _alarms(deployed)
    raw = {name: _metric(alarm) for name, alarm in alarms.items()}
    metrics = {
        name: (namespace, metric, {k: deployed.render(v) for k, v in dims.items()})
        for name, (namespace, metric, dims) in raw.items()
    }
    machine = {"StateMachineArn": "ref(Workflow/NightlyRun)"}
    assert metrics == {
        "NightlyRunFailed": ("AWS/States", "ExecutionsFailed", machine),
        "NightlyRunTimedOut": ("AWS/States", "ExecutionsTimedOut", machine),
        "NightlyRunAborted": ("AWS/States", "ExecutionsAborted", machine),
        "NightlyRunDidNotStart": ("AWS/States", "ExecutionsStarted", machine),
        "SelectInvoicesErrors": ("AWS/Lambda", "Errors", {"FunctionName": "ref(Functions/SelectInvoices)"}),
        "DispatchInvoiceErrors": ("AWS/Lambda", "Errors", {"FunctionName": "ref(Functions/DispatchInvoice)"}),
        "NotifyFailuresErrors": ("AWS/Lambda", "Errors", {"FunctionName": "ref(Functions/NotifyFailures)"}),
        "RecordDeliveryEventsErrors": (
            "AWS/Lambda", "Errors", {"FunctionName": "ref(Functions/RecordDeliveryEvents)"}
        ),
        # R27: the API answers every error itself, so a Lambda error there is a crash or a timeout.
        "IntegrationApiErrors": ("AWS/Lambda", "Errors", {"FunctionName": "ref(Functions/IntegrationApi)"}),
        "DeadLetterQueueNotEmpty": (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": "Schedule/DeadLetterQueue.QueueName"},
        ),
        "DeliveryFeedbackDeadLetterQueueNotEmpty": (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": "DeliveryFeedback/DeadLetterQueue.QueueName"},
        ),
        # An SES account fault stops email for the night: the operator must act.
        "EmailAccountFault": ("Autodispatch", "EmailAccountFaults", {"service": "autodispatch"}),
        "SesBounceRateHigh": ("AWS/SES", "Reputation.BounceRate", {}),
        "SesComplaintRateHigh": ("AWS/SES", "Reputation.ComplaintRate", {}),
    }  # fmt: skip
    for name, alarm in alarms.items():
        if name.startswith("Ses"):
            continue  # below
        if name == "NightlyRunDidNotStart":
            assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanThreshold", 1)
            assert (alarm["Period"], alarm["TreatMissingData"]) == (86400, "breaching")
        else:
            assert (alarm["ComparisonOperator"], alarm["Threshold"]) == (
                "GreaterThanOrEqualToThreshold",
                1,
            ), name
            assert alarm["TreatMissingData"] == "notBreaching", name


def test_r26_ses_reputation_alarms_fire_before_ses_reviews_the_account(deployed: Synthesized) -> None:
    """SES reviews (and may pause) an account at 5 % bounces or 0.1 % complaints: alarm at 4 % / 0.08 %."""
    alarms = _alarms(deployed)
    for name, threshold in (("SesBounceRateHigh", 0.04), ("SesComplaintRateHigh", 0.0008)):
        alarm = alarms[name]
        assert (alarm["ComparisonOperator"], alarm["Threshold"]) == (
            "GreaterThanOrEqualToThreshold",
            threshold,
        )
        assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Maximum", 3600, 1)
        assert alarm["TreatMissingData"] == "notBreaching"


def test_a_paused_schedule_does_not_alarm_about_missing_runs(variant: Synthesized) -> None:
    assert "NightlyRunDidNotStart" not in _alarms(variant)


def test_operator_topic_is_encrypted_with_a_key_cloudwatch_may_use(
    deployed: Synthesized, variant: Synthesized
) -> None:
    topic = deployed.resource("Monitoring/OperatorTopic")["Properties"]
    assert deployed.render(topic["KmsMasterKeyId"]) == "Monitoring/OperatorTopicKey.Arn"
    key = deployed.resource("Monitoring/OperatorTopicKey")["Properties"]
    assert key["EnableKeyRotation"] is True
    assert {
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Resource": "*",
    } in key["KeyPolicy"]["Statement"]
    assert not deployed.of_type("AWS::SNS::Subscription")
    (subscription,) = variant.of_type("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "operators@example.com"


def test_dashboard_shows_runs_invoices_functions_and_alarms(deployed: Synthesized) -> None:
    body = deployed.render(deployed.resource("Monitoring/NightlyRunDashboard")["Properties"]["DashboardBody"])
    widgets = json.loads(body)["widgets"]
    titles = {widget["properties"].get("title") for widget in widgets}
    assert {"Runs per night", "Invoices per night", "Lambda errors", "Alarms"} <= titles
    assert "ExecutionsFailed" in body
    assert "InvoicesSent" in body
    assert "InvoicesFailed" in body
    for path in (
        "Functions/SelectInvoicesLogs",
        "Functions/DispatchInvoiceLogs",
        "Functions/NotifyFailuresLogs",
        "Functions/RecordDeliveryEventsLogs",
    ):
        assert f"ref({path})" in body


def test_r26_dashboard_shows_the_ses_rates_against_their_limits_and_the_feedback_queues(
    deployed: Synthesized,
) -> None:
    body = deployed.render(deployed.resource("Monitoring/NightlyRunDashboard")["Properties"]["DashboardBody"])
    graphs = {
        w["properties"]["title"]: w["properties"]
        for w in json.loads(body)["widgets"]
        if w["type"] == "metric"
    }
    bounces = graphs["SES bounce rate (account)"]
    assert bounces["metrics"] == [
        ["AWS/SES", "Reputation.BounceRate", {"label": "bounce rate", "period": 3600, "stat": "Maximum"}]
    ]
    assert [(a["value"], a["label"]) for a in bounces["annotations"]["horizontal"]] == [
        (0.04, "alarm"),
        (0.05, "SES review"),
    ]
    complaints = graphs["SES complaint rate (account)"]
    assert [(a["value"], a["label"]) for a in complaints["annotations"]["horizontal"]] == [
        (0.0008, "alarm"),
        (0.001, "SES review"),
    ]
    waiting = json.dumps(graphs["Delivery events waiting"]["metrics"])
    assert "ApproximateNumberOfMessagesVisible" in waiting
    assert "ApproximateAgeOfOldestMessage" in waiting
