"""SelectDueInvoices task: find the due invoices and write the work list for the Distributed Map."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AwareDatetime, BaseModel

from autodispatch import wiring
from autodispatch.config import load_config
from autodispatch.logic.selection import RunRequest, Selection, run_date_of, select_due_invoices
from autodispatch.observability import logger, metrics, tracer
from autodispatch.store.port import InvoiceStore, RunRef, WorkListWriter


class SelectEvent(BaseModel):
    execution_name: str
    execution_id: str
    started_at: AwareDatetime
    input: RunRequest = RunRequest()


@logger.inject_lambda_context(correlation_id_path="execution_id")
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def handler(
    event: dict[str, Any],
    context: LambdaContext,
    store: InvoiceStore | None = None,
    work_lists: WorkListWriter | None = None,
) -> dict[str, Any]:
    request = SelectEvent.model_validate(event)
    config = load_config()
    run = RunRef(
        run_id=request.execution_name,
        run_date=run_date_of(request.input, request.started_at, config.zone),
    )
    logger.info("selecting due invoices", extra={"run_id": run.run_id, "run_date": run.run_date.isoformat()})
    selection: Selection = select_due_invoices(
        run,
        store or wiring.invoice_store(),
        work_lists or wiring.work_lists(),
        config.zone,
        config.batch_size,
        request.started_at,
        execution_arn=request.execution_id,
    )
    metrics.add_metric(name="InvoicesSelected", unit=MetricUnit.Count, value=selection.invoice_count)
    return selection.model_dump(mode="json")
