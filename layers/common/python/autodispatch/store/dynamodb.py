"""The invoice store on one DynamoDB table (layout in table_schema and below).

Items (pk / sk):
- ``TENANTS`` / ``TENANT#<tenant>``: the tenant document (``doc``).
- ``TENANT#<tenant>`` / ``DOC#<invoice>``: the invoice document, written at import only.
- ``TENANT#<tenant>`` / ``STATE#<invoice>``: the small dispatch-state item every run writes, with
  its ``history``, the optional ``claim`` and, exactly while PENDING and UNSENT, the keys of the
  sparse pending index.
- ``RUNS`` / ``RUN#<run date>#<run>``: a run summary with its counters.
- ``RUN#<run>`` / ``RUN``: points to the summary (its run date), so get_run needs no Scan.
- ``RUN#<run>`` / ``ISSUE#<tenant>#<invoice>#<digest>``: a run's FAILED or IGNORED invoices.
- ``RUN#<run>`` / ``NOTIFIED#<tenant>``: the marker that makes a run notify a tenant once (R21).

Every state change is one conditional write that also appends its history events (R19, R23).
"""

from __future__ import annotations

import json
import queue
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from pydantic import ValidationError

from autodispatch.errors import (
    AutodispatchError,
    ConcurrentUpdate,
    FieldIssue,
    InputError,
    InvalidTransition,
    NotFound,
    TransientError,
)
from autodispatch.models.dispatch import DispatchRecord, HistoryEvent
from autodispatch.models.enums import AutoDispatchState, Channel, HistoryEventKind, InvoiceStatus, Source
from autodispatch.models.loading import invoice_or_issues
from autodispatch.models.scenario import Invoice, InvoiceKey, Tenant
from autodispatch.observability import logger
from autodispatch.rules.activation import auto_dispatch_default
from autodispatch.rules.due import due_from, due_from_dates, local_date
from autodispatch.store.port import (
    Attempt,
    InvoiceDocuments,
    PendingEntry,
    RunCounts,
    RunIssue,
    RunRef,
    RunSummary,
    Settlement,
)
from autodispatch.store.table_schema import (
    PARTITION_KEY,
    PENDING_INDEX,
    PENDING_INDEX_PARTITION_KEY,
    PENDING_INDEX_SORT_KEY,
    PENDING_SHARDS,
    SORT_KEY,
    TTL_ATTRIBUTE,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from autodispatch.store.port import InvoiceStore

Item = dict[str, Any]
"""An item as the client sends it: attribute name -> typed attribute value."""

IMPORTED_SENT_MESSAGE = "Imported as already sent; automatic dispatch does not apply"
TURNED_OFF_MESSAGE = "Automatic dispatch is turned off for this invoice"
BEFORE_ACTIVATION_MESSAGE = (
    "Created before automatic dispatch was activated; add automatic dispatch to the invoice to send it"
)
REMOVED_MESSAGE = "Automatic dispatch removed by the user"
SENT_MANUALLY_MESSAGE = "Sent manually"

# Throttling and server-side failures: worth retrying, never a verdict on the item (by code, not text).
_TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    }
)
_CONDITION_FAILED = "ConditionalCheckFailedException"
# Pending entries handed from a shard's reader to the selection at a time.
_PENDING_PAGE = 1000
_BATCH_WRITE_SIZE = 25
_BATCH_GET_SIZE = 100
_NOTICE_CLAIMED, _NOTICE_RELEASED = "CLAIMED", "RELEASED"
RUN_RECORD_RETENTION = timedelta(days=400)
_INDEX_ATTRIBUTES = (PENDING_INDEX_PARTITION_KEY, PENDING_INDEX_SORT_KEY, "due_from")

_PENDING = AutoDispatchState.PENDING.value
_UNSENT = InvoiceStatus.UNSENT.value

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class _ConditionFailed(Exception):
    """A conditional write lost; carries the item as it was (None when it does not exist)."""

    def __init__(self, old: dict[str, Any] | None) -> None:
        super().__init__("conditional check failed")
        self.old = old


# Keys and values ------------------------------------------------------------------------------


def _key(pk: str, sk: str) -> Item:
    return {PARTITION_KEY: {"S": pk}, SORT_KEY: {"S": sk}}


def _tenant_key(tenant_id: str) -> Item:
    return _key("TENANTS", f"TENANT#{tenant_id}")


def _doc_key(key: InvoiceKey) -> Item:
    return _key(f"TENANT#{key.tenant_id}", f"DOC#{key.invoice_id}")


def _state_key(key: InvoiceKey) -> Item:
    return _key(f"TENANT#{key.tenant_id}", f"STATE#{key.invoice_id}")


def _run_key(run_date: date, run_id: str) -> Item:
    return _key("RUNS", f"RUN#{run_date.isoformat()}#{run_id}")


def _run_pointer_key(run_id: str) -> Item:
    return _key(f"RUN#{run_id}", "RUN")


def _instant(value: datetime) -> str:
    """Fixed-width UTC text, so that string order is time order in keys and conditions."""
    if value.tzinfo is None:
        raise ValueError("a datetime without a time zone is not an instant")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _shard(key: InvoiceKey) -> str:
    # A stable hash (not hash(), which is salted per process) so an item always keeps its shard.
    digest = zlib.crc32(f"{key.tenant_id}\x00{key.invoice_id}".encode())
    return f"PENDING#{digest % PENDING_SHARDS:02d}"


def _index_sort_key(due: datetime, key: InvoiceKey) -> str:
    return f"{_instant(due)}#{key.tenant_id}#{key.invoice_id}"


def _index_values(key: InvoiceKey, due: datetime) -> dict[str, str]:
    return {
        PENDING_INDEX_PARTITION_KEY: _shard(key),
        PENDING_INDEX_SORT_KEY: _index_sort_key(due, key),
        "due_from": _instant(due),
    }


def _attributes(values: Mapping[str, Any]) -> Item:
    """Typed attribute values; None means "absent" rather than a NULL attribute."""
    return {name: _serializer.serialize(value) for name, value in values.items() if value is not None}


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def _events(events: Iterable[HistoryEvent]) -> list[dict[str, Any]]:
    return [event.model_dump(mode="json", exclude_none=True) for event in events]


def _attempt(claim: Mapping[str, Any] | None) -> Attempt | None:
    if not claim:
        return None
    return Attempt(
        run_id=claim["run_id"],
        channel=Channel(claim["channel"]),
        kind=claim["kind"],
        started_at=_parse_instant(claim["started_at"]),
        delivered=claim.get("delivered"),
    )


def _expiry(run_date: date) -> dict[str, int]:
    """When DynamoDB's TTL may delete a run's own items: long after anyone looks at the run."""
    expires = datetime.combine(run_date + RUN_RECORD_RETENTION, datetime.min.time(), tzinfo=UTC)
    return {TTL_ATTRIBUTE: int(expires.timestamp())}


def _tenant(item: Mapping[str, Any]) -> Tenant | None:
    try:
        return Tenant.model_validate_json(item["doc"])
    except ValidationError as error:
        # Field names only: the invalid values may be personal data.
        fields = sorted({".".join(map(str, detail["loc"])) for detail in error.errors(include_input=False)})
        logger.error(
            "stored tenant document is invalid",
            extra={"tenant_id": item[SORT_KEY].removeprefix("TENANT#"), "fields": fields},
        )
        return None


def _record(item: Mapping[str, Any]) -> DispatchRecord:
    return DispatchRecord(
        tenant_id=item["tenant_id"],
        invoice_id=item["invoice_id"],
        number=item.get("number"),
        status=InvoiceStatus(item["status"]),
        state=AutoDispatchState(item["state"]),
        channel=item.get("channel"),
        sent_on=item.get("sent_on"),
        message=item.get("message"),
        details=item.get("details"),
        history=tuple(HistoryEvent.model_validate(event) for event in item.get("history", [])),
        # A factoring attempt follows a delivered invoice: nothing of the invoice is unfinished.
        unfinished_attempt=(
            item["claim"]["channel"] if item.get("claim") and not item["claim"].get("delivered") else None
        ),
    )


def _run_summary(item: Mapping[str, Any]) -> RunSummary:
    return RunSummary(
        run_id=item["run_id"],
        run_date=date.fromisoformat(item["run_date"]),
        execution_arn=item.get("execution_arn"),
        started_at=_parse_instant(item["started_at"]),
        counts=RunCounts(
            selected=int(item.get("selected", 0)),
            sent=int(item.get("sent", 0)),
            ignored=int(item.get("ignored", 0)),
            failed=int(item.get("failed", 0)),
        ),
    )


class _Expression:
    """Placeholders for one request: every name is aliased (state, status, source... are reserved)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: Item = {}

    def n(self, *path: str) -> str:
        for name in path:
            self.names[f"#{name}"] = name
        return ".".join(f"#{name}" for name in path)

    def v(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = _serializer.serialize(value)
        return placeholder

    def append_history(self, events: Iterable[HistoryEvent]) -> str:
        history = self.n("history")
        return f"{history} = list_append(if_not_exists({history}, {self.v([])}), {self.v(_events(events))})"

    def claimable(self, run_id: str, now: datetime) -> str:
        """PENDING, UNSENT and free: unclaimed, claimed by this run, or its lease ran out (R10, R23)."""
        return (
            f"{self.n('state')} = {self.v(_PENDING)} AND {self.n('status')} = {self.v(_UNSENT)} AND "
            f"(attribute_not_exists({self.n('claim')}) OR {self.n('claim', 'run_id')} = {self.v(run_id)} "
            f"OR {self.n('claim', 'lease_until')} < {self.v(_instant(now))})"
        )

    def claimable_after_run(self, run_id: str, claimant: str, now: datetime) -> str:
        """Claimable, or claimed by any invocation of run `run_id` (claimants are `run_id/...`)."""
        return (
            f"({self.claimable(claimant, now)}) OR ({self.n('state')} = {self.v(_PENDING)} AND "
            f"{self.n('status')} = {self.v(_UNSENT)} AND "
            f"begins_with({self.n('claim', 'run_id')}, {self.v(run_id + '/')}))"
        )

    def claimed_by(self, run_id: str) -> str:
        return f"{self.n('claim', 'run_id')} = {self.v(run_id)}"

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self.names:
            params["ExpressionAttributeNames"] = self.names
        if self.values:
            params["ExpressionAttributeValues"] = self.values
        return params


def _update_expression(sets: Sequence[str], removes: Sequence[str] = ()) -> str:
    parts = []
    if sets:
        parts.append("SET " + ", ".join(sets))
    if removes:
        parts.append("REMOVE " + ", ".join(removes))
    return " ".join(parts)


def _why_not(old: Mapping[str, Any] | None, run_id: str | None, now: datetime | None) -> str:
    """The reason a conditional write on a state item lost, from the item as it was."""
    if old is None:
        return "it does not exist"
    if old.get("status") != _UNSENT:
        return "it is already sent"
    if old.get("state") != _PENDING:
        return f"its automatic dispatch is {old.get('state')}"
    claim = old.get("claim")
    if claim and claim.get("run_id") != run_id:
        if now is None or claim.get("lease_until", "") >= _instant(now):
            return f"it is claimed by run {claim.get('run_id')} until {claim.get('lease_until')}"
        return "its expired claim by another run has not been taken over"
    if run_id is not None and not claim:
        return "it is not claimed by this run"
    return "it was changed by another writer"


class DynamoDbInvoiceStore:
    """InvoiceStore on DynamoDB. `zone` is the deployment's time zone (R1)."""

    def __init__(
        self,
        table_name: str,
        zone: ZoneInfo,
        client: DynamoDBClient | None = None,
        *,
        query_limit: int | None = None,
        max_batch_attempts: int = 8,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.table_name = table_name
        self.zone = zone
        self._client = client
        self._query_limit = query_limit
        self._max_batch_attempts = max_batch_attempts
        self._sleep = sleep

    @property
    def client(self) -> DynamoDBClient:
        # Created on first use: importing the module or building the store needs no AWS setup.
        if self._client is None:
            self._client = boto3.client("dynamodb")
        return self._client

    # Plumbing ---------------------------------------------------------------------------------

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        method: Callable[..., dict[str, Any]] = getattr(self.client, operation)
        try:
            return method(**params)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == _CONDITION_FAILED:
                # Present when the write asked for ReturnValuesOnConditionCheckFailure=ALL_OLD.
                old = cast("Item | None", error.response.get("Item"))
                raise _ConditionFailed(_plain(old) if old else None) from error
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in _TRANSIENT_CODES or status >= 500:
                raise TransientError(f"DynamoDB {operation} failed temporarily ({code})") from error
            raise
        except (BotoConnectionError, HTTPClientError) as error:
            raise TransientError(
                f"DynamoDB {operation} failed temporarily ({type(error).__name__})"
            ) from error

    def _on_table(self, operation: str, **params: Any) -> dict[str, Any]:
        return self._call(operation, TableName=self.table_name, **params)

    def _update(self, key: Item, expression: _Expression, update: str, condition: str, **extra: Any) -> Item:
        # ALL_OLD on a lost condition tells why (no extra cost), so errors can name the reason.
        return self._on_table(
            "update_item",
            Key=key,
            UpdateExpression=update,
            ConditionExpression=condition,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
            **expression.params(),
            **extra,
        )

    def _put(self, item: Item, condition: str | None = None) -> None:
        extra: dict[str, Any] = {}
        if condition is not None:
            extra = {"ConditionExpression": condition, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
        self._on_table("put_item", Item=item, **extra)

    def _get(self, key: Item) -> dict[str, Any] | None:
        item = self._on_table("get_item", Key=key, ConsistentRead=True).get("Item")
        return _plain(item) if item else None

    def _query(self, **params: Any) -> Iterator[dict[str, Any]]:
        if self._query_limit is not None:
            params["Limit"] = self._query_limit
        while True:
            page = self._on_table("query", **params)
            for item in page.get("Items", []):
                yield _plain(item)
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _query_prefix(
        self, pk: str, sk_prefix: str, where: Callable[[_Expression], str] | None = None, **params: Any
    ) -> Iterator[dict[str, Any]]:
        """Query one partition by sort-key prefix; `where` builds a filter on the same placeholders."""
        e = _Expression()
        condition = f"{e.n(PARTITION_KEY)} = {e.v(pk)} AND begins_with({e.n(SORT_KEY)}, {e.v(sk_prefix)})"
        if where is not None:
            params["FilterExpression"] = where(e)
        return self._query(KeyConditionExpression=condition, ConsistentRead=True, **e.params(), **params)

    def _backoff(self, attempt: int) -> None:
        self._sleep(min(0.05 * 2 ** (attempt - 1), 2.0))

    def _batch_write(self, requests: Sequence[Item]) -> None:
        for start in range(0, len(requests), _BATCH_WRITE_SIZE):
            pending = list(requests[start : start + _BATCH_WRITE_SIZE])
            for attempt in range(self._max_batch_attempts):
                if attempt:
                    self._backoff(attempt)
                response = self._call("batch_write_item", RequestItems={self.table_name: pending})
                pending = response.get("UnprocessedItems", {}).get(self.table_name, [])
                if not pending:
                    break
            else:
                raise TransientError(f"DynamoDB left {len(pending)} writes unprocessed after retries")

    def _batch_get(self, keys: Iterable[Item]) -> list[dict[str, Any]]:
        unique = list({(key[PARTITION_KEY]["S"], key[SORT_KEY]["S"]): key for key in keys}.values())
        found: list[dict[str, Any]] = []
        for start in range(0, len(unique), _BATCH_GET_SIZE):
            pending = unique[start : start + _BATCH_GET_SIZE]
            for attempt in range(self._max_batch_attempts):
                if attempt:
                    self._backoff(attempt)
                response = self._call(
                    "batch_get_item",
                    RequestItems={self.table_name: {"Keys": pending, "ConsistentRead": True}},
                )
                found.extend(_plain(item) for item in response.get("Responses", {}).get(self.table_name, []))
                pending = response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
                if not pending:
                    break
            else:
                raise TransientError(f"DynamoDB left {len(pending)} reads unprocessed after retries")
        return found

    # Tenants ----------------------------------------------------------------------------------

    def put_tenant(self, tenant: Tenant) -> None:
        old = self._get(_tenant_key(tenant.tenant_id))
        self._put({**_tenant_key(tenant.tenant_id), **_attributes({"doc": tenant.model_dump_json()})})
        if old is None:
            return  # a new tenant has no invoices yet: put_invoices requires the tenant
        before = Tenant.model_validate_json(old["doc"]).settings
        after = tenant.settings
        timing_changed = before.timing is not after.timing
        activated_later = after.activated_at is not None and (
            before.activated_at is None or after.activated_at > before.activated_at
        )
        if timing_changed or activated_later:
            self._revisit_pending(tenant, rekey=timing_changed, turn_off_before=after.activated_at)

    def _revisit_pending(self, tenant: Tenant, *, rekey: bool, turn_off_before: datetime | None) -> None:
        """Re-key a tenant's pending invoices to a new timing (R6, R7); on a (re)activation turn
        automatic dispatch off on the unsent ones created before it, unless the user turned it on (R2)."""
        items = self._query_prefix(
            f"TENANT#{tenant.tenant_id}",
            "STATE#",
            lambda e: f"{e.n('state')} = {e.v(_PENDING)} AND {e.n('status')} = {e.v(_UNSENT)}",
        )
        for item in items:
            key = InvoiceKey(tenant_id=tenant.tenant_id, invoice_id=item["invoice_id"])
            created_at = _parse_instant(item["created_at"])
            if (
                turn_off_before is not None
                and created_at < turn_off_before
                and item.get("auto_dispatch") is not True
            ):
                self._turn_off_before_activation(key)
            elif rekey:
                due = due_from_dates(
                    created_at, date.fromisoformat(item["invoice_date"]), tenant.settings.timing, self.zone
                )
                self._rekey(key, {"due_from": due})

    def _turn_off_before_activation(self, key: InvoiceKey) -> None:
        e = _Expression()
        update = _update_expression(
            [
                f"{e.n('state')} = {e.v(AutoDispatchState.REMOVED.value)}",
                f"{e.n('message')} = {e.v(BEFORE_ACTIVATION_MESSAGE)}",
                e.append_history(
                    [
                        HistoryEvent(
                            at=datetime.now(UTC),
                            event=HistoryEventKind.TURNED_OFF_BY_ACTIVATION,
                            detail=BEFORE_ACTIVATION_MESSAGE,
                        )
                    ]
                ),
            ],
            [e.n(name) for name in _INDEX_ATTRIBUTES],
        )
        condition = (
            f"{e.n('state')} = {e.v(_PENDING)} AND {e.n('status')} = {e.v(_UNSENT)} "
            f"AND attribute_not_exists({e.n('claim')})"
        )
        with suppress(_ConditionFailed):  # a run or the user got there first; their change stands
            self._update(_state_key(key), e, update, condition)

    def _rekey(self, key: InvoiceKey, values: Mapping[str, Any]) -> None:
        """Update a PENDING, UNSENT item's attributes and its index position (due_from in values)."""
        e = _Expression()
        due: datetime = values["due_from"]
        sets = [
            f"{e.n(name)} = {e.v(value)}" for name, value in {**values, **_index_values(key, due)}.items()
        ]
        condition = f"{e.n('state')} = {e.v(_PENDING)} AND {e.n('status')} = {e.v(_UNSENT)}"
        with suppress(_ConditionFailed):  # no longer pending: its index entry must stay gone
            self._update(_state_key(key), e, _update_expression(sets), condition)

    def get_tenant(self, tenant_id: str) -> Tenant:
        item = self._get(_tenant_key(tenant_id))
        if item is None:
            raise NotFound(f"Unknown tenant '{tenant_id}'")
        tenant = _tenant(item)
        if tenant is None:
            raise NotFound(f"Tenant '{tenant_id}' has an invalid stored document; import it again")
        return tenant

    def get_tenants(self, tenant_ids: Iterable[str]) -> dict[str, Tenant]:
        """Unknown ids, and tenants whose stored document no longer validates, are absent: one bad
        tenant must not stop a run for all the others (R24)."""
        tenants = (_tenant(item) for item in self._batch_get(map(_tenant_key, tenant_ids)))
        return {tenant.tenant_id: tenant for tenant in tenants if tenant is not None}

    def list_tenants(self) -> list[Tenant]:
        tenants = (_tenant(item) for item in self._query_prefix("TENANTS", "TENANT#"))
        return [tenant for tenant in tenants if tenant is not None]

    # Invoices ---------------------------------------------------------------------------------

    def put_invoices(self, invoices: Sequence[Invoice]) -> None:
        latest = {invoice.key: invoice for invoice in invoices}  # one batch may not name a key twice
        tenant_ids = {key.tenant_id for key in latest}
        tenants = self.get_tenants(tenant_ids)
        missing = sorted(tenant_ids - tenants.keys())
        if missing:
            raise NotFound("Unknown tenant " + ", ".join(f"'{tenant_id}'" for tenant_id in missing))
        # A run that is sending an invoice (or stopped while sending it) will repeat that send with
        # a message id derived from the document; replacing the document now would change the id
        # an operator deduplicates by (R23).
        busy = [
            key for key, record in self.get_records(latest).items() if record.unfinished_attempt is not None
        ]
        if busy:
            raise InputError(
                [
                    FieldIssue(
                        "(invoice)",
                        "a run is sending this invoice (or stopped while sending it); import it again "
                        "after that run has finished",
                        key.tenant_id,
                        key.invoice_id,
                    )
                    for key in busy
                ]
            )
        # Documents first: a state item (and so a run) never exists without its document.
        self._batch_write(
            [
                {"PutRequest": {"Item": {**_doc_key(key), **_attributes({"doc": invoice.model_dump_json()})}}}
                for key, invoice in latest.items()
            ]
        )
        for invoice in latest.values():
            self._put_state(invoice, tenants[invoice.tenant_id])

    def _initial_state(self, invoice: Invoice, tenant: Tenant) -> dict[str, Any]:
        values: dict[str, Any] = {
            "tenant_id": invoice.tenant_id,
            "invoice_id": invoice.invoice_id,
            "number": invoice.number,
            "source": invoice.source.value,
            "status": invoice.status.value,
            "created_at": _instant(invoice.created_at),
            "invoice_date": invoice.invoice_date.isoformat(),
            # Kept only when explicit: an activation turns off older invoices unless set on (R2).
            "auto_dispatch": invoice.auto_dispatch,
            "history": [],
        }
        if invoice.status is InvoiceStatus.SENT:
            return {**values, "state": AutoDispatchState.SENT.value, "message": IMPORTED_SENT_MESSAGE}
        if invoice.auto_dispatch is False:
            return {**values, "state": AutoDispatchState.REMOVED.value, "message": TURNED_OFF_MESSAGE}
        if invoice.auto_dispatch is None and not auto_dispatch_default(tenant.settings, invoice.created_at):
            return {**values, "state": AutoDispatchState.REMOVED.value, "message": BEFORE_ACTIVATION_MESSAGE}
        due = due_from(invoice, tenant.settings.timing, self.zone)
        return {**values, "state": _PENDING, **_index_values(invoice.key, due)}

    def _put_state(self, invoice: Invoice, tenant: Tenant) -> None:
        key = invoice.key
        try:
            self._put(
                {**_state_key(key), **_attributes(self._initial_state(invoice, tenant))},
                f"attribute_not_exists({PARTITION_KEY})",
            )
            return
        except _ConditionFailed as failed:
            old = failed.old
        if old is None or old.get("status") != _UNSENT:
            return
        if invoice.status is InvoiceStatus.SENT:
            # Sent elsewhere since the last import: never dispatch it (R5).
            self._mark_sent(
                key,
                channel=None,
                sent_on=None,
                message=IMPORTED_SENT_MESSAGE,
                events=(),
                now=datetime.now(UTC),
            )
        elif old.get("state") == _PENDING:
            self._rekey(
                key,
                {
                    "number": invoice.number,
                    "source": invoice.source.value,
                    "created_at": _instant(invoice.created_at),
                    "invoice_date": invoice.invoice_date.isoformat(),
                    "due_from": due_from(invoice, tenant.settings.timing, self.zone),
                },
            )

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
        for item in self._batch_get(map(_doc_key, keys)):
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
        item = self._get(_state_key(key))
        if item is None:
            raise NotFound(f"Unknown invoice {key}")
        return _record(item)

    def get_records(self, keys: Iterable[InvoiceKey]) -> dict[InvoiceKey, DispatchRecord]:
        records = (_record(item) for item in self._batch_get(map(_state_key, keys)))
        return {
            InvoiceKey(tenant_id=record.tenant_id, invoice_id=record.invoice_id): record for record in records
        }

    def list_records(self, tenant_id: str, state: AutoDispatchState | None = None) -> list[DispatchRecord]:
        where = None if state is None else (lambda e: f"{e.n('state')} = {e.v(state.value)}")
        return [_record(item) for item in self._query_prefix(f"TENANT#{tenant_id}", "STATE#", where)]

    def pending(self, due_before: datetime) -> Iterator[PendingEntry]:
        """Entries with due_from strictly before `due_before` (pass the run's start instant, or the
        start of the local day after the run date), in no particular order. The shards are queried
        in parallel and streamed page by page through a bounded queue: memory holds a few pages,
        whatever the number of pending invoices."""
        before = _instant(due_before)
        pages: queue.Queue[list[PendingEntry] | BaseException | None] = queue.Queue(maxsize=PENDING_SHARDS)
        stop = threading.Event()

        def hand_over(page: list[PendingEntry] | BaseException | None) -> bool:
            while not stop.is_set():
                with suppress(queue.Full):
                    pages.put(page, timeout=0.1)
                    return True
            return False

        def query_shard(shard: int) -> None:
            try:
                e = _Expression()
                condition = (
                    f"{e.n(PENDING_INDEX_PARTITION_KEY)} = {e.v(f'PENDING#{shard:02d}')} AND "
                    f"{e.n(PENDING_INDEX_SORT_KEY)} < {e.v(before)}"
                )
                page: list[PendingEntry] = []
                for item in self._query(
                    IndexName=PENDING_INDEX, KeyConditionExpression=condition, **e.params()
                ):
                    page.append(
                        PendingEntry(
                            key=InvoiceKey(tenant_id=item["tenant_id"], invoice_id=item["invoice_id"]),
                            source=Source(item["source"]),
                            due_from=_parse_instant(item["due_from"]),
                        )
                    )
                    if len(page) == _PENDING_PAGE:
                        if not hand_over(page):
                            return
                        page = []
                if page:
                    hand_over(page)
            except BaseException as error:  # handed to the reader, which raises it
                hand_over(error)
            finally:
                hand_over(None)

        self.client  # noqa: B018 - created once here: creating boto3 clients is not thread-safe
        workers = [
            threading.Thread(target=query_shard, args=(shard,), daemon=True)
            for shard in range(PENDING_SHARDS)
        ]
        for worker in workers:
            worker.start()
        try:
            finished = 0
            while finished < PENDING_SHARDS:
                page = pages.get()
                if page is None:
                    finished += 1
                elif isinstance(page, BaseException):
                    raise page
                else:
                    yield from page
        finally:
            stop.set()
            for worker in workers:
                worker.join()

    # Run state changes ------------------------------------------------------------------------

    def claim(
        self, key: InvoiceKey, attempt: Attempt, lease_until: datetime, events: Sequence[HistoryEvent]
    ) -> Attempt | None:
        e = _Expression()
        claim = {
            "run_id": attempt.run_id,
            "channel": attempt.channel.value,
            "kind": attempt.kind.value,
            "started_at": _instant(attempt.started_at),
            "lease_until": _instant(lease_until),
        }
        update = _update_expression([f"{e.n('claim')} = {e.v(claim)}", e.append_history(events)])
        condition = e.claimable(attempt.run_id, attempt.started_at)
        try:
            response = self._update(_state_key(key), e, update, condition, ReturnValues="UPDATED_OLD")
        except _ConditionFailed as failed:
            raise self._lost(key, attempt.run_id, "claimed", failed.old, attempt.started_at) from None
        return _attempt(_plain(response.get("Attributes", {})).get("claim"))

    def next_attempt(self, key: InvoiceKey, attempt: Attempt, events: Sequence[HistoryEvent]) -> None:
        e = _Expression()
        update = _update_expression(
            [
                f"{e.n('claim', 'channel')} = {e.v(attempt.channel.value)}",
                f"{e.n('claim', 'kind')} = {e.v(attempt.kind.value)}",
                f"{e.n('claim', 'started_at')} = {e.v(_instant(attempt.started_at))}",
                *(
                    [f"{e.n('claim', 'delivered')} = {e.v(attempt.delivered.value)}"]
                    if attempt.delivered
                    else []
                ),
                e.append_history(events),
            ]
        )
        try:
            self._update(_state_key(key), e, update, e.claimed_by(attempt.run_id))
        except _ConditionFailed as failed:
            raise self._lost(key, attempt.run_id, "attempted", failed.old, None) from None

    def _settlement_update(self, e: _Expression, settlement: Settlement) -> str:
        if not settlement.state.is_final:
            raise ValueError(f"a settlement ends in SENT, IGNORED or FAILED, not {settlement.state}")
        sets = [
            f"{e.n('state')} = {e.v(settlement.state.value)}",
            f"{e.n('message')} = {e.v(settlement.message)}",
            f"{e.n('details')} = {e.v(settlement.details)}",
            e.append_history(settlement.events),
        ]
        removes = [e.n("claim"), *(e.n(name) for name in _INDEX_ATTRIBUTES)]
        if settlement.state is AutoDispatchState.SENT:
            sets.append(f"{e.n('status')} = {e.v(InvoiceStatus.SENT.value)}")
        optional = {
            "channel": settlement.channel.value if settlement.channel else None,
            "sent_on": settlement.sent_on.isoformat() if settlement.sent_on else None,
        }
        for name, value in optional.items():
            if value is None:
                removes.append(e.n(name))  # a value from before must not linger
            else:
                sets.append(f"{e.n(name)} = {e.v(value)}")
        return _update_expression(sets, removes)

    def settle(self, key: InvoiceKey, run_id: str, settlement: Settlement) -> None:
        e = _Expression()
        update = self._settlement_update(e, settlement)
        try:
            self._update(_state_key(key), e, update, e.claimed_by(run_id))
        except _ConditionFailed as failed:
            raise self._lost(key, run_id, "settled", failed.old, None) from None

    def settle_unclaimed(self, key: InvoiceKey, run_id: str, settlement: Settlement, now: datetime) -> None:
        e = _Expression()
        update = self._settlement_update(e, settlement)
        try:
            self._update(_state_key(key), e, update, e.claimable(run_id, now))
        except _ConditionFailed as failed:
            raise self._lost(key, run_id, "settled", failed.old, now) from None

    def settle_left_by_run(
        self, key: InvoiceKey, run_id: str, claimant: str, settlement: Settlement, now: datetime
    ) -> None:
        e = _Expression()
        update = self._settlement_update(e, settlement)
        try:
            self._update(_state_key(key), e, update, e.claimable_after_run(run_id, claimant, now))
        except _ConditionFailed as failed:
            raise self._lost(key, claimant, "settled", failed.old, now) from None

    def release(self, key: InvoiceKey, run_id: str, events: Sequence[HistoryEvent]) -> None:
        e = _Expression()
        update = _update_expression([e.append_history(events)], [e.n("claim")])
        try:
            self._update(_state_key(key), e, update, e.claimed_by(run_id))
        except _ConditionFailed as failed:
            raise self._lost(key, run_id, "released", failed.old, None) from None

    @staticmethod
    def _lost(
        key: InvoiceKey, run_id: str, verb: str, old: Mapping[str, Any] | None, now: datetime | None
    ) -> ConcurrentUpdate:
        return ConcurrentUpdate(
            f"Invoice {key} cannot be {verb} by run {run_id}: {_why_not(old, run_id, now)}"
        )

    # User actions -----------------------------------------------------------------------------

    @staticmethod
    def _refused(
        key: InvoiceKey, action: str, old: Mapping[str, Any] | None, now: datetime
    ) -> AutodispatchError:
        if old is None:
            return NotFound(f"Unknown invoice {key}")
        if action == "add automatic dispatch back to" and old.get("status") == _UNSENT:
            reason = f"its automatic dispatch is {old.get('state')}, not REMOVED"
        else:
            reason = _why_not(old, None, now)
        return InvalidTransition(f"Cannot {action} invoice {key}: {reason}")

    def remove_auto(self, key: InvoiceKey, event: HistoryEvent) -> None:
        e = _Expression()
        update = _update_expression(
            [
                f"{e.n('state')} = {e.v(AutoDispatchState.REMOVED.value)}",
                f"{e.n('message')} = {e.v(REMOVED_MESSAGE)}",
                f"{e.n('auto_dispatch')} = {e.v(False)}",
                e.append_history([event]),
            ],
            [e.n("details"), *(e.n(name) for name in _INDEX_ATTRIBUTES)],
        )
        # A claimed invoice may be on its way to the customer right now; an expired claim is in
        # doubt and must end FAILED by a run (R23), not disappear by a removal.
        condition = (
            f"{e.n('state')} = {e.v(_PENDING)} AND {e.n('status')} = {e.v(_UNSENT)} "
            f"AND attribute_not_exists({e.n('claim')})"
        )
        try:
            self._update(_state_key(key), e, update, condition)
        except _ConditionFailed as failed:
            old = failed.old
            if (
                old is not None
                and old.get("claim")
                and old.get("state") == _PENDING
                and old.get("status") == _UNSENT
            ):
                reason = f"run {old['claim'].get('run_id')} is dispatching it now"
                raise InvalidTransition(
                    f"Cannot remove automatic dispatch from invoice {key}: {reason}"
                ) from None
            raise self._refused(key, "remove automatic dispatch from", old, event.at) from None

    def restore_auto(self, key: InvoiceKey, event: HistoryEvent) -> None:
        item = self._get(_state_key(key))
        if item is None:
            raise NotFound(f"Unknown invoice {key}")
        timing = self.get_tenant(key.tenant_id).settings.timing
        due = due_from_dates(
            _parse_instant(item["created_at"]), date.fromisoformat(item["invoice_date"]), timing, self.zone
        )
        e = _Expression()
        update = _update_expression(
            [
                f"{e.n('state')} = {e.v(_PENDING)}",
                # The user turned it on: a later re-activation must not turn it off again (R2).
                f"{e.n('auto_dispatch')} = {e.v(True)}",
                *(f"{e.n(name)} = {e.v(value)}" for name, value in _index_values(key, due).items()),
                e.append_history([event]),
            ],
            [e.n("message"), e.n("details")],
        )
        condition = (
            f"{e.n('state')} = {e.v(AutoDispatchState.REMOVED.value)} AND {e.n('status')} = {e.v(_UNSENT)}"
        )
        try:
            self._update(_state_key(key), e, update, condition)
        except _ConditionFailed as failed:
            raise self._refused(key, "add automatic dispatch back to", failed.old, event.at) from None

    def mark_sent_manually(self, key: InvoiceKey, channel: Channel, event: HistoryEvent) -> None:
        self._mark_sent(
            key,
            channel=channel,
            sent_on=local_date(event.at, self.zone),
            message=SENT_MANUALLY_MESSAGE,
            events=(event,),
            now=event.at,
        )

    def _mark_sent(
        self,
        key: InvoiceKey,
        *,
        channel: Channel | None,
        sent_on: date | None,
        message: str,
        events: Sequence[HistoryEvent],
        now: datetime,
    ) -> None:
        """Status UNSENT -> SENT; automatic dispatch ends SENT if it was PENDING and otherwise keeps
        its state (e.g. FAILED). A write cannot branch, so it states the state it expects: PENDING
        first (the usual case), then the state the failed write found."""
        expected = _PENDING
        for _ in range(3):
            e = _Expression()
            sets = [f"{e.n('status')} = {e.v(InvoiceStatus.SENT.value)}", e.append_history(events)]
            removes = [e.n("claim"), *(e.n(name) for name in _INDEX_ATTRIBUTES)]
            if channel is not None:
                sets.append(f"{e.n('channel')} = {e.v(channel.value)}")
            if sent_on is not None:
                sets.append(f"{e.n('sent_on')} = {e.v(sent_on.isoformat())}")
            # The list shows that it went out; a FAILED or IGNORED invoice keeps its state and the
            # details that explain why automatic dispatch did not send it.
            sets.append(f"{e.n('message')} = {e.v(message)}")
            if expected == _PENDING:
                sets.append(f"{e.n('state')} = {e.v(AutoDispatchState.SENT.value)}")
                removes.append(e.n("details"))
            # A live claim means a run may be sending it now; a dead run's expired claim does not.
            condition = (
                f"{e.n('status')} = {e.v(_UNSENT)} AND {e.n('state')} = {e.v(expected)} AND "
                f"(attribute_not_exists({e.n('claim')}) OR "
                f"{e.n('claim', 'lease_until')} < {e.v(_instant(now))})"
            )
            try:
                self._update(
                    _state_key(key),
                    e,
                    _update_expression(sets, removes),
                    condition,
                )
                return
            except _ConditionFailed as failed:
                old = failed.old
            if old is None:
                raise NotFound(f"Unknown invoice {key}")
            if old.get("status") != _UNSENT:
                raise InvalidTransition(f"Cannot mark invoice {key} sent: it is already sent")
            claim = old.get("claim")
            if claim and claim.get("lease_until", "") >= _instant(now):
                raise InvalidTransition(
                    f"Cannot mark invoice {key} sent: run {claim.get('run_id')} is dispatching it now"
                )
            expected = old["state"]
        raise ConcurrentUpdate(f"Invoice {key} kept changing while being marked sent")

    # Runs -------------------------------------------------------------------------------------

    def put_run(self, run: RunSummary) -> None:
        # The pointer first: a summary that list_runs shows can always be read by get_run.
        expiry = _expiry(run.run_date)
        self._put(
            {**_run_pointer_key(run.run_id), **_attributes({"run_date": run.run_date.isoformat(), **expiry})}
        )
        values = {
            "run_id": run.run_id,
            "run_date": run.run_date.isoformat(),
            "execution_arn": run.execution_arn,
            "started_at": _instant(run.started_at),
            **run.counts.model_dump(),
            **expiry,
        }
        self._put({**_run_key(run.run_date, run.run_id), **_attributes(values)})

    def add_run_counts(self, run: RunRef, counts: RunCounts) -> None:
        increments = {name: value for name, value in counts.model_dump().items() if value}
        if not increments:
            return
        e = _Expression()
        update = "ADD " + ", ".join(f"{e.n(name)} {e.v(value)}" for name, value in increments.items())
        try:
            self._update(
                _run_key(run.run_date, run.run_id), e, update, f"attribute_exists({e.n(PARTITION_KEY)})"
            )
        except _ConditionFailed:
            raise NotFound(f"Unknown run {run.run_id} of {run.run_date}") from None

    def get_run(self, run_id: str) -> RunSummary:
        pointer = self._get(_run_pointer_key(run_id))
        item = self._get(_run_key(date.fromisoformat(pointer["run_date"]), run_id)) if pointer else None
        if item is None:
            raise NotFound(f"Unknown run {run_id}")
        return _run_summary(item)

    def list_runs(self, limit: int = 20) -> list[RunSummary]:
        e = _Expression()
        runs: list[RunSummary] = []
        items = self._query(
            KeyConditionExpression=f"{e.n(PARTITION_KEY)} = {e.v('RUNS')}",
            ScanIndexForward=False,
            ConsistentRead=True,
            **e.params(),
        )
        for item in items:
            runs.append(_run_summary(item))
            if len(runs) >= limit:
                break
        return runs

    def add_run_issues(self, run: RunRef, issues: Sequence[RunIssue]) -> None:
        requests: dict[str, Item] = {}
        for issue in issues:
            # The digest keeps two issues of one invoice (e.g. two failed follow-up messages) apart,
            # while a retried batch rewrites the same items.
            digest = zlib.crc32(f"{issue.state}\x00{issue.message}".encode())
            sort_key = f"ISSUE#{issue.tenant_id}#{issue.invoice_id}#{digest:08x}"
            values = {**issue.model_dump(mode="json"), "run_id": run.run_id, **_expiry(run.run_date)}
            requests[sort_key] = {
                "PutRequest": {"Item": {**_key(f"RUN#{run.run_id}", sort_key), **_attributes(values)}}
            }
        self._batch_write(list(requests.values()))

    def run_issues(self, run_id: str) -> list[RunIssue]:
        return [
            RunIssue(
                tenant_id=item["tenant_id"],
                invoice_id=item["invoice_id"],
                number=item["number"],
                state=AutoDispatchState(item["state"]),
                message=item["message"],
            )
            for item in self._query_prefix(f"RUN#{run_id}", "ISSUE#")
        ]

    def claim_notification(self, run_id: str, tenant_id: str, kind: str) -> bool:
        # A released claim (the send certainly failed) may be taken again by the retried step.
        try:
            self._on_table(
                "put_item",
                Item=self._notification_item(run_id, tenant_id, kind, _NOTICE_CLAIMED),
                ConditionExpression=f"attribute_not_exists({PARTITION_KEY}) OR #notice = :released",
                ExpressionAttributeNames={"#notice": "notice"},
                ExpressionAttributeValues={":released": {"S": _NOTICE_RELEASED}},
            )
        except _ConditionFailed:
            return False
        return True

    def release_notification(self, run_id: str, tenant_id: str, kind: str) -> None:
        # Overwritten rather than deleted: the notify role needs no DeleteItem.
        self._put(self._notification_item(run_id, tenant_id, kind, _NOTICE_RELEASED))

    @staticmethod
    def _notification_item(run_id: str, tenant_id: str, kind: str, notice: str) -> Item:
        return {
            **_key(f"RUN#{run_id}", f"NOTIFIED#{tenant_id}#{kind}"),
            **_attributes(
                {
                    "run_id": run_id,
                    "tenant_id": tenant_id,
                    "kind": kind,
                    "notice": notice,
                    **_expiry(datetime.now(UTC).date()),
                }
            ),
        }


if TYPE_CHECKING:

    def _implements_port(store: DynamoDbInvoiceStore) -> InvoiceStore:
        """mypy proves here that the adapter matches the port."""
        return store
