"""`autodispatch local serve`: the embedded AWS on 127.0.0.1, published like a deployed stack.

Besides what LocalAws deploys, it creates a CloudFormation stack whose outputs name the local
resources, and gives the functions the environment `cdk deploy` gives them. The operator commands
then find everything exactly as on AWS: one code path for both targets.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

from autodispatch import wiring
from autodispatch.config import RuntimeConfig, load_config
from autodispatch.errors import AutodispatchError
from autodispatch_cli.local.api_server import (
    LocalIdentity,
    TokenVerifier,
    deploy_identity,
    serving_api,
    system_token,
    tenant_token,
)
from autodispatch_cli.local.runtime import (
    BUCKET_NAME,
    REGION,
    SENDER,
    TABLE_NAME,
    LocalAws,
    LocalLambdaContext,
    import_handler,
    patched_environment,
)
from autodispatch_cli.local.web_server import serving_web
from autodispatch_cli.target import (
    OUTPUT_API_URL,
    OUTPUT_BUCKET_NAME,
    OUTPUT_FUNCTION_NAMES,
    OUTPUT_STATE_MACHINE_ARN,
    OUTPUT_SYSTEM_CLIENT_ID,
    OUTPUT_TABLE_NAME,
    OUTPUT_USER_CLIENT_ID,
    OUTPUT_USER_POOL_ID,
)

DEFAULT_PORT = 4599
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": REGION,
}
# The RuntimeConfig variables `cdk deploy` sets on the functions; read back by the CLI (target.py).
_CONFIG_VARIABLES = {field.alias for field in RuntimeConfig.model_fields.values() if field.alias}


class PortInUse(AutodispatchError):
    """The chosen port is taken (moto's server would wait forever for it)."""


def check_port_free(port: int) -> None:
    """Whether the server could listen there: as the server binds, with SO_REUSEADDR, so that the
    closed connections of an earlier server (TIME_WAIT) do not count as a port in use."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise PortInUse(f"port {port} on 127.0.0.1 is in use: choose another with --port") from None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def outputs_template(local: LocalAws, api: dict[str, str] | None = None) -> dict[str, Any]:
    """A stack that creates nothing real and only carries the outputs the CLI reads."""
    outputs = {
        OUTPUT_TABLE_NAME: TABLE_NAME,
        OUTPUT_BUCKET_NAME: BUCKET_NAME,
        OUTPUT_STATE_MACHINE_ARN: local.state_machine_arn,
        **{output: f"autodispatch-{name}" for name, output in OUTPUT_FUNCTION_NAMES.items()},
        **(api or {}),
    }
    return {
        "Description": "autodispatch local serve: names of the embedded resources",
        # CloudFormation needs one resource; an SSM parameter is one moto creates without complaint.
        "Resources": {
            "LocalMarker": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/autodispatch/local", "Type": "String", "Value": "local serve"},
            }
        },
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }


def publish(local: LocalAws, stack_name: str, api: dict[str, str] | None = None) -> None:
    """Make the local system look like a deployed stack to the CLI (`api`: the API's outputs)."""
    variables = {name: value for name, value in local_environment().items() if name in _CONFIG_VARIABLES}
    lambda_client = local.client("lambda")
    for name in OUTPUT_FUNCTION_NAMES:
        lambda_client.update_function_configuration(
            FunctionName=f"autodispatch-{name}", Environment={"Variables": variables}
        )
    local.client("cloudformation").create_stack(
        StackName=stack_name, TemplateBody=json.dumps(outputs_template(local, api))
    )


def local_environment() -> dict[str, str]:
    """The configuration the in-process handlers read (LocalAws put it into os.environ)."""
    return {"TABLE_NAME": TABLE_NAME, "BUCKET_NAME": BUCKET_NAME, "SENDER_EMAIL": SENDER} | {
        name: value for name in _CONFIG_VARIABLES if (value := os.environ.get(name)) is not None
    }


@contextlib.contextmanager
def serving(
    port: int, stack_name: str, api_port: int | None = None, web_port: int | None = None
) -> Iterator[LocalAws]:
    """The local system on 127.0.0.1:port with its outputs stack, the integration API on api_port
    and the tenant view on web_port (default: free ports), until the block ends."""
    check_port_free(port)
    # Quiet: one request line per AWS call and a metrics document per invocation drown the prompt.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # moto's interpreter notes that a Map tolerance is not emulated; it does not matter locally.
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.ERROR)
    with contextlib.ExitStack() as stack:
        _forget_moto_data()
        stack.callback(_forget_moto_data)
        with contextlib.redirect_stdout(io.StringIO()):  # moto announces its thread on stdout
            local = stack.enter_context(
                LocalAws(port=port, environment={"POWERTOOLS_METRICS_DISABLED": "true"})
            )
        identity = deploy_identity(local.client("cognito-idp"), REGION)
        # What the stack gives the API function: the runs it starts, the system client's grant.
        stack.enter_context(
            patched_environment(
                {
                    "STATE_MACHINE_ARN": local.state_machine_arn,
                    "API_SYSTEM_CLIENTS": json.dumps({identity.system_client_id: ["*"]}),
                }
            )
        )
        load_config.cache_clear()
        wiring.reset()
        local.api_url = stack.enter_context(
            serving_api(api_port or free_port(), TokenVerifier(identity), _api_function())
        )
        cognito = local.client("cognito-idp")
        local.web_url = stack.enter_context(
            serving_web(
                web_port or free_port(),
                local.api_url,
                lambda tenant: (
                    system_token(identity) if tenant is None else tenant_token(cognito, identity, tenant)
                ),
            )
        )
        publish(local, stack_name, api_outputs(identity, local.api_url))
        yield local


def api_outputs(identity: LocalIdentity, api_url: str) -> dict[str, str]:
    return {
        OUTPUT_API_URL: api_url,
        OUTPUT_USER_POOL_ID: identity.user_pool_id,
        OUTPUT_USER_CLIENT_ID: identity.user_client_id,
        OUTPUT_SYSTEM_CLIENT_ID: identity.system_client_id,
    }


def _api_function() -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The API function's handler, called as API Gateway's Lambda integration calls it."""
    handler = import_handler("api.handler")

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = handler(
            event, LocalLambdaContext(function_name="autodispatch-IntegrationApi")
        )
        return response

    return invoke


def _forget_moto_data() -> None:
    """moto keeps its data per process and its server mode never clears it; a server started where
    one ran before (as in a test session) must start as empty as a fresh `local serve` process."""
    from moto.core.base_backend import BackendDict  # noqa: PLC0415 - moto loads slowly
    from moto.core.model_instances import reset_model_data  # noqa: PLC0415

    BackendDict.reset()
    reset_model_data()


def serve_until_interrupted(
    port: int,
    stack_name: str,
    ready: Callable[[LocalAws], None],
    api_port: int | None = None,
    web_port: int | None = None,
) -> None:
    """Block until Ctrl-C; `ready(local)` is called once everything is deployed."""
    with serving(port, stack_name, api_port, web_port) as local:
        ready(local)
        with contextlib.suppress(KeyboardInterrupt):
            wait_forever()


def wait_forever() -> None:
    """Until Ctrl-C (KeyboardInterrupt); the server threads do the work meanwhile."""
    threading.Event().wait()
