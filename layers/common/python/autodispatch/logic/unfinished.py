"""R24: a run that completes leaves none of the invoices it took PENDING.

A batch that failed for good (its retries ran out, or its child execution timed out outside the
function) has its still-pending invoices settled with what is known and reported (R21), instead of
the run ending SUCCEEDED with them silently pending: FAILED with the cause when nothing was sent,
FAILED in doubt when a send was cut off, SENT when the history shows the invoice delivered (R23).
"""

import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from autodispatch.chunks import chunked
from autodispatch.errors import ConcurrentUpdate
from autodispatch.logic.follow_up import (
    copy_failure,
    copy_issue,
    factoring_copy_in_doubt,
    factoring_copy_refused,
)
from autodispatch.logic.history import InvoiceOutcome, failed, issue, transmitted_event
from autodispatch.logic.outcomes import sent_on, transmitted_by
from autodispatch.models.dispatch import DispatchRecord, HistoryEvent
from autodispatch.models.enums import AutoDispatchState, DeliveryKind, HistoryEventKind
from autodispatch.models.scenario import Invoice, InvoiceKey, Tenant
from autodispatch.observability import logger, tracer
from autodispatch.rules.chain import DispatchPlan, plan_dispatch
from autodispatch.rules.due import why_not_taken
from autodispatch.rules.explain import explain_in_doubt, explain_unfinished
from autodispatch.rules.recovery import (
    Action,
    Copy,
    Known,
    LeftAttempt,
    Progress,
    Step,
    next_action,
    progress,
)
from autodispatch.store.port import DispatchStore, RunCounts, RunIssue, RunRef, Settlement

# Keys read per round trip (one BatchGetItem of state records).
CHUNK = 100


@tracer.capture_method
def settle_unfinished(
    run: RunRef,
    keys: Iterable[InvoiceKey],
    store: DispatchStore,
    zone: ZoneInfo,
    clock: Callable[[], datetime],
    cause: str,
    transmitted: Callable[[str], bool] | None = None,
) -> RunCounts:
    """Settles every invoice of `keys` the run should have dispatched and did not; streams the keys
    in chunks, so memory does not grow with them. What is settled is what is known (R23's
    `next_action`, with no channel repeated: the sweep sends nothing): an invoice the history shows
    delivered, or whose document was staged for an S3 outbox object that exists (`transmitted`),
    ends SENT (its factoring copy in doubt if it had not been handled); one staged for an object that
    does not exist was not sent: FAILED, nothing sent; a claim an invocation of this run left (it
    died mid-send, or `transmitted` was not given to look) ends FAILED in doubt; any other FAILED,
    nothing sent. One another run holds is left to it, and one the rules no longer take stays as it
    is. Raises TransientError when S3 cannot say whether an object exists (the step is retried)."""
    settler = _Settler(run, store, zone, clock, cause, transmitted)
    total = RunCounts()
    for chunk in chunked(keys, CHUNK):
        records = store.get_records(chunk)
        pending = [key for key in chunk if (r := records.get(key)) and r.state is AutoDispatchState.PENDING]
        if not pending:
            continue
        documents = store.read_invoices(pending)
        tenants = store.get_tenants({key.tenant_id for key in pending})
        outcomes = [
            outcome
            for key in pending
            if (outcome := settler.settle(key, records[key], documents.valid.get(key), tenants)) is not None
        ]
        if not outcomes:
            continue
        counts = RunCounts(
            sent=sum(outcome.state is AutoDispatchState.SENT for outcome in outcomes),
            failed=sum(outcome.state is AutoDispatchState.FAILED for outcome in outcomes),
            follow_ups_failed=sum(outcome.follow_up_failed for outcome in outcomes),
        )
        issues = [issue for outcome in outcomes for issue in outcome.issues]
        if issues:
            store.add_run_issues(run, issues)  # before the counts, as a batch writes them
        store.add_run_counts(run, counts)
        total = RunCounts(
            sent=total.sent + counts.sent,
            failed=total.failed + counts.failed,
            follow_ups_failed=total.follow_ups_failed + counts.follow_ups_failed,
        )
    return total


@dataclass(frozen=True)
class _Settler:
    run: RunRef
    store: DispatchStore
    zone: ZoneInfo
    clock: Callable[[], datetime]
    cause: str
    transmitted: Callable[[str], bool] | None = None
    claimant: str = field(default_factory=lambda: f"unfinished-{uuid.uuid4().hex[:12]}")

    def settle(
        self, key: InvoiceKey, record: DispatchRecord, invoice: Invoice | None, tenants: dict[str, Tenant]
    ) -> InvoiceOutcome | None:
        tenant = tenants.get(key.tenant_id)
        if tenant is None:
            return None
        if invoice is not None and why_not_taken(
            invoice, record.state, tenant.settings, self.run.run_date, self.zone
        ):
            return None
        now = self.clock()
        plan = plan_dispatch(invoice, tenant) if invoice is not None else None
        done = progress(record.history)
        left = _left(record, plan, self.transmitted)
        action = next_action(
            Known(
                remaining=plan.remaining(done.rejected) if plan is not None else (),
                factoring_copy=plan.factoring.channel
                if plan is not None and plan.factoring is not None
                else None,
                progress=done,
                left=left,
                repeat_safe=frozenset(),  # the sweep sends nothing, so nothing is repeated
                sends=False,
            )
        )
        if action.step is Step.SETTLE_SENT and plan is not None and invoice is not None:
            return self._sent(key, invoice, plan, action, done, now)
        number = record.number or (invoice.number if invoice is not None else key.invoice_id)
        explanation = (
            explain_in_doubt(action.channel)
            if action.step is Step.FAIL_IN_DOUBT and action.channel is not None
            else explain_unfinished(self.cause)
        )
        event = HistoryEvent(
            at=now, event=HistoryEventKind.FAILED, detail=explanation.message, run_id=self.run.run_id
        )
        settlement = Settlement(
            state=AutoDispatchState.FAILED,
            message=explanation.message,
            details=explanation.details,
            events=(event,),
        )
        if not self._settled(key, settlement, now):
            return None
        return failed(key, number, explanation, invoice)

    def _sent(
        self,
        key: InvoiceKey,
        invoice: Invoice,
        plan: DispatchPlan,
        action: Action,
        done: Progress,
        now: datetime,
    ) -> InvoiceOutcome | None:
        """R23: the invoice went out before the run stopped; its copy (R17), if not handled, is never
        sent again: said to be in doubt when it may have gone out after it, not sent when every
        attempt was refused without doubt (throttled)."""
        assert action.channel is not None
        explanation = plan.sent_by_dead_run(action.channel)
        staged_by = transmitted_by(action.transmission) if action.transmission is not None else ""
        by = done.delivered_by or staged_by
        events: tuple[HistoryEvent, ...] = ()
        issues: tuple[RunIssue, ...] = ()
        if action.transmission is not None:
            # Delivered in the outbox object its document was staged for: the history says where.
            where = transmitted_event(
                now, self.run, invoice, action.channel, plan.kind, action.transmission, explanation.message
            )
            events = (where,)
        if plan.factoring is not None and action.factoring_copy is not Copy.NONE:
            follow_up, problem = (
                factoring_copy_refused(invoice, plan.factoring, self.run, now, done.copy_refused)
                if action.factoring_copy is Copy.NOT_SENT and done.copy_refused is not None
                else factoring_copy_in_doubt(invoice, plan.factoring, self.run, now)
            )
            events, issues = (*events, follow_up), (problem,) if problem is not None else ()
        settlement = Settlement(
            state=AutoDispatchState.SENT,
            channel=action.channel,
            sent_on=sent_on(self.run, by, done.delivered_at or now, self.zone),
            message=explanation.message,
            details=explanation.details,
            events=events,
        )
        if not self._settled(key, settlement, now):
            return None
        return InvoiceOutcome(
            state=AutoDispatchState.SENT, channel=action.channel, issues=issues, follow_up_failed=bool(issues)
        )

    def _settled(self, key: InvoiceKey, settlement: Settlement, now: datetime) -> bool:
        try:
            self.store.settle_left_by_run(
                key, self.run.run_id, f"{self.run.run_id}/{self.claimant}", settlement, now
            )
        except ConcurrentUpdate as error:
            logger.info(
                "unfinished invoice held by another run; left to its lease",
                extra={
                    "run_id": self.run.run_id,
                    "tenant_id": key.tenant_id,
                    "invoice_id": key.invoice_id,
                    "error_type": type(error).__name__,
                },
            )
            return False
        return True


def _left(
    record: DispatchRecord, plan: DispatchPlan | None, transmitted: Callable[[str], bool] | None
) -> LeftAttempt | None:
    """The attempt the record's claim holds: the financier's copy when it carries the delivered
    marker (R17: the copy was going when the run stopped), else the invoice's unfinished one, with
    whether the outbox object it was staged for exists (None: not known)."""
    if record.delivered_unsettled is not None and plan is not None and plan.factoring is not None:
        return LeftAttempt(
            channel=plan.factoring.channel, kind=DeliveryKind.FACTORING, delivered=record.delivered_unsettled
        )
    if record.unfinished_attempt is None:
        return None
    staged_in = record.unfinished_transmission
    return LeftAttempt(
        channel=record.unfinished_attempt,
        transmission=staged_in,
        transmitted=None if staged_in is None or transmitted is None else transmitted(staged_in),
    )


@tracer.capture_method
def settle_unfinished_run(
    run: RunRef,
    store: DispatchStore,
    work_list_keys: Callable[[], Iterable[InvoiceKey]],
    zone: ZoneInfo,
    clock: Callable[[], datetime],
    transmitted: Callable[[str], bool] | None = None,
) -> RunCounts:
    """The run's last sweep, once none of its batches is running: reads the work list only when the
    run's counts say some invoice it selected was not counted. Then it settles what is still pending
    (batches that ended outside the function: a child execution that timed out, a map that failed;
    `transmitted` tells whether an S3 outbox object a staged document waited for exists)
    and recovers, from the invoices themselves, the outcomes a crashed invocation settled but never
    counted nor reported (R21, R24): their counts and run issues are added, so every FAILED and
    IGNORED invoice of the night reaches its tenant's notification whatever crashed."""
    recorded = store.get_run(run.run_id).counts
    if recorded.sent + recorded.ignored + recorded.failed >= recorded.selected:
        return RunCounts()
    keys = list(work_list_keys())
    tally = _tally_settled(run, keys, store)
    swept = settle_unfinished(run, keys, store, zone, clock, "its batch did not finish", transmitted)
    missing = RunCounts(
        sent=max(0, tally.counts.sent - recorded.sent),
        ignored=max(0, tally.counts.ignored - recorded.ignored),
        failed=max(0, tally.counts.failed - recorded.failed),
        follow_ups_failed=max(0, tally.counts.follow_ups_failed - recorded.follow_ups_failed),
    )
    reported = {(issue.tenant_id, issue.invoice_id, issue.state) for issue in store.run_issues(run.run_id)}
    unreported = [i for i in tally.issues if (i.tenant_id, i.invoice_id, i.state) not in reported]
    if unreported:
        store.add_run_issues(run, unreported)
    if missing != RunCounts():
        logger.warning("outcomes settled but not counted were recovered", extra=missing.model_dump())
        store.add_run_counts(run, missing)
    return _sum(swept, missing)


@dataclass(frozen=True)
class _Tally:
    counts: RunCounts
    issues: tuple[RunIssue, ...]


def _tally_settled(run: RunRef, keys: Sequence[InvoiceKey], store: DispatchStore) -> _Tally:
    """The outcomes of the invoices of `keys` this run settled (its run id on the last event a run
    wrote on the invoice), and the run issues they make (R21): one per FAILED or IGNORED invoice,
    one per sent invoice whose factoring copy failed (R17). Read in chunks of state records; an
    invoice document is read only for an issue's customer name and total."""
    counts = Counter[str]()
    issues: list[RunIssue] = []
    for chunk in chunked(keys, CHUNK):
        records = store.get_records(chunk)
        mine = {key: record for key in chunk if (record := records.get(key)) and _settled_by(run, record)}
        counts.update(record.state.value for record in mine.values())
        reported = {
            key: record
            for key, record in mine.items()
            if record.state is not AutoDispatchState.SENT or copy_failure(run, record) is not None
        }
        if not reported:
            continue
        documents = store.read_invoices(list(reported)).valid
        for key, record in reported.items():
            invoice = documents.get(key)
            number = record.number or (invoice.number if invoice is not None else key.invoice_id)
            if record.state is AutoDispatchState.SENT:
                counts["follow_ups_failed"] += 1
                reason = copy_failure(run, record)
                assert reason is not None
                issues.append(copy_issue(key, number, reason, invoice))
            elif record.message is not None:
                issues.append(
                    issue(key, number, record.state, record.message, details=record.details, invoice=invoice)
                )
    return _Tally(
        counts=RunCounts(
            sent=counts[AutoDispatchState.SENT.value],
            ignored=counts[AutoDispatchState.IGNORED.value],
            failed=counts[AutoDispatchState.FAILED.value],
            follow_ups_failed=counts["follow_ups_failed"],
        ),
        issues=tuple(issues),
    )


_SETTLED = frozenset({AutoDispatchState.SENT, AutoDispatchState.IGNORED, AutoDispatchState.FAILED})
# The events that take an invoice or settle it: a run writes them with its id; a bounce's FAILED
# (R26) has none, and a delivery event changes no state.
_TAKING_OR_SETTLING = frozenset(
    {
        HistoryEventKind.QUEUED,
        HistoryEventKind.SENT,
        HistoryEventKind.IGNORED,
        HistoryEventKind.FAILED,
        HistoryEventKind.FACTORING_SENT,
        HistoryEventKind.FACTORING_FAILED,
    }
)


def _settled_by(run: RunRef, record: DispatchRecord) -> bool:
    """The invoice ended SENT, IGNORED or FAILED, and the last event that took or settled it is this
    run's (a take-over writes its QUEUED event with the claim, so a run that settles an invoice
    another run delivered is known by it too; a bounce that failed it since is not the run's)."""
    if record.state not in _SETTLED:
        return False
    last = next((event for event in reversed(record.history) if event.event in _TAKING_OR_SETTLING), None)
    return last is not None and last.run_id == run.run_id


def _sum(a: RunCounts, b: RunCounts) -> RunCounts:
    return RunCounts(**{name: value + getattr(b, name) for name, value in a.model_dump().items()})
