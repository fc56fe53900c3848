"""R23, R27 under a table short of capacity (provisioned capacity at night, or a daytime burst): the
DynamoDB client of the functions (`new_dynamodb_client`) meets ProvisionedThroughputExceeded as
the table answers it (moto answers the chosen requests so, without executing them), and botocore's
standard retries handle it as they would on AWS. Its pauses are recorded instead of slept
(rand(0, 1) x 2^i s: bounded, not timed).
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import botocore.endpoint
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from moto.core.botocore_stubber import BotocoreStubber

from api.handler import handler
from api.routes import THROTTLED_RETRY_AFTER, Services
from autodispatch.config import load_config
from autodispatch.errors import TransientError
from autodispatch.logic.dispatch import RESERVE_SECONDS, BatchDispatcher
from autodispatch.models.enums import AutoDispatchState, Channel
from autodispatch.models.scenario import InvoiceKey
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.dynamodb.client import MAX_ATTEMPTS, new_dynamodb_client
from autodispatch.store.port import RunRef, RunSummary
from autodispatch_cli.local.api_gateway import http_api_event
from autodispatch_cli.local.runtime import LocalLambdaContext
from tests.fakes.deliverer import ScriptedDeliverer
from tests.integration.conftest import TABLE_NAME, ZONE

RUN = RunRef(run_id="night-a", run_date=date(2026, 3, 10))
STARTED = datetime(2026, 3, 9, 22, 5, tzinfo=UTC)
K1001 = InvoiceKey(tenant_id="kahvila", invoice_id="k-1001")
_THROTTLED = {
    "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
    "message": "The level of configured provisioned throughput for the table was exceeded.",
}


class _Body:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


@dataclass
class Throttle:
    """Answers the requests `chosen` picks with the table's throttling error, `times` times."""

    operation: str
    chosen: Callable[[dict[str, Any]], bool]
    times: int
    answered: int = 0
    seen: list[str] = field(default_factory=list)

    def answer(self, event_name: str, request: AWSPreparedRequest) -> AWSResponse | None:
        if not event_name.endswith(f".dynamodb.{self.operation}"):
            return None
        params = json.loads(request.body or b"{}")
        if self.answered >= self.times or not self.chosen(params):
            return None
        self.answered += 1
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "throttled"}
        return AWSResponse(request.url, 400, headers, _Body(json.dumps(_THROTTLED).encode()))


def _is_claim(params: dict[str, Any]) -> bool:
    return str(params.get("UpdateExpression", "")).startswith("SET #claim = ")


def _is_sent_outcome(params: dict[str, Any]) -> bool:
    values = params.get("ExpressionAttributeValues", {})
    return "REMOVE #claim" in str(params.get("UpdateExpression", "")) and {"S": "SENT"} in values.values()


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's retry pauses, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(botocore.endpoint.time, "sleep", recorded.append)
    return recorded


@pytest.fixture
def throttles(monkeypatch: pytest.MonkeyPatch) -> list[Throttle]:
    """The throttles moto applies before it executes a request (it executes every request that
    reaches it, so the throttled answer must be its own)."""
    active: list[Throttle] = []
    executes = BotocoreStubber.__call__

    def answer(stubber: BotocoreStubber, event_name: str, request: AWSPreparedRequest, **kwargs: Any) -> Any:
        for throttle in active:
            throttled = throttle.answer(event_name, request)
            if throttled is not None:
                return throttled
        return executes(stubber, event_name, request, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", answer)
    return active


def _throttled_store(
    loaded: DynamoDbInvoiceStore, throttle: Throttle, throttles: list[Throttle]
) -> DynamoDbInvoiceStore:
    loaded.put_run(RunSummary(run_id=RUN.run_id, run_date=RUN.run_date, started_at=STARTED))
    throttles.append(throttle)
    client = new_dynamodb_client()
    return DynamoDbInvoiceStore(TABLE_NAME, ZONE, client)


def _dispatcher(store: DynamoDbInvoiceStore, deliverer: ScriptedDeliverer) -> BatchDispatcher:
    return BatchDispatcher(store, deliverer, ZONE, timedelta(minutes=15), lambda: STARTED)


def test_r23_a_throttled_outcome_write_is_retried_and_the_invoice_ends_sent(
    loaded: DynamoDbInvoiceStore, pauses: list[float], throttles: list[Throttle]
) -> None:
    """The send went through; its outcome write is throttled on every attempt but the last the
    client makes: the retries record it SENT, once, and nothing is left in doubt."""
    throttle = Throttle("UpdateItem", _is_sent_outcome, times=MAX_ATTEMPTS - 1)
    store = _throttled_store(loaded, throttle, throttles)
    deliverer = ScriptedDeliverer()
    result = _dispatcher(store, deliverer).dispatch(RUN, [K1001])
    assert throttle.answered == MAX_ATTEMPTS - 1
    record = loaded.get_record(K1001)
    assert record.state is AutoDispatchState.SENT
    assert record.unfinished_attempt is None
    assert deliverer.delivered == [("k-1001", Channel.EINVOICE)]
    assert result.counts.sent == 1
    # The retries' pauses fit the batch's reserve (botocore's bound: 1 + 2 + 4 + 8 s).
    assert len(pauses) == MAX_ATTEMPTS - 1
    assert sum(pauses) <= sum(2**i for i in range(MAX_ATTEMPTS - 1)) < RESERVE_SECONDS


def test_r23_a_claim_throttled_past_its_retries_hands_the_invoice_back_unsent(
    loaded: DynamoDbInvoiceStore, pauses: list[float], throttles: list[Throttle]
) -> None:
    """Throttled on every attempt, the claim wrote nothing: the invoice is certainly not sent, stays
    PENDING without a claim, and the batch is handed back for the state machine's retry."""
    throttle = Throttle("UpdateItem", _is_claim, times=MAX_ATTEMPTS)
    store = _throttled_store(loaded, throttle, throttles)
    deliverer = ScriptedDeliverer()
    with pytest.raises(TransientError, match="left for a retry"):
        _dispatcher(store, deliverer).dispatch(RUN, [K1001])
    assert throttle.answered == MAX_ATTEMPTS
    record = loaded.get_record(K1001)
    assert (record.state, record.unfinished_attempt) == (AutoDispatchState.PENDING, None)
    assert deliverer.calls == []
    # The state machine's retry, with capacity back, sends it.
    _dispatcher(store, deliverer).dispatch(RUN, [K1001])
    assert loaded.get_record(K1001).state is AutoDispatchState.SENT
    assert deliverer.delivered == [("k-1001", Channel.EINVOICE)]


def _api_services(store: DynamoDbInvoiceStore) -> Services:
    """The API's services over `store`; no run is started by these requests."""
    return Services(
        store=store,
        deliverer=ScriptedDeliverer,
        runs=lambda: pytest.fail("no run is started"),
        zone=ZONE,
        clock=lambda: STARTED,
    )


def test_r27_a_request_the_table_throttles_past_its_retries_is_a_429_with_retry_after(
    loaded: DynamoDbInvoiceStore,
    pauses: list[float],
    throttles: list[Throttle],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A daytime burst over provisioned capacity: the client is told to repeat the request later,
    in its language, never a 5xx."""
    monkeypatch.setenv("TABLE_NAME", "unused")
    monkeypatch.setenv("BUCKET_NAME", "unused")
    load_config.cache_clear()
    throttle = Throttle("GetItem", lambda _: True, times=MAX_ATTEMPTS)
    store = _throttled_store(loaded, throttle, throttles)
    services = _api_services(store)
    event = http_api_event(
        "GET",
        "/tenants/kahvila/invoices/k-1001",
        headers={"accept-language": "sv"},
        claims={"sub": "u-1", "custom:tenant_id": "kahvila", "token_use": "id"},
    )
    response = handler(event, LocalLambdaContext(function_name="Api"), services=services)
    load_config.cache_clear()
    assert response["statusCode"] == 429
    assert response["headers"]["Retry-After"] == THROTTLED_RETRY_AFTER
    assert json.loads(response["body"]) == {
        "status": 429,
        "message": "Tjänsten är upptagen just nu; upprepa begäran om några sekunder",
    }
    assert throttle.answered == MAX_ATTEMPTS


def test_r25_r27_an_import_the_table_throttles_is_undone_and_a_429(
    loaded: DynamoDbInvoiceStore,
    pauses: list[float],
    throttles: list[Throttle],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A daytime import over the table's capacity: nothing of it stays, and its client is told it
    was not imported and to repeat it (429 with Retry-After), not that the service failed."""
    monkeypatch.setenv("TABLE_NAME", "unused")
    monkeypatch.setenv("BUCKET_NAME", "unused")
    load_config.cache_clear()
    before = loaded.get_invoices([K1001])
    throttle = Throttle("PutItem", lambda _: True, times=MAX_ATTEMPTS)
    store = _throttled_store(loaded, throttle, throttles)
    document = before[K1001].model_dump(mode="json") | {"number": "9999"}
    services = _api_services(store)
    event = http_api_event(
        "PUT",
        "/tenants/kahvila/invoices/k-1001",
        body=json.dumps(document),
        headers={"content-type": "application/json"},
        claims={"sub": "u-1", "custom:tenant_id": "kahvila", "token_use": "id"},
    )
    response = handler(event, LocalLambdaContext(function_name="Api"), services=services)
    load_config.cache_clear()
    assert response["statusCode"] == 429
    assert response["headers"]["Retry-After"] == THROTTLED_RETRY_AFTER
    # Its words: the import failed, nothing was written, import it again.
    assert "nothing was written" in json.loads(response["body"])["message"]
    assert loaded.get_invoices([K1001]) == before
