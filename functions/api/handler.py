"""Integration API (R27): one Lambda behind the HTTP API. API Gateway's JWT authorizer verified the
token; `guard` decides here, before any route runs, whether its claims may use the route's tenant
(or the runs, which serve every tenant). A denied request gets 401 or 403 and no data; a body the
routes cannot read as JSON text gets 400 or 415 (request_body)."""

import json
import re
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from api.request_body import BodyRefused, admitted, asked_language
from api.routes import ErrorBody, IssueBody, Services, app
from autodispatch import wiring
from autodispatch.config import load_config
from autodispatch.i18n import render
from autodispatch.models.text import Text
from autodispatch.observability import logger, metrics, tracer
from autodispatch.rules.access import Access, access, principal

TENANT_PATH = re.compile(r"^/tenants/(?P<tenant_id>[^/]+)")
EVERY_TENANT_PATH = re.compile(r"^/runs(/|$)")
DENIED = {
    Access.UNAUTHENTICATED: (HTTPStatus.UNAUTHORIZED, Text.of("request.unauthenticated")),
    Access.FORBIDDEN: (HTTPStatus.FORBIDDEN, Text.of("request.forbidden")),
}


def guard(event: dict[str, Any]) -> Access:
    """The access of the event's verified claims to its path (R27)."""
    jwt = ((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt") or {}
    claims, scopes = jwt.get("claims") or {}, jwt.get("scopes") or []
    path = event.get("rawPath") or ""
    tenant = TENANT_PATH.match(path)
    caller = principal(claims, scopes, load_config().api_system_clients)
    return access(
        caller,
        authenticated=bool(claims),
        tenant_id=tenant["tenant_id"] if tenant else None,  # decoded by API Gateway, as the route reads it
        every_tenant=EVERY_TENANT_PATH.match(path) is not None,
    )


def _now() -> datetime:
    return datetime.now(UTC)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def handler(
    event: dict[str, Any], context: LambdaContext, services: Services | None = None
) -> dict[str, Any]:
    decision = guard(event)
    if decision is not Access.ALLOWED:
        status, message = DENIED[decision]
        logger.info("request denied", extra={"access": decision.value})
        response = _refusal(ErrorBody(status=status, message=render(message, asked_language(event))))
    else:
        response = _answer(event, context, services)
    count_response(int(response["statusCode"]))
    return response


def _answer(event: dict[str, Any], context: LambdaContext, services: Services | None) -> dict[str, Any]:
    try:
        checked = admitted(event)
    except BodyRefused as refused:
        language, issue = asked_language(event), refused.issue
        message = render(issue.text, language) if issue.text is not None else issue.message
        issues = [IssueBody(field=issue.field, message=message)]
        body = ErrorBody(status=refused.status, message=render(issue.located(), language), issues=issues)
        return _refusal(body)
    app.append_context(  # type: ignore[no-untyped-call]
        services=services
        or Services(
            store=wiring.invoice_store(),
            deliverer=wiring.deliverer,
            runs=wiring.run_executions,
            zone=load_config().zone,
            clock=_now,
        )
    )
    response: dict[str, Any] = app.resolve(checked, context)
    return response


def _refusal(body: ErrorBody) -> dict[str, Any]:
    """A refusal answered before routing, in the routes' error body."""
    return {
        "statusCode": body.status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body.model_dump(exclude_none=True)),
        "isBase64Encoded": False,
    }


def count_response(status: int) -> None:
    """Every request counts once, and once more as a client or server error: the metrics an alarm
    on the API watches (and never an empty flush)."""
    metrics.add_metric(name="ApiRequests", unit=MetricUnit.Count, value=1)
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        metrics.add_metric(name="ApiServerErrors", unit=MetricUnit.Count, value=1)
    elif status >= HTTPStatus.BAD_REQUEST:
        metrics.add_metric(name="ApiClientErrors", unit=MetricUnit.Count, value=1)
