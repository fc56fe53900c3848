"""The night at its limits, on the real state machine in moto: batches that fail for good, a child
that dies outside the function, SES throttling. A completed run leaves nothing it took PENDING (R24)
and still reports (R21)."""

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.handlers import BUILTIN_HANDLERS
from test_nightly_run import EXPECTED, NIGHTS, assert_exactly_one_delivery_per_sent_invoice, outcomes

import dispatch_invoice.handler as dispatch_handler
from autodispatch import wiring
from autodispatch.errors import TransientError
from autodispatch.models.enums import Language
from autodispatch.models.scenario import Scenario
from autodispatch.store.work_list import MAP_RESULTS_PREFIX
from autodispatch_cli.local.night_run import run_scenario
from autodispatch_cli.local.runtime import BUCKET_NAME, LocalAws

pytestmark = pytest.mark.e2e

FIRST_NIGHT = NIGHTS[:1]
# The nine invoices the first night selects: sent, ignored and failed by the rules.
SELECTED_FIRST_NIGHT = {key for key, (_, _, sent_on) in EXPECTED.items() if sent_on == "2026-03-10"} | {
    "k-1005",
    "t-501",
    "t-503",
}


class FunctionDied(Exception):
    """What Step Functions sees when the function fails for good (every retry) on a batch."""


def _first_night(scenario: Scenario, dispatch: Any) -> dict[str, Any]:
    """Batches of two: the demo's nine due invoices make five batches, each failing on its own.
    The map itself completes, its results written to S3 (ResultWriter), its output bounded."""
    with LocalAws(handlers={"DispatchInvoice": dispatch}, batch_size=2) as local:
        report = run_scenario(scenario, FIRST_NIGHT, local=local)
        (execution,) = report["runs"][0]["executions"]
        arn = f"{local.state_machine_arn.replace(':stateMachine:', ':execution:')}:{execution['name']}"
        output = json.loads(local.client("stepfunctions").describe_execution(executionArn=arn)["output"])
        results = local.client("s3").list_objects_v2(Bucket=BUCKET_NAME, Prefix=MAP_RESULTS_PREFIX)
    assert "dispatch_error" not in output
    assert [item["Key"].rsplit("/", 1)[-1] for item in results["Contents"]] == ["manifest.json"]
    return report


def _failed_by_the_run(report: dict[str, Any]) -> set[str]:
    return {
        i["invoice_id"]
        for i in report["invoices"]
        if i["auto_dispatch"] == "FAILED" and "could not dispatch this invoice" in (i["message"] or "")
    }


def test_r24_every_batch_failing_still_settles_and_reaches_notify_failures(demo_scenario: Scenario) -> None:
    def dispatch_fails(event: dict[str, Any], context: Any) -> Any:
        if "failure" in event:  # the state machine's catch: the real settlement of the batch
            return dispatch_handler.handler(event, context)
        raise FunctionDied("the batch cannot be dispatched")

    report = _first_night(demo_scenario, dispatch_fails)
    (run,) = report["runs"]
    assert [e["status"] for e in run["executions"]] == ["SUCCEEDED"]
    # Every invoice the run took is FAILED with the batch's error; none is left PENDING.
    assert _failed_by_the_run(report) == SELECTED_FIRST_NIGHT
    failed = next(i for i in report["invoices"] if i["invoice_id"] == "k-1001")
    assert "FunctionDied" in failed["message"]
    assert (run["selected"], run["sent"], run["ignored"], run["failed"]) == (10, 0, 0, 10)
    assert report["deliveries"] == []
    # R21: each tenant is told, the settled invoices included.
    notified = {(n["tenant_id"], n["kind"]) for n in report["notifications"]}
    assert notified == {("kahvila", "EMAIL"), ("kahvila", "SMS"), ("tilitoimisto", "EMAIL")}
    kahvila = next(n for n in report["notifications"] if (n["tenant_id"], n["kind"]) == ("kahvila", "EMAIL"))
    assert "could not dispatch" in kahvila["body"]


def test_r24_children_dying_outside_the_function_are_settled_by_the_last_step(
    demo_scenario: Scenario,
) -> None:
    """Even the catch fails (a child cut off by the Express limit runs no catch): the map tolerates
    it and NotifyFailures settles the work list's pending invoices from S3 before it reports."""

    def nothing_works(event: dict[str, Any], context: Any) -> Any:
        raise FunctionDied("the child execution is gone")

    report = _first_night(demo_scenario, nothing_works)
    (run,) = report["runs"]
    assert [e["status"] for e in run["executions"]] == ["SUCCEEDED"]
    assert _failed_by_the_run(report) == SELECTED_FIRST_NIGHT
    assert (run["selected"], run["failed"]) == (10, 10)
    assert {i["invoice_id"] for i in report["invoices"] if i["auto_dispatch"] == "PENDING"} == {
        "k-1010",  # due the next night (R6)
        "t-502",  # invoice date the next day (R7)
        "t-504",  # source not enabled (R3)
    }
    assert {n["tenant_id"] for n in report["notifications"]} == {"kahvila", "tilitoimisto"}


@pytest.fixture
def ses_throttles_first_sends() -> Iterator[dict[str, int]]:
    """SES refuses the first sends with its throttling error, as an account over its rate does."""
    state = {"throttled": 0, "limit": 3}

    def throttle(model: Any, **_: Any) -> Any:
        if model.service_model.service_name != "sesv2" or model.name != "SendEmail":
            return None
        if state["throttled"] >= state["limit"]:
            return None
        state["throttled"] += 1
        error = {"Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate exceeded."}}
        return AWSResponse("", 429, {}, None), {**error, "ResponseMetadata": {"HTTPStatusCode": 429}}

    BUILTIN_HANDLERS.append(("before-call", throttle))
    try:
        yield state
    finally:
        BUILTIN_HANDLERS.remove(("before-call", throttle))


def test_r24_ses_throttling_of_the_first_sends_still_sends_every_invoice_in_the_run(
    demo_scenario: Scenario, ses_throttles_first_sends: dict[str, int]
) -> None:
    report = run_scenario(demo_scenario, NIGHTS)
    assert ses_throttles_first_sends["throttled"] == 3
    assert all(e["status"] == "SUCCEEDED" for run in report["runs"] for e in run["executions"])
    assert outcomes(report) == EXPECTED
    assert_exactly_one_delivery_per_sent_invoice(report)
    first = report["runs"][0]
    assert (first["selected"], first["sent"], first["ignored"], first["failed"]) == (10, 7, 1, 2)


class _SlowChannels:
    """The real deliverer, each delivery taking `seconds` of the invocation's (simulated) time."""

    def __init__(self, clock: "_InvocationClock", seconds: float) -> None:
        self._clock = clock
        self._seconds = seconds
        self._real = wiring.deliverer()

    def deliver(self, *args: Any) -> Any:
        self._clock.now += self._seconds
        return self._real.deliver(*args)

    def deliver_factoring(self, *args: Any) -> Any:
        self._clock.now += self._seconds
        return self._real.deliver_factoring(*args)

    def transmission_for(self, *args: Any) -> Any:
        return self._real.transmission_for(*args)

    def transmit(self, attempt: str) -> Any:
        return self._real.transmit(attempt)

    def abandon(self, attempt: str) -> None:
        self._real.abandon(attempt)

    def transmitted(self, key: str) -> bool:
        return self._real.transmitted(key)

    def flush_archive(self) -> bool:
        return self._real.flush_archive()

    def recover_copies(self, *args: Any) -> int:
        return self._real.recover_copies(*args)


class _InvocationClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_r24_a_batch_short_of_time_hands_the_rest_back_and_the_retry_finishes_it(
    demo_scenario: Scenario,
) -> None:
    """The time guard (logic/dispatch.py) reads the local context's real remaining time (timeout less
    elapsed): with a 40 s timeout and the 30 s reserve, an invocation whose deliveries take 4 s each
    stops after three, hands the rest back unclaimed, and the state machine's retry finishes them.
    Nothing times out, nothing is in doubt, each invoice is delivered once."""
    timeout = 40.0
    elapsed: list[float] = []
    handed_back: list[str] = []

    def slow_dispatch(event: dict[str, Any], context: Any) -> Any:
        clock = _InvocationClock()
        timed = dataclasses.replace(context, clock=clock, started=clock())
        try:
            return dispatch_handler.handler(event, timed, deliverer=_SlowChannels(clock, 4.0))
        except TransientError as error:
            handed_back.append(str(error))
            raise
        finally:
            elapsed.append(clock.now)

    with LocalAws(
        handlers={"DispatchInvoice": slow_dispatch}, timeouts={"DispatchInvoice": timeout}
    ) as local:
        report = run_scenario(demo_scenario, FIRST_NIGHT, local=local)
    (run,) = report["runs"]
    assert [e["status"] for e in run["executions"]] == ["SUCCEEDED"]
    assert (run["selected"], run["sent"], run["ignored"], run["failed"]) == (10, 7, 1, 2)
    assert not [i for i in report["invoices"] if "doubt" in (i["message"] or "")]
    assert_exactly_one_delivery_per_sent_invoice(report)
    # The guard stopped invocations early, and none ran into its timeout.
    assert handed_back
    assert all("left for a retry" in reason for reason in handed_back)
    assert max(elapsed) < timeout


FINANCIER = "factoring@rahoitus.example"


@pytest.fixture
def ses_throttles_the_financiers_copy() -> Iterator[list[str]]:
    """SES refuses every email to the financier (k-1009's factoring copy, R17) with its throttling
    error; every other email goes. The list collects the throttled sends."""
    throttled: list[str] = []

    def throttle(model: Any, params: dict[str, Any], **_: Any) -> Any:
        if model.service_model.service_name != "sesv2" or model.name != "SendEmail":
            return None
        if FINANCIER.encode() not in params["body"]:  # the request's JSON: its Destination
            return None
        throttled.append(FINANCIER)
        error = {"Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate exceeded."}}
        return AWSResponse("", 429, {}, None), {**error, "ResponseMetadata": {"HTTPStatusCode": 429}}

    BUILTIN_HANDLERS.append(("before-call", throttle))
    try:
        yield throttled
    finally:
        BUILTIN_HANDLERS.remove(("before-call", throttle))


def test_r17_r21_r23_r24_a_copy_throttled_at_every_attempt_of_its_batch_is_not_sent_and_reported(
    demo_scenario: Scenario, ses_throttles_the_financiers_copy: list[str]
) -> None:
    """Issue 21: the real dispatch on the state machine; SES throttles the financier's copy at every
    invocation of the batch, the catch settles it. The customer got the invoice (SENT); the copy is
    said not sent because the service was busy, never in doubt; the run counts it and the tenant's
    notification (in Finnish) says it."""
    kahvila = next(tenant for tenant in demo_scenario.tenants if tenant.tenant_id == "kahvila")
    finnish = kahvila.model_copy(
        update={"settings": kahvila.settings.model_copy(update={"language": Language.FI})}
    )
    scenario = demo_scenario.model_copy(
        update={"tenants": [finnish if t.tenant_id == "kahvila" else t for t in demo_scenario.tenants]}
    )
    report = run_scenario(scenario, FIRST_NIGHT)
    assert len(ses_throttles_the_financiers_copy) == 3  # the batch's first invocation and its two retries
    (run,) = report["runs"]
    assert [e["status"] for e in run["executions"]] == ["SUCCEEDED"]
    assert (run["selected"], run["sent"], run["ignored"], run["failed"]) == (10, 7, 1, 2)
    assert run["follow_ups_failed"] == 1  # the copy, reported like a failed invoice (R17)
    invoice = next(i for i in report["invoices"] if i["invoice_id"] == "k-1009")
    assert (invoice["auto_dispatch"], invoice["channel"], invoice["sent_on"]) == (
        "SENT",
        "EINVOICE",
        "2026-03-10",
    )
    assert "doubt" not in (invoice["message"] or "") + (invoice["details"] or "")
    copy_events = [
        (e["event"], e["detail"]) for e in invoice["history"] if e["event"].startswith("FACTORING")
    ]
    busy = (
        "factoring message to Rahoitus Oy was not sent: the service was busy (the email service is "
        "throttling sends (TooManyRequestsException)); send it manually"
    )
    assert copy_events == [
        *[("FACTORING_DEFERRED", "the email service is throttling sends (TooManyRequestsException)")] * 3,
        ("FACTORING_FAILED", busy),
    ]
    assert [d["kind"] for d in report["deliveries"] if d["invoice_id"] == "k-1009"] == ["INVOICE"]
    assert_exactly_one_delivery_per_sent_invoice(report)
    notice = next(n for n in report["notifications"] if (n["tenant_id"], n["kind"]) == ("kahvila", "EMAIL"))
    assert (
        "Lähetetty, mutta factoring-viestiä (Rahoitus Oy) ei lähetetty: palvelu oli ruuhkautunut "
        "(sähköpostipalvelu rajoittaa lähetyksiä (TooManyRequestsException)); lähetä se manuaalisesti"
    ) in notice["body"]
    assert "voitu lähettää tai ei" not in notice["body"]
