"""NotifyFailures task: report the run's FAILED and IGNORED invoices to each tenant (R21)."""

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from autodispatch import wiring
from autodispatch.config import load_config
from autodispatch.logic.notification import notify_failures
from autodispatch.logic.unfinished import settle_unfinished_run
from autodispatch.notify.port import Notifier
from autodispatch.observability import logger, metrics, tracer
from autodispatch.store.port import InvoiceStore, RunRef, WorkListReader, WorkListRef


class NotifyEvent(BaseModel):
    run: RunRef
    # The night's work list: invoices of batches that ended outside the function are settled from it.
    work_list: WorkListRef | None = None


def _now() -> datetime:
    return datetime.now(UTC)


@logger.inject_lambda_context(correlation_id_path="run.run_id")
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def handler(
    event: dict[str, Any],
    context: LambdaContext,
    store: InvoiceStore | None = None,
    notifier: Notifier | None = None,
    work_lists: WorkListReader | None = None,
) -> dict[str, Any]:
    request = NotifyEvent.model_validate(event)
    store = store or wiring.invoice_store()
    if request.work_list is not None:
        work_list, reader = request.work_list, work_lists or wiring.work_lists()
        unfinished = settle_unfinished_run(
            request.run, store, lambda: reader.keys(work_list), load_config().zone, _now
        )
        metrics.add_metric(name="InvoicesFailed", unit=MetricUnit.Count, value=unfinished.failed)
    summary = notify_failures(
        request.run,
        store,
        notifier or wiring.notifier(),
        time_left=lambda: context.get_remaining_time_in_millis() / 1000,
    )
    metrics.add_metric(name="TenantsNotified", unit=MetricUnit.Count, value=summary.tenants_notified)
    return summary.model_dump(mode="json")
