"""R12, R23, R24 combined: whatever the channels answer and wherever the process dies, restarting
until the invoice is settled never delivers it through two channels, never emails it twice, and
never says "nothing was sent" after something went out."""

import contextlib
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from autodispatch.errors import PermanentRejection, TransientError
from autodispatch.logic.dispatch import BatchDispatcher
from autodispatch.models.enums import AutoDispatchState, Channel
from autodispatch.store.port import RunRef
from tests.fakes.deliverer import ScriptedDeliverer
from tests.fakes.store import InMemoryInvoiceStore
from tests.words import en

RUN = RunRef(run_id="night-1", run_date=date(2026, 3, 10))
ZONE = ZoneInfo("Europe/Helsinki")
ATTEMPTS = 8


class Crash(BaseException):
    """The process dies on the spot."""


ANSWERS = {
    "reject": lambda: PermanentRejection("refused"),
    "throttled": lambda: TransientError("throttled", in_doubt=False),
    "unclear": lambda: TransientError("no clear answer", in_doubt=True),
    "crash": Crash,
}
MAYBE_DELIVERED = {"ok", "unclear", "crash"}
WRITES = ["claim", "next_attempt", "settle", "settle_unclaimed", "release"]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 9, 22, 5, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _answers(deliverer: ScriptedDeliverer, script: dict[Channel, list[str]]) -> dict[Channel, list[str]]:
    """What each call got, in order: the scripted answers, then "ok"."""
    answered: dict[Channel, list[str]] = {}
    for _, channel, _ in deliverer.calls:
        got = answered.setdefault(channel, [])
        got.append(script[channel][len(got)] if len(got) < len(script[channel]) else "ok")
    return answered


channel_sets = st.sets(st.sampled_from(["EINVOICE", "EMAIL", "PRINT"]), min_size=1).map(sorted)
answers = st.lists(st.sampled_from(sorted(ANSWERS)), max_size=3)
faults = st.lists(st.tuples(st.sampled_from(WRITES), st.sampled_from(["crash", "transient"])), max_size=3)


@settings(max_examples=300, deadline=None)
@given(
    enabled=channel_sets,
    own=st.sampled_from(["EINVOICE", "EMAIL", "PRINT"]),
    has_email=st.booleans(),
    has_address=st.booleans(),
    script=st.fixed_dictionaries(dict.fromkeys(Channel, answers)),
    store_faults=faults,
)
def test_r12_r23_r24_no_restart_ever_delivers_twice(
    build: Any,
    enabled: list[str],
    own: str,
    has_email: bool,
    has_address: bool,
    script: dict[Channel, list[str]],
    store_faults: list[tuple[str, str]],
) -> None:
    customer = build.business_customer(
        **({} if has_email else {"email": None}), **({} if has_address else {"address": None})
    )
    store = InMemoryInvoiceStore()
    store.add_tenant(build.tenant({"channels": enabled}))
    store.add_run(RUN, Clock().now)
    store.add_invoice(build.invoice(delivery_channel=own, customer=customer))
    key = next(iter(store.items))
    deliverer = ScriptedDeliverer()
    for channel, names in script.items():
        deliverer.fail("inv-1", channel, *(ANSWERS[name]() for name in names))
    for method, fault in store_faults:
        store.fail(method, Crash() if fault == "crash" else TransientError("DynamoDB throttled"))

    clock = Clock()
    for _ in range(ATTEMPTS):
        if store.record(key).state is not AutoDispatchState.PENDING:
            break
        # On a worker of the batch's pool, as deployed: a crash there still goes down the process.
        dispatcher = BatchDispatcher(store, deliverer, ZONE, timedelta(minutes=15), clock, workers=3)
        with contextlib.suppress(Crash, TransientError):
            dispatcher.dispatch(RUN, [key])
        clock.now += timedelta(hours=1)  # the next try comes after any lease has run out

    record = store.record(key)
    delivered = {channel for _, channel in deliverer.delivered}
    answered = _answers(deliverer, script)
    # Every channel that may have delivered (accepted, or no clear answer, or the process died).
    maybe = {channel for channel, got in answered.items() if set(got) & MAYBE_DELIVERED}
    assert len(maybe) <= 1, f"may have delivered through two channels: {answered}"
    emails = answered.get(Channel.EMAIL, [])
    assert not set(emails[:-1]) & MAYBE_DELIVERED, f"an email was sent again: {emails}"
    assert record.state is not AutoDispatchState.PENDING, "a settled run left it pending"
    if delivered:
        assert record.state is not AutoDispatchState.IGNORED
        if record.state is AutoDispatchState.SENT:
            assert record.channel in delivered
        else:
            assert en(record.message) is not None
            assert "unknown whether the invoice reached the customer" in en(record.message)
    if record.state is AutoDispatchState.IGNORED:
        assert deliverer.calls == []
