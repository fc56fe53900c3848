"""The operator CLI run in-process, for the integration tests of its commands."""

from typer.testing import CliRunner, Result

from autodispatch_cli.main import app


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def one_line_error(result: Result) -> str:
    """A refusal: a non-zero exit and one line on stderr, `error: ...`, never a traceback."""
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]
