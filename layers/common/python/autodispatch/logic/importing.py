"""Importing a scenario (SCENARIO-FORMAT.md): parse and check everything, then write tenants and
invoices with the initial states the rules give them (R2, R5, R20, R25)."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from autodispatch.errors import (
    AutodispatchError,
    FieldIssue,
    ImportIncomplete,
    InvoiceBusy,
    NotFound,
    PartialWrite,
)
from autodispatch.logic.settings import save_tenant
from autodispatch.models.dispatch import DispatchRecord
from autodispatch.models.loading import parse_scenario
from autodispatch.models.scenario import Invoice, InvoiceKey, Scenario, Tenant
from autodispatch.rules.activation import activation_problems
from autodispatch.rules.initial_state import initial_state
from autodispatch.store.port import ImportStore

BUSY_MESSAGE = (
    "a run is sending this invoice (or stopped while sending it); import it again after that run has finished"
)


class ImportResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenants: int
    invoices: int


def _activation_issues(tenant: Tenant) -> list[FieldIssue]:
    """R2: a tenant imported as active must be one that could be activated."""
    if not tenant.settings.active:
        return []
    return [
        FieldIssue("settings", f"an active tenant must satisfy R2: {problem}", tenant.tenant_id)
        for problem in activation_problems(tenant.settings)
    ]


def parse_import(data: object, existing_tenants: Iterable[str] = ()) -> Scenario:
    """The scenario, or an InputError with every format (R25) and activation (R2) problem found.
    Invoices may also belong to `existing_tenants`."""
    return parse_scenario(data, existing_tenants, _activation_issues)


def import_scenario(store: ImportStore, scenario: Scenario, zone: ZoneInfo, now: datetime) -> ImportResult:
    """Create or replace the scenario's tenants, then create or update its invoices: all or
    nothing. Every check runs before the first write; when the store fails midway, the tenants
    are put back as they were and ImportIncomplete says exactly which invoices were written."""
    importing = {tenant.tenant_id: tenant for tenant in scenario.tenants}
    tenants = _check_invoices(store, scenario.invoices, importing)
    before = store.get_tenants(importing)
    touched: list[str] = []
    written: tuple[InvoiceKey, ...] = ()
    try:
        for tenant in scenario.tenants:
            touched.append(tenant.tenant_id)
            save_tenant(store, tenant, zone, now)
        if scenario.invoices:
            _write_invoices(store, scenario.invoices, tenants, zone, now)
    except AutodispatchError as error:  # the store's failures; PartialWrite carries any of its writes
        if isinstance(error, PartialWrite):
            written = error.written
        raise ImportIncomplete(_incomplete(store, error, touched, before, written, zone, now)) from error
    return ImportResult(tenants=len(scenario.tenants), invoices=len(scenario.invoices))


def import_invoices(store: ImportStore, invoices: Sequence[Invoice], zone: ZoneInfo, now: datetime) -> None:
    """Create new invoices in their initial state; update existing ones (documents, and the due
    instant of pending ones). Their tenants must exist (NotFound names the missing ones)."""
    tenants = _check_invoices(store, invoices, {})
    _write_invoices(store, invoices, tenants, zone, now)


def put_invoice(store: ImportStore, invoice: Invoice, zone: ZoneInfo, now: datetime) -> DispatchRecord:
    """Create or update one invoice (the API's idempotent PUT): the same document again changes
    nothing; another is imported as `import_invoices` does. Returns the invoice's record."""
    if store.get_invoices([invoice.key]).get(invoice.key) != invoice:
        import_invoices(store, [invoice], zone, now)
    return store.get_record(invoice.key)


def _check_invoices(
    store: ImportStore, invoices: Sequence[Invoice], importing: Mapping[str, Tenant]
) -> dict[str, Tenant]:
    """Refuse before anything is written: unknown tenants, and invoices a run is sending. Returns
    each invoice's tenant as the import leaves it (`importing` wins over the stored one)."""
    if not invoices:
        return dict(importing)
    tenant_ids = {invoice.tenant_id for invoice in invoices}
    tenants = {**store.get_tenants(tenant_ids - importing.keys()), **importing}
    missing = sorted(tenant_ids - tenants.keys())
    if missing:
        raise NotFound("Unknown tenant " + ", ".join(f"'{tenant_id}'" for tenant_id in missing))
    # A run that is sending an invoice (or stopped while sending it) will repeat that send with a
    # message id derived from the document; replacing the document now would change the id an
    # operator deduplicates by (R23).
    records = store.get_records(invoice.key for invoice in invoices)
    busy = sorted((key for key, record in records.items() if record.unfinished_attempt is not None), key=str)
    if busy:
        raise InvoiceBusy(
            [FieldIssue("(invoice)", BUSY_MESSAGE, key.tenant_id, key.invoice_id) for key in busy]
        )
    return tenants


def _write_invoices(
    store: ImportStore,
    invoices: Sequence[Invoice],
    tenants: Mapping[str, Tenant],
    zone: ZoneInfo,
    now: datetime,
) -> None:
    latest = {invoice.key: invoice for invoice in invoices}  # the last record of a key wins
    store.put_invoices(
        [(invoice, initial_state(invoice, tenants[invoice.tenant_id], zone)) for invoice in latest.values()],
        now,
    )


def _incomplete(
    store: ImportStore,
    error: AutodispatchError,
    touched: Sequence[str],
    before: Mapping[str, Tenant],
    written: Sequence[InvoiceKey],
    zone: ZoneInfo,
    now: datetime,
) -> str:
    """Put the touched tenants back (a new one only when none of its invoices was written) and
    say what the import left behind."""
    kept_for_invoices = {key.tenant_id for key in written}
    restored, kept, failed = [], [], []
    for tenant_id in touched:
        try:
            if tenant_id in before:
                save_tenant(store, before[tenant_id], zone, now)
            elif tenant_id in kept_for_invoices:
                kept.append(tenant_id)
                continue
            else:
                store.delete_tenant(tenant_id)
            restored.append(tenant_id)
        except AutodispatchError:  # the import's own failure is the one to report; name the tenant
            failed.append(tenant_id)
    parts = [f"Import stopped by a store failure ({error})"]
    parts.append(
        f"invoices written: {', '.join(str(key) for key in written)}" if written else "no invoice was written"
    )
    if restored:
        parts.append(f"tenants put back as they were: {', '.join(restored)}")
    if kept:
        parts.append(f"new tenants kept for their written invoices: {', '.join(kept)}")
    if failed:
        parts.append(f"tenants that could not be put back: {', '.join(failed)}")
    parts.append("import the file again to finish")
    return "; ".join(parts)
