"""How the CLI finds its target (the stack outputs) and how it fails when it cannot: one line and a
non-zero exit each, never a traceback; and `local serve` itself (addresses, port in use, Ctrl-C)."""

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from autodispatch.i18n import render
from autodispatch_cli.failures import aws_refusal
from autodispatch_cli.local import serve
from autodispatch_cli.local.runtime import BUCKET_NAME, REGION, SENDER, TABLE_NAME, LocalAws
from autodispatch_cli.target import STACK_ENV, TargetOptions, resolve_target
from tests.integration.cli_runs import cli, one_line_error


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No AWS settings from the machine running the tests."""
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        STACK_ENV,
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


@pytest.fixture
def local_system(clean_environment: pytest.MonkeyPatch) -> Iterator[LocalAws]:
    with LocalAws() as local:
        serve.publish(local, "Autodispatch")
        yield local


def test_outputs_and_function_configuration_name_everything(local_system: LocalAws) -> None:
    target = resolve_target(TargetOptions())
    assert (target.table_name, target.bucket_name) == (TABLE_NAME, BUCKET_NAME)
    assert target.state_machine_arn == local_system.state_machine_arn
    assert target.region == REGION
    config = target.runtime_config
    assert (config.table_name, config.sender_email, config.time_zone) == (
        TABLE_NAME,
        SENDER,
        "Europe/Helsinki",
    )


def test_stack_chosen_by_option_or_environment(local_system: LocalAws, clean_environment: Any) -> None:
    assert "stack 'Other' not found" in one_line_error(cli("--stack", "Other", "runs", "list"))
    clean_environment.setenv(STACK_ENV, "FromEnv")
    assert "stack 'FromEnv' not found" in one_line_error(cli("runs", "list"))


def test_stack_without_the_outputs_is_refused(local_system: LocalAws) -> None:
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    boto3.client("cloudformation").create_stack(StackName="Unrelated", TemplateBody=json.dumps(template))
    line = one_line_error(cli("--stack", "Unrelated", "runs", "list"))
    assert "has no output TableName" in line


def test_no_credentials_is_one_line(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("AWS_DEFAULT_REGION", REGION)
    line = one_line_error(cli("runs", "list"))
    assert "no AWS credentials" in line
    assert "autodispatch local serve" in line


def test_no_region_is_one_line(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("AWS_ACCESS_KEY_ID", "x")
    clean_environment.setenv("AWS_SECRET_ACCESS_KEY", "x")
    assert "no AWS region" in one_line_error(cli("runs", "list"))


def test_unknown_profile_is_one_line(clean_environment: pytest.MonkeyPatch) -> None:
    assert "profile 'nope' not found" in one_line_error(cli("--profile", "nope", "runs", "list"))


def test_unreachable_endpoint_is_one_line(clean_environment: pytest.MonkeyPatch) -> None:
    port = serve.free_port()  # nothing listens there once the probe is closed
    clean_environment.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    clean_environment.setenv("AWS_DEFAULT_REGION", REGION)
    clean_environment.setenv("AWS_ACCESS_KEY_ID", "local")
    clean_environment.setenv("AWS_SECRET_ACCESS_KEY", "local")
    line = one_line_error(cli("invoices", "list", "--tenant", "kahvila"))
    assert f"cannot reach http://127.0.0.1:{port}" in line
    assert "local serve" in line


def _stack_naming_resources_that_do_not_exist() -> None:
    """A stack whose outputs name a table and a state machine that AWS does not have."""
    outputs = {"TableName": "missing-table", "BucketName": "b", "StateMachineArn": "arn:aws:states:x"}
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }
    boto3.client("cloudformation").create_stack(StackName="Autodispatch", TemplateBody=json.dumps(template))


def test_aws_refusal_is_one_line(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("AWS_DEFAULT_REGION", REGION)
    clean_environment.setenv("AWS_ACCESS_KEY_ID", "x")
    clean_environment.setenv("AWS_SECRET_ACCESS_KEY", "x")
    with mock_aws():
        _stack_naming_resources_that_do_not_exist()
        table_missing = one_line_error(cli("invoices", "list", "--tenant", "kahvila"))
        machine_unknown = one_line_error(cli("runs", "list"))
    assert "AWS refused GetItem: ResourceNotFoundException" in table_missing
    assert "AWS refused ListExecutions: InvalidArn" in machine_unknown


def test_local_serve_refuses_a_port_in_use(clean_environment: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line_error(cli("local", "serve", "--port", str(port)))
    assert f"port {port}" in line
    assert "--port" in line


def _ctrl_c() -> None:
    raise KeyboardInterrupt


def test_local_serve_prints_what_to_export_and_stops_cleanly_on_ctrl_c(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setattr(serve, "wait_forever", _ctrl_c)  # Ctrl-C right after starting
    port = serve.free_port()
    result = cli("local", "serve", "--port", str(port))
    assert result.exit_code == 0, result.output
    assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}" in result.stdout
    assert f"export AWS_DEFAULT_REGION={REGION}" in result.stdout
    assert "export AWS_ACCESS_KEY_ID=local" in result.stdout
    assert "Stopped." in result.stdout
    assert "Traceback" not in result.output
    # The server is gone: its port can be taken again.
    serve.check_port_free(port)


@pytest.mark.parametrize(
    ("language", "credentials", "region", "profile"),
    [
        ("sv", "inga AWS-inloggningsuppgifter", "ingen AWS-region", "AWS-profilen 'nope' hittades inte"),
        ("fi", "AWS-tunnuksia ei löytynyt", "AWS-aluetta ei ole annettu", "AWS-profiilia 'nope' ei löytynyt"),
    ],
)
def test_r30_aws_errors_read_in_the_language_asked_for_with_the_same_exit_codes(
    clean_environment: pytest.MonkeyPatch, language: str, credentials: str, region: str, profile: str
) -> None:
    clean_environment.setenv("AWS_DEFAULT_REGION", REGION)
    no_credentials = cli("runs", "list", "--lang", language)
    assert no_credentials.exit_code == 1
    line = one_line_error(no_credentials)
    assert credentials in line
    assert "`autodispatch local serve`" in line  # the hint, in the same language
    unknown_profile = cli("--profile", "nope", "--lang", language, "runs", "list")
    assert (unknown_profile.exit_code, profile in one_line_error(unknown_profile)) == (1, True)
    clean_environment.delenv("AWS_DEFAULT_REGION")
    clean_environment.setenv("AWS_ACCESS_KEY_ID", "x")
    clean_environment.setenv("AWS_SECRET_ACCESS_KEY", "x")
    no_region = cli("--lang", language, "settings", "show", "--tenant", "t")
    assert no_region.exit_code == 1
    assert region in one_line_error(no_region)


@pytest.mark.parametrize(
    ("language", "refused", "denied"),
    [
        ("sv", "AWS avvisade GetItem: ResourceNotFoundException", "åtkomst nekad"),
        ("fi", "AWS hylkäsi", "pääsy evätty"),
    ],
)
def test_r30_aws_refusals_read_in_the_language_asked_for(
    clean_environment: pytest.MonkeyPatch, language: str, refused: str, denied: str
) -> None:
    clean_environment.setenv("AWS_DEFAULT_REGION", REGION)
    clean_environment.setenv("AWS_ACCESS_KEY_ID", "x")
    clean_environment.setenv("AWS_SECRET_ACCESS_KEY", "x")
    with mock_aws():
        _stack_naming_resources_that_do_not_exist()
        table_missing = cli("invoices", "list", "--tenant", "kahvila", "--lang", language)
        missing_stack = cli("--stack", "Other", "--lang", language, "runs", "list")
    assert table_missing.exit_code == 1
    assert refused in one_line_error(table_missing)
    assert missing_stack.exit_code == 1
    assert "'Other'" in one_line_error(missing_stack)
    assert "not found" not in missing_stack.stderr
    # Access denied names the call, not AWS's English policy text.
    error = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "User: arn:x is not"}}, "Scan")
    line = render(aws_refusal(error), language)
    assert denied in line
    assert "Scan" in line
    assert "User: arn" not in line
