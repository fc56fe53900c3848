"""SelectDueInvoices: find every tenant's due invoices (R5-R10) and write the work list."""

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict

from autodispatch.chunks import chunked
from autodispatch.models.enums import Source
from autodispatch.models.scenario import InvoiceKey
from autodispatch.observability import logger, tracer
from autodispatch.rules.due import local_date, start_of_day
from autodispatch.store.port import RunCounts, RunRef, RunSummary, SelectionStore, WorkListRef, WorkListWriter

# Keys that may wait for their tenant's batch to fill, in batches; and entries per tenant lookup.
BUFFERED_BATCHES = 1000
TENANT_LOOKUP = 100
# How long an execution holds its night: the state machine's TimeoutSeconds (82800), so that no
# execution outlives its hold, and a night whose execution died can be run again after it.
NIGHT_LEASE = timedelta(seconds=82800)


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


class _TenantBatcher:
    """Batches keys as they stream in, each batch from one tenant where it can (a batch then reads
    few tenant records). At most `max_buffered` keys wait: past that the oldest tenant's keys go out
    as a smaller batch, so memory stays bounded whatever the number of pending invoices."""

    def __init__(self, size: int, max_buffered: int) -> None:
        self._size = size
        self._max_buffered = max_buffered
        # Ordered: the oldest tenant is found in O(1) (a dict's first key after many deletions is not).
        self._waiting: OrderedDict[str, list[InvoiceKey]] = OrderedDict()
        self._buffered = 0

    def add(self, key: InvoiceKey) -> Iterator[list[InvoiceKey]]:
        waiting = self._waiting.setdefault(key.tenant_id, [])
        waiting.append(key)
        self._buffered += 1
        if len(waiting) == self._size:
            yield self._take(key.tenant_id)
        elif self._buffered > self._max_buffered:
            yield self._take(next(iter(self._waiting)))

    def rest(self) -> Iterator[list[InvoiceKey]]:
        """The keys still waiting, several tenants' partial batches packed together."""
        left = (key for tenant_id in list(self._waiting) for key in self._take(tenant_id))
        yield from chunked(left, self._size)

    def _take(self, tenant_id: str) -> list[InvoiceKey]:
        keys = self._waiting.pop(tenant_id)
        self._buffered -= len(keys)
        return keys


@dataclass
class _Tally:
    batches: int = 0
    invoices: int = 0


@tracer.capture_method
def select_due_invoices(
    run: RunRef,
    store: SelectionStore,
    work_lists: WorkListWriter,
    zone: ZoneInfo,
    batch_size: int,
    started_at: datetime,
    execution_arn: str | None = None,
) -> Selection:
    """Lists candidates only; nothing is claimed here, so a selection that dies loses nothing.
    Dispatch checks every rule again on the full invoice before it claims one. The pending entries
    stream from the index into the work list: memory holds tenants' settings and a bounded number
    of waiting keys, never the night's list.

    A night is one run (R21): the first execution holds the night, and another one started while
    it runs (a repeated schedule, a manual start) selects nothing, so it neither sends nor notifies.
    """
    holder = store.hold_night(run, started_at + NIGHT_LEASE, started_at)
    if holder is not None:
        logger.info("the night is running already; nothing selected", extra={"held_by": holder})
    # Due-from instants are local midnights, so "due by the start of D" is anything before the
    # next second.
    due_by = start_of_day(run.run_date, zone) + timedelta(seconds=1)
    entries = store.pending(due_by) if holder is None else iter(())
    takes: dict[str, frozenset[Source]] = {}  # per tenant: the sources it takes; empty when inactive
    batcher = _TenantBatcher(batch_size, max_buffered=BUFFERED_BATCHES * batch_size)
    tally = _Tally()

    def batches() -> Iterator[list[InvoiceKey]]:
        for chunk in chunked(entries, TENANT_LOOKUP):
            unknown = {entry.key.tenant_id for entry in chunk} - takes.keys()
            if unknown:
                tenants = store.get_tenants(unknown)
                for tenant_id in unknown:
                    tenant = tenants.get(tenant_id)
                    active = tenant is not None and tenant.settings.active
                    takes[tenant_id] = (
                        frozenset(tenant.settings.sources) if tenant and active else frozenset()
                    )
            for entry in chunk:
                if entry.source in takes[entry.key.tenant_id]:
                    yield from batcher.add(entry.key)
        yield from batcher.rest()

    def counted(stream: Iterator[list[InvoiceKey]]) -> Iterator[list[InvoiceKey]]:
        for batch in stream:
            tally.batches += 1
            tally.invoices += len(batch)
            yield batch

    work_list = work_lists.write(run.run_id, counted(batches()))
    store.put_run(
        RunSummary(
            run_id=run.run_id,
            run_date=run.run_date,
            execution_arn=execution_arn,
            started_at=started_at,
            counts=RunCounts(selected=tally.invoices),
        )
    )
    return Selection(run=run, work_list=work_list, batch_count=tally.batches, invoice_count=tally.invoices)
