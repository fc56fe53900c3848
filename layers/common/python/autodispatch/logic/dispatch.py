"""DispatchBatch: take each invoice of a batch through its channel chain (R11-R18) and record the
outcome on the invoice (R19), without ever sending one twice (R23)."""

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from autodispatch.channels.port import Deliverer
from autodispatch.errors import ConcurrentUpdate, PermanentRejection, TransientError
from autodispatch.models.dispatch import ChannelNote, Decision, HistoryEvent, Outcome, Verdict
from autodispatch.models.enums import AutoDispatchState, Channel, HistoryEventKind
from autodispatch.models.scenario import Invoice, InvoiceKey, Tenant
from autodispatch.observability import logger, tracer
from autodispatch.rules.chain import decide
from autodispatch.rules.due import why_not_taken
from autodispatch.rules.explain import (
    Explanation,
    explain_failed,
    explain_ignored,
    explain_in_doubt,
    explain_invalid,
    explain_sent,
)
from autodispatch.rules.factoring import factoring_route
from autodispatch.store.port import Attempt, InvoiceStore, RunCounts, RunIssue, RunRef, Settlement

Clock = Callable[[], datetime]


class Batch(BaseModel):
    model_config = ConfigDict(frozen=True)

    keys: tuple[InvoiceKey, ...]


class BatchResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    counts: RunCounts
    sent_by_channel: dict[Channel, int] = {}
    skipped: int = 0


class _Outcome(BaseModel):
    """What happened to one invoice in this invocation."""

    model_config = ConfigDict(frozen=True)

    state: AutoDispatchState
    channel: Channel | None = None
    issue: RunIssue | None = None
    extra_issues: tuple[RunIssue, ...] = ()


class BatchDispatcher:
    """Dispatches batches for one run; collaborators are injected (ports and a clock)."""

    def __init__(
        self, store: InvoiceStore, deliverer: Deliverer, zone: ZoneInfo, lease: timedelta, clock: Clock
    ) -> None:
        self._store = store
        self._deliverer = deliverer
        self._zone = zone
        self._lease = lease
        self._clock = clock

    @tracer.capture_method
    def dispatch(self, run: RunRef, keys: Sequence[InvoiceKey]) -> BatchResult:
        """Handles every invoice it can; raises TransientError at the end when some invoice hit a
        transient error, so the state machine retries the batch (finished invoices are skipped)."""
        documents = self._store.read_invoices(keys)
        invoices = documents.valid
        records = self._store.get_records(keys)
        tenants = self._store.get_tenants({key.tenant_id for key in keys})
        sent = ignored = failed = skipped = transient = 0
        sent_by_channel: Counter[Channel] = Counter()
        issues: list[RunIssue] = []
        for key in keys:
            logger.append_keys(tenant_id=key.tenant_id, invoice_id=key.invoice_id)
            invoice, record, tenant = invoices.get(key), records.get(key), tenants.get(key.tenant_id)
            if key in documents.invalid and record is not None and record.state is AutoDispatchState.PENDING:
                # R25: bad data that reached a run fails this invoice only, with the reason.
                try:
                    issues.append(self._fail_invalid(run, key, documents.invalid[key]))
                    failed += 1
                except ConcurrentUpdate:
                    skipped += 1
                continue
            if invoice is None or record is None or tenant is None:
                logger.warning("invoice or tenant not found; skipped")
                skipped += 1
                continue
            if why_not_taken(invoice, record.state, tenant.settings, run.run_date, self._zone) is not None:
                skipped += 1
                continue
            try:
                outcome = self._dispatch_one(run, invoice, tenant)
            except ConcurrentUpdate:
                logger.info("invoice taken by another writer; skipped")
                skipped += 1
                continue
            except TransientError:
                logger.warning("transient error; the batch will be retried")
                transient += 1
                continue
            if outcome.state is AutoDispatchState.SENT and outcome.channel is not None:
                sent += 1
                sent_by_channel[outcome.channel] += 1
            ignored += outcome.state is AutoDispatchState.IGNORED
            failed += outcome.state is AutoDispatchState.FAILED
            issues.extend(issue for issue in (outcome.issue, *outcome.extra_issues) if issue is not None)
        logger.remove_keys(["tenant_id", "invoice_id"])
        counts = RunCounts(sent=sent, ignored=ignored, failed=failed)
        if counts != RunCounts():
            self._store.add_run_counts(run, counts)
        if issues:
            self._store.add_run_issues(run, issues)
        if transient:
            raise TransientError(f"{transient} invoice(s) of the batch hit a transient error")
        return BatchResult(counts=counts, sent_by_channel=dict(sent_by_channel), skipped=skipped)

    def _dispatch_one(self, run: RunRef, invoice: Invoice, tenant: Tenant) -> _Outcome:
        now = self._clock()
        decision = decide(invoice, tenant)
        queued = self._event(now, run, HistoryEventKind.QUEUED, detail=f"taken by the run of {run.run_date}")
        if decision.outcome is not Outcome.SEND:
            return self._settle_without_sending(run, invoice, decision, queued)
        assert decision.channel is not None
        attempt = Attempt(run_id=run.run_id, channel=decision.channel, kind=decision.kind, started_at=now)
        prior = self._store.claim(
            invoice.key,
            attempt,
            lease_until=now + self._lease,
            events=[queued, *self._note_events(now, run, decision.notes)],
        )
        if prior is not None and not self._deliverer.is_idempotent(prior.channel):
            # R23: a run stopped after starting a send that cannot be repeated safely.
            return self._fail(run, invoice, explain_in_doubt(prior.channel))
        return self._send_through_chain(run, invoice, tenant, decision)

    def _send_through_chain(
        self, run: RunRef, invoice: Invoice, tenant: Tenant, decision: Decision
    ) -> _Outcome:
        rejected: dict[Channel, str] = {}
        events: list[HistoryEvent] = []
        while decision.outcome is Outcome.SEND:
            assert decision.channel is not None
            channel = decision.channel
            try:
                self._deliverer.deliver(invoice, tenant, channel, decision.kind)
            except PermanentRejection as rejection:
                rejected[channel] = str(rejection)
                now = self._clock()
                events.append(
                    self._event(now, run, HistoryEventKind.CHANNEL_REJECTED, channel, str(rejection))
                )
                decision = decide(invoice, tenant, rejected)
                if decision.outcome is Outcome.SEND:
                    assert decision.channel is not None
                    self._store.next_attempt(
                        invoice.key,
                        Attempt(
                            run_id=run.run_id, channel=decision.channel, kind=decision.kind, started_at=now
                        ),
                        [*events, *self._note_events(now, run, _after_last_rejection(decision.notes))],
                    )
                    events = []
                continue
            except TransientError as error:
                if not error.in_doubt:
                    self._store.release(invoice.key, run.run_id, events)
                elif not self._deliverer.is_idempotent(channel):
                    return self._fail(run, invoice, explain_in_doubt(channel), events)
                raise
            return self._settle_sent(run, invoice, tenant, decision, events)
        return self._fail(run, invoice, explain_failed(decision), events)

    def _settle_sent(
        self, run: RunRef, invoice: Invoice, tenant: Tenant, decision: Decision, events: list[HistoryEvent]
    ) -> _Outcome:
        assert decision.channel is not None
        explanation = explain_sent(decision.channel, decision.kind, decision.notes)
        now = self._clock()
        events.append(self._event(now, run, HistoryEventKind.SENT, decision.channel, explanation.message))
        extra: list[RunIssue] = []
        route = factoring_route(invoice, tenant)
        if route is not None:
            # R17: the financier's copy follows the sent invoice; its failure is reported like a
            # failed invoice, while the invoice itself stays sent.
            try:
                self._deliverer.deliver_factoring(invoice, tenant, route)
                events.append(
                    self._event(
                        now,
                        run,
                        HistoryEventKind.FACTORING_SENT,
                        route.channel,
                        f"factoring message sent to {route.agreement.financier_name}",
                    )
                )
            except (PermanentRejection, TransientError) as error:
                reason = f"factoring message to {route.agreement.financier_name} failed: {error}"
                events.append(self._event(now, run, HistoryEventKind.FACTORING_FAILED, route.channel, reason))
                extra.append(self._issue(invoice, AutoDispatchState.SENT, f"Sent, but the {reason}"))
        self._store.settle(
            invoice.key,
            run.run_id,
            Settlement(
                state=AutoDispatchState.SENT,
                channel=decision.channel,
                sent_on=run.run_date,
                message=explanation.message,
                details=explanation.details,
                events=tuple(events),
            ),
        )
        return _Outcome(state=AutoDispatchState.SENT, channel=decision.channel, extra_issues=tuple(extra))

    def _settle_without_sending(
        self, run: RunRef, invoice: Invoice, decision: Decision, queued: HistoryEvent
    ) -> _Outcome:
        ignored = decision.outcome is Outcome.IGNORE
        state = AutoDispatchState.IGNORED if ignored else AutoDispatchState.FAILED
        explanation = explain_ignored(decision) if ignored else explain_failed(decision)
        now = queued.at
        kind = HistoryEventKind.IGNORED if ignored else HistoryEventKind.FAILED
        events = (
            queued,
            *self._note_events(now, run, decision.notes),
            self._event(now, run, kind, detail=explanation.message),
        )
        self._store.settle_unclaimed(
            invoice.key,
            run.run_id,
            Settlement(state=state, message=explanation.message, details=explanation.details, events=events),
            now,
        )
        return _Outcome(state=state, issue=self._issue(invoice, state, explanation.message))

    def _fail(
        self, run: RunRef, invoice: Invoice, explanation: Explanation, events: Sequence[HistoryEvent] = ()
    ) -> _Outcome:
        now = self._clock()
        self._store.settle(
            invoice.key,
            run.run_id,
            Settlement(
                state=AutoDispatchState.FAILED,
                message=explanation.message,
                details=explanation.details,
                events=(*events, self._event(now, run, HistoryEventKind.FAILED, detail=explanation.message)),
            ),
        )
        return _Outcome(
            state=AutoDispatchState.FAILED,
            issue=self._issue(invoice, AutoDispatchState.FAILED, explanation.message),
        )

    def _fail_invalid(self, run: RunRef, key: InvoiceKey, problem: str) -> RunIssue:
        explanation = explain_invalid(problem)
        now = self._clock()
        self._store.settle_unclaimed(
            key,
            run.run_id,
            Settlement(
                state=AutoDispatchState.FAILED,
                message=explanation.message,
                details=explanation.details,
                events=(self._event(now, run, HistoryEventKind.FAILED, detail=explanation.message),),
            ),
            now,
        )
        return RunIssue(
            tenant_id=key.tenant_id,
            invoice_id=key.invoice_id,
            number=key.invoice_id,
            state=AutoDispatchState.FAILED,
            message=explanation.message,
        )

    @staticmethod
    def _issue(invoice: Invoice, state: AutoDispatchState, message: str) -> RunIssue:
        return RunIssue(
            tenant_id=invoice.tenant_id,
            invoice_id=invoice.invoice_id,
            number=invoice.number,
            state=state,
            message=message,
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


def _after_last_rejection(notes: Sequence[ChannelNote]) -> Sequence[ChannelNote]:
    """The notes a new decision adds after the channels already rejected (recorded before)."""
    last = max((index for index, note in enumerate(notes) if note.verdict is Verdict.REJECTED), default=-1)
    return notes[last + 1 :]
