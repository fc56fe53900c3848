"""R24: a run that completes leaves none of the invoices it took PENDING.

A batch that failed for good (its retries ran out, or its child execution timed out outside the
function) has its still-pending invoices settled FAILED with the cause and reported (R21), instead of
the run ending SUCCEEDED with them silently pending.
"""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from autodispatch.chunks import chunked
from autodispatch.errors import ConcurrentUpdate
from autodispatch.logic.history import issue
from autodispatch.models.dispatch import DispatchRecord, HistoryEvent
from autodispatch.models.enums import AutoDispatchState, HistoryEventKind
from autodispatch.models.scenario import Invoice, InvoiceKey, Tenant
from autodispatch.observability import logger, tracer
from autodispatch.rules.due import why_not_taken
from autodispatch.rules.explain import explain_in_doubt, explain_unfinished
from autodispatch.store.port import InvoiceStore, RunCounts, RunIssue, RunRef, Settlement

# Keys read per round trip (one BatchGetItem of state records).
CHUNK = 100


@tracer.capture_method
def settle_unfinished(
    run: RunRef,
    keys: Iterable[InvoiceKey],
    store: InvoiceStore,
    zone: ZoneInfo,
    clock: Callable[[], datetime],
    cause: str,
) -> RunCounts:
    """Settles FAILED every invoice of `keys` the run should have dispatched and did not; streams the
    keys in chunks, so memory does not grow with them. A claim an invocation of this run left (it
    died mid-send) is settled too, FAILED as in doubt (R23); one another run holds is left to it, and
    one the rules no longer take stays as it is."""
    settler = _Settler(run, store, zone, clock, cause)
    failed = 0
    for chunk in chunked(keys, CHUNK):
        records = store.get_records(chunk)
        pending = [key for key in chunk if (r := records.get(key)) and r.state is AutoDispatchState.PENDING]
        if not pending:
            continue
        documents = store.read_invoices(pending)
        tenants = store.get_tenants({key.tenant_id for key in pending})
        issues = [
            issue
            for key in pending
            if (issue := settler.settle(key, records[key], documents.valid.get(key), tenants)) is not None
        ]
        if issues:
            store.add_run_counts(run, RunCounts(failed=len(issues)))
            store.add_run_issues(run, issues)
            failed += len(issues)
    return RunCounts(failed=failed)


@dataclass(frozen=True)
class _Settler:
    run: RunRef
    store: InvoiceStore
    zone: ZoneInfo
    clock: Callable[[], datetime]
    cause: str
    claimant: str = field(default_factory=lambda: f"unfinished-{uuid.uuid4().hex[:12]}")

    def settle(
        self, key: InvoiceKey, record: DispatchRecord, invoice: Invoice | None, tenants: dict[str, Tenant]
    ) -> RunIssue | None:
        tenant = tenants.get(key.tenant_id)
        if tenant is None:
            return None
        if invoice is not None and why_not_taken(
            invoice, record.state, tenant.settings, self.run.run_date, self.zone
        ):
            return None
        # R23: an attempt left on the invoice may have reached the customer.
        explanation = (
            explain_in_doubt(record.unfinished_attempt)
            if record.unfinished_attempt is not None
            else explain_unfinished(self.cause)
        )
        now = self.clock()
        event = HistoryEvent(
            at=now, event=HistoryEventKind.FAILED, detail=explanation.message, run_id=self.run.run_id
        )
        settlement = Settlement(
            state=AutoDispatchState.FAILED,
            message=explanation.message,
            details=explanation.details,
            events=(event,),
        )
        try:
            self.store.settle_left_by_run(
                key, self.run.run_id, f"{self.run.run_id}/{self.claimant}", settlement, now
            )
        except ConcurrentUpdate:
            logger.info("unfinished invoice held by another run; left to its lease")
            return None
        number = record.number or (invoice.number if invoice is not None else key.invoice_id)
        return issue(
            key,
            number,
            AutoDispatchState.FAILED,
            explanation.message,
            details=explanation.details,
            invoice=invoice,
        )


@tracer.capture_method
def settle_unfinished_run(
    run: RunRef,
    store: InvoiceStore,
    work_list_keys: Callable[[], Iterable[InvoiceKey]],
    zone: ZoneInfo,
    clock: Callable[[], datetime],
) -> RunCounts:
    """The run's last sweep, for batches that ended outside the function (a child execution that
    timed out, a map that failed): reads the work list only when the run's counts say some invoice
    it selected was not settled."""
    counts = store.get_run(run.run_id).counts
    if counts.sent + counts.ignored + counts.failed >= counts.selected:
        return RunCounts()
    return settle_unfinished(run, work_list_keys(), store, zone, clock, "its batch did not finish")
