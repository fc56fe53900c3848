"""What every operator command shares: the target of this invocation and how values are shown."""

import logging
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from autodispatch.i18n import render
from autodispatch.models.enums import Language
from autodispatch.models.scenario import InvoiceKey
from autodispatch.models.text import Param, Text
from autodispatch.observability import logger
from autodispatch_cli.output import reader_language
from autodispatch_cli.target import Target, TargetOptions, resolve_target

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of tables.")]
TenantOption = Annotated[str, typer.Option("--tenant", "-t", help="The tenant (company) id.")]


@dataclass
class Invocation:
    """The root command's options (--stack, --region, --profile) and the target they resolve to."""

    options: TargetOptions = field(default_factory=TargetOptions)
    resolved: Target | None = None
    # The reader's language (--lang, default from LANG): every message is rendered in it (R30).
    language: Language = Language.EN


def words(ctx: typer.Context, text: Text | None) -> str:
    """A stored message in the reader's language; empty when there is none."""
    return render(text, reader_language(ctx)) if text is not None else ""


def say(ctx: typer.Context, code: str, **params: Param) -> str:
    """A catalogue message in the reader's language: the CLI's headings, values and result lines."""
    return render(Text.of(code, **params), reader_language(ctx))


def target(ctx: typer.Context) -> Target:
    """The target stack, resolved once per invocation (call inside operator_errors(ctx))."""
    if "POWERTOOLS_LOG_LEVEL" not in os.environ:
        # The library logs for CloudWatch; at a prompt only its warnings are worth a line.
        logger.setLevel(logging.WARNING)
    root = ctx.find_root()
    if not isinstance(root.obj, Invocation):
        root.obj = Invocation()
    if root.obj.resolved is None:
        root.obj.resolved = resolve_target(root.obj.options)
    return root.obj.resolved


def key(tenant: str, invoice_id: str) -> InvoiceKey:
    return InvoiceKey(tenant_id=tenant, invoice_id=invoice_id)


def when(instant: datetime | None, zone: ZoneInfo) -> str:
    """An instant in the deployment's time zone, to the second (the zone the spec's dates use)."""
    if instant is None:
        return ""
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is not a date in the form YYYY-MM-DD", param_hint=option
        ) from None


def wrap_only(grid: Table, *headers: str) -> Table:
    """Keep ids, states and dates on one line; only the named (long text) columns wrap."""
    for column in grid.columns:
        column.no_wrap = column.header not in headers
    return grid
