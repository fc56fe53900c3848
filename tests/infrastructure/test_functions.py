"""The Lambda functions: platform, tracing, logs, configuration, code and layer."""

import re

import pytest
from aws_cdk import aws_lambda as lambda_

from autodispatch.config import RuntimeConfig
from autodispatch_cli.local import runtime
from autodispatch_cli.local.runtime import FUNCTION_MEMORY_MB, FUNCTION_TIMEOUT_SECONDS
from cdk.constants import FUNCTION_DIRECTORIES, FUNCTIONS_DIR
from cdk.layer_build import build_layer

from .conftest import Synthesized

FUNCTIONS = [
    f"Functions/{name}"
    for name in ("SelectInvoices", "DispatchInvoice", "NotifyFailures", "RecordDeliveryEvents")
]
POWERTOOLS_VARIABLES = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL"}


def _newest_python_runtime() -> str:
    versions = [
        tuple(int(part) for part in match.groups())
        for name in dir(lambda_.Runtime)
        if (match := re.fullmatch(r"PYTHON_(\d+)_(\d+)", name))
    ]
    major, minor = max(versions)
    return f"python{major}.{minor}"


def test_every_function_runs_on_arm64_with_the_newest_python_runtime(deployed: Synthesized) -> None:
    newest = _newest_python_runtime()
    assert newest == "python3.14"
    for path in FUNCTIONS:
        properties = deployed.resource(path)["Properties"]
        assert properties["Architectures"] == ["arm64"], path
        assert properties["Runtime"] == newest, path
    layer = deployed.resource("Functions/CommonLayer")["Properties"]
    assert layer["CompatibleRuntimes"] == [newest]
    assert layer["CompatibleArchitectures"] == ["arm64"]


def test_every_function_is_traced_with_xray(deployed: Synthesized) -> None:
    for path in FUNCTIONS:
        assert deployed.resource(path)["Properties"]["TracingConfig"] == {"Mode": "Active"}, path


def test_every_function_logs_to_its_own_log_group_with_retention(
    deployed: Synthesized, variant: Synthesized
) -> None:
    groups = set()
    for path in FUNCTIONS:
        group = deployed.render(deployed.resource(path)["Properties"]["LoggingConfig"]["LogGroup"])
        assert group == f"ref({path}Logs)"
        assert deployed.resource(f"{path}Logs")["Properties"]["RetentionInDays"] == 90
        assert variant.resource(f"{path}Logs")["Properties"]["RetentionInDays"] == 365
        groups.add(group)
    assert len(groups) == len(FUNCTIONS)


def test_every_function_has_the_thin_handler_and_the_common_layer(deployed: Synthesized) -> None:
    for path in FUNCTIONS:
        properties = deployed.resource(path)["Properties"]
        assert properties["Handler"] == "handler.handler"
        assert [deployed.render(layer) for layer in properties["Layers"]] == ["ref(Functions/CommonLayer)"]
    for directory in FUNCTION_DIRECTORIES.values():
        assert (FUNCTIONS_DIR / directory / "handler.py").is_file(), directory


@pytest.mark.parametrize(
    ("path", "timeout", "memory"),
    [
        ("Functions/SelectInvoices", 900, 1769),
        ("Functions/DispatchInvoice", 70, 512),
        ("Functions/NotifyFailures", 300, 1769),
        ("Functions/RecordDeliveryEvents", 60, 512),
    ],
)
def test_function_timeouts_fit_their_step(
    deployed: Synthesized, path: str, timeout: int, memory: int
) -> None:
    """DispatchInvoice runs inside an Express child execution, which may last 5 minutes at most.
    The local runtime's context and the bench's bill read the same timeouts and memory."""
    properties = deployed.resource(path)["Properties"]
    assert (properties["Timeout"], properties["MemorySize"]) == (timeout, memory)
    name = path.removeprefix("Functions/")
    assert (FUNCTION_TIMEOUT_SECONDS[name], FUNCTION_MEMORY_MB[name]) == (timeout, memory)


def test_function_environment_is_the_runtime_configuration(
    deployed: Synthesized, variant: Synthesized
) -> None:
    """Every variable is one RuntimeConfig (or Powertools) reads, and the validated values reach it."""
    known = {field.alias for field in RuntimeConfig.model_fields.values()} | POWERTOOLS_VARIABLES
    for synth in (deployed, variant):
        for path in FUNCTIONS:
            variables = synth.resource(path)["Properties"]["Environment"]["Variables"]
            assert set(variables) <= known, set(variables) - known
            config = RuntimeConfig.model_validate(
                {name: synth.render(value) for name, value in variables.items()}
            )
            assert config.table_name == "ref(Storage/Invoices)"
            assert config.bucket_name == "ref(Storage/Documents)"
            assert config.ses_configuration_set == "ref(Notifications/ConfigurationSet)"
            assert config.time_zone == "Europe/Helsinki"
            assert config.batch_size == 100
            # The notification chunks' concurrency follows the account's SES rate (R21).
            assert config.ses_send_rate == (50.0 if synth is variant else 14.0)
    dispatch = RuntimeConfig.model_validate(
        {
            k: variant.render(v)
            for k, v in variant.resource("Functions/DispatchInvoice")["Properties"]["Environment"][
                "Variables"
            ].items()
        }
    )
    assert (dispatch.einvoice_transport, dispatch.einvoice_endpoint) == (
        "http",
        "https://einvoice.example.net/v1",
    )
    assert (dispatch.print_secret_name, dispatch.sms_sender_id) == ("autodispatch/print", "Billing")
    assert dispatch.dispatch_workers == 2  # the deployer's dispatchWorkers (cdk.json: 3)
    # Every route transport of models/routes.py reaches the function, the Peppol access point too.
    assert dispatch.transport("peppol") == (
        "http",
        "https://access-point.example.net/v1",
        "autodispatch/peppol",
    )


def test_layer_holds_the_library_and_its_linux_arm64_dependencies_under_python() -> None:
    layer = build_layer()
    assert (layer / "python" / "autodispatch" / "config.py").is_file()
    assert (layer / "python" / "pydantic").is_dir()
    binaries = [path.name for path in (layer / "python" / "pydantic_core").glob("_pydantic_core*.so")]
    assert binaries
    assert all("cpython-314-aarch64-linux-gnu" in name for name in binaries), binaries
    assert not list(layer.rglob("__pycache__"))


def test_local_runtime_hosts_every_function_the_stack_deploys() -> None:
    """`local run`/`local serve` deploy the same functions, answered by the same handler modules."""
    assert {
        name: f"{directory}.handler" for name, directory in FUNCTION_DIRECTORIES.items()
    } == runtime.FUNCTIONS
