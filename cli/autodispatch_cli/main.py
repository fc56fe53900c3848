"""The `autodispatch` command line."""

import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.exceptions import TyperException

from autodispatch.i18n.negotiate import from_posix_locale
from autodispatch.models.enums import Language
from autodispatch_cli.commands import invoices, runs, settings
from autodispatch_cli.commands.common import LANG_HELP, Invocation, LangOption, day, parse_day, say, target
from autodispatch_cli.commands.runs import count_cells, run_status, run_style
from autodispatch_cli.exit_codes import EXIT_CODES_HELP, ExitCode
from autodispatch_cli.output import (
    console,
    print_error,
    print_json,
    reader_language,
    state_style,
    table,
    user_errors,
)
from autodispatch_cli.target import DEFAULT_STACK, STACK_ENV, TargetOptions

app = typer.Typer(
    name="autodispatch",
    help="Automatic dispatch of sales invoices: operate a deployed stack or run it locally.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
local_app = typer.Typer(help="The whole system in embedded AWS on this machine.", no_args_is_help=True)
app.add_typer(local_app, name="local")
app.add_typer(settings.app, name="settings")
app.add_typer(invoices.app, name="invoices")
app.add_typer(runs.app, name="runs")


@app.callback()
def target_options(
    ctx: typer.Context,
    stack: Annotated[
        str,
        typer.Option(
            envvar=STACK_ENV, help="The CloudFormation stack whose outputs name the resources to operate."
        ),
    ] = DEFAULT_STACK,
    region: Annotated[
        str | None, typer.Option(help="AWS region; default from AWS_REGION / the profile.")
    ] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile; default AWS_PROFILE.")] = None,
    lang: Annotated[
        Language | None,
        typer.Option("--lang", help=LANG_HELP),
    ] = None,
) -> None:
    """The target of the operator commands: a deployed stack, or the local one of `local serve`
    (export AWS_ENDPOINT_URL as it says)."""
    language = lang or from_posix_locale(os.environ.get("LC_ALL") or os.environ.get("LANG"))
    ctx.obj = Invocation(TargetOptions(stack=stack, region=region, profile=profile), language=language)


def _styled(grid: Table, styles: list[str]) -> Table:
    for row, style in zip(grid.rows, styles, strict=True):
        row.style = style
    return grid


def _print_run_summary(ctx: typer.Context, report: dict[str, Any]) -> None:
    """The run report for a reader, in their language; the report itself (--json) stays English."""

    def columns(*names: str) -> list[str]:
        return [say(ctx, f"cli.column.{name}") for name in names]

    def night(value: str) -> str:
        return day(ctx, date.fromisoformat(value))

    executions = [(run, execution) for run in report["runs"] for execution in run["executions"]]
    rows = [
        [
            night(run["run_date"]),
            execution["name"],
            run_status(ctx, execution["status"]),
            *count_cells(ctx, run),
        ]
        for run, execution in executions
    ]
    grid = table(
        say(ctx, "cli.title.executions"),
        columns("run_date", "execution", "run_status", "selected", "sent", "ignored", "failed"),
        rows,
    )
    console.print(_styled(grid, [run_style(execution["status"]) for _, execution in executions]))
    invoices = report["invoices"]
    rows = [
        [
            i["tenant_id"],
            i["invoice_id"],
            say(ctx, f"cli.state.{i['auto_dispatch']}"),
            say(ctx, f"name.{i['channel']}") if i["channel"] else "",
            night(i["sent_on"]) if i["sent_on"] else "",
            i["message"] or "",
        ]
        for i in invoices
    ]
    names = columns("tenant", "invoice", "state", "channel", "sent_on", "message")
    grid = table(say(ctx, "cli.title.report_invoices"), names, rows)
    console.print(_styled(grid, [state_style(i["auto_dispatch"]) for i in invoices]))
    # The notifications are the tenant's own, in the tenant's language (R21): shown as sent.
    rows = [
        [
            night(n["run_date"]),
            n["tenant_id"],
            say(ctx, f"cli.notification.{n['kind']}"),
            n["to"],
            n["subject"] or n["body"],
        ]
        for n in report["notifications"]
    ]
    names = columns("run_date", "tenant", "kind", "to", "subject")
    console.print(table(say(ctx, "cli.title.notifications"), names, rows))
    rows = [
        [
            d["tenant_id"],
            d["invoice_id"],
            say(ctx, f"name.{d['channel']}"),
            say(ctx, f"cli.delivery.{d['kind']}"),
            d["artifact"],
        ]
        for d in report["deliveries"]
    ]
    names = columns("tenant", "invoice", "channel", "kind", "artifact")
    console.print(table(say(ctx, "cli.title.deliveries"), names, rows))


@local_app.command("run")
def local_run(
    ctx: typer.Context,
    scenario: Annotated[Path, typer.Option(help="Scenario file (SCENARIO-FORMAT.md).")],
    dates: Annotated[list[str], typer.Option("--date", help="Run date YYYY-MM-DD; repeat for more nights.")],
    concurrent_starts: Annotated[
        int,
        typer.Option(
            min=1,
            max=10,
            help="Executions started at once for each night. The report counts per night: each "
            "invoice once in selected, sent, ignored and failed, however many executions saw it.",
        ),
    ] = 1,
    out: Annotated[
        Path | None, typer.Option(help="Write every delivered artifact under this folder.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run report as JSON.")] = False,
    _lang: LangOption = None,
) -> None:
    """Import a scenario and run one nightly execution per --date, in order, on the same data."""
    from autodispatch_cli.local.night_run import run_scenario  # noqa: PLC0415 - moto loads slowly
    from autodispatch_cli.scenario_file import load_scenario  # noqa: PLC0415

    # The JSON report is a public contract in English (SCENARIO-FORMAT.md); the summary is the reader's.
    language = Language.EN if as_json else reader_language(ctx)
    with user_errors(reader_language(ctx)):
        run_dates = [parse_day(value, "--date") for value in dates]
        parsed = load_scenario(scenario)
        report = run_scenario(
            parsed, run_dates, concurrent_starts=concurrent_starts, out=out, language=language
        )
    if as_json:
        print_json(report)
    else:
        _print_run_summary(ctx, report)


@local_app.command("serve")
def local_serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port on 127.0.0.1.")] = 4599,
    api_port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port of the integration API; default: a free port."),
    ] = None,
    web_port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port of the tenant view (web page); default: a free port."),
    ] = None,
) -> None:
    """Start the whole system in embedded AWS on 127.0.0.1 and keep it running until Ctrl-C.

    It publishes a stack with the same outputs as a deployed one, so every other command works
    against it once AWS_ENDPOINT_URL and the printed credentials are exported.
    """
    from autodispatch_cli.local.runtime import LocalAws  # noqa: PLC0415 - moto loads slowly
    from autodispatch_cli.local.serve import LOCAL_CREDENTIALS, serve_until_interrupted  # noqa: PLC0415

    stack = ctx.obj.options.stack if isinstance(ctx.obj, Invocation) else DEFAULT_STACK

    def ready(local: LocalAws) -> None:
        exports = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", **LOCAL_CREDENTIALS}
        exports["AUTODISPATCH_API_URL"] = local.api_url
        exports["AUTODISPATCH_WEB_URL"] = local.web_url
        if stack != DEFAULT_STACK:
            exports[STACK_ENV] = stack
        console.print(
            f"[green]autodispatch is running locally[/] on http://127.0.0.1:{port} (stack {stack})."
        )
        console.print("In another shell, export these and use any autodispatch command:")
        for name, value in exports.items():
            console.print(f"  export {name}={value}", highlight=False, soft_wrap=True)
        console.print("Everything is kept in memory. Press Ctrl-C to stop.")

    try:
        with user_errors():
            serve_until_interrupted(port, stack, ready, api_port, web_port)
    except KeyboardInterrupt:  # a second Ctrl-C while shutting down
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    console.print("Stopped.")


@local_app.command("token")
def local_token(
    ctx: typer.Context,
    tenant: Annotated[str | None, typer.Option(help="A token of a user of this tenant.")] = None,
    system: Annotated[bool, typer.Option("--system", help="The default system client's token.")] = False,
) -> None:
    """Print a bearer token for the integration API of `local serve` (R27), alone on stdout.

    --tenant T: an ID token of the local user of tenant T (created on first use); --system: an
    access token of the default billing-system client, granted every tenant.
    """
    from autodispatch_cli.local.api_server import local_identity, system_token, tenant_token  # noqa: PLC0415

    if (tenant is None) == (not system):
        raise typer.BadParameter("give exactly one of --tenant T and --system")
    with user_errors():
        runtime = target(ctx)
        identity = local_identity(runtime.outputs, runtime.region)
        token = (
            system_token(identity)
            if system
            else tenant_token(runtime.client("cognito-idp"), identity, str(tenant))
        )
    print(token)


def main() -> None:
    """The console script: a usage error is one line like every other error (exit 2)."""
    try:
        status = app(standalone_mode=False)
    except typer.Abort:
        sys.exit(ExitCode.INTERRUPTED)
    except TyperException as error:  # click's usage errors, as typer vendors them
        formatted = getattr(error, "format_message", None)
        message = (formatted() if callable(formatted) else str(error)).rstrip(".")
        if message:  # empty after the help a bare group prints (no_args_is_help)
            context = getattr(error, "ctx", None)
            hint = f"; see `{context.command_path} --help`" if context is not None else ""
            print_error(f"{message}{hint}")
        sys.exit(getattr(error, "exit_code", ExitCode.USAGE))
    sys.exit(status if isinstance(status, int) else ExitCode.OK)


if __name__ == "__main__":
    main()
