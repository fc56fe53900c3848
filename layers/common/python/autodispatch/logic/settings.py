"""A tenant's settings as use cases (R1, R2, R6, R7): save, change, activate, deactivate.

Any front end (the operator CLI, an HTTP API) calls these and shows the result or the error's
one-line message; the store only writes what they decide.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError

from autodispatch.errors import ActivationRefused, FieldIssue, InputError, shown
from autodispatch.models.dispatch import HistoryEvent
from autodispatch.models.enums import HistoryEventKind
from autodispatch.models.invalid import problems
from autodispatch.models.scenario import Settings, Tenant
from autodispatch.models.text import Text, separated, verbatim
from autodispatch.rules.activation import activation_issues
from autodispatch.rules.due import due_from_dates
from autodispatch.rules.messages import BEFORE_ACTIVATION_MESSAGE
from autodispatch.store.port import SettingsStore


class Activation(BaseModel):
    """The tenant after `activate`, and whether it was active already (nothing changed then)."""

    model_config = ConfigDict(frozen=True)

    tenant: Tenant
    already_active: bool


def save_tenant(store: SettingsStore, tenant: Tenant, zone: ZoneInfo, now: datetime) -> Tenant:
    """Create or replace a tenant. A changed timing re-keys its pending invoices (R6, R7); a later
    activation turns its older unsent invoices off unless the user turned them on (R2)."""
    # A stored document that no longer validates counts as absent: importing it again repairs it.
    before = store.get_tenants([tenant.tenant_id]).get(tenant.tenant_id)
    store.put_tenant(tenant)
    if before is None:
        return tenant  # a new tenant has no invoices yet: an import requires the tenant first
    after = tenant.settings
    timing_changed = before.settings.timing is not after.timing
    activated_later = after.activated_at is not None and (
        before.settings.activated_at is None or after.activated_at > before.settings.activated_at
    )
    if timing_changed or activated_later:
        _revisit_pending(store, tenant, zone, now, rekey=timing_changed, turn_off_before=after.activated_at)
    return tenant


def _revisit_pending(
    store: SettingsStore,
    tenant: Tenant,
    zone: ZoneInfo,
    now: datetime,
    *,
    rekey: bool,
    turn_off_before: datetime | None,
) -> None:
    for pending in store.pending_states(tenant.tenant_id):
        created_before = turn_off_before is not None and pending.created_at < turn_off_before
        if created_before and pending.auto_dispatch is not True:
            event = HistoryEvent(
                at=now, event=HistoryEventKind.TURNED_OFF_BY_ACTIVATION, detail=BEFORE_ACTIVATION_MESSAGE
            )
            store.turn_off(pending.key, BEFORE_ACTIVATION_MESSAGE, event)
        elif rekey:
            due = due_from_dates(pending.created_at, pending.invoice_date, tenant.settings.timing, zone)
            store.rekey(pending.key, due)


def replace_tenant(store: SettingsStore, tenant: Tenant, zone: ZoneInfo, now: datetime) -> Tenant:
    """Create or replace a tenant from a document a front end sent. Its activation (`active`,
    `activated_at`) stays as stored, a new tenant's inactive: activation changes only through
    `activate`, which checks R2 and stamps the instant (R4), and `deactivate`. An active tenant's
    new settings must keep satisfying R2."""
    stored = store.get_tenants([tenant.tenant_id]).get(tenant.tenant_id)
    activation = {
        "active": stored.settings.active if stored else False,
        "activated_at": stored.settings.activated_at if stored else None,
    }
    settings = tenant.settings.model_copy(update=activation)
    _keep_r2(tenant.tenant_id, settings)
    return save_tenant(store, tenant.model_copy(update={"settings": settings}), zone, now)


def _keep_r2(tenant_id: str, settings: Settings) -> None:
    """An active tenant's settings must satisfy R2; ActivationRefused names each missing one."""
    issues = activation_issues(settings)
    if settings.active and issues:
        said = [issue.text or verbatim(issue.message) for issue in issues]
        refusal = Text.of("settings.active_must_allow", tenant=shown(tenant_id), problems=separated(*said))
        raise ActivationRefused.said(refusal, issues)


def change_settings(
    store: SettingsStore, tenant_id: str, changes: Mapping[str, Any], zone: ZoneInfo, now: datetime
) -> Tenant:
    """Apply `changes` (Settings field -> value); an active tenant must keep satisfying R2."""
    if not changes:
        raise InputError([FieldIssue.said("(options)", Text.of("settings.nothing_to_change"))])
    current = store.get_tenant(tenant_id)
    settings = _validated(current.settings, changes)
    _keep_r2(tenant_id, settings)
    return save_tenant(store, current.model_copy(update={"settings": settings}), zone, now)


def _validated(current: Settings, changes: Mapping[str, Any]) -> Settings:
    """The changed settings, or an InputError whose issues name the Settings fields."""
    try:
        return Settings.model_validate({**current.model_dump(), **changes})
    except ValidationError as error:
        issues = [
            FieldIssue.said(str(location[0]) if location else "settings", problem)
            for location, problem in problems(error)
        ]
        raise InputError(issues) from None


def activate(store: SettingsStore, tenant_id: str, zone: ZoneInfo, now: datetime) -> Activation:
    """Switch automatic dispatch on from `now`; refused unless R2 holds. Unsent invoices created
    before now stay off until the user adds automatic dispatch back to each (R2, R20)."""
    current = store.get_tenant(tenant_id)
    if current.settings.active:
        return Activation(tenant=current, already_active=True)
    issues = activation_issues(current.settings)
    if issues:
        said = separated(*(issue.text or verbatim(issue.message) for issue in issues))
        raise ActivationRefused.said(
            Text.of("activation.refused_tenant", tenant=shown(tenant_id), issues=said), issues
        )
    settings = current.settings.model_copy(update={"active": True, "activated_at": now})
    saved = save_tenant(store, current.model_copy(update={"settings": settings}), zone, now)
    return Activation(tenant=saved, already_active=False)


def deactivate(store: SettingsStore, tenant_id: str, zone: ZoneInfo, now: datetime) -> Tenant:
    """Switch automatic dispatch off: runs skip the tenant; nothing sent changes (R2)."""
    current = store.get_tenant(tenant_id)
    if not current.settings.active:
        return current
    settings = current.settings.model_copy(update={"active": False})
    return save_tenant(store, current.model_copy(update={"settings": settings}), zone, now)
