"""The stack's SQS queues share one baseline: encrypted at rest, reachable only over TLS."""

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

# As long as SQS keeps a message: time for an operator to look at what failed and redrive it.
DEAD_LETTER_RETENTION = Duration.days(14)


def secure_queue(scope: Construct, construct_id: str, **options: Any) -> sqs.Queue:
    """SSE-SQS rather than a KMS key: EventBridge and Scheduler send to it without a key grant."""
    return sqs.Queue(
        scope, construct_id, encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True, **options
    )


def dead_letter_queue(scope: Construct, construct_id: str) -> sqs.Queue:
    return secure_queue(scope, construct_id, retention_period=DEAD_LETTER_RETENTION)
