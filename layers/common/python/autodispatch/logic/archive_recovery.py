"""R19 at a batch's end: the copies of a batch whose every invocation failed are recovered by the
state that settles it (SettleFailedBatch), not lost with the last one.

A batch's copies are written as one archive object when an invocation ends; a retry renders again
what an earlier invocation delivered and lost (`logic/dispatch.py`). When the batch's last retry
dies too, nothing is left to retry it: the catch that settles the batch's unfinished invoices then
renders, from the records, every copy of what the run delivered that the batch's archive lacks,
and writes them. It runs only for a batch that failed for good (nothing extra on a night without
crashes) and reads nothing beyond the batch's own records.
"""

from collections.abc import Sequence

from autodispatch.channels.port import Deliverer
from autodispatch.errors import TransientError
from autodispatch.logic.dispatch import archive_scope, deliveries_of_run
from autodispatch.models.enums import HistoryEventKind
from autodispatch.models.scenario import InvoiceKey
from autodispatch.observability import logger, tracer
from autodispatch.store.port import DispatchStore, RunRef

# The history events after which the run holds a delivered document of the invoice.
_DELIVERED = frozenset({HistoryEventKind.SENT, HistoryEventKind.FACTORING_SENT})


@tracer.capture_method
def recover_batch_archive(
    run: RunRef, keys: Sequence[InvoiceKey], store: DispatchStore, deliverer: Deliverer
) -> int:
    """Renders again and writes each copy of what the run delivered for the batch `keys` that the
    batch's archive lacks; how many. Raises TransientError when they cannot be written (the step
    is retried; the copies stay recoverable from the records)."""
    records = store.get_records(keys)
    delivered = [
        key
        for key, record in records.items()
        if any(past.run_id == run.run_id and past.event in _DELIVERED for past in record.history)
    ]
    if not delivered:
        return 0
    invoices = store.read_invoices(delivered).valid
    tenants = store.get_tenants({key.tenant_id for key in delivered})
    deliveries = [
        done
        for key in delivered
        if (invoice := invoices.get(key)) is not None and (tenant := tenants.get(key.tenant_id)) is not None
        for done in deliveries_of_run(records[key], run, invoice, tenant)
    ]
    recovered = deliverer.recover_copies(archive_scope(run, keys), deliveries)
    if not deliverer.flush_archive():
        raise TransientError("the failed batch's archived copies could not be written; left for a retry")
    if recovered:
        logger.warning("a failed batch's lost copies written by its settlement", extra={"copies": recovered})
    return recovered
