"""Importing a scenario (SCENARIO-FORMAT.md): parse and check everything, then write tenants and
invoices with the initial states the rules give them (R2, R5, R20, R25)."""

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from autodispatch.errors import FieldIssue, InvoiceBusy, InvoiceSent, NotFound, shown
from autodispatch.logic.settings import save_tenant
from autodispatch.models.dispatch import DispatchRecord
from autodispatch.models.enums import InvoiceStatus
from autodispatch.models.limits import DATE_MIN
from autodispatch.models.loading import parse_scenario
from autodispatch.models.scenario import Invoice, Scenario, Tenant
from autodispatch.models.text import Text, verbatim
from autodispatch.rules.activation import activation_issues
from autodispatch.rules.initial_state import initial_state
from autodispatch.store.port import ImportStore

BUSY_MESSAGE = Text.of("import.busy")
# A scenario's active tenant without `activated_at` has been active since before any of its invoices
# (they are on, SCENARIO-FORMAT.md). The store records that as the format's earliest instant, so no
# tenant is ever stored active without an activation time.
ACTIVE_SINCE_BEFORE_EVERY_INVOICE = datetime.combine(DATE_MIN, time(), UTC)

SENT_MESSAGE = Text.of("import.sent")
SENT_IN_RUN_MESSAGE = Text.of("import.sent_in_run")


class ImportResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenants: int
    invoices: int


def _activation_issues(tenant: Tenant) -> list[FieldIssue]:
    """R2: a tenant imported as active must be one that could be activated."""
    if not tenant.settings.active:
        return []
    return [
        FieldIssue.said(
            "settings",
            Text.of("import.active_must_allow", problem=issue.text or verbatim(issue.message)),
            tenant.tenant_id,
        )
        for issue in activation_issues(tenant.settings)
    ]


def parse_import(data: object, existing_tenants: Iterable[str] = ()) -> Scenario:
    """The scenario, or an InputError with every format (R25) and activation (R2) problem found.
    Invoices may also belong to `existing_tenants`."""
    return parse_scenario(data, existing_tenants, _activation_issues)


def import_scenario(store: ImportStore, scenario: Scenario, zone: ZoneInfo, now: datetime) -> ImportResult:
    """Create or replace the scenario's tenants, then create or update its invoices: all or
    nothing. Every check runs before the first write; when the store fails at any write, every
    write is undone (ImportIncomplete says so) and the table is as it was."""
    importing = {tenant.tenant_id: tenant for tenant in scenario.tenants}
    tenants, changed = _check_invoices(store, scenario.invoices, importing)
    if not scenario.tenants and not changed:
        return ImportResult(tenants=0, invoices=len(scenario.invoices))  # nothing to write
    before = store.get_tenants(importing)
    with _all_or_nothing(store, now, importing, changed) as writing:
        for tenant in scenario.tenants:
            save_tenant(writing, _with_activation_time(tenant, before.get(tenant.tenant_id)), zone, now)
        _write_invoices(writing, changed, tenants, zone, now)
    return ImportResult(tenants=len(scenario.tenants), invoices=len(scenario.invoices))


def _with_activation_time(tenant: Tenant, stored: Tenant | None) -> Tenant:
    """An active tenant imported without `activated_at` keeps the activation time stored for it
    when it was active already (a re-import does not forget R2's history), else it gets
    ACTIVE_SINCE_BEFORE_EVERY_INVOICE."""
    settings = tenant.settings
    if not settings.active or settings.activated_at is not None:
        return tenant
    kept = stored.settings.activated_at if stored is not None and stored.settings.active else None
    activated_at = kept or ACTIVE_SINCE_BEFORE_EVERY_INVOICE
    return tenant.model_copy(update={"settings": settings.model_copy(update={"activated_at": activated_at})})


def import_invoices(store: ImportStore, invoices: Sequence[Invoice], zone: ZoneInfo, now: datetime) -> None:
    """Create new invoices in their initial state; update existing ones (documents, and the due
    instant of pending ones); an unchanged one is left as it is. Their tenants must exist
    (NotFound names the missing ones). All or nothing, as import_scenario."""
    tenants, changed = _check_invoices(store, invoices, {})
    if not changed:
        return
    with _all_or_nothing(store, now, {}, changed) as writing:
        _write_invoices(writing, changed, tenants, zone, now)


def _all_or_nothing(
    store: ImportStore, now: datetime, tenants: Mapping[str, Tenant], invoices: Sequence[Invoice]
) -> AbstractContextManager[ImportStore]:
    # What an import that died left half-written is undone before this one writes (R25).
    store.recover_imports(now)
    return store.all_or_nothing(now, tenants, [invoice.key for invoice in invoices])


def put_invoice(store: ImportStore, invoice: Invoice, zone: ZoneInfo, now: datetime) -> DispatchRecord:
    """Create or update one invoice (the API's idempotent PUT): the same document again changes
    nothing; another is imported as `import_invoices` does. Returns the invoice's record."""
    if store.get_invoices([invoice.key]).get(invoice.key) != invoice:
        import_invoices(store, [invoice], zone, now)
    return store.get_record(invoice.key)


def _check_invoices(
    store: ImportStore, invoices: Sequence[Invoice], importing: Mapping[str, Tenant]
) -> tuple[dict[str, Tenant], list[Invoice]]:
    """Refuse before anything is written: unknown tenants, a sent invoice imported with other
    content, and changed invoices a run is sending. Returns each invoice's tenant as the import
    leaves it (`importing` wins over the stored one) and the invoices that change anything (the
    last record of a key wins; one imported again unchanged is left alone)."""
    if not invoices:
        return dict(importing), []
    tenant_ids = {invoice.tenant_id for invoice in invoices}
    tenants = {**store.get_tenants(tenant_ids - importing.keys()), **importing}
    missing = sorted(tenant_ids - tenants.keys())
    if missing:
        raise NotFound.said(
            Text.of("not_found.tenant", tenant=", ".join(shown(tenant_id) for tenant_id in missing))
        )
    latest = {invoice.key: invoice for invoice in invoices}
    stored = store.read_invoices(latest)
    changed = [invoice for key, invoice in latest.items() if stored.valid.get(key) != invoice]
    records = store.get_records(invoice.key for invoice in changed)
    sent = [
        invoice
        for invoice in changed
        if invoice.key in records and records[invoice.key].status is InvoiceStatus.SENT
    ]
    if sent:
        raise InvoiceSent([_sent_issue(invoice, stored.valid.get(invoice.key)) for invoice in sent])
    # A run that is sending an invoice (or stopped while sending it) will repeat that send with a
    # message id derived from the document; replacing the document now would change the id an
    # operator deduplicates by (R23). One a run has delivered and not yet settled would have its
    # financier's copy and its archived copy made from the new content (R17, R19).
    busy = sorted(
        (
            (key, BUSY_MESSAGE if record.delivered_unsettled is None else SENT_IN_RUN_MESSAGE)
            for key, record in records.items()
            if record.unfinished_attempt is not None or record.delivered_unsettled is not None
        ),
        key=lambda found: str(found[0]),
    )
    if busy:
        raise InvoiceBusy(
            [FieldIssue.said("(invoice)", message, key.tenant_id, key.invoice_id) for key, message in busy]
        )
    return tenants, changed


def _sent_issue(invoice: Invoice, stored: Invoice | None) -> FieldIssue:
    """R5, R19: the document that went out stays the record of what was sent."""
    if stored is None:
        fields = "(document)"
    else:
        old, new = stored.model_dump(mode="json"), invoice.model_dump(mode="json")
        fields = ", ".join(name for name in new if old.get(name) != new[name])
    return FieldIssue.said(fields, SENT_MESSAGE, invoice.tenant_id, invoice.invoice_id)


def _write_invoices(
    store: ImportStore,
    invoices: Sequence[Invoice],
    tenants: Mapping[str, Tenant],
    zone: ZoneInfo,
    now: datetime,
) -> None:
    if invoices:
        store.put_invoices(
            [(invoice, initial_state(invoice, tenants[invoice.tenant_id], zone)) for invoice in invoices], now
        )
