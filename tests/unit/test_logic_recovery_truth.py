"""Issue 21: whatever kills a night's batch, what the run says afterwards is true (R19, R21, R23,
R24). The demo night runs on the in-memory store and is killed at every write and every channel
call it makes, before the call or just after it (before a claim, after each channel's send, during
the factoring copy, at an outcome write, at an archive flush, at the run's counts); the state
machine retries the batch and the run's last sweep follows, as in the cloud. Then every FAILED and
IGNORED invoice of the night is in its tenant's notification, the run's counts are the invoices'
own, every invoice said SENT has its copies archived and its `sent_on` is the night's date. A copy
the crash lost is rendered again by the retry from the instant the sent document carried, and only
what was delivered is in the archive."""

import json
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from autodispatch.errors import TransientError
from autodispatch.i18n import render
from autodispatch.logic.archive_recovery import recover_batch_archive
from autodispatch.logic.dispatch import BatchDispatcher
from autodispatch.logic.importing import import_scenario
from autodispatch.logic.recovery import BatchTry, new_invocation
from autodispatch.logic.unfinished import settle_unfinished, settle_unfinished_run
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, HistoryEventKind
from autodispatch.models.loading import parse_scenario
from autodispatch.models.scenario import Scenario
from autodispatch.models.text import Text, verbatim
from autodispatch.store.port import Attempt, RunCounts, RunRef, RunSummary
from tests.builders import HELSINKI
from tests.fakes.deliverer import ScriptedDeliverer
from tests.fakes.store import InMemoryInvoiceStore
from tests.unit.conftest import DEMO_SCENARIO

ZONE = ZoneInfo("Europe/Helsinki")
# The night of 10 March runs late: it is already 11 March in Helsinki (a catch-up, a long night),
# so a date taken from the wall clock is told apart from the night's date.
RUN = RunRef(run_id="night-a", run_date=date(2026, 3, 10))
STARTED = datetime(2026, 3, 10, 22, 30, tzinfo=UTC)
LEASE = timedelta(minutes=15)
# The batch's child execution: its tries are numbered (`$$.State.RetryCount`).
CHILD = "arn:aws:states:eu-north-1:123456789012:express:night-a:batch-1"
STORE_WRITES = frozenset(
    {"claim", "next_attempt", "settle", "settle_unclaimed", "settle_left_by_run", "release"}
    | {"add_run_counts", "add_run_issues"}
)
DELIVERER_CALLS = frozenset({"deliver", "deliver_factoring", "transmit", "flush_archive"})
THROTTLED = Text.of("reason.email_throttled", error="Throttling")
EMPTY = verbatim("")
# One worker, and several invoices of the batch in flight at once (logic/dispatch.py).
WORKERS = pytest.mark.parametrize("workers", [1, 3])
# Documents sent at once (HTTP transports), and e-invoices and letters staged for one outbox object
# per batch attempt and channel (the S3 outbox transports, channels/transmission.py).
STAGING = pytest.mark.parametrize("staging", [False, True], ids=["at-once", "staged"])


class Crash(BaseException):
    """The process dies on the spot (not an Exception: nothing in the batch catches it)."""


class Killer:
    """Counts the batch's side effects and kills the process at the `at`-th: before it happens, or
    just after (`after`). With several workers the side effects of their invoices interleave: the
    `at`-th is whichever came `at`-th."""

    def __init__(self, at: int, after: bool) -> None:
        self.at, self.after, self.seen = at, after, 0
        self.points: list[str] = []
        self._lock = threading.Lock()

    def step(self, name: str, perform: Callable[[], Any]) -> Any:
        with self._lock:
            self.seen += 1
            mine = self.seen
            self.points.append(name)
        if mine == self.at and not self.after:
            raise Crash(name)
        result = perform()
        if mine == self.at and self.after:
            raise Crash(name)
        return result


class Killing:
    """Passes every call through to `target`; the calls in `watched` go by the killer."""

    def __init__(self, target: Any, watched: frozenset[str], killer: Killer) -> None:
        self._target, self._watched, self._killer = target, watched, killer

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._target, name)
        if name not in self._watched:
            return call
        return lambda *args, **kwargs: self._killer.step(name, lambda: call(*args, **kwargs))


class Clock:
    def __init__(self) -> None:
        self.now = STARTED
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self.now += timedelta(milliseconds=10)
            return self.now


def _night(
    scenario: Scenario,
    at: int = 0,
    after: bool = False,
    failed_flushes: int = 0,
    workers: int = 1,
    staging: bool = False,
    failed_transmits: int = 0,
    retry_after: timedelta = LEASE,
    failed_lookups: int = 0,
) -> tuple[InMemoryInvoiceStore, ScriptedDeliverer, Killer]:
    """The demo's night as one batch on `workers`, killed at the `at`-th side effect (0: never), the
    batch retried until it finishes (R24), `retry_after` each try (the state machine's backoff is
    seconds; after a lease, any claim can be taken over), then the run's last sweep."""
    store = InMemoryInvoiceStore()
    import_scenario(store, scenario, HELSINKI, datetime.now(UTC))
    keys = sorted(store.items, key=lambda key: (key.tenant_id, key.invoice_id))
    taken = [key for key in keys if store.record(key).state is AutoDispatchState.PENDING]
    store.put_run(
        RunSummary(
            run_id=RUN.run_id, run_date=RUN.run_date, started_at=STARTED, counts=RunCounts(selected=10)
        )
    )
    deliverer, killer, clock = ScriptedDeliverer(staging), Killer(at, after), Clock()
    deliverer.fail_flushes(failed_flushes)
    deliverer.fail_transmits(failed_transmits)
    deliverer.fail_lookups(failed_lookups)
    batch = BatchDispatcher(
        Killing(store, STORE_WRITES, killer),
        Killing(deliverer, DELIVERER_CALLS, killer),
        ZONE,
        LEASE,
        clock,
        workers=workers,
    )
    try:
        batch.dispatch(RUN, taken, BatchTry(execution=CHILD, retry=0))
    except Crash:
        deliverer.die()
    except TransientError:
        pass
    for retry in (1, 2, 3):  # the state machine's retries of the batch, each a new invocation
        clock.now += retry_after
        try:
            again = BatchDispatcher(store, deliverer, ZONE, LEASE, clock, workers=workers)
            again.dispatch(RUN, taken, BatchTry(execution=CHILD, retry=retry))
            break
        except TransientError:
            continue
    settle_unfinished_run(RUN, store, lambda: iter(taken), ZONE, clock, deliverer.transmitted)
    return store, deliverer, killer


@pytest.fixture(scope="module")
def demo() -> Scenario:
    return parse_scenario(json.loads(DEMO_SCENARIO.read_text(encoding="utf-8")))


def _points(demo: Scenario, staging: bool = False) -> list[tuple[int, bool]]:
    _, _, clean = _night(demo, staging=staging)  # as many side effects on any number of workers
    return [(at, after) for at in range(1, len(clean.points) + 1) for after in (False, True)]


def _truths(store: InMemoryInvoiceStore, deliverer: ScriptedDeliverer) -> None:
    taken = [
        key for key in store.items if any(event.run_id == RUN.run_id for event in store.record(key).history)
    ]
    records = {key: store.record(key) for key in taken}
    issues = store.run_issues(RUN.run_id)
    # R21: every FAILED and IGNORED invoice of the night is in its tenant's notification.
    unsent = {
        (key.tenant_id, key.invoice_id)
        for key, record in records.items()
        if record.state in (AutoDispatchState.FAILED, AutoDispatchState.IGNORED)
    }
    reported = {
        (issue.tenant_id, issue.invoice_id) for issue in issues if issue.state is not AutoDispatchState.SENT
    }
    assert reported == unsent
    assert {("kahvila", "k-1005"), ("tilitoimisto", "t-501"), ("tilitoimisto", "t-503")} <= unsent
    # R24: the run's counts are the invoices' own; none is left pending.
    states = Counter(record.state for record in records.values())
    copies_failed = sum(
        1
        for record in records.values()
        if any(event.event is HistoryEventKind.FACTORING_FAILED for event in record.history)
    )
    assert store.get_run(RUN.run_id).counts == RunCounts(
        selected=10,
        sent=states[AutoDispatchState.SENT],
        ignored=states[AutoDispatchState.IGNORED],
        failed=states[AutoDispatchState.FAILED],
        follow_ups_failed=copies_failed,
    )
    assert states[AutoDispatchState.PENDING] == 0
    for key, record in records.items():
        if record.state is not AutoDispatchState.SENT:
            continue
        assert record.sent_on == RUN.run_date, key  # R19: the night's date, not the wall clock's
        assert record.channel is not None
        assert (key.invoice_id, record.channel) in {(i, c) for i, c, _ in deliverer.archived}, key
        if any(event.event is HistoryEventKind.FACTORING_SENT for event in record.history):
            assert (key.invoice_id, Channel.EMAIL, DeliveryKind.FACTORING) in deliverer.archived, key
    # R19: the archive holds only what was delivered, and a copy rendered again carries the instant
    # its sent document carried (the renderers give the same bytes for it: test_archive_recovery.py).
    assert set(deliverer.archived) <= set(deliverer.rendered_at)
    assert len(set(deliverer.archived)) == len(deliverer.archived)
    for copy, at in deliverer.re_rendered.items():
        assert at == deliverer.rendered_at[copy] is not None, copy
    # R23: never by two channels, and never twice: each document is in at most one outbox object.
    by_invoice: dict[str, set[Channel]] = {}
    for invoice_id, channel in deliverer.delivered:
        by_invoice.setdefault(invoice_id, set()).add(channel)
    assert all(len(channels) == 1 for channels in by_invoice.values())
    transmitted = deliverer.transmitted_documents()
    assert len(transmitted) == len(set(transmitted))
    # R19: an invoice that went out in an outbox object says which one, and it was written.
    for key, record in records.items():
        if record.state is not AutoDispatchState.SENT or (key.invoice_id, record.channel) not in {
            (invoice_id, channel) for invoice_id, channel, _ in transmitted
        }:
            continue
        where = [event.transmission for event in record.history if event.event is HistoryEventKind.SENT]
        assert where, key
        assert where[-1] is not None, key
        assert where[-1].split("#")[0] in deliverer.objects, key


@STAGING
@WORKERS
def test_r19_r21_r24_a_night_that_nothing_kills_is_told_as_it_happened(
    demo: Scenario, workers: int, staging: bool
) -> None:
    store, deliverer, _ = _night(demo, workers=workers, staging=staging)
    _truths(store, deliverer)
    assert store.get_run(RUN.run_id).counts == RunCounts(selected=10, sent=7, ignored=1, failed=2)


@STAGING
@WORKERS
def test_r19_r21_r23_r24_a_kill_at_any_point_of_the_night_leaves_only_true_statements(
    demo: Scenario, workers: int, staging: bool
) -> None:
    """Every side effect of the batch, killed before it and just after it (on several workers, the
    invoices in flight with the one killed finish their own steps before the batch goes down). Staged:
    after staging, at the outbox objects' write and after it (before the outcomes), and at every
    outcome write after it."""
    points = _points(demo, staging)
    assert len(points) > 40
    for at, after in points:
        store, deliverer, killer = _night(demo, at, after, workers=workers, staging=staging)
        try:
            _truths(store, deliverer)
        except AssertionError as error:
            when = "after" if after else "before"
            raise AssertionError(f"killed {when} {killer.points[at - 1]} (#{at}): {error}") from error


def _point(demo: Scenario, name: str, last: bool = False, staging: bool = False) -> int:
    _, _, clean = _night(demo, staging=staging)
    found = [index for index, point in enumerate(clean.points, 1) if point == name]
    return found[-1] if last else found[0]


@WORKERS
def test_r19_r21_a_kill_at_the_batchs_last_archive_flush_loses_no_count_report_or_copy(
    demo: Scenario, workers: int
) -> None:
    """Issue 21: the invoices were all settled, then the process died at the batch's final flush:
    counts were 0/0/0, no notification, and the copies of what was sent were gone."""
    store, deliverer, killer = _night(demo, _point(demo, "flush_archive", last=True), workers=workers)
    assert killer.points[-1] == "flush_archive"
    assert store.get_run(RUN.run_id).counts == RunCounts(selected=10, sent=7, ignored=1, failed=2)
    assert {issue.invoice_id for issue in store.run_issues(RUN.run_id)} == {"k-1005", "t-501", "t-503"}
    sent = {key.invoice_id for key in store.items if store.record(key).state is AutoDispatchState.SENT}
    assert sent - {"k-1006"} <= {
        invoice_id for invoice_id, _, _ in deliverer.archived
    }  # k-1006: imported SENT
    _truths(store, deliverer)


def test_r19_a_take_over_of_a_delivered_invoice_says_it_was_sent_on_the_nights_date(demo: Scenario) -> None:
    """Killed once k-1009's e-invoice was delivered and marked, before its factoring copy: the retried
    batch settles it SENT on the night's date (10 March), not the wall clock's (11 March)."""
    store, deliverer, _ = _night(demo, _point(demo, "next_attempt"), after=True)
    record = store.record(next(key for key in store.items if key.invoice_id == "k-1009"))
    assert (record.state, record.channel) == (AutoDispatchState.SENT, Channel.EINVOICE)
    assert record.sent_on == RUN.run_date
    _truths(store, deliverer)


@WORKERS
def test_r19_the_batchs_copies_are_written_once_at_its_end(demo: Scenario, workers: int) -> None:
    """Cost: one archive object a batch, not one a document; nothing to render again."""
    _, deliverer, clean = _night(demo, workers=workers)
    assert clean.points.count("flush_archive") == deliverer.archive_objects == 1
    assert clean.points[-3] == "flush_archive"  # then the issues and the counts
    assert deliverer.re_rendered == {}


@WORKERS
def test_r19_a_kill_between_a_send_and_the_archive_write_has_the_copy_rendered_again(
    demo: Scenario, workers: int
) -> None:
    """Killed once the batch's last invoice was settled, before its archive object: every copy of
    the batch was in memory only. The retry renders each again from the recorded instant."""
    store, deliverer, _ = _night(demo, _point(demo, "flush_archive"), workers=workers)
    sent = {key.invoice_id for key in store.items if store.record(key).state is AutoDispatchState.SENT}
    assert {invoice_id for invoice_id, _, _ in deliverer.re_rendered} == sent - {"k-1006"}
    assert deliverer.calls.count(deliverer.calls[0]) == 1  # nothing was sent again for it
    _truths(store, deliverer)


@WORKERS
def test_r19_an_archive_write_that_fails_is_recovered_by_the_batchs_retry(
    demo: Scenario, workers: int
) -> None:
    """The archive object could not be written (S3 refused) in the batch's first invocation, nor
    in its first retry: the batch is retried until one writes it; the copies kept in memory go."""
    store, deliverer, _ = _night(demo, failed_flushes=2, workers=workers)
    assert deliverer.archive_flushes == 3
    assert deliverer.archive_objects == 1
    _truths(store, deliverer)
    store, deliverer, _ = _night(demo, failed_flushes=1, workers=workers)
    assert deliverer.re_rendered == {}  # the warm process still held them
    _truths(store, deliverer)


class KillerAt(Killer):
    """Kills the process before its first call of `name`."""

    def __init__(self, name: str) -> None:
        super().__init__(0, after=False)
        self.name = name

    def step(self, name: str, perform: Callable[[], Any]) -> Any:
        self.points.append(name)
        if name == self.name:
            raise Crash(name)
        return perform()


def _night_whose_every_invocation_dies(
    scenario: Scenario,
    new_killer: Callable[[], Killer],
    deliverer: ScriptedDeliverer | None = None,
    staging: bool = False,
) -> tuple[InMemoryInvoiceStore, ScriptedDeliverer, list[Killer]]:
    """The demo's night as one batch whose three invocations (the first and the state machine's two
    retries) each die where a killer of its own (`new_killer`) kills it; then the
    batch's catch (SettleFailedBatch: its unfinished invoices settled, its lost copies written)
    and the run's last sweep, as in the cloud."""
    store = InMemoryInvoiceStore()
    import_scenario(store, scenario, HELSINKI, datetime.now(UTC))
    keys = sorted(store.items, key=lambda key: (key.tenant_id, key.invoice_id))
    taken = [key for key in keys if store.record(key).state is AutoDispatchState.PENDING]
    store.put_run(
        RunSummary(
            run_id=RUN.run_id, run_date=RUN.run_date, started_at=STARTED, counts=RunCounts(selected=10)
        )
    )
    deliverer, clock, killers = deliverer or ScriptedDeliverer(staging), Clock(), []
    for _ in range(3):
        killer = new_killer()
        killers.append(killer)
        batch = BatchDispatcher(
            Killing(store, STORE_WRITES, killer),
            Killing(deliverer, DELIVERER_CALLS, killer),
            ZONE,
            LEASE,
            clock,
        )
        try:
            batch.dispatch(RUN, taken)
            break
        except Crash:
            deliverer.die()
        except TransientError:
            pass
        clock.now += LEASE
    else:
        # The retries ran out: the catch runs the dispatch function once more, in a new process.
        settle_unfinished(RUN, taken, store, ZONE, clock, "Runtime.ExitError", deliverer.transmitted)
        recover_batch_archive(RUN, taken, store, deliverer)
    settle_unfinished_run(RUN, store, lambda: iter(taken), ZONE, clock, deliverer.transmitted)
    return store, deliverer, killers


def test_r19_a_kill_in_the_batchs_last_retry_at_its_archive_write_loses_no_copy(demo: Scenario) -> None:
    """Issue 21: every invocation of the batch died as it wrote its archive object (the last retry
    too): no invocation is left to render the copies again, so the catch that settles the batch
    writes them, each labelled as rendered again."""
    store, deliverer, killers = _night_whose_every_invocation_dies(demo, lambda: KillerAt("flush_archive"))
    assert [killer.points[-1] for killer in killers] == ["flush_archive"] * 3
    sent = {key.invoice_id for key in store.items if store.record(key).state is AutoDispatchState.SENT}
    assert {invoice_id for invoice_id, _, _ in deliverer.re_rendered} == sent - {"k-1006"}  # imported SENT
    assert deliverer.unflushed == []
    _truths(store, deliverer)


@STAGING
def test_r19_r21_r23_r24_a_kill_at_any_point_of_the_batchs_every_invocation_leaves_only_true_statements(
    demo: Scenario, staging: bool
) -> None:
    """Each of the batch's three invocations killed at the same point of its own side effects,
    before it and just after it, for every point of the night; the last retry's copies included.
    Staged: SettleFailedBatch and the sweep look whether each staged document's object exists."""
    for at, after in _points(demo, staging):
        store, deliverer, _ = _night_whose_every_invocation_dies(
            demo, lambda at=at, after=after: Killer(at, after), staging=staging
        )
        try:
            _truths(store, deliverer)
        except AssertionError as error:
            when = "after" if after else "before"
            raise AssertionError(f"every invocation killed {when} side effect #{at}: {error}") from error


def test_r17_r23_r24_a_copy_throttled_at_every_invocation_of_the_batch_is_said_not_sent_not_in_doubt(
    demo: Scenario,
) -> None:
    """Issue 21: the financier's copy of k-1009 (sent by e-invoice) is throttled at the batch's first
    invocation and at both retries; the catch settles the batch. Each refusal sent nothing, so the
    copy is "not sent, the service was busy", never "in doubt", and the invoice stays SENT."""
    deliverer = ScriptedDeliverer()
    for _ in range(3):
        deliverer.fail_factoring(TransientError.said(THROTTLED, in_doubt=False))
    store, deliverer, _ = _night_whose_every_invocation_dies(demo, lambda: Killer(0, False), deliverer)
    key = next(key for key in store.items if key.invoice_id == "k-1009")
    record = store.record(key)
    assert (record.state, record.channel, record.sent_on) == (
        AutoDispatchState.SENT,
        Channel.EINVOICE,
        RUN.run_date,
    )
    assert deliverer.factoring_calls == [("k-1009", Channel.EMAIL)] * 3
    assert [(e.event, e.channel) for e in record.history if e.event.value.startswith("FACTORING")] == [
        *[(HistoryEventKind.FACTORING_DEFERRED, Channel.EMAIL)] * 3,
        (HistoryEventKind.FACTORING_FAILED, Channel.EMAIL),
    ]
    busy = record.history[-1].detail
    assert busy is not None
    assert render(busy, "en") == (
        "factoring message to Rahoitus Oy was not sent: the service was busy (the email service is "
        "throttling sends (Throttling)); send it manually"
    )
    assert render(busy, "fi").startswith(
        "factoring-viestiä (Rahoitus Oy) ei lähetetty: palvelu oli ruuhkautunut"
    )
    assert "skickades inte: tjänsten var upptagen" in render(busy, "sv")
    (issue,) = [issue for issue in store.run_issues(RUN.run_id) if issue.invoice_id == "k-1009"]
    assert issue.state is AutoDispatchState.SENT
    assert render(issue.message, "en") == f"Sent, but the {render(busy, 'en')}"
    assert store.get_run(RUN.run_id).counts.follow_ups_failed == 1
    assert not [key for key in store.items if "doubt" in render(store.record(key).message or EMPTY, "en")]
    _truths(store, deliverer)


def _staged_calls(deliverer: ScriptedDeliverer) -> Counter[tuple[str, Channel]]:
    return Counter(
        (invoice_id, channel) for invoice_id, channel, _ in deliverer.calls if channel is not Channel.EMAIL
    )


@WORKERS
def test_r23_a_staged_night_writes_one_outbox_object_per_channel_and_says_where_each_invoice_is(
    demo: Scenario, workers: int
) -> None:
    """Cost: the batch's e-invoices and letters are one object per channel, written once, after
    its workers; each SENT invoice's history names the object and its message id."""
    store, deliverer, clean = _night(demo, workers=workers, staging=True)
    assert clean.points.count("transmit") == 1
    assert sorted(key.split("/")[1] for key in deliverer.objects) == ["einvoice", "print"]
    sent_in = {(invoice_id, channel) for invoice_id, channel, _ in deliverer.transmitted_documents()}
    for key in store.items:
        record = store.record(key)
        if (key.invoice_id, record.channel) in sent_in:
            [where] = [e.transmission for e in record.history if e.event is HistoryEventKind.SENT]
            assert where is not None
            assert where.split("#")[0] in deliverer.objects
    _truths(store, deliverer)


@WORKERS
@pytest.mark.parametrize(
    ("point", "after"), [("deliver", True), ("transmit", False)], ids=["staged", "at-put"]
)
def test_r23_a_kill_before_the_outbox_object_is_written_has_the_next_try_send_it_once(
    demo: Scenario, workers: int, point: str, after: bool
) -> None:
    """Killed once the batch's last document was staged, or as it wrote its outbox objects: nothing
    of them left the process. The batch's next try (seconds later, no lease run out) takes over the
    staged claims of the try that ended, finds the objects absent, and sends every one again in its
    own objects: each document in exactly one object, every invoice SENT."""
    last = _point(demo, point, last=True, staging=True)
    store, deliverer, killer = _night(
        demo, last, after, workers=workers, staging=True, retry_after=timedelta(seconds=2)
    )
    assert killer.points[last - 1] == point
    assert store.get_run(RUN.run_id).counts == RunCounts(selected=10, sent=7, ignored=1, failed=2)
    assert len(deliverer.objects) == 2  # the retry's: the dead try wrote none
    _truths(store, deliverer)


@WORKERS
@pytest.mark.parametrize(
    ("point", "after"), [("transmit", True), ("settle", True)], ids=["after-put", "mid-outcomes"]
)
def test_r23_a_kill_after_the_outbox_object_is_written_settles_its_invoices_sent_without_sending_again(
    demo: Scenario, workers: int, point: str, after: bool
) -> None:
    """Killed once the outbox objects were written, before their invoices' outcomes, or after the
    first of them: the next try finds the objects (HEAD) and settles the invoices staged for them
    SENT, saying where each is; none is sent again, none is in two objects."""
    at = _point(demo, "transmit", staging=True) + (1 if point == "settle" else 0)
    store, deliverer, killer = _night(
        demo, at, after, workers=workers, staging=True, retry_after=timedelta(seconds=2)
    )
    assert killer.points[at - 1] == point
    assert len(deliverer.objects) == 2
    assert max(_staged_calls(deliverer).values()) == 1  # rendered and staged once each
    assert store.get_run(RUN.run_id).counts == RunCounts(selected=10, sent=7, ignored=1, failed=2)
    _truths(store, deliverer)


@WORKERS
def test_r23_an_outbox_object_s3_refuses_is_sent_again_by_the_next_try(demo: Scenario, workers: int) -> None:
    """S3 refused the object: nothing of it was delivered. Its invoices are handed back (their staged
    attempt and object kept on the claim), the batch is retried, the retry finds no object and sends
    them again in its own."""
    store, deliverer, _ = _night(
        demo, workers=workers, staging=True, failed_transmits=1, retry_after=timedelta(seconds=2)
    )
    assert len(deliverer.objects) == 2
    assert max(_staged_calls(deliverer).values()) == 2  # staged in the refused object, then in the retry's
    assert store.get_run(RUN.run_id).counts == RunCounts(selected=10, sent=7, ignored=1, failed=2)
    _truths(store, deliverer)


def test_r23_an_outbox_object_s3_cannot_tell_about_is_left_for_a_later_try(demo: Scenario) -> None:
    """The objects were written and the process died; the next try's look (HEAD) gets no answer:
    the invoice is handed back as it was found, never sent again nor called unsent, and a later
    try settles it SENT."""
    at = _point(demo, "transmit", staging=True)
    store, deliverer, _ = _night(
        demo, at, True, staging=True, failed_lookups=1, retry_after=timedelta(seconds=2)
    )
    assert max(_staged_calls(deliverer).values()) == 1
    assert store.get_run(RUN.run_id).counts == RunCounts(selected=10, sent=7, ignored=1, failed=2)
    _truths(store, deliverer)


def test_r23_a_staged_attempt_of_another_execution_is_not_taken_over_before_its_lease(demo: Scenario) -> None:
    """A duplicate execution of the batch (another execution id) may still be writing its object:
    a try of this execution leaves its staged claims alone until their lease runs out."""
    store = InMemoryInvoiceStore()
    import_scenario(store, demo, HELSINKI, datetime.now(UTC))
    store.put_run(RunSummary(run_id=RUN.run_id, run_date=RUN.run_date, started_at=STARTED))
    key = next(key for key in store.items if key.invoice_id == "k-1001")
    duplicate = BatchTry(execution=f"{CHILD}-duplicate", retry=0)
    other = new_invocation(RUN, duplicate).claimant
    staged = Attempt(
        run_id=other,
        channel=Channel.EINVOICE,
        kind=DeliveryKind.INVOICE,
        started_at=STARTED,
        transmission="outbox/einvoice/night-a/b/duplicate-1.xml",
    )
    store.hold(key, staged, STARTED + LEASE)
    deliverer = ScriptedDeliverer(staging=True)
    clock = Clock()
    BatchDispatcher(store, deliverer, ZONE, LEASE, clock).dispatch(
        RUN, [key], BatchTry(execution=CHILD, retry=1)
    )
    assert deliverer.calls == []
    assert store.record(key).state is AutoDispatchState.PENDING
