"""A run's conditional writes on one state item: claim, next attempt, settle, release (R10, R23)."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from autodispatch.errors import ConcurrentUpdate
from autodispatch.models.dispatch import HistoryEvent
from autodispatch.models.enums import AutoDispatchState, InvoiceStatus
from autodispatch.models.scenario import InvoiceKey
from autodispatch.store.dynamodb import items
from autodispatch.store.dynamodb.client import ConditionFailed, TableClient
from autodispatch.store.dynamodb.expressions import Expression, update_expression, why_not
from autodispatch.store.dynamodb.items import INDEX_ATTRIBUTES, instant, state_key
from autodispatch.store.port import Attempt, Settlement


def _lost(
    key: InvoiceKey, run_id: str, verb: str, old: Mapping[str, Any] | None, now: datetime | None
) -> ConcurrentUpdate:
    return ConcurrentUpdate(f"Invoice {key} cannot be {verb} by run {run_id}: {why_not(old, run_id, now)}")


def _settlement_update(e: Expression, settlement: Settlement) -> str:
    if not settlement.state.is_final:
        raise ValueError(f"a settlement ends in SENT, IGNORED or FAILED, not {settlement.state}")
    sets = [
        f"{e.n('state')} = {e.v(settlement.state.value)}",
        f"{e.n('message')} = {e.v(items.stored_message(settlement.message, settlement.events))}",
        f"{e.n('details')} = {e.v(settlement.details)}",
        e.append_history(settlement.events),
    ]
    removes = [e.n("claim"), *(e.n(name) for name in INDEX_ATTRIBUTES)]
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
    return update_expression(sets, removes)


class ClaimTable(TableClient):
    def claim(
        self,
        key: InvoiceKey,
        attempt: Attempt,
        lease_until: datetime,
        events: Sequence[HistoryEvent],
        *,
        ended: Sequence[str] = (),
    ) -> Attempt | None:
        e = Expression()
        claim = {
            "run_id": attempt.run_id,
            "channel": attempt.channel.value,
            "kind": attempt.kind.value,
            "started_at": instant(attempt.started_at),
            "lease_until": instant(lease_until),
            # A take-over that settles a delivered invoice keeps the marker (R23).
            **({"delivered": attempt.delivered.value} if attempt.delivered else {}),
            **({"transmission": attempt.transmission} if attempt.transmission else {}),
        }
        update = update_expression([f"{e.n('claim')} = {e.v(claim)}", e.append_history(events)])
        condition = e.claimable(attempt.run_id, attempt.started_at)
        if ended:
            condition = f"({condition}) OR ({e.staged_by(ended)})"
        try:
            response = self._update(state_key(key), e, update, condition, ReturnValues="UPDATED_OLD")
        except ConditionFailed as failed:
            raise _lost(key, attempt.run_id, "claimed", failed.old, attempt.started_at) from None
        return items.attempt(items.plain(response.get("Attributes", {})).get("claim"))

    def next_attempt(self, key: InvoiceKey, attempt: Attempt, events: Sequence[HistoryEvent]) -> None:
        e = Expression()
        # An attempt staged for a transmission names its object; any other leaves none behind.
        transmission = (
            ([f"{e.n('claim', 'transmission')} = {e.v(attempt.transmission)}"], [])
            if attempt.transmission
            else ([], [e.n("claim", "transmission")])
        )
        update = update_expression(
            [
                f"{e.n('claim', 'channel')} = {e.v(attempt.channel.value)}",
                f"{e.n('claim', 'kind')} = {e.v(attempt.kind.value)}",
                f"{e.n('claim', 'started_at')} = {e.v(instant(attempt.started_at))}",
                *(
                    [f"{e.n('claim', 'delivered')} = {e.v(attempt.delivered.value)}"]
                    if attempt.delivered
                    else []
                ),
                *transmission[0],
                e.append_history(events),
            ],
            transmission[1],
        )
        try:
            self._update(state_key(key), e, update, e.claimed_by(attempt.run_id))
        except ConditionFailed as failed:
            raise _lost(key, attempt.run_id, "attempted", failed.old, None) from None

    def settle(self, key: InvoiceKey, run_id: str, settlement: Settlement) -> None:
        e = Expression()
        update = _settlement_update(e, settlement)
        try:
            self._update(state_key(key), e, update, e.claimed_by(run_id))
        except ConditionFailed as failed:
            raise _lost(key, run_id, "settled", failed.old, None) from None

    def settle_unclaimed(self, key: InvoiceKey, run_id: str, settlement: Settlement, now: datetime) -> None:
        e = Expression()
        update = _settlement_update(e, settlement)
        try:
            self._update(state_key(key), e, update, e.claimable(run_id, now))
        except ConditionFailed as failed:
            raise _lost(key, run_id, "settled", failed.old, now) from None

    def settle_left_by_run(
        self, key: InvoiceKey, run_id: str, claimant: str, settlement: Settlement, now: datetime
    ) -> None:
        e = Expression()
        update = _settlement_update(e, settlement)
        try:
            self._update(state_key(key), e, update, e.claimable_after_run(run_id, claimant, now))
        except ConditionFailed as failed:
            raise _lost(key, claimant, "settled", failed.old, now) from None

    def release(self, key: InvoiceKey, run_id: str, events: Sequence[HistoryEvent]) -> None:
        e = Expression()
        update = update_expression([e.append_history(events)], [e.n("claim")])
        try:
            self._update(state_key(key), e, update, e.claimed_by(run_id))
        except ConditionFailed as failed:
            raise _lost(key, run_id, "released", failed.old, None) from None
