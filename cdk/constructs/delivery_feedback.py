"""Email delivery feedback (R26): SES delivery events reach the RecordDeliveryEvents function.

SES accepting an email is not delivery. The configuration set every autodispatch email goes through
publishes what happens next (delivered, bounced, complained, rejected, delayed) to the account's
default EventBridge bus, the only bus SES publishes to. A rule forwards the events of autodispatch
mail (those carrying its kind tag) to an encrypted queue, and the function consumes the queue in
batches, reporting the events it could not record so that only those come back; an event that
fails five times waits in the dead-letter queue, which the monitoring alarms on.
"""

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.constants import RECORD_DELIVERY_EVENTS, SES_KIND_TAG
from cdk.constructs.functions import SPECS, Functions
from cdk.constructs.queues import dead_letter_queue, secure_queue

# What SES reports after it accepted a message, and the detail-type EventBridge gives each.
FEEDBACK_EVENTS = {
    ses.EmailSendingEvent.DELIVERY: "Email Delivered",
    ses.EmailSendingEvent.BOUNCE: "Email Bounced",
    ses.EmailSendingEvent.COMPLAINT: "Email Complaint Received",
    ses.EmailSendingEvent.REJECT: "Email Rejected",
    ses.EmailSendingEvent.DELIVERY_DELAY: "Email Delivery Delayed",
}
BATCH_SIZE = 10
MAX_RECEIVE_COUNT = 5
# Lambda's advice for an SQS event source: six times the function's timeout, so a batch that is
# retried after throttling is not received again while an invocation still works on it.
VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT = 6


class DeliveryFeedback(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        configuration_set: ses.IConfigurationSet,
        functions: Functions,
    ) -> None:
        super().__init__(scope, construct_id)
        default_bus = events.EventBus.from_event_bus_name(self, "DefaultBus", "default")

        self.event_destination = ses.ConfigurationSetEventDestination(
            self,
            "EventDestination",
            configuration_set=configuration_set,
            destination=ses.EventDestination.event_bus(default_bus),
            events=list(FEEDBACK_EVENTS),
        )

        self.dead_letter_queue = dead_letter_queue(self, "DeadLetterQueue")
        function_timeout = SPECS[RECORD_DELIVERY_EVENTS].timeout.to_seconds()
        self.queue = secure_queue(
            self,
            "Queue",
            visibility_timeout=Duration.seconds(function_timeout * VISIBILITY_TIMEOUT_PER_FUNCTION_TIMEOUT),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=MAX_RECEIVE_COUNT
            ),
        )

        self.rule = events.Rule(
            self,
            "DeliveryEventsRule",
            description="SES delivery events of autodispatch email to the delivery-feedback queue",
            event_bus=default_bus,
            event_pattern=events.EventPattern(
                source=["aws.ses"],
                detail_type=list(FEEDBACK_EVENTS.values()),
                detail={"mail": {"tags": {SES_KIND_TAG: events.Match.exists()}}},
            ),
            targets=[targets.SqsQueue(self.queue)],
        )

        functions.record_delivery_events.add_event_source(
            event_sources.SqsEventSource(self.queue, batch_size=BATCH_SIZE, report_batch_item_failures=True)
        )
