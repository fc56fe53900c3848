"""NotifyFailures tasks: report the run's FAILED and IGNORED invoices to each tenant (R21), in three
steps of the state machine: plan (settle what no batch finished, list the tenants in chunks), notify
one chunk (a Map item), finish (every chunk done: release the night)."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, TypeAdapter

from autodispatch import wiring
from autodispatch.config import load_config
from autodispatch.logic.notification import (
    ChunkResult,
    TenantChunk,
    finish_notifications,
    notify_chunk,
    plan_notifications,
)
from autodispatch.logic.unfinished import settle_unfinished_run
from autodispatch.notify.port import Notifier
from autodispatch.observability import logger, metrics, tracer
from autodispatch.store.port import InvoiceStore, RunRef, WorkListReader, WorkListRef


class PlanEvent(BaseModel):
    step: Literal["plan"]
    run: RunRef
    # The night's work list: invoices of batches that ended outside the function are settled from it.
    work_list: WorkListRef | None = None


class ChunkEvent(BaseModel):
    step: Literal["chunk"]
    run: RunRef
    chunk: TenantChunk


class FinishEvent(BaseModel):
    step: Literal["finish"]
    run: RunRef
    results: list[ChunkResult]


NotifyEvent: TypeAdapter[PlanEvent | ChunkEvent | FinishEvent] = TypeAdapter(
    Annotated[PlanEvent | ChunkEvent | FinishEvent, Field(discriminator="step")]
)


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
    outbox: Callable[[str], bool] | None = None,
) -> dict[str, Any]:
    request = NotifyEvent.validate_python(event)
    store = store or wiring.invoice_store()
    if isinstance(request, PlanEvent):
        config = load_config()
        if request.work_list is not None:
            work_list, reader = request.work_list, work_lists or wiring.work_lists()
            unfinished = settle_unfinished_run(
                request.run,
                store,
                lambda: reader.keys(work_list),
                config.zone,
                _now,
                outbox or wiring.outbox_objects().exists,
            )
            metrics.add_metric(name="InvoicesFailed", unit=MetricUnit.Count, value=unfinished.failed)
        return plan_notifications(request.run, store, config.ses_send_rate).model_dump(mode="json")
    if isinstance(request, ChunkEvent):
        summary = notify_chunk(
            request.run,
            request.chunk,
            store,
            notifier or wiring.notifier(),
            time_left=lambda: context.get_remaining_time_in_millis() / 1000,
        )
        metrics.add_metric(name="TenantsNotified", unit=MetricUnit.Count, value=summary.tenants_notified)
        return summary.model_dump(mode="json")
    return finish_notifications(request.run, request.results, store).model_dump(mode="json")
