"""`autodispatch runs start|list|show`: start a night by hand and inspect the executions."""

import time
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from autodispatch.logic.runs import check_run_date, run_detail, start_run, stored_run
from autodispatch.runs.port import TERMINAL, ExecutionStatus
from autodispatch.runs.stepfunctions import StepFunctionsRuns, execution_status
from autodispatch.store.port import RunCounts, RunSummary
from autodispatch_cli.commands.common import JsonOption, parse_day, target, when, words
from autodispatch_cli.exit_codes import ExitCode
from autodispatch_cli.failures import operator_errors
from autodispatch_cli.output import console, error_console, print_json, state_style, table
from autodispatch_cli.target import Target

app = typer.Typer(help="Nightly runs: start one by hand, list them, show one.", no_args_is_help=True)

RUN_COLUMNS = ["run", "run date", "started", "status", "selected", "sent", "ignored", "failed"]
FIRST_POLL_SECONDS = 0.25
MAX_POLL_SECONDS = 5.0


def executions(runtime: Target) -> StepFunctionsRuns:
    return StepFunctionsRuns(runtime.state_machine_arn, runtime.client("stepfunctions"))


def run_document(
    runtime: Target, run: RunSummary | None, execution_arn: str, execution: ExecutionStatus
) -> dict[str, Any]:
    """A run as scripts see it: the store's counts and Step Functions' status."""
    counts = (run.counts if run else RunCounts()).model_dump()
    started = run.started_at if run else execution.started_at
    return {
        "run_id": execution_arn.rsplit(":", 1)[-1],
        "run_date": run.run_date.isoformat() if run else None,
        "started_at": started.isoformat() if started else None,
        "stopped_at": execution.stopped_at.isoformat() if execution.stopped_at else None,
        "status": execution.status,
        "error": execution.error,
        "cause": execution.cause,
        "execution_arn": execution_arn,
        "console_url": runtime.console_url(execution_arn),
        **counts,
    }


def _wait(runtime: Target, execution_arn: str, timeout: float) -> ExecutionStatus:
    """Poll with exponential backoff until the execution ends or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    delay = FIRST_POLL_SECONDS
    started = time.monotonic()
    with console.status("Waiting for the run...") as status:
        while True:
            execution = executions(runtime).status(execution_arn)
            if execution.status in TERMINAL or time.monotonic() >= deadline:
                return execution
            status.update(f"Run is {execution.status} ({time.monotonic() - started:.0f} s)")
            time.sleep(min(delay, max(deadline - time.monotonic(), 0)))
            delay = min(delay * 2, MAX_POLL_SECONDS)


def _run_style(row: list[str]) -> str:
    status = row[3]
    return "green" if status == "SUCCEEDED" else ("red" if status in TERMINAL else "")


def count_cells(document: dict[str, Any]) -> list[str]:
    """Selected, sent, ignored and failed; failed factoring messages follow the failed (R17)."""
    cells = [str(document[name]) for name in ("selected", "sent", "ignored", "failed")]
    if document.get("follow_ups_failed"):
        cells[-1] += f" (+{document['follow_ups_failed']} factoring)"
    return cells


def print_run(document: dict[str, Any], zone: ZoneInfo) -> None:
    started = document["started_at"]
    rows = [
        [
            document["run_id"],
            document["run_date"] or "",
            when(datetime.fromisoformat(started), zone) if started else "",
            document["status"],
            *count_cells(document),
        ]
    ]
    console.print(
        table(
            "Run",
            RUN_COLUMNS,
            rows,
            _run_style,
        )
    )
    if document.get("error"):
        console.print(f"[red]{document['error']}[/]: {document.get('cause') or ''}", highlight=False)
    console.print(f"Execution: {document['execution_arn']}", highlight=False, soft_wrap=True)
    console.print(f"Console:   {document['console_url']}", highlight=False, soft_wrap=True)


@app.command("start")
def start(
    ctx: typer.Context,
    run_date: Annotated[
        str | None,
        typer.Option(
            "--date", help="The night to run, YYYY-MM-DD, today or earlier; default: today (local)."
        ),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for the run to end and show its counts.")
    ] = False,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds to wait at most with --wait.")] = 900,
    as_json: JsonOption = False,
) -> None:
    """Start one execution of the nightly state machine, as the schedule does at 00:05: tonight's,
    or a night that has passed (catch-up, R10); a night that has not come is refused."""
    night = parse_day(run_date, "--date") if run_date else None
    with operator_errors(ctx):
        runtime = target(ctx)
        if night is not None:
            check_run_date(night, runtime.now(), runtime.zone)
        started = start_run(executions(runtime), night or runtime.today(), origin="manual")
        name, execution_arn, label = started.run_id, started.execution_arn, started.run_date.isoformat()
        if not as_json:
            console.print(f"Started run {name} for the night of {label}.", highlight=False)
        if not wait:
            execution = executions(runtime).status(execution_arn)
        else:
            try:
                execution = _wait(runtime, execution_arn, timeout)
            except KeyboardInterrupt:
                error_console.print(f"Stopped waiting; the run goes on: autodispatch runs show {name}")
                raise typer.Exit(ExitCode.INTERRUPTED) from None
        document = run_document(runtime, stored_run(runtime.store, name), execution_arn, execution)
        zone = runtime.zone
    if as_json:
        print_json(document)
    else:
        print_run(document, zone)
    if wait and document["status"] not in TERMINAL:
        error_console.print(
            f"[bold red]error:[/] the run did not end within {timeout:.0f} s", highlight=False
        )
        raise typer.Exit(ExitCode.STILL_RUNNING)
    if wait and document["status"] != "SUCCEEDED":
        raise typer.Exit(ExitCode.RUN_NOT_SUCCEEDED)


@app.command("list")
def list_(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many runs, newest first.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Recent executions, newest first, with their status and counts; also those that failed before
    they selected anything (their run date and counts are empty)."""
    with operator_errors(ctx):
        runtime = target(ctx)
        pages = (
            runtime.client("stepfunctions")
            .get_paginator("list_executions")
            .paginate(stateMachineArn=runtime.state_machine_arn, PaginationConfig={"MaxItems": limit})
        )
        documents = [
            run_document(
                runtime,
                stored_run(runtime.store, execution["name"]),
                execution["executionArn"],
                execution_status(execution),
            )
            for page in pages
            for execution in page["executions"]
        ]
        zone = runtime.zone
    if as_json:
        print_json(documents)
        return
    rows = [
        [
            d["run_id"],
            d["run_date"] or "",
            when(datetime.fromisoformat(d["started_at"]), zone) if d["started_at"] else "",
            d["status"],
            *count_cells(d),
        ]
        for d in documents
    ]
    console.print(table("Runs", RUN_COLUMNS, rows, _run_style))
    if not rows:
        console.print("No runs yet.")


@app.command("show")
def show(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The run id: the execution name (see `runs list`).")],
    as_json: JsonOption = False,
) -> None:
    """One run: status, counts, the invoices it failed or ignored, the execution ARN and console link."""
    with operator_errors(ctx):
        runtime = target(ctx)
        detail = run_detail(runtime.store, executions(runtime), run_id)
        document = run_document(runtime, detail.run, detail.execution_arn, detail.execution)
        issues = detail.issues
        document["issues"] = [
            {
                **issue.model_dump(mode="json"),
                "message": words(ctx, issue.message),
                "details": words(ctx, issue.details) or None,
            }
            for issue in issues
        ]
        zone = runtime.zone
    if as_json:
        print_json(document)
        return
    print_run(document, zone)
    rows = [[i.tenant_id, i.invoice_id, i.number, i.state, words(ctx, i.message)] for i in issues]
    if rows:
        console.print(
            table(
                "Invoices the run could not send",
                ["tenant", "invoice", "number", "state", "message"],
                rows,
                lambda row: state_style(row[3]),
            )
        )
