"""Writing what happened to an invoice (R19): its settlement, the run issue to report (R21), and
the hand-over of an attempt whose outcome the next owner must know (R23, logic/recovery.py)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from autodispatch.errors import TransientError
from autodispatch.logic.history import InvoiceOutcome, event, failed, failure, issue, note_events
from autodispatch.logic.recovery import Invocation
from autodispatch.models.dispatch import HistoryEvent
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, HistoryEventKind
from autodispatch.models.scenario import Invoice, InvoiceKey
from autodispatch.models.text import Text
from autodispatch.rules.chain import DispatchPlan
from autodispatch.rules.due import local_date
from autodispatch.rules.explain import Explanation
from autodispatch.store.port import Attempt, OutcomeStore, RunIssue, RunRef, Settlement

# A lease that ended just now: the next claim, by anyone, may take the invoice over.
LEASE_ENDED = timedelta(microseconds=1)


def sent_on(run: RunRef, delivered_by: str, at: datetime, zone: ZoneInfo) -> date:
    """R19: the night's date when this run delivered the invoice (`delivered_by` its run id or an
    invocation's claimant `<run id>/...`: a retried batch, a take-over within the night), as an
    uninterrupted run writes it; for another run's delivery the local date it happened on."""
    mine = delivered_by == run.run_id or delivered_by.startswith(f"{run.run_id}/")
    return run.run_date if mine else local_date(at, zone)


def transmitted_by(key: str) -> str:
    """The run whose batch staged documents for the S3 outbox object `key`: its attempt names it,
    `outbox/<transport>/<run id>/<batch>/<token>-<part>.<ext>` (`logic/dispatch.archive_scope`)."""
    return unquote(key.split("/")[2])


@dataclass(frozen=True)
class Sent:
    """A confirmed delivery: by which channel, on which night, explained how (R16, R19)."""

    channel: Channel
    on: date
    explanation: Explanation


class OutcomeWriter:
    """Ends an invoice's dispatch SENT, IGNORED or FAILED with its events and run issue, or hands
    its attempt over to the next owner; every write is conditional on the invocation's claim."""

    def __init__(self, store: OutcomeStore, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    def settle_sent(
        self,
        invocation: Invocation,
        key: InvoiceKey,
        kind: DeliveryKind,
        sent: Sent,
        events: Sequence[HistoryEvent],
        issues: Sequence[RunIssue],
    ) -> InvoiceOutcome:
        settlement = Settlement(
            state=AutoDispatchState.SENT,
            channel=sent.channel,
            sent_on=sent.on,
            message=sent.explanation.message,
            details=sent.explanation.details,
            events=tuple(events),
        )
        try:
            self._store.settle(key, invocation.claimant, settlement)
        except TransientError:
            # R23: the send is confirmed; one more write records it (and ends the lease), so the
            # retried batch settles the invoice SENT instead of sending it again.
            self.hand_over(invocation, key, sent.channel, kind, settlement.events)
            raise
        return InvoiceOutcome(
            state=AutoDispatchState.SENT,
            channel=sent.channel,
            issues=tuple(issues),
            follow_up_failed=bool(issues),
        )

    def settle_unsent(
        self,
        invocation: Invocation,
        invoice: Invoice,
        plan: DispatchPlan,
        rejected: dict[Channel, Text],
        queued: HistoryEvent,
    ) -> InvoiceOutcome:
        """Nothing (more) is sent: IGNORED (R11, R18), or FAILED when no channel can be used or
        every one left rejected the invoice (R12)."""
        ignored = plan.ignored is not None
        state = AutoDispatchState.IGNORED if ignored else AutoDispatchState.FAILED
        explanation = plan.unsent() if ignored else plan.failed(rejected)
        now = queued.at
        kind = HistoryEventKind.IGNORED if ignored else HistoryEventKind.FAILED
        events = (
            queued,
            *note_events(now, invocation.run, plan.decision(rejected).notes, invoice, plan.kind),
            event(now, invocation.run, kind, detail=explanation.message),
        )
        self._store.settle_unclaimed(
            invoice.key,
            invocation.claimant,
            Settlement(state=state, message=explanation.message, details=explanation.details, events=events),
            now,
        )
        return InvoiceOutcome(
            state=state,
            issues=(
                issue(
                    invoice.key,
                    invoice.number,
                    state,
                    explanation.message,
                    details=explanation.details,
                    invoice=invoice,
                ),
            ),
        )

    def fail(
        self,
        invocation: Invocation,
        invoice: Invoice,
        explanation: Explanation,
        events: Sequence[HistoryEvent] = (),
    ) -> InvoiceOutcome:
        """FAILED by the invocation that holds the claim."""
        settlement = failure(invocation.run, explanation, self._clock(), events)
        self._store.settle(invoice.key, invocation.claimant, settlement)
        return failed(invoice.key, invoice.number, explanation, invoice)

    def fail_unclaimed(
        self,
        invocation: Invocation,
        key: InvoiceKey,
        number: str | None,
        explanation: Explanation,
        invoice: Invoice | None = None,
    ) -> InvoiceOutcome:
        """FAILED without claiming first (nothing is sent); refused while another run holds it.
        `invoice` is None when its document could not be read."""
        now = self._clock()
        settlement = failure(invocation.run, explanation, now)
        self._store.settle_unclaimed(key, invocation.claimant, settlement, now)
        return failed(key, number or key.invoice_id, explanation, invoice)

    def hand_over(
        self,
        invocation: Invocation,
        key: InvoiceKey,
        channel: Channel,
        kind: DeliveryKind,
        events: Sequence[HistoryEvent],
        delivered: Channel | None = None,
        *,
        transmission: str | None = None,
    ) -> None:
        """R23: the attempt stays recorded with its lease already ended and the events appended,
        so whoever takes the invoice next (the retried batch) knows what happened on `channel`;
        `delivered`: the invoice's channel when the attempt is its copy's (the delivered marker);
        `transmission`: for a staged document, the outbox object that tells whether it went out."""
        now = self._clock()
        attempt = Attempt(
            run_id=invocation.claimant,
            channel=channel,
            kind=kind,
            started_at=now,
            delivered=delivered,
            transmission=transmission,
        )
        self._store.claim(key, attempt, lease_until=now - LEASE_ENDED, events=events)
