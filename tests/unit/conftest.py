"""The unit layer: the builders (tests/builders.py) as the session-scoped `build` fixture, and no
network: sockets are disabled for every test here.
"""

import pytest
from pytest_socket import disable_socket

from tests.builders import Builders


def pytest_runtest_setup(item: pytest.Item) -> None:
    disable_socket()


@pytest.fixture(scope="session")
def build() -> type[Builders]:
    return Builders
