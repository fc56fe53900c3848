"""The table on demand by day and provisioned for the night (`tableCapacity=night`).

Two EventBridge Scheduler schedules call DynamoDB's UpdateTable themselves (universal targets, no
function): before the run the table and its pending index switch to provisioned capacity at the
night's units, `nightHours` later back to on demand. DynamoDB allows a switch to on demand four
times in 24 hours and one to provisioned at any time, and a table keeps serving at its previous
mode's throughput while it switches. A switch that still fails after the retries goes to the
nightly schedule's dead-letter queue (its alarm) and leaves the table as it was.
"""

from typing import Any

from aws_cdk import Duration, TimeZone
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.constants import PENDING_INDEX
from cdk.settings import (
    INDEX_READ_UNITS_AT_NIGHT,
    INDEX_WRITE_UNITS_PER_INVOICE,
    TABLE_READ_UNITS_PER_INVOICE,
    TABLE_WRITE_UNITS_PER_INVOICE,
    DeploySettings,
)

SWITCH_RETRY_ATTEMPTS = 10
# A switch is worth making until the night is well under way; later the run is on demand.
SWITCH_MAX_EVENT_AGE = Duration.hours(1)


def night_request(settings: DeploySettings, table_name: str) -> dict[str, Any]:
    """UpdateTable's body for the night: the table and the pending index at the night's units."""
    return {
        "TableName": table_name,
        "BillingMode": "PROVISIONED",
        "ProvisionedThroughput": {
            "ReadCapacityUnits": settings.night_units(TABLE_READ_UNITS_PER_INVOICE),
            "WriteCapacityUnits": settings.night_units(TABLE_WRITE_UNITS_PER_INVOICE),
        },
        "GlobalSecondaryIndexUpdates": [
            {
                "Update": {
                    "IndexName": PENDING_INDEX,
                    "ProvisionedThroughput": {
                        "ReadCapacityUnits": INDEX_READ_UNITS_AT_NIGHT,
                        "WriteCapacityUnits": settings.night_units(INDEX_WRITE_UNITS_PER_INVOICE),
                    },
                }
            }
        ],
    }


def day_request(table_name: str) -> dict[str, Any]:
    """UpdateTable's body for the day: back to on demand (the index follows the table)."""
    return {"TableName": table_name, "BillingMode": "PAY_PER_REQUEST"}


class NightCapacity(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        table: dynamodb.ITable,
        dead_letter_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        starts, ends = settings.night_scaling()
        zone = TimeZone.of(settings.time_zone)
        switches = {
            "NightStarts": (starts, night_request(settings, table.table_name), "provisioned for the night"),
            "NightEnds": (ends, day_request(table.table_name), "back on demand for the day"),
        }
        for name, (expression, request, what) in switches.items():
            scheduler.Schedule(
                self,
                name,
                description=f"Switches the invoice table {what}",
                schedule=scheduler.ScheduleExpression.expression(expression, zone),
                time_window=scheduler.TimeWindow.off(),
                target=targets.Universal(
                    service="dynamodb",
                    action="updateTable",
                    input=scheduler.ScheduleTargetInput.from_object(request),
                    policy_statements=[
                        iam.PolicyStatement(actions=["dynamodb:UpdateTable"], resources=[table.table_arn])
                    ],
                    retry_attempts=SWITCH_RETRY_ATTEMPTS,
                    max_event_age=SWITCH_MAX_EVENT_AGE,
                    dead_letter_queue=dead_letter_queue,
                ),
            )
