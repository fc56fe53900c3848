"""DispatchBatch: take each invoice of a batch through its channel chain (R11-R18) and record the
outcome on the invoice (R19), without ever sending one twice (R23, see `logic/recovery.py`) and
without one invoice stopping the others (R24).

Each invoice goes straight down: the store's records -> the rules' plan (`plan_dispatch`) and
recovery verdict -> the channels, in the plan's order -> the outcome written to the store.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from autodispatch.channels.port import Deliverer
from autodispatch.errors import ConcurrentUpdate, PermanentRejection, TransientError
from autodispatch.logic.history import InvoiceOutcome, event, failed, failure, issue, note_events
from autodispatch.logic.recovery import Invocation, factoring_in_doubt, new_invocation
from autodispatch.models.dispatch import DispatchRecord, HistoryEvent
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, HistoryEventKind
from autodispatch.models.scenario import Invoice, InvoiceKey, Tenant
from autodispatch.observability import logger, tracer
from autodispatch.rules.chain import DispatchPlan, plan_dispatch
from autodispatch.rules.due import local_date, why_not_taken
from autodispatch.rules.explain import Explanation, explain_in_doubt, explain_invalid, explain_unexpected
from autodispatch.rules.recovery import Recovery, transient_verdict, unfinished_verdict
from autodispatch.store.port import Attempt, InvoiceDocuments, RunCounts, RunIssue, RunRef, Settlement

Clock = Callable[[], datetime]
# Seconds of the invocation left; a batch stops taking invoices when it runs low.
TimeLeft = Callable[[], float]
# Enough for one more invoice through three channels at their transport timeouts.
RESERVE_SECONDS = 30.0


class DispatchStore(Protocol):
    """The part of `autodispatch.store.port.InvoiceStore` a dispatch run uses; each write is
    conditional, as the store port describes."""

    def read_invoices(self, keys: Iterable[InvoiceKey]) -> InvoiceDocuments: ...

    def get_records(self, keys: Iterable[InvoiceKey]) -> dict[InvoiceKey, DispatchRecord]: ...

    def get_tenants(self, tenant_ids: Iterable[str]) -> dict[str, Tenant]: ...

    def claim(
        self, key: InvoiceKey, attempt: Attempt, lease_until: datetime, events: Sequence[HistoryEvent]
    ) -> Attempt | None: ...

    def next_attempt(self, key: InvoiceKey, attempt: Attempt, events: Sequence[HistoryEvent]) -> None: ...

    def settle(self, key: InvoiceKey, run_id: str, settlement: Settlement) -> None: ...

    def settle_unclaimed(
        self, key: InvoiceKey, run_id: str, settlement: Settlement, now: datetime
    ) -> None: ...

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
    ) -> None:
        self._store = store
        self._deliverer = deliverer
        self._zone = zone
        self._lease = lease
        self._clock = clock
        self._time_left = time_left

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
                    outcomes.append(self._fail_unclaimed(invocation, key, record.number, explanation))
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

    def _record(self, run: RunRef, outcomes: list[InvoiceOutcome]) -> BatchResult:
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
        self, invocation: Invocation, invoice: Invoice, tenant: Tenant, unfinished: Channel | None
    ) -> InvoiceOutcome:
        run = invocation.run
        now = self._clock()
        plan = plan_dispatch(invoice, tenant)
        queued = event(now, run, HistoryEventKind.QUEUED, detail=f"taken by the run of {run.run_date}")
        if not plan.channels:
            if unfinished is not None and self._verdict(unfinished) is Recovery.IN_DOUBT:
                # Whatever the settings say now, a dead run may have sent it already.
                explanation = explain_in_doubt(unfinished)
                return self._fail_unclaimed(invocation, invoice.key, invoice.number, explanation)
            return self._settle_unsent(invocation, invoice, plan, queued)
        first = plan.channels[0]
        prior = self._store.claim(
            invoice.key,
            Attempt(run_id=invocation.claimant, channel=first, kind=plan.kind, started_at=now),
            lease_until=now + self._lease,
            events=[queued, *note_events(now, run, plan.reaching(first))],
        )
        if prior is not None:
            verdict = self._verdict(prior.channel, prior.delivered)
            if verdict is Recovery.DELIVERED and prior.delivered is not None:
                sent_on = local_date(prior.started_at, self._zone)
                explanation = plan.sent_by_dead_run(prior.delivered)
                return self._complete_sent(
                    invocation, invoice, tenant, plan, prior.delivered, sent_on, explanation, [], prior
                )
            if verdict is Recovery.IN_DOUBT:
                return self._fail(invocation, invoice, explain_in_doubt(prior.channel))
        return self._send_through_chain(invocation, invoice, tenant, plan)

    def _send_through_chain(
        self, invocation: Invocation, invoice: Invoice, tenant: Tenant, plan: DispatchPlan
    ) -> InvoiceOutcome:
        """R12: the plan's channels in order, moving on when one rejects the invoice for good."""
        run = invocation.run
        rejected: dict[Channel, str] = {}
        events: list[HistoryEvent] = []
        now = self._clock()
        for position, channel in enumerate(plan.channels):
            if position > 0:
                self._store.next_attempt(
                    invoice.key,
                    Attempt(run_id=invocation.claimant, channel=channel, kind=plan.kind, started_at=now),
                    [*events, *note_events(now, run, plan.reaching(channel))],
                )
                events = []
            try:
                self._deliverer.deliver(invoice, tenant, channel, plan.kind)
            except PermanentRejection as rejection:
                rejected[channel] = str(rejection)
                now = self._clock()
                events.append(event(now, run, HistoryEventKind.CHANNEL_REJECTED, channel, str(rejection)))
                continue
            except TransientError as error:
                repeatable = self._deliverer.is_idempotent(channel)
                if transient_verdict(error.in_doubt, repeatable) is Recovery.IN_DOUBT:
                    return self._fail(invocation, invoice, explain_in_doubt(channel), events)
                # Certainly not delivered, or safe to repeat: the retried batch takes it again.
                self._store.release(invoice.key, invocation.claimant, events)
                raise
            return self._settle_sent(invocation, invoice, tenant, plan, channel, rejected, events)
        return self._fail(invocation, invoice, plan.failed(rejected), events)

    def _settle_sent(
        self,
        invocation: Invocation,
        invoice: Invoice,
        tenant: Tenant,
        plan: DispatchPlan,
        channel: Channel,
        rejected: dict[Channel, str],
        events: list[HistoryEvent],
    ) -> InvoiceOutcome:
        explanation = plan.sent(channel, rejected)
        now = self._clock()
        events.append(event(now, invocation.run, HistoryEventKind.SENT, channel, explanation.message))
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
        return self._complete_sent(
            invocation, invoice, tenant, plan, channel, invocation.run.run_date, explanation, events
        )

    def _complete_sent(
        self,
        invocation: Invocation,
        invoice: Invoice,
        tenant: Tenant,
        plan: DispatchPlan,
        channel: Channel,
        sent_on: date,
        explanation: Explanation,
        events: list[HistoryEvent],
        resumed: Attempt | None = None,
    ) -> InvoiceOutcome:
        """R17: the financier's copy follows the sent invoice; its failure is reported like a failed
        invoice, while the invoice itself stays sent."""
        run = invocation.run
        now = self._clock()
        issues: list[RunIssue] = []
        route = plan.factoring
        if route is not None:
            financier = route.agreement.financier_name
            reason: str | None = None
            if resumed is not None and not self._deliverer.is_idempotent(resumed.channel):
                reason = factoring_in_doubt(financier)
            else:
                try:
                    self._deliverer.deliver_factoring(invoice, tenant, route)
                except (PermanentRejection, TransientError) as error:
                    reason = f"factoring message to {financier} failed: {error}"
            if reason is None:
                detail = f"factoring message sent to {financier}"
                events.append(event(now, run, HistoryEventKind.FACTORING_SENT, route.channel, detail))
            else:
                events.append(event(now, run, HistoryEventKind.FACTORING_FAILED, route.channel, reason))
                sent = AutoDispatchState.SENT
                issues.append(issue(invoice.key, invoice.number, sent, f"Sent, but the {reason}"))
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
        return InvoiceOutcome(state=AutoDispatchState.SENT, channel=channel, issues=tuple(issues))

    def _settle_unsent(
        self, invocation: Invocation, invoice: Invoice, plan: DispatchPlan, queued: HistoryEvent
    ) -> InvoiceOutcome:
        """Nothing is sent: IGNORED (R11, R18), or FAILED when no channel can be used (R12)."""
        ignored = plan.ignored is not None
        state = AutoDispatchState.IGNORED if ignored else AutoDispatchState.FAILED
        explanation = plan.unsent()
        now = queued.at
        kind = HistoryEventKind.IGNORED if ignored else HistoryEventKind.FAILED
        events = (
            queued,
            *note_events(now, invocation.run, plan.decision().notes),
            event(now, invocation.run, kind, detail=explanation.message),
        )
        self._store.settle_unclaimed(
            invoice.key,
            invocation.claimant,
            Settlement(state=state, message=explanation.message, details=explanation.details, events=events),
            now,
        )
        return InvoiceOutcome(
            state=state, issues=(issue(invoice.key, invoice.number, state, explanation.message),)
        )

    def _fail(
        self,
        invocation: Invocation,
        invoice: Invoice,
        explanation: Explanation,
        events: Sequence[HistoryEvent] = (),
    ) -> InvoiceOutcome:
        """FAILED by the invocation that holds the claim."""
        settlement = failure(invocation.run, explanation, self._clock(), events)
        self._store.settle(invoice.key, invocation.claimant, settlement)
        return failed(invoice.key, invoice.number, explanation)

    def _fail_unclaimed(
        self, invocation: Invocation, key: InvoiceKey, number: str | None, explanation: Explanation
    ) -> InvoiceOutcome:
        """FAILED without claiming first (nothing is sent); refused while another run holds it."""
        now = self._clock()
        settlement = failure(invocation.run, explanation, now)
        self._store.settle_unclaimed(key, invocation.claimant, settlement, now)
        return failed(key, number or key.invoice_id, explanation)

    def _fail_unexpected(
        self, invocation: Invocation, key: InvoiceKey, invoice: Invoice | None, error: Exception
    ) -> InvoiceOutcome | None:
        """R24: an error nobody foresaw ends this invoice FAILED (never sent again automatically,
        since the send may have happened); None when even that cannot be recorded."""
        # The type only: an exception's text may carry personal data.
        logger.error("unexpected error while dispatching", extra={"error_type": type(error).__name__})
        number = invoice.number if invoice is not None else key.invoice_id
        try:
            return self._fail_unclaimed(invocation, key, number, explain_unexpected(type(error).__name__))
        except Exception:
            logger.error("could not record the failure", extra={"error_type": type(error).__name__})
            return None

    def _verdict(self, channel: Channel, delivered: Channel | None = None) -> Recovery:
        """R23: what to do with an attempt a dead run left unfinished (`logic/recovery.py`)."""
        return unfinished_verdict(channel, delivered, self._deliverer.is_idempotent(channel))
