"""The Lambda functions (the night's three, delivery feedback, the integration API), their common
layer, and one least-privilege role each.

Every role is written out action by action from what the function's code calls (the DynamoDB store
methods it reaches, the S3 prefixes it writes, the SES/SNS calls it makes); there are no managed
policies and no wildcard actions. Changing what a function calls means changing its list here.
"""

from dataclasses import dataclass

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from autodispatch.models.routes import CONFIGURED_TRANSPORTS
from cdk.constants import (
    ARCHITECTURE,
    ARCHIVE_BATCHES_PREFIX,
    ARCHIVE_PREFIX,
    DISPATCH_INVOICE,
    FUNCTION_DIRECTORIES,
    FUNCTIONS_DIR,
    HANDLER,
    INTEGRATION_API,
    METRICS_NAMESPACE,
    NOTIFY_FAILURES,
    OUTBOX_PREFIX,
    PENDING_INDEX,
    RECORD_DELIVERY_EVENTS,
    RUNTIME,
    SELECT_INVOICES,
    SERVICE_NAME,
    WORK_LIST_PREFIX,
)
from cdk.constructs.notifications import Notifications
from cdk.constructs.storage import Storage
from cdk.layer_build import LAYER_ASSET_EXCLUDE, build_layer
from cdk.nag import acknowledge, arn_placeholder, policy_of
from cdk.settings import DeploySettings

# DynamoDB actions per function, from the store methods its code reaches.
TABLE_ACTIONS = {
    # pending() queries the index (below); get_tenants() batch-gets; put_run() puts the run items.
    SELECT_INVOICES: ("dynamodb:BatchGetItem", "dynamodb:PutItem"),
    # get_invoices/get_records/get_tenants batch-get; claim/next_attempt/settle/release and
    # add_run_counts update; add_run_issues batch-writes the run's issue items.
    DISPATCH_INVOICE: ("dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"),
    # run_issues() queries the run's partition; get_tenants() batch-gets; claim_notification() puts.
    # Settling what no batch finished (R24): get_run() gets; get_records/read_invoices batch-get;
    # settle_unclaimed/add_run_counts update; add_run_issues batch-writes; clear_notices deletes the
    # notices it carried (R26) in a batch write.
    NOTIFY_FAILURES: (
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    ),
    # Reads the record, document and tenant of the invoice an SES event's tags name (get/batch-get),
    # records the event or the bounce's state change (update), puts the tenant's notice (R26).
    RECORD_DELIVERY_EVENTS: (
        "dynamodb:BatchGetItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    ),
    # The use cases of the API (R27): tenants and records read by get/batch-get/query, imports and
    # settings put and batch-write, user actions update, an import's undo journal deletes its own
    # items and an undo deletes what the import had created.
    INTEGRATION_API: (
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    ),
}
INDEX_ACTIONS = {SELECT_INVOICES: ("dynamodb:Query",)}
# Reading and writing a table or object encrypted with the data key, only through DynamoDB and S3.
KMS_READ = ("kms:Decrypt", "kms:DescribeKey")
KMS_WRITE = ("kms:Encrypt", "kms:GenerateDataKey")
# SES API v2 SendEmail with Raw content is authorized as ses:SendRawEmail, Simple content as
# ses:SendEmail; the channels use both.
SES_SEND = ("ses:SendEmail", "ses:SendRawEmail")


_TRACING_REASON = (
    "Active tracing: X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level "
    "permissions, so Lambda's tracing grant is on Resource '*' (those two actions only)."
)
# What each role's DefaultPolicy holds on Resource '*', for its cdk-nag acknowledgment.
RESOURCE_STAR_REASONS = {
    SELECT_INVOICES: _TRACING_REASON,
    DISPATCH_INVOICE: _TRACING_REASON,
    NOTIFY_FAILURES: _TRACING_REASON
    + " Also sns:Publish: an SMS to a phone number has no resource ARN, and SNS authorizes that "
    "Publish only on Resource '*'.",
    RECORD_DELIVERY_EVENTS: _TRACING_REASON,
    INTEGRATION_API: _TRACING_REASON,
}


@dataclass(frozen=True)
class FunctionSpec:
    description: str
    timeout: Duration
    memory_mb: int


SPECS = {
    # One vCPU (1,769 MB) and Lambda's longest timeout: selection is CPU-bound (botocore parsing
    # the index's pages), about 55 us a pending invoice, so 10,000,000 take ~9 of the 15 minutes
    # (README, "Selection"); memory stays flat whatever the night's size.
    SELECT_INVOICES: FunctionSpec(
        "Select the due invoices of every tenant and write the night's work list", Duration.minutes(15), 1769
    ),
    # Runs inside an Express child execution of the Distributed Map, which lasts 5 minutes at most,
    # retries and the catch included: DispatchBatch (TimeoutSeconds 75 over this 70 s timeout,
    # MaxAttempts 2, IntervalSeconds 2, BackoffRate 2) takes 3 x 75 s + 2 s + 4 s = 231 s, and
    # SettleFailedBatch after it 2 x 30 s + 1 s = 61 s: 292 s. A longer timeout would let the
    # child be cut off mid-send. tests/infrastructure/test_workflow.py checks the sum against the
    # definition file. 512 MB: a batch waits on its sends (SES, the operators' APIs) as long as it
    # renders, and Lambda bills the wait at the memory size (README, "Cost").
    DISPATCH_INVOICE: FunctionSpec(
        "Dispatch one batch of invoices through their channel chains", Duration.seconds(70), 512
    ),
    # One vCPU, as selection: notifying is CPU-bound (composing each tenant's message, ~22 ms) plus
    # its sends, once a night, so the full share costs cents and triples the tenants an invocation
    # reaches before its time guard (README, "A notification night at scale").
    NOTIFY_FAILURES: FunctionSpec(
        "Tell each tenant about the run's failed and ignored invoices", Duration.minutes(5), 1769
    ),
    # Fed by the delivery-feedback queue, ten SES events a batch.
    RECORD_DELIVERY_EVENTS: FunctionSpec(
        "Record SES delivery events on the invoices' history", Duration.seconds(60), 512
    ),
    # Behind API Gateway, whose integration waits 30 s at most; a manual send renders one invoice.
    INTEGRATION_API: FunctionSpec(
        "Integration API: settings, invoices and runs over HTTPS (R27)", Duration.seconds(29), 1024
    ),
}


def transport_environment(settings: DeploySettings) -> dict[str, str | None]:
    """`<NAME>_TRANSPORT`, `_ENDPOINT`, `_SECRET_NAME` of each route transport (models/routes.py)."""
    environment: dict[str, str | None] = {}
    for name in CONFIGURED_TRANSPORTS:
        mode, endpoint, secret = settings.transport(name)
        prefix = name.upper()
        environment |= {
            f"{prefix}_TRANSPORT": mode,
            f"{prefix}_ENDPOINT": endpoint,
            f"{prefix}_SECRET_NAME": secret,
        }
    return environment


def runtime_environment(
    settings: DeploySettings, table_name: str, bucket_name: str, configuration_set: str
) -> dict[str, str]:
    """The RuntimeConfig variables (autodispatch.config) plus Powertools'; unset options are left out."""
    environment = {
        "TABLE_NAME": table_name,
        "BUCKET_NAME": bucket_name,
        "RUN_TIME_ZONE": settings.time_zone,
        "BATCH_SIZE": str(settings.batch_size),
        "DISPATCH_WORKERS": str(settings.dispatch_workers),
        "SENDER_EMAIL": settings.sender_email,
        "SES_CONFIGURATION_SET": configuration_set,
        "SMS_SENDER_ID": settings.sms_sender_id,
        **transport_environment(settings),
        "CLAIM_LEASE_SECONDS": str(settings.claim_lease_seconds),
        "SES_SEND_RATE": str(settings.ses_send_rate),
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "LOG_LEVEL": "INFO",
    }
    return {name: value for name, value in environment.items() if value}


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        storage: Storage,
        notifications: Notifications,
    ) -> None:
        super().__init__(scope, construct_id)
        self._storage = storage
        # Before the layer build, so a bad lease fails the synth at once.
        settings.check_claim_lease(int(SPECS[DISPATCH_INVOICE].timeout.to_seconds()))

        self.layer = lambda_.LayerVersion(
            self,
            "CommonLayer",
            code=lambda_.Code.from_asset(str(build_layer()), exclude=list(LAYER_ASSET_EXCLUDE)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="autodispatch library and its pinned runtime dependencies",
        )
        environment = runtime_environment(
            settings,
            storage.table.table_name,
            storage.bucket.bucket_name,
            notifications.configuration_set.configuration_set_name,
        )

        self.log_groups: dict[str, logs.LogGroup] = {}
        self.functions: dict[str, lambda_.Function] = {
            name: self._function(name, environment, settings.log_retention) for name in SPECS
        }

        table, index = storage.table.table_arn, f"{storage.table.table_arn}/index/{PENDING_INDEX}"
        bucket = storage.bucket.bucket_arn
        for name, fn in self.functions.items():
            self._allow(fn, TABLE_ACTIONS[name], [table])
            if name in INDEX_ACTIONS:
                self._allow(fn, INDEX_ACTIONS[name], [index])

        self._allow(self.select_invoices, ("s3:PutObject",), [f"{bucket}/{WORK_LIST_PREFIX}*"])
        self._acknowledge_prefix(
            self.select_invoices, WORK_LIST_PREFIX, "Each run writes its work list as a new object under it."
        )
        self._allow_data_key(self.select_invoices)

        # The API sends an invoice manually (R22) with what a run's dispatch may use.
        for sender in (self.dispatch_invoice, self.functions[INTEGRATION_API]):
            self._allow_sending(sender, settings, notifications)
        # R19: a retried batch lists and reads its own archive objects, to render again what a crash lost;
        # R23: it looks up (lists) the outbox objects an ended try staged documents for.
        batches = f"{bucket}/{ARCHIVE_BATCHES_PREFIX}*"
        self._allow(self.dispatch_invoice, ("s3:GetObject",), [batches])
        self._allow_listing(self.dispatch_invoice, [ARCHIVE_BATCHES_PREFIX, OUTBOX_PREFIX])
        acknowledge(
            policy_of(self.dispatch_invoice.role),  # type: ignore[arg-type]
            f"AwsSolutions-IAM5[Resource::{arn_placeholder(self._storage.bucket)}/{ARCHIVE_BATCHES_PREFIX}*]",
            f"s3:GetObject only under the {ARCHIVE_BATCHES_PREFIX} prefix (listing limited to it): a retried "
            "batch reads the archive objects its run wrote for it, whose keys are generated per batch.",
        )

        notify = self.notify_failures
        # The run's last step reads the work list back to settle what no batch finished (R24).
        self._allow(notify, ("s3:GetObject",), [f"{bucket}/{WORK_LIST_PREFIX}*"])
        self._acknowledge_prefix(
            notify, WORK_LIST_PREFIX, "It reads back the night's work list, a new object under it."
        )
        # R23: the sweep looks up (lists) the outbox objects documents were staged for.
        self._allow_listing(notify, [OUTBOX_PREFIX])
        self._allow(notify, SES_SEND, notifications.sending_resources)
        # SMS to a phone number has no resource ARN: SNS authorizes that Publish only on '*'.
        self._allow(notify, ("sns:Publish",), ["*"])
        self._allow_data_key(notify)

        self._allow_data_key(self.record_delivery_events)

    @property
    def select_invoices(self) -> lambda_.Function:
        return self.functions[SELECT_INVOICES]

    @property
    def dispatch_invoice(self) -> lambda_.Function:
        return self.functions[DISPATCH_INVOICE]

    @property
    def notify_failures(self) -> lambda_.Function:
        return self.functions[NOTIFY_FAILURES]

    @property
    def record_delivery_events(self) -> lambda_.Function:
        return self.functions[RECORD_DELIVERY_EVENTS]

    def _function(
        self, name: str, environment: dict[str, str], retention: logs.RetentionDays
    ) -> lambda_.Function:
        spec = SPECS[name]
        log_group = logs.LogGroup(
            self, f"{name}Logs", retention=retention, removal_policy=RemovalPolicy.RETAIN
        )
        role = iam.Role(
            self,
            f"{name}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"autodispatch {FUNCTION_DIRECTORIES[name]}: only what its code calls",
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            )
        )
        fn = lambda_.Function(
            self,
            name,
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=HANDLER,
            code=lambda_.Code.from_asset(
                str(FUNCTIONS_DIR / FUNCTION_DIRECTORIES[name]), exclude=["__pycache__", "*.pyc"]
            ),
            layers=[self.layer],
            environment=environment,
            timeout=spec.timeout,
            memory_size=spec.memory_mb,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
            role=role,
        )
        self.log_groups[name] = log_group
        acknowledge(policy_of(role), "AwsSolutions-IAM5[Resource::*]", RESOURCE_STAR_REASONS[name])
        return fn

    def _allow_sending(
        self, sender: lambda_.Function, settings: DeploySettings, notifications: Notifications
    ) -> None:
        """What delivering an invoice needs: archive (and outbox) writes, SES, the transport secrets."""
        bucket = self._storage.bucket.bucket_arn
        prefixes = [ARCHIVE_PREFIX, *([OUTBOX_PREFIX] if settings.uses_s3_outbox else [])]
        self._allow(sender, ("s3:PutObject",), [f"{bucket}/{prefix}*" for prefix in prefixes])
        self._acknowledge_prefix(sender, ARCHIVE_PREFIX, "Every delivered document is archived under it.")
        if settings.uses_s3_outbox:
            self._acknowledge_prefix(
                sender, OUTBOX_PREFIX, "The S3 transport of EINVOICE/PRINT writes each document under it."
            )
        self._allow(sender, SES_SEND, notifications.sending_resources)
        if settings.secret_names:
            stack = Stack.of(self)
            # Secrets Manager appends "-" and six random characters to a secret's name in its ARN.
            secrets = [
                stack.format_arn(
                    service="secretsmanager",
                    resource="secret",
                    resource_name=f"{name}-??????",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
                for name in settings.secret_names
            ]
            self._allow(sender, ("secretsmanager:GetSecretValue",), secrets)
        self._allow_data_key(sender)

    def _acknowledge_prefix(self, fn: lambda_.Function, prefix: str, why: str) -> None:
        acknowledge(
            policy_of(fn.role),  # type: ignore[arg-type]
            f"AwsSolutions-IAM5[Resource::{arn_placeholder(self._storage.bucket)}/{prefix}*]",
            f"s3:PutObject only, only under the {prefix} prefix of the document bucket: object keys are "
            f"generated per run and invoice. {why}",
        )

    def _allow_listing(self, fn: lambda_.Function, prefixes: list[str]) -> None:
        """s3:ListBucket on the document bucket, only under `prefixes`."""
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[self._storage.bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{prefix}*" for prefix in prefixes]}},
            )
        )

    def _allow(self, fn: lambda_.Function, actions: tuple[str, ...], resources: list[str]) -> None:
        fn.add_to_role_policy(iam.PolicyStatement(actions=list(actions), resources=resources))

    def _allow_data_key(self, fn: lambda_.Function) -> None:
        """Every function reads and writes the table (and S3) encrypted with the data key."""
        region = Stack.of(self).region
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=[*KMS_READ, *KMS_WRITE],
                resources=[self._storage.key.key_arn],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": [f"dynamodb.{region}.amazonaws.com", f"s3.{region}.amazonaws.com"]
                    }
                },
            )
        )
