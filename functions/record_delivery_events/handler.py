"""RecordDeliveryEvents: SES delivery events (through EventBridge and SQS) onto the invoices (R26)."""

from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from autodispatch import wiring
from autodispatch.config import load_config
from autodispatch.logic.delivery_feedback import Handled, record_delivery_event
from autodispatch.models.delivery_events import SesEventBridgeEvent
from autodispatch.observability import logger, metrics, tracer
from autodispatch.store.port import InvoiceStore

METRIC_NAMES = {handled: f"DeliveryEvents{handled.value.title().replace('_', '')}" for handled in Handled}


def _one(record: SQSRecord, store: InvoiceStore, zone: ZoneInfo) -> None:
    # A malformed body raises: the message goes back to the queue and, after its retries, to the
    # dead-letter queue, whose alarm tells the operator. Nothing is lost.
    event = SesEventBridgeEvent.model_validate_json(record.body)
    handled = record_delivery_event(store, event, zone)
    metrics.add_metric(name=METRIC_NAMES[handled], unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def handler(
    event: dict[str, Any],
    context: LambdaContext,
    store: InvoiceStore | None = None,
) -> dict[str, Any]:
    # Every failed record is reported back (partial batch response), even when all of them fail.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response: dict[str, Any] = process_partial_response(  # type: ignore[assignment]
        event=event,
        record_handler=partial(_one, store=store or wiring.invoice_store(), zone=load_config().zone),
        processor=processor,
        context=context,
    )
    return response
