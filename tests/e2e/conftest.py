import json
from pathlib import Path

import pytest

from autodispatch.models.loading import parse_scenario
from autodispatch.models.scenario import Scenario

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-scenario.json"


@pytest.fixture
def demo_scenario() -> Scenario:
    return parse_scenario(json.loads(DEMO.read_text(encoding="utf-8")))
