"""`local serve` as the API and browser tests use it: the whole system on free local ports, the
operator CLI pointed at it, one per test module."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from typer.testing import CliRunner

from autodispatch_cli.local.runtime import LocalAws
from autodispatch_cli.local.serve import free_port, serving
from autodispatch_cli.main import app
from autodispatch_cli.target import DEFAULT_STACK, STACK_ENV

RUNNER = CliRunner()


def cli(*args: str) -> str:
    result = RUNNER.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@contextmanager
def served_locally() -> Iterator[LocalAws]:
    """The served system, with the CLI's environment pointing at it until the block ends."""
    port = free_port()
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", STACK_ENV, "POWERTOOLS_LOG_LEVEL"):
            patch.delenv(name, raising=False)
        with serving(port, DEFAULT_STACK) as local:
            patch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
            patch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
            yield local
