"""NotifyFailures task: report the run's FAILED and IGNORED invoices to each tenant (R21)."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from autodispatch import wiring
from autodispatch.logic.notification import notify_failures
from autodispatch.notify.port import Notifier
from autodispatch.observability import logger, metrics, tracer
from autodispatch.store.port import InvoiceStore, RunRef


class NotifyEvent(BaseModel):
    run: RunRef


@logger.inject_lambda_context(correlation_id_path="run.run_id")
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def handler(
    event: dict[str, Any],
    context: LambdaContext,
    store: InvoiceStore | None = None,
    notifier: Notifier | None = None,
) -> dict[str, Any]:
    request = NotifyEvent.model_validate(event)
    summary = notify_failures(request.run, store or wiring.invoice_store(), notifier or wiring.notifier())
    metrics.add_metric(name="TenantsNotified", unit=MetricUnit.Count, value=summary.tenants_notified)
    return summary.model_dump(mode="json")
