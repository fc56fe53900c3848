"""An in-memory store with the conditional semantics of the DynamoDB store for what a dispatch
run needs: an invoice is claimable when PENDING, UNSENT and unclaimed, claimed by the same
claimant, or its claim's lease ran out; every other claim, settle or release raises
ConcurrentUpdate, as a lost conditional write does (R23).

`fail(method, error)` makes the next call of a write method raise instead of writing, so tests
can cut a run off at any step."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from autodispatch.errors import ConcurrentUpdate
from autodispatch.models.dispatch import DispatchRecord, HistoryEvent
from autodispatch.models.enums import AutoDispatchState, Channel, InvoiceStatus
from autodispatch.models.scenario import Invoice, InvoiceKey, Tenant
from autodispatch.store.port import Attempt, InvoiceDocuments, RunCounts, RunIssue, RunRef, Settlement


@dataclass
class Claim:
    attempt: Attempt
    lease_until: datetime


@dataclass
class StateItem:
    number: str
    status: InvoiceStatus = InvoiceStatus.UNSENT
    state: AutoDispatchState = AutoDispatchState.PENDING
    claim: Claim | None = None
    history: list[HistoryEvent] = field(default_factory=list)
    channel: Channel | None = None
    sent_on: date | None = None
    message: str | None = None
    details: str | None = None


class InMemoryDispatchStore:
    """Implements `autodispatch.logic.dispatch.DispatchStore`."""

    def __init__(self) -> None:
        self.tenants: dict[str, Tenant] = {}
        self.documents: dict[InvoiceKey, Invoice] = {}
        self.invalid: dict[InvoiceKey, str] = {}
        self.items: dict[InvoiceKey, StateItem] = {}
        self.counts: dict[str, RunCounts] = defaultdict(RunCounts)
        self.issues: dict[str, list[RunIssue]] = defaultdict(list)
        self.writes: list[str] = []
        self._faults: dict[str, list[BaseException]] = defaultdict(list)

    # Seeding and inspection ---------------------------------------------------------------------

    def add_tenant(self, tenant: Tenant) -> None:
        self.tenants[tenant.tenant_id] = tenant

    def add_invoice(self, invoice: Invoice, state: AutoDispatchState = AutoDispatchState.PENDING) -> None:
        self.documents[invoice.key] = invoice
        self.items[invoice.key] = StateItem(number=invoice.number, state=state)

    def hold(self, key: InvoiceKey, attempt: Attempt, lease_until: datetime) -> None:
        """A claim some other invocation made (alive, or dead once its lease runs out)."""
        self.items[key].claim = Claim(attempt, lease_until)

    def fail(self, method: str, error: BaseException) -> None:
        """The next call of `method` raises `error` and writes nothing."""
        self._faults[method].append(error)

    def record(self, key: InvoiceKey) -> DispatchRecord:
        item = self.items[key]
        claim = item.claim
        return DispatchRecord(
            tenant_id=key.tenant_id,
            invoice_id=key.invoice_id,
            number=item.number,
            status=item.status,
            state=item.state,
            channel=item.channel,
            sent_on=item.sent_on,
            message=item.message,
            details=item.details,
            history=tuple(item.history),
            unfinished_attempt=(
                claim.attempt.channel if claim is not None and claim.attempt.delivered is None else None
            ),
        )

    def events(self, key: InvoiceKey) -> list[str]:
        return [event.event.value for event in self.items[key].history]

    # DispatchStore ------------------------------------------------------------------------------

    def read_invoices(self, keys: Iterable[InvoiceKey]) -> InvoiceDocuments:
        keys = list(keys)
        return InvoiceDocuments(
            valid={key: self.documents[key] for key in keys if key in self.documents},
            invalid={key: self.invalid[key] for key in keys if key in self.invalid},
        )

    def get_records(self, keys: Iterable[InvoiceKey]) -> dict[InvoiceKey, DispatchRecord]:
        return {key: self.record(key) for key in keys if key in self.items}

    def get_tenants(self, tenant_ids: Iterable[str]) -> dict[str, Tenant]:
        return {tenant_id: self.tenants[tenant_id] for tenant_id in tenant_ids if tenant_id in self.tenants}

    def claim(
        self, key: InvoiceKey, attempt: Attempt, lease_until: datetime, events: Sequence[HistoryEvent]
    ) -> Attempt | None:
        self._write("claim")
        item = self._claimable(key, attempt.run_id, attempt.started_at)
        prior = item.claim.attempt if item.claim is not None else None
        item.claim = Claim(attempt, lease_until)
        item.history.extend(events)
        return prior

    def next_attempt(self, key: InvoiceKey, attempt: Attempt, events: Sequence[HistoryEvent]) -> None:
        self._write("next_attempt")
        item = self._claimed(key, attempt.run_id)
        assert item.claim is not None
        delivered = attempt.delivered or item.claim.attempt.delivered
        item.claim = Claim(attempt.model_copy(update={"delivered": delivered}), item.claim.lease_until)
        item.history.extend(events)

    def settle(self, key: InvoiceKey, run_id: str, settlement: Settlement) -> None:
        self._write("settle")
        self._apply(self._claimed(key, run_id), settlement)

    def settle_unclaimed(self, key: InvoiceKey, run_id: str, settlement: Settlement, now: datetime) -> None:
        self._write("settle_unclaimed")
        self._apply(self._claimable(key, run_id, now), settlement)

    def release(self, key: InvoiceKey, run_id: str, events: Sequence[HistoryEvent]) -> None:
        self._write("release")
        item = self._claimed(key, run_id)
        item.claim = None
        item.history.extend(events)

    def add_run_counts(self, run: RunRef, counts: RunCounts) -> None:
        self._write("add_run_counts")
        old = self.counts[run.run_id]
        self.counts[run.run_id] = RunCounts(
            selected=old.selected + counts.selected,
            sent=old.sent + counts.sent,
            ignored=old.ignored + counts.ignored,
            failed=old.failed + counts.failed,
        )

    def add_run_issues(self, run: RunRef, issues: Sequence[RunIssue]) -> None:
        self._write("add_run_issues")
        self.issues[run.run_id].extend(issues)

    # Conditions ---------------------------------------------------------------------------------

    def _write(self, method: str) -> None:
        if self._faults[method]:
            raise self._faults[method].pop(0)
        self.writes.append(method)

    def _claimable(self, key: InvoiceKey, claimant: str, now: datetime) -> StateItem:
        item = self.items.get(key)
        if (
            item is None
            or item.status is not InvoiceStatus.UNSENT
            or item.state is not AutoDispatchState.PENDING
        ):
            raise ConcurrentUpdate(f"Invoice {key} is not pending")
        claim = item.claim
        if claim is not None and claim.attempt.run_id != claimant and claim.lease_until >= now:
            raise ConcurrentUpdate(f"Invoice {key} is claimed by {claim.attempt.run_id}")
        return item

    def _claimed(self, key: InvoiceKey, claimant: str) -> StateItem:
        item = self.items.get(key)
        if item is None or item.claim is None or item.claim.attempt.run_id != claimant:
            raise ConcurrentUpdate(f"Invoice {key} is not claimed by {claimant}")
        return item

    @staticmethod
    def _apply(item: StateItem, settlement: Settlement) -> None:
        item.state = settlement.state
        item.message = settlement.message
        item.details = settlement.details
        item.history.extend(settlement.events)
        item.claim = None
        if settlement.state is AutoDispatchState.SENT:
            item.status = InvoiceStatus.SENT
        item.channel = settlement.channel
        item.sent_on = settlement.sent_on
