"""`autodispatch settings show|set|activate|deactivate` (R1-R4)."""

from typing import Annotated, Any

import typer

from autodispatch.errors import FieldIssue, InputError
from autodispatch.logic import settings as use_cases
from autodispatch.models.enums import Channel, Language, Source, Timing
from autodispatch.models.scenario import Tenant
from autodispatch.rules.activation import activation_issues, activation_problems
from autodispatch_cli.commands.common import JsonOption, LangOption, TenantOption, say, target, when, words
from autodispatch_cli.failures import operator_errors
from autodispatch_cli.localized import Typer
from autodispatch_cli.output import console, print_json, table

app = Typer(help="cli.help.settings", no_args_is_help=True)

# Settings field -> the option that sets it, so a validation error names what the user typed.
OPTION_OF = {
    "sources": "--source",
    "channels": "--channel",
    "timing": "--timing",
    "notify_email": "--notify-email",
    "notify_phone": "--notify-phone",
    "consumer_einvoicing": "--consumer-einvoicing",
    "language": "--language",
}


def settings_document(tenant: Tenant) -> dict[str, Any]:
    return {
        "tenant_id": tenant.tenant_id,
        "name": tenant.name,
        "settings": tenant.settings.model_dump(mode="json"),
        "activation_problems": activation_problems(tenant.settings),
    }


def print_settings(ctx: typer.Context, tenant: Tenant, zone: Any) -> None:
    """The settings as the page words them (the glossary): sources, channels in chain order, the
    dispatch time's option, the notifications, and whether they can be activated (R2)."""
    settings = tenant.settings

    def yes_no(value: bool) -> str:
        return say(ctx, "cli.yes" if value else "cli.no")

    problems = "; ".join(words(ctx, issue.text) for issue in activation_issues(settings))
    rows = [
        [say(ctx, "cli.setting.active"), yes_no(settings.active)],
        [say(ctx, "cli.setting.activated_at"), when(ctx, settings.activated_at, zone)],
        [say(ctx, "setting.sources"), ", ".join(say(ctx, f"source.{source}") for source in settings.sources)],
        [
            say(ctx, "setting.channels"),
            ", ".join(say(ctx, f"channel.{channel}") for channel in Channel if channel in settings.channels),
        ],
        [say(ctx, "setting.timing"), say(ctx, f"timing.{settings.timing}")],
        [say(ctx, "setting.notify_email"), settings.notify_email or ""],
        [say(ctx, "setting.notify_phone"), settings.notify_phone or ""],
        [say(ctx, "setting.consumer_einvoicing"), yes_no(settings.consumer_einvoicing)],
        [say(ctx, "setting.language"), say(ctx, f"language.{settings.language}")],
        [
            say(ctx, "cli.setting.can_activate"),
            say(ctx, "cli.no_because", problems=problems) if problems else yes_no(True),
        ],
    ]
    title = say(ctx, "cli.title.settings", tenant=tenant.tenant_id, name=tenant.name)
    columns = [say(ctx, "cli.column.setting"), say(ctx, "cli.column.value")]
    console.print(table(title, columns, rows))


def _named_by_option(error: InputError) -> InputError:
    """The same issues, each naming the option the user typed instead of the settings field."""
    return InputError(
        [
            FieldIssue(OPTION_OF.get(issue.field, issue.field), issue.message, text=issue.text)
            for issue in error.issues
        ]
    )


@app.command("show", help="cli.help.settings_show")
def show(
    ctx: typer.Context, tenant: TenantOption, as_json: JsonOption = False, _lang: LangOption = None
) -> None:
    """R2: whether they can be activated, and why not."""
    with operator_errors(ctx):
        found = target(ctx).store.get_tenant(tenant)
        zone = target(ctx).zone
    if as_json:
        print_json(settings_document(found))
    else:
        print_settings(ctx, found, zone)


@app.command("set", help="cli.help.settings_set")
def set_(
    ctx: typer.Context,
    tenant: TenantOption,
    sources: Annotated[
        list[Source] | None,
        typer.Option("--source", case_sensitive=False, help="cli.help.source"),
    ] = None,
    channels: Annotated[
        list[Channel] | None,
        typer.Option("--channel", case_sensitive=False, help="cli.help.channel"),
    ] = None,
    timing: Annotated[Timing | None, typer.Option(case_sensitive=False, help="cli.help.timing")] = None,
    notify_email: Annotated[str | None, typer.Option(help="cli.help.notify_email")] = None,
    notify_phone: Annotated[str | None, typer.Option(help="cli.help.notify_phone")] = None,
    consumer_einvoicing: Annotated[
        bool | None,
        typer.Option("--consumer-einvoicing/--no-consumer-einvoicing", help="cli.help.consumer_einvoicing"),
    ] = None,
    language: Annotated[
        Language | None,
        typer.Option(case_sensitive=False, help="cli.help.language"),
    ] = None,
    as_json: JsonOption = False,
    _lang: LangOption = None,
) -> None:
    """R1-R4, R13, R21; an active tenant keeps R2."""
    changes: dict[str, Any] = {
        name: value
        for name, value in {
            "sources": sources,
            "channels": channels,
            "timing": timing,
            "consumer_einvoicing": consumer_einvoicing,
            "language": language,
        }.items()
        if value is not None
    }
    for name, value in (("notify_email", notify_email), ("notify_phone", notify_phone)):
        if value is not None:
            changes[name] = value.strip() or None
    with operator_errors(ctx):
        runtime = target(ctx)
        try:
            updated = use_cases.change_settings(runtime.store, tenant, changes, runtime.zone, runtime.now())
        except InputError as error:
            raise _named_by_option(error) from None
        zone = runtime.zone
    if as_json:
        print_json(settings_document(updated))
    else:
        print_settings(ctx, updated, zone)


@app.command("activate", help="cli.help.activate")
def activate(
    ctx: typer.Context, tenant: TenantOption, as_json: JsonOption = False, _lang: LangOption = None
) -> None:
    """R2; unsent invoices created before now stay off until restored (R20)."""
    with operator_errors(ctx):
        runtime = target(ctx)
        activation = use_cases.activate(runtime.store, tenant, runtime.zone, runtime.now())
        zone = runtime.zone
    activated_at = activation.tenant.settings.activated_at
    if as_json:
        print_json({**settings_document(activation.tenant), "already_active": activation.already_active})
        return
    if activation.already_active:
        since = when(ctx, activated_at, zone) or say(ctx, "cli.since_import")
        already = say(ctx, "cli.already_active", tenant=tenant, since=since)
        console.print(already, highlight=False, markup=False)
        return
    command = "`autodispatch invoices restore-auto`"
    activated = say(ctx, "cli.activated", tenant=tenant, at=when(ctx, activated_at, zone), command=command)
    console.print(activated, style="green", highlight=False, markup=False)


@app.command("deactivate", help="cli.help.deactivate")
def deactivate(
    ctx: typer.Context, tenant: TenantOption, as_json: JsonOption = False, _lang: LangOption = None
) -> None:
    """R2."""
    with operator_errors(ctx):
        runtime = target(ctx)
        deactivated = use_cases.deactivate(runtime.store, tenant, runtime.zone, runtime.now())
    if as_json:
        print_json(settings_document(deactivated))
        return
    console.print(say(ctx, "cli.deactivated", tenant=tenant), highlight=False, markup=False)
