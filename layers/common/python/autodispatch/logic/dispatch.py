"""DispatchBatch: take each invoice of a batch through its channel chain (R11-R18) and record the
outcome on the invoice (R19), without ever sending one twice (R23) and without one invoice
stopping the others (R24)."""

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from autodispatch.channels.port import Deliverer
from autodispatch.errors import ConcurrentUpdate, PermanentRejection, TransientError
from autodispatch.logic.pacing import Pace, no_pacing
from autodispatch.models.dispatch import ChannelNote, Decision, HistoryEvent, Outcome, Verdict
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, HistoryEventKind
from autodispatch.models.scenario import Invoice, InvoiceKey, Tenant
from autodispatch.observability import logger, tracer
from autodispatch.rules.chain import decide
from autodispatch.rules.due import local_date, why_not_taken
from autodispatch.rules.explain import (
    Explanation,
    explain_failed,
    explain_ignored,
    explain_in_doubt,
    explain_invalid,
    explain_sent,
    explain_unexpected,
)
from autodispatch.rules.factoring import factoring_route
from autodispatch.store.port import Attempt, InvoiceStore, RunCounts, RunIssue, RunRef, Settlement

Clock = Callable[[], datetime]
# Seconds of the invocation left; a batch stops taking invoices when it runs low.
TimeLeft = Callable[[], float]
# Enough for one more invoice through three channels at their transport timeouts.
RESERVE_SECONDS = 30.0


def unlimited() -> float:
    return float("inf")


class Batch(BaseModel):
    model_config = ConfigDict(frozen=True)

    keys: tuple[InvoiceKey, ...]


class BatchResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    counts: RunCounts
    sent_by_channel: dict[Channel, int] = {}


@dataclass(frozen=True)
class _Invocation:
    """One invocation's work on a run. The claimant owns the claims it makes: a concurrent duplicate
    of the same batch (at-least-once child executions) has another one and cannot take them."""

    run: RunRef
    claimant: str


class _Outcome(BaseModel):
    """What happened to one invoice in this invocation."""

    model_config = ConfigDict(frozen=True)

    state: AutoDispatchState
    channel: Channel | None = None
    issues: tuple[RunIssue, ...] = ()


class BatchDispatcher:
    """Dispatches batches for one run; collaborators are injected (ports, a clock, the time left)."""

    def __init__(
        self,
        store: InvoiceStore,
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
        self._pace = pace

    @tracer.capture_method
    def dispatch(self, run: RunRef, keys: Sequence[InvoiceKey]) -> BatchResult:
        """Handles every invoice it can. Counts and run issues of what it finished are recorded
        first; then it raises TransientError when some invoice hit a transient error or time ran
        short, so the state machine retries the batch (finished invoices are skipped)."""
        invocation = _Invocation(run=run, claimant=f"{run.run_id}/{uuid.uuid4().hex[:12]}")
        documents = self._store.read_invoices(keys)
        records = self._store.get_records(keys)
        tenants = self._store.get_tenants({key.tenant_id for key in keys})
        outcomes: list[_Outcome] = []
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
                    outcomes.append(self._fail_unreadable(invocation, key, record.number, problem))
                    continue
                if (
                    why_not_taken(invoice, record.state, tenant.settings, run.run_date, self._zone)
                    is not None
                ):
                    continue
                outcomes.append(self._dispatch_one(invocation, invoice, tenant, record.unfinished_attempt))
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
        result = self._record(run, outcomes)
        if unfinished:
            raise TransientError(f"{unfinished} invoice(s) of the batch are left for a retry")
        return result

    def _record(self, run: RunRef, outcomes: list[_Outcome]) -> BatchResult:
        states = Counter(outcome.state for outcome in outcomes)
        counts = RunCounts(
            sent=states[AutoDispatchState.SENT],
            ignored=states[AutoDispatchState.IGNORED],
            failed=states[AutoDispatchState.FAILED],
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
        self, invocation: _Invocation, invoice: Invoice, tenant: Tenant, unfinished: Channel | None
    ) -> _Outcome:
        run = invocation.run
        now = self._clock()
        decision = decide(invoice, tenant)
        queued = self._event(now, run, HistoryEventKind.QUEUED, detail=f"taken by the run of {run.run_date}")
        if decision.outcome is not Outcome.SEND:
            if unfinished is not None and not self._deliverer.is_idempotent(unfinished):
                # R23: whatever the settings say now, a dead run may have sent it already.
                return self._fail_in_doubt_unclaimed(invocation, invoice, unfinished, now)
            return self._settle_without_sending(invocation, invoice, decision, queued)
        assert decision.channel is not None
        prior = self._store.claim(
            invoice.key,
            self._attempt(invocation, decision, now),
            lease_until=now + self._lease,
            events=[queued, *self._note_events(now, run, decision.notes)],
        )
        if prior is not None and prior.delivered is not None:
            # A run stopped after the invoice went out, while sending the financier's copy.
            return self._finish_after_delivery(invocation, invoice, tenant, prior)
        if prior is not None and not self._deliverer.is_idempotent(prior.channel):
            # R23: a run stopped after starting a send that cannot be repeated safely.
            return self._fail(invocation, invoice, explain_in_doubt(prior.channel))
        return self._send_through_chain(invocation, invoice, tenant, decision)

    def _send_through_chain(
        self, invocation: _Invocation, invoice: Invoice, tenant: Tenant, decision: Decision
    ) -> _Outcome:
        run = invocation.run
        rejected: dict[Channel, str] = {}
        events: list[HistoryEvent] = []
        while decision.outcome is Outcome.SEND:
            assert decision.channel is not None
            channel = decision.channel
            try:
                self._pace(channel)
                self._deliverer.deliver(invoice, tenant, channel, decision.kind)
            except PermanentRejection as rejection:
                rejected[channel] = str(rejection)
                now = self._clock()
                events.append(
                    self._event(now, run, HistoryEventKind.CHANNEL_REJECTED, channel, str(rejection))
                )
                decision = decide(invoice, tenant, rejected)
                if decision.outcome is Outcome.SEND:
                    self._store.next_attempt(
                        invoice.key,
                        self._attempt(invocation, decision, now),
                        [*events, *self._note_events(now, run, _after_last_rejection(decision.notes))],
                    )
                    events = []
                continue
            except TransientError as error:
                if error.in_doubt and not self._deliverer.is_idempotent(channel):
                    return self._fail(invocation, invoice, explain_in_doubt(channel), events)
                # Certainly not delivered, or safe to repeat (deterministic message id): give the
                # claim back so the retried batch takes the invoice again.
                self._store.release(invoice.key, invocation.claimant, events)
                raise
            return self._settle_sent(invocation, invoice, tenant, decision, events)
        return self._fail(invocation, invoice, explain_failed(decision), events)

    def _settle_sent(
        self,
        invocation: _Invocation,
        invoice: Invoice,
        tenant: Tenant,
        decision: Decision,
        events: list[HistoryEvent],
    ) -> _Outcome:
        assert decision.channel is not None
        explanation = explain_sent(decision.channel, decision.kind, decision.notes)
        now = self._clock()
        events.append(
            self._event(now, invocation.run, HistoryEventKind.SENT, decision.channel, explanation.message)
        )
        route = factoring_route(invoice, tenant)
        if route is not None:
            # Recorded before the financier's copy goes, so a run that dies now is known to have
            # delivered the invoice and is not asked to send it again.
            self._store.next_attempt(
                invoice.key,
                Attempt(
                    run_id=invocation.claimant,
                    channel=route.channel,
                    kind=DeliveryKind.FACTORING,
                    started_at=now,
                    delivered=decision.channel,
                ),
                events,
            )
            events = []
        return self._complete_sent(
            invocation, invoice, tenant, decision.channel, invocation.run.run_date, explanation, events
        )

    def _finish_after_delivery(
        self, invocation: _Invocation, invoice: Invoice, tenant: Tenant, prior: Attempt
    ) -> _Outcome:
        assert prior.delivered is not None
        explanation = explain_sent(prior.delivered, decide(invoice, tenant).kind, ())
        sent_on = local_date(prior.started_at, self._zone)
        return self._complete_sent(
            invocation, invoice, tenant, prior.delivered, sent_on, explanation, [], resumed=prior
        )

    def _complete_sent(
        self,
        invocation: _Invocation,
        invoice: Invoice,
        tenant: Tenant,
        channel: Channel,
        sent_on: date,
        explanation: Explanation,
        events: list[HistoryEvent],
        resumed: Attempt | None = None,
    ) -> _Outcome:
        """R17: the financier's copy follows the sent invoice; its failure is reported like a failed
        invoice, while the invoice itself stays sent."""
        run = invocation.run
        now = self._clock()
        issues: list[RunIssue] = []
        route = factoring_route(invoice, tenant)
        if route is not None:
            financier = route.agreement.financier_name
            reason: str | None = None
            if resumed is not None and not self._deliverer.is_idempotent(resumed.channel):
                reason = (
                    f"factoring message to {financier} may or may not have been sent: a run stopped "
                    "while sending it"
                )
            else:
                try:
                    self._pace(route.channel)
                    self._deliverer.deliver_factoring(invoice, tenant, route)
                except (PermanentRejection, TransientError) as error:
                    reason = f"factoring message to {financier} failed: {error}"
            if reason is None:
                events.append(
                    self._event(
                        now,
                        run,
                        HistoryEventKind.FACTORING_SENT,
                        route.channel,
                        f"factoring message sent to {financier}",
                    )
                )
            else:
                events.append(self._event(now, run, HistoryEventKind.FACTORING_FAILED, route.channel, reason))
                issues.append(
                    _issue(invoice.key, invoice.number, AutoDispatchState.SENT, f"Sent, but the {reason}")
                )
        self._store.settle(
            invoice.key,
            invocation.claimant,
            Settlement(
                state=AutoDispatchState.SENT,
                channel=channel,
                sent_on=sent_on,
                message=explanation.message,
                details=explanation.details,
                events=tuple(events),
            ),
        )
        return _Outcome(state=AutoDispatchState.SENT, channel=channel, issues=tuple(issues))

    def _settle_without_sending(
        self, invocation: _Invocation, invoice: Invoice, decision: Decision, queued: HistoryEvent
    ) -> _Outcome:
        ignored = decision.outcome is Outcome.IGNORE
        state = AutoDispatchState.IGNORED if ignored else AutoDispatchState.FAILED
        explanation = explain_ignored(decision) if ignored else explain_failed(decision)
        now = queued.at
        kind = HistoryEventKind.IGNORED if ignored else HistoryEventKind.FAILED
        events = (
            queued,
            *self._note_events(now, invocation.run, decision.notes),
            self._event(now, invocation.run, kind, detail=explanation.message),
        )
        self._store.settle_unclaimed(
            invoice.key,
            invocation.claimant,
            Settlement(state=state, message=explanation.message, details=explanation.details, events=events),
            now,
        )
        return _Outcome(
            state=state, issues=(_issue(invoice.key, invoice.number, state, explanation.message),)
        )

    def _fail(
        self,
        invocation: _Invocation,
        invoice: Invoice,
        explanation: Explanation,
        events: Sequence[HistoryEvent] = (),
    ) -> _Outcome:
        now = self._clock()
        self._store.settle(
            invoice.key,
            invocation.claimant,
            self._failure(invocation.run, explanation, now, events),
        )
        return _Outcome(
            state=AutoDispatchState.FAILED,
            issues=(_issue(invoice.key, invoice.number, AutoDispatchState.FAILED, explanation.message),),
        )

    def _fail_in_doubt_unclaimed(
        self, invocation: _Invocation, invoice: Invoice, channel: Channel, now: datetime
    ) -> _Outcome:
        explanation = explain_in_doubt(channel)
        self._store.settle_unclaimed(
            invoice.key, invocation.claimant, self._failure(invocation.run, explanation, now), now
        )
        return _Outcome(
            state=AutoDispatchState.FAILED,
            issues=(_issue(invoice.key, invoice.number, AutoDispatchState.FAILED, explanation.message),),
        )

    def _fail_unreadable(
        self, invocation: _Invocation, key: InvoiceKey, number: str | None, problem: str
    ) -> _Outcome:
        explanation = explain_invalid(problem)
        now = self._clock()
        self._store.settle_unclaimed(
            key, invocation.claimant, self._failure(invocation.run, explanation, now), now
        )
        return _Outcome(
            state=AutoDispatchState.FAILED,
            issues=(_issue(key, number or key.invoice_id, AutoDispatchState.FAILED, explanation.message),),
        )

    def _fail_unexpected(
        self, invocation: _Invocation, key: InvoiceKey, invoice: Invoice | None, error: Exception
    ) -> _Outcome | None:
        """R24: an error nobody foresaw ends this invoice FAILED (never sent again automatically,
        since the send may have happened); None when even that cannot be recorded."""
        # The type only: an exception's text may carry personal data.
        logger.error("unexpected error while dispatching", extra={"error_type": type(error).__name__})
        explanation = explain_unexpected(type(error).__name__)
        now = self._clock()
        try:
            self._store.settle_unclaimed(
                key, invocation.claimant, self._failure(invocation.run, explanation, now), now
            )
        except Exception:
            logger.error("could not record the failure", extra={"error_type": type(error).__name__})
            return None
        number = invoice.number if invoice is not None else key.invoice_id
        return _Outcome(
            state=AutoDispatchState.FAILED,
            issues=(_issue(key, number, AutoDispatchState.FAILED, explanation.message),),
        )

    def _failure(
        self, run: RunRef, explanation: Explanation, now: datetime, events: Sequence[HistoryEvent] = ()
    ) -> Settlement:
        return Settlement(
            state=AutoDispatchState.FAILED,
            message=explanation.message,
            details=explanation.details,
            events=(*events, self._event(now, run, HistoryEventKind.FAILED, detail=explanation.message)),
        )

    @staticmethod
    def _attempt(invocation: _Invocation, decision: Decision, now: datetime) -> Attempt:
        assert decision.channel is not None
        return Attempt(
            run_id=invocation.claimant, channel=decision.channel, kind=decision.kind, started_at=now
        )

    @staticmethod
    def _event(
        at: datetime,
        run: RunRef,
        kind: HistoryEventKind,
        channel: Channel | None = None,
        detail: str | None = None,
    ) -> HistoryEvent:
        return HistoryEvent(at=at, event=kind, channel=channel, detail=detail, run_id=run.run_id)

    def _note_events(self, at: datetime, run: RunRef, notes: Sequence[ChannelNote]) -> list[HistoryEvent]:
        """A skipped channel becomes CHANNEL_SKIPPED with its reason; the chosen one CHANNEL_TRIED."""
        events = []
        for note in notes:
            if note.verdict is Verdict.CHOSEN:
                events.append(self._event(at, run, HistoryEventKind.CHANNEL_TRIED, note.channel))
            elif note.verdict is not Verdict.REJECTED:
                events.append(
                    self._event(
                        at,
                        run,
                        HistoryEventKind.CHANNEL_SKIPPED,
                        note.channel,
                        f"{note.verdict}: {note.reason}",
                    )
                )
        return events


def _issue(key: InvoiceKey, number: str, state: AutoDispatchState, message: str) -> RunIssue:
    return RunIssue(
        tenant_id=key.tenant_id, invoice_id=key.invoice_id, number=number, state=state, message=message
    )


def _after_last_rejection(notes: Sequence[ChannelNote]) -> Sequence[ChannelNote]:
    """The notes a new decision adds after the channels already rejected (recorded before)."""
    last = max((index for index, note in enumerate(notes) if note.verdict is Verdict.REJECTED), default=-1)
    return notes[last + 1 :]
