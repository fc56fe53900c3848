"""cdk-nag acknowledgments: each names the exact construct it applies to and why."""

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from constructs import IConstruct

# Validation findings are named `<plugin>::<rule>`; the AwsSolutions pack is the one the app runs.
PLUGIN = "AwsSolutions"


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding (`AwsSolutions-IAM5[Resource::*]`, ...) on exactly the
    CloudFormation resource behind `construct`, never on a scope of several resources."""
    resource = construct if isinstance(construct, CfnElement) else construct.node.default_child
    if not isinstance(resource, CfnElement):
        raise TypeError(f"{construct.node.path} has no single CloudFormation resource to acknowledge on")
    Validations.of(resource).acknowledge(Acknowledgment(id=f"{PLUGIN}::{rule}", reason=reason))


def policy_of(role: IConstruct) -> IConstruct:
    """The CloudFormation policy behind a role's DefaultPolicy, where IAM findings are reported."""
    return role.node.find_child("DefaultPolicy").node.find_child("Resource")


def arn_placeholder(construct: IConstruct) -> str:
    """How cdk-nag writes `Fn::GetAtt <resource>.Arn` in a finding: `<LogicalId.Arn>`."""
    resource = construct.node.default_child
    if not isinstance(resource, CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource")
    return f"<{Stack.of(construct).get_logical_id(resource)}.Arn>"
