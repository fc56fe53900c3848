"""`autodispatch runs start|list|show`: start a night by hand and inspect the executions."""

import json
import time
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from autodispatch.logic.runs import check_run_date, run_detail, start_run, stored_run
from autodispatch.models.text import Text, verbatim
from autodispatch.runs.port import TERMINAL, ExecutionStatus
from autodispatch.runs.stepfunctions import StepFunctionsRuns, execution_status
from autodispatch.store.port import RunCounts, RunSummary
from autodispatch_cli.commands.common import (
    JsonOption,
    LangOption,
    day,
    number,
    parse_day,
    say,
    target,
    when,
    words,
)
from autodispatch_cli.exit_codes import ExitCode
from autodispatch_cli.failures import operator_errors
from autodispatch_cli.localized import Typer
from autodispatch_cli.output import console, error_console, print_error, print_json, state_style, table
from autodispatch_cli.target import Target

app = Typer(help="cli.help.runs", no_args_is_help=True)

RUN_COLUMNS = ("run", "run_date", "started", "run_status", "selected", "sent", "ignored", "failed")
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


def _wait(ctx: typer.Context, runtime: Target, execution_arn: str, timeout: float) -> ExecutionStatus:
    """Poll with exponential backoff until the execution ends or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    delay = FIRST_POLL_SECONDS
    started = time.monotonic()
    with console.status(say(ctx, "cli.run_waiting")) as status:
        while True:
            execution = executions(runtime).status(execution_arn)
            if execution.status in TERMINAL or time.monotonic() >= deadline:
                return execution
            elapsed = round(time.monotonic() - started)
            status.update(say(ctx, "cli.run_is", status=run_status(ctx, execution.status), seconds=elapsed))
            time.sleep(min(delay, max(deadline - time.monotonic(), 0)))
            delay = min(delay * 2, MAX_POLL_SECONDS)


def run_style(status: str) -> str:
    return "green" if status == "SUCCEEDED" else ("red" if status in TERMINAL else "")


def run_status(ctx: typer.Context, status: str) -> str:
    """A Step Functions status (SUCCEEDED, RUNNING, ...) in the reader's words."""
    return say(ctx, f"cli.run_status.{status}")


def count_cells(ctx: typer.Context, document: dict[str, Any]) -> list[str]:
    """Selected, sent, ignored and failed; failed factoring messages follow the failed (R17)."""
    cells = [number(ctx, document[name]) for name in ("selected", "sent", "ignored", "failed")]
    if document.get("follow_ups_failed"):
        cells[-1] += " " + say(ctx, "cli.follow_ups_failed", count=document["follow_ups_failed"])
    return cells


def runs_table(ctx: typer.Context, title: str, documents: list[dict[str, Any]], zone: ZoneInfo) -> Table:
    rows = [
        [
            document["run_id"],
            day(ctx, date.fromisoformat(document["run_date"])) if document["run_date"] else "",
            when(ctx, datetime.fromisoformat(document["started_at"]), zone) if document["started_at"] else "",
            run_status(ctx, document["status"]),
            *count_cells(ctx, document),
        ]
        for document in documents
    ]
    grid = table(title, [say(ctx, f"cli.column.{name}") for name in RUN_COLUMNS], rows)
    for row, document in zip(grid.rows, documents, strict=True):
        row.style = run_style(document["status"])
    return grid


# Errors of ours that can end a night (a step's Lambda raised them through every retry): each has its
# catalogue text, shown instead of the English Step Functions recorded.
OUR_RUN_ERRORS = frozenset({"TransientError", "ConcurrentUpdate"})


def run_failure(error: str, cause: str | None) -> Text:
    """Why a run failed, framed in the reader's language: the catalogue's words for an error of
    ours (its name in the cause Lambda wrote), else AWS's own error and cause as AWS wrote them
    (a Lambda's cause is a JSON document: its errorMessage)."""
    try:
        written = json.loads(cause or "")
    except ValueError:
        written = None
    if isinstance(written, dict):
        kind = str(written.get("errorType") or error)
        if kind in OUR_RUN_ERRORS:
            return Text.of("cli.run_failed", reason=Text.of(f"cli.run_failed.{kind}"))
        cause = str(written.get("errorMessage") or cause)
    said = f"{error}: {cause}" if cause else error
    return Text.of("cli.run_failed", reason=verbatim(said))


def print_run(ctx: typer.Context, document: dict[str, Any], zone: ZoneInfo) -> None:
    console.print(runs_table(ctx, say(ctx, "cli.title.run"), [document], zone))
    if document.get("error"):
        failed = words(ctx, run_failure(document["error"], document.get("cause")))
        console.print(failed, style="red", highlight=False, markup=False)
    for code, value in (("cli.execution_line", "arn"), ("cli.console_line", "url")):
        link = document["execution_arn"] if value == "arn" else document["console_url"]
        console.print(say(ctx, code, **{value: link}), highlight=False, soft_wrap=True, markup=False)


@app.command("start", help="cli.help.runs_start")
def start(
    ctx: typer.Context,
    run_date: Annotated[
        str | None,
        typer.Option("--date", help="cli.help.run_date"),
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="cli.help.wait")] = False,
    timeout: Annotated[float, typer.Option(min=1, help="cli.help.timeout")] = 900,
    as_json: JsonOption = False,
    _lang: LangOption = None,
) -> None:
    """A night by hand, as the schedule starts it; a catch-up of a night that has passed (R10)."""
    night = parse_day(ctx, run_date, "--date") if run_date else None
    with operator_errors(ctx):
        runtime = target(ctx)
        if night is not None:
            check_run_date(night, runtime.now(), runtime.zone)
        started = start_run(executions(runtime), night or runtime.today(), origin="manual")
        name, execution_arn = started.run_id, started.execution_arn
        label = day(ctx, started.run_date)
        if not as_json:
            console.print(say(ctx, "cli.run_started", run=name, date=label), highlight=False, markup=False)
        if not wait:
            execution = executions(runtime).status(execution_arn)
        else:
            try:
                execution = _wait(ctx, runtime, execution_arn, timeout)
            except KeyboardInterrupt:
                command = f"autodispatch runs show {name}"
                error_console.print(say(ctx, "cli.stopped_waiting", command=command), markup=False)
                raise typer.Exit(ExitCode.INTERRUPTED) from None
        document = run_document(runtime, stored_run(runtime.store, name), execution_arn, execution)
        zone = runtime.zone
    if as_json:
        print_json(document)
    else:
        print_run(ctx, document, zone)
    if wait and document["status"] not in TERMINAL:
        print_error(say(ctx, "cli.run_not_ended", seconds=round(timeout)))
        raise typer.Exit(ExitCode.STILL_RUNNING)
    if wait and document["status"] != "SUCCEEDED":
        raise typer.Exit(ExitCode.RUN_NOT_SUCCEEDED)


@app.command("list", help="cli.help.runs_list")
def list_(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=200, help="cli.help.limit")] = 20,
    as_json: JsonOption = False,
    _lang: LangOption = None,
) -> None:
    """Step Functions' executions, each with the run the store keeps of it (none before selection)."""
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
    console.print(runs_table(ctx, say(ctx, "cli.title.runs"), documents, zone))
    if not documents:
        console.print(say(ctx, "cli.no_runs"))


@app.command("show", help="cli.help.runs_show")
def show(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="cli.help.run_id")],
    as_json: JsonOption = False,
    _lang: LangOption = None,
) -> None:
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
    print_run(ctx, document, zone)
    rows = [
        [i.tenant_id, i.invoice_id, i.number, say(ctx, f"cli.state.{i.state}"), words(ctx, i.message)]
        for i in issues
    ]
    if rows:
        names = ("tenant", "invoice", "number", "state", "message")
        columns = [say(ctx, f"cli.column.{name}") for name in names]
        grid = table(say(ctx, "cli.title.run_issues"), columns, rows)
        for row, issue in zip(grid.rows, issues, strict=True):
            row.style = state_style(issue.state)
        console.print(grid)
