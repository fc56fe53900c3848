"""`autodispatch invoices import|list|show|remove-auto|restore-auto|send` (R19, R20, R22, R25)."""

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.panel import Panel

from autodispatch.i18n import format_amount
from autodispatch.logic.importing import import_scenario
from autodispatch.logic.manual import remove_automatic_dispatch, restore_automatic_dispatch, send_manually
from autodispatch.logic.open_invoices import with_previews
from autodispatch.models.dispatch import DispatchRecord
from autodispatch.models.enums import AutoDispatchState, Channel, InvoiceStatus
from autodispatch.models.report import InvoiceEntry, entry_json, invoice_entry, route_label
from autodispatch.models.scenario import Invoice
from autodispatch.models.text import by_channel
from autodispatch.rules.user_actions import display_state
from autodispatch.store.port import InvoiceStore
from autodispatch_cli.commands.common import (
    JsonOption,
    LangOption,
    TenantOption,
    day,
    key,
    say,
    target,
    when,
    words,
    wrap_only,
)
from autodispatch_cli.failures import operator_errors
from autodispatch_cli.localized import Typer
from autodispatch_cli.output import console, print_json, reader_language, state_style, table
from autodispatch_cli.scenario_file import load_scenario

app = Typer(help="cli.help.invoices", no_args_is_help=True)

LIST_COLUMNS = ("invoice", "number", "status", "state", "channel", "sent_on", "message", "next_night")

InvoiceArgument = Annotated[str, typer.Argument(help="cli.help.invoice_id")]
# The channel cell of an invoice whose channel is not known (imported as already sent): a dash, as
# the state beside it says why.
UNKNOWN_CHANNEL = "—"


# Import ---------------------------------------------------------------------------------------


@app.command("import", help="cli.help.invoices_import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="cli.help.scenario")],
    as_json: JsonOption = False,
    _lang: LangOption = None,
) -> None:
    """All or nothing (R25): an import with any wrong record changes nothing."""
    with operator_errors(ctx):
        runtime = target(ctx)
        existing = (tenant.tenant_id for tenant in runtime.store.list_tenants())
        scenario = load_scenario(file, existing_tenants=existing)
        imported = import_scenario(runtime.store, scenario, runtime.zone, runtime.now())
    if as_json:
        print_json({"file": str(file), "tenants": imported.tenants, "invoices": imported.invoices})
        return
    console.print(
        say(ctx, "cli.imported", tenants=imported.tenants, invoices=imported.invoices, file=str(file)),
        highlight=False,
    )


# Reading -----------------------------------------------------------------------------------


def _documents(store: InvoiceStore, records: Sequence[DispatchRecord]) -> dict[str, Invoice]:
    found = store.get_invoices(key(r.tenant_id, r.invoice_id) for r in records)
    return {invoice_key.invoice_id: invoice for invoice_key, invoice in found.items()}


def _shown_channel(ctx: typer.Context, entry: InvoiceEntry) -> str:
    """As the page shows it: an unsent invoice its own channel, where dispatch starts; a sent one
    the channel it went by; a dash where that is not known (imported as already sent)."""
    unsent = entry.status is InvoiceStatus.UNSENT
    channel = (entry.delivery_channel or entry.channel) if unsent else entry.channel
    return say(ctx, f"name.{channel}") if channel else UNKNOWN_CHANNEL


@app.command("list", help="cli.help.invoices_list")
def list_(
    ctx: typer.Context,
    tenant: TenantOption,
    state: Annotated[
        AutoDispatchState | None,
        typer.Option(case_sensitive=False, help="cli.help.state"),
    ] = None,
    as_json: JsonOption = False,
    _lang: LangOption = None,
) -> None:
    """The open-invoices list (R19), with tonight's preview for a pending invoice."""
    with operator_errors(ctx):
        runtime = target(ctx)
        store = runtime.store
        store.get_tenant(tenant)
        records = store.list_records(tenant, state)
        entries = with_previews(store, tenant, records, runtime.now(), runtime.zone, reader_language(ctx))
        documents = {} if as_json else _documents(store, records)
    if as_json:
        print_json([entry_json(entry) for entry in entries])
        return
    rows = [
        [
            entry.invoice_id,
            documents[entry.invoice_id].number if entry.invoice_id in documents else "",
            say(ctx, f"cli.status.{entry.status}"),
            say(ctx, f"cli.state.{entry.display_state or entry.auto_dispatch}"),
            _shown_channel(ctx, entry),
            day(ctx, entry.sent_on),
            entry.message or "",
            entry.preview.message if entry.preview else "",
        ]
        for entry in entries
    ]
    title = (
        say(ctx, "cli.title.invoices_in_state", tenant=tenant, state=say(ctx, f"cli.state.{state}"))
        if state
        else say(ctx, "cli.title.invoices", tenant=tenant)
    )
    columns = [say(ctx, f"cli.column.{name}") for name in LIST_COLUMNS]
    styles = [state_style(entry.auto_dispatch) for entry in entries]
    grid = table(title, columns, rows)
    for index, style in enumerate(styles):
        grid.rows[index].style = style
    console.print(wrap_only(grid, columns[-2], columns[-1]))
    if not rows:
        console.print(say(ctx, "cli.no_invoices"))


def _sent_channel(ctx: typer.Context, record: DispatchRecord) -> str:
    """The channel the invoice went by; a dash for a sent one whose channel is not known."""
    if record.channel is not None:
        return say(ctx, f"channel.{record.channel}")
    return UNKNOWN_CHANNEL if record.status is InvoiceStatus.SENT else ""


def print_record(ctx: typer.Context, record: DispatchRecord, invoice: Invoice | None, zone: ZoneInfo) -> None:
    facts = [
        ["invoice", record.invoice_id],
        ["number", invoice.number if invoice else ""],
        ["status", say(ctx, f"cli.status.{record.status}")],
        ["state", say(ctx, f"cli.state.{display_state(record)}")],
        ["channel", _sent_channel(ctx, record)],
        ["sent_on", day(ctx, record.sent_on)],
    ]
    if invoice is not None:
        facts += [
            ["source", say(ctx, f"source.{invoice.source}")],
            ["created", when(ctx, invoice.created_at, zone)],
            ["invoice_date", day(ctx, invoice.invoice_date)],
            ["delivery_channel", say(ctx, f"channel.{invoice.delivery_channel}")],
            ["total", format_amount(invoice.totals.gross, invoice.currency, reader_language(ctx))],
        ]
    rows = [[say(ctx, f"cli.column.{name}"), value] for name, value in facts]
    title = say(ctx, "cli.title.invoice", invoice=f"{record.tenant_id}/{record.invoice_id}")
    console.print(table(title, ["", ""], rows))
    explanation = words(ctx, record.details or record.message)
    if explanation:
        console.print(
            Panel(
                explanation,
                title=say(ctx, "cli.title.explanation"),
                title_align="left",
                style=state_style(record.state),
            )
        )
    history = [
        [
            when(ctx, event.at, zone),
            say(ctx, f"cli.event.{event.event}"),
            say(ctx, f"name.{event.channel}") if event.channel else "",
            words(ctx, route_label(event.route)) if event.route else "",
            words(ctx, event.detail),
            event.run_id or "",
        ]
        for event in record.history
    ]
    names = ("at", "event", "channel", "route", "detail", "run")
    columns = [say(ctx, f"cli.column.{name}") for name in names]
    console.print(wrap_only(table(say(ctx, "cli.title.history"), columns, history), *columns[-2:]))


@app.command("show", help="cli.help.invoices_show")
def show(
    ctx: typer.Context,
    tenant: TenantOption,
    invoice_id: InvoiceArgument,
    as_json: JsonOption = False,
    _lang: LangOption = None,
) -> None:
    """One invoice's explanation and history (R19)."""
    with operator_errors(ctx):
        store = target(ctx).store
        store.get_tenant(tenant)
        record = store.get_record(key(tenant, invoice_id))
        invoice = store.get_invoices([key(tenant, invoice_id)]).get(key(tenant, invoice_id))
        zone = target(ctx).zone
    if as_json:
        print_json(invoice_entry(record, language=reader_language(ctx)))
    else:
        print_record(ctx, record, invoice, zone)


# User actions ------------------------------------------------------------------------------


def _print_state(ctx: typer.Context, record: DispatchRecord, as_json: bool) -> None:
    if as_json:
        print_json(invoice_entry(record, language=reader_language(ctx)))
        return
    line = say(
        ctx,
        "cli.invoice_state",
        invoice=f"{record.tenant_id}/{record.invoice_id}",
        state=say(ctx, f"cli.state.{record.state}"),
    )
    console.print(
        line + (f" - {words(ctx, record.message)}" if record.message else ""),
        style=state_style(record.state),
        highlight=False,
        markup=False,
    )


@app.command("remove-auto", help="cli.help.remove_auto")
def remove_auto(
    ctx: typer.Context,
    tenant: TenantOption,
    invoice_id: InvoiceArgument,
    as_json: JsonOption = False,
    _lang: LangOption = None,
) -> None:
    """R20."""
    with operator_errors(ctx):
        runtime = target(ctx)
        record = remove_automatic_dispatch(runtime.store, key(tenant, invoice_id), runtime.now)
    _print_state(ctx, record, as_json)


@app.command("restore-auto", help="cli.help.restore_auto")
def restore_auto(
    ctx: typer.Context,
    tenant: TenantOption,
    invoice_id: InvoiceArgument,
    as_json: JsonOption = False,
    _lang: LangOption = None,
) -> None:
    """R20."""
    with operator_errors(ctx):
        runtime = target(ctx)
        record = restore_automatic_dispatch(runtime.store, key(tenant, invoice_id), runtime.now, runtime.zone)
    _print_state(ctx, record, as_json)


@app.command("send", help="cli.help.send")
def send(
    ctx: typer.Context,
    tenant: TenantOption,
    invoice_id: InvoiceArgument,
    channel: Annotated[
        Channel | None,
        typer.Option(
            case_sensitive=False,
            help="cli.help.send_channel",
        ),
    ] = None,
    as_json: JsonOption = False,
    _lang: LangOption = None,
) -> None:
    """R22."""
    with operator_errors(ctx):
        runtime = target(ctx)
        sent = send_manually(
            runtime.store,
            runtime.deliverer(),
            runtime.now,
            key(tenant, invoice_id),
            channel,
            zone=runtime.zone,
        )
    if as_json:
        document = sent.model_dump(mode="json")
        document["factoring"] = words(ctx, sent.factoring) or None
        print_json(document)
        return
    for note in sent.passed_over:
        passed_over = say(
            ctx,
            "cli.passed_over",
            channel=say(ctx, f"channel.{note.channel}"),
            reason=words(ctx, note.reason),
        )
        console.print(f"  {passed_over}", highlight=False, markup=False)
    done = say(
        ctx,
        "cli.sent_manually",
        invoice=f"{tenant}/{invoice_id}",
        by=by_channel(sent.channel),
        message_id=sent.message_id,
    )
    console.print(done, style="green", highlight=False, markup=False)
    if sent.factoring is not None:
        factoring = say(ctx, "cli.factoring", text=sent.factoring)
        console.print(f"  {factoring}", highlight=False, markup=False)
