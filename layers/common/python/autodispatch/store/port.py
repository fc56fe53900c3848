"""The invoice store port: every read and state change the system makes on its table.

Every state change is a conditional write, so two writers can never both move one invoice (R23).
History events are appended in the same write as the change they record.
"""

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict

from autodispatch.models.dispatch import DispatchRecord, HistoryEvent
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, Source
from autodispatch.models.scenario import Invoice, InvoiceKey, Tenant


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class PendingEntry(_Frozen):
    """One row of the sparse pending index: enough for the selector to filter without the invoice."""

    key: InvoiceKey
    source: Source
    due_from: AwareDatetime


class InvoiceDocuments(_Frozen):
    """A batch read of invoice documents: the valid ones, and why each invalid one is invalid."""

    valid: dict[InvoiceKey, Invoice]
    invalid: dict[InvoiceKey, str] = {}


class RunRef(_Frozen):
    """Identifies a run (one execution of the state machine) and the night it serves."""

    run_id: str
    run_date: date


class Attempt(_Frozen):
    """A channel attempt recorded before sending, so a crash leaves a trace (R23)."""

    run_id: str
    channel: Channel
    kind: DeliveryKind
    started_at: AwareDatetime
    # For a FACTORING attempt: the channel that already delivered the invoice itself (R17).
    delivered: Channel | None = None


class Settlement(_Frozen):
    """The final outcome a run writes on an invoice."""

    state: AutoDispatchState  # SENT, IGNORED or FAILED
    channel: Channel | None = None
    sent_on: date | None = None
    message: str
    details: str
    events: tuple[HistoryEvent, ...] = ()


class RunCounts(_Frozen):
    selected: int = 0
    sent: int = 0
    ignored: int = 0
    failed: int = 0


class RunSummary(_Frozen):
    run_id: str
    run_date: date
    execution_arn: str | None = None
    started_at: AwareDatetime
    counts: RunCounts = RunCounts()


class RunIssue(_Frozen):
    """A FAILED or IGNORED invoice of a run, or a failed follow-up message, for notifications (R21)."""

    tenant_id: str
    invoice_id: str
    number: str
    state: AutoDispatchState
    message: str


class InvoiceStore(Protocol):
    # Tenants ---------------------------------------------------------------------------------
    def put_tenant(self, tenant: Tenant) -> None:
        """Create or replace a tenant. A changed timing re-keys its pending invoices (R6, R7)."""
        ...

    def get_tenant(self, tenant_id: str) -> Tenant:
        """Raises NotFound."""
        ...

    def get_tenants(self, tenant_ids: Iterable[str]) -> dict[str, Tenant]:
        """Batch read; unknown ids are absent from the result."""
        ...

    def list_tenants(self) -> list[Tenant]: ...

    # Invoices --------------------------------------------------------------------------------
    def put_invoices(self, invoices: Sequence[Invoice]) -> None:
        """Upsert documents; a new invoice gets its initial state (PENDING, or REMOVED when
        automatic dispatch is off (R2, R20), or SENT-before-import (R5)). An existing invoice keeps
        its state; a pending one is re-keyed to its new due time."""
        ...

    def get_invoices(self, keys: Iterable[InvoiceKey]) -> dict[InvoiceKey, Invoice]:
        """Batch read of documents; unknown keys are absent. Raises InputError naming the invoice
        and field when a stored document is no longer valid."""
        ...

    def read_invoices(self, keys: Iterable[InvoiceKey]) -> InvoiceDocuments:
        """Batch read that keeps going past invalid documents (a run fails just those, R25)."""
        ...

    def get_record(self, key: InvoiceKey) -> DispatchRecord:
        """Raises NotFound."""
        ...

    def get_records(self, keys: Iterable[InvoiceKey]) -> dict[InvoiceKey, DispatchRecord]: ...

    def list_records(
        self, tenant_id: str, state: AutoDispatchState | None = None
    ) -> list[DispatchRecord]: ...

    def pending(self, due_before: datetime) -> Iterator[PendingEntry]:
        """Every tenant's pending invoices due before the instant, by Query on the sparse index.
        Includes invoices claimed by a run (a dead run's claims are taken over later, R10)."""
        ...

    # Run state changes (all conditional) -----------------------------------------------------
    def claim(
        self, key: InvoiceKey, attempt: Attempt, lease_until: datetime, events: Sequence[HistoryEvent]
    ) -> Attempt | None:
        """Claim a PENDING, UNSENT invoice for `attempt.run_id` and record the attempt before
        sending. Succeeds when the invoice is unclaimed, claimed by the same run (a retried batch)
        or its claim's lease ran out (a dead run). Returns the attempt found on the invoice before
        (its outcome unknown), or None. Raises ConcurrentUpdate when the invoice cannot be taken."""
        ...

    def next_attempt(self, key: InvoiceKey, attempt: Attempt, events: Sequence[HistoryEvent]) -> None:
        """Record the next channel attempt of the claiming run (after a rejection, R12)."""
        ...

    def settle(self, key: InvoiceKey, run_id: str, settlement: Settlement) -> None:
        """Write the final outcome; requires the run's claim. Raises ConcurrentUpdate."""
        ...

    def settle_unclaimed(self, key: InvoiceKey, run_id: str, settlement: Settlement, now: datetime) -> None:
        """Write an outcome reached without sending (IGNORED, FAILED) in one write; requires the
        invoice PENDING and unclaimed (or claimed by this run or with an expired lease)."""
        ...

    def settle_left_by_run(
        self, key: InvoiceKey, run_id: str, claimant: str, settlement: Settlement, now: datetime
    ) -> None:
        """Settle an invoice run `run_id` left unfinished (R24): as settle_unclaimed for `claimant`,
        and also when an invocation of that run (a claimant `run_id/...`) still holds the claim,
        since none of the run's batches is running any more. Raises ConcurrentUpdate otherwise."""
        ...

    def release(self, key: InvoiceKey, run_id: str, events: Sequence[HistoryEvent]) -> None:
        """Give the claim back (the send is known not to have happened); the invoice stays PENDING."""
        ...

    # User actions (R20, R22) -----------------------------------------------------------------
    def remove_auto(self, key: InvoiceKey, event: HistoryEvent) -> None:
        """PENDING and unclaimed -> REMOVED; raises InvalidTransition otherwise."""
        ...

    def restore_auto(self, key: InvoiceKey, event: HistoryEvent) -> None:
        """REMOVED and UNSENT -> PENDING; raises InvalidTransition otherwise."""
        ...

    def mark_sent_manually(self, key: InvoiceKey, channel: Channel, event: HistoryEvent) -> None:
        """Status SENT by a user's manual send (R22); automatic dispatch no longer applies."""
        ...

    # Runs ------------------------------------------------------------------------------------
    def put_run(self, run: RunSummary) -> None: ...

    def add_run_counts(self, run: RunRef, counts: RunCounts) -> None:
        """Atomic counters, one write per batch."""
        ...

    def get_run(self, run_id: str) -> RunSummary:
        """Raises NotFound."""
        ...

    def list_runs(self, limit: int = 20) -> list[RunSummary]:
        """Newest first."""
        ...

    def add_run_issues(self, run: RunRef, issues: Sequence[RunIssue]) -> None: ...

    def run_issues(self, run_id: str) -> list[RunIssue]: ...

    def claim_notification(self, run_id: str, tenant_id: str, kind: str) -> bool:
        """True once per run, tenant and kind (EMAIL, SMS), before sending: at most once (R21)."""
        ...

    def release_notification(self, run_id: str, tenant_id: str, kind: str) -> None:
        """Give a claim back after a send that certainly did not happen, so a retry sends it."""
        ...
