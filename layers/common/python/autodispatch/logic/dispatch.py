"""DispatchBatch: take each invoice of a batch through its channel chain (R11-R18) and record the
outcome on the invoice (R19), without ever sending one twice (R23, see `logic/recovery.py`) and
without one invoice stopping the others (R24).

Each invoice goes straight down: the store's records -> the rules' plan (`plan_dispatch`) and
recovery verdict -> the channels, in the plan's order -> the outcome written to the store.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from autodispatch.channels.port import Deliverer
from autodispatch.errors import ConcurrentUpdate, PermanentRejection, TransientError
from autodispatch.logic.follow_up import send_factoring_copy
from autodispatch.logic.history import InvoiceOutcome, event, note_events
from autodispatch.logic.outcomes import OutcomeStore, OutcomeWriter, Sent
from autodispatch.logic.pacing import Pace, no_pacing
from autodispatch.logic.recovery import Invocation, new_invocation
from autodispatch.models.dispatch import DispatchRecord, HistoryEvent
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, HistoryEventKind
from autodispatch.models.routes import repeat_safe
from autodispatch.models.scenario import Invoice, InvoiceKey, Tenant
from autodispatch.observability import logger, tracer
from autodispatch.rules.chain import DispatchPlan, plan_dispatch
from autodispatch.rules.due import local_date, why_not_taken
from autodispatch.rules.explain import (
    explain_in_doubt,
    explain_invalid,
    explain_no_clear_answer,
    explain_retry_rejected,
    explain_unexpected,
)
from autodispatch.rules.recovery import Progress, Recovery, progress, transient_verdict, unfinished_verdict
from autodispatch.store.port import Attempt, InvoiceDocuments, RunCounts, RunIssue, RunRef

Clock = Callable[[], datetime]
# Seconds of the invocation left; a batch stops taking invoices when it runs low.
TimeLeft = Callable[[], float]
# Enough for one more invoice through three channels at their transport timeouts.
RESERVE_SECONDS = 30.0


class DispatchStore(OutcomeStore, Protocol):
    """The part of `autodispatch.store.port.InvoiceStore` a dispatch run uses; each write is
    conditional, as the store port describes."""

    def read_invoices(self, keys: Iterable[InvoiceKey]) -> InvoiceDocuments: ...

    def get_records(self, keys: Iterable[InvoiceKey]) -> dict[InvoiceKey, DispatchRecord]: ...

    def get_tenants(self, tenant_ids: Iterable[str]) -> dict[str, Tenant]: ...

    def next_attempt(self, key: InvoiceKey, attempt: Attempt, events: Sequence[HistoryEvent]) -> None: ...

    def release(self, key: InvoiceKey, run_id: str, events: Sequence[HistoryEvent]) -> None: ...

    def add_run_counts(self, run: RunRef, counts: RunCounts) -> None: ...

    def add_run_issues(self, run: RunRef, issues: Sequence[RunIssue]) -> None: ...


def unlimited() -> float:
    return float("inf")


class Batch(BaseModel):
    model_config = ConfigDict(frozen=True)

    keys: tuple[InvoiceKey, ...]


class BatchResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    counts: RunCounts
    sent_by_channel: dict[Channel, int] = {}


class BatchDispatcher:
    """Dispatches batches for one run; collaborators are injected (ports, a clock, the time left)."""

    def __init__(
        self,
        store: DispatchStore,
        deliverer: Deliverer,
        zone: ZoneInfo,
        lease: timedelta,
        clock: Clock,
        time_left: TimeLeft = unlimited,
        pace: Pace = no_pacing,
    ) -> None:
        self._store = store
        self._deliverer = deliverer
        self._zone = zone
        self._lease = lease
        self._clock = clock
        self._time_left = time_left
        self._outcomes = OutcomeWriter(store, clock)
        self._pace = pace

    @tracer.capture_method
    def dispatch(self, run: RunRef, keys: Sequence[InvoiceKey]) -> BatchResult:
        """Handles every invoice it can. Counts and run issues of what it finished are recorded
        first; then it raises TransientError when some invoice hit a transient error or time ran
        short, so the state machine retries the batch (finished invoices are skipped)."""
        invocation = new_invocation(run)
        documents = self._store.read_invoices(keys)
        records = self._store.get_records(keys)
        tenants = self._store.get_tenants({key.tenant_id for key in keys})
        outcomes: list[InvoiceOutcome] = []
        unfinished = 0
        for key in keys:
            if self._time_left() < RESERVE_SECONDS:
                unfinished += 1
                continue
            logger.append_keys(tenant_id=key.tenant_id, invoice_id=key.invoice_id)
            record, tenant = records.get(key), tenants.get(key.tenant_id)
            invoice = documents.valid.get(key)
            try:
                if record is None or tenant is None:
                    logger.warning("invoice state or tenant not found; skipped")
                    continue
                if record.state is not AutoDispatchState.PENDING:
                    continue
                if invoice is None:
                    # R25: bad or missing data that reached a run fails this invoice only.
                    problem = documents.invalid.get(key, "the invoice document is missing")
                    explanation = explain_invalid(problem)
                    outcomes.append(
                        self._outcomes.fail_unclaimed(invocation, key, record.number, explanation)
                    )
                    continue
                if (
                    why_not_taken(invoice, record.state, tenant.settings, run.run_date, self._zone)
                    is not None
                ):
                    continue
                outcomes.append(self._dispatch_one(invocation, invoice, tenant, record))
            except ConcurrentUpdate:
                logger.info("invoice taken by another writer; skipped")
            except TransientError:
                logger.warning("transient error; the batch will be retried")
                unfinished += 1
            except Exception as error:
                outcome = self._fail_unexpected(invocation, key, invoice, error)
                if outcome is None:
                    unfinished += 1
                else:
                    outcomes.append(outcome)
        logger.remove_keys(["tenant_id", "invoice_id"])
        self._deliverer.flush_archive()
        result = self._record(run, outcomes)
        if unfinished:
            raise TransientError(f"{unfinished} invoice(s) of the batch are left for a retry")
        return result

    def _record(self, run: RunRef, outcomes: list[InvoiceOutcome]) -> BatchResult:
        states = Counter(outcome.state for outcome in outcomes)
        counts = RunCounts(
            sent=states[AutoDispatchState.SENT],
            ignored=states[AutoDispatchState.IGNORED],
            failed=states[AutoDispatchState.FAILED],
            follow_ups_failed=sum(outcome.follow_up_failed for outcome in outcomes),
        )
        if counts != RunCounts():
            self._store.add_run_counts(run, counts)
        issues = [issue for outcome in outcomes for issue in outcome.issues]
        if issues:
            self._store.add_run_issues(run, issues)
        sent_by_channel = Counter(
            outcome.channel
            for outcome in outcomes
            if outcome.state is AutoDispatchState.SENT and outcome.channel is not None
        )
        return BatchResult(counts=counts, sent_by_channel=dict(sent_by_channel))

    def _dispatch_one(
        self, invocation: Invocation, invoice: Invoice, tenant: Tenant, record: DispatchRecord
    ) -> InvoiceOutcome:
        """The rules' plan, resumed where earlier attempts left the invoice (logic/recovery.py)."""
        run = invocation.run
        now = self._clock()
        plan = plan_dispatch(invoice, tenant)
        done = progress(record.history)
        unfinished = record.unfinished_attempt
        queued = event(now, run, HistoryEventKind.QUEUED, detail=f"taken by the run of {run.run_date}")
        if done.delivered is not None:
            return self._resume_delivered(invocation, invoice, tenant, plan, done, now)
        channels = plan.remaining(done.rejected)
        if unfinished is not None:
            # R23: an attempt with an unknown outcome is repeated on its own channel only, and
            # only where that cannot deliver twice; otherwise the invoice is FAILED in doubt,
            # whatever the plan says now.
            repeat = self._verdict(unfinished) is Recovery.REPEAT and unfinished in channels
            if not repeat:
                explanation = explain_in_doubt(unfinished)
                return self._outcomes.fail_unclaimed(
                    invocation, invoice.key, invoice.number, explanation, invoice
                )
            channels = (unfinished,)
        if not channels:
            return self._outcomes.settle_unsent(invocation, invoice, plan, done.rejected, queued)
        first = channels[0]
        prior = self._store.claim(
            invoice.key,
            Attempt(run_id=invocation.claimant, channel=first, kind=plan.kind, started_at=now),
            lease_until=now + self._lease,
            events=[queued, *note_events(now, run, plan.reaching(first))],
        )
        if prior is not None and prior.delivered is not None:
            # A delivered marker the history did not show (it is written with the SENT events).
            sent = self._sent_before(plan, prior.delivered, prior.started_at, follow_up_done=False)
            return self._complete_sent(invocation, invoice, tenant, plan, sent, [], prior)
        if prior is not None and prior.channel is not unfinished:
            # Changed between the read and the claim: the outcome of that attempt is unknown.
            return self._outcomes.fail(invocation, invoice, explain_in_doubt(prior.channel))
        return self._send_through_chain(
            invocation, invoice, tenant, plan, channels, dict(done.rejected), unknown=prior is not None
        )

    def _send_through_chain(
        self,
        invocation: Invocation,
        invoice: Invoice,
        tenant: Tenant,
        plan: DispatchPlan,
        channels: Sequence[Channel],
        rejected: dict[Channel, str],
        unknown: bool,
    ) -> InvoiceOutcome:
        """R12: the channels in order, moving on when one rejects the invoice for good. `unknown`:
        the first channel is being repeated after an attempt whose outcome is unknown (R23)."""
        run = invocation.run
        events: list[HistoryEvent] = []
        now = self._clock()
        for position, channel in enumerate(channels):
            if position > 0:
                self._store.next_attempt(
                    invoice.key,
                    Attempt(run_id=invocation.claimant, channel=channel, kind=plan.kind, started_at=now),
                    [*events, *note_events(now, run, plan.reaching(channel))],
                )
                events = []
            try:
                self._pace(channel)
                self._deliverer.deliver(invoice, tenant, channel, plan.kind)
            except PermanentRejection as rejection:
                if unknown:
                    # The earlier attempt may have delivered: moving on could deliver twice.
                    return self._outcomes.fail(
                        invocation, invoice, explain_retry_rejected(channel, str(rejection)), events
                    )
                rejected[channel] = str(rejection)
                now = self._clock()
                events.append(event(now, run, HistoryEventKind.CHANNEL_REJECTED, channel, str(rejection)))
                continue
            except TransientError as error:
                repeatable = repeat_safe(channel)
                if transient_verdict(error.in_doubt, repeatable) is Recovery.IN_DOUBT:
                    return self._outcomes.fail(
                        invocation, invoice, explain_no_clear_answer(channel, str(error)), events
                    )
                if unknown or error.in_doubt:
                    self._outcomes.hand_over(invocation, invoice.key, channel, plan.kind, events)
                else:
                    # Certainly not delivered: the retried batch takes the invoice afresh.
                    self._store.release(invoice.key, invocation.claimant, events)
                raise
            now = self._clock()
            explanation = plan.sent(channel, rejected)
            events.append(event(now, run, HistoryEventKind.SENT, channel, explanation.message))
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
            return self._complete_sent(invocation, invoice, tenant, plan, sent, events)
        return self._outcomes.fail(invocation, invoice, plan.failed(rejected), events)

    def _resume_delivered(
        self,
        invocation: Invocation,
        invoice: Invoice,
        tenant: Tenant,
        plan: DispatchPlan,
        done: Progress,
        now: datetime,
    ) -> InvoiceOutcome:
        """R23: the history shows the invoice delivered by a run that stopped before settling it;
        it is settled SENT without sending it again (and its follow-up finished, R17)."""
        assert done.delivered is not None
        assert done.delivered_at is not None
        route = plan.factoring
        copy_left = route is not None and not done.follow_up_done
        attempt = Attempt(
            run_id=invocation.claimant,
            channel=route.channel if route is not None and copy_left else done.delivered,
            kind=DeliveryKind.FACTORING if copy_left else plan.kind,
            started_at=now,
        )
        prior = self._store.claim(invoice.key, attempt, lease_until=now + self._lease, events=[])
        sent = self._sent_before(plan, done.delivered, done.delivered_at, done.follow_up_done)
        return self._complete_sent(invocation, invoice, tenant, plan, sent, [], prior)

    def _sent_before(self, plan: DispatchPlan, channel: Channel, at: datetime, follow_up_done: bool) -> Sent:
        return Sent(
            channel=channel,
            on=local_date(at, self._zone),
            explanation=plan.sent_by_dead_run(channel),
            follow_up_done=follow_up_done,
        )

    def _complete_sent(
        self,
        invocation: Invocation,
        invoice: Invoice,
        tenant: Tenant,
        plan: DispatchPlan,
        sent: Sent,
        events: list[HistoryEvent],
        resumed: Attempt | None = None,
    ) -> InvoiceOutcome:
        """Settles the delivered invoice SENT after its follow-up (R17). `resumed`: the attempt a
        stopped run left; a copy it was sending by a channel whose routes are not repeat-safe is in doubt."""
        issues: list[RunIssue] = []
        route = plan.factoring
        if route is not None and not sent.follow_up_done:
            in_doubt = (
                resumed is not None
                and resumed.kind is DeliveryKind.FACTORING
                and not repeat_safe(resumed.channel)
            )
            self._pace(route.channel)
            now = self._clock()
            copy, problem = send_factoring_copy(
                self._deliverer, invoice, tenant, route, invocation.run, now, in_doubt
            )
            events.append(copy)
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
        except Exception:
            logger.error("could not record the failure", extra={"error_type": type(error).__name__})
            return None

    def _verdict(self, channel: Channel, delivered: Channel | None = None) -> Recovery:
        """R23: what to do with an attempt a dead run left unfinished (`logic/recovery.py`)."""
        return unfinished_verdict(channel, delivered, repeat_safe(channel))
