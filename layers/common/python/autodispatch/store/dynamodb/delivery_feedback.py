"""What an email's delivery events do to its invoice's state item (R26), and ``NOTICES`` /
``TENANT#<tenant>#<invoice>#<digest>``: what the tenant's next notification carries over (R21).

A state item keeps the ids of the SES events recorded on it (``delivery_events``), so a duplicate
event changes nothing.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from autodispatch.errors import ConcurrentUpdate, NotFound
from autodispatch.models.dispatch import HistoryEvent
from autodispatch.models.enums import AutoDispatchState, Channel
from autodispatch.models.scenario import InvoiceKey
from autodispatch.models.text import Text
from autodispatch.store.dynamodb import items
from autodispatch.store.dynamodb.client import ConditionFailed, TableClient
from autodispatch.store.dynamodb.expressions import Expression, update_expression, why_not
from autodispatch.store.dynamodb.items import PENDING, UNSENT, attributes, expiry, index_values, state_key
from autodispatch.store.port import RunIssue
from autodispatch.store.table_schema import PARTITION_KEY

FEEDBACK = "delivery_events"
NOTICES = "NOTICES"


class DeliveryFeedbackTable(TableClient):
    def record_delivery_event(self, key: InvoiceKey, event_id: str, event: HistoryEvent) -> bool:
        e = Expression()
        update = update_expression([e.append_history([event])]) + f" ADD {e.n(FEEDBACK)} {e.v({event_id})}"
        condition = (
            f"attribute_exists({e.n(PARTITION_KEY)}) AND NOT contains({e.n(FEEDBACK)}, {e.v(event_id)})"
        )
        try:
            self._update(state_key(key), e, update, condition)
        except ConditionFailed as failed:
            if failed.old is None:
                raise NotFound.invoice(key) from None
            return False
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
        e = Expression()
        sets = [
            f"{e.n('state')} = {e.v(PENDING)}",
            f"{e.n('status')} = {e.v(UNSENT)}",
            f"{e.n('message')} = {e.v(message)}",
            *(f"{e.n(name)} = {e.v(value)}" for name, value in index_values(key, due_from).items()),
            e.append_history(events),
        ]
        removes = [e.n("details"), e.n("channel"), e.n("sent_on")]
        return self._after_bounce(key, event_id, e, update_expression(sets, removes))

    def fail_after_bounce(
        self, key: InvoiceKey, event_id: str, *, message: Text, details: Text, events: Sequence[HistoryEvent]
    ) -> bool:
        e = Expression()
        sets = [
            f"{e.n('state')} = {e.v(AutoDispatchState.FAILED.value)}",
            f"{e.n('status')} = {e.v(UNSENT)}",
            f"{e.n('message')} = {e.v(message)}",
            f"{e.n('details')} = {e.v(details)}",
            e.append_history(events),
        ]
        removes = [e.n("channel"), e.n("sent_on")]
        return self._after_bounce(key, event_id, e, update_expression(sets, removes))

    def _after_bounce(self, key: InvoiceKey, event_id: str, e: Expression, update: str) -> bool:
        """Only while the invoice is still SENT by email; False when the event was handled before."""
        update += f" ADD {e.n(FEEDBACK)} {e.v({event_id})}"
        condition = (
            f"{e.n('state')} = {e.v(AutoDispatchState.SENT.value)} AND {e.n('channel')} = "
            f"{e.v(Channel.EMAIL.value)} AND NOT contains({e.n(FEEDBACK)}, {e.v(event_id)})"
        )
        try:
            self._update(state_key(key), e, update, condition)
        except ConditionFailed as failed:
            old = failed.old
            if old is None:
                raise NotFound.invoice(key) from None
            if event_id in old.get(FEEDBACK, set()):
                return False
            raise ConcurrentUpdate(
                f"Invoice {key} is no longer sent by email ({why_not(old, None, None)})"
            ) from None
        return True

    def add_notice(self, issue: RunIssue) -> None:
        values = {**issue.model_dump(mode="json"), **expiry(datetime.now(UTC).date())}
        self._put({**items.key(NOTICES, f"TENANT#{items.issue_suffix(issue)}"), **attributes(values)})

    def notices(self) -> list[RunIssue]:
        return [items.run_issue(item) for item in self._query_prefix(NOTICES, "TENANT#")]

    def clear_notices(self, issues: Sequence[RunIssue]) -> None:
        self._batch_write(
            [
                {"DeleteRequest": {"Key": items.key(NOTICES, f"TENANT#{items.issue_suffix(issue)}")}}
                for issue in issues
            ]
        )
