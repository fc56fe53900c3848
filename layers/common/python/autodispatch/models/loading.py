"""Parse the scenario format into models, collecting every problem with its tenant, invoice and
field (R25) instead of stopping at the first."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from autodispatch.errors import FieldIssue, InputError
from autodispatch.models.fields import RefusedValue
from autodispatch.models.scenario import Invoice, InvoiceKey, Scenario, Tenant

ModelT = TypeVar("ModelT", bound=BaseModel)
TenantCheck = Callable[[Tenant], Iterable[FieldIssue]]
"""Further problems of a parsed tenant (e.g. R2 for an active one), reported with the parse issues."""


def _dotted(location: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for part in location:
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1]}[{part}]"] if parts else [f"[{part}]"]
        else:
            parts.append(part)
    return ".".join(parts) or "(record)"


def _identity(raw: object, name: str) -> str | None:
    if isinstance(raw, Mapping):
        value = raw.get(name)
        return value if isinstance(value, str) else None
    return None


def _validate(
    model: type[ModelT], raw: object, tenant_id: str | None, invoice_id: str | None, issues: list[FieldIssue]
) -> ModelT | None:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        for detail in error.errors(include_url=False, include_input=False):
            message = detail["msg"].removeprefix("Value error, ")
            cause = detail.get("ctx", {}).get("error")
            words = cause.text if isinstance(cause, RefusedValue) else None
            issues.append(FieldIssue(_dotted(detail["loc"]), message, tenant_id, invoice_id, words))
        return None


def invoice_or_issues(raw: object, key: InvoiceKey) -> Invoice | list[FieldIssue]:
    """One stored invoice document, or what is wrong with it (R25: bad data that reached a run)."""
    issues: list[FieldIssue] = []
    invoice = _validate(Invoice, raw, key.tenant_id, key.invoice_id, issues)
    return issues if invoice is None else invoice


def _records(data: Mapping[str, Any], name: str, issues: list[FieldIssue]) -> Sequence[object]:
    records = data.get(name, [])
    if not isinstance(records, list):
        issues.append(FieldIssue(name, "must be a list"))
        return []
    return records


def parse_tenants(
    raw_tenants: Sequence[object], issues: list[FieldIssue], check: TenantCheck | None = None
) -> list[Tenant]:
    tenants: list[Tenant] = []
    seen: set[str] = set()
    for raw in raw_tenants:
        tenant_id = _identity(raw, "tenant_id")
        tenant = _validate(Tenant, raw, tenant_id, None, issues)
        if tenant is None:
            continue
        if tenant.tenant_id in seen:
            issues.append(FieldIssue("tenant_id", "appears twice in the scenario", tenant.tenant_id))
            continue
        seen.add(tenant.tenant_id)
        if check is not None:
            issues.extend(check(tenant))
        tenants.append(tenant)
    return tenants


def parse_invoices(
    raw_invoices: Sequence[object], known_tenants: set[str] | None, issues: list[FieldIssue]
) -> list[Invoice]:
    """`known_tenants` None skips the tenant check (an import into an existing store checks there)."""
    invoices: list[Invoice] = []
    seen: set[tuple[str, str]] = set()
    for raw in raw_invoices:
        tenant_id, invoice_id = _identity(raw, "tenant_id"), _identity(raw, "invoice_id")
        invoice = _validate(Invoice, raw, tenant_id, invoice_id, issues)
        if invoice is None:
            continue
        if known_tenants is not None and invoice.tenant_id not in known_tenants:
            issues.append(FieldIssue("tenant_id", "names no tenant of the scenario", tenant_id, invoice_id))
            continue
        if (invoice.tenant_id, invoice.invoice_id) in seen:
            issues.append(FieldIssue("invoice_id", "appears twice for this tenant", tenant_id, invoice_id))
            continue
        seen.add((invoice.tenant_id, invoice.invoice_id))
        invoices.append(invoice)
    return invoices


def parse_scenario(
    data: object, existing_tenants: Iterable[str] = (), check_tenant: TenantCheck | None = None
) -> Scenario:
    """The whole scenario or an InputError listing every problem found. Invoices may also belong
    to `existing_tenants` (an import into a system that already has them); `check_tenant` adds
    the problems the rules find in each parsed tenant."""
    if not isinstance(data, Mapping):
        raise InputError([FieldIssue("(document)", "a scenario is a JSON object with tenants and invoices")])
    issues: list[FieldIssue] = []
    raw_tenants = _records(data, "tenants", issues)
    tenants = parse_tenants(raw_tenants, issues, check_tenant)
    # An invalid tenant is reported once, not again on each of its invoices.
    tenant_ids = {tenant_id for raw in raw_tenants if (tenant_id := _identity(raw, "tenant_id"))}
    tenant_ids.update(existing_tenants)
    invoices = parse_invoices(_records(data, "invoices", issues), tenant_ids, issues)
    if issues:
        raise InputError(issues)
    return Scenario(tenants=tenants, invoices=invoices)
