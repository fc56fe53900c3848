"""Deploy the system into moto and run nights with the same state-machine definition and the same
handler code that `cdk deploy` ships.

moto cannot run Lambda code without Docker, so the functions it hosts are answered in-process by
the real handler modules. Two adaptations of the shared definition are needed for moto 5.2.5, and
only those: the placeholders get local values, and the Distributed Map's child executions run as
STANDARD because moto's ASL grammar accepts no EXPRESS there.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import os
import threading
import time
import urllib.request
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
import moto.awslambda.models as moto_lambda
import moto.dynamodb.models as moto_dynamodb
from aws_lambda_powertools.metrics.provider import cold_start
from moto import mock_aws

from autodispatch import wiring
from autodispatch.observability import metrics
from autodispatch.runs.port import TERMINAL
from autodispatch.store.table_schema import create_table_kwargs
from autodispatch_cli.local.mailbox_simulator import MailboxSimulator, sqs_event

REGION = "eu-north-1"
ACCOUNT = "123456789012"
TABLE_NAME = "autodispatch-local"
BUCKET_NAME = "autodispatch-local-123456789012"
SENDER = "autodispatch@billing.example"
STATE_MACHINE_NAME = "autodispatch-nightly-run"
DEFINITION_FILE = Path(__file__).resolve().parents[3] / "statemachine" / "nightly_run.asl.json"
FUNCTIONS = {
    "SelectInvoices": "select_invoices.handler",
    "DispatchInvoice": "dispatch_invoice.handler",
    "NotifyFailures": "notify_failures.handler",
    # Not in the state machine: SES delivery events reach it through EventBridge and SQS (R26).
    "RecordDeliveryEvents": "record_delivery_events.handler",
    # Not in the state machine: `local serve` hands it the HTTP API's requests (R27).
    "IntegrationApi": "api.handler",
}
FEEDBACK_FUNCTION = "RecordDeliveryEvents"
# Each function's timeout and memory as deployed (cdk/constructs/functions.py SPECS; the
# infrastructure tests keep the two equal): the local context reports the time left of this
# timeout, and the bench bills each invocation at this memory.
FUNCTION_TIMEOUT_SECONDS = {
    "SelectInvoices": 900.0,
    "DispatchInvoice": 70.0,
    "NotifyFailures": 300.0,
    "RecordDeliveryEvents": 60.0,
    "IntegrationApi": 29.0,
}
FUNCTION_MEMORY_MB = {
    "SelectInvoices": 1769,
    "DispatchInvoice": 512,
    "NotifyFailures": 1769,
    "RecordDeliveryEvents": 512,
    "IntegrationApi": 1024,
}
LOCAL_MAX_CONCURRENCY = 4

Handler = Callable[[dict[str, Any], Any], Any]


def definition_path() -> Path:
    """The one state-machine definition (next to the project; an installed CLI finds it too)."""
    return DEFINITION_FILE


def render_definition(arns: dict[str, str], max_concurrency: int) -> str:
    """The shared definition with its placeholders filled in, as CDK does at deploy time."""
    text = definition_path().read_text(encoding="utf-8")
    for name, arn in arns.items():
        text = text.replace(f"${{{name}FunctionArn}}", arn)
    text = text.replace("${DocumentBucketName}", BUCKET_NAME)
    return text.replace("${MaxConcurrency}", str(max_concurrency))


def adapt_for_moto(definition: str) -> str:
    """moto 5.2.5 accepts only STANDARD child executions in a Distributed Map."""
    document = json.loads(definition)
    for state in _walk_states(document):
        config = state.get("ItemProcessor", {}).get("ProcessorConfig", {})
        if config.get("ExecutionType") == "EXPRESS":
            config["ExecutionType"] = "STANDARD"
    return json.dumps(document)


def _walk_states(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for state in document.get("States", {}).values():
        yield state
        for nested in ("ItemProcessor", "Iterator"):
            if nested in state:
                yield from _walk_states(state[nested])
        for branch in state.get("Branches", []):
            yield from _walk_states(branch)


@dataclass
class LocalLambdaContext:
    """What Powertools and the handlers read from a Lambda context. As in Lambda, the time left is
    the function's timeout less the time since the invocation started (the dispatch time guard
    reads it)."""

    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local"
    timeout_seconds: float = 300.0
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=-1.0)

    def __post_init__(self) -> None:
        if self.started < 0:
            self.started = self.clock()

    def get_remaining_time_in_millis(self) -> int:
        left = self.timeout_seconds - (self.clock() - self.started)
        return max(0, int(left * 1000))


def import_handler(module_name: str) -> Handler:
    module = __import__(module_name, fromlist=["handler"])
    handler: Handler = module.handler
    return handler


class LocalAws:
    """Embedded AWS with everything deployed into it. Use as a context manager.

    `handlers` replaces a function's handler (fault-injection tests); `port` starts moto's server on
    127.0.0.1 so `aws --endpoint-url` and the CLI (AWS_ENDPOINT_URL) can reach it.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        handlers: dict[str, Handler] | None = None,
        batch_size: int = 50,
        environment: dict[str, str] | None = None,
        max_concurrency: int = LOCAL_MAX_CONCURRENCY,
        timeouts: dict[str, float] | None = None,
    ) -> None:
        self.port = port
        self._handler_overrides = handlers or {}
        self._batch_size = batch_size
        self._max_concurrency = max_concurrency
        self._timeouts = {**FUNCTION_TIMEOUT_SECONDS, **(timeouts or {})}
        self._extra_environment = environment or {}
        self._verbose = os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING").upper() in {"DEBUG", "INFO"}
        self._stack = contextlib.ExitStack()
        self.function_arns: dict[str, str] = {}
        self.state_machine_arn = ""
        self.api_url = ""  # the integration API's, when `local serve` runs one
        self.web_url = ""  # the tenant view's, when `local serve` runs one
        self.invocations: list[tuple[str, dict[str, Any]]] = []
        self.mailbox = MailboxSimulator()

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> LocalAws:
        self._stack.enter_context(patched_environment(self._environment()))
        self._stack.enter_context(_quiet_logs(os.environ["POWERTOOLS_LOG_LEVEL"]))
        if self.port is None:
            self._stack.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        else:
            self._stack.enter_context(_moto_server(self.port))
        self._stack.enter_context(_in_process_lambda(self._invoke))
        self._stack.enter_context(self.mailbox.watching_sends())
        self._stack.enter_context(_atomic_dynamodb_writes())
        wiring.reset()
        self._stack.callback(wiring.reset)
        self._deploy()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stack.close()

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]

    def _environment(self) -> dict[str, str | None]:
        environment: dict[str, str | None] = {
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "TABLE_NAME": TABLE_NAME,
            "BUCKET_NAME": BUCKET_NAME,
            "SENDER_EMAIL": SENDER,
            "BATCH_SIZE": str(self._batch_size),
            "POWERTOOLS_SERVICE_NAME": "autodispatch",
            "POWERTOOLS_METRICS_NAMESPACE": "Autodispatch",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            # Metrics (EMF) go to stdout, which CloudWatch reads in Lambda; a local run keeps stdout
            # for its report and prints them only when asked for logs.
            "POWERTOOLS_METRICS_DISABLED": "false" if self._verbose else "true",
            "MOTO_ALLOW_NONEXISTENT_REGION": "true",
        }
        # None unsets: a shell that still exports the address of a `local serve` or a profile must
        # not steer the embedded run's clients elsewhere.
        environment["AWS_PROFILE"] = None
        environment["AWS_ENDPOINT_URL"] = None if self.port is None else f"http://127.0.0.1:{self.port}"
        if self.port is not None:
            environment["MOTO_PORT"] = str(self.port)
        return {**environment, **self._extra_environment}

    # -- deployment ------------------------------------------------------------------------------
    def _deploy(self) -> None:
        self.client("dynamodb").create_table(**create_table_kwargs(TABLE_NAME))
        self.client("s3").create_bucket(
            Bucket=BUCKET_NAME, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        self.client("sesv2").create_email_identity(EmailIdentity=SENDER)
        role = self.client("iam").create_role(
            RoleName="autodispatch-local", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
        )["Role"]["Arn"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("handler.py", "# answered in-process by the local runtime\n")
        lambda_client = self.client("lambda")
        for name in FUNCTIONS:
            self.function_arns[name] = lambda_client.create_function(
                FunctionName=f"autodispatch-{name}",
                Runtime="python3.13",
                Role=role,
                Handler="handler.handler",
                Code={"ZipFile": code.getvalue()},
                Architectures=["arm64"],
            )["FunctionArn"]
        definition = adapt_for_moto(render_definition(self.function_arns, self._max_concurrency))
        self.state_machine_arn = self.client("stepfunctions").create_state_machine(
            name=STATE_MACHINE_NAME, definition=definition, roleArn=role
        )["stateMachineArn"]

    def _invoke(self, function_name: str, payload: dict[str, Any]) -> tuple[str, bool]:
        name = function_name.removeprefix("autodispatch-")
        handler = self._handler_overrides.get(name) or import_handler(FUNCTIONS[name])
        self.invocations.append((name, payload))
        context = LocalLambdaContext(
            function_name=function_name,
            memory_limit_in_mb=FUNCTION_MEMORY_MB[name],
            timeout_seconds=self._timeouts[name],
        )
        try:
            result = handler(payload, context)
        except Exception as error:
            return json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}), True
        finally:
            self.deliver_mail_events()
            if not self._verbose:
                # With metrics disabled, Powertools neither prints nor clears them after an
                # invocation as it does in Lambda, and at 100 values it prints them anyway.
                metrics.clear_metrics()
        return json.dumps(result), False

    def deliver_mail_events(self) -> None:
        """What SES would publish for the simulator addresses mailed so far, through the real
        RecordDeliveryEvents handler; an event it could not handle yet is offered again later."""
        events = self.mailbox.drain()
        if not events:
            return
        batch = sqs_event(events)
        body, errored = self._invoke(f"autodispatch-{FEEDBACK_FUNCTION}", batch)
        failed = (
            {record["messageId"] for record in batch["Records"]}  # the whole batch goes back
            if errored
            else {failure["itemIdentifier"] for failure in json.loads(body)["batchItemFailures"]}
        )
        for record, event in zip(batch["Records"], events, strict=True):
            if record["messageId"] in failed:
                self.mailbox.offer_again(event)

    # -- runs --------------------------------------------------------------------------------------
    def start_night(self, run_date: date, name: str) -> str:
        return str(
            self.client("stepfunctions").start_execution(
                stateMachineArn=self.state_machine_arn,
                name=name,
                input=json.dumps({"run_date": run_date.isoformat()}),
            )["executionArn"]
        )

    def wait(self, execution_arns: list[str], timeout_seconds: float = 300.0) -> dict[str, str]:
        """Poll until every execution ends (bounded); returns the status of each."""
        client = self.client("stepfunctions")
        deadline = time.monotonic() + timeout_seconds
        statuses: dict[str, str] = {}
        delay = 0.01
        while True:
            statuses = {arn: client.describe_execution(executionArn=arn)["status"] for arn in execution_arns}
            if all(status in TERMINAL for status in statuses.values()) or time.monotonic() > deadline:
                return statuses
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


@contextlib.contextmanager
def patched_environment(values: dict[str, str | None]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _quiet_logs(level: str) -> Iterator[None]:
    """A local run shows its report, not the functions' JSON logs or moto's notes on the emulation
    (set POWERTOOLS_LOG_LEVEL=INFO to see them)."""
    from autodispatch.observability import logger  # noqa: PLC0415 - created at import, before our env

    moto_logger = logging.getLogger("moto")
    saved = (logger.log_level, moto_logger.level)
    if logging.getLevelName(level) > logging.INFO:
        # The cold-start metric is printed even with metrics disabled; locally there is no cold
        # start worth measuring.
        cold_start.is_cold_start = False
    logger.setLevel(level)
    # moto warns about every emulation gap it notices, even where the run is unaffected.
    moto_logger.setLevel(max(logging.ERROR, logging.getLevelName(level)))
    try:
        yield
    finally:
        logger.setLevel(saved[0])
        moto_logger.setLevel(saved[1])


@contextlib.contextmanager
def _atomic_dynamodb_writes() -> Iterator[None]:
    """DynamoDB applies a conditional write atomically; moto checks and then writes, and concurrent
    executions run on threads here, so two claims could both pass their condition. One lock around
    moto's writes restores DynamoDB's guarantee that R23 is built on. Reads take it too: a moto
    query iterates the table's dict, which a concurrent put of a new key changes mid-iteration."""
    lock = threading.RLock()
    backend = moto_dynamodb.DynamoDBBackend
    originals = {name: getattr(backend, name) for name in _DYNAMODB_WRITES}

    def atomic(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def locked(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return locked

    for name, method in originals.items():
        setattr(backend, name, atomic(method))
    try:
        yield
    finally:
        for name, method in originals.items():
            setattr(backend, name, method)


_DYNAMODB_WRITES = (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "batch_write_item",
    # reads, for moto's sake (see above)
    "get_item",
    "query",
)


@contextlib.contextmanager
def _in_process_lambda(invoke: Callable[[str, dict[str, Any]], tuple[str, bool]]) -> Iterator[None]:
    original = moto_lambda.LambdaFunction._invoke_lambda

    def invoke_in_process(function: Any, event: Any = None) -> tuple[str, bool, str]:
        payload = json.loads(event) if isinstance(event, str | bytes) else (event or {})
        body, errored = invoke(function.function_name, payload)
        return body, errored, ""

    moto_lambda.LambdaFunction._invoke_lambda = invoke_in_process  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        moto_lambda.LambdaFunction._invoke_lambda = original  # type: ignore[method-assign]


@contextlib.contextmanager
def _moto_server(port: int) -> Iterator[None]:
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer  # noqa: PLC0415 - server mode only

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        _enable_executions(port)
        yield
    finally:
        server.stop()


def _enable_executions(port: int) -> None:
    """The server's equivalent of mock_aws(config=...): let state machines really execute."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/moto-api/config",
        data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5):  # noqa: S310
        pass
