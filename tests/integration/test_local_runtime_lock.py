"""R23 in the local runtime: moto checks a write's condition and then writes, so two threads' claims
of one invoice could both pass the check. The runtime's lock around moto's writes
(`_atomic_dynamodb_writes`) is what keeps DynamoDB's guarantee locally; this proves it, with no
timing luck: the first claim to pass its condition waits there, before its write, until the second
claim has either passed its condition too or is waiting for the lock."""

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import moto.dynamodb.models as moto_dynamodb
import pytest

from autodispatch.errors import ConcurrentUpdate
from autodispatch.models.dispatch import InitialState
from autodispatch.models.enums import AutoDispatchState, Channel
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.port import Attempt
from autodispatch_cli.local.runtime import _atomic_dynamodb_writes
from tests.builders import Builders

NOW = datetime(2026, 3, 9, 22, 0, tzinfo=UTC)
# Only a bound against a hang: each claim reaches its check or the lock at once.
BOUND_SECONDS = 30


class Interleaving:
    """Holds the first claim between its condition check and its write until the second claim has
    either passed its check or is waiting for the lock: the worst order the threads can take."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._checked = 0
        self.second_arrived = threading.Event()
        self.armed = False  # only the race's claims pause, not the writes that set it up

    def after_check(self) -> None:
        if not self.armed:
            return
        with self._guard:
            self._checked += 1
            first = self._checked == 1
        if not first:
            self.second_arrived.set()
        elif not self.second_arrived.wait(BOUND_SECONDS):
            raise AssertionError("the second claim never reached its check or the lock")

    def lock(self) -> "WatchedLock":
        return WatchedLock(self.second_arrived)


class WatchedLock:
    """The runtime's RLock, telling when a thread has to wait for it."""

    def __init__(self, waiting: threading.Event) -> None:
        self._lock = threading.RLock()
        self._waiting = waiting

    def __enter__(self) -> None:
        if not self._lock.acquire(blocking=False):
            self._waiting.set()
            self._lock.acquire()

    def __exit__(self, *_: object) -> None:
        self._lock.release()


@pytest.fixture
def interleaving(monkeypatch: pytest.MonkeyPatch) -> Interleaving:
    """moto's condition check, unchanged in its answer, followed by the interleaving's pause."""
    order = Interleaving()
    parser_of = moto_dynamodb.create_condition_expression_parser

    class PausingOp:
        def __init__(self, op: Any) -> None:
            self._op = op

        def expr(self, item: Any) -> bool:
            passed: bool = self._op.expr(item)
            if passed:
                order.after_check()
            return passed

    class PausingParser:
        def __init__(self, *args: Any) -> None:
            self._parser = parser_of(*args)

        def parse(self) -> PausingOp:
            return PausingOp(self._parser.parse())

    monkeypatch.setattr(moto_dynamodb, "create_condition_expression_parser", PausingParser)
    return order


def _claims(store: DynamoDbInvoiceStore) -> Callable[[str], bool]:
    invoice = Builders.invoice(invoice_id="inv-1")
    store.put_tenant(Builders.tenant())
    store.put_invoices([(invoice, InitialState(state=AutoDispatchState.PENDING, due_from=NOW))], NOW)

    def claim(run_id: str) -> bool:
        attempt = Attempt(run_id=run_id, channel=Channel.EINVOICE, kind="INVOICE", started_at=NOW)
        try:
            store.claim(invoice.key, attempt, NOW + timedelta(minutes=15), [])
        except ConcurrentUpdate:
            return False
        return True

    return claim


def _race(claim: Callable[[str], bool], interleaving: Interleaving) -> list[bool]:
    interleaving.armed = True
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(claim, ["night-a", "night-b"]))


@pytest.fixture
def locked(interleaving: Interleaving) -> Iterator[None]:
    with _atomic_dynamodb_writes(interleaving.lock()):
        yield


def test_r23_without_the_lock_two_simultaneous_claims_both_win_on_moto(
    store: DynamoDbInvoiceStore, interleaving: Interleaving
) -> None:
    """The race is real: what the runtime's lock is there for."""
    assert _race(_claims(store), interleaving) == [True, True]


@pytest.mark.usefixtures("locked")
def test_r23_the_local_runtime_lets_only_one_of_two_simultaneous_claims_win(
    store: DynamoDbInvoiceStore, interleaving: Interleaving
) -> None:
    assert sorted(_race(_claims(store), interleaving)) == [False, True]
    assert interleaving.second_arrived.is_set()  # the second claim did wait for the first
