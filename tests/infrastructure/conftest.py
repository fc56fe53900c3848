"""Synthesizes the stack once per session (synth with cdk-nag takes seconds) and reads the template.

`deployed` is the stack as cdk.json configures it; `variant` sets every optional context key the
other way (HTTP transports with secrets, a domain identity, an alarm email, the schedule paused), the
way `-c key=value` passes them: as strings.
"""

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cdk.app import build_app
from cdk.stack import AutodispatchStack

ROOT = Path(__file__).resolve().parents[2]
CDK_JSON_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]

VARIANT_CONTEXT = {
    "stackName": "AutodispatchVariant",
    "sesIdentity": "example.com",
    "einvoiceTransport": "http",
    "einvoiceEndpoint": "https://einvoice.example.net/v1",
    "einvoiceSecretName": "autodispatch/einvoice",
    "peppolTransport": "http",
    "peppolEndpoint": "https://access-point.example.net/v1",
    "peppolSecretName": "autodispatch/peppol",
    "printTransport": "http",
    "printEndpoint": "https://print.example.net/v1",
    "printSecretName": "autodispatch/print",
    "smsSenderId": "Billing",
    "alarmEmail": "operators@example.com",
    "scheduleEnabled": "false",
    "maxConcurrency": "25",
    "sesSendRate": "50",
    "dispatchWorkers": "2",
    "logRetentionDays": "365",
    "tableCapacity": "provisioned",
    "nightHours": "9",
}

# What the CDK CLI sets for an app it runs (construct paths in the template's metadata); and the
# synths read the asset directories in place instead of copying 100+ MB of layer per session.
TEST_ONLY_CONTEXT = {"aws:cdk:enable-path-metadata": True, "aws:cdk:disable-asset-staging": True}


@dataclass
class Synthesized:
    stack: AutodispatchStack
    template: dict[str, Any]
    template_file: Path
    report: dict[str, Any]
    error: Exception | None

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.template["Resources"])

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {lid: r for lid, r in self.resources.items() if r["Type"] == resource_type}

    def path(self, logical_id: str) -> str:
        """The construct path below the stack, without the trailing /Resource."""
        path = str(self.resources[logical_id]["Metadata"]["aws:cdk:path"]).split("/", 1)[1]
        return path.removesuffix("/Resource")

    def logical_id(self, path: str) -> str:
        matches = [lid for lid, r in self.resources.items() if "Metadata" in r and self.path(lid) == path]
        assert len(matches) == 1, f"{path}: {matches}"
        return matches[0]

    def resource(self, path: str) -> dict[str, Any]:
        return self.resources[self.logical_id(path)]

    def render(self, value: Any) -> str:
        """A CloudFormation value as readable text: GetAtt -> `Storage/Invoices.Arn`, Ref -> `ref(...)`."""
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and len(value) == 1:
            (function, argument), *_ = value.items()
            if function == "Ref":
                return f"<{argument}>" if argument.startswith("AWS::") else f"ref({self.path(argument)})"
            if function == "Fn::GetAtt":
                return f"{self.path(argument[0])}.{argument[1]}"
            if function == "Fn::Join":
                separator, parts = argument
                return str(separator).join(self.render(part) for part in parts)
        raise AssertionError(f"cannot render {value!r}")

    def statements_of_role(self, role_logical_id: str) -> list[dict[str, Any]]:
        statements: list[dict[str, Any]] = []
        for policy in self.of_type("AWS::IAM::Policy").values():
            if {"Ref": role_logical_id} in policy["Properties"]["Roles"]:
                statements += policy["Properties"]["PolicyDocument"]["Statement"]
        for inline in self.resources[role_logical_id]["Properties"].get("Policies", []):
            statements += inline["PolicyDocument"]["Statement"]
        return statements

    def grants_of_role(self, role_logical_id: str) -> set[tuple[str, str]]:
        """Every (action, resource) pair the role's Allow statements grant."""
        grants: set[tuple[str, str]] = set()
        for statement in self.statements_of_role(role_logical_id):
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            grants |= {(action, self.render(resource)) for action in actions for resource in resources}
        return grants

    def role_of_function(self, function_path: str) -> str:
        role = self.resource(function_path)["Properties"]["Role"]
        return str(role["Fn::GetAtt"][0])


def _synthesize(context: dict[str, Any], outdir: Path) -> Synthesized:
    app, stack = build_app({**CDK_JSON_CONTEXT, **context, **TEST_ONLY_CONTEXT}, str(outdir))
    error: Exception | None = None
    try:
        app.synth()
    except Exception as raised:  # a validation failure: the report below says which findings
        error = raised
    template_file = outdir / f"{stack.stack_name}.template.json"
    report_file = outdir / "validation-report.json"
    return Synthesized(
        stack=stack,
        template=json.loads(template_file.read_text()),
        template_file=template_file,
        report=json.loads(report_file.read_text()) if report_file.exists() else {},
        error=error,
    )


@pytest.fixture(scope="session")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    yield _synthesize({}, outdir)
    shutil.rmtree(outdir, ignore_errors=True)


@pytest.fixture(scope="session")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    outdir = tmp_path_factory.mktemp("cdk.out.variant")
    yield _synthesize(VARIANT_CONTEXT, outdir)
    shutil.rmtree(outdir, ignore_errors=True)


@pytest.fixture(params=["deployed", "variant"])
def every_synth(request: pytest.FixtureRequest) -> Synthesized:
    synthesized: Synthesized = request.getfixturevalue(request.param)
    return synthesized
