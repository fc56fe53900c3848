"""Names shared by the constructs, the tests and the operator documentation.

The table's key names and the work-list prefix come from the shared library, so the deployed table
and the code that reads it cannot drift apart.
"""

from pathlib import Path

from aws_cdk import aws_lambda as lambda_

from autodispatch.models.delivery_events import TAG_KIND
from autodispatch.rules.access import SYSTEM_SCOPE
from autodispatch.ses import ACCOUNT_FAULTS_METRIC
from autodispatch.store.table_schema import (
    PARTITION_KEY,
    PENDING_INDEX,
    PENDING_INDEX_PARTITION_KEY,
    PENDING_INDEX_PROJECTED,
    PENDING_INDEX_SORT_KEY,
    SORT_KEY,
    TTL_ATTRIBUTE,
)
from autodispatch.store.work_list import MAP_RESULTS_PREFIX, WORK_LIST_PREFIX

__all__ = [
    "MAP_RESULTS_PREFIX",
    "PARTITION_KEY",
    "PENDING_INDEX",
    "PENDING_INDEX_PARTITION_KEY",
    "PENDING_INDEX_PROJECTED",
    "PENDING_INDEX_SORT_KEY",
    "SORT_KEY",
    "TTL_ATTRIBUTE",
    "WORK_LIST_PREFIX",
]

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = ROOT / "functions"
LIBRARY_DIR = ROOT / "layers" / "common" / "python" / "autodispatch"
LAMBDA_REQUIREMENTS = ROOT / "requirements" / "lambda.txt"
STATE_MACHINE_DEFINITION = ROOT / "statemachine" / "nightly_run.asl.json"
BUILD_DIR = ROOT / "build"

DEFAULT_STACK_NAME = "Autodispatch"

# The newest Python runtime this aws-cdk-lib knows, on Graviton.
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64
# pip --platform tags for the layer's binary wheels: Lambda's Amazon Linux 2023 has glibc 2.34.
# pip does not widen one manylinux tag to older ones, so saxonche's manylinux_2_24 wheel is named too.
LAYER_PLATFORMS = ("manylinux_2_28_aarch64", "manylinux_2_24_aarch64", "manylinux2014_aarch64")

SERVICE_NAME = "autodispatch"
METRICS_NAMESPACE = "Autodispatch"
# Emitted by the dispatch function for each invoice an SES account fault stopped (alarmed).
EMAIL_ACCOUNT_FAULTS_METRIC = ACCOUNT_FAULTS_METRIC

# S3 key prefixes of the one document bucket.
ARCHIVE_PREFIX = "archive/"  # delivered documents
# A batch's archive objects, which its retry reads to render again the copies a crash lost (R19).
ARCHIVE_BATCHES_PREFIX = "archive/batches/"
OUTBOX_PREFIX = "outbox/"  # S3 transport of EINVOICE/PRINT documents
WORK_LIST_RETENTION_DAYS = 14
ACCESS_LOG_RETENTION_DAYS = 400


# The Lambda functions: construct id -> asset directory under functions/. The first three are the
# nightly run's tasks; RecordDeliveryEvents consumes SES delivery events (R26).
SELECT_INVOICES = "SelectInvoices"
DISPATCH_INVOICE = "DispatchInvoice"
NOTIFY_FAILURES = "NotifyFailures"
RECORD_DELIVERY_EVENTS = "RecordDeliveryEvents"
INTEGRATION_API = "IntegrationApi"
FUNCTION_DIRECTORIES = {
    SELECT_INVOICES: "select_invoices",
    DISPATCH_INVOICE: "dispatch_invoice",
    NOTIFY_FAILURES: "notify_failures",
    RECORD_DELIVERY_EVENTS: "record_delivery_events",
    INTEGRATION_API: "api",
}
HANDLER = "handler.handler"

# Placeholders of the shared state-machine definition -> the function each one names.
DEFINITION_FUNCTION_PLACEHOLDERS = {
    "SelectInvoicesFunctionArn": SELECT_INVOICES,
    "DispatchInvoiceFunctionArn": DISPATCH_INVOICE,
    "NotifyFailuresFunctionArn": NOTIFY_FAILURES,
}
MAX_CONCURRENCY_PLACEHOLDER = "${MaxConcurrency}"
# The Distributed Map's ResultWriter names its bucket statically (a path there is not portable).
DOCUMENT_BUCKET_PLACEHOLDER = "DocumentBucketName"

# Stack outputs the operator CLI reads (OutputKey).
OUTPUT_TABLE_NAME = "TableName"
OUTPUT_BUCKET_NAME = "BucketName"
OUTPUT_STATE_MACHINE_ARN = "StateMachineArn"
OUTPUT_FUNCTION_NAMES = {
    SELECT_INVOICES: "SelectInvoicesFunctionName",
    DISPATCH_INVOICE: "DispatchInvoiceFunctionName",
    NOTIFY_FAILURES: "NotifyFailuresFunctionName",
    RECORD_DELIVERY_EVENTS: "RecordDeliveryEventsFunctionName",
}

# The integration API (R27): outputs, the Cognito resource server and its scope (the library's
# rules/access.py checks the same scope), and the stage's throttling.
OUTPUT_API_URL = "ApiUrl"
OUTPUT_USER_POOL_ID = "UserPoolId"
OUTPUT_USER_CLIENT_ID = "ApiUserClientId"
OUTPUT_SYSTEM_CLIENT_ID = "ApiSystemClientId"
OUTPUT_OAUTH_DOMAIN = "ApiOAuthDomain"  # client credentials at <domain>/oauth2/token
OUTPUT_WEB_URL = "WebUrl"  # the tenant view (R28)
OUTPUT_WEB_BUCKET_NAME = "WebBucketName"  # where web/ and its config.json are uploaded
RESOURCE_SERVER_ID, SYSTEM_SCOPE_NAME = SYSTEM_SCOPE.split("/")
API_RATE_LIMIT = 50  # requests per second, steady
API_BURST_LIMIT = 100
API_DOC_ROUTES = ("/openapi.json", "/docs")

# The SES message tag every autodispatch email carries (invoice, factoring copy, notification):
# the delivery-feedback rule forwards only events of mail that has it. The library sets it.
SES_KIND_TAG = TAG_KIND
