"""R27, R30: every error body the API answers is in the language asked for (`lang`, else
Accept-Language): validation errors name the field in our own words (never pydantic's), and the
refusals of a body, a route, a method, a token and an unknown tenant read in Finnish and Swedish
too. Through the API function's handler on moto, with events as API Gateway builds them."""

import base64
import json
import re
from typing import Any

import pytest

from api.handler import handler
from api.routes import Services
from autodispatch.models.scenario import Scenario
from autodispatch_cli.local.api_gateway import http_api_event
from autodispatch_cli.local.runtime import LocalLambdaContext
from tests.integration import test_api
from tests.integration.conftest import ZONE
from tests.integration.test_api import NOW, OWN, SYSTEM, Api, Claims, _document, _tenant_document

api = test_api.api  # the same fixture: the demo scenario on moto, the handler's services

# Words of an English sentence or of pydantic's messages; none may reach a Finnish or Swedish reader.
ENGLISH = re.compile(
    r"\b(the|is|must|not|field|required|should|input|valid|value|unknown|method|route|token|body)\b",
    re.IGNORECASE,
)
INTERNAL = re.compile(r"\b(EINVOICE|EMAIL|PRINT|CHANNEL_SKIPPED|Value error)\b|(?<![-\w])R\d+\b")


def send(
    api: Api,
    method: str,
    path: str,
    *,
    language: str,
    by_header: bool = False,
    claims: Claims = OWN,
    body: str | bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, Any]:
    """One request asking for `language` by the `lang` parameter, or by Accept-Language."""
    event = http_api_event(
        method,
        path,
        query=None if by_header else {"lang": language},
        body=base64.b64encode(body).decode() if isinstance(body, bytes) else body,
        headers={
            "content-type": content_type,
            **({"accept-language": f"{language}-FI, en;q=0.5"} if by_header else {}),
        },
        claims=claims,
        base64_encoded=isinstance(body, bytes),
    )
    services = Services(
        store=api.store, deliverer=lambda: api.deliverer, runs=lambda: api.runs, zone=ZONE, clock=lambda: NOW
    )
    response = handler(event, LocalLambdaContext(function_name="Api"), services=services)
    return response["statusCode"], json.loads(response["body"])


def texts(answer: dict[str, Any]) -> list[str]:
    return [answer["message"], *(issue["message"] for issue in answer.get("issues", []))]


def assert_reads_in_language(answer: dict[str, Any]) -> None:
    """No English words in any text, beside the names the client sent (quoted) and paths."""
    for text in texts(answer):
        assert ENGLISH.search(re.sub(r"'[^']*'|/\S*", "", text)) is None, text
        assert INTERNAL.search(text) is None, text


@pytest.mark.parametrize(
    ("language", "by_header", "phone", "boolean"),
    [
        ("fi", False, "ei ole kelvollinen puhelinnumero", "on oltava true tai false"),
        ("sv", True, "är inget giltigt telefonnummer", "måste vara true eller false"),
    ],
)
def test_r27_r30_validation_errors_name_each_field_in_our_words(
    api: Api, scenario: Scenario, language: str, by_header: bool, phone: str, boolean: str
) -> None:
    settings = _tenant_document(scenario, "kahvila")["settings"]
    body = json.dumps({**settings, "notify_phone": "12", "consumer_einvoicing": "maybe"})
    status, answer = send(
        api, "PUT", "/tenants/kahvila/settings", language=language, by_header=by_header, body=body
    )
    assert status == 422
    issues = {issue["field"]: issue["message"] for issue in answer["issues"]}
    assert issues["notify_phone"].startswith(phone)
    assert issues["consumer_einvoicing"] == boolean
    assert set(issues) == {"notify_phone", "consumer_einvoicing"}
    # The one-line message names every field.
    assert all(f"'{field}'" in answer["message"] for field in issues)
    assert_reads_in_language(answer)


@pytest.mark.parametrize(("language", "required"), [("fi", "on pakollinen"), ("sv", "är obligatoriskt")])
def test_r25_r30_a_missing_field_of_an_invoice_is_named_in_the_readers_language(
    api: Api, scenario: Scenario, language: str, required: str
) -> None:
    document = _document(scenario, "k-1001")
    del document["number"]
    status, answer = send(
        api, "PUT", "/tenants/kahvila/invoices/k-1001", language=language, body=json.dumps(document)
    )
    assert status == 422
    assert answer["issues"] == [{"field": "number", "message": required}]
    assert_reads_in_language(answer)


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_r27_r30_a_misspelt_field_is_refused_in_the_readers_language(
    api: Api, scenario: Scenario, language: str
) -> None:
    body = json.dumps({**_tenant_document(scenario, "kahvila")["settings"], "notify_fone": "040 123 4567"})
    status, answer = send(api, "PUT", "/tenants/kahvila/settings", language=language, body=body)
    assert status == 422
    assert [issue["field"] for issue in answer["issues"]] == ["notify_fone"]
    assert_reads_in_language(answer)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fi",
            {415: "sanoman on oltava", 400: "ei ole kelvollista UTF-8", 404: "ei reittiä", 405: "sallitut"},
        ),
        (
            "sv",
            {415: "meddelandet måste vara", 400: "är inte giltig UTF-8", 404: "ingen väg", 405: "tillåtna"},
        ),
    ],
)
def test_r27_r30_refusals_before_any_route_read_in_the_readers_language(
    api: Api, scenario: Scenario, language: str, expected: dict[int, str]
) -> None:
    settings = json.dumps(_tenant_document(scenario, "kahvila")["settings"])
    answers = {
        415: send(
            api,
            "PUT",
            "/tenants/kahvila/settings",
            language=language,
            body=settings,
            content_type="text/plain",
        ),
        400: send(api, "PUT", "/tenants/kahvila/settings", language=language, body=b"\xff\xfe{}"),
        404: send(api, "GET", "/nowhere", language=language, by_header=True),
        405: send(api, "PATCH", "/tenants/kahvila/settings", language=language),
    }
    for status, (answered, answer) in answers.items():
        assert answered == status
        assert expected[status] in answer["message"], answer
        assert_reads_in_language(answer)


@pytest.mark.parametrize(
    ("language", "unknown", "unauthenticated"),
    [
        ("fi", "Tuntematon yritys", "tarvitaan voimassa oleva tunniste"),
        ("sv", "Okänt företag", "en giltig token"),
    ],
)
def test_r27_r30_not_found_and_a_missing_token_read_in_the_readers_language(
    api: Api, language: str, unknown: str, unauthenticated: str
) -> None:
    status, answer = send(api, "GET", "/runs/nothing-such", language=language, claims=None, by_header=True)
    assert status == 401
    assert answer["message"].startswith(unauthenticated)
    status, answer = send(api, "GET", "/tenants/kahvila/invoices/k-9999", language=language)
    assert status == 404
    assert_reads_in_language(answer)
    assert "k-9999" in answer["message"]
    status, answer = send(api, "GET", "/tenants/nobody", language=language, claims=SYSTEM)
    assert status == 404
    assert answer["message"] == f"{unknown} 'nobody'"
