"""R23, R24: DynamoDB throttling during a night (provisioned capacity running short). A throttled
request is tried again through botocore's own retries (the store's client configuration), so an
outcome write throttled after a send still ends the invoice SENT, never in doubt; a claim throttled
past every attempt hands the invoice back unsent. Throttling is injected on the wire: DynamoDB's
own error response, parsed and retried by botocore."""

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.retries.standard import ExponentialBackoff
from moto.core.botocore_stubber import BotocoreStubber

from autodispatch.errors import TransientError
from autodispatch.logic.dispatch import BatchDispatcher
from autodispatch.logic.importing import import_scenario
from autodispatch.models.enums import AutoDispatchState, HistoryEventKind
from autodispatch.models.scenario import InvoiceKey, Scenario
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.dynamodb.client import CLIENT_CONFIG, REQUEST_ATTEMPTS
from autodispatch.store.port import RunRef, RunSummary
from tests.fakes.deliverer import ScriptedDeliverer
from tests.integration.conftest import TABLE_NAME, ZONE

RUN = RunRef(run_id="night-a", run_date=date(2026, 3, 10))
STARTED = datetime(2026, 3, 9, 22, 5, tzinfo=UTC)
INVOICE = InvoiceKey(tenant_id="kahvila", invoice_id="k-1001")
THROTTLED = json.dumps(
    {
        "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "message": "The level of configured provisioned throughput for the table was exceeded.",
    }
).encode()


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


class Throttle:
    """Answers the chosen UpdateItem requests with DynamoDB's throttling error instead of moto (which
    answers every request botocore sends: `BotocoreStubber`), so a throttled request changes nothing."""

    def __init__(self, when: Callable[[dict[str, Any]], bool], times: int) -> None:
        self.when = when
        self.left = times
        self.answered = 0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        moto_answers = BotocoreStubber.__call__

        def answer(stubber: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
            if (
                event_name.endswith("dynamodb.UpdateItem")
                and self.left
                and self.when(json.loads(request.body))
            ):
                self.left -= 1
                self.answered += 1
                return AWSResponse(request.url, 400, HTTPHeaders(), _Raw(THROTTLED))
            return moto_answers(stubber, event_name, request, **kwargs)

        monkeypatch.setattr(BotocoreStubber, "__call__", answer)


@pytest.fixture
def delays(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's backoffs, as computed, without sleeping them."""
    computed: list[float] = []
    original = ExponentialBackoff.delay_amount

    def record(self: ExponentialBackoff, context: Any) -> float:
        computed.append(original(self, context))
        return 0.0

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", record)
    return computed


@pytest.fixture
def configured(dynamodb: Any, scenario: Scenario) -> DynamoDbInvoiceStore:
    """The demo imported, through a client configured as the store configures its own."""
    store = DynamoDbInvoiceStore(TABLE_NAME, ZONE, boto3.client("dynamodb", config=CLIENT_CONFIG))
    import_scenario(store, scenario, ZONE, datetime.now(UTC))
    store.put_run(RunSummary(run_id=RUN.run_id, run_date=RUN.run_date, started_at=STARTED))
    return store


def _settles(body: dict[str, Any]) -> bool:
    return "#state" in body.get("UpdateExpression", "")


def _claims(body: dict[str, Any]) -> bool:
    return "#claim = " in body.get("UpdateExpression", "")


def _dispatch(store: DynamoDbInvoiceStore, deliverer: ScriptedDeliverer) -> None:
    BatchDispatcher(store, deliverer, ZONE, timedelta(minutes=15), lambda: STARTED).dispatch(RUN, [INVOICE])


def test_r23_an_outcome_write_throttled_after_the_send_is_retried_and_ends_sent(
    configured: DynamoDbInvoiceStore, delays: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = configured
    throttle = Throttle(_settles, times=REQUEST_ATTEMPTS - 1)
    throttle.install(monkeypatch)
    deliverer = ScriptedDeliverer()

    _dispatch(store, deliverer)

    assert throttle.answered == REQUEST_ATTEMPTS - 1
    record = store.get_record(INVOICE)
    assert record.state is AutoDispatchState.SENT
    assert record.unfinished_attempt is None
    assert [event.event for event in record.history].count(HistoryEventKind.SENT) == 1
    assert len(deliverer.delivered) == 1
    # Throttling backs off 1 s, 2 s, 4 s, 8 s at most (jittered): 15 s, half the dispatch's reserve.
    assert len(delays) == REQUEST_ATTEMPTS - 1
    assert sum(delays) <= 15.0


def test_r24_a_claim_throttled_past_every_attempt_hands_the_invoice_back_unsent(
    configured: DynamoDbInvoiceStore, delays: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = configured
    throttle = Throttle(_claims, times=REQUEST_ATTEMPTS)
    throttle.install(monkeypatch)
    deliverer = ScriptedDeliverer()

    with pytest.raises(TransientError):  # the batch is retried by the state machine
        _dispatch(store, deliverer)

    assert throttle.answered == REQUEST_ATTEMPTS
    assert deliverer.calls == []
    record = store.get_record(INVOICE)
    assert record.state is AutoDispatchState.PENDING
    assert record.unfinished_attempt is None

    _dispatch(store, deliverer)  # the retry, capacity back
    assert store.get_record(INVOICE).state is AutoDispatchState.SENT
    assert len(deliverer.delivered) == 1
