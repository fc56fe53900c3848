"""What every operator command shares: the target of this invocation and how values are shown."""

import logging
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from babel.dates import format_datetime
from babel.numbers import format_decimal
from rich.table import Table

from autodispatch.i18n import format_day, render
from autodispatch.i18n.render import CLDR_LOCALES
from autodispatch.models.enums import Language
from autodispatch.models.scenario import InvoiceKey
from autodispatch.models.text import Param, Text
from autodispatch.observability import logger
from autodispatch_cli.output import reader_language
from autodispatch_cli.target import Target, TargetOptions, resolve_target

# Help texts are catalogue codes (autodispatch_cli.localized renders them in the reader's language).
JsonOption = Annotated[bool, typer.Option("--json", help="cli.help.json")]
TenantOption = Annotated[str, typer.Option("--tenant", "-t", help="cli.help.tenant")]


@dataclass
class Invocation:
    """The root command's options (--stack, --region, --profile) and the target they resolve to."""

    options: TargetOptions = field(default_factory=TargetOptions)
    resolved: Target | None = None
    # The reader's language (--lang, default from LANG): every message is rendered in it (R30).
    language: Language = Language.EN


def _choose_language(ctx: typer.Context, _: typer.CallbackParam, language: Language | None) -> None:
    """`--lang` after a subcommand: it overrides the root's (its callback runs before the
    subcommand's options are parsed), so both places mean the same."""
    if language is not None:
        root = ctx.find_root()
        if not isinstance(root.obj, Invocation):
            root.obj = Invocation()
        root.obj.language = language


# Every command takes --lang as the root does (`autodispatch invoices show ... --lang sv`); the value
# goes to the invocation, not to the command's function.
LangOption = Annotated[
    Language | None,
    typer.Option("--lang", help="cli.help.lang", callback=_choose_language, expose_value=False),
]


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


def when(ctx: typer.Context, instant: datetime | None, zone: ZoneInfo) -> str:
    """An instant in the deployment's time zone (the zone the spec's dates use), to the second, as
    the reader's language writes it (Babel)."""
    if instant is None:
        return ""
    locale = CLDR_LOCALES[reader_language(ctx)]
    return format_datetime(instant.astimezone(zone), format="medium", tzinfo=zone, locale=locale)


def day(ctx: typer.Context, value: date | None) -> str:
    """A date as the reader's language writes it (Babel)."""
    return format_day(value, reader_language(ctx)) if value is not None else ""


def number(ctx: typer.Context, value: int) -> str:
    """A count as the reader's language writes it (Babel: 1 234 in Finnish and Swedish)."""
    return format_decimal(value, locale=CLDR_LOCALES[reader_language(ctx)])


def parse_day(ctx: typer.Context, value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}': {say(ctx, 'cli.date_form')}", param_hint=option) from None


def wrap_only(grid: Table, *headers: str) -> Table:
    """Keep ids, states and dates on one line; only the named (long text) columns wrap."""
    for column in grid.columns:
        column.no_wrap = column.header not in headers
    return grid
