"""Turning automatic dispatch of one invoice off and on (by the user, R20, or by an activation,
R2), and marking an invoice sent (R5, R22)."""

from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import date, datetime
from typing import Any

from autodispatch.errors import AutodispatchError, ConcurrentUpdate, InvalidTransition, NotFound
from autodispatch.models.dispatch import HistoryEvent
from autodispatch.models.enums import AutoDispatchState, Channel, InvoiceStatus, UserAction
from autodispatch.models.refusals import MARK_SENT, stored_refusal
from autodispatch.models.scenario import InvoiceKey
from autodispatch.models.text import Text
from autodispatch.store.dynamodb.client import ConditionFailed, TableClient
from autodispatch.store.dynamodb.expressions import Expression, update_expression
from autodispatch.store.dynamodb.items import (
    INDEX_ATTRIBUTES,
    PENDING,
    UNSENT,
    index_values,
    instant,
    state_key,
)


def _refused(key: InvoiceKey, action: UserAction, old: Mapping[str, Any] | None) -> AutodispatchError:
    """The user's action refused, in words as data (R30), from the item the lost write found."""
    if old is None:
        return NotFound.invoice(key)
    reason = stored_refusal(
        action,
        InvoiceStatus(old.get("status", UNSENT)),
        AutoDispatchState(old.get("state", PENDING)),
        claimed=bool(old.get("claim")),
    )
    return InvalidTransition.refused(action, key, reason)


class UserActionTable(TableClient):
    def _remove(self, key: InvoiceKey, message: Text, event: HistoryEvent, *, by_user: bool) -> None:
        """PENDING, UNSENT and unclaimed -> REMOVED. A claimed invoice may be on its way to the
        customer right now; an expired claim is in doubt and must end FAILED by a run (R23)."""
        e = Expression()
        sets = [
            f"{e.n('state')} = {e.v(AutoDispatchState.REMOVED.value)}",
            f"{e.n('message')} = {e.v(message)}",
            e.append_history([event]),
        ]
        removes = [e.n(name) for name in INDEX_ATTRIBUTES]
        if by_user:
            # The user's choice: a later activation must not decide otherwise (R2).
            sets.append(f"{e.n('auto_dispatch')} = {e.v(False)}")
            removes.append(e.n("details"))
        condition = f"{e.pending_unsent()} AND attribute_not_exists({e.n('claim')})"
        self._update(state_key(key), e, update_expression(sets, removes), condition)

    def turn_off(self, key: InvoiceKey, message: Text, event: HistoryEvent) -> None:
        with suppress(ConditionFailed):  # a run or the user got there first; their change stands
            self._remove(key, message, event, by_user=False)

    def remove_auto(self, key: InvoiceKey, message: Text, event: HistoryEvent) -> None:
        try:
            self._remove(key, message, event, by_user=True)
        except ConditionFailed as failed:
            old = failed.old
            if (
                old is not None
                and old.get("claim")
                and old.get("state") == PENDING
                and old.get("status") == UNSENT
            ):
                raise InvalidTransition.refused(
                    UserAction.REMOVE_AUTO, key, Text.of("refusal.run_busy")
                ) from None
            raise _refused(key, UserAction.REMOVE_AUTO, old) from None

    def restore_auto(self, key: InvoiceKey, due_from: datetime, event: HistoryEvent) -> None:
        e = Expression()
        update = update_expression(
            [
                f"{e.n('state')} = {e.v(PENDING)}",
                # The user turned it on: a later re-activation must not turn it off again (R2).
                f"{e.n('auto_dispatch')} = {e.v(True)}",
                *(f"{e.n(name)} = {e.v(value)}" for name, value in index_values(key, due_from).items()),
                e.append_history([event]),
            ],
            [e.n("message"), e.n("details")],
        )
        condition = (
            f"{e.n('state')} = {e.v(AutoDispatchState.REMOVED.value)} AND {e.n('status')} = {e.v(UNSENT)}"
        )
        try:
            self._update(state_key(key), e, update, condition)
        except ConditionFailed as failed:
            raise _refused(key, UserAction.RESTORE_AUTO, failed.old) from None

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
        self._mark_sent(
            key,
            channel=channel,
            sent_on=sent_on,
            message=message,
            events=events,
            now=events[-1].at,
            ends_sent_from=AutoDispatchState.REMOVED.value if removed_for_the_send else PENDING,
        )

    def add_user_event(self, key: InvoiceKey, event: HistoryEvent) -> None:
        e = Expression()
        try:
            self._update(
                state_key(key),
                e,
                update_expression([e.append_history([event])], []),
                f"attribute_exists({e.n('status')})",
            )
        except ConditionFailed:
            raise NotFound.invoice(key) from None

    def _mark_sent(
        self,
        key: InvoiceKey,
        *,
        channel: Channel | None,
        sent_on: date | None,
        message: Text,
        events: Sequence[HistoryEvent],
        now: datetime,
        ends_sent_from: str = PENDING,
    ) -> None:
        """Status UNSENT -> SENT; automatic dispatch ends SENT if it was in `ends_sent_from`
        (PENDING) and otherwise keeps its state (e.g. FAILED). A write cannot branch, so it states
        the state it expects: `ends_sent_from` first (the usual case), then the state the failed
        write found."""
        expected = ends_sent_from
        for _ in range(3):
            e = Expression()
            sets = [f"{e.n('status')} = {e.v(InvoiceStatus.SENT.value)}", e.append_history(events)]
            removes = [e.n("claim"), *(e.n(name) for name in INDEX_ATTRIBUTES)]
            if channel is not None:
                sets.append(f"{e.n('channel')} = {e.v(channel.value)}")
            if sent_on is not None:
                sets.append(f"{e.n('sent_on')} = {e.v(sent_on.isoformat())}")
            # The list shows that it went out; a FAILED or IGNORED invoice keeps its state and the
            # details that explain why automatic dispatch did not send it.
            sets.append(f"{e.n('message')} = {e.v(message)}")
            if expected == ends_sent_from:
                sets.append(f"{e.n('state')} = {e.v(AutoDispatchState.SENT.value)}")
                removes.append(e.n("details"))
            # A live claim means a run may be sending it now; a dead run's expired claim does not.
            condition = (
                f"{e.n('status')} = {e.v(UNSENT)} AND {e.n('state')} = {e.v(expected)} AND "
                f"(attribute_not_exists({e.n('claim')}) OR "
                f"{e.n('claim', 'lease_until')} < {e.v(instant(now))})"
            )
            try:
                self._update(state_key(key), e, update_expression(sets, removes), condition)
                return
            except ConditionFailed as failed:
                old = failed.old
            if old is None:
                raise NotFound.invoice(key)
            if old.get("status") != UNSENT:
                raise InvalidTransition.refused(MARK_SENT, key, Text.of("refusal.already_sent"))
            claim = old.get("claim")
            if claim and claim.get("lease_until", "") >= instant(now):
                raise InvalidTransition.refused(MARK_SENT, key, Text.of("refusal.run_busy"))
            expected = old["state"]
        raise ConcurrentUpdate(f"Invoice {key} kept changing while being marked sent")
