"""The nightly trigger: EventBridge Scheduler starts the state machine at a wall-clock time.

The expression is evaluated in the configured time zone, so `cron(5 0 * * ? *)` in Europe/Helsinki
stays 00:05 local time across daylight saving. A start that still fails after the retries goes to
an encrypted dead-letter queue, which the monitoring alarms on.
"""

from aws_cdk import Duration, TimeZone
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.constructs.queues import dead_letter_queue
from cdk.nag import acknowledge
from cdk.settings import DeploySettings

START_RETRY_ATTEMPTS = 5
START_MAX_EVENT_AGE = Duration.hours(2)


class NightlySchedule(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        state_machine: sfn.IStateMachine,
    ) -> None:
        super().__init__(scope, construct_id)

        self.dead_letter_queue = dead_letter_queue(self, "DeadLetterQueue")
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the nightly schedule; a start that reaches it "
            "raises the DeadLetterQueueNotEmpty alarm, and an operator starts the run by hand.",
        )

        self.schedule = scheduler.Schedule(
            self,
            "NightlyRun",
            description="Starts the nightly dispatch run",
            schedule=scheduler.ScheduleExpression.expression(
                settings.schedule_expression, TimeZone.of(settings.time_zone)
            ),
            time_window=scheduler.TimeWindow.off(),
            enabled=settings.schedule_enabled,
            target=targets.StepFunctionsStartExecution(
                state_machine,
                # The run date comes from the scheduled time (in the run's time zone), so a retried
                # start still runs the night it was meant for.
                input=scheduler.ScheduleTargetInput.from_object(
                    {"scheduled_time": scheduler.ContextAttribute.scheduled_time}
                ),
                retry_attempts=START_RETRY_ATTEMPTS,
                max_event_age=START_MAX_EVENT_AGE,
                dead_letter_queue=self.dead_letter_queue,
            ),
        )
