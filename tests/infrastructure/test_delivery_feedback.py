"""R26: SES delivery events of autodispatch email reach RecordDeliveryEvents through a queue."""

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from .conftest import Synthesized

FEEDBACK_DETAIL_TYPES = [
    "Email Delivered",
    "Email Bounced",
    "Email Complaint Received",
    "Email Rejected",
    "Email Delivery Delayed",
]
DEFAULT_BUS = "arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default"


def _event_destination(synth: Synthesized) -> dict[str, Any]:
    assert len(synth.of_type("AWS::SES::ConfigurationSetEventDestination")) == 1
    return dict(synth.resource("DeliveryFeedback/EventDestination")["Properties"])


def test_r26_configuration_set_publishes_delivery_bounce_complaint_reject_and_delay_to_the_default_bus(
    every_synth: Synthesized,
) -> None:
    properties = _event_destination(every_synth)
    assert every_synth.render(properties["ConfigurationSetName"]) == "ref(Notifications/ConfigurationSet)"
    destination = properties["EventDestination"]
    assert destination["Enabled"] is True
    # CloudFormation's names of DELIVERY, BOUNCE, COMPLAINT, REJECT and DELIVERY_DELAY.
    assert sorted(destination["MatchingEventTypes"]) == [
        "bounce",
        "complaint",
        "delivery",
        "deliveryDelay",
        "reject",
    ]
    assert every_synth.render(destination["EventBridgeDestination"]["EventBusArn"]) == DEFAULT_BUS
    assert set(destination) == {"Enabled", "MatchingEventTypes", "EventBridgeDestination"}


def test_r26_rule_forwards_only_feedback_events_of_tagged_autodispatch_mail_to_the_queue(
    deployed: Synthesized,
) -> None:
    rule = deployed.resource("DeliveryFeedback/DeliveryEventsRule")["Properties"]
    assert rule["State"] == "ENABLED"
    assert "EventBusName" not in rule or deployed.render(rule["EventBusName"]) == "default"
    assert rule["EventPattern"] == {
        "source": ["aws.ses"],
        "detail-type": FEEDBACK_DETAIL_TYPES,
        "detail": {"mail": {"tags": {"autodispatch-kind": [{"exists": True}]}}},
    }
    (target,) = rule["Targets"]
    assert deployed.render(target["Arn"]) == "DeliveryFeedback/Queue.Arn"


def test_r26_only_that_rule_may_send_to_the_queue_and_only_over_tls(deployed: Synthesized) -> None:
    queue = {"Ref": deployed.logical_id("DeliveryFeedback/Queue")}
    (policy,) = [
        p["Properties"]
        for p in deployed.of_type("AWS::SQS::QueuePolicy").values()
        if queue in p["Properties"]["Queues"]
    ]
    statements = policy["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert allow["Action"] == ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"]
    assert deployed.render(allow["Resource"]) == "DeliveryFeedback/Queue.Arn"
    assert {k: deployed.render(v) for k, v in allow["Condition"]["ArnEquals"].items()} == {
        "aws:SourceArn": "DeliveryFeedback/DeliveryEventsRule.Arn"
    }
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Action"] == "sqs:*"


def test_r26_queue_is_encrypted_and_gives_up_on_an_event_after_five_receives(deployed: Synthesized) -> None:
    queue = deployed.resource("DeliveryFeedback/Queue")["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    # Six times the function's 60 s timeout.
    assert queue["VisibilityTimeout"] == 360
    redrive = queue["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == 5
    assert deployed.render(redrive["deadLetterTargetArn"]) == "DeliveryFeedback/DeadLetterQueue.Arn"
    dead_letters = deployed.resource("DeliveryFeedback/DeadLetterQueue")["Properties"]
    assert dead_letters["SqsManagedSseEnabled"] is True
    assert dead_letters["MessageRetentionPeriod"] == 14 * 24 * 3600
    dead_letter_queue = {"Ref": deployed.logical_id("DeliveryFeedback/DeadLetterQueue")}
    (policy,) = [
        p["Properties"]
        for p in deployed.of_type("AWS::SQS::QueuePolicy").values()
        if dead_letter_queue in p["Properties"]["Queues"]
    ]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Condition"]) == (
        "Deny",
        {"Bool": {"aws:SecureTransport": "false"}},
    )


def test_r26_function_consumes_the_queue_ten_events_a_batch_reporting_partial_failures(
    deployed: Synthesized,
) -> None:
    (mapping,) = deployed.of_type("AWS::Lambda::EventSourceMapping").values()
    properties = mapping["Properties"]
    assert deployed.render(properties["EventSourceArn"]) == "DeliveryFeedback/Queue.Arn"
    assert deployed.render(properties["FunctionName"]) == "ref(Functions/RecordDeliveryEvents)"
    assert properties["BatchSize"] == 10
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def _ses_event(detail_type: str, event_type: str, tags: dict[str, list[str]]) -> dict[str, Any]:
    """An entry as SES puts it on the default bus (the `mail` object of every SES event)."""
    detail = {
        "eventType": event_type,
        "mail": {
            "timestamp": "2026-03-10T00:07:12.000Z",
            "source": "invoices@example.com",
            "sendingAccountId": "123456789012",
            "messageId": "0100018e2f0c1b2a-5d3c-4c5e-9a7b-000000000000-000000",
            "destination": ["bounce@simulator.amazonses.com"],
            "tags": {"ses:configuration-set": ["Autodispatch-ConfigurationSet"], **tags},
        },
    }
    return {"Source": "aws.ses", "DetailType": detail_type, "Detail": json.dumps(detail)}


def test_r26_rule_pattern_takes_every_feedback_event_of_tagged_mail_and_nothing_else(
    deployed: Synthesized, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The synthesized pattern on EventBridge (moto): tagged feedback events reach the queue; untagged
    mail and other SES events (a send, an open) do not."""
    # A served local system of another test on this worker may have exported its endpoint.
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    pattern = deployed.resource("DeliveryFeedback/DeliveryEventsRule")["Properties"]["EventPattern"]
    tagged = {"autodispatch-kind": ["invoice"]}
    kinds = {
        "Email Delivered": "Delivery",
        "Email Bounced": "Bounce",
        "Email Complaint Received": "Complaint",
        "Email Rejected": "Reject",
        "Email Delivery Delayed": "DeliveryDelay",
    }
    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-north-1")
        events = boto3.client("events", region_name="eu-north-1")
        queue_url = sqs.create_queue(QueueName="feedback")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(Name="feedback", EventPattern=json.dumps(pattern))
        events.put_targets(Rule="feedback", Targets=[{"Id": "queue", "Arn": queue_arn}])
        entries = [
            *(_ses_event(detail_type, kind, tagged) for detail_type, kind in kinds.items()),
            _ses_event("Email Bounced", "Bounce", {}),  # mail that is not autodispatch's
            _ses_event("Email Sent", "Send", tagged),
            _ses_event("Email Opened", "Open", tagged),
        ]
        assert events.put_events(Entries=entries)["FailedEntryCount"] == 0
        received = []
        while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
            received += [json.loads(message["Body"]) for message in messages]
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
    assert sorted(event["detail"]["eventType"] for event in received) == sorted(kinds.values())
    assert all(event["detail"]["mail"]["tags"]["autodispatch-kind"] == ["invoice"] for event in received)
