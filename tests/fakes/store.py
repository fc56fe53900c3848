"""The whole `InvoiceStore` in memory, with the conditional semantics of the DynamoDB store: an
invoice is claimable when PENDING, UNSENT and unclaimed, claimed by the same claimant, or its
claim's lease ran out; every other claim, settle or release raises ConcurrentUpdate, as a lost
conditional write does (R23). tests/contract runs the same cases on this fake and on the DynamoDB
adapter (moto), so the two cannot drift apart.

`fail(method, error)` makes the next call of a write method raise instead of writing, so tests
can cut a use case off at any step; `writes` lists the writes made, in order."""

import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from autodispatch.errors import (
    AutodispatchError,
    ConcurrentUpdate,
    FieldIssue,
    ImportIncomplete,
    InputError,
    InvalidTransition,
    NotFound,
)
from autodispatch.models.dispatch import DispatchRecord, HistoryEvent, InitialState
from autodispatch.models.enums import AutoDispatchState, Channel, InvoiceStatus, Source, UserAction
from autodispatch.models.refusals import MARK_SENT, stored_refusal
from autodispatch.models.scenario import Invoice, InvoiceKey, Tenant
from autodispatch.models.text import Text, verbatim
from autodispatch.store.port import (
    Attempt,
    InvoiceDocuments,
    PendingEntry,
    PendingState,
    RecordPage,
    RunCounts,
    RunIssue,
    RunRef,
    RunSummary,
    Settlement,
)

PENDING, UNSENT = AutoDispatchState.PENDING, InvoiceStatus.UNSENT

# The stores' scripted faults, taken one at a time (a store may be deep-copied: no lock of its own).
_FAULTING = threading.Lock()


@dataclass
class Claim:
    attempt: Attempt
    lease_until: datetime


@dataclass
class StateItem:
    """One invoice's dispatch state, as the DynamoDB store's STATE# item holds it."""

    number: str
    source: Source
    created_at: datetime
    invoice_date: date
    status: InvoiceStatus = UNSENT
    state: AutoDispatchState = PENDING
    auto_dispatch: bool | None = None
    # The pending index's sort key: set exactly while PENDING and UNSENT.
    due_from: datetime | None = None
    claim: Claim | None = None
    history: list[HistoryEvent] = field(default_factory=list)
    channel: Channel | None = None
    sent_on: date | None = None
    message: Text | None = None
    details: Text | None = None
    delivery_events: set[str] = field(default_factory=set)

    @property
    def pending_unsent(self) -> bool:
        return self.state is PENDING and self.status is UNSENT


def _issue_key(issue: RunIssue) -> tuple[str, str, str, Text]:
    # As the store's issue items: one per invoice, state and message (a rewrite keeps one).
    return (issue.tenant_id, issue.invoice_id, issue.state.value, issue.message)


@dataclass
class _NightHold:
    run_id: str
    lease_until: datetime
    released: bool = False


class InMemoryInvoiceStore:
    """Implements `autodispatch.store.port.InvoiceStore` (checked in tests/fakes/conformance.py)."""

    def __init__(self) -> None:
        self.tenants: dict[str, Tenant] = {}
        self.documents: dict[InvoiceKey, Invoice] = {}
        self.invalid: dict[InvoiceKey, str] = {}
        self.items: dict[InvoiceKey, StateItem] = {}
        self.runs: dict[str, RunSummary] = {}
        self._email_stops: dict[str, Text] = {}
        self._issues: dict[str, dict[tuple[str, str, str, Text], RunIssue]] = defaultdict(dict)
        self._notified: dict[tuple[str, str, str], bool] = {}  # True while claimed
        self._notices: dict[tuple[str, str, str, Text], RunIssue] = {}
        self._nights: dict[date, _NightHold] = {}
        self.writes: list[str] = []
        self._faults: dict[str, list[BaseException]] = defaultdict(list)

    # Seeding and inspection ---------------------------------------------------------------------

    def add_tenant(self, tenant: Tenant) -> None:
        self.tenants[tenant.tenant_id] = tenant

    def add_invoice(
        self, invoice: Invoice, state: AutoDispatchState = PENDING, due_from: datetime | None = None
    ) -> None:
        """An invoice as an import leaves it (due from its creation unless said otherwise)."""
        self.documents[invoice.key] = invoice
        item = StateItem(
            number=invoice.number,
            source=invoice.source,
            created_at=invoice.created_at,
            invoice_date=invoice.invoice_date,
            status=invoice.status,
            state=state,
            auto_dispatch=invoice.auto_dispatch,
        )
        if item.pending_unsent:
            item.due_from = due_from or invoice.created_at
        self.items[invoice.key] = item

    def add_run(self, run: RunRef, started_at: datetime) -> None:
        """A run as its selection starts it (the summary its batches count into)."""
        self.runs[run.run_id] = RunSummary(run_id=run.run_id, run_date=run.run_date, started_at=started_at)

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
            # A factoring attempt follows a delivered invoice: nothing of the invoice is unfinished.
            unfinished_attempt=(
                claim.attempt.channel if claim is not None and claim.attempt.delivered is None else None
            ),
            delivered_unsettled=claim.attempt.delivered if claim is not None else None,
            unfinished_transmission=(
                claim.attempt.transmission if claim is not None and claim.attempt.delivered is None else None
            ),
        )

    def events(self, key: InvoiceKey) -> list[str]:
        return [event.event.value for event in self.items[key].history]

    def counts(self, run_id: str) -> RunCounts:
        return self.runs[run_id].counts

    # TenantStore --------------------------------------------------------------------------------

    def put_tenant(self, tenant: Tenant) -> None:
        self._write("put_tenant")
        self.tenants[tenant.tenant_id] = tenant

    def get_tenant(self, tenant_id: str) -> Tenant:
        if tenant_id not in self.tenants:
            raise NotFound.tenant(tenant_id)
        return self.tenants[tenant_id]

    def get_tenants(self, tenant_ids: Iterable[str]) -> dict[str, Tenant]:
        return {tenant_id: self.tenants[tenant_id] for tenant_id in tenant_ids if tenant_id in self.tenants}

    def list_tenants(self) -> list[Tenant]:
        return [self.tenants[tenant_id] for tenant_id in sorted(self.tenants)]

    # InvoiceDocumentStore -----------------------------------------------------------------------

    def put_invoices(self, invoices: Sequence[tuple[Invoice, InitialState]], now: datetime) -> None:
        latest = {invoice.key: (invoice, initial) for invoice, initial in invoices}
        self._write("put_invoices")
        for invoice, _ in latest.values():
            self.documents[invoice.key] = invoice
            self.invalid.pop(invoice.key, None)
        for invoice, initial in latest.values():
            self._put_state(invoice, initial, now)

    # ImportTransactions -------------------------------------------------------------------------

    @contextmanager
    def all_or_nothing(
        self, now: datetime, tenant_ids: Iterable[str], invoice_keys: Iterable[InvoiceKey]
    ) -> Iterator["InMemoryInvoiceStore"]:
        """The fake cannot die half-way: a failing block puts every table back as it was."""
        before = (dict(self.tenants), dict(self.documents), dict(self.invalid), dict(self.items))
        try:
            yield self
        except Exception as error:
            self.tenants, self.documents, self.invalid, self.items = before
            cause = (
                error.text if isinstance(error, AutodispatchError) and error.text else verbatim(str(error))
            )
            raise ImportIncomplete.said(Text.of("import.undone", cause=cause)) from error

    def recover_imports(self, now: datetime) -> None:
        return None  # nothing is ever left half-written in memory

    def _put_state(self, invoice: Invoice, initial: InitialState, now: datetime) -> None:
        old = self.items.get(invoice.key)
        if old is None:
            if initial.state is PENDING and initial.due_from is None:
                raise ValueError(f"a pending invoice needs its due instant: {invoice.key}")
            self.add_invoice(invoice, initial.state, initial.due_from)
            self.items[invoice.key].message = initial.message
            return
        if old.status is not UNSENT:
            return
        if invoice.status is InvoiceStatus.SENT:
            # Sent elsewhere since the last import: never dispatch it (R5).
            self._mark_sent(invoice.key, None, None, initial.message or verbatim(""), (), now, PENDING)
        elif old.pending_unsent and initial.due_from is not None:
            old.number, old.source = invoice.number, invoice.source
            old.created_at, old.invoice_date = invoice.created_at, invoice.invoice_date
            old.due_from = initial.due_from

    def get_invoices(self, keys: Iterable[InvoiceKey]) -> dict[InvoiceKey, Invoice]:
        documents = self.read_invoices(keys)
        if documents.invalid:
            raise InputError(
                [
                    FieldIssue("(stored document)", problem, key.tenant_id, key.invoice_id)
                    for key, problem in documents.invalid.items()
                ]
            )
        return documents.valid

    def read_invoices(self, keys: Iterable[InvoiceKey]) -> InvoiceDocuments:
        keys = list(keys)
        return InvoiceDocuments(
            valid={key: self.documents[key] for key in keys if key in self.documents},
            invalid={key: self.invalid[key] for key in keys if key in self.invalid},
        )

    # RecordStore --------------------------------------------------------------------------------

    def get_record(self, key: InvoiceKey) -> DispatchRecord:
        if key not in self.items:
            raise NotFound.invoice(key)
        return self.record(key)

    def get_records(self, keys: Iterable[InvoiceKey]) -> dict[InvoiceKey, DispatchRecord]:
        return {key: self.record(key) for key in keys if key in self.items}

    def list_records(self, tenant_id: str, state: AutoDispatchState | None = None) -> list[DispatchRecord]:
        return [self.record(key) for key in self._tenant_keys(tenant_id, state)]

    def records_page(
        self, tenant_id: str, state: AutoDispatchState | None, limit: int, after: str | None = None
    ) -> RecordPage:
        keys = [key for key in self._tenant_keys(tenant_id, state) if after is None or key.invoice_id > after]
        page = [self.record(key) for key in keys[:limit]]
        return RecordPage(records=page, resume_after=page[-1].invoice_id if len(keys) > limit else None)

    def _tenant_keys(self, tenant_id: str, state: AutoDispatchState | None) -> list[InvoiceKey]:
        keys = (key for key in self.items if key.tenant_id == tenant_id)
        return sorted(
            (key for key in keys if state is None or self.items[key].state is state),
            key=lambda key: key.invoice_id,
        )

    def pending(self, due_before: datetime) -> Iterator[PendingEntry]:
        for key, item in list(self.items.items()):
            if item.due_from is not None and item.due_from < due_before:
                yield PendingEntry(key=key, source=item.source, due_from=item.due_from)

    def pending_states(self, tenant_id: str) -> Iterator[PendingState]:
        for key in self._tenant_keys(tenant_id, PENDING):
            item = self.items[key]
            if item.status is UNSENT:
                yield PendingState(
                    key=key,
                    created_at=item.created_at,
                    invoice_date=item.invoice_date,
                    auto_dispatch=item.auto_dispatch,
                )

    def rekey(self, key: InvoiceKey, due_from: datetime) -> None:
        self._write("rekey")
        item = self.items.get(key)
        if item is not None and item.pending_unsent:
            item.due_from = due_from

    def turn_off(self, key: InvoiceKey, message: Text, event: HistoryEvent) -> None:
        self._write("turn_off")
        item = self.items.get(key)
        if item is not None and item.pending_unsent and item.claim is None:
            self._remove(item, message, event)

    # ClaimStore ---------------------------------------------------------------------------------

    def claim(
        self,
        key: InvoiceKey,
        attempt: Attempt,
        lease_until: datetime,
        events: Sequence[HistoryEvent],
        *,
        ended: Sequence[str] = (),
    ) -> Attempt | None:
        self._write("claim")
        found = self.items.get(key)
        staged = found.claim if found is not None and found.pending_unsent else None
        if staged is not None and staged.attempt.run_id in ended and staged.attempt.transmission:
            item = found
        else:
            item = self._claimable(key, attempt.run_id, attempt.started_at)
        assert item is not None
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
        _final(settlement)
        self._write("settle")
        self._apply(self._claimed(key, run_id), settlement)

    def settle_unclaimed(self, key: InvoiceKey, run_id: str, settlement: Settlement, now: datetime) -> None:
        _final(settlement)
        self._write("settle_unclaimed")
        self._apply(self._claimable(key, run_id, now), settlement)

    def settle_left_by_run(
        self, key: InvoiceKey, run_id: str, claimant: str, settlement: Settlement, now: datetime
    ) -> None:
        _final(settlement)
        self._write("settle_left_by_run")
        item = self.items.get(key)
        claim = item.claim if item is not None else None
        if (
            item is not None
            and item.pending_unsent
            and claim
            and claim.attempt.run_id.startswith(f"{run_id}/")
        ):
            self._apply(item, settlement)
        else:
            self._apply(self._claimable(key, claimant, now), settlement)

    def release(self, key: InvoiceKey, run_id: str, events: Sequence[HistoryEvent]) -> None:
        self._write("release")
        item = self._claimed(key, run_id)
        item.claim = None
        item.history.extend(events)

    # UserActionStore ----------------------------------------------------------------------------

    def remove_auto(self, key: InvoiceKey, message: Text, event: HistoryEvent) -> None:
        self._write("remove_auto")
        item = self.items.get(key)
        if item is None:
            raise NotFound.invoice(key)
        if not item.pending_unsent or item.claim is not None:
            raise _refused(UserAction.REMOVE_AUTO, key, item)
        self._remove(item, message, event)
        # The user's choice: a later activation must not decide otherwise (R2).
        item.auto_dispatch = False
        item.details = None

    def restore_auto(self, key: InvoiceKey, due_from: datetime, event: HistoryEvent) -> None:
        self._write("restore_auto")
        item = self.items.get(key)
        if item is None:
            raise NotFound.invoice(key)
        if item.state is not AutoDispatchState.REMOVED or item.status is not UNSENT:
            raise _refused(UserAction.RESTORE_AUTO, key, item)
        item.state, item.auto_dispatch, item.due_from = PENDING, True, due_from
        item.message = item.details = None
        item.history.append(event)

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
        self._write("mark_sent_manually")
        ends_sent_from = AutoDispatchState.REMOVED if removed_for_the_send else PENDING
        self._mark_sent(key, channel, sent_on, message, events, events[-1].at, ends_sent_from)

    def add_user_event(self, key: InvoiceKey, event: HistoryEvent) -> None:
        self._write("add_user_event")
        if key not in self.items:
            raise NotFound.invoice(key)
        self.items[key].history.append(event)

    # RunLog -------------------------------------------------------------------------------------

    def put_run(self, run: RunSummary) -> None:
        self._write("put_run")
        self.runs[run.run_id] = run

    def add_run_counts(self, run: RunRef, counts: RunCounts) -> None:
        if counts == RunCounts():
            return
        self._write("add_run_counts")
        summary = self.runs.get(run.run_id)
        if summary is None or summary.run_date != run.run_date:
            raise NotFound.run(run.run_id)
        old = summary.counts.model_dump()
        added = {name: old[name] + value for name, value in counts.model_dump().items()}
        self.runs[run.run_id] = summary.model_copy(update={"counts": RunCounts(**added)})

    def get_run(self, run_id: str) -> RunSummary:
        if run_id not in self.runs:
            raise NotFound.run(run_id)
        return self.runs[run_id]

    def list_runs(self, limit: int = 20) -> list[RunSummary]:
        newest = sorted(self.runs.values(), key=lambda run: (run.run_date, run.run_id), reverse=True)
        return newest[:limit]

    def add_run_issues(self, run: RunRef, issues: Sequence[RunIssue]) -> None:
        self._write("add_run_issues")
        for issue in issues:
            self._issues[run.run_id][_issue_key(issue)] = issue

    def stop_email(self, run: RunRef, cause: Text) -> None:
        self._write("stop_email")
        summary = self.runs.get(run.run_id)
        if summary is not None and summary.run_date == run.run_date:
            self._email_stops.setdefault(run.run_id, cause)

    def email_stop(self, run: RunRef) -> Text | None:
        return self._email_stops.get(run.run_id)

    def run_issues(self, run_id: str) -> list[RunIssue]:
        found = self._issues.get(run_id, {})
        return [found[key] for key in sorted(found)]

    def run_issue_tenants(self, run_id: str) -> list[tuple[str, int]]:
        return list(Counter(issue.tenant_id for issue in self.run_issues(run_id)).items())

    def tenant_run_issues(self, run_id: str, first_tenant: str, last_tenant: str) -> list[RunIssue]:
        return [issue for issue in self.run_issues(run_id) if first_tenant <= issue.tenant_id <= last_tenant]

    def claim_notification(self, run_id: str, tenant_id: str, kind: str) -> bool:
        self._write("claim_notification")
        marker = (run_id, tenant_id, kind)
        if self._notified.get(marker, False):
            return False  # claimed before, and not given back
        self._notified[marker] = True
        return True

    def release_notification(self, run_id: str, tenant_id: str, kind: str) -> None:
        self._write("release_notification")
        self._notified[(run_id, tenant_id, kind)] = False

    def hold_night(self, run: RunRef, lease_until: datetime, now: datetime) -> str | None:
        self._write("hold_night")
        held = self._nights.get(run.run_date)
        if held is None or held.run_id == run.run_id or held.released or held.lease_until < now:
            self._nights[run.run_date] = _NightHold(run.run_id, lease_until)
            return None
        return held.run_id

    def night_holder(self, run_date: date) -> str | None:
        held = self._nights.get(run_date)
        return held.run_id if held else None

    def release_night(self, run: RunRef) -> None:
        held = self._nights.get(run.run_date)
        if held is not None and held.run_id == run.run_id:
            self._write("release_night")
            held.released = True

    # DeliveryFeedbackStore ----------------------------------------------------------------------

    def record_delivery_event(self, key: InvoiceKey, event_id: str, event: HistoryEvent) -> bool:
        self._write("record_delivery_event")
        item = self.items.get(key)
        if item is None:
            raise NotFound.invoice(key)
        if event_id in item.delivery_events:
            return False
        item.delivery_events.add(event_id)
        item.history.append(event)
        return True

    def reopen_after_bounce(
        self,
        key: InvoiceKey,
        event_id: str,
        *,
        due_from: datetime,
        message: Text,
        events: Sequence[HistoryEvent],
    ) -> bool:
        self._write("reopen_after_bounce")
        item = self._sent_by_email(key, event_id)
        if item is None:
            return False
        item.state, item.status, item.message, item.due_from = PENDING, UNSENT, message, due_from
        item.details = item.channel = item.sent_on = None
        item.history.extend(events)
        return True

    def fail_after_bounce(
        self, key: InvoiceKey, event_id: str, *, message: Text, details: Text, events: Sequence[HistoryEvent]
    ) -> bool:
        self._write("fail_after_bounce")
        item = self._sent_by_email(key, event_id)
        if item is None:
            return False
        item.state, item.status = AutoDispatchState.FAILED, UNSENT
        item.message, item.details = message, details
        item.channel = item.sent_on = None
        item.history.extend(events)
        return True

    def add_notice(self, issue: RunIssue) -> None:
        self._write("add_notice")
        self._notices[_issue_key(issue)] = issue

    def notices(self) -> list[RunIssue]:
        return [self._notices[key] for key in sorted(self._notices)]

    def clear_notices(self, issues: Sequence[RunIssue]) -> None:
        self._write("clear_notices")
        for issue in issues:
            self._notices.pop(_issue_key(issue), None)

    # Conditions ---------------------------------------------------------------------------------

    def _write(self, method: str) -> None:
        with _FAULTING:  # a batch's workers write at once: one scripted fault each
            fault = self._faults[method].pop(0) if self._faults[method] else None
        if fault is not None:
            raise fault
        self.writes.append(method)

    def _claimable(self, key: InvoiceKey, claimant: str, now: datetime) -> StateItem:
        item = self.items.get(key)
        if item is None or not item.pending_unsent:
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

    def _sent_by_email(self, key: InvoiceKey, event_id: str) -> StateItem | None:
        """The item while it is still SENT by email; None when the event was handled before."""
        item = self.items.get(key)
        if item is None:
            raise NotFound.invoice(key)
        if event_id in item.delivery_events:
            return None
        if item.state is not AutoDispatchState.SENT or item.channel is not Channel.EMAIL:
            raise ConcurrentUpdate(f"Invoice {key} is no longer sent by email ({_why_not(item)})")
        item.delivery_events.add(event_id)
        return item

    def _mark_sent(
        self,
        key: InvoiceKey,
        channel: Channel | None,
        sent_on: date | None,
        message: Text,
        events: Sequence[HistoryEvent],
        now: datetime,
        ends_sent_from: AutoDispatchState,
    ) -> None:
        """Status UNSENT -> SENT; automatic dispatch ends SENT if it was in `ends_sent_from` and
        otherwise keeps its state (e.g. FAILED, with the details that explain it)."""
        item = self.items.get(key)
        if item is None:
            raise NotFound.invoice(key)
        if item.status is not UNSENT:
            raise InvalidTransition.refused(MARK_SENT, key, Text.of("refusal.already_sent"))
        if item.claim is not None and item.claim.lease_until >= now:
            raise InvalidTransition.refused(MARK_SENT, key, Text.of("refusal.run_busy"))
        item.status, item.message = InvoiceStatus.SENT, message
        item.claim = item.due_from = None
        item.history.extend(events)
        if channel is not None:
            item.channel = channel
        if sent_on is not None:
            item.sent_on = sent_on
        if item.state is ends_sent_from:
            item.state, item.details = AutoDispatchState.SENT, None

    @staticmethod
    def _remove(item: StateItem, message: Text, event: HistoryEvent) -> None:
        item.state, item.message, item.due_from = AutoDispatchState.REMOVED, message, None
        item.history.append(event)

    @staticmethod
    def _apply(item: StateItem, settlement: Settlement) -> None:
        item.state = settlement.state
        item.message = settlement.message
        item.details = settlement.details
        item.history.extend(settlement.events)
        item.claim = item.due_from = None
        if settlement.state is AutoDispatchState.SENT:
            item.status = InvoiceStatus.SENT
        item.channel = settlement.channel
        item.sent_on = settlement.sent_on


def _final(settlement: Settlement) -> None:
    if not settlement.state.is_final:
        raise ValueError(f"a settlement ends in SENT, IGNORED or FAILED, not {settlement.state}")


def _refused(action: UserAction, key: InvoiceKey, item: StateItem) -> InvalidTransition:
    reason = stored_refusal(action, item.status, item.state, claimed=item.claim is not None)
    return InvalidTransition.refused(action, key, reason)


def _why_not(item: StateItem) -> str:
    if item.status is not UNSENT:
        return "it is already sent"
    return f"its automatic dispatch is {item.state}"
