"""Item keys, instants and shards, and the conversions between items and models."""

import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import ValidationError

from autodispatch.models.dispatch import DispatchRecord, HistoryEvent
from autodispatch.models.enums import AutoDispatchState, Channel, HistoryEventKind, InvoiceStatus
from autodispatch.models.scenario import InvoiceKey, Tenant
from autodispatch.models.text import Text
from autodispatch.observability import logger
from autodispatch.store.port import Attempt, RunCounts, RunIssue, RunSummary
from autodispatch.store.table_schema import (
    PARTITION_KEY,
    PENDING_INDEX_PARTITION_KEY,
    PENDING_INDEX_SORT_KEY,
    PENDING_SHARDS,
    SORT_KEY,
    TTL_ATTRIBUTE,
)

Item = dict[str, Any]
"""An item as the client sends it: attribute name -> typed attribute value."""

RUN_RECORD_RETENTION = timedelta(days=400)
INDEX_ATTRIBUTES = (PENDING_INDEX_PARTITION_KEY, PENDING_INDEX_SORT_KEY, "due_from")
PENDING = AutoDispatchState.PENDING.value
UNSENT = InvoiceStatus.UNSENT.value

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def key(pk: str, sk: str) -> Item:
    return {PARTITION_KEY: {"S": pk}, SORT_KEY: {"S": sk}}


def tenant_key(tenant_id: str) -> Item:
    return key("TENANTS", f"TENANT#{tenant_id}")


def tenant_item(tenant: Tenant) -> Item:
    """A tenant as stored: its key and its document in ``doc``."""
    return {**tenant_key(tenant.tenant_id), **attributes({"doc": tenant.model_dump_json()})}


def doc_key(invoice: InvoiceKey) -> Item:
    return key(f"TENANT#{invoice.tenant_id}", f"DOC#{invoice.invoice_id}")


def state_key(invoice: InvoiceKey) -> Item:
    return key(f"TENANT#{invoice.tenant_id}", f"STATE#{invoice.invoice_id}")


def run_key(run_date: date, run_id: str) -> Item:
    return key("RUNS", f"RUN#{run_date.isoformat()}#{run_id}")


def run_pointer_key(run_id: str) -> Item:
    return key(f"RUN#{run_id}", "RUN")


def instant(value: datetime) -> str:
    """Fixed-width UTC text, so that string order is time order in keys and conditions."""
    if value.tzinfo is None:
        raise ValueError("a datetime without a time zone is not an instant")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def shard(invoice: InvoiceKey) -> str:
    # A stable hash (not hash(), which is salted per process) so an item always keeps its shard.
    digest = zlib.crc32(f"{invoice.tenant_id}\x00{invoice.invoice_id}".encode())
    return f"PENDING#{digest % PENDING_SHARDS:02d}"


def index_values(invoice: InvoiceKey, due: datetime) -> dict[str, str]:
    """The attributes that put a pending invoice on the sparse index at its due instant."""
    return {
        PENDING_INDEX_PARTITION_KEY: shard(invoice),
        PENDING_INDEX_SORT_KEY: f"{instant(due)}#{invoice.tenant_id}#{invoice.invoice_id}",
        "due_from": instant(due),
    }


def index_sort_key_parts(sort_key: str) -> tuple[datetime, InvoiceKey]:
    """The due instant and the invoice of an index sort key (`index_values`; ids have no '#')."""
    due, tenant_id, invoice_id = sort_key.split("#", 2)
    return parse_instant(due), InvoiceKey(tenant_id=tenant_id, invoice_id=invoice_id)


def attributes(values: Mapping[str, Any]) -> Item:
    """Typed attribute values; None means "absent" rather than a NULL attribute."""
    return {name: typed(value) for name, value in values.items() if value is not None}


def typed(value: Any) -> Any:
    """One typed attribute value (e.g. {"S": "PENDING"}); a message (`Text`) is stored as its code
    and parameters, a map (R30), in its compact form (`stored_text`)."""
    if isinstance(value, Text):
        value = stored_text(value)
    return _serializer.serialize(value)


def stored_text(text: Text) -> dict[str, Any]:
    """A text as stored: a text without parameters is its code alone (no empty `params` map), at
    every depth, so a state item stays under DynamoDB's 1 KB write unit in the common cases. Both
    shapes read back the same (`params` defaults to none)."""
    return text.model_dump(mode="json", exclude_defaults=True)


def plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def events(history: Iterable[HistoryEvent]) -> list[dict[str, Any]]:
    """History events as stored: absent fields and parameterless texts' empty maps left out, and
    consecutive events of one instant and run (a claim's queued, skipped and tried) one entry that
    names the instant and the run once: ``{"at", "run_id", "events": [...]}``. The history's
    length counts stored entries (what the import journal compares)."""
    stored: list[dict[str, Any]] = []
    for _, same in groupby(history, key=lambda event: (event.at, event.run_id)):
        dumped = [event.model_dump(mode="json", exclude_defaults=True) for event in same]
        if len(dumped) == 1:
            stored.extend(dumped)
            continue
        shared = {name: dumped[0][name] for name in _SHARED if name in dumped[0]}
        stored.append({**shared, "events": [_without(event, _SHARED) for event in dumped]})
    return stored


def read_history(stored: Iterable[Mapping[str, Any]]) -> tuple[HistoryEvent, ...]:
    """The history as stored by `events`, or as stored before events were grouped (one each)."""
    read: list[HistoryEvent] = []
    for entry in stored:
        if "events" in entry:
            shared = _without(entry, ("events",))
            read.extend(HistoryEvent.model_validate({**event, **shared}) for event in entry["events"])
        else:
            read.append(HistoryEvent.model_validate(entry))
    return tuple(read)


_SHARED = ("at", "run_id")


def _without(values: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if name not in names}


def stored_message(message: Text, written: Sequence[HistoryEvent]) -> Text | dict[str, str]:
    """An outcome's one-line message as stored: when it is the detail of the outcome event the same
    write appends (the newest SENT, IGNORED or FAILED event says it), a reference to that event,
    ``{"event": "SENT"}``, instead of the text again. Later writes append no outcome event without
    setting the message again."""
    outcome = next((event for event in reversed(written) if event.event in _OUTCOME_EVENTS), None)
    if outcome is not None and outcome.detail == message:
        return {"event": outcome.event.value}
    return message


_OUTCOME_EVENTS = frozenset({HistoryEventKind.SENT, HistoryEventKind.IGNORED, HistoryEventKind.FAILED})


def _message(stored: Any, events: Sequence[HistoryEvent]) -> Any:
    """A stored message, or the detail of the newest event a reference (`stored_message`) names."""
    if isinstance(stored, Mapping) and "event" in stored:
        return next(event.detail for event in reversed(events) if event.event == stored["event"])
    return stored


def state_ids(item: Mapping[str, Any]) -> InvoiceKey:
    """A state item's invoice: the ids it carries as attributes (items written before they were
    left out), else its key."""
    if "tenant_id" in item:
        return InvoiceKey(tenant_id=item["tenant_id"], invoice_id=item["invoice_id"])
    return InvoiceKey(
        tenant_id=item[PARTITION_KEY].removeprefix("TENANT#"),
        invoice_id=item[SORT_KEY].removeprefix("STATE#"),
    )


def attempt(claim: Mapping[str, Any] | None) -> Attempt | None:
    if not claim:
        return None
    return Attempt(
        run_id=claim["run_id"],
        channel=Channel(claim["channel"]),
        kind=claim["kind"],
        started_at=parse_instant(claim["started_at"]),
        delivered=claim.get("delivered"),
        transmission=claim.get("transmission"),
    )


def expiry(run_date: date) -> dict[str, int]:
    """When DynamoDB's TTL may delete a run's own items: long after anyone looks at the run."""
    expires = datetime.combine(run_date + RUN_RECORD_RETENTION, datetime.min.time(), tzinfo=UTC)
    return {TTL_ATTRIBUTE: int(expires.timestamp())}


def tenant(item: Mapping[str, Any]) -> Tenant | None:
    try:
        return Tenant.model_validate_json(item["doc"])
    except ValidationError as error:
        # Field names only: the invalid values may be personal data.
        fields = sorted({".".join(map(str, detail["loc"])) for detail in error.errors(include_input=False)})
        logger.error(
            "stored tenant document is invalid",
            extra={
                "tenant_id": item[SORT_KEY].removeprefix("TENANT#"),
                "fields": fields,
                "error_type": type(error).__name__,
            },
        )
        return None


def record(item: Mapping[str, Any]) -> DispatchRecord:
    invoice = state_ids(item)
    events = read_history(item.get("history", []))
    return DispatchRecord(
        tenant_id=invoice.tenant_id,
        invoice_id=invoice.invoice_id,
        number=item.get("number"),
        status=InvoiceStatus(item["status"]),
        state=AutoDispatchState(item["state"]),
        channel=item.get("channel"),
        sent_on=item.get("sent_on"),
        message=_message(item.get("message"), events),
        details=item.get("details"),
        history=events,
        # A factoring attempt follows a delivered invoice: nothing of the invoice is unfinished.
        unfinished_attempt=(
            item["claim"]["channel"] if item.get("claim") and not item["claim"].get("delivered") else None
        ),
        delivered_unsettled=item["claim"].get("delivered") if item.get("claim") else None,
        unfinished_transmission=(
            item["claim"].get("transmission")
            if item.get("claim") and not item["claim"].get("delivered")
            else None
        ),
    )


def issue_suffix(issue: RunIssue) -> str:
    """``<tenant>#<invoice>#<digest>``: the digest keeps two issues of one invoice (e.g. two failed
    follow-up messages) apart, while writing the same issue again rewrites the same item."""
    message = json.dumps(issue.message.model_dump(mode="json"), sort_keys=True)
    digest = zlib.crc32(f"{issue.state}\x00{message}".encode())
    return f"{issue.tenant_id}#{issue.invoice_id}#{digest:08x}"


def issue_tenant(suffix: str) -> str:
    """The tenant of an issue_suffix (ids have no `#`)."""
    return suffix.split("#", 1)[0]


def run_issue(item: Mapping[str, Any]) -> RunIssue:
    return RunIssue(
        tenant_id=item["tenant_id"],
        invoice_id=item["invoice_id"],
        number=item["number"],
        state=AutoDispatchState(item["state"]),
        message=item["message"],
        details=item.get("details"),
        customer_name=item.get("customer_name"),
        amount=item.get("amount"),
        currency=item.get("currency"),
    )


def run_summary(item: Mapping[str, Any]) -> RunSummary:
    return RunSummary(
        run_id=item["run_id"],
        run_date=date.fromisoformat(item["run_date"]),
        execution_arn=item.get("execution_arn"),
        started_at=parse_instant(item["started_at"]),
        counts=RunCounts(
            selected=int(item.get("selected", 0)),
            sent=int(item.get("sent", 0)),
            ignored=int(item.get("ignored", 0)),
            failed=int(item.get("failed", 0)),
            follow_ups_failed=int(item.get("follow_ups_failed", 0)),
        ),
    )
