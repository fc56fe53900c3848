"""The nightly-run state machine, from the one definition the local runtime also runs.

The definition file is deployed as it is: `${MaxConcurrency}` (a bare number, so the file is JSON
only after substitution) is filled in here, and the three function ARNs and the document bucket's
name are left to CloudFormation's DefinitionSubstitutions, so the template's DefinitionString is the
file, parsed the same way.
"""

import json
from typing import Any

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk.constants import (
    DEFINITION_FUNCTION_PLACEHOLDERS,
    DOCUMENT_BUCKET_PLACEHOLDER,
    MAP_RESULTS_PREFIX,
    MAX_CONCURRENCY_PLACEHOLDER,
    STATE_MACHINE_DEFINITION,
    WORK_LIST_PREFIX,
)
from cdk.constructs.storage import Storage
from cdk.nag import acknowledge, arn_placeholder, policy_of
from cdk.settings import DeploySettings


def definition_text(max_concurrency: int) -> str:
    """The shared definition with MaxConcurrency filled in; the ARN placeholders stay."""
    text = STATE_MACHINE_DEFINITION.read_text()
    if MAX_CONCURRENCY_PLACEHOLDER not in text:
        raise ValueError(f"{STATE_MACHINE_DEFINITION} has no {MAX_CONCURRENCY_PLACEHOLDER}")
    text = text.replace(MAX_CONCURRENCY_PLACEHOLDER, str(max_concurrency))
    json.loads(text)  # fail the synth, not the deployment, on a broken definition
    return text


def distributed_map_labels(definition: dict[str, Any]) -> list[str]:
    """The Label of every Distributed Map state, at any depth (their map runs' execution ARNs use
    it); "*" for a map without one, whose map runs get generated names."""
    labels: list[str] = []
    for state in definition.get("States", {}).values():
        processor = state.get("ItemProcessor") or state.get("Iterator") or {}
        if processor.get("ProcessorConfig", {}).get("Mode") == "DISTRIBUTED":
            labels.append(state.get("Label", "*"))
        labels += distributed_map_labels(processor)
        for branch in state.get("Branches", []):
            labels += distributed_map_labels(branch)
    return labels


class Workflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploySettings,
        storage: Storage,
        functions: dict[str, lambda_.Function],
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        text = definition_text(settings.map_concurrency)
        labels = distributed_map_labels(json.loads(text))

        self.log_group = logs.LogGroup(
            self, "ExecutionLogs", retention=settings.log_retention, removal_policy=RemovalPolicy.RETAIN
        )
        # Named, so the role can name the state machine (and its map runs) without a dependency cycle.
        self.state_machine_name = f"{settings.stack_name}-NightlyRun"
        self.state_machine = sfn.StateMachine(
            self,
            "NightlyRun",
            state_machine_name=self.state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(text),
            definition_substitutions={
                **{
                    placeholder: functions[name].function_arn
                    for placeholder, name in DEFINITION_FUNCTION_PLACEHOLDERS.items()
                },
                DOCUMENT_BUCKET_PLACEHOLDER: storage.bucket.bucket_name,
            },
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
            tracing_enabled=True,
        )
        role = self.state_machine.role

        # The tasks invoke the unqualified function ARNs, nothing else.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[
                    functions[name].function_arn for name in DEFINITION_FUNCTION_PLACEHOLDERS.values()
                ],
            )
        )
        # The Distributed Map's ItemReader reads the work list (encrypted with the data key).
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[f"{storage.bucket.bucket_arn}/{WORK_LIST_PREFIX}*"]
            )
        )
        # Its ResultWriter writes the map's results next to the work lists (same expiry).
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"], resources=[f"{storage.bucket.bucket_arn}/{MAP_RESULTS_PREFIX}*"]
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[storage.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}},
            )
        )
        # A Distributed Map starts its child executions through its own state machine, and may
        # describe, stop and redrive them (what CDK grants for a Distributed Map built in code).
        own_arn = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=self.state_machine_name,
            arn_format=_COLON,
        )
        executions = stack.format_arn(
            service="states",
            resource="execution",
            resource_name=f"{self.state_machine_name}:*",
            arn_format=_COLON,
        )
        map_runs = [
            stack.format_arn(
                service="states",
                resource="execution",
                resource_name=f"{self.state_machine_name}/{label}:*",
                arn_format=_COLON,
            )
            for label in labels
        ]
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["states:StartExecution"], resources=[own_arn])
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["states:DescribeExecution", "states:StopExecution"], resources=[executions]
            )
        )
        if map_runs:
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["states:RedriveExecution"], resources=map_runs)
            )

        policy = policy_of(role)
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "Logging to CloudWatch Logs (logs:CreateLogDelivery and the other vended-log delivery "
            "actions) and X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, "
            "GetSamplingTargets) support no resource-level permissions; Step Functions documents them on "
            "Resource '*'.",
        )
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::{arn_placeholder(storage.bucket)}/{WORK_LIST_PREFIX}*]",
            "The Distributed Map's ItemReader reads each night's work list, a new object under the "
            f"{WORK_LIST_PREFIX} prefix; s3:GetObject is limited to that prefix.",
        )
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::{arn_placeholder(storage.bucket)}/{MAP_RESULTS_PREFIX}*]",
            "The Distributed Map's ResultWriter writes each map run's results as new objects under the "
            f"{MAP_RESULTS_PREFIX} prefix; s3:PutObject is limited to that prefix.",
        )
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
            f"execution:{self.state_machine_name}:*]",
            "Child executions of the Distributed Map get generated names; Describe/StopExecution are "
            "limited to executions of this state machine.",
        )
        for label in labels:
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
                f"execution:{self.state_machine_name}/{label}:*]",
                f"Redriving the map run of the {label} Distributed Map addresses its generated child "
                "executions; limited to that label of this state machine.",
            )


_COLON = ArnFormat.COLON_RESOURCE_NAME
