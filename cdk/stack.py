"""The autodispatch stack: composes the constructs and exports what the operator CLI reads."""

from typing import Any

from aws_cdk import Aws, CfnOutput, Stack
from constructs import Construct

from cdk.constants import (
    INTEGRATION_API,
    OUTPUT_API_URL,
    OUTPUT_BUCKET_NAME,
    OUTPUT_FUNCTION_NAMES,
    OUTPUT_OAUTH_DOMAIN,
    OUTPUT_STATE_MACHINE_ARN,
    OUTPUT_SYSTEM_CLIENT_ID,
    OUTPUT_TABLE_NAME,
    OUTPUT_USER_CLIENT_ID,
    OUTPUT_USER_POOL_ID,
    OUTPUT_WEB_BUCKET_NAME,
    OUTPUT_WEB_URL,
)
from cdk.constructs.api import IntegrationApi
from cdk.constructs.delivery_feedback import DeliveryFeedback
from cdk.constructs.functions import Functions
from cdk.constructs.identity import Identity
from cdk.constructs.monitoring import Monitoring
from cdk.constructs.night_capacity import NightCapacity
from cdk.constructs.notifications import Notifications
from cdk.constructs.schedule import NightlySchedule
from cdk.constructs.storage import Storage
from cdk.constructs.web import TenantView
from cdk.constructs.workflow import Workflow
from cdk.settings import DeploySettings


class AutodispatchStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DeploySettings, **kwargs: Any
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description="autodispatch: nightly automatic dispatch of sales invoices",
            **kwargs,
        )
        self.settings = settings
        self.storage = Storage(self, "Storage", settings=settings)
        self.notifications = Notifications(self, "Notifications", settings=settings)
        self.functions = Functions(
            self, "Functions", settings=settings, storage=self.storage, notifications=self.notifications
        )
        self.delivery_feedback = DeliveryFeedback(
            self,
            "DeliveryFeedback",
            configuration_set=self.notifications.configuration_set,
            functions=self.functions,
        )
        self.workflow = Workflow(
            self, "Workflow", settings=settings, storage=self.storage, functions=self.functions.functions
        )
        self.schedule = NightlySchedule(
            self, "Schedule", settings=settings, state_machine=self.workflow.state_machine
        )
        if settings.table_capacity == "night":
            self.night_capacity = NightCapacity(
                self,
                "NightCapacity",
                settings=settings,
                table=self.storage.table,
                dead_letter_queue=self.schedule.dead_letter_queue,
            )
        self.identity = Identity(self, "Identity", domain_prefix=f"{construct_id.lower()}-{Aws.ACCOUNT_ID}")
        self.api = IntegrationApi(
            self,
            "Api",
            settings=settings,
            function=self.functions.functions[INTEGRATION_API],
            state_machine=self.workflow.state_machine,
            state_machine_name=self.workflow.state_machine_name,
            identity=self.identity,
        )
        self.tenant_view = TenantView(
            self,
            "TenantView",
            api_endpoint=self.api.url,
            oauth_domain=self.identity.oauth_domain,
            user_client=self.identity.user_client,
            access_logs=self.storage.access_logs,
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            settings=settings,
            state_machine=self.workflow.state_machine,
            functions=self.functions.functions,
            log_groups={**self.functions.log_groups},
            dead_letter_queue=self.schedule.dead_letter_queue,
            feedback_queue=self.delivery_feedback.queue,
            feedback_dead_letter_queue=self.delivery_feedback.dead_letter_queue,
        )

        CfnOutput(self, OUTPUT_TABLE_NAME, value=self.storage.table.table_name)
        CfnOutput(self, OUTPUT_BUCKET_NAME, value=self.storage.bucket.bucket_name)
        CfnOutput(self, OUTPUT_STATE_MACHINE_ARN, value=self.workflow.state_machine.state_machine_arn)
        CfnOutput(self, OUTPUT_API_URL, value=self.api.url)
        CfnOutput(self, OUTPUT_USER_POOL_ID, value=self.identity.user_pool.user_pool_id)
        CfnOutput(self, OUTPUT_USER_CLIENT_ID, value=self.identity.user_client.user_pool_client_id)
        CfnOutput(self, OUTPUT_SYSTEM_CLIENT_ID, value=self.identity.system_client.user_pool_client_id)
        CfnOutput(self, OUTPUT_OAUTH_DOMAIN, value=self.identity.oauth_domain)
        CfnOutput(self, OUTPUT_WEB_URL, value=self.tenant_view.url)
        CfnOutput(self, OUTPUT_WEB_BUCKET_NAME, value=self.tenant_view.bucket.bucket_name)
        for name, output in OUTPUT_FUNCTION_NAMES.items():
            CfnOutput(self, output, value=self.functions.functions[name].function_name)
