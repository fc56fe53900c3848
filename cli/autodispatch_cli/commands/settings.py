"""`autodispatch settings show|set|activate|deactivate` (R1-R4)."""

from typing import Annotated, Any

import typer

from autodispatch.errors import FieldIssue, InputError
from autodispatch.logic import settings as use_cases
from autodispatch.models.enums import Channel, Language, Source, Timing
from autodispatch.models.scenario import Tenant
from autodispatch.rules.activation import activation_problems
from autodispatch_cli.commands.common import JsonOption, TenantOption, target, when
from autodispatch_cli.failures import operator_errors
from autodispatch_cli.output import console, print_json, table

app = typer.Typer(help="A tenant's automatic-dispatch settings (R1-R4).", no_args_is_help=True)

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


def print_settings(tenant: Tenant, zone: Any) -> None:
    settings = tenant.settings
    problems = activation_problems(settings)
    rows = [
        ["active", "yes" if settings.active else "no"],
        ["activated at", when(settings.activated_at, zone)],
        ["sources", ", ".join(settings.sources)],
        ["channels (chain order)", ", ".join(c for c in Channel if c in settings.channels)],
        ["timing", settings.timing],
        ["notification email", settings.notify_email or ""],
        ["notification phone", settings.notify_phone or ""],
        ["consumer e-invoicing", "yes" if settings.consumer_einvoicing else "no"],
        ["notification language", settings.language],
        ["can be activated", "yes" if not problems else "no: " + "; ".join(problems)],
    ]
    console.print(
        table(f"Automatic dispatch of {tenant.tenant_id} ({tenant.name})", ["setting", "value"], rows)
    )


def _named_by_option(error: InputError) -> InputError:
    """The same issues, each naming the option the user typed instead of the settings field."""
    return InputError(
        [
            FieldIssue(OPTION_OF.get(issue.field, issue.field), issue.message, text=issue.text)
            for issue in error.issues
        ]
    )


@app.command("show")
def show(ctx: typer.Context, tenant: TenantOption, as_json: JsonOption = False) -> None:
    """Show a tenant's settings and whether they can be activated (R2)."""
    with operator_errors(ctx):
        found = target(ctx).store.get_tenant(tenant)
        zone = target(ctx).zone
    if as_json:
        print_json(settings_document(found))
    else:
        print_settings(found, zone)


@app.command("set")
def set_(
    ctx: typer.Context,
    tenant: TenantOption,
    sources: Annotated[
        list[Source] | None,
        typer.Option(
            "--source", case_sensitive=False, help="An enabled invoice source; repeat for more (R3)."
        ),
    ] = None,
    channels: Annotated[
        list[Channel] | None,
        typer.Option("--channel", case_sensitive=False, help="An enabled channel; repeat for more (R4)."),
    ] = None,
    timing: Annotated[
        Timing | None, typer.Option(case_sensitive=False, help="Which date makes an invoice due (R6, R7).")
    ] = None,
    notify_email: Annotated[
        str | None, typer.Option(help="Where failure notifications go by email; '' clears it.")
    ] = None,
    notify_phone: Annotated[
        str | None, typer.Option(help="Where failure notifications go by SMS (E.164); '' clears it.")
    ] = None,
    consumer_einvoicing: Annotated[
        bool | None,
        typer.Option(
            "--consumer-einvoicing/--no-consumer-einvoicing", help="Offer consumer e-invoices (R13)."
        ),
    ] = None,
    language: Annotated[
        Language | None,
        typer.Option(case_sensitive=False, help="The language of failure notifications (R21)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change settings; a list option replaces the whole list. An active tenant must keep R2."""
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
        print_settings(updated, zone)


@app.command("activate")
def activate(ctx: typer.Context, tenant: TenantOption, as_json: JsonOption = False) -> None:
    """Switch automatic dispatch on; refused unless R2 holds.

    Unsent invoices created before now keep automatic dispatch off until it is added back to each
    (`invoices restore-auto`).
    """
    with operator_errors(ctx):
        runtime = target(ctx)
        activation = use_cases.activate(runtime.store, tenant, runtime.zone, runtime.now())
        zone = runtime.zone
    activated_at = activation.tenant.settings.activated_at
    if as_json:
        print_json({**settings_document(activation.tenant), "already_active": activation.already_active})
        return
    if activation.already_active:
        console.print(
            f"Automatic dispatch of {tenant} is already active "
            f"(since {when(activated_at, zone) or 'the import'})."
        )
        return
    console.print(
        f"[green]Automatic dispatch of {tenant} is active[/] from {when(activated_at, zone)}. "
        "Invoices created from now on are sent in the first run after their creation; "
        "unsent older ones only after `autodispatch invoices restore-auto`."
    )


@app.command("deactivate")
def deactivate(ctx: typer.Context, tenant: TenantOption, as_json: JsonOption = False) -> None:
    """Switch automatic dispatch off: future runs skip the tenant; nothing sent changes (R2)."""
    with operator_errors(ctx):
        runtime = target(ctx)
        deactivated = use_cases.deactivate(runtime.store, tenant, runtime.zone, runtime.now())
    if as_json:
        print_json(settings_document(deactivated))
        return
    console.print(f"Automatic dispatch of {tenant} is off; runs no longer send its invoices.")
