"""SelectDueInvoices: find every tenant's due invoices (R5-R10) and write the work list."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict

from autodispatch.chunks import chunked
from autodispatch.observability import tracer
from autodispatch.rules.due import local_date, start_of_day
from autodispatch.store.port import InvoiceStore, PendingEntry, RunCounts, RunRef, RunSummary
from autodispatch.store.work_list import WorkListRef, WorkListWriter


class RunRequest(BaseModel):
    """The execution input: an explicit run date, or the scheduler's time (00:05 local)."""

    model_config = ConfigDict(frozen=True)

    run_date: date | None = None
    scheduled_time: AwareDatetime | None = None


class Selection(BaseModel):
    model_config = ConfigDict(frozen=True)

    run: RunRef
    work_list: WorkListRef
    batch_count: int
    invoice_count: int


def run_date_of(request: RunRequest, started_at: datetime, zone: ZoneInfo) -> date:
    """The tenant's local date when the run starts (SPEC: run date D)."""
    if request.run_date is not None:
        return request.run_date
    return local_date(request.scheduled_time or started_at, zone)


@tracer.capture_method
def select_due_invoices(
    run: RunRef,
    store: InvoiceStore,
    work_lists: WorkListWriter,
    zone: ZoneInfo,
    batch_size: int,
    started_at: datetime,
    execution_arn: str | None = None,
) -> Selection:
    """Lists candidates only; nothing is claimed here, so a selection that dies loses nothing.
    Dispatch checks every rule again on the full invoice before it claims one."""
    # Due-from instants are local midnights, so "due by the start of D" is anything before the
    # next second.
    entries = list(store.pending(start_of_day(run.run_date, zone) + timedelta(seconds=1)))
    tenants = store.get_tenants({entry.key.tenant_id for entry in entries})

    def taken(entry: PendingEntry) -> bool:
        tenant = tenants.get(entry.key.tenant_id)
        return tenant is not None and tenant.settings.active and entry.source in tenant.settings.sources

    # Grouped by tenant so a batch reads few tenant records.
    keys = sorted((entry.key for entry in entries if taken(entry)), key=lambda k: (k.tenant_id, k.invoice_id))
    batches = list(chunked(keys, batch_size))
    work_list = work_lists.write(run.run_id, batches)
    store.put_run(
        RunSummary(
            run_id=run.run_id,
            run_date=run.run_date,
            execution_arn=execution_arn,
            started_at=started_at,
            counts=RunCounts(selected=len(keys)),
        )
    )
    return Selection(run=run, work_list=work_list, batch_count=len(batches), invoice_count=len(keys))
