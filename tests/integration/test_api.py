"""The integration API (R27) through its Lambda handler, with events as API Gateway builds them,
on the DynamoDB store (moto) loaded with the demo scenario: the tenant-isolation matrix, the
idempotent PUT, pagination, bad bodies and the preview of the next night."""

import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from api.handler import handler
from api.routes import Services
from autodispatch.config import load_config
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind
from autodispatch.models.scenario import InvoiceKey, Scenario
from autodispatch.rules.access import SYSTEM_SCOPE, TENANT_CLAIM
from autodispatch.runs.port import UNKNOWN, ExecutionStatus
from autodispatch.runs.stepfunctions import execution_arn
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.port import Attempt, RunIssue, RunRef, RunSummary
from autodispatch_cli.local.api_gateway import http_api_event
from autodispatch_cli.local.runtime import LocalLambdaContext
from tests.fakes.deliverer import ScriptedDeliverer
from tests.integration.conftest import ZONE

NOW = datetime.fromisoformat("2026-03-09T20:00:00+02:00")
DEFAULT_SYSTEM_CLIENT = "billing-system"
LIMITED_SYSTEM_CLIENT = "bookkeeper"  # granted tilitoimisto only

Claims = dict[str, Any] | None
OWN: Claims = {"sub": "u-1", TENANT_CLAIM: "kahvila", "token_use": "id"}
OTHER: Claims = {"sub": "u-2", TENANT_CLAIM: "tilitoimisto", "token_use": "id"}
SYSTEM: Claims = {"client_id": DEFAULT_SYSTEM_CLIENT, "scope": SYSTEM_SCOPE, "token_use": "access"}
LIMITED: Claims = {"client_id": LIMITED_SYSTEM_CLIENT, "scope": SYSTEM_SCOPE, "token_use": "access"}
NO_TOKEN: Claims = None


STATE_MACHINE = "arn:aws:states:eu-north-1:000000000000:stateMachine:NightlyRun"


@dataclass
class RecordingRuns:
    """Step Functions as the API sees it: the runs started here are RUNNING, no other exists."""

    started: list[tuple[date, str]] = field(default_factory=list)

    def start(self, run_date: date, name: str) -> str:
        self.started.append((run_date, name))
        return self.execution_arn(name)

    def execution_arn(self, run_id: str) -> str:
        return execution_arn(STATE_MACHINE, run_id)

    def status(self, arn: str) -> ExecutionStatus:
        if arn in {self.execution_arn(name) for _, name in self.started}:
            return ExecutionStatus(status="RUNNING", started_at=NOW)
        return ExecutionStatus(status=UNKNOWN)


@dataclass
class Api:
    store: DynamoDbInvoiceStore
    deliverer: ScriptedDeliverer
    runs: RecordingRuns

    def call(
        self,
        method: str,
        path: str,
        claims: Claims,
        body: Any = None,
        query: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        event = http_api_event(
            method,
            path,
            query=query,
            body=None if body is None else (body if isinstance(body, str) else json.dumps(body)),
            headers={"content-type": "application/json"},
            claims=claims,
        )
        services = Services(
            store=self.store,
            deliverer=lambda: self.deliverer,
            runs=lambda: self.runs,
            zone=ZONE,
            clock=lambda: NOW,
        )
        response = handler(event, LocalLambdaContext(function_name="Api"), services=services)
        return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


@pytest.fixture
def api(loaded: DynamoDbInvoiceStore, monkeypatch: pytest.MonkeyPatch) -> Api:
    monkeypatch.setenv("TABLE_NAME", "unused")
    monkeypatch.setenv("BUCKET_NAME", "unused")
    grants = {DEFAULT_SYSTEM_CLIENT: ["*"], LIMITED_SYSTEM_CLIENT: ["tilitoimisto"]}
    monkeypatch.setenv("API_SYSTEM_CLIENTS", json.dumps(grants))
    load_config.cache_clear()
    yield Api(loaded, ScriptedDeliverer(), RecordingRuns())
    load_config.cache_clear()


def _document(scenario: Scenario, invoice_id: str) -> dict[str, Any]:
    invoice = next(i for i in scenario.invoices if i.invoice_id == invoice_id)
    return invoice.model_dump(mode="json")


def _tenant_document(scenario: Scenario, tenant_id: str) -> dict[str, Any]:
    return next(t for t in scenario.tenants if t.tenant_id == tenant_id).model_dump(mode="json")


Route = tuple[str, str, Callable[[Scenario], Any]]
TENANT_ROUTES: list[Route] = [
    ("GET", "/tenants/kahvila", lambda s: None),
    ("PUT", "/tenants/kahvila", lambda s: _tenant_document(s, "kahvila")),
    ("GET", "/tenants/kahvila/settings", lambda s: None),
    ("PUT", "/tenants/kahvila/settings", lambda s: _tenant_document(s, "kahvila")["settings"]),
    ("POST", "/tenants/kahvila/settings/activate", lambda s: None),
    ("POST", "/tenants/kahvila/settings/deactivate", lambda s: None),
    ("PUT", "/tenants/kahvila/invoices/k-1001", lambda s: _document(s, "k-1001")),
    ("GET", "/tenants/kahvila/invoices", lambda s: None),
    ("GET", "/tenants/kahvila/invoices/k-1001", lambda s: None),
    ("POST", "/tenants/kahvila/invoices/k-1001/remove-auto", lambda s: None),
    ("POST", "/tenants/kahvila/invoices/k-1007/restore-auto", lambda s: None),  # imported off
    ("POST", "/tenants/kahvila/invoices/k-1003/send", lambda s: {"channel": "EMAIL"}),
]
RUN_ROUTES: list[Route] = [
    ("GET", "/runs", lambda s: None),
    ("GET", "/runs/no-such-run", lambda s: None),
    ("POST", "/runs", lambda s: {"run_date": "2026-03-09"}),
]


def _route_id(value: object) -> str:
    return "" if callable(value) else str(value)


def _snapshot(store: DynamoDbInvoiceStore) -> Any:
    tenants = {t.tenant_id: t for t in store.list_tenants()}
    records = {t: store.list_records(t) for t in tenants}
    return tenants, records, store.list_runs()


@pytest.mark.parametrize(("method", "path", "body"), TENANT_ROUTES + RUN_ROUTES, ids=_route_id)
@pytest.mark.parametrize("caller", ["other tenant", "no token", "limited system client"])
def test_r27_a_denied_request_gets_401_or_403_and_changes_nothing(
    api: Api, scenario: Scenario, method: str, path: str, body: Callable[[Scenario], Any], caller: str
) -> None:
    claims = {"other tenant": OTHER, "no token": NO_TOKEN, "limited system client": LIMITED}[caller]
    before = _snapshot(api.store)
    status, answer = api.call(method, path, claims, body(scenario))
    assert status == (401 if claims is None else 403)
    assert set(answer) == {"status", "message"}  # no data
    assert _snapshot(api.store) == before
    assert api.deliverer.calls == []
    assert api.runs.started == []


@pytest.mark.parametrize(("method", "path", "body"), TENANT_ROUTES, ids=_route_id)
@pytest.mark.parametrize("caller", ["own tenant", "system client"])
def test_r27_own_tenant_and_granted_system_client_reach_every_tenant_route(
    api: Api, scenario: Scenario, method: str, path: str, body: Callable[[Scenario], Any], caller: str
) -> None:
    status, answer = api.call(method, path, OWN if caller == "own tenant" else SYSTEM, body(scenario))
    assert status == 200, answer


@pytest.mark.parametrize("claims", [OWN, LIMITED], ids=["tenant user", "limited system client"])
def test_r27_runs_are_for_system_clients_granted_every_tenant(api: Api, claims: Claims) -> None:
    assert api.call("GET", "/runs", claims)[0] == 403
    status, started = api.call("POST", "/runs", SYSTEM, {"run_date": "2026-03-09"})
    assert status == 202
    assert api.runs.started == [(date(2026, 3, 9), started["run_id"])]
    assert api.call("GET", "/runs", SYSTEM) == (200, [])
    assert api.call("GET", "/runs/no-such-run", SYSTEM)[0] == 404


def test_r27_a_started_run_shows_its_step_functions_status_before_it_selected(api: Api) -> None:
    status, started = api.call("POST", "/runs", SYSTEM, {"run_date": "2026-03-09"})
    assert status == 202
    status, detail = api.call("GET", f"/runs/{started['run_id']}", SYSTEM)
    assert status == 200, detail
    assert detail["execution"]["status"] == "RUNNING"
    assert detail["execution_arn"] == started["execution_arn"]
    assert detail["run"] is None
    assert detail["issues"] == []


def test_r21_r27_a_stored_run_shows_its_counts_issues_and_status(api: Api) -> None:
    """Step Functions forgets executions after 90 days: the run is still shown, its status UNKNOWN."""
    run = RunRef(run_id="night-1", run_date=date(2026, 3, 10))
    api.store.put_run(RunSummary(run_id=run.run_id, run_date=run.run_date, started_at=NOW))
    issue = RunIssue(
        tenant_id="kahvila", invoice_id="k-1003", number="1003", state="FAILED", message="No channel"
    )
    api.store.add_run_issues(run, [issue])
    status, detail = api.call("GET", "/runs/night-1", SYSTEM)
    assert status == 200, detail
    assert detail["execution"]["status"] == "UNKNOWN"
    assert detail["execution_arn"] == execution_arn(STATE_MACHINE, "night-1")
    assert detail["run"]["run_date"] == "2026-03-10"
    assert [i["invoice_id"] for i in detail["issues"]] == ["k-1003"]


def test_r27_a_system_client_acts_on_the_tenants_it_is_granted(api: Api) -> None:
    assert api.call("GET", "/tenants/tilitoimisto/invoices", LIMITED)[0] == 200
    assert api.call("GET", "/tenants/kahvila/invoices", LIMITED)[0] == 403


def test_r27_a_token_of_no_tenant_and_no_system_scope_is_forbidden(api: Api) -> None:
    assert api.call("GET", "/tenants/kahvila", {"sub": "u-3", "token_use": "id"})[0] == 403
    assert api.call("GET", "/tenants/kahvila", {"client_id": "c", "scope": "openid"})[0] == 403


def test_r27_put_invoice_is_idempotent(api: Api, scenario: Scenario) -> None:
    document = _document(scenario, "k-1001")
    first = api.call("PUT", "/tenants/kahvila/invoices/k-1001", SYSTEM, document)
    second = api.call("PUT", "/tenants/kahvila/invoices/k-1001", SYSTEM, document)
    assert first == second
    assert first[0] == 200
    assert first[1]["auto_dispatch"] == "PENDING"


def test_r27_put_of_a_changed_invoice_a_run_is_sending_is_409(api: Api, scenario: Scenario) -> None:
    key = InvoiceKey(tenant_id="kahvila", invoice_id="k-1001")
    attempt = Attempt(run_id="run-1", channel=Channel.EINVOICE, kind=DeliveryKind.INVOICE, started_at=NOW)
    api.store.claim(key, attempt, NOW + timedelta(minutes=15), [])  # a run is sending it (R23)
    document = _document(scenario, "k-1001")
    assert api.call("PUT", "/tenants/kahvila/invoices/k-1001", SYSTEM, document)[0] == 200  # unchanged
    status, answer = api.call(
        "PUT", "/tenants/kahvila/invoices/k-1001", SYSTEM, {**document, "number": "1001-B"}
    )
    assert status == 409
    assert "k-1001" in answer["message"]


def test_r19_r28_list_entries_carry_number_customer_dates_and_total(api: Api) -> None:
    status, page = api.call("GET", "/tenants/kahvila/invoices", OWN, query={"state": "PENDING"})
    assert status == 200
    k1005 = next(entry for entry in page["invoices"] if entry["invoice_id"] == "k-1005")
    assert (k1005["number"], k1005["customer_name"]) == ("1005", "Ei Osoitetta")
    assert (k1005["invoice_date"], k1005["due_date"]) == ("2026-03-09", "2026-03-23")
    assert (k1005["total"], k1005["currency"]) == ("56.48", "EUR")  # 10 x 4.50 + 25.5 % VAT


def test_r27_pages_of_the_list_cover_every_invoice_once(api: Api) -> None:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        status, page = api.call("GET", "/tenants/kahvila/invoices", OWN, query=query)
        assert status == 200
        assert len(page["invoices"]) <= 3
        seen += [entry["invoice_id"] for entry in page["invoices"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(seen) < 100  # bounded: a cursor that never ends fails here
    assert seen == sorted(r.invoice_id for r in api.store.list_records("kahvila"))


@pytest.mark.parametrize(
    ("cursor", "refused_with"),
    # Not a cursor's shape by the schema (422, as any parameter), or of its shape but not issued (400).
    [("%%%", 422), ("bm90IGpzb24", 400), ("eyJ0ZW5hbnRfaWQiOiJrYWh2aWxhIn0", 400)],
)
def test_r27_a_cursor_not_from_the_list_is_refused(api: Api, cursor: str, refused_with: int) -> None:
    status, answer = api.call("GET", "/tenants/kahvila/invoices", OWN, query={"cursor": cursor})
    assert status == refused_with
    assert [issue["field"].removeprefix("query.") for issue in answer["issues"]] == ["cursor"]


def test_r27_a_cursor_of_another_tenants_list_is_400(api: Api) -> None:
    """A cursor names where a page ended; it never moves a list into another tenant's invoices."""
    status, page = api.call("GET", "/tenants/tilitoimisto/invoices", SYSTEM, query={"limit": "1"})
    assert status == 200
    assert page["next_cursor"] is not None
    query = {"cursor": page["next_cursor"]}
    status, answer = api.call("GET", "/tenants/kahvila/invoices", SYSTEM, query=query)
    assert status == 400
    assert "'cursor'" in answer["message"]


def test_r27_a_filtered_list_pages_full_pages_of_its_state(api: Api) -> None:
    seen: list[str] = []
    query = {"limit": "2", "state": "PENDING"}
    for _ in range(20):  # bounded
        status, page = api.call("GET", "/tenants/kahvila/invoices", OWN, query=query)
        assert status == 200
        assert {entry["auto_dispatch"] for entry in page["invoices"]} <= {"PENDING"}
        seen += [entry["invoice_id"] for entry in page["invoices"]]
        if page["next_cursor"] is None:
            break
        assert len(page["invoices"]) == 2
        query["cursor"] = page["next_cursor"]
    pending = api.store.list_records("kahvila", AutoDispatchState.PENDING)
    assert seen == sorted(record.invoice_id for record in pending)


@pytest.mark.parametrize(
    ("change", "field_name"),
    [({"customer": None}, "customer"), ({"due_date": "tomorrow"}, "due_date"), ({"lines": []}, "lines")],
)
def test_r27_r25_a_bad_invoice_body_is_422_naming_the_field(
    api: Api, scenario: Scenario, change: dict[str, Any], field_name: str
) -> None:
    document = {**_document(scenario, "k-1001"), **change}
    status, answer = api.call("PUT", "/tenants/kahvila/invoices/k-1001", OWN, document)
    assert status == 422
    assert field_name in answer["message"]
    assert field_name in {issue["field"].split(".")[0] for issue in answer["issues"]}


def test_r27_a_body_that_is_not_json_is_422(api: Api) -> None:
    status, answer = api.call("PUT", "/tenants/kahvila/invoices/k-1001", OWN, "{not json")
    assert status == 422
    assert [issue["field"] for issue in answer["issues"]] == ["body"]
    assert answer["message"] == "field 'body': is not valid JSON"


def test_r27_ids_of_the_body_must_match_the_path(api: Api, scenario: Scenario) -> None:
    status, answer = api.call("PUT", "/tenants/kahvila/invoices/k-9999", OWN, _document(scenario, "k-1001"))
    assert status == 400
    assert "invoice_id" in answer["message"]


def test_r27_unknown_invoice_is_404_and_a_refused_action_409(api: Api) -> None:
    assert api.call("GET", "/tenants/kahvila/invoices/nope", OWN)[0] == 404
    status, answer = api.call("POST", "/tenants/kahvila/invoices/k-1006/send", OWN)
    assert status == 409
    assert "already sent" in answer["message"]


def test_r2_r27_settings_that_break_r2_on_an_active_tenant_are_409(api: Api, scenario: Scenario) -> None:
    settings = {**_tenant_document(scenario, "kahvila")["settings"], "channels": []}
    status, answer = api.call("PUT", "/tenants/kahvila/settings", OWN, settings)
    assert status == 409
    # The rule in words, never its number (R30).
    assert "must allow automatic dispatch" in answer["message"]
    assert "R2" not in answer["message"]
    assert answer["issues"] == [{"field": "channels", "message": "choose at least one delivery channel"}]


def test_r2_r27_a_refused_activation_names_each_missing_setting(api: Api, scenario: Scenario) -> None:
    assert api.call("POST", "/tenants/kahvila/settings/deactivate", OWN)[0] == 200
    bare = {**_tenant_document(scenario, "kahvila")["settings"], "sources": [], "notify_email": None}
    bare["notify_phone"] = None
    assert api.call("PUT", "/tenants/kahvila/settings", OWN, bare)[0] == 200
    status, answer = api.call("POST", "/tenants/kahvila/settings/activate", OWN)
    assert status == 409
    assert [issue["field"] for issue in answer["issues"]] == ["sources", "notify_email"]


def test_r22_r27_send_delivers_through_the_chosen_channel(api: Api) -> None:
    status, sent = api.call("POST", "/tenants/kahvila/invoices/k-1003/send", OWN, {"channel": "EMAIL"})
    assert status == 200
    assert sent["channel"] == "EMAIL"
    assert api.deliverer.delivered == [("k-1003", Channel.EMAIL)]
    assert api.call("GET", "/tenants/kahvila/invoices/k-1003", OWN)[1]["status"] == "SENT"


def test_r19_r22_r30_the_history_names_the_route_in_the_readers_language(api: Api) -> None:
    """Stored on DynamoDB as data (the route's name), read back named in the language asked for."""
    assert api.call("POST", "/tenants/kahvila/invoices/k-1011/send", OWN, {"channel": "EINVOICE"})[0] == 200
    status, entry = api.call("GET", "/tenants/kahvila/invoices/k-1011", OWN, query={"lang": "fi"})
    assert status == 200
    [sent] = [item for item in entry["history"] if item["event"] == "SENT_MANUALLY"]
    assert (sent["channel"], sent["route"], sent["route_label"]) == (
        "EINVOICE",
        "PEPPOL",
        "Peppol BIS Billing 3.0",
    )
    status, entry = api.call("GET", "/tenants/kahvila/invoices/k-1003", OWN, query={"lang": "sv"})
    assert all(item["route"] is None and item["route_label"] is None for item in entry["history"])
    assert api.call("POST", "/tenants/kahvila/invoices/k-1003/send", OWN, {"channel": "PRINT"})[0] == 200
    entry = api.call("GET", "/tenants/kahvila/invoices/k-1003", OWN, query={"lang": "sv"})[1]
    assert [(item["route"], item["route_label"]) for item in entry["history"] if item["route"]] == [
        ("PRINT", "brev via utskriftstjänsten")
    ]
    # The OpenAPI document describes both, so a client (and the page) knows them.
    history = api.call("GET", "/openapi.json", OWN)[1]["components"]["schemas"]["HistoryEntry"]["properties"]
    assert {"route", "route_label"} <= set(history)


def test_r27_pending_invoices_carry_the_preview_of_the_next_night(api: Api) -> None:
    status, page = api.call("GET", "/tenants/kahvila/invoices", OWN)
    assert status == 200
    entries = {entry["invoice_id"]: entry for entry in page["invoices"]}
    assert entries["k-1001"]["preview"] == {
        "run_date": "2026-03-10",
        "outcome": "SEND",
        "channel": "EINVOICE",
        "message": "The run of 10 Mar 2026 sends it by e-invoice",
    }
    assert entries["k-1010"]["preview"]["run_date"] == "2026-03-11"  # created on the 10th
    assert all(
        (entry["preview"] is None) == (entry["auto_dispatch"] != "PENDING") for entry in entries.values()
    )


def _listed(api: Api, claims: Claims, tenant: str, **query: str) -> dict[str, dict[str, Any]]:
    status, page = api.call("GET", f"/tenants/{tenant}/invoices", claims, query={"limit": "500", **query})
    assert status == 200, page
    assert page["next_cursor"] is None
    return {entry["invoice_id"]: entry for entry in page["invoices"]}


def test_r19_r28_the_list_tells_sent_manually_and_imported_as_sent_apart_and_filters_by_it(api: Api) -> None:
    assert api.call("POST", "/tenants/kahvila/invoices/k-1003/send", OWN, {"channel": "EMAIL"})[0] == 200
    entries = _listed(api, OWN, "kahvila")
    assert (entries["k-1003"]["display_state"], entries["k-1003"]["auto_dispatch"]) == (
        "SENT_MANUALLY",
        "SENT",
    )
    assert (entries["k-1006"]["display_state"], entries["k-1006"]["auto_dispatch"]) == (
        "IMPORTED_AS_SENT",
        "SENT",
    )
    assert entries["k-1001"]["display_state"] == "PENDING"
    assert entries["k-1007"]["display_state"] == "REMOVED"
    # The state filter takes the display values; a run has sent nothing yet.
    assert list(_listed(api, OWN, "kahvila", state="SENT_MANUALLY")) == ["k-1003"]
    assert list(_listed(api, OWN, "kahvila", state="IMPORTED_AS_SENT")) == ["k-1006"]
    assert _listed(api, OWN, "kahvila", state="SENT") == {}
    assert api.call("GET", "/tenants/kahvila/invoices", OWN, query={"state": "SENT_BY_FAX"})[0] == 422
    # The page reads the filter's values from the OpenAPI document.
    document = api.call("GET", "/openapi.json", OWN)[1]
    parameters = document["paths"]["/tenants/{tenant_id}/invoices"]["get"]["parameters"]
    schema = next(p for p in parameters if p["name"] == "state")["schema"]
    schema = next((option for option in schema.get("anyOf", [schema]) if "$ref" in option), schema)
    enum = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]["enum"]
    assert enum == ["PENDING", "SENT", "SENT_MANUALLY", "IMPORTED_AS_SENT", "IGNORED", "FAILED", "REMOVED"]


def test_r20_r22_r28_entries_carry_the_actions_the_routes_allow_and_the_invoices_own_channel(
    api: Api,
) -> None:
    entries = _listed(api, OWN, "kahvila")
    assert entries["k-1001"]["actions"] == ["remove_auto", "send"]
    assert entries["k-1007"]["actions"] == ["restore_auto", "send"]
    assert entries["k-1006"]["actions"] == []
    # The invoice's own channel, where dispatch starts (R11); `channel` is the one it went by.
    assert (entries["k-1001"]["delivery_channel"], entries["k-1001"]["channel"]) == ("EINVOICE", None)
    assert entries["k-1006"]["delivery_channel"] == "PRINT"
    # Every action the entries leave out is refused by its route, in the reader's words.
    status, answer = api.call(
        "POST", "/tenants/kahvila/invoices/k-1001/restore-auto", OWN, query={"lang": "sv"}
    )
    assert status == 409
    assert answer["message"] == (
        "Automatisk utskick kan inte återställas för fakturan kahvila/k-1001: dess automatiska utskick är på"
    )
    assert api.call("GET", "/tenants/kahvila/invoices/k-1001", OWN)[1]["actions"] == ["remove_auto", "send"]
    status, removed = api.call("POST", "/tenants/kahvila/invoices/k-1001/remove-auto", OWN)
    assert (status, removed["display_state"], removed["actions"]) == (
        200,
        "REMOVED",
        ["restore_auto", "send"],
    )


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "sv",
            "Ingen körning tar den: fakturans källa ”Avtalsfakturering” är inte vald i inställningen "
            "”Skicka automatiskt fakturor vars källa är”",
        ),
        (
            "fi",
            "Mikään ajo ei ota sitä: laskun lähdettä ”Sopimuslaskutus” ei ole valittu asetuksessa "
            "”Lähetä automaattisesti laskut, joiden lähde on”",
        ),
    ],
)
def test_r3_r28_an_invoice_whose_source_is_not_taken_says_so_in_words(
    api: Api, lang: str, words: str
) -> None:
    entry = _listed(api, SYSTEM, "tilitoimisto", lang=lang)["t-504"]  # contract billing; not chosen
    assert entry["preview"] == {"run_date": None, "outcome": None, "channel": None, "message": words}


def test_r27_openapi_document_lists_every_route(api: Api) -> None:
    status, document = api.call("GET", "/openapi.json", OWN)
    assert status == 200
    paths = {path.replace("{", "<").replace("}", ">") for path in document["paths"]}
    routes = {p.replace("kahvila", "<tenant_id>") for _, p, _ in TENANT_ROUTES}
    assert {"/tenants/<tenant_id>/invoices/<invoice_id>", "/runs", "/runs/<run_id>"} <= paths
    assert len(routes) <= len(paths)


def _documented(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The OpenAPI responses of the operation a concrete path belongs to."""
    for template, operations in document["paths"].items():
        pattern = "^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            responses: dict[str, Any] = operations[method.lower()]["responses"]
            return responses
    pytest.fail(f"{method} {path} is not in the OpenAPI document")


ERROR_CALLS: list[tuple[str, str, Claims, Any, int]] = [
    ("GET", "/tenants/kahvila/invoices", NO_TOKEN, None, 401),
    ("GET", "/tenants/kahvila/invoices", OTHER, None, 403),
    ("GET", "/runs", OWN, None, 403),
    ("GET", "/tenants/nobody", SYSTEM, None, 404),
    ("GET", "/tenants/kahvila/invoices/nope", OWN, None, 404),
    ("GET", "/runs/no-such-run", SYSTEM, None, 404),
    ("GET", "/tenants/kahvila/invoices?cursor=bm90IGpzb24", OWN, None, 400),
    ("POST", "/tenants/kahvila/invoices/k-1006/send", OWN, None, 409),
    ("POST", "/tenants/kahvila/invoices/k-1006/remove-auto", OWN, None, 409),
    ("PUT", "/tenants/kahvila/settings", OWN, {"channels": "EMAIL"}, 422),
    ("POST", "/runs", SYSTEM, {"run_date": "tomorrow"}, 422),
]


@pytest.mark.parametrize(("method", "path", "claims", "body", "expected"), ERROR_CALLS, ids=str)
def test_r27_every_error_a_route_gives_is_in_its_openapi_responses_with_the_error_body(
    api: Api, method: str, path: str, claims: Claims, body: Any, expected: int
) -> None:
    status, document = api.call("GET", "/openapi.json", OWN)
    assert status == 200
    route, _, query = path.partition("?")
    status, answer = api.call(method, route, claims, body, dict([query.split("=")]) if query else None)
    assert status == expected
    documented = _documented(document, method, route)[str(status)]
    schema = documented["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(document["components"]["schemas"][schema]["required"]) <= set(answer)
    assert answer["status"] == status


def test_r27_every_operation_documents_its_success_and_the_errors_every_route_can_give(api: Api) -> None:
    status, document = api.call("GET", "/openapi.json", OWN)
    assert status == 200
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"401", "403", "422", "503"} <= documented, (method, path)
            assert documented & {"200", "202"}, (method, path)
            if path.startswith("/tenants/"):
                assert {"400", "404"} <= documented, (method, path)
            if method != "get" and path.startswith("/tenants/"):
                assert "409" in documented, (method, path)


@pytest.mark.parametrize(
    ("claims", "path", "counted"),
    [
        (OWN, "/tenants/kahvila", {"ApiRequests"}),
        (OWN, "/tenants/kahvila/invoices/nope", {"ApiRequests", "ApiClientErrors"}),
        (OTHER, "/tenants/kahvila", {"ApiRequests", "ApiClientErrors"}),
    ],
    ids=["answered", "not found", "denied"],
)
def test_r27_every_request_publishes_its_metrics_and_never_an_empty_flush(
    api: Api, capsys: pytest.CaptureFixture[str], claims: Claims, path: str, counted: set[str]
) -> None:
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Powertools warns when a flush has no application metric
        api.call("GET", path, claims)
    published = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    names = {
        metric["Name"]
        for document in published
        for directive in document["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    }
    assert counted <= names
    assert not {"ApiRequests", "ApiClientErrors", "ApiServerErrors"} - counted & names
