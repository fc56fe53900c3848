"""The `autodispatch` command line."""

import os
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from autodispatch.models.enums import Language
from autodispatch_cli.commands import invoices, runs, settings
from autodispatch_cli.commands.common import Invocation, LangOption, day, parse_day, say, target
from autodispatch_cli.commands.runs import count_cells, run_status, run_style
from autodispatch_cli.exit_codes import ExitCode
from autodispatch_cli.localized import Typer
from autodispatch_cli.output import (
    console,
    print_json,
    reader_language,
    state_style,
    table,
    user_errors,
)
from autodispatch_cli.speaking import requested_language
from autodispatch_cli.target import DEFAULT_STACK, STACK_ENV, TargetOptions

# Help texts are catalogue codes, rendered in the reader's language when an invocation runs (localized.py).
app = Typer(
    name="autodispatch",
    help="cli.help.app",
    epilog="cli.help.exit_codes",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
local_app = Typer(help="cli.help.local", no_args_is_help=True)
app.add_typer(local_app, name="local")
app.add_typer(settings.app, name="settings")
app.add_typer(invoices.app, name="invoices")
app.add_typer(runs.app, name="runs")


@app.callback()
def target_options(
    ctx: typer.Context,
    stack: Annotated[
        str,
        typer.Option(envvar=STACK_ENV, help="cli.help.stack"),
    ] = DEFAULT_STACK,
    region: Annotated[str | None, typer.Option(help="cli.help.region")] = None,
    profile: Annotated[str | None, typer.Option(help="cli.help.profile")] = None,
    lang: Annotated[
        Language | None,
        typer.Option("--lang", help="cli.help.lang"),
    ] = None,
) -> None:
    """The target of the operator commands: a deployed stack, or the local one of `local serve`
    (export AWS_ENDPOINT_URL as it says)."""
    language = lang or requested_language((), os.environ)
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


@local_app.command("run", help="cli.help.local_run")
def local_run(
    ctx: typer.Context,
    scenario: Annotated[Path, typer.Option(help="cli.help.scenario")],
    dates: Annotated[list[str], typer.Option("--date", help="cli.help.run_dates")],
    concurrent_starts: Annotated[int, typer.Option(min=1, max=10, help="cli.help.concurrent_starts")] = 1,
    out: Annotated[Path | None, typer.Option(help="cli.help.out")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="cli.help.report_json")] = False,
    _lang: LangOption = None,
) -> None:
    from autodispatch_cli.local.night_run import run_scenario  # noqa: PLC0415 - moto loads slowly
    from autodispatch_cli.scenario_file import load_scenario  # noqa: PLC0415

    # The JSON report is a public contract in English (SCENARIO-FORMAT.md); the summary is the reader's.
    language = Language.EN if as_json else reader_language(ctx)
    with user_errors(reader_language(ctx)):
        run_dates = [parse_day(ctx, value, "--date") for value in dates]
        parsed = load_scenario(scenario)
        report = run_scenario(
            parsed, run_dates, concurrent_starts=concurrent_starts, out=out, language=language
        )
    if as_json:
        print_json(report)
    else:
        _print_run_summary(ctx, report)


@local_app.command("serve", help="cli.help.local_serve")
def local_serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(min=1, max=65535, help="cli.help.port")] = 4599,
    api_port: Annotated[int | None, typer.Option(min=1, max=65535, help="cli.help.api_port")] = None,
    web_port: Annotated[int | None, typer.Option(min=1, max=65535, help="cli.help.web_port")] = None,
    _lang: LangOption = None,
) -> None:
    from autodispatch_cli.local.runtime import LocalAws  # noqa: PLC0415 - moto loads slowly
    from autodispatch_cli.local.serve import LOCAL_CREDENTIALS, serve_until_interrupted  # noqa: PLC0415

    stack = ctx.obj.options.stack if isinstance(ctx.obj, Invocation) else DEFAULT_STACK

    def ready(local: LocalAws) -> None:
        exports = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", **LOCAL_CREDENTIALS}
        exports["AUTODISPATCH_API_URL"] = local.api_url
        exports["AUTODISPATCH_WEB_URL"] = local.web_url
        if stack != DEFAULT_STACK:
            exports[STACK_ENV] = stack
        running = say(ctx, "cli.serve.running", url=f"http://127.0.0.1:{port}", stack=stack)
        console.print(f"[green]{escape(running)}[/]", highlight=False)
        console.print(say(ctx, "cli.serve.exports"))
        for name, value in exports.items():
            console.print(f"  export {name}={value}", highlight=False, soft_wrap=True)
        console.print(say(ctx, "cli.serve.in_memory"))

    try:
        with user_errors(reader_language(ctx)):
            serve_until_interrupted(port, stack, ready, api_port, web_port)
    except KeyboardInterrupt:  # a second Ctrl-C while shutting down
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    console.print(say(ctx, "cli.serve.stopped"))


@local_app.command("token", help="cli.help.local_token")
def local_token(
    ctx: typer.Context,
    tenant: Annotated[str | None, typer.Option(help="cli.help.token_tenant")] = None,
    system: Annotated[bool, typer.Option("--system", help="cli.help.token_system")] = False,
    _lang: LangOption = None,
) -> None:
    """A bearer token for the integration API of `local serve` (R27)."""
    from autodispatch_cli.local.api_server import local_identity, system_token, tenant_token  # noqa: PLC0415

    if (tenant is None) == (not system):
        raise typer.BadParameter(say(ctx, "cli.token.one_of"))
    with user_errors(reader_language(ctx)):
        runtime = target(ctx)
        identity = local_identity(runtime.outputs, runtime.region)
        token = (
            system_token(identity)
            if system
            else tenant_token(runtime.client("cognito-idp"), identity, str(tenant))
        )
    print(token)


def main() -> None:
    """The console script: every error, a usage error too, is one line in the reader's language
    (exit 2 for a usage error; localized.LocalizedGroup)."""
    app()


if __name__ == "__main__":
    main()
