"""The three task handlers called as Step Functions calls them: the payload the state machine builds,
a Lambda context, the production wiring (store, work list, deliverer, notifier) on moto."""

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from pydantic import ValidationError

from autodispatch import wiring
from autodispatch.channels.deliverer import build_deliverer
from autodispatch.config import load_config
from autodispatch.i18n import render
from autodispatch.models.enums import AutoDispatchState, HistoryEventKind
from autodispatch.models.scenario import InvoiceKey
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.port import RunCounts
from autodispatch_cli.local.runtime import LocalLambdaContext
from dispatch_invoice import handler as dispatch_invoice
from notify_failures import handler as notify_failures
from select_invoices import handler as select_invoices

BUCKET = "autodispatch-handlers"
EXECUTIONS = "arn:aws:states:eu-north-1:123456789012:execution:Autodispatch-NightlyRun"
SENDER = "laskut@autodispatch.example"
# 00:05 in Helsinki on 10 March 2026, as the scheduler starts the night's execution.
STARTED_AT = "2026-03-09T22:05:00Z"


@pytest.fixture
def deployed(
    loaded: DynamoDbInvoiceStore, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[DynamoDbInvoiceStore]:
    """The demo scenario in the table, the bucket and the SES identity, the functions' environment."""
    for name, value in {
        "TABLE_NAME": loaded.table_name,
        "BUCKET_NAME": BUCKET,
        "SENDER_EMAIL": SENDER,
        "POWERTOOLS_METRICS_NAMESPACE": "Autodispatch",
        "POWERTOOLS_SERVICE_NAME": "autodispatch",
    }.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"}
    )
    boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER)
    wiring.reset()
    yield loaded
    wiring.reset()
    load_config.cache_clear()


def _context(function: str) -> Any:
    return LocalLambdaContext(function_name=function)


def _metrics(printed: str) -> list[dict[str, Any]]:
    """The CloudWatch embedded-metric documents Powertools printed."""
    return [json.loads(line) for line in printed.splitlines() if line.startswith('{"_aws"')]


def _select(execution: str) -> dict[str, Any]:
    event = {
        "execution_name": execution,
        "execution_id": f"{EXECUTIONS}:{execution}",
        "started_at": STARTED_AT,
        "input": {},
    }
    return select_invoices.handler(event, _context("SelectInvoices"))


def test_r6_select_handler_takes_the_scheduled_night_and_writes_the_work_list(deployed: Any) -> None:
    selection = _select("night-1")

    assert selection["run"] == {"run_id": "night-1", "run_date": "2026-03-10"}
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key=selection["work_list"]["key"])["Body"].read()
    batches = json.loads(body)
    keys = [key for batch in batches for key in batch["keys"]]
    assert len(keys) == selection["invoice_count"] == 10
    assert len(batches) == selection["batch_count"]


def test_r24_dispatch_handler_sends_a_batch_and_counts_per_channel(
    deployed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    selection = _select("night-2")
    batches = json.loads(
        boto3.client("s3").get_object(Bucket=BUCKET, Key=selection["work_list"]["key"])["Body"].read()
    )
    capsys.readouterr()

    results = [
        dispatch_invoice.handler({"run": selection["run"], "batch": batch}, _context("DispatchInvoice"))
        for batch in batches
    ]

    counts = {
        name: sum(result["counts"][name] for result in results) for name in ("sent", "ignored", "failed")
    }
    # The demo's night of 10 March: k-1001, k-1008, k-1009 by Finvoice and k-1011 by Peppol, k-1002,
    # k-1003 by email, k-1004 by print; t-501 ignored (R11); k-1005 and t-503 failed (R12, R16).
    assert counts == {"sent": 7, "ignored": 1, "failed": 2}
    sent_by_channel: dict[str, float] = {}
    for document in _metrics(capsys.readouterr().out):
        if "Channel" in document:
            sent_by_channel[document["Channel"]] = sum(document["InvoicesSent"])
    assert sent_by_channel == {"EINVOICE": 4, "EMAIL": 2, "PRINT": 1}


def test_r21_notify_handler_reports_each_tenant_once(deployed: Any) -> None:
    selection = _select("night-3")
    batches = json.loads(
        boto3.client("s3").get_object(Bucket=BUCKET, Key=selection["work_list"]["key"])["Body"].read()
    )
    for batch in batches:
        dispatch_invoice.handler({"run": selection["run"], "batch": batch}, _context("DispatchInvoice"))

    def notify(step: str, **fields: Any) -> dict[str, Any]:
        event = {"step": step, "run": selection["run"], **fields}
        answer: dict[str, Any] = notify_failures.handler(event, _context("NotifyFailures"))
        return answer

    plan = notify("plan", work_list=selection["work_list"])
    (chunk,) = plan["chunks"]
    first = notify("chunk", chunk=chunk)
    retried = notify("chunk", chunk=chunk)
    finished = notify("finish", results=[first, retried])

    assert plan["tenants"] == chunk["tenants"] >= 1
    assert plan["concurrency"] == 1  # 14 emails/s (SES_SEND_RATE unset) fits one chunk at a time
    assert first["tenants_notified"] >= 1
    assert first["emails"] + first["sms"] >= 1
    assert retried == {"tenants_notified": 0, "emails": 0, "sms": 0}
    assert finished == first


@pytest.mark.parametrize(
    ("handler", "event", "field"),
    [
        (select_invoices.handler, {"execution_id": "x", "started_at": STARTED_AT}, "execution_name"),
        (
            select_invoices.handler,
            {"execution_name": "n", "execution_id": "x", "started_at": "yesterday"},
            "started_at",
        ),
        (dispatch_invoice.handler, {"run": {"run_id": "r", "run_date": "2026-03-10"}}, "batch"),
        (
            dispatch_invoice.handler,
            {"run": {"run_id": "r", "run_date": "10.3."}, "batch": {"keys": []}},
            "run_date",
        ),
        (notify_failures.handler, {"step": "plan"}, "run"),
        (
            notify_failures.handler,
            {"step": "chunk", "run": {"run_id": "r", "run_date": "2026-03-10"}},
            "chunk",
        ),
    ],
)
def test_r25_a_malformed_task_input_is_a_validation_error_naming_the_field(
    deployed: Any, handler: Any, event: dict[str, Any], field: str
) -> None:
    # A ValidationError is not in the state machine's Retry list: a permanent failure, not a retry.
    with pytest.raises(ValidationError) as raised:
        handler(event, _context("Any"))
    assert field in {str(part) for error in raised.value.errors() for part in error["loc"]}


def test_r23_dispatch_handler_run_twice_on_one_batch_sends_nothing_twice(deployed: Any) -> None:
    selection = _select("night-4")
    batches = json.loads(
        boto3.client("s3").get_object(Bucket=BUCKET, Key=selection["work_list"]["key"])["Body"].read()
    )
    first = [
        dispatch_invoice.handler({"run": selection["run"], "batch": b}, _context("DispatchInvoice"))
        for b in batches
    ]
    again = [
        dispatch_invoice.handler({"run": selection["run"], "batch": b}, _context("DispatchInvoice"))
        for b in batches
    ]

    assert sum(result["counts"]["sent"] for result in first) == 7
    assert all(result["counts"] == RunCounts().model_dump() for result in again)


def test_issue21_an_ses_account_fault_stops_email_fails_its_invoices_in_words_and_raises_the_metric(
    deployed: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SES answers the first email with AccountSuspendedException (a stub: moto has no suspended
    account). Nothing goes to paper instead, no further email is tried (the stub would refuse an
    unexpected call), and the dispatch function publishes the count the operator's alarm watches.
    One worker: with several, an email already in flight when the fault came gets SES's own answer
    (botocore's Stubber answers one thread; tests/unit/test_logic_dispatch_workers.py has the latch
    across workers)."""
    monkeypatch.setenv("DISPATCH_WORKERS", "1")
    load_config.cache_clear()  # the fixture clears it again after the test
    selection = _select("night-3")
    batches = json.loads(
        boto3.client("s3").get_object(Bucket=BUCKET, Key=selection["work_list"]["key"])["Body"].read()
    )
    ses = boto3.client("sesv2")
    stub = Stubber(ses)
    stub.add_client_error("send_email", service_error_code="AccountSuspendedException", http_status_code=400)
    stub.activate()
    deliverer = build_deliverer(load_config(), sesv2_client=ses)
    capsys.readouterr()

    results = [
        dispatch_invoice.handler(
            {"run": selection["run"], "batch": batch}, _context("DispatchInvoice"), deliverer=deliverer
        )
        for batch in batches
    ]

    stub.assert_no_pending_responses()
    records = deployed.get_records(
        [InvoiceKey(tenant_id="kahvila", invoice_id=i) for i in ("k-1002", "k-1003")]
    )
    for record in records.values():
        assert (record.state, record.channel) == (AutoDispatchState.FAILED, None)
        assert "sending is suspended for the sender's account" in render(record.message, "en")
        assert "AccountSuspended" not in render(record.details, "en")
    # k-1009 went by e-invoice after the fault; its financier's copy, by email, was not tried.
    copy = deployed.get_record(InvoiceKey(tenant_id="kahvila", invoice_id="k-1009")).history[-1]
    assert copy.event is HistoryEventKind.FACTORING_FAILED
    assert "sending is suspended for the sender's account" in render(copy.detail, "en")
    faults = sum(result["email_account_faults"] for result in results)
    published = sum(
        sum(document["EmailAccountFaults"])
        for document in _metrics(capsys.readouterr().out)
        if "EmailAccountFaults" in document
    )
    assert faults == published == 2
