"""tableCapacity=night (the default): the table on demand by day, provisioned for the night by two
schedules that call DynamoDB's UpdateTable themselves (README, "Capacity for the night")."""

import json
import math
from typing import Any

import boto3
import pytest
from moto import mock_aws

from autodispatch.store.table_schema import create_table_kwargs

from .conftest import Synthesized

UNIVERSAL_UPDATE_TABLE = "arn:<AWS::Partition>:scheduler:::aws-sdk:dynamodb:updateTable"
TABLE = "autodispatch-invoices"


def _switches(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        synthesized.path(logical_id).removeprefix("NightCapacity/"): resource["Properties"]
        for logical_id, resource in synthesized.of_type("AWS::Scheduler::Schedule").items()
        if synthesized.path(logical_id).startswith("NightCapacity/")
    }


def _request(synthesized: Synthesized, switch: dict[str, Any]) -> dict[str, Any]:
    """The UpdateTable body the schedule sends, with the deployed table's name in place."""
    rendered = synthesized.render(switch["Target"]["Input"]).replace("ref(Storage/Invoices)", TABLE)
    request: dict[str, Any] = json.loads(rendered)
    return request


def test_r24_the_default_table_is_on_demand_by_day_and_switched_around_the_run(deployed: Synthesized) -> None:
    """The run starts 00:05 (timeZone): the night's capacity from 23:55 for nightHours (8)."""
    assert deployed.resource("Storage/Invoices")["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    switches = _switches(deployed)
    assert set(switches) == {"NightStarts", "NightEnds"}
    assert switches["NightStarts"]["ScheduleExpression"] == "cron(55 23 * * ? *)"
    assert switches["NightEnds"]["ScheduleExpression"] == "cron(55 7 * * ? *)"
    for switch in switches.values():
        assert switch["ScheduleExpressionTimezone"] == "Europe/Helsinki"
        assert deployed.render(switch["Target"]["Arn"]) == UNIVERSAL_UPDATE_TABLE
        assert switch["FlexibleTimeWindow"] == {"Mode": "OFF"}


def test_r24_the_night_s_units_come_from_the_email_pacing(deployed: Synthesized) -> None:
    """Two children at once (sesSendRate 14), each dispatching 15 invoices a second at 2.5 table
    write units, 1 index write unit and 2 read units an invoice, at 70 % use; the index's 250 read
    units let selection read 1,000,000 pending entries in about a minute."""
    night = _request(deployed, _switches(deployed)["NightStarts"])
    units = {
        "ReadCapacityUnits": math.ceil(2 * 15 * 2.0 / 0.7),
        "WriteCapacityUnits": math.ceil(2 * 15 * 2.5 / 0.7),
    }
    assert night == {
        "TableName": TABLE,
        "BillingMode": "PROVISIONED",
        "ProvisionedThroughput": units,
        "GlobalSecondaryIndexUpdates": [
            {
                "Update": {
                    "IndexName": "gsi1",
                    "ProvisionedThroughput": {
                        "ReadCapacityUnits": 250,
                        "WriteCapacityUnits": math.ceil(2 * 15 * 1.0 / 0.7),
                    },
                }
            }
        ],
    }
    assert _request(deployed, _switches(deployed)["NightEnds"]) == {
        "TableName": TABLE,
        "BillingMode": "PAY_PER_REQUEST",
    }


def test_the_switches_may_only_update_this_table_and_dead_letter(deployed: Synthesized) -> None:
    for switch in _switches(deployed).values():
        role = deployed.render(switch["Target"]["RoleArn"]).removesuffix(".Arn")
        grants = deployed.grants_of_role(deployed.logical_id(role))
        assert ("dynamodb:UpdateTable", "Storage/Invoices.Arn") in grants
        assert {action for action, _ in grants} <= {"dynamodb:UpdateTable", "sqs:SendMessage"}
        assert {resource for action, resource in grants if action == "dynamodb:UpdateTable"} == {
            "Storage/Invoices.Arn"
        }
        dead_letter = switch["Target"]["DeadLetterConfig"]["Arn"]
        assert deployed.render(dead_letter) == "Schedule/DeadLetterQueue.Arn"
        assert switch["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 10


def test_a_provisioned_table_is_not_switched(variant: Synthesized) -> None:
    assert _switches(variant) == {}


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Any:
    # A served local system of another test on this worker may have exported its endpoint.
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-north-1")
        client.create_table(**create_table_kwargs(TABLE))
        yield client


def test_r24_each_switch_s_body_is_an_update_table_dynamodb_accepts(
    deployed: Synthesized, dynamodb: Any
) -> None:
    """The bodies as synthesized, sent by boto3 to the table the library creates (moto)."""
    switches = _switches(deployed)
    dynamodb.update_table(**_request(deployed, switches["NightStarts"]))
    table = dynamodb.describe_table(TableName=TABLE)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == math.ceil(2 * 15 * 2.5 / 0.7)
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["ProvisionedThroughput"]["ReadCapacityUnits"] == 250
    dynamodb.update_table(**_request(deployed, switches["NightEnds"]))
    table = dynamodb.describe_table(TableName=TABLE)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
