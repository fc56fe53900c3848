"""DispatchBatch task: one batch of the work list through the channel chain."""

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from autodispatch import wiring
from autodispatch.channels.port import Deliverer
from autodispatch.config import load_config
from autodispatch.logic.archive_recovery import recover_batch_archive
from autodispatch.logic.dispatch import Batch, BatchDispatcher, BatchResult, Clock
from autodispatch.logic.recovery import BatchTry
from autodispatch.logic.unfinished import settle_unfinished
from autodispatch.observability import NAMESPACE, SERVICE, logger, metrics, tracer
from autodispatch.ses import ACCOUNT_FAULTS_METRIC
from autodispatch.store.port import InvoiceStore, RunRef


class BatchFailure(BaseModel):
    """The error a batch failed with for good, as the state machine's Catch passes it."""

    error: str = Field(alias="Error")


class DispatchEvent(BaseModel):
    run: RunRef
    batch: Batch
    # Which try of the batch this is (DispatchBatch's execution and retry count).
    attempt: BatchTry | None = None
    # Set when the batch's retries ran out: its unfinished invoices are settled FAILED (R24).
    failure: BatchFailure | None = None


def _now() -> datetime:
    return datetime.now(UTC)


@logger.inject_lambda_context(correlation_id_path="run.run_id")
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def handler(
    event: dict[str, Any],
    context: LambdaContext,
    store: InvoiceStore | None = None,
    deliverer: Deliverer | None = None,
    clock: Clock | None = None,
) -> dict[str, Any]:
    request = DispatchEvent.model_validate(event)
    config = load_config()
    if request.failure is not None:
        logger.warning(
            "batch failed for good; settling its unfinished invoices", extra={"error": request.failure.error}
        )
        store, deliverer = store or wiring.invoice_store(), deliverer or wiring.deliverer()
        counts = settle_unfinished(
            request.run,
            request.batch.keys,
            store,
            config.zone,
            clock or _now,
            request.failure.error,
            deliverer.transmitted,
        )
        metrics.add_metric(name="InvoicesFailed", unit=MetricUnit.Count, value=counts.failed)
        # R19: the copies the batch's last invocation held died with it; settled first, so a copy
        # that cannot be written never keeps an invoice pending (a failed write retries this step).
        recover_batch_archive(request.run, request.batch.keys, store, deliverer)
        return BatchResult(counts=counts).model_dump(mode="json")
    dispatcher = BatchDispatcher(
        store or wiring.invoice_store(),
        deliverer or wiring.deliverer(),
        config.zone,
        timedelta(seconds=config.claim_lease_seconds),
        clock or _now,
        time_left=lambda: context.get_remaining_time_in_millis() / 1000,
        workers=config.dispatch_workers,
    )
    result = dispatcher.dispatch(request.run, request.batch.keys, request.attempt)
    for channel, count in result.sent_by_channel.items():
        # A dimension applies to a whole metric set, so each channel's count is a set of its own.
        per_channel = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
        per_channel.add_dimension(name="Channel", value=channel.value)
        per_channel.add_metric(name="InvoicesSent", unit=MetricUnit.Count, value=count)
        per_channel.flush_metrics()
    metrics.add_metric(name="InvoicesIgnored", unit=MetricUnit.Count, value=result.counts.ignored)
    metrics.add_metric(name="InvoicesFailed", unit=MetricUnit.Count, value=result.counts.failed)
    metrics.add_metric(
        name="FactoringMessagesFailed", unit=MetricUnit.Count, value=result.counts.follow_ups_failed
    )
    if result.email_account_faults:
        # The operator's alarm (EmailAccountFault): SES will not send for the sender's account.
        logger.error("email stopped: the email service refused the sender's account")
    metrics.add_metric(name=ACCOUNT_FAULTS_METRIC, unit=MetricUnit.Count, value=result.email_account_faults)
    return result.model_dump(mode="json")
