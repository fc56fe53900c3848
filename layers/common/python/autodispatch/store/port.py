"""The invoice store ports: every read and state change the system makes on its table, as small
protocols per concern and one composite `InvoiceStore` that the adapters implement.

Every state change is a conditional write, so two writers can never both move one invoice (R23).
History events are appended in the same write as the change they record. The store decides no
rule: callers pass the states, messages and due instants the rules chose.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict

from autodispatch.models.dispatch import DispatchRecord, HistoryEvent, InitialState
from autodispatch.models.enums import AutoDispatchState, Channel, DeliveryKind, Source
from autodispatch.models.scenario import Invoice, InvoiceKey, Tenant
from autodispatch.models.text import StoredText, Text


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class PendingEntry(_Frozen):
    """One row of the sparse pending index: enough for the selector to filter without the invoice."""

    key: InvoiceKey
    source: Source
    due_from: AwareDatetime


class PendingState(_Frozen):
    """A pending, unsent invoice of one tenant with the facts that decide its due instant (R6, R7)
    and whether an activation turns it off (R2)."""

    key: InvoiceKey
    created_at: AwareDatetime
    invoice_date: date
    # True when the user (or the import) turned automatic dispatch on explicitly.
    auto_dispatch: bool | None = None


class InvoiceDocuments(_Frozen):
    """A batch read of invoice documents: the valid ones, and why each invalid one is invalid."""

    valid: dict[InvoiceKey, Invoice]
    invalid: dict[InvoiceKey, str] = {}


class RecordPage(_Frozen):
    """One page of a tenant's dispatch records in invoice id order. `resume_after` is the invoice id
    the next page starts after; None on the last page."""

    records: list[DispatchRecord]
    resume_after: str | None = None


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
    # The S3 outbox object (a transmission file, channels/transmission.py) the document is staged
    # for: it was delivered exactly when that object exists (R23, logic/recovery.py).
    transmission: str | None = None


class Settlement(_Frozen):
    """The final outcome a run writes on an invoice."""

    state: AutoDispatchState  # SENT, IGNORED or FAILED
    channel: Channel | None = None
    sent_on: date | None = None
    message: StoredText
    details: StoredText
    events: tuple[HistoryEvent, ...] = ()


class RunCounts(_Frozen):
    """Each invoice the run selected counts once in sent, ignored or failed. A factoring message that
    failed after its invoice was sent (R17) is a failure of its own, counted in `follow_ups_failed`
    (its invoice stays counted as sent)."""

    selected: int = 0
    sent: int = 0
    ignored: int = 0
    failed: int = 0
    follow_ups_failed: int = 0


class RunSummary(_Frozen):
    run_id: str
    run_date: date
    execution_arn: str | None = None
    started_at: AwareDatetime
    counts: RunCounts = RunCounts()


class RunIssue(_Frozen):
    """A FAILED or IGNORED invoice of a run, or a failed follow-up message, for notifications (R21).

    `details` is the invoice's detailed explanation (each channel tried and why it could not be used,
    R16); the customer's name and the invoice's total let the tenant recognise it. They are absent
    where the invoice document could not be read, and on issues stored before they existed."""

    tenant_id: str
    invoice_id: str
    number: str
    state: AutoDispatchState
    message: StoredText
    details: StoredText | None = None
    customer_name: str | None = None
    amount: Decimal | None = None
    currency: str | None = None


class WorkListRef(_Frozen):
    """Where a run's work list is: the batches of invoice keys the Distributed Map reads (S3)."""

    bucket: str
    key: str


class WorkListWriter(Protocol):
    def write(self, run_id: str, batches: Iterable[Sequence[InvoiceKey]]) -> WorkListRef:
        """Writes the batches as they come (a stream: they need not all be in memory)."""
        ...


class WorkListReader(Protocol):
    def keys(self, work_list: WorkListRef) -> Iterator[InvoiceKey]:
        """Every invoice key of the list, batch by batch."""
        ...


class TenantReader(Protocol):
    def get_tenant(self, tenant_id: str) -> Tenant:
        """Raises NotFound."""
        ...

    def get_tenants(self, tenant_ids: Iterable[str]) -> dict[str, Tenant]:
        """Batch read; unknown ids are absent from the result."""
        ...


class TenantStore(TenantReader, Protocol):
    def put_tenant(self, tenant: Tenant) -> None:
        """Create or replace a tenant document; nothing else changes."""
        ...

    def list_tenants(self) -> list[Tenant]: ...


class DocumentReader(Protocol):
    def get_invoices(self, keys: Iterable[InvoiceKey]) -> dict[InvoiceKey, Invoice]:
        """Batch read of documents; unknown keys are absent. Raises InputError naming the invoice
        and field when a stored document is no longer valid."""
        ...

    def read_invoices(self, keys: Iterable[InvoiceKey]) -> InvoiceDocuments:
        """Batch read that keeps going past invalid documents (a run fails just those, R25)."""
        ...


class InvoiceDocumentStore(DocumentReader, Protocol):
    def put_invoices(self, invoices: Sequence[tuple[Invoice, InitialState]], now: datetime) -> None:
        """Upsert documents. A new invoice gets the initial state given with it; an existing UNSENT
        invoice imported as SENT becomes SENT with that state's message (R5); an existing pending
        one is re-keyed to the given due instant; any other keeps its state."""
        ...


class RecordReader(Protocol):
    def get_record(self, key: InvoiceKey) -> DispatchRecord:
        """Raises NotFound."""
        ...

    def get_records(self, keys: Iterable[InvoiceKey]) -> dict[InvoiceKey, DispatchRecord]: ...


class RecordLister(Protocol):
    def list_records(
        self, tenant_id: str, state: AutoDispatchState | None = None
    ) -> list[DispatchRecord]: ...

    def records_page(
        self, tenant_id: str, state: AutoDispatchState | None, limit: int, after: str | None = None
    ) -> RecordPage:
        """At most `limit` records (in `state`, when given) with invoice ids after `after`, read from
        the table page by page rather than all at once. A page is full unless it is the last, or
        unless a state filter had to read many non-matching invoices to fill it: then it is short
        (even empty) and its `resume_after` says where reading stopped."""
        ...


class PendingIndex(Protocol):
    def pending(self, due_before: datetime) -> Iterator[PendingEntry]:
        """Every tenant's pending invoices due before the instant, by Query on the sparse index.
        Includes invoices claimed by a run (a dead run's claims are taken over later, R10)."""
        ...

    def pending_states(self, tenant_id: str) -> Iterator[PendingState]:
        """One tenant's PENDING, UNSENT invoices, claimed or not."""
        ...

    def rekey(self, key: InvoiceKey, due_from: datetime) -> None:
        """Move a PENDING, UNSENT invoice to a new due instant; one that is no longer pending stays
        off the index."""
        ...

    def turn_off(self, key: InvoiceKey, message: Text, event: HistoryEvent) -> None:
        """PENDING, UNSENT and unclaimed -> REMOVED with the message; an invoice a run or the user
        changed first keeps that change."""
        ...


class RecordStore(RecordReader, RecordLister, PendingIndex, Protocol):
    """The dispatch-state records: read one by one, listed per tenant, and the pending index."""


class ClaimStore(Protocol):
    """The conditional writes of a run (R10, R23)."""

    def claim(
        self,
        key: InvoiceKey,
        attempt: Attempt,
        lease_until: datetime,
        events: Sequence[HistoryEvent],
        *,
        ended: Sequence[str] = (),
    ) -> Attempt | None:
        """Claim a PENDING, UNSENT invoice for `attempt.run_id` and record the attempt before
        sending. Succeeds when the invoice is unclaimed, claimed by the same run (a retried batch)
        or its claim's lease ran out (a dead run), or its claim is an attempt staged for an outbox
        object by one of the claimants `ended` (earlier invocations of the same batch, which have
        ended). Returns the attempt found on the invoice before (its outcome unknown), or None.
        Raises ConcurrentUpdate when the invoice cannot be taken."""
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


class UserActionStore(Protocol):
    """The user's own changes of one invoice (R20, R22)."""

    def remove_auto(self, key: InvoiceKey, message: Text, event: HistoryEvent) -> None:
        """PENDING and unclaimed -> REMOVED with the message; raises InvalidTransition otherwise."""
        ...

    def restore_auto(self, key: InvoiceKey, due_from: datetime, event: HistoryEvent) -> None:
        """REMOVED and UNSENT -> PENDING, due from the given instant; raises InvalidTransition
        otherwise."""
        ...

    def mark_sent_manually(
        self,
        key: InvoiceKey,
        channel: Channel,
        sent_on: date,
        message: Text,
        events: Sequence[HistoryEvent],
        *,
        removed_for_the_send: bool = False,
    ) -> None:
        """Status SENT by a user's manual send (R22); automatic dispatch no longer applies. A
        PENDING invoice ends SENT; so does one the send itself REMOVED to keep runs away
        (`removed_for_the_send`); a FAILED, IGNORED or user-REMOVED one keeps its state."""
        ...

    def add_user_event(self, key: InvoiceKey, event: HistoryEvent) -> None:
        """Append an event to the history and change nothing else (e.g. a manual send that did not
        go through, R22). Raises NotFound."""
        ...


class RunRecorder(Protocol):
    """What a batch adds to its run: counts and the issues to report (R21)."""

    def add_run_counts(self, run: RunRef, counts: RunCounts) -> None:
        """Atomic counters, one write per batch. Raises NotFound for a run never put."""
        ...

    def add_run_issues(self, run: RunRef, issues: Sequence[RunIssue]) -> None:
        """Writing the same issue again (a retried batch) keeps one."""
        ...

    def stop_email(self, run: RunRef, cause: Text) -> None:
        """R12, R24: the email service refused the sender's account; `cause` is kept on the run so
        every later batch of the night leaves email alone. One conditional write: the first cause
        stays. A run never put keeps nothing."""
        ...

    def email_stop(self, run: RunRef) -> Text | None:
        """The cause `stop_email` kept for the run; None while the night's email goes."""
        ...


class RunReader(Protocol):
    def get_run(self, run_id: str) -> RunSummary:
        """Raises NotFound."""
        ...

    def list_runs(self, limit: int = 20) -> list[RunSummary]:
        """Newest first."""
        ...

    def run_issues(self, run_id: str) -> list[RunIssue]: ...

    def run_issue_tenants(self, run_id: str) -> list[tuple[str, int]]:
        """The tenants with issues in the run, in id order, each with how many: read from the
        issues' keys alone, so listing a night of 100,000 issues stays cheap (R21's fan-out)."""
        ...

    def tenant_run_issues(self, run_id: str, first_tenant: str, last_tenant: str) -> list[RunIssue]:
        """The run's issues of the tenants whose ids run from `first_tenant` to `last_tenant`
        (both included), in the order of run_issues."""
        ...


class NotificationMarkers(Protocol):
    def claim_notification(self, run_id: str, tenant_id: str, kind: str) -> bool:
        """True once per run, tenant and kind (EMAIL, SMS), before sending: at most once (R21)."""
        ...

    def release_notification(self, run_id: str, tenant_id: str, kind: str) -> None:
        """Give a claim back after a send that certainly did not happen, so a retry sends it."""
        ...


class NightHolds(Protocol):
    """R21: a night is one run, however many executions start for it."""

    def hold_night(self, run: RunRef, lease_until: datetime, now: datetime) -> str | None:
        """Hold the run's night until `lease_until` (R21: a night is one run). None when this run
        holds it now; else the id of the run that holds it (unfinished, its lease not ended)."""
        ...

    def night_holder(self, run_date: date) -> str | None:
        """The run that holds (or last held) the night, or None."""
        ...

    def release_night(self, run: RunRef) -> None:
        """The run has finished its night: a later execution of it may hold it (a catch-up, R10)."""
        ...


class RunLog(RunRecorder, RunReader, NotificationMarkers, NightHolds, Protocol):
    """Run summaries, their issues and the once-per-run notification markers (R21)."""

    def put_run(self, run: RunSummary) -> None: ...


class NoticeBoard(Protocol):
    """Notices carried into a tenant's next notification, whichever run sends it (R21, R26)."""

    def add_notice(self, issue: RunIssue) -> None: ...

    def notices(self) -> list[RunIssue]: ...

    def clear_notices(self, issues: Sequence[RunIssue]) -> None: ...


class DeliveryFeedbackStore(NoticeBoard, Protocol):
    """What an email's delivery events do to its invoice (R26), and the notices they leave for the
    tenant's next notification (R21)."""

    def record_delivery_event(self, key: InvoiceKey, event_id: str, event: HistoryEvent) -> bool:
        """Append to the history once per SES event id; False for a duplicate."""
        ...

    def reopen_after_bounce(
        self,
        key: InvoiceKey,
        event_id: str,
        *,
        due_from: datetime,
        message: Text,
        events: Sequence[HistoryEvent],
    ) -> bool:
        """SENT by email -> PENDING and UNSENT: the next run's chain goes on after EMAIL, as the
        history's bounce event says (R12, R26)."""
        ...

    def fail_after_bounce(
        self, key: InvoiceKey, event_id: str, *, message: Text, details: Text, events: Sequence[HistoryEvent]
    ) -> bool:
        """SENT by email -> FAILED and UNSENT: no channel follows the bounced email (R26)."""
        ...


class ImportTransactions(Protocol):
    """All-or-nothing imports (R25): a store failure at any write leaves the table as it was."""

    def all_or_nothing(
        self, now: datetime, tenant_ids: Iterable[str], invoice_keys: Iterable[InvoiceKey]
    ) -> AbstractContextManager["ImportStore"]:
        """A store whose writes are undone when the block raises (ImportIncomplete says what was
        undone and what changed meanwhile and was kept); `tenant_ids` and `invoice_keys` are the
        items the block is expected to write, read once in bulk. Others are journaled as written."""
        ...

    def recover_imports(self, now: datetime) -> None:
        """Finish undoing the writes of imports that died (their lease ran out before `now`)."""
        ...


class InvoiceStore(
    TenantStore,
    InvoiceDocumentStore,
    RecordStore,
    ClaimStore,
    UserActionStore,
    RunLog,
    DeliveryFeedbackStore,
    ImportTransactions,
    Protocol,
):
    """Everything the system reads and writes: what the adapters (and the in-memory fake) implement.
    Each use case asks only for its own part (below)."""


# The part each use case uses: structural, so the whole store (or a fake) passes for any of them.


class OutcomeStore(Protocol):
    """The conditional writes that end or hand over an invoice's dispatch (logic/outcomes.py)."""

    def claim(
        self,
        key: InvoiceKey,
        attempt: Attempt,
        lease_until: datetime,
        events: Sequence[HistoryEvent],
        *,
        ended: Sequence[str] = (),
    ) -> Attempt | None: ...

    def settle(self, key: InvoiceKey, run_id: str, settlement: Settlement) -> None: ...

    def settle_unclaimed(
        self, key: InvoiceKey, run_id: str, settlement: Settlement, now: datetime
    ) -> None: ...


class DispatchStore(TenantReader, DocumentReader, RecordReader, ClaimStore, RunRecorder, Protocol):
    """A dispatch run's batches (logic/dispatch.py) and the settlement of what a run left
    unfinished (logic/unfinished.py, which also reads the run's counts and issues to recover what a
    crash left uncounted)."""

    def get_run(self, run_id: str) -> RunSummary:
        """Raises NotFound."""
        ...

    def run_issues(self, run_id: str) -> list[RunIssue]: ...


class SelectionStore(TenantReader, PendingIndex, NightHolds, Protocol):
    """The run's selection of due invoices (logic/selection.py)."""

    def put_run(self, run: RunSummary) -> None: ...


class NotificationStore(TenantReader, RunReader, NotificationMarkers, NightHolds, NoticeBoard, Protocol):
    """The tenants' notifications of a run (logic/notification.py)."""


class FeedbackStore(TenantReader, DocumentReader, RecordReader, DeliveryFeedbackStore, Protocol):
    """Email delivery events (logic/delivery_feedback.py)."""


class UserActionsStore(TenantReader, DocumentReader, RecordReader, UserActionStore, Protocol):
    """The user's own actions on one invoice (logic/manual.py)."""


class SettingsStore(TenantStore, PendingIndex, Protocol):
    """A tenant's settings and their activation (logic/settings.py)."""


class ImportStore(SettingsStore, InvoiceDocumentStore, RecordReader, ImportTransactions, Protocol):
    """An import of tenants and invoices (logic/importing.py)."""


class OpenInvoicesStore(TenantReader, DocumentReader, RecordLister, Protocol):
    """The open-invoices list with the next night's previews (logic/open_invoices.py)."""
