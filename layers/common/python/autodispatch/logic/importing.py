"""Importing a scenario (SCENARIO-FORMAT.md): parse and check everything, then write tenants and
invoices with the initial states the rules give them (R2, R5, R20, R25)."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from autodispatch.errors import FieldIssue, InvoiceBusy, NotFound
from autodispatch.logic.settings import save_tenant
from autodispatch.models.loading import parse_scenario
from autodispatch.models.scenario import Invoice, Scenario, Tenant
from autodispatch.rules.activation import activation_problems
from autodispatch.rules.initial_state import initial_state
from autodispatch.store.port import InvoiceStore

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


def import_scenario(store: InvoiceStore, scenario: Scenario, zone: ZoneInfo, now: datetime) -> ImportResult:
    """Create or replace the scenario's tenants, then create or update its invoices."""
    for tenant in scenario.tenants:
        save_tenant(store, tenant, zone, now)
    if scenario.invoices:
        import_invoices(store, scenario.invoices, zone, now)
    return ImportResult(tenants=len(scenario.tenants), invoices=len(scenario.invoices))


def import_invoices(store: InvoiceStore, invoices: Sequence[Invoice], zone: ZoneInfo, now: datetime) -> None:
    """Create new invoices in their initial state; update existing ones (documents, and the due
    instant of pending ones). Their tenants must exist (NotFound names the missing ones)."""
    latest = {invoice.key: invoice for invoice in invoices}  # the last record of a key wins
    tenant_ids = {key.tenant_id for key in latest}
    tenants = store.get_tenants(tenant_ids)
    missing = sorted(tenant_ids - tenants.keys())
    if missing:
        raise NotFound("Unknown tenant " + ", ".join(f"'{tenant_id}'" for tenant_id in missing))
    # A run that is sending an invoice (or stopped while sending it) will repeat that send with a
    # message id derived from the document; replacing the document now would change the id an
    # operator deduplicates by (R23).
    busy = [key for key, record in store.get_records(latest).items() if record.unfinished_attempt is not None]
    if busy:
        raise InvoiceBusy(
            [FieldIssue("(invoice)", BUSY_MESSAGE, key.tenant_id, key.invoice_id) for key in busy]
        )
    store.put_invoices(
        [(invoice, initial_state(invoice, tenants[invoice.tenant_id], zone)) for invoice in latest.values()],
        now,
    )
