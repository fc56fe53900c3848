"""Invoice documents (``DOC#``), their dispatch-state items (``STATE#``) and the pending index.

A state item is created once at import; later imports update its document facts and, while it
is pending, its due instant. Only the item's own state (or a user or run) changes it further.
"""

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from datetime import date, datetime
from typing import Any

from autodispatch.errors import FieldIssue, InputError, NotFound
from autodispatch.models.dispatch import DispatchRecord, InitialState
from autodispatch.models.enums import AutoDispatchState, InvoiceStatus
from autodispatch.models.loading import invoice_or_issues
from autodispatch.models.scenario import Invoice, InvoiceKey
from autodispatch.models.text import verbatim
from autodispatch.store.dynamodb import items
from autodispatch.store.dynamodb.client import ConditionFailed
from autodispatch.store.dynamodb.expressions import Expression, update_expression
from autodispatch.store.dynamodb.items import PENDING, UNSENT, instant
from autodispatch.store.dynamodb.user_actions import UserActionTable
from autodispatch.store.port import InvoiceDocuments, PendingState, RecordPage
from autodispatch.store.table_schema import (
    PARTITION_KEY,
    SORT_KEY,
)


def _document_facts(invoice: Invoice) -> dict[str, Any]:
    """What the state item repeats of the document, so lists and re-keying need no document."""
    return {
        "number": invoice.number,
        "source": invoice.source.value,
        "created_at": instant(invoice.created_at),
        "invoice_date": invoice.invoice_date.isoformat(),
    }


def _new_state(invoice: Invoice, initial: InitialState) -> dict[str, Any]:
    # The invoice's ids are the item's key (`items.state_ids`): not repeated as attributes.
    values: dict[str, Any] = {
        **_document_facts(invoice),
        "status": invoice.status.value,
        # Kept only when explicit: an activation turns off older invoices unless set on (R2).
        "auto_dispatch": invoice.auto_dispatch,
        "history": [],
        "state": initial.state.value,
        "message": initial.message,
    }
    if initial.state is AutoDispatchState.PENDING:
        if initial.due_from is None:
            raise ValueError(f"a pending invoice needs its due instant: {invoice.key}")
        values.update(items.index_values(invoice.key, initial.due_from))
    return values


def _state_filter(state: AutoDispatchState | None) -> Callable[[Expression], str] | None:
    return None if state is None else (lambda e: f"{e.n('state')} = {e.v(state.value)}")


class InvoiceTable(UserActionTable):
    # Items one filtered Query request reads at least (a state filter drops the others after reading).
    filtered_read_size = 200
    # Items one page may read in all before it is returned short: bounds an API request's time.
    page_read_budget = 5000

    def put_invoices(self, invoices: Sequence[tuple[Invoice, InitialState]], now: datetime) -> None:
        latest = {invoice.key: (invoice, initial) for invoice, initial in invoices}  # each key once
        # Documents first: a state item (and so a run) never exists without its document.
        self._batch_write([self._document_request(key, invoice) for key, (invoice, _) in latest.items()])
        for invoice, initial in latest.values():
            self._put_state(invoice, initial, now)

    @staticmethod
    def _document_request(key: InvoiceKey, invoice: Invoice) -> dict[str, Any]:
        return {
            "PutRequest": {
                "Item": {**items.doc_key(key), **items.attributes({"doc": invoice.model_dump_json()})}
            }
        }

    def _put_state(self, invoice: Invoice, initial: InitialState, now: datetime) -> None:
        key = invoice.key
        try:
            self._put(
                {**items.state_key(key), **items.attributes(_new_state(invoice, initial))},
                f"attribute_not_exists({PARTITION_KEY})",
            )
            return
        except ConditionFailed as failed:
            old = failed.old
        if old is None or old.get("status") != UNSENT:
            return
        if invoice.status is InvoiceStatus.SENT:
            # Sent elsewhere since the last import: never dispatch it (R5).
            self._mark_sent(
                key, channel=None, sent_on=None, message=initial.message or verbatim(""), events=(), now=now
            )
        elif old.get("state") == PENDING and initial.due_from is not None:
            self._rekey(key, initial.due_from, _document_facts(invoice))

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
        valid: dict[InvoiceKey, Invoice] = {}
        invalid: dict[InvoiceKey, str] = {}
        for item in self._batch_get(map(items.doc_key, keys)):
            key = InvoiceKey(
                tenant_id=item[PARTITION_KEY].removeprefix("TENANT#"),
                invoice_id=item[SORT_KEY].removeprefix("DOC#"),
            )
            try:
                parsed = invoice_or_issues(json.loads(item["doc"]), key)
            except json.JSONDecodeError as error:
                invalid[key] = f"the stored document is not JSON ({error.msg})"
                continue
            if isinstance(parsed, Invoice):
                valid[key] = parsed
            else:
                invalid[key] = "; ".join(f"field '{issue.field}': {issue.message}" for issue in parsed)
        return InvoiceDocuments(valid=valid, invalid=invalid)

    def get_record(self, key: InvoiceKey) -> DispatchRecord:
        item = self._get(items.state_key(key))
        if item is None:
            raise NotFound.invoice(key)
        return items.record(item)

    def get_records(self, keys: Iterable[InvoiceKey]) -> dict[InvoiceKey, DispatchRecord]:
        records = (items.record(item) for item in self._batch_get(map(items.state_key, keys)))
        return {
            InvoiceKey(tenant_id=record.tenant_id, invoice_id=record.invoice_id): record for record in records
        }

    def list_records(self, tenant_id: str, state: AutoDispatchState | None = None) -> list[DispatchRecord]:
        where = _state_filter(state)
        return [items.record(item) for item in self._query_prefix(f"TENANT#{tenant_id}", "STATE#", where)]

    def records_page(
        self, tenant_id: str, state: AutoDispatchState | None, limit: int, after: str | None = None
    ) -> RecordPage:
        where = _state_filter(state)
        # One record beyond the page tells whether another page follows.
        wanted = limit + 1
        found: list[dict[str, Any]] = []
        start = None if after is None else items.state_key(InvoiceKey(tenant_id=tenant_id, invoice_id=after))
        read = 0
        while True:
            size = wanted - len(found)
            if where is not None:  # the filter drops what it does not match after the read: read more
                size = min(max(size, self.filtered_read_size), self.page_read_budget - read)
            page = self._query_prefix_once(
                f"TENANT#{tenant_id}", "STATE#", where, limit=size, start_key=start
            )
            found += page.items
            read += page.read
            start = page.last_key
            if len(found) >= wanted:
                kept = [items.record(item) for item in found[:limit]]
                return RecordPage(records=kept, resume_after=kept[-1].invoice_id)
            if start is None:
                return RecordPage(records=[items.record(item) for item in found])
            if read >= self.page_read_budget:  # the rest of the partition waits for the next request
                stopped = items.plain(start)[SORT_KEY].removeprefix("STATE#")
                return RecordPage(records=[items.record(item) for item in found], resume_after=stopped)

    def pending_states(self, tenant_id: str) -> Iterator[PendingState]:
        for item in self._query_prefix(f"TENANT#{tenant_id}", "STATE#", Expression.pending_unsent):
            yield PendingState(
                key=items.state_ids(item),
                created_at=items.parse_instant(item["created_at"]),
                invoice_date=date.fromisoformat(item["invoice_date"]),
                auto_dispatch=item.get("auto_dispatch"),
            )

    def rekey(self, key: InvoiceKey, due_from: datetime) -> None:
        self._rekey(key, due_from)

    def _rekey(self, key: InvoiceKey, due_from: datetime, facts: Mapping[str, Any] | None = None) -> None:
        """Update a PENDING, UNSENT item's index position (and the document facts it repeats)."""
        e = Expression()
        values = {**(facts or {}), **items.index_values(key, due_from)}
        sets = [f"{e.n(name)} = {e.v(value)}" for name, value in values.items()]
        with suppress(ConditionFailed):  # no longer pending: its index entry must stay gone
            self._update(items.state_key(key), e, update_expression(sets), e.pending_unsent())
