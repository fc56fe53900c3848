"""All-or-nothing imports (R25): an undo journal of before-images.

Before an import first writes an item, the item as it was (or that it did not exist) is written to
the import's journal: ``IMPORTS`` / ``IMPORT#<token>`` is the header (status and lease) and
``IMPORTS`` / ``IMPORT#<token>#<part>`` hold the before-images. Every item the import writes
carries the import's token (``import_token``).

- A write fails: the import restores every before-image and deletes every item it created, each
  only while the item is still as the import left it (its token, its history length, no new
  claim), so what a run or a user did meanwhile is kept (and named). Then the journal goes.
- The process dies mid-import or mid-undo: the journal stays open. The next import, once the
  journal's lease has run out, finishes the undo before it writes anything.
- Every write succeeded: the header becomes COMMITTED (the import's commit point), then the
  journal is deleted; a journal found COMMITTED is only deleted.

DynamoDB's transactions would bound an import to 100 items; the journal has no such bound, and
the night's writes (claims, outcomes) stay single conditional writes that know nothing of it.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Self

from autodispatch.errors import AutodispatchError, ImportIncomplete
from autodispatch.models.text import Text, listed, verbatim
from autodispatch.observability import logger
from autodispatch.store.dynamodb import items
from autodispatch.store.dynamodb.client import ConditionFailed, TableClient
from autodispatch.store.dynamodb.expressions import Expression
from autodispatch.store.dynamodb.items import Item, instant, key, parse_instant, typed
from autodispatch.store.table_schema import PARTITION_KEY, SORT_KEY

if TYPE_CHECKING:
    from autodispatch.models.scenario import InvoiceKey

JOURNAL_PARTITION = "IMPORTS"
IMPORT_TOKEN = "import_token"  # noqa: S105 - an attribute name, no secret
# An import renews its lease while it writes; a journal whose lease ran out belongs to a process
# that died, and the next import undoes it.
IMPORT_LEASE = timedelta(minutes=10)
_RENEW_AFTER_SECONDS = IMPORT_LEASE.total_seconds() / 5
# Before-images per journal item: well under DynamoDB's 400 KB, since one invoice document at
# every maximum is about 330 KB and must fit alone.
_PART_BYTES = 300_000
_OPEN, _COMMITTED = "OPEN", "COMMITTED"

Ident = tuple[str, str]


def _ident(item_key: Item) -> Ident:
    return item_key[PARTITION_KEY]["S"], item_key[SORT_KEY]["S"]


def _typed_item(plain_item: dict[str, Any]) -> Item:
    return {name: typed(value) for name, value in plain_item.items()}


def _undo_order(ident: Ident) -> int:
    """State items first, then documents, then tenants: a state item (and so a run) never exists
    without its document, also halfway through an undo."""
    sort_key = ident[1]
    return 0 if sort_key.startswith("STATE#") else 1 if sort_key.startswith("DOC#") else 2


@dataclass
class _Entry:
    """One item's before-image (None: it did not exist) and what the import leaves of it: the
    length of its history, and whether it had a claim before."""

    before: Item | None
    history_after: int
    claimed_before: bool

    def typed(self, ident: Ident) -> dict[str, Any]:
        values: dict[str, Any] = {
            "pk": {"S": ident[0]},
            "sk": {"S": ident[1]},
            "history": {"N": str(self.history_after)},
            "claimed": {"BOOL": self.claimed_before},
        }
        if self.before is not None:
            values["before"] = {"M": self.before}
        return {"M": values}


def _entry(before: dict[str, Any] | None) -> _Entry:
    if before is None:
        return _Entry(before=None, history_after=0, claimed_before=False)
    return _Entry(
        before=_typed_item(before),
        history_after=len(before.get("history", [])),
        claimed_before=bool(before.get("claim")),
    )


class UndoJournal:
    """The journal of one import, written through the plain (unjournaled) table client."""

    def __init__(self, table: TableClient, token: str, lease_until: datetime) -> None:
        self.table = table
        self.token = token
        self.lease_until = lease_until
        self.entries: dict[Ident, _Entry] = {}
        self._parts = 0
        self._renewed = time.monotonic()

    @classmethod
    def open(cls, table: TableClient, now: datetime) -> Self:
        journal = cls(table, uuid.uuid4().hex, now + IMPORT_LEASE)
        table._put(
            {
                **journal._header_key(),
                "status": {"S": _OPEN},
                "lease_until": {"S": instant(journal.lease_until)},
                "started_at": {"S": instant(now)},
            }
        )
        return journal

    def _header_key(self) -> Item:
        return key(JOURNAL_PARTITION, f"IMPORT#{self.token}")

    # Journaling (before each write) ----------------------------------------------------------

    def capture(self, keys: Iterable[Item]) -> None:
        """Journal the before-images of the keys not journaled yet, read in batches."""
        new = list({_ident(k): k for k in keys if _ident(k) not in self.entries}.values())
        if not new:
            return
        found = {(item[PARTITION_KEY], item[SORT_KEY]): item for item in self.table._batch_get(new)}
        captured = {_ident(k): _entry(found.get(_ident(k))) for k in new}
        self._write(captured)
        self.entries.update(captured)

    def before_put(self, item: Item, *, conditional: bool) -> Item:
        """Journal the item's before-image, then return it stamped with the import's token. A put
        replaces the history, unless it is conditional on an item that existed (then it fails)."""
        ident = _ident(item)
        self._known(item)
        entry = self.entries[ident]
        if not conditional or entry.before is None:
            self._expect(ident, len(item.get("history", {}).get("L", [])))
        return {**item, IMPORT_TOKEN: {"S": self.token}}

    def before_update(self, item_key: Item, expression: Expression, update: str) -> str:
        """Journal the item's before-image and the history the update appends; return the update
        with the token stamped."""
        ident = _ident(item_key)
        self._known(item_key)
        self._expect(ident, self.entries[ident].history_after + expression.appended)
        stamp = f"{expression.n(IMPORT_TOKEN)} = {expression.v(self.token)}"
        return (
            f"SET {stamp}, {update.removeprefix('SET ')}"
            if update.startswith("SET ")
            else f"SET {stamp} {update}"
        )

    def before_batch(self, requests: Sequence[Item]) -> list[Item]:
        """Journal every item of a batch write; return the put requests stamped."""
        keys = [
            request["PutRequest"]["Item"] if "PutRequest" in request else request["DeleteRequest"]["Key"]
            for request in requests
        ]
        self.capture(keys)
        stamped: list[Item] = []
        for request in requests:
            if "PutRequest" not in request:
                stamped.append(request)
                continue
            item = request["PutRequest"]["Item"]
            self._expect(_ident(item), len(item.get("history", {}).get("L", [])))
            stamped.append({"PutRequest": {"Item": {**item, IMPORT_TOKEN: {"S": self.token}}}})
        self._renew_if_due()
        return stamped

    def _known(self, item_key: Item) -> None:
        self.capture([item_key])
        self._renew_if_due()

    def _expect(self, ident: Ident, history_after: int) -> None:
        entry = self.entries[ident]
        if entry.history_after != history_after:
            changed = _Entry(entry.before, history_after, entry.claimed_before)
            self._write({ident: changed})  # written ahead: a crash after the write still finds it
            self.entries[ident] = changed

    def _write(self, entries: dict[Ident, _Entry]) -> None:
        parts: list[list[dict[str, Any]]] = [[]]
        size = 0
        for ident, entry in entries.items():
            value = entry.typed(ident)
            value_size = len(json.dumps(value))
            if parts[-1] and size + value_size > _PART_BYTES:
                parts.append([])
                size = 0
            parts[-1].append(value)
            size += value_size
        requests = []
        for part in parts:
            self._parts += 1
            part_key = key(JOURNAL_PARTITION, f"IMPORT#{self.token}#{self._parts:06d}")
            requests.append({"PutRequest": {"Item": {**part_key, "entries": {"L": part}}}})
        self.table._batch_write(requests)

    def _renew_if_due(self) -> None:
        elapsed = time.monotonic() - self._renewed
        if elapsed < _RENEW_AFTER_SECONDS:
            return
        lease_until = self.lease_until + timedelta(seconds=elapsed)
        e = Expression()
        try:
            self.table._update(
                self._header_key(),
                e,
                f"SET {e.n('lease_until')} = {e.v(instant(lease_until))}",
                f"{e.n('status')} = {e.v(_OPEN)}",
            )
        except ConditionFailed:
            raise ImportIncomplete.said(Text.of("import.lease_lost")) from None
        self.lease_until, self._renewed = lease_until, time.monotonic()

    # Ending ----------------------------------------------------------------------------------

    def commit(self) -> None:
        """The commit point: from here on the import stands, whatever happens to the journal."""
        e = Expression()
        try:
            update = f"SET {e.n('status')} = {e.v(_COMMITTED)}"
            self.table._update(self._header_key(), e, update, f"{e.n('status')} = {e.v(_OPEN)}")
        except ConditionFailed:
            raise ImportIncomplete.said(Text.of("import.not_committed")) from None

    def forget(self) -> None:
        """Delete the journal of an import that ended (committed or undone); a journal that cannot
        be deleted now is deleted by the next import (undoing it again changes nothing)."""
        try:
            self._delete()
        except AutodispatchError as error:
            # The import's token and the error's type: its text may quote keys or values.
            logger.warning(
                "import journal left for the next import",
                extra={"import_token": self.token, "error_type": type(error).__name__},
            )

    def undo(self) -> list[Ident]:
        """Put every journaled item back as it was, where the import's write is still the last one;
        returns the items that changed since and were kept as they are."""
        kept: list[Ident] = []
        for ident, entry in sorted(self.entries.items(), key=lambda pair: _undo_order(pair[0])):
            e = Expression()
            history = e.n("history")
            conditions = [
                f"{e.n(IMPORT_TOKEN)} = {e.v(self.token)}",
                f"(attribute_not_exists({history}) OR size({history}) = {e.v(entry.history_after)})",
            ]
            if not entry.claimed_before:
                conditions.append(f"attribute_not_exists({e.n('claim')})")
            params: dict[str, Any] = {
                "ConditionExpression": " AND ".join(conditions),
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                **e.params(),
            }
            try:
                if entry.before is None:
                    self.table._on_table("delete_item", Key=key(*ident), **params)
                else:
                    self.table._on_table("put_item", Item=entry.before, **params)
            except ConditionFailed as failed:  # never written by this import, or changed since
                if failed.old is not None and failed.old.get(IMPORT_TOKEN) == self.token:
                    kept.append(ident)
        self.forget()
        return kept

    def _delete(self) -> None:
        parts = [
            {"DeleteRequest": {"Key": key(JOURNAL_PARTITION, f"IMPORT#{self.token}#{part:06d}")}}
            for part in range(1, self._parts + 1)
        ]
        self.table._batch_write(parts)
        self.table._on_table("delete_item", Key=self._header_key())

    @classmethod
    def taken_over(
        cls, table: TableClient, token: str, lease_until: datetime, parts: Sequence[dict[str, Any]]
    ) -> Self:
        """The journal of a dead import, rebuilt from its parts in the order they were written."""
        journal = cls(table, token, lease_until)
        for part in parts:
            journal._parts = max(journal._parts, int(str(part[SORT_KEY]).rpartition("#")[2]))
            for value in part["entries"]:
                ident = (value["pk"], value["sk"])
                first = journal.entries.get(ident)
                before = _typed_item(value["before"]) if "before" in value else None
                journal.entries[ident] = _Entry(
                    before=before if first is None else first.before,
                    history_after=int(value["history"]),
                    claimed_before=bool(value["claimed"]) if first is None else first.claimed_before,
                )
        return journal


def _words(error: AutodispatchError) -> Text:
    """The error's words as data where it said them so, else its own text as it is."""
    return error.text if error.text is not None else verbatim(str(error))


def _described(kept: Sequence[Ident]) -> Text:
    names = []
    for partition, sort_key in kept:
        kind, _, name = sort_key.partition("#")
        tenant = partition.removeprefix("TENANT#")
        if kind == "TENANT":
            names.append(Text.of("issue.tenant", tenant=name))
        else:
            names.append(Text.of("issue.invoice", invoice=f"{tenant}/{name}"))
    return listed(tuple(dict.fromkeys(names)))


class ImportJournalTable(TableClient):
    @contextmanager
    def all_or_nothing(
        self, now: datetime, tenant_ids: Iterable[str], invoice_keys: Iterable[InvoiceKey]
    ) -> Iterator[Self]:
        try:
            journal = UndoJournal.open(self, now)
        except AutodispatchError as error:
            raise ImportIncomplete.said(Text.of("import.not_started", cause=_words(error))) from error
        try:
            keys = [items.tenant_key(tenant_id) for tenant_id in tenant_ids]
            for invoice_key in invoice_keys:
                keys += [items.doc_key(invoice_key), items.state_key(invoice_key)]
            journal.capture(keys)
            journaled = copy.copy(self)
            journaled._journal = journal
            yield journaled
            journal.commit()
        except Exception as error:
            raise self._undone(journal, error) from error
        journal.forget()

    @staticmethod
    def _undone(journal: UndoJournal, error: Exception) -> ImportIncomplete:
        cause = (
            _words(error)
            if isinstance(error, AutodispatchError)
            else verbatim(f"{type(error).__name__}: {error}")
        )
        try:
            kept = journal.undo()
        except AutodispatchError as undo_error:
            return ImportIncomplete.said(Text.of("import.undo_failed", cause=cause, undo=_words(undo_error)))
        if kept:
            return ImportIncomplete.said(Text.of("import.partly_kept", cause=cause, kept=_described(kept)))
        return ImportIncomplete.said(Text.of("import.undone", cause=cause))

    def recover_imports(self, now: datetime) -> None:
        """Finish what imports that died left: undo an open journal whose lease ran out, delete a
        committed one."""
        journals: dict[str, dict[str, Any]] = {}
        parts: dict[str, list[dict[str, Any]]] = {}
        for item in self._query_prefix(JOURNAL_PARTITION, "IMPORT#"):
            token, _, part = item[SORT_KEY].removeprefix("IMPORT#").partition("#")
            if part:
                parts.setdefault(token, []).append(item)
            else:
                journals[token] = item
        for token, header in journals.items():
            lease_until = parse_instant(header["lease_until"])
            if header["status"] == _OPEN and lease_until >= now:
                continue  # a live import's
            taken = self._take_over(token, header, now)
            if taken is None:
                continue
            journal = UndoJournal.taken_over(
                self, token, taken, sorted(parts.get(token, []), key=lambda p: p[SORT_KEY])
            )
            if header["status"] == _COMMITTED:
                journal.forget()
                continue
            kept = journal.undo()
            logger.warning("undid an import that died", extra={"import_token": token, "kept": len(kept)})

    def _take_over(self, token: str, header: dict[str, Any], now: datetime) -> datetime | None:
        """Take a dead import's journal for this process (a conditional write, so one recoverer
        at a time); None when another one got it first."""
        lease_until = now + IMPORT_LEASE
        e = Expression()
        with suppress(ConditionFailed):
            self._update(
                key(JOURNAL_PARTITION, f"IMPORT#{token}"),
                e,
                f"SET {e.n('lease_until')} = {e.v(instant(lease_until))}",
                f"{e.n('lease_until')} = {e.v(header['lease_until'])}",
            )
            return lease_until
        return None
