"""DynamoDB on moto: the table from table_schema, a store on it, and a log of the operations made."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from moto import mock_aws

from autodispatch.logic.importing import import_scenario
from autodispatch.models.loading import parse_scenario
from autodispatch.models.scenario import Scenario
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.table_schema import create_table_kwargs

TABLE_NAME = "autodispatch-test"
ZONE = ZoneInfo("Europe/Helsinki")
DEMO_SCENARIO = Path(__file__).resolve().parents[2] / "examples" / "demo-scenario.json"


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)


@pytest.fixture
def dynamodb(aws_environment: None) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(**create_table_kwargs(TABLE_NAME))
        yield client


@pytest.fixture
def operations(dynamodb: Any) -> list[str]:
    """Names of the DynamoDB operations made through the client, in order (e.g. "UpdateItem")."""
    made: list[str] = []

    def record(model: Any, **_: Any) -> None:
        made.append(model.name)

    dynamodb.meta.events.register("before-call.dynamodb.*", record)
    return made


@pytest.fixture
def store(dynamodb: Any) -> DynamoDbInvoiceStore:
    return DynamoDbInvoiceStore(TABLE_NAME, ZONE, dynamodb)


@pytest.fixture
def scenario() -> Scenario:
    return parse_scenario(json.loads(DEMO_SCENARIO.read_text(encoding="utf-8")))


@pytest.fixture
def loaded(store: DynamoDbInvoiceStore, scenario: Scenario) -> DynamoDbInvoiceStore:
    """The demo scenario imported into the store."""
    import_scenario(store, scenario, ZONE, datetime.now(UTC))
    return store
