"""DispatchBatch: take each invoice of a batch through its channel chain (R11-R18) and record the
outcome on the invoice (R19), without ever sending one twice (R23, see `logic/recovery.py`) and
without one invoice stopping the others (R24).

Each invoice goes straight down: the store's records -> the rules' plan (`plan_dispatch`) and
recovery verdict -> the channels, in the plan's order -> the outcome written to the store.

A few invoices of a batch are in flight at once (`workers`), so one invoice's rendering overlaps
another's waits (its claim, its send, its outcome write): Lambda bills the wall-clock. Each
invoice's own steps stay in order on one worker (R23); what the batch gathers (outcomes, counts,
issues) is collected in the batch's order once every worker is done.

The copies of what a batch delivered are written once, as one archive object, when the batch
ends (R19). A crash before that loses them from memory, never from the record: a later invocation
of the batch (the state machine's retry) finds in the records what this run delivered, and has the
deliverer render again, from the recorded instant, each copy the batch's archive lacks.
"""

import contextlib
import contextvars
import hashlib
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from autodispatch.channels.port import IMMEDIATE, Delivered, Deliverer, DeliveryReceipt, Occasion
from autodispatch.errors import AccountFault, ConcurrentUpdate, PermanentRejection, TransientError
from autodispatch.logic.follow_up import factoring_copy_deferred, factoring_copy_in_doubt, send_factoring_copy
from autodispatch.logic.history import InvoiceOutcome, event, note_events, route_of, transmitted_event
from autodispatch.logic.outcomes import OutcomeWriter, Sent, sent_on
from autodispatch.logic.recovery import BatchTry, Invocation, new_invocation
from autodispatch.models.dispatch import DispatchRecord, FactoringRoute, HistoryEvent
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, HistoryEventKind
from autodispatch.models.routes import repeat_safe
from autodispatch.models.scenario import Invoice, InvoiceKey, Tenant
from autodispatch.models.text import Text, on_date
from autodispatch.observability import logger, tracer
from autodispatch.rules.chain import DispatchPlan, plan_dispatch
from autodispatch.rules.due import why_not_taken
from autodispatch.rules.explain import (
    error_text,
    explain_email_account,
    explain_in_doubt,
    explain_invalid,
    explain_no_clear_answer,
    explain_retry_rejected,
    explain_unexpected,
)
from autodispatch.rules.recovery import Copy, Known, LeftAttempt, Progress, Step, next_action, progress
from autodispatch.store.port import (
    Attempt,
    DispatchStore,
    InvoiceDocuments,
    RunCounts,
    RunIssue,
    RunRecorder,
    RunRef,
)

Clock = Callable[[], datetime]
# Seconds of the invocation left; a batch stops taking invoices when it runs low.
TimeLeft = Callable[[], float]
# Enough for one more invoice through three channels at their transport timeouts (the invoices
# in flight at once wait side by side, so the reserve covers each of them).
RESERVE_SECONDS = 30.0


class _EmailStop:
    """The deliverer, except that once the email service has refused the sender's account (an
    AccountFault) no further email of the night, invoice or factoring copy, is tried: each is
    refused with the same fault. The night's first fault is kept on the run (one conditional
    write), and each batch reads it as it starts (one read), so a fault in one batch stops email in
    every later batch of the run, not only in its own invocation (R12, R24). Shared by the batch's
    workers: the first fault is kept (an email already in flight on another worker when it came
    gets its own answer)."""

    def __init__(self, inner: Deliverer, runs: RunRecorder) -> None:
        self._inner = inner
        self._runs = runs
        self._run: RunRef | None = None
        self._fault: AccountFault | None = None
        self._lock = threading.Lock()

    def start_batch(self, run: RunRef) -> None:
        """A batch of `run` starts: email stays stopped when the night's email was stopped."""
        self._run = run
        cause = self._runs.email_stop(run)
        self._fault = None if cause is None else AccountFault.said(cause)

    def deliver(
        self,
        invoice: Invoice,
        tenant: Tenant,
        channel: Channel,
        kind: DeliveryKind,
        occasion: Occasion = IMMEDIATE,
    ) -> DeliveryReceipt:
        return self._guarded(channel, lambda: self._inner.deliver(invoice, tenant, channel, kind, occasion))

    def deliver_factoring(
        self, invoice: Invoice, tenant: Tenant, route: FactoringRoute, occasion: Occasion = IMMEDIATE
    ) -> DeliveryReceipt:
        return self._guarded(
            route.channel, lambda: self._inner.deliver_factoring(invoice, tenant, route, occasion)
        )

    def transmission_for(
        self, invoice: Invoice, channel: Channel, kind: DeliveryKind, occasion: Occasion
    ) -> str | None:
        return self._inner.transmission_for(invoice, channel, kind, occasion)

    def transmit(self, attempt: str) -> dict[str, bool]:
        return self._inner.transmit(attempt)

    def abandon(self, attempt: str) -> None:
        self._inner.abandon(attempt)

    def transmitted(self, key: str) -> bool:
        return self._inner.transmitted(key)

    def flush_archive(self) -> bool:
        return self._inner.flush_archive()

    def recover_copies(self, scope: str, deliveries: Sequence[Delivered]) -> int:
        return self._inner.recover_copies(scope, deliveries)

    def _guarded(self, channel: Channel, send: Callable[[], DeliveryReceipt]) -> DeliveryReceipt:
        if channel is Channel.EMAIL and self._fault is not None:
            raise self._fault
        try:
            return send()
        except AccountFault as fault:
            with self._lock:
                first, self._fault = self._fault is None, self._fault or fault
            if first and self._run is not None:
                self._stop_the_night(self._run, fault)
            raise

    def _stop_the_night(self, run: RunRef, fault: AccountFault) -> None:
        try:
            self._runs.stop_email(run, error_text(fault))
        except Exception as error:
            # This invocation stops email all the same, and the operator's alarm counts it.
            logger.error(
                "the night's email stop could not be recorded", extra={"error_type": type(error).__name__}
            )


_Item = TypeVar("_Item")


def unlimited() -> float:
    return float("inf")


class Left(Enum):
    """An invoice the batch did not finish (time ran short, a transient error): its retry takes it."""

    HANDED_BACK = "handed back"


@dataclass(frozen=True)
class Staged:
    """An invoice whose document waits, staged, for the S3 outbox object the batch writes when its
    workers are done (`receipt.transmission`): delivered once that object is written, and then the
    chain goes on from its delivery (`_finish_staged`)."""

    invocation: Invocation
    invoice: Invoice
    tenant: Tenant
    plan: DispatchPlan
    rejected: dict[Channel, Text]
    events: list[HistoryEvent]
    occasion: Occasion
    receipt: DeliveryReceipt


# What became of one invoice of a batch: its outcome, handed back, staged for the batch's outbox
# objects, or None (not the batch's to settle).
Taken = InvoiceOutcome | Left | Staged | None


@dataclass
class _BatchAttempt:
    """One invocation of a batch: its claimant, what its documents share (the archive scope, and
    `<scope>/<token>` naming its outbox objects), and the outbox objects it looked up (one HEAD
    each, shared by its workers)."""

    invocation: Invocation
    occasion: Occasion
    deliverer: Deliverer
    _found: dict[str, bool] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def transmitted(self, key: str | None) -> bool | None:
        """Whether the outbox object `key` exists (None for no key). Raises TransientError when S3
        cannot say now."""
        if key is None:
            return None
        with self._lock:
            if key in self._found:
                return self._found[key]
        found = self.deliverer.transmitted(key)
        with self._lock:
            self._found[key] = found
        return found


class Batch(BaseModel):
    model_config = ConfigDict(frozen=True)

    keys: tuple[InvoiceKey, ...]


class BatchResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    counts: RunCounts
    sent_by_channel: dict[Channel, int] = {}
    # Invoices FAILED because the email service would not send for the sender's account at all.
    email_account_faults: int = 0


class BatchDispatcher:
    """Dispatches batches for one run; collaborators are injected (ports, a clock, the time left).
    `workers`: how many invoices of a batch are in flight at once; the ports, the clock and the
    deliverer are shared by them (boto3's clients are thread-safe; the archive collects under a
    lock; the PDF renderer and the Peppol rules take one document at a time)."""

    def __init__(
        self,
        store: DispatchStore,
        deliverer: Deliverer,
        zone: ZoneInfo,
        lease: timedelta,
        clock: Clock,
        time_left: TimeLeft = unlimited,
        workers: int = 1,
    ) -> None:
        if workers < 1:
            raise ValueError("a batch needs at least one worker")
        self._workers = workers
        self._store = store
        self._deliverer = _EmailStop(deliverer, store)
        self._zone = zone
        self._lease = lease
        self._clock = clock
        self._time_left = time_left
        self._outcomes = OutcomeWriter(store, clock)
        # R23: the channels on which sending again cannot deliver twice, as the route registry says.
        self._repeat_safe = frozenset(channel for channel in Channel if repeat_safe(channel))

    @tracer.capture_method
    def dispatch(
        self, run: RunRef, keys: Sequence[InvoiceKey], attempt: BatchTry | None = None
    ) -> BatchResult:
        """Handles every invoice it can. Counts and run issues of what it finished are recorded
        first; then it raises TransientError when some invoice hit a transient error or time ran
        short, so the state machine retries the batch (finished invoices are skipped). `attempt`:
        which try of the batch this is (the state machine says), so it takes over at once what an
        ended try had staged for an outbox object that was never written."""
        invocation = self._start_batch(run, attempt)
        documents = self._store.read_invoices(keys)
        records = self._store.get_records(keys)
        tenants = self._store.get_tenants({key.tenant_id for key in keys})
        scope = archive_scope(run, keys)
        archived = self._recover_copies(run, scope, documents.valid, records, tenants)
        token = invocation.claimant.rsplit("/", 1)[-1]
        batch = _BatchAttempt(invocation, Occasion(scope=scope, attempt=f"{scope}/{token}"), self._deliverer)

        def take(key: InvoiceKey) -> Taken:
            return self._take(batch, key, documents, records.get(key), tenants.get(key.tenant_id))

        # One pool for the invocation: the same workers take the invoices and then carry the staged
        # ones on once their outbox objects are written.
        pool = ThreadPoolExecutor(self._workers, "dispatch") if self._workers > 1 else None
        with pool or contextlib.nullcontext():
            try:
                taken = self._each_invoice(pool, keys, take)
            except BaseException:
                # Going down before its objects are written: none of what it staged may go out later.
                self._deliverer.abandon(batch.occasion.attempt)
                raise
            taken = self._transmit(pool, batch, taken)
        outcomes = [outcome for outcome in taken if isinstance(outcome, InvoiceOutcome)]
        unfinished = sum(1 for outcome in taken if outcome is Left.HANDED_BACK)
        # R19: the batch's copies, one object, before its counts: a crash before this write leaves
        # the copies to the retry's recovery above.
        archived = self._deliverer.flush_archive() and archived
        result = self._record(run, outcomes)
        faults = sum(outcome.account_fault for outcome in outcomes)
        result = result.model_copy(update={"email_account_faults": faults})
        if unfinished:
            raise TransientError(f"{unfinished} invoice(s) of the batch are left for a retry")
        if not archived:
            raise TransientError("the batch's archived copies could not be written; left for a retry")
        return result

    def _start_batch(self, run: RunRef, attempt: BatchTry | None) -> Invocation:
        """This invocation of a batch, with email stopped when the night's email was stopped."""
        self._deliverer.start_batch(run)
        return new_invocation(run, attempt)

    def _each_invoice(
        self,
        pool: ThreadPoolExecutor | None,
        keys: Sequence[_Item],
        take: Callable[[_Item], Taken],
        *,
        time_guard: bool = True,
    ) -> list[Taken]:
        """`take` of every key, on the pool's `workers` at once (None: one at a time), in the batch's
        order. A worker takes no new invoice when less than RESERVE_SECONDS remain (handed back;
        `time_guard`), nor after another worker's invoice was interrupted by something no invoice
        catches (the process is going down: that is raised once the invoices in flight are done)."""
        stopping = threading.Event()

        def one(key: _Item) -> Taken:
            if stopping.is_set():
                return None
            if time_guard and self._time_left() < RESERVE_SECONDS:
                return Left.HANDED_BACK
            try:
                return take(key)
            except BaseException:
                stopping.set()
                raise

        # Each invoice in a copy of this context: its log keys are its own (`_take`).
        if pool is None:
            return [contextvars.copy_context().run(one, key) for key in keys]
        futures = [pool.submit(contextvars.copy_context().run, one, key) for key in keys]
        return [future.result() for future in futures]

    def _take(
        self,
        batch: _BatchAttempt,
        key: InvoiceKey,
        documents: InvoiceDocuments,
        record: DispatchRecord | None,
        tenant: Tenant | None,
    ) -> Taken:
        """One invoice of the batch, on one worker: its outcome, None when it is not this batch's
        to settle, HANDED_BACK when it is left for the batch's retry, or Staged."""
        invocation = batch.invocation
        invoice = documents.valid.get(key)

        def take() -> Taken:
            if record is None or tenant is None:
                logger.warning("invoice state or tenant not found; skipped")
                return None
            if record.state is not AutoDispatchState.PENDING:
                return None
            if invoice is None:
                # R25: bad or missing data that reached a run fails this invoice only.
                problem = documents.invalid.get(key, "the invoice document is missing")
                return self._outcomes.fail_unclaimed(invocation, key, record.number, explain_invalid(problem))
            run_date = invocation.run.run_date
            if why_not_taken(invoice, record.state, tenant.settings, run_date, self._zone) is not None:
                return None
            return self._dispatch_one(batch, invoice, tenant, record)

        return self._guarded(invocation, key, invoice, take)

    def _transmit(
        self, pool: ThreadPoolExecutor | None, batch: _BatchAttempt, taken: list[Taken]
    ) -> list[Taken]:
        """Writes the batch's outbox objects, each once, then carries each staged invoice on from
        its delivery (or hands it back when its object could not be written)."""
        if not any(isinstance(item, Staged) for item in taken):
            # Nothing staged: a place reserved for a document that never came is let go.
            self._deliverer.abandon(batch.occasion.attempt)
            return taken
        written = self._deliverer.transmit(batch.occasion.attempt)

        def finish(item: Taken) -> Taken:
            return self._finish_staged(item, written) if isinstance(item, Staged) else item

        return self._each_invoice(pool, taken, finish, time_guard=False)

    def _finish_staged(self, staged: Staged, written: Mapping[str, bool]) -> Taken:
        """R23: the object written, the document went out in it: the invoice's SENT events name
        where (`<key>#<message id>`), then its factoring copy and outcome as after any delivery. Not
        written (S3 refused it): nothing of the object left; the attempt stays on the claim, its lease
        ended, so the retried batch finds the object absent and sends the invoice again (a PUT that
        went through after all is found present, and settled SENT)."""
        invoice, receipt = staged.invoice, staged.receipt
        transmission = receipt.transmission

        def finish() -> Taken:
            if not written.get(transmission or "", False):
                attempt = (receipt.channel, staged.plan.kind, staged.events)
                self._outcomes.hand_over(staged.invocation, invoice.key, *attempt, transmission=transmission)
                return Left.HANDED_BACK
            return self._after_delivery(
                staged.invocation,
                invoice,
                staged.tenant,
                staged.plan,
                receipt.channel,
                staged.rejected,
                staged.events,
                staged.occasion,
                transmission=receipt.archive_key,
            )

        return self._guarded(staged.invocation, invoice.key, invoice, finish)

    def _guarded(
        self, invocation: Invocation, key: InvoiceKey, invoice: Invoice | None, work: Callable[[], Taken]
    ) -> Taken:
        """`work` on one invoice, whatever it raises told as the invoice's own (R24)."""
        logger.thread_safe_append_keys(tenant_id=key.tenant_id, invoice_id=key.invoice_id)
        try:
            return work()
        except ConcurrentUpdate as error:  # the invoice's ids are the logger's keys here
            logger.info(
                "invoice taken by another writer; skipped", extra={"error_type": type(error).__name__}
            )
            return None
        except TransientError as error:
            logger.warning(
                "transient error; the batch will be retried", extra={"error_type": type(error).__name__}
            )
            return Left.HANDED_BACK
        except Exception as error:
            outcome = self._fail_unexpected(invocation, key, invoice, error)
            return Left.HANDED_BACK if outcome is None else outcome

    def _recover_copies(
        self,
        run: RunRef,
        scope: str,
        invoices: Mapping[InvoiceKey, Invoice],
        records: Mapping[InvoiceKey, DispatchRecord],
        tenants: Mapping[str, Tenant],
    ) -> bool:
        """R19: what an earlier invocation of this run delivered, as its records say, has its copy
        in the batch's archive (rendered again when a crash lost it). Nothing to look up in a
        batch's first invocation. False when the archive could not be read or written."""
        try:
            deliveries = [
                delivered
                for key, record in records.items()
                if (invoice := invoices.get(key)) is not None
                and (tenant := tenants.get(key.tenant_id)) is not None
                for delivered in deliveries_of_run(record, run, invoice, tenant)
            ]
            if deliveries:
                self._deliverer.recover_copies(scope, deliveries)
        except Exception as error:
            # The copies stay recoverable from the records: the batch is retried for them.
            logger.error("archived copies could not be checked", extra={"error_type": type(error).__name__})
            return False
        return True

    def _record(self, run: RunRef, outcomes: list[InvoiceOutcome]) -> BatchResult:
        states = Counter(outcome.state for outcome in outcomes)
        counts = RunCounts(
            sent=states[AutoDispatchState.SENT],
            ignored=states[AutoDispatchState.IGNORED],
            failed=states[AutoDispatchState.FAILED],
            follow_ups_failed=sum(outcome.follow_up_failed for outcome in outcomes),
        )
        # Issues before counts: a crash between the two leaves the counts short, which is what makes
        # the run's last sweep recover both (logic/unfinished.py), never an issue lost behind full counts.
        issues = [issue for outcome in outcomes for issue in outcome.issues]
        if issues:
            self._store.add_run_issues(run, issues)
        if counts != RunCounts():
            self._store.add_run_counts(run, counts)
        sent_by_channel = Counter(
            outcome.channel
            for outcome in outcomes
            if outcome.state is AutoDispatchState.SENT and outcome.channel is not None
        )
        return BatchResult(counts=counts, sent_by_channel=dict(sent_by_channel))

    def _dispatch_one(
        self,
        batch: _BatchAttempt,
        invoice: Invoice,
        tenant: Tenant,
        record: DispatchRecord,
    ) -> InvoiceOutcome | Staged:
        """Carries out R23's decision (`next_action`) on what the record says, claims, and decides
        again on what the claim found: the attempt a stopped run left, if any (logic/recovery.py)."""
        invocation = batch.invocation
        run = invocation.run
        now = self._clock()
        # The instant every document of this run for the invoice carries: its first claim's.
        occasion = batch.occasion.model_copy(update={"at": first_claimed(record, run) or now})
        plan = plan_dispatch(invoice, tenant)
        done = progress(record.history)
        read = (
            None
            if record.unfinished_attempt is None
            else LeftAttempt(
                channel=record.unfinished_attempt,
                kind=plan.kind,
                transmission=record.unfinished_transmission,
                transmitted=batch.transmitted(record.unfinished_transmission),
            )
        )
        action = next_action(self._known(plan, done, read))
        queued = event(
            now, run, HistoryEventKind.QUEUED, detail=Text.of("history.queued", date=on_date(run.run_date))
        )
        if action.step is Step.FAIL_IN_DOUBT:
            assert action.channel is not None
            explanation = explain_in_doubt(action.channel)
            return self._outcomes.fail_unclaimed(
                invocation, invoice.key, invoice.number, explanation, invoice
            )
        if action.step is Step.SETTLE_UNSENT:
            return self._outcomes.settle_unsent(invocation, invoice, plan, done.rejected, queued)
        if action.step is Step.SETTLE_SENT:
            assert action.channel is not None
            # The claim keeps the delivered marker: whoever comes next knows the invoice went out.
            copy_goes = plan.factoring is not None and action.factoring_copy is not Copy.NONE
            attempt = Attempt(
                run_id=invocation.claimant,
                channel=plan.factoring.channel
                if plan.factoring is not None and copy_goes
                else action.channel,
                kind=DeliveryKind.FACTORING if copy_goes else plan.kind,
                started_at=now,
                delivered=action.channel,
            )
            # The run that settles it is named on it (a sweep recovers its outcome by it), and where
            # an outbox object shows it delivered, the history says where it is.
            events: list[HistoryEvent] = [queued]
            if action.transmission is not None:
                detail = plan.sent_by_dead_run(action.channel).message
                events.append(
                    transmitted_event(
                        now, run, invoice, action.channel, plan.kind, action.transmission, detail
                    )
                )
        else:
            first = action.channels[0]
            # A repeat goes as the attempt it repeats went: on its own (its key is deterministic).
            staged_in = (
                None
                if action.repeating
                else self._deliverer.transmission_for(invoice, first, plan.kind, occasion)
            )
            attempt = Attempt(
                run_id=invocation.claimant,
                channel=first,
                kind=plan.kind,
                started_at=now,
                transmission=staged_in,
            )
            events = [queued, *note_events(now, run, plan.reaching(first), invoice, plan.kind)]
        # An attempt an ended try of this batch staged is taken over at once: its outbox object
        # tells whether it went out (R23), so nothing waits for the lease.
        prior = self._store.claim(
            invoice.key, attempt, lease_until=now + self._lease, events=events, ended=invocation.ended
        )
        found = None if prior is None else self._found(invocation, batch, invoice.key, prior)
        after = next_action(self._known(plan, done, found))
        if after.step is Step.SETTLE_SENT:
            assert after.channel is not None
            at = done.delivered_at or (prior.started_at if prior is not None else now)
            by = done.delivered_by or (prior.run_id if prior is not None else invocation.claimant)
            explanation = plan.sent_by_dead_run(after.channel)
            sent = Sent(channel=after.channel, on=sent_on(run, by, at, self._zone), explanation=explanation)
            # Delivered in the outbox object it was staged for (found only now): the history says where.
            found_in = (
                [
                    transmitted_event(
                        self._clock(),
                        run,
                        invoice,
                        after.channel,
                        plan.kind,
                        after.transmission,
                        explanation.message,
                    )
                ]
                if after.transmission is not None and action.transmission is None
                else []
            )
            return self._complete_sent(
                invocation, invoice, tenant, plan, sent, found_in, after.factoring_copy, occasion
            )
        staged = occasion.model_copy(update={"transmission": attempt.transmission})
        if found is None:
            return self._send_through_chain(
                invocation,
                invoice,
                tenant,
                plan,
                action.channels,
                dict(done.rejected),
                unknown=False,
                occasion=staged,
            )
        if after == action:
            return self._send_through_chain(
                invocation,
                invoice,
                tenant,
                plan,
                after.channels,
                dict(done.rejected),
                unknown=after.repeating,
                occasion=staged,
            )
        # Changed between the read and the claim: the outcome of the attempt found is unknown.
        return self._outcomes.fail(invocation, invoice, explain_in_doubt(found.channel))

    def _found(
        self, invocation: Invocation, batch: _BatchAttempt, key: InvoiceKey, prior: Attempt
    ) -> LeftAttempt:
        """The attempt the claim replaced, with whether the outbox object it staged for exists. When
        S3 cannot say now, the attempt is handed back as it was found, for the batch's retry."""
        try:
            transmitted = batch.transmitted(prior.transmission)
        except TransientError:
            self._outcomes.hand_over(
                invocation, key, prior.channel, prior.kind, [], transmission=prior.transmission
            )
            raise
        return LeftAttempt(
            channel=prior.channel,
            kind=prior.kind,
            delivered=prior.delivered,
            transmission=prior.transmission,
            transmitted=transmitted,
        )

    def _known(self, plan: DispatchPlan, done: Progress, left: LeftAttempt | None) -> Known:
        return Known(
            remaining=plan.remaining(done.rejected),
            factoring_copy=plan.factoring.channel if plan.factoring is not None else None,
            progress=done,
            left=left,
            repeat_safe=self._repeat_safe,
        )

    def _send_through_chain(
        self,
        invocation: Invocation,
        invoice: Invoice,
        tenant: Tenant,
        plan: DispatchPlan,
        channels: Sequence[Channel],
        rejected: dict[Channel, Text],
        unknown: bool,
        occasion: Occasion,
    ) -> InvoiceOutcome | Staged:
        """R12: the channels in order, moving on when one rejects the invoice for good. `unknown`:
        the first channel is being repeated after an attempt whose outcome is unknown (R23).
        `occasion.transmission`: the outbox object the claim named for the first channel's document;
        a document staged for one is Staged, delivered once the batch writes the object."""
        run = invocation.run
        events: list[HistoryEvent] = []
        now = self._clock()
        for position, channel in enumerate(channels):
            if position > 0:
                staged_in = self._deliverer.transmission_for(invoice, channel, plan.kind, occasion)
                occasion = occasion.model_copy(update={"transmission": staged_in})
                self._store.next_attempt(
                    invoice.key,
                    Attempt(
                        run_id=invocation.claimant,
                        channel=channel,
                        kind=plan.kind,
                        started_at=now,
                        transmission=staged_in,
                    ),
                    [*events, *note_events(now, run, plan.reaching(channel), invoice, plan.kind)],
                )
                events = []
            route = route_of(channel, invoice, plan.kind)
            try:
                receipt = self._deliverer.deliver(invoice, tenant, channel, plan.kind, occasion)
            except PermanentRejection as rejection:
                logger.info(
                    "channel rejected the invoice",
                    extra={"channel": channel.value, "error_type": type(rejection).__name__},
                )
                if isinstance(rejection, AccountFault) and not unknown:
                    # No invoice's fault: the chain does not go on to paper; email stops (_EmailStop).
                    cause = error_text(rejection)
                    outcome = self._outcomes.fail(invocation, invoice, explain_email_account(cause), events)
                    return outcome.model_copy(update={"account_fault": True})
                if unknown:
                    # The earlier attempt may have delivered: moving on could deliver twice.
                    return self._outcomes.fail(
                        invocation,
                        invoice,
                        explain_retry_rejected(channel, error_text(rejection)),
                        events,
                    )
                rejected[channel] = error_text(rejection)
                now = self._clock()
                refused = event(
                    now, run, HistoryEventKind.CHANNEL_REJECTED, channel, rejected[channel], route
                )
                events.append(refused)
                continue
            except TransientError as error:
                if not error.in_doubt and not unknown:
                    # Certainly not delivered: the retried batch takes the invoice afresh.
                    self._store.release(invoice.key, invocation.claimant, events)
                    raise
                # No clear answer: decided as an attempt whose outcome is unknown (R23).
                left = LeftAttempt(channel=channel, kind=plan.kind)
                verdict = next_action(
                    Known(remaining=tuple(channels), left=left, repeat_safe=self._repeat_safe)
                )
                if verdict.step is Step.FAIL_IN_DOUBT:
                    return self._outcomes.fail(
                        invocation, invoice, explain_no_clear_answer(channel, str(error)), events
                    )
                self._outcomes.hand_over(invocation, invoice.key, channel, plan.kind, events)
                raise
            if receipt.transmission is not None:
                return Staged(invocation, invoice, tenant, plan, rejected, events, occasion, receipt)
            return self._after_delivery(
                invocation, invoice, tenant, plan, channel, rejected, events, occasion
            )
        return self._outcomes.fail(invocation, invoice, plan.failed(rejected), events)

    def _after_delivery(
        self,
        invocation: Invocation,
        invoice: Invoice,
        tenant: Tenant,
        plan: DispatchPlan,
        channel: Channel,
        rejected: dict[Channel, Text],
        events: list[HistoryEvent],
        occasion: Occasion,
        transmission: str | None = None,
    ) -> InvoiceOutcome:
        """The invoice went out by `channel` (in the outbox object `transmission` names, for a staged
        one): SENT, after the factoring copy (R17) its delivered marker keeps safe."""
        run = invocation.run
        route = route_of(channel, invoice, plan.kind)
        now = self._clock()
        explanation = plan.sent(channel, rejected)
        events.append(
            event(now, run, HistoryEventKind.SENT, channel, explanation.message, route, transmission)
        )
        if plan.factoring is not None:
            # The delivered marker (R23): written before the financier's copy goes.
            marker = Attempt(
                run_id=invocation.claimant,
                channel=plan.factoring.channel,
                kind=DeliveryKind.FACTORING,
                started_at=now,
                delivered=channel,
            )
            self._store.next_attempt(invoice.key, marker, events)
            events = []
        sent = Sent(channel=channel, on=run.run_date, explanation=explanation)
        copy = next_action(
            self._known(plan, Progress(delivered=channel, delivered_at=now), None)
        ).factoring_copy
        # The copy follows its delivered invoice at once (never staged: `transmission_for`).
        direct = occasion.model_copy(update={"transmission": None})
        return self._complete_sent(invocation, invoice, tenant, plan, sent, events, copy, direct)

    def _complete_sent(
        self,
        invocation: Invocation,
        invoice: Invoice,
        tenant: Tenant,
        plan: DispatchPlan,
        sent: Sent,
        events: list[HistoryEvent],
        copy: Copy,
        occasion: Occasion,
    ) -> InvoiceOutcome:
        """Settles the delivered invoice SENT after its follow-up (R17), as decided: the copy
        sent, reported in doubt, or nothing to do."""
        issues: list[RunIssue] = []
        route = plan.factoring
        if route is not None and copy is not Copy.NONE:
            if copy in (Copy.SEND, Copy.REPEAT):
                try:
                    follow_up, problem = send_factoring_copy(
                        self._deliverer,
                        invoice,
                        tenant,
                        route,
                        invocation.run,
                        self._clock(),
                        retry_throttled=True,
                        occasion=occasion,
                    )
                except TransientError as error:
                    # Throttled, certainly not sent (R24): handed over with the refusal on record (in
                    # the same write), the retried batch settles the invoice SENT and sends the copy
                    # then, and whoever settles it last can say it was not sent. A refused repeat
                    # keeps the marker: the attempt it repeated may have gone (R23).
                    deferred = factoring_copy_deferred(invoice, route, invocation.run, self._clock(), error)
                    handed = [*events, deferred]
                    if copy is Copy.REPEAT:
                        self._outcomes.hand_over(
                            invocation,
                            invoice.key,
                            route.channel,
                            DeliveryKind.FACTORING,
                            handed,
                            sent.channel,
                        )
                    else:
                        self._outcomes.hand_over(invocation, invoice.key, sent.channel, plan.kind, handed)
                    raise
            else:
                follow_up, problem = factoring_copy_in_doubt(invoice, route, invocation.run, self._clock())
            events.append(follow_up)
            issues.extend([problem] if problem is not None else [])
        return self._outcomes.settle_sent(invocation, invoice.key, plan.kind, sent, events, issues)

    def _fail_unexpected(
        self, invocation: Invocation, key: InvoiceKey, invoice: Invoice | None, error: Exception
    ) -> InvoiceOutcome | None:
        """R24: an error nobody foresaw ends this invoice FAILED (never sent again automatically,
        since the send may have happened); None when even that cannot be recorded."""
        # The type only: an exception's text may carry personal data.
        logger.error("unexpected error while dispatching", extra={"error_type": type(error).__name__})
        number = invoice.number if invoice is not None else key.invoice_id
        try:
            return self._outcomes.fail_unclaimed(
                invocation, key, number, explain_unexpected(type(error).__name__), invoice
            )
        except Exception as recording:
            logger.error(
                "could not record the failure",
                extra={"error_type": type(error).__name__, "recording_error_type": type(recording).__name__},
            )
            return None


def archive_scope(run: RunRef, keys: Sequence[InvoiceKey]) -> str:
    """The archive objects of one batch of one run: every invocation of the batch writes under it,
    so a retry finds what an earlier one wrote."""
    digest = hashlib.sha256()
    for key in keys:
        digest.update(f"{key.tenant_id}\x1f{key.invoice_id}\x1e".encode())
    return f"{quote(run.run_id, safe='')}/{digest.hexdigest()[:32]}"


def first_claimed(record: DispatchRecord, run: RunRef) -> datetime | None:
    """The instant of the run's first claim of the invoice (its QUEUED event, written with the
    claim before any send): what the run's documents carry. None before the run claimed it."""
    return next(
        (
            event.at
            for event in record.history
            if event.run_id == run.run_id and event.event is HistoryEventKind.QUEUED
        ),
        None,
    )


def deliveries_of_run(
    record: DispatchRecord, run: RunRef, invoice: Invoice, tenant: Tenant
) -> list[Delivered]:
    """What the record says the run delivered for the invoice (R19): the invoice by the channel of
    each SENT event, the financier's copy for a FACTORING_SENT event (R17)."""
    at = first_claimed(record, run)
    if at is None:
        return []
    plan = plan_dispatch(invoice, tenant)
    found: list[Delivered] = []
    for past in record.history:
        if past.run_id != run.run_id or past.channel is None:
            continue
        if past.event is HistoryEventKind.SENT:
            found.append(
                Delivered(invoice=invoice, tenant=tenant, channel=past.channel, kind=plan.kind, at=at)
            )
        elif past.event is HistoryEventKind.FACTORING_SENT and plan.factoring is not None:
            found.append(
                Delivered(
                    invoice=invoice,
                    tenant=tenant,
                    channel=plan.factoring.channel,
                    kind=DeliveryKind.FACTORING,
                    at=at,
                    factoring=plan.factoring,
                )
            )
    return found
