"""The invoice table and the document bucket, both encrypted with one customer-managed key. The
table is on demand, or provisioned with the night's capacity scheduled around the run."""

from aws_cdk import Duration, RemovalPolicy, TimeZone
from aws_cdk import aws_applicationautoscaling as autoscaling
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.constants import (
    ACCESS_LOG_RETENTION_DAYS,
    PARTITION_KEY,
    PENDING_INDEX,
    PENDING_INDEX_PARTITION_KEY,
    PENDING_INDEX_PROJECTED,
    PENDING_INDEX_SORT_KEY,
    SORT_KEY,
    TTL_ATTRIBUTE,
    WORK_LIST_PREFIX,
    WORK_LIST_RETENTION_DAYS,
)
from cdk.settings import (
    INDEX_READ_UNITS_AT_NIGHT,
    INDEX_WRITE_UNITS_PER_INVOICE,
    TABLE_READ_UNITS_PER_INVOICE,
    TABLE_WRITE_UNITS_PER_INVOICE,
    TARGET_UTILIZATION_PERCENT,
    DeploySettings,
)


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploySettings) -> None:
        super().__init__(scope, construct_id)
        provisioned = settings.table_capacity == "provisioned"

        self.key = kms.Key(
            self,
            "DataKey",
            description="autodispatch: invoices, runs and delivered documents",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.table = dynamodb.Table(
            self,
            "Invoices",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PROVISIONED
            if provisioned
            else dynamodb.BillingMode.PAY_PER_REQUEST,
            read_capacity=settings.day_read_units if provisioned else None,
            write_capacity=settings.day_write_units if provisioned else None,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            time_to_live_attribute=TTL_ATTRIBUTE,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.table.add_global_secondary_index(
            index_name=PENDING_INDEX,
            partition_key=dynamodb.Attribute(
                name=PENDING_INDEX_PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            sort_key=dynamodb.Attribute(name=PENDING_INDEX_SORT_KEY, type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.INCLUDE,
            non_key_attributes=list(PENDING_INDEX_PROJECTED),
            read_capacity=settings.day_read_units if provisioned else None,
            write_capacity=settings.day_write_units if provisioned else None,
        )
        if provisioned:
            self._scale_for_the_night(settings)

        # Server access logs need an SSE-S3 destination: S3 log delivery cannot use a KMS key. (cdk-nag's
        # S1 does not ask a log destination to log its own access.)
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(id="ExpireAccessLogs", expiration=Duration.days(ACCESS_LOG_RETENTION_DAYS))
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.bucket = s3.Bucket(
            self,
            "Documents",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="documents/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireWorkLists",
                    prefix=WORK_LIST_PREFIX,
                    expiration=Duration.days(WORK_LIST_RETENTION_DAYS),
                    noncurrent_version_expiration=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="AbortIncompleteUploads", abort_incomplete_multipart_upload_after=Duration.days(7)
                ),
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _scale_for_the_night(self, settings: DeploySettings) -> None:
        """Each capacity keeps the day's minimum by day; a scheduled action raises its minimum to the
        night's rate before the run and lowers it after, and target tracking follows what is used
        in between (a night larger than expected, the API's bursts by day)."""
        up, down = settings.night_scaling()
        zone = TimeZone.of(settings.time_zone)
        capacities = {
            "TableWrites": (
                self.table.auto_scale_write_capacity,
                settings.day_write_units,
                settings.night_units(TABLE_WRITE_UNITS_PER_INVOICE),
            ),
            "TableReads": (
                self.table.auto_scale_read_capacity,
                settings.day_read_units,
                settings.night_units(TABLE_READ_UNITS_PER_INVOICE),
            ),
            "IndexWrites": (
                lambda **limits: self.table.auto_scale_global_secondary_index_write_capacity(
                    PENDING_INDEX, **limits
                ),
                settings.day_write_units,
                settings.night_units(INDEX_WRITE_UNITS_PER_INVOICE),
            ),
            "IndexReads": (
                lambda **limits: self.table.auto_scale_global_secondary_index_read_capacity(
                    PENDING_INDEX, **limits
                ),
                settings.day_read_units,
                INDEX_READ_UNITS_AT_NIGHT,
            ),
        }
        for name, (scalable, day, night) in capacities.items():
            # Target tracking may go above the night's figure, up to twice it.
            capacity = scalable(min_capacity=day, max_capacity=2 * max(day, night))
            capacity.scale_on_utilization(target_utilization_percent=TARGET_UTILIZATION_PERCENT)
            capacity.scale_on_schedule(
                f"{name}NightStarts",
                schedule=autoscaling.Schedule.expression(up),
                min_capacity=max(day, night),
                time_zone=zone,
            )
            capacity.scale_on_schedule(
                f"{name}NightEnds",
                schedule=autoscaling.Schedule.expression(down),
                min_capacity=day,
                time_zone=zone,
            )
