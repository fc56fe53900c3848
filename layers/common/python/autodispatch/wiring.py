"""Production collaborators, built lazily once per cold start from the validated configuration.

Handlers take them as keyword arguments with these as defaults, so tests inject fakes instead of
patching; `reset` drops them (a local run builds them again inside its embedded AWS).
"""

from functools import cache
from typing import cast

from autodispatch.channels.port import Deliverer
from autodispatch.channels.transports import OutboxObjects
from autodispatch.clients import new_client
from autodispatch.config import load_config
from autodispatch.errors import AutodispatchError
from autodispatch.notify.port import Notifier
from autodispatch.runs.port import RunExecutions
from autodispatch.runs.stepfunctions import StepFunctionsRuns
from autodispatch.store.dynamodb import DynamoDbInvoiceStore
from autodispatch.store.port import InvoiceStore
from autodispatch.store.work_list import S3WorkLists


@cache
def invoice_store() -> InvoiceStore:
    config = load_config()
    return DynamoDbInvoiceStore(config.table_name, config.zone)


@cache
def work_lists() -> S3WorkLists:
    return S3WorkLists(load_config().bucket_name)


@cache
def deliverer() -> Deliverer:
    from autodispatch.channels.deliverer import build_deliverer  # noqa: PLC0415 - heavy; dispatch only

    return cast(Deliverer, build_deliverer(load_config()))


@cache
def outbox_objects() -> OutboxObjects:
    """Whether an S3 outbox object exists (the run's last sweep, without the channels' renderers)."""
    import boto3  # noqa: PLC0415 - clients only when first needed

    client = new_client(lambda: boto3.client("s3"))
    return OutboxObjects(lambda: client, load_config().bucket_name)


@cache
def notifier() -> Notifier:
    from autodispatch.notify.aws import SesSnsNotifier  # noqa: PLC0415 - notify only

    config = load_config()
    return SesSnsNotifier(config.sender_email, config.ses_configuration_set, config.sms_sender_id)


@cache
def run_executions() -> RunExecutions:
    arn = load_config().state_machine_arn
    if arn is None:
        raise AutodispatchError("STATE_MACHINE_ARN is not configured: runs cannot be started here")
    return StepFunctionsRuns(arn)


def reset() -> None:
    for factory in (invoice_store, work_lists, deliverer, outbox_objects, notifier, run_executions):
        factory.cache_clear()
    load_config.cache_clear()
