"""The unit layer: the builders (tests/builders.py) as the session-scoped `build` fixture, the
in-memory store (empty, or with the demo scenario imported), and no network: sockets are disabled
for every test here.
"""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_socket import disable_socket

from autodispatch.logic.importing import import_scenario
from autodispatch.models.loading import parse_scenario
from autodispatch.models.scenario import Scenario
from tests.builders import HELSINKI, Builders
from tests.fakes.store import InMemoryInvoiceStore

DEMO_SCENARIO = Path(__file__).resolve().parents[2] / "examples" / "demo-scenario.json"


def pytest_runtest_setup(item: pytest.Item) -> None:
    disable_socket()


@pytest.fixture(scope="session")
def build() -> type[Builders]:
    return Builders


@pytest.fixture
def store() -> InMemoryInvoiceStore:
    """The whole store in memory (tests/fakes/store.py): as DynamoDB behaves, by tests/contract."""
    return InMemoryInvoiceStore()


@pytest.fixture
def scenario() -> Scenario:
    return parse_scenario(json.loads(DEMO_SCENARIO.read_text(encoding="utf-8")))


@pytest.fixture
def loaded(store: InMemoryInvoiceStore, scenario: Scenario) -> InMemoryInvoiceStore:
    """The demo scenario imported into the in-memory store."""
    import_scenario(store, scenario, HELSINKI, datetime.now(UTC))
    return store
