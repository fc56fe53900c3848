"""The system the operator commands act on, found through the CloudFormation outputs of its stack.

One code path for a deployed stack and for `autodispatch local serve`: the local system publishes a
stack with the same outputs, and boto3 itself honours AWS_ENDPOINT_URL, credentials, profile and
region, so nothing here knows which of the two it talks to.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from autodispatch.config import RuntimeConfig
from autodispatch.errors import AutodispatchError, shown
from autodispatch.models.text import Text
from autodispatch.rules.due import local_date
from autodispatch.store.dynamodb import DynamoDbInvoiceStore

if TYPE_CHECKING:
    from autodispatch.channels.port import Deliverer

DEFAULT_STACK = "Autodispatch"
STACK_ENV = "AUTODISPATCH_STACK"

# OutputKeys of the stack (cdk/constants.py declares the same names for the deployed stack).
OUTPUT_TABLE_NAME = "TableName"
OUTPUT_BUCKET_NAME = "BucketName"
OUTPUT_STATE_MACHINE_ARN = "StateMachineArn"
OUTPUT_FUNCTION_NAMES = {
    "SelectInvoices": "SelectInvoicesFunctionName",
    "DispatchInvoice": "DispatchInvoiceFunctionName",
    "NotifyFailures": "NotifyFailuresFunctionName",
    "RecordDeliveryEvents": "RecordDeliveryEventsFunctionName",
}
# The integration API (R27): its URL, user pool and clients; the Cognito domain of client credentials.
OUTPUT_API_URL = "ApiUrl"
OUTPUT_USER_POOL_ID = "UserPoolId"
OUTPUT_USER_CLIENT_ID = "ApiUserClientId"
OUTPUT_SYSTEM_CLIENT_ID = "ApiSystemClientId"
OUTPUT_OAUTH_DOMAIN = "ApiOAuthDomain"
OUTPUT_API = (
    OUTPUT_API_URL,
    OUTPUT_USER_POOL_ID,
    OUTPUT_USER_CLIENT_ID,
    OUTPUT_SYSTEM_CLIENT_ID,
    OUTPUT_OAUTH_DOMAIN,
)
REQUIRED_OUTPUTS = (OUTPUT_TABLE_NAME, OUTPUT_BUCKET_NAME, OUTPUT_STATE_MACHINE_ARN)

# Few, quick retries: an operator waiting at a prompt should hear about an unreachable endpoint soon.
_CLIENT_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60)


class TargetError(AutodispatchError):
    """The stack cannot be used: missing, incomplete, or its configuration cannot be read."""


@dataclass(frozen=True)
class TargetOptions:
    """What the command line says about the target; everything else comes from the AWS defaults."""

    stack: str = DEFAULT_STACK
    region: str | None = None
    profile: str | None = None


@dataclass
class Target:
    """The resources of one deployed (or locally served) stack and clients to reach them."""

    stack_name: str
    session: boto3.Session
    outputs: dict[str, str]
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def region(self) -> str:
        return str(self.session.region_name)

    @property
    def table_name(self) -> str:
        return self.outputs[OUTPUT_TABLE_NAME]

    @property
    def bucket_name(self) -> str:
        return self.outputs[OUTPUT_BUCKET_NAME]

    @property
    def state_machine_arn(self) -> str:
        return self.outputs[OUTPUT_STATE_MACHINE_ARN]

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, config=_CLIENT_CONFIG)  # type: ignore[call-overload]
        return self._clients[service]

    @cached_property
    def runtime_config(self) -> RuntimeConfig:
        """The functions' own configuration (time zone, sender, transports), so a manual send and the
        dates the CLI shows follow the deployment exactly; the stack outputs name the resources."""
        function_name = self.outputs.get(OUTPUT_FUNCTION_NAMES["DispatchInvoice"])
        variables: dict[str, str] = {}
        if function_name:
            try:
                configuration = self.client("lambda").get_function_configuration(FunctionName=function_name)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                said = Text.of(
                    "target.function_configuration",
                    function=function_name,
                    stack=shown(self.stack_name),
                    aws_code=str(code),
                )
                raise TargetError.said(said) from None
            variables = configuration.get("Environment", {}).get("Variables", {})
        return RuntimeConfig.model_validate(
            {**variables, "TABLE_NAME": self.table_name, "BUCKET_NAME": self.bucket_name}
        )

    @property
    def zone(self) -> ZoneInfo:
        return self.runtime_config.zone

    @cached_property
    def store(self) -> DynamoDbInvoiceStore:
        return DynamoDbInvoiceStore(self.table_name, self.zone, self.client("dynamodb"))

    def deliverer(self) -> Deliverer:
        from autodispatch.channels.deliverer import build_deliverer  # noqa: PLC0415 - PDF fonts etc. load slowly

        try:
            deliverer: Deliverer = build_deliverer(
                self.runtime_config,
                s3_client=self.client("s3"),
                # As in the functions: an SDK retry of a timed-out send could deliver it twice (R23).
                sesv2_client=self.session.client(
                    "sesv2", config=_CLIENT_CONFIG.merge(Config(retries={"total_max_attempts": 1}))
                ),
                secrets_client=self.client("secretsmanager"),
            )
        except ValueError as error:  # a transport configured without what it needs
            said = Text.of("target.misconfigured", stack=shown(self.stack_name), error=str(error))
            raise TargetError.said(said) from None
        return deliverer

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        """The run date a run started now would have: the local date of the deployment (R1)."""
        return local_date(self.now(), self.zone)

    def console_url(self, execution_arn: str) -> str:
        region = self.region
        return (
            f"https://{region}.console.aws.amazon.com/states/home?region={region}"
            f"#/v2/executions/details/{execution_arn}"
        )


def resolve_target(options: TargetOptions) -> Target:
    """Read the stack's outputs; raises TargetError (or botocore's errors, see failures.py)."""
    session = boto3.Session(profile_name=options.profile, region_name=options.region)
    if session.region_name is None:
        raise TargetError.said(Text.of("target.no_region"))
    client = session.client("cloudformation", config=_CLIENT_CONFIG)
    try:
        stacks = client.describe_stacks(StackName=options.stack)["Stacks"]
    except ClientError as error:
        # CloudFormation answers a missing stack with the generic ValidationError code.
        if error.response.get("Error", {}).get("Code") == "ValidationError":
            stack, region, endpoint = (
                shown(options.stack),
                str(session.region_name),
                os.environ.get("AWS_ENDPOINT_URL"),
            )
            said = (
                Text.of("target.stack_not_found_at", stack=stack, region=region, endpoint=endpoint)
                if endpoint
                else Text.of("target.stack_not_found", stack=stack, region=region)
            )
            raise TargetError.said(said) from None
        raise
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])}
    missing = [name for name in REQUIRED_OUTPUTS if name not in outputs]
    if missing:
        raise TargetError.said(
            Text.of("target.no_outputs", stack=shown(options.stack), outputs=", ".join(missing))
        )
    return Target(stack_name=options.stack, session=session, outputs=outputs)
