"""R27 against `local serve`: the integration API over HTTP on 127.0.0.1, tokens from the local
user pool verified as API Gateway's JWT authorizer verifies them, the same API function answering.
A tenant's token lists its own invoices with their messages and gets 403 on another tenant's; the
system token imports an invoice by PUT and starts a run; no token is 401."""

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import negative_data_rejection, not_a_server_error, positive_data_acceptance
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.e2e.within_rules import positive_hooks
from tests.local_serve import cli, served_locally

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-scenario.json"
# Valid runs are started by test_r27_the_system_token_imports_an_invoice_and_starts_a_run; generated
# ones would run whole nights of the demo data in the background. Invalid ones start nothing.
NOT_GENERATED = {GenerationMode.POSITIVE: {("POST", "/runs")}, GenerationMode.NEGATIVE: set()}


@dataclass
class LocalApi:
    url: str

    def call(self, method: str, path: str, token: str | None, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {token}"} if token else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def api() -> Iterator[LocalApi]:
    with served_locally() as local:
        cli("invoices", "import", str(DEMO))
        yield LocalApi(local.api_url)


def test_r27_a_tenant_token_lists_its_own_invoices_and_not_another_tenants(api: LocalApi) -> None:
    token = cli("local", "token", "--tenant", "kahvila").strip()
    assert "\n" not in token
    status, page = api.call("GET", "/tenants/kahvila/invoices", token)
    assert status == 200
    assert {entry["invoice_id"] for entry in page["invoices"]} >= {"k-1001", "k-1005"}
    assert all(entry["tenant_id"] == "kahvila" for entry in page["invoices"])
    status, answer = api.call("GET", "/tenants/tilitoimisto/invoices", token)
    assert status == 403
    assert "invoices" not in answer


def test_r27_concurrent_requests_of_one_page_all_get_their_answers(api: LocalApi) -> None:
    token = cli("local", "token", "--tenant", "kahvila").strip()
    paths = ["/tenants/kahvila/invoices", "/tenants/kahvila/settings", "/tenants/kahvila/invoices/k-1005"] * 6
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda path: api.call("GET", path, token)[0], paths))
    assert statuses == [200] * len(paths)


def test_r27_no_token_or_a_forged_one_is_401(api: LocalApi) -> None:
    assert api.call("GET", "/tenants/kahvila/invoices", None)[0] == 401
    token = cli("local", "token", "--tenant", "kahvila").strip()
    header, payload, signature = token.split(".")
    assert api.call("GET", "/tenants/kahvila/invoices", f"{header}.{payload}.{signature[:-4]}AAAA")[0] == 401


def test_r27_the_system_token_imports_an_invoice_and_starts_a_run(api: LocalApi) -> None:
    token = cli("local", "token", "--system").strip()
    document = next(i for i in json.loads(DEMO.read_text())["invoices"] if i["invoice_id"] == "k-1010")
    changed = {**document, "invoice_id": "k-2001", "number": "2001"}
    status, entry = api.call("PUT", "/tenants/kahvila/invoices/k-2001", token, changed)
    assert status == 200, entry
    assert entry["auto_dispatch"] == "PENDING"
    assert entry["preview"]["outcome"] == "SEND"
    status, started = api.call("POST", "/runs", token, {"run_date": "2026-03-10"})
    assert status == 202, started
    assert started["run_id"].startswith("api-2026-03-10-")
    status, document = api.call("GET", "/openapi.json", token)
    assert status == 200
    assert "/tenants/{tenant_id}/invoices" in document["paths"]


@pytest.fixture(scope="module")
def system_token(api: LocalApi) -> str:
    return cli("local", "token", "--system").strip()


@pytest.fixture(scope="module")
def api_schema(api: LocalApi, system_token: str) -> Any:
    status, document = api.call("GET", "/openapi.json", system_token)
    assert status == 200
    return schemathesis.openapi.from_dict(document)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_r27_generated_requests_get_no_5xx_and_responses_match_the_schema(
    api_schema: Any, api: LocalApi, system_token: str, mode: GenerationMode
) -> None:
    """Requests generated from the OpenAPI document for every operation, with the system client's
    token (every route), valid ones and ones that break the schema: no server error, every status
    is one the operation documents, and every response matches its schema (errors too: the error
    body model)."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    checked = [op for op in operations if (op.method.upper(), op.path) not in NOT_GENERATED[mode]]
    assert len(checked) >= 10
    statuses: list[int] = []
    exercised = 0

    for operation in checked:
        # Valid data is made valid by the rules too where JSON Schema cannot say them (within_rules).
        hooks = positive_hooks() if mode is GenerationMode.POSITIVE else None

        @given(case=operation.as_strategy(generation_mode=mode, hooks=hooks))
        @settings(
            max_examples=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def generated(case: Any) -> None:
            response = case.call_and_validate(
                base_url=api.url,
                headers={"Authorization": f"Bearer {system_token}"},
                checks=[
                    not_a_server_error,
                    status_code_conformance,
                    response_schema_conformance,
                    # What the schema promises both ways: anything it refuses is refused (4xx), and
                    # anything it allows is accepted (2xx, or 404/409 for an id or state no test data has).
                    positive_data_acceptance if mode is GenerationMode.POSITIVE else negative_data_rejection,
                ],
                timeout=60,
            )
            statuses.append(response.status_code)

        try:
            generated()
        except Unsatisfiable:
            # Nothing of the operation can break its schema (no body, strings of any value).
            assert mode is GenerationMode.NEGATIVE
            continue
        exercised += 1
    assert exercised >= (len(checked) if mode is GenerationMode.POSITIVE else 6)
    assert len(statuses) >= 3 * exercised  # each operation was really exercised
    if mode is GenerationMode.POSITIVE:
        assert 200 in statuses
    assert {400, 404, 422} & set(statuses)  # error responses were checked too
