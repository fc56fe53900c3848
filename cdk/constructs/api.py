"""The integration API (R27): an HTTP API whose every route goes through the JWT authorizer of the
user pool to the one API function. Routes are read from the function's own OpenAPI document, so
the deployed routes and the handler's cannot drift apart. The stage is throttled and logs each
request's ids, route, status and latency: no personal data (no source IP, no claims, no bodies)."""

import importlib
import json
import sys
from typing import Any

import jsii
from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.constants import API_BURST_LIMIT, API_DOC_ROUTES, API_RATE_LIMIT, FUNCTIONS_DIR
from cdk.constructs.identity import Identity
from cdk.nag import acknowledge, policy_of
from cdk.settings import DeploySettings

EVERY_TENANT = "*"
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "time": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "latencyMs": "$context.responseLatency",
    "authorizerError": "$context.authorizer.error",
    "integrationError": "$context.integrationErrorMessage",
}


def api_routes() -> list[tuple[str, str]]:
    """(method, path) of every route of the API function, from its OpenAPI document."""
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))
    routes: Any = importlib.import_module("api.routes")
    document = routes.app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True)
    found = [(method.upper(), path) for path, item in document["paths"].items() for method in item]
    return sorted({*found, *(("GET", path) for path in API_DOC_ROUTES)})


class IntegrationApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        function: lambda_.Function,
        state_machine: sfn.IStateMachine,
        state_machine_name: str,
        identity: Identity,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        function.add_environment("STATE_MACHINE_ARN", state_machine.state_machine_arn)
        function.add_environment(
            "API_SYSTEM_CLIENTS",
            stack.to_json_string({identity.system_client.user_pool_client_id: [EVERY_TENANT]}),
        )
        state_machine.grant_start_execution(function)
        # GET /runs/{run_id} reads the status of the run's execution (its name is the run id).
        executions = stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[executions])
        )
        if function.role is not None:
            acknowledge(
                policy_of(function.role),
                f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
                f"execution:{state_machine_name}:*]",
                "A run's execution is named by its run id, known only at request time; DescribeExecution "
                "is limited to executions of the nightly state machine.",
            )

        self.http_api = apigw.HttpApi(
            self,
            "HttpApi",
            description="autodispatch integration API (R27)",
            create_default_stage=False,
        )
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=settings.log_retention, removal_policy=RemovalPolicy.RETAIN
        )
        self.stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=API_RATE_LIMIT, burst_limit=API_BURST_LIMIT),
            access_log_settings=_AccessLogs(self.access_logs),
        )
        authorizer = authorizers.HttpJwtAuthorizer(
            "JwtAuthorizer",
            identity.issuer,
            jwt_audience=[
                identity.user_client.user_pool_client_id,
                identity.system_client.user_pool_client_id,
            ],
        )
        integration = integrations.HttpLambdaIntegration("ApiFunction", function)
        for method, path in api_routes():
            self.http_api.add_routes(
                path=path, methods=[apigw.HttpMethod(method)], integration=integration, authorizer=authorizer
            )
        self.url = self.http_api.api_endpoint


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogs:
    """The stage's access log: JSON lines of ACCESS_LOG_FIELDS into the log group."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigw.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return apigateway.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS))
