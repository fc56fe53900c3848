"""R25, R27: every error a client can cause is a 4xx with the documented body, and only a real
server fault is a 5xx. Through the API function's handler on moto, with events as API Gateway
builds them: unknown routes and methods, bodies that are not JSON, not UTF-8, too deep or with
unknown fields, a run of a night that has not come, activation through PUT; nothing changes."""

import base64
import json
from datetime import date, timedelta
from typing import Any

import pytest

from api.handler import handler
from api.routes import Services
from autodispatch.models.enums import Channel, DeliveryKind
from autodispatch.models.limits import JSON_MAX_DEPTH
from autodispatch.models.scenario import InvoiceKey, Scenario
from autodispatch.store.port import Attempt
from autodispatch_cli.local.api_gateway import http_api_event
from autodispatch_cli.local.runtime import LocalLambdaContext
from tests.integration import test_api
from tests.integration.conftest import ZONE
from tests.integration.test_api import (
    NOW,
    OWN,
    SYSTEM,
    Api,
    Claims,
    _document,
    _snapshot,
    _tenant_document,
)

api = test_api.api  # the same fixture: the demo scenario on moto, the handler's services


def send(
    api: Api,
    method: str,
    path: str,
    claims: Claims,
    body: str | bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, dict[str, str], Any]:
    """One request as API Gateway hands it on: bytes that are not UTF-8 text arrive base64-encoded."""
    encoded = isinstance(body, bytes)
    event = http_api_event(
        method,
        path,
        body=base64.b64encode(body).decode() if isinstance(body, bytes) else body,
        headers={"content-type": content_type},
        claims=claims,
        base64_encoded=encoded,
    )
    services = Services(
        store=api.store, deliverer=lambda: api.deliverer, runs=lambda: api.runs, zone=ZONE, clock=lambda: NOW
    )
    response = handler(event, LocalLambdaContext(function_name="Api"), services=services)
    return response["statusCode"], response.get("headers") or {}, json.loads(response["body"])


def assert_documented_error(status: int, answer: Any, expected: int) -> None:
    assert status == expected, answer
    assert set(answer) <= {"status", "message", "issues"}
    assert answer["status"] == expected
    assert answer["message"]


@pytest.mark.parametrize("path", ["/nothing", "/tenants", "/tenants/kahvila/invoices/k-1001/explode", "/"])
def test_r27_an_unknown_path_is_404(api: Api, path: str) -> None:
    status, _, answer = send(api, "GET", path, SYSTEM)
    assert_documented_error(status, answer, 404)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/tenants/kahvila", "GET, PUT"),
        ("PATCH", "/tenants/kahvila/settings", "GET, PUT"),
        ("GET", "/tenants/kahvila/invoices/k-1001/send", "POST"),
        ("PUT", "/runs", "GET, POST"),
    ],
)
def test_r27_a_known_path_with_another_method_is_405_with_allow(
    api: Api, method: str, path: str, allowed: str
) -> None:
    before = _snapshot(api.store)
    status, headers, answer = send(api, method, path, SYSTEM)
    assert_documented_error(status, answer, 405)
    assert headers["Allow"] == allowed
    assert _snapshot(api.store) == before


def test_r25_r27_json_deeper_than_the_limit_is_400_naming_it(api: Api) -> None:
    deep = "[" * (JSON_MAX_DEPTH + 1) + "]" * (JSON_MAX_DEPTH + 1)
    for body in (deep, '{"a":' * 100_000 + "1" + "}" * 100_000):
        status, _, answer = send(api, "PUT", "/tenants/kahvila/settings", OWN, body)
        assert_documented_error(status, answer, 400)
        assert f"deeper than {JSON_MAX_DEPTH} levels" in answer["message"]
        assert answer["issues"][0]["field"] == "body"


def test_r25_r27_a_number_beyond_the_parsers_digit_limit_is_400(api: Api) -> None:
    status, _, answer = send(api, "POST", "/runs", SYSTEM, '{"run_date": ' + "9" * 5000 + "}")
    assert_documented_error(status, answer, 400)
    assert api.runs.started == []


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "", "application/json; charset=latin-1"],
)
def test_r27_a_body_that_is_not_json_by_its_content_type_is_415(
    api: Api, scenario: Scenario, content_type: str
) -> None:
    before = _snapshot(api.store)
    body = json.dumps(_tenant_document(scenario, "kahvila")["settings"])
    status, _, answer = send(api, "PUT", "/tenants/kahvila/settings", OWN, body, content_type)
    assert_documented_error(status, answer, 415)
    assert _snapshot(api.store) == before


def test_r27_a_json_content_type_with_utf8_charset_is_taken(api: Api, scenario: Scenario) -> None:
    body = json.dumps(_tenant_document(scenario, "kahvila")["settings"])
    status, _, answer = send(
        api, "PUT", "/tenants/kahvila/settings", OWN, body, "Application/JSON; charset=UTF-8"
    )
    assert status == 200, answer


def test_r25_r27_a_body_that_is_not_utf8_is_400_and_nothing_is_stored(api: Api, scenario: Scenario) -> None:
    document = _document(scenario, "k-1001")
    raw = json.dumps({**document, "number": "1001-X"}).replace("1001-X", "1001-\udcff", 1)
    body = raw.encode("utf-8", "surrogateescape")  # 0xFF: never valid in UTF-8
    before = _snapshot(api.store)
    status, _, answer = send(api, "PUT", "/tenants/kahvila/invoices/k-1001", OWN, body)
    assert_documented_error(status, answer, 400)
    assert "UTF-8" in answer["message"]
    assert _snapshot(api.store) == before


@pytest.mark.parametrize(
    ("path", "build", "unknown"),
    [
        (
            "/tenants/kahvila/invoices/k-1001",
            lambda s: {**_document(s, "k-1001"), "padding": "x" * 1000},
            "padding",
        ),
        (
            "/tenants/kahvila/invoices/k-1001",
            lambda s: {
                **_document(s, "k-1001"),
                "customer": {**_document(s, "k-1001")["customer"], "nick": "x"},
            },
            "customer.nick",
        ),
        (
            "/tenants/kahvila/settings",
            lambda s: {**_tenant_document(s, "kahvila")["settings"], "actve": True},
            "actve",
        ),
        ("/tenants/kahvila", lambda s: {**_tenant_document(s, "kahvila"), "owner": "me"}, "owner"),
    ],
    ids=["invoice", "nested", "settings", "tenant"],
)
def test_r27_an_unknown_body_field_is_422_naming_it(
    api: Api, scenario: Scenario, path: str, build: Any, unknown: str
) -> None:
    before = _snapshot(api.store)
    status, _, answer = send(api, "PUT", path, OWN, json.dumps(build(scenario)))
    assert_documented_error(status, answer, 422)
    assert unknown in {issue["field"] for issue in answer["issues"]}
    assert _snapshot(api.store) == before


def test_r2_r4_put_tenant_never_changes_its_activation(api: Api, scenario: Scenario) -> None:
    stored = api.store.get_tenant("kahvila").settings
    document = _tenant_document(scenario, "kahvila")
    for active, activated_at in [(True, "1900-01-01T00:00:00+00:00"), (False, None), (True, None)]:
        changed = {
            **document,
            "settings": {**document["settings"], "active": active, "activated_at": activated_at},
        }
        status, _, answer = send(api, "PUT", "/tenants/kahvila", OWN, json.dumps(changed))
        assert status == 200, answer
        kept = api.store.get_tenant("kahvila").settings
        assert (kept.active, kept.activated_at) == (stored.active, stored.activated_at)


def test_r2_r4_a_tenant_created_by_put_starts_inactive(api: Api, scenario: Scenario) -> None:
    document = {**_tenant_document(scenario, "kahvila"), "tenant_id": "uusi"}
    document["settings"] = {**document["settings"], "active": True, "activated_at": None}
    status, _, answer = send(api, "PUT", "/tenants/uusi", SYSTEM, json.dumps(document))
    assert status == 200, answer
    assert answer["settings"]["active"] is False
    assert api.store.get_tenant("uusi").settings.active is False


def test_r1_r10_a_run_of_a_night_that_has_not_come_is_400_naming_run_date(api: Api) -> None:
    tomorrow = (NOW.astimezone(ZONE).date() + timedelta(days=1)).isoformat()
    status, _, answer = send(api, "POST", "/runs", SYSTEM, json.dumps({"run_date": tomorrow}))
    assert_documented_error(status, answer, 400)
    assert [issue["field"] for issue in answer["issues"]] == ["run_date"]
    assert api.runs.started == []
    status, _, started = send(api, "POST", "/runs", SYSTEM, json.dumps({"run_date": "2026-02-28"}))
    assert status == 202, started  # a night that has passed: catch-up (R10)
    assert api.runs.started == [(date(2026, 2, 28), started["run_id"])]


def test_r22_r23_send_while_a_run_sends_the_invoice_is_409_naming_the_send(api: Api) -> None:
    key = InvoiceKey(tenant_id="kahvila", invoice_id="k-1001")
    attempt = Attempt(run_id="run-1", channel=Channel.EINVOICE, kind=DeliveryKind.INVOICE, started_at=NOW)
    api.store.claim(key, attempt, NOW + timedelta(minutes=15), [])
    status, _, answer = send(api, "POST", "/tenants/kahvila/invoices/k-1001/send", OWN)
    assert_documented_error(status, answer, 409)
    # In words, by the rule the list's `actions` shows (no send offered while a run holds it).
    assert answer["message"] == "Cannot send invoice kahvila/k-1001 manually: a run is dispatching it now"
    assert "send" not in api.call("GET", "/tenants/kahvila/invoices/k-1001", OWN)[1]["actions"]
    assert api.deliverer.calls == []


def test_r27_client_errors_are_never_counted_as_server_errors(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    send(api, "GET", "/nothing", SYSTEM)
    send(api, "DELETE", "/tenants/kahvila", SYSTEM)
    send(api, "PUT", "/tenants/kahvila/settings", OWN, "[" * 1000)
    send(api, "PUT", "/tenants/kahvila/settings", OWN, "{}", "text/plain")
    published = capsys.readouterr().out
    assert "ApiClientErrors" in published
    assert "ApiServerErrors" not in published
