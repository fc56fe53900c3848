"""The contract layer: every case runs against each implementation of the store port, the
in-memory fake the unit tests use and the DynamoDB adapter (on moto), so the fake cannot drift
from what production does."""

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from moto import mock_aws

from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.port import InvoiceStore
from autodispatch.store.table_schema import create_table_kwargs
from tests.builders import Builders
from tests.fakes.store import InMemoryInvoiceStore

TABLE_NAME = "autodispatch-contract"
ZONE = ZoneInfo("Europe/Helsinki")


@pytest.fixture(scope="session")
def build() -> type[Builders]:
    return Builders


@pytest.fixture
def _dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(**create_table_kwargs(TABLE_NAME))
        yield client


@pytest.fixture(params=["fake", "dynamodb"])
def store(request: pytest.FixtureRequest) -> InvoiceStore:
    if request.param == "fake":
        return InMemoryInvoiceStore()
    return DynamoDbInvoiceStore(TABLE_NAME, ZONE, request.getfixturevalue("_dynamodb"))
