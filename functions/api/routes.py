"""The integration API's routes (R27): each one parses its input and calls one of the library's
use cases, the same ones the operator CLI calls. Errors become responses in one place
(`_error_response`); who may call a route is decided before routing (`handler.guard`)."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from http import HTTPStatus
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.request_body import asked_language
from autodispatch.channels.port import Deliverer
from autodispatch.errors import (
    ActivationRefused,
    AutodispatchError,
    FieldIssue,
    ImportConflict,
    InputError,
    InvalidTransition,
    NotFound,
    Throttled,
    error_line,
    shown,
)
from autodispatch.i18n import render
from autodispatch.logic.importing import put_invoice as put_invoice_document
from autodispatch.logic.manual import (
    ManualSend,
    remove_automatic_dispatch,
    restore_automatic_dispatch,
    send_manually,
)
from autodispatch.logic.open_invoices import (
    CURSOR_MAX_LENGTH,
    CURSOR_PATTERN,
    InvoicePage,
    open_invoices,
    with_previews,
)
from autodispatch.logic.runs import RunDetail, StartedRun, check_run_date, run_detail, start_run
from autodispatch.logic.settings import Activation, activate, change_settings, deactivate, replace_tenant
from autodispatch.models.dispatch import DispatchRecord
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, DisplayState, Language
from autodispatch.models.fields import Day
from autodispatch.models.invalid import problem
from autodispatch.models.limits import ID_MAX_BYTES
from autodispatch.models.report import InvoiceEntry
from autodispatch.models.scenario import Invoice, InvoiceKey, Settings, Tenant
from autodispatch.models.text import Text, channel_label, separated, verbatim
from autodispatch.observability import logger
from autodispatch.runs.port import ExecutionStatus, RunExecutions
from autodispatch.store.port import InvoiceStore, RunSummary

LIST_LIMIT_MAX = 500
# Seconds a client waits before repeating a request the table throttled: long enough for
# DynamoDB's burst capacity and auto scaling to answer.
THROTTLED_RETRY_AFTER = "5"
# Activation changes only through activate/deactivate, which check R2 and stamp the instant (R4).
ACTIVATION_FIELDS = frozenset({"active", "activated_at"})
# One status per error type, most specific first (an ImportConflict is an InputError).
ERROR_STATUS: tuple[tuple[type[AutodispatchError], HTTPStatus], ...] = (
    (Throttled, HTTPStatus.TOO_MANY_REQUESTS),
    (NotFound, HTTPStatus.NOT_FOUND),
    (ImportConflict, HTTPStatus.CONFLICT),
    (InputError, HTTPStatus.BAD_REQUEST),
    (InvalidTransition, HTTPStatus.CONFLICT),
    (ActivationRefused, HTTPStatus.CONFLICT),
)


@dataclass(frozen=True)
class Services:
    """What the routes act on, given per invocation (production wiring or a test's)."""

    store: InvoiceStore
    deliverer: Callable[[], Deliverer]
    runs: Callable[[], RunExecutions]
    zone: ZoneInfo
    clock: Callable[[], datetime]


class IssueBody(BaseModel):
    """One problem with one field of the request, for a front end to show next to that field."""

    field: str
    message: str


class ErrorBody(BaseModel):
    """Every error this API answers: the HTTP status and one line naming tenant, invoice and field;
    `issues` lists the fields one by one where the error is about fields (400, 409 of R2, 422)."""

    status: int
    message: str
    issues: list[IssueBody] | None = None


class GatewayErrorBody(BaseModel):
    """An error API Gateway answers itself (no valid token: 401; throttled: 429): a message only."""

    message: str
    status: int | None = None


ERROR_DESCRIPTIONS: dict[HTTPStatus, str] = {
    HTTPStatus.BAD_REQUEST: "The request breaks a rule (R2, R25), the run date has not come, the cursor "
    "is not this list's, or the body is not UTF-8 or nests too deep; the message names the field",
    HTTPStatus.UNAUTHORIZED: "No valid bearer token",
    HTTPStatus.FORBIDDEN: "The token may not act on this tenant or route; nothing changed",
    HTTPStatus.NOT_FOUND: "Unknown tenant, invoice or run",
    HTTPStatus.CONFLICT: "The invoice or tenant is not in a state that allows this (e.g. a run is "
    "sending it, or it was already sent); nothing changed",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "The body is not JSON by its Content-Type (application/json)",
    HTTPStatus.UNPROCESSABLE_ENTITY: "The body or a parameter does not match its schema, or the body "
    "has a field the schema does not know; the message names the field",
    HTTPStatus.TOO_MANY_REQUESTS: "The stage's throttling limit or the table's capacity was reached; "
    "repeat the request later (after Retry-After seconds where given)",
    HTTPStatus.SERVICE_UNAVAILABLE: "A service behind the API failed temporarily; repeat the request",
}
# What any route can answer: a body it cannot read, the authorizer's and the guard's denials, schema
# validation, throttling and a temporary failure of the table or Step Functions.
EVERY_ROUTE_ERRORS = (
    HTTPStatus.BAD_REQUEST,
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    HTTPStatus.UNAUTHORIZED,
    HTTPStatus.FORBIDDEN,
    HTTPStatus.UNPROCESSABLE_ENTITY,
    HTTPStatus.TOO_MANY_REQUESTS,
    HTTPStatus.SERVICE_UNAVAILABLE,
)
# A tenant's routes read the tenant (404) and its stored documents, which may no longer be valid (400).
READS = (HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND)
CHANGES = (*READS, HTTPStatus.CONFLICT)
GATEWAY_ERRORS = frozenset({HTTPStatus.UNAUTHORIZED, HTTPStatus.TOO_MANY_REQUESTS})


def responses(
    *errors: HTTPStatus, success: HTTPStatus = HTTPStatus.OK, model: type[BaseModel] | None = None
) -> dict[int, OpenAPIResponse]:
    """The route's documented responses: success (its body the return annotation's, or `model`'s)
    and each error it can give with its body model, so clients and schemathesis know them all."""
    documented: dict[int, OpenAPIResponse] = {
        success: {"description": success.phrase}
        if model is None
        else {"description": success.phrase, "content": {content_types.APPLICATION_JSON: {"model": model}}}
    }
    for status in sorted({*EVERY_ROUTE_ERRORS, *errors}):
        body = GatewayErrorBody if status in GATEWAY_ERRORS else ErrorBody
        documented[status] = {
            "description": ERROR_DESCRIPTIONS[status],
            "content": {content_types.APPLICATION_JSON: {"model": body}},
        }
    return documented


# R30: every route answers in the language asked for; its messages and error bodies are rendered in it.
LangQuery = Annotated[
    Language | None,
    Query(
        description="The language of every message in the answer (fi, sv or en); without it the "
        "Accept-Language header decides, else English."
    ),
]


# Path ids as long as an id can be (models.limits); one that no tenant, invoice or run has is 404.
TenantId = Annotated[str, Path(min_length=1, max_length=ID_MAX_BYTES)]
InvoiceId = Annotated[str, Path(min_length=1, max_length=ID_MAX_BYTES)]
# Step Functions' limit on an execution's name, which is the run id.
RUN_ID_MAX_LENGTH = 80
RunId = Annotated[str, Path(min_length=1, max_length=RUN_ID_MAX_LENGTH)]


def reader_language() -> Language:
    """The `lang` query parameter, else the best of `Accept-Language` (q-values weighed), else English.
    An invalid `lang` is refused by the route's validation (422); its error body is then in the
    header's language."""
    return asked_language(app.current_event.raw_event)


def words(text: Text) -> str:
    return render(text, reader_language())


class PassedOver(BaseModel):
    channel: Channel
    label: str
    reason: str


class ManualSendEntry(BaseModel):
    """What a manual send did (R22), its words in the reader's language."""

    tenant_id: str
    invoice_id: str
    channel: Channel
    kind: DeliveryKind
    message_id: str
    passed_over: list[PassedOver]
    factoring: str | None = None

    @classmethod
    def of(cls, sent: ManualSend) -> "ManualSendEntry":
        return cls(
            tenant_id=sent.key.tenant_id,
            invoice_id=sent.key.invoice_id,
            channel=sent.channel,
            kind=sent.kind,
            message_id=sent.message_id,
            passed_over=[
                PassedOver(
                    channel=note.channel, label=words(channel_label(note.channel)), reason=words(note.reason)
                )
                for note in sent.passed_over
            ],
            factoring=words(sent.factoring) if sent.factoring is not None else None,
        )


class IssueEntry(BaseModel):
    """An invoice a run could not send (R21), its message and explanation in the reader's language."""

    tenant_id: str
    invoice_id: str
    number: str
    state: AutoDispatchState
    message: str
    details: str | None = None


class RunDetailEntry(BaseModel):
    run_id: str
    execution_arn: str
    execution: ExecutionStatus
    run: RunSummary | None = None
    issues: list[IssueEntry] = []

    @classmethod
    def of(cls, detail: RunDetail) -> "RunDetailEntry":
        issues = [
            IssueEntry(
                **issue.model_dump(include={"tenant_id", "invoice_id", "number", "state"}),
                message=words(issue.message),
                details=words(issue.details) if issue.details is not None else None,
            )
            for issue in detail.issues
        ]
        return cls(**detail.model_dump(exclude={"issues"}), issues=issues)


class SendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel | None = Field(
        default=None, description="Only this channel; without it the chain decides."
    )


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_date: Day


app = APIGatewayHttpResolver(enable_validation=True)
app.enable_swagger(
    path="/docs",
    title="autodispatch integration API",
    description="Tenants, settings, invoices and runs of automatic dispatch (R27). "
    "Bearer: a user pool ID token (tenant users) or a client-credentials access token (billing systems).",
    security_schemes={"bearer": HTTPBearer(bearerFormat="JWT")},
    security=[{"bearer": []}],
)


def services() -> Services:
    found: Services = app.context["services"]
    return found


def _key(tenant_id: str, invoice_id: str) -> InvoiceKey:
    return InvoiceKey(tenant_id=tenant_id, invoice_id=invoice_id)


def _entry(record: DispatchRecord) -> InvoiceEntry:
    s = services()
    return with_previews(s.store, record.tenant_id, [record], s.clock(), s.zone, reader_language())[0]


def _no_unknown_fields(model: type[BaseModel]) -> None:
    """A request body's field the model does not know is refused (422 naming it), at any depth:
    a misspelt field would otherwise be dropped in silence. (Scenario files keep ignoring them, as
    SCENARIO-FORMAT.md allows producers to add optional fields.)"""
    try:
        model.model_validate(app.current_event.json_body, extra="forbid")
    except ValidationError as error:
        unknown = [
            {"loc": ("body", *detail["loc"]), "msg": "", "type": detail["type"]}
            for detail in error.errors(include_url=False, include_input=False)
            if detail["type"] == "extra_forbidden"
        ]
        if unknown:
            raise RequestValidationError(unknown) from None


def _check_path_id(name: str, path_value: str, body_value: str) -> None:
    if path_value != body_value:
        mismatch = Text.of("request.path_mismatch", body=shown(body_value), path=shown(path_value))
        raise InputError([FieldIssue.said(name, mismatch)])


# Errors ----------------------------------------------------------------------------------------


def error_response(
    status: HTTPStatus,
    message: Text,
    issues: Sequence[FieldIssue] = (),
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    """Every error body: the message and each issue (in the reader's language where it is words as
    data) as one safe line (errors.error_line)."""
    listed = [
        IssueBody(
            field=error_line(issue.field),
            message=error_line(words(issue.text) if issue.text is not None else issue.message),
        )
        for issue in issues
    ] or None
    body = ErrorBody(status=status, message=error_line(words(message)), issues=listed)
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body.model_dump(exclude_none=True),
        headers=headers,
    )


@app.exception_handler(AutodispatchError)  # type: ignore[untyped-decorator]
def _error_response(error: AutodispatchError) -> Response[dict[str, Any]]:
    status = next(
        (status for kind, status in ERROR_STATUS if isinstance(error, kind)), HTTPStatus.SERVICE_UNAVAILABLE
    )
    if status is HTTPStatus.TOO_MANY_REQUESTS or isinstance(error.__cause__, Throttled):
        # The table's capacity, still short after the SDK's retries (a daytime burst over
        # provisioned capacity): the client repeats the request, as after the stage's own 429. An
        # import it stopped was undone, and says so.
        logger.warning("request throttled", extra={"error_type": type(error).__name__})
        said = error.text if not isinstance(error, Throttled) else None
        retry = {"Retry-After": THROTTLED_RETRY_AFTER}
        return error_response(HTTPStatus.TOO_MANY_REQUESTS, said or Text.of("busy.throttled"), headers=retry)
    if status is HTTPStatus.SERVICE_UNAVAILABLE:
        logger.warning("request failed", extra={"error_type": type(error).__name__})
    issues = error.issues if isinstance(error, InputError | ActivationRefused) else []
    return error_response(status, error.text if error.text is not None else verbatim(str(error)), issues)


@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def _invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
    issues = [
        FieldIssue.said(
            ".".join(str(part) for part in detail.get("loc", ()) if part != "body") or "body", problem(detail)
        )
        for detail in error.errors()
    ]
    message = separated(
        *(
            Text.of("invalid.field", field=issue.field, problem=issue.text or verbatim(issue.message))
            for issue in issues
        )
    )
    return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, message, issues)


_PARAMETER = "[^/]+"


@cache
def _routes() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each documented route's path pattern and method, from the OpenAPI document."""
    paths = app.get_openapi_schema().paths or {}
    return tuple(
        (
            re.compile(
                "".join(
                    _PARAMETER if part.startswith("{") else re.escape(part)
                    for part in re.split(r"(\{[^}]+\})", path)
                )
            ),
            method.upper(),
        )
        for path, item in paths.items()
        for method in ("get", "put", "post", "delete", "patch")
        if getattr(item, method, None) is not None
    )


@app.not_found
def _no_route(_: NotFoundError) -> Response[dict[str, Any]]:
    """404 for a path no route has; 405 with `Allow` for a route's path with another method."""
    event = app.current_event
    method, path = event.http_method.upper(), event.path
    allowed = sorted({m for pattern, m in _routes() if pattern.fullmatch(path)})
    if allowed and method not in allowed:
        response = error_response(
            HTTPStatus.METHOD_NOT_ALLOWED,
            Text.of("request.method_not_allowed", method=method, path=path, allowed=", ".join(allowed)),
        )
        response.headers["Allow"] = ", ".join(allowed)
        return response
    return error_response(HTTPStatus.NOT_FOUND, Text.of("request.no_route", method=method, path=path))


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def _unexpected(error: Exception) -> Response[dict[str, Any]]:
    logger.exception("unexpected error", extra={"error_type": type(error).__name__})
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, Text.of("request.internal"))


# OpenAPI ---------------------------------------------------------------------------------------


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(
        status_code=HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=app.get_openapi_json_schema(),
    )


# Tenants and settings (R1-R4) --------------------------------------------------------------------


@app.get("/tenants/<tenant_id>", tags=["settings"], responses=responses(*READS))
def get_tenant(tenant_id: TenantId, lang: LangQuery = None) -> Tenant:
    return services().store.get_tenant(tenant_id)


@app.put("/tenants/<tenant_id>", tags=["settings"], responses=responses(*CHANGES))
def put_tenant(tenant_id: TenantId, tenant: Tenant, lang: LangQuery = None) -> Tenant:
    """Create or replace the tenant; `active` and `activated_at` stay as stored (a new tenant starts
    inactive): they change only through activate/deactivate. An active one must satisfy R2."""
    _no_unknown_fields(Tenant)
    _check_path_id("tenant_id", tenant_id, tenant.tenant_id)
    s = services()
    return replace_tenant(s.store, tenant, s.zone, s.clock())


@app.get("/tenants/<tenant_id>/settings", tags=["settings"], responses=responses(*READS))
def get_settings(tenant_id: TenantId, lang: LangQuery = None) -> Settings:
    return services().store.get_tenant(tenant_id).settings


@app.put("/tenants/<tenant_id>/settings", tags=["settings"], responses=responses(*CHANGES))
def put_settings(tenant_id: TenantId, settings: Settings, lang: LangQuery = None) -> Settings:
    """Replace the settings; `active` and `activated_at` change only through activate/deactivate."""
    _no_unknown_fields(Settings)
    s = services()
    changes = settings.model_dump(exclude=set(ACTIVATION_FIELDS))
    return change_settings(s.store, tenant_id, changes, s.zone, s.clock()).settings


@app.post("/tenants/<tenant_id>/settings/activate", tags=["settings"], responses=responses(*CHANGES))
def post_activate(tenant_id: TenantId, lang: LangQuery = None) -> Activation:
    s = services()
    return activate(s.store, tenant_id, s.zone, s.clock())


@app.post("/tenants/<tenant_id>/settings/deactivate", tags=["settings"], responses=responses(*CHANGES))
def post_deactivate(tenant_id: TenantId, lang: LangQuery = None) -> Settings:
    s = services()
    return deactivate(s.store, tenant_id, s.zone, s.clock()).settings


# Invoices (R19-R22, R25) -----------------------------------------------------------------------


@app.put("/tenants/<tenant_id>/invoices/<invoice_id>", tags=["invoices"], responses=responses(*CHANGES))
def put_invoice(
    tenant_id: TenantId, invoice_id: InvoiceId, invoice: Invoice, lang: LangQuery = None
) -> InvoiceEntry:
    """Create or update the invoice (idempotent); 409 while a run is sending a changed one."""
    _no_unknown_fields(Invoice)
    _check_path_id("tenant_id", tenant_id, invoice.tenant_id)
    _check_path_id("invoice_id", invoice_id, invoice.invoice_id)
    s = services()
    return _entry(put_invoice_document(s.store, invoice, s.zone, s.clock()))


@app.get("/tenants/<tenant_id>/invoices", tags=["invoices"], responses=responses(*READS))
def list_invoices(
    tenant_id: TenantId,
    state: Annotated[
        DisplayState | None,
        Query(
            description="Only invoices the list shows in this state (`display_state`): a sent invoice "
            "is SENT (by a run), SENT_MANUALLY or IMPORTED_AS_SENT. A page can then be short: follow "
            "`next_cursor` until it is null."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT_MAX)] = 100,
    cursor: Annotated[
        str | None,
        Query(
            description="next_cursor of the previous page.",
            min_length=1,
            max_length=CURSOR_MAX_LENGTH,
            pattern=CURSOR_PATTERN,
        ),
    ] = None,
    lang: LangQuery = None,
) -> InvoicePage:
    """The open-invoices list: each invoice's `display_state`, the `actions` the server allows on it
    (the rule the action routes enforce) and its own `delivery_channel`; each PENDING invoice carries
    what the next night will do with it."""
    s = services()
    # An unknown tenant is 404: open_invoices reads the tenant for the previews.
    return open_invoices(s.store, tenant_id, state, limit, cursor, s.clock(), s.zone, reader_language())


@app.get("/tenants/<tenant_id>/invoices/<invoice_id>", tags=["invoices"], responses=responses(*READS))
def get_invoice(tenant_id: TenantId, invoice_id: InvoiceId, lang: LangQuery = None) -> InvoiceEntry:
    """The message, the detailed explanation and the history (R19), with the list's `display_state`
    and `actions`."""
    store = services().store
    store.get_tenant(tenant_id)
    return _entry(store.get_record(_key(tenant_id, invoice_id)))


@app.post(
    "/tenants/<tenant_id>/invoices/<invoice_id>/remove-auto", tags=["invoices"], responses=responses(*CHANGES)
)
def post_remove_auto(tenant_id: TenantId, invoice_id: InvoiceId, lang: LangQuery = None) -> InvoiceEntry:
    s = services()
    return _entry(remove_automatic_dispatch(s.store, _key(tenant_id, invoice_id), s.clock))


@app.post(
    "/tenants/<tenant_id>/invoices/<invoice_id>/restore-auto",
    tags=["invoices"],
    responses=responses(*CHANGES),
)
def post_restore_auto(tenant_id: TenantId, invoice_id: InvoiceId, lang: LangQuery = None) -> InvoiceEntry:
    s = services()
    return _entry(restore_automatic_dispatch(s.store, _key(tenant_id, invoice_id), s.clock, s.zone))


@app.post("/tenants/<tenant_id>/invoices/<invoice_id>/send", tags=["invoices"], responses=responses(*CHANGES))
def post_send(
    tenant_id: TenantId,
    invoice_id: InvoiceId,
    request: Annotated[SendRequest | None, Body()] = None,
    lang: LangQuery = None,
) -> ManualSendEntry:
    """Send the unsent invoice now (R22), by `channel` or through the settings' chain."""
    s = services()
    channel = request.channel if request is not None else None
    sent = send_manually(s.store, s.deliverer(), s.clock, _key(tenant_id, invoice_id), channel, zone=s.zone)
    return ManualSendEntry.of(sent)


# Runs (system clients granted every tenant) ----------------------------------------------------


@app.get("/runs", tags=["runs"], responses=responses())
def list_runs(
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT_MAX)] = 20, lang: LangQuery = None
) -> list[RunSummary]:
    return services().store.list_runs(limit)


@app.get("/runs/<run_id>", tags=["runs"], responses=responses(HTTPStatus.NOT_FOUND))
def get_run(run_id: RunId, lang: LangQuery = None) -> RunDetailEntry:
    """Step Functions' status of the run, its counts and the invoices it could not send."""
    s = services()
    return RunDetailEntry.of(run_detail(s.store, s.runs(), run_id))


@app.post("/runs", tags=["runs"], responses=responses(success=HTTPStatus.ACCEPTED, model=StartedRun))
def post_run(request: RunRequest, lang: LangQuery = None) -> Response[Any]:
    """Start the run of `run_date` as the schedule would: tonight's or a night that has passed
    (catch-up, R10), never one that has not come (400). Its id is the execution name."""
    s = services()
    check_run_date(request.run_date, s.clock(), s.zone)
    started = start_run(s.runs(), request.run_date, origin="api")
    return Response(
        status_code=HTTPStatus.ACCEPTED,
        content_type=content_types.APPLICATION_JSON,
        body=started.model_dump(mode="json"),
    )
